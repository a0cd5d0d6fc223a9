//! The attribute lines shared by the human and Markdown renderings: one line per difference,
//! with its symbol, the value text (`(sensitive)`, `(known after apply)`) and `similar` diffs for
//! multi-line strings.

use clusterform_model::{Action, AttrChange, Change, Value};

use super::is_sensitive;

/// The symbol in front of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sym {
    Add,
    Remove,
    Change,
    Replace,
    ReplaceCreateFirst,
    Read,
    /// A continuation line (multi-line values, notes).
    Blank,
}

impl Sym {
    pub fn text(self) -> &'static str {
        match self {
            Sym::Add => "+",
            Sym::Remove => "-",
            Sym::Change => "~",
            Sym::Replace => "-/+",
            Sym::ReplaceCreateFirst => "+/-",
            Sym::Read => "<=",
            Sym::Blank => " ",
        }
    }

    /// ANSI colour code of the symbol.
    pub fn colour(self) -> &'static str {
        match self {
            Sym::Add => "32",
            Sym::Remove => "31",
            Sym::Change => "33",
            Sym::Replace | Sym::ReplaceCreateFirst => "35",
            Sym::Read => "36",
            Sym::Blank => "0",
        }
    }

    pub fn of(change: &Change) -> Sym {
        match change.action {
            Action::Create => Sym::Add,
            Action::Delete => Sym::Remove,
            Action::Update | Action::Upgrade => Sym::Change,
            Action::Replace if change.create_before_destroy => Sym::ReplaceCreateFirst,
            Action::Replace => Sym::Replace,
            Action::Read => Sym::Read,
            Action::NoOp => Sym::Blank,
        }
    }
}

/// One rendered line: a symbol and the text after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub sym: Sym,
    pub text: String,
}

/// What a change does, as in `# x will be upgraded`.
pub fn verb(change: &Change) -> &'static str {
    match change.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in-place",
        Action::Upgrade => "will be upgraded",
        Action::Replace => "must be replaced",
        Action::Delete => "will be destroyed",
        Action::Read => "will be read during apply",
        Action::NoOp => "is unchanged",
    }
}

/// A value as plans show it.
pub fn value_text(v: &Value, sensitive: bool) -> String {
    if sensitive {
        "(sensitive)".to_string()
    } else {
        v.to_string()
    }
}

/// The attribute lines of a change (for a delete: every recorded attribute; for a read: what
/// will be read).
pub fn change_lines(change: &Change) -> Vec<Line> {
    if change.action == Action::Read {
        let after = change.after.clone().unwrap_or_default();
        let diffs: Vec<AttrChange> = after
            .into_iter()
            .map(|(k, v)| AttrChange {
                path: k,
                before: None,
                after: Some(v),
                sensitive: false,
                forces_replace: false,
            })
            .collect();
        return attr_lines(&diffs, &change.sensitive_attrs);
    }
    if change.action == Action::Delete {
        let before = change.before.clone().unwrap_or_default();
        let diffs: Vec<AttrChange> = before
            .into_iter()
            .map(|(k, v)| AttrChange {
                path: k,
                before: Some(v),
                after: None,
                sensitive: false,
                forces_replace: false,
            })
            .collect();
        return attr_lines(&diffs, &change.sensitive_attrs);
    }
    attr_lines(&change.attr_changes, &change.sensitive_attrs)
}

/// Lines of attribute differences, names padded to line up the `=` signs.
pub fn attr_lines(diffs: &[AttrChange], sensitive_attrs: &[String]) -> Vec<Line> {
    let width = diffs
        .iter()
        .map(|d| d.path.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = Vec::new();
    for d in diffs {
        let sensitive = is_sensitive(d, sensitive_attrs);
        let name = format!("{:width$}", d.path);
        let suffix = if d.forces_replace {
            " # forces replacement"
        } else {
            ""
        };
        let (sym, before, after) = match (&d.before, &d.after) {
            (None, Some(a)) => (Sym::Add, None, Some(a)),
            (Some(b), None) => (Sym::Remove, Some(b), None),
            (Some(b), Some(a)) => (Sym::Change, Some(b), Some(a)),
            (None, None) => (Sym::Change, None, None),
        };
        let multi = |v: Option<&Value>| {
            !sensitive && v.and_then(Value::as_str).is_some_and(|s| s.contains('\n'))
        };
        if multi(before) || multi(after) {
            out.push(Line {
                sym,
                text: format!("{name} = <<-EOT{suffix}"),
            });
            out.extend(multiline_body(before, after));
            out.push(Line {
                sym: Sym::Blank,
                text: "  EOT".to_string(),
            });
            continue;
        }
        let text = match (before, after) {
            (Some(b), Some(a)) => format!(
                "{name} = {} -> {}",
                value_text(b, sensitive),
                value_text(a, sensitive)
            ),
            (None, Some(v)) | (Some(v), None) => format!("{name} = {}", value_text(v, sensitive)),
            (None, None) => format!("{name} = null"),
        };
        out.push(Line {
            sym,
            text: format!("{text}{suffix}"),
        });
    }
    out
}

/// The body of a multi-line string: a unified diff when both sides exist, else the lines.
fn multiline_body(before: Option<&Value>, after: Option<&Value>) -> Vec<Line> {
    let text = |v: Option<&Value>| {
        v.map(|x| {
            x.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| x.to_string())
        })
    };
    match (text(before), text(after)) {
        (Some(b), Some(a)) => {
            let diff = similar::TextDiff::from_lines(&b, &a);
            let unified = diff.unified_diff().context_radius(3).to_string();
            unified
                .lines()
                .map(|l| Line {
                    sym: Sym::Blank,
                    text: format!("    {l}"),
                })
                .collect()
        }
        (Some(only), None) | (None, Some(only)) => only
            .lines()
            .map(|l| Line {
                sym: Sym::Blank,
                text: format!("    {l}"),
            })
            .collect(),
        (None, None) => Vec::new(),
    }
}

/// Short duration text: `45s`, `12m`, `1h30m`.
pub fn duration_text(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s => format!("{}h{}m", s / 3600, (s % 3600) / 60),
    }
}

/// Lines describing an upgrade's hops and their steps.
pub fn upgrade_lines(change: &Change) -> Vec<String> {
    let hops = &change.upgrade;
    let Some(first) = hops.first() else {
        return Vec::new();
    };
    let mut path = first.from.clone();
    for h in hops {
        path.push_str(" -> ");
        path.push_str(&h.to);
    }
    let plural = if hops.len() == 1 { "hop" } else { "hops" };
    let mut out = vec![format!("upgrade path: {path} ({} {plural})", hops.len())];
    for (i, h) in hops.iter().enumerate() {
        let est = h
            .estimated_seconds
            .map(|s| format!(", about {}", duration_text(s)))
            .unwrap_or_default();
        out.push(format!("  hop {}: {} -> {}{est}", i + 1, h.from, h.to));
        for (j, s) in h.steps.iter().enumerate() {
            if s.description.is_empty() {
                out.push(format!("    {}. {}", j + 1, s.name));
            } else {
                out.push(format!("    {}. {}: {}", j + 1, s.name, s.description));
            }
        }
        if let Some(p) = &h.precheck {
            out.push(format!("    pre-check: {p}"));
        }
    }
    out
}
