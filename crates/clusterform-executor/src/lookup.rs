//! Single reads outside a plan, made as refresh makes them (within the provider's rate budget,
//! backing off on throttling, retrying transient errors): `import` of an object by id, and
//! `adopt` of objects an interrupted run started creating but never recorded in state.

use std::sync::Arc;
use std::time::Duration;

use clusterform_model::{Address, Attrs, ResourceState, State};
use clusterform_provider::{ReadResult, ResourceType};
use tokio::time::Instant;

use crate::cancel::CancelToken;
use crate::events::{Events, NoEvents};
use crate::journal::{InFlight, Step};
use crate::rate::Budgets;
use crate::retry::{CallError, Caller, RetryOptions};
use crate::Providers;

/// How single reads are made.
#[derive(Clone)]
pub struct LookupOptions {
    pub budgets: Budgets,
    pub events: Arc<dyn Events>,
    pub retry: RetryOptions,
    pub cancel: CancelToken,
    /// Limit for one read, retries included.
    pub read_timeout: Duration,
}

impl Default for LookupOptions {
    fn default() -> Self {
        LookupOptions {
            budgets: Budgets::default(),
            events: Arc::new(NoEvents),
            retry: RetryOptions::default(),
            cancel: CancelToken::new(),
            read_timeout: Duration::from_secs(300),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("provider `{0}` is not configured")]
    NoProvider(String),
    #[error("provider `{provider}` has no resource type `{type_name}`")]
    NoType { provider: String, type_name: String },
    #[error("failed to read {address}: {message}")]
    Read { address: Address, message: String },
    #[error("cancelled")]
    Cancelled,
}

/// Reads the object `id` for `address` (e.g. for `import`); `Ok(None)` when the cloud has none.
/// The result has no dependencies recorded: the caller knows them from the config.
pub async fn import(
    address: &Address,
    provider_name: &str,
    id: &str,
    providers: &Providers,
    opts: &LookupOptions,
) -> Result<Option<ResourceState>, LookupError> {
    let (caller, provider) = caller(address, provider_name, providers, opts)?;
    let rt = provider
        .resource(&address.type_name)
        .ok_or_else(|| LookupError::NoType {
            provider: provider_name.to_string(),
            type_name: address.type_name.clone(),
        })?;
    let none = Attrs::new();
    let found = caller
        .call(|| rt.read(id, &none), true)
        .await
        .map_err(|e| error(address, e))?;
    Ok(found.map(|r| as_recorded(address, provider_name, r, rt)))
}

/// What `adopt` made of in-flight steps whose address is not in state.
#[derive(Debug, Default)]
pub struct Adoption {
    /// Objects found in the cloud, to record in state (so destroy deletes them).
    pub adopted: Vec<ResourceState>,
    /// Steps whose object the cloud does not have: nothing is left to clean up.
    pub absent: Vec<InFlight>,
    /// Steps that could not be looked up (no object id and no desired attributes to find it by,
    /// or the read failed), with the reason: a person must look at them.
    pub unknown: Vec<(InFlight, String)>,
}

/// Looks up the objects of in-flight creates (and other steps) an interrupted run left for
/// addresses that are not in `state`: by the journaled object id, or else through `find` with
/// the desired attributes `desired` gives for the address (the natural key, e.g. a name).
pub async fn adopt(
    state: &State,
    in_flight: &[InFlight],
    providers: &Providers,
    desired: &(dyn Fn(&Address) -> Option<Attrs> + Sync),
    opts: &LookupOptions,
) -> Result<Adoption, LookupError> {
    let mut out = Adoption::default();
    for f in in_flight {
        if state.resources.contains_key(&f.address) || f.step == Step::Read {
            continue;
        }
        if out.adopted.iter().any(|r| r.address == f.address) {
            continue;
        }
        let (caller, provider) = match caller(&f.address, &f.provider, providers, opts) {
            Ok(c) => c,
            Err(e) => {
                out.unknown.push((f.clone(), e.to_string()));
                continue;
            }
        };
        let Some(rt) = provider.resource(&f.address.type_name) else {
            out.unknown
                .push((f.clone(), "unknown resource type".into()));
            continue;
        };
        let recorded = f.attrs.clone().unwrap_or_default();
        let found = match (&f.object_id, desired(&f.address)) {
            (Some(id), _) => caller.call(|| rt.read(id, &recorded), true).await,
            (None, Some(want)) => caller.call(|| rt.find(&want), true).await,
            (None, None) => {
                out.unknown.push((
                    f.clone(),
                    "no object id was journaled and the config no longer describes it".into(),
                ));
                continue;
            }
        };
        match found {
            Ok(Some(r)) => out
                .adopted
                .push(as_recorded(&f.address, &f.provider, r, rt)),
            Ok(None) => out.absent.push(f.clone()),
            Err(CallError::Interrupted) => return Err(LookupError::Cancelled),
            Err(e) => out
                .unknown
                .push((f.clone(), error(&f.address, e).to_string())),
        }
    }
    Ok(out)
}

/// A looked-up object as state records it. Nothing is marked sensitive yet, so no lineage is
/// needed: sealing here only drops the attributes the schema calls secret.
fn as_recorded(
    address: &Address,
    provider: &str,
    r: ReadResult,
    rt: &dyn ResourceType,
) -> ResourceState {
    let mut rs = ResourceState {
        address: address.clone(),
        provider: provider.to_string(),
        id: r.id,
        attributes: r.attrs,
        dependencies: Vec::new(),
        tainted: false,
        private: serde_json::Value::Null,
        sensitive_attrs: Vec::new(),
    };
    crate::seal::seal(&mut rs, "", Some(rt.schema()));
    rs
}

fn caller(
    address: &Address,
    provider_name: &str,
    providers: &Providers,
    opts: &LookupOptions,
) -> Result<(Caller, Arc<dyn clusterform_provider::Provider>), LookupError> {
    let provider = providers
        .get(provider_name)
        .cloned()
        .ok_or_else(|| LookupError::NoProvider(provider_name.to_string()))?;
    let caller = Caller {
        bucket: opts.budgets.bucket(provider_name, provider.rate_limit()),
        retry: opts.retry,
        events: opts.events.clone(),
        provider: provider_name.to_string(),
        address: address.clone(),
        cancel: opts.cancel.subscribe(),
        deadline: Instant::now() + opts.read_timeout,
    };
    Ok((caller, provider))
}

fn error(address: &Address, e: CallError) -> LookupError {
    match e {
        CallError::Provider(e) => LookupError::Read {
            address: address.clone(),
            message: e.to_string(),
        },
        CallError::Interrupted => LookupError::Cancelled,
        CallError::TimedOut => LookupError::Read {
            address: address.clone(),
            message: "timed out".into(),
        },
    }
}
