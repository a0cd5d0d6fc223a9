//! Async refresh and apply for clusterform: walks a plan's dependency graph with bounded
//! parallelism, keeps each provider within its rate budget (calls and polls alike), backs off on
//! throttling and transient errors, polls long operations sparingly, journals every step so an
//! interrupted apply resumes without duplicating anything, and stops cleanly on cancellation.
//! Reports progress through the `Events` trait and persistence through the `ApplySink` trait.

mod action;
mod apply;
mod cancel;
mod events;
mod graph;
mod journal;
mod lookup;
mod poll;
mod rate;
mod refresh;
mod resolve;
mod retry;
mod seal;
mod state_journal;

use std::collections::BTreeMap;
use std::sync::Arc;

use clusterform_provider::Provider;

pub use apply::{apply, ApplyError, ApplyOptions, ApplyReport, Failure};
pub use cancel::{CancelLevel, CancelToken};
pub use events::{Events, NoEvents, RefreshOutcome};
pub use journal::{
    replay, ApplySink, Checkpoint, InFlight, Intent, MemoryJournal, Record, SinkError, Step,
};
pub use lookup::{adopt, import, Adoption, LookupError, LookupOptions};
pub use poll::{next_interval, PollOptions};
pub use rate::{Budgets, TokenBucket};
pub use refresh::{diff, refresh, DataRequest, RefreshError, RefreshOptions, RefreshResult};
pub use resolve::{known_values, PlannedValues, Resolve};
pub use retry::RetryOptions;
pub use state_journal::{in_flight_from, StateJournal};

/// The configured providers of a run, by name (`Change::provider`, `ResourceState::provider`).
pub type Providers = BTreeMap<String, Arc<dyn Provider>>;
