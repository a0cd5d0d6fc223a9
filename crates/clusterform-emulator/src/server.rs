//! Binding, spawning and shutting down the emulator, with periodic atomic persistence.

use crate::clock::{Clock, SystemClock};
use crate::faults::{FaultConfig, FaultState};
use crate::huawei::{self, model::Durations, model::Limits, HuaweiOptions};
use crate::persist::{self, PersistError};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A sink for log lines (the binary writes them to stderr).
pub type Logger = Arc<dyn Fn(&str) + Send + Sync>;

/// Everything `serve` needs.
#[derive(Clone)]
pub struct EmulatorOptions {
    /// Address for the Huawei API (`127.0.0.1:0` picks a port); `None` = not served.
    pub huawei: Option<SocketAddr>,
    /// Accepted access key.
    pub access_key: String,
    /// Its secret key.
    pub secret_key: String,
    /// Accepted `X-Auth-Token`, if any.
    pub token: Option<String>,
    /// Simulated durations are divided by this.
    pub time_scale: f64,
    /// Where the world persists across restarts.
    pub state_file: Option<PathBuf>,
    /// Fault injection.
    pub faults: FaultConfig,
    /// RNG seed for faults.
    pub seed: u64,
    /// Simulated durations.
    pub durations: Durations,
    /// Quotas.
    pub limits: Limits,
    /// How often a changed world is written.
    pub persist_interval: Duration,
    /// Clock (default: the system clock).
    pub clock: Arc<dyn Clock>,
    /// Log sink.
    pub log: Option<Logger>,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        Self {
            huawei: None,
            access_key: "sandbox-ak".into(),
            secret_key: "sandbox-sk".into(),
            token: None,
            time_scale: 1.0,
            state_file: None,
            faults: FaultConfig::default(),
            seed: 0,
            durations: Durations::default(),
            limits: Limits::default(),
            persist_interval: Duration::from_millis(500),
            clock: Arc::new(SystemClock),
            log: None,
        }
    }
}

impl std::fmt::Debug for EmulatorOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorOptions")
            .field("huawei", &self.huawei)
            .field("access_key", &self.access_key)
            .field("time_scale", &self.time_scale)
            .field("state_file", &self.state_file)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

/// Errors starting the emulator.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Could not bind.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address.
        addr: SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
    /// The state file could not be read.
    #[error(transparent)]
    State(#[from] PersistError),
    /// Nothing to serve.
    #[error("no cloud to serve: give at least one address (e.g. --huawei 127.0.0.1:0)")]
    NothingToServe,
}

/// The persisted file: one key per cloud.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Persisted {
    #[serde(default)]
    huawei: huawei::model::State,
}

/// A running emulator.
#[derive(Debug)]
pub struct RunningEmulator {
    /// Bound Huawei address.
    pub huawei: Option<SocketAddr>,
    /// The Huawei world (for in-process inspection).
    pub huawei_world: Option<Arc<huawei::World>>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningEmulator {
    /// `http://addr` of the Huawei API.
    pub fn huawei_url(&self) -> Option<String> {
        self.huawei.map(|a| format!("http://{a}"))
    }

    /// The single JSON line the binary prints, e.g. `{"huawei":"http://127.0.0.1:43121"}`.
    pub fn ready_line(&self) -> String {
        let mut m = serde_json::Map::new();
        if let Some(u) = self.huawei_url() {
            m.insert("huawei".into(), serde_json::Value::String(u));
        }
        serde_json::Value::Object(m).to_string()
    }

    /// Stops serving, then writes the state file one last time.
    pub async fn shutdown(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Waits until the server stops by itself (it only stops on `shutdown`).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

fn log(opts: &EmulatorOptions, line: &str) {
    if let Some(l) = &opts.log {
        l(line);
    }
}

/// The Huawei CCE Autopilot API as a router over a new, empty world built from `opts`
/// (credentials, time scale, durations, limits, faults and their seed, clock, request log): tests
/// call it in-process with `tower::ServiceExt::oneshot` or serve it on `127.0.0.1:0`. The state
/// file and the listening address are [`serve`]'s business and are ignored here.
pub fn app(opts: &EmulatorOptions) -> axum::Router {
    with_log(
        opts,
        huawei::router(Arc::new(world(opts, Default::default()))),
    )
}

fn world(opts: &EmulatorOptions, state: huawei::model::State) -> huawei::World {
    let hopts = HuaweiOptions {
        access_key: opts.access_key.clone(),
        secret_key: opts.secret_key.clone(),
        token: opts.token.clone(),
        time_scale: opts.time_scale,
        durations: opts.durations,
        limits: opts.limits,
        ..HuaweiOptions::default()
    };
    let faults = FaultState::new(opts.faults.clone(), opts.seed);
    huawei::World::new(hopts, opts.clock.clone(), state, faults)
}

/// `app` with the request log of `opts.log`, when set.
fn with_log(opts: &EmulatorOptions, app: axum::Router) -> axum::Router {
    let Some(l) = opts.log.clone() else {
        return app;
    };
    app.layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let l = l.clone();
            async move {
                let line = format!("{} {}", req.method(), req.uri());
                let resp = next.run(req).await;
                l(&format!("huawei {line} -> {}", resp.status().as_u16()));
                resp
            }
        },
    ))
}

/// Binds the configured clouds, spawns them and returns their addresses.
pub async fn serve(opts: EmulatorOptions) -> Result<RunningEmulator, ServeError> {
    let addr = opts.huawei.ok_or(ServeError::NothingToServe)?;
    let persisted: Persisted = match &opts.state_file {
        Some(p) => persist::load(p)?.unwrap_or_default(),
        None => Persisted::default(),
    };
    let world = Arc::new(world(&opts, persisted.huawei));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| ServeError::Bind { addr, source })?;
    let app = with_log(&opts, huawei::router(world.clone()));
    log(&opts, &format!("huawei listening on http://{bound}"));
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let state_file = opts.state_file.clone();
    let interval = opts.persist_interval;
    let logger = opts.log.clone();
    let w = world.clone();
    let task = tokio::spawn(async move {
        let save = |w: &huawei::World| {
            if let Some(p) = &state_file {
                let data = Persisted {
                    huawei: w.snapshot(),
                };
                if let Err(e) = persist::save(p, &data) {
                    if let Some(l) = &logger {
                        l(&format!("persist failed: {e}"));
                    }
                }
            }
        };
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = stop_rx.await;
        });
        let mut server = std::pin::pin!(std::future::IntoFuture::into_future(server));
        let mut tick = tokio::time::interval(interval);
        loop {
            tokio::select! {
                _ = &mut server => break,
                _ = tick.tick() => {
                    if w.take_dirty() {
                        save(&w);
                    }
                }
            }
        }
        save(&w);
    });
    Ok(RunningEmulator {
        huawei: Some(bound),
        huawei_world: Some(world),
        stop: Some(stop_tx),
        task,
    })
}
