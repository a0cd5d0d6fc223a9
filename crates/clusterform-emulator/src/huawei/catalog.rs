//! The built-in version catalog (upgrade paths) and add-on template catalog.

use regex::Regex;
use serde_json::{json, Value};

/// One Kubernetes minor version the emulator offers.
#[derive(Debug, Clone, Copy)]
pub struct Minor {
    /// `v1.28`.
    pub minor: &'static str,
    /// Patch versions, oldest first; new clusters get the last one.
    pub patches: &'static [&'static str],
    /// Platform version of clusters on this minor.
    pub platform: &'static str,
}

/// Supported minors, oldest first. Upgrades go one minor at a time (no skipping).
pub const VERSIONS: &[Minor] = &[
    Minor {
        minor: "v1.27",
        patches: &["v1.27.2-r0", "v1.27.3-r0"],
        platform: "cce.6.0",
    },
    Minor {
        minor: "v1.28",
        patches: &["v1.28.1-r0", "v1.28.3-r0"],
        platform: "cce.4.0",
    },
    Minor {
        minor: "v1.29",
        patches: &["v1.29.1-r0"],
        platform: "cce.3.0",
    },
    Minor {
        minor: "v1.30",
        patches: &["v1.30.2-r0"],
        platform: "cce.1.0",
    },
];

/// The minor (`v1.28`) of a patch (`v1.28.3-r0`) or minor string.
pub fn minor_of(version: &str) -> String {
    let parts: Vec<&str> = version.split('.').collect();
    match (parts.first(), parts.get(1)) {
        (Some(a), Some(b)) => format!("{a}.{}", b.split('-').next().unwrap_or(b)),
        _ => version.to_string(),
    }
}

fn minor_index(version: &str) -> Option<usize> {
    let m = minor_of(version);
    VERSIONS.iter().position(|v| v.minor == m)
}

/// The catalog entry for a version string.
pub fn minor_entry(version: &str) -> Option<&'static Minor> {
    minor_index(version).and_then(|i| VERSIONS.get(i))
}

/// Resolves a create-time version (`v1.28`, or a known patch; `None` = latest) to
/// (minor, patch, platform).
pub fn resolve_create(version: Option<&str>) -> Option<(String, String, String)> {
    let entry = match version.filter(|v| !v.is_empty()) {
        None => VERSIONS.last()?,
        Some(v) => {
            let e = minor_entry(v)?;
            if v != e.minor && !e.patches.contains(&v) {
                return None;
            }
            e
        }
    };
    let patch = entry.patches.last()?;
    Some((
        entry.minor.to_string(),
        patch.to_string(),
        entry.platform.to_string(),
    ))
}

/// Upgrade targets of a cluster at `patch`: newer patches of its minor, then the latest
/// patch of the next minor.
pub fn targets(patch: &str) -> Vec<String> {
    let Some(i) = minor_index(patch) else {
        return vec![];
    };
    let mut out = vec![];
    if let Some(e) = VERSIONS.get(i) {
        if let Some(pos) = e.patches.iter().position(|p| *p == patch) {
            out.extend(e.patches.iter().skip(pos + 1).map(|p| p.to_string()));
        }
    }
    if let Some(next) = VERSIONS.get(i + 1).and_then(|n| n.patches.last()) {
        out.push(next.to_string());
    }
    out
}

/// Resolves a requested target (`v1.29` or `v1.29.1-r0`) against the targets of `patch`.
pub fn resolve_target(patch: &str, requested: &str) -> Option<String> {
    let ts = targets(patch);
    if ts.iter().any(|t| t == requested) {
        return Some(requested.to_string());
    }
    let m = minor_of(requested);
    if m == requested && m != minor_of(patch) {
        return ts.into_iter().rev().find(|t| minor_of(t) == m);
    }
    None
}

/// The platform version a patch upgrades to.
pub fn platform_of(patch: &str) -> String {
    minor_entry(patch)
        .map(|e| e.platform.to_string())
        .unwrap_or_default()
}

/// `GET /autopilot/v3/clusterupgradepaths` entries.
pub fn upgrade_paths() -> Vec<Value> {
    VERSIONS
        .iter()
        .filter_map(|v| {
            let last = v.patches.last()?;
            let ts = targets(last);
            (!ts.is_empty()).then(
                || json!({"version": v.minor, "platformVersion": v.platform, "targetVersions": ts}),
            )
        })
        .collect()
}

/// One version of an add-on template.
#[derive(Debug, Clone, Copy)]
pub struct AddonVersion {
    /// Add-on version, e.g. `1.28.6`.
    pub version: &'static str,
    /// `supportVersions[].clusterVersion` regexes for `VirtualMachine` clusters.
    pub cluster_versions: &'static [&'static str],
}

/// An add-on template.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    /// Template name.
    pub name: &'static str,
    /// Alias.
    pub alias: &'static str,
    /// `helm` or `static`.
    pub kind: &'static str,
    /// Labels.
    pub labels: &'static [&'static str],
    /// Description.
    pub description: &'static str,
    /// Versions, oldest first.
    pub versions: &'static [AddonVersion],
}

/// The add-on template catalog.
pub const TEMPLATES: &[Template] = &[
    Template {
        name: "coredns",
        alias: "coredns",
        kind: "helm",
        labels: &["ContainerNetwork"],
        description:
            "CoreDNS is a DNS server that chains plugins and provides Kubernetes DNS Services",
        versions: &[
            AddonVersion {
                version: "1.27.1",
                cluster_versions: &["v1.27.*"],
            },
            AddonVersion {
                version: "1.28.4",
                cluster_versions: &["v1.(27|28).*"],
            },
            AddonVersion {
                version: "1.28.6",
                cluster_versions: &["v1.(27|28).*"],
            },
            AddonVersion {
                version: "1.29.4",
                cluster_versions: &["v1.(28|29|30).*"],
            },
            AddonVersion {
                version: "1.30.2",
                cluster_versions: &["v1.30.*"],
            },
        ],
    },
    Template {
        name: "metrics-server",
        alias: "metrics-server",
        kind: "helm",
        labels: &["Monitor"],
        description: "Aggregator of resource usage data in the cluster",
        versions: &[
            AddonVersion {
                version: "1.3.39",
                cluster_versions: &["v1.(27|28).*"],
            },
            AddonVersion {
                version: "1.3.60",
                cluster_versions: &["v1.(28|29|30).*"],
            },
        ],
    },
    Template {
        name: "cce-hpa-controller",
        alias: "cce-hpa-controller",
        kind: "helm",
        labels: &["Scheduling"],
        description: "CCE HPA controller for scheduled and custom-metric scaling",
        versions: &[
            AddonVersion {
                version: "1.4.8",
                cluster_versions: &["v1.(27|28|29).*"],
            },
            AddonVersion {
                version: "1.5.2",
                cluster_versions: &["v1.(29|30).*"],
            },
        ],
    },
    Template {
        name: "cie-collector",
        alias: "kube-prometheus-stack",
        kind: "helm",
        labels: &["Monitor"],
        description: "Cloud native monitoring (Prometheus) collector",
        versions: &[
            AddonVersion {
                version: "3.10.1",
                cluster_versions: &["v1.(27|28).*"],
            },
            AddonVersion {
                version: "3.12.0",
                cluster_versions: &["v1.(28|29|30).*"],
            },
        ],
    },
];

/// Finds a template by name or alias.
pub fn template(name: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.name == name || t.alias == name)
}

/// Whether `v` supports a cluster at `cluster_version` (regexes match the whole string).
pub fn supports(v: &AddonVersion, cluster_version: &str) -> bool {
    v.cluster_versions.iter().any(|p| {
        Regex::new(&format!("^(?:{p})$"))
            .map(|re| re.is_match(cluster_version))
            .unwrap_or(false)
    })
}

/// The latest version of `t` supporting `cluster_version`.
pub fn latest_supported(t: &Template, cluster_version: &str) -> Option<&'static str> {
    t.versions
        .iter()
        .rev()
        .find(|v| supports(v, cluster_version))
        .map(|v| v.version)
}

/// The template's default values (the `input` of each version).
pub fn default_values(t: &Template, version: &str) -> Value {
    json!({
        "basic": {
            "image_version": version,
            "swr_addr": "swr.cn-north-7.myhuaweicloud.com",
            "swr_user": "autopilot-official"
        },
        "flavor": {
            "name": "autopilot-flavor1",
            "replicas": 2,
            "is_default": true,
            "category": ["Autopilot"],
            "resources": [{
                "name": t.name, "limitsCpu": "1000m", "limitsMem": "2048Mi",
                "requestsCpu": "1000m", "requestsMem": "2048Mi"
            }]
        },
        "custom": {}
    })
}

/// A template version rendered as a `Versions` object.
pub fn version_json(t: &Template, v: &AddonVersion) -> Value {
    json!({
        "version": v.version,
        "input": default_values(t, v.version),
        "stable": true,
        "translate": {},
        "supportVersions": [{"clusterType": "VirtualMachine", "clusterVersion": v.cluster_versions}],
        "creationTimestamp": "2024-02-19T11:33:46Z",
        "updateTimestamp": "2024-02-21T01:24:05Z"
    })
}

/// A template rendered as an `AddonTemplate` object.
pub fn template_json(t: &Template) -> Value {
    json!({
        "kind": "Addon",
        "apiVersion": "v3",
        "metadata": {
            "uid": t.name,
            "name": t.name,
            "alias": t.alias,
            "labels": {"addon.cce.io/category": t.labels.first().copied().unwrap_or("")},
            "annotations": {},
            "creationTimestamp": "2024-02-19T11:33:46Z",
            "updateTimestamp": "2024-02-21T01:24:05Z"
        },
        "spec": {
            "type": t.kind,
            "require": t.name == "coredns",
            "labels": t.labels,
            "logoURL": "",
            "readmeURL": "",
            "description": t.description,
            "versions": t.versions.iter().map(|v| version_json(t, v)).collect::<Vec<_>>()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_one_minor_ahead() {
        assert_eq!(targets("v1.27.3-r0"), vec!["v1.28.3-r0"]);
        assert_eq!(targets("v1.27.2-r0"), vec!["v1.27.3-r0", "v1.28.3-r0"]);
        assert!(targets("v1.30.2-r0").is_empty());
        assert_eq!(
            resolve_target("v1.28.3-r0", "v1.29"),
            Some("v1.29.1-r0".into())
        );
        assert_eq!(resolve_target("v1.28.3-r0", "v1.30"), None);
        assert_eq!(resolve_target("v1.28.3-r0", "v1.27"), None);
    }

    #[test]
    fn create_versions_resolve() {
        assert_eq!(
            resolve_create(Some("v1.28")).map(|v| v.1),
            Some("v1.28.3-r0".into())
        );
        assert_eq!(resolve_create(None).map(|v| v.0), Some("v1.30".into()));
        assert!(resolve_create(Some("v1.19")).is_none());
    }

    #[test]
    fn support_regexes_match_whole_versions() {
        let t = template("coredns").unwrap();
        assert_eq!(latest_supported(t, "v1.28.3-r0"), Some("1.29.4"));
        assert_eq!(latest_supported(t, "v1.27.3-r0"), Some("1.28.6"));
        let old = t.versions.first().unwrap();
        assert!(!supports(old, "v1.28.3-r0"));
        assert_eq!(
            template("kube-prometheus-stack").map(|t| t.name),
            Some("cie-collector")
        );
    }

    #[test]
    fn paths_have_no_minor_skipping() {
        let p = upgrade_paths();
        assert_eq!(p.len(), 3);
        assert_eq!(p[0]["targetVersions"], json!(["v1.28.3-r0"]));
    }
}
