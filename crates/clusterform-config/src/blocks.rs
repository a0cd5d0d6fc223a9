//! The stack-wide blocks: `[stack]`, `[backend]`, `[providers.X]` (checked against the provider's
//! `config` schema, `${env.X}` allowed) and `[outputs.X]`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clusterform_model::Presence;

use crate::collect::{Block, Collected};
use crate::ctx::{names, Ctx, ScopeSpec};
use crate::lower::RefUse;
use crate::raw::RawKind;
use crate::sensitivity;
use crate::suggest;
use crate::types::{BackendConfig, Expr, OutputConfig, ProviderConfig};

const STACK_KEYS: &[&str] = &["name"];
const BACKEND_TYPES: &[&str] = &["local", "postgres"];
const OUTPUT_KEYS: &[&str] = &["value", "description", "sensitive"];

/// `[stack] name`, or the default the caller passed.
pub(crate) fn stack_name(ctx: &mut Ctx<'_>, col: &Collected<'_>) -> String {
    let default = ctx.opts.default_stack_name.clone();
    let Some(block) = col.stack else {
        return default;
    };
    let mut name = default;
    for e in block.entries() {
        match (e.key.as_str(), &e.value.kind) {
            ("name", RawKind::Str { text, .. }) => {
                if valid_stack_name(text) {
                    name = text.clone();
                } else {
                    let at = ctx.value_span(e);
                    let hint = "it names the state (`state/<name>.json`): use letters, digits, `-`, `_` and `.`";
                    ctx.sink.at_hint(
                        &at,
                        format!("invalid stack name `{text}`"),
                        Some(hint.into()),
                    );
                }
            }
            ("name", _) => ctx.wrong_type(e, "a string"),
            _ => ctx.unknown_key(e, "`[stack]`", STACK_KEYS),
        }
    }
    name
}

fn valid_stack_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `[backend]`: local files (default) or PostgreSQL.
pub(crate) fn backend(ctx: &mut Ctx<'_>, col: &Collected<'_>) -> BackendConfig {
    let Some(block) = col.backend else {
        return BackendConfig::Local { path: None };
    };
    let kind = match block.get("type") {
        None => "local".to_string(),
        Some(e) => match &e.value.kind {
            RawKind::Str { text, .. } if BACKEND_TYPES.contains(&text.as_str()) => text.clone(),
            RawKind::Str { text, .. } => {
                let at = ctx.value_span(e);
                ctx.sink.at_hint(
                    &at,
                    format!("unknown backend type `{text}`"),
                    suggest::hint_or_list(text, BACKEND_TYPES),
                );
                return BackendConfig::Local { path: None };
            }
            _ => {
                ctx.wrong_type(e, "a string");
                return BackendConfig::Local { path: None };
            }
        },
    };
    let (allowed, what): (&[&str], _) = match kind.as_str() {
        "postgres" => (&["type", "url"], "a postgres `[backend]`"),
        _ => (&["type", "path"], "a local `[backend]`"),
    };
    let mut path = None;
    let mut url = None;
    for e in block.entries() {
        match e.key.as_str() {
            "type" => {}
            k if !allowed.contains(&k) => ctx.unknown_key(e, what, allowed),
            "path" => {
                path = ctx
                    .setting_string(e, true, "backend settings")
                    .map(PathBuf::from)
            }
            _ => url = ctx.setting_string(e, true, "backend settings"),
        }
    }
    if kind == "postgres" {
        if url.is_none() && block.get("url").is_none() {
            let at = block.span(ctx.sources);
            let hint = "e.g. url = \"${env.CLUSTERFORM_PG_URL}\"";
            ctx.sink
                .at_hint(&at, "a postgres backend needs `url`", Some(hint.into()));
        }
        return BackendConfig::Postgres {
            url: url.unwrap_or_default(),
        };
    }
    BackendConfig::Local { path }
}

/// Every `[providers.X]` block, with settings resolved.
pub(crate) fn providers(
    ctx: &mut Ctx<'_>,
    col: &Collected<'_>,
) -> BTreeMap<String, ProviderConfig> {
    let mut out = BTreeMap::new();
    for (name, block) in &col.providers {
        if let Some(p) = provider(ctx, name, *block) {
            out.insert(name.clone(), p);
        }
    }
    out
}

fn provider(ctx: &mut Ctx<'_>, name: &str, block: Block<'_>) -> Option<ProviderConfig> {
    let header = block.span(ctx.sources);
    let Some(schema) = ctx.schemas.get(name) else {
        let hint = suggest::hint_or_list(name, &names(ctx.schemas));
        ctx.sink
            .at_hint(&header, format!("unknown provider `{name}`"), hint);
        return None;
    };
    let mut settings = BTreeMap::new();
    let mut sensitive_settings = Vec::new();
    let known: Vec<&str> = schema
        .config
        .iter()
        .filter(|a| a.settable())
        .map(|a| a.name.as_str())
        .collect();
    for e in block.entries() {
        let Some(attr) = schema.config.iter().find(|a| a.name == e.key) else {
            ctx.unknown_key(e, &format!("provider `{name}`"), &known);
            continue;
        };
        if !attr.settable() {
            let at = ctx.key_span(e);
            ctx.sink.at(
                &at,
                format!(
                    "`{}` of provider `{name}` is computed and cannot be set",
                    e.key
                ),
            );
            continue;
        }
        let spec = ScopeSpec {
            env: true,
            no_refs: Some("provider settings"),
            ..ScopeSpec::default()
        };
        let mut l = ctx.lowerer(spec);
        let expr = l.lower(&e.value, Some(&attr.ty), &e.key);
        let sensitive = l.used_sensitive || attr.sensitive;
        if let Some(Expr::Literal(v)) = expr.map(|x| x.value) {
            if sensitive {
                sensitive_settings.push(e.key.clone());
            }
            settings.insert(e.key.clone(), v);
        }
    }
    for attr in schema
        .config
        .iter()
        .filter(|a| a.presence == Presence::Required)
    {
        if block.get(&attr.name).is_none() {
            let hint = (!attr.description.is_empty())
                .then(|| format!("`{}`: {}", attr.name, attr.description));
            ctx.sink.at_hint(
                &header,
                format!(
                    "provider `{name}` is missing required setting `{}`",
                    attr.name
                ),
                hint,
            );
        }
    }
    Some(ProviderConfig {
        name: name.to_string(),
        settings,
        sensitive_settings,
        span: header,
    })
}

/// Every `[outputs.X]`, and the references their values make.
pub(crate) fn outputs(
    ctx: &mut Ctx<'_>,
    col: &Collected<'_>,
) -> (BTreeMap<String, OutputConfig>, Vec<RefUse>) {
    let mut out = BTreeMap::new();
    let mut refs = Vec::new();
    for (name, block) in &col.outputs {
        let mut value = None;
        let mut description = String::new();
        let mut sensitive = false;
        let mut sensitive_via = None;
        for e in block.entries() {
            match (e.key.as_str(), &e.value.kind) {
                ("value", _) => {
                    let mut l = ctx.lowerer(ScopeSpec::default());
                    value = l.lower(&e.value, None, &format!("outputs.{name}.value"));
                    sensitive_via = l.sensitive_via.take();
                    refs.append(&mut l.refs);
                }
                ("description", RawKind::Str { text, .. }) => description = text.clone(),
                ("sensitive", RawKind::Bool(b)) => sensitive = *b,
                ("description", _) => ctx.wrong_type(e, "a string"),
                ("sensitive", _) => ctx.wrong_type(e, "a bool"),
                _ => ctx.unknown_key(e, &format!("output `{name}`"), OUTPUT_KEYS),
            }
        }
        if block.get("value").is_none() {
            let at = block.span(ctx.sources);
            ctx.sink.at(&at, format!("output `{name}` has no `value`"));
        }
        if let Some(value) = value {
            // Showing a secret must be asked for: references to sensitive attributes are checked
            // once every block is known (`sensitivity.rs`).
            if let (false, Some(via)) = (sensitive, &sensitive_via) {
                sensitivity::report_output(&mut ctx.sink, name, &value.span, via);
            }
            out.insert(
                name.clone(),
                OutputConfig {
                    name: name.clone(),
                    value,
                    description,
                    sensitive,
                },
            );
        }
    }
    (out, refs)
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;
    use crate::BackendConfig;
    use clusterform_model::Value;

    #[test]
    fn backend_postgres_takes_its_url_from_the_environment() {
        let text = "[backend]\ntype = \"postgres\"\nurl = \"${env.PG_URL}\"\n";
        let mut o = opts();
        o.env.insert("PG_URL".into(), "postgres://x".into());
        let c = crate::load(&files(&[("main.toml", text)]), &o, &schemas()).unwrap();
        assert_eq!(
            c.backend,
            BackendConfig::Postgres {
                url: "postgres://x".into()
            }
        );
        assert_eq!(
            errors(text),
            vec!["environment variable `PG_URL` is not set"]
        );
        assert_eq!(
            errors("[backend]\ntype = \"postgres\"\n"),
            vec!["a postgres backend needs `url`"]
        );
    }

    #[test]
    fn backend_errors() {
        let d = one_error("[backend]\ntype = \"locl\"\n");
        assert_eq!(
            (d.message.as_str(), d.hint.as_deref()),
            ("unknown backend type `locl`", Some("did you mean `local`?"))
        );
        let d = one_error("[backend]\ntype = \"local\"\nurl = \"x\"\n");
        assert_eq!(d.message, "unknown key `url` in a local `[backend]`");
        assert_eq!(d.hint.as_deref(), Some("expected one of `type`, `path`"));
        assert_eq!(
            errors("[backend]\npath = \"${resources.x.id}\"\n"),
            vec!["backend settings cannot refer to resources"]
        );
    }

    #[test]
    fn stack_name_is_checked() {
        assert_eq!(ok("[stack]\nname = \"a-b_c.1\"\n").stack_name, "a-b_c.1");
        assert_eq!(
            errors("[stack]\nname = \"../x\"\n"),
            vec!["invalid stack name `../x`"]
        );
        assert_eq!(
            errors("[stack]\nnmae = \"x\"\n"),
            vec!["unknown key `nmae` in `[stack]`"]
        );
        assert_eq!(
            errors("[stack]\nname = 1\n"),
            vec!["`name` must be a string, found int"]
        );
    }

    #[test]
    fn provider_settings_are_checked_against_the_schema() {
        let text =
            "[providers.huawei]\nregoin = \"r\"\nproject_id = 5\nmax_retries = \"${env.N}\"\n";
        let err = load_one(text).unwrap_err();
        let msgs: Vec<(&str, Option<&str>)> = err
            .iter()
            .map(|d| (d.message.as_str(), d.hint.as_deref()))
            .collect();
        assert_eq!(
            msgs,
            vec![
                (
                    "provider `huawei` is missing required setting `region`",
                    None
                ),
                (
                    "unknown key `regoin` in provider `huawei`",
                    Some("did you mean `region`?")
                ),
                (
                    "`project_id` must be a string, found int",
                    Some("quote the value to make it a string")
                ),
                ("environment variable `N` is not set", Some("export N=...")),
            ]
        );
        let d = one_error("[providers.huawie]\nregion = \"r\"\n");
        assert_eq!(
            (d.message.as_str(), d.hint.as_deref()),
            ("unknown provider `huawie`", Some("did you mean `huawei`?"))
        );
    }

    #[test]
    fn provider_settings_from_env_are_sensitive() {
        let text = format!("{PROVIDER}endpoint = \"${{env.EP}}\"\nsandbox = true\n");
        let mut o = opts();
        o.env.insert("EP".into(), "http://127.0.0.1:1".into());
        let c = crate::load(&files(&[("main.toml", &text)]), &o, &schemas()).unwrap();
        let p = &c.providers["huawei"];
        assert_eq!(p.settings["endpoint"], Value::str("http://127.0.0.1:1"));
        assert_eq!(p.settings["sandbox"], Value::Bool(true));
        assert_eq!(p.sensitive_settings, vec!["endpoint".to_string()]);
    }

    #[test]
    fn outputs() {
        let var = "[variables.s]\ndefault = \"x\"\nsensitive = true\n\n[outputs.o]\nvalue = \"${var.s}\"\n";
        let c = ok(&format!("{var}sensitive = true\n"));
        assert!(c.outputs["o"].sensitive);
        let d = one_error(var);
        assert_eq!(
            (d.message.as_str(), d.hint.as_deref()),
            (
                "output `o` refers to the sensitive value `var.s`",
                Some("add `sensitive = true` to the output")
            )
        );
        assert_eq!(d.span.map(|s| (s.line, s.col)), Some((6, 9)));
        assert_eq!(
            errors("[outputs.o]\ndescription = \"d\"\n"),
            vec!["output `o` has no `value`"]
        );
        let d = one_error("[outputs.o]\nvalue = 1\nsensitiv = true\n");
        assert_eq!(
            (d.message.as_str(), d.hint.as_deref()),
            (
                "unknown key `sensitiv` in output `o`",
                Some("did you mean `sensitive`?")
            )
        );
    }
}
