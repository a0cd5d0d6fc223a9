//! The Huawei provider's schema: its `[providers.huawei]` settings, resource types and data sources,
//! with attribute names and diff rules from §15 of the API digest.
//!
//! Credentials are deliberately absent: they come from `HUAWEICLOUD_SDK_AK`/`_SK`, which the CLI
//! reads and hands to [`crate::HuaweiProvider::new`], so they can never be written in a stack file.

use std::collections::BTreeMap;

use clusterform_model::{AttrSchema as A, AttrType, ProviderSchema, ResourceSchema, SchemaKind};

use crate::data::data_source_schemas;

pub const PROVIDER: &str = "huawei";
pub const CLUSTER: &str = "huawei_autopilot_cluster";
pub const ADDON: &str = "huawei_autopilot_addon";
pub const CLUSTER_EIP: &str = "huawei_autopilot_cluster_eip";
pub const CHART: &str = "huawei_autopilot_chart";
pub const RELEASE: &str = "huawei_autopilot_release";

pub(crate) fn s() -> AttrType {
    AttrType::String
}
pub(crate) fn list_s() -> AttrType {
    AttrType::List(Box::new(AttrType::String))
}
pub(crate) fn map_s() -> AttrType {
    AttrType::Map(Box::new(AttrType::String))
}
pub(crate) fn map_any() -> AttrType {
    AttrType::Map(Box::new(AttrType::Any))
}
pub(crate) fn list_any() -> AttrType {
    AttrType::List(Box::new(AttrType::Any))
}

fn timeouts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| ((*k).to_string(), *v)).collect()
}

/// Everything the provider declares.
pub fn provider_schema() -> ProviderSchema {
    let resources = [
        cluster_schema(),
        addon_schema(),
        cluster_eip_schema(),
        chart_schema(),
        release_schema(),
    ];
    ProviderSchema {
        name: PROVIDER.to_string(),
        config: vec![
            A::required("region", s()).describe("region, e.g. ap-southeast-1"),
            A::required("project_id", s()).describe("project id (32 hex characters)"),
            A::optional("endpoint", s())
                .describe("API endpoint override, e.g. the emulator's address; default https://cce.{region}.myhuaweicloud.com"),
            A::optional("sandbox", AttrType::Bool).describe("run against the embedded emulator"),
            A::optional("rate_limit", AttrType::Float).describe("API calls per second (calls and polls share it)"),
        ],
        resources: resources.into_iter().map(|r| (r.type_name.clone(), r)).collect(),
        data_sources: data_source_schemas().into_iter().map(|r| (r.type_name.clone(), r)).collect(),
    }
}

/// `huawei_autopilot_cluster` (§15.1).
pub fn cluster_schema() -> ResourceSchema {
    let attrs = vec![
        A::computed("id", s()).describe("metadata.uid"),
        A::required("name", s()).force_new().describe("4–128 of [a-z0-9-], starting with a letter"),
        A::optional_computed("alias", s()).describe("display name, unique; default the name"),
        A::optional("description", s()).describe("0–200 characters; changed only while Available"),
        A::optional_computed("eni_subnet_ids", list_s()).describe("container (ENI) subnet ids; adding is safe"),
        A::optional("tags", map_s()).describe("cluster tags, at most 20"),
        A::optional_computed("version", s())
            .version()
            .describe("v1.28 or v1.28.3-r0; a change plans an upgrade along the cloud's paths"),
        A::required("flavor", s()).force_new().describe("cce.autopilot.cluster"),
        A::optional_computed("category", s()).force_new().describe("Turbo"),
        A::optional_computed("type", s()).force_new().describe("VirtualMachine"),
        A::required("vpc_id", s()).force_new(),
        A::required("subnet_id", s()).force_new().describe("network id of the masters' subnet"),
        // The cloud fills in `eni`, the only mode; optional+computed so leaving it out is no diff.
        A::optional_computed("container_network_mode", s()).force_new().describe("eni"),
        A::optional_computed("service_cidr", s()).force_new().describe("default 10.247.0.0/16"),
        A::optional_computed("enable_snat", AttrType::Bool).force_new(),
        A::optional_computed("enable_swr_image_access", AttrType::Bool).force_new(),
        A::optional_computed("enterprise_project_id", s()).force_new(),
        A::optional("install_addons", list_any())
            .create_only()
            .describe("add-ons installed with the cluster: [{addonTemplateName, values}]; prefer huawei_autopilot_addon"),
        A::optional("delete_options", map_s()).no_diff().describe(
            "delete_efs, delete_eni, delete_net, delete_obs, delete_sfs30 (true|block|try|false|skip), lts_reclaim_policy",
        ),
        A::optional("upgrade", map_any()).no_diff().describe(
            "snapshot (bool), postcheck (bool), user_defined_step (1–60), scope, skipped_check_items, addons [{template, version, values}]",
        ),
        A::computed("platform_version", s()),
        A::computed("az", s()),
        A::computed("phase", s()),
        A::computed("endpoints", list_any()).describe("[{url, type}]"),
        A::computed("created_at", s()),
        A::computed("updated_at", s()),
        A::computed("feature_gates", s()),
    ];
    let mut r = ResourceSchema::new(CLUSTER, SchemaKind::Managed, attrs);
    r.noun = "cluster".into();
    r.guard_replace = true;
    r.default_timeouts = timeouts(&[
        ("create", 3600),
        ("update", 120),
        ("upgrade", 7200),
        ("delete", 1800),
    ]);
    r.description = "A CCE Autopilot (serverless) Kubernetes cluster".into();
    r
}

/// `huawei_autopilot_addon` (§15.2).
pub fn addon_schema() -> ResourceSchema {
    let attrs = vec![
        A::computed("id", s()).describe("metadata.uid"),
        A::required("cluster_id", s()).force_new(),
        A::required("template", s())
            .force_new()
            .describe("add-on template name, e.g. coredns"),
        A::optional_computed("version", s()).describe("default: the latest the cluster supports"),
        // Only the keys the config sets are compared: the cloud merges in defaults.
        A::optional_computed("values", map_any())
            .describe("template parameters; only the keys set are compared"),
        A::computed("status", s()),
        A::computed("target_versions", list_s()),
        A::computed("is_rollbackable", AttrType::Bool),
        A::computed("previous_version", s()),
        A::computed("template_type", s()),
        A::computed("description", s()),
        A::computed("name", s()),
        A::computed("alias", s()),
    ];
    let mut r = ResourceSchema::new(ADDON, SchemaKind::Managed, attrs);
    r.noun = "add-on".into();
    r.default_timeouts = timeouts(&[("create", 900), ("update", 900), ("delete", 900)]);
    r.description = "An add-on instance installed in an Autopilot cluster".into();
    r
}

/// `huawei_autopilot_cluster_eip` (§15.4): the public API-server address.
pub fn cluster_eip_schema() -> ResourceSchema {
    let attrs = vec![
        A::computed("id", s()).describe("the cluster id"),
        A::required("cluster_id", s()).force_new(),
        A::required("eip_id", s()).describe("EIP to bind; a change unbinds then binds"),
        A::computed("public_endpoint", s()),
        A::computed("private_endpoint", s()),
    ];
    let mut r = ResourceSchema::new(CLUSTER_EIP, SchemaKind::Managed, attrs);
    r.noun = "EIP binding".into();
    r.default_timeouts = timeouts(&[("create", 300), ("update", 300), ("delete", 300)]);
    r.description = "Binds an EIP to a cluster's API server".into();
    r
}

/// `huawei_autopilot_chart` (§15.6).
///
/// `file` is read when the chart is uploaded (create or update), relative to the stack directory as
/// the CLI resolves it. Refresh hashes the file, so editing it in place plans an update (a
/// re-upload) with no `content_sha256` in the config (a plan with `--refresh=false` does not
/// look); `name` and `version` default to the archive's `Chart.yaml` for adoption.
pub fn chart_schema() -> ResourceSchema {
    let attrs = vec![
        A::computed("id", s()),
        A::required("file", s()).describe("path of the chart .tgz; read at create/update time"),
        A::optional_computed("content_sha256", s()).describe(
            "sha256 of the file uploaded; set it to pin the content, else computed at upload",
        ),
        A::optional("skip_lint", AttrType::Bool)
            .no_diff()
            .describe("sent with the next upload"),
        A::optional("override", AttrType::Bool)
            .no_diff()
            .describe("sent with the next upload"),
        A::optional("visible", AttrType::Bool)
            .no_diff()
            .describe("sent with the next upload"),
        A::optional_computed("name", s()).describe(
            "chart name; defaults to the archive's Chart.yaml (the natural key for adoption)",
        ),
        A::optional_computed("version", s())
            .describe("chart version; defaults to the archive's Chart.yaml"),
        A::computed("values", s()).describe("the chart's values.yaml, JSON-encoded"),
        A::computed("description", s()),
        A::computed("chart_url", s()),
        A::computed("public", AttrType::Bool),
        A::computed("icon_url", s()),
        A::computed("create_at", s()),
        A::computed("update_at", s()),
    ];
    let mut r = ResourceSchema::new(CHART, SchemaKind::Managed, attrs);
    r.noun = "chart".into();
    r.default_timeouts = timeouts(&[("create", 300), ("update", 300), ("delete", 300)]);
    r.description = "A Helm chart uploaded to the project's chart repository".into();
    r
}

/// `huawei_autopilot_release` (§15.7).
pub fn release_schema() -> ResourceSchema {
    let attrs = vec![
        A::computed("id", s()).describe("cluster_id/namespace/name"),
        A::required("cluster_id", s()).force_new(),
        A::required("namespace", s()).force_new(),
        A::required("name", s()).force_new(),
        A::required("chart_id", s()).describe("usually ${huawei_autopilot_chart.x.id}"),
        A::required("chart_version", s()),
        A::optional_computed("values", map_any()).describe("only the keys set are compared"),
        // The update body has no description, so a change needs a new release.
        A::optional("description", s()).force_new(),
        A::optional("parameters", map_any())
            .no_diff()
            .describe("no_hooks, replace, recreate, reset_values, include_hooks, ...; sent with create and update"),
        A::computed("status", s()),
        A::computed("status_description", s()),
        A::computed("revision", AttrType::Int),
        A::computed("chart_name", s()),
        A::computed("create_at", s()),
        A::computed("update_at", s()),
    ];
    let mut r = ResourceSchema::new(RELEASE, SchemaKind::Managed, attrs);
    r.noun = "release".into();
    r.default_timeouts = timeouts(&[("create", 900), ("update", 900), ("delete", 600)]);
    r.description = "A Helm release of an uploaded chart in a cluster".into();
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use clusterform_model::Presence;

    #[test]
    fn provider_block_has_no_credentials() {
        let p = provider_schema();
        let names: Vec<&str> = p.config.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            ["region", "project_id", "endpoint", "sandbox", "rate_limit"]
        );
        assert_eq!(p.config[0].presence, Presence::Required);
        assert_eq!(p.config[4].ty, AttrType::Float);
        assert_eq!(p.resources.len(), 5);
        assert!(p
            .resources
            .keys()
            .all(|k| ProviderSchema::provider_of(k) == "huawei"));
        assert!(p
            .data_sources
            .keys()
            .all(|k| ProviderSchema::provider_of(k) == "huawei"));
    }

    #[test]
    fn cluster_diff_rules() {
        let c = cluster_schema();
        assert_eq!(c.version_attr().map(|a| a.name.as_str()), Some("version"));
        assert!(c.guard_replace && c.noun == "cluster");
        for n in [
            "name",
            "flavor",
            "vpc_id",
            "subnet_id",
            "service_cidr",
            "category",
            "type",
        ] {
            assert!(c.attr(n).unwrap().force_new, "{n}");
        }
        for n in ["alias", "description", "tags", "eni_subnet_ids", "version"] {
            assert!(!c.attr(n).unwrap().force_new, "{n}");
        }
        assert!(c.attr("install_addons").unwrap().create_only);
        assert!(c.attr("delete_options").unwrap().no_diff && c.attr("upgrade").unwrap().no_diff);
        assert!(!c.attr("phase").unwrap().settable());
        assert_eq!(c.default_timeouts.get("upgrade"), Some(&7200));
        assert_eq!(c.default_timeouts.len(), 4);
    }

    #[test]
    fn every_type_has_a_computed_id_and_unique_names() {
        for r in provider_schema().resources.values() {
            assert_eq!(
                r.attr("id").map(|a| a.presence),
                Some(Presence::Computed),
                "{}",
                r.type_name
            );
            let mut names: Vec<&str> = r.attributes.iter().map(|a| a.name.as_str()).collect();
            let n = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), n, "{}", r.type_name);
        }
    }

    #[test]
    fn addon_and_release_keys_force_new() {
        let a = addon_schema();
        assert!(a.attr("cluster_id").unwrap().force_new && a.attr("template").unwrap().force_new);
        assert!(!a.attr("version").unwrap().force_new && !a.attr("version").unwrap().version);
        let r = release_schema();
        for n in ["cluster_id", "namespace", "name", "description"] {
            assert!(r.attr(n).unwrap().force_new, "{n}");
        }
        assert!(r.attr("parameters").unwrap().no_diff);
        assert!(chart_schema().attr("skip_lint").unwrap().no_diff);
        assert!(cluster_eip_schema().attr("cluster_id").unwrap().force_new);
    }
}
