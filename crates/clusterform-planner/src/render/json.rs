//! The JSON rendering of a plan for machines: a stable, versioned schema documented in
//! `crates/clusterform-planner/PLAN-JSON.md`. Sensitive values become `null` and are listed;
//! unknown values become `null` and are listed under `after_unknown`.
//!
//! The document is a set of borrowing `Serialize` views over the plan, so a 10,000-change plan is
//! written straight to text without first building a `serde_json::Value` tree.

use std::collections::BTreeMap;

use clusterform_model::{
    AttrChange, Attrs, Change, InstanceKey, Mode, OutputChange, Plan, PlanMode, Value,
};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value as Json;

use super::is_sensitive;

/// Version of the JSON plan schema. Bump on an incompatible change; adding fields is compatible.
pub const JSON_FORMAT_VERSION: &str = "1.0";

/// The plan as a JSON document (see `PLAN-JSON.md`).
pub fn render_json(plan: &Plan) -> Json {
    serde_json::to_value(JsonPlan::new(plan)).unwrap_or(Json::Null)
}

/// The plan as JSON text, written directly from the plan (pretty or compact).
pub fn render_json_string(plan: &Plan, pretty: bool) -> String {
    let view = JsonPlan::new(plan);
    let text = if pretty {
        serde_json::to_string_pretty(&view)
    } else {
        serde_json::to_string(&view)
    };
    // Serialising plain data with string keys cannot fail; keep the contract total anyway.
    text.unwrap_or_else(|e| format!("{{\"error\":\"failed to encode the plan: {e}\"}}"))
}

#[derive(Serialize)]
struct Counts {
    create: usize,
    update: usize,
    upgrade: usize,
    replace: usize,
    delete: usize,
}

#[derive(Serialize)]
struct JsonPlan<'a> {
    format_version: &'static str,
    plan_format_version: u32,
    mode: &'static str,
    config_sha256: &'a str,
    lineage: &'a Option<String>,
    serial: u64,
    targets: Vec<String>,
    has_changes: bool,
    summary: Counts,
    resource_changes: Vec<JsonChange<'a>>,
    output_changes: Vec<JsonOutput<'a>>,
    warnings: &'a [String],
}

impl<'a> JsonPlan<'a> {
    fn new(plan: &'a Plan) -> Self {
        let s = plan.summary();
        JsonPlan {
            format_version: JSON_FORMAT_VERSION,
            plan_format_version: plan.format_version,
            mode: match plan.mode {
                PlanMode::Normal => "normal",
                PlanMode::Destroy => "destroy",
            },
            config_sha256: &plan.config_sha256,
            lineage: &plan.lineage,
            serial: plan.serial,
            targets: plan.targets.iter().map(|t| t.to_string()).collect(),
            has_changes: plan.has_changes(),
            summary: Counts {
                create: s.create,
                update: s.update,
                upgrade: s.upgrade,
                replace: s.replace,
                delete: s.delete,
            },
            resource_changes: plan.changes.iter().map(JsonChange::new).collect(),
            output_changes: plan.outputs.iter().map(JsonOutput::new).collect(),
            warnings: &plan.warnings,
        }
    }
}

#[derive(Serialize)]
struct JsonChange<'a> {
    address: String,
    mode: &'static str,
    #[serde(rename = "type")]
    type_name: &'a str,
    name: &'a str,
    key: Option<&'a str>,
    provider: &'a str,
    action: &'static str,
    disruption: &'static str,
    reason: &'a Option<String>,
    id: &'a Option<String>,
    create_before_destroy: bool,
    before: Option<AttrsView<'a>>,
    after: Option<AttrsView<'a>>,
    after_unknown: Vec<String>,
    sensitive_attrs: &'a [String],
    attr_changes: Vec<JsonAttrChange<'a>>,
    upgrade: Vec<JsonHop<'a>>,
    drift: Vec<JsonAttrChange<'a>>,
    depends_on: Vec<String>,
    timeouts: &'a BTreeMap<String, u64>,
}

impl<'a> JsonChange<'a> {
    fn new(c: &'a Change) -> Self {
        let sens = &c.sensitive_attrs;
        JsonChange {
            address: c.address.to_string(),
            mode: if c.address.mode == Mode::Data {
                "data"
            } else {
                "managed"
            },
            type_name: &c.address.type_name,
            name: &c.address.name,
            key: c.address.key.as_ref().map(|InstanceKey::Str(k)| k.as_str()),
            provider: &c.provider,
            action: c.action.as_str(),
            disruption: c.disruption.as_str(),
            reason: &c.reason,
            id: &c.id,
            create_before_destroy: c.create_before_destroy,
            before: c.before.as_ref().map(|attrs| AttrsView {
                attrs,
                sensitive: sens,
            }),
            after: c.after.as_ref().map(|attrs| AttrsView {
                attrs,
                sensitive: sens,
            }),
            after_unknown: c.after.as_ref().map(unknown_paths).unwrap_or_default(),
            sensitive_attrs: sens,
            attr_changes: c
                .attr_changes
                .iter()
                .map(|a| JsonAttrChange::new(a, sens))
                .collect(),
            upgrade: c
                .upgrade
                .iter()
                .map(|h| JsonHop {
                    from: &h.from,
                    to: &h.to,
                    estimated_seconds: h.estimated_seconds,
                    precheck: &h.precheck,
                    steps: h
                        .steps
                        .iter()
                        .map(|s| JsonStep {
                            name: &s.name,
                            description: &s.description,
                        })
                        .collect(),
                })
                .collect(),
            drift: c
                .drift
                .iter()
                .map(|a| JsonAttrChange::new(a, sens))
                .collect(),
            depends_on: c.depends_on.iter().map(|d| d.to_string()).collect(),
            timeouts: &c.timeouts,
        }
    }
}

#[derive(Serialize)]
struct JsonHop<'a> {
    from: &'a str,
    to: &'a str,
    estimated_seconds: Option<u64>,
    precheck: &'a Option<String>,
    steps: Vec<JsonStep<'a>>,
}

#[derive(Serialize)]
struct JsonStep<'a> {
    name: &'a str,
    description: &'a str,
}

#[derive(Serialize)]
struct JsonAttrChange<'a> {
    path: &'a str,
    before: Option<Shown<'a>>,
    after: Option<Shown<'a>>,
    after_unknown: bool,
    sensitive: bool,
    forces_replace: bool,
}

impl<'a> JsonAttrChange<'a> {
    fn new(a: &'a AttrChange, sensitive_attrs: &[String]) -> Self {
        let sensitive = is_sensitive(a, sensitive_attrs);
        JsonAttrChange {
            path: &a.path,
            before: a.before.as_ref().map(|v| Shown {
                value: v,
                sensitive,
            }),
            after: a.after.as_ref().map(|v| Shown {
                value: v,
                sensitive,
            }),
            after_unknown: a.after.as_ref().is_some_and(Value::contains_unknown),
            sensitive,
            forces_replace: a.forces_replace,
        }
    }
}

#[derive(Serialize)]
struct JsonOutput<'a> {
    name: &'a str,
    action: &'static str,
    before: Option<Shown<'a>>,
    after: Option<Shown<'a>>,
    after_unknown: bool,
    sensitive: bool,
}

impl<'a> JsonOutput<'a> {
    fn new(o: &'a OutputChange) -> Self {
        let action = match (&o.before, &o.after) {
            (None, Some(_)) => "create",
            (Some(_), None) => "delete",
            (b, a) if b == a => "no-op",
            _ => "update",
        };
        JsonOutput {
            name: &o.name,
            action,
            before: o.before.as_ref().map(|v| Shown {
                value: v,
                sensitive: o.sensitive,
            }),
            after: o.after.as_ref().map(|v| Shown {
                value: v,
                sensitive: o.sensitive,
            }),
            after_unknown: o.after.as_ref().is_some_and(Value::contains_unknown),
            sensitive: o.sensitive,
        }
    }
}

/// Attributes as a JSON object, sensitive ones `null`.
struct AttrsView<'a> {
    attrs: &'a Attrs,
    sensitive: &'a [String],
}

impl Serialize for AttrsView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.attrs.len()))?;
        for (k, v) in self.attrs {
            m.serialize_entry(
                k,
                &Shown {
                    value: v,
                    sensitive: self.sensitive.iter().any(|x| x == k),
                },
            )?;
        }
        m.end()
    }
}

/// A value as JSON with unknown parts as `null` (listed separately) and sensitive ones hidden.
struct Shown<'a> {
    value: &'a Value,
    sensitive: bool,
}

impl Serialize for Shown<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.sensitive {
            return s.serialize_unit();
        }
        match self.value {
            Value::Unknown => s.serialize_unit(),
            Value::List(l) => {
                let mut seq = s.serialize_seq(Some(l.len()))?;
                for x in l {
                    seq.serialize_element(&Shown {
                        value: x,
                        sensitive: false,
                    })?;
                }
                seq.end()
            }
            Value::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, x) in m {
                    map.serialize_entry(
                        k,
                        &Shown {
                            value: x,
                            sensitive: false,
                        },
                    )?;
                }
                map.end()
            }
            other => other.serialize(s),
        }
    }
}

/// Dotted paths of every unknown value inside the attributes (`id`, `tags.owner`, `ips.0`).
fn unknown_paths(attrs: &Attrs) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in attrs {
        if v.contains_unknown() {
            collect_unknown(k.clone(), v, &mut out);
        }
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
