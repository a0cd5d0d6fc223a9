//! Tests of the data sources, on the seed's example bodies.

use clusterform_model::{Attrs, Value};
use clusterform_provider::DataSource;
use serde_json::{json, Value as Json};

use super::*;
use crate::data::data_source_schemas;
use crate::fake::FakeApi;

fn source(api: &Arc<FakeApi>, name: &str) -> HuaweiDataSource {
    let schema = data_source_schemas()
        .into_iter()
        .find(|s| s.type_name == name)
        .unwrap();
    HuaweiDataSource::new(api.clone(), schema)
}

fn args(pairs: &[(&str, Value)]) -> Attrs {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect()
}

/// The seed's kubeconfig (§4.1.6), without an EIP.
fn kubeconfig() -> Json {
    json!({"kind": "Config", "apiVersion": "v1", "preferences": {},
        "clusters": [{"name": "internalCluster", "cluster": {"server": "https://192.168.1.7:5443", "certificate-authority-data": "Q2VydGlmaWNhdGU6"}}],
        "users": [{"name": "user", "user": {"client-certificate-data": "LS0tLS1CRUdJTiBDR", "client-key-data": "LS0tLS1CRUdJTi"}}],
        "contexts": [{"name": "internal", "context": {"cluster": "internalCluster", "user": "user"}}],
        "current-context": "internal"})
}

#[tokio::test]
async fn kubeconfig_is_split_into_its_parts() {
    let api = FakeApi::new();
    api.ok("create_cluster_cert", kubeconfig());
    let out = source(&api, KUBECONFIG)
        .read(&args(&[
            ("cluster_id", Value::str("c1")),
            ("duration", Value::Int(30)),
        ]))
        .await
        .unwrap();
    assert_eq!(
        out.get("server"),
        Some(&Value::str("https://192.168.1.7:5443"))
    );
    assert_eq!(out.get("client_key"), Some(&Value::str("LS0tLS1CRUdJTi")));
    assert_eq!(
        out.get("cluster_ca_certificate"),
        Some(&Value::str("Q2VydGlmaWNhdGU6"))
    );
    assert_eq!(out.get("current_context"), Some(&Value::str("internal")));
    let text = out.get("kubeconfig").and_then(Value::as_str).unwrap();
    assert_eq!(serde_json::from_str::<Json>(text).unwrap(), kubeconfig());
    assert_eq!(api.calls_to("create_cluster_cert")[0], json!(["c1", 30]));
}

#[tokio::test]
async fn upgrade_info_and_paths() {
    let api = FakeApi::new();
    api.ok("show_upgrade_info", json!({"kind": "UpgradeInfo", "apiVersion": "v3", "metadata": {},
        "spec": {"lastUpgradeInfo": {"phase": "Success"}, "versionInfo": {"release": "v1.27.2", "patch": "r0", "suggestPatch": "r0", "targetVersions": ["v1.27.3-r0"]}},
        "status": {"phase": "Success", "completionTime": "2023-11-25 11:18:54.478926 +0800 CST"}}));
    let out = source(&api, UPGRADE_INFO)
        .read(&args(&[("cluster_id", Value::str("c1"))]))
        .await
        .unwrap();
    assert_eq!(out.get("release"), Some(&Value::str("v1.27.2")));
    assert_eq!(
        out.get("target_versions"),
        Some(&Value::List(vec![Value::str("v1.27.3-r0")]))
    );
    assert_eq!(out.get("phase"), Some(&Value::str("Success")));
    api.ok("list_upgrade_paths", json!({"upgradePaths": [{"version": "v1.23", "platformVersion": "cce.10.0", "targetVersions": ["v1.25.6-r0"]}]}));
    let out = source(&api, UPGRADE_PATHS)
        .read(&Attrs::new())
        .await
        .unwrap();
    let p = out["paths"].as_list().unwrap()[0].as_map().unwrap().clone();
    assert_eq!(p["platform_version"], Value::str("cce.10.0"));
}

#[tokio::test]
async fn templates_filter_by_cluster_version() {
    let api = FakeApi::new();
    api.ok("list_addon_templates", json!({"kind": "Addon", "items": [{"metadata": {"name": "coredns", "alias": "coredns"},
        "spec": {"type": "helm", "description": "dns", "versions": [
            {"version": "1.28.6", "supportVersions": [{"clusterType": "VirtualMachine", "clusterVersion": ["v1.(27|28).*"]}]},
            {"version": "1.29.4", "supportVersions": [{"clusterType": "VirtualMachine", "clusterVersion": ["v1.(28|29|30).*"]}]},
            {"version": "1.30.2", "supportVersions": [{"clusterType": "VirtualMachine", "clusterVersion": ["v1.30.*"]}]}]}}]}));
    let ds = source(&api, ADDON_TEMPLATES);
    let out = ds
        .read(&args(&[
            ("name", Value::str("coredns")),
            ("cluster_version", Value::str("v1.28.3-r0")),
        ]))
        .await
        .unwrap();
    assert_eq!(out.get("latest_version"), Some(&Value::str("1.29.4")));
    let t = out["templates"].as_list().unwrap()[0]
        .as_map()
        .unwrap()
        .clone();
    assert_eq!(t["versions"].as_list().unwrap().len(), 2);
    let all = ds.read(&Attrs::new()).await.unwrap();
    assert_eq!(all.get("latest_version"), Some(&Value::Null));
    assert_eq!(api.calls_to("list_addon_templates")[0], json!(["coredns"]));
}

#[tokio::test]
async fn quotas_clusters_and_jobs() {
    let api = FakeApi::new();
    api.ok("show_quotas", json!({"quotas": [{"quotaKey": "autopilot_cluster", "quotaLimit": 20, "used": 13, "unit": "count", "regionId": "cn-north-7"}]}));
    let out = source(&api, QUOTAS).read(&Attrs::new()).await.unwrap();
    assert_eq!(
        (out["cluster_limit"].clone(), out["cluster_used"].clone()),
        (Value::Int(20), Value::Int(13))
    );
    api.ok("list_clusters", json!({"items": [{"metadata": {"uid": "u1", "name": "a"}, "spec": {"version": "v1.28"}, "status": {"phase": "Available"}}]}));
    let out = source(&api, CLUSTERS)
        .read(&args(&[("status", Value::str("Available"))]))
        .await
        .unwrap();
    assert_eq!(out["names"], Value::List(vec![Value::str("a")]));
    assert_eq!(api.calls_to("list_clusters")[0], json!(["Available", null]));
    api.ok("show_job", json!({"kind": "Job", "spec": {"type": "CreateCluster", "clusterUID": "u1",
        "subJobs": [{"spec": {"type": "InstallMaster"}, "status": {"phase": "Success"}}]}, "status": {"phase": "Running"}}));
    let out = source(&api, JOB)
        .read(&args(&[("job_id", Value::str("j1"))]))
        .await
        .unwrap();
    assert_eq!(out["type"], Value::str("CreateCluster"));
    assert_eq!(out["sub_jobs"].as_list().unwrap().len(), 1);
    assert!(source(&api, JOB).read(&Attrs::new()).await.is_err());
}
