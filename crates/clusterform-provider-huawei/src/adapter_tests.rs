//! Tests of the client adapter: every body this crate builds survives the client's wire types
//! unchanged, seed answers map the same through them, and client errors get the right class.

use std::time::Duration;

use clusterform_client_huawei as hw;
use clusterform_client_huawei::{ApiError, ClientError};
use clusterform_model::{Attrs, Value};
use clusterform_provider::ProviderError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value as Json};

use super::*;
use crate::route::UpgradeOptions;

/// JSON → the client's type → JSON must give back what we built.
fn survives<T: DeserializeOwned + Serialize>(body: Json) {
    let t: T = typed(body.clone(), "test").unwrap();
    assert_eq!(json_of(&t).unwrap(), body, "{}", std::any::type_name::<T>());
}

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect(),
    )
}

#[test]
fn cluster_bodies_survive_the_wire_types() {
    let mut d = Attrs::new();
    for (k, v) in [
        ("name", "prod"),
        ("alias", "prod-a"),
        ("flavor", "cce.autopilot.cluster"),
        ("category", "Turbo"),
        ("type", "VirtualMachine"),
        ("version", "v1.28"),
        ("description", "d"),
        ("vpc_id", "v"),
        ("subnet_id", "s"),
        ("container_network_mode", "eni"),
        ("service_cidr", "10.247.0.0/16"),
        ("enterprise_project_id", "0"),
    ] {
        d.insert(k.into(), Value::str(v));
    }
    d.insert("eni_subnet_ids".into(), Value::List(vec![Value::str("e1")]));
    d.insert("enable_snat".into(), Value::Bool(true));
    d.insert("enable_swr_image_access".into(), Value::Bool(false));
    d.insert("tags".into(), map(&[("env", Value::str("prod"))]));
    d.insert(
        "install_addons".into(),
        Value::List(vec![map(&[("addonTemplateName", Value::str("coredns"))])]),
    );
    survives::<hw::CreateAutopilotClusterRequest>(crate::cluster_map::cluster_create_body(&d));
    let mut changed = d.clone();
    changed.insert("description".into(), Value::str("new"));
    changed.insert("alias".into(), Value::str("other"));
    changed.insert(
        "eni_subnet_ids".into(),
        Value::List(vec![Value::str("e1"), Value::str("e2")]),
    );
    let update = crate::cluster_map::cluster_update_body(&d, &changed).unwrap();
    survives::<hw::UpdateAutopilotClusterRequest>(update);
    let (create, delete) = crate::cluster_map::tag_changes(&Attrs::new(), &d);
    survives::<hw::BatchCreateAutopilotClusterTagsRequest>(create.unwrap());
    let (_, delete_all) = crate::cluster_map::tag_changes(&d, &Attrs::new());
    assert!(delete.is_none());
    survives::<hw::BatchDeleteAutopilotClusterTagsRequest>(delete_all.unwrap());
    survives::<hw::UpdateAutopilotClusterEipRequest>(crate::eip::bind_body("eip-1"));
    survives::<hw::UpdateAutopilotClusterEipRequest>(crate::eip::unbind_body());
}

#[test]
fn addon_release_and_upgrade_bodies_survive_the_wire_types() {
    let values = map(&[("flavor", map(&[("replicas", Value::Int(2))]))]);
    let mut a = Attrs::new();
    a.insert("cluster_id".into(), Value::str("c1"));
    a.insert("template".into(), Value::str("coredns"));
    a.insert("version".into(), Value::str("1.28.6"));
    a.insert("values".into(), values.clone());
    survives::<hw::InstanceRequest>(crate::addon::addon_create_body(&a));
    survives::<hw::InstanceRequest>(crate::addon::addon_update_body(&a, &a));

    let mut r = Attrs::new();
    for (k, v) in [
        ("cluster_id", "c1"),
        ("namespace", "ns"),
        ("name", "n"),
        ("chart_id", "ch"),
        ("chart_version", "1.0.0"),
        ("description", "d"),
    ] {
        r.insert(k.into(), Value::str(v));
    }
    r.insert("values".into(), values);
    r.insert(
        "parameters".into(),
        map(&[
            ("no_hooks", Value::Bool(true)),
            ("release_version", Value::Int(1)),
        ]),
    );
    survives::<hw::CreateAutopilotReleaseRequest>(crate::release::release_create_body(&r));
    survives::<hw::UpdateAutopilotReleaseRequest>(crate::release::release_update_body(&r));

    let v = ("v1.27.3-r0".to_string(), "v1.28.3-r0".to_string());
    let opts = UpgradeOptions {
        skipped_check_items: vec!["X".into()],
        addons: vec![map(&[
            ("template", Value::str("coredns")),
            ("version", Value::str("1.29.4")),
            ("values", map(&[("a", Value::Int(1))])),
        ])],
        ..UpgradeOptions::default()
    };
    survives::<hw::CreateAutopilotPreCheckRequest>(crate::upgrade::precheck_body("c1", &v, &opts));
    survives::<hw::CreateAutopilotPostCheckRequest>(crate::upgrade::postcheck_body("c1", &v));
    survives::<hw::UpgradeAutopilotClusterRequest>(crate::upgrade::upgrade_body(
        "v1.28.3-r0",
        &opts,
    ));
    survives::<hw::CreateAutopilotUpgradeWorkFlowRequest>(
        json!({"kind": "WorkFlowTask", "apiVersion": "v3", "spec": {"clusterID": "c1", "targetVersion": "v1.28.3-r0"}}),
    );
    let p: hw::ChartUploadParameters =
        typed(json!({"override": true, "skip_lint": false}), "t").unwrap();
    assert_eq!(
        (p.override_existing, p.skip_lint),
        (Some(true), Some(false))
    );
}

/// A seed answer read through the client's type maps to the same attributes as the raw JSON.
fn same_through<T: DeserializeOwned + Serialize>(raw: &Json, f: impl Fn(&Json) -> Attrs) {
    let t: T = serde_json::from_value(raw.clone()).unwrap();
    assert_eq!(
        f(&json_of(&t).unwrap()),
        f(raw),
        "{}",
        std::any::type_name::<T>()
    );
}

#[test]
fn seed_answers_map_the_same_through_the_wire_types() {
    let cluster: Json =
        serde_json::from_str(include_str!("../testdata/cluster_show.json")).unwrap();
    same_through::<hw::AutopilotCluster>(&cluster, crate::cluster_map::cluster_attrs);
    let created: Json =
        serde_json::from_str(include_str!("../testdata/cluster_create_response.json")).unwrap();
    same_through::<hw::AutopilotCluster>(&created, crate::cluster_map::cluster_attrs);
    let addon: Json =
        serde_json::from_str(include_str!("../testdata/addon_create_response.json")).unwrap();
    same_through::<hw::AddonInstance>(&addon, crate::addon::addon_attrs);
    let release = json!({"chart_name": "magento-mysql", "chart_version": "1.0.0", "cluster_id": "c1", "name": "r",
        "namespace": "ns", "status": "DEPLOYED", "status_description": "ok", "values": "{\"a\":1}", "version": 3,
        "create_at": "2023-11-14T20:30:57+08:00", "update_at": "2023-11-14T20:30:57+08:00"});
    same_through::<hw::ReleaseResp>(&release, |j| {
        crate::release::release_attrs(j, &Attrs::new())
    });
    let chart = json!({"id": "ch", "name": "neo4j", "version": "3.0.1", "values": "{}", "public": false,
        "chart_url": "neo4j-3.0.1.tgz", "create_at": "t", "update_at": "t"});
    same_through::<hw::ChartResp>(&chart, crate::chart::chart_attrs);
    let eip = json!({"metadata": {}, "status": {"privateEndpoint": "https://192.168.3.238:5443", "publicEndpoint": "https://8.8.8.8:5443"}});
    same_through::<hw::MasterEipResponse>(&eip, |j| {
        crate::eip::eip_attrs("c1", j, &Attrs::new()).unwrap_or_default()
    });
    let task = json!({"metadata": {"uid": "t1"}, "spec": {"version": "v1.27.3-r0", "targetVersion": "v1.28.3-r0"},
        "status": {"phase": "Running", "progress": "40.00"}});
    let t: hw::UpgradeTask = serde_json::from_value(task).unwrap();
    let back = json_of(&t).unwrap();
    assert_eq!(
        (
            back["metadata"]["uid"].clone(),
            back["status"]["progress"].clone()
        ),
        (json!("t1"), json!("40.00"))
    );
}

fn api_error(status: u16, code: Option<&str>) -> ClientError {
    ClientError::Api(Box::new(ApiError {
        status,
        code: code.map(str::to_string),
        message: Some("m".into()),
        detail: None,
        request_id: Some("req-1".into()),
        retry_after: Some(Duration::from_secs(7)),
    }))
}

#[test]
fn client_errors_map_to_retry_classes() {
    assert!(
        matches!(map_client_error(api_error(429, Some("CCE.02429001"))),
        ProviderError::Throttled { retry_after: Some(d), .. } if d == Duration::from_secs(7))
    );
    assert!(matches!(
        map_client_error(api_error(429, Some("CCE.01429002"))),
        ProviderError::Throttled { .. }
    ));
    assert!(matches!(
        map_client_error(api_error(503, None)),
        ProviderError::Throttled { .. }
    ));
    assert!(matches!(
        map_client_error(api_error(500, Some("CCE.01500001"))),
        ProviderError::Transient { .. }
    ));
    assert!(matches!(
        map_client_error(api_error(404, Some("CCE.01404001"))),
        ProviderError::NotFound { .. }
    ));
    assert!(matches!(
        map_client_error(api_error(409, Some("CCE.03409001"))),
        ProviderError::AlreadyExists { .. }
    ));
    assert!(matches!(
        map_client_error(api_error(409, Some("CCE.01409001"))),
        ProviderError::AlreadyExists { .. }
    ));
    assert!(matches!(
        map_client_error(api_error(409, Some("CCE.01409002"))),
        ProviderError::Transient { .. }
    ));
    assert!(matches!(
        map_client_error(api_error(401, Some("CCE.01401001"))),
        ProviderError::Config { .. }
    ));
    let ProviderError::Permanent {
        code,
        request_id,
        message,
    } = map_client_error(api_error(400, Some("CCE.01400007")))
    else {
        panic!("400 is permanent")
    };
    assert_eq!(
        (code.as_deref(), request_id.as_deref()),
        (Some("CCE.01400007"), Some("req-1"))
    );
    assert!(message.contains("http 400"), "{message}");
    let bad = map_client_error(ClientError::InvalidInput {
        message: "empty id".into(),
    });
    assert!(matches!(bad, ProviderError::Permanent { .. }) && bad.to_string().contains("empty id"));
    let q = delete_query(&[
        ("delete_efs".into(), "try".into()),
        ("lts_reclaim_policy".into(), "Retain".into()),
    ]);
    assert_eq!(
        (
            q.delete_efs.as_deref(),
            q.lts_reclaim_policy.as_deref(),
            q.delete_eni
        ),
        (Some("try"), Some("Retain"), None)
    );
}
