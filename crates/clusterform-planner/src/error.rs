//! Plan errors: every problem found while planning, collected so the user sees all of them at once.

use std::fmt;

use clusterform_config::{Diagnostic, SourceFile, Span};
use clusterform_model::Address;

/// What kind of problem a `PlanError` is, so callers can react without parsing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PlanErrorKind {
    /// Resources depend on each other in a loop.
    Cycle,
    /// A reference, `depends_on` entry or `--target`/`--replace` address names nothing.
    UnknownAddress,
    /// No schema is known for a resource type.
    UnknownType,
    /// `lifecycle.prevent_destroy` forbids a planned delete or replace.
    PreventDestroy,
    /// A replace of a guarded type (e.g. a cluster) was not allowed.
    GuardedReplace,
    /// The provider refused to plan an upgrade (a downgrade, or no upgrade path).
    Upgrade,
    /// A provider's plan-time check reported an error.
    Check,
    /// A request the planner cannot satisfy (e.g. an apply graph without a plan).
    Invalid,
}

/// One problem, with the resource it is about and, when there is one, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    pub kind: PlanErrorKind,
    pub address: Option<Address>,
    /// A lowercase fragment without a trailing period.
    pub message: String,
    pub hint: Option<String>,
    /// The config block the error is about (its `[resources.TYPE.NAME]` header), when the config
    /// still declares it.
    pub span: Option<Span>,
}

impl PlanError {
    pub fn new(kind: PlanErrorKind, address: Option<Address>, message: impl Into<String>) -> Self {
        PlanError {
            kind,
            address,
            message: message.into(),
            hint: None,
            span: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Points the error at a config block (a default span, as hand-built configs have, is none).
    pub fn at(mut self, span: Option<&Span>) -> Self {
        self.span = span.filter(|s| **s != Span::default()).cloned();
        self
    }

    /// The error as a config diagnostic: `file:line:col`, the snippet from `files` (the stack's
    /// files as loaded; without them only the place is shown) and the hint.
    pub fn to_diagnostic(&self, files: &[SourceFile]) -> Diagnostic {
        let message = match &self.address {
            Some(a) => format!("{a}: {}", self.message),
            None => self.message.clone(),
        };
        Diagnostic::located(message, self.span.clone(), files).with_hint_opt(self.hint.clone())
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(a) = &self.address {
            write!(f, "{a}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\nhint: {h}")?;
        }
        Ok(())
    }
}

/// Every error of one planning run (never empty when returned).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render_all(.errors))]
pub struct PlanErrors {
    pub errors: Vec<PlanError>,
}

fn render_all(errors: &[PlanError]) -> String {
    let head = match errors.len() {
        1 => "planning failed with 1 error".to_string(),
        n => format!("planning failed with {n} errors"),
    };
    let mut out = head;
    for e in errors {
        out.push('\n');
        out.push_str(&e.to_string());
    }
    out
}

impl PlanErrors {
    /// Every error rustc-style, each with its place, snippet and hint, after a count line.
    pub fn render(&self, files: &[SourceFile]) -> String {
        let n = self.errors.len();
        let mut out = format!("the plan has {n} error{}", if n == 1 { "" } else { "s" });
        for e in &self.errors {
            out.push_str("\n\n");
            out.push_str(&e.to_diagnostic(files).render());
        }
        out
    }

    /// `Ok(())` when `errors` is empty, otherwise the errors sorted for stable output.
    pub fn check(mut errors: Vec<PlanError>) -> Result<(), PlanErrors> {
        if errors.is_empty() {
            return Ok(());
        }
        // Sort by address then message so the same input always reports in the same order.
        errors.sort_by(|a, b| (&a.address, &a.message).cmp(&(&b.address, &b.message)));
        errors.dedup();
        Err(PlanErrors { errors })
    }

    pub fn single(e: PlanError) -> Self {
        PlanErrors { errors: vec![e] }
    }

    /// Whether any error is of `kind`.
    pub fn has(&self, kind: PlanErrorKind) -> bool {
        self.errors.iter().any(|e| e.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_lists_every_error_with_hints() {
        let a = Address::managed("t", "a");
        let errs = PlanErrors::check(vec![
            PlanError::new(PlanErrorKind::Cycle, None, "cycle: x -> y -> x"),
            PlanError::new(PlanErrorKind::PreventDestroy, Some(a), "would be destroyed")
                .with_hint("remove prevent_destroy"),
        ])
        .unwrap_err();
        let text = errs.to_string();
        assert_eq!(
            text,
            "planning failed with 2 errors\ncycle: x -> y -> x\nt.a: would be destroyed\nhint: remove prevent_destroy"
        );
        assert!(errs.has(PlanErrorKind::Cycle));
        assert!(errs.errors.iter().all(|e| e.span.is_none()));
        assert!(!errs.has(PlanErrorKind::Upgrade));
        assert!(PlanErrors::check(Vec::new()).is_ok());
    }

    #[test]
    fn errors_at_a_block_render_its_place_and_snippet() {
        let files = [SourceFile {
            path: "stack/main.toml".into(),
            text: "[stack]\nname = \"x\"\n\n[resources.t.a]\nname = \"a\"\n".into(),
        }];
        let span = Span {
            file: std::path::Path::new("stack/main.toml").into(),
            line: 4,
            col: 1,
            start: 20,
            end: 35,
        };
        let e = PlanError::new(
            PlanErrorKind::PreventDestroy,
            Some(Address::managed("t", "a")),
            "would be destroyed",
        )
        .with_hint("remove prevent_destroy")
        .at(Some(&span));
        let errs = PlanErrors::single(e);
        assert_eq!(
            errs.render(&files),
            "the plan has 1 error\n\nerror: t.a: would be destroyed\n --> stack/main.toml:4:1\n  |\n4 | [resources.t.a]\n  | ^^^^^^^^^^^^^^^\n  = hint: remove prevent_destroy"
        );
        // Without the files the place is still named.
        let text = errs.errors[0].to_diagnostic(&[]).render();
        assert!(text.contains(" --> stack/main.toml:4:1"), "{text}");
        // Hand-built configs have default spans, which point nowhere.
        let e = PlanError::new(PlanErrorKind::Invalid, None, "x").at(Some(&Span::default()));
        assert_eq!(e.span, None);
    }
}
