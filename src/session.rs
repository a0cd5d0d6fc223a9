//! What every state-touching command shares: opening the stack's state store, taking the lock
//! (as a lease, with journal replay before taking over an expired one), building the configured
//! providers (starting the embedded emulator for `sandbox = true`), refresh and planning.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use clusterform_config::{BackendConfig, Config};
use clusterform_executor::{Budgets, DataRequest, Providers, RefreshOptions, RefreshResult};
use clusterform_model::{Address, Attrs, Plan, State, Value};
use clusterform_planner::{HookMap, PlanInput, PlanOptions};
use clusterform_provider::{Provider, RateLimit};
use clusterform_state::{
    InFlight, LocalStore, LockError, LockGuard, LockInfo, LockRequest, StateStore,
};

use crate::cli::LockArgs;
use crate::stack::{parse_duration, Stack};

/// Time scale of the embedded sandbox: a simulated 8-minute cluster create takes 8 s.
const SANDBOX_TIME_SCALE: f64 = 60.0;
const SANDBOX_AK: &str = "sandbox-ak";
const SANDBOX_SK: &str = "sandbox-sk";

/// The directory of the local backend for a stack.
pub fn state_dir(config: &Config, stack_dir: &Path) -> Result<PathBuf> {
    match &config.backend {
        BackendConfig::Local { path: Some(p) } if p.is_absolute() => Ok(p.clone()),
        BackendConfig::Local { path: Some(p) } => Ok(stack_dir.join(p)),
        BackendConfig::Local { path: None } => Ok(PathBuf::from("state")),
        BackendConfig::Postgres { .. } => {
            bail!("the postgres backend is not available in this build\nhint: use `[backend] type = \"local\"`")
        }
    }
}

pub fn open_store(stack: &Stack) -> Result<LocalStore> {
    let dir = state_dir(&stack.config, &stack.dir)?;
    LocalStore::new(&dir, &stack.config.stack_name).with_context(|| {
        format!(
            "failed to open the state of stack `{}` in {}",
            stack.config.stack_name,
            dir.display()
        )
    })
}

/// Takes the state lock unless `--lock=false`. An expired lease is taken over only after the
/// journal has been read (the caller replays it right after, under the lock).
pub fn lock(store: &LocalStore, args: &LockArgs, operation: &str) -> Result<Option<LockGuard>> {
    if !args.lock {
        return Ok(None);
    }
    let timeout = parse_duration(&args.lock_timeout)?;
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into());
    let run_id = uuid::Uuid::new_v4().to_string();
    let mut info = LockInfo::new(operation, user, host, run_id);
    // CLUSTERFORM_LOCK_LEASE (e.g. `2s`, `10m`) shortens or lengthens the lease; tests use it.
    if let Ok(v) = std::env::var("CLUSTERFORM_LOCK_LEASE") {
        info.lease_secs = parse_duration(&v)?.as_secs().max(1);
    }
    match store.lock(LockRequest::new(info.clone()), timeout) {
        Ok(g) => Ok(Some(g)),
        Err(LockError::Expired { .. }) => {
            // The holder's lease ran out: read what its journal says before taking over, so
            // whatever it had in flight is resumed by this run.
            store
                .journal()
                .records()
                .context("failed to read the journal before taking over an expired lock")?;
            let g = store
                .lock(LockRequest::new(info).after_journal_replay(), timeout)
                .map_err(|e| anyhow!("{e}"))?;
            Ok(Some(g))
        }
        Err(e) => Err(anyhow!("{e}")),
    }
}

/// The recorded state with the journal replayed onto it, and what was in flight.
pub fn recover(store: &LocalStore) -> Result<(State, Vec<InFlight>)> {
    let fresh = State::new(uuid::Uuid::new_v4().to_string());
    store.recover(fresh).map_err(|e| anyhow!("{e}"))
}

/// A running embedded emulator (kept alive for the command's duration).
pub struct Sandbox {
    pub emulator: clusterform_emulator::RunningEmulator,
    /// Simulated time runs this many times faster than real time.
    pub time_scale: f64,
}

/// How often operations are polled: the executor's defaults (5 s floor, slowing with age), scaled
/// down when the cloud is the sandbox running simulated time faster, or floored by
/// `CLUSTERFORM_POLL_MIN` (e.g. `200ms`, for a fast emulator started by hand or by tests).
pub fn poll_options(sandbox: Option<&Sandbox>) -> clusterform_executor::PollOptions {
    let mut p = clusterform_executor::PollOptions::default();
    if let Some(sb) = sandbox {
        p.min_interval = p
            .min_interval
            .div_f64(sb.time_scale)
            .max(std::time::Duration::from_millis(50));
        p.max_interval = p.max_interval.div_f64(sb.time_scale).max(p.min_interval);
    }
    if let Some(min) = std::env::var("CLUSTERFORM_POLL_MIN")
        .ok()
        .and_then(|v| parse_poll_floor(&v))
    {
        p.min_interval = min;
        p.max_interval = p.max_interval.max(min);
    }
    p
}

/// `250ms`, `2s` or plain seconds.
fn parse_poll_floor(text: &str) -> Option<std::time::Duration> {
    let t = text.trim();
    if let Some(ms) = t.strip_suffix("ms") {
        return ms
            .trim()
            .parse::<u64>()
            .ok()
            .map(std::time::Duration::from_millis);
    }
    t.trim_end_matches('s')
        .parse::<f64>()
        .ok()
        .filter(|s| *s >= 0.0)
        .map(std::time::Duration::from_secs_f64)
}

/// The configured providers, by name. Starts the embedded emulator when a provider says
/// `sandbox = true`.
pub async fn providers(
    stack: &Stack,
    sandbox: &mut Option<Sandbox>,
) -> Result<BTreeMap<String, Arc<clusterform_provider_huawei::HuaweiProvider>>> {
    let mut out = BTreeMap::new();
    for (name, p) in &stack.config.providers {
        if name != "huawei" {
            bail!("provider `{name}` is not available in this build");
        }
        let mut settings = p.settings.clone();
        let is_sandbox = settings
            .get("sandbox")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let creds = if is_sandbox {
            let sb = match sandbox {
                Some(s) => s,
                None => sandbox.insert(start_sandbox(stack).await?),
            };
            let url = sb
                .emulator
                .huawei_url()
                .ok_or_else(|| anyhow!("the sandbox emulator serves no Huawei API"))?;
            settings.insert("endpoint".into(), Value::String(url));
            clusterform_provider_huawei::Credentials::ak_sk(SANDBOX_AK, SANDBOX_SK)
        } else {
            let ak = std::env::var("HUAWEICLOUD_SDK_AK")
                .ok()
                .filter(|v| !v.is_empty());
            let sk = std::env::var("HUAWEICLOUD_SDK_SK")
                .ok()
                .filter(|v| !v.is_empty());
            match (ak, sk) {
                (Some(ak), Some(sk)) => clusterform_provider_huawei::Credentials::ak_sk(ak, sk),
                _ => bail!(
                    "no Huawei Cloud credentials\nhint: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or `sandbox = true` in [providers.huawei] to use the embedded emulator"
                ),
            }
        };
        let provider = clusterform_provider_huawei::HuaweiProvider::new(&settings, creds)
            .map_err(|e| anyhow!("provider `{name}` ({}): {e}", p.span.file.display()))?
            .with_base_dir(stack.dir.clone());
        out.insert(name.clone(), Arc::new(provider));
    }
    Ok(out)
}

async fn start_sandbox(stack: &Stack) -> Result<Sandbox> {
    let dir = state_dir(&stack.config, &stack.dir)?.join("sandbox");
    std::fs::create_dir_all(&dir).with_context(|| format!("failed to create {}", dir.display()))?;
    let time_scale = std::env::var("CLUSTERFORM_SANDBOX_TIME_SCALE")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| *v > 0.0)
        .unwrap_or(SANDBOX_TIME_SCALE);
    let opts = clusterform_emulator::EmulatorOptions {
        huawei: Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
        access_key: SANDBOX_AK.into(),
        secret_key: SANDBOX_SK.into(),
        time_scale,
        state_file: Some(dir.join("huawei.json")),
        ..Default::default()
    };
    let emulator = clusterform_emulator::serve(opts)
        .await
        .map_err(|e| anyhow!("failed to start the sandbox emulator: {e}"))?;
    crate::output::info(&format!(
        "sandbox: embedded Huawei emulator at {} (world kept in {})",
        emulator.huawei_url().unwrap_or_default(),
        dir.display()
    ));
    Ok(Sandbox {
        emulator,
        time_scale,
    })
}

/// Fetches each provider's plan-time catalog; throttling and transient failures are retried with
/// exponential backoff (honouring `Retry-After`), as every other cloud call is.
pub async fn prepare_plans(
    providers: &BTreeMap<String, Arc<clusterform_provider_huawei::HuaweiProvider>>,
) -> Result<()> {
    for (name, p) in providers {
        let mut delay = std::time::Duration::from_millis(500);
        let mut attempt = 1;
        loop {
            match p.prepare_plan().await {
                Ok(()) => break,
                Err(e) if e.is_retryable() && attempt < 8 => {
                    let wait = match &e {
                        clusterform_provider::ProviderError::Throttled {
                            retry_after: Some(d),
                            ..
                        } => (*d).max(delay),
                        _ => delay,
                    };
                    crate::output::info(&format!(
                        "provider `{name}`: {e}; retrying in {:.1}s",
                        wait.as_secs_f64()
                    ));
                    tokio::time::sleep(wait).await;
                    delay = (delay * 2).min(std::time::Duration::from_secs(30));
                    attempt += 1;
                }
                Err(e) => return Err(anyhow!("provider `{name}`: {e}")),
            }
        }
    }
    Ok(())
}

/// Providers as the executor takes them, and the rate budgets from `rate_limit` settings.
pub fn executor_providers(
    stack: &Stack,
    providers: &BTreeMap<String, Arc<clusterform_provider_huawei::HuaweiProvider>>,
) -> (Providers, Budgets) {
    let mut out: Providers = BTreeMap::new();
    let mut overrides = BTreeMap::new();
    for (name, p) in providers {
        out.insert(name.clone(), p.clone() as Arc<dyn Provider>);
        let rate = stack
            .config
            .providers
            .get(name)
            .and_then(|c| c.settings.get("rate_limit"))
            .and_then(|v| match v {
                Value::Float(f) => Some(*f),
                Value::Int(i) => Some(*i as f64),
                _ => None,
            });
        if let Some(per_second) = rate.filter(|r| *r > 0.0) {
            overrides.insert(
                name.clone(),
                RateLimit {
                    per_second,
                    burst: (per_second.ceil() as u32).max(1) * 2,
                },
            );
        }
    }
    (out, Budgets::new(overrides))
}

/// Data sources to read during refresh: those whose arguments are known without apply.
pub fn data_requests(config: &Config) -> Vec<DataRequest> {
    let values = clusterform_planner::PlannedValues::new(std::iter::empty());
    config
        .data
        .iter()
        .filter_map(|d| {
            let mut args = Attrs::new();
            for (k, e) in &d.attrs {
                args.insert(k.clone(), values.eval(&e.value).ok()?);
            }
            Some(DataRequest {
                address: d.address.clone(),
                provider: d.provider.clone(),
                args,
            })
        })
        .collect()
}

/// Everything planning needs besides config and state.
pub struct PlanContext {
    pub refreshed: State,
    pub data: BTreeMap<Address, Attrs>,
    pub fingerprints: BTreeMap<Address, String>,
}

impl PlanContext {
    pub fn offline(state: &State) -> Self {
        PlanContext {
            refreshed: state.clone(),
            data: BTreeMap::new(),
            fingerprints: BTreeMap::new(),
        }
    }

    pub fn from_refresh(r: RefreshResult) -> Self {
        PlanContext {
            refreshed: r.state,
            data: r.data,
            fingerprints: r.fingerprints,
        }
    }
}

/// `make_plan` without the cloud: recorded state only, answered by each provider's offline hooks
/// (version aliases, upgrade paths from the built-in catalog). `ctx` is usually
/// `PlanContext::offline(state)`; `plan --refresh=false` passes one that owns the state instead of
/// copying it.
pub fn make_offline_plan(
    stack: &Stack,
    prior: &State,
    ctx: &PlanContext,
    options: &PlanOptions,
) -> Result<Plan> {
    let huawei = clusterform_provider_huawei::HuaweiHooks::new();
    let hooks: HookMap = std::iter::once((
        "huawei".to_string(),
        &huawei as &dyn clusterform_model::PlanHooks,
    ))
    .collect();
    make_plan(stack, prior, ctx, &hooks, options)
}

/// Runs the pure planner; plan errors become one error listing them all.
pub fn make_plan(
    stack: &Stack,
    prior: &State,
    ctx: &PlanContext,
    hooks: &HookMap,
    options: &PlanOptions,
) -> Result<Plan> {
    let schemas = crate::providers::schemas();
    clusterform_planner::plan(&PlanInput {
        config: &stack.config,
        prior,
        refreshed: &ctx.refreshed,
        data: &ctx.data,
        schemas: &schemas,
        hooks,
        fingerprints: &ctx.fingerprints,
        options,
    })
    .map_err(|errs| {
        // The stack's files again, only for the snippets under each error's place.
        let files = crate::stack::read_files(&stack.dir).unwrap_or_default();
        anyhow!("{}", errs.render(&files))
    })
}

/// Parses `--target`/`--replace` style address flags.
pub fn addresses(flag: &str, values: &[String]) -> Result<Vec<Address>> {
    values
        .iter()
        .map(|v| v.parse::<Address>().map_err(|e| anyhow!("{flag} {v}: {e}")))
        .collect()
}

pub fn refresh_options(
    budgets: &Budgets,
    data: Vec<DataRequest>,
    events: Arc<dyn clusterform_executor::Events>,
) -> RefreshOptions {
    RefreshOptions {
        budgets: budgets.clone(),
        data,
        events,
        ..Default::default()
    }
}
