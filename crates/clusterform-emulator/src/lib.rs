//! Local server speaking the clouds' APIs faithfully, the test bed and sandbox.
//!
//! `huawei::router` serves Huawei CCE Autopilot; [`serve`] binds the configured clouds,
//! spawns them and returns their addresses with a shutdown handle (used by the binary and
//! by the CLI's in-process sandbox).

pub mod clock;
pub mod faults;
pub mod huawei;
pub mod persist;
pub mod yaml;

mod server;

pub use server::{serve, EmulatorOptions, Logger, RunningEmulator, ServeError};
