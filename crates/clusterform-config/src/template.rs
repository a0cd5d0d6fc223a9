//! Interpolation syntax: a string split into text and `${...}` references (`$${` is a literal
//! `${`), and the grammar of a reference: `var.X`, `env.X`, `each.key`, `each.value.X`,
//! `TYPE.NAME.ATTR`, `TYPE.NAME["key"].ATTR`, `data.TYPE.NAME.ATTR`, with `.x` / `["x"]` / `[0]` paths.

use std::ops::Range;

use clusterform_model::Mode;

/// A piece of a string: literal text or a reference with its byte range in the string.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    Text(String),
    Ref { expr: RefExpr, range: Range<usize> },
}

/// What a `${...}` names.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RefExpr {
    Var {
        name: String,
        path: Vec<String>,
    },
    Env {
        name: String,
    },
    EachKey,
    EachValue {
        path: Vec<String>,
    },
    Object {
        mode: Mode,
        type_name: String,
        name: String,
        key: Option<KeySel>,
        path: Vec<String>,
    },
}

/// An instance key in a reference: `["a"]`, or `[each.key]` / `[each.value.x]` / `[var.x]`,
/// which are known when the stack is loaded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum KeySel {
    Lit(String),
    Ref(Box<RefExpr>),
}

/// A syntax error inside a string, with its byte range in the string.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TemplateError {
    pub message: String,
    pub hint: Option<String>,
    pub range: Range<usize>,
}

/// Splits `s` into pieces; adjacent text is merged.
pub(crate) fn parse_template(s: &str) -> Result<Vec<Piece>, TemplateError> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    let mut offset = 0;
    while let Some(i) = rest.find('$') {
        let after = &rest[i..];
        if after.starts_with("$${") {
            text.push_str(&rest[..i]);
            text.push_str("${");
            rest = &rest[i + 3..];
            offset += i + 3;
        } else if after.starts_with("${") {
            text.push_str(&rest[..i]);
            let start = offset + i;
            let body_start = i + 2;
            let Some(len) = closing_brace(&rest[body_start..]) else {
                return Err(TemplateError {
                    message: "unterminated `${`".into(),
                    hint: Some(
                        "close the reference with `}`, or write `$${` for a literal `${`".into(),
                    ),
                    range: start..s.len(),
                });
            };
            let body = &rest[body_start..body_start + len];
            let end = start + 2 + len + 1;
            let expr = parse_ref(body).map_err(|(message, hint)| TemplateError {
                message,
                hint,
                range: start..end,
            })?;
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(Piece::Ref {
                expr,
                range: start..end,
            });
            rest = &rest[body_start + len + 1..];
            offset = end;
        } else {
            text.push_str(&rest[..=i]);
            rest = &rest[i + 1..];
            offset += i + 1;
        }
    }
    text.push_str(rest);
    if !text.is_empty() || pieces.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// Length of a reference body up to its `}`, skipping braces inside quoted keys.
fn closing_brace(body: &str) -> Option<usize> {
    let mut in_quote = false;
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quote => escaped = true,
            '"' => in_quote = !in_quote,
            '}' if !in_quote => return Some(i),
            _ => {}
        }
    }
    None
}

#[derive(Debug, PartialEq)]
enum Seg {
    Name(String),
    Key(String),
    Index(String),
    /// `[each.key]`, `[var.x]`: a key computed at load.
    KeyRef(RefExpr),
}

/// The remaining segments as an attribute path (computed keys are for instance keys only).
fn path(segs: impl Iterator<Item = Seg>, body: &str) -> Result<Vec<String>, RefError> {
    segs.map(|s| match s {
        Seg::Name(s) | Seg::Key(s) | Seg::Index(s) => Ok(s),
        Seg::KeyRef(_) => Err(bad(
            body,
            "a computed `[...]` key may only pick an instance, as in `TYPE.NAME[each.key]`",
        )),
    })
    .collect()
}

type RefError = (String, Option<String>);

fn bad(body: &str, why: &str) -> RefError {
    (
        format!("invalid reference `${{{body}}}`: {why}"),
        Some("references look like `${var.NAME}`, `${TYPE.NAME.ATTR}`, `${TYPE.NAME[\"key\"].ATTR}` or `${data.TYPE.NAME.ATTR}`".into()),
    )
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn segments(body: &str) -> Result<Vec<Seg>, RefError> {
    let mut segs = Vec::new();
    let mut chars = body.char_indices().peekable();
    let name = |chars: &mut std::iter::Peekable<std::str::CharIndices>| {
        let mut s = String::new();
        while let Some(&(_, c)) = chars.peek() {
            if !is_ident_char(c) {
                break;
            }
            s.push(c);
            chars.next();
        }
        s
    };
    let first = name(&mut chars);
    if !first.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return Err(bad(body, "expected a name"));
    }
    segs.push(Seg::Name(first));
    while let Some((_, c)) = chars.next() {
        match c {
            '.' => {
                let n = name(&mut chars);
                if n.is_empty() {
                    return Err(bad(body, "expected a name after `.`"));
                }
                segs.push(Seg::Name(n));
            }
            '[' => segs.push(bracket(body, &mut chars)?),
            _ => {
                return Err(bad(
                    body,
                    &format!("unexpected `{c}` (only references are supported, not expressions)"),
                ))
            }
        }
    }
    Ok(segs)
}

/// A `["key"]` or `[0]` after its `[`.
fn bracket(
    body: &str,
    chars: &mut std::iter::Peekable<std::str::CharIndices>,
) -> Result<Seg, RefError> {
    let seg = match chars.peek() {
        Some(&(_, '"')) => {
            chars.next();
            let mut key = String::new();
            let mut closed = false;
            while let Some((_, c)) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some((_, e)) => key.push(e),
                        None => break,
                    },
                    '"' => {
                        closed = true;
                        break;
                    }
                    _ => key.push(c),
                }
            }
            if !closed {
                return Err(bad(body, "unterminated quoted key"));
            }
            Seg::Key(key)
        }
        Some(&(_, c)) if c.is_ascii_alphabetic() => {
            let mut inner = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if matches!(c, ']' | '[' | '"') {
                    break;
                }
                inner.push(c);
                chars.next();
            }
            match parse_ref(&inner) {
                Ok(r @ (RefExpr::EachKey | RefExpr::EachValue { .. } | RefExpr::Var { .. })) => {
                    Seg::KeyRef(r)
                }
                _ => return Err(bad(
                    body,
                    "a `[...]` key must be a quoted string, `each.key`, `each.value` or `var.NAME`",
                )),
            }
        }
        _ => {
            let mut digits = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if !c.is_ascii_digit() {
                    break;
                }
                digits.push(c);
                chars.next();
            }
            if digits.is_empty() {
                return Err(bad(body, "expected `[\"key\"]` or `[0]`"));
            }
            Seg::Index(digits)
        }
    };
    match chars.next() {
        Some((_, ']')) => Ok(seg),
        _ => Err(bad(body, "expected `]`")),
    }
}

fn name_of(seg: Option<Seg>, body: &str, what: &str) -> Result<String, RefError> {
    match seg {
        Some(Seg::Name(n)) => Ok(n),
        _ => Err(bad(body, &format!("expected {what}"))),
    }
}

/// Parses the text between `${` and `}`.
pub(crate) fn parse_ref(body: &str) -> Result<RefExpr, RefError> {
    let trimmed = body.trim();
    let mut segs = segments(trimmed)?.into_iter();
    let head = name_of(segs.next(), trimmed, "a name")?;
    let expr = match head.as_str() {
        "var" => {
            let name = name_of(segs.next(), trimmed, "a variable name after `var.`")?;
            RefExpr::Var {
                name,
                path: path(segs, trimmed)?,
            }
        }
        "env" => {
            let name = name_of(
                segs.next(),
                trimmed,
                "an environment variable name after `env.`",
            )?;
            if segs.next().is_some() {
                return Err(bad(trimmed, "an environment variable has no attributes"));
            }
            RefExpr::Env { name }
        }
        "each" => match segs.next() {
            Some(Seg::Name(n)) if n == "key" && segs.len() == 0 => RefExpr::EachKey,
            Some(Seg::Name(n)) if n == "value" => RefExpr::EachValue {
                path: path(segs, trimmed)?,
            },
            _ => return Err(bad(trimmed, "expected `each.key` or `each.value`")),
        },
        _ => {
            let (mode, type_name) = if head == "data" {
                (
                    Mode::Data,
                    name_of(segs.next(), trimmed, "a data source type after `data.`")?,
                )
            } else {
                (Mode::Managed, head)
            };
            let name = name_of(segs.next(), trimmed, "TYPE.NAME")?;
            let mut segs = segs.peekable();
            let key = match segs.peek() {
                Some(Seg::Key(_) | Seg::KeyRef(_)) => match segs.next() {
                    Some(Seg::Key(k)) => Some(KeySel::Lit(k)),
                    Some(Seg::KeyRef(r)) => Some(KeySel::Ref(Box::new(r))),
                    _ => None,
                },
                Some(Seg::Index(i)) => {
                    return Err(bad(
                        trimmed,
                        &format!("instance keys are strings: write `[\"{i}\"]`"),
                    ));
                }
                _ => None,
            };
            RefExpr::Object {
                mode,
                type_name,
                name,
                key,
                path: path(segs, trimmed)?,
            }
        }
    };
    Ok(expr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(t: &str, n: &str, key: Option<&str>, path: &[&str]) -> RefExpr {
        RefExpr::Object {
            mode: Mode::Managed,
            type_name: t.into(),
            name: n.into(),
            key: key.map(|k| KeySel::Lit(k.into())),
            path: path.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn splits_text_and_references() {
        let p = parse_template("a-${var.x}-${t_a.b[\"k}\"].id}").unwrap();
        assert_eq!(p.len(), 4);
        assert_eq!(p[0], Piece::Text("a-".into()));
        assert_eq!(
            p[1],
            Piece::Ref {
                expr: RefExpr::Var {
                    name: "x".into(),
                    path: vec![]
                },
                range: 2..10
            }
        );
        assert!(
            matches!(&p[3], Piece::Ref { expr, .. } if *expr == obj("t_a", "b", Some("k}"), &["id"]))
        );
    }

    #[test]
    fn dollar_dollar_escapes() {
        assert_eq!(
            parse_template("$${x} $ $$").unwrap(),
            vec![Piece::Text("${x} $ $$".into())]
        );
        assert_eq!(
            parse_template("").unwrap(),
            vec![Piece::Text(String::new())]
        );
    }

    #[test]
    fn reference_forms() {
        assert_eq!(parse_ref(" each.key ").unwrap(), RefExpr::EachKey);
        assert_eq!(
            parse_ref("each.value.a[0]").unwrap(),
            RefExpr::EachValue {
                path: vec!["a".into(), "0".into()]
            }
        );
        assert_eq!(
            parse_ref("env.PG_URL").unwrap(),
            RefExpr::Env {
                name: "PG_URL".into()
            }
        );
        assert_eq!(
            parse_ref("t_x.n.endpoints[0].url").unwrap(),
            obj("t_x", "n", None, &["endpoints", "0", "url"])
        );
        assert!(matches!(
            parse_ref("data.t_x.n.id").unwrap(),
            RefExpr::Object {
                mode: Mode::Data,
                ..
            }
        ));
        assert_eq!(parse_ref("t_x.n").unwrap(), obj("t_x", "n", None, &[]));
    }

    #[test]
    fn computed_instance_keys() {
        let RefExpr::Object { key, path, .. } = parse_ref("t_x.n[each.value.k].id").unwrap() else {
            panic!()
        };
        let inner = RefExpr::EachValue {
            path: vec!["k".into()],
        };
        assert_eq!(
            (key, path),
            (Some(KeySel::Ref(Box::new(inner))), vec!["id".to_string()])
        );
        assert!(parse_ref("t_x.n[t_y.m.id].id").is_err());
        assert!(parse_ref("var.m[each.key]").is_err());
    }

    #[test]
    fn syntax_errors() {
        for bad in [
            "",
            "var",
            "env.A.b",
            "each.keys",
            "t.n[0].id",
            "upper(var.x)",
            "a..b",
            "t.n[\"k",
            "t.n[x]",
            "1a.b",
        ] {
            assert!(parse_ref(bad).is_err(), "{bad}");
        }
        let err = parse_template("x ${var.a").unwrap_err();
        assert_eq!(err.range, 2..9);
        assert!(parse_template("${}").is_err());
    }
}
