//! What the plan-time hooks know about the cloud: upgrade paths, add-on templates and the cluster
//! quota, parsed from the API's JSON in `prepare_plan`, or a built-in catalog (the emulator's) when
//! planning offline.

use serde_json::Value as Json;

use crate::version::{minor_of, Version};

/// One entry of `GET /autopilot/v3/clusterupgradepaths`: a cluster at `version` (major.minor, or
/// a full patch for old clusters) on `platform_version` can upgrade to each of `targets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradePath {
    pub version: String,
    pub platform_version: String,
    pub targets: Vec<String>,
}

/// One version of an add-on template and the cluster versions it supports (regexes over the
/// cluster version, for `VirtualMachine` clusters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateVersion {
    pub version: String,
    pub cluster_versions: Vec<String>,
}

impl TemplateVersion {
    /// Whether this version supports a cluster at `cluster_version`; `None` when no pattern could
    /// be compiled (then the check says nothing rather than a wrong thing).
    pub fn supports(&self, cluster_version: &str) -> Option<bool> {
        let mut compiled_any = false;
        for p in &self.cluster_versions {
            let Ok(re) = regex::Regex::new(&format!("^(?:{p})$")) else {
                continue;
            };
            compiled_any = true;
            if re.is_match(cluster_version) {
                return Some(true);
            }
        }
        compiled_any.then_some(false)
    }
}

/// An add-on template (`GET /autopilot/v3/addontemplates`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddonTemplate {
    pub name: String,
    pub alias: String,
    pub versions: Vec<TemplateVersion>,
}

impl AddonTemplate {
    pub fn version(&self, v: &str) -> Option<&TemplateVersion> {
        self.versions.iter().find(|t| t.version == v)
    }

    /// Versions supporting `cluster_version`, in catalog order.
    pub fn supporting(&self, cluster_version: &str) -> Vec<&str> {
        self.versions
            .iter()
            .filter(|v| v.supports(cluster_version) == Some(true))
            .map(|v| v.version.as_str())
            .collect()
    }
}

/// The cluster quota (`GET P/quotas`, key `autopilot_cluster` or `cluster`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: i64,
    pub used: i64,
}

/// Everything the hooks answer from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Catalog {
    pub upgrade_paths: Vec<UpgradePath>,
    pub addon_templates: Vec<AddonTemplate>,
    pub cluster_quota: Option<Quota>,
    /// Names of the clusters that exist in the cloud now. A planned create of one of these is an
    /// adoption (an earlier, interrupted run created it), so it needs no quota.
    pub existing_clusters: std::collections::BTreeSet<String>,
    /// The upgrade paths are the built-in ones, not the cloud's (offline, or the cloud refused).
    pub paths_builtin: bool,
}

/// The emulator's version graph: one minor per hop, v1.27 → v1.28 → v1.29 → v1.30.
const BUILTIN_PATHS: &[(&str, &str, &str)] = &[
    ("v1.27", "cce.6.0", "v1.28.3-r0"),
    ("v1.28", "cce.4.0", "v1.29.1-r0"),
    ("v1.29", "cce.3.0", "v1.30.2-r0"),
];

fn str_of<'a>(j: &'a Json, key: &str) -> &'a str {
    j.get(key).and_then(Json::as_str).unwrap_or_default()
}

fn int_of(j: &Json, key: &str) -> Option<i64> {
    match j.get(key)? {
        Json::Number(n) => n.as_i64(),
        // The cloud is loose about numbers; accept them as strings too.
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn strings_of(j: Option<&Json>) -> Vec<String> {
    j.and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

impl Catalog {
    /// Offline fallback matching the emulator: upgrade paths only, no templates, no quota.
    pub fn builtin() -> Catalog {
        Catalog {
            upgrade_paths: BUILTIN_PATHS
                .iter()
                .map(|(v, p, t)| UpgradePath {
                    version: (*v).to_string(),
                    platform_version: (*p).to_string(),
                    targets: vec![(*t).to_string()],
                })
                .collect(),
            addon_templates: Vec::new(),
            cluster_quota: None,
            existing_clusters: Default::default(),
            paths_builtin: true,
        }
    }

    /// Parses the body of `GET /autopilot/v3/clusterupgradepaths`.
    pub fn parse_upgrade_paths(body: &Json) -> Vec<UpgradePath> {
        let items = body.get("upgradePaths").and_then(Json::as_array);
        items
            .into_iter()
            .flatten()
            .map(|p| UpgradePath {
                version: str_of(p, "version").to_string(),
                platform_version: str_of(p, "platformVersion").to_string(),
                targets: strings_of(p.get("targetVersions")),
            })
            .filter(|p| !p.version.is_empty())
            .collect()
    }

    /// Parses the body of `GET /autopilot/v3/addontemplates`.
    pub fn parse_addon_templates(body: &Json) -> Vec<AddonTemplate> {
        let items = body.get("items").and_then(Json::as_array);
        items
            .into_iter()
            .flatten()
            .filter_map(parse_template)
            .collect()
    }

    /// Parses the body of `GET P/quotas` for the cluster quota.
    pub fn parse_cluster_quota(body: &Json) -> Option<Quota> {
        let quotas = body.get("quotas")?.as_array()?;
        quotas.iter().find_map(|q| {
            let key = str_of(q, "quotaKey");
            if key != "autopilot_cluster" && key != "cluster" {
                return None;
            }
            Some(Quota {
                limit: int_of(q, "quotaLimit")?,
                used: int_of(q, "used").unwrap_or(0),
            })
        })
    }

    /// The targets a cluster at `version` can upgrade to: the path entry for that exact version,
    /// else those for its major.minor (filtered by platform version when it is known and matches).
    pub fn targets_from(&self, version: &str, platform: Option<&str>) -> Vec<String> {
        let exact: Vec<&UpgradePath> = self
            .upgrade_paths
            .iter()
            .filter(|p| p.version == version)
            .collect();
        let entries = if exact.is_empty() {
            let minor = minor_of(version);
            self.upgrade_paths
                .iter()
                .filter(|p| minor_of(&p.version) == minor)
                .collect()
        } else {
            exact
        };
        let on_platform: Vec<&&UpgradePath> = entries
            .iter()
            .filter(|p| platform.is_some_and(|pl| !pl.is_empty() && p.platform_version == pl))
            .collect();
        let chosen: Vec<&UpgradePath> = if on_platform.is_empty() {
            entries
        } else {
            on_platform.into_iter().copied().collect()
        };
        let mut out: Vec<String> = Vec::new();
        for t in chosen.iter().flat_map(|p| p.targets.iter()) {
            if !out.contains(t) {
                out.push(t.clone());
            }
        }
        out
    }

    /// `v1.27 → v1.28.3-r0, …`, for error messages.
    pub fn describe_paths(&self) -> String {
        if self.upgrade_paths.is_empty() {
            return "none".to_string();
        }
        self.upgrade_paths
            .iter()
            .map(|p| format!("{} → {}", p.version, p.targets.join(" | ")))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A template by name or alias.
    pub fn template(&self, name: &str) -> Option<&AddonTemplate> {
        self.addon_templates
            .iter()
            .find(|t| t.name == name || t.alias == name)
    }
}

fn parse_template(t: &Json) -> Option<AddonTemplate> {
    let meta = t.get("metadata")?;
    let name = str_of(meta, "name").to_string();
    if name.is_empty() {
        return None;
    }
    let versions = t
        .get("spec")
        .and_then(|s| s.get("versions"))
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .map(|v| TemplateVersion {
            version: str_of(v, "version").to_string(),
            cluster_versions: v
                .get("supportVersions")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                // Autopilot masters are VirtualMachine; an entry without a type applies too.
                .filter(|s| matches!(str_of(s, "clusterType"), "" | "VirtualMachine"))
                .flat_map(|s| strings_of(s.get("clusterVersion")))
                .collect(),
        })
        .collect();
    Some(AddonTemplate {
        name,
        alias: str_of(meta, "alias").to_string(),
        versions,
    })
}

/// Whether `text` parses as a version; used to reject nonsense early with a clear message.
pub fn is_version(text: &str) -> bool {
    Version::parse(text).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_seed_upgrade_paths() {
        let body = json!({"kind": "ClusterUpgradePaths", "apiVersion": "v3", "metadata": {},
            "upgradePaths": [{"version": "v1.23", "platformVersion": "cce.10.0",
                "targetVersions": ["v1.23.11-r0", "v1.25.6-r0", "v1.27.3-r0"]}]});
        let paths = Catalog::parse_upgrade_paths(&body);
        assert_eq!(paths.len(), 1);
        assert_eq!(paths[0].targets.len(), 3);
        let c = Catalog {
            upgrade_paths: paths,
            ..Catalog::default()
        };
        assert_eq!(c.targets_from("v1.23.8-r0", None).len(), 3);
        assert_eq!(c.targets_from("v1.23", Some("cce.10.0")).len(), 3);
        assert!(c.targets_from("v1.25", None).is_empty());
    }

    #[test]
    fn platform_version_narrows_when_it_matches() {
        let c = Catalog {
            upgrade_paths: vec![
                UpgradePath {
                    version: "v1.28".into(),
                    platform_version: "cce.4.0".into(),
                    targets: vec!["v1.29.1-r0".into()],
                },
                UpgradePath {
                    version: "v1.28".into(),
                    platform_version: "cce.5.0".into(),
                    targets: vec!["v1.30.2-r0".into()],
                },
            ],
            ..Catalog::default()
        };
        assert_eq!(
            c.targets_from("v1.28.3-r0", Some("cce.5.0")),
            vec!["v1.30.2-r0"]
        );
        assert_eq!(c.targets_from("v1.28.3-r0", Some("cce.9.9")).len(), 2);
        assert_eq!(c.targets_from("v1.28.3-r0", None).len(), 2);
    }

    #[test]
    fn parses_templates_and_matches_support_regexes() {
        let body = json!({"kind": "Addon", "apiVersion": "v3", "items": [{
        "metadata": {"name": "cie-collector", "alias": "kube-prometheus-stack"},
        "spec": {"type": "helm", "versions": [
            {"version": "3.10.1", "supportVersions": [{"clusterType": "VirtualMachine", "clusterVersion": ["v1.(27|28).*"]}]},
            {"version": "3.12.0", "supportVersions": [{"clusterType": "BareMetal", "clusterVersion": ["v1.29.*"]},
                                                       {"clusterType": "VirtualMachine", "clusterVersion": ["v1.(28|29|30).*"]}]}
        ]}}]});
        let c = Catalog {
            addon_templates: Catalog::parse_addon_templates(&body),
            ..Catalog::default()
        };
        let t = c.template("kube-prometheus-stack").unwrap();
        assert_eq!(t.name, "cie-collector");
        assert_eq!(
            t.version("3.10.1").unwrap().supports("v1.28.3-r0"),
            Some(true)
        );
        assert_eq!(t.version("3.10.1").unwrap().supports("v1.29"), Some(false));
        assert_eq!(t.supporting("v1.30"), vec!["3.12.0"]);
        assert_eq!(
            t.version("3.12.0").unwrap().cluster_versions,
            vec!["v1.(28|29|30).*"]
        );
        let broken = TemplateVersion {
            version: "x".into(),
            cluster_versions: vec!["v1.(".into()],
        };
        assert_eq!(broken.supports("v1.28"), None);
    }

    #[test]
    fn parses_the_seed_quota_with_either_key() {
        let body = json!({"quotas": [{"quotaKey": "autopilot_cluster", "quotaLimit": 20, "used": 13,
            "unit": "count", "regionId": "cn-north-7"}]});
        assert_eq!(
            Catalog::parse_cluster_quota(&body),
            Some(Quota {
                limit: 20,
                used: 13
            })
        );
        let body = json!({"quotas": [{"quotaKey": "cluster", "quotaLimit": "5", "used": "1"}]});
        assert_eq!(
            Catalog::parse_cluster_quota(&body),
            Some(Quota { limit: 5, used: 1 })
        );
        assert_eq!(Catalog::parse_cluster_quota(&json!({"quotas": []})), None);
    }

    #[test]
    fn builtin_is_the_emulators_graph() {
        let c = Catalog::builtin();
        assert_eq!(c.targets_from("v1.27.3-r0", None), vec!["v1.28.3-r0"]);
        assert_eq!(c.targets_from("v1.29", None), vec!["v1.30.2-r0"]);
        assert!(c.targets_from("v1.30.2-r0", None).is_empty());
        assert!(c.describe_paths().starts_with("v1.27 → v1.28.3-r0"));
        assert!(is_version("v1.30") && !is_version("latest"));
    }
}
