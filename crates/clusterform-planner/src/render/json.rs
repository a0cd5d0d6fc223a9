//! The JSON rendering of a plan for machines: a stable, versioned schema documented in
//! `crates/clusterform-planner/PLAN-JSON.md`. Sensitive values become `null` and are listed;
//! unknown values become `null` and are listed under `after_unknown`.

use clusterform_model::{AttrChange, Attrs, Change, InstanceKey, Mode, OutputChange, Plan, Value};
use serde_json::{json, Map, Value as Json};

use super::is_sensitive;

/// Version of the JSON plan schema. Bump on an incompatible change; adding fields is compatible.
pub const JSON_FORMAT_VERSION: &str = "1.0";

/// The plan as a JSON document (see `PLAN-JSON.md`).
pub fn render_json(plan: &Plan) -> Json {
    let s = plan.summary();
    json!({
        "format_version": JSON_FORMAT_VERSION,
        "plan_format_version": plan.format_version,
        "mode": match plan.mode { clusterform_model::PlanMode::Normal => "normal", clusterform_model::PlanMode::Destroy => "destroy" },
        "config_sha256": plan.config_sha256,
        "lineage": plan.lineage,
        "serial": plan.serial,
        "targets": plan.targets.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
        "has_changes": plan.has_changes(),
        "summary": {
            "create": s.create, "update": s.update, "upgrade": s.upgrade, "replace": s.replace, "delete": s.delete,
        },
        "resource_changes": plan.changes.iter().map(change_json).collect::<Vec<_>>(),
        "output_changes": plan.outputs.iter().map(output_json).collect::<Vec<_>>(),
        "warnings": plan.warnings,
    })
}

fn change_json(c: &Change) -> Json {
    let key = match &c.address.key {
        Some(InstanceKey::Str(k)) => Json::String(k.clone()),
        None => Json::Null,
    };
    json!({
        "address": c.address.to_string(),
        "mode": if c.address.mode == Mode::Data { "data" } else { "managed" },
        "type": c.address.type_name,
        "name": c.address.name,
        "key": key,
        "provider": c.provider,
        "action": c.action.as_str(),
        "disruption": c.disruption.as_str(),
        "reason": c.reason,
        "id": c.id,
        "create_before_destroy": c.create_before_destroy,
        "before": attrs_json(c.before.as_ref(), &c.sensitive_attrs),
        "after": attrs_json(c.after.as_ref(), &c.sensitive_attrs),
        "after_unknown": c.after.as_ref().map(unknown_paths).unwrap_or_default(),
        "sensitive_attrs": c.sensitive_attrs,
        "attr_changes": c.attr_changes.iter().map(|a| attr_change_json(a, &c.sensitive_attrs)).collect::<Vec<_>>(),
        "upgrade": c.upgrade.iter().map(|h| json!({
            "from": h.from,
            "to": h.to,
            "estimated_seconds": h.estimated_seconds,
            "precheck": h.precheck,
            "steps": h.steps.iter().map(|s| json!({"name": s.name, "description": s.description})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "drift": c.drift.iter().map(|a| attr_change_json(a, &c.sensitive_attrs)).collect::<Vec<_>>(),
        "depends_on": c.depends_on.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        "timeouts": c.timeouts,
    })
}

fn attr_change_json(a: &AttrChange, sensitive_attrs: &[String]) -> Json {
    let sensitive = is_sensitive(a, sensitive_attrs);
    json!({
        "path": a.path,
        "before": value_json(a.before.as_ref(), sensitive),
        "after": value_json(a.after.as_ref(), sensitive),
        "after_unknown": a.after.as_ref().is_some_and(Value::contains_unknown),
        "sensitive": sensitive,
        "forces_replace": a.forces_replace,
    })
}

fn output_json(o: &OutputChange) -> Json {
    let action = match (&o.before, &o.after) {
        (None, Some(_)) => "create",
        (Some(_), None) => "delete",
        (b, a) if b == a => "no-op",
        _ => "update",
    };
    json!({
        "name": o.name,
        "action": action,
        "before": value_json(o.before.as_ref(), o.sensitive),
        "after": value_json(o.after.as_ref(), o.sensitive),
        "after_unknown": o.after.as_ref().is_some_and(Value::contains_unknown),
        "sensitive": o.sensitive,
    })
}

/// Attributes as a JSON object, sensitive ones `null`; `null` when there are none (create's
/// before, delete's after).
fn attrs_json(attrs: Option<&Attrs>, sensitive: &[String]) -> Json {
    let Some(attrs) = attrs else {
        return Json::Null;
    };
    let mut m = Map::new();
    for (k, v) in attrs {
        m.insert(
            k.clone(),
            value_json(Some(v), sensitive.iter().any(|s| s == k)),
        );
    }
    Json::Object(m)
}

/// A value as JSON with unknown parts as `null` (listed separately) and sensitive ones hidden.
fn value_json(v: Option<&Value>, sensitive: bool) -> Json {
    match v {
        None => Json::Null,
        Some(_) if sensitive => Json::Null,
        Some(v) => plain(v),
    }
}

fn plain(v: &Value) -> Json {
    match v {
        Value::Unknown => Json::Null,
        Value::List(l) => Json::Array(l.iter().map(plain).collect()),
        Value::Map(m) => Json::Object(m.iter().map(|(k, x)| (k.clone(), plain(x))).collect()),
        other => other.to_json(),
    }
}

/// Dotted paths of every unknown value inside the attributes (`id`, `tags.owner`, `ips.0`).
fn unknown_paths(attrs: &Attrs) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in attrs {
        collect_unknown(k.clone(), v, &mut out);
    }
    out
}

fn collect_unknown(path: String, v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Unknown => out.push(path),
        Value::Map(m) => m
            .iter()
            .for_each(|(k, x)| collect_unknown(format!("{path}.{k}"), x, out)),
        Value::List(l) => l
            .iter()
            .enumerate()
            .for_each(|(i, x)| collect_unknown(format!("{path}.{i}"), x, out)),
        _ => {}
    }
}
