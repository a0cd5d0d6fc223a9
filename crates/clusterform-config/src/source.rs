//! The files of a stack as loaded: byte offsets turned into line and column, and source snippets
//! with a caret under a span, for diagnostics.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::types::Span;

/// Index of a file within a [`SourceMap`].
pub(crate) type FileId = usize;

/// One file's text with the byte offset of each line start.
#[derive(Debug)]
pub(crate) struct SourceText {
    pub path: Arc<Path>,
    pub text: Arc<str>,
    line_starts: Vec<usize>,
}

impl SourceText {
    pub fn new(path: PathBuf, text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        SourceText {
            path: Arc::from(path),
            text: Arc::from(text),
            line_starts,
        }
    }

    /// 0-based line index holding byte `offset` (offsets past the end land on the last line).
    fn line_index(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// The text of 0-based line `idx`, without its line ending.
    fn line_text(&self, idx: usize) -> &str {
        let start = self
            .line_starts
            .get(idx)
            .copied()
            .unwrap_or(self.text.len());
        let end = self
            .line_starts
            .get(idx + 1)
            .copied()
            .unwrap_or(self.text.len());
        let line = self.text.get(start..end).unwrap_or("");
        line.trim_end_matches(['\n', '\r'])
    }

    /// Clamps a byte range into the text and onto character boundaries.
    fn clamp(&self, range: Range<usize>) -> Range<usize> {
        let len = self.text.len();
        let mut start = range.start.min(len);
        while start > 0 && !self.text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = range.end.clamp(start, len);
        while end < len && !self.text.is_char_boundary(end) {
            end += 1;
        }
        start..end
    }

    /// A [`Span`] for a byte range: 1-based line and column (in characters).
    pub fn span(&self, range: Range<usize>) -> Span {
        let range = self.clamp(range);
        let line = self.line_index(range.start);
        let line_start = self.line_starts.get(line).copied().unwrap_or(0);
        let col = self
            .text
            .get(line_start..range.start)
            .map_or(0, |s| s.chars().count())
            + 1;
        Span {
            file: self.path.clone(),
            line: u32::try_from(line + 1).unwrap_or(u32::MAX),
            col: u32::try_from(col).unwrap_or(u32::MAX),
            start: range.start,
            end: range.end,
        }
    }

    /// The line of `span` with a caret line under it, gutter width `width`:
    /// ```text
    ///    |
    /// 12 | name = 4
    ///    |        ^
    /// ```
    pub fn snippet(&self, span: &Span, width: usize) -> String {
        let range = self.clamp(span.start..span.end);
        let line = self.line_index(range.start);
        let text = self.line_text(line);
        let line_start = self.line_starts.get(line).copied().unwrap_or(0);
        let before = self
            .text
            .get(line_start..range.start)
            .map_or(0, |s| s.chars().count());
        // The caret covers the span's part on its first line, at least one character.
        let line_end = line_start + text.len();
        let on_line = self
            .text
            .get(range.start..range.end.min(line_end).max(range.start));
        let carets = on_line.map_or(0, |s| s.chars().count()).max(1);
        let shown: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let pad = " ".repeat(width);
        format!(
            "{pad} |\n{num:>width$} | {shown}\n{pad} | {space}{carets}",
            num = line + 1,
            space = " ".repeat(before),
            carets = "^".repeat(carets),
        )
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
    }
}

/// Every file a load looked at: the stack's files and the `--var-file`s.
#[derive(Debug, Default)]
pub(crate) struct SourceMap {
    files: Vec<SourceText>,
}

impl SourceMap {
    pub fn add(&mut self, path: PathBuf, text: &str) -> FileId {
        self.files.push(SourceText::new(path, text));
        self.files.len() - 1
    }

    pub fn get(&self, id: FileId) -> Option<&SourceText> {
        self.files.get(id)
    }

    /// A span of a byte range in file `id` (a default span if the file is unknown).
    pub fn span(&self, id: FileId, range: Range<usize>) -> Span {
        self.get(id).map(|f| f.span(range)).unwrap_or_default()
    }

    pub fn by_path(&self, path: &Path) -> Option<&SourceText> {
        self.files.iter().find(|f| &*f.path == path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let src = SourceText::new("a.toml".into(), "a = 1\nnäme = \"x\"\n");
        let span = src.span(14..17);
        assert_eq!((span.line, span.col), (2, 8));
        let span = src.span(0..1);
        assert_eq!((span.line, span.col), (1, 1));
    }

    #[test]
    fn snippet_puts_caret_under_span() {
        let src = SourceText::new("a.toml".into(), "[x]\nname = 4\n");
        let span = src.span(11..12);
        assert_eq!(src.snippet(&span, 1), "  |\n2 | name = 4\n  |        ^");
    }

    #[test]
    fn out_of_range_and_mid_char_offsets_are_clamped() {
        let src = SourceText::new("a.toml".into(), "é");
        let span = src.span(1..99);
        assert_eq!((span.start, span.end), (0, 2));
        assert!(src.snippet(&span, 1).contains('^'));
        let empty = SourceText::new("b.toml".into(), "");
        assert_eq!(empty.span(5..9).line, 1);
    }
}
