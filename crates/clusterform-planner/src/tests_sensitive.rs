//! Sensitivity through references, end to end: a stack loaded from TOML whose attributes take a
//! sensitive variable (directly, nested in a map, interpolated, and through another resource)
//! plans with those attributes hidden in every rendering and nulled in the redacted copy; and a
//! state that holds them as digests plans no diff while the secret is unchanged, an update when
//! it changes, and a delete that prints neither values nor digests.

use clusterform_model::{Action, OutputState, ResourceState, Value};

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

/// The state an apply of `STACK` with `secret` leaves: the cluster's sensitive attributes as
/// digests, and the add-on (whose `url` comes from the cluster's description) likewise.
fn digested_state(secret: &str) -> clusterform_model::State {
    let mut st = state(vec![]);
    let description = Value::str(format!("db password: {secret}"));
    let tags = Value::Map(
        [
            ("env".to_string(), Value::str("prod")),
            ("token".to_string(), Value::str(secret)),
        ]
        .into(),
    );
    let mut prod = cluster_state("test_cluster.prod", "prod", "v1.28");
    prod.attributes.insert("description".into(), description);
    prod.attributes.insert("tags".into(), tags);
    prod.sensitive_attrs = vec!["description".into(), "tags".into()];
    prod.seal(&st.lineage);
    let mut dns: ResourceState = rs(
        "test_addon.dns",
        "a-1",
        &[
            ("cluster_id", Value::str(prod.id.clone())),
            ("name", Value::str("dns")),
            ("id", Value::str("a-1")),
            (
                "url",
                Value::str(format!("https://x/?k=db password: {secret}")),
            ),
        ],
    );
    dns.sensitive_attrs = vec!["url".into()];
    dns.seal(&st.lineage);
    st.resources.insert(prod.address.clone(), prod);
    st.resources.insert(dns.address.clone(), dns);
    st
}

fn assert_no_digest(text: &str) {
    assert!(!text.contains("sensitive:hmac-sha256"), "{text}");
}

#[test]
fn an_unchanged_secret_recorded_as_a_digest_plans_no_changes() {
    let mut cfg = load_stack(STACK);
    output(&mut cfg, "url", rf("test_addon.dns", "url"), true);
    let mut st = digested_state("hunter2");
    st.outputs.insert(
        "url".into(),
        OutputState {
            value: Value::Null,
            sensitive: true,
        },
    );
    let plan = Fixture::new(cfg, st).ok();
    assert!(!plan.has_changes(), "{}", render_human(&plan, false));
    // Planned values hold the secret, not its digest (a later reference or output reads them).
    let out = &plan.outputs[0];
    assert_eq!(
        out.after,
        Some(Value::str("https://x/?k=db password: hunter2"))
    );
    assert!(out.sensitive);
}

#[test]
fn a_changed_secret_plans_an_update_that_prints_neither_value_nor_digest() {
    let plan = Fixture::new(load_stack(STACK), digested_state("old-secret")).ok();
    assert_eq!(
        actions(&plan),
        vec![
            ("test_cluster.prod".to_string(), Action::Update),
            ("test_addon.dns".to_string(), Action::Update),
        ]
    );
    let prod = change(&plan, "test_cluster.prod");
    let paths: Vec<&str> = prod.attr_changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["tags.token", "description"], "only the changed key");
    let human = render_human(&plan, false);
    assert_hidden(&human);
    assert_no_digest(&human);
    for text in [
        render_markdown(&plan, 60_000),
        render_json_string(&plan, false),
        serde_json::to_string(&redact_sensitive(&plan)).unwrap(),
    ] {
        assert_hidden(&text);
        assert_no_digest(&text);
    }
}

#[test]
fn a_removed_resource_plans_a_delete_that_hides_its_recorded_secrets() {
    let without_addon = STACK.split("[resources.test_addon.dns]").next().unwrap();
    let plan = Fixture::new(load_stack(without_addon), digested_state("hunter2")).ok();
    assert_eq!(
        actions(&plan),
        vec![
            ("test_cluster.prod".to_string(), Action::NoOp),
            ("test_addon.dns".to_string(), Action::Delete)
        ]
    );
    let dns = change(&plan, "test_addon.dns");
    assert!(dns.sensitive_attrs.iter().any(|n| n == "url"), "{dns:?}");
    let human = render_human(&plan, false);
    assert!(human.contains("(sensitive)"), "{human}");
    for text in [
        human,
        render_markdown(&plan, 60_000),
        render_json_string(&plan, false),
        serde_json::to_string(&redact_sensitive(&plan)).unwrap(),
    ] {
        assert_hidden(&text);
        assert_no_digest(&text);
    }
}
