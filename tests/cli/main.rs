//! End-to-end tests of the built `clusterform` binary: fixture stacks under `tests/fixtures/`,
//! and (for apply) the emulator over loopback.

mod architecture;
mod commands;
mod crash;
mod e2e;
mod emulator;
mod harness;
mod offline;
