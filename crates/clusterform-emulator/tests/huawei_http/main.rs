//! End-to-end: serve on 127.0.0.1:0 and drive a cluster lifecycle over real HTTP with a
//! tiny test-only SDK-HMAC-SHA256 signer (independent of the emulator's verifier), then
//! restart from the state file; plus an in-process `oneshot` check of the router, per-route
//! faults set through the admin endpoint, and the binary's command line (`cli`).

mod cli;

use clusterform_emulator::huawei::{self, HuaweiOptions};
use clusterform_emulator::{serve, EmulatorOptions};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

const AK: &str = "sandbox-ak";
const SK: &str = "sandbox-sk";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";

/// Headers (name, value) of a signed request; paths here need no percent-encoding.
fn sign(
    method: &str,
    path: &str,
    query: &str,
    host: &str,
    body: &[u8],
    sk: &str,
) -> Vec<(String, String)> {
    let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let mut q: Vec<&str> = query.split('&').filter(|s| !s.is_empty()).collect();
    q.sort();
    let payload = hex::encode(Sha256::digest(body));
    let canonical = format!(
        "{method}\n{path}/\n{}\ncontent-type:application/json\nhost:{host}\nx-project-id:{PROJECT}\nx-sdk-date:{date}\n\ncontent-type;host;x-project-id;x-sdk-date\n{payload}",
        q.join("&")
    );
    let sts = format!(
        "SDK-HMAC-SHA256\n{date}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(sk.as_bytes()).unwrap();
    mac.update(sts.as_bytes());
    let sig = hex::encode(mac.finalize().into_bytes());
    vec![
        ("Content-Type".into(), "application/json".into()),
        ("Host".into(), host.into()),
        ("X-Project-Id".into(), PROJECT.into()),
        ("X-Sdk-Date".into(), date),
        ("Authorization".into(), format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature={sig}")),
    ]
}

/// One HTTP/1.1 request over a raw TCP stream; returns (status, headers text, body).
async fn http(
    addr: SocketAddr,
    method: &str,
    path_q: &str,
    body: Option<Value>,
    sk: &str,
) -> (u16, String, Value) {
    let (path, query) = path_q.split_once('?').unwrap_or((path_q, ""));
    let bytes = body
        .map(|b| serde_json::to_vec(&b).unwrap())
        .unwrap_or_default();
    let host = addr.to_string();
    let headers = if path.starts_with("/_emulator") {
        vec![]
    } else {
        sign(method, path, query, &host, &bytes, sk)
    };
    let mut req = format!(
        "{method} {path_q} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        bytes.len()
    );
    for (k, v) in headers.iter().filter(|(k, _)| k != "Host") {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(&bytes).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (
        status,
        head.to_string(),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

fn cluster_body(name: &str) -> Value {
    json!({"kind": "Cluster", "apiVersion": "v3", "metadata": {"name": name}, "spec": {
        "flavor": "cce.autopilot.cluster", "version": "v1.28",
        "hostNetwork": {"vpc": "vpc-1", "subnet": "subnet-1"}, "containerNetwork": {"mode": "eni"}}})
}

async fn wait_phase(addr: SocketAddr, path: &str, want: &str) {
    for _ in 0..200 {
        let (st, _, v) = http(addr, "GET", path, None, SK).await;
        if (want == "gone" && st == 404) || v["status"]["phase"] == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{path} never reached {want}");
}

#[tokio::test]
async fn cluster_lifecycle_over_http_and_restart_from_state() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("world.json");
    let opts = EmulatorOptions {
        huawei: Some("127.0.0.1:0".parse().unwrap()),
        time_scale: 600.0,
        state_file: Some(state.clone()),
        ..EmulatorOptions::default()
    };
    let running = serve(opts.clone()).await.unwrap();
    let addr = running.huawei.unwrap();
    assert!(running
        .ready_line()
        .starts_with("{\"huawei\":\"http://127.0.0.1:"));
    let base = format!("/autopilot/v3/projects/{PROJECT}/clusters");

    let (st, head, v) = http(addr, "POST", &base, Some(cluster_body("over-http")), SK).await;
    assert_eq!(st, 201, "{v}");
    assert!(head.to_ascii_lowercase().contains("x-request-id:"));
    let id = v["metadata"]["uid"].as_str().unwrap().to_string();
    wait_phase(addr, &format!("{base}/{id}"), "Available").await;
    let (st, _, v) = http(
        addr,
        "GET",
        &format!("{base}?status=Available&detail=true"),
        None,
        SK,
    )
    .await;
    assert_eq!((st, v["items"].as_array().unwrap().len()), (200, 1));

    let (st, _, v) = http(addr, "GET", &base, None, "wrong-secret").await;
    assert_eq!((st, v["error_code"].as_str()), (401, Some("CCE.01401001")));

    let (_, _, world) = http(addr, "GET", "/_emulator/huawei/world", None, SK).await;
    assert_eq!(
        world["projects"][PROJECT]["clusters"]
            .as_object()
            .unwrap()
            .len(),
        1
    );

    let (st, _, _) = http(addr, "DELETE", &format!("{base}/{id}"), None, SK).await;
    assert_eq!(st, 200);
    wait_phase(addr, &format!("{base}/{id}"), "gone").await;

    let (st, _, kept) = http(
        addr,
        "POST",
        &base,
        Some(cluster_body("survives-restart")),
        SK,
    )
    .await;
    assert_eq!(st, 201);
    running.shutdown().await;
    assert!(state.exists());

    let again = serve(opts).await.unwrap();
    let addr = again.huawei.unwrap();
    let (st, _, v) = http(
        addr,
        "GET",
        &format!("{base}/{}", kept["metadata"]["uid"].as_str().unwrap()),
        None,
        SK,
    )
    .await;
    assert_eq!(
        (st, v["metadata"]["name"].as_str()),
        (200, Some("survives-restart"))
    );
    again.shutdown().await;
}

#[tokio::test]
async fn router_oneshot_refuses_a_tampered_body() {
    let world = Arc::new(huawei::World::empty(
        HuaweiOptions::default(),
        Arc::new(clusterform_emulator::clock::SystemClock),
    ));
    let app = huawei::router(world);
    let path = format!("/autopilot/v3/projects/{PROJECT}/clusters");
    let signed_body = serde_json::to_vec(&cluster_body("tamper-check")).unwrap();
    let headers = sign("POST", &path, "", "localhost", &signed_body, SK);
    let build = |body: Vec<u8>| {
        let mut b = axum::http::Request::builder()
            .method("POST")
            .uri(path.as_str());
        for (k, v) in &headers {
            b = b.header(k.as_str(), v.as_str());
        }
        b.body(axum::body::Body::from(body)).unwrap()
    };
    let ok = app
        .clone()
        .oneshot(build(signed_body.clone()))
        .await
        .unwrap();
    assert_eq!(ok.status(), 201);
    let tampered = serde_json::to_vec(&cluster_body("tamper-chekk")).unwrap();
    let bad = app.oneshot(build(tampered)).await.unwrap();
    assert_eq!(bad.status(), 401);
    assert!(bad.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn admin_route_faults_hit_only_their_route() {
    let opts = EmulatorOptions {
        huawei: Some("127.0.0.1:0".parse().unwrap()),
        seed: 5,
        ..EmulatorOptions::default()
    };
    let running = serve(opts).await.unwrap();
    let addr = running.huawei.unwrap();
    let faults = json!({"route": [{"route": "POST /autopilot/v3/projects/*/clusters", "error_rate": 1.0, "error_statuses": [503]}]});
    let (st, _, _) = http(addr, "POST", "/_emulator/huawei/faults", Some(faults), SK).await;
    assert_eq!(st, 204);
    let base = format!("/autopilot/v3/projects/{PROJECT}/clusters");
    let (st, _, v) = http(addr, "POST", &base, Some(cluster_body("unlucky")), SK).await;
    assert_eq!((st, v["error_code"].as_str()), (503, Some("CCE.01500001")));
    let (st, _, v) = http(addr, "GET", &base, None, SK).await;
    assert_eq!((st, v["items"].as_array().map(Vec::len)), (200, Some(0)));
    let bad = json!({"route": [{"route": "GET /x", "error_rate": 2.0}]});
    let (st, _, v) = http(addr, "POST", "/_emulator/huawei/faults", Some(bad), SK).await;
    assert_eq!(st, 400, "{v}");
    running.shutdown().await;
}

#[tokio::test]
async fn app_serves_the_api_in_process_with_faults_and_405() {
    let opts = EmulatorOptions {
        faults: clusterform_emulator::faults::FaultConfig::parse(
            "[[route]]\nroute = \"GET /autopilot/v3/projects/*/quotas\"\nerror_rate = 1.0\nerror_statuses = [503]\n",
        )
        .unwrap(),
        ..EmulatorOptions::default()
    };
    let app = clusterform_emulator::app(&opts);
    let send = |method: &str, path: String, body: Vec<u8>| {
        let headers = sign(method, &path, "", "localhost", &body, SK);
        let mut b = axum::http::Request::builder()
            .method(method)
            .uri(path.as_str());
        for (k, v) in &headers {
            b = b.header(k.as_str(), v.as_str());
        }
        b.body(axum::body::Body::from(body)).unwrap()
    };
    let clusters = format!("/autopilot/v3/projects/{PROJECT}/clusters");
    let body = serde_json::to_vec(&cluster_body("in-process")).unwrap();
    let created = app
        .clone()
        .oneshot(send("POST", clusters.clone(), body))
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    // The options' faults apply.
    let quotas = format!("/autopilot/v3/projects/{PROJECT}/quotas");
    let throttled = app
        .clone()
        .oneshot(send("GET", quotas, vec![]))
        .await
        .unwrap();
    assert_eq!(throttled.status(), 503);
    // A known path with a method it does not take.
    let wrong = app.oneshot(send("PATCH", clusters, vec![])).await.unwrap();
    assert_eq!(wrong.status(), 405);
    let bytes = axum::body::to_bytes(wrong.into_body(), 1 << 20)
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        (v["error_code"].as_str(), v["reason"].as_str()),
        (Some("CCE.01400001"), Some("MethodNotAllowed"))
    );
}
