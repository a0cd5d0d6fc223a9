//! Test helpers: a world on a manual clock and requests that bypass HTTP and signing.

use super::model::State;
use super::{HuaweiOptions, Req, Resp, World};
use crate::clock::ManualClock;
use crate::faults::{FaultConfig, FaultState};
use axum::http::{HeaderMap, HeaderValue};
use chrono::{Duration, TimeZone, Utc};
use serde_json::{json, Value};
use std::sync::Arc;

pub const P: &str = "p1";

pub struct T {
    pub world: World,
    pub clock: Arc<ManualClock>,
}

impl T {
    pub fn new() -> T {
        T::with_faults("")
    }

    pub fn with_faults(toml: &str) -> T {
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        ));
        let faults = FaultState::new(FaultConfig::parse(toml).unwrap(), 1);
        let world = World::new(
            HuaweiOptions::default(),
            clock.clone(),
            State::default(),
            faults,
        );
        T { world, clock }
    }

    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Resp {
        let mut h = HeaderMap::new();
        h.insert("x-project-id", HeaderValue::from_static(P));
        h.insert("content-type", HeaderValue::from_static("application/json"));
        let body = body
            .map(|b| serde_json::to_vec(&b).unwrap())
            .unwrap_or_default();
        self.world.call(&Req::new(method, path, h, body, "default"))
    }

    pub fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let r = self.call(method, path, body);
        assert!(
            r.status < 300,
            "{method} {path} -> {} {}",
            r.status,
            r.value()
        );
        r.value()
    }

    pub fn advance(&self, d: Duration) {
        self.clock.advance(d);
    }

    pub fn create_cluster(&self, name: &str, version: &str) -> String {
        let v = self.ok(
            "POST",
            &format!("/autopilot/v3/projects/{P}/clusters"),
            Some(cluster_body(name, version)),
        );
        v["metadata"]["uid"].as_str().unwrap().to_string()
    }

    pub fn available_cluster(&self, name: &str, version: &str) -> String {
        let id = self.create_cluster(name, version);
        self.advance(Duration::minutes(8));
        id
    }

    pub fn c(&self, id: &str) -> String {
        format!("/autopilot/v3/projects/{P}/clusters/{id}")
    }

    /// A multipart chart upload (`POST`) or update (`PUT` to `path`).
    pub fn send_chart(&self, method: &str, path: &str, tgz: &[u8], params: Option<&str>) -> Resp {
        let b = "XyZzY";
        let mut body = Vec::new();
        if let Some(p) = params {
            body.extend_from_slice(
                format!(
                    "--{b}\r\nContent-Disposition: form-data; name=\"parameters\"\r\n\r\n{p}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(format!("--{b}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"upload.tgz\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(tgz);
        body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
        let mut h = HeaderMap::new();
        h.insert("x-project-id", HeaderValue::from_static(P));
        let ct = format!("multipart/form-data; boundary={b}");
        h.insert("content-type", HeaderValue::from_str(&ct).unwrap());
        self.world.call(&Req::new(method, path, h, body, "default"))
    }
}

/// A chart package `name-version` with `values.yaml` text.
pub fn chart_tgz(name: &str, version: &str, values: &str) -> Vec<u8> {
    let meta = format!("apiVersion: v2\nname: {name}\nversion: {version}\ndescription: The {name} chart\nappVersion: \"2.1\"\nicon: https://example.com/{name}.png\n");
    super::chartpkg::build_tgz(&[
        (&format!("{name}/Chart.yaml"), &meta),
        (&format!("{name}/values.yaml"), values),
        (&format!("{name}/README.md"), "# readme\n"),
    ])
}

pub fn cluster_body(name: &str, version: &str) -> Value {
    json!({
        "kind": "Cluster", "apiVersion": "v3",
        "metadata": {"name": name},
        "spec": {
            "flavor": "cce.autopilot.cluster", "version": version,
            "hostNetwork": {"vpc": "vpc-1", "subnet": "subnet-1"},
            "containerNetwork": {"mode": "eni"},
            "eniNetwork": {"subnets": [{"subnetID": "eni-1"}]}
        }
    })
}
