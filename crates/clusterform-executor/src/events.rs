//! The event trait the executor reports through (as Terraform's hooks): every method has a no-op
//! default, so the CLI implements only what its progress view or JSON event stream shows.

use std::time::Duration;

use clusterform_model::Address;

use crate::journal::Step;

/// What a refresh found for one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshOutcome {
    Unchanged,
    /// Changed outside clusterform.
    Drifted,
    /// Gone from the cloud; dropped from state.
    Gone,
    Failed,
}

/// Progress reports from refresh and apply. Called from many tasks at once: implementations
/// must be cheap and must not block.
pub trait Events: Send + Sync {
    fn action_started(&self, _address: &Address, _step: Step) {}
    /// The cloud's word for where a running operation is (e.g. `Creating`, `precheck`).
    fn phase(&self, _address: &Address, _phase: &str) {}
    /// An upgrade reached step `step` (e.g. `precheck`) of its hop `from` → `to`. By default
    /// reported as the phase `"{from} → {to}: {step}"`.
    fn upgrade_step(&self, address: &Address, from: &str, to: &str, step: &str) {
        self.phase(address, &format!("{from} → {to}: {step}"));
    }
    fn progress(&self, _address: &Address, _percent: u8) {}
    fn finished(&self, _address: &Address, _step: Step, _elapsed: Duration) {}
    fn failed(&self, _address: &Address, _step: Step, _message: &str) {}
    /// Not started because `cause` (something it depends on) failed or was skipped.
    fn skipped(&self, _address: &Address, _cause: &Address) {}
    /// A transient error; the call is retried after `delay`.
    fn retrying(&self, _address: &Address, _attempt: u32, _delay: Duration, _reason: &str) {}
    /// The provider throttled us; its calls pause for `pause`.
    fn throttled(&self, _provider: &str, _address: &Address, _pause: Duration) {}
    fn refresh_started(&self, _address: &Address) {}
    fn refresh_finished(&self, _address: &Address, _outcome: RefreshOutcome) {}
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoEvents;

impl Events for NoEvents {}
