//! Config diagnostics: a message with its file:line:col, a source snippet with a caret and an
//! optional hint; rendered as plain text here and as a `miette::Diagnostic` for fancy renderers.

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, NamedSource, SourceCode};

pub use clusterform_model::Severity;

use crate::source::{SourceMap, SourceText};
use crate::types::{SourceFile, Span};

/// One problem found in a stack.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Option<Span>,
    pub hint: Option<String>,
    /// The source line with a caret under the span (the gutter lines of [`Diagnostic::render`]).
    pub snippet: Option<String>,
    /// The whole file the span points into, for renderers that draw their own snippets (miette).
    pub source: Option<NamedSource<Arc<str>>>,
}

impl Diagnostic {
    /// An error without a location (e.g. about a `--var` flag).
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span: None,
            hint: None,
            snippet: None,
            source: None,
        }
    }

    /// An error at `span` (if any) with its snippet and source taken from `files`, for errors
    /// found after loading (by the planner) about places in the stack's files.
    pub fn located(message: impl Into<String>, span: Option<Span>, files: &[SourceFile]) -> Self {
        let mut d = Diagnostic::error(message);
        if let Some(span) = &span {
            if let Some(f) = files.iter().find(|f| f.path.as_path() == &*span.file) {
                let text = SourceText::new(f.path.clone(), &f.text);
                d.snippet = Some(text.snippet(span, span.line.to_string().len()));
                d.source = Some(NamedSource::new(f.path.display().to_string(), text.text));
            }
        }
        d.span = span;
        d
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_hint_opt(mut self, hint: Option<String>) -> Self {
        self.hint = hint.or(self.hint);
        self
    }

    /// Width of the line-number gutter: the digits of the line number shown.
    fn gutter(&self) -> usize {
        self.span.as_ref().map_or(1, |s| s.line.to_string().len())
    }

    /// Plain text, rustc style:
    /// ```text
    /// error: unknown attribute `verison`
    ///   --> stack/main.toml:12:1
    ///    |
    /// 12 | verison = "v1.28"
    ///    | ^^^^^^^
    ///    = hint: did you mean `version`?
    /// ```
    pub fn render(&self) -> String {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = format!("{label}: {}", self.message);
        let width = self.gutter();
        let pad = " ".repeat(width);
        if let Some(span) = &self.span {
            out.push_str(&format!(
                "\n{pad}--> {}:{}:{}",
                span.file.display(),
                span.line,
                span.col
            ));
        }
        if let Some(snippet) = &self.snippet {
            out.push('\n');
            out.push_str(snippet);
        }
        if let Some(hint) = &self.hint {
            // A multi-line hint keeps its lines aligned under the first.
            let indent = format!("\n{pad}         ");
            out.push_str(&format!("\n{pad} = hint: {}", hint.replace('\n', &indent)));
        }
        out
    }

    fn sort_key(&self) -> (Option<&std::path::Path>, u32, u32) {
        match &self.span {
            Some(s) => (Some(&*s.file), s.line, s.col),
            None => (None, 0, 0),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.hint
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span.as_ref()?;
        self.source.as_ref()?;
        let len = span.end.saturating_sub(span.start);
        Some(Box::new(std::iter::once(LabeledSpan::new(
            None, span.start, len,
        ))))
    }
}

/// Every problem found in a stack; never empty when returned as an error. Sorted by file, line
/// and column, with location-less ones (about flags and the environment) first.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// All diagnostics rendered, separated by blank lines.
    pub fn render(&self) -> String {
        self.0
            .iter()
            .map(Diagnostic::render)
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "{n} problem{} in the stack configuration",
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for Diagnostics {}

impl miette::Diagnostic for Diagnostics {
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        Some(Box::new(
            self.0.iter().map(|d| d as &dyn miette::Diagnostic),
        ))
    }
}

/// A diagnostic's identity for de-duplication: its place (file, byte range) and message.
type SeenKey = (Option<(Arc<std::path::Path>, usize, usize)>, String);

/// Collects diagnostics during a load, filling in snippets from the source map at the end.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    items: Vec<Diagnostic>,
    seen: std::collections::HashSet<SeenKey>,
}

impl Sink {
    /// Records an error at `span`. The same message at the same place is kept once: a `for_each`
    /// block lowers its body once per instance and would otherwise repeat each error.
    pub fn error(&mut self, span: Option<Span>, message: impl Into<String>, hint: Option<String>) {
        let message = message.into();
        let key = (
            span.as_ref().map(|s| (s.file.clone(), s.start, s.end)),
            message.clone(),
        );
        if !self.seen.insert(key) {
            return;
        }
        let mut d = Diagnostic::error(message).with_hint_opt(hint);
        d.span = span;
        self.items.push(d);
    }

    pub fn at(&mut self, span: &Span, message: impl Into<String>) {
        self.error(Some(span.clone()), message, None);
    }

    pub fn at_hint(&mut self, span: &Span, message: impl Into<String>, hint: Option<String>) {
        self.error(Some(span.clone()), message, hint);
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sorts, attaches snippets and sources, and hands the diagnostics out.
    pub fn finish(mut self, sources: &SourceMap) -> Diagnostics {
        for d in &mut self.items {
            let Some(span) = &d.span else { continue };
            if let Some(file) = sources.by_path(&span.file) {
                d.snippet = Some(file.snippet(span, span.line.to_string().len()));
                d.source = Some(NamedSource::new(
                    file.path.display().to_string(),
                    file.text.clone(),
                ));
            }
        }
        self.items.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        Diagnostics(self.items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_snippet_and_hint() {
        let mut sources = SourceMap::default();
        let id = sources.add("stack/main.toml".into(), "[x]\nname = 4\n");
        let mut sink = Sink::default();
        sink.at_hint(
            &sources.span(id, 11..12),
            "`name` must be a string",
            Some("quote it".into()),
        );
        sink.error(None, "no variable `zone` is declared", None);
        let diags = sink.finish(&sources);
        assert_eq!(diags.len(), 2);
        assert_eq!(diags.0[0].render(), "error: no variable `zone` is declared");
        assert_eq!(
            diags.0[1].render(),
            "error: `name` must be a string\n --> stack/main.toml:2:8\n  |\n2 | name = 4\n  |        ^\n  = hint: quote it"
        );
        let label = miette::Diagnostic::labels(&diags.0[1]).and_then(|mut l| l.next());
        assert_eq!(label.map(|l| (l.offset(), l.len())), Some((11, 1)));
    }

    #[test]
    fn repeated_errors_are_kept_once() {
        let mut sources = SourceMap::default();
        let id = sources.add("a.toml".into(), "a = 1\n");
        let mut sink = Sink::default();
        for _ in 0..3 {
            sink.at(&sources.span(id, 0..1), "bad");
        }
        assert_eq!(sink.finish(&sources).len(), 1);
    }
}
