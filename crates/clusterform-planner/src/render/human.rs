//! The human rendering of a plan, Terraform-like: drift first, then each change with its symbol,
//! disruption, attribute differences and upgrade hops, then outputs, the summary and warnings.

use std::fmt::Write;

use clusterform_model::{Action, Change, Mode, Plan};

use super::lines::{change_lines, upgrade_lines, value_text, verb, Line, Sym};
use crate::REASON_GONE;

const NO_CHANGES: &str = "No changes. Your infrastructure matches the configuration.";

/// Renders the plan for a terminal; ANSI colours only when `color` is true.
pub fn render_human(plan: &Plan, color: bool) -> String {
    let p = Painter { color };
    let mut out = String::new();

    let drifted: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| !c.drift.is_empty())
        .collect();
    if !drifted.is_empty() {
        let _ = writeln!(out, "{}\n", p.bold("Objects changed outside clusterform:"));
        for c in drifted {
            if c.reason.as_deref() == Some(REASON_GONE) {
                let _ = writeln!(
                    out,
                    "  {}\n",
                    p.bold(&format!("# {} has been deleted", c.address))
                );
                continue;
            }
            let _ = writeln!(out, "  {}", p.bold(&format!("# {} has changed", c.address)));
            let _ = writeln!(out, "  {} {} {{", p.sym(Sym::Change), block_name(c));
            write_lines(
                &mut out,
                &p,
                &super::lines::attr_lines(&c.drift, &c.sensitive_attrs),
            );
            out.push_str("    }\n\n");
        }
    }

    let shown: Vec<&Change> = plan.changes.iter().filter(|c| shows(c)).collect();
    if !shown.is_empty() {
        let _ = writeln!(out, "clusterform will perform the following actions:\n");
        for c in shown {
            write_change(&mut out, &p, c);
        }
    }

    let outputs: Vec<_> = plan
        .outputs
        .iter()
        .filter(|o| o.before != o.after)
        .collect();
    if !outputs.is_empty() {
        let _ = writeln!(out, "Changes to Outputs:");
        let width = outputs
            .iter()
            .map(|o| o.name.chars().count())
            .max()
            .unwrap_or(0);
        for o in outputs {
            let name = format!("{:width$}", o.name);
            let line = match (&o.before, &o.after) {
                (None, Some(a)) => format!(
                    "{} {name} = {}",
                    p.sym(Sym::Add),
                    value_text(a, o.sensitive)
                ),
                (Some(b), None) => format!(
                    "{} {name} = {}",
                    p.sym(Sym::Remove),
                    value_text(b, o.sensitive)
                ),
                (Some(b), Some(a)) => format!(
                    "{} {name} = {} -> {}",
                    p.sym(Sym::Change),
                    value_text(b, o.sensitive),
                    value_text(a, o.sensitive)
                ),
                (None, None) => continue,
            };
            let _ = writeln!(out, "  {line}");
        }
        out.push('\n');
    }

    if plan.has_changes() {
        let _ = writeln!(out, "{}", p.bold(&plan.summary().to_string()));
    } else {
        let _ = writeln!(out, "{}", p.bold(NO_CHANGES));
    }
    for w in &plan.warnings {
        let mut parts = w.splitn(2, '\n');
        let head = parts.next().unwrap_or_default();
        let _ = writeln!(out, "\n{} {head}", p.paint("Warning:", "1;33"));
        if let Some(rest) = parts.next() {
            for l in rest.lines() {
                let _ = writeln!(out, "  {l}");
            }
        }
    }
    out
}

/// Whether the actions section lists a change: everything that changes something, plus reads
/// that must wait for apply.
fn shows(c: &Change) -> bool {
    c.action.is_change() || (c.action == Action::Read && c.reason.is_some())
}

fn block_name(c: &Change) -> String {
    let kind = if c.address.mode == Mode::Data {
        "data"
    } else {
        "resource"
    };
    let mut name = c.address.name.clone();
    if let Some(clusterform_model::InstanceKey::Str(k)) = &c.address.key {
        name = format!("{name}[{}]", serde_json::Value::String(k.clone()));
    }
    format!("{kind} \"{}\" \"{}\"", c.address.type_name, name)
}

fn write_change(out: &mut String, p: &Painter, c: &Change) {
    let head = format!(
        "# {} {} (disruption: {})",
        c.address,
        verb(c),
        c.disruption.as_str()
    );
    let _ = writeln!(out, "  {}", p.bold(&head));
    if let Some(r) = &c.reason {
        let _ = writeln!(out, "  # (because: {r})");
    }
    let sym = Sym::of(c);
    // Left-align the block opener so single- and triple-character symbols line up their names.
    let _ = writeln!(out, "{}{} {} {{", pad_for(sym), p.sym(sym), block_name(c));
    write_lines(out, p, &change_lines(c));
    if let Some(id) = &c.id {
        if c.action != Action::Delete {
            let _ = writeln!(out, "        # (id: {id})");
        }
    }
    out.push_str("    }\n");
    for l in upgrade_lines(c) {
        let _ = writeln!(out, "    {l}");
    }
    out.push('\n');
}

fn write_lines(out: &mut String, p: &Painter, lines: &[Line]) {
    for l in lines {
        let _ = writeln!(out, "    {}{} {}", pad_for(l.sym), p.sym(l.sym), l.text);
    }
}

/// Right-aligns symbols to three columns as Terraform does (`  +`, `-/+`).
fn pad_for(sym: Sym) -> &'static str {
    match sym.text().len() {
        1 => "  ",
        2 => " ",
        _ => "",
    }
}

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, s: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn bold(&self, s: &str) -> String {
        self.paint(s, "1")
    }

    fn sym(&self, sym: Sym) -> String {
        if sym == Sym::Blank {
            return sym.text().to_string();
        }
        self.paint(sym.text(), sym.colour())
    }
}
