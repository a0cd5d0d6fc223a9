//! The Huawei Cloud CCE Autopilot emulator: shared world, axum router, authentication,
//! fault layer and request dispatch. Operation handlers live in the sibling modules.

pub mod addons;
pub mod catalog;
pub mod chartpkg;
pub mod charts;
pub mod checks;
pub mod clusters;
pub mod error;
pub mod extras;
pub mod model;
pub mod sig;
pub mod upgrade;

mod routes;

use crate::clock::{self, Clock};
use crate::faults::{FaultConfig, FaultState, Injected};
use axum::body::{to_bytes, Body as AxBody};
use axum::extract::{Request, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use error::{ApiError, Family};
use model::{Durations, Limits, State};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Largest accepted body (AK/SK requests are limited to 12 MB by the cloud).
const MAX_BODY: usize = 12 * 1024 * 1024;

/// Settings of the Huawei emulator.
#[derive(Debug, Clone)]
pub struct HuaweiOptions {
    /// Accepted access key.
    pub access_key: String,
    /// Its secret key.
    pub secret_key: String,
    /// Accepted `X-Auth-Token`, if any.
    pub token: Option<String>,
    /// Project for requests that name none.
    pub default_project: String,
    /// Region used in endpoints and quotas.
    pub region: String,
    /// Simulated durations are divided by this.
    pub time_scale: f64,
    /// Simulated durations.
    pub durations: Durations,
    /// Quotas.
    pub limits: Limits,
    /// Allowed `X-Sdk-Date` skew.
    pub max_skew: Duration,
}

impl Default for HuaweiOptions {
    fn default() -> Self {
        Self {
            access_key: "sandbox-ak".into(),
            secret_key: "sandbox-sk".into(),
            token: None,
            default_project: "0000000000000000000000000000000a".into(),
            region: "cn-north-7".into(),
            time_scale: 1.0,
            durations: Durations::default(),
            limits: Limits::default(),
            max_skew: Duration::minutes(15),
        }
    }
}

/// The shared Huawei world: options, clock, state and faults.
#[derive(Debug)]
pub struct World {
    opts: HuaweiOptions,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    faults: Mutex<FaultState>,
    dirty: AtomicBool,
}

impl World {
    /// A world with the given state and faults.
    pub fn new(
        opts: HuaweiOptions,
        clock: Arc<dyn Clock>,
        state: State,
        faults: FaultState,
    ) -> Self {
        Self {
            opts,
            clock,
            state: Mutex::new(state),
            faults: Mutex::new(faults),
            dirty: AtomicBool::new(false),
        }
    }

    /// An empty world without faults.
    pub fn empty(opts: HuaweiOptions, clock: Arc<dyn Clock>) -> Self {
        Self::new(
            opts,
            clock,
            State::default(),
            FaultState::new(FaultConfig::default(), 0),
        )
    }

    /// The options.
    pub fn options(&self) -> &HuaweiOptions {
        &self.opts
    }

    fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_faults(&self) -> MutexGuard<'_, FaultState> {
        self.faults.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The state advanced to now (a copy).
    pub fn snapshot(&self) -> State {
        let mut st = self.lock_state();
        st.advance(self.clock.now());
        st.clone()
    }

    /// Whether the state changed since the last call (clears the flag).
    pub fn take_dirty(&self) -> bool {
        self.dirty.swap(false, Ordering::AcqRel)
    }

    /// Replaces the fault configuration.
    pub fn set_faults(&self, cfg: FaultConfig) {
        self.lock_faults().replace(cfg);
    }

    /// Runs one API call against the world (no HTTP): used by the router and by tests.
    pub fn call(&self, req: &Req) -> Resp {
        let now = self.clock.now();
        let mut st = self.lock_state();
        st.advance(now);
        let before = st.clone();
        let mut faults = self.lock_faults();
        let mut ctx = Ctx {
            now,
            st: &mut st,
            opts: &self.opts,
            faults: &mut faults,
        };
        let out = routes::route(&mut ctx, req);
        if *st != before {
            self.dirty.store(true, Ordering::Release);
        }
        out.unwrap_or_else(Resp::error)
    }
}

/// Handler context: the locked state plus time, options and faults.
pub struct Ctx<'a> {
    /// Now.
    pub now: DateTime<Utc>,
    /// The state.
    pub st: &'a mut State,
    /// Options.
    pub opts: &'a HuaweiOptions,
    /// Faults (named failures).
    pub faults: &'a mut FaultState,
}

impl Ctx<'_> {
    /// `now + d / time_scale`.
    pub fn after(&self, d: std::time::Duration) -> DateTime<Utc> {
        self.now + self.scaled(d)
    }

    /// `d / time_scale` as a chrono duration.
    pub fn scaled(&self, d: std::time::Duration) -> Duration {
        clock::scale(model::chrono_dur(d), self.opts.time_scale)
    }
}

/// A parsed API request.
#[derive(Debug, Clone)]
pub struct Req {
    /// Upper-case method.
    pub method: String,
    /// Raw path.
    pub path: String,
    /// Decoded path segments after the leading `/`.
    pub segs: Vec<String>,
    /// Decoded query (last value wins).
    pub query: BTreeMap<String, String>,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Vec<u8>,
    /// The project from `X-Project-Id` or the default (path projects override in routes).
    pub project: String,
    /// Whether the project came from `X-Project-Id`.
    pub project_from_header: bool,
}

impl Req {
    /// Builds a request from parts; the project comes from `X-Project-Id` or `default_project`.
    pub fn new(
        method: &str,
        path_and_query: &str,
        headers: HeaderMap,
        body: Vec<u8>,
        default_project: &str,
    ) -> Req {
        let (path, raw_query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let segs = path
            .trim_start_matches('/')
            .split('/')
            .map(decode)
            .collect();
        let query = raw_query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(&v.replace('+', " ")))
            })
            .collect();
        let hp = headers
            .get("x-project-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty());
        Req {
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            segs,
            query,
            project: hp.unwrap_or(default_project).to_string(),
            project_from_header: hp.is_some(),
            headers,
            body,
        }
    }

    /// The body as JSON (an empty body is `{}`).
    pub fn json(&self) -> Result<Value, ApiError> {
        if self.body.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            ApiError::bad_request(
                self.family(),
                format!("request body is not valid JSON: {e}"),
            )
        })
    }

    /// A query parameter.
    pub fn q(&self, k: &str) -> Option<&str> {
        self.query
            .get(k)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A header as a string.
    pub fn header(&self, k: &str) -> Option<&str> {
        self.headers.get(k).and_then(|v| v.to_str().ok())
    }

    /// The error-code family of the path.
    pub fn family(&self) -> Family {
        Family::of_path(&self.path)
    }
}

/// A response body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// JSON.
    Json(Value),
    /// Raw bytes with a content type.
    Bytes(Vec<u8>, String),
    /// No body.
    Empty,
}

/// An API response.
#[derive(Debug, Clone, PartialEq)]
pub struct Resp {
    /// HTTP status.
    pub status: u16,
    /// Body.
    pub body: Body,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
}

impl Resp {
    /// A JSON response.
    pub fn json(status: u16, v: Value) -> Resp {
        Resp {
            status,
            body: Body::Json(v),
            headers: vec![],
        }
    }

    /// A bodiless response.
    pub fn empty(status: u16) -> Resp {
        Resp {
            status,
            body: Body::Empty,
            headers: vec![],
        }
    }

    /// An error response.
    pub fn error(e: ApiError) -> Resp {
        let mut r = Resp::json(e.status, e.body());
        if let Some(s) = e.retry_after {
            r.headers.push(("Retry-After".into(), s.to_string()));
        }
        r
    }

    /// The JSON body, if any (tests).
    pub fn value(&self) -> Value {
        match &self.body {
            Body::Json(v) => v.clone(),
            _ => Value::Null,
        }
    }
}

fn into_http(r: Resp, request_id: &str) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (bytes, ctype) = match r.body {
        Body::Json(v) => (
            serde_json::to_vec(&v).unwrap_or_default(),
            Some("application/json".to_string()),
        ),
        Body::Bytes(b, ct) => (b, Some(ct)),
        Body::Empty => (vec![], None),
    };
    let mut resp = (status, bytes).into_response();
    let h = resp.headers_mut();
    h.remove("content-type");
    if let Some(ct) = ctype.and_then(|c| HeaderValue::from_str(&c).ok()) {
        h.insert("content-type", ct);
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-request-id", v);
    }
    for (k, v) in r.headers {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::try_from(k),
            HeaderValue::from_str(&v),
        ) {
            h.insert(k, v);
        }
    }
    resp
}

/// The axum router serving the Huawei API and its `/_emulator/huawei` admin paths.
pub fn router(world: Arc<World>) -> Router {
    Router::new()
        .route("/_emulator/huawei/world", get(admin_world))
        .route("/_emulator/huawei/faults", post(admin_faults))
        .fallback(handle)
        .with_state(world)
}

async fn admin_world(AxState(world): AxState<Arc<World>>) -> Response {
    let v = serde_json::to_value(world.snapshot()).unwrap_or_default();
    into_http(Resp::json(200, v), &model::new_id())
}

async fn admin_faults(AxState(world): AxState<Arc<World>>, body: String) -> Response {
    let id = model::new_id();
    match FaultConfig::parse(&body) {
        Ok(cfg) => {
            world.set_faults(cfg);
            into_http(Resp::empty(204), &id)
        }
        Err(e) => into_http(
            Resp::error(ApiError::bad_request(Family::Cluster, e.to_string())),
            &id,
        ),
    }
}

async fn handle(AxState(world): AxState<Arc<World>>, req: Request) -> Response {
    let request_id = model::new_id();
    let (parts, body) = req.into_parts();
    let family = Family::of_path(parts.uri.path());
    let Ok(body) = to_bytes(AxBody::new(body), MAX_BODY).await else {
        return into_http(
            Resp::error(ApiError::bad_request(family, "body too large")),
            &request_id,
        );
    };
    let method = parts.method.as_str().to_string();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    if let Err(e) = authenticate(
        &world,
        &method,
        parts.uri.path(),
        parts.uri.query().unwrap_or(""),
        &parts.headers,
        &body,
    ) {
        return into_http(Resp::error(e), &request_id);
    }
    let (latency, injected) = {
        let mut f = world.lock_faults();
        (
            f.latency_for(&method, parts.uri.path()),
            f.check(&method, parts.uri.path(), world.clock.now()),
        )
    };
    if let Some(d) = latency {
        tokio::time::sleep(d).await;
    }
    if let Some(inj) = injected {
        let e = match inj {
            Injected::RateLimited { retry_after } => ApiError::throttled(retry_after),
            Injected::ServerError(status) => ApiError::internal(family, status, "injected fault"),
        };
        return into_http(Resp::error(e), &request_id);
    }
    let req = Req::new(
        &method,
        &path_and_query,
        parts.headers,
        body.to_vec(),
        &world.opts.default_project,
    );
    into_http(world.call(&req), &request_id)
}

/// Token or AK/SK signature check; any failure is a 401 of the path's family.
fn authenticate(
    world: &World,
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), ApiError> {
    let family = Family::of_path(path);
    if let Some(tok) = headers.get("x-auth-token") {
        return match &world.opts.token {
            Some(t) if t.as_bytes() == tok.as_bytes() => Ok(()),
            _ => Err(ApiError::unauthorized(family, "invalid token")),
        };
    }
    let req = sig::SignedRequest {
        method,
        raw_path: path,
        raw_query: query,
        headers: headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.as_bytes()))
            .collect(),
        body,
    };
    let secret = |ak: &str| (ak == world.opts.access_key).then(|| world.opts.secret_key.clone());
    sig::verify(&req, &secret, world.clock.now(), world.opts.max_skew)
        .map(|_| ())
        .map_err(|e| ApiError::unauthorized(family, e.to_string()))
}

#[cfg(test)]
pub(crate) mod testutil;

#[cfg(test)]
mod world_tests;

#[cfg(test)]
mod lifecycle_tests;

#[cfg(test)]
mod fault_tests;
