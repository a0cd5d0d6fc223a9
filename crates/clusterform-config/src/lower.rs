//! Lowering a raw TOML value into an `Expr`: `${var.X}`, `${env.X}` and `${each.*}` are
//! substituted, references to resources are kept (and recorded for checking once every block is
//! known), and literal values are checked against the attribute's schema type on the way.

use std::collections::{BTreeMap, HashMap};

use clusterform_model::{Address, AttrType, InstanceKey, Mode, Value};

use crate::diagnostic::Sink;
use crate::raw::{Entry, Raw, RawKind};
use crate::source::SourceMap;
use crate::suggest;
use crate::template::{parse_template, KeySel, Piece, RefExpr};
use crate::types::{Expr, Reference, Span, Spanned, TemplatePart};

/// A declared variable as references see it. `value` is `None` when it has no usable value (that
/// error is reported once, where the variable is declared).
#[derive(Debug, Clone)]
pub(crate) struct VarSlot {
    pub value: Option<Value>,
    pub sensitive: bool,
}

pub(crate) type Variables = HashMap<String, VarSlot>;

/// One reference to a resource or data source, with what the place it is used in expects.
#[derive(Debug, Clone)]
pub(crate) struct RefUse {
    pub reference: Reference,
    /// The `${...}` in the file.
    pub span: Span,
    /// The type the receiving attribute wants; `None` when anything goes (outputs).
    pub expected: Option<AttrType>,
    /// The reference is the whole value (it keeps its type), not part of a string.
    pub alone: bool,
    /// The index of the block the reference is written in (see `Objects::order`), for the
    /// dependency graph.
    pub from: Option<usize>,
}

/// What a block allows in its expressions.
pub(crate) struct Scope<'a> {
    pub vars: &'a Variables,
    /// The environment, where `${env.X}` is allowed (backend and provider settings).
    pub env: Option<&'a BTreeMap<String, String>>,
    /// `each.key` and `each.value` inside a `for_each` block.
    pub each: Option<(&'a str, &'a Value)>,
    /// Why references to resources are not allowed here, if they are not.
    pub no_refs: Option<&'static str>,
    /// The block being lowered, recorded on its references.
    pub from: Option<usize>,
    /// Some file failed to parse: names that may be declared there are not reported as missing.
    pub incomplete: bool,
}

pub(crate) struct Lowerer<'a, 's> {
    pub sources: &'a SourceMap,
    pub sink: &'a mut Sink,
    pub scope: Scope<'s>,
    pub refs: Vec<RefUse>,
    /// A sensitive variable or the environment was substituted since this was last reset.
    pub used_sensitive: bool,
    /// The first sensitive variable substituted since this was last reset (`var.NAME`).
    pub sensitive_via: Option<String>,
}

impl Lowerer<'_, '_> {
    pub fn span(&self, raw: &Raw) -> Span {
        self.sources.span(raw.file, raw.range.clone())
    }

    /// Lowers `raw`, checking it against `ty` (`None`: untyped). `what` names the value in
    /// messages (`tags.env`). `None` means an error was reported and the value is unusable.
    pub fn lower(&mut self, raw: &Raw, ty: Option<&AttrType>, what: &str) -> Option<Spanned<Expr>> {
        let value = self.expr(raw, ty, Name::Root(what))?;
        Some(Spanned {
            value,
            span: self.span(raw),
        })
    }

    /// The expression of `raw`. Spans are made only for what keeps them (nested values that are
    /// not literals) and for errors: a large stack lowers hundreds of thousands of values.
    fn expr(&mut self, raw: &Raw, ty: Option<&AttrType>, name: Name<'_>) -> Option<Expr> {
        let lit = |v: Value| Some(Expr::Literal(v));
        let expr = match &raw.kind {
            RawKind::Str { text, exact } => return self.string(raw, text, *exact, ty, name),
            RawKind::Int(i) => lit(Value::Int(*i)),
            RawKind::Float(f) => lit(Value::Float(*f)),
            RawKind::Bool(b) => lit(Value::Bool(*b)),
            RawKind::Datetime(d) => lit(Value::String(d.clone())),
            RawKind::Array(items) => {
                let inner = match ty {
                    None => None,
                    Some(AttrType::List(t)) => Some(t.as_ref()),
                    Some(AttrType::Any) => Some(&AttrType::Any),
                    Some(t) => return self.mismatch(&self.span(raw), name, t, "list", None),
                };
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(self.expr(item, inner, Name::Index(&name, i)));
                }
                let out: Option<Vec<Expr>> = out.into_iter().collect();
                return Some(self.fold_list(out?, items));
            }
            RawKind::Table(entries) => {
                let inner = match ty {
                    None => None,
                    Some(AttrType::Map(t)) => Some(t.as_ref()),
                    Some(AttrType::Any) => Some(&AttrType::Any),
                    Some(t) => return self.mismatch(&self.span(raw), name, t, "map", None),
                };
                let mut out = Vec::with_capacity(entries.len());
                for e in entries {
                    out.push(self.expr(&e.value, inner, Name::Key(&name, &e.key)));
                }
                let out: Option<Vec<Expr>> = out.into_iter().collect();
                return Some(self.fold_map(out?, entries));
            }
        };
        if let (Some(Expr::Literal(v)), Some(t)) = (&expr, ty) {
            if !t.accepts(v) {
                return self.mismatch(&self.span(raw), name, t, v.type_name(), None);
            }
        }
        expr
    }

    /// A list of literals is itself a literal; otherwise each item keeps its span.
    fn fold_list(&self, items: Vec<Expr>, raws: &[Raw]) -> Expr {
        if items.iter().all(|i| matches!(i, Expr::Literal(_))) {
            let values = items.into_iter().filter_map(|i| match i {
                Expr::Literal(v) => Some(v),
                _ => None,
            });
            return Expr::Literal(Value::List(values.collect()));
        }
        Expr::List(
            items
                .into_iter()
                .zip(raws)
                .map(|(value, r)| Spanned {
                    value,
                    span: self.span(r),
                })
                .collect(),
        )
    }

    /// A map of literals is itself a literal; otherwise each value keeps its span.
    fn fold_map(&self, items: Vec<Expr>, entries: &[Entry]) -> Expr {
        if items.iter().all(|i| matches!(i, Expr::Literal(_))) {
            let values = items.into_iter().zip(entries).filter_map(|(i, e)| match i {
                Expr::Literal(v) => Some((e.key.clone(), v)),
                _ => None,
            });
            return Expr::Literal(Value::Map(values.collect()));
        }
        let spanned = items.into_iter().zip(entries).map(|(value, e)| {
            (
                e.key.clone(),
                Spanned {
                    value,
                    span: self.span(&e.value),
                },
            )
        });
        Expr::Map(spanned.collect())
    }

    fn mismatch<T>(
        &mut self,
        span: &Span,
        what: Name<'_>,
        ty: &AttrType,
        found: &str,
        via: Option<&str>,
    ) -> Option<T> {
        let via = via.map(|v| format!(" (from `{v}`)")).unwrap_or_default();
        let hint = match (ty, found) {
            (AttrType::String, "int" | "float" | "bool") => {
                Some("quote the value to make it a string".to_string())
            }
            _ => None,
        };
        self.sink.at_hint(
            span,
            format!("`{what}` must be {}, found {found}{via}", article(ty)),
            hint,
        );
        None
    }

    /// A string: plain text, one reference alone (keeps its type), or a template (a string).
    fn string(
        &mut self,
        raw: &Raw,
        text: &str,
        exact: bool,
        ty: Option<&AttrType>,
        name: Name<'_>,
    ) -> Option<Expr> {
        // Offsets inside an exact string map to the file (after the opening quote); otherwise
        // the whole string is the best place to point at.
        let sub = |this: &Self, r: std::ops::Range<usize>| match exact {
            true => this.sources.span(
                raw.file,
                raw.range.start + 1 + r.start..raw.range.start + 1 + r.end,
            ),
            false => this.span(raw),
        };
        let accepts_string = ty.is_none_or(|t| t.accepts(&Value::String(String::new())));
        if !text.contains('$') && accepts_string {
            return Some(Expr::Literal(Value::String(text.to_string())));
        }
        let pieces = match parse_template(text) {
            Ok(p) => p,
            Err(e) => {
                let at = sub(self, e.range);
                self.sink.at_hint(&at, e.message, e.hint);
                return None;
            }
        };
        if let [Piece::Ref { expr, range }] = pieces.as_slice() {
            let at = sub(self, range.clone());
            return match self.resolve(expr, &at, ty, true)? {
                Resolved::Value(v, via) => match ty {
                    Some(t) if !t.accepts(&v) => {
                        self.mismatch(&at, name, t, v.type_name(), Some(&via))
                    }
                    _ => Some(Expr::Literal(v)),
                },
                Resolved::Ref(r) => Some(Expr::Ref(Box::new(r))),
            };
        }
        if let (Some(t), false) = (ty, accepts_string) {
            let span = self.span(raw);
            if pieces.iter().any(|p| matches!(p, Piece::Ref { .. })) {
                return self.mismatch(&span, name, t, "a string template", None);
            }
            // `"2"` where a number is wanted is most likely a quoted number.
            let scalar = text.parse::<f64>().is_ok() || text.parse::<bool>().is_ok();
            let hint = scalar.then(|| "remove the quotes".to_string());
            self.sink.at_hint(
                &span,
                format!("`{name}` must be {}, found string", article(t)),
                hint,
            );
            return None;
        }
        let mut parts: Vec<TemplatePart> = Vec::new();
        let mut ok = true;
        for piece in pieces {
            let (expr, range) = match piece {
                Piece::Text(t) => {
                    push_text(&mut parts, &t);
                    continue;
                }
                Piece::Ref { expr, range } => (expr, range),
            };
            let at = sub(self, range);
            match self.resolve(&expr, &at, Some(&AttrType::String), false) {
                Some(Resolved::Value(v, via)) => match interpolate(&v) {
                    Some(s) => push_text(&mut parts, &s),
                    None => {
                        let msg = format!(
                            "cannot put a {} into a string (from `{via}`)",
                            v.type_name()
                        );
                        let hint =
                            format!("use the reference alone, as the whole value: \"${{{via}}}\"");
                        self.sink.at_hint(&at, msg, Some(hint));
                        ok = false;
                    }
                },
                Some(Resolved::Ref(r)) => parts.push(TemplatePart::Ref(r)),
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        Some(match parts.as_slice() {
            [] => Expr::Literal(Value::String(String::new())),
            [TemplatePart::Text(t)] => Expr::Literal(Value::String(t.clone())),
            _ => Expr::Template(parts),
        })
    }

    /// What a `${...}` stands for here: a value substituted at load, or a reference kept.
    fn resolve(
        &mut self,
        expr: &RefExpr,
        at: &Span,
        expected: Option<&AttrType>,
        alone: bool,
    ) -> Option<Resolved> {
        match expr {
            RefExpr::Var { name, path } => {
                let Some(slot) = self.scope.vars.get(name) else {
                    if !self.scope.incomplete {
                        let hint = suggest::did_you_mean(name, self.scope.vars.keys());
                        let hint = hint.or_else(|| {
                            Some(format!("declare it in a `[variables.{name}]` table"))
                        });
                        self.sink
                            .at_hint(at, format!("no variable `{name}` is declared"), hint);
                    }
                    return None;
                };
                if slot.sensitive {
                    self.used_sensitive = true;
                    self.sensitive_via
                        .get_or_insert_with(|| dotted("var", name, &[]));
                }
                let value = slot.value.as_ref()?;
                let via = dotted("var", name, path);
                let v = self.index(value, path, at, &format!("variable `{name}`"))?;
                Some(Resolved::Value(v, via))
            }
            RefExpr::Env { name } => {
                let Some(env) = self.scope.env else {
                    let hint = "`${env.X}` may be used only in `[backend]` and `[providers.X]`; use a variable here (set it with CLUSTERFORM_VAR_NAME)";
                    self.sink.at_hint(
                        at,
                        format!("`${{env.{name}}}` is not allowed here"),
                        Some(hint.into()),
                    );
                    return None;
                };
                self.used_sensitive = true;
                match env.get(name) {
                    Some(v) => Some(Resolved::Value(
                        Value::String(v.clone()),
                        format!("env.{name}"),
                    )),
                    None => {
                        self.sink.at_hint(
                            at,
                            format!("environment variable `{name}` is not set"),
                            Some(format!("export {name}=...")),
                        );
                        None
                    }
                }
            }
            RefExpr::EachKey | RefExpr::EachValue { .. } => {
                let Some((key, value)) = self.scope.each else {
                    let hint = "`each.key` and `each.value` exist only in a block with `for_each`";
                    self.sink
                        .at_hint(at, "`each` used outside `for_each`", Some(hint.into()));
                    return None;
                };
                match expr {
                    RefExpr::EachValue { path } => {
                        let v = self.index(value, path, at, "`each.value`")?;
                        Some(Resolved::Value(v, dotted("each", "value", path)))
                    }
                    _ => Some(Resolved::Value(
                        Value::String(key.to_string()),
                        "each.key".into(),
                    )),
                }
            }
            RefExpr::Object {
                mode,
                type_name,
                name,
                key,
                path,
            } => {
                if let Some(why) = self.scope.no_refs {
                    let kind = if *mode == Mode::Data {
                        "data sources"
                    } else {
                        "resources"
                    };
                    self.sink.at(at, format!("{why} cannot refer to {kind}"));
                    return None;
                }
                let key = match key {
                    None => None,
                    Some(KeySel::Lit(k)) => Some(k.clone()),
                    Some(KeySel::Ref(inner)) => match self.resolve(inner, at, None, false)? {
                        // A broken `for_each` was reported already.
                        Resolved::Value(Value::Unknown, _) => return None,
                        Resolved::Value(v, via) => match interpolate(&v) {
                            Some(k) => Some(k),
                            None => {
                                let msg = format!(
                                    "an instance key must be a string, but `{via}` is {}",
                                    describe_value(&v)
                                );
                                self.sink.at(at, msg);
                                return None;
                            }
                        },
                        Resolved::Ref(_) => return None,
                    },
                };
                let target = Address {
                    mode: *mode,
                    type_name: type_name.clone(),
                    name: name.clone(),
                    key: key.map(InstanceKey::Str),
                };
                let reference = Reference {
                    target,
                    path: path.clone(),
                };
                self.refs.push(RefUse {
                    reference: reference.clone(),
                    span: at.clone(),
                    expected: expected.cloned(),
                    alone,
                    from: self.scope.from,
                });
                Some(Resolved::Ref(reference))
            }
        }
    }

    /// Follows `path` into a map or list value.
    fn index(&mut self, value: &Value, path: &[String], at: &Span, what: &str) -> Option<Value> {
        let mut cur = value;
        for (i, seg) in path.iter().enumerate() {
            let next = match cur {
                // `each.value` of a block whose `for_each` is broken: that error is already out.
                Value::Unknown => return Some(Value::Unknown),
                Value::Map(m) => m.get(seg),
                Value::List(l) => seg.parse::<usize>().ok().and_then(|n| l.get(n)),
                _ => None,
            };
            match next {
                Some(v) => cur = v,
                None => {
                    let shown = path.get(..i).map(|p| p.join(".")).unwrap_or_default();
                    let inside = if shown.is_empty() {
                        what.to_string()
                    } else {
                        format!("{what} at `{shown}`")
                    };
                    let hint = cur
                        .as_map()
                        .and_then(|m| suggest::did_you_mean(seg, m.keys()));
                    let msg = format!("{inside} has no `{seg}` (it is {})", describe_value(cur));
                    self.sink.at_hint(at, msg, hint);
                    return None;
                }
            }
        }
        Some(cur.clone())
    }
}

/// A value's name in messages, rendered only when a message needs it: `tags.env`, `list[0]`.
#[derive(Clone, Copy)]
enum Name<'p> {
    Root(&'p str),
    Key(&'p Name<'p>, &'p str),
    Index(&'p Name<'p>, usize),
}

impl std::fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Name::Root(s) => f.write_str(s),
            Name::Key(parent, k) => write!(f, "{parent}.{k}"),
            Name::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

enum Resolved {
    /// A value substituted at load, with the reference text it came from.
    Value(Value, String),
    Ref(Reference),
}

fn dotted(head: &str, name: &str, path: &[String]) -> String {
    let mut s = format!("{head}.{name}");
    for p in path {
        s.push('.');
        s.push_str(p);
    }
    s
}

fn describe_value(v: &Value) -> String {
    match v {
        Value::Map(m) => {
            let keys: Vec<&str> = m.keys().map(String::as_str).take(8).collect();
            format!("a map with keys {}", keys.join(", "))
        }
        Value::List(l) => format!("a list of {}", l.len()),
        other => format!("a {}", other.type_name()),
    }
}

/// "a string", "an int", "a list(string)".
pub(crate) fn article(ty: &AttrType) -> String {
    let d = ty.describe();
    match d.chars().next() {
        Some('a' | 'i') => format!("an {d}"),
        _ => format!("a {d}"),
    }
}

/// A scalar as text inside a string; lists, maps and null do not go into strings.
fn interpolate(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Unknown => Some(String::new()),
        _ => None,
    }
}

fn push_text(parts: &mut Vec<TemplatePart>, text: &str) {
    if let Some(TemplatePart::Text(last)) = parts.last_mut() {
        last.push_str(text);
    } else if !text.is_empty() {
        parts.push(TemplatePart::Text(text.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;
    use crate::types::Expr;
    use clusterform_model::Value;

    fn with_attr(line: &str) -> String {
        format!("{PROVIDER}[variables.list]\ndefault = [\"a\"]\n\n[variables.n]\ndefault = 3\n\n{}{line}\n", cluster("c"))
    }

    #[test]
    fn wrong_literal_types_name_the_attribute_and_hint() {
        let d = one_error(&with_attr("description = 4"));
        assert_eq!(d.message, "`description` must be a string, found int");
        assert_eq!(
            d.hint.as_deref(),
            Some("quote the value to make it a string")
        );
        assert_eq!(
            one_error(&with_attr("tags = { a = 1 }")).message,
            "`tags.a` must be a string, found int"
        );
        assert_eq!(
            one_error(&with_attr("eni_subnet_ids = \"s\"")).message,
            "`eni_subnet_ids` must be a list(string), found string"
        );
        assert_eq!(
            one_error(&with_attr("tags = [\"a\"]")).message,
            "`tags` must be a map(string), found list"
        );
        let d = one_error(&with_attr("description = \"${var.list}\""));
        assert_eq!(
            d.message,
            "`description` must be a string, found list (from `var.list`)"
        );
    }

    #[test]
    fn variables_substitute_alone_with_their_type_and_in_strings_as_text() {
        let c = ok(&with_attr(
            "upgrade = \"${var.n}\"\ndescription = \"n=${var.n} $${literal}\"",
        ));
        let attrs = &c.resources[0].attrs;
        assert_eq!(attrs["upgrade"].value, Expr::Literal(Value::Int(3)));
        assert_eq!(
            attrs["description"].value,
            Expr::Literal(Value::str("n=3 ${literal}"))
        );
        let d = one_error(&with_attr("description = \"x-${var.list}\""));
        assert_eq!(
            d.message,
            "cannot put a list into a string (from `var.list`)"
        );
        assert_eq!(
            d.hint.as_deref(),
            Some("use the reference alone, as the whole value: \"${var.list}\"")
        );
    }

    #[test]
    fn reference_errors_point_inside_the_string() {
        let d = one_error(&with_attr("description = \"a ${var.nn} b\""));
        assert_eq!(d.message, "no variable `nn` is declared");
        assert_eq!(d.hint.as_deref(), Some("did you mean `n`?"));
        let span = d.span.unwrap();
        assert_eq!(span.end - span.start, "${var.nn}".len());
        assert_eq!(span.col, 18);
        let d = one_error(&with_attr("description = \"${upper(var.n)}\""));
        assert!(
            d.message.starts_with("invalid reference `${upper(var.n)}`"),
            "{}",
            d.message
        );
        assert_eq!(
            one_error(&with_attr("description = \"${var.n\"")).message,
            "unterminated `${`"
        );
    }

    #[test]
    fn env_is_only_allowed_in_backend_and_providers() {
        let d = one_error(&with_attr("description = \"${env.HOME}\""));
        assert_eq!(d.message, "`${env.HOME}` is not allowed here");
        assert!(d.hint.unwrap().contains("[providers.X]"));
        let d = one_error("[outputs.o]\nvalue = \"${env.HOME}\"\n");
        assert_eq!(d.message, "`${env.HOME}` is not allowed here");
    }

    #[test]
    fn each_outside_for_each_is_an_error() {
        let d = one_error(&with_attr("description = \"${each.key}\""));
        assert_eq!(d.message, "`each` used outside `for_each`");
    }

    #[test]
    fn nested_variable_paths() {
        let text = format!(
            "[variables.m]\ndefault = {{ a = {{ b = [\"x\", \"y\"] }} }}\n{}",
            with_attr("description = \"${var.m.a.b[1]}\"")
        );
        assert_eq!(
            ok(&text).resources[0].attrs["description"].value,
            Expr::Literal(Value::str("y"))
        );
        let text = format!(
            "[variables.m]\ndefault = {{ a = 1 }}\n{}",
            with_attr("description = \"${var.m.b}\"")
        );
        let d = one_error(&text);
        assert_eq!(
            d.message,
            "variable `m` has no `b` (it is a map with keys a)"
        );
    }
}
