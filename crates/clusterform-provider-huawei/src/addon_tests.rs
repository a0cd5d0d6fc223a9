//! Tests of the add-on mapping and resource type, on the seed's install response.

use std::collections::BTreeMap;

use clusterform_model::{Attrs, Value};
use clusterform_provider::{Poll, ProviderError, ResourceType, Started};
use serde_json::{json, Value as Json};

use super::*;
use crate::fake::{not_found, FakeApi};
use crate::hooks::HuaweiHooks;
use clusterform_model::PlanHooks;

fn seed() -> Json {
    serde_json::from_str(include_str!("../testdata/addon_create_response.json")).unwrap()
}

fn with_status(s: &str) -> Json {
    let mut j = seed();
    j["status"]["status"] = json!(s);
    j
}

fn desired(version: Option<&str>, replicas: i64) -> Attrs {
    let mut a = Attrs::new();
    a.insert(
        "cluster_id".into(),
        Value::str("597f2d95-44ab-11ef-9e39-0255ac100115"),
    );
    a.insert("template".into(), Value::str("coredns"));
    if let Some(v) = version {
        a.insert("version".into(), Value::str(v));
    }
    let flavor = Value::Map(BTreeMap::from([(
        "replicas".to_string(),
        Value::Int(replicas),
    )]));
    a.insert(
        "values".into(),
        Value::Map(BTreeMap::from([("flavor".to_string(), flavor)])),
    );
    a
}

#[test]
fn install_response_maps_without_injected_values() {
    let a = addon_attrs(&seed());
    assert_eq!(
        a.get("id"),
        Some(&Value::str("90b775e0-5774-4e1d-ab3b-516332ba047a"))
    );
    assert_eq!(a.get("template"), Some(&Value::str("coredns")));
    assert_eq!(a.get("version"), Some(&Value::str("1.28.6")));
    assert_eq!(a.get("status"), Some(&Value::str("installing")));
    assert_eq!(a.get("template_type"), Some(&Value::str("helm")));
    assert_eq!(a.get("target_versions"), Some(&Value::List(vec![])));
    assert_eq!(a.get("is_rollbackable"), Some(&Value::Bool(false)));
    let values = a.get("values").and_then(Value::as_map).unwrap();
    assert!(values.contains_key("flavor") && !values.contains_key("systemAutoInject"));
    for attr in crate::schema::addon_schema().attributes {
        assert!(a.contains_key(&attr.name), "{}", attr.name);
    }
    // The user's two replicas match the server-expanded values: no perpetual diff.
    let hooks = HuaweiHooks::new();
    assert!(hooks.equivalent(
        "huawei_autopilot_addon",
        "values",
        &desired(None, 2)["values"],
        &a["values"]
    ));
    assert!(!hooks.equivalent(
        "huawei_autopilot_addon",
        "values",
        &desired(None, 3)["values"],
        &a["values"]
    ));
}

#[test]
fn bodies_follow_the_install_and_upgrade_rules() {
    let b = addon_create_body(&desired(None, 2));
    assert_eq!(
        b,
        json!({"kind": "Addon", "apiVersion": "v3", "metadata": {"annotations": {"addon.install/type": "install"}},
        "spec": {"clusterID": "597f2d95-44ab-11ef-9e39-0255ac100115", "addonTemplateName": "coredns", "values": {"flavor": {"replicas": 2}}}})
    );
    assert_eq!(
        addon_create_body(&desired(Some("1.28.6"), 2))["spec"]["version"],
        "1.28.6"
    );

    let recorded = addon_attrs(&seed());
    let u = addon_update_body(&recorded, &desired(None, 3));
    assert_eq!(
        u["metadata"]["annotations"],
        json!({"addon.upgrade/type": "upgrade"})
    );
    // The version is mandatory on update: the recorded one when the config leaves it out.
    assert_eq!(u["spec"]["version"], "1.28.6");
    let values = &u["spec"]["values"];
    assert_eq!(values["flavor"]["replicas"], 3);
    assert_eq!(values["flavor"]["name"], "autopilot-flavor1");
    assert_eq!(values["basic"]["cluster_ip"], "10.247.3.10");
    assert!(values.get("systemAutoInject").is_none());
    assert_eq!(
        addon_update_body(&recorded, &desired(Some("1.29.4"), 2))["spec"]["version"],
        "1.29.4"
    );
}

#[test]
fn merge_is_deep_for_maps_only() {
    let m = deep_merge(
        &json!({"a": {"b": 1, "c": [1]}, "d": 1}),
        &json!({"a": {"c": [2]}, "e": null}),
    );
    assert_eq!(m, json!({"a": {"b": 1, "c": [2]}, "d": 1, "e": null}));
}

#[test]
fn statuses_settle_as_documented() {
    let done = |s: &str| matches!(settle(&with_status(s), 0, 0), Poll::Done { .. });
    let failed = |s: &str, t: u64| matches!(settle(&with_status(s), 0, t), Poll::Failed { .. });
    assert!(done("running") && done("available"));
    assert!(failed("installFailed", 0) && failed("upgradeFailed", 0) && failed("unknown", 0));
    assert!(!failed("abnormal", 10) && failed("abnormal", 301));
    assert_eq!(
        settle(&with_status("upgrading"), 0, 0),
        Poll::Running {
            phase: "upgrading".into(),
            progress: None
        }
    );
}

#[tokio::test]
async fn create_journals_then_polls_until_running() {
    let api = FakeApi::new();
    let t = AddonType::new(api.clone());
    api.ok("create_addon", seed());
    let Started::Pending { id, op } = t.create(&desired(None, 2)).await.unwrap() else {
        panic!()
    };
    assert_eq!(id, "90b775e0-5774-4e1d-ab3b-516332ba047a");
    assert_eq!(api.call_names(), ["create_addon"]);
    api.ok("show_addon", with_status("installing"));
    assert!(matches!(t.poll(&op).await.unwrap(), Poll::Running { .. }));
    api.ok("show_addon", with_status("running"));
    assert!(matches!(
        t.poll(&op).await.unwrap(),
        Poll::Done { attrs: Some(_) }
    ));
    assert_eq!(
        api.calls_to("show_addon")[0],
        json!([
            "90b775e0-5774-4e1d-ab3b-516332ba047a",
            "597f2d95-44ab-11ef-9e39-0255ac100115"
        ])
    );
}

#[tokio::test]
async fn a_duplicate_install_adopts_the_existing_instance() {
    let api = FakeApi::new();
    let t = AddonType::new(api.clone());
    api.on(
        "create_addon",
        Err(ProviderError::AlreadyExists {
            message: "Addon instance has installed.".into(),
        }),
    );
    api.ok(
        "list_addons",
        json!({"kind": "Addon", "apiVersion": "v3", "items": [with_status("running")]}),
    );
    let Started::Pending { id, .. } = t.create(&desired(None, 2)).await.unwrap() else {
        panic!()
    };
    assert_eq!(id, "90b775e0-5774-4e1d-ab3b-516332ba047a");
    api.ok("list_addons", json!({"items": []}));
    assert!(matches!(
        t.create(&desired(None, 2)).await,
        Err(ProviderError::AlreadyExists { .. })
    ));
}

#[tokio::test]
async fn delete_waits_for_absence() {
    let api = FakeApi::new();
    let t = AddonType::new(api.clone());
    let recorded = addon_attrs(&seed());
    api.ok("delete_addon", json!("success"));
    let Started::Pending { op, .. } = t.delete("a1", &recorded).await.unwrap() else {
        panic!()
    };
    api.ok("show_addon", with_status("deleting"));
    assert!(matches!(t.poll(&op).await.unwrap(), Poll::Running { .. }));
    api.ok("show_addon", with_status("deleteFailed"));
    assert!(matches!(t.poll(&op).await.unwrap(), Poll::Failed { .. }));
    api.on("show_addon", Err(not_found()));
    assert_eq!(t.poll(&op).await.unwrap(), Poll::Done { attrs: None });
    assert!(t.read("a1", &recorded).await.unwrap().is_none());
    api.ok("show_addon", with_status("running"));
    let r = t.read("a1", &recorded).await.unwrap().unwrap();
    assert_eq!(
        r.fingerprint,
        "version=1.28.6;status=running;updated=2024-07-18T04:04:21Z"
    );
}
