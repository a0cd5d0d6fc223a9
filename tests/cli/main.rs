//! End-to-end tests of the built `clusterform` binary: the examples and inline stacks, offline,
//! against the embedded sandbox, and against the emulator binary over loopback.

mod apply_side;
mod architecture;
mod commands;
mod crash;
mod e2e;
mod emulator;
mod faults;
mod foundation;
mod harness;
mod locks;
mod offline;
mod saved_plans;
mod secrets;
mod support;
mod variables;
