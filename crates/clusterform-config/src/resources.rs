//! `[resources.TYPE.NAME]` and `[data.TYPE.NAME]` blocks: the type looked up in its provider's
//! schema, attributes checked against it (unknown, computed-only, missing, wrong type), and one
//! `ResourceConfig` lowered per instance.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::fasthash::FastMap;

use clusterform_model::{Address, AttrSchema, Mode, Presence, ProviderSchema, ResourceSchema};

use crate::collect::{Block, Collected};
use crate::ctx::{names, Ctx, ScopeSpec};
use crate::lower::RefUse;
use crate::meta::{self, Instances, META_KEYS};
use crate::raw::Entry;
use crate::suggest;
use crate::types::{BlockConfig, ResourceConfig, Span, Spanned};

/// What references need to know about a declared block.
#[derive(Debug)]
pub(crate) struct BlockInfo<'s> {
    /// `None` when the type is unknown (already reported): its attributes are not checked.
    pub schema: Option<&'s ResourceSchema>,
    pub instances: Instances,
    /// Position in `Objects::order`.
    pub index: usize,
}

/// Every resource and data block, lowered.
#[derive(Debug, Default)]
pub(crate) struct Objects<'s> {
    pub resources: Vec<ResourceConfig>,
    pub data: Vec<ResourceConfig>,
    /// By block address (no instance key).
    pub blocks: FastMap<Address, BlockInfo<'s>>,
    /// Every block address by index, in address order (the dependency graph's node numbers).
    pub order: Vec<Address>,
    pub refs: Vec<RefUse>,
    /// `depends_on` entries, from the block that declares them.
    pub deps: Vec<(usize, Spanned<Address>)>,
    /// Providers used by some block, with the first block's header (for implicit configs).
    pub used_providers: BTreeMap<String, Span>,
    /// Managed blocks with a valid `for_each`.
    pub for_each_blocks: BTreeMap<Address, BlockConfig>,
}

pub(crate) fn objects<'s>(ctx: &mut Ctx<'s>, col: &Collected<'_>) -> Objects<'s> {
    let mut out = Objects::default();
    // Sized up front: growing these large vectors step by step showed up in profiles.
    let blocks = col.resources.len() + col.data.len();
    out.resources.reserve(col.resources.len());
    out.refs.reserve(blocks);
    out.order.reserve(blocks);
    out.blocks.reserve(blocks);
    let mut unconfigured = HashSet::new();
    for (mode, map) in [(Mode::Managed, &col.resources), (Mode::Data, &col.data)] {
        for ((ty, name), block) in map {
            let addr = Address {
                mode,
                type_name: ty.clone(),
                name: name.clone(),
                key: None,
            };
            object(ctx, col, &mut out, &mut unconfigured, addr, *block);
        }
    }
    out.resources.sort_by(|a, b| a.address.cmp(&b.address));
    out.data.sort_by(|a, b| a.address.cmp(&b.address));
    out
}

fn object<'s>(
    ctx: &mut Ctx<'s>,
    col: &Collected<'_>,
    out: &mut Objects<'s>,
    unconfigured: &mut HashSet<String>,
    addr: Address,
    block: Block<'_>,
) {
    let index = out.order.len();
    let header = block.span(ctx.sources);
    let provider = ProviderSchema::provider_of(&addr.type_name).to_string();
    let schema = schema_for(ctx, &addr, &header);
    if let Some(s) = schema {
        let provider_schema = ctx.schemas.get(&provider);
        let needs_config = provider_schema
            .is_some_and(|p| p.config.iter().any(|a| a.presence == Presence::Required));
        if !col.providers.contains_key(&provider)
            && needs_config
            && !ctx.incomplete
            && unconfigured.insert(provider.clone())
        {
            let hint = format!("add a `[providers.{provider}]` table with its settings");
            ctx.sink.at_hint(
                &header,
                format!(
                    "provider `{provider}` is not configured (needed by `{}`)",
                    s.type_name
                ),
                Some(hint),
            );
        }
        out.used_providers
            .entry(provider.clone())
            .or_insert_with(|| header.clone());
    }
    let meta = meta::meta(ctx, block, addr.mode, schema);
    let instances = meta::instances(ctx, block);
    let attrs = attributes(ctx, block, &addr, schema, &header);

    let keyed: Vec<(Option<&str>, Option<&clusterform_model::Value>)> = match &instances {
        Instances::Single => vec![(None, None)],
        Instances::Keys(m) => m.iter().map(|(k, v)| (Some(k.as_str()), Some(v))).collect(),
        // The body is still lowered once, so errors inside it are reported.
        Instances::Unknown => vec![(None, None)],
    };
    for (key, value) in keyed {
        let mut spec = ScopeSpec {
            from: Some(index),
            ..ScopeSpec::default()
        };
        let placeholder = clusterform_model::Value::Unknown;
        spec.each = match (&instances, key, value) {
            (_, Some(k), Some(v)) => Some((k, v)),
            (Instances::Unknown, _, _) => Some(("", &placeholder)),
            _ => None,
        };
        let mut lowered = BTreeMap::new();
        let mut sensitive_attrs = Vec::new();
        let mut l = ctx.lowerer(spec);
        for (entry, attr) in &attrs {
            let ty = attr.map(|a| &a.ty);
            l.used_sensitive = false;
            if let Some(expr) = l.lower(&entry.value, ty, &entry.key) {
                if attr.is_some() {
                    if l.used_sensitive {
                        sensitive_attrs.push(entry.key.clone());
                    }
                    lowered.insert(entry.key.clone(), expr);
                }
            }
        }
        sensitive_attrs.sort();
        out.refs.append(&mut l.refs);
        let address = match key {
            Some(k) => addr.clone().with_key(k),
            None => addr.clone(),
        };
        let config = ResourceConfig {
            address,
            provider: provider.clone(),
            attrs: lowered,
            depends_on: meta.depends_on.clone(),
            lifecycle: meta.lifecycle.clone(),
            timeouts: meta.timeouts.clone(),
            sensitive_attrs,
            span: header.clone(),
        };
        if !matches!(instances, Instances::Unknown) && schema.is_some() {
            match addr.mode {
                Mode::Managed => out.resources.push(config),
                Mode::Data => out.data.push(config),
            }
        }
    }
    if let (Instances::Keys(_), Mode::Managed, Some(_)) = (&instances, addr.mode, schema) {
        out.for_each_blocks.insert(
            addr.clone(),
            BlockConfig {
                address: addr.clone(),
                lifecycle: meta.lifecycle.clone(),
                span: header.clone(),
            },
        );
    }
    out.deps
        .extend(meta.depends_on.into_iter().map(|d| (index, d)));
    out.order.push(addr.clone());
    out.blocks.insert(
        addr,
        BlockInfo {
            schema,
            instances,
            index,
        },
    );
}

/// The schema of a block's type, reporting an unknown provider or type.
fn schema_for<'s>(ctx: &mut Ctx<'s>, addr: &Address, header: &Span) -> Option<&'s ResourceSchema> {
    let schemas = ctx.schemas;
    let ty = &addr.type_name;
    let provider = ProviderSchema::provider_of(ty);
    let Some(p) = schemas.get(provider) else {
        let hint = suggest::did_you_mean(provider, schemas.keys())
            .map(|h| format!("{h} (the provider is the type's prefix before `_`)"));
        let known = names(schemas)
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let hint =
            hint.or_else(|| (!known.is_empty()).then(|| format!("known providers: {known}")));
        ctx.sink.at_hint(
            header,
            format!("unknown provider `{provider}` for type `{ty}`"),
            hint,
        );
        return None;
    };
    let (own, other, kind, other_kind) = match addr.mode {
        Mode::Managed => (&p.resources, &p.data_sources, "resource type", "data"),
        Mode::Data => (&p.data_sources, &p.resources, "data source", "resources"),
    };
    if let Some(s) = own.get(ty) {
        return Some(s);
    }
    let hint = if other.contains_key(ty) {
        let what = if addr.mode == Mode::Managed {
            "a data source"
        } else {
            "a managed resource type"
        };
        Some(format!(
            "`{ty}` is {what}: write it as `[{other_kind}.{ty}.{}]`",
            addr.name
        ))
    } else {
        suggest::did_you_mean(ty, own.keys())
    };
    ctx.sink.at_hint(
        header,
        format!("unknown {kind} `{ty}` in provider `{provider}`"),
        hint,
    );
    None
}

/// The block's attribute entries with their schemas; reports unknown, computed-only and missing
/// attributes. With no schema every non-meta entry is kept untyped.
fn attributes<'b, 's>(
    ctx: &mut Ctx<'s>,
    block: Block<'b>,
    addr: &Address,
    schema: Option<&'s ResourceSchema>,
    header: &Span,
) -> Vec<(&'b Entry, Option<&'s AttrSchema>)> {
    let mut out = Vec::new();
    for e in block.entries() {
        if META_KEYS.contains(&e.key.as_str()) {
            continue;
        }
        let Some(schema) = schema else {
            out.push((e, None));
            continue;
        };
        match schema.attr(&e.key) {
            Some(a) if a.settable() => out.push((e, Some(a))),
            Some(_) => {
                let at = ctx.key_span(e);
                let hint = format!(
                    "`{}` is set by the provider; read it with `${{{addr}.{}}}`",
                    e.key, e.key
                );
                ctx.sink.at_hint(
                    &at,
                    format!(
                        "`{}` of `{}` is computed and cannot be set",
                        e.key, schema.type_name
                    ),
                    Some(hint),
                );
            }
            None => {
                let at = ctx.key_span(e);
                let candidates: BTreeSet<&str> = schema
                    .attributes
                    .iter()
                    .filter(|a| a.settable())
                    .map(|a| a.name.as_str())
                    .chain(META_KEYS.iter().copied())
                    .collect();
                let hint = suggest::did_you_mean(&e.key, candidates.iter().copied());
                ctx.sink.at_hint(
                    &at,
                    format!("unknown attribute `{}` in `{}`", e.key, schema.type_name),
                    hint,
                );
            }
        }
    }
    if let Some(schema) = schema {
        for a in schema
            .attributes
            .iter()
            .filter(|a| a.presence == Presence::Required)
        {
            if block.get(&a.name).is_none() {
                let hint =
                    (!a.description.is_empty()).then(|| format!("`{}`: {}", a.name, a.description));
                ctx.sink.at_hint(
                    header,
                    format!("`{addr}` is missing required attribute `{}`", a.name),
                    hint,
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    fn stack(extra: &str) -> String {
        format!("{PROVIDER}{}{extra}\n", cluster("c"))
    }

    #[test]
    fn unknown_attribute_suggests_the_closest() {
        let d = one_error(&stack("verison = \"v1.28\""));
        assert_eq!(
            d.message,
            "unknown attribute `verison` in `huawei_autopilot_cluster`"
        );
        assert_eq!(d.hint.as_deref(), Some("did you mean `version`?"));
        let d = one_error(&stack("depend_on = []"));
        assert_eq!(d.hint.as_deref(), Some("did you mean `depends_on`?"));
    }

    #[test]
    fn computed_attributes_cannot_be_set() {
        let d = one_error(&stack("phase = \"x\""));
        assert_eq!(
            d.message,
            "`phase` of `huawei_autopilot_cluster` is computed and cannot be set"
        );
        assert_eq!(d.hint.as_deref(), Some("`phase` is set by the provider; read it with `${huawei_autopilot_cluster.c.phase}`"));
    }

    #[test]
    fn missing_required_attributes_point_at_the_header() {
        let text = format!("{PROVIDER}[resources.huawei_autopilot_addon.a]\ntemplate = \"t\"\n");
        let d = one_error(&text);
        assert_eq!(
            d.message,
            "`huawei_autopilot_addon.a` is missing required attribute `cluster_id`"
        );
        assert_eq!(d.span.map(|s| (s.line, s.col)), Some((5, 1)));
    }

    #[test]
    fn unknown_types_and_providers() {
        let d = one_error(&format!(
            "{PROVIDER}[resources.huawei_autopilot_clustr.a]\nname = \"x\"\n"
        ));
        assert_eq!(
            d.message,
            "unknown resource type `huawei_autopilot_clustr` in provider `huawei`"
        );
        assert_eq!(
            d.hint.as_deref(),
            Some("did you mean `huawei_autopilot_cluster`?")
        );
        let d = one_error("[resources.aws_instance.a]\nami = \"x\"\n");
        assert_eq!(d.message, "unknown provider `aws` for type `aws_instance`");
        assert_eq!(d.hint.as_deref(), Some("known providers: `huawei`"));
        let d = one_error(&format!(
            "{PROVIDER}[resources.huawei_autopilot_quotas.q]\n"
        ));
        assert_eq!(d.hint.as_deref(), Some("`huawei_autopilot_quotas` is a data source: write it as `[data.huawei_autopilot_quotas.q]`"));
        let d = one_error(&format!("{PROVIDER}[data.huawei_autopilot_quota.q]\n"));
        assert_eq!(
            d.message,
            "unknown data source `huawei_autopilot_quota` in provider `huawei`"
        );
        assert_eq!(
            d.hint.as_deref(),
            Some("did you mean `huawei_autopilot_quotas`?")
        );
    }

    #[test]
    fn unknown_types_do_not_cascade_into_reference_errors() {
        let text = format!("{PROVIDER}[resources.huawei_autopilot_clustr.a]\n\n[outputs.o]\nvalue = \"${{huawei_autopilot_clustr.a.anything}}\"\n");
        assert_eq!(errors(&text).len(), 1);
    }

    #[test]
    fn data_sources_load_and_have_no_lifecycle() {
        let c = ok(&format!(
            "{PROVIDER}[data.huawei_autopilot_quotas.q]\ntimeouts = {{ read = \"30s\" }}\n"
        ));
        assert_eq!(c.data[0].timeouts["read"], 30);
        let errs = errors(&format!("{PROVIDER}[data.huawei_autopilot_quotas.q]\nlifecycle = {{}}\ntimeouts = {{ create = \"1m\" }}\n"));
        assert_eq!(
            errs,
            vec![
                "a data source has no `lifecycle`: it is only read, never changed",
                "unknown key `create` in `timeouts`"
            ]
        );
    }
}
