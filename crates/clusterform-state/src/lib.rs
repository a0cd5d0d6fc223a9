//! State file format, local-file backend with locks, and the apply journal.
//!
//! - [`format`]: the versioned on-disk format (`decode` / `encode`), old versions upgraded step
//!   by step.
//! - [`StateStore`]: what every backend offers — read, compare-and-swap write, lock leases,
//!   journal; [`LocalStore`] keeps one stack in files under a directory.
//! - [`lock`]: locks as leases with holder, run id and heartbeat.
//! - [`journal`]: the apply journal that makes an interrupted apply resumable and a resource
//!   change cost O(change) to persist.
//! - [`scrub`]: keeps sensitive attributes out of state.

mod crc;
mod error;
pub mod format;
mod fsutil;
pub mod journal;
mod local;
pub mod lock;
mod scrub;
mod store;

pub use error::{LockError, StateError};
pub use format::{decode, decode_from, encode, Origin, CURRENT_FORMAT_VERSION};
pub use journal::{
    replay, replay_onto, FileJournal, InFlight, Journal, Record, JOURNAL_FORMAT_VERSION,
};
pub use local::LocalStore;
pub use lock::{Lease, LockGuard, LockInfo, LockRequest, TakeoverPolicy, DEFAULT_LEASE_SECS};
pub use scrub::{scrub, scrub_resource, seal_resource};
pub use store::StateStore;
