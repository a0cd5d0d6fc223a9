//! A small YAML reader for Helm's `Chart.yaml` and `values.yaml`, giving JSON values: block
//! mappings and sequences, flow collections, plain, quoted and block (`|`, `>`) scalars and
//! comments. Anchors, aliases, tags and several documents in one file are refused with an
//! error naming the line, rather than read wrongly.
//!
//! Plain scalars resolve as Helm resolves them (YAML 1.1 through go-yaml v2): `yes`/`on` are
//! booleans, `~` is null, `0x1F` is an integer. Keys are always strings, as in the JSON Helm
//! produces from YAML.

use serde_json::{Map, Number, Value};

/// A YAML document the reader refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {msg}")]
pub struct YamlError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub msg: String,
}

/// How plain scalars are typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalars {
    /// `1` is a number, `true` a boolean, `~` null (values files).
    Typed,
    /// Every plain scalar stays a string (`version: 1.10` is `"1.10"`, as Go reads it into a
    /// string field of `Chart.yaml`).
    Strings,
}

/// Parses one YAML document; an empty document is `null`.
pub fn parse(text: &str, mode: Scalars) -> Result<Value, YamlError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = Vec::new();
    let mut seen_content = false;
    for (i, raw) in text.lines().enumerate() {
        let no = i + 1;
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        let rest = raw.get(indent..).unwrap_or("");
        if indent == 0 && (rest == "---" || rest.starts_with("--- ")) {
            if seen_content {
                return Err(err(no, "several documents in one file are not supported"));
            }
            continue;
        }
        if indent == 0 && (rest == "..." || rest.starts_with("... ")) {
            break;
        }
        if indent == 0 && rest.starts_with('%') {
            return Err(err(no, "directives are not supported"));
        }
        seen_content |= !strip_comment(rest).is_empty();
        lines.push(Line {
            no,
            indent,
            text: rest.trim_end().to_string(),
        });
    }
    let mut p = Parser {
        lines,
        pos: 0,
        mode,
    };
    let v = p.block(None, false)?;
    if let Some(i) = p.peek() {
        return Err(err(p.line_no(i), "unexpected content after the document"));
    }
    Ok(v)
}

fn err(line: usize, msg: impl Into<String>) -> YamlError {
    YamlError {
        line,
        msg: msg.into(),
    }
}

#[derive(Debug, Clone)]
struct Line {
    no: usize,
    indent: usize,
    text: String,
}

struct Parser {
    lines: Vec<Line>,
    pos: usize,
    mode: Scalars,
}

/// The text of a line without its comment (`#` at the start or after a blank, outside quotes).
fn strip_comment(s: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, ch) in s.char_indices() {
        match quote {
            Some(q) if ch == q => quote = None,
            Some(_) => {}
            None if (ch == '"' || ch == '\'') && " [{,:-".contains(prev) => quote = Some(ch),
            None if ch == '#' && (prev == ' ' || prev == '\t' || i == 0) => {
                return s.get(..i).unwrap_or(s).trim_end();
            }
            None => {}
        }
        prev = ch;
    }
    s.trim_end()
}

fn is_seq_item(c: &str) -> bool {
    c == "-" || c.starts_with("- ")
}

/// Splits `key: rest` (the key unquoted); `None` when the line is not a mapping entry.
fn split_key(c: &str) -> Result<Option<(String, &str)>, String> {
    if c.starts_with('[') || c.starts_with('{') || is_seq_item(c) {
        return Ok(None);
    }
    if c.starts_with('"') || c.starts_with('\'') {
        let (key, after) = quoted(c)?;
        let after = after.trim_start();
        return Ok(match after.strip_prefix(':') {
            Some(rest) if rest.is_empty() || rest.starts_with(' ') => Some((key, rest.trim())),
            _ => None,
        });
    }
    let bytes = c.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b':' && bytes.get(i + 1).is_none_or(|n| *n == b' ') {
            let key = c.get(..i).unwrap_or("").trim_end();
            let rest = c.get(i + 1..).unwrap_or("").trim();
            return Ok(Some((key.to_string(), rest)));
        }
    }
    Ok(None)
}

/// Reads a quoted scalar at the start of `s`; returns it and the text after the closing quote.
fn quoted(s: &str) -> Result<(String, &str), String> {
    let mut chars = s.char_indices();
    let q = match chars.next() {
        Some((_, c @ ('"' | '\''))) => c,
        _ => return Err("expected a quoted string".into()),
    };
    let mut out = String::new();
    while let Some((i, ch)) = chars.next() {
        if ch == q {
            if q == '\'' && s.get(i + 1..).is_some_and(|r| r.starts_with('\'')) {
                chars.next();
                out.push('\'');
                continue;
            }
            return Ok((out, s.get(i + 1..).unwrap_or("")));
        }
        if q == '"' && ch == '\\' {
            let (_, e) = chars.next().ok_or("unterminated escape")?;
            let hex = |n: usize, chars: &mut std::str::CharIndices<'_>| -> Result<char, String> {
                let digits: String = chars.take(n).map(|(_, c)| c).collect();
                u32::from_str_radix(&digits, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("invalid escape \\{e}{digits}"))
            };
            out.push(match e {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '0' => '\0',
                'a' => '\u{7}',
                'b' => '\u{8}',
                'e' => '\u{1b}',
                'f' => '\u{c}',
                'v' => '\u{b}',
                'x' => hex(2, &mut chars)?,
                'u' => hex(4, &mut chars)?,
                'U' => hex(8, &mut chars)?,
                '"' | '\\' | '/' | ' ' => e,
                other => return Err(format!("unknown escape \\{other}")),
            });
            continue;
        }
        out.push(ch);
    }
    Err("unterminated quoted string".into())
}

/// Types a plain scalar as go-yaml v2 does.
fn resolve(s: &str, mode: Scalars) -> Value {
    if mode == Scalars::Strings {
        return Value::String(s.to_string());
    }
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false)
        }
        _ => {}
    }
    if let Some(n) = int(s) {
        return Value::Number(n);
    }
    let float_like = s.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c))
        && s.chars().any(|c| c.is_ascii_digit());
    if float_like {
        if let Some(n) = s.parse::<f64>().ok().and_then(Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(s.to_string())
}

fn int(s: &str) -> Option<Number> {
    let clean: String = s.chars().filter(|c| *c != '_').collect();
    let (neg, digits) = match clean.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean)),
    };
    let (radix, body) = if let Some(h) = digits.strip_prefix("0x") {
        (16, h)
    } else if let Some(b) = digits.strip_prefix("0b") {
        (2, b)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, digits.get(1..)?)
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mag = u64::from_str_radix(body, radix).ok()?;
    if neg {
        let v = i64::try_from(mag).ok()?;
        Some(Number::from(-v))
    } else {
        Some(Number::from(mag))
    }
}

impl Parser {
    fn line_no(&self, i: usize) -> usize {
        self.lines.get(i).map_or(0, |l| l.no)
    }

    /// Skips blank and comment lines; the index of the next line with content.
    fn peek(&mut self) -> Option<usize> {
        while let Some(l) = self.lines.get(self.pos) {
            if !strip_comment(&l.text).is_empty() {
                return Some(self.pos);
            }
            self.pos += 1;
        }
        None
    }

    /// (line number, indentation, text without comment) of a structural line.
    fn content(&self, i: usize) -> Result<(usize, usize, String), YamlError> {
        let Some(l) = self.lines.get(i) else {
            return Ok((0, 0, String::new()));
        };
        // Block scalar lines never come here, so a tab is indentation, which YAML forbids.
        if l.text.starts_with('\t') {
            return Err(err(l.no, "tabs are not allowed in indentation"));
        }
        Ok((l.no, l.indent, strip_comment(&l.text).to_string()))
    }

    /// A nested block: deeper than `parent`, or a sequence at `parent` when `seq_at_parent`
    /// (`key:` followed by `- item` lines at the key's own indentation). Nothing there is null.
    fn block(&mut self, parent: Option<usize>, seq_at_parent: bool) -> Result<Value, YamlError> {
        let Some(i) = self.peek() else {
            return Ok(Value::Null);
        };
        let (no, indent, c) = self.content(i)?;
        if let Some(p) = parent {
            if indent < p || (indent == p && !(seq_at_parent && is_seq_item(&c))) {
                return Ok(Value::Null);
            }
        }
        if is_seq_item(&c) {
            return self.seq(indent);
        }
        if split_key(&c).map_err(|m| err(no, m))?.is_some() {
            return self.map(indent);
        }
        self.pos = i + 1;
        self.inline(&c, parent.unwrap_or(0), no, parent.is_none())
    }

    fn map(&mut self, indent: usize) -> Result<Value, YamlError> {
        let mut m = Map::new();
        while let Some(i) = self.peek() {
            let (no, ind, c) = self.content(i)?;
            if ind < indent {
                break;
            }
            if ind > indent {
                return Err(err(no, "unexpected indentation"));
            }
            let Some((key, rest)) = split_key(&c).map_err(|m| err(no, m))? else {
                return Err(err(no, "expected `key: value`"));
            };
            if key.starts_with(['&', '*', '!', '?']) || key == "<<" {
                return Err(err(
                    no,
                    "anchors, aliases, tags and complex keys are not supported",
                ));
            }
            self.pos = i + 1;
            let v = if rest.is_empty() {
                self.block(Some(indent), true)?
            } else {
                let rest = rest.to_string();
                self.inline(&rest, indent, no, false)?
            };
            m.insert(key, v);
        }
        Ok(Value::Object(m))
    }

    fn seq(&mut self, indent: usize) -> Result<Value, YamlError> {
        let mut out = Vec::new();
        while let Some(i) = self.peek() {
            let (no, ind, c) = self.content(i)?;
            if ind != indent || !is_seq_item(&c) {
                if ind > indent {
                    return Err(err(no, "unexpected indentation"));
                }
                break;
            }
            let rest = c.get(1..).unwrap_or("").trim_start();
            if rest.is_empty() {
                self.pos = i + 1;
                out.push(self.block(Some(indent), false)?);
            } else if is_seq_item(rest) || split_key(rest).map_err(|m| err(no, m))?.is_some() {
                // `- key: v` opens a mapping (or `- - x` a sequence) at the column of its text;
                // the line is rewritten in place so the block reader sees it there.
                let col = indent + (c.len() - rest.len());
                let rest = rest.to_string();
                if let Some(l) = self.lines.get_mut(i) {
                    l.indent = col;
                    l.text = rest;
                }
                out.push(self.block(Some(indent), false)?);
            } else {
                self.pos = i + 1;
                let rest = rest.to_string();
                out.push(self.inline(&rest, indent, no, false)?);
            }
        }
        Ok(Value::Array(out))
    }

    /// A value written after `key:` or `- ` (already consumed), possibly continued on the
    /// following lines (block scalars, multi-line flow collections and plain scalars).
    fn inline(&mut self, s: &str, parent: usize, no: usize, top: bool) -> Result<Value, YamlError> {
        if s.starts_with(['&', '*', '!']) {
            return Err(err(no, "anchors, aliases and tags are not supported"));
        }
        if s.starts_with('|') || s.starts_with('>') {
            return self.block_scalar(s, parent, no, top);
        }
        if s.starts_with('[') || s.starts_with('{') {
            let mut text = s.to_string();
            while !balanced(&text) {
                let Some(i) = self.peek() else {
                    return Err(err(no, "unterminated flow collection"));
                };
                let (_, _, c) = self.content(i)?;
                text.push(' ');
                text.push_str(&c);
                self.pos = i + 1;
            }
            let mut f = Flow {
                s: &text,
                i: 0,
                mode: self.mode,
            };
            let v = f.value().map_err(|m| err(no, m))?;
            f.ws();
            if f.i < text.len() {
                return Err(err(no, "unexpected text after a flow collection"));
            }
            return Ok(v);
        }
        if s.starts_with('"') || s.starts_with('\'') {
            let mut text = s.to_string();
            loop {
                match quoted(&text) {
                    Ok((v, rest)) if rest.trim().is_empty() => return Ok(Value::String(v)),
                    Ok(_) => return Err(err(no, "unexpected text after a quoted string")),
                    Err(_) => {
                        let Some(l) = self.lines.get(self.pos) else {
                            return Err(err(no, "unterminated quoted string"));
                        };
                        let next = l.text.trim().to_string();
                        self.pos += 1;
                        text.push(' ');
                        text.push_str(&next);
                    }
                }
            }
        }
        let mut text = s.to_string();
        while let Some(i) = self.peek() {
            let (_, ind, c) = self.content(i)?;
            if ind <= parent && !top {
                break;
            }
            if top || split_key(&c).ok().flatten().is_some() || is_seq_item(&c) {
                return Err(err(self.line_no(i), "unexpected indentation"));
            }
            text.push(' ');
            text.push_str(&c);
            self.pos = i + 1;
        }
        Ok(resolve(&text, self.mode))
    }

    fn block_scalar(
        &mut self,
        header: &str,
        parent: usize,
        no: usize,
        top: bool,
    ) -> Result<Value, YamlError> {
        let literal = header.starts_with('|');
        let mut chomp = ' ';
        let mut explicit = None;
        for ch in header.chars().skip(1) {
            match ch {
                '-' | '+' => chomp = ch,
                '1'..='9' => explicit = ch.to_digit(10).map(|d| d as usize),
                _ => return Err(err(no, format!("invalid block scalar header {header}"))),
            }
        }
        let base = if top { 0 } else { parent + 1 };
        let mut content_indent = explicit.map(|d| parent + d);
        let mut body: Vec<String> = Vec::new();
        while let Some(l) = self.lines.get(self.pos) {
            let blank = l.text.trim().is_empty();
            if !blank {
                let want = *content_indent.get_or_insert(l.indent.max(base));
                if l.indent < want || l.indent < base {
                    break;
                }
                body.push(format!("{}{}", " ".repeat(l.indent - want), l.text));
            } else {
                body.push(String::new());
            }
            self.pos += 1;
        }
        let trailing = body.iter().rev().take_while(|l| l.is_empty()).count();
        body.truncate(body.len() - trailing);
        let mut out = String::new();
        for (i, line) in body.iter().enumerate() {
            if i > 0 {
                let prev = body.get(i - 1).map_or("", String::as_str);
                let plain_fold = !literal
                    && !line.is_empty()
                    && !prev.is_empty()
                    && !line.starts_with(' ')
                    && !prev.starts_with(' ');
                if plain_fold {
                    out.push(' ');
                } else if literal || line.is_empty() || !prev.is_empty() {
                    out.push('\n');
                }
            }
            out.push_str(line);
        }
        if !body.is_empty() {
            match chomp {
                '-' => {}
                '+' => out.push_str(&"\n".repeat(trailing + 1)),
                _ => out.push('\n'),
            }
        }
        Ok(Value::String(out))
    }
}

/// Whether every `[`/`{` outside quotes is closed.
fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for ch in s.chars() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(ch),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            _ => {}
        }
    }
    depth <= 0 && quote.is_none()
}

/// A flow collection (`[a, b]`, `{k: v}`) reader.
struct Flow<'a> {
    s: &'a str,
    i: usize,
    mode: Scalars,
}

impl Flow<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i..).and_then(|r| r.chars().next())
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        self.ws();
        match self.peek() {
            Some('[') => {
                self.i += 1;
                let mut out = Vec::new();
                loop {
                    self.ws();
                    if self.peek() == Some(']') {
                        self.i += 1;
                        return Ok(Value::Array(out));
                    }
                    out.push(self.value()?);
                    self.ws();
                    match self.peek() {
                        Some(',') => self.i += 1,
                        Some(']') => {}
                        _ => return Err("expected , or ] in a flow sequence".into()),
                    }
                }
            }
            Some('{') => {
                self.i += 1;
                let mut m = Map::new();
                loop {
                    self.ws();
                    if self.peek() == Some('}') {
                        self.i += 1;
                        return Ok(Value::Object(m));
                    }
                    let key = match self.scalar(true)? {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    self.ws();
                    let v = if self.peek() == Some(':') {
                        self.i += 1;
                        self.ws();
                        if matches!(self.peek(), Some(',' | '}')) {
                            Value::Null
                        } else {
                            self.value()?
                        }
                    } else {
                        Value::Null
                    };
                    m.insert(key, v);
                    self.ws();
                    match self.peek() {
                        Some(',') => self.i += 1,
                        Some('}') => {}
                        _ => return Err("expected , or } in a flow mapping".into()),
                    }
                }
            }
            _ => self.scalar(false),
        }
    }

    fn scalar(&mut self, key: bool) -> Result<Value, String> {
        let rest = self.s.get(self.i..).unwrap_or("");
        if rest.starts_with('"') || rest.starts_with('\'') {
            let (v, after) = quoted(rest)?;
            self.i = self.s.len() - after.len();
            return Ok(Value::String(v));
        }
        if rest.starts_with(['&', '*', '!']) {
            return Err("anchors, aliases and tags are not supported".into());
        }
        let bytes = rest.as_bytes();
        let mut end = rest.len();
        for (j, b) in bytes.iter().enumerate() {
            let colon_end = *b == b':'
                && (key
                    || bytes
                        .get(j + 1)
                        .is_none_or(|n| matches!(n, b' ' | b',' | b']' | b'}')));
            if matches!(b, b',' | b']' | b'}') || colon_end {
                end = j;
                break;
            }
        }
        let text = rest.get(..end).unwrap_or("").trim();
        self.i += end;
        if key {
            return Ok(Value::String(text.to_string()));
        }
        Ok(resolve(text, self.mode))
    }
}

#[cfg(test)]
#[path = "yaml_tests.rs"]
mod tests;
