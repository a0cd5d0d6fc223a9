//! The apply graph: the plan's changes as steps (a replace is two) with their ordering edges —
//! creates and updates after what they depend on, deletes before what they depended on.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use clusterform_model::{Action, Address, Plan};

use crate::journal::{InFlight, Step};

/// Where a node's work comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// `plan.changes[i]`.
    Change(usize),
    /// An in-flight deletion that the plan no longer mentions: `in_flight[i]`.
    Orphan(usize),
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub source: Source,
    pub address: Address,
    pub step: Step,
    /// Nodes that must finish first.
    pub deps: Vec<usize>,
    /// Nodes waiting on this one.
    pub dependents: Vec<usize>,
}

/// The graph has a cycle through these addresses (a planner bug).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cycle(pub Vec<Address>);

/// Builds the step graph of `plan`, plus a node for each orphaned deposed delete in `in_flight`.
pub(crate) fn build(plan: &Plan, in_flight: &[InFlight]) -> Result<Vec<Node>, Cycle> {
    let mut nodes: Vec<Node> = Vec::new();
    let push = |nodes: &mut Vec<Node>, source, address: &Address, step| {
        nodes.push(Node {
            source,
            address: address.clone(),
            step,
            deps: vec![],
            dependents: vec![],
        });
        nodes.len() - 1
    };
    // The node that brings an address to its desired state, and the one that removes its old object.
    let mut apply_of: BTreeMap<&Address, usize> = BTreeMap::new();
    let mut destroy_of: BTreeMap<&Address, usize> = BTreeMap::new();
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for (i, c) in plan.changes.iter().enumerate() {
        let src = Source::Change(i);
        let a = &c.address;
        match c.action {
            Action::NoOp => {}
            Action::Create | Action::Read | Action::Update | Action::Upgrade => {
                let step = match c.action {
                    Action::Create => Step::Create,
                    Action::Read => Step::Read,
                    Action::Update => Step::Update,
                    _ => Step::Upgrade,
                };
                apply_of.insert(a, push(&mut nodes, src, a, step));
            }
            Action::Delete => {
                destroy_of.insert(a, push(&mut nodes, src, a, Step::Delete));
            }
            Action::Replace if c.create_before_destroy => {
                let create = push(&mut nodes, src, a, Step::Create);
                let delete = push(&mut nodes, src, a, Step::DeleteDeposed);
                edges.push((create, delete));
                apply_of.insert(a, create);
                destroy_of.insert(a, delete);
            }
            Action::Replace => {
                let delete = push(&mut nodes, src, a, Step::Delete);
                let create = push(&mut nodes, src, a, Step::Create);
                edges.push((delete, create));
                apply_of.insert(a, create);
                destroy_of.insert(a, delete);
            }
        }
    }
    for (i, f) in in_flight.iter().enumerate() {
        // A deletion the plan no longer mentions (the old object of a replace, or an object
        // refresh no longer finds) still runs: it waits for or confirms the delete and settles
        // the journal entry.
        let action = plan.change(&f.address).map(|c| c.action);
        let orphan = match f.step {
            Step::DeleteDeposed => action != Some(Action::Replace),
            Step::Delete => !matches!(action, Some(Action::Delete | Action::Replace)),
            _ => false,
        };
        if orphan {
            push(&mut nodes, Source::Orphan(i), &f.address, f.step);
        }
    }
    for c in &plan.changes {
        for dep in &c.depends_on {
            if let (Some(&from), Some(&to)) = (apply_of.get(dep), apply_of.get(&c.address)) {
                edges.push((from, to));
            }
            if let Some(&dep_destroy) = destroy_of.get(dep) {
                // What depended on `dep` goes first; with create-before-destroy, the old `dep`
                // also outlives the update that moves a dependent onto the new one.
                if let Some(&mine) = destroy_of.get(&c.address) {
                    edges.push((mine, dep_destroy));
                }
                let deposed = nodes
                    .get(dep_destroy)
                    .is_some_and(|n| n.step == Step::DeleteDeposed);
                if let (true, Some(&mine)) = (deposed, apply_of.get(&c.address)) {
                    edges.push((mine, dep_destroy));
                }
            }
        }
    }
    let unique: BTreeSet<(usize, usize)> = edges.into_iter().filter(|(a, b)| a != b).collect();
    for (from, to) in unique {
        if let Some(n) = nodes.get_mut(to) {
            n.deps.push(from);
        }
        if let Some(n) = nodes.get_mut(from) {
            n.dependents.push(to);
        }
    }
    check_acyclic(&nodes)?;
    Ok(nodes)
}

/// Kahn's algorithm; whatever cannot be ordered lies on or behind a cycle.
fn check_acyclic(nodes: &[Node]) -> Result<(), Cycle> {
    let mut indegree: Vec<usize> = nodes.iter().map(|n| n.deps.len()).collect();
    let mut queue: VecDeque<usize> = (0..nodes.len())
        .filter(|i| indegree.get(*i) == Some(&0))
        .collect();
    let mut seen = 0;
    while let Some(i) = queue.pop_front() {
        seen += 1;
        for &d in nodes
            .get(i)
            .map(|n| n.dependents.as_slice())
            .unwrap_or_default()
        {
            if let Some(x) = indegree.get_mut(d) {
                *x -= 1;
                if *x == 0 {
                    queue.push_back(d);
                }
            }
        }
    }
    if seen == nodes.len() {
        return Ok(());
    }
    let stuck: BTreeSet<Address> = nodes
        .iter()
        .zip(&indegree)
        .filter(|(_, d)| **d > 0)
        .map(|(n, _)| n.address.clone())
        .collect();
    Err(Cycle(stuck.into_iter().collect()))
}

#[cfg(test)]
mod tests {
    use clusterform_model::{Change, Disruption, PlanMode, PLAN_FORMAT_VERSION};

    use super::*;

    pub(crate) fn change(addr: &str, action: Action, deps: &[&str]) -> Change {
        Change {
            address: addr.parse().unwrap(),
            provider: "test".into(),
            action,
            disruption: Disruption::None,
            before: None,
            after: None,
            id: None,
            attr_changes: vec![],
            reason: None,
            create_before_destroy: false,
            upgrade: vec![],
            drift: vec![],
            depends_on: deps.iter().map(|d| d.parse().unwrap()).collect(),
            timeouts: Default::default(),
            sensitive_attrs: vec![],
        }
    }

    fn plan(changes: Vec<Change>) -> Plan {
        Plan {
            format_version: PLAN_FORMAT_VERSION,
            mode: PlanMode::Normal,
            config_sha256: String::new(),
            lineage: None,
            serial: 0,
            changes,
            outputs: vec![],
            fingerprints: Default::default(),
            warnings: vec![],
            targets: vec![],
        }
    }

    fn deps_of(nodes: &[Node], addr: &str, step: Step) -> Vec<(String, Step)> {
        let n = nodes
            .iter()
            .find(|n| n.address.to_string() == addr && n.step == step)
            .unwrap();
        n.deps
            .iter()
            .map(|d| (nodes[*d].address.to_string(), nodes[*d].step))
            .collect()
    }

    #[test]
    fn creates_follow_dependencies_and_deletes_run_in_reverse() {
        let p = plan(vec![
            change("t.c", Action::Create, &[]),
            change("t.a", Action::Create, &["t.c"]),
            change("t.old_c", Action::Delete, &[]),
            change("t.old_a", Action::Delete, &["t.old_c"]),
            change("t.same", Action::NoOp, &[]),
        ]);
        let nodes = build(&p, &[]).unwrap();
        assert_eq!(nodes.len(), 4);
        assert_eq!(
            deps_of(&nodes, "t.a", Step::Create),
            [("t.c".to_string(), Step::Create)]
        );
        assert_eq!(
            deps_of(&nodes, "t.old_c", Step::Delete),
            [("t.old_a".to_string(), Step::Delete)]
        );
    }

    #[test]
    fn replace_orders_its_halves() {
        let mut cbd = change("t.c", Action::Replace, &[]);
        cbd.create_before_destroy = true;
        let p = plan(vec![
            cbd,
            change("t.a", Action::Update, &["t.c"]),
            change("t.r", Action::Replace, &[]),
        ]);
        let nodes = build(&p, &[]).unwrap();
        assert_eq!(deps_of(&nodes, "t.c", Step::Create), []);
        let mut old = deps_of(&nodes, "t.c", Step::DeleteDeposed);
        old.sort();
        assert_eq!(
            old,
            [
                ("t.a".to_string(), Step::Update),
                ("t.c".to_string(), Step::Create)
            ]
        );
        assert_eq!(
            deps_of(&nodes, "t.r", Step::Create),
            [("t.r".to_string(), Step::Delete)]
        );
    }

    #[test]
    fn cycles_are_reported_with_their_addresses() {
        let p = plan(vec![
            change("t.a", Action::Create, &["t.b"]),
            change("t.b", Action::Create, &["t.a"]),
        ]);
        let err = build(&p, &[]).unwrap_err();
        assert_eq!(err.0.len(), 2);
    }
}
