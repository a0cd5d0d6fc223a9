//! The contract between the engine and a cloud: the `Provider` and `ResourceType` traits and their
//! request/response types. No transport here; the provider crates bring their clients.
//!
//! Every long cloud operation is modelled as an `Operation` the executor journals *before* it waits
//! on it, and polls until it settles. Upgrades are a sequence of `UpgradeHop`s, each a sequence of
//! steps; the executor calls `upgrade_step` for one step at a time, journals the returned operation
//! (workflow id, task id, ...) and resumes at the right step after a crash.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use clusterform_model::{Attrs, PlanHooks, ProviderSchema, ResourceSchema, UpgradeHop};
use serde::{Deserialize, Serialize};

/// What went wrong in a provider call. The executor decides retries by variant.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// The cloud is throttling (429) or unavailable (503); retry after the hinted delay.
    #[error("throttled by the cloud{}: {message}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    Throttled {
        message: String,
        retry_after: Option<Duration>,
    },
    /// A transient failure (5xx, connection reset, timeout); retry with backoff.
    #[error("transient error: {message}")]
    Transient { message: String },
    /// The object does not exist.
    #[error("not found: {message}")]
    NotFound { message: String },
    /// The object already exists (e.g. a duplicate name); the executor adopts it through `find`.
    #[error("already exists: {message}")]
    AlreadyExists { message: String },
    /// A permanent refusal or failure: the resource fails, its dependents are skipped.
    #[error("{message}")]
    Permanent {
        code: Option<String>,
        message: String,
        request_id: Option<String>,
    },
    /// The provider block or credentials are wrong.
    #[error("invalid provider configuration: {message}")]
    Config { message: String },
}

impl ProviderError {
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ProviderError::Throttled { .. } | ProviderError::Transient { .. }
        )
    }
}

/// A pending cloud operation: everything needed to poll it again after a crash. Serialisable so
/// the journal can hold it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// Provider-defined kind, e.g. `cluster-create`, `upgrade-task`, `precheck`.
    pub kind: String,
    /// The object the operation acts on (known as soon as the cloud answered).
    pub object_id: String,
    /// The cloud's handle: job id, task id, workflow id; empty when the object's phase is polled.
    #[serde(default)]
    pub handle: String,
    /// Anything else the provider needs to poll (target version, cluster id, ...).
    #[serde(default)]
    pub data: serde_json::Value,
}

/// What a mutating call returned.
#[derive(Debug, Clone, PartialEq)]
pub enum Started {
    /// Done synchronously; the object's attributes as now known.
    Done { id: String, attrs: Attrs },
    /// Accepted; poll `op` until it settles.
    Pending { id: String, op: Operation },
}

/// The state of a polled operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Poll {
    /// Still running; `phase` is the cloud's word for it (shown in progress), `progress` 0–100.
    Running { phase: String, progress: Option<u8> },
    /// Finished; `attrs` is the object's final state (`None` after a delete).
    Done { attrs: Option<Attrs> },
    /// Finished with a failure the cloud reported.
    Failed { message: String },
    /// Still running, and from now on to be polled as `op`, which the executor journals in place
    /// of the polled one: e.g. an upgrade task the provider retried once, with that fact in
    /// `op.data` so a resumed run does not retry it again.
    Continue { op: Operation, phase: String },
}

/// An object read from the cloud.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadResult {
    pub id: String,
    pub attrs: Attrs,
    /// A fingerprint of the object's cloud-side state (version, status, update time, running
    /// task): a saved plan records it and apply re-verifies it.
    pub fingerprint: String,
    /// An operation the cloud is running on the object right now, if any (e.g. an upgrade task),
    /// so a resumed run can wait for it instead of starting another.
    pub running: Option<Operation>,
}

/// The steps of one hop and where a resumed run is within them.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRequest<'a> {
    pub hop: &'a UpgradeHop,
    pub step_index: usize,
    /// Results of earlier steps of the same hop (e.g. the workflow id from step 0), by step name.
    pub earlier: &'a BTreeMap<String, Operation>,
}

/// Token-bucket settings for a provider's API calls (calls and polls share one budget).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: u32,
}

/// One resource type of a provider.
#[async_trait]
pub trait ResourceType: Send + Sync {
    fn schema(&self) -> &ResourceSchema;

    /// Reads an object by id; `Ok(None)` when it is gone.
    async fn read(&self, id: &str, recorded: &Attrs) -> Result<Option<ReadResult>, ProviderError>;

    /// Looks an object up by its natural key (e.g. cluster name) taken from the desired
    /// attributes, so an interrupted create is adopted rather than duplicated.
    async fn find(&self, desired: &Attrs) -> Result<Option<ReadResult>, ProviderError>;

    async fn create(&self, desired: &Attrs) -> Result<Started, ProviderError>;

    /// Applies in-place changes from `recorded` to `desired`.
    async fn update(
        &self,
        id: &str,
        recorded: &Attrs,
        desired: &Attrs,
    ) -> Result<Started, ProviderError>;

    /// Starts one step of one upgrade hop. Types without a version attribute never get this call.
    async fn upgrade_step(
        &self,
        id: &str,
        recorded: &Attrs,
        step: StepRequest<'_>,
    ) -> Result<Started, ProviderError> {
        let _ = (id, recorded, step);
        Err(ProviderError::Permanent {
            code: None,
            message: format!("{} has no upgrade procedure", self.schema().type_name),
            request_id: None,
        })
    }

    async fn delete(&self, id: &str, recorded: &Attrs) -> Result<Started, ProviderError>;

    /// Polls a pending operation.
    async fn poll(&self, op: &Operation) -> Result<Poll, ProviderError>;
}

/// One data source of a provider.
#[async_trait]
pub trait DataSource: Send + Sync {
    fn schema(&self) -> &ResourceSchema;
    async fn read(&self, args: &Attrs) -> Result<Attrs, ProviderError>;
}

/// A configured provider.
#[async_trait]
pub trait Provider: Send + Sync {
    fn name(&self) -> &str;
    fn schema(&self) -> ProviderSchema;
    fn resource(&self, type_name: &str) -> Option<&dyn ResourceType>;
    fn data_source(&self, type_name: &str) -> Option<&dyn DataSource>;

    /// Fetches what the plan-time hooks need (upgrade paths, quotas, add-on templates), once per
    /// run, before planning.
    async fn prepare_plan(&self) -> Result<(), ProviderError> {
        Ok(())
    }

    /// The synchronous hooks the planner calls; valid after `prepare_plan`.
    fn hooks(&self) -> &dyn PlanHooks;

    /// The default rate budget of this cloud; `rate_limit` in the provider block overrides it.
    fn rate_limit(&self) -> RateLimit {
        RateLimit {
            per_second: 10.0,
            burst: 20,
        }
    }
}
