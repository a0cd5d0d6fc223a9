//! Attribute diffs of one managed instance, driven by its schema: which attributes differ, which
//! of them force a new object or an upgrade, and what the attributes will be after apply.

use std::borrow::Cow;
use std::collections::BTreeSet;

use clusterform_model::{
    is_digest, sensitive_digest, AttrChange, AttrSchema, Attrs, PlanHooks, Presence,
    ResourceSchema, Value,
};

/// What comparing desired against recorded attributes found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiffOutcome {
    /// Attributes after an in-place update or upgrade.
    pub after: Attrs,
    /// Differences in schema order, each tagged with its attribute's index in the schema.
    pub changes: Vec<(usize, AttrChange)>,
    /// `(recorded, desired)` of the version attribute when it differs.
    pub version_change: Option<(Value, Value)>,
    /// Some difference needs a new object.
    pub forces_replace: bool,
}

/// `recorded` as the diff must see it. State holds a sensitive attribute (one listed in the
/// resource's `sensitive_attrs`) only sealed (`clusterform_model::seal_value`: digests keyed with
/// the lineage, map keys kept). Where the desired value has the same digest the secret did not
/// change, so that part reads as the desired value: no perpetual diff, and the planned values
/// (which later references and outputs read) hold the value rather than its digest. A digest
/// that does not match stays, and diffs as a change. Borrowed when nothing is replaced.
pub fn reveal_unchanged<'r>(
    lineage: &str,
    sensitive_attrs: &[String],
    desired: &Attrs,
    recorded: &'r Attrs,
) -> Cow<'r, Attrs> {
    let mut out = Cow::Borrowed(recorded);
    for name in sensitive_attrs {
        let (Some(rec), Some(want)) = (recorded.get(name), desired.get(name)) else {
            continue;
        };
        if let Some(seen) = reveal(lineage, want, rec) {
            out.to_mut().insert(name.clone(), seen);
        }
    }
    out
}

/// `recorded` with each digest whose value `desired` matches replaced by that value, map key by
/// map key; `None` when nothing matched.
fn reveal(lineage: &str, desired: &Value, recorded: &Value) -> Option<Value> {
    match (desired, recorded) {
        (d, r) if is_digest(r) => (!d.contains_unknown()
            && Value::String(sensitive_digest(lineage, d)) == *r)
            .then(|| d.clone()),
        (Value::Map(dm), Value::Map(rm)) => {
            let mut changed = false;
            let out = rm
                .iter()
                .map(|(k, rv)| {
                    let seen = dm.get(k).and_then(|dv| reveal(lineage, dv, rv));
                    changed |= seen.is_some();
                    (k.clone(), seen.unwrap_or_else(|| rv.clone()))
                })
                .collect();
            changed.then_some(Value::Map(out))
        }
        _ => None,
    }
}

/// Compares the evaluated config attributes (`desired`, only those the config sets) against the
/// refreshed `recorded` attributes.
pub fn diff_existing(
    schema: &ResourceSchema,
    hooks: &dyn PlanHooks,
    desired: &Attrs,
    recorded: &Attrs,
    ignore_changes: &[String],
) -> DiffOutcome {
    let ignore_all = ignore_changes.iter().any(|i| i == "*");
    let mut out = DiffOutcome::default();
    // Gathered first and built into a map at once: a map built from sorted entries has full
    // nodes, where one filled key by key in schema order has half-empty ones (big plans hold
    // two of these maps per instance).
    let mut after: Vec<(String, Value)> = Vec::with_capacity(recorded.len().max(desired.len()));
    let keep = |after: &mut Vec<(String, Value)>, name: &str| {
        if let Some(v) = recorded.get(name) {
            after.push((name.to_string(), v.clone()));
        }
    };
    for (i, attr) in schema.attributes.iter().enumerate() {
        let name = attr.name.as_str();
        let conf = desired.get(name);
        if attr.presence == Presence::Computed
            || (conf.is_none() && attr.presence == Presence::OptionalComputed)
        {
            // Set by the cloud (or left to it): the value read back is never a diff.
            keep(&mut after, name);
            continue;
        }
        if ignore_all || ignore_changes.iter().any(|n| n == name) {
            if let Some(v) = recorded.get(name).or(conf) {
                after.push((name.to_string(), v.clone()));
            }
            continue;
        }
        if attr.create_only || attr.no_diff {
            // Never a diff, but state keeps the new config value for later calls.
            match conf {
                Some(c) if !c.contains_unknown() => after.push((name.to_string(), c.clone())),
                _ => keep(&mut after, name),
            }
            continue;
        }
        let d = conf.cloned().unwrap_or(Value::Null);
        let changes = compare(&schema.type_name, attr, hooks, &d, recorded.get(name));
        if changes.is_empty() {
            keep(&mut after, name);
            continue;
        }
        if attr.version {
            out.version_change = Some((
                recorded.get(name).cloned().unwrap_or(Value::Null),
                d.clone(),
            ));
        }
        out.forces_replace |= attr.force_new;
        if !d.is_null() {
            after.push((name.to_string(), d));
        }
        out.changes.extend(changes.into_iter().map(|c| (i, c)));
    }
    // Attributes the schema does not know (older provider versions) are carried over untouched.
    for (k, v) in recorded {
        if schema.attr(k).is_none() {
            after.push((k.clone(), v.clone()));
        }
    }
    out.after = after.into_iter().collect();
    out
}

/// Attributes of a new object: config values, `Unknown` for whatever the cloud will choose.
pub fn planned_new(schema: &ResourceSchema, desired: &Attrs) -> Attrs {
    // Built at once from all entries, for full map nodes (see `diff_existing`).
    let mut after = Vec::with_capacity(schema.attributes.len());
    for attr in &schema.attributes {
        let name = attr.name.clone();
        match (attr.presence, desired.get(&attr.name)) {
            (Presence::Computed, _) | (Presence::OptionalComputed, None) => {
                after.push((name, Value::Unknown));
            }
            (_, Some(v)) if !v.is_null() => after.push((name, v.clone())),
            _ => {}
        }
    }
    after.into_iter().collect()
}

/// The changes a create shows: every attribute of the new object.
pub fn create_changes(schema: &ResourceSchema, after: &Attrs) -> Vec<AttrChange> {
    let sensitive = |k: &str| schema.attr(k).is_some_and(|a| a.sensitive);
    after
        .iter()
        .map(|(k, v)| AttrChange {
            path: k.clone(),
            before: None,
            after: Some(v.clone()),
            sensitive: sensitive(k),
            forces_replace: false,
        })
        .collect()
}

/// The changes a replace shows: the differences that drove it plus the recorded values the cloud
/// will choose anew (`id = "c-1" -> (known after apply)`), in schema order.
pub fn replace_changes(
    schema: &ResourceSchema,
    outcome: &DiffOutcome,
    recorded: &Attrs,
    after: &Attrs,
) -> Vec<AttrChange> {
    let changed: BTreeSet<usize> = outcome.changes.iter().map(|(i, _)| *i).collect();
    let mut all = outcome.changes.clone();
    for (i, attr) in schema.attributes.iter().enumerate() {
        if changed.contains(&i) {
            continue;
        }
        let (Some(before), Some(Value::Unknown)) =
            (recorded.get(&attr.name), after.get(&attr.name))
        else {
            continue;
        };
        if before.is_null() {
            continue;
        }
        all.push((
            i,
            AttrChange {
                path: attr.name.clone(),
                before: Some(before.clone()),
                after: Some(Value::Unknown),
                sensitive: attr.sensitive,
                forces_replace: false,
            },
        ));
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, c)| c).collect()
}

/// Differences between the recorded and the refreshed attributes (changed outside clusterform),
/// by plain equality since both sides come from the cloud.
pub fn drift(schema: Option<&ResourceSchema>, prior: &Attrs, refreshed: &Attrs) -> Vec<AttrChange> {
    if prior == refreshed {
        // The common case (and every case with `--refresh=false`): skip building the key set.
        return Vec::new();
    }
    let keys: BTreeSet<&String> = prior.keys().chain(refreshed.keys()).collect();
    let mut out = Vec::new();
    for k in keys {
        let (p, r) = (prior.get(k), refreshed.get(k));
        if p == r {
            continue;
        }
        let sensitive = schema.and_then(|s| s.attr(k)).is_some_and(|a| a.sensitive);
        match (p, r) {
            (Some(Value::Map(pm)), Some(Value::Map(rm))) => {
                out.extend(map_diff(k, pm, rm, sensitive, false, |_, a, b| a == b));
            }
            _ => out.push(whole(k, p, r, sensitive, false)),
        }
    }
    out
}

/// Differences of one attribute, using the provider's notion of equivalence; maps by key.
fn compare(
    type_name: &str,
    attr: &AttrSchema,
    hooks: &dyn PlanHooks,
    desired: &Value,
    recorded: Option<&Value>,
) -> Vec<AttrChange> {
    let rec = recorded.unwrap_or(&Value::Null);
    let name = attr.name.as_str();
    let same = |path: &str, d: &Value, r: &Value| {
        !d.contains_unknown() && hooks.equivalent(type_name, path, d, r)
    };
    if same(name, desired, rec) {
        return Vec::new();
    }
    match (desired, rec) {
        (Value::Map(dm), Value::Map(rm)) => {
            map_diff(name, rm, dm, attr.sensitive, attr.force_new, same)
        }
        _ => vec![whole(
            name,
            recorded,
            Some(desired),
            attr.sensitive,
            attr.force_new,
        )],
    }
}

/// Per-key differences of two maps; `same(path, after, before)` decides equality, where `path`
/// is `name.key` so a provider can normalise single keys.
fn map_diff(
    name: &str,
    before: &std::collections::BTreeMap<String, Value>,
    after: &std::collections::BTreeMap<String, Value>,
    sensitive: bool,
    forces_replace: bool,
    same: impl Fn(&str, &Value, &Value) -> bool,
) -> Vec<AttrChange> {
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let mut out = Vec::new();
    for k in keys {
        let (b, a) = (before.get(k), after.get(k));
        let path = format!("{name}.{k}");
        if let (Some(b), Some(a)) = (b, a) {
            if same(&path, a, b) {
                continue;
            }
        }
        out.push(whole(&path, b, a, sensitive, forces_replace));
    }
    out
}

fn whole(
    path: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    sensitive: bool,
    forces_replace: bool,
) -> AttrChange {
    let present = |v: Option<&Value>| v.filter(|x| !x.is_null()).cloned();
    AttrChange {
        path: path.to_string(),
        before: present(before),
        after: present(after),
        sensitive,
        forces_replace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{attrs, schemas, TestHooks};

    fn cluster_schema() -> ResourceSchema {
        schemas()["test"].resources["test_cluster"].clone()
    }

    fn tags(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn unknown_map_values_are_diffs_by_key() {
        let desired = attrs(&[
            ("name", Value::str("a")),
            (
                "tags",
                tags(&[("a", Value::str("1")), ("b", Value::Unknown)]),
            ),
        ]);
        let recorded = attrs(&[
            ("name", Value::str("a")),
            (
                "tags",
                tags(&[("a", Value::str("1")), ("b", Value::str("2"))]),
            ),
        ]);
        let out = diff_existing(
            &cluster_schema(),
            &TestHooks::default(),
            &desired,
            &recorded,
            &[],
        );
        let paths: Vec<&str> = out.changes.iter().map(|(_, c)| c.path.as_str()).collect();
        assert_eq!(paths, vec!["tags.b"]);
        assert_eq!(out.changes[0].1.after, Some(Value::Unknown));
        assert!(!out.forces_replace && out.version_change.is_none());
    }

    #[test]
    fn unknown_schema_attrs_in_state_are_carried_over() {
        let desired = attrs(&[("name", Value::str("a"))]);
        let recorded = attrs(&[("name", Value::str("a")), ("legacy", Value::Int(3))]);
        let out = diff_existing(
            &cluster_schema(),
            &TestHooks::default(),
            &desired,
            &recorded,
            &[],
        );
        assert!(out.changes.is_empty());
        assert_eq!(out.after.get("legacy"), Some(&Value::Int(3)));
    }

    #[test]
    fn drift_compares_maps_by_key_and_flags_sensitive_attrs() {
        let s = cluster_schema();
        let prior = attrs(&[
            ("tags", tags(&[("a", Value::str("1"))])),
            ("password", Value::str("x")),
        ]);
        let live = attrs(&[
            ("tags", tags(&[("a", Value::str("2"))])),
            ("password", Value::str("y")),
        ]);
        let d = drift(Some(&s), &prior, &live);
        let got: Vec<(&str, bool)> = d.iter().map(|c| (c.path.as_str(), c.sensitive)).collect();
        assert_eq!(got, vec![("password", true), ("tags.a", false)]);
        assert!(drift(Some(&s), &prior, &prior).is_empty());
    }

    #[test]
    fn a_matching_digest_reads_as_the_desired_value_and_a_changed_one_diffs() {
        let s = cluster_schema();
        let secret = tags(&[
            ("token", Value::str("hunter2")),
            ("env", Value::str("prod")),
        ]);
        let recorded = attrs(&[
            ("name", Value::str("a")),
            ("tags", clusterform_model::seal_value("lin", &secret)),
        ]);
        let sensitive = vec!["tags".to_string()];
        let desired = attrs(&[("name", Value::str("a")), ("tags", secret.clone())]);
        let seen = reveal_unchanged("lin", &sensitive, &desired, &recorded);
        assert!(matches!(seen, Cow::Owned(_)));
        let out = diff_existing(&s, &TestHooks::default(), &desired, &seen, &[]);
        assert!(out.changes.is_empty(), "{:?}", out.changes);
        assert_eq!(
            out.after.get("tags"),
            Some(&secret),
            "planned values hold the value"
        );

        // Another lineage's key: nothing matches.
        let other = reveal_unchanged("other", &sensitive, &desired, &recorded);
        assert!(matches!(other, Cow::Borrowed(_)));
        // Another secret: only that key diffs, still a digest before.
        let changed = attrs(&[
            ("name", Value::str("a")),
            (
                "tags",
                tags(&[
                    ("token", Value::str("hunter3")),
                    ("env", Value::str("prod")),
                ]),
            ),
        ]);
        let seen = reveal_unchanged("lin", &sensitive, &changed, &recorded);
        let out = diff_existing(&s, &TestHooks::default(), &changed, &seen, &[]);
        let paths: Vec<&str> = out.changes.iter().map(|(_, c)| c.path.as_str()).collect();
        assert_eq!(paths, ["tags.token"]);
        assert!(is_digest(out.changes[0].1.before.as_ref().unwrap()));

        // A whole value digested (not a map) compares the same way.
        let rec = attrs(&[("tags", Value::String(sensitive_digest("lin", &secret)))]);
        let seen = reveal_unchanged("lin", &sensitive, &desired, &rec);
        assert_eq!(seen.get("tags"), Some(&secret));

        // Not listed as sensitive: never compared by digest.
        let plain = reveal_unchanged("lin", &[], &desired, &recorded);
        assert!(matches!(plain, Cow::Borrowed(_)));
    }
}
