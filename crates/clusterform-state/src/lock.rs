//! State locks as leases: who holds the lock and why, how long the lease lasts, and the guard
//! that renews and releases it. Backends implement [`Lease`]; callers hold a [`LockGuard`].
//!
//! A lease whose heartbeat is older than `lease_secs` is *expired*: its holder is presumed dead.
//! An expired lease is not simply stolen, because the dead run may have left cloud operations in
//! flight that only its journal knows about. `lock` therefore answers `LockError::Expired` unless
//! the request says `TakeoverPolicy::AfterJournalReplay`, which a caller may only say after it has
//! read the journal (the executor replays it, then re-attaches or adopts what was in flight).
//!
//! Expiry compares the holder's `heartbeat_at` with the reader's clock, so leases assume clocks
//! agree to well within a lease (minutes, by default); NTP-synchronised hosts do.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::error::LockError;

/// The default lease: a holder that has not sent a heartbeat for this long is presumed dead.
pub const DEFAULT_LEASE_SECS: u64 = 300;

/// Who holds (or asks for) the state lock, for what, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// A UUID naming this lock; `force-unlock` must quote it.
    pub id: String,
    /// What the holder is doing: `apply`, `plan`, `destroy`, `state rm`, ...
    pub operation: String,
    pub user: String,
    pub host: String,
    pub pid: u32,
    /// The run whose journal records belong to this lock.
    pub run_id: String,
    pub started_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
    #[serde(default = "default_lease")]
    pub lease_secs: u64,
}

fn default_lease() -> u64 {
    DEFAULT_LEASE_SECS
}

impl LockInfo {
    /// A lock request from this process with a fresh id and the default lease. `user`, `host`
    /// and `run_id` come from the caller (libraries do not read the environment).
    pub fn new(
        operation: impl Into<String>,
        user: impl Into<String>,
        host: impl Into<String>,
        run_id: impl Into<String>,
    ) -> Self {
        let now = Utc::now();
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.into(),
            user: user.into(),
            host: host.into(),
            pid: std::process::id(),
            run_id: run_id.into(),
            started_at: now,
            heartbeat_at: now,
            lease_secs: DEFAULT_LEASE_SECS,
        }
    }

    /// Whether the holder's lease ran out at `now` (no heartbeat within `lease_secs`).
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        let lease = chrono::Duration::seconds(i64::try_from(self.lease_secs).unwrap_or(i64::MAX));
        match self.heartbeat_at.checked_add_signed(lease) {
            Some(deadline) => now > deadline,
            None => false,
        }
    }
}

impl fmt::Display for LockInfo {
    /// `alice@ci-7 (pid 4242, run 3f2a91c0…) for apply since 2026-11-23T14:00:00Z`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let run: String = self.run_id.chars().take(8).collect();
        let ellipsis = if self.run_id.chars().count() > 8 {
            "…"
        } else {
            ""
        };
        write!(
            f,
            "{}@{} (pid {}, run {run}{ellipsis}) for {} since {}",
            self.user,
            self.host,
            self.pid,
            self.operation,
            self.started_at.to_rfc3339_opts(SecondsFormat::Secs, true)
        )
    }
}

/// What `lock` may do about an expired lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TakeoverPolicy {
    /// Report `LockError::Expired` and leave the lease alone.
    #[default]
    Never,
    /// Take the expired lease over. Only a caller that has read the journal since it saw the
    /// `Expired` error may ask for this: the dead holder's in-flight operations are in there.
    AfterJournalReplay,
}

/// A request for the state lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockRequest {
    pub info: LockInfo,
    pub takeover: TakeoverPolicy,
}

impl LockRequest {
    /// A request that never takes over an expired lease.
    pub fn new(info: LockInfo) -> Self {
        LockRequest {
            info,
            takeover: TakeoverPolicy::Never,
        }
    }

    /// The same request, allowed to take over an expired lease; see [`TakeoverPolicy`].
    pub fn after_journal_replay(mut self) -> Self {
        self.takeover = TakeoverPolicy::AfterJournalReplay;
        self
    }
}

/// A backend's handle on a held lock.
pub trait Lease: Send {
    fn info(&self) -> &LockInfo;
    /// Renews the lease (sets `heartbeat_at` to now). Fails with `LockError::Lost` if the lock was
    /// broken or taken over meanwhile.
    fn heartbeat(&mut self) -> Result<(), LockError>;
    /// Gives the lock up. Fails with `LockError::Lost` (and leaves the lock alone) if it is no
    /// longer this lease's.
    fn release(&mut self) -> Result<(), LockError>;
}

/// A held state lock. Call [`heartbeat`](Self::heartbeat) well within the lease (e.g. every
/// `lease_secs / 5`); dropping the guard releases the lock, ignoring errors, while
/// [`release`](Self::release) reports them.
pub struct LockGuard {
    lease: Box<dyn Lease>,
    released: bool,
}

impl LockGuard {
    pub fn new(lease: Box<dyn Lease>) -> Self {
        LockGuard {
            lease,
            released: false,
        }
    }

    pub fn info(&self) -> &LockInfo {
        self.lease.info()
    }

    pub fn heartbeat(&mut self) -> Result<(), LockError> {
        self.lease.heartbeat()
    }

    pub fn release(mut self) -> Result<(), LockError> {
        self.released = true;
        self.lease.release()
    }

    /// How often to call `heartbeat`: a fifth of the lease, so a few missed beats are survivable.
    pub fn heartbeat_interval(&self) -> Duration {
        Duration::from_secs((self.info().lease_secs / 5).max(1))
    }
}

impl fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard")
            .field("info", self.info())
            .field("released", &self.released)
            .finish()
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if !self.released {
            // Nothing can be reported from a drop; a lease that fails to release expires anyway.
            let _ = self.lease.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_holder() {
        let mut info = LockInfo::new("apply", "alice", "ci-7", "3f2a91c0-aaaa-bbbb");
        info.pid = 4242;
        info.started_at = "2026-11-23T14:00:00Z".parse().unwrap();
        assert_eq!(
            info.to_string(),
            "alice@ci-7 (pid 4242, run 3f2a91c0…) for apply since 2026-11-23T14:00:00Z"
        );
    }

    #[test]
    fn expiry_follows_the_heartbeat_not_the_start() {
        let mut info = LockInfo::new("apply", "a", "h", "r");
        let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        info.started_at = t0 - chrono::Duration::hours(5);
        info.heartbeat_at = t0;
        info.lease_secs = 300;
        assert!(!info.is_expired(t0 + chrono::Duration::seconds(300)));
        assert!(info.is_expired(t0 + chrono::Duration::seconds(301)));
    }
}
