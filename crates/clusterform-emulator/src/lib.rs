//! Local server speaking the clouds' APIs faithfully, the test bed and sandbox.
//!
//! [`app`] is the Huawei CCE Autopilot API as an `axum::Router` over a fresh world (for tests
//! in-process or on `127.0.0.1:0`; `huawei::router` takes a world you built); [`serve`] binds
//! the configured clouds, spawns them and returns their addresses with a shutdown handle (used
//! by the binary and by the CLI's in-process sandbox).

pub mod clock;
pub mod faults;
pub mod huawei;
pub mod persist;
pub mod yaml;

mod server;

pub use server::{app, serve, EmulatorOptions, Logger, RunningEmulator, ServeError};
