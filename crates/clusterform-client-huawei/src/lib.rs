//! Typed, signed client of the Huawei Cloud CCE Autopilot API.
