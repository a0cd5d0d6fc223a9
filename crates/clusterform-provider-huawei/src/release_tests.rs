//! Tests of the release mapping and resource type, on the seed's examples.

use std::collections::BTreeMap;

use clusterform_model::{Attrs, PlanHooks, Value};
use clusterform_provider::{Poll, ResourceType, Started};
use serde_json::{json, Value as Json};

use super::*;
use crate::fake::{not_found, FakeApi};
use crate::hooks::HuaweiHooks;

/// The seed's `ShowAutopilotRelease` response (§4.6.10), values shortened.
fn shown(status: &str) -> Json {
    json!({"chart_name": "magento-mysql", "chart_public": false, "chart_version": "1.0.0",
        "cluster_id": "a870253f-5dc7-11ee-bf71-0255ac100b03", "cluster_name": "sfs-turbo-test",
        "create_at": "2023-11-14T20:30:57+08:00", "description": "Initial install underway",
        "name": "testwww", "namespace": "monitoring", "parameters": "", "resources": "",
        "status": status, "status_description": "Initial install underway",
        "update_at": "2023-11-14T20:30:57+08:00",
        "values": "{\"basic\":{\"admin_password\":\"*****\",\"admin_username\":\"username\",\"app_name\":\"magento\"}}",
        "version": 1})
}

fn desired() -> Attrs {
    let basic = Value::Map(BTreeMap::from([
        ("admin_password".to_string(), Value::str("s3cret")),
        ("app_name".to_string(), Value::str("magento")),
    ]));
    let mut a = Attrs::new();
    for (k, v) in [
        ("cluster_id", "a870253f-5dc7-11ee-bf71-0255ac100b03"),
        ("namespace", "monitoring"),
        ("name", "testwww"),
        ("chart_id", "e99a7e86-afdd-11eb-aca3-0255ac100b0e"),
        ("chart_version", "1.0.0"),
    ] {
        a.insert(k.into(), Value::str(v));
    }
    a.insert(
        "values".into(),
        Value::Map(BTreeMap::from([("basic".to_string(), basic)])),
    );
    a.insert(
        "parameters".into(),
        Value::Map(BTreeMap::from([(
            "no_hooks".to_string(),
            Value::Bool(false),
        )])),
    );
    a
}

#[test]
fn response_maps_with_revision_and_unmasked_values() {
    let a = release_attrs(&shown("DEPLOYED"), &desired());
    assert_eq!(
        a.get("id"),
        Some(&Value::str(
            "a870253f-5dc7-11ee-bf71-0255ac100b03/monitoring/testwww"
        ))
    );
    assert_eq!(a.get("revision"), Some(&Value::Int(1)));
    assert_eq!(a.get("chart_version"), Some(&Value::str("1.0.0")));
    assert_eq!(a.get("chart_name"), Some(&Value::str("magento-mysql")));
    // The response's description is a status text; the config's is kept.
    assert_eq!(a.get("description"), None);
    assert_eq!(a.get("chart_id"), desired().get("chart_id"));
    let hooks = HuaweiHooks::new();
    assert!(hooks.equivalent(
        "huawei_autopilot_release",
        "values",
        &desired()["values"],
        &a["values"]
    ));
    let plain = release_attrs(&shown("DEPLOYED"), &Attrs::new());
    let basic = plain["values"].as_map().unwrap()["basic"].as_map().unwrap();
    assert_eq!(basic["admin_password"], Value::str("*****"));
}

#[test]
fn bodies_match_the_seed_requests() {
    let b = release_create_body(&desired());
    assert_eq!(b["chart_id"], "e99a7e86-afdd-11eb-aca3-0255ac100b0e");
    assert_eq!(b["version"], "1.0.0");
    assert_eq!(b["namespace"], "monitoring");
    assert_eq!(b["values"]["basic"]["admin_password"], "s3cret");
    assert_eq!(b["parameters"], json!({"no_hooks": false}));
    assert!(b.get("description").is_none());
    let u = release_update_body(&desired());
    assert_eq!(u["action"], "upgrade");
    assert_eq!(u["parameters"], json!({"no_hooks": false}));
    let mut bare = desired();
    bare.remove("parameters");
    assert_eq!(release_update_body(&bare)["parameters"], json!({}));
    assert_eq!(split_id("c/ns/a/b"), Some(("c", "ns", "a/b")));
    assert_eq!(split_id("c//x"), None);
}

#[tokio::test]
async fn install_polls_to_deployed_and_keeps_config_only_attributes() {
    let api = FakeApi::new();
    let t = ReleaseType::new(api.clone());
    api.ok("create_release", shown("PENDING_INSTALL"));
    let Started::Pending { id, op } = t.create(&desired()).await.unwrap() else {
        panic!()
    };
    assert_eq!(
        id,
        "a870253f-5dc7-11ee-bf71-0255ac100b03/monitoring/testwww"
    );
    api.ok("show_release", shown("PENDING_INSTALL"));
    assert_eq!(
        t.poll(&op).await.unwrap(),
        Poll::Running {
            phase: "PENDING_INSTALL".into(),
            progress: None
        }
    );
    api.ok("show_release", shown("DEPLOYED"));
    let Poll::Done { attrs: Some(a) } = t.poll(&op).await.unwrap() else {
        panic!()
    };
    assert_eq!(a.get("parameters"), desired().get("parameters"));
    assert_eq!(a.get("chart_id"), desired().get("chart_id"));
    api.ok("show_release", shown("FAILED"));
    assert!(matches!(t.poll(&op).await.unwrap(), Poll::Failed { .. }));
}

#[tokio::test]
async fn delete_waits_for_404_or_deleted_and_reads_by_id() {
    let api = FakeApi::new();
    let t = ReleaseType::new(api.clone());
    let id = "a870253f-5dc7-11ee-bf71-0255ac100b03/monitoring/testwww";
    api.ok("delete_release", json!("success"));
    let Started::Pending { op, .. } = t.delete(id, &desired()).await.unwrap() else {
        panic!()
    };
    api.ok("show_release", shown("DELETING"));
    assert!(matches!(t.poll(&op).await.unwrap(), Poll::Running { .. }));
    api.ok("show_release", shown("DELETED"));
    assert_eq!(t.poll(&op).await.unwrap(), Poll::Done { attrs: None });
    assert!(t.read(id, &desired()).await.unwrap().is_none());
    api.on("show_release", Err(not_found()));
    assert_eq!(t.poll(&op).await.unwrap(), Poll::Done { attrs: None });
    api.ok("show_release", shown("DEPLOYED"));
    let r = t.find(&desired()).await.unwrap().unwrap();
    assert_eq!(
        r.fingerprint,
        "revision=1;status=DEPLOYED;updated=2023-11-14T20:30:57+08:00"
    );
    assert_eq!(
        api.calls_to("show_release").last().unwrap(),
        &json!([
            "a870253f-5dc7-11ee-bf71-0255ac100b03",
            "monitoring",
            "testwww"
        ])
    );
    assert!(t.read("bad-id", &Attrs::new()).await.is_err());
}
