//! Variables: `[variables.X]` declarations and their values from the default, `--var k=v`,
//! `--var-file`s and `CLUSTERFORM_VAR_k`, in rising precedence (DESIGN §3), checked against the
//! declared type.

use std::collections::BTreeMap;

use clusterform_model::{AttrType, Value};

use crate::collect::{Block, Collected};
use crate::diagnostic::Sink;
use crate::lower::{VarSlot, Variables};
use crate::raw::{parse_value, Raw, RawKind};
use crate::source::SourceMap;
use crate::suggest;
use crate::types::{LoadOptions, VariableConfig};

const KEYS: &[&str] = &["default", "description", "type", "sensitive"];
const TYPES: &[&str] = &["string", "number", "bool", "list", "map", "any"];

/// The environment prefix of variable values.
pub const ENV_PREFIX: &str = "CLUSTERFORM_VAR_";

fn type_of(word: &str) -> Option<AttrType> {
    Some(match word {
        "string" => AttrType::String,
        "number" => AttrType::Float,
        "bool" => AttrType::Bool,
        "list" => AttrType::List(Box::new(AttrType::Any)),
        "map" => AttrType::Map(Box::new(AttrType::Any)),
        "any" => AttrType::Any,
        _ => return None,
    })
}

/// Where a variable's value came from, for messages.
enum Origin<'a> {
    File(&'a Raw),
    Flag,
    Env,
}

pub(crate) struct Resolver<'a> {
    pub sources: &'a SourceMap,
    pub sink: &'a mut Sink,
}

impl Resolver<'_> {
    /// Resolves every declared variable. `var_files` are the parsed `--var-file`s, in order.
    pub fn resolve(
        &mut self,
        col: &Collected<'_>,
        var_files: &[&Raw],
        opts: &LoadOptions,
    ) -> (Variables, BTreeMap<String, VariableConfig>) {
        let mut slots = Variables::new();
        let mut configs = BTreeMap::new();
        for file in var_files {
            for e in file.as_table().unwrap_or(&[]) {
                if !col.variables.contains_key(&e.key) {
                    let at = self.sources.span(e.value.file, e.key_range.clone());
                    let hint = suggest::did_you_mean(&e.key, col.variables.keys());
                    self.sink.at_hint(
                        &at,
                        format!("no variable `{}` is declared in the stack", e.key),
                        hint,
                    );
                }
            }
        }
        for (name, _) in &opts.vars {
            if !col.variables.contains_key(name) {
                let hint = suggest::did_you_mean(name, col.variables.keys())
                    .or_else(|| Some(format!("declare it in a `[variables.{name}]` table")));
                self.sink.error(
                    None,
                    format!("`--var {name}=...`: no variable `{name}` is declared in the stack"),
                    hint,
                );
            }
        }
        for (name, block) in &col.variables {
            let (slot, config) = self.variable(name, *block, var_files, opts);
            slots.insert(name.clone(), slot);
            if let Some(c) = config {
                configs.insert(name.clone(), c);
            }
        }
        (slots, configs)
    }

    fn variable(
        &mut self,
        name: &str,
        block: Block<'_>,
        var_files: &[&Raw],
        opts: &LoadOptions,
    ) -> (VarSlot, Option<VariableConfig>) {
        let header = block.span(self.sources);
        let mut ty = AttrType::Any;
        let mut description = String::new();
        let mut sensitive = false;
        let mut default: Option<&Raw> = None;
        let mut ok = true;
        for e in block.entries() {
            let at = self.sources.span(e.value.file, e.value.range.clone());
            match (e.key.as_str(), &e.value.kind) {
                ("default", _) => default = Some(&e.value),
                ("description", RawKind::Str { text, .. }) => description = text.clone(),
                ("sensitive", RawKind::Bool(b)) => sensitive = *b,
                ("type", RawKind::Str { text, .. }) => match type_of(text) {
                    Some(t) => ty = t,
                    None => {
                        self.sink.at_hint(
                            &at,
                            format!("unknown variable type `{text}`"),
                            suggest::hint_or_list(text, TYPES),
                        );
                        ok = false;
                    }
                },
                ("description" | "type", _) => {
                    self.sink.at(
                        &at,
                        format!(
                            "`{}` must be a string, found {}",
                            e.key,
                            e.value.type_name()
                        ),
                    );
                }
                ("sensitive", _) => self.sink.at(
                    &at,
                    format!("`sensitive` must be a bool, found {}", e.value.type_name()),
                ),
                (other, _) => {
                    let at = self.sources.span(e.value.file, e.key_range.clone());
                    let hint = suggest::hint_or_list(other, KEYS);
                    self.sink.at_hint(
                        &at,
                        format!("unknown key `{other}` in variable `{name}`"),
                        hint,
                    );
                }
            }
        }
        // Later sources win: default, then --var in order, then var files in order, then env.
        let mut value: Option<(Value, Origin)> = default.map(|d| (d.to_value(), Origin::File(d)));
        if let Some((_, text)) = opts.vars.iter().rev().find(|(k, _)| k == name) {
            value = Some((from_text(text, &ty), Origin::Flag));
        }
        for file in var_files {
            if let Some(e) = file
                .as_table()
                .unwrap_or(&[])
                .iter()
                .find(|e| e.key == name)
            {
                value = Some((e.value.to_value(), Origin::File(&e.value)));
            }
        }
        if let Some(text) = opts.env.get(&format!("{ENV_PREFIX}{name}")) {
            value = Some((from_text(text, &ty), Origin::Env));
        }
        let Some((value, origin)) = value else {
            let hint =
                format!("set a default, pass `--var {name}=VALUE`, or set {ENV_PREFIX}{name}");
            self.sink.at_hint(
                &header,
                format!("variable `{name}` has no value"),
                Some(hint),
            );
            return (
                VarSlot {
                    value: None,
                    sensitive,
                },
                None,
            );
        };
        if !ty.accepts(&value) {
            let (at, from) = match origin {
                Origin::File(raw) => (
                    Some(self.sources.span(raw.file, raw.range.clone())),
                    String::new(),
                ),
                Origin::Flag => (None, format!(" (from `--var {name}`)")),
                Origin::Env => (None, format!(" (from {ENV_PREFIX}{name})")),
            };
            let msg = format!(
                "variable `{name}` must be {}, found {}{from}",
                describe(&ty),
                value.type_name()
            );
            self.sink.error(at, msg, None);
            ok = false;
        }
        if !ok {
            return (
                VarSlot {
                    value: None,
                    sensitive,
                },
                None,
            );
        }
        let config = VariableConfig {
            name: name.to_string(),
            value: value.clone(),
            description,
            sensitive,
            span: header,
        };
        (
            VarSlot {
                value: Some(value),
                sensitive,
            },
            Some(config),
        )
    }
}

/// The declared type's name as written in `type = "..."`.
fn describe(ty: &AttrType) -> &'static str {
    match ty {
        AttrType::String => "a string",
        AttrType::Float | AttrType::Int => "a number",
        AttrType::Bool => "a bool",
        AttrType::List(_) => "a list",
        AttrType::Map(_) => "a map",
        AttrType::Any => "any value",
    }
}

/// A value given as text (`--var`, environment): a string variable takes it as it is; others
/// parse it as a TOML value when it is one (`3`, `true`, `["a"]`), else take the string.
fn from_text(text: &str, ty: &AttrType) -> Value {
    if *ty == AttrType::String {
        return Value::String(text.to_string());
    }
    match parse_value(text) {
        Some(raw) => raw.to_value(),
        None => Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;
    use crate::{load, SourceFile};
    use clusterform_model::Value;

    const DECL: &str = "[variables.region]\ndefault = \"d\"\n\n[variables.count]\ntype = \"number\"\ndefault = 1\n";

    fn value_of(o: &crate::LoadOptions, name: &str) -> Value {
        let c = load(&files(&[("main.toml", DECL)]), o, &schemas()).unwrap();
        c.variables[name].value.clone()
    }

    #[test]
    fn precedence_default_then_flags_then_files_then_env() {
        let mut o = opts();
        assert_eq!(value_of(&o, "region"), Value::str("d"));
        o.vars.push(("region".into(), "flag1".into()));
        o.vars.push(("region".into(), "flag2".into()));
        o.vars.push(("count".into(), "7".into()));
        assert_eq!(value_of(&o, "region"), Value::str("flag2"));
        assert_eq!(value_of(&o, "count"), Value::Int(7));
        // A var file beats `--var`; the later file wins.
        o.var_files.push(SourceFile {
            path: "a.tfvars.toml".into(),
            text: "region = \"file1\"\n".into(),
        });
        assert_eq!(value_of(&o, "region"), Value::str("file1"));
        assert_eq!(value_of(&o, "count"), Value::Int(7));
        o.var_files.push(SourceFile {
            path: "b.toml".into(),
            text: "region = \"file2\"\ncount = 5\n".into(),
        });
        assert_eq!(value_of(&o, "region"), Value::str("file2"));
        assert_eq!(value_of(&o, "count"), Value::Int(5));
        // The environment beats both.
        o.env.insert("CLUSTERFORM_VAR_region".into(), "env".into());
        o.env.insert("CLUSTERFORM_VAR_count".into(), "9".into());
        assert_eq!(value_of(&o, "region"), Value::str("env"));
        assert_eq!(value_of(&o, "count"), Value::Int(9));
    }

    #[test]
    fn string_variables_take_flag_text_as_is() {
        let mut o = opts();
        o.vars.push(("region".into(), "1.30".into()));
        let text = "[variables.region]\ntype = \"string\"\n";
        let c = load(&files(&[("main.toml", text)]), &o, &schemas()).unwrap();
        assert_eq!(c.variables["region"].value, Value::str("1.30"));
    }

    #[test]
    fn missing_values_and_undeclared_inputs_are_errors() {
        let mut o = opts();
        o.vars.push(("regoin".into(), "x".into()));
        o.var_files.push(SourceFile {
            path: "v.toml".into(),
            text: "zone = 1\n".into(),
        });
        let err = load(
            &files(&[("main.toml", "[variables.region]\ndescription = \"r\"\n")]),
            &o,
            &schemas(),
        )
        .unwrap_err();
        let msgs: Vec<(&str, Option<&str>)> = err
            .iter()
            .map(|d| (d.message.as_str(), d.hint.as_deref()))
            .collect();
        assert_eq!(
            msgs,
            vec![
                (
                    "`--var regoin=...`: no variable `regoin` is declared in the stack",
                    Some("did you mean `region`?")
                ),
                (
                    "variable `region` has no value",
                    Some("set a default, pass `--var region=VALUE`, or set CLUSTERFORM_VAR_region")
                ),
                ("no variable `zone` is declared in the stack", None),
            ]
        );
        assert_eq!(
            err.0[2].span.as_ref().map(|s| s.file.display().to_string()),
            Some("v.toml".into())
        );
    }

    #[test]
    fn types_are_checked_wherever_the_value_comes_from() {
        assert_eq!(
            errors("[variables.a]\ntype = \"number\"\ndefault = \"x\"\n"),
            vec!["variable `a` must be a number, found string"]
        );
        let mut o = opts();
        o.env.insert("CLUSTERFORM_VAR_a".into(), "[1]".into());
        assert_eq!(
            errors_with("[variables.a]\ntype = \"bool\"\ndefault = true\n", &o),
            vec!["variable `a` must be a bool, found list (from CLUSTERFORM_VAR_a)"]
        );
        let d = one_error("[variables.a]\ntype = \"strng\"\ndefault = \"x\"\n");
        assert_eq!(
            (d.message.as_str(), d.hint.as_deref()),
            (
                "unknown variable type `strng`",
                Some("did you mean `string`?")
            )
        );
        let d = one_error("[variables.a]\ndefualt = \"x\"\ndefault = 1\n");
        assert_eq!(
            (d.message.as_str(), d.hint.as_deref()),
            (
                "unknown key `defualt` in variable `a`",
                Some("did you mean `default`?")
            )
        );
    }
}
