//! Tests of the upgrade steps against the scripted fake cloud.

use std::collections::BTreeMap;

use clusterform_model::{Attrs, UpgradeHop, Value};
use clusterform_provider::{Operation, Poll, ResourceType, Started, StepRequest};
use serde_json::{json, Value as Json};

use super::*;
use crate::catalog::Catalog;
use crate::cluster::ClusterType;
use crate::fake::FakeApi;
use crate::route::build_hops;

fn hop(opts: &UpgradeOptions) -> UpgradeHop {
    build_hops(
        &Catalog::builtin(),
        false,
        "v1.27.3-r0",
        None,
        "v1.28",
        opts,
    )
    .unwrap()
    .remove(0)
}

fn show() -> Json {
    serde_json::from_str(include_str!("../testdata/cluster_show.json")).unwrap()
}

/// The §4.3.16-style workflow the cloud answers, with server-filled patch versions.
fn workflow(phase: &str) -> Json {
    json!({"kind": "WorkFlowTask", "apiVersion": "v3",
        "metadata": {"uid": "wf-1", "name": "cluster-upgrade-booting-task"},
        "spec": {"clusterID": "c1", "clusterVersion": "v1.27.3-r0", "targetVersion": "v1.28.3-r0"},
        "status": {"phase": phase, "pointStatuses": [], "lineStatuses": []}})
}

async fn step(
    t: &ClusterType,
    h: &UpgradeHop,
    i: usize,
    earlier: &BTreeMap<String, Operation>,
    recorded: &Attrs,
) -> Operation {
    let req = StepRequest {
        hop: h,
        step_index: i,
        earlier,
    };
    match t.upgrade_step("c1", recorded, req).await.unwrap() {
        Started::Pending { op, .. } => op,
        Started::Done { .. } => panic!("steps are journalled operations"),
    }
}

#[tokio::test]
async fn a_hop_runs_its_steps_with_the_workflows_exact_versions() {
    let api = FakeApi::new();
    let t = ClusterType::new(api.clone());
    let opts = UpgradeOptions {
        skipped_check_items: vec!["NodeContainererdPodRestartRisk".into()],
        ..UpgradeOptions::default()
    };
    let h = hop(&opts);
    let mut recorded = Attrs::new();
    recorded.insert(
        "upgrade".into(),
        Value::Map(BTreeMap::from([(
            "skipped_check_items".to_string(),
            Value::List(vec![Value::str("NodeContainererdPodRestartRisk")]),
        )])),
    );
    api.ok(
        "list_upgrade_workflows",
        json!({"kind": "List", "items": []}),
    );
    api.ok("create_upgrade_workflow", workflow("Init"));
    let mut earlier = BTreeMap::new();
    let wf = step(&t, &h, 0, &earlier, &recorded).await;
    assert_eq!(
        (wf.kind.as_str(), wf.handle.as_str()),
        (OP_WORKFLOW, "wf-1")
    );
    assert_eq!(
        api.calls_to("create_upgrade_workflow")[0][1],
        json!({"kind": "WorkFlowTask", "apiVersion": "v3", "spec": {"clusterID": "c1", "targetVersion": "v1.28.3-r0"}})
    );
    earlier.insert("workflow".to_string(), wf);

    api.ok("list_prechecks", json!({"items": []}));
    api.ok(
        "create_precheck",
        json!({"metadata": {"uid": "pc-1"}, "status": {"phase": "Init"}}),
    );
    let pc = step(&t, &h, 1, &earlier, &recorded).await;
    assert_eq!(pc.handle, "pc-1");
    assert_eq!(
        api.calls_to("create_precheck")[0][1],
        json!({"apiVersion": "v3", "kind": "PreCheckTask", "spec": {
        "clusterID": "c1", "clusterVersion": "v1.27.3-r0", "targetVersion": "v1.28.3-r0",
        "skippedCheckItemList": [{"name": "NodeContainererdPodRestartRisk"}]}})
    );

    // Nothing linked to the workflow and no backup running: the snapshot is started.
    api.ok("show_upgrade_workflow", workflow("Running"));
    api.ok("list_snapshot_tasks", json!({"kind": "List", "items": []}));
    api.ok(
        "create_snapshot",
        json!({"uid": "snap-1", "metadata": {"kind": "Snapshot", "apiVersion": "v3.1"}}),
    );
    assert_eq!(step(&t, &h, 2, &earlier, &recorded).await.handle, "snap-1");

    api.ok("list_upgrade_tasks", json!({"kind": "List", "items": []}));
    api.ok("upgrade_cluster", json!({"metadata": {"uid": "up-1"}}));
    let up = step(&t, &h, 3, &earlier, &recorded).await;
    assert_eq!((up.kind.as_str(), up.handle.as_str()), (OP_UPGRADE, "up-1"));
    assert_eq!(
        api.calls_to("upgrade_cluster")[0][1],
        json!({"metadata": {"apiVersion": "v3", "kind": "UpgradeTask"},
        "spec": {"clusterUpgradeAction": {"targetVersion": "v1.28.3-r0",
            "strategy": {"type": "inPlaceRollingUpdate", "inPlaceRollingUpdate": {"userDefinedStep": 20, "scope": "Cluster"}}}}})
    );

    api.ok(
        "create_postcheck",
        json!({"metadata": {"uid": "post-1"}, "status": {"phase": "Success"}}),
    );
    let post = step(&t, &h, 4, &earlier, &recorded).await;
    assert_eq!(
        api.calls_to("create_postcheck")[0][1]["spec"],
        json!({"clusterID": "c1", "clusterVersion": "v1.27.3-r0", "targetVersion": "v1.28.3-r0"})
    );
    api.ok("show_cluster", show());
    let Poll::Done { attrs: Some(a) } = t.poll(&post).await.unwrap() else {
        panic!()
    };
    // The upgrade block rides along in the operation and comes back with the attributes.
    assert!(a.contains_key("upgrade"));
    let req = StepRequest {
        hop: &h,
        step_index: 9,
        earlier: &earlier,
    };
    assert!(t.upgrade_step("c1", &recorded, req).await.is_err());
}

#[tokio::test]
async fn a_resumed_run_adopts_the_open_workflow_and_the_running_task() {
    let api = FakeApi::new();
    let t = ClusterType::new(api.clone());
    let h = hop(&UpgradeOptions::default());
    api.ok(
        "list_upgrade_workflows",
        json!({"kind": "List", "items": [workflow("Success"), workflow("Pending")]}),
    );
    let wf = step(&t, &h, 0, &BTreeMap::new(), &Attrs::new()).await;
    assert_eq!(wf.data["target_version"], "v1.28.3-r0");
    assert!(api.calls_to("create_upgrade_workflow").is_empty());

    // Without the workflow's result, versions come from the cluster.
    api.ok("show_cluster", show());
    api.ok("list_upgrade_tasks", json!({"items": [{"metadata": {"uid": "up-9"}, "spec": {"targetVersion": "v1.28.3-r0"}, "status": {"phase": "Running"}}]}));
    let up = step(&t, &h, 3, &BTreeMap::new(), &Attrs::new()).await;
    assert_eq!(up.handle, "up-9");
    assert_eq!(up.data["cluster_version"], "v1.27");
    assert!(api.calls_to("upgrade_cluster").is_empty());
}

#[tokio::test]
async fn a_failed_upgrade_task_is_retried_once() {
    let api = FakeApi::new();
    let t = ClusterType::new(api.clone());
    let op = Operation {
        kind: OP_UPGRADE.into(),
        object_id: "c1".into(),
        handle: "up-1".into(),
        data: json!({}),
    };
    api.ok(
        "show_upgrade_task",
        json!({"status": {"phase": "Running", "progress": "40.00"}}),
    );
    assert_eq!(
        t.poll(&op).await.unwrap(),
        Poll::Running {
            phase: "Running".into(),
            progress: Some(40)
        }
    );
    api.ok("show_upgrade_task", json!({"status": {"phase": "Failed"}}));
    api.ok("retry_upgrade_task", Json::Null);
    // The retry hands the executor an operation to journal that carries the fact.
    let Poll::Continue { op: next, phase } = t.poll(&op).await.unwrap() else {
        panic!()
    };
    assert_eq!(phase, "retrying");
    assert_eq!(
        (next.kind.as_str(), next.handle.as_str()),
        (OP_UPGRADE, "up-1")
    );
    assert_eq!(next.data["retried"], json!(true));
    let Poll::Failed { message } = t.poll(&next).await.unwrap() else {
        panic!()
    };
    assert!(message.contains("failed after a retry"));
    // A resumed run (another process) polling the journaled operation does not retry again.
    let resumed = ClusterType::new(api.clone());
    assert!(matches!(
        resumed.poll(&next).await.unwrap(),
        Poll::Failed { .. }
    ));
    assert_eq!(api.calls_to("retry_upgrade_task").len(), 1);
}

#[tokio::test]
async fn precheck_failures_name_the_fatal_items() {
    let api = FakeApi::new();
    let t = ClusterType::new(api.clone());
    let op = Operation {
        kind: OP_PRECHECK.into(),
        object_id: "c1".into(),
        handle: "pc".into(),
        data: json!({}),
    };
    api.ok("show_precheck", json!({"status": {"phase": "Failed", "message": "check failed",
        "clusterCheckStatus": {"phase": "Failed", "itemsStatus": [
            {"name": "DeprecatedApiCheck", "kind": "Exception", "level": "Fatal", "phase": "Failed", "message": "v1beta1 in use"},
            {"name": "BlackLimit", "kind": "Risk", "level": "Info", "phase": "Success"}]},
        "nodeCheckStatus": {"nodeStageStatus": [{"itemsStatus": [{"name": "ResiduePackageVersion", "level": "Warning", "kind": "Risk", "phase": "Failed"}]}]}}}));
    let Poll::Failed { message } = t.poll(&op).await.unwrap() else {
        panic!()
    };
    assert_eq!(message, "pre-check failed: check failed; DeprecatedApiCheck (Fatal Exception): v1beta1 in use; ResiduePackageVersion (Warning Risk): no message");
    let ok = json!({"status": {"phase": "Success", "clusterCheckStatus": {"itemsStatus": [{"level": "Warning"}]}}});
    assert_eq!(
        precheck_outcome(&ok),
        Some(Ok("pre-check passed with 1 warning(s)".to_string()))
    );
    assert_eq!(
        precheck_outcome(&json!({"status": {"phase": "Running"}})),
        None
    );
}

#[tokio::test]
async fn snapshot_is_found_by_uid_in_the_list() {
    let api = FakeApi::new();
    let t = ClusterType::new(api.clone());
    let op = Operation {
        kind: OP_SNAPSHOT.into(),
        object_id: "c1".into(),
        handle: "s2".into(),
        data: json!({}),
    };
    api.ok(
        "list_snapshot_tasks",
        json!({"items": [
        {"metadata": {"uid": "s1"}, "status": {"phase": "Success"}},
        {"metadata": {"uid": "s2"}, "status": {"phase": "Running", "progress": "67"}}]}),
    );
    assert_eq!(
        t.poll(&op).await.unwrap(),
        Poll::Running {
            phase: "snapshot Running".into(),
            progress: Some(67)
        }
    );
    api.ok(
        "list_snapshot_tasks",
        json!({"items": [{"metadata": {"uid": "s2"}, "status": {"phase": "Failed"}}]}),
    );
    assert!(matches!(t.poll(&op).await.unwrap(), Poll::Failed { .. }));
    api.ok("list_snapshot_tasks", json!({"items": []}));
    assert!(matches!(t.poll(&op).await.unwrap(), Poll::Running { .. }));
}

#[tokio::test]
async fn cancelled_workflows_and_failed_postchecks_fail() {
    let api = FakeApi::new();
    let t = ClusterType::new(api.clone());
    let wf = Operation {
        kind: OP_WORKFLOW.into(),
        object_id: "c1".into(),
        handle: "wf-1".into(),
        data: json!({}),
    };
    api.ok("show_upgrade_workflow", workflow("Cancel"));
    assert!(matches!(t.poll(&wf).await.unwrap(), Poll::Failed { .. }));
    let post = Operation {
        kind: OP_POSTCHECK.into(),
        object_id: "c1".into(),
        handle: String::new(),
        data: json!({"phase": "Init"}),
    };
    api.ok("create_postcheck", json!({"status": {"phase": "Failed"}}));
    let Poll::Failed { message } = t.poll(&post).await.unwrap() else {
        panic!()
    };
    assert_eq!(message, "post-upgrade check failed");
}

#[test]
fn upgrade_body_moves_addons_at_their_hop() {
    let addon = |t: &str, v: &str, at: Option<&str>| {
        let mut m = BTreeMap::from([
            ("template".to_string(), Value::str(t)),
            ("version".to_string(), Value::str(v)),
        ]);
        if let Some(a) = at {
            m.insert("cluster_version".into(), Value::str(a));
        }
        Value::Map(m)
    };
    let opts = UpgradeOptions {
        addons: vec![
            addon("coredns", "1.29.4", Some("v1.29")),
            addon("metrics-server", "1.3.60", None),
        ],
        user_defined_step: 5,
        ..UpgradeOptions::default()
    };
    let b = upgrade_body("v1.28.3-r0", &opts);
    assert_eq!(
        b["spec"]["clusterUpgradeAction"]["addons"],
        json!([{"addonTemplateName": "metrics-server", "operation": "patch", "version": "1.3.60"}])
    );
    assert_eq!(
        b["spec"]["clusterUpgradeAction"]["strategy"]["inPlaceRollingUpdate"]["userDefinedStep"],
        5
    );
    let b = upgrade_body("v1.29.1-r0", &opts);
    assert_eq!(
        b["spec"]["clusterUpgradeAction"]["addons"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

/// The workflow with tasks linked to its points, as the cloud reports them (§4.3.16).
fn linked_workflow(points: Json) -> Json {
    let mut w = workflow("Running");
    w["status"]["pointStatuses"] = points;
    w
}

fn op_of(kind: &str, handle: &str) -> Operation {
    Operation {
        kind: kind.into(),
        object_id: "c1".into(),
        handle: handle.into(),
        data: json!({"cluster_version": "v1.27.3-r0", "target_version": "v1.28.3-r0"}),
    }
}

#[tokio::test]
async fn a_resumed_snapshot_or_postcheck_adopts_the_task_of_this_hop() {
    let api = FakeApi::new();
    let t = ClusterType::new(api.clone());
    let h = hop(&UpgradeOptions::default());
    let earlier = BTreeMap::from([
        ("workflow".to_string(), op_of(OP_WORKFLOW, "wf-1")),
        ("precheck".to_string(), op_of(OP_PRECHECK, "pc-1")),
    ]);
    // Killed after the snapshot POST, before it was journaled: the workflow links the task.
    api.ok(
        "show_upgrade_workflow",
        linked_workflow(json!([
            {"taskType": "PreCheck", "taskID": "pc-1", "status": "Success"},
            {"taskType": "Snapshot", "taskID": "snap-7", "status": "Success"}])),
    );
    let snap = step(&t, &h, 2, &earlier, &Attrs::new()).await;
    assert_eq!(
        (snap.kind.as_str(), snap.handle.as_str()),
        (OP_SNAPSHOT, "snap-7")
    );
    // Without a linked task, a backup still running is this hop's (one runs at a time).
    api.ok("show_upgrade_workflow", linked_workflow(json!([])));
    api.ok(
        "list_snapshot_tasks",
        json!({"items": [
            {"metadata": {"uid": "s-old"}, "status": {"phase": "Success"}},
            {"metadata": {"uid": "s-run"}, "status": {"phase": "Running"}}]}),
    );
    assert_eq!(
        step(&t, &h, 2, &earlier, &Attrs::new()).await.handle,
        "s-run"
    );
    assert!(api.calls_to("create_snapshot").is_empty());

    // The post-check answered before the crash: its linked result is adopted, not asked again.
    api.ok(
        "show_upgrade_workflow",
        linked_workflow(
            json!([{"taskType": "PostCheck", "taskID": "post-3", "status": "Success"}]),
        ),
    );
    let post = step(&t, &h, 4, &earlier, &Attrs::new()).await;
    assert_eq!(
        (post.kind.as_str(), post.handle.as_str()),
        (OP_POSTCHECK, "post-3")
    );
    api.ok("show_cluster", show());
    assert!(matches!(t.poll(&post).await.unwrap(), Poll::Done { .. }));
    assert!(api.calls_to("create_postcheck").is_empty());
}

#[tokio::test]
async fn an_expired_precheck_is_redone_before_the_upgrade_and_a_resume_starts_no_second_one() {
    let api = FakeApi::new();
    let t = ClusterType::new(api.clone());
    let h = hop(&UpgradeOptions::default());
    let earlier = BTreeMap::from([
        ("workflow".to_string(), op_of(OP_WORKFLOW, "wf-1")),
        ("precheck".to_string(), op_of(OP_PRECHECK, "pc-1")),
    ]);
    let old = json!({"metadata": {"uid": "up-0"}, "spec": {"targetVersion": "v1.28.3-r0"}, "status": {"phase": "Failed"}});
    api.ok("list_upgrade_tasks", json!({"items": [old.clone()]}));
    api.ok(
        "show_precheck",
        json!({"metadata": {"uid": "pc-1"}, "status": {"phase": "Success",
            "expireTimeStamp": "2023-11-25 08:21:05.518966 +0000 UTC"}}),
    );
    api.ok(
        "create_precheck",
        json!({"metadata": {"uid": "pc-2"}, "status": {"phase": "Init"}}),
    );
    let up = step(&t, &h, 3, &earlier, &Attrs::new()).await;
    assert_eq!((up.kind.as_str(), up.handle.as_str()), (OP_UPGRADE, ""));
    assert!(api.calls_to("upgrade_cluster").is_empty());
    assert_eq!(
        api.calls_to("create_precheck")[0][1]["spec"]["targetVersion"],
        "v1.28.3-r0"
    );

    // The redone pre-check runs, then passes: the upgrade starts.
    api.ok("show_precheck", json!({"status": {"phase": "Running"}}));
    assert!(matches!(
        t.poll(&up).await.unwrap(),
        Poll::Running { phase, .. } if phase.starts_with("pre-check redone")
    ));
    api.ok("show_precheck", json!({"status": {"phase": "Success"}}));
    api.ok("upgrade_cluster", json!({"metadata": {"uid": "up-1"}}));
    assert!(matches!(t.poll(&up).await.unwrap(), Poll::Running { .. }));
    assert_eq!(api.calls_to("upgrade_cluster").len(), 1);

    // A process that re-polls the same journaled operation follows the new task; no second POST.
    let resumed = ClusterType::new(api.clone());
    let new = json!({"metadata": {"uid": "up-1"}, "spec": {"targetVersion": "v1.28.3-r0"}, "status": {"phase": "Success"}});
    api.ok("list_upgrade_tasks", json!({"items": [old, new]}));
    api.ok("show_upgrade_task", json!({"status": {"phase": "Success"}}));
    api.ok("show_cluster", show());
    assert!(matches!(
        resumed.poll(&up).await.unwrap(),
        Poll::Done { .. }
    ));
    assert_eq!(api.calls_to("show_upgrade_task")[0], json!(["c1", "up-1"]));
    assert_eq!(api.calls_to("upgrade_cluster").len(), 1);

    // A pre-check still valid is not redone.
    let api = FakeApi::new();
    let t = ClusterType::new(api.clone());
    api.ok("list_upgrade_tasks", json!({"items": []}));
    api.ok(
        "show_precheck",
        json!({"status": {"phase": "Success", "expireTimeStamp": "2999-01-01 00:00:00.000000 +0000 UTC"}}),
    );
    api.ok("upgrade_cluster", json!({"metadata": {"uid": "up-5"}}));
    assert_eq!(
        step(&t, &h, 3, &earlier, &Attrs::new()).await.handle,
        "up-5"
    );
    assert!(api.calls_to("create_precheck").is_empty());
}

#[test]
fn cloud_times_parse_in_both_forms() {
    let go = parse_time("2023-11-25 08:21:05.518966 +0000 UTC").unwrap();
    assert_eq!(go.to_rfc3339(), "2023-11-25T08:21:05.518966+00:00");
    assert_eq!(
        parse_time("2024-07-18T04:04:21Z").unwrap().to_rfc3339(),
        "2024-07-18T04:04:21+00:00"
    );
    assert!(parse_time("yesterday").is_none());
}
