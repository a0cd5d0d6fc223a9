//! Tests of the cluster mapping, on the seed's example bodies.

use std::collections::BTreeMap;

use clusterform_model::{Attrs, Value};
use serde_json::{json, Value as Json};

use super::*;

fn seed(name: &str) -> Json {
    let text = match name {
        "show" => include_str!("../testdata/cluster_show.json"),
        _ => include_str!("../testdata/cluster_create_response.json"),
    };
    serde_json::from_str(text).unwrap()
}

fn attrs(pairs: &[(&str, Value)]) -> Attrs {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect()
}

fn tags(pairs: &[(&str, &str)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), Value::str(*v)))
            .collect(),
    )
}

#[test]
fn show_response_maps_to_attributes() {
    let a = cluster_attrs(&seed("show"));
    let s = |k: &str| {
        a.get(k)
            .and_then(Value::as_str)
            .unwrap_or("<none>")
            .to_string()
    };
    assert_eq!(s("id"), "087dc72a-1ff6-11ef-af74-0255ac10010b");
    assert_eq!(s("name"), "autopilot-test-v1274");
    assert_eq!(s("version"), "v1.27");
    assert_eq!(s("platform_version"), "cce.6.0");
    assert_eq!(s("vpc_id"), "13cd773f-7f9f-4821-b9b8-dba5b351e1ec");
    assert_eq!(s("subnet_id"), "19e3960d-b9ae-4d2d-b3a4-92ff56ae0301");
    assert_eq!(s("service_cidr"), "10.247.0.0/16");
    assert_eq!(s("az"), "cn-north-7c");
    assert_eq!(s("phase"), "Available");
    assert_eq!(s("feature_gates"), "arpOptimization,elbv3,xGPU");
    assert_eq!(s("enterprise_project_id"), "0");
    assert_eq!(s("updated_at"), "2024-06-04 12:54:27.803532 +0000 UTC");
    assert_eq!(
        a.get("eni_subnet_ids"),
        Some(&Value::List(vec![Value::str(
            "f061c486-a190-4e2e-993c-5bc3dc9d65a8"
        )]))
    );
    assert_eq!(a.get("tags"), Some(&Value::Null));
    assert_eq!(a.get("description"), Some(&Value::Null));
    let ep = a.get("endpoints").and_then(Value::as_list).unwrap();
    assert_eq!(
        ep[0].as_map().unwrap().get("type"),
        Some(&Value::str("Internal"))
    );
    // Every schema attribute but the config-only ones comes back from a read.
    for attr in crate::schema::cluster_schema().attributes {
        assert!(
            a.contains_key(&attr.name) || CONFIG_ONLY.contains(&attr.name.as_str()),
            "{}",
            attr.name
        );
    }
}

#[test]
fn create_response_fills_defaults_and_alias() {
    let a = cluster_attrs(&seed("create"));
    assert_eq!(a.get("alias"), Some(&Value::str("test-cluster-autopilot")));
    assert_eq!(a.get("phase"), Some(&Value::str("Creating")));
    assert_eq!(a.get("enable_snat"), Some(&Value::Bool(true)));
    assert_eq!(a.get("enable_swr_image_access"), Some(&Value::Bool(true)));
    assert_eq!(a.get("endpoints"), Some(&Value::List(vec![])));
}

#[test]
fn create_body_matches_the_seed_request() {
    let addon = Value::Map(BTreeMap::from([
        ("addonTemplateName".to_string(), Value::str("coredns")),
        (
            "values".to_string(),
            Value::Map(BTreeMap::from([("replicas".to_string(), Value::Int(2))])),
        ),
    ]));
    let d = attrs(&[
        ("name", Value::str("test-cluster-autopilot")),
        ("flavor", Value::str("cce.autopilot.cluster")),
        ("category", Value::str("Turbo")),
        ("type", Value::str("VirtualMachine")),
        ("version", Value::str("v1.28")),
        ("vpc_id", Value::str("c6549063-d459-4ae1-9550-b5fec6741b0f")),
        (
            "subnet_id",
            Value::str("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"),
        ),
        ("enterprise_project_id", Value::str("0")),
        (
            "eni_subnet_ids",
            Value::List(vec![Value::str("186f9322-50c5-4e5a-91e3-47da86959afc")]),
        ),
        ("enable_swr_image_access", Value::Bool(true)),
        ("enable_snat", Value::Bool(true)),
        ("service_cidr", Value::str("10.247.0.0/16")),
        ("tags", tags(&[("env", "prod")])),
        ("install_addons", Value::List(vec![addon])),
        ("alias", Value::Unknown),
        ("delete_options", tags(&[("delete_efs", "try")])),
    ]);
    let b = cluster_create_body(&d);
    assert_eq!(b["kind"], "Cluster");
    assert_eq!(b["apiVersion"], "v3");
    assert_eq!(b["metadata"]["name"], "test-cluster-autopilot");
    assert!(b["metadata"].get("alias").is_none());
    let spec = &b["spec"];
    for (k, v) in [
        ("category", "Turbo"),
        ("flavor", "cce.autopilot.cluster"),
        ("type", "VirtualMachine"),
        ("version", "v1.28"),
    ] {
        assert_eq!(spec[k], v, "{k}");
    }
    assert_eq!(
        spec["hostNetwork"],
        json!({"vpc": "c6549063-d459-4ae1-9550-b5fec6741b0f", "subnet": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"})
    );
    assert_eq!(spec["containerNetwork"], json!({"mode": "eni"}));
    assert_eq!(
        spec["eniNetwork"],
        json!({"subnets": [{"subnetID": "186f9322-50c5-4e5a-91e3-47da86959afc"}]})
    );
    assert_eq!(spec["serviceNetwork"], json!({"IPv4CIDR": "10.247.0.0/16"}));
    assert_eq!(spec["extendParam"], json!({"enterpriseProjectId": "0"}));
    assert_eq!(spec["enableSnat"], true);
    assert_eq!(spec["enableSWRImageAccess"], true);
    assert_eq!(
        spec["clusterTags"],
        json!([{"key": "env", "value": "prod"}])
    );
    // The add-on list travels as a JSON string, as in the seed.
    let ann = b["metadata"]["annotations"]["cluster.install.addons/install"]
        .as_str()
        .unwrap();
    let parsed: Json = serde_json::from_str(ann).unwrap();
    assert_eq!(
        parsed,
        json!([{"addonTemplateName": "coredns", "values": {"replicas": 2}}])
    );
    assert!(spec.get("delete_options").is_none() && spec.get("description").is_none());
}

#[test]
fn update_body_carries_only_changes() {
    let recorded = cluster_attrs(&seed("show"));
    assert_eq!(cluster_update_body(&recorded, &recorded), None);
    let mut d = recorded.clone();
    d.insert("description".into(), Value::str("new description"));
    assert_eq!(
        cluster_update_body(&recorded, &d),
        Some(json!({"spec": {"description": "new description"}}))
    );
    d.insert("alias".into(), Value::str("renamed"));
    d.insert(
        "eni_subnet_ids".into(),
        Value::List(vec![Value::str("a"), Value::str("b")]),
    );
    let b = cluster_update_body(&recorded, &d).unwrap();
    assert_eq!(b["metadata"], json!({"alias": "renamed"}));
    assert_eq!(
        b["spec"]["eniNetwork"],
        json!({"subnets": [{"subnetID": "a"}, {"subnetID": "b"}]})
    );
    // Unknown values are not sent; a removed description is cleared.
    let mut with_desc = recorded.clone();
    with_desc.insert("description".into(), Value::str("old"));
    let mut cleared = with_desc.clone();
    cleared.remove("description");
    assert_eq!(
        cluster_update_body(&with_desc, &cleared),
        Some(json!({"spec": {"description": ""}}))
    );
    cleared.insert("description".into(), Value::Unknown);
    assert_eq!(cluster_update_body(&with_desc, &cleared), None);
}

#[test]
fn tags_diff_by_key() {
    let r = attrs(&[(
        "tags",
        tags(&[("env", "prod"), ("team", "a"), ("old", "x")]),
    )]);
    let d = attrs(&[(
        "tags",
        tags(&[("env", "prod"), ("team", "b"), ("new", "y")]),
    )]);
    let (create, delete) = tag_changes(&r, &d);
    assert_eq!(
        create,
        Some(json!({"tags": [{"key": "new", "value": "y"}, {"key": "team", "value": "b"}]}))
    );
    assert_eq!(delete, Some(json!({"tags": [{"key": "old"}]})));
    assert_eq!(tag_changes(&r, &r), (None, None));
    let (c, d) = tag_changes(&r, &Attrs::new());
    assert!(c.is_none() && d.unwrap()["tags"].as_array().unwrap().len() == 3);
}

#[test]
fn delete_options_become_the_query() {
    let mut m = BTreeMap::new();
    m.insert("delete_efs".to_string(), Value::str("try"));
    m.insert("delete_obs".to_string(), Value::Bool(true));
    m.insert("bogus".to_string(), Value::str("x"));
    let r = attrs(&[("delete_options", Value::Map(m))]);
    assert_eq!(
        delete_query(&r),
        vec![
            ("delete_efs".to_string(), "try".to_string()),
            ("delete_obs".to_string(), "true".to_string())
        ]
    );
    assert!(delete_query(&Attrs::new()).is_empty());
}
