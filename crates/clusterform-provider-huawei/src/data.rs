//! Schemas of the read-only data sources (§15.8 of the API digest). The kubeconfig one is
//! sensitive as a whole: its result is never stored in state nor printed.

use clusterform_model::{AttrSchema as A, AttrType, ResourceSchema, SchemaKind};

use crate::schema::{list_any, list_s, map_any, map_s, s};

pub const ADDON_TEMPLATES: &str = "huawei_autopilot_addon_templates";
pub const UPGRADE_PATHS: &str = "huawei_autopilot_upgrade_paths";
pub const UPGRADE_INFO: &str = "huawei_autopilot_upgrade_info";
pub const UPGRADE_FEATURE_GATES: &str = "huawei_autopilot_upgrade_feature_gates";
pub const QUOTAS: &str = "huawei_autopilot_quotas";
pub const CLUSTERS: &str = "huawei_autopilot_clusters";
pub const CLUSTER_ENDPOINTS: &str = "huawei_autopilot_cluster_endpoints";
pub const KUBECONFIG: &str = "huawei_autopilot_kubeconfig";
pub const CHART_VALUES: &str = "huawei_autopilot_chart_values";
pub const RELEASES: &str = "huawei_autopilot_releases";
pub const RELEASE_HISTORY: &str = "huawei_autopilot_release_history";
pub const JOB: &str = "huawei_autopilot_job";

fn data(name: &str, description: &str, attrs: Vec<A>) -> ResourceSchema {
    let mut r = ResourceSchema::new(name, SchemaKind::Data, attrs);
    r.description = description.to_string();
    r
}

/// Every data source's schema.
pub fn data_source_schemas() -> Vec<ResourceSchema> {
    let mut kubeconfig = data(
        KUBECONFIG,
        "A client certificate kubeconfig for a cluster (POST clustercert); never stored",
        vec![
            A::required("cluster_id", s()),
            A::optional("duration", AttrType::Int)
                .describe("validity in days, 1–1827, or -1 for the maximum; default 1"),
            A::computed("kubeconfig", s())
                .sensitive()
                .describe("the kubeconfig document (JSON, which kubectl reads)"),
            A::computed("server", s()).sensitive(),
            A::computed("cluster_ca_certificate", s()).sensitive(),
            A::computed("client_certificate", s()).sensitive(),
            A::computed("client_key", s()).sensitive(),
            A::computed("current_context", s()).sensitive(),
        ],
    );
    kubeconfig.sensitive = true;
    for a in &mut kubeconfig.attributes {
        a.sensitive = true;
    }
    vec![
        data(
            ADDON_TEMPLATES,
            "Add-on templates and their versions",
            vec![
                A::optional("name", s()).describe("template name or alias; default all"),
                A::optional("cluster_version", s())
                    .describe("keep only versions supporting this cluster version"),
                A::computed("templates", list_any()).describe(
                    "[{name, alias, type, description, versions: [{version, cluster_versions}]}]",
                ),
                A::computed("latest_version", s())
                    .describe("with `name`: the last listed version (supporting cluster_version)"),
            ],
        ),
        data(
            UPGRADE_PATHS,
            "The cloud's cluster upgrade paths",
            vec![A::computed("paths", list_any())
                .describe("[{version, platform_version, target_versions}]")],
        ),
        data(
            UPGRADE_INFO,
            "Upgrade information of one cluster",
            vec![
                A::required("cluster_id", s()),
                A::computed("release", s()),
                A::computed("patch", s()),
                A::computed("suggest_patch", s()),
                A::computed("target_versions", list_s()),
                A::computed("phase", s()),
                A::computed("progress", s()),
            ],
        ),
        data(
            UPGRADE_FEATURE_GATES,
            "Upgrade feature gates (Support | Disable | Default)",
            vec![A::computed("feature_gates", map_s())],
        ),
        data(
            QUOTAS,
            "The project's quotas",
            vec![
                A::computed("quotas", list_any()).describe("[{key, limit, used, unit, region}]"),
                A::computed("cluster_limit", AttrType::Int),
                A::computed("cluster_used", AttrType::Int),
            ],
        ),
        data(
            CLUSTERS,
            "Clusters of the project",
            vec![
                A::optional("status", s()).describe("a phase, e.g. Available"),
                A::optional("version", s()),
                A::computed("clusters", list_any()).describe("[{id, name, version, phase}]"),
                A::computed("ids", list_s()),
                A::computed("names", list_s()),
            ],
        ),
        data(
            CLUSTER_ENDPOINTS,
            "A cluster's API-server addresses",
            vec![
                A::required("cluster_id", s()),
                A::computed("private_endpoint", s()),
                A::computed("public_endpoint", s()),
            ],
        ),
        kubeconfig,
        data(
            CHART_VALUES,
            "The default values of an uploaded chart",
            vec![
                A::required("chart_id", s()),
                A::computed("values", map_any()),
            ],
        ),
        data(
            RELEASES,
            "Releases in a cluster",
            vec![
                A::required("cluster_id", s()),
                A::optional("namespace", s()),
                A::optional("chart_id", s()),
                A::computed("releases", list_any())
                    .describe("[{name, namespace, status, chart_name, chart_version, revision}]"),
            ],
        ),
        data(
            RELEASE_HISTORY,
            "The revisions of one release",
            vec![
                A::required("cluster_id", s()),
                A::required("namespace", s()),
                A::required("name", s()),
                A::computed("history", list_any())
                    .describe("[{revision, status, chart_version, update_at}]"),
            ],
        ),
        data(
            JOB,
            "A cluster job, for diagnostics",
            vec![
                A::required("job_id", s()),
                A::computed("type", s()),
                A::computed("phase", s()),
                A::computed("reason", s()),
                A::computed("cluster_id", s()),
                A::computed("sub_jobs", list_any()).describe("[{type, phase}]"),
            ],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeconfig_is_sensitive_through_and_through() {
        let all = data_source_schemas();
        let k = all.iter().find(|d| d.type_name == KUBECONFIG).unwrap();
        assert!(k.sensitive);
        assert!(k.attributes.iter().all(|a| a.sensitive));
        assert!(all
            .iter()
            .filter(|d| d.type_name != KUBECONFIG)
            .all(|d| !d.sensitive));
    }

    #[test]
    fn data_sources_are_data_and_named_once() {
        let all = data_source_schemas();
        assert_eq!(all.len(), 12);
        assert!(all.iter().all(|d| d.kind == SchemaKind::Data));
        let mut names: Vec<&str> = all.iter().map(|d| d.type_name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 12);
    }
}
