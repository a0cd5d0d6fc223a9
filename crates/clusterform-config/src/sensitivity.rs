//! Sensitivity through references. An attribute is sensitive when its value — or any part of it —
//! comes from a sensitive variable (found while lowering), or from an attribute of another
//! resource or data source that is sensitive: marked so by its schema (a kubeconfig), or itself
//! built from something sensitive. Blocks are visited in dependency order, so one pass carries
//! sensitivity down any chain of references. An output that would show a sensitive value must say
//! `sensitive = true`, as in Terraform.

use std::collections::{BTreeMap, BTreeSet};

use clusterform_model::{Address, ResourceSchema};

use crate::ctx::Ctx;
use crate::diagnostic::Sink;
use crate::fasthash::FastMap;
use crate::refs::Edges;
use crate::resources::{BlockInfo, Objects};
use crate::types::{OutputConfig, Reference, ResourceConfig, Span};

/// Reports an output that shows the sensitive value `via` without `sensitive = true`.
pub(crate) fn report_output(sink: &mut Sink, name: &str, at: &Span, via: &str) {
    sink.at_hint(
        at,
        format!("output `{name}` refers to the sensitive value `{via}`"),
        Some("add `sensitive = true` to the output".into()),
    );
}

/// Fills every instance's `sensitive_attrs` with what it takes from sensitive attributes of other
/// blocks, then checks the outputs.
pub(crate) fn apply(
    ctx: &mut Ctx<'_>,
    objects: &mut Objects<'_>,
    edges: &Edges,
    outputs: &BTreeMap<String, OutputConfig>,
) {
    let Objects {
        resources,
        data,
        blocks,
        order,
        ..
    } = objects;
    let mut known = Known {
        blocks,
        derived: FastMap::default(),
    };
    let any_seed = resources
        .iter()
        .chain(data.iter())
        .any(|r| !r.sensitive_attrs.is_empty())
        || blocks.values().any(|b| b.schema.is_some_and(has_sensitive));
    if any_seed {
        known.propagate(resources, data, order, edges);
    }
    for o in outputs.values().filter(|o| !o.sensitive) {
        if let Some(r) = o
            .value
            .value
            .references()
            .into_iter()
            .find(|r| known.is_sensitive(r))
        {
            let via = std::iter::once(r.target.to_string())
                .chain(r.path.iter().cloned())
                .collect::<Vec<_>>()
                .join(".");
            report_output(&mut ctx.sink, &o.name, &o.value.span, &via);
        }
    }
}

fn has_sensitive(schema: &ResourceSchema) -> bool {
    schema.sensitive || schema.attributes.iter().any(|a| a.sensitive)
}

struct Known<'b, 's> {
    blocks: &'b FastMap<Address, BlockInfo<'s>>,
    /// Attributes built from sensitive values, by instance address and, for `for_each` blocks,
    /// also by block address (the union over its instances, for references without a key).
    derived: FastMap<Address, BTreeSet<String>>,
}

impl Known<'_, '_> {
    /// Whether the attribute a reference reads is sensitive.
    fn is_sensitive(&self, r: &Reference) -> bool {
        let Some(attr) = r.path.first() else {
            return false;
        };
        let owned;
        let block = match r.target.key {
            None => &r.target,
            Some(_) => {
                owned = r.target.block();
                &owned
            }
        };
        let by_schema = self
            .blocks
            .get(block)
            .and_then(|b| b.schema)
            .is_some_and(|s| s.sensitive || s.attr(attr).is_some_and(|a| a.sensitive));
        by_schema
            || self
                .derived
                .get(&r.target)
                .is_some_and(|s| s.contains(attr))
    }

    fn propagate(
        &mut self,
        resources: &mut [ResourceConfig],
        data: &mut [ResourceConfig],
        order: &[Address],
        edges: &Edges,
    ) {
        // The instances of each block, by block index: (is data, position).
        let mut by_block: Vec<Vec<(bool, usize)>> = vec![Vec::new(); order.len()];
        for (is_data, list) in [(false, &*resources), (true, &*data)] {
            for (i, rc) in list.iter().enumerate() {
                let index = match rc.address.key {
                    None => self.blocks.get(&rc.address),
                    Some(_) => self.blocks.get(&rc.address.block()),
                }
                .map(|b| b.index);
                if let Some(slot) = index.and_then(|b| by_block.get_mut(b)) {
                    slot.push((is_data, i));
                }
            }
        }
        for b in dependency_order(order.len(), edges) {
            for &(is_data, i) in by_block.get(b).into_iter().flatten() {
                let rc = match is_data {
                    false => resources.get_mut(i),
                    true => data.get_mut(i),
                };
                let Some(rc) = rc else { continue };
                let mut found = Vec::new();
                for (name, expr) in &rc.attrs {
                    if rc.sensitive_attrs.binary_search(name).is_err()
                        && expr.value.references().iter().any(|r| self.is_sensitive(r))
                    {
                        found.push(name.clone());
                    }
                }
                if !found.is_empty() {
                    rc.sensitive_attrs.extend(found);
                    rc.sensitive_attrs.sort();
                }
                if rc.sensitive_attrs.is_empty() {
                    continue;
                }
                let names: BTreeSet<String> = rc.sensitive_attrs.iter().cloned().collect();
                if rc.address.key.is_some() {
                    self.derived
                        .entry(rc.address.block())
                        .or_default()
                        .extend(names.iter().cloned());
                }
                self.derived.insert(rc.address.clone(), names);
            }
        }
    }
}

/// Block indices with every block after the blocks it depends on (`edges` go from the referring
/// block to the referred one). Blocks on a cycle (already reported) come last, in index order.
fn dependency_order(n: usize, edges: &Edges) -> Vec<usize> {
    let mut waiting = vec![0usize; n];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(from, to) in edges.keys() {
        if from < n && to < n && from != to {
            waiting[from] += 1;
            dependents[to].push(from);
        }
    }
    let mut out: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    let mut next = 0;
    while let Some(&b) = out.get(next) {
        next += 1;
        for &d in &dependents[b] {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                out.push(d);
            }
        }
    }
    if out.len() < n {
        let mut placed = vec![false; n];
        out.iter().for_each(|&i| placed[i] = true);
        out.extend((0..n).filter(|&i| !placed[i]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_come_first_and_cycles_last() {
        let edges: Edges = [((0, 2), Span::default()), ((2, 1), Span::default())]
            .into_iter()
            .collect();
        assert_eq!(dependency_order(4, &edges), vec![1, 3, 2, 0]);
        let cycle: Edges = [((0, 1), Span::default()), ((1, 0), Span::default())]
            .into_iter()
            .collect();
        assert_eq!(dependency_order(3, &cycle), vec![2, 0, 1]);
    }
}

#[cfg(test)]
mod load_tests {
    use crate::test_support::*;

    const SECRET: &str = "[variables.s]\ndefault = \"hunter2\"\nsensitive = true\n\n[variables.plain]\ndefault = \"x\"\n\n";

    fn stack(extra: &str) -> String {
        format!("{SECRET}{PROVIDER}{extra}\n")
    }

    fn sensitive_of(c: &crate::Config, addr: &str) -> Vec<String> {
        let a = addr.parse().unwrap();
        c.resource(&a).unwrap().sensitive_attrs.clone()
    }

    #[test]
    fn attributes_built_from_a_sensitive_variable_are_sensitive_even_nested() {
        let c = ok(&stack(&format!(
            "{}description = \"x-${{var.s}}\"\ntags = {{ a = \"${{var.s}}\", b = \"${{var.plain}}\" }}\neni_subnet_ids = [\"${{var.plain}}\"]\n",
            cluster("c")
        )));
        assert_eq!(
            sensitive_of(&c, "huawei_autopilot_cluster.c"),
            ["description", "tags"]
        );
    }

    #[test]
    fn sensitivity_follows_references_through_schemas_chains_and_for_each() {
        let many = cluster("many").replacen(
            "\nname",
            "\nfor_each = { a = {}, b = {} }\ndescription = \"${var.s}\"\nname",
            1,
        );
        let c = ok(&stack(&format!(
            "{}{many}[data.huawei_autopilot_kubeconfig.k]\ncluster_id = \"${{huawei_autopilot_cluster.c.id}}\"\n\n\
             [resources.huawei_autopilot_addon.a]\ncluster_id = \"${{huawei_autopilot_cluster.c.id}}\"\ntemplate = \"t\"\n\
             values = {{ kc = \"${{data.huawei_autopilot_kubeconfig.k.kubeconfig}}\", n = 1 }}\n\n\
             [resources.huawei_autopilot_cluster_eip.one]\ncluster_id = \"${{huawei_autopilot_cluster.c.id}}\"\n\
             eip_id = \"e-${{huawei_autopilot_cluster.many[\\\"b\\\"].description}}\"\n\n\
             [resources.huawei_autopilot_cluster_eip.all]\ncluster_id = \"${{huawei_autopilot_cluster.c.id}}\"\neip_id = \"e\"\n\
             cluster_ids = \"${{huawei_autopilot_cluster.many.description}}\"\n\n\
             [resources.huawei_autopilot_cluster.d]\nname = \"d\"\nflavor = \"f\"\nsubnet_id = \"s\"\n\
             vpc_id = \"${{huawei_autopilot_cluster_eip.one.eip_id}}\"\n",
            cluster("c")
        )));
        assert!(sensitive_of(&c, "huawei_autopilot_cluster.c").is_empty());
        assert_eq!(
            sensitive_of(&c, "huawei_autopilot_cluster.many[\"a\"]"),
            ["description"]
        );
        // The data source's arguments are not secret; what it reads is (its schema says so).
        assert!(sensitive_of(&c, "data.huawei_autopilot_kubeconfig.k").is_empty());
        assert_eq!(sensitive_of(&c, "huawei_autopilot_addon.a"), ["values"]);
        assert_eq!(
            sensitive_of(&c, "huawei_autopilot_cluster_eip.one"),
            ["eip_id"]
        );
        assert_eq!(
            sensitive_of(&c, "huawei_autopilot_cluster_eip.all"),
            ["cluster_ids"]
        );
        // Two references away from the variable, in a block declared before its source.
        assert_eq!(sensitive_of(&c, "huawei_autopilot_cluster.d"), ["vpc_id"]);
    }

    #[test]
    fn outputs_showing_sensitive_attributes_must_say_so() {
        let kc = "[data.huawei_autopilot_kubeconfig.k]\ncluster_id = \"c-1\"\n\n[outputs.kc]\nvalue = \"${data.huawei_autopilot_kubeconfig.k.kubeconfig}\"\n";
        let d = one_error(&stack(kc));
        assert_eq!(
            (d.message.as_str(), d.hint.as_deref()),
            (
                "output `kc` refers to the sensitive value `data.huawei_autopilot_kubeconfig.k.kubeconfig`",
                Some("add `sensitive = true` to the output")
            )
        );
        let span = d.span.unwrap();
        assert_eq!((span.line, span.col), (16, 9));
        assert!(ok(&stack(&format!("{kc}sensitive = true\n"))).outputs["kc"].sensitive);
        // Through a resource attribute built from a sensitive variable, inside a map.
        let via = format!(
            "{}description = \"${{var.s}}\"\n\n[outputs.m]\nvalue = {{ d = \"${{huawei_autopilot_cluster.c.description}}\", n = \"${{huawei_autopilot_cluster.c.name}}\" }}\n",
            cluster("c")
        );
        assert_eq!(
            one_error(&stack(&via)).message,
            "output `m` refers to the sensitive value `huawei_autopilot_cluster.c.description`"
        );
        // Attributes that are not sensitive need nothing.
        ok(&stack(&format!(
            "{}[outputs.n]\nvalue = \"${{huawei_autopilot_cluster.c.name}}\"\n",
            cluster("c")
        )));
    }

    #[test]
    fn for_each_cannot_take_a_sensitive_value() {
        let text = stack(&cluster("c").replacen("\nname", "\nfor_each = [\"${var.s}\"]\nname", 1));
        let d = one_error(&text);
        assert_eq!(
            d.message,
            "`for_each` cannot use the sensitive value `var.s`: instance keys are shown in plans and state"
        );
    }
}
