//! Gathers the blocks of every file of a stack into one set (`[stack]`, `[backend]`,
//! `[variables.X]`, `[providers.X]`, `[resources.TYPE.NAME]`, `[data.TYPE.NAME]`, `[outputs.X]`),
//! reporting unknown top-level keys, misshapen tables and blocks defined in two files.

use std::collections::btree_map::Entry as MapEntry;
use std::collections::BTreeMap;

use crate::diagnostic::Sink;
use crate::raw::{Entry, Raw, RawKind};
use crate::source::SourceMap;
use crate::suggest;
use crate::types::Span;

pub(crate) const TOP_LEVEL: &[&str] = &[
    "stack",
    "backend",
    "variables",
    "providers",
    "resources",
    "data",
    "outputs",
];

/// One block: its body and where its header (or key, for inline tables) is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Block<'a> {
    pub body: &'a Raw,
    pub entry: &'a Entry,
}

impl<'a> Block<'a> {
    /// The body's entries (empty when the body is not a table; that is reported when collecting).
    pub fn entries(&self) -> &'a [Entry] {
        self.body.as_table().unwrap_or(&[])
    }

    /// Where to point at the block as a whole: its `[header]`, or its key for an inline table.
    pub fn span(&self, sources: &SourceMap) -> Span {
        let text = sources.get(self.body.file).map(|f| f.text.clone());
        let is_header = text
            .as_deref()
            .and_then(|t| t.get(self.body.range.clone()))
            .is_some_and(|s| s.starts_with('['));
        let range = if is_header {
            self.body.range.clone()
        } else {
            self.entry.key_range.clone()
        };
        sources.span(self.body.file, range)
    }

    pub fn get(&self, key: &str) -> Option<&'a Entry> {
        self.entries().iter().find(|e| e.key == key)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Collected<'a> {
    pub stack: Option<Block<'a>>,
    pub backend: Option<Block<'a>>,
    pub variables: BTreeMap<String, Block<'a>>,
    pub providers: BTreeMap<String, Block<'a>>,
    /// Keyed by (type, name).
    pub resources: BTreeMap<(String, String), Block<'a>>,
    pub data: BTreeMap<(String, String), Block<'a>>,
    pub outputs: BTreeMap<String, Block<'a>>,
}

pub(crate) struct Collector<'a, 'b> {
    pub sources: &'b SourceMap,
    pub sink: &'b mut Sink,
    pub out: Collected<'a>,
}

impl<'a> Collector<'a, '_> {
    /// Adds the blocks of one file's root table.
    pub fn add_file(&mut self, root: &'a Raw) {
        for entry in root.as_table().unwrap_or(&[]) {
            match entry.key.as_str() {
                "stack" | "backend" => {
                    if !self.expect_table(entry, &entry.key, "a table") {
                        continue;
                    }
                    let block = Block {
                        body: &entry.value,
                        entry,
                    };
                    let slot = if entry.key == "stack" {
                        &mut self.out.stack
                    } else {
                        &mut self.out.backend
                    };
                    match slot {
                        Some(first) => {
                            let first = *first;
                            self.duplicate(&entry.key, first, block);
                        }
                        None => *slot = Some(block),
                    }
                }
                "variables" | "providers" | "outputs" => {
                    let kind = entry.key.as_str();
                    let shape = format!("`[{kind}.NAME]` tables");
                    if !self.expect_table(entry, kind, &shape) {
                        continue;
                    }
                    for child in entry.value.as_table().unwrap_or(&[]) {
                        let path = format!("{kind}.{}", child.key);
                        if !self.expect_table(child, &path, "a table") {
                            continue;
                        }
                        let block = Block {
                            body: &child.value,
                            entry: child,
                        };
                        let map = match kind {
                            "variables" => &mut self.out.variables,
                            "providers" => &mut self.out.providers,
                            _ => &mut self.out.outputs,
                        };
                        if let Some(first) = insert(map, child.key.clone(), block) {
                            self.duplicate(&path, first, block);
                        }
                    }
                }
                "resources" | "data" => self.add_objects(entry),
                other => {
                    let hint = suggest::hint_or_list(other, TOP_LEVEL);
                    let at = self.sources.span(entry.value.file, entry.key_range.clone());
                    self.sink
                        .at_hint(&at, format!("unknown top-level key `{other}`"), hint);
                }
            }
        }
    }

    /// `[resources.TYPE.NAME]` or `[data.TYPE.NAME]` blocks.
    fn add_objects(&mut self, entry: &'a Entry) {
        let kind = entry.key.as_str();
        let shape = format!("`[{kind}.TYPE.NAME]` tables");
        if !self.expect_table(entry, kind, &shape) {
            return;
        }
        for ty in entry.value.as_table().unwrap_or(&[]) {
            if !self.expect_table(ty, &format!("{kind}.{}", ty.key), &shape) {
                continue;
            }
            for obj in ty.value.as_table().unwrap_or(&[]) {
                let path = format!("{kind}.{}.{}", ty.key, obj.key);
                if !self.expect_table(
                    obj,
                    &path,
                    &format!("a table (blocks are written `[{kind}.TYPE.NAME]`)"),
                ) {
                    continue;
                }
                let block = Block {
                    body: &obj.value,
                    entry: obj,
                };
                let map = if kind == "resources" {
                    &mut self.out.resources
                } else {
                    &mut self.out.data
                };
                if let Some(first) = insert(map, (ty.key.clone(), obj.key.clone()), block) {
                    self.duplicate(&path, first, block);
                }
            }
        }
    }

    fn expect_table(&mut self, entry: &Entry, path: &str, shape: &str) -> bool {
        if matches!(entry.value.kind, RawKind::Table(_)) {
            return true;
        }
        let at = self
            .sources
            .span(entry.value.file, entry.value.range.clone());
        self.sink.at(
            &at,
            format!(
                "`{path}` must be {shape}, found {}",
                entry.value.type_name()
            ),
        );
        false
    }

    fn duplicate(&mut self, path: &str, first: Block<'a>, second: Block<'a>) {
        let a = first.span(self.sources);
        let b = second.span(self.sources);
        let msg = format!(
            "`{path}` is defined in both {} and {}",
            a.file.display(),
            b.file.display()
        );
        let hint = format!(
            "first defined at {}:{}:{}; a block may be defined in one file only",
            a.file.display(),
            a.line,
            a.col
        );
        self.sink.at_hint(&b, msg, Some(hint));
    }
}

/// Inserts unless the key is taken; returns the block already there.
fn insert<'a, K: Ord>(
    map: &mut BTreeMap<K, Block<'a>>,
    key: K,
    block: Block<'a>,
) -> Option<Block<'a>> {
    match map.entry(key) {
        MapEntry::Occupied(o) => Some(*o.get()),
        MapEntry::Vacant(v) => {
            v.insert(block);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn unknown_top_level_keys_suggest() {
        let d = one_error("[resource.huawei_autopilot_cluster.a]\n");
        assert_eq!(
            (d.message.as_str(), d.hint.as_deref()),
            (
                "unknown top-level key `resource`",
                Some("did you mean `resources`?")
            )
        );
        let d = one_error("name = \"x\"\n");
        assert_eq!(d.hint.as_deref(), Some("expected one of `stack`, `backend`, `variables`, `providers`, `resources`, `data`, `outputs`"));
    }

    #[test]
    fn misshapen_blocks() {
        assert_eq!(
            errors("variables = 3\n"),
            vec!["`variables` must be `[variables.NAME]` tables, found int"]
        );
        assert_eq!(
            errors("[resources.huawei_autopilot_cluster]\nname = \"x\"\n"),
            vec!["`resources.huawei_autopilot_cluster.name` must be a table (blocks are written `[resources.TYPE.NAME]`), found string"]
        );
        assert_eq!(
            errors("[variables]\nv = 1\n"),
            vec!["`variables.v` must be a table, found int"]
        );
    }

    #[test]
    fn inline_blocks_are_blocks() {
        let text = format!("{PROVIDER}[resources.huawei_autopilot_addon]\nx = {{ cluster_id = \"c\", template = \"t\" }}\n");
        let c = ok(&text);
        assert_eq!(
            c.resources[0].address.to_string(),
            "huawei_autopilot_addon.x"
        );
        assert_eq!((c.resources[0].span.line, c.resources[0].span.col), (6, 1));
    }
}
