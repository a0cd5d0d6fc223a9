//! `refresh`: reads every recorded resource (and the requested data sources) from the cloud in
//! parallel, each provider within its rate budget, and reports drift, fingerprints and objects
//! that are gone.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use clusterform_model::{Address, AttrChange, Attrs, ResourceSchema, ResourceState, State, Value};
use clusterform_provider::Operation;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::cancel::CancelToken;
use crate::events::{Events, NoEvents, RefreshOutcome};
use crate::rate::Budgets;
use crate::retry::{CallError, Caller, RetryOptions};
use crate::Providers;

/// A data source to read during refresh, with its (known) arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct DataRequest {
    pub address: Address,
    pub provider: String,
    pub args: Attrs,
}

/// How to refresh.
#[derive(Clone)]
pub struct RefreshOptions {
    /// Reads in flight at once.
    pub parallelism: usize,
    pub budgets: Budgets,
    pub events: Arc<dyn Events>,
    pub retry: RetryOptions,
    pub cancel: CancelToken,
    pub data: Vec<DataRequest>,
    /// Limit for one read, retries included.
    pub read_timeout: Duration,
}

impl Default for RefreshOptions {
    fn default() -> Self {
        RefreshOptions {
            parallelism: 20,
            budgets: Budgets::default(),
            events: Arc::new(NoEvents),
            retry: RetryOptions::default(),
            cancel: CancelToken::new(),
            data: Vec::new(),
            read_timeout: Duration::from_secs(300),
        }
    }
}

/// What refresh found.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshResult {
    /// The state with every object as read now; objects that are gone are dropped.
    pub state: State,
    /// Per resource, how the cloud differs from what was recorded (changed outside clusterform).
    pub drift: BTreeMap<Address, Vec<AttrChange>>,
    pub fingerprints: BTreeMap<Address, String>,
    /// Data-source results.
    pub data: BTreeMap<Address, Attrs>,
    /// Recorded objects the cloud no longer has.
    pub gone: Vec<Address>,
    /// Operations the cloud is running on objects right now (e.g. an upgrade left by a crash).
    pub running: BTreeMap<Address, Operation>,
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("failed to refresh {}", failures.iter().map(|(a, m)| format!("{a}: {m}")).collect::<Vec<_>>().join("; "))]
    Failed { failures: Vec<(Address, String)> },
    #[error("refresh was cancelled")]
    Cancelled,
}

enum Found {
    Resource(Box<ResourceState>, Option<(String, Option<Operation>)>),
    Data(Attrs),
}

/// Refreshes `state`. Fails if any read fails for good (after retries), naming every one.
pub async fn refresh(
    state: &State,
    providers: &Providers,
    opts: RefreshOptions,
) -> Result<RefreshResult, RefreshError> {
    let permits = Arc::new(Semaphore::new(opts.parallelism.max(1)));
    let mut set: JoinSet<(Address, Result<Found, String>)> = JoinSet::new();
    let mut failures = Vec::new();
    let reads = state.resources.values().map(|r| {
        (
            r.address.clone(),
            r.provider.clone(),
            Some(r.clone()),
            Attrs::new(),
        )
    });
    let data = opts
        .data
        .iter()
        .map(|d| (d.address.clone(), d.provider.clone(), None, d.args.clone()));
    for (address, provider_name, recorded, args) in reads.chain(data) {
        let Some(provider) = providers.get(&provider_name).cloned() else {
            failures.push((
                address,
                format!("provider `{provider_name}` is not configured"),
            ));
            continue;
        };
        let caller = Caller {
            bucket: opts.budgets.bucket(&provider_name, provider.rate_limit()),
            retry: opts.retry,
            events: opts.events.clone(),
            provider: provider_name,
            address: address.clone(),
            cancel: opts.cancel.subscribe(),
            deadline: Instant::now() + opts.read_timeout,
        };
        let permits = permits.clone();
        let lineage = state.lineage.clone();
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            caller.events.refresh_started(&address);
            let t = address.type_name.clone();
            let result = match recorded {
                Some(rs) => match provider.resource(&t) {
                    Some(rt) => match caller.call(|| rt.read(&rs.id, &rs.attributes), true).await {
                        Ok(Some(r)) => {
                            // What the cloud says, with the recorded `sensitive_attrs` carried
                            // forward and sealed again before anything can be written.
                            let mut live = ResourceState {
                                id: r.id,
                                attributes: r.attrs,
                                ..rs
                            };
                            crate::seal::seal(&mut live, &lineage, Some(rt.schema()));
                            Ok(Found::Resource(
                                Box::new(live),
                                Some((r.fingerprint, r.running)),
                            ))
                        }
                        Ok(None) => Ok(Found::Resource(Box::new(rs), None)),
                        Err(e) => Err(describe(e)),
                    },
                    None => Err(format!("no resource type `{t}`")),
                },
                None => match provider.data_source(&t) {
                    Some(ds) => caller
                        .call(|| ds.read(&args), true)
                        .await
                        .map(Found::Data)
                        .map_err(describe),
                    None => Err(format!("no data source `{t}`")),
                },
            };
            (address, result)
        });
    }
    let mut out = RefreshResult {
        state: State {
            resources: BTreeMap::new(),
            ..state.clone()
        },
        drift: BTreeMap::new(),
        fingerprints: BTreeMap::new(),
        data: BTreeMap::new(),
        gone: Vec::new(),
        running: BTreeMap::new(),
    };
    while let Some(joined) = set.join_next().await {
        let (address, result) = match joined {
            Ok(r) => r,
            Err(e) => {
                failures.push((Address::managed("internal", "task"), e.to_string()));
                continue;
            }
        };
        let outcome = match result {
            Err(message) => {
                failures.push((address.clone(), message));
                RefreshOutcome::Failed
            }
            Ok(Found::Data(attrs)) => {
                out.data.insert(address.clone(), attrs);
                RefreshOutcome::Unchanged
            }
            Ok(Found::Resource(rs, None)) => {
                out.gone.push(rs.address.clone());
                RefreshOutcome::Gone
            }
            Ok(Found::Resource(live, Some((fingerprint, running)))) => {
                let recorded = state.get(&address).map(|r| &r.attributes);
                let schema = providers
                    .get(&live.provider)
                    .and_then(|p| p.resource(&address.type_name))
                    .map(|r| r.schema().clone());
                let mut drift = recorded
                    .map(|r| diff(r, &live.attributes, schema.as_ref()))
                    .unwrap_or_default();
                for d in drift.iter_mut() {
                    let root = d.path.split('.').next().unwrap_or_default();
                    d.sensitive |= live.sensitive_attrs.iter().any(|n| n == root);
                }
                out.fingerprints.insert(address.clone(), fingerprint);
                if let Some(op) = running {
                    out.running.insert(address.clone(), op);
                }
                out.state.resources.insert(address.clone(), *live);
                if drift.is_empty() {
                    RefreshOutcome::Unchanged
                } else {
                    out.drift.insert(address.clone(), drift);
                    RefreshOutcome::Drifted
                }
            }
        };
        opts.events.refresh_finished(&address, outcome);
    }
    if opts.cancel.level() != crate::CancelLevel::None {
        return Err(RefreshError::Cancelled);
    }
    if !failures.is_empty() {
        failures.sort_by(|a, b| a.0.cmp(&b.0));
        return Err(RefreshError::Failed { failures });
    }
    out.gone.sort();
    Ok(out)
}

fn describe(e: CallError) -> String {
    match e {
        CallError::Provider(e) => e.to_string(),
        CallError::Interrupted => "cancelled".into(),
        CallError::TimedOut => "timed out".into(),
    }
}

/// Attribute differences from `before` to `after`; maps differ key by key (`tags.env`).
pub fn diff(before: &Attrs, after: &Attrs, schema: Option<&ResourceSchema>) -> Vec<AttrChange> {
    let sensitive = |k: &str| schema.and_then(|s| s.attr(k)).is_some_and(|a| a.sensitive);
    let mut out = Vec::new();
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for k in keys {
        let (b, a) = (before.get(k), after.get(k));
        if b == a {
            continue;
        }
        if let (Some(Value::Map(bm)), Some(Value::Map(am))) = (b, a) {
            let inner: std::collections::BTreeSet<&String> = bm.keys().chain(am.keys()).collect();
            for ik in inner.into_iter().filter(|ik| bm.get(*ik) != am.get(*ik)) {
                out.push(AttrChange {
                    path: format!("{k}.{ik}"),
                    before: bm.get(ik).cloned(),
                    after: am.get(ik).cloned(),
                    sensitive: sensitive(k),
                    forces_replace: false,
                });
            }
            continue;
        }
        out.push(AttrChange {
            path: k.clone(),
            before: b.cloned(),
            after: a.cloned(),
            sensitive: sensitive(k),
            forces_replace: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_goes_key_by_key_in_maps() {
        let m = |pairs: &[(&str, &str)]| {
            Value::Map(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), Value::str(*v)))
                    .collect(),
            )
        };
        let before = Attrs::from([
            ("tags".to_string(), m(&[("a", "1"), ("b", "2")])),
            ("v".to_string(), Value::Int(1)),
        ]);
        let after = Attrs::from([
            ("tags".to_string(), m(&[("a", "1"), ("b", "3"), ("c", "4")])),
            ("v".to_string(), Value::Int(1)),
        ]);
        let d = diff(&before, &after, None);
        let paths: Vec<&str> = d.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["tags.b", "tags.c"]);
        assert_eq!(d[1].before, None);
        assert!(diff(&before, &before, None).is_empty());
    }
}
