//! The plan-time hooks: version aliases and server defaults that must not diff, upgrade-hop
//! expansion along the cloud's paths, and cross-resource checks. All answered from a [`Catalog`]
//! fetched in `prepare_plan`, or from the built-in one when planning offline.

use std::sync::{Arc, RwLock};

use clusterform_model::{Address, Attrs, Plan, PlanHooks, PlanIssue, UpgradeHop, Value};

use crate::catalog::Catalog;
use crate::checks;
use crate::route::{build_hops, UpgradeOptions};
use crate::schema::{ADDON, CLUSTER, RELEASE};
use crate::version::same_version;

/// The container network mode the cloud fills in (the only one it documents).
const DEFAULT_NETWORK_MODE: &str = "eni";

/// Hooks backed by a catalog that `prepare_plan` loads; until then the built-in one answers.
#[derive(Debug, Default)]
pub struct HuaweiHooks {
    loaded: RwLock<Option<Arc<Catalog>>>,
}

impl HuaweiHooks {
    pub fn new() -> Self {
        Self::default()
    }

    /// Hooks answering from `catalog` as if it had been fetched from the cloud.
    pub fn with_catalog(catalog: Catalog) -> Self {
        let h = Self::new();
        h.set_catalog(catalog);
        h
    }

    /// Installs the catalog fetched from the cloud.
    pub fn set_catalog(&self, catalog: Catalog) {
        // A poisoned lock only means another thread panicked mid-write of a plain value.
        let mut slot = self.loaded.write().unwrap_or_else(|e| e.into_inner());
        *slot = Some(Arc::new(catalog));
    }

    /// The catalog fetched from the cloud, if `prepare_plan` ran.
    pub fn loaded(&self) -> Option<Arc<Catalog>> {
        self.loaded
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The catalog to answer from, and whether it was read from the cloud (else it is the
    /// built-in fallback).
    pub fn catalog(&self) -> (Arc<Catalog>, bool) {
        match self.loaded() {
            Some(c) => (c, true),
            None => (Arc::new(Catalog::builtin()), false),
        }
    }
}

/// Whether `desired` asks for nothing beyond what `actual` has: every key the config sets is present
/// with an equal (recursively subset) value. The cloud merges defaults into add-on and release
/// values, so only the user's keys may be compared.
pub fn subset(desired: &Value, actual: &Value) -> bool {
    match (desired, actual) {
        (Value::Null, _) => true,
        (Value::Map(d), Value::Map(a)) => d.iter().all(|(k, dv)| {
            a.get(k).is_some_and(|av| subset(dv, av)) || (dv.is_null() && !a.contains_key(k))
        }),
        (Value::List(d), Value::List(a)) => {
            d.len() == a.len() && d.iter().zip(a).all(|(x, y)| subset(x, y))
        }
        (Value::Int(i), Value::Float(f)) | (Value::Float(f), Value::Int(i)) => (*i as f64) == *f,
        _ => desired == actual,
    }
}

/// Null, "", [] and {} all mean "nothing set".
fn empty_like(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        _ => false,
    }
}

impl PlanHooks for HuaweiHooks {
    fn equivalent(&self, type_name: &str, attr: &str, desired: &Value, recorded: &Value) -> bool {
        if desired == recorded {
            return true;
        }
        match (type_name, attr) {
            (CLUSTER, "version") => match (desired, recorded) {
                (Value::String(d), Value::String(r)) => same_version(d, r),
                (Value::Null, _) => true,
                _ => false,
            },
            (CLUSTER, "container_network_mode") => {
                desired.is_null() && recorded.as_str() == Some(DEFAULT_NETWORK_MODE)
            }
            // Add-on values are read back restricted to the user's keys (`addon::project`), so
            // both sides must hold the same keys: a key removed from the config is a diff.
            (ADDON, "values") => {
                (subset(desired, recorded) && subset(recorded, desired))
                    || (empty_like(desired) && empty_like(recorded))
            }
            (RELEASE, "values") => subset(desired, recorded),
            _ => empty_like(desired) && empty_like(recorded),
        }
    }

    fn upgrade_hops(
        &self,
        type_name: &str,
        address: &Address,
        from: &Value,
        to: &Value,
        recorded: &Attrs,
    ) -> Result<Vec<UpgradeHop>, String> {
        if type_name != CLUSTER {
            return Err(format!("{address}: {type_name} has no upgrade procedure"));
        }
        let from = from
            .as_str()
            .ok_or_else(|| format!("{address}: the recorded version is not known"))?;
        let to = to
            .as_str()
            .ok_or_else(|| format!("{address}: the desired version must be a string"))?;
        let platform = recorded.get("platform_version").and_then(Value::as_str);
        let (catalog, _) = self.catalog();
        let opts = UpgradeOptions::from_attrs(recorded);
        build_hops(&catalog, catalog.paths_builtin, from, platform, to, &opts)
    }

    fn check(&self, plan: &Plan) -> Vec<PlanIssue> {
        let (catalog, loaded) = self.catalog();
        checks::run(plan, &catalog, !loaded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::UpgradePath;
    use std::collections::BTreeMap;

    fn map(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn version_aliases_do_not_diff() {
        let h = HuaweiHooks::new();
        assert!(h.equivalent(
            CLUSTER,
            "version",
            &Value::str("v1.28"),
            &Value::str("v1.28.3-r0")
        ));
        assert!(!h.equivalent(
            CLUSTER,
            "version",
            &Value::str("v1.28.1-r0"),
            &Value::str("v1.28.3-r0")
        ));
        assert!(!h.equivalent(
            CLUSTER,
            "version",
            &Value::str("v1.29"),
            &Value::str("v1.28.3-r0")
        ));
        assert!(h.equivalent(
            CLUSTER,
            "container_network_mode",
            &Value::Null,
            &Value::str("eni")
        ));
        assert!(h.equivalent(CLUSTER, "description", &Value::Null, &Value::str("")));
        assert!(!h.equivalent(CLUSTER, "description", &Value::str("x"), &Value::str("")));
        assert!(h.equivalent(CLUSTER, "tags", &Value::Null, &Value::Map(BTreeMap::new())));
        assert!(!h.equivalent(
            ADDON,
            "version",
            &Value::str("1.28.6"),
            &Value::str("1.28.4")
        ));
    }

    #[test]
    fn values_compare_on_the_users_keys_only() {
        let h = HuaweiHooks::new();
        let server = map(&[
            (
                "flavor",
                map(&[
                    ("replicas", Value::Int(2)),
                    ("name", Value::str("autopilot-flavor1")),
                ]),
            ),
            ("systemAutoInject", map(&[("cluster", map(&[]))])),
        ]);
        let want = map(&[("flavor", map(&[("replicas", Value::Int(2))]))]);
        // Add-on values are read back restricted to the user's keys, then compared whole.
        let read_back = crate::addon::project(&server, &want);
        assert!(h.equivalent(ADDON, "values", &want, &read_back));
        let more = map(&[("flavor", map(&[("replicas", Value::Int(3))]))]);
        assert!(!h.equivalent(ADDON, "values", &more, &read_back));
        // A key removed from the config still reads back as set: a diff, so an update removes it.
        let removed = map(&[("flavor", map(&[]))]);
        assert!(!h.equivalent(ADDON, "values", &removed, &read_back));
        assert!(h.equivalent(
            RELEASE,
            "values",
            &map(&[("r", Value::Float(2.0))]),
            &map(&[("r", Value::Int(2))])
        ));
        assert!(!h.equivalent(
            RELEASE,
            "values",
            &map(&[("new", Value::Bool(true))]),
            &server
        ));
        assert!(subset(
            &Value::List(vec![map(&[])]),
            &Value::List(vec![server.clone()])
        ));
        assert!(!subset(&Value::List(vec![]), &Value::List(vec![server])));
    }

    #[test]
    fn hops_use_the_loaded_catalog_or_say_they_did_not() {
        let addr = Address::managed(CLUSTER, "prod");
        let h = HuaweiHooks::new();
        let hops = h
            .upgrade_hops(
                CLUSTER,
                &addr,
                &Value::str("v1.27"),
                &Value::str("v1.30"),
                &Attrs::new(),
            )
            .unwrap();
        assert_eq!(hops.len(), 3);
        assert!(hops
            .iter()
            .all(|h| h.steps[0].description.contains("built-in catalog")));
        let e = h
            .upgrade_hops(
                CLUSTER,
                &addr,
                &Value::str("v1.29"),
                &Value::str("v1.28"),
                &Attrs::new(),
            )
            .unwrap_err();
        assert!(e.starts_with("downgrade from v1.29 to v1.28 is not possible: "));

        h.set_catalog(Catalog {
            upgrade_paths: vec![UpgradePath {
                version: "v1.27".into(),
                platform_version: "cce.6.0".into(),
                targets: vec!["v1.28.3-r0".into(), "v1.30.2-r0".into()],
            }],
            ..Catalog::default()
        });
        let hops = h
            .upgrade_hops(
                CLUSTER,
                &addr,
                &Value::str("v1.27.3-r0"),
                &Value::str("v1.30"),
                &Attrs::new(),
            )
            .unwrap();
        assert_eq!(hops.len(), 1);
        assert_eq!(hops[0].to, "v1.30.2-r0");
        assert!(!hops[0].steps[0].description.contains("built-in"));
        assert!(h
            .upgrade_hops(
                ADDON,
                &addr,
                &Value::str("1"),
                &Value::str("2"),
                &Attrs::new()
            )
            .is_err());
        assert!(h
            .upgrade_hops(
                CLUSTER,
                &addr,
                &Value::Unknown,
                &Value::str("v1.30"),
                &Attrs::new()
            )
            .is_err());
    }
}
