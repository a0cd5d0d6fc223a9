//! The `StateStore` trait every state backend implements (local files here, PostgreSQL in
//! `clusterform-state-pg`). It is synchronous; the async executor calls it via `spawn_blocking`.

use std::time::Duration;

use clusterform_model::{Address, ResourceState, State};

use crate::error::{LockError, StateError};
use crate::journal::{InFlight, Journal, Record};
use crate::lock::{LockGuard, LockRequest};

/// One stack's state, its lock and its journal.
///
/// The protocol an apply follows:
/// 1. `lock`. On `LockError::Expired`, read the journal (`journal().replay`), then `lock` again
///    with `LockRequest::after_journal_replay`.
/// 2. `recover`: the last written state with the journal folded in, and what was in flight.
///    Re-attach to or adopt the in-flight actions first.
/// 3. Per resource: append `Intent` / `Started` / `Checkpoint` records, then `persist_resource`
///    when it settles (one small append, not a state rewrite).
/// 4. Every N records, and at the end, `compact` with the serial bumped.
///
/// Keep the in-memory state and the journal in step: update the state and `persist_resource`
/// under one mutex, and take the snapshot for `compact` under it too. A `Completed` record
/// appended while `write` runs survives it, but one appended after the snapshot was taken and
/// before `write` started would be dropped as settled although the snapshot lacks it.
pub trait StateStore: Send + Sync {
    /// The last written state, without the journal folded in; `None` if the stack has none yet.
    fn read(&self) -> Result<Option<State>, StateError>;

    /// Writes `state` and then drops the journal's settled records (the state now holds them).
    ///
    /// Compare-and-swap on the serial: the caller passes the serial it read plus one, and the
    /// write is refused with `StateError::Conflict` if the stored serial is not the one it read,
    /// or `LineageMismatch` if the stored state is another stack's. `state` must include every
    /// `Completed` record in the journal (start from `recover`), or the journal's settled changes
    /// are lost. A stored state that cannot be read (corrupt, newer format) is never overwritten.
    /// An error from the journal step comes after the state was replaced: `read` shows which
    /// serial is stored.
    fn write(&self, state: &State) -> Result<(), StateError>;

    /// Takes the state lock, waiting up to `timeout` while a live lease holds it; see
    /// [`crate::lock`] for how expired leases are treated.
    fn lock(&self, request: LockRequest, timeout: Duration) -> Result<LockGuard, LockError>;

    /// Breaks the lock, but only if it is held under `id` (so a stale command cannot break a
    /// newer run's lock).
    fn force_unlock(&self, id: &str) -> Result<(), LockError>;

    fn journal(&self) -> &dyn Journal;

    /// Records that the resource at `address` settled as `resource` (`None`: deleted) by
    /// appending one `Completed` record: O(size of the change), whatever the size of the state.
    /// The resource must already be scrubbed of sensitive attributes (`crate::scrub_resource`).
    fn persist_resource(
        &self,
        address: &Address,
        resource: Option<&ResourceState>,
    ) -> Result<(), StateError> {
        self.journal().append(&Record::Completed {
            address: address.clone(),
            resource: resource.cloned(),
        })
    }

    /// Folds the journal into the state file: the same as `write`, named for what the executor
    /// uses it for. The serial must be bumped as for `write`.
    fn compact(&self, state: &State) -> Result<(), StateError> {
        self.write(state)
    }

    /// The last written state with the journal folded in, and the actions still in flight.
    /// When nothing was written yet, the journal is folded onto `if_absent` (a new empty state
    /// with a fresh lineage): a first apply killed before its first compaction is recovered too.
    fn recover(&self, if_absent: State) -> Result<(State, Vec<InFlight>), StateError> {
        let base = self.read()?.unwrap_or(if_absent);
        self.journal().replay_onto(base)
    }
}
