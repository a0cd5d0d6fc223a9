//! The `graph` command's output: Graphviz DOT of the dependency graph or of a plan's apply order.
//!
//! Both graphs draw arrows in execution order: `a -> b` means `a` is handled before `b`. In the
//! plan graph that is "b depends on a"; in the apply graph deletes are reversed (a dependent is
//! deleted before what it depends on).

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use clusterform_config::Config;
use clusterform_model::{Action, Address, Plan, State};

use crate::error::{PlanError, PlanErrorKind, PlanErrors};
use crate::graph::dependency_graph;

/// Which graph `graph_dot` draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GraphKind {
    /// Every instance of config and state with its dependencies (actions added when a plan is
    /// given).
    #[default]
    Plan,
    /// The plan's actions (no-ops left out) in the order apply runs them.
    Apply,
}

/// DOT text of the chosen graph. The apply graph needs the plan; the plan graph uses it, when
/// given, to label each node with its action.
pub fn graph_dot(
    config: &Config,
    state: &State,
    kind: GraphKind,
    plan: Option<&Plan>,
) -> Result<String, PlanErrors> {
    match kind {
        GraphKind::Plan => {
            let g = dependency_graph(config, state)?;
            let actions: HashMap<&Address, Action> = plan
                .iter()
                .flat_map(|p| p.changes.iter())
                .map(|c| (&c.address, c.action))
                .collect();
            let mut out = header();
            for n in g.graph.node_indices() {
                let node = &g.graph[n];
                let action = actions.get(&node.address).copied();
                let style = if node.in_config {
                    ""
                } else {
                    ", style = dashed"
                };
                let _ = writeln!(
                    out,
                    "  {} [label = {}{style}];",
                    quote(&node.address.to_string()),
                    label(&node.address, action)
                );
            }
            let mut edges: Vec<(String, String)> = g
                .graph
                .edge_indices()
                .filter_map(|e| g.graph.edge_endpoints(e))
                .map(|(a, b)| {
                    (
                        g.graph[a].address.to_string(),
                        g.graph[b].address.to_string(),
                    )
                })
                .collect();
            edges.sort();
            for (a, b) in edges {
                let _ = writeln!(out, "  {} -> {};", quote(&a), quote(&b));
            }
            out.push_str("}\n");
            Ok(out)
        }
        GraphKind::Apply => {
            let Some(plan) = plan else {
                return Err(PlanErrors::single(PlanError::new(
                    PlanErrorKind::Invalid,
                    None,
                    "the apply graph needs a plan",
                )));
            };
            Ok(apply_dot(plan))
        }
    }
}

fn apply_dot(plan: &Plan) -> String {
    let acting: HashSet<&Address> = plan
        .changes
        .iter()
        .filter(|c| c.action.is_change())
        .map(|c| &c.address)
        .collect();
    let mut out = header();
    let mut edges = Vec::new();
    for c in plan.changes.iter().filter(|c| acting.contains(&c.address)) {
        let name = c.address.to_string();
        let _ = writeln!(
            out,
            "  {} [label = {}];",
            quote(&name),
            label(&c.address, Some(c.action))
        );
        for d in c.depends_on.iter().filter(|d| acting.contains(d)) {
            if c.action == Action::Delete {
                edges.push((name.clone(), d.to_string()));
            } else {
                edges.push((d.to_string(), name.clone()));
            }
        }
    }
    edges.sort();
    edges.dedup();
    for (a, b) in edges {
        let _ = writeln!(out, "  {} -> {};", quote(&a), quote(&b));
    }
    out.push_str("}\n");
    out
}

fn header() -> String {
    "digraph clusterform {\n  rankdir = \"LR\";\n  node [shape = box];\n".to_string()
}

fn label(addr: &Address, action: Option<Action>) -> String {
    match action {
        Some(a) => quote(&format!("{addr}\n({a})")),
        None => quote(&addr.to_string()),
    }
}

/// A DOT quoted string: backslashes, quotes and newlines escaped.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::*;

    #[test]
    fn plan_graph_draws_dependencies_and_state_only_nodes() {
        let cfg = config(vec![
            cluster("test_cluster.a", "a", "v1.28"),
            res("test_addon.x[\"k\"]")
                .set("cluster_id", rf("test_cluster.a", "id"))
                .set("name", lit("x")),
        ]);
        let mut orphan = rs("test_addon.old", "a-1", &[]);
        orphan.dependencies = vec![addr("test_cluster.a")];
        let dot = graph_dot(&cfg, &state(vec![orphan]), GraphKind::Plan, None).unwrap();
        assert!(dot.starts_with("digraph clusterform {\n"));
        assert!(
            dot.contains("  \"test_cluster.a\" -> \"test_addon.x[\\\"k\\\"]\";\n"),
            "{dot}"
        );
        assert!(
            dot.contains("  \"test_cluster.a\" -> \"test_addon.old\";\n"),
            "{dot}"
        );
        assert!(
            dot.contains("\"test_addon.old\" [label = \"test_addon.old\", style = dashed];"),
            "{dot}"
        );
        assert!(dot.ends_with("}\n"));
    }

    #[test]
    fn apply_graph_reverses_edges_for_deletes_and_needs_a_plan() {
        let cfg = config(vec![
            cluster("test_cluster.a", "a", "v1.28"),
            cluster("test_cluster.keep", "keep", "v1.28"),
        ]);
        let mut addon = rs("test_addon.old", "a-1", &[]);
        addon.dependencies = vec![addr("test_cluster.old")];
        let st = state(vec![
            cluster_state("test_cluster.keep", "keep", "v1.28"),
            cluster_state("test_cluster.old", "old", "v1.28"),
            addon,
        ]);
        let plan = Fixture::new(cfg.clone(), st.clone()).ok();
        let dot = graph_dot(&cfg, &st, GraphKind::Apply, Some(&plan)).unwrap();
        assert!(
            dot.contains("  \"test_addon.old\" -> \"test_cluster.old\";\n"),
            "{dot}"
        );
        assert!(
            dot.contains("label = \"test_cluster.a\\n(create)\""),
            "{dot}"
        );
        assert!(
            !dot.contains("test_cluster.keep"),
            "no-ops are left out: {dot}"
        );
        let labelled = graph_dot(&cfg, &st, GraphKind::Plan, Some(&plan)).unwrap();
        assert!(
            labelled.contains("test_cluster.keep\\n(no-op)"),
            "{labelled}"
        );
        let err = graph_dot(&cfg, &st, GraphKind::Apply, None).unwrap_err();
        assert_eq!(err.errors[0].kind, PlanErrorKind::Invalid);
    }
}
