//! Meta-arguments of resource and data blocks, which are not provider attributes: `depends_on`,
//! `lifecycle`, `timeouts` and `for_each`.

use std::collections::BTreeMap;

use clusterform_model::{Address, Mode, ResourceSchema, Value};

use crate::collect::Block;
use crate::ctx::{Ctx, ScopeSpec};
use crate::duration::parse_duration;
use crate::raw::{Entry, RawKind};
use crate::suggest;
use crate::types::{Expr, Lifecycle, Spanned};

pub(crate) const META_KEYS: &[&str] = &["for_each", "depends_on", "lifecycle", "timeouts"];
const LIFECYCLE_KEYS: &[&str] = &[
    "prevent_destroy",
    "ignore_changes",
    "create_before_destroy",
    "allow_replace",
];
const MANAGED_TIMEOUTS: &[&str] = &["create", "update", "upgrade", "delete", "read"];
const DATA_TIMEOUTS: &[&str] = &["read"];

/// The meta-arguments of one block (shared by all its instances).
#[derive(Debug, Default)]
pub(crate) struct Meta {
    pub depends_on: Vec<Spanned<Address>>,
    pub lifecycle: Lifecycle,
    pub timeouts: BTreeMap<String, u64>,
}

/// The instances a block declares.
#[derive(Debug, Clone)]
pub(crate) enum Instances {
    /// No `for_each`: one instance without a key.
    Single,
    /// One instance per key, with its `each.value`.
    Keys(BTreeMap<String, Value>),
    /// `for_each` is invalid (reported): the keys are not known.
    Unknown,
}

pub(crate) fn meta(
    ctx: &mut Ctx<'_>,
    block: Block<'_>,
    mode: Mode,
    schema: Option<&ResourceSchema>,
) -> Meta {
    let mut out = Meta::default();
    for e in block.entries() {
        match e.key.as_str() {
            "depends_on" => out.depends_on = depends_on(ctx, e),
            "lifecycle" if mode == Mode::Data => {
                let at = ctx.key_span(e);
                ctx.sink.at(
                    &at,
                    "a data source has no `lifecycle`: it is only read, never changed",
                );
            }
            "lifecycle" => out.lifecycle = lifecycle(ctx, e, schema),
            "timeouts" => out.timeouts = timeouts(ctx, e, mode),
            _ => {}
        }
    }
    out
}

fn depends_on(ctx: &mut Ctx<'_>, e: &Entry) -> Vec<Spanned<Address>> {
    let RawKind::Array(items) = &e.value.kind else {
        ctx.wrong_type(
            e,
            "a list of addresses, e.g. [\"huawei_autopilot_cluster.main\"]",
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        let span = ctx.sources.span(item.file, item.range.clone());
        let Some(text) = item.as_str() else {
            ctx.sink.at(
                &span,
                format!(
                    "a `depends_on` entry must be an address string, found {}",
                    item.type_name()
                ),
            );
            continue;
        };
        if let Some(inner) = text.strip_prefix("${").and_then(|t| t.strip_suffix('}')) {
            let hint = format!("write the address without `${{}}`: \"{inner}\"");
            ctx.sink.at_hint(
                &span,
                format!("`depends_on` takes addresses, not references: `{text}`"),
                Some(hint),
            );
            continue;
        }
        match text.parse::<Address>() {
            Ok(addr) => out.push(Spanned { value: addr, span }),
            Err(err) => {
                let hint = "e.g. \"huawei_autopilot_cluster.main\", \"TYPE.NAME[\\\"key\\\"]\" or \"data.TYPE.NAME\"";
                ctx.sink.at_hint(
                    &span,
                    format!("bad `depends_on` entry: {err}"),
                    Some(hint.into()),
                );
            }
        }
    }
    out
}

fn lifecycle(ctx: &mut Ctx<'_>, e: &Entry, schema: Option<&ResourceSchema>) -> Lifecycle {
    let mut out = Lifecycle::default();
    let Some(entries) = e.value.as_table() else {
        ctx.wrong_type(e, "a table, e.g. { prevent_destroy = true }");
        return out;
    };
    for k in entries {
        match (k.key.as_str(), &k.value.kind) {
            ("prevent_destroy", RawKind::Bool(b)) => out.prevent_destroy = *b,
            ("create_before_destroy", RawKind::Bool(b)) => out.create_before_destroy = *b,
            ("allow_replace", RawKind::Bool(b)) => out.allow_replace = *b,
            ("prevent_destroy" | "create_before_destroy" | "allow_replace", _) => {
                ctx.wrong_type(k, "a bool")
            }
            ("ignore_changes", RawKind::Array(items)) => {
                for item in items {
                    let span = ctx.sources.span(item.file, item.range.clone());
                    let Some(name) = item.as_str() else {
                        ctx.sink.at(
                            &span,
                            format!(
                                "an `ignore_changes` entry must be an attribute name, found {}",
                                item.type_name()
                            ),
                        );
                        continue;
                    };
                    if let Some(schema) = schema {
                        if name != "*" && schema.attr(name).is_none() {
                            let known: Vec<&str> =
                                schema.attributes.iter().map(|a| a.name.as_str()).collect();
                            let msg = format!(
                                "`ignore_changes` names `{name}`, which `{}` does not have",
                                schema.type_name
                            );
                            ctx.sink.at_hint(
                                &span,
                                msg,
                                suggest::did_you_mean(name, known.iter().copied()),
                            );
                            continue;
                        }
                    }
                    out.ignore_changes.push(name.to_string());
                }
            }
            ("ignore_changes", _) => ctx.wrong_type(k, "a list of attribute names"),
            _ => ctx.unknown_key(k, "`lifecycle`", LIFECYCLE_KEYS),
        }
    }
    out
}

fn timeouts(ctx: &mut Ctx<'_>, e: &Entry, mode: Mode) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let Some(entries) = e.value.as_table() else {
        ctx.wrong_type(e, "a table, e.g. { create = \"60m\" }");
        return out;
    };
    let allowed = if mode == Mode::Data {
        DATA_TIMEOUTS
    } else {
        MANAGED_TIMEOUTS
    };
    for k in entries {
        if !allowed.contains(&k.key.as_str()) {
            ctx.unknown_key(k, "`timeouts`", allowed);
            continue;
        }
        let Some(text) = k.value.as_str() else {
            ctx.wrong_type(k, "a duration string such as \"90s\", \"10m\" or \"1h30m\"");
            continue;
        };
        match parse_duration(text) {
            Ok(secs) => {
                out.insert(k.key.clone(), secs);
            }
            Err(why) => {
                let at = ctx.value_span(k);
                let hint = "durations look like 90s, 10m, 2h or 1h30m";
                ctx.sink.at_hint(
                    &at,
                    format!("invalid timeout `{text}`: {why}"),
                    Some(hint.into()),
                );
            }
        }
    }
    out
}

/// The instances of a block from its `for_each`, if it has one.
pub(crate) fn instances(ctx: &mut Ctx<'_>, block: Block<'_>) -> Instances {
    let Some(e) = block.get("for_each") else {
        return Instances::Single;
    };
    let spec = ScopeSpec {
        no_refs: Some("`for_each` (its keys must be known when the stack is loaded)"),
        ..Default::default()
    };
    let mut l = ctx.lowerer(spec);
    let Some(expr) = l.lower(&e.value, None, "for_each") else {
        return Instances::Unknown;
    };
    // Instance keys appear in every address, plan and state: they cannot be secret.
    if let Some(via) = l.sensitive_via.take() {
        let at = ctx.value_span(e);
        let hint = "use a variable that is not sensitive for `for_each`, and refer to the secret inside the block";
        ctx.sink.at_hint(
            &at,
            format!("`for_each` cannot use the sensitive value `{via}`: instance keys are shown in plans and state"),
            Some(hint.into()),
        );
        return Instances::Unknown;
    }
    match expr.value {
        Expr::Literal(Value::Map(m)) => Instances::Keys(m),
        Expr::Literal(Value::List(l)) if l.iter().all(|v| v.as_str().is_some()) => Instances::Keys(
            l.into_iter()
                .filter_map(|v| v.as_str().map(|s| (s.to_string(), v.clone())))
                .collect(),
        ),
        Expr::Literal(other) => {
            let at = ctx.value_span(e);
            let hint = "e.g. for_each = { a = { size = 1 }, b = { size = 2 } }";
            ctx.sink.at_hint(
                &at,
                format!(
                    "`for_each` must be a map (or a list of strings), found {}",
                    other.type_name()
                ),
                Some(hint.into()),
            );
            Instances::Unknown
        }
        _ => Instances::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    fn stack(extra: &str) -> String {
        format!("{PROVIDER}{}{}{extra}\n", cluster("a"), cluster("c"))
    }

    #[test]
    fn depends_on_takes_addresses() {
        let c = ok(&stack("depends_on = [\"huawei_autopilot_cluster.a\"]"));
        assert_eq!(
            c.resources[1].depends_on[0].value.to_string(),
            "huawei_autopilot_cluster.a"
        );
        let d = one_error(&stack(
            "depends_on = [\"${huawei_autopilot_cluster.a.id}\"]",
        ));
        assert_eq!(
            d.message,
            "`depends_on` takes addresses, not references: `${huawei_autopilot_cluster.a.id}`"
        );
        assert_eq!(
            d.hint.as_deref(),
            Some("write the address without `${}`: \"huawei_autopilot_cluster.a.id\"")
        );
        let d = one_error(&stack("depends_on = [\"a.b.c.d\"]"));
        assert!(
            d.message
                .starts_with("bad `depends_on` entry: invalid address `a.b.c.d`"),
            "{}",
            d.message
        );
        assert_eq!(
            one_error(&stack("depends_on = \"x\""))
                .message
                .split(',')
                .next(),
            Some("`depends_on` must be a list of addresses")
        );
        let d = one_error(&stack("depends_on = [\"huawei_autopilot_cluster.b\"]"));
        assert_eq!(
            d.message,
            "reference to undeclared resource `huawei_autopilot_cluster.b`"
        );
        assert_eq!(
            d.hint.as_deref(),
            Some("did you mean `huawei_autopilot_cluster.a`?")
        );
    }

    #[test]
    fn lifecycle_keys_and_ignore_changes_are_checked() {
        let c = ok(&stack("lifecycle = { create_before_destroy = true, allow_replace = true, ignore_changes = [\"*\"] }"));
        let l = &c.resources[1].lifecycle;
        assert!(l.create_before_destroy && l.allow_replace && !l.prevent_destroy);
        assert_eq!(l.ignore_changes, vec!["*".to_string()]);
        let d = one_error(&stack("lifecycle = { prevent_destory = true }"));
        assert_eq!(
            (d.message.as_str(), d.hint.as_deref()),
            (
                "unknown key `prevent_destory` in `lifecycle`",
                Some("did you mean `prevent_destroy`?")
            )
        );
        let d = one_error(&stack("lifecycle = { ignore_changes = [\"tag\"] }"));
        assert_eq!(
            d.message,
            "`ignore_changes` names `tag`, which `huawei_autopilot_cluster` does not have"
        );
        assert_eq!(d.hint.as_deref(), Some("did you mean `tags`?"));
        assert_eq!(
            one_error(&stack("lifecycle = { prevent_destroy = \"yes\" }")).message,
            "`prevent_destroy` must be a bool, found string"
        );
    }

    #[test]
    fn timeouts_are_durations() {
        let c = ok(&stack(
            "timeouts = { create = \"60m\", update = \"10m\", upgrade = \"2h\", delete = \"90s\" }",
        ));
        let t = &c.resources[1].timeouts;
        assert_eq!(
            (t["create"], t["update"], t["upgrade"], t["delete"]),
            (3600, 600, 7200, 90)
        );
        let d = one_error(&stack("timeouts = { create = \"60\" }"));
        assert_eq!(
            d.message,
            "invalid timeout `60`: `60` needs a unit (s, m, h or d)"
        );
        assert_eq!(
            one_error(&stack("timeouts = { create = 60 }"))
                .message
                .split(',')
                .next(),
            Some("`create` must be a duration string such as \"90s\"")
        );
        let d = one_error(&stack("timeouts = { craete = \"1m\" }"));
        assert_eq!(d.hint.as_deref(), Some("did you mean `create`?"));
    }
}
