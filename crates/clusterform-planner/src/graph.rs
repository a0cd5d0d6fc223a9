//! The dependency DAG of resource instances: config references and `depends_on` for resources in
//! the config, recorded `dependencies` for resources only in state. Orders are deterministic:
//! topological, with ties broken by address.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet};

use clusterform_config::{Config, ResourceConfig};
use clusterform_model::{Address, State};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

use crate::error::{PlanError, PlanErrorKind, PlanErrors};

/// One instance in the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphNode {
    pub address: Address,
    /// Declared in the config (false: only recorded in state, so it is to be deleted).
    pub in_config: bool,
}

/// The dependency graph. An edge `a -> b` means `b` depends on `a`, so `a` is created first.
///
/// Nodes are inserted in address order, so a smaller `NodeIndex` is a smaller address; the
/// orders below rely on that for their tie-breaking.
#[derive(Debug, Clone, Default)]
pub struct DepGraph {
    pub graph: DiGraph<GraphNode, ()>,
    index: HashMap<Address, NodeIndex>,
}

impl DepGraph {
    pub fn node(&self, addr: &Address) -> Option<NodeIndex> {
        self.index.get(addr).copied()
    }

    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    pub fn address(&self, n: NodeIndex) -> &Address {
        &self.graph[n].address
    }

    /// Direct dependencies of an instance, sorted by address.
    pub fn dependencies(&self, addr: &Address) -> Vec<Address> {
        self.neighbours(addr, Direction::Incoming)
    }

    /// Instances that depend directly on this one, sorted by address.
    pub fn dependents(&self, addr: &Address) -> Vec<Address> {
        self.neighbours(addr, Direction::Outgoing)
    }

    fn neighbours(&self, addr: &Address, dir: Direction) -> Vec<Address> {
        let Some(n) = self.node(addr) else {
            return Vec::new();
        };
        let mut ns: Vec<NodeIndex> = self.graph.neighbors_directed(n, dir).collect();
        ns.sort();
        ns.dedup();
        ns.into_iter()
            .map(|m| self.graph[m].address.clone())
            .collect()
    }

    /// Every node in dependency order (dependencies first), ties broken by address.
    pub fn order(&self) -> Result<Vec<NodeIndex>, PlanErrors> {
        self.kahn(Direction::Incoming)
    }

    /// Every node in reverse dependency order (dependents first), as deletes run.
    pub fn reverse_order(&self) -> Result<Vec<NodeIndex>, PlanErrors> {
        self.kahn(Direction::Outgoing)
    }

    /// Kahn's algorithm with a min-heap, so among ready nodes the smallest address goes first.
    /// `wait_on` is the direction of the edges a node waits for.
    fn kahn(&self, wait_on: Direction) -> Result<Vec<NodeIndex>, PlanErrors> {
        let release = match wait_on {
            Direction::Incoming => Direction::Outgoing,
            Direction::Outgoing => Direction::Incoming,
        };
        let mut pending: Vec<usize> = self
            .graph
            .node_indices()
            .map(|n| self.graph.edges_directed(n, wait_on).count())
            .collect();
        let mut ready: BinaryHeap<Reverse<NodeIndex>> = self
            .graph
            .node_indices()
            .filter(|n| pending.get(n.index()) == Some(&0))
            .map(Reverse)
            .collect();
        let mut out = Vec::with_capacity(self.len());
        while let Some(Reverse(n)) = ready.pop() {
            out.push(n);
            for m in self.graph.neighbors_directed(n, release) {
                if let Some(p) = pending.get_mut(m.index()) {
                    *p = p.saturating_sub(1);
                    if *p == 0 {
                        ready.push(Reverse(m));
                    }
                }
            }
        }
        if out.len() == self.len() {
            Ok(out)
        } else {
            Err(PlanErrors {
                errors: self.cycles(),
            })
        }
    }

    /// One error per dependency cycle, naming every instance on it.
    pub fn cycles(&self) -> Vec<PlanError> {
        let mut errors = Vec::new();
        for scc in petgraph::algo::tarjan_scc(&self.graph) {
            let looped = match scc.as_slice() {
                [one] => self.graph.contains_edge(*one, *one),
                _ => true,
            };
            if !looped {
                continue;
            }
            let mut names: Vec<&Address> = scc.iter().map(|n| &self.graph[*n].address).collect();
            names.sort();
            let list = names
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            errors.push(
                PlanError::new(
                    PlanErrorKind::Cycle,
                    names.first().map(|a| (*a).clone()),
                    format!("dependency cycle between {list}"),
                )
                .with_hint("remove a reference or a depends_on entry so the resources no longer depend on each other in a loop"),
            );
        }
        errors
    }

    /// `start` and everything it depends on, transitively (`Incoming`), or everything that
    /// depends on it (`Outgoing`).
    pub fn closure(&self, start: &[NodeIndex], dir: Direction) -> HashSet<NodeIndex> {
        let mut seen: HashSet<NodeIndex> = start.iter().copied().collect();
        let mut todo: Vec<NodeIndex> = start.to_vec();
        while let Some(n) = todo.pop() {
            for m in self.graph.neighbors_directed(n, dir) {
                if seen.insert(m) {
                    todo.push(m);
                }
            }
        }
        seen
    }

    /// Every node an address selects: the instance itself, or all instances of a block.
    pub fn select(&self, addr: &Address) -> Vec<NodeIndex> {
        if let Some(n) = self.node(addr) {
            return vec![n];
        }
        if addr.key.is_some() {
            return Vec::new();
        }
        self.graph
            .node_indices()
            .filter(|n| self.graph[*n].address.matches(addr))
            .collect()
    }
}

/// Builds the graph of every config instance and every state-only instance.
///
/// A reference or `depends_on` entry that names nothing is an error; a recorded dependency that
/// no longer exists is dropped, since it can no longer constrain any order.
pub fn dependency_graph(config: &Config, state: &State) -> Result<DepGraph, PlanErrors> {
    // Address -> declared in the config; a BTreeMap so nodes are inserted in address order.
    let mut addrs: BTreeMap<&Address, bool> = BTreeMap::new();
    for r in config.resources.iter().chain(&config.data) {
        addrs.insert(&r.address, true);
    }
    for a in state.resources.keys() {
        addrs.entry(a).or_insert(false);
    }

    let mut g = DepGraph::default();
    g.index.reserve(addrs.len());
    // Only `for_each` instances can be named by their block; plain ones resolve by index.
    let mut blocks: HashMap<Address, Vec<NodeIndex>> = HashMap::new();
    for (a, in_config) in addrs {
        let n = g.graph.add_node(GraphNode {
            address: a.clone(),
            in_config,
        });
        g.index.insert(a.clone(), n);
        if a.key.is_some() {
            blocks.entry(a.block()).or_default().push(n);
        }
    }
    let resolve = |target: &Address, only_config: bool| -> Vec<NodeIndex> {
        let found = match g.index.get(target) {
            Some(n) => vec![*n],
            None if target.key.is_none() => blocks.get(target).cloned().unwrap_or_default(),
            None => Vec::new(),
        };
        found
            .into_iter()
            .filter(|n| !only_config || g.graph[*n].in_config)
            .collect()
    };

    let mut errors = Vec::new();
    let mut edges: Vec<(NodeIndex, NodeIndex)> = Vec::new();
    for r in config.resources.iter().chain(&config.data) {
        let Some(me) = g.node(&r.address) else {
            continue;
        };
        for dep in dependency_refs(r) {
            let found = resolve(dep, true);
            if found.is_empty() {
                errors.push(
                    PlanError::new(
                        PlanErrorKind::UnknownAddress,
                        Some(r.address.clone()),
                        format!("depends on `{dep}`, which is not declared in the config"),
                    )
                    .with_hint("declare the resource or remove the reference"),
                );
            }
            edges.extend(found.into_iter().map(|d| (d, me)));
        }
    }
    for (addr, rs) in &state.resources {
        let Some(me) = g.node(addr) else { continue };
        if g.graph[me].in_config {
            continue;
        }
        for dep in &rs.dependencies {
            edges.extend(
                resolve(dep, false)
                    .into_iter()
                    .filter(|d| *d != me)
                    .map(|d| (d, me)),
            );
        }
    }
    edges.sort();
    edges.dedup();
    for (a, b) in edges {
        g.graph.add_edge(a, b, ());
    }
    PlanErrors::check(errors)?;
    Ok(g)
}

/// The addresses one config instance depends on: every reference target and `depends_on` entry,
/// deduplicated and sorted.
pub fn config_dependencies(r: &ResourceConfig) -> BTreeSet<Address> {
    dependency_refs(r).into_iter().cloned().collect()
}

/// `config_dependencies` without cloning, for the hot path of graph building.
fn dependency_refs(r: &ResourceConfig) -> Vec<&Address> {
    let mut out: Vec<&Address> = Vec::new();
    for e in r.attrs.values() {
        out.extend(
            e.value
                .references()
                .into_iter()
                .map(|reference| &reference.target),
        );
    }
    out.extend(r.depends_on.iter().map(|d| &d.value));
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::*;

    #[test]
    fn graph_holds_config_and_state_only_instances_with_their_edges() {
        let cfg = config(vec![
            cluster("test_cluster.a", "a", "v1.28"),
            res("test_addon.x")
                .set("cluster_id", rf("test_cluster.a", "id"))
                .set("name", lit("x"))
                .depends_on("test_cluster.a"),
        ]);
        let mut old = rs("test_addon.old", "a-1", &[]);
        old.dependencies = vec![addr("test_cluster.a"), addr("test_cluster.long_gone")];
        let g = dependency_graph(&cfg, &state(vec![old])).unwrap();
        assert_eq!(g.len(), 3);
        assert_eq!(
            g.graph.edge_count(),
            2,
            "duplicate edges collapse; vanished recorded deps drop"
        );
        assert_eq!(
            g.dependents(&addr("test_cluster.a")),
            vec![addr("test_addon.old"), addr("test_addon.x")]
        );
        assert_eq!(
            g.dependencies(&addr("test_addon.x")),
            vec![addr("test_cluster.a")]
        );
        let old_node = g.node(&addr("test_addon.old")).unwrap();
        assert!(!g.graph[old_node].in_config);
        let order: Vec<String> = g
            .order()
            .unwrap()
            .into_iter()
            .map(|n| g.address(n).to_string())
            .collect();
        assert_eq!(
            order,
            vec!["test_cluster.a", "test_addon.old", "test_addon.x"]
        );
        let rev: Vec<String> = g
            .reverse_order()
            .unwrap()
            .into_iter()
            .map(|n| g.address(n).to_string())
            .collect();
        assert_eq!(
            rev,
            vec!["test_addon.old", "test_addon.x", "test_cluster.a"]
        );
    }

    #[test]
    fn self_reference_is_a_cycle() {
        let cfg = config(vec![res("test_addon.x")
            .set("cluster_id", rf("test_addon.x", "id"))
            .set("name", lit("x"))]);
        let g = dependency_graph(&cfg, &state(vec![])).unwrap();
        let err = g.order().unwrap_err();
        assert_eq!(err.errors[0].kind, PlanErrorKind::Cycle);
        assert!(err.errors[0].message.contains("test_addon.x"));
    }
}
