//! Tests of the cluster resource type against the scripted fake cloud.

use std::collections::BTreeMap;

use clusterform_model::{Attrs, Value};
use clusterform_provider::{Poll, ProviderError, ResourceType, Started};
use serde_json::{json, Value as Json};

use super::*;
use crate::fake::{not_found, FakeApi};

fn show() -> Json {
    serde_json::from_str(include_str!("../testdata/cluster_show.json")).unwrap()
}

fn created() -> Json {
    serde_json::from_str(include_str!("../testdata/cluster_create_response.json")).unwrap()
}

fn with_phase(phase: &str) -> Json {
    let mut j = show();
    j["status"]["phase"] = json!(phase);
    j
}

fn desired() -> Attrs {
    let mut a = Attrs::new();
    for (k, v) in [
        ("name", "test-cluster-autopilot"),
        ("flavor", "cce.autopilot.cluster"),
        ("vpc_id", "v"),
        ("subnet_id", "s"),
    ] {
        a.insert(k.into(), Value::str(v));
    }
    a.insert(
        "delete_options".into(),
        Value::Map(BTreeMap::from([(
            "delete_efs".to_string(),
            Value::str("try"),
        )])),
    );
    a
}

#[tokio::test]
async fn create_returns_the_uid_and_job_before_waiting() {
    let api = FakeApi::new();
    api.ok("create_cluster", created());
    let t = ClusterType::new(api.clone());
    let Started::Pending { id, op } = t.create(&desired()).await.unwrap() else {
        panic!("expected pending")
    };
    assert_eq!(id, "e18f8b25-2270-11ef-a160-0255ac100100");
    assert_eq!(op.kind, OP_CREATE);
    assert_eq!(op.handle, "e1c49157-2270-11ef-a160-0255ac100100");
    // Nothing but the create call happened: the executor journals before any wait.
    assert_eq!(api.call_names(), ["create_cluster"]);
    assert_eq!(
        api.calls_to("create_cluster")[0]["metadata"]["name"],
        "test-cluster-autopilot"
    );
}

#[tokio::test]
async fn create_poll_follows_the_phase_and_the_job() {
    let api = FakeApi::new();
    api.ok("create_cluster", created());
    let t = ClusterType::new(api.clone());
    let Started::Pending { op, .. } = t.create(&desired()).await.unwrap() else {
        panic!()
    };

    api.ok("show_cluster", with_phase("Creating"));
    api.ok("show_job", json!({"spec": {"subJobs": [{"status": {"phase": "Success"}}, {"status": {"phase": "Running"}}]}, "status": {"phase": "Running"}}));
    assert_eq!(
        t.poll(&op).await.unwrap(),
        Poll::Running {
            phase: "Creating".into(),
            progress: Some(50)
        }
    );

    // A job that has expired (404) is not an error.
    api.on("show_job", Err(not_found()));
    assert!(matches!(t.poll(&op).await.unwrap(), Poll::Running { .. }));

    api.ok("show_cluster", with_phase("Available"));
    let Poll::Done { attrs: Some(a) } = t.poll(&op).await.unwrap() else {
        panic!()
    };
    assert_eq!(a.get("phase"), Some(&Value::str("Available")));
    // The config-only delete options survive into the final attributes.
    assert!(a.contains_key("delete_options"));
}

#[tokio::test]
async fn a_running_job_costs_one_call_a_poll_and_the_cluster_is_read_once_it_is_over() {
    let api = FakeApi::new();
    let t = ClusterType::new(api.clone());
    let op = Operation {
        kind: OP_CREATE.into(),
        object_id: "c".into(),
        handle: "j".into(),
        data: Json::Null,
    };
    api.ok("show_job", json!({"status": {"phase": "Running"}}));
    for _ in 0..3 {
        assert!(matches!(t.poll(&op).await.unwrap(), Poll::Running { .. }));
    }
    assert_eq!(api.call_names(), ["show_job", "show_job", "show_job"]);

    api.ok("show_job", json!({"status": {"phase": "Success"}}));
    api.ok("show_cluster", with_phase("Available"));
    assert!(matches!(t.poll(&op).await.unwrap(), Poll::Done { .. }));
    assert_eq!(
        api.call_names()[3..],
        ["show_job".to_string(), "show_cluster".to_string()]
    );
}

#[tokio::test]
async fn create_poll_fails_on_bad_phases_and_failed_jobs() {
    let api = FakeApi::new();
    let t = ClusterType::new(api.clone());
    let op = Operation {
        kind: OP_CREATE.into(),
        object_id: "c".into(),
        handle: "j".into(),
        data: Json::Null,
    };
    let mut err = with_phase("Error");
    err["status"]["reason"] = json!("quota");
    api.ok("show_cluster", err);
    // The job is over (or forgotten): the cluster's phase says how the create ended.
    api.on("show_job", Err(not_found()));
    let Poll::Failed { message } = t.poll(&op).await.unwrap() else {
        panic!()
    };
    assert!(message.contains("cluster is Error: quota"), "{message}");

    let api = FakeApi::new();
    let t = ClusterType::new(api.clone());
    api.ok("show_cluster", with_phase("Creating"));
    api.ok(
        "show_job",
        json!({"status": {"phase": "Failed", "reason": "InstallMaster failed"}}),
    );
    let Poll::Failed { message } = t.poll(&op).await.unwrap() else {
        panic!()
    };
    assert!(message.contains("InstallMaster failed"));
}

#[tokio::test]
async fn delete_sends_options_and_waits_for_404() {
    let api = FakeApi::new();
    let t = ClusterType::new(api.clone());
    let mut resp = show();
    resp["status"]["jobID"] = json!("del-job");
    api.ok("delete_cluster", resp);
    let Started::Pending { op, .. } = t.delete("c1", &desired()).await.unwrap() else {
        panic!()
    };
    assert_eq!(
        (op.kind.as_str(), op.handle.as_str()),
        (OP_DELETE, "del-job")
    );
    assert_eq!(
        api.calls_to("delete_cluster")[0],
        json!(["c1", [["delete_efs", "try"]]])
    );
    // While the job runs, the job alone is read.
    api.ok("show_job", json!({"status": {"phase": "Running"}}));
    assert!(matches!(t.poll(&op).await.unwrap(), Poll::Running { .. }));
    api.ok("show_job", json!({"status": {"phase": "Success"}}));
    api.on("show_cluster", Err(not_found()));
    assert_eq!(t.poll(&op).await.unwrap(), Poll::Done { attrs: None });
    // Deleting what is already gone is done at once.
    api.on("delete_cluster", Err(not_found()));
    assert!(matches!(
        t.delete("c1", &Attrs::new()).await.unwrap(),
        Started::Done { .. }
    ));
}

#[tokio::test]
async fn read_fingerprints_and_reports_a_running_upgrade() {
    let api = FakeApi::new();
    let t = ClusterType::new(api.clone());
    api.ok("show_cluster", show());
    let r = t
        .read("087dc72a-1ff6-11ef-af74-0255ac10010b", &desired())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        r.fingerprint,
        "version=v1.27;phase=Available;updated=2024-06-04 12:54:27.803532 +0000 UTC;task=-"
    );
    assert!(r.running.is_none());
    assert!(r.attrs.contains_key("delete_options"));

    api.ok("show_cluster", with_phase("Upgrading"));
    api.ok("list_upgrade_tasks", json!({"kind": "List", "items": [
        {"metadata": {"uid": "old"}, "spec": {"version": "v1.27.2-r0", "targetVersion": "v1.27.3-r0"}, "status": {"phase": "Success"}},
        {"metadata": {"uid": "t2"}, "spec": {"version": "v1.27.3-r0", "targetVersion": "v1.28.3-r0"}, "status": {"phase": "Running"}}]}));
    let r = t.read("c", &Attrs::new()).await.unwrap().unwrap();
    let op = r.running.unwrap();
    assert_eq!(
        (op.kind.as_str(), op.handle.as_str()),
        ("upgrade-task", "t2")
    );
    assert!(r.fingerprint.ends_with("task=t2"));

    api.on("show_cluster", Err(not_found()));
    assert!(t.read("c", &Attrs::new()).await.unwrap().is_none());
}

#[tokio::test]
async fn find_adopts_by_name() {
    let api = FakeApi::new();
    let t = ClusterType::new(api.clone());
    api.ok(
        "list_clusters",
        json!({"kind": "Cluster", "apiVersion": "v3", "items": [show()]}),
    );
    let mut d = desired();
    assert!(t.find(&d).await.unwrap().is_none());
    d.insert("name".into(), Value::str("autopilot-test-v1274"));
    let r = t.find(&d).await.unwrap().unwrap();
    assert_eq!(r.id, "087dc72a-1ff6-11ef-af74-0255ac10010b");
}

#[tokio::test]
async fn update_puts_fields_then_tags() {
    let api = FakeApi::new();
    let t = ClusterType::new(api.clone());
    api.ok("update_cluster", show())
        .ok("create_cluster_tags", Json::Null)
        .ok("delete_cluster_tags", Json::Null);
    api.ok("show_cluster", show());
    let mut recorded = cluster_attrs(&show());
    recorded.insert(
        "tags".into(),
        Value::Map(BTreeMap::from([("old".to_string(), Value::str("1"))])),
    );
    let mut want = recorded.clone();
    want.insert("description".into(), Value::str("new description"));
    want.insert(
        "tags".into(),
        Value::Map(BTreeMap::from([("env".to_string(), Value::str("prod"))])),
    );
    let Started::Done { attrs, .. } = t.update("c", &recorded, &want).await.unwrap() else {
        panic!()
    };
    assert_eq!(attrs.get("phase"), Some(&Value::str("Available")));
    assert_eq!(
        api.call_names(),
        [
            "update_cluster",
            "delete_cluster_tags",
            "create_cluster_tags",
            "show_cluster"
        ]
    );
    assert_eq!(
        api.calls_to("update_cluster")[0][1],
        json!({"spec": {"description": "new description"}})
    );
    let e = ProviderError::Throttled {
        message: "x".into(),
        retry_after: None,
    };
    api.on("update_cluster", Err(e.clone()));
    assert!(t
        .update("c", &recorded, &want)
        .await
        .unwrap_err()
        .is_retryable());
}
