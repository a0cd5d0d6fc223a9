//! Upgrade planning: a version change of a cluster expanded into hops along the cloud's upgrade
//! paths, each hop with the steps the executor runs one by one (workflow, pre-check, snapshot,
//! upgrade, post-check), plus the `upgrade` block options that shape them.

use std::cmp::Ordering;

use clusterform_model::{Attrs, UpgradeHop, UpgradeStep, Value};

use crate::catalog::Catalog;
use crate::version::Version;

/// Step names, in the order a hop runs them.
pub const STEP_WORKFLOW: &str = "workflow";
pub const STEP_PRECHECK: &str = "precheck";
pub const STEP_SNAPSHOT: &str = "snapshot";
pub const STEP_UPGRADE: &str = "upgrade";
pub const STEP_POSTCHECK: &str = "postcheck";

/// Rough durations on the real cloud, in seconds, shown as the hop's estimate.
const ESTIMATES: &[(&str, u64)] = &[
    (STEP_WORKFLOW, 5),
    (STEP_PRECHECK, 180),
    (STEP_SNAPSHOT, 300),
    (STEP_UPGRADE, 1800),
    (STEP_POSTCHECK, 30),
];

/// The cluster's `upgrade` block (a map attribute), with the documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct UpgradeOptions {
    /// Back up the masters before upgrading (default true).
    pub snapshot: bool,
    /// Run the post-upgrade check (default true).
    pub postcheck: bool,
    /// `strategy.inPlaceRollingUpdate.userDefinedStep`, 1–60 (default 20).
    pub user_defined_step: i64,
    /// `Cluster` (default) or `NodePool`.
    pub scope: String,
    /// Pre-check items to skip, by name.
    pub skipped_check_items: Vec<String>,
    /// Add-ons to move with the cluster: `{template, version, values?}` maps.
    pub addons: Vec<Value>,
}

impl Default for UpgradeOptions {
    fn default() -> Self {
        UpgradeOptions {
            snapshot: true,
            postcheck: true,
            user_defined_step: 20,
            scope: "Cluster".to_string(),
            skipped_check_items: Vec::new(),
            addons: Vec::new(),
        }
    }
}

impl UpgradeOptions {
    /// Reads the `upgrade` attribute; missing or mistyped keys keep their defaults.
    pub fn from_attrs(attrs: &Attrs) -> UpgradeOptions {
        let mut o = UpgradeOptions::default();
        let Some(m) = attrs.get("upgrade").and_then(Value::as_map) else {
            return o;
        };
        if let Some(b) = m.get("snapshot").and_then(Value::as_bool) {
            o.snapshot = b;
        }
        if let Some(b) = m.get("postcheck").and_then(Value::as_bool) {
            o.postcheck = b;
        }
        // Accept both the flat key and the nested API-shaped form.
        let step = m
            .get("user_defined_step")
            .and_then(Value::as_i64)
            .or_else(|| {
                let s = m
                    .get("strategy")?
                    .as_map()?
                    .get("in_place_rolling_update")?
                    .as_map()?;
                s.get("user_defined_step")?.as_i64()
            });
        if let Some(s) = step {
            o.user_defined_step = s.clamp(1, 60);
        }
        if let Some(s) = m.get("scope").and_then(Value::as_str) {
            o.scope = s.to_string();
        }
        if let Some(l) = m.get("skipped_check_items").and_then(Value::as_list) {
            o.skipped_check_items = l
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
        }
        if let Some(l) = m.get("addons").and_then(Value::as_list) {
            o.addons = l.to_vec();
        }
        o
    }
}

/// Why a route could not be planned; the text is the plan error shown to the user.
fn downgrade(from: &str, to: &str) -> String {
    format!(
        "downgrade from {from} to {to} is not possible: CCE Autopilot only upgrades clusters in \
         place\nhint: keep version = \"{from}\", or replace the cluster (lifecycle.allow_replace) \
         to start over on {to}"
    )
}

/// The (from, to) version texts of each hop from `from` to `to` along `catalog`'s paths: at each
/// hop the highest target that does not pass the desired version, as §15.5 of the API digest says.
pub fn plan_route(
    catalog: &Catalog,
    from: &str,
    platform: Option<&str>,
    to: &str,
) -> Result<Vec<(String, String)>, String> {
    let f =
        Version::parse(from).ok_or_else(|| format!("cannot read the cluster version `{from}`"))?;
    let t = Version::parse(to).ok_or_else(|| {
        format!("`{to}` is not a version (expected e.g. \"v1.28\" or \"v1.28.3-r0\")")
    })?;
    if Version::matches_desired(&t, &f) {
        return Ok(Vec::new());
    }
    if t.minor_key() < f.minor_key()
        || (t.minor_key() == f.minor_key() && t.loose_cmp(&f) == Ordering::Less)
    {
        return Err(downgrade(from, to));
    }
    let mut hops: Vec<(String, String)> = Vec::new();
    let mut current = from.to_string();
    let mut cur = f;
    let mut platform = platform.map(str::to_string);
    while cur.minor_key() < t.minor_key() {
        let best = catalog
            .targets_from(&current, platform.as_deref())
            .into_iter()
            .filter_map(|s| Version::parse(&s).map(|v| (s, v)))
            .filter(|(_, v)| {
                v.minor_key() > cur.minor_key() && v.loose_cmp(&t) != Ordering::Greater
            })
            .max_by(|a, b| a.1.loose_cmp(&b.1));
        let Some((next_text, next)) = best else {
            return Err(format!(
                "no upgrade path reaches {to} from {current}{}; available paths: {}\nhint: choose a \
                 version the paths reach, or upgrade in several applies",
                if hops.is_empty() { String::new() } else { format!(" (reached from {from})") },
                catalog.describe_paths()
            ));
        };
        hops.push((current.clone(), next_text.clone()));
        current = next_text;
        cur = next;
        // Only the first lookup knows the platform; later hops land on the target's own.
        platform = None;
        if hops.len() > 64 {
            return Err(format!("upgrade paths from {from} to {to} do not converge"));
        }
    }
    // Same minor reached: a patch the config names exactly may still be ahead.
    if !Version::matches_desired(&t, &cur) {
        if t.loose_cmp(&cur) == Ordering::Less {
            return Err(downgrade(&current, to));
        }
        hops.push((current, to.to_string()));
    }
    Ok(hops)
}

fn step(name: &str, description: String) -> UpgradeStep {
    UpgradeStep {
        name: name.to_string(),
        description,
    }
}

/// The steps of one hop, honouring `upgrade.snapshot` and `upgrade.postcheck`.
pub fn hop_steps(from: &str, to: &str, opts: &UpgradeOptions) -> Vec<UpgradeStep> {
    let mut steps = vec![
        step(
            STEP_WORKFLOW,
            format!("create the upgrade workflow {from} → {to}"),
        ),
        step(
            STEP_PRECHECK,
            "run the pre-upgrade check and wait for Success".to_string(),
        ),
    ];
    if opts.snapshot {
        steps.push(step(
            STEP_SNAPSHOT,
            "back up the masters (snapshot) and wait for Success".into(),
        ));
    }
    steps.push(step(
        STEP_UPGRADE,
        format!(
            "upgrade in place, rolling (step {}, scope {}); retried once on failure",
            opts.user_defined_step, opts.scope
        ),
    ));
    if opts.postcheck {
        steps.push(step(
            STEP_POSTCHECK,
            "run the post-upgrade check".to_string(),
        ));
    }
    steps
}

/// Estimated seconds of a hop with these steps.
pub fn estimate(steps: &[UpgradeStep]) -> u64 {
    steps
        .iter()
        .filter_map(|s| {
            ESTIMATES
                .iter()
                .find(|(n, _)| *n == s.name)
                .map(|(_, secs)| *secs)
        })
        .sum()
}

/// Full hops for an upgrade; `builtin` notes in the first step that the paths are the offline
/// catalog's, so a reader of the plan knows they were not checked against the cloud.
pub fn build_hops(
    catalog: &Catalog,
    builtin: bool,
    from: &str,
    platform: Option<&str>,
    to: &str,
    opts: &UpgradeOptions,
) -> Result<Vec<UpgradeHop>, String> {
    let route = plan_route(catalog, from, platform, to)?;
    Ok(route
        .into_iter()
        .map(|(f, t)| {
            let mut steps = hop_steps(&f, &t, opts);
            if builtin {
                if let Some(first) = steps.first_mut() {
                    first.description.push_str(
                        " (upgrade path from the built-in catalog: the cloud's paths were not read)",
                    );
                }
            }
            let estimated_seconds = Some(estimate(&steps));
            UpgradeHop { from: f, to: t, steps, estimated_seconds, precheck: None }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::UpgradePath;
    use std::collections::BTreeMap;

    fn names(h: &UpgradeHop) -> Vec<&str> {
        h.steps.iter().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn goes_minor_by_minor_on_the_builtin_paths() {
        let r = plan_route(&Catalog::builtin(), "v1.27", None, "v1.30").unwrap();
        let want = [
            ("v1.27", "v1.28.3-r0"),
            ("v1.28.3-r0", "v1.29.1-r0"),
            ("v1.29.1-r0", "v1.30.2-r0"),
        ];
        assert_eq!(
            r,
            want.map(|(a, b)| (a.to_string(), b.to_string())).to_vec()
        );
        assert!(plan_route(&Catalog::builtin(), "v1.28.3-r0", None, "v1.28")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn takes_the_highest_target_that_does_not_overshoot() {
        let c = Catalog {
            upgrade_paths: vec![UpgradePath {
                version: "v1.23".into(),
                platform_version: "cce.10.0".into(),
                targets: vec![
                    "v1.23.11-r0".into(),
                    "v1.25.6-r0".into(),
                    "v1.27.3-r0".into(),
                ],
            }],
            ..Catalog::default()
        };
        let r = plan_route(&c, "v1.23.8-r0", None, "v1.25").unwrap();
        assert_eq!(
            r,
            vec![("v1.23.8-r0".to_string(), "v1.25.6-r0".to_string())]
        );
        let r = plan_route(&c, "v1.23.8-r0", None, "v1.27").unwrap();
        assert_eq!(r.len(), 1);
        let r = plan_route(&c, "v1.23.8-r0", None, "v1.23.11-r0").unwrap();
        assert_eq!(
            r,
            vec![("v1.23.8-r0".to_string(), "v1.23.11-r0".to_string())]
        );
    }

    #[test]
    fn refuses_downgrades_and_unreachable_targets() {
        let c = Catalog::builtin();
        let e = plan_route(&c, "v1.29", None, "v1.28").unwrap_err();
        assert!(
            e.starts_with("downgrade from v1.29 to v1.28 is not possible: "),
            "{e}"
        );
        let e = plan_route(&c, "v1.28.3-r0", None, "v1.28.1-r0").unwrap_err();
        assert!(e.starts_with("downgrade"), "{e}");
        let e = plan_route(&c, "v1.29.1-r0", None, "v1.31").unwrap_err();
        assert!(
            e.contains("no upgrade path reaches v1.31 from v1.30.2-r0"),
            "{e}"
        );
        assert!(e.contains("v1.27 → v1.28.3-r0, v1.28 → v1.29.1-r0"), "{e}");
        assert!(plan_route(&c, "v1.28", None, "latest")
            .unwrap_err()
            .contains("not a version"));
    }

    #[test]
    fn steps_follow_the_upgrade_block() {
        let mut attrs = Attrs::new();
        let hops = build_hops(
            &Catalog::builtin(),
            false,
            "v1.28",
            None,
            "v1.29",
            &UpgradeOptions::from_attrs(&attrs),
        )
        .unwrap();
        assert_eq!(
            names(&hops[0]),
            ["workflow", "precheck", "snapshot", "upgrade", "postcheck"]
        );
        assert_eq!(hops[0].estimated_seconds, Some(5 + 180 + 300 + 1800 + 30));
        let mut m = BTreeMap::new();
        m.insert("snapshot".to_string(), Value::Bool(false));
        m.insert("postcheck".to_string(), Value::Bool(false));
        m.insert("user_defined_step".to_string(), Value::Int(99));
        attrs.insert("upgrade".into(), Value::Map(m));
        let opts = UpgradeOptions::from_attrs(&attrs);
        assert_eq!(opts.user_defined_step, 60);
        let hops = build_hops(&Catalog::builtin(), true, "v1.27", None, "v1.29", &opts).unwrap();
        assert_eq!(hops.len(), 2);
        assert_eq!(names(&hops[1]), ["workflow", "precheck", "upgrade"]);
        assert!(hops[0].steps[0].description.contains("built-in catalog"));
    }
}
