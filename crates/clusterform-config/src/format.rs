//! `clusterform fmt`: canonical layout of a stack file with its comments kept — `key = value`
//! spacing, no indentation, `{ a = 1 }` inline tables, one blank line before each table header,
//! no trailing whitespace, one final newline. Values and their spelling are never changed.

use std::ops::Range;

use toml_edit::{Array, DocumentMut, ImDocument, InlineTable, Item, RawString, Table, Value};

use crate::diagnostic::{Diagnostics, Sink};
use crate::raw;
use crate::source::SourceMap;
use crate::types::SourceFile;

/// Formats one file's text canonically, or reports why it is not valid TOML (at the file's path).
pub fn format_source(file: &SourceFile) -> Result<String, Diagnostics> {
    let text = file.text.as_str();
    let mut doc: DocumentMut = match text.parse() {
        Ok(d) => d,
        Err(e) => {
            let e: toml_edit::TomlError = e;
            let mut sources = SourceMap::default();
            let id = sources.add(file.path.clone(), text);
            let mut sink = Sink::default();
            sink.at(
                &sources.span(id, e.span().unwrap_or(0..0)),
                format!("invalid TOML: {}", e.message().trim_end()),
            );
            return Err(sink.finish(&sources));
        }
    };
    let root_has_values = doc.as_table().iter().any(|(_, item)| item.is_value());
    let mut first = None;
    if !root_has_values {
        first_header(doc.as_table(), &mut first);
    }
    table(doc.as_table_mut(), true, first);
    let trailing = comment_lines(raw_str(doc.trailing()), Blank::Keep);
    doc.set_trailing(trailing);
    let formatted = tidy(&doc.to_string());
    // Formatting must never change meaning; if it would, the file is left as it was.
    if same_values(text, &formatted) {
        Ok(formatted)
    } else {
        Ok(text.to_string())
    }
}

fn raw_str(r: &RawString) -> &str {
    r.as_str().unwrap_or("")
}

/// What to do with blank lines at the start of a decor.
#[derive(Clone, Copy, PartialEq)]
enum Blank {
    /// Drop them (first line of a table body or of the file).
    Drop,
    /// Keep at most one.
    Keep,
    /// Exactly one (before a table header).
    One,
}

/// The comment lines of a decor prefix, unindented, blank runs collapsed to one, leading blanks
/// handled by `lead`. The whitespace before the item on its own line is dropped.
fn comment_lines(prefix: &str, lead: Blank) -> String {
    let mut lines: Vec<&str> = prefix.split('\n').map(str::trim).collect();
    // The last piece is what precedes the item on its line: indentation, dropped.
    lines.pop();
    let mut out = String::new();
    let mut blank_run = false;
    let mut started = false;
    for line in lines {
        if line.is_empty() {
            blank_run = true;
            continue;
        }
        let lead_blank = match (started, lead) {
            (false, Blank::Drop) => false,
            (false, Blank::One) => true,
            _ => blank_run,
        };
        if lead_blank {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        blank_run = false;
        started = true;
    }
    match (started, lead) {
        (false, Blank::One) => "\n".to_string(),
        (false, Blank::Keep) if blank_run => "\n".to_string(),
        (true, _) if blank_run => out + "\n",
        _ => out,
    }
}

/// A value's trailing decor: its end-of-line comment, if any, after at least one space.
fn suffix(s: &str) -> String {
    let t = s.trim_end();
    if t.is_empty() || t.starts_with(char::is_whitespace) {
        t.to_string()
    } else {
        format!(" {t}")
    }
}

/// The document position of the first `[header]` table, which gets no blank line before it.
fn first_header(t: &Table, best: &mut Option<usize>) {
    for (_, item) in t.iter() {
        let tables: Vec<&Table> = match item {
            Item::Table(sub) => vec![sub],
            Item::ArrayOfTables(a) => a.iter().collect(),
            _ => continue,
        };
        for sub in tables {
            if !sub.is_implicit() && !sub.is_dotted() {
                if let Some(p) = sub.position() {
                    *best = Some(best.map_or(p, |b| b.min(p)));
                }
            }
            first_header(sub, best);
        }
    }
}

fn table(t: &mut Table, is_root: bool, first: Option<usize>) {
    if !is_root && !t.is_implicit() && !t.is_dotted() {
        let lead = if t.position().is_some() && t.position() == first {
            Blank::Drop
        } else {
            Blank::One
        };
        let prefix = comment_lines(t.decor().prefix().map_or("", raw_str), lead);
        let after = suffix(t.decor().suffix().map_or("", raw_str));
        t.decor_mut().set_prefix(prefix);
        t.decor_mut().set_suffix(after);
    }
    let mut first_value = true;
    for (mut key, item) in t.iter_mut() {
        match item {
            Item::Value(v) => {
                let lead = if std::mem::take(&mut first_value) {
                    Blank::Drop
                } else {
                    Blank::Keep
                };
                let prefix = comment_lines(key.leaf_decor().prefix().map_or("", raw_str), lead);
                key.leaf_decor_mut().set_prefix(prefix);
                key.leaf_decor_mut().set_suffix(" ");
                let after = suffix(v.decor().suffix().map_or("", raw_str));
                v.decor_mut().set_prefix(" ");
                v.decor_mut().set_suffix(after);
                value(v);
            }
            Item::Table(sub) if sub.is_dotted() => {
                first_value = false;
                dotted(sub);
            }
            Item::Table(sub) => table(sub, false, first),
            Item::ArrayOfTables(a) => a.iter_mut().for_each(|sub| table(sub, false, first)),
            Item::None => {}
        }
    }
}

/// `a.b = 1` lines: only their values are tidied; the dotted key keeps its spelling.
fn dotted(t: &mut Table) {
    for (_, item) in t.iter_mut() {
        match item {
            Item::Value(v) => {
                let after = suffix(v.decor().suffix().map_or("", raw_str));
                v.decor_mut().set_prefix(" ");
                v.decor_mut().set_suffix(after);
                value(v);
            }
            Item::Table(sub) if sub.is_dotted() => dotted(sub),
            _ => {}
        }
    }
}

fn value(v: &mut Value) {
    match v {
        Value::InlineTable(t) => inline_table(t),
        Value::Array(a) => array(a),
        _ => {}
    }
}

fn inline_table(t: &mut InlineTable) {
    for (_, v) in t.iter_mut() {
        value(v);
    }
    t.fmt();
    t.set_preamble("");
}

/// A one-line array is laid out as `[a, b]`; a multi-line one (which may hold comments) keeps its
/// lines, minus trailing whitespace.
fn array(a: &mut Array) {
    for v in a.iter_mut() {
        value(v);
    }
    let multiline = a.iter().any(|v| {
        let d = v.decor();
        [d.prefix(), d.suffix()]
            .into_iter()
            .flatten()
            .any(|r| raw_str(r).contains(['\n', '#']))
    }) || raw_str(a.trailing()).contains(['\n', '#']);
    if !multiline {
        a.fmt();
    }
}

/// Line-level tidying of the printed document: trailing whitespace (outside multi-line strings),
/// runs of blank lines, blank lines at the start, exactly one final newline.
fn tidy(text: &str) -> String {
    let protected = multiline_strings(text);
    let mut out = String::with_capacity(text.len());
    let mut offset = 0;
    let mut blank_run = 0;
    for line in text.split_inclusive('\n') {
        let end = offset + line.len();
        let inside = protected
            .iter()
            .any(|r| r.start < end && offset < r.end && (r.start > offset || r.end >= end));
        offset = end;
        if inside {
            out.push_str(line);
            blank_run = 0;
            continue;
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            blank_run += 1;
            if blank_run > 1 || out.is_empty() {
                continue;
            }
            out.push('\n');
            continue;
        }
        blank_run = 0;
        out.push_str(trimmed);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Byte ranges of multi-line string literals, whose lines must not be touched.
fn multiline_strings(text: &str) -> Vec<Range<usize>> {
    let Ok(doc) = ImDocument::parse(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    collect_item(doc.as_item(), text, &mut out);
    out
}

fn collect_item(item: &Item, text: &str, out: &mut Vec<Range<usize>>) {
    match item {
        Item::Value(v) => collect_value(v, text, out),
        Item::Table(t) => t.iter().for_each(|(_, i)| collect_item(i, text, out)),
        Item::ArrayOfTables(a) => a
            .iter()
            .for_each(|t| t.iter().for_each(|(_, i)| collect_item(i, text, out))),
        Item::None => {}
    }
}

fn collect_value(v: &Value, text: &str, out: &mut Vec<Range<usize>>) {
    match v {
        Value::String(_) => {
            if let Some(r) = v.span() {
                if text
                    .get(r.clone())
                    .is_some_and(|s| s.starts_with("\"\"\"") || s.starts_with("'''"))
                {
                    out.push(r);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_value(x, text, out)),
        Value::InlineTable(t) => t.iter().for_each(|(_, x)| collect_value(x, text, out)),
        _ => {}
    }
}

/// Whether two texts parse to the same values.
fn same_values(a: &str, b: &str) -> bool {
    match (raw::parse(0, a), raw::parse(0, b)) {
        (Ok(x), Ok(y)) => x.to_value() == y.to_value(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Formats `text` as the file `stack/main.toml`.
    fn fmt(text: &str) -> Result<String, Diagnostics> {
        format_source(&SourceFile {
            path: "stack/main.toml".into(),
            text: text.to_string(),
        })
    }

    const MESSY: &str = "# head comment\n\n\n[stack]\nname=\"x\"   \n  # indented comment\n  version  =   \"v1\"  # trailing   \n\n\n\n[resources.huawei_autopilot_cluster.a]\ntags={a=1,b=\"x\"}\nlist=[1,2,  3]\nmulti = [\n  \"a\", # first\n  \"b\",\n]\ntext = \"\"\"\nline with trailing   \nend\"\"\"\n[outputs.o]\na.b = 1\nvalue=\"${x}\"\n# end comment   \n\n\n";

    const CANONICAL: &str = "# head comment\n\n[stack]\nname = \"x\"\n# indented comment\nversion = \"v1\"  # trailing\n\n[resources.huawei_autopilot_cluster.a]\ntags = { a = 1, b = \"x\" }\nlist = [1, 2, 3]\nmulti = [\n  \"a\", # first\n  \"b\",\n]\ntext = \"\"\"\nline with trailing   \nend\"\"\"\n\n[outputs.o]\na.b = 1\nvalue = \"${x}\"\n# end comment\n";

    #[test]
    fn canonical_layout_keeps_comments_and_multiline_strings() {
        assert_eq!(fmt(MESSY).unwrap(), CANONICAL);
    }

    #[test]
    fn formatting_is_idempotent_and_keeps_values() {
        assert_eq!(fmt(CANONICAL).unwrap(), CANONICAL);
        for text in [
            MESSY,
            "a=1",
            "",
            "\n\n",
            "[a]\n[b]\nx=1\n[[c]]\ny=2\n[[c]]\ny=3\n",
            "x = 'lit'\n[t.u]\nk = {}\n",
        ] {
            let once = fmt(text).unwrap();
            assert_eq!(fmt(&once).unwrap(), once, "{text:?}");
            assert!(same_values(text, &once), "{text:?}");
            assert!(
                once.is_empty() || once.ends_with('\n') && !once.ends_with("\n\n"),
                "{once:?}"
            );
        }
        assert_eq!(fmt("a=1").unwrap(), "a = 1\n");
        assert_eq!(fmt("[a]\n[b]\nx=1\n").unwrap(), "[a]\n\n[b]\nx = 1\n");
    }

    #[test]
    fn invalid_toml_is_a_diagnostic() {
        let err = fmt("a = 1\nb = = 2\n").unwrap_err();
        assert_eq!(err.len(), 1);
        let d = &err.0[0];
        assert!(d.message.starts_with("invalid TOML"), "{}", d.message);
        assert_eq!(
            d.span
                .as_ref()
                .map(|s| (s.file.display().to_string(), s.line)),
            Some(("stack/main.toml".to_string(), 2))
        );
        assert!(d.render().contains("2 | b = = 2"));
        assert!(
            d.render().contains(" --> stack/main.toml:2:"),
            "{}",
            d.render()
        );
    }
}
