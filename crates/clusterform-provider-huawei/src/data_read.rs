//! Reading the data sources of §15.8: each maps one API answer to the computed attributes its
//! schema declares (see `data.rs`).

use std::sync::Arc;

use async_trait::async_trait;
use clusterform_model::{Attrs, ResourceSchema, Value};
use clusterform_provider::{DataSource, ProviderError};
use serde_json::{json, Value as Json};

use crate::api::CceApi;
use crate::catalog::Catalog;
use crate::conv::{astr, items, jstr, jval, jval_str, require};
use crate::data::*;
use crate::version::Version;

/// One data source: its schema and the client it reads through.
pub struct HuaweiDataSource {
    api: Arc<dyn CceApi>,
    schema: ResourceSchema,
}

impl HuaweiDataSource {
    pub fn new(api: Arc<dyn CceApi>, schema: ResourceSchema) -> Self {
        HuaweiDataSource { api, schema }
    }
}

fn list(v: Vec<Json>) -> Value {
    Value::from_json(&Json::Array(v))
}

fn strings(v: &[Json], ptr: &str) -> Value {
    Value::List(
        v.iter()
            .filter_map(|x| jstr(x, ptr))
            .map(Value::str)
            .collect(),
    )
}

/// The highest of some add-on versions (`1.28.6`), by number where they parse.
fn highest<'a>(versions: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    versions.max_by(|a, b| match (Version::parse(a), Version::parse(b)) {
        (Some(x), Some(y)) => x.loose_cmp(&y),
        _ => a.cmp(b),
    })
}

/// `templates` and `latest_version` from the template list.
pub fn addon_templates(
    body: &Json,
    name: Option<&str>,
    cluster_version: Option<&str>,
) -> (Value, Value) {
    let parsed = Catalog::parse_addon_templates(body);
    let mut out = Vec::new();
    let mut latest = None;
    for raw in items(body) {
        let tname = jstr(raw, "/metadata/name").unwrap_or_default();
        let Some(t) = parsed.iter().find(|p| p.name == tname) else {
            continue;
        };
        if name.is_some_and(|n| n != t.name && n != t.alias) {
            continue;
        }
        let versions: Vec<_> = t
            .versions
            .iter()
            .filter(|v| cluster_version.is_none_or(|cv| v.supports(cv) == Some(true)))
            .collect();
        if name.is_some() {
            latest = highest(versions.iter().map(|v| v.version.as_str())).map(str::to_string);
        }
        out.push(json!({
            "name": t.name, "alias": t.alias,
            "type": jstr(raw, "/spec/type"), "description": jstr(raw, "/spec/description"),
            "versions": versions.iter().map(|v| json!({"version": v.version, "cluster_versions": v.cluster_versions})).collect::<Vec<_>>(),
        }));
    }
    (list(out), latest.map(Value::str).unwrap_or(Value::Null))
}

/// The pieces of a kubeconfig (`kind: Config`) for the sensitive attributes.
pub fn kubeconfig_attrs(cfg: &Json) -> Attrs {
    let current = jstr(cfg, "/current-context").unwrap_or_default();
    let ctx = items(&cfg["contexts"])
        .iter()
        .find(|c| jstr(c, "/name") == Some(current));
    let cluster_name = ctx.and_then(|c| jstr(c, "/context/cluster"));
    let user_name = ctx.and_then(|c| jstr(c, "/context/user"));
    let cluster = items(&cfg["clusters"])
        .iter()
        .find(|c| cluster_name.is_none_or(|n| jstr(c, "/name") == Some(n)));
    let user = items(&cfg["users"])
        .iter()
        .find(|u| user_name.is_none_or(|n| jstr(u, "/name") == Some(n)));
    let from = |j: Option<&Json>, ptr: &str| j.map(|x| jval_str(x, ptr)).unwrap_or(Value::Null);
    let mut a = Attrs::new();
    a.insert("kubeconfig".into(), Value::str(cfg.to_string()));
    a.insert("server".into(), from(cluster, "/cluster/server"));
    a.insert(
        "cluster_ca_certificate".into(),
        from(cluster, "/cluster/certificate-authority-data"),
    );
    a.insert(
        "client_certificate".into(),
        from(user, "/user/client-certificate-data"),
    );
    a.insert("client_key".into(), from(user, "/user/client-key-data"));
    a.insert("current_context".into(), Value::str(current));
    a
}

#[async_trait]
impl DataSource for HuaweiDataSource {
    fn schema(&self) -> &ResourceSchema {
        &self.schema
    }

    async fn read(&self, args: &Attrs) -> Result<Attrs, ProviderError> {
        let api = self.api.as_ref();
        let mut out = args.clone();
        let mut put = |k: &str, v: Value| {
            out.insert(k.to_string(), v);
        };
        match self.schema.type_name.as_str() {
            ADDON_TEMPLATES => {
                let name = astr(args, "name");
                let body = api.list_addon_templates(name).await?;
                let (templates, latest) =
                    addon_templates(&body, name, astr(args, "cluster_version"));
                put("templates", templates);
                put("latest_version", latest);
            }
            UPGRADE_PATHS => {
                let body = api.list_upgrade_paths().await?;
                let paths: Vec<Json> = Catalog::parse_upgrade_paths(&body)
                    .into_iter()
                    .map(|p| json!({"version": p.version, "platform_version": p.platform_version, "target_versions": p.targets}))
                    .collect();
                put("paths", list(paths));
            }
            UPGRADE_INFO => {
                let j = api.show_upgrade_info(require(args, "cluster_id")?).await?;
                put("release", jval_str(&j, "/spec/versionInfo/release"));
                put("patch", jval_str(&j, "/spec/versionInfo/patch"));
                put(
                    "suggest_patch",
                    jval_str(&j, "/spec/versionInfo/suggestPatch"),
                );
                let targets = j
                    .pointer("/spec/versionInfo/targetVersions")
                    .and_then(Json::as_array)
                    .cloned()
                    .unwrap_or_default();
                put("target_versions", Value::from_json(&Json::Array(targets)));
                put("phase", jval_str(&j, "/status/phase"));
                put("progress", jval_str(&j, "/status/progress"));
            }
            UPGRADE_FEATURE_GATES => {
                let j = api.list_upgrade_feature_gates().await?;
                put(
                    "feature_gates",
                    match jval(&j, "/upgradeFeatureGates") {
                        Value::Null => Value::Map(Default::default()),
                        v => v,
                    },
                );
            }
            QUOTAS => {
                let j = api.show_quotas().await?;
                let quotas: Vec<Json> = j
                    .get("quotas")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .map(|q| json!({"key": q.get("quotaKey"), "limit": q.get("quotaLimit"), "used": q.get("used"), "unit": q.get("unit"), "region": q.get("regionId")}))
                    .collect();
                put("quotas", list(quotas));
                let q = Catalog::parse_cluster_quota(&j);
                put(
                    "cluster_limit",
                    q.map(|q| Value::Int(q.limit)).unwrap_or(Value::Null),
                );
                put(
                    "cluster_used",
                    q.map(|q| Value::Int(q.used)).unwrap_or(Value::Null),
                );
            }
            CLUSTERS => {
                let j = api
                    .list_clusters(astr(args, "status"), astr(args, "version"))
                    .await?;
                let all = items(&j);
                let clusters: Vec<Json> = all
                    .iter()
                    .map(|c| json!({"id": jstr(c, "/metadata/uid"), "name": jstr(c, "/metadata/name"), "version": jstr(c, "/spec/version"), "phase": jstr(c, "/status/phase")}))
                    .collect();
                put("clusters", list(clusters));
                put("ids", strings(all, "/metadata/uid"));
                put("names", strings(all, "/metadata/name"));
            }
            CLUSTER_ENDPOINTS => {
                let j = api
                    .show_cluster_endpoints(require(args, "cluster_id")?)
                    .await?;
                put("private_endpoint", jval_str(&j, "/status/privateEndpoint"));
                put("public_endpoint", jval_str(&j, "/status/publicEndpoint"));
            }
            KUBECONFIG => {
                let duration = args.get("duration").and_then(Value::as_i64).unwrap_or(1);
                let cfg = api
                    .create_cluster_cert(require(args, "cluster_id")?, duration)
                    .await?;
                for (k, v) in kubeconfig_attrs(&cfg) {
                    put(&k, v);
                }
            }
            CHART_VALUES => {
                let j = api.show_chart_values(require(args, "chart_id")?).await?;
                put("values", jval(&j, "/values"));
            }
            RELEASES => {
                let j = api
                    .list_releases(
                        require(args, "cluster_id")?,
                        astr(args, "chart_id"),
                        astr(args, "namespace"),
                    )
                    .await?;
                let rels: Vec<Json> = items(&j)
                    .iter()
                    .map(|r| json!({"name": r.get("name"), "namespace": r.get("namespace"), "status": r.get("status"),
                        "chart_name": r.get("chart_name"), "chart_version": r.get("chart_version"), "revision": r.get("version")}))
                    .collect();
                put("releases", list(rels));
            }
            RELEASE_HISTORY => {
                let j = api
                    .show_release_history(
                        require(args, "cluster_id")?,
                        require(args, "namespace")?,
                        require(args, "name")?,
                    )
                    .await?;
                let hist: Vec<Json> = items(&j)
                    .iter()
                    .map(|r| json!({"revision": r.get("version"), "status": r.get("status"), "chart_version": r.get("chart_version"), "update_at": r.get("update_at")}))
                    .collect();
                put("history", list(hist));
            }
            JOB => {
                let j = api.show_job(require(args, "job_id")?).await?;
                put("type", jval_str(&j, "/spec/type"));
                put("phase", jval_str(&j, "/status/phase"));
                put("reason", jval_str(&j, "/status/reason"));
                put("cluster_id", jval_str(&j, "/spec/clusterUID"));
                let subs: Vec<Json> = j
                    .pointer("/spec/subJobs")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .map(|s| json!({"type": jstr(s, "/spec/type"), "phase": jstr(s, "/status/phase")}))
                    .collect();
                put("sub_jobs", list(subs));
            }
            other => {
                return Err(ProviderError::Permanent {
                    code: None,
                    message: format!("unknown data source {other}"),
                    request_id: None,
                })
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
#[path = "data_read_tests.rs"]
mod tests;
