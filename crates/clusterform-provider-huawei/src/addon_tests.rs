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
    // Read back restricted to the user's keys, the user's two replicas match the
    // server-expanded values: no perpetual diff.
    let hooks = HuaweiHooks::new();
    let user = &desired(None, 2)["values"];
    let read_back = user_addon_attrs(&seed(), Some(user));
    assert_eq!(
        read_back["values"],
        Value::Map(BTreeMap::from([(
            "flavor".to_string(),
            Value::Map(BTreeMap::from([("replicas".to_string(), Value::Int(2))]))
        )]))
    );
    assert!(hooks.equivalent(
        "huawei_autopilot_addon",
        "values",
        user,
        &read_back["values"]
    ));
    assert!(!hooks.equivalent(
        "huawei_autopilot_addon",
        "values",
        &desired(None, 3)["values"],
        &read_back["values"]
    ));
    // Without the user's keys (an import) the full set is kept.
    assert_eq!(user_addon_attrs(&seed(), None), a);
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
    // The full desired set: the user's values, and the cluster-generated `basic` block as read;
    // nothing else of the last read (a key removed from the config is removed in the cloud).
    let values = &u["spec"]["values"];
    assert_eq!(values["flavor"], json!({"replicas": 3}));
    assert_eq!(values["basic"], seed()["spec"]["values"]["basic"]);
    assert_eq!(values.as_object().unwrap().len(), 2, "{values}");
    // A `basic` key the user sets wins over the read one.
    let mut d = desired(None, 3);
    let mut vals = d["values"].as_map().unwrap().clone();
    vals.insert(
        "basic".into(),
        Value::Map(BTreeMap::from([("swr_user".to_string(), Value::str("me"))])),
    );
    d.insert("values".into(), Value::Map(vals));
    let b = &addon_update_body(&recorded, &d)["spec"]["values"]["basic"];
    assert_eq!(b["swr_user"], "me");
    assert_eq!(b["cluster_ip"], "10.247.3.10");
    // A config without values leaves them to the cloud: the recorded set goes back as it is.
    let mut no_values = desired(None, 3);
    no_values.remove("values");
    let kept = &addon_update_body(&recorded, &no_values)["spec"]["values"];
    assert_eq!(kept["flavor"]["name"], "autopilot-flavor1");
    assert!(kept.get("systemAutoInject").is_none());
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
    let done = |s: &str| matches!(settle(&with_status(s), 0, 0, None), Poll::Done { .. });
    let failed =
        |s: &str, t: u64| matches!(settle(&with_status(s), 0, t, None), Poll::Failed { .. });
    assert!(done("running") && done("available"));
    assert!(failed("installFailed", 0) && failed("upgradeFailed", 0) && failed("unknown", 0));
    assert!(!failed("abnormal", 10) && failed("abnormal", 301));
    assert_eq!(
        settle(&with_status("upgrading"), 0, 0, None),
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

#[tokio::test]
async fn removing_a_key_plans_an_update_that_sends_the_full_desired_set() {
    let api = FakeApi::new();
    let t = AddonType::new(api.clone());
    // Applied with flavor.replicas = 3 and custom.servers set: recorded restricted to those keys.
    let mut cloud = with_status("running");
    cloud["spec"]["values"]["flavor"]["replicas"] = json!(3);
    cloud["spec"]["values"]["custom"]["servers"] = json!([{"port": 5353}]);
    let applied = Value::from_json(
        &json!({"flavor": {"replicas": 3}, "custom": {"servers": [{"port": 5353}]}}),
    );
    let mut recorded = addon_attrs(&cloud);
    recorded.insert("values".into(), applied.clone());
    api.ok("show_addon", cloud.clone());
    let refreshed = t.read("a1", &recorded).await.unwrap().unwrap().attrs;
    assert_eq!(refreshed["values"], applied);

    // The config drops `custom`: the refreshed values no longer match, so an update is planned.
    let d = desired(None, 3);
    assert!(!HuaweiHooks::new().equivalent(
        "huawei_autopilot_addon",
        "values",
        &d["values"],
        &refreshed["values"]
    ));
    api.ok("update_addon", with_status("upgrading"));
    let Started::Pending { op, .. } = t.update("a1", &refreshed, &d).await.unwrap() else {
        panic!()
    };
    let sent = &api.calls_to("update_addon")[0][1]["spec"]["values"];
    assert!(sent.get("custom").is_none(), "{sent}");
    assert_eq!(sent["flavor"], json!({"replicas": 3}));
    // The cloud now holds the template default for `custom`; the final state keeps the user's keys.
    let mut after = cloud.clone();
    after["spec"]["values"]["custom"] = json!({"servers": [{"port": 53}]});
    api.ok("show_addon", after);
    let Poll::Done { attrs: Some(a) } = t.poll(&op).await.unwrap() else {
        panic!()
    };
    assert_eq!(a["values"], d["values"]);
}
