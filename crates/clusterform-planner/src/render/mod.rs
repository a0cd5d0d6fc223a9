//! Renderings of a plan: human text (Terraform-like), JSON (versioned, see `PLAN-JSON.md`) and
//! Markdown for pull-request comments. Pure functions: the caller decides on colour and where the
//! text goes.

mod human;
mod json;
mod lines;
mod markdown;

pub use human::render_human;
pub use json::{render_json, render_json_string, JSON_FORMAT_VERSION};
pub use markdown::{render_markdown, DEFAULT_MARKDOWN_MAX_CHARS};

use clusterform_model::{AttrChange, Attrs, Change, Plan, Value};

/// A copy of the plan with every sensitive value replaced by `Value::Null`, as saved plans hold
/// them (apply re-reads sensitive values from the config).
pub fn redact_sensitive(plan: &Plan) -> Plan {
    let mut out = plan.clone();
    for c in &mut out.changes {
        redact_change(c);
    }
    for o in out.outputs.iter_mut().filter(|o| o.sensitive) {
        o.before = o.before.as_ref().map(|_| Value::Null);
        o.after = o.after.as_ref().map(|_| Value::Null);
    }
    out
}

fn redact_change(c: &mut Change) {
    let sensitive = c.sensitive_attrs.clone();
    let hide = |attrs: &mut Option<Attrs>| {
        if let Some(a) = attrs {
            for name in &sensitive {
                if let Some(v) = a.get_mut(name) {
                    *v = Value::Null;
                }
            }
        }
    };
    hide(&mut c.before);
    hide(&mut c.after);
    for ac in c.attr_changes.iter_mut().chain(c.drift.iter_mut()) {
        if is_sensitive(ac, &c.sensitive_attrs) {
            ac.before = ac.before.as_ref().map(|_| Value::Null);
            ac.after = ac.after.as_ref().map(|_| Value::Null);
        }
    }
}

/// Whether an attribute change (whose path may be `name.key`) is of a sensitive attribute.
pub(crate) fn is_sensitive(ac: &AttrChange, sensitive_attrs: &[String]) -> bool {
    ac.sensitive || sensitive_attrs.iter().any(|s| s == root_attr(&ac.path))
}

/// `tags` of `tags.env`.
pub(crate) fn root_attr(path: &str) -> &str {
    path.split('.').next().unwrap_or(path)
}

#[cfg(test)]
mod tests;
