//! TOML stack text → validated `Config`. Raw serde structs with spans are lowered into the types of
//! `types.rs`; every diagnostic of a stack is returned at once, each with file, line and column.
//! No IO: the caller reads the files and the environment and passes them in.

pub mod types;

pub use types::*;
