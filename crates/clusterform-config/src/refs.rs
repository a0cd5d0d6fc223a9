//! Checks every reference and `depends_on` entry once all blocks are known: the target exists,
//! the instance key fits its `for_each`, the attribute exists in the target's schema, and the
//! value's type fits where it is used. Yields the dependency edges between blocks.

use crate::fasthash::{FastMap, FastSet};

use clusterform_model::{Address, AttrType, InstanceKey, Mode};

use crate::ctx::Ctx;
use crate::lower::{article, RefUse};
use crate::meta::Instances;
use crate::resources::{BlockInfo, Objects};
use crate::suggest;
use crate::types::{Span, Spanned};

/// A dependency of one block on another, with where it is written (the first place).
/// Keyed by block indices (see `Objects::order`).
pub(crate) type Edges = FastMap<(usize, usize), Span>;

pub(crate) struct Checker<'c, 'a, 's> {
    pub ctx: &'c mut Ctx<'a>,
    pub blocks: &'c FastMap<Address, BlockInfo<'s>>,
    /// Every block address as text, built on the first miss (for suggestions).
    names: Option<Vec<String>>,
    pub edges: Edges,
}

impl<'c, 'a, 's> Checker<'c, 'a, 's> {
    pub fn new(ctx: &'c mut Ctx<'a>, objects: &'c Objects<'s>) -> Self {
        Checker {
            ctx,
            blocks: &objects.blocks,
            names: None,
            edges: Edges::default(),
        }
    }

    /// Checks references; a for_each body repeats its references once per instance, and each
    /// distinct one is checked once.
    pub fn check_refs<'r>(&mut self, refs: impl IntoIterator<Item = &'r RefUse>) {
        let mut seen = FastSet::default();
        for r in refs {
            if !seen.insert((&r.reference, r.span.start, &r.span.file, r.from)) {
                continue;
            }
            self.check(r);
        }
    }

    pub fn check_deps(&mut self, deps: &[(usize, Spanned<Address>)]) {
        for (from, dep) in deps {
            let target = dep.value.block();
            let Some(info) = self.find(&target, &dep.span) else {
                continue;
            };
            if let Some(key) = &dep.value.key {
                self.check_key(&target, key, &dep.span);
            }
            self.edges
                .entry((*from, info.index))
                .or_insert_with(|| dep.span.clone());
        }
    }

    /// The block `target` names, reporting it when it is not declared.
    fn find(&mut self, target: &Address, at: &Span) -> Option<&'c BlockInfo<'s>> {
        let blocks = self.blocks;
        if let Some(info) = blocks.get(target) {
            return Some(info);
        }
        if self.ctx.incomplete {
            return None;
        }
        let names = self
            .names
            .get_or_insert_with(|| blocks.keys().map(|a| a.to_string()).collect());
        let hint = suggest::did_you_mean(&target.to_string(), names.iter());
        let kind = if target.mode == Mode::Data {
            "data source"
        } else {
            "resource"
        };
        let msg = format!("reference to undeclared {kind} `{target}`");
        let hint = hint.or_else(|| {
            let header = if target.mode == Mode::Data {
                "data"
            } else {
                "resources"
            };
            Some(format!(
                "declare it as `[{header}.{}.{}]`",
                target.type_name, target.name
            ))
        });
        self.ctx.sink.at_hint(at, msg, hint);
        None
    }

    /// Checks an instance key against the target's `for_each`.
    fn check_key(&mut self, block: &Address, key: &InstanceKey, at: &Span) -> bool {
        let Some(info) = self.blocks.get(block) else {
            return false;
        };
        let InstanceKey::Str(k) = key;
        match &info.instances {
            Instances::Single => {
                let msg = format!("`{block}` has no `for_each`, so it has no instance [\"{k}\"]");
                self.ctx
                    .sink
                    .at_hint(at, msg, Some(format!("refer to it as `{block}`")));
                false
            }
            Instances::Keys(keys) if !keys.contains_key(k) => {
                let hint = suggest::did_you_mean(k, keys.keys()).or_else(|| {
                    let list: Vec<String> =
                        keys.keys().take(10).map(|k| format!("\"{k}\"")).collect();
                    Some(format!("its keys are {}", list.join(", ")))
                });
                self.ctx
                    .sink
                    .at_hint(at, format!("`{block}` has no instance [\"{k}\"]"), hint);
                false
            }
            _ => true,
        }
    }

    fn check(&mut self, r: &RefUse) {
        let target = &r.reference.target;
        // Most references name a block without a key: look it up without copying it.
        let owned;
        let block = match target.key {
            None => target,
            Some(_) => {
                owned = target.block();
                &owned
            }
        };
        let Some(info) = self.find(block, &r.span) else {
            return;
        };
        if let Some(from) = r.from {
            self.edges
                .entry((from, info.index))
                .or_insert_with(|| r.span.clone());
        }
        let whole = match (&target.key, &info.instances) {
            (Some(k), _) => {
                if !self.check_key(block, k, &r.span) {
                    return;
                }
                false
            }
            (None, Instances::Keys(keys)) => {
                let wants_many =
                    r.alone && matches!(r.expected, None | Some(AttrType::Any | AttrType::Map(_)));
                if !wants_many {
                    let example = keys.keys().next().map_or("KEY", String::as_str);
                    let attr = r.reference.path.first().map_or("id", String::as_str);
                    let msg = format!(
                        "`{block}` has `for_each`, so it is many instances; this needs one"
                    );
                    let hint =
                        format!("name one instance, e.g. `${{{block}[\"{example}\"].{attr}}}`");
                    self.ctx.sink.at_hint(&r.span, msg, Some(hint));
                    return;
                }
                true
            }
            (None, _) => false,
        };
        let Some(schema) = info.schema else { return };
        let Some(attr_name) = r.reference.path.first() else {
            let msg = format!("reference to `{target}` must name an attribute");
            self.ctx
                .sink
                .at_hint(&r.span, msg, Some(format!("e.g. `${{{target}.id}}`")));
            return;
        };
        let Some(attr) = schema.attr(attr_name) else {
            let known: Vec<&str> = schema.attributes.iter().map(|a| a.name.as_str()).collect();
            let hint = suggest::did_you_mean(attr_name, known.iter().copied());
            let msg = format!("`{}` has no attribute `{attr_name}`", schema.type_name);
            self.ctx.sink.at_hint(&r.span, msg, hint);
            return;
        };
        // Follow the nested path through lists and maps; past `any` nothing is known.
        let mut ty = Some(attr.ty.clone());
        let mut walked = attr_name.clone();
        for seg in r.reference.path.iter().skip(1) {
            ty = match ty {
                Some(AttrType::List(t) | AttrType::Map(t)) => Some(*t),
                Some(AttrType::Any) | None => None,
                Some(scalar) => {
                    let msg = format!(
                        "`{walked}` of `{}` is {}; it has no `{seg}`",
                        schema.type_name,
                        article(&scalar)
                    );
                    self.ctx.sink.at(&r.span, msg);
                    return;
                }
            };
            walked.push('.');
            walked.push_str(seg);
        }
        let (Some(found), Some(expected)) = (ty, r.expected.as_ref()) else {
            return;
        };
        let found = if whole {
            AttrType::Map(Box::new(found))
        } else {
            found
        };
        let fits = if r.alone {
            compatible(&found, expected)
        } else {
            matches!(
                found,
                AttrType::String | AttrType::Int | AttrType::Float | AttrType::Bool | AttrType::Any
            )
        };
        if !fits {
            let msg = if r.alone {
                format!(
                    "`{target}.{walked}` is {}, but {} is expected here",
                    article(&found),
                    article(expected)
                )
            } else {
                format!(
                    "cannot put `{target}.{walked}` ({}) into a string",
                    found.describe()
                )
            };
            self.ctx.sink.at(&r.span, msg);
        }
    }
}

/// Whether a value of type `from` may be used where `to` is expected.
fn compatible(from: &AttrType, to: &AttrType) -> bool {
    match (from, to) {
        (_, AttrType::Any) | (AttrType::Any, _) | (AttrType::Int, AttrType::Float) => true,
        (AttrType::List(a), AttrType::List(b)) | (AttrType::Map(a), AttrType::Map(b)) => {
            compatible(a, b)
        }
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_compatibility() {
        let list = |t| AttrType::List(Box::new(t));
        assert!(compatible(&AttrType::Int, &AttrType::Float));
        assert!(!compatible(&AttrType::Float, &AttrType::Int));
        assert!(compatible(&list(AttrType::Any), &list(AttrType::String)));
        assert!(!compatible(&list(AttrType::String), &AttrType::String));
        assert!(compatible(
            &AttrType::Map(Box::new(AttrType::String)),
            &AttrType::Any
        ));
    }
}

#[cfg(test)]
mod load_tests {
    use crate::test_support::*;

    /// A stack with a for_each cluster `many` (keys a, b), a single cluster `one`, and `extra`.
    fn stack(extra: &str) -> String {
        let many = cluster("many").replacen("\nname", "\nfor_each = { a = {}, b = {} }\nname", 1);
        format!("{PROVIDER}{many}{}{extra}\n", cluster("one"))
    }

    fn addon(cluster_id: &str) -> String {
        stack(&format!(
            "[resources.huawei_autopilot_addon.x]\ncluster_id = \"{cluster_id}\"\ntemplate = \"t\""
        ))
    }

    #[test]
    fn references_to_undeclared_blocks_suggest() {
        let d = one_error(&addon("${huawei_autopilot_cluster.onee.id}"));
        assert_eq!(
            d.message,
            "reference to undeclared resource `huawei_autopilot_cluster.onee`"
        );
        assert_eq!(
            d.hint.as_deref(),
            Some("did you mean `huawei_autopilot_cluster.one`?")
        );
        let d = one_error(&addon("${data.huawei_autopilot_quotas.q.cluster_limit}"));
        assert_eq!(
            d.message,
            "reference to undeclared data source `data.huawei_autopilot_quotas.q`"
        );
        assert_eq!(
            d.hint.as_deref(),
            Some("declare it as `[data.huawei_autopilot_quotas.q]`")
        );
    }

    #[test]
    fn references_to_missing_attributes() {
        let d = one_error(&addon("${huawei_autopilot_cluster.one.idd}"));
        assert_eq!(
            (d.message.as_str(), d.hint.as_deref()),
            (
                "`huawei_autopilot_cluster` has no attribute `idd`",
                Some("did you mean `id`?")
            )
        );
        assert_eq!(
            one_error(&addon("${huawei_autopilot_cluster.one}")).message,
            "reference to `huawei_autopilot_cluster.one` must name an attribute"
        );
        // A nested path is fine after a list or map, not after a string.
        ok(&addon("${huawei_autopilot_cluster.one.endpoints[0].url}"));
        let d = one_error(&addon("${huawei_autopilot_cluster.one.name.x}"));
        assert_eq!(
            d.message,
            "`name` of `huawei_autopilot_cluster` is a string; it has no `x`"
        );
    }

    #[test]
    fn for_each_blocks_need_a_key_where_one_value_is_needed() {
        ok(&addon("${huawei_autopilot_cluster.many[\\\"a\\\"].id}"));
        let d = one_error(&addon("${huawei_autopilot_cluster.many.id}"));
        assert_eq!(d.message, "`huawei_autopilot_cluster.many` has `for_each`, so it is many instances; this needs one");
        assert_eq!(
            d.hint.as_deref(),
            Some("name one instance, e.g. `${huawei_autopilot_cluster.many[\"a\"].id}`")
        );
        let d = one_error(&addon("${huawei_autopilot_cluster.many[\\\"c\\\"].id}"));
        assert_eq!(
            (d.message.as_str(), d.hint.as_deref()),
            (
                "`huawei_autopilot_cluster.many` has no instance [\"c\"]",
                Some("its keys are \"a\", \"b\"")
            )
        );
        let d = one_error(&addon("${huawei_autopilot_cluster.one[\\\"a\\\"].id}"));
        assert_eq!(
            d.message,
            "`huawei_autopilot_cluster.one` has no `for_each`, so it has no instance [\"a\"]"
        );
        // A map-typed attribute or an output may take the whole block.
        let eip = "[resources.huawei_autopilot_cluster_eip.e]\ncluster_id = \"${huawei_autopilot_cluster.one.id}\"\neip_id = \"e\"\ncluster_ids = \"${huawei_autopilot_cluster.many.id}\"\n\n[outputs.all]\nvalue = \"${huawei_autopilot_cluster.many.id}\"";
        ok(&stack(eip));
    }

    #[test]
    fn reference_types_must_fit() {
        let eip = |cid: &str, more: &str| {
            stack(&format!("[resources.huawei_autopilot_cluster_eip.e]\ncluster_id = \"{cid}\"\neip_id = \"e\"\n{more}"))
        };
        let d = one_error(&eip("${huawei_autopilot_cluster.one.endpoints}", ""));
        assert_eq!(d.message, "`huawei_autopilot_cluster.one.endpoints` is a list(map(string)), but a string is expected here");
        let d = one_error(&eip("x-${huawei_autopilot_cluster.one.tags}", ""));
        assert_eq!(
            d.message,
            "cannot put `huawei_autopilot_cluster.one.tags` (map(string)) into a string"
        );
        let d = one_error(&eip(
            "${huawei_autopilot_cluster.one.id}",
            "replicas = \"${huawei_autopilot_cluster.one.name}\"",
        ));
        assert_eq!(
            d.message,
            "`huawei_autopilot_cluster.one.name` is a string, but an int is expected here"
        );
        let d = one_error(&eip(
            "${huawei_autopilot_cluster.one.id}",
            "replicas = \"n-${huawei_autopilot_cluster.one.name}\"",
        ));
        assert_eq!(
            d.message,
            "`replicas` must be an int, found a string template"
        );
        ok(&eip("${huawei_autopilot_cluster.one.id}", "replicas = \"${data.huawei_autopilot_quotas.q.cluster_limit}\"\n[data.huawei_autopilot_quotas.q]"));
    }

    #[test]
    fn cycles_name_every_resource_on_them() {
        let text = format!(
            "{PROVIDER}{}{}",
            cluster("a").replace("\"vpc-1\"", "\"${huawei_autopilot_cluster.b.name}\""),
            cluster("b").replace("\"subnet-1\"", "\"${huawei_autopilot_cluster.c.name}\"")
        ) + &cluster("c").replacen(
            "\n\n",
            "\ndepends_on = [\"huawei_autopilot_cluster.a\"]\n\n",
            1,
        );
        let d = one_error(&text);
        assert_eq!(d.message, "dependency cycle: huawei_autopilot_cluster.a -> huawei_autopilot_cluster.b -> huawei_autopilot_cluster.c -> huawei_autopilot_cluster.a");
        assert_eq!(d.span.map(|s| (s.line, s.col)), Some((8, 11)));
        let self_ref = format!(
            "{PROVIDER}{}",
            cluster("a").replace("\"vpc-1\"", "\"${huawei_autopilot_cluster.a.subnet_id}\"")
        );
        assert_eq!(
            one_error(&self_ref).message,
            "dependency cycle: huawei_autopilot_cluster.a -> huawei_autopilot_cluster.a"
        );
    }
}
