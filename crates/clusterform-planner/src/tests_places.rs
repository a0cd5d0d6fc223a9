//! Plan errors about a resource point at its block in the stack (`file:line:col`, snippet,
//! hint), and `prevent_destroy` guards instances whose `for_each` key is gone.

use clusterform_config::SourceFile;
use clusterform_model::{Action, PlanMode};

use crate::testkit::*;
use crate::{PlanErrorKind, PlanErrors};

const GUARDED: &str = r#"[resources.test_cluster.c]
for_each = FOR_EACH
name = "c-${each.key}"
version = "v1.28"
lifecycle = { prevent_destroy = true }
"#;

fn guarded(for_each: &str) -> String {
    GUARDED.replace("FOR_EACH", for_each)
}

fn two_recorded() -> clusterform_model::State {
    state(vec![
        cluster_state("test_cluster.c[\"a\"]", "c-a", "v1.28"),
        cluster_state("test_cluster.c[\"b\"]", "c-b", "v1.28"),
    ])
}

fn files(text: &str) -> Vec<SourceFile> {
    vec![SourceFile {
        path: "main.toml".into(),
        text: text.into(),
    }]
}

fn errors(text: &str, st: clusterform_model::State, mode: PlanMode) -> PlanErrors {
    let mut f = Fixture::new(load_stack(text), st);
    f.options.mode = mode;
    f.run().unwrap_err()
}

#[test]
fn a_key_removed_from_for_each_is_still_protected() {
    let err = errors(&guarded("[\"a\"]"), two_recorded(), PlanMode::Normal);
    assert_eq!(err.errors.len(), 1, "{err}");
    let e = &err.errors[0];
    assert_eq!(e.kind, PlanErrorKind::PreventDestroy);
    assert_eq!(e.address, Some(addr("test_cluster.c[\"b\"]")));
    let span = e.span.as_ref().expect("points at the block");
    assert_eq!(
        (span.file.to_str(), span.line, span.col),
        (Some("main.toml"), 1, 1)
    );
    // An empty `for_each` keeps the block, and so its protection, for every instance.
    let err = errors(&guarded("{}"), two_recorded(), PlanMode::Normal);
    let named: Vec<String> = err
        .errors
        .iter()
        .map(|e| e.address.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(named, ["test_cluster.c[\"a\"]", "test_cluster.c[\"b\"]"]);
}

#[test]
fn without_protection_or_without_the_block_the_instance_is_deleted() {
    let unguarded = guarded("[\"a\"]").replace("lifecycle = { prevent_destroy = true }\n", "");
    let plan = Fixture::new(load_stack(&unguarded), two_recorded()).ok();
    assert_eq!(
        actions(&plan),
        [
            ("test_cluster.c[\"a\"]".to_string(), Action::NoOp),
            ("test_cluster.c[\"b\"]".to_string(), Action::Delete),
        ]
    );
    // Removing the whole block removes its protection with it, as in Terraform.
    let other = "[resources.test_addon.x]\ncluster_id = \"c\"\nname = \"x\"\n";
    let plan = Fixture::new(load_stack(other), two_recorded()).ok();
    assert_eq!(
        change(&plan, "test_cluster.c[\"b\"]").action,
        Action::Delete
    );
}

#[test]
fn destroy_mode_protects_instances_of_a_for_each_block() {
    let err = errors(&guarded("[\"a\"]"), two_recorded(), PlanMode::Destroy);
    assert_eq!(err.errors.len(), 2, "{err}");
    assert!(err
        .errors
        .iter()
        .all(|e| e.kind == PlanErrorKind::PreventDestroy
            && e.span.as_ref().is_some_and(|s| s.line == 1)));
}

const PROD: &str = r#"[resources.test_addon.dns]
cluster_id = "c"
name = "dns"

[resources.test_cluster.prod]
name = "NAME"
version = "VERSION"
"#;

fn prod(name: &str, version: &str) -> String {
    PROD.replace("NAME", name).replace("VERSION", version)
}

fn recorded_prod() -> clusterform_model::State {
    state(vec![cluster_state("test_cluster.prod", "prod", "v1.30")])
}

#[test]
fn guarded_replace_and_downgrade_render_the_block_with_snippet_and_hint() {
    let text = prod("prod-2", "v1.27");
    let err = errors(&text, recorded_prod(), PlanMode::Normal);
    let kinds: Vec<PlanErrorKind> = err.errors.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [PlanErrorKind::GuardedReplace]);
    let rendered = err.render(&files(&text));
    insta::assert_snapshot!("guarded_replace", rendered);
    let text = prod("prod", "v1.27");
    let err = errors(&text, recorded_prod(), PlanMode::Normal);
    let rendered = err.render(&files(&text));
    assert!(
        rendered.contains("error: test_cluster.prod: cannot upgrade version"),
        "{rendered}"
    );
    assert!(rendered.contains(" --> main.toml:5:1\n"), "{rendered}");
    assert!(
        rendered.contains("5 | [resources.test_cluster.prod]"),
        "{rendered}"
    );
    assert!(
        rendered.contains("= hint: set version to a version reachable"),
        "{rendered}"
    );
}

#[test]
fn a_target_naming_a_missing_instance_points_at_its_block() {
    let text = prod("prod", "v1.30");
    let mut f = Fixture::new(load_stack(&text), recorded_prod());
    f.options.targets = vec![addr("test_cluster.prod[\"x\"]"), addr("test_cluster.nope")];
    let err = f.run().unwrap_err();
    assert_eq!(err.errors.len(), 2, "{err}");
    let rendered = err.render(&files(&text));
    assert!(
        rendered.contains("error: test_cluster.nope: --target matches no resource in the config or state\n  = hint: check the address"),
        "{rendered}"
    );
    assert!(
        rendered.contains("error: test_cluster.prod[\"x\"]: --target matches no resource in the config or state\n --> main.toml:5:1"),
        "{rendered}"
    );
}
