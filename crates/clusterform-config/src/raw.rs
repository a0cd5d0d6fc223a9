//! The raw file schema: a TOML document parsed with `toml_edit` and copied into a small owned tree
//! that keeps the byte range of every key and value, before any meaning is given to it.

use std::ops::Range;

use clusterform_model::Value;
use toml_edit::{ImDocument, Item, Table, Value as TomlValue};

use crate::source::FileId;

/// A TOML value with where it was written.
#[derive(Debug, Clone)]
pub(crate) struct Raw {
    pub kind: RawKind,
    /// The value's bytes; for a `[header]` table, the header.
    pub range: Range<usize>,
    pub file: FileId,
}

#[derive(Debug, Clone)]
pub(crate) enum RawKind {
    /// A string; `exact` when the source between the quotes is the string itself (no escapes),
    /// so that an offset inside the string is an offset inside the file.
    Str {
        text: String,
        exact: bool,
    },
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Dates and times are kept as their text.
    Datetime(String),
    Array(Vec<Raw>),
    Table(Vec<Entry>),
}

/// A key of a table with its value.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub key: String,
    pub key_range: Range<usize>,
    pub value: Raw,
}

impl Raw {
    pub fn as_table(&self) -> Option<&[Entry]> {
        match &self.kind {
            RawKind::Table(e) => Some(e),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            RawKind::Str { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The name of the value's TOML type, for diagnostics.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            RawKind::Str { .. } => "string",
            RawKind::Int(_) => "int",
            RawKind::Float(_) => "float",
            RawKind::Bool(_) => "bool",
            RawKind::Datetime(_) => "datetime",
            RawKind::Array(_) => "list",
            RawKind::Table(_) => "table",
        }
    }
}

/// A parsed file, or the message and byte range of its first syntax error.
pub(crate) type Parsed = Result<Raw, (String, Range<usize>)>;

/// Parses one file. The error is the message and byte range of the first syntax error.
pub(crate) fn parse(file: FileId, text: &str) -> Parsed {
    let doc = ImDocument::parse(text).map_err(|e| {
        let range = e.span().unwrap_or(0..0);
        (e.message().trim_end().to_string(), range)
    })?;
    let conv = Converter { file, text };
    let root = conv.table(doc.as_table(), 0..0);
    Ok(root)
}

/// Stacks this large (in bytes, over several files) are parsed on a few threads.
const PARALLEL_BYTES: usize = 256 * 1024;
const MAX_THREADS: usize = 4;

/// Parses several files, in input order. A large multi-file stack is split over a few scoped
/// threads, since parsing is most of the time a load takes.
pub(crate) fn parse_all(inputs: &[(FileId, &str)]) -> Vec<Parsed> {
    let total: usize = inputs.iter().map(|(_, t)| t.len()).sum();
    if inputs.len() < 2 || total < PARALLEL_BYTES {
        return inputs.iter().map(|(id, text)| parse(*id, text)).collect();
    }
    let threads = inputs.len().min(MAX_THREADS);
    let mut slots: Vec<Option<Parsed>> = inputs.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mine = inputs.iter().enumerate().skip(t).step_by(threads);
                    mine.map(|(i, (id, text))| (i, parse(*id, text)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            // A parser panic is a bug; it is re-raised here rather than hidden.
            let done = h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            for (i, r) in done {
                if let Some(slot) = slots.get_mut(i) {
                    *slot = Some(r);
                }
            }
        }
    });
    slots
        .into_iter()
        .map(|s| s.unwrap_or_else(|| Err(("file was not parsed".into(), 0..0))))
        .collect()
}

/// Parses one TOML value written alone (`--var k=v`); `None` if it is not one.
pub(crate) fn parse_value(text: &str) -> Option<Raw> {
    let v: TomlValue = text.trim().parse().ok()?;
    Some(Converter { file: 0, text }.value(&v, 0..0))
}

impl Raw {
    /// The literal value, with no interpolation (variable defaults, var files, `--var`).
    pub fn to_value(&self) -> Value {
        match &self.kind {
            RawKind::Str { text, .. } => Value::String(text.clone()),
            RawKind::Int(i) => Value::Int(*i),
            RawKind::Float(f) => Value::Float(*f),
            RawKind::Bool(b) => Value::Bool(*b),
            RawKind::Datetime(d) => Value::String(d.clone()),
            RawKind::Array(items) => Value::List(items.iter().map(Raw::to_value).collect()),
            RawKind::Table(entries) => Value::Map(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_value()))
                    .collect(),
            ),
        }
    }
}

struct Converter<'a> {
    file: FileId,
    text: &'a str,
}

impl Converter<'_> {
    fn table(&self, table: &Table, fallback: Range<usize>) -> Raw {
        let mut entries = Vec::new();
        for (key, item) in table.iter() {
            let key_range = table
                .key(key)
                .and_then(|k| k.span())
                .unwrap_or_else(|| fallback.clone());
            let value = match self.item(item, key_range.clone()) {
                Some(v) => v,
                None => continue,
            };
            entries.push(Entry {
                key: key.to_string(),
                key_range,
                value,
            });
        }
        let range = table.span().map(|r| self.header(r)).unwrap_or(fallback);
        Raw {
            kind: RawKind::Table(entries),
            range,
            file: self.file,
        }
    }

    fn item(&self, item: &Item, key_range: Range<usize>) -> Option<Raw> {
        match item {
            Item::None => None,
            Item::Value(v) => Some(self.value(v, key_range)),
            Item::Table(t) => Some(self.table(t, key_range)),
            Item::ArrayOfTables(a) => {
                let items = a.iter().map(|t| self.table(t, key_range.clone())).collect();
                let range = a.span().unwrap_or(key_range);
                Some(Raw {
                    kind: RawKind::Array(items),
                    range,
                    file: self.file,
                })
            }
        }
    }

    fn value(&self, v: &TomlValue, fallback: Range<usize>) -> Raw {
        let range = v.span().unwrap_or_else(|| fallback.clone());
        let kind = match v {
            TomlValue::String(s) => {
                let text = s.value().to_string();
                let exact = self.is_exact(&text, &range);
                RawKind::Str { text, exact }
            }
            TomlValue::Integer(i) => RawKind::Int(*i.value()),
            TomlValue::Float(f) => RawKind::Float(*f.value()),
            TomlValue::Boolean(b) => RawKind::Bool(*b.value()),
            TomlValue::Datetime(d) => RawKind::Datetime(d.value().to_string()),
            TomlValue::Array(a) => {
                RawKind::Array(a.iter().map(|x| self.value(x, range.clone())).collect())
            }
            TomlValue::InlineTable(t) => {
                let mut entries = Vec::new();
                for (key, value) in t.iter() {
                    let key_range = t
                        .key(key)
                        .and_then(|k| k.span())
                        .unwrap_or_else(|| range.clone());
                    let value = self.value(value, key_range.clone());
                    entries.push(Entry {
                        key: key.to_string(),
                        key_range,
                        value,
                    });
                }
                RawKind::Table(entries)
            }
        };
        Raw {
            kind,
            range,
            file: self.file,
        }
    }

    /// A `[header]` table's span covers its body too; keep the header itself, up to its `]`.
    fn header(&self, span: Range<usize>) -> Range<usize> {
        let Some(text) = self.text.get(span.clone()) else {
            return span;
        };
        let line = text.split('\n').next().unwrap_or("");
        let line = line.split(" #").next().unwrap_or(line).trim_end();
        span.start..span.start + line.len()
    }

    /// True when the source of a one-line string literal is its quote, the text, its quote.
    fn is_exact(&self, text: &str, range: &Range<usize>) -> bool {
        let Some(src) = self.text.get(range.clone()) else {
            return false;
        };
        src.len() == text.len() + 2 && src.get(1..src.len() - 1) == Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(raw: &'a Raw, key: &str) -> &'a Entry {
        raw.as_table()
            .and_then(|t| t.iter().find(|e| e.key == key))
            .unwrap()
    }

    #[test]
    fn keeps_key_and_value_ranges() {
        let text = "[resources.t_x.a]\nname = \"n\"\ntags = { k = 'v' }\n";
        let root = parse(0, text).unwrap();
        let a = entry(&entry(&entry(&root, "resources").value, "t_x").value, "a");
        assert_eq!(&text[a.key_range.clone()], "a");
        assert_eq!(&text[a.value.range.clone()], "[resources.t_x.a]");
        let name = entry(&a.value, "name");
        assert_eq!(&text[name.key_range.clone()], "name");
        assert!(matches!(&name.value.kind, RawKind::Str { text, exact: true } if text == "n"));
        let k = entry(&entry(&a.value, "tags").value, "k");
        assert_eq!(&text[k.value.range.clone()], "'v'");
    }

    #[test]
    fn escaped_strings_are_not_exact() {
        let root = parse(0, "a = \"x\\ty\"\n").unwrap();
        assert!(matches!(
            &entry(&root, "a").value.kind,
            RawKind::Str { exact: false, .. }
        ));
    }

    #[test]
    fn single_values_parse() {
        assert_eq!(parse_value("3").map(|r| r.to_value()), Some(Value::Int(3)));
        assert_eq!(
            parse_value("[1, \"a\"]").map(|r| r.to_value()),
            Some(Value::List(vec![Value::Int(1), Value::str("a")]))
        );
        assert!(parse_value("ap-southeast-1").is_none());
    }

    #[test]
    fn syntax_error_has_position() {
        let (msg, range) = parse(0, "a = 1\nb = \n").unwrap_err();
        assert!(!msg.is_empty());
        assert!(range.start >= 6, "{range:?}");
    }
}
