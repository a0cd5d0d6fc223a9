//! Whether a saved plan may still be applied: planned again under the lock with the options and
//! variables it records, nothing it was made against may have moved — config, variable values,
//! the state's lineage and serial, the cloud objects' fingerprints — and the plan made now must
//! hold the same changes (action, attribute diffs, upgrade hops and everything else the executor
//! acts on), not merely the same actions.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use clusterform_config::Config;
use clusterform_model::{Address, Change, Plan};

use super::{scrub, Saved, SavedVariables};

/// At most this many differing changes are named; the rest are counted.
const MAX_NAMED: usize = 5;

/// Refuses a saved plan whose inputs or changes moved, saying what moved.
pub fn verify(saved: &Saved, fresh: &Plan, config: &Config) -> Result<()> {
    let then = &saved.plan;
    let mut why = Vec::new();
    if then.config_sha256 != config.sha256 {
        why.push("the configuration changed".to_string());
    }
    why.extend(saved.made_with.variables.moved(&SavedVariables::of(config)));
    if then.lineage.is_some() && then.lineage != fresh.lineage {
        why.push("the state belongs to another lineage".to_string());
    }
    if then.serial != fresh.serial {
        why.push(format!(
            "the state moved from serial {} to {}",
            then.serial, fresh.serial
        ));
    }
    for (addr, fp) in &then.fingerprints {
        if fresh.fingerprints.get(addr) != Some(fp) {
            why.push(format!("{addr} changed in the cloud since the plan"));
        }
    }
    if why.is_empty() {
        why.extend(changes_moved(then, fresh)?);
    }
    if !why.is_empty() {
        bail!(
            "the saved plan is stale: {}\nhint: run `clusterform plan --out FILE` again",
            why.join("; ")
        );
    }
    Ok(())
}

/// The differences between the saved changes and those planned now. The plan made now is put
/// through what saving does (sensitive values scrubbed, a JSON round trip), and pre-check results
/// (which only `plan --precheck` fetches) are left out of the comparison.
fn changes_moved(then: &Plan, fresh: &Plan) -> Result<Vec<String>> {
    let mut now = fresh.clone();
    scrub(&mut now);
    let now: Plan = serde_json::to_value(&now)
        .and_then(serde_json::from_value)
        .context("failed to compare the plan with the saved one")?;
    let by_address = |p: &Plan| -> BTreeMap<Address, Change> {
        p.changes
            .iter()
            .filter(|c| c.action.is_change())
            .map(|c| {
                let mut c = c.clone();
                for hop in &mut c.upgrade {
                    hop.precheck = None;
                }
                (c.address.clone(), c)
            })
            .collect()
    };
    let (then, now) = (by_address(then), by_address(&now));
    let mut moved = Vec::new();
    for (addr, a) in &then {
        match now.get(addr) {
            None => moved.push(format!("{addr} would no longer {}", a.action)),
            Some(b) if a != b => moved.push(format!("{addr}: {}", describe(a, b))),
            Some(_) => {}
        }
    }
    for (addr, b) in now.iter().filter(|(a, _)| !then.contains_key(*a)) {
        moved.push(format!("{addr} would now {}", b.action));
    }
    if moved.len() > MAX_NAMED {
        let more = moved.len() - MAX_NAMED;
        moved.truncate(MAX_NAMED);
        moved.push(format!("and {more} more change(s)"));
    }
    Ok(moved
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            if i == 0 {
                format!("planning again now gives different changes: {m}")
            } else {
                m
            }
        })
        .collect())
}

/// What differs between two changes of one address, most telling first.
fn describe(then: &Change, now: &Change) -> String {
    if then.action != now.action {
        return format!("the action was {} and is {} now", then.action, now.action);
    }
    if then.attr_changes != now.attr_changes {
        let paths =
            |c: &Change| -> Vec<String> { c.attr_changes.iter().map(|d| d.path.clone()).collect() };
        let mut differing: Vec<String> = paths(then)
            .into_iter()
            .chain(paths(now))
            .filter(|p| {
                then.attr_changes.iter().find(|d| &d.path == p)
                    != now.attr_changes.iter().find(|d| &d.path == p)
            })
            .collect();
        differing.sort();
        differing.dedup();
        return format!("the diff of {} changed", differing.join(", "));
    }
    if then.upgrade != now.upgrade {
        let hops = |c: &Change| -> String {
            let mut s: Vec<String> = c.upgrade.iter().map(|h| h.from.clone()).collect();
            s.extend(c.upgrade.last().map(|h| h.to.clone()));
            s.join(" → ")
        };
        return format!(
            "the upgrade path was {} and is {} now",
            hops(then),
            hops(now)
        );
    }
    if then.after != now.after {
        return "the values to apply changed".to_string();
    }
    if then.before != now.before || then.drift != now.drift {
        return "the recorded values changed".to_string();
    }
    "the planned change differs".to_string()
}

#[cfg(test)]
mod tests {
    use clusterform_model::{Action, AttrChange, Disruption, UpgradeHop, Value};

    use super::*;

    fn change(addr: &str, action: Action, diff: &[(&str, i64, i64)]) -> Change {
        let (t, n) = addr.split_once('.').unwrap();
        Change {
            address: Address::managed(t, n),
            provider: "huawei".into(),
            action,
            disruption: Disruption::InPlace,
            before: None,
            after: None,
            id: None,
            attr_changes: diff
                .iter()
                .map(|(p, a, b)| AttrChange {
                    path: p.to_string(),
                    before: Some(Value::Int(*a)),
                    after: Some(Value::Int(*b)),
                    sensitive: false,
                    forces_replace: false,
                })
                .collect(),
            reason: None,
            create_before_destroy: false,
            upgrade: vec![],
            drift: vec![],
            depends_on: vec![],
            timeouts: BTreeMap::new(),
            sensitive_attrs: vec![],
        }
    }

    fn plan(changes: Vec<Change>) -> Plan {
        Plan {
            format_version: clusterform_model::PLAN_FORMAT_VERSION,
            mode: Default::default(),
            config_sha256: "c".into(),
            lineage: Some("l".into()),
            serial: 1,
            changes,
            outputs: vec![],
            fingerprints: BTreeMap::new(),
            warnings: vec![],
            targets: vec![],
        }
    }

    fn hop(from: &str, to: &str, precheck: Option<&str>) -> UpgradeHop {
        UpgradeHop {
            from: from.into(),
            to: to.into(),
            steps: vec![],
            estimated_seconds: None,
            precheck: precheck.map(str::to_string),
        }
    }

    #[test]
    fn same_actions_with_other_diffs_are_a_moved_plan() {
        let then = plan(vec![change("t.a", Action::Update, &[("size", 1, 3)])]);
        let now = plan(vec![change("t.a", Action::Update, &[("size", 1, 5)])]);
        let why = changes_moved(&then, &now).unwrap().join("; ");
        assert!(why.contains("t.a: the diff of size changed"), "{why}");
        assert!(changes_moved(&then, &then).unwrap().is_empty());
    }

    #[test]
    fn added_dropped_and_re_actioned_changes_are_named() {
        let then = plan(vec![
            change("t.a", Action::Update, &[]),
            change("t.b", Action::Create, &[]),
        ]);
        let now = plan(vec![
            change("t.a", Action::Replace, &[]),
            change("t.c", Action::Delete, &[]),
        ]);
        let why = changes_moved(&then, &now).unwrap().join("; ");
        assert!(
            why.contains("t.a: the action was update and is replace now"),
            "{why}"
        );
        assert!(why.contains("t.b would no longer create"), "{why}");
        assert!(why.contains("t.c would now delete"), "{why}");
    }

    #[test]
    fn upgrade_hops_count_but_pre_check_results_do_not() {
        let mut a = change("t.c", Action::Upgrade, &[]);
        a.upgrade = vec![
            hop("v1.27", "v1.28", Some("passed")),
            hop("v1.28", "v1.29", None),
        ];
        let mut b = a.clone();
        b.upgrade[0].precheck = None;
        assert!(changes_moved(&plan(vec![a.clone()]), &plan(vec![b]))
            .unwrap()
            .is_empty());
        let mut c = a.clone();
        c.upgrade = vec![hop("v1.27", "v1.29", None)];
        let why = changes_moved(&plan(vec![a]), &plan(vec![c]))
            .unwrap()
            .join("; ");
        assert!(
            why.contains("the upgrade path was v1.27 → v1.28 → v1.29 and is v1.27 → v1.29 now"),
            "{why}"
        );
    }

    #[test]
    fn sensitive_values_planned_now_compare_equal_to_scrubbed_ones() {
        let mut a = change("t.a", Action::Create, &[]);
        a.sensitive_attrs = vec!["password".into()];
        let mut after = BTreeMap::new();
        after.insert("password".to_string(), Value::str("hunter2"));
        a.after = Some(after);
        let fresh = plan(vec![a]);
        let mut saved = fresh.clone();
        scrub(&mut saved);
        assert!(changes_moved(&saved, &fresh).unwrap().is_empty());
    }

    #[test]
    fn many_differences_are_counted_not_listed() {
        let then = plan(vec![]);
        let now = plan(
            (0..8)
                .map(|i| change(&format!("t.r{i}"), Action::Create, &[]))
                .collect(),
        );
        let why = changes_moved(&then, &now).unwrap();
        assert_eq!(why.len(), MAX_NAMED + 1);
        assert_eq!(why.last().unwrap(), "and 3 more change(s)");
    }
}
