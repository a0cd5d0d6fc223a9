//! Conformance of the typed Huawei client against the emulator: the emulator serves on
//! `127.0.0.1:0` in-process, the real client (AK/SK signing, reqwest) calls every one of the 50
//! operations of digest §0 in a realistic sequence, and the typed answers must carry the
//! documented fields. Every JSON answer is also recorded as received (a loopback relay between
//! the two) and must survive decoding: a field the typed model drops, misnames or retypes fails
//! the run. Documented errors must decode into `ClientError::Api` with the right `CCE.*` code and
//! class. The client and the emulator may not depend on each other (DESIGN §2), so this test
//! lives in the root package, which may use both.

use std::collections::BTreeSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clusterform_client_huawei::*;
use clusterform_emulator::faults::FaultConfig;
use clusterform_emulator::huawei::model::Durations;
use clusterform_emulator::{serve, EmulatorOptions, RunningEmulator};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const AK: &str = "conformance-ak";
const SK: &str = "conformance-sk";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";

/// Every operation of digest §0, by its SDK name.
const OPERATIONS: [&str; 50] = [
    "create_autopilot_cluster",
    "show_autopilot_cluster",
    "list_autopilot_clusters",
    "update_autopilot_cluster",
    "delete_autopilot_cluster",
    "create_autopilot_kubernetes_cluster_cert",
    "show_autopilot_job",
    "update_autopilot_cluster_eip",
    "show_autopilot_cluster_endpoints",
    "create_autopilot_addon_instance",
    "list_autopilot_addon_templates",
    "update_autopilot_addon_instance",
    "rollback_autopilot_addon_instance",
    "delete_autopilot_addon_instance",
    "show_autopilot_addon_instance",
    "list_autopilot_addon_instances",
    "upgrade_autopilot_cluster",
    "show_autopilot_upgrade_cluster_task",
    "retry_autopilot_upgrade_cluster_task",
    "list_autopilot_upgrade_cluster_tasks",
    "create_autopilot_pre_check",
    "show_autopilot_pre_check",
    "list_autopilot_pre_check_tasks",
    "create_autopilot_post_check",
    "create_autopilot_cluster_master_snapshot",
    "list_autopilot_cluster_master_snapshot_tasks",
    "show_autopilot_cluster_upgrade_info",
    "list_autopilot_cluster_upgrade_paths",
    "list_autopilot_cluster_upgrade_feature_gates",
    "create_autopilot_upgrade_work_flow",
    "list_autopilot_upgrade_work_flows",
    "show_autopilot_upgrade_work_flow",
    "upgrade_autopilot_work_flow_update",
    "show_autopilot_quotas",
    "batch_create_autopilot_cluster_tags",
    "batch_delete_autopilot_cluster_tags",
    "upload_autopilot_chart",
    "list_autopilot_charts",
    "list_autopilot_releases",
    "create_autopilot_release",
    "update_autopilot_chart",
    "delete_autopilot_chart",
    "update_autopilot_release",
    "show_autopilot_chart",
    "delete_autopilot_release",
    "show_autopilot_release",
    "download_autopilot_chart",
    "show_autopilot_chart_values",
    "show_autopilot_release_history",
    "show_autopilot_user_charts_quotas",
];

/// The emulator on loopback, fast: a simulated minute lasts 60 ms.
async fn start(faults: &str) -> RunningEmulator {
    start_with(faults, None).await
}

/// `start`, also accepting the IAM token `token` as `X-Auth-Token`.
async fn start_with(faults: &str, token: Option<&str>) -> RunningEmulator {
    let opts = EmulatorOptions {
        token: token.map(str::to_owned),
        huawei: Some("127.0.0.1:0".parse().expect("loopback address")),
        access_key: AK.into(),
        secret_key: SK.into(),
        time_scale: 1000.0,
        faults: FaultConfig::parse(faults).expect("fault config parses"),
        durations: Durations {
            // Finished jobs stay readable for the whole test (100 h scaled = 6 min).
            job_retention: Duration::from_secs(100 * 3600),
            ..Durations::default()
        },
        ..EmulatorOptions::default()
    };
    serve(opts).await.expect("emulator starts")
}

fn client(url: &str, sk: &str) -> HuaweiClient {
    HuaweiClient::builder()
        .endpoint(url)
        .project_id(PROJECT)
        .credentials(Credentials::ak_sk(AK, sk))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client builds")
}

fn url(emu: &RunningEmulator) -> String {
    emu.huawei_url().expect("huawei is served")
}

/// Calls `probe` every 20 ms until `done` holds for its answer (at most 20 s); returns that answer.
async fn poll<T, F, Fut>(what: &str, mut probe: F, done: impl Fn(&T) -> bool) -> T
where
    T: std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let v = probe().await;
        if done(&v) {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; last answer: {v:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The API error of a failed call (panics on success or on a non-API failure).
fn api_err<T: std::fmt::Debug>(r: Result<T, ClientError>) -> ApiError {
    match r {
        Err(ClientError::Api(e)) => *e,
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn cluster_request(name: &str, version: &str) -> CreateAutopilotClusterRequest {
    CreateAutopilotClusterRequest::new(
        AutopilotClusterMetadata {
            name: Some(name.into()),
            ..Default::default()
        },
        AutopilotClusterSpec {
            category: Some("Turbo".into()),
            flavor: Some("cce.autopilot.cluster".into()),
            version: Some(version.into()),
            host_network: Some(AutopilotHostNetwork {
                vpc: "vpc-1".into(),
                subnet: "subnet-1".into(),
            }),
            container_network: Some(AutopilotContainerNetwork { mode: "eni".into() }),
            eni_network: Some(AutopilotEniNetwork {
                subnets: vec![AutopilotNetworkSubnet {
                    subnet_id: "eni-subnet-1".into(),
                }],
            }),
            ..Default::default()
        },
    )
}

/// A chart package `name-version` (`Chart.yaml`, `values.yaml`, `README.md`).
fn chart_tgz(name: &str, version: &str, values: &str) -> Vec<u8> {
    let meta = format!(
        "apiVersion: v2\nname: {name}\nversion: {version}\ndescription: The {name} chart\nappVersion: \"2.1\"\n"
    );
    let files = [
        (format!("{name}/Chart.yaml"), meta),
        (format!("{name}/values.yaml"), values.to_owned()),
        (format!("{name}/README.md"), "# readme\n".to_owned()),
    ];
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for (path, text) in &files {
        let mut h = tar::Header::new_gnu();
        h.set_size(text.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, path, text.as_bytes())
            .expect("tar entry");
    }
    tar.into_inner()
        .expect("tar ends")
        .finish()
        .expect("gzip ends")
}

/// Records the operations a test called, so it can prove it called all of them, and the fields
/// the emulator sent that the typed answer lost (a field the client misnames decodes to `None`
/// silently, since the models are lenient).
struct Coverage {
    called: BTreeSet<&'static str>,
    tap: Tap,
    lost: Vec<String>,
}

impl Coverage {
    fn new(tap: Tap) -> Self {
        Coverage {
            called: BTreeSet::new(),
            tap,
            lost: Vec::new(),
        }
    }

    fn hit(&mut self, op: &'static str) {
        assert!(OPERATIONS.contains(&op), "{op} is not a §0 operation");
        self.called.insert(op);
        self.tap.take();
    }

    /// `hit`, checking the last answer on the wire against `typed` serialized back: every
    /// non-null field the emulator sent must still be there (see [`lost_fields`]).
    fn seen<T: Serialize>(&mut self, op: &'static str, typed: &T) {
        let body = last_body(&self.tap.take());
        self.hit(op);
        let raw: Value = serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!(
                "{op}: the answer is not JSON ({e}): {}",
                String::from_utf8_lossy(&body)
            )
        });
        let typed = serde_json::to_value(typed).expect("typed answers serialize");
        lost_fields(&raw, &typed, op, &mut self.lost);
    }
}

/// A loopback TCP relay in front of the emulator that records every byte the emulator sends, so
/// the test sees the answers exactly as the client received them.
struct Tap {
    url: String,
    received: Arc<Mutex<Vec<u8>>>,
}

impl Tap {
    async fn start(upstream: SocketAddr) -> Tap {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("tap binds");
        let url = format!("http://{}", listener.local_addr().expect("tap address"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let record = received.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let record = record.clone();
                tokio::spawn(async move {
                    let (mut from_client, mut to_client) = client.into_split();
                    let (mut from_server, mut to_server) = server.into_split();
                    let up = tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut from_client, &mut to_server).await;
                    });
                    let mut buf = vec![0u8; 64 * 1024];
                    // Recorded before it is forwarded: once the client has an answer, so has the tap.
                    while let Ok(n @ 1..) = from_server.read(&mut buf).await {
                        record
                            .lock()
                            .expect("tap lock")
                            .extend_from_slice(&buf[..n]);
                        if to_client.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    up.abort();
                });
            }
        });
        Tap { url, received }
    }

    /// Everything received since the last call.
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.received.lock().expect("tap lock"))
    }
}

/// The body of the last HTTP/1.1 response in `bytes` (`Content-Length` or chunked).
fn last_body(mut bytes: &[u8]) -> Vec<u8> {
    let mut last = Vec::new();
    while let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
        let mut rest = &bytes[end + 4..];
        let header = |name: &str| {
            head.lines()
                .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
        };
        last = Vec::new();
        if header("transfer-encoding:").is_some_and(|v| v.contains("chunked")) {
            loop {
                let line_end = rest
                    .windows(2)
                    .position(|w| w == b"\r\n")
                    .expect("chunk size line");
                let size =
                    usize::from_str_radix(String::from_utf8_lossy(&rest[..line_end]).trim(), 16)
                        .expect("hex chunk size");
                rest = &rest[line_end + 2..];
                last.extend_from_slice(&rest[..size]);
                rest = &rest[size + 2..];
                if size == 0 {
                    break;
                }
            }
        } else {
            let len = header("content-length:").map_or(0, |v| v.parse().expect("length"));
            last.extend_from_slice(&rest[..len]);
            rest = &rest[len..];
        }
        bytes = rest;
    }
    last
}

/// Digest C6: the seed examples write `upgradeFrom` where its tables write `upgradefrom`; the
/// emulator emits the example spelling, the client reads both and writes the table's.
fn table_spelling(key: &str) -> &str {
    match key {
        "upgradeFrom" => "upgradefrom",
        other => other,
    }
}

/// Appends to `out` the path of every non-null value of `raw` that `typed` lacks.
fn lost_fields(raw: &Value, typed: &Value, at: &str, out: &mut Vec<String>) {
    match raw {
        Value::Object(fields) => {
            for (k, v) in fields.iter().filter(|(_, v)| !v.is_null()) {
                let here = format!("{at}.{k}");
                match typed.get(k).or_else(|| typed.get(table_spelling(k))) {
                    None | Some(Value::Null) => out.push(here),
                    Some(t) => lost_fields(v, t, &here, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let here = format!("{at}[{i}]");
                match typed.get(i) {
                    None => out.push(here),
                    Some(t) => lost_fields(v, t, &here, out),
                }
            }
        }
        scalar => {
            // Values may move between the two reads (timestamps); the JSON type may not, except
            // where lenient fields read `"2"` as 2 and `"true"` as true.
            let kind = |v: &Value| std::mem::discriminant(v);
            let lenient = match (scalar, typed) {
                (Value::String(text), Value::Number(n)) => text.parse::<f64>().ok() == n.as_f64(),
                (Value::String(text), Value::Bool(b)) => text.parse::<bool>().ok() == Some(*b),
                _ => false,
            };
            let same = kind(scalar) == kind(typed) || lenient;
            if !same {
                out.push(format!("{at} (sent {scalar}, decoded {typed})"));
            }
        }
    }
}

fn phase(c: &AutopilotCluster) -> Option<&str> {
    c.status.as_ref().and_then(|s| s.phase.as_deref())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_round_trips_through_the_client() {
    // The first cluster upgrade fails once, so that the retry operation has a task to retry.
    let emu = start("[[fail]]\nop = \"upgrade\"\n").await;
    let tap = Tap::start(emu.huawei.expect("huawei is served")).await;
    let c = client(&tap.url, SK);
    let mut cov = Coverage::new(tap);
    let detail = ShowAutopilotClusterQuery { detail: Some(true) };

    // Catalogue and quotas, before any resource exists.
    let paths = c.list_autopilot_cluster_upgrade_paths().await.unwrap();
    cov.seen("list_autopilot_cluster_upgrade_paths", &paths);
    let paths = paths.upgrade_paths.expect("upgradePaths");
    assert!(
        paths.iter().any(
            |p| p.version.as_deref().is_some_and(|v| v.starts_with("v1.28"))
                && p.target_versions.as_ref().is_some_and(|t| !t.is_empty())
        ),
        "{paths:?}"
    );
    let gates = c
        .list_autopilot_cluster_upgrade_feature_gates()
        .await
        .unwrap();
    cov.seen("list_autopilot_cluster_upgrade_feature_gates", &gates);
    assert!(!gates
        .upgrade_feature_gates
        .expect("upgradeFeatureGates")
        .is_empty());
    let all = c.list_autopilot_addon_templates(None).await.unwrap();
    cov.seen("list_autopilot_addon_templates", &all);
    let names: Vec<_> = all
        .items
        .iter()
        .flatten()
        .filter_map(|t| t.metadata.as_ref()?.name.clone())
        .collect();
    assert!(names.contains(&"coredns".to_owned()), "{names:?}");
    let dns = c
        .list_autopilot_addon_templates(Some("coredns"))
        .await
        .unwrap();
    let dns = dns.items.expect("items");
    assert_eq!(dns.len(), 1);
    let versions: Vec<_> = dns[0]
        .spec
        .as_ref()
        .and_then(|s| s.versions.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|v| v.version.clone())
        .collect();
    assert!(versions.contains(&"1.28.4".to_owned()), "{versions:?}");
    let quotas = c.show_autopilot_quotas().await.unwrap();
    cov.seen("show_autopilot_quotas", &quotas);
    assert!(
        quotas
            .quotas
            .iter()
            .flatten()
            // The seed example's key (digest C9), with the limit and the count so far.
            .any(|q| q.quota_key.as_deref() == Some("autopilot_cluster")
                && q.quota_limit.is_some_and(|l| l > 0)
                && q.used == Some(0)),
        "{quotas:?}"
    );
    let chart_quotas = c.show_autopilot_user_charts_quotas().await.unwrap();
    cov.seen("show_autopilot_user_charts_quotas", &chart_quotas);
    let resources = chart_quotas
        .quotas
        .and_then(|q| q.resources)
        .expect("resources");
    assert!(
        resources
            .iter()
            .any(|r| r.quota.is_some_and(|q| q > 0) && r.used == Some(0)),
        "{resources:?}"
    );

    // Create the cluster and wait for it through the job and the cluster phase.
    // The fields the emulator interprets (rather than echoes) prove the client's spelling.
    let mut request = cluster_request("conformance", "v1.28");
    request.metadata.alias = Some("conformance-alias".into());
    request.spec.service_network = Some(AutopilotServiceNetwork {
        ipv4_cidr: Some("10.248.0.0/16".into()),
    });
    request.spec.cluster_tags = Some(vec![AutopilotResourceTag {
        key: "owner".into(),
        value: "conformance".into(),
    }]);
    let created = c.create_autopilot_cluster(&request).await.unwrap();
    cov.seen("create_autopilot_cluster", &created);
    assert_eq!(phase(&created), Some("Creating"));
    let id = created
        .metadata
        .as_ref()
        .and_then(|m| m.uid.clone())
        .expect("metadata.uid");
    let job_id = created
        .status
        .as_ref()
        .and_then(|s| s.job_id.clone())
        .expect("status.jobID");
    let job = c.show_autopilot_job(&job_id).await.unwrap();
    cov.seen("show_autopilot_job", &job);
    assert_eq!(job.metadata.and_then(|m| m.uid), Some(job_id.clone()));
    assert_eq!(
        job.spec.as_ref().and_then(|s| s.cluster_uid.as_deref()),
        Some(id.as_str())
    );
    let available = poll(
        "the cluster to be Available",
        || c.show_autopilot_cluster(&id, &detail),
        |r| r.as_ref().is_ok_and(|c| phase(c) == Some("Available")),
    )
    .await
    .unwrap();
    cov.seen("show_autopilot_cluster", &available);
    assert_eq!(
        available.metadata.as_ref().and_then(|m| m.name.as_deref()),
        Some("conformance")
    );
    let version = available
        .spec
        .as_ref()
        .and_then(|s| s.version.clone())
        .expect("spec.version");
    assert!(version.starts_with("v1.28"), "{version}");
    assert_eq!(
        available.metadata.as_ref().and_then(|m| m.alias.as_deref()),
        Some("conformance-alias")
    );
    let spec = available.spec.as_ref().expect("spec");
    assert_eq!(
        spec.kubernetes_svc_ip_range.as_deref(),
        Some("10.248.0.0/16")
    );
    assert_eq!(
        spec.service_network
            .as_ref()
            .and_then(|n| n.ipv4_cidr.as_deref()),
        Some("10.248.0.0/16")
    );
    assert!(
        spec.cluster_tags
            .iter()
            .flatten()
            .any(|t| t.key == "owner" && t.value == "conformance"),
        "{:?}",
        spec.cluster_tags
    );
    let job = c.show_autopilot_job(&job_id).await.unwrap();
    assert_eq!(job.status.and_then(|s| s.phase).as_deref(), Some("Success"));
    let listed = c
        .list_autopilot_clusters(&ListAutopilotClustersQuery::default())
        .await
        .unwrap();
    cov.seen("list_autopilot_clusters", &listed);
    let ids: Vec<_> = listed
        .items
        .iter()
        .flatten()
        .filter_map(|c| c.metadata.as_ref()?.uid.clone())
        .collect();
    assert_eq!(ids, vec![id.clone()]);
    let creating = c
        .list_autopilot_clusters(&ListAutopilotClustersQuery {
            status: Some("Creating".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        creating.items.unwrap_or_default().is_empty(),
        "the status filter is read"
    );

    // Synchronous update, kubeconfig, EIP and endpoints, tags.
    let updated = c
        .update_autopilot_cluster(
            &id,
            &UpdateAutopilotClusterRequest {
                spec: AutopilotClusterInformationSpec {
                    description: Some("conformance run".into()),
                    ..Default::default()
                },
                metadata: Some(AutopilotClusterMetadataForUpdate {
                    alias: Some("conformance-renamed".into()),
                }),
            },
        )
        .await
        .unwrap();
    cov.seen("update_autopilot_cluster", &updated);
    assert_eq!(
        updated.metadata.and_then(|m| m.alias).as_deref(),
        Some("conformance-renamed")
    );
    assert_eq!(
        updated.spec.and_then(|s| s.description).as_deref(),
        Some("conformance run")
    );
    let cert = c
        .create_autopilot_kubernetes_cluster_cert(
            &id,
            &CreateAutopilotKubernetesClusterCertRequest { duration: 1 },
        )
        .await
        .unwrap();
    cov.seen("create_autopilot_kubernetes_cluster_cert", &cert.kubeconfig);
    assert_eq!(cert.kubeconfig.kind.as_deref(), Some("Config"));
    assert!(!cert.kubeconfig.clusters.is_empty());
    assert!(cert.kubeconfig.clusters[0].cluster.server.is_some());
    assert!(cert.kubeconfig.users[0].user.client_key_data.is_some());
    assert!(cert.port_id.is_some(), "the Port-ID header is read");
    let bound = c
        .update_autopilot_cluster_eip(&id, &UpdateAutopilotClusterEipRequest::bind("eip-1"))
        .await
        .unwrap();
    cov.seen("update_autopilot_cluster_eip", &bound);
    let bound = bound.expect("a bind answers with a body");
    let spec = bound.spec.expect("spec");
    assert_eq!(spec.action.as_deref(), Some("bind"));
    assert_eq!(spec.spec.and_then(|s| s.id).as_deref(), Some("eip-1"));
    let endpoints = c.show_autopilot_cluster_endpoints(&id).await.unwrap();
    cov.seen("show_autopilot_cluster_endpoints", &endpoints);
    let status = endpoints.status.expect("status");
    assert!(status.private_endpoint.is_some(), "{status:?}");
    assert!(status.public_endpoint.is_some(), "{status:?}");
    let unbound = c
        .update_autopilot_cluster_eip(&id, &UpdateAutopilotClusterEipRequest::unbind())
        .await
        .unwrap();
    assert!(unbound.is_none(), "an unbind has no body: {unbound:?}");
    let endpoints = c.show_autopilot_cluster_endpoints(&id).await.unwrap();
    let public = endpoints.status.and_then(|s| s.public_endpoint);
    assert!(public.as_deref().is_none_or(str::is_empty), "{public:?}");
    let tags = vec![AutopilotResourceTag {
        key: "team".into(),
        value: "platform".into(),
    }];
    c.batch_create_autopilot_cluster_tags(&id, &BatchCreateAutopilotClusterTagsRequest { tags })
        .await
        .unwrap();
    cov.hit("batch_create_autopilot_cluster_tags");
    let cluster_tags =
        |cl: AutopilotCluster| cl.spec.and_then(|s| s.cluster_tags).unwrap_or_default();
    let shown = c
        .show_autopilot_cluster(&id, &ShowAutopilotClusterQuery::default())
        .await
        .unwrap();
    assert!(
        cluster_tags(shown)
            .iter()
            .any(|t| t.key == "team" && t.value == "platform"),
        "the tag is on the cluster"
    );
    c.batch_delete_autopilot_cluster_tags(
        &id,
        &BatchDeleteAutopilotClusterTagsRequest {
            tags: vec![ResourceDeleteTag { key: "team".into() }],
        },
    )
    .await
    .unwrap();
    cov.hit("batch_delete_autopilot_cluster_tags");
    let shown = c
        .show_autopilot_cluster(&id, &ShowAutopilotClusterQuery::default())
        .await
        .unwrap();
    assert!(!cluster_tags(shown).iter().any(|t| t.key == "team"));

    // Add-ons: install, upgrade, roll back (deleted at the end).
    let addon_status = |a: &AddonInstance| a.status.as_ref().and_then(|s| s.status.clone());
    let addon_version = |a: &AddonInstance| a.spec.as_ref().and_then(|s| s.version.clone());
    let installed = c
        .create_autopilot_addon_instance(&InstanceRequest::install(InstanceRequestSpec {
            version: Some("1.28.4".into()),
            cluster_id: id.clone(),
            values: json!({"flavor": {"replicas": 2}}),
            addon_template_name: "coredns".into(),
        }))
        .await
        .unwrap();
    cov.seen("create_autopilot_addon_instance", &installed);
    assert_eq!(addon_status(&installed).as_deref(), Some("installing"));
    let addon_id = installed
        .metadata
        .as_ref()
        .and_then(|m| m.uid.clone())
        .expect("metadata.uid");
    let running = || {
        poll(
            "the add-on to be running",
            || c.show_autopilot_addon_instance(&addon_id, Some(&id)),
            |r| {
                r.as_ref()
                    .is_ok_and(|a| addon_status(a).as_deref() == Some("running"))
            },
        )
    };
    let a = running().await.unwrap();
    cov.seen("show_autopilot_addon_instance", &a);
    assert_eq!(addon_version(&a).as_deref(), Some("1.28.4"));
    let list = c.list_autopilot_addon_instances(&id).await.unwrap();
    cov.seen("list_autopilot_addon_instances", &list);
    let listed: Vec<_> = list
        .items
        .iter()
        .flatten()
        .filter_map(|a| a.metadata.as_ref()?.uid.clone())
        .collect();
    assert!(listed.contains(&addon_id), "{listed:?}");
    let upgrading = c
        .update_autopilot_addon_instance(
            &addon_id,
            &InstanceRequest::upgrade(InstanceRequestSpec {
                version: Some("1.28.6".into()),
                cluster_id: id.clone(),
                values: json!({"flavor": {"replicas": 3}}),
                addon_template_name: "coredns".into(),
            }),
        )
        .await
        .unwrap();
    cov.seen("update_autopilot_addon_instance", &upgrading);
    assert_eq!(addon_status(&upgrading).as_deref(), Some("upgrading"));
    let a = running().await.unwrap();
    assert_eq!(addon_version(&a).as_deref(), Some("1.28.6"));
    assert_eq!(
        a.spec
            .as_ref()
            .and_then(|s| s.values.as_ref())
            .map(|v| v["flavor"]["replicas"].clone()),
        Some(json!(3)),
        "the new values are applied"
    );
    let st = a.status.clone().expect("status");
    assert_eq!(st.is_rollbackable, Some(true), "{st:?}");
    assert_eq!(st.previous_version.as_deref(), Some("1.28.4"));
    let rolling = c
        .rollback_autopilot_addon_instance(
            &addon_id,
            &RollbackAutopilotAddonInstanceRequest {
                cluster_id: id.clone(),
            },
        )
        .await
        .unwrap();
    cov.seen("rollback_autopilot_addon_instance", &rolling);
    assert_eq!(addon_status(&rolling).as_deref(), Some("rollbacking"));
    let a = running().await.unwrap();
    assert_eq!(addon_version(&a).as_deref(), Some("1.28.4"));

    // Upgrade workflow: create, read, cancel.
    let info = c.show_autopilot_cluster_upgrade_info(&id).await.unwrap();
    cov.seen("show_autopilot_cluster_upgrade_info", &info);
    let targets = info
        .spec
        .and_then(|s| s.version_info)
        .and_then(|v| v.target_versions)
        .expect("spec.versionInfo.targetVersions");
    let target = targets
        .iter()
        .find(|t| t.starts_with("v1.29"))
        .unwrap_or_else(|| panic!("v1.29 is a target: {targets:?}"))
        .clone();
    let wf = c
        .create_autopilot_upgrade_work_flow(
            &id,
            &CreateAutopilotUpgradeWorkFlowRequest::new(WorkFlowSpec {
                cluster_id: Some(id.clone()),
                cluster_version: Some(version.clone()),
                target_version: Some("v1.29".into()),
            }),
        )
        .await
        .unwrap();
    cov.seen("create_autopilot_upgrade_work_flow", &wf);
    assert_eq!(wf.kind.as_deref(), Some("WorkFlowTask"));
    let wf_id = wf.metadata.and_then(|m| m.uid).expect("metadata.uid");
    let wfs = c.list_autopilot_upgrade_work_flows(&id).await.unwrap();
    cov.seen("list_autopilot_upgrade_work_flows", &wfs);
    assert_eq!(wfs.kind.as_deref(), Some("List"));
    let wf_ids: Vec<_> = wfs
        .items
        .iter()
        .flatten()
        .filter_map(|w| w.metadata.as_ref()?.uid.clone())
        .collect();
    assert_eq!(wf_ids, vec![wf_id.clone()]);
    let shown = c
        .show_autopilot_upgrade_work_flow(&id, &wf_id)
        .await
        .unwrap();
    cov.seen("show_autopilot_upgrade_work_flow", &shown);
    // The answer carries the resolved patch, as in the seed example (`v1.19.16-r80`).
    assert_eq!(
        shown.spec.and_then(|s| s.target_version).as_deref(),
        Some(target.as_str())
    );
    assert!(shown.status.and_then(|s| s.phase).is_some());
    let cancelled = c
        .upgrade_autopilot_work_flow_update(&id, &wf_id, &UpgradeWorkFlowUpdateRequest::cancel())
        .await
        .unwrap();
    cov.seen("upgrade_autopilot_work_flow_update", &cancelled);
    assert_eq!(
        cancelled.status.and_then(|s| s.phase).as_deref(),
        Some("Cancel")
    );

    // Pre-check, master snapshot, upgrade (fails once, retried), post-check.
    let skipped = vec![SkippedCheckItem {
        name: "NodeRiskCheck".into(),
        resource_selector: Some(ResourceSelector {
            key: "node.uid".into(),
            values: Some(vec!["node-1".into()]),
            operator: "In".into(),
        }),
    }];
    let pc = c
        .create_autopilot_pre_check(
            &id,
            &CreateAutopilotPreCheckRequest::new(PrecheckSpec {
                cluster_id: Some(id.clone()),
                cluster_version: Some(version.clone()),
                target_version: Some(target.clone()),
                skipped_check_item_list: Some(skipped.clone()),
            }),
        )
        .await
        .unwrap();
    cov.seen("create_autopilot_pre_check", &pc);
    let pc_id = pc.metadata.and_then(|m| m.uid).expect("metadata.uid");
    assert_eq!(pc.status.and_then(|s| s.phase).as_deref(), Some("Init"));
    let pc_phase = |t: &PrecheckTask| t.status.as_ref().and_then(|s| s.phase.clone());
    let done = poll(
        "the pre-check to succeed",
        || c.show_autopilot_pre_check(&id, &pc_id),
        |r| {
            r.as_ref()
                .is_ok_and(|t| pc_phase(t).as_deref() == Some("Success"))
        },
    )
    .await
    .unwrap();
    cov.seen("show_autopilot_pre_check", &done);
    assert_eq!(
        done.spec
            .as_ref()
            .and_then(|s| s.skipped_check_item_list.as_ref()),
        Some(&skipped),
        "the skipped items are kept as sent"
    );
    assert!(done.status.and_then(|s| s.cluster_check_status).is_some());
    let pcs = c.list_autopilot_pre_check_tasks(&id).await.unwrap();
    cov.seen("list_autopilot_pre_check_tasks", &pcs);
    let pcs = pcs.items.expect("items");
    assert!(
        pcs.iter()
            .any(
                |t| t.metadata.as_ref().and_then(|m| m.uid.as_deref()) == Some(pc_id.as_str())
                    && pc_phase(t).as_deref() == Some("Success")
            ),
        "{pcs:?}"
    );

    let snap = c
        .create_autopilot_cluster_master_snapshot(&id)
        .await
        .unwrap();
    cov.seen("create_autopilot_cluster_master_snapshot", &snap);
    let snap_id = snap.uid.expect("top-level uid");
    let snaps = poll(
        "the snapshot to succeed",
        || c.list_autopilot_cluster_master_snapshot_tasks(&id),
        |r| {
            r.as_ref().is_ok_and(|l| {
                l.items.iter().flatten().any(|t| {
                    t.metadata.as_ref().and_then(|m| m.uid.as_deref()) == Some(snap_id.as_str())
                        && t.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Success")
                })
            })
        },
    )
    .await
    .unwrap();
    cov.seen("list_autopilot_cluster_master_snapshot_tasks", &snaps);
    assert!(snaps.status.and_then(|s| s.latest_backup_time).is_some());

    let up = c
        .upgrade_autopilot_cluster(
            &id,
            &UpgradeAutopilotClusterRequest::new(ClusterUpgradeAction {
                // The add-on moves with the cluster: proves the addons[] spelling.
                addons: Some(vec![UpgradeAddonConfig {
                    addon_template_name: "coredns".into(),
                    operation: "patch".into(),
                    version: "1.29.4".into(),
                    values: Some(json!({"flavor": {"replicas": 4}})),
                }]),
                strategy: UpgradeStrategy::in_place(Some(20)),
                target_version: target.clone(),
                ..Default::default()
            }),
        )
        .await
        .unwrap();
    cov.seen("upgrade_autopilot_cluster", &up);
    let task_id = up.metadata.and_then(|m| m.uid).expect("metadata.uid");
    let task_phase = |t: &UpgradeTask| t.status.as_ref().and_then(|s| s.phase.clone());
    let wait_task = |want: &'static str| {
        let (c, id, task_id) = (&c, &id, &task_id);
        async move {
            poll(
                want,
                || c.show_autopilot_upgrade_cluster_task(id, task_id),
                |r| {
                    r.as_ref()
                        .is_ok_and(|t| task_phase(t).as_deref() == Some(want))
                },
            )
            .await
            .unwrap()
        }
    };
    let failed = wait_task("Failed").await;
    cov.seen("show_autopilot_upgrade_cluster_task", &failed);
    c.retry_autopilot_upgrade_cluster_task(&id).await.unwrap();
    cov.hit("retry_autopilot_upgrade_cluster_task");
    let task = wait_task("Success").await;
    assert_eq!(
        task.spec.and_then(|s| s.target_version).as_deref(),
        Some(target.as_str())
    );
    let tasks = c.list_autopilot_upgrade_cluster_tasks(&id).await.unwrap();
    cov.seen("list_autopilot_upgrade_cluster_tasks", &tasks);
    assert_eq!(tasks.kind.as_deref(), Some("List"));
    let task_ids: Vec<_> = tasks
        .items
        .iter()
        .flatten()
        .filter_map(|t| t.metadata.as_ref()?.uid.clone())
        .collect();
    assert_eq!(task_ids, vec![task_id.clone()]);
    let upgraded = poll(
        "the cluster to be Available after the upgrade",
        || c.show_autopilot_cluster(&id, &detail),
        |r| r.as_ref().is_ok_and(|c| phase(c) == Some("Available")),
    )
    .await
    .unwrap();
    assert_eq!(
        upgraded.spec.and_then(|s| s.version).as_deref(),
        Some("v1.29")
    );
    let a = running().await.unwrap();
    assert_eq!(addon_version(&a).as_deref(), Some("1.29.4"));
    assert_eq!(
        a.spec
            .as_ref()
            .and_then(|s| s.values.as_ref())
            .map(|v| v["flavor"]["replicas"].clone()),
        Some(json!(4))
    );
    let post = c
        .create_autopilot_post_check(
            &id,
            &CreateAutopilotPostCheckRequest::new(PostcheckSpec {
                cluster_id: Some(id.clone()),
                cluster_version: Some(version.clone()),
                target_version: Some(target.clone()),
            }),
        )
        .await
        .unwrap();
    cov.seen("create_autopilot_post_check", &post);
    assert_eq!(
        post.status.and_then(|s| s.phase).as_deref(),
        Some("Success")
    );

    // Charts: upload, list, show, values, download, update.
    let tgz = chart_tgz("web", "1.0.0", "replicaCount: 2\nimage:\n  tag: \"1.25\"\n");
    let upload = |parameters: Option<ChartUploadParameters>| UploadAutopilotChartRequest {
        file_name: "web-1.0.0.tgz".into(),
        content: tgz.clone(),
        parameters,
    };
    let chart = c.upload_autopilot_chart(&upload(None)).await.unwrap();
    cov.seen("upload_autopilot_chart", &chart);
    let chart_id = chart.id.clone().expect("id");
    assert_eq!(
        (chart.name.as_deref(), chart.version.as_deref()),
        (Some("web"), Some("1.0.0"))
    );
    // The same name and version again: the documented 409, unless the parameters say override.
    let dup = api_err(c.upload_autopilot_chart(&upload(None)).await);
    assert_eq!(
        (dup.status, dup.code.as_deref()),
        (409, Some("CCE.02409001"))
    );
    assert_eq!(
        dup.class(),
        ErrorClass::Conflict(ConflictKind::AlreadyExists)
    );
    let over = c
        .upload_autopilot_chart(&upload(Some(ChartUploadParameters {
            override_existing: Some(true),
            ..Default::default()
        })))
        .await
        .unwrap();
    assert_eq!(over.id.as_deref(), Some(chart_id.as_str()));
    let charts = c.list_autopilot_charts().await.unwrap();
    cov.seen("list_autopilot_charts", &charts);
    assert_eq!(
        charts
            .iter()
            .filter_map(|c| c.id.clone())
            .collect::<Vec<_>>(),
        vec![chart_id.clone()]
    );
    let shown = c.show_autopilot_chart(&chart_id).await.unwrap();
    cov.seen("show_autopilot_chart", &shown);
    assert_eq!(shown.id.as_deref(), Some(chart_id.as_str()));
    assert_eq!(shown.description.as_deref(), Some("The web chart"));
    let values = c.show_autopilot_chart_values(&chart_id).await.unwrap();
    cov.seen("show_autopilot_chart_values", &values);
    assert_eq!(
        values.values,
        Some(json!({"replicaCount": 2, "image": {"tag": "1.25"}}))
    );
    let archive = c.download_autopilot_chart(&chart_id).await.unwrap();
    cov.hit("download_autopilot_chart");
    assert_eq!(archive, tgz, "the archive is the uploaded package");
    let chart = c
        .update_autopilot_chart(
            &chart_id,
            &UploadAutopilotChartRequest {
                file_name: "web-1.1.0.tgz".into(),
                content: chart_tgz("web", "1.1.0", "replicaCount: 3\n"),
                parameters: None,
            },
        )
        .await
        .unwrap();
    cov.seen("update_autopilot_chart", &chart);
    assert_eq!(
        (chart.id.as_deref(), chart.version.as_deref()),
        (Some(chart_id.as_str()), Some("1.1.0"))
    );

    // Releases: install, list, show, upgrade, history, uninstall.
    let release = c
        .create_autopilot_release(
            &id,
            &CreateAutopilotReleaseRequest {
                chart_id: chart_id.clone(),
                name: "web".into(),
                namespace: "default".into(),
                chart_version: "1.1.0".into(),
                values: json!({"replicaCount": 4}),
                description: Some("conformance".into()),
                parameters: None,
            },
        )
        .await
        .unwrap();
    cov.seen("create_autopilot_release", &release);
    assert_eq!(
        (release.name.as_deref(), release.namespace.as_deref()),
        (Some("web"), Some("default"))
    );
    assert_eq!(release.chart_version.as_deref(), Some("1.1.0"));
    assert_eq!(release.revision, Some(1));
    let releases = c
        .list_autopilot_releases(
            &id,
            &ListAutopilotReleasesQuery {
                chart_id: Some(chart_id.clone()),
                namespace: Some("default".into()),
            },
        )
        .await
        .unwrap();
    cov.seen("list_autopilot_releases", &releases);
    assert_eq!(
        releases
            .iter()
            .filter_map(|r| r.name.clone())
            .collect::<Vec<_>>(),
        vec!["web".to_owned()]
    );
    let elsewhere = c
        .list_autopilot_releases(
            &id,
            &ListAutopilotReleasesQuery {
                chart_id: None,
                namespace: Some("kube-system".into()),
            },
        )
        .await
        .unwrap();
    assert!(
        elsewhere.is_empty(),
        "the namespace filter is read: {elsewhere:?}"
    );
    let deployed = poll(
        "the release to be deployed",
        || c.show_autopilot_release(&id, "default", "web"),
        |r| {
            r.as_ref()
                .is_ok_and(|r| r.status.as_deref() == Some("DEPLOYED"))
        },
    )
    .await
    .unwrap();
    cov.seen("show_autopilot_release", &deployed);
    assert_eq!(deployed.cluster_id.as_deref(), Some(id.as_str()));
    assert_eq!(deployed.chart_name.as_deref(), Some("web"));
    // ReleaseResp.values is the JSON-encoded values (digest §8.3).
    let values: Value = deployed
        .values
        .as_ref()
        .and_then(Value::as_str)
        .and_then(|text| serde_json::from_str(text).ok())
        .expect("values is a JSON string");
    assert_eq!(values["replicaCount"], 4);
    let upgraded = c
        .update_autopilot_release(
            &id,
            "default",
            "web",
            &UpdateAutopilotReleaseRequest {
                chart_id: chart_id.clone(),
                action: "upgrade".into(),
                parameters: ReleaseReqBodyParams::default(),
                values: json!({"replicaCount": 5}),
            },
        )
        .await
        .unwrap();
    cov.seen("update_autopilot_release", &upgraded);
    assert_eq!(upgraded.revision, Some(2));
    poll(
        "the upgraded release to be deployed",
        || c.show_autopilot_release(&id, "default", "web"),
        |r| {
            r.as_ref()
                .is_ok_and(|r| r.status.as_deref() == Some("DEPLOYED"))
        },
    )
    .await
    .unwrap();
    // Roll back to revision 1: proves the parameters.release_version spelling.
    let rolled = c
        .update_autopilot_release(
            &id,
            "default",
            "web",
            &UpdateAutopilotReleaseRequest {
                chart_id: chart_id.clone(),
                action: "rollback".into(),
                parameters: ReleaseReqBodyParams {
                    release_version: Some(1),
                    ..Default::default()
                },
                values: json!({}),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (rolled.revision, rolled.status.as_deref()),
        (Some(3), Some("PENDING_ROLLBACK"))
    );
    let back = poll(
        "the rolled-back release to be deployed",
        || c.show_autopilot_release(&id, "default", "web"),
        |r| {
            r.as_ref()
                .is_ok_and(|r| r.status.as_deref() == Some("DEPLOYED"))
        },
    )
    .await
    .unwrap();
    let values: Value = back
        .values
        .as_ref()
        .and_then(Value::as_str)
        .and_then(|text| serde_json::from_str(text).ok())
        .expect("values is a JSON string");
    assert_eq!(values["replicaCount"], 4, "revision 1's values are back");
    let history = c
        .show_autopilot_release_history(&id, "default", "web")
        .await
        .unwrap();
    cov.seen("show_autopilot_release_history", &history);
    let mut revisions: Vec<_> = history.iter().filter_map(|r| r.revision).collect();
    revisions.sort_unstable();
    assert_eq!(revisions, vec![1, 2, 3]);
    let gone = c
        .delete_autopilot_release(&id, "default", "web")
        .await
        .unwrap();
    cov.hit("delete_autopilot_release");
    assert!(!gone.is_empty());
    poll(
        "the release to be gone",
        || c.show_autopilot_release(&id, "default", "web"),
        |r| r.as_ref().is_err_and(ClientError::is_not_found),
    )
    .await
    .unwrap_err();
    let gone = c.delete_autopilot_chart(&chart_id).await.unwrap();
    cov.hit("delete_autopilot_chart");
    assert!(!gone.is_empty());
    let e = api_err(c.show_autopilot_chart(&chart_id).await);
    assert_eq!((e.status, e.code.as_deref()), (404, Some("CCE.02404001")));

    // Delete the add-on, then the cluster, and wait for the 404.
    let deleted = c
        .delete_autopilot_addon_instance(&addon_id, Some(&id))
        .await
        .unwrap();
    cov.hit("delete_autopilot_addon_instance");
    assert_eq!(deleted, "success");
    poll(
        "the add-on to be gone",
        || c.show_autopilot_addon_instance(&addon_id, Some(&id)),
        |r| r.as_ref().is_err_and(ClientError::is_not_found),
    )
    .await
    .unwrap_err();
    let deleting = c
        .delete_autopilot_cluster(
            &id,
            &DeleteAutopilotClusterQuery {
                delete_efs: Some("try".into()),
                lts_reclaim_policy: Some("Retain".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    cov.seen("delete_autopilot_cluster", &deleting);
    let status = deleting.status.expect("status");
    // The seed example answers with the current phase (digest C8) plus the delete fields.
    assert!(
        status.delete_option.is_some() && status.delete_status.is_some(),
        "{status:?}"
    );
    let option = status.delete_option.clone().unwrap_or_default();
    assert_eq!(
        option["delete_efs"], "delete-try",
        "the query is read: {option}"
    );
    let delete_job = status.job_id.expect("status.jobID");
    let job = c.show_autopilot_job(&delete_job).await.unwrap();
    assert_eq!(
        job.spec.and_then(|s| s.job_type).as_deref(),
        Some("DeleteCluster")
    );
    let e = poll(
        "the cluster to be gone",
        || c.show_autopilot_cluster(&id, &detail),
        |r| r.as_ref().is_err_and(ClientError::is_not_found),
    )
    .await
    .unwrap_err();
    let e = api_err::<()>(Err(e));
    assert_eq!(e.code.as_deref(), Some("CCE.01404001"));

    let missing: Vec<_> = OPERATIONS
        .iter()
        .filter(|op| !cov.called.contains(*op))
        .collect();
    assert!(missing.is_empty(), "operations never called: {missing:?}");
    let mut lost = cov.lost.clone();
    lost.sort();
    lost.dedup();
    assert!(
        lost.is_empty(),
        "fields lost in decoding:\n{}",
        lost.join("\n")
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_errors_decode_into_typed_errors() {
    let emu = start("").await;
    let c = client(&url(&emu), SK);
    let first = c
        .create_autopilot_cluster(&cluster_request("taken", "v1.28"))
        .await
        .unwrap();
    let id = first.metadata.and_then(|m| m.uid).expect("metadata.uid");

    // A cluster that is still Creating is locked: the retryable 429 of the code table.
    let coredns = |cluster_id: &str| {
        InstanceRequest::install(InstanceRequestSpec {
            version: Some("1.28.4".into()),
            cluster_id: cluster_id.into(),
            values: json!({"flavor": {"replicas": 2}}),
            addon_template_name: "coredns".into(),
        })
    };
    let locked = api_err(c.create_autopilot_addon_instance(&coredns(&id)).await);
    assert_eq!(
        (locked.status, locked.code.as_deref()),
        (429, Some("CCE.01429002"))
    );
    assert_eq!(locked.class(), ErrorClass::Locked);
    assert!(locked.is_retryable());
    let query = ShowAutopilotClusterQuery::default();
    poll(
        "the cluster to be Available",
        || c.show_autopilot_cluster(&id, &query),
        |r| r.as_ref().is_ok_and(|c| phase(c) == Some("Available")),
    )
    .await
    .unwrap();
    c.create_autopilot_addon_instance(&coredns(&id))
        .await
        .unwrap();
    let twice = api_err(c.create_autopilot_addon_instance(&coredns(&id)).await);
    assert_eq!(
        (twice.status, twice.code.as_deref()),
        (409, Some("CCE.03409001"))
    );
    assert_eq!(
        twice.class(),
        ErrorClass::Conflict(ConflictKind::AddonExists)
    );

    let dup = api_err(
        c.create_autopilot_cluster(&cluster_request("taken", "v1.28"))
            .await,
    );
    assert_eq!(
        (dup.status, dup.code.as_deref()),
        (409, Some("CCE.01409001"))
    );
    assert_eq!(
        dup.class(),
        ErrorClass::Conflict(ConflictKind::AlreadyExists)
    );
    assert_eq!(dup.known_code().map(|k| k.status), Some(409));
    assert!(dup.request_id.is_some(), "X-Request-Id is read");

    let old = api_err(
        c.create_autopilot_cluster(&cluster_request("too-old", "v1.19"))
            .await,
    );
    assert_eq!(
        (old.status, old.code.as_deref()),
        (400, Some("CCE.01400015"))
    );
    assert_eq!(old.class(), ErrorClass::Permanent);

    let unknown = "00000000-0000-0000-0000-000000000000";
    let e = api_err(
        c.show_autopilot_cluster(unknown, &ShowAutopilotClusterQuery::default())
            .await,
    );
    assert_eq!((e.status, e.code.as_deref()), (404, Some("CCE.01404001")));
    assert!(e.is_not_found() && !e.is_retryable());
    let e = api_err(c.show_autopilot_upgrade_work_flow(unknown, "w").await);
    assert_eq!((e.status, e.code.as_deref()), (404, Some("CCE.01404001")));
    let e = api_err(c.show_autopilot_job(unknown).await);
    assert_eq!((e.status, e.code.as_deref()), (404, Some("CCE.01404001")));
    let e = api_err(c.show_autopilot_addon_instance(unknown, None).await);
    assert_eq!((e.status, e.code.as_deref()), (404, Some("CCE.03404001")));
    let e = api_err(c.show_autopilot_chart(unknown).await);
    assert_eq!((e.status, e.code.as_deref()), (404, Some("CCE.02404001")));
    let e = api_err(c.show_autopilot_release(unknown, "default", "web").await);
    assert_eq!((e.status, e.code.as_deref()), (404, Some("CCE.02404001")));

    // A chart that is not a package: the documented 400 of the chart family.
    let e = api_err(
        c.upload_autopilot_chart(&UploadAutopilotChartRequest {
            file_name: "web.tgz".into(),
            content: b"not a tarball".to_vec(),
            parameters: None,
        })
        .await,
    );
    assert_eq!((e.status, e.code.as_deref()), (400, Some("CCE.02400001")));
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_key_is_a_typed_401() {
    let emu = start("").await;
    let wrong = client(&url(&emu), "not-the-secret");
    let e = api_err(wrong.show_autopilot_quotas().await);
    assert_eq!((e.status, e.code.as_deref()), (401, Some("CCE.01401001")));
    assert_eq!(e.class(), ErrorClass::Unauthorized);
    assert!(!e.is_retryable());
    let e = api_err(wrong.list_autopilot_charts().await);
    assert_eq!((e.status, e.code.as_deref()), (401, Some("CCE.02401001")));
    // The right key on the same server passes: the 401 was the signature, not the setup.
    let right = client(&url(&emu), SK);
    assert!(right.show_autopilot_quotas().await.is_ok());
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_iam_token_authenticates_and_a_wrong_one_is_a_typed_401() {
    let emu = start_with("", Some("conformance-token")).await;
    let with = |token: &str| {
        HuaweiClient::builder()
            .endpoint(url(&emu))
            .project_id(PROJECT)
            .credentials(Credentials::token(token))
            .build()
            .expect("client builds")
    };
    let quotas = with("conformance-token")
        .show_autopilot_quotas()
        .await
        .unwrap();
    assert!(!quotas.quotas.unwrap_or_default().is_empty());
    let e = api_err(with("stale-token").show_autopilot_quotas().await);
    assert_eq!((e.status, e.class()), (401, ErrorClass::Unauthorized));
    assert_eq!(e.code.as_deref(), Some("CCE.01401001"));
    emu.shutdown().await;
}

#[test]
fn lost_fields_reports_misnamed_missing_and_retyped_fields() {
    let raw = json!({"spec": {"upgradeFrom": "", "replicas": 2, "ready": "true", "gone": "x",
        "items": [{"id": "a"}, {"id": "b"}]}, "status": null});
    let kept = json!({"spec": {"upgradefrom": "", "replicas": 3, "ready": true, "gone": "x",
        "items": [{"id": "a"}, {"id": "b"}]}});
    let mut out = Vec::new();
    lost_fields(&raw, &kept, "op", &mut out);
    assert!(
        out.is_empty(),
        "aliases, moved values, lenient reads and nulls pass: {out:?}"
    );
    let broken = json!({"spec": {"upgradefrom": "", "replicas": "2", "ready": 1,
        "items": [{"ID": "a"}]}});
    lost_fields(&raw, &broken, "op", &mut out);
    assert_eq!(
        out,
        vec![
            "op.spec.replicas (sent 2, decoded \"2\")",
            "op.spec.ready (sent \"true\", decoded 1)",
            "op.spec.gone",
            "op.spec.items[0].id",
            "op.spec.items[1]",
        ]
    );
}

#[test]
fn last_body_reads_the_last_response_of_a_kept_alive_stream() {
    let stream = b"HTTP/1.1 201 Created\r\ncontent-length: 7\r\n\r\n{\"a\":1}\
HTTP/1.1 204 No Content\r\n\r\n\
HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"b\"\r\n3\r\n:2}\r\n0\r\n\r\n";
    assert_eq!(last_body(stream), b"{\"b\":2}");
    assert_eq!(last_body(&stream[..50]), b"{\"a\":1}");
}
