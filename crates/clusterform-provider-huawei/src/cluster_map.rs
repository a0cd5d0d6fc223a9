//! `huawei_autopilot_cluster` ↔ the cluster object: cloud JSON → attributes, attributes → the create
//! and update bodies, the tag diff and the delete options (§3 and §15.1 of the API digest).

use std::collections::BTreeMap;

use clusterform_model::{Attrs, Value};
use serde_json::{json, Map, Value as Json};

use crate::conv::{astr, jstr, jval, jval_bool, jval_str};

/// Attributes the cloud never returns; kept from config/state across reads.
pub const CONFIG_ONLY: &[&str] = &["install_addons", "delete_options", "upgrade"];

/// The annotation that installs add-ons with the cluster (not stored by the cloud).
const INSTALL_ADDONS: &str = "cluster.install.addons/install";

/// The delete query options the API knows.
const DELETE_OPTIONS: &[&str] = &[
    "delete_efs",
    "delete_eni",
    "delete_net",
    "delete_obs",
    "delete_sfs30",
    "lts_reclaim_policy",
];

/// A cluster object as attributes (without the config-only ones).
pub fn cluster_attrs(j: &Json) -> Attrs {
    let mut a = Attrs::new();
    let mut put = |k: &str, v: Value| {
        a.insert(k.to_string(), v);
    };
    put("id", jval_str(j, "/metadata/uid"));
    put("name", jval_str(j, "/metadata/name"));
    // The cloud omits the alias when it equals the name.
    let alias = jstr(j, "/metadata/alias").or_else(|| jstr(j, "/metadata/name"));
    put("alias", alias.map(Value::str).unwrap_or(Value::Null));
    put("description", jval_str(j, "/spec/description"));
    let subnets: Vec<Value> = j
        .pointer("/spec/eniNetwork/subnets")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| jstr(s, "/subnetID"))
        .map(Value::str)
        .collect();
    put("eni_subnet_ids", Value::List(subnets));
    let tags: BTreeMap<String, Value> = j
        .pointer("/spec/clusterTags")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let key = jstr(t, "/key")?;
            Some((
                key.to_string(),
                Value::str(t.get("value").and_then(Json::as_str).unwrap_or_default()),
            ))
        })
        .collect();
    put(
        "tags",
        if tags.is_empty() {
            Value::Null
        } else {
            Value::Map(tags)
        },
    );
    put("version", jval_str(j, "/spec/version"));
    put("flavor", jval_str(j, "/spec/flavor"));
    put("category", jval_str(j, "/spec/category"));
    put("type", jval_str(j, "/spec/type"));
    put("vpc_id", jval_str(j, "/spec/hostNetwork/vpc"));
    put("subnet_id", jval_str(j, "/spec/hostNetwork/subnet"));
    put(
        "container_network_mode",
        jval_str(j, "/spec/containerNetwork/mode"),
    );
    let cidr =
        jstr(j, "/spec/serviceNetwork/IPv4CIDR").or_else(|| jstr(j, "/spec/kubernetesSvcIpRange"));
    put("service_cidr", cidr.map(Value::str).unwrap_or(Value::Null));
    put("enable_snat", jval_bool(j, "/spec/enableSnat"));
    put(
        "enable_swr_image_access",
        jval_bool(j, "/spec/enableSWRImageAccess"),
    );
    put(
        "enterprise_project_id",
        jval_str(j, "/spec/extendParam/enterpriseProjectId"),
    );
    put("platform_version", jval_str(j, "/spec/platformVersion"));
    put("az", jval_str(j, "/spec/az"));
    put("phase", jval_str(j, "/status/phase"));
    let endpoints = match jval(j, "/status/endpoints") {
        Value::Null => Value::List(Vec::new()),
        v => v,
    };
    put("endpoints", endpoints);
    put("created_at", jval_str(j, "/metadata/creationTimestamp"));
    put("updated_at", jval_str(j, "/metadata/updateTimestamp"));
    put(
        "feature_gates",
        jval_str(j, "/metadata/labels/FeatureGates"),
    );
    a
}

/// A known string attribute (skipping unknowns, which a planner may leave for computed values).
fn known<'a>(a: &'a Attrs, key: &str) -> Option<&'a str> {
    astr(a, key)
}

fn known_bool(a: &Attrs, key: &str) -> Option<bool> {
    a.get(key).and_then(Value::as_bool)
}

fn string_list(v: Option<&Value>) -> Option<Vec<String>> {
    let l = v?.as_list()?;
    Some(
        l.iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
    )
}

fn tag_list(tags: &BTreeMap<String, String>) -> Json {
    Json::Array(
        tags.iter()
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect(),
    )
}

fn tags_of(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k.clone(), s.clone())),
                    Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                        Some((k.clone(), v.to_string()))
                    }
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The `POST P/clusters` body.
pub fn cluster_create_body(d: &Attrs) -> Json {
    let mut meta = Map::new();
    meta.insert("name".into(), json!(known(d, "name").unwrap_or_default()));
    if let Some(alias) = known(d, "alias") {
        meta.insert("alias".into(), json!(alias));
    }
    if let Some(Value::List(addons)) = d.get("install_addons") {
        if !addons.is_empty() && !addons.iter().any(Value::contains_unknown) {
            let list = Json::Array(addons.iter().map(Value::to_json).collect());
            // The API wants the array as a JSON string inside the annotation.
            meta.insert(
                "annotations".into(),
                json!({ INSTALL_ADDONS: list.to_string() }),
            );
        }
    }
    let mut spec = Map::new();
    spec.insert(
        "flavor".into(),
        json!(known(d, "flavor").unwrap_or("cce.autopilot.cluster")),
    );
    for (attr, field) in [
        ("category", "category"),
        ("type", "type"),
        ("version", "version"),
        ("description", "description"),
    ] {
        if let Some(v) = known(d, attr) {
            spec.insert(field.into(), json!(v));
        }
    }
    spec.insert(
        "hostNetwork".into(),
        json!({"vpc": known(d, "vpc_id").unwrap_or_default(), "subnet": known(d, "subnet_id").unwrap_or_default()}),
    );
    spec.insert(
        "containerNetwork".into(),
        json!({"mode": known(d, "container_network_mode").unwrap_or("eni")}),
    );
    if let Some(subnets) = string_list(d.get("eni_subnet_ids")).filter(|s| !s.is_empty()) {
        let list: Vec<Json> = subnets.iter().map(|s| json!({"subnetID": s})).collect();
        spec.insert("eniNetwork".into(), json!({ "subnets": list }));
    }
    if let Some(cidr) = known(d, "service_cidr") {
        spec.insert("serviceNetwork".into(), json!({"IPv4CIDR": cidr}));
    }
    if let Some(b) = known_bool(d, "enable_snat") {
        spec.insert("enableSnat".into(), json!(b));
    }
    if let Some(b) = known_bool(d, "enable_swr_image_access") {
        spec.insert("enableSWRImageAccess".into(), json!(b));
    }
    if let Some(ep) = known(d, "enterprise_project_id") {
        spec.insert("extendParam".into(), json!({"enterpriseProjectId": ep}));
    }
    let tags = tags_of(d.get("tags"));
    if !tags.is_empty() {
        spec.insert("clusterTags".into(), tag_list(&tags));
    }
    json!({"kind": "Cluster", "apiVersion": "v3", "metadata": meta, "spec": spec})
}

/// The `PUT C` body for alias, description and ENI subnet changes; `None` when none changed.
pub fn cluster_update_body(recorded: &Attrs, desired: &Attrs) -> Option<Json> {
    let mut spec = Map::new();
    let mut meta = Map::new();
    if let Some(alias) = known(desired, "alias") {
        if known(recorded, "alias") != Some(alias) {
            meta.insert("alias".into(), json!(alias));
        }
    }
    // Description is optional, not computed: leaving it out of the config clears it.
    if !desired
        .get("description")
        .is_some_and(Value::contains_unknown)
    {
        let want = known(desired, "description").unwrap_or_default();
        if known(recorded, "description").unwrap_or_default() != want {
            spec.insert("description".into(), json!(want));
        }
    }
    if let Some(want) = string_list(desired.get("eni_subnet_ids")).filter(|_| {
        !desired
            .get("eni_subnet_ids")
            .is_some_and(Value::contains_unknown)
    }) {
        let have = string_list(recorded.get("eni_subnet_ids")).unwrap_or_default();
        if !want.is_empty() && want != have {
            let list: Vec<Json> = want.iter().map(|s| json!({"subnetID": s})).collect();
            spec.insert("eniNetwork".into(), json!({ "subnets": list }));
        }
    }
    if spec.is_empty() && meta.is_empty() {
        return None;
    }
    let mut body = Map::new();
    body.insert("spec".into(), Json::Object(spec));
    if !meta.is_empty() {
        body.insert("metadata".into(), Json::Object(meta));
    }
    Some(Json::Object(body))
}

/// The tag bodies to send: `tags/create` for added or changed keys, `tags/delete` for removed.
pub fn tag_changes(recorded: &Attrs, desired: &Attrs) -> (Option<Json>, Option<Json>) {
    if desired.get("tags").is_some_and(Value::contains_unknown) {
        return (None, None);
    }
    let have = tags_of(recorded.get("tags"));
    let want = tags_of(desired.get("tags"));
    let upsert: BTreeMap<String, String> = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let removed: Vec<Json> = have
        .keys()
        .filter(|k| !want.contains_key(*k))
        .map(|k| json!({"key": k}))
        .collect();
    let create = (!upsert.is_empty()).then(|| json!({"tags": tag_list(&upsert)}));
    let delete = (!removed.is_empty()).then(|| json!({ "tags": removed }));
    (create, delete)
}

/// The DELETE query from the recorded `delete_options` (unknown keys are ignored).
pub fn delete_query(recorded: &Attrs) -> Vec<(String, String)> {
    let Some(m) = recorded.get("delete_options").and_then(Value::as_map) else {
        return Vec::new();
    };
    DELETE_OPTIONS
        .iter()
        .filter_map(|k| {
            let v = match m.get(*k)? {
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some(((*k).to_string(), v))
        })
        .collect()
}

#[cfg(test)]
#[path = "cluster_map_tests.rs"]
mod tests;
