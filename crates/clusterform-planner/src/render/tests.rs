//! Tests of the renderings over one representative plan made by the planner itself (upgrade with
//! hops, create, update with a multi-line and a sensitive value, allowed replace, delete, drift,
//! outputs, a provider warning), with `insta` snapshots of the human and Markdown forms.

use clusterform_model::{Action, Change, Disruption, Plan, Severity, Value};

use super::{
    redact_sensitive, render_human, render_json, render_markdown, DEFAULT_MARKDOWN_MAX_CHARS,
};
use crate::testkit::*;

fn representative() -> Plan {
    let mut cfg = config(vec![
        cluster("test_cluster.prod", "prod", "v1.30").set("tags", map_lit(&[("env", "prod")])),
        cluster("test_cluster.staging", "staging", "v1.28")
            .set(
                "description",
                lit("line one\nline two changed\nline three\n"),
            )
            .set("password", lit("hunter3")),
        cluster("test_cluster.dev", "dev-2", "v1.28").lifecycle(|l| l.allow_replace = true),
        res("test_addon.dns")
            .set("cluster_id", rf("test_cluster.prod", "id"))
            .set("name", lit("coredns"))
            .set("replicas", lit(2i64)),
    ]);
    output(
        &mut cfg,
        "prod_endpoint",
        rf("test_cluster.prod", "endpoint"),
        false,
    );
    output(&mut cfg, "dev_id", rf("test_cluster.dev", "id"), false);
    let mut prod = cluster_state("test_cluster.prod", "prod", "v1.27.4-r0");
    prod.attributes.insert(
        "tags".into(),
        Value::Map([("env".to_string(), Value::str("prod"))].into()),
    );
    let mut staging = cluster_state("test_cluster.staging", "staging", "v1.28.3-r0");
    staging.attributes.insert(
        "description".into(),
        Value::str("line one\nline two\nline three\n"),
    );
    staging
        .attributes
        .insert("password".into(), Value::str("hunter2"));
    let mut old = rs(
        "test_addon.old",
        "a-9",
        &[
            ("cluster_id", Value::str("c-prod")),
            ("name", Value::str("old")),
            ("id", Value::str("a-9")),
        ],
    );
    old.dependencies = vec![addr("test_cluster.prod")];
    let mut st = state(vec![
        prod,
        staging,
        cluster_state("test_cluster.dev", "dev", "v1.28"),
        old,
    ]);
    st.outputs.insert(
        "prod_endpoint".into(),
        clusterform_model::OutputState {
            value: Value::str("https://prod.example"),
            sensitive: false,
        },
    );
    let mut f = Fixture::new(cfg, st);
    let live = f
        .refreshed
        .resources
        .get_mut(&addr("test_cluster.prod"))
        .unwrap();
    live.attributes.insert(
        "tags".into(),
        Value::Map(
            [
                ("env".to_string(), Value::str("prod")),
                ("owner".to_string(), Value::str("ops")),
            ]
            .into(),
        ),
    );
    f.prior
        .resources
        .get_mut(&addr("test_cluster.prod"))
        .unwrap()
        .attributes
        .remove("tags");
    f.hooks.issues = vec![issue(
        Severity::Warning,
        Some("test_cluster.prod"),
        "pre-check passed with 1 warning: deprecated API in use",
    )];
    f.ok()
}

#[test]
fn representative_plan_has_every_action() {
    let plan = representative();
    let got: Vec<(String, Action)> = actions(&plan);
    assert_eq!(
        got,
        vec![
            ("test_cluster.dev".to_string(), Action::Replace),
            ("test_cluster.prod".to_string(), Action::Upgrade),
            ("test_addon.dns".to_string(), Action::Create),
            ("test_cluster.staging".to_string(), Action::Update),
            ("test_addon.old".to_string(), Action::Delete),
        ]
    );
}

#[test]
fn human_rendering_snapshot() {
    let text = render_human(&representative(), false);
    assert!(
        text.contains("Plan: 1 to create, 1 to update, 1 to upgrade, 1 to replace, 1 to delete.")
    );
    assert!(!text.contains("hunter"), "sensitive values never show");
    assert!(!text.contains('\x1b'));
    insta::assert_snapshot!("human", text);
}

#[test]
fn human_rendering_colours_only_when_asked() {
    let text = render_human(&representative(), true);
    assert!(text.contains("\x1b[32m+\x1b[0m"), "green plus");
    assert!(text.contains("\x1b[33m~\x1b[0m"), "yellow tilde");
}

#[test]
fn human_rendering_of_no_changes() {
    let cfg = config(vec![cluster("test_cluster.a", "a", "v1.28")]);
    let plan = Fixture::new(
        cfg,
        state(vec![cluster_state("test_cluster.a", "a", "v1.28")]),
    )
    .ok();
    assert_eq!(
        render_human(&plan, false),
        "No changes. Your infrastructure matches the configuration.\n"
    );
}

#[test]
fn markdown_rendering_snapshot() {
    let text = render_markdown(&representative(), DEFAULT_MARKDOWN_MAX_CHARS);
    assert!(!text.contains("hunter"));
    insta::assert_snapshot!("markdown", text);
}

fn big_plan(n: usize) -> Plan {
    let mut plan = representative();
    let template = plan
        .changes
        .iter()
        .find(|c| c.action == Action::Create)
        .cloned()
        .unwrap();
    plan.changes = (0..n)
        .map(|i| Change {
            address: addr(&format!("test_addon.a{i:05}")),
            ..template.clone()
        })
        .collect();
    plan
}

#[test]
fn markdown_never_exceeds_the_limit_and_says_what_was_cut() {
    let plan = big_plan(10_000);
    let text = render_markdown(&plan, DEFAULT_MARKDOWN_MAX_CHARS);
    assert!(
        text.chars().count() <= DEFAULT_MARKDOWN_MAX_CHARS,
        "{}",
        text.chars().count()
    );
    assert!(text.contains(
        "**Plan: 10000 to create, 0 to update, 0 to upgrade, 0 to replace, 0 to delete.**"
    ));
    let note = text
        .lines()
        .rev()
        .find(|l| l.contains("more resources not shown"))
        .expect("a cut note");
    assert!(note.ends_with("see the JSON plan._"), "{note}");
    let rows = text
        .lines()
        .filter(|l| l.starts_with("| <code>test_addon.a"))
        .count();
    assert!(
        note.contains(&format!("{} more resources not shown", 10_000 - rows)),
        "{note} / {rows}"
    );

    // A plan whose table fits but whose details do not keeps every row and cuts details.
    let text = render_markdown(&big_plan(150), 20_000);
    assert!(text.chars().count() <= 20_000);
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("| <code>test_addon.a"))
            .count(),
        150
    );
    assert!(
        text.contains("more resources not shown; see the JSON plan"),
        "details cut note"
    );

    // Even an absurdly small limit holds.
    assert!(render_markdown(&plan, 10).chars().count() <= 10);
}

#[test]
fn json_rendering_follows_the_documented_schema() {
    let plan = representative();
    let j = render_json(&plan);
    assert_eq!(j["format_version"], "1.0");
    assert_eq!(j["mode"], "normal");
    assert_eq!(j["summary"]["upgrade"], 1);
    let rc = j["resource_changes"].as_array().unwrap();
    assert_eq!(rc.len(), plan.changes.len());
    let prod = rc
        .iter()
        .find(|c| c["address"] == "test_cluster.prod")
        .unwrap();
    assert_eq!(
        (prod["action"].as_str(), prod["disruption"].as_str()),
        (Some("upgrade"), Some(Disruption::Rolling.as_str()))
    );
    assert_eq!(prod["upgrade"].as_array().unwrap().len(), 3);
    assert_eq!(prod["drift"][0]["path"], "tags");
    let staging = rc
        .iter()
        .find(|c| c["address"] == "test_cluster.staging")
        .unwrap();
    assert_eq!(staging["after"]["password"], serde_json::Value::Null);
    assert_eq!(staging["sensitive_attrs"][0], "password");
    let pw = staging["attr_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "password")
        .unwrap();
    assert_eq!(
        (
            pw["before"].is_null(),
            pw["after"].is_null(),
            pw["sensitive"].as_bool()
        ),
        (true, true, Some(true))
    );
    let dns = rc
        .iter()
        .find(|c| c["address"] == "test_addon.dns")
        .unwrap();
    assert_eq!(dns["after"]["id"], serde_json::Value::Null);
    assert_eq!(dns["after_unknown"], serde_json::json!(["id"]));
    assert_eq!(dns["after"]["cluster_id"], "c-prod");
    assert!(!j.to_string().contains("hunter"));
    assert_eq!(j["warnings"].as_array().unwrap().len(), 1);
    let outs = j["output_changes"].as_array().unwrap();
    assert_eq!(
        outs.iter()
            .map(|o| o["action"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["create", "no-op"]
    );
}

#[test]
fn redaction_nulls_sensitive_values_only() {
    let plan = redact_sensitive(&representative());
    let staging = change(&plan, "test_cluster.staging");
    assert_eq!(
        staging.after.as_ref().unwrap().get("password"),
        Some(&Value::Null)
    );
    assert_eq!(
        staging.after.as_ref().unwrap().get("name"),
        Some(&Value::str("staging"))
    );
    assert!(!serde_json::to_string(&plan).unwrap().contains("hunter"));
}

#[test]
fn create_before_destroy_replaces_show_their_order_and_reasons_show() {
    let cfg = config(vec![res("test_addon.dns")
        .set("cluster_id", lit("c-2"))
        .set("name", lit("dns"))
        .lifecycle(|l| l.create_before_destroy = true)]);
    let st = rs(
        "test_addon.dns",
        "a-1",
        &[
            ("cluster_id", Value::str("c-1")),
            ("name", Value::str("dns")),
        ],
    );
    let mut f = Fixture::new(cfg, state(vec![st]));
    f.options.replace = vec![addr("test_addon.dns")];
    let text = render_human(&f.ok(), false);
    assert!(
        text.contains("+/- resource \"test_addon\" \"dns\" {"),
        "{text}"
    );
    assert!(text.contains("  # (because: --replace)"), "{text}");
    assert!(
        text.contains("~ cluster_id = \"c-1\" -> \"c-2\" # forces replacement"),
        "{text}"
    );
}

#[test]
fn deferred_reads_and_vanished_objects_are_shown() {
    let cfg = config(vec![
        res("data.test_versions.v").set("channel", lit("stable")),
        cluster("test_cluster.gone", "gone", "v1.28"),
    ]);
    let mut f = Fixture::new(
        cfg,
        state(vec![cluster_state("test_cluster.gone", "gone", "v1.28")]),
    );
    f.refreshed.resources.clear();
    let text = render_human(&f.ok(), false);
    assert!(
        text.contains("# test_cluster.gone has been deleted"),
        "{text}"
    );
    assert!(
        text.contains("# data.test_versions.v will be read during apply (disruption: none)"),
        "{text}"
    );
    assert!(
        text.contains(" <= data \"test_versions\" \"v\" {"),
        "{text}"
    );
    assert!(text.contains("+ latest  = (known after apply)"), "{text}");
}
