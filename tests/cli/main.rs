//! End-to-end tests of the built `clusterform` binary: the examples and inline stacks, offline,
//! against the embedded sandbox, and against the emulator binary over loopback.

mod architecture;
mod commands;
mod crash;
mod e2e;
mod emulator;
mod faults;
mod harness;
mod offline;
