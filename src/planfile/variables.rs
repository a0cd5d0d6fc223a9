//! The variable values a saved plan was made with: a digest over all of them (sensitive ones
//! included, so a change is noticed without the value ever being written), each variable's own
//! digest (to say which one moved), and the non-sensitive values themselves, which `apply FILE`
//! feeds back in as a var file so the plan is made again with the same inputs.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use clusterform_config::{Config, SourceFile};
use clusterform_model::Value;
use serde::{Deserialize, Serialize};

/// Resolved variable values as a saved plan records them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedVariables {
    /// Digest of every resolved value (see [`digest`]).
    pub sha256: String,
    pub values: BTreeMap<String, SavedVariable>,
}

/// One variable in a saved plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedVariable {
    /// Digest of this variable's value alone.
    pub sha256: String,
    #[serde(default)]
    pub sensitive: bool,
    /// The value, unless sensitive (sensitive values never reach a plan file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

impl SavedVariables {
    /// The resolved variables of a loaded stack.
    pub fn of(config: &Config) -> SavedVariables {
        let all: BTreeMap<&str, &Value> = config
            .variables
            .iter()
            .map(|(k, v)| (k.as_str(), &v.value))
            .collect();
        let values = config
            .variables
            .iter()
            .map(|(name, v)| {
                (
                    name.clone(),
                    SavedVariable {
                        sha256: digest(name, &canonical_json(&v.value)),
                        sensitive: v.sensitive,
                        value: (!v.sensitive).then(|| v.value.clone()),
                    },
                )
            })
            .collect();
        let json = serde_json::Value::Object(
            all.iter()
                .map(|(k, v)| (k.to_string(), v.to_json()))
                .collect(),
        );
        SavedVariables {
            sha256: digest("variables", &json.to_string()),
            values,
        }
    }

    /// What differs between the values saved and the values now, one sentence per variable.
    pub fn moved(&self, now: &SavedVariables) -> Vec<String> {
        if self.sha256 == now.sha256 {
            return Vec::new();
        }
        let mut why = Vec::new();
        for (name, then) in &self.values {
            match now.values.get(name) {
                None => why.push(format!("variable `{name}` is no longer declared")),
                Some(n) if n.sha256 == then.sha256 => {}
                Some(n) => match (&then.value, &n.value) {
                    (Some(a), Some(b)) => why.push(format!(
                        "variable `{name}` was {a} when planned and is {b} now"
                    )),
                    _ => why.push(format!(
                        "sensitive variable `{name}` has another value than when planned \
                         (sensitive values are not saved: set them through \
                         CLUSTERFORM_VAR_{name} for both plan and apply)"
                    )),
                },
            }
        }
        for name in now.values.keys().filter(|n| !self.values.contains_key(*n)) {
            why.push(format!("variable `{name}` was not declared when planned"));
        }
        if why.is_empty() {
            why.push("the variable values changed".to_string());
        }
        why
    }

    /// The saved non-sensitive values as the text of a TOML var file. Values TOML cannot express
    /// (null) are left out; the digest check then reports them.
    pub fn var_file_text(&self) -> String {
        let mut text = String::new();
        for (name, v) in &self.values {
            if let Some(lit) = v.value.as_ref().and_then(toml_literal) {
                let _ = writeln!(text, "{} = {lit}", toml_string(name));
            }
        }
        text
    }
}

/// Values as JSON with map keys in sorted order (`Value::Map` is a `BTreeMap`), so equal values
/// always give equal text.
fn canonical_json(v: &Value) -> String {
    v.to_json().to_string()
}

/// sha256 (hex) of `text` labelled with `label`, hashed as the config crate hashes stack files
/// (label, NUL, text, NUL).
fn digest(label: &str, text: &str) -> String {
    clusterform_config::config_sha256(&[SourceFile {
        path: label.into(),
        text: text.to_string(),
    }])
}

/// A value as a TOML literal, or `None` when TOML cannot express it.
fn toml_literal(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null | Value::Unknown => return None,
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) if f.is_nan() => "nan".to_string(),
        Value::Float(f) if f.is_infinite() => if *f > 0.0 { "inf" } else { "-inf" }.to_string(),
        // Debug keeps a decimal point (`3.0`), so the value reads back as a float.
        Value::Float(f) => format!("{f:?}"),
        Value::String(s) => toml_string(s),
        Value::List(items) => {
            let parts: Option<Vec<String>> = items.iter().map(toml_literal).collect();
            format!("[{}]", parts?.join(", "))
        }
        Value::Map(m) => {
            let parts: Option<Vec<String>> = m
                .iter()
                .map(|(k, v)| toml_literal(v).map(|v| format!("{} = {v}", toml_string(k))))
                .collect();
            format!("{{ {} }}", parts?.join(", "))
        }
    })
}

/// A TOML basic string: quotes, backslashes and control characters escaped.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(pairs: &[(&str, Value, bool)]) -> SavedVariables {
        let values: BTreeMap<String, SavedVariable> = pairs
            .iter()
            .map(|(n, v, s)| {
                (
                    n.to_string(),
                    SavedVariable {
                        sha256: digest(n, &canonical_json(v)),
                        sensitive: *s,
                        value: (!s).then(|| v.clone()),
                    },
                )
            })
            .collect();
        let sorted: BTreeMap<&str, &Value> = pairs.iter().map(|(n, v, _)| (*n, v)).collect();
        let json = serde_json::Value::Object(
            sorted
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_json()))
                .collect(),
        );
        SavedVariables {
            sha256: digest("variables", &json.to_string()),
            values,
        }
    }

    #[test]
    fn a_moved_value_is_named_and_a_sensitive_one_is_not_shown() {
        let then = saved(&[
            ("size", Value::Int(3), false),
            ("password", Value::str("hunter2"), true),
        ]);
        let now = saved(&[
            ("size", Value::Int(5), false),
            ("password", Value::str("hunter3"), true),
        ]);
        let why = then.moved(&now).join("; ");
        assert!(
            why.contains("variable `size` was 3 when planned and is 5 now"),
            "{why}"
        );
        assert!(why.contains("sensitive variable `password`"), "{why}");
        assert!(!why.contains("hunter"), "{why}");
        assert!(then.moved(&then.clone()).is_empty());
    }

    #[test]
    fn sensitive_values_stay_out_of_the_record_and_the_var_file() {
        let s = saved(&[
            ("password", Value::str("hunter2"), true),
            ("name", Value::str("a"), false),
        ]);
        let text = serde_json::to_string(&s).unwrap() + &s.var_file_text();
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(s.var_file_text(), "\"name\" = \"a\"\n");
    }

    #[test]
    fn var_file_text_reads_back_as_the_same_values() {
        let mut m = BTreeMap::new();
        m.insert("a key".to_string(), Value::List(vec![Value::Int(1)]));
        m.insert("q".to_string(), Value::str("say \"hi\"\\\n\u{7f}"));
        let pairs = [
            ("f", Value::Float(3.0)),
            ("b", Value::Bool(true)),
            ("s", Value::str("3")),
            ("t", Value::str("3")),
            ("m", Value::Map(m)),
        ];
        let s = saved(&pairs.clone().map(|(n, v)| (n, v, false)));
        let text = s.var_file_text();
        // Read back the way `apply FILE` does: as a var file of a stack declaring the variables
        // (`t` typed as a string, `s` untyped: both must stay the string "3").
        let mut decl = String::new();
        for (n, _) in &pairs {
            let _ = writeln!(decl, "[variables.{n}]");
            if *n == "t" {
                decl.push_str("type = \"string\"\n");
            }
        }
        let opts = clusterform_config::LoadOptions {
            default_stack_name: "s".into(),
            var_files: vec![SourceFile {
                path: "saved.plan".into(),
                text: text.clone(),
            }],
            ..Default::default()
        };
        let files = [SourceFile {
            path: "main.toml".into(),
            text: decl,
        }];
        let config = clusterform_config::load(&files, &opts, &crate::providers::schemas())
            .unwrap_or_else(|d| panic!("{}\n{text}", d.render()));
        for (n, v) in &pairs {
            assert_eq!(&config.variables[*n].value, v, "{n}: {text}");
        }
        assert_eq!(SavedVariables::of(&config), s);
        // Null cannot be written as TOML: left out, so the digest check reports it instead.
        let null = saved(&[("n", Value::Null, false)]);
        assert_eq!(null.var_file_text(), "");
    }
}
