//! Sensitivity through references, end to end: a stack loaded from TOML whose attributes take a
//! sensitive variable (directly, nested in a map, interpolated, and through another resource)
//! plans with those attributes hidden in every rendering and nulled in the redacted copy.

use clusterform_model::{Action, Value};

use crate::render::{redact_sensitive, render_human, render_json_string, render_markdown};
use crate::testkit::*;

const STACK: &str = r#"[variables.secret]
default = "hunter2"
sensitive = true

[resources.test_cluster.prod]
name = "prod"
version = "v1.28"
description = "db password: ${var.secret}"
tags = { token = "${var.secret}", env = "prod" }

[resources.test_addon.dns]
cluster_id = "${test_cluster.prod.id}"
name = "dns"
url = "https://x/?k=${test_cluster.prod.description}"
"#;

fn sensitive_plan() -> clusterform_model::Plan {
    let cfg = load_stack(STACK);
    let mut prod = cluster_state("test_cluster.prod", "prod", "v1.28");
    prod.attributes
        .insert("description".into(), Value::str("db password: old-secret"));
    Fixture::new(cfg, state(vec![prod])).ok()
}

fn assert_hidden(text: &str) {
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains("old-secret"), "{text}");
}

#[test]
fn attributes_from_sensitive_values_are_sensitive_in_changes() {
    let plan = sensitive_plan();
    assert_eq!(
        actions(&plan),
        vec![
            ("test_cluster.prod".to_string(), Action::Update),
            ("test_addon.dns".to_string(), Action::Create),
        ]
    );
    let prod = change(&plan, "test_cluster.prod");
    // The schema's own sensitive attribute first, then those the config makes sensitive.
    assert_eq!(prod.sensitive_attrs, ["password", "description", "tags"]);
    assert_eq!(change(&plan, "test_addon.dns").sensitive_attrs, ["url"]);
}

#[test]
fn every_rendering_hides_them() {
    let plan = sensitive_plan();
    let human = render_human(&plan, false);
    assert_hidden(&human);
    assert!(
        human.contains("~ description = (sensitive) -> (sensitive)"),
        "{human}"
    );
    assert!(human.contains("+ url        = (sensitive)"), "{human}");
    insta::assert_snapshot!("sensitive_human", human);
    let markdown = render_markdown(&plan, 60_000);
    assert_hidden(&markdown);
    assert!(markdown.contains("(sensitive)"), "{markdown}");
    let json = render_json_string(&plan, false);
    assert_hidden(&json);
    let redacted = serde_json::to_string(&redact_sensitive(&plan)).unwrap();
    assert_hidden(&redacted);
    // What is not sensitive still shows.
    assert!(human.contains("+ name       = \"dns\""), "{human}");
}
