//! The errors of this crate: state files that cannot be read or written, journals, and locks.
//!
//! Messages are lowercase fragments that read after "failed to …"; each that a user can act on
//! ends with a `hint:` line.

use std::path::PathBuf;

use crate::lock::LockInfo;

/// What went wrong reading, decoding or writing a state file or its journal.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The bytes are not JSON at all (truncated, binary garbage, a merge conflict...).
    #[error("state file {origin} is not valid JSON at line {line} col {column}: {message}\nhint: {hint}")]
    Corrupt {
        origin: String,
        line: usize,
        column: usize,
        message: String,
        hint: String,
    },

    /// JSON, but without a `format_version`: not something clusterform wrote.
    #[error("state file {origin} is not a clusterform state file: {message}\nhint: {hint}")]
    NotState {
        origin: String,
        message: String,
        hint: String,
    },

    /// Written by a newer clusterform whose format this one does not know.
    #[error(
        "state file {origin} is format {found} but this clusterform reads up to {supported}\n\
         hint: upgrade clusterform"
    )]
    TooNew {
        origin: String,
        found: u64,
        supported: u64,
    },

    /// The JSON does not have the shape its `format_version` promises.
    #[error(
        "state file {origin} does not match state format {version} at line {line} col {column}: \
         {message}\nhint: {hint}"
    )]
    Invalid {
        origin: String,
        version: u64,
        line: usize,
        column: usize,
        message: String,
        hint: String,
    },

    /// The shape is right but a value is not (an unparsable address, a resource listed twice).
    #[error("state file {origin} holds {problem}\nhint: {hint}")]
    BadContent {
        origin: String,
        problem: String,
        hint: String,
    },

    /// Compare-and-swap refusal: someone wrote the state since the caller read it.
    #[error(
        "state {path} changed since it was read: it is at serial {found}, this write expects \
         {expected}\nhint: run the command again so it works from the current state"
    )]
    Conflict {
        path: PathBuf,
        expected: u64,
        found: u64,
    },

    /// The stored state belongs to another stack's history.
    #[error(
        "state {path} has lineage {found}, this write has lineage {expected}: it is another \
         stack's state\nhint: check the stack name and backend settings"
    )]
    LineageMismatch {
        path: PathBuf,
        expected: String,
        found: String,
    },

    /// The caller forgot to bump the serial (a write must be `read serial + 1`).
    #[error("a state write needs serial at least 1 (the serial read plus one), got {serial}")]
    SerialNotBumped { serial: u64 },

    /// The state file is gone but its backup is there: starting from empty would forget
    /// everything the backup records.
    #[error(
        "state file {path} is missing but {backup} exists\nhint: rename {backup} to {path} to \
         restore it, or delete {backup} to start from an empty state"
    )]
    MissingWithBackup { path: PathBuf, backup: PathBuf },

    /// A journal line other than the last is damaged: not a torn write but real corruption.
    #[error(
        "journal {path} is damaged at line {line}: {message}\nhint: restore the journal from a \
         backup, or move it aside and run `clusterform plan` to see what the cloud holds"
    )]
    JournalCorrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },

    /// A journal written by a newer clusterform.
    #[error(
        "journal {path} line {line} is journal format {found} but this clusterform reads up to \
         {supported}\nhint: upgrade clusterform"
    )]
    JournalTooNew {
        path: PathBuf,
        line: usize,
        found: u64,
        supported: u64,
    },

    /// The stack name would escape the state directory or is empty.
    #[error("stack name `{stack}` cannot name a state file: {reason}")]
    BadStackName { stack: String, reason: String },

    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl StateError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        StateError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// What went wrong taking, renewing or breaking a state lock.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Someone holds a live lease and the timeout ran out.
    #[error(
        "state is locked by {holder}\nhint: wait, or run `clusterform force-unlock {}` if that \
         run is dead",
        holder.id
    )]
    Locked { holder: Box<LockInfo> },

    /// The holder stopped renewing its lease. Taking over is allowed only after reading the
    /// journal (`TakeoverPolicy::AfterJournalReplay`), so the dead run's in-flight operations are
    /// resumed, not repeated.
    #[error(
        "the state lock of {holder} expired (no heartbeat for over {} s)\nhint: the next run \
         reads the journal and takes over; or run `clusterform force-unlock {}`",
        holder.lease_secs,
        holder.id
    )]
    Expired { holder: Box<LockInfo> },

    /// The lock file exists but cannot be parsed and is too old to be mid-write.
    #[error(
        "lock file {path} cannot be read: {message}\nhint: if no clusterform run is in progress, \
         delete {path}"
    )]
    Corrupt { path: PathBuf, message: String },

    /// `force_unlock` was given an id that is not the holder's.
    #[error(
        "the state lock is held by {holder}, whose lock id is {}, not {requested}\nhint: copy the \
         id from the lock error",
        holder.id
    )]
    IdMismatch {
        requested: String,
        holder: Box<LockInfo>,
    },

    /// `force_unlock` found nothing to unlock.
    #[error("the state is not locked")]
    NotLocked,

    /// This guard's lease was broken (force-unlock or takeover): the run must stop writing.
    #[error(
        "lost the state lock {id}{}\nhint: another run may be changing this stack; stop and \
         run again",
        held_by_suffix(.now_held_by)
    )]
    Lost {
        id: String,
        now_held_by: Option<Box<LockInfo>>,
    },

    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn held_by_suffix(holder: &Option<Box<LockInfo>>) -> String {
    match holder {
        Some(h) => format!(": it is now held by {h}"),
        None => String::new(),
    }
}

impl LockError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        LockError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
