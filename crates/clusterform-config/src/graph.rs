//! Dependency cycles among blocks: strongly connected components by an iterative Tarjan (linear
//! in blocks and edges), each reported as a closed walk that names every block on it.

use std::collections::{HashMap, VecDeque};

use clusterform_model::Address;

use crate::refs::Edges;
use crate::types::Span;

/// A cycle: the blocks in walk order, ending with the first again, and where its first edge is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cycle {
    pub walk: Vec<Address>,
    /// False when the component was too large to walk and `walk` merely lists its blocks.
    pub walked: bool,
    pub span: Span,
}

/// Larger components are listed rather than walked, to keep the work linear.
const MAX_WALK: usize = 200;

/// The cycles among blocks `0..names.len()` (numbered in address order, so results are
/// deterministic) given the edges between them.
pub(crate) fn cycles(edges: &Edges, names: &[Address]) -> Vec<Cycle> {
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
    for &(x, y) in edges.keys() {
        if let (Some(list), true) = (adj.get_mut(x), y < names.len()) {
            list.push(y);
        }
    }
    for list in &mut adj {
        list.sort_unstable();
    }
    let mut out = Vec::new();
    for comp in tarjan(&adj) {
        let cyclic = comp.len() > 1 || comp.first().is_some_and(|&n| adj[n].contains(&n));
        if !cyclic {
            continue;
        }
        let walk = closed_walk(&adj, &comp);
        let span = walk
            .get(1)
            .and_then(|&b| edges.get(&(walk[0], b)))
            .cloned()
            .unwrap_or_default();
        let walked = comp.len() <= MAX_WALK;
        out.push(Cycle {
            walk: walk
                .into_iter()
                .filter_map(|i| names.get(i).cloned())
                .collect(),
            walked,
            span,
        });
    }
    out.sort_by(|a, b| a.walk.cmp(&b.walk));
    out
}

/// Strongly connected components, iteratively (no recursion depth limit on long chains).
fn tarjan(adj: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = adj.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut comps = Vec::new();
    let mut next = 0;
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        // Each frame is a node and how many of its edges were followed.
        let mut call = vec![(root, 0usize)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut i)) = call.last_mut() {
            if let Some(&w) = adj[v].get(*i) {
                *i += 1;
                if index[w] == UNSEEN {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            call.pop();
            if let Some(&(parent, _)) = call.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                comp.sort_unstable();
                comps.push(comp);
            }
        }
    }
    comps
}

/// A walk from the component's first node through every node and back, by shortest paths.
fn closed_walk(adj: &[Vec<usize>], comp: &[usize]) -> Vec<usize> {
    let Some(&start) = comp.first() else {
        return Vec::new();
    };
    if comp.len() > MAX_WALK {
        let mut all = comp.to_vec();
        all.push(start);
        return all;
    }
    let member: std::collections::HashSet<usize> = comp.iter().copied().collect();
    let mut walk = vec![start];
    let mut visited: std::collections::HashSet<usize> = [start].into();
    let mut cur = start;
    for &target in comp.iter().skip(1).chain(std::iter::once(&start)) {
        if target != start && visited.contains(&target) {
            continue;
        }
        for step in shortest_path(adj, &member, cur, target) {
            visited.insert(step);
            walk.push(step);
        }
        cur = target;
    }
    walk
}

/// The nodes after `from` on a shortest path to `to` inside the component (`to` may be `from`
/// itself, through a self-loop or a longer way round).
fn shortest_path(
    adj: &[Vec<usize>],
    member: &std::collections::HashSet<usize>,
    from: usize,
    to: usize,
) -> Vec<usize> {
    let mut prev: HashMap<usize, usize> = HashMap::new();
    let mut queue = VecDeque::from([from]);
    while let Some(v) = queue.pop_front() {
        for &w in &adj[v] {
            if !member.contains(&w) || prev.contains_key(&w) {
                continue;
            }
            prev.insert(w, v);
            if w == to {
                let mut path = vec![w];
                let mut at = v;
                while at != from {
                    path.push(at);
                    at = prev.get(&at).copied().unwrap_or(from);
                }
                path.reverse();
                return path;
            }
            queue.push_back(w);
        }
    }
    vec![to]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Address {
        s.parse().unwrap()
    }

    /// Edges by index over the sorted names they mention, and those names.
    fn edges(list: &[(&str, &str)]) -> (Edges, Vec<Address>) {
        let mut names: Vec<Address> = list.iter().flat_map(|(x, y)| [a(x), a(y)]).collect();
        names.sort();
        names.dedup();
        let id = |s: &str| names.binary_search(&a(s)).unwrap();
        let edges = list
            .iter()
            .map(|(x, y)| ((id(x), id(y)), Span::default()))
            .collect();
        (edges, names)
    }

    fn cycles_of(list: &[(&str, &str)]) -> Vec<Cycle> {
        let (e, names) = edges(list);
        cycles(&e, &names)
    }

    fn walk(c: &Cycle) -> String {
        c.walk
            .iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(" -> ")
    }

    #[test]
    fn finds_a_simple_cycle_in_order() {
        let c = cycles_of(&[
            ("t.a", "t.c"),
            ("t.c", "t.b"),
            ("t.b", "t.a"),
            ("t.d", "t.a"),
        ]);
        assert_eq!(c.len(), 1);
        assert_eq!(walk(&c[0]), "t.a -> t.c -> t.b -> t.a");
    }

    #[test]
    fn self_loop_and_acyclic() {
        let c = cycles_of(&[("t.a", "t.a"), ("t.b", "t.c")]);
        assert_eq!(c.iter().map(walk).collect::<Vec<_>>(), vec!["t.a -> t.a"]);
        assert!(cycles_of(&[("t.a", "t.b"), ("t.b", "t.c"), ("t.a", "t.c")]).is_empty());
    }

    #[test]
    fn figure_eight_names_every_block() {
        let c = cycles_of(&[
            ("t.a", "t.b"),
            ("t.b", "t.a"),
            ("t.a", "t.c"),
            ("t.c", "t.a"),
        ]);
        assert_eq!(walk(&c[0]), "t.a -> t.b -> t.a -> t.c -> t.a");
    }

    #[test]
    fn long_chain_does_not_overflow() {
        let names: Vec<String> = (0..20_000).map(|i| format!("t.n{i}")).collect();
        let mut list: Vec<(&str, &str)> = names
            .windows(2)
            .map(|w| (w[0].as_str(), w[1].as_str()))
            .collect();
        list.push((names[19_999].as_str(), names[0].as_str()));
        let c = cycles_of(&list);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].walk.len(), 20_001);
        assert!(!c[0].walked);
    }
}
