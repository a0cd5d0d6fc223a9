//! The Markdown rendering for pull-request comments: the summary first, then each change folded
//! in `<details>`, never longer than the caller's limit whatever the plan's size. When something
//! must go, the details go first, then table rows, and the text says what was cut.

use std::fmt::Write;

use clusterform_model::{Action, Change, Plan};

use super::lines::{change_lines, upgrade_lines, value_text, verb};

/// GitHub refuses comments over 65,536 characters; this leaves room for a wrapper's own text.
pub const DEFAULT_MARKDOWN_MAX_CHARS: usize = 60_000;

/// Room kept for the closing note about what was cut.
const NOTE_RESERVE: usize = 240;

/// Renders the plan as Markdown of at most `max_chars` characters (Unicode scalar values).
pub fn render_markdown(plan: &Plan, max_chars: usize) -> String {
    let mut out = Budgeted::new(max_chars.saturating_sub(NOTE_RESERVE));
    let shown: Vec<&Change> = plan.changes.iter().filter(|c| shows(c)).collect();

    out.push(&head(plan));
    let mut cut = Cut::default();
    for (i, w) in plan.warnings.iter().enumerate() {
        let text = format!("> **Warning:** {}\n", cell(&one_line(w, 500)));
        if !out.push(&text) {
            cut.warnings = plan.warnings.len() - i;
            break;
        }
    }
    if !plan.warnings.is_empty() {
        out.push("\n");
    }

    if !shown.is_empty() {
        out.push("| resource | action | disruption | note |\n|---|---|---|---|\n");
        for (i, c) in shown.iter().enumerate() {
            let note = c.reason.as_deref().map(cell).unwrap_or_default();
            let row = format!(
                "| {} | {} | {} | {note} |\n",
                code(&c.address.to_string()),
                c.action,
                c.disruption.as_str()
            );
            if !out.push(&row) {
                cut.rows = shown.len() - i;
                break;
            }
        }
        out.push("\n");
    }

    if cut.rows == 0 {
        let outputs: Vec<_> = plan
            .outputs
            .iter()
            .filter(|o| o.before != o.after)
            .collect();
        if !outputs.is_empty() && out.push("| output | before | after |\n|---|---|---|\n") {
            for o in outputs {
                let show = |v: &Option<clusterform_model::Value>| {
                    v.as_ref()
                        .map(|x| code(&one_line(&value_text(x, o.sensitive), 200)))
                        .unwrap_or_else(|| "—".into())
                };
                if !out.push(&format!(
                    "| {} | {} | {} |\n",
                    code(&o.name),
                    show(&o.before),
                    show(&o.after)
                )) {
                    break;
                }
            }
            out.push("\n");
        }
        let drifted: Vec<&Change> = plan
            .changes
            .iter()
            .filter(|c| !c.drift.is_empty())
            .collect();
        if !drifted.is_empty() {
            let mut block = format!(
                "**Objects changed outside clusterform:** {}\n\n",
                drifted.len()
            );
            for c in &drifted {
                let n = c.drift.len();
                let noun = if n == 1 { "attribute" } else { "attributes" };
                let _ = writeln!(
                    block,
                    "- {} ({n} {noun} changed)",
                    code(&c.address.to_string())
                );
            }
            block.push('\n');
            out.push(&block);
        }
        for (i, c) in shown.iter().enumerate() {
            if !out.push(&details(c)) {
                cut.details = shown.len() - i;
                break;
            }
        }
    }

    let mut text = out.text;
    text.push_str(&cut.note());
    truncate_chars(&mut text, max_chars);
    text
}

/// What did not fit.
#[derive(Default)]
struct Cut {
    warnings: usize,
    rows: usize,
    details: usize,
}

impl Cut {
    fn note(&self) -> String {
        let mut parts = Vec::new();
        if self.rows > 0 {
            parts.push(format!("{} more resources not shown", self.rows));
        } else if self.details > 0 {
            parts.push(format!(
                "details of {} more resources not shown",
                self.details
            ));
        }
        if self.warnings > 0 {
            parts.push(format!("{} more warnings not shown", self.warnings));
        }
        if parts.is_empty() {
            return String::new();
        }
        format!("\n_… {}; see the JSON plan._\n", parts.join("; "))
    }
}

/// Text that refuses additions past its limit, counting characters as it goes.
struct Budgeted {
    text: String,
    used: usize,
    limit: usize,
}

impl Budgeted {
    fn new(limit: usize) -> Self {
        Budgeted {
            text: String::new(),
            used: 0,
            limit,
        }
    }

    /// Appends `s` if it fits; returns whether it did.
    fn push(&mut self, s: &str) -> bool {
        let n = s.chars().count();
        if self.used + n > self.limit {
            return false;
        }
        self.text.push_str(s);
        self.used += n;
        true
    }
}

fn head(plan: &Plan) -> String {
    let mut s = String::from("### clusterform plan\n\n");
    if !plan.has_changes() {
        s.push_str("**No changes.** Your infrastructure matches the configuration.\n\n");
        return s;
    }
    let m = plan.summary();
    let _ = write!(
        s,
        "**{m}**\n\n| create | update | upgrade | replace | delete |\n|---:|---:|---:|---:|---:|\n| {} | {} | {} | {} | {} |\n\n",
        m.create, m.update, m.upgrade, m.replace, m.delete
    );
    s
}

fn shows(c: &Change) -> bool {
    c.action.is_change() || (c.action == Action::Read && c.reason.is_some())
}

fn details(c: &Change) -> String {
    let mut body = String::new();
    if let Some(r) = &c.reason {
        let _ = writeln!(body, "# (because: {r})");
    }
    for l in change_lines(c) {
        let _ = writeln!(body, "{} {}", l.sym.text(), l.text);
    }
    for l in upgrade_lines(c) {
        let _ = writeln!(body, "# {l}");
    }
    let fence = fence_for(&body);
    format!(
        "<details><summary>{} {} (disruption: {})</summary>\n\n{fence}diff\n{body}{fence}\n\n</details>\n\n",
        code(&c.address.to_string()),
        verb(c),
        c.disruption.as_str()
    )
}

/// A backtick fence longer than any backtick run inside the body.
fn fence_for(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for ch in body.chars() {
        run = if ch == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

/// Inline code safe inside tables and HTML: `<code>` with HTML and `|` escaped.
fn code(s: &str) -> String {
    format!("<code>{}</code>", cell(s))
}

fn cell(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "&#124;")
        .replace('\n', " ")
}

/// The first line of `s`, at most `max` characters.
fn one_line(s: &str, max: usize) -> String {
    let line = s.lines().next().unwrap_or_default();
    if line.chars().count() <= max {
        return line.to_string();
    }
    let mut t: String = line.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

fn truncate_chars(s: &mut String, max: usize) {
    if let Some((i, _)) = s.char_indices().nth(max) {
        s.truncate(i);
    }
}
