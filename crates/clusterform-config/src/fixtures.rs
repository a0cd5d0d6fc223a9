//! Fixture stacks under `testdata/<case>/*.toml`, loaded whole: rendered diagnostics (or a
//! summary of the lowered config) are compared with committed `insta` snapshots.

use std::fmt::Write;
use std::path::Path;

use crate::test_support::{opts, schemas};
use crate::{load, Config, Expr, SourceFile, Spanned, TemplatePart};

/// The files of a fixture, named `<case>/<file>` so snapshots do not depend on the checkout.
fn fixture(case: &str) -> Vec<SourceFile> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(case);
    let mut files: Vec<SourceFile> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| SourceFile {
            path: Path::new(case).join(p.file_name().unwrap()),
            text: std::fs::read_to_string(&p).unwrap(),
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

fn render_expr(e: &Spanned<Expr>) -> String {
    match &e.value {
        Expr::Literal(v) => v.to_string(),
        Expr::Ref(r) => format!(
            "ref({}{})",
            r.target,
            r.path.iter().map(|p| format!(".{p}")).collect::<String>()
        ),
        Expr::Template(parts) => parts
            .iter()
            .map(|p| match p {
                TemplatePart::Text(t) => t.clone(),
                TemplatePart::Ref(r) => format!("${{{}.{}}}", r.target, r.path.join(".")),
            })
            .collect::<Vec<_>>()
            .join(""),
        Expr::List(items) => format!(
            "[{}]",
            items.iter().map(render_expr).collect::<Vec<_>>().join(", ")
        ),
        Expr::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k} = {}", render_expr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A readable summary of a loaded config.
fn summary(c: &Config) -> String {
    let mut out = format!("stack {} (sha256 {}…)\n", c.stack_name, &c.sha256[..12]);
    for v in c.variables.values() {
        let _ = writeln!(out, "var {} = {}", v.name, v.value);
    }
    for p in c.providers.values() {
        let _ = writeln!(
            out,
            "provider {} {:?}",
            p.name,
            p.settings
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
        );
    }
    for r in c.resources.iter().chain(&c.data) {
        let _ = writeln!(
            out,
            "{} @ {}:{}",
            r.address,
            r.span.file.display(),
            r.span.line
        );
        for (k, e) in &r.attrs {
            let _ = writeln!(out, "  {k} = {}", render_expr(e));
        }
        if r.lifecycle != Default::default() {
            let _ = writeln!(out, "  lifecycle = {:?}", r.lifecycle);
        }
        if !r.timeouts.is_empty() {
            let _ = writeln!(out, "  timeouts = {:?}", r.timeouts);
        }
    }
    for o in c.outputs.values() {
        let _ = writeln!(out, "output {} = {}", o.name, render_expr(&o.value));
    }
    out
}

fn run(case: &str) -> String {
    match load(&fixture(case), &opts(), &schemas()) {
        Ok(c) => summary(&c),
        Err(d) => format!("{} problems\n\n{}\n", d.len(), d.render()),
    }
}

#[test]
fn multi_error_stack() {
    insta::assert_snapshot!("multi_error", run("multi_error"));
}

#[test]
fn syntax_error_stack() {
    insta::assert_snapshot!("syntax_error", run("syntax_error"));
}

#[test]
fn valid_stack() {
    insta::assert_snapshot!("valid", run("valid"));
}

#[test]
fn sensitive_stack() {
    insta::assert_snapshot!("sensitive", run("sensitive"));
}
