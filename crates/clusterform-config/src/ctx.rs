//! What every stage of a load shares: the sources, the diagnostics sink, the resolved variables,
//! the caller's options and the provider schemas.

use std::collections::BTreeMap;

use clusterform_model::Value;

use crate::diagnostic::Sink;
use crate::lower::{Lowerer, Scope, Variables};
use crate::raw::Entry;
use crate::source::SourceMap;
use crate::suggest;
use crate::types::{LoadOptions, Schemas, Span};

pub(crate) struct Ctx<'a> {
    pub sources: &'a SourceMap,
    pub sink: Sink,
    pub vars: Variables,
    pub opts: &'a LoadOptions,
    pub schemas: &'a Schemas,
    /// A file failed to parse, so "not declared" errors could be wrong and are left out.
    pub incomplete: bool,
}

/// How a block's expressions are lowered.
#[derive(Default)]
pub(crate) struct ScopeSpec<'e> {
    pub env: bool,
    pub each: Option<(&'e str, &'e Value)>,
    pub no_refs: Option<&'static str>,
    /// Index of the block being lowered.
    pub from: Option<usize>,
}

impl Ctx<'_> {
    pub fn lowerer<'s>(&'s mut self, spec: ScopeSpec<'s>) -> Lowerer<'s, 's> {
        let scope = Scope {
            vars: &self.vars,
            env: spec.env.then_some(&self.opts.env),
            each: spec.each,
            no_refs: spec.no_refs,
            from: spec.from,
            incomplete: self.incomplete,
        };
        Lowerer {
            sources: self.sources,
            sink: &mut self.sink,
            scope,
            refs: Vec::new(),
            used_sensitive: false,
            sensitive_via: None,
        }
    }

    pub fn key_span(&self, e: &Entry) -> Span {
        self.sources.span(e.value.file, e.key_range.clone())
    }

    pub fn value_span(&self, e: &Entry) -> Span {
        self.sources.span(e.value.file, e.value.range.clone())
    }

    /// Reports an unknown key of a block, suggesting the closest of `known`.
    pub fn unknown_key(&mut self, e: &Entry, what: &str, known: &[&str]) {
        let at = self.key_span(e);
        let hint = suggest::hint_or_list(&e.key, known);
        self.sink
            .at_hint(&at, format!("unknown key `{}` in {what}", e.key), hint);
    }

    /// Reports a value of the wrong TOML type (for fixed keys such as `description`).
    pub fn wrong_type(&mut self, e: &Entry, expected: &str) {
        let at = self.value_span(e);
        self.sink.at(
            &at,
            format!(
                "`{}` must be {expected}, found {}",
                e.key,
                e.value.type_name()
            ),
        );
    }

    /// Lowers a string-valued setting where `${var.X}` and perhaps `${env.X}` are allowed.
    pub fn setting_string(&mut self, e: &Entry, env: bool, what: &'static str) -> Option<String> {
        let spec = ScopeSpec {
            env,
            no_refs: Some(what),
            ..ScopeSpec::default()
        };
        let mut l = self.lowerer(spec);
        let expr = l.lower(&e.value, Some(&clusterform_model::AttrType::String), &e.key)?;
        match expr.value {
            crate::types::Expr::Literal(Value::String(s)) => Some(s),
            _ => None,
        }
    }
}

/// A map of known names for suggestions.
pub(crate) fn names<V>(map: &BTreeMap<String, V>) -> Vec<&str> {
    map.keys().map(String::as_str).collect()
}
