//! A strict in-memory provider for engine tests (dev-only).
//!
//! `TestProvider` implements the provider contract over a simulated cloud whose operations take
//! (tokio) time, so tests run under `tokio::time::pause()` and finish instantly. It is strict in
//! the way jj's test backend is: a call the contract forbids (changing an object that does not
//! exist or is still being created, creating a duplicate instead of adopting through `find`,
//! polling an unknown operation, upgrade steps out of order, exceeding the declared rate budget,
//! calling before a 429's retry-after) fails with `contract violation: ...` and is recorded, so a
//! test asserts `contract_violations().is_empty()` and fails where production would misbehave.

mod types;
mod world;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use clusterform_model::{Attrs, PlanHooks, ProviderSchema, ResourceSchema};
use clusterform_provider::{DataSource, Provider, ProviderError, RateLimit, ResourceType};
use tokio::time::Instant;

pub use types::{hop, ADDON, CLUSTER, HOP_STEPS, OFFERED_VERSIONS, VERSIONS};
pub use world::{HopProgress, Object, OpKind, Status};

use types::{TestHooks, TestResource, VersionsSource};
use world::{Injected, World};

/// State shared by the provider and its resource types.
pub(crate) struct Shared {
    world: Mutex<World>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, World> {
        // A test that panicked while holding the lock has already failed; keep the world readable.
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs one API call against the world: optional latency, admission (counting, rate budget,
    /// injected faults), the call itself, then the kill-switch. A dead provider never answers.
    pub(crate) async fn call<T>(
        &self,
        method: &str,
        f: impl FnOnce(&mut World, Instant) -> Result<T, ProviderError>,
    ) -> Result<T, ProviderError> {
        let latency = self.lock().call_latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let (result, hang) = {
            let mut w = self.lock();
            if w.killed {
                (None, true)
            } else {
                let now = Instant::now();
                w.settle(now);
                let result = w.admit(method, now).and_then(|()| f(&mut w, now));
                let hang = w.crash_tick();
                (Some(result), hang)
            }
        };
        match result {
            Some(r) if !hang => r,
            _ => std::future::pending().await,
        }
    }
}

/// The strict in-memory provider. Cheap to share: wrap it in an `Arc` and hand a clone to the
/// engine while the test keeps one to inspect the world.
pub struct TestProvider {
    name: String,
    shared: Arc<Shared>,
    cluster: TestResource,
    addon: TestResource,
    versions: VersionsSource,
    hooks: TestHooks,
}

impl Default for TestProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl TestProvider {
    /// A provider named `test` with a budget of 10 calls/s (burst 20) and default durations:
    /// cluster create 10 min, update 30 s, upgrade step 5 min, delete 5 min; add-on create 2 min,
    /// update 30 s, delete 1 min.
    pub fn new() -> Self {
        Self::with_rate(
            "test",
            RateLimit {
                per_second: 10.0,
                burst: 20,
            },
        )
    }

    pub fn with_rate(name: &str, rate: RateLimit) -> Self {
        let mut world = World::new(rate);
        let m = |s: u64| Duration::from_secs(s);
        for (t, k, d) in [
            (types::CLUSTER, OpKind::Create, m(600)),
            (types::CLUSTER, OpKind::Update, m(30)),
            (types::CLUSTER, OpKind::UpgradeStep, m(300)),
            (types::CLUSTER, OpKind::Delete, m(300)),
            (types::ADDON, OpKind::Create, m(120)),
            (types::ADDON, OpKind::Update, m(30)),
            (types::ADDON, OpKind::Delete, m(60)),
        ] {
            world.durations.insert((t.to_string(), k), d);
        }
        let shared = Arc::new(Shared {
            world: Mutex::new(world),
        });
        TestProvider {
            name: name.to_string(),
            cluster: TestResource {
                shared: shared.clone(),
                schema: types::cluster_schema(),
            },
            addon: TestResource {
                shared: shared.clone(),
                schema: types::addon_schema(),
            },
            versions: VersionsSource {
                shared: shared.clone(),
                schema: types::versions_schema(),
            },
            hooks: TestHooks,
            shared,
        }
    }

    /// How long operations of `kind` on `type_name` take; zero makes the call complete at once.
    pub fn set_duration(&self, type_name: &str, kind: OpKind, d: Duration) {
        self.shared
            .lock()
            .durations
            .insert((type_name.to_string(), kind), d);
    }

    /// Overrides the duration for the object with this `name` attribute.
    pub fn set_duration_for(&self, name: &str, kind: OpKind, d: Duration) {
        self.shared
            .lock()
            .name_durations
            .insert((name.to_string(), kind), d);
    }

    /// Simulated network latency of every call.
    pub fn set_call_latency(&self, d: Duration) {
        self.shared.lock().call_latency = d;
    }

    /// The next create of `name` is refused with a permanent error.
    pub fn fail_next_create(&self, name: &str, message: &str) {
        self.shared
            .lock()
            .faults
            .fail_create
            .insert(name.to_string(), message.to_string());
    }

    /// The next create of `name` is accepted but its operation ends failed.
    pub fn fail_next_operation(&self, name: &str, message: &str) {
        self.shared
            .lock()
            .faults
            .fail_op
            .insert(name.to_string(), message.to_string());
    }

    /// The next `n` calls of `method` (any call for `None`) fail with a transient 503.
    pub fn transient_errors(&self, method: Option<&str>, n: u32) {
        self.shared.lock().faults.injected.push(Injected {
            method: method.map(str::to_string),
            remaining: n,
            throttle: None,
        });
    }

    /// The next `n` calls of `method` (any call for `None`) are throttled (429) with this
    /// retry-after; a call before it has elapsed is a contract violation.
    pub fn throttle(&self, method: Option<&str>, n: u32, retry_after: Option<Duration>) {
        let f = Injected {
            method: method.map(str::to_string),
            remaining: n,
            throttle: Some(retry_after),
        };
        self.shared.lock().faults.injected.push(f);
    }

    /// The cloud accepts the next create of `name`, then the provider dies before answering:
    /// the engine never learns the id, as when the process is killed mid-request.
    pub fn crash_on_create(&self, name: &str) {
        self.shared
            .lock()
            .faults
            .crash_on_create
            .insert(name.to_string());
    }

    /// The provider dies after `n` more calls (the n-th is carried out but never answered).
    pub fn crash_after_calls(&self, n: u64) {
        self.shared.lock().faults.crash_after_calls = Some(n.max(1));
    }

    /// Kill-switch: from now on no call answers (operations keep progressing in the world).
    pub fn kill(&self) {
        self.shared.lock().killed = true;
    }

    /// Brings the provider back, as a new engine process would find the cloud.
    pub fn revive(&self) {
        self.shared.lock().killed = false;
    }

    pub fn is_killed(&self) -> bool {
        self.shared.lock().killed
    }

    /// Every contract violation seen so far; tests assert this is empty.
    pub fn contract_violations(&self) -> Vec<String> {
        self.shared.lock().violations.clone()
    }

    /// Calls by method (`read`, `find`, `create`, `update`, `upgrade_step`, `delete`, `poll`,
    /// `data_read`), including refused ones.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.shared.lock().calls.clone()
    }

    pub fn total_calls(&self) -> u64 {
        self.shared.lock().calls.values().sum()
    }

    pub fn calls_of(&self, method: &str) -> u64 {
        self.shared.lock().calls.get(method).copied().unwrap_or(0)
    }

    /// Polls of each operation, by handle.
    pub fn polls(&self) -> BTreeMap<String, u64> {
        self.shared.lock().polls.clone()
    }

    /// The most operations that were running at once.
    pub fn max_running_ops(&self) -> usize {
        self.shared.lock().max_running_ops
    }

    /// A snapshot of every object, settled to the current time.
    pub fn world(&self) -> Vec<Object> {
        let mut w = self.shared.lock();
        w.settle(Instant::now());
        w.objects.values().cloned().collect()
    }

    /// The object of `type_name` whose `name` attribute is `name`.
    pub fn object(&self, type_name: &str, name: &str) -> Option<Object> {
        self.world()
            .into_iter()
            .find(|o| o.type_name == type_name && o.name() == Some(name))
    }

    /// Puts a ready object straight into the world (an object made by an earlier run).
    pub fn seed(&self, type_name: &str, attrs: Attrs) -> String {
        let mut w = self.shared.lock();
        let id = w.new_id(if type_name == types::CLUSTER {
            "cls"
        } else {
            "addon"
        });
        let mut attrs = attrs;
        attrs.insert("id".into(), id.as_str().into());
        let obj = Object {
            id: id.clone(),
            type_name: type_name.to_string(),
            attrs,
            status: Status::Ready,
            running_op: None,
            upgrade: None,
            revision: 0,
        };
        w.objects.insert(id.clone(), obj);
        id
    }

    /// Changes an object behind the engine's back (drift).
    pub fn tamper(&self, id: &str, attr: &str, value: clusterform_model::Value) {
        if let Some(o) = self.shared.lock().objects.get_mut(id) {
            o.attrs.insert(attr.to_string(), value);
            o.revision += 1;
        }
    }

    /// Removes an object behind the engine's back.
    pub fn remove(&self, id: &str) {
        self.shared.lock().objects.remove(id);
    }
}

#[async_trait]
impl Provider for TestProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn schema(&self) -> ProviderSchema {
        let rs = |s: &ResourceSchema| (s.type_name.clone(), s.clone());
        ProviderSchema {
            name: self.name.clone(),
            config: Vec::new(),
            resources: BTreeMap::from([rs(&self.cluster.schema), rs(&self.addon.schema)]),
            data_sources: BTreeMap::from([rs(&self.versions.schema)]),
        }
    }

    fn resource(&self, type_name: &str) -> Option<&dyn ResourceType> {
        match type_name {
            types::CLUSTER => Some(&self.cluster),
            types::ADDON => Some(&self.addon),
            _ => None,
        }
    }

    fn data_source(&self, type_name: &str) -> Option<&dyn DataSource> {
        (type_name == types::VERSIONS).then_some(&self.versions as &dyn DataSource)
    }

    fn hooks(&self) -> &dyn PlanHooks {
        &self.hooks
    }

    fn rate_limit(&self) -> RateLimit {
        self.shared.lock().rate
    }
}

#[cfg(test)]
mod tests;
