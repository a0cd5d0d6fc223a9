//! Tests of the provider: settings, the plan-time catalog, lookups and the imperative actions.

use std::collections::BTreeMap;
use std::time::Duration;

use clusterform_model::{Address, Attrs, Value};
use clusterform_provider::{Poll, Provider, ProviderError};
use serde_json::json;

use super::*;
use crate::fake::FakeApi;

fn settings(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect()
}

fn base() -> BTreeMap<String, Value> {
    settings(&[
        ("region", Value::str("ap-southeast-1")),
        ("project_id", Value::str("0a1b2c3d4e5f4a5b8c9d0e1f2a3b4c5d")),
    ])
}

fn provider(api: &Arc<FakeApi>) -> HuaweiProvider {
    HuaweiProvider::with_api(api.clone(), Settings::parse(&base()).unwrap())
}

#[test]
fn settings_are_validated() {
    let s = Settings::parse(&base()).unwrap();
    assert_eq!(
        (s.region.as_str(), s.endpoint, s.sandbox, s.rate_limit),
        ("ap-southeast-1", None, false, None)
    );
    assert!(matches!(
        Settings::parse(&settings(&[("project_id", Value::str("p"))])),
        Err(ProviderError::Config { .. })
    ));
    let mut sandbox = base();
    sandbox.insert("sandbox".into(), Value::Bool(true));
    assert!(Settings::parse(&sandbox)
        .unwrap_err()
        .to_string()
        .contains("endpoint"));
    sandbox.insert("endpoint".into(), Value::str("http://127.0.0.1:9000"));
    assert!(Settings::parse(&sandbox).unwrap().sandbox);
    let mut rate = base();
    rate.insert("rate_limit".into(), Value::Int(0));
    assert!(Settings::parse(&rate).is_err());
    rate.insert("rate_limit".into(), Value::Float(2.5));
    assert_eq!(Settings::parse(&rate).unwrap().rate_limit, Some(2.5));
}

#[test]
fn new_builds_a_signed_client_without_calling_the_cloud() {
    let mut s = base();
    s.insert("endpoint".into(), Value::str("http://127.0.0.1:9"));
    s.insert("rate_limit".into(), Value::Float(2.5));
    let p = HuaweiProvider::new(&s, Credentials::ak_sk("AK", "SK")).unwrap();
    assert_eq!(p.name(), "huawei");
    assert_eq!(
        p.rate_limit(),
        RateLimit {
            per_second: 2.5,
            burst: 5
        }
    );
    for t in [
        "huawei_autopilot_cluster",
        "huawei_autopilot_addon",
        "huawei_autopilot_cluster_eip",
        "huawei_autopilot_chart",
        "huawei_autopilot_release",
    ] {
        assert_eq!(
            p.resource(t).map(|r| r.schema().type_name.as_str()),
            Some(t)
        );
    }
    assert!(p.resource("huawei_autopilot_nodepool").is_none());
    assert!(p
        .data_source("huawei_autopilot_kubeconfig")
        .is_some_and(|d| d.schema().sensitive));
    assert_eq!(p.schema().data_sources.len(), 12);
    assert!(HuaweiProvider::new(&settings(&[]), Credentials::ak_sk("AK", "SK")).is_err());
}

#[tokio::test]
async fn prepare_plan_loads_the_catalog_the_hooks_answer_from() {
    let api = FakeApi::new();
    let p = provider(&api);
    let addr = Address::managed("huawei_autopilot_cluster", "prod");
    // Before prepare_plan the built-in paths answer, and say so.
    let hops = p
        .hooks()
        .upgrade_hops(
            "huawei_autopilot_cluster",
            &addr,
            &Value::str("v1.28"),
            &Value::str("v1.29"),
            &Attrs::new(),
        )
        .unwrap();
    assert!(hops[0].steps[0].description.contains("built-in"));

    api.ok("list_upgrade_paths", json!({"upgradePaths": [{"version": "v1.28", "platformVersion": "cce.4.0", "targetVersions": ["v1.29.1-r0", "v1.30.2-r0"]}]}));
    api.ok("list_addon_templates", json!({"items": [{"metadata": {"name": "coredns"}, "spec": {"versions": [{"version": "1.29.4"}]}}]}));
    api.ok(
        "show_quotas",
        json!({"quotas": [{"quotaKey": "autopilot_cluster", "quotaLimit": 5, "used": 2}]}),
    );
    p.prepare_plan().await.unwrap();
    let c = p.huawei_hooks().loaded().unwrap();
    assert_eq!(
        (
            c.addon_templates.len(),
            c.cluster_quota.map(|q| q.used),
            c.paths_builtin
        ),
        (1, Some(2), false)
    );
    let hops = p
        .hooks()
        .upgrade_hops(
            "huawei_autopilot_cluster",
            &addr,
            &Value::str("v1.28"),
            &Value::str("v1.30"),
            &Attrs::new(),
        )
        .unwrap();
    assert_eq!((hops.len(), hops[0].to.as_str()), (1, "v1.30.2-r0"));
}

#[tokio::test]
async fn a_refused_part_of_the_catalog_falls_back_and_throttling_propagates() {
    let api = FakeApi::new();
    let p = provider(&api);
    let forbidden = ProviderError::Permanent {
        code: Some("CCE.01403001".into()),
        message: "Forbidden.".into(),
        request_id: None,
    };
    api.on("list_upgrade_paths", Err(forbidden));
    api.ok("list_addon_templates", json!({"items": []}));
    api.on("show_quotas", Err(crate::fake::not_found()));
    p.prepare_plan().await.unwrap();
    let c = p.huawei_hooks().loaded().unwrap();
    assert!(c.paths_builtin && c.cluster_quota.is_none());
    assert_eq!(c.upgrade_paths, Catalog::builtin().upgrade_paths);

    api.on(
        "list_upgrade_paths",
        Err(ProviderError::Throttled {
            message: "slow down".into(),
            retry_after: Some(Duration::from_secs(1)),
        }),
    );
    assert!(p.prepare_plan().await.unwrap_err().is_retryable());
}

#[tokio::test]
async fn precheck_waits_for_the_verdict() {
    let api = FakeApi::new();
    let p = provider(&api);
    api.ok("show_cluster", json!({"metadata": {"uid": "c1"}, "spec": {"version": "v1.28.3-r0"}, "status": {"phase": "Available"}}));
    api.ok(
        "create_precheck",
        json!({"metadata": {"uid": "pc-1"}, "status": {"phase": "Init"}}),
    );
    api.ok("show_precheck", json!({"status": {"phase": "Running"}}));
    api.ok("show_precheck", json!({"status": {"phase": "Success"}}));
    let verdict = p
        .precheck_with(
            "c1",
            "v1.29",
            Duration::from_millis(1),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(verdict, "pre-check passed");
    assert_eq!(
        api.calls_to("create_precheck")[0][1]["spec"]["clusterVersion"],
        "v1.28.3-r0"
    );
    assert_eq!(api.calls_to("show_precheck").len(), 2);

    api.ok(
        "show_precheck",
        json!({"status": {"phase": "Failed", "message": "blocked"}}),
    );
    assert_eq!(
        p.precheck_with("c1", "v1.29", Duration::ZERO, Duration::ZERO)
            .await
            .unwrap(),
        "pre-check failed: blocked"
    );
    api.ok("show_precheck", json!({"status": {"phase": "Running"}}));
    assert!(p
        .precheck_with("c1", "v1.29", Duration::ZERO, Duration::ZERO)
        .await
        .unwrap_err()
        .is_retryable());
}

#[tokio::test]
async fn imperative_actions_call_the_cloud() {
    let api = FakeApi::new();
    let p = provider(&api);
    api.ok("retry_upgrade_task", json!(null));
    p.retry_upgrade("c1").await.unwrap();
    api.ok(
        "cancel_upgrade_workflow",
        json!({"metadata": {"uid": "wf"}, "status": {"phase": "Cancel"}}),
    );
    assert_eq!(
        p.cancel_upgrade_workflow("c1", "wf").await.unwrap(),
        "Cancel"
    );
    assert_eq!(
        api.calls_to("cancel_upgrade_workflow")[0],
        json!(["c1", "wf"])
    );
    api.ok(
        "rollback_addon",
        json!({"metadata": {"uid": "a1"}, "status": {"status": "rollbacking"}}),
    );
    let op = p.rollback_addon("a1", "c1").await.unwrap();
    assert_eq!(
        (op.kind.as_str(), op.object_id.as_str()),
        ("addon-rollback", "a1")
    );
    api.ok("show_addon", json!({"metadata": {"uid": "a1"}, "spec": {"version": "1.28.4"}, "status": {"status": "running"}}));
    let addon = p.resource("huawei_autopilot_addon").unwrap();
    assert!(matches!(addon.poll(&op).await.unwrap(), Poll::Done { .. }));
}
