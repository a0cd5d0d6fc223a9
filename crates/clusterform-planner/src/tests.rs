//! Unit tests of the per-resource diff rules: which action and disruption each kind of
//! difference plans, and what `after` carries.

use clusterform_model::{Action, Disruption, PlanMode, Value};

use crate::testkit::*;
use crate::{PlanErrorKind, REASON_REPLACE_FLAG, REASON_TAINTED};

#[test]
fn new_cluster_is_created_with_unknown_computed_attrs_and_merged_timeouts() {
    let cfg = config(vec![
        cluster("test_cluster.prod", "prod", "v1.28").timeout("create", 5400)
    ]);
    let plan = Fixture::new(cfg, clusterform_model::State::new("fresh")).ok();
    let c = change(&plan, "test_cluster.prod");
    assert_eq!((c.action, c.disruption), (Action::Create, Disruption::None));
    let after = c.after.as_ref().unwrap();
    assert_eq!(after.get("id"), Some(&Value::Unknown));
    assert_eq!(
        after.get("flavor"),
        Some(&Value::Unknown),
        "optional+computed left out is chosen by the cloud"
    );
    assert_eq!(after.get("version"), Some(&Value::str("v1.28")));
    assert!(
        after.get("description").is_none(),
        "optional left out stays null"
    );
    assert!(c.before.is_none() && c.id.is_none());
    assert_eq!(c.timeouts.get("create"), Some(&5400));
    assert_eq!(c.timeouts.get("upgrade"), Some(&7200));
    assert_eq!(c.sensitive_attrs, vec!["password".to_string()]);
    assert_eq!(c.provider, "test");
    assert!(c
        .attr_changes
        .iter()
        .any(|a| a.path == "id" && a.before.is_none() && a.after == Some(Value::Unknown)));
    // A state never written has no lineage to check a saved plan against.
    assert_eq!((plan.lineage.clone(), plan.serial), (None, 0));
    assert_eq!(plan.summary().create, 1);
}

#[test]
fn matching_cluster_is_a_no_op_carrying_recorded_values() {
    let cfg = config(vec![cluster("test_cluster.prod", "prod", "v1.28")]);
    let plan = Fixture::new(
        cfg,
        state(vec![cluster_state("test_cluster.prod", "prod", "v1.28")]),
    )
    .ok();
    let c = change(&plan, "test_cluster.prod");
    assert_eq!((c.action, c.disruption), (Action::NoOp, Disruption::None));
    assert_eq!(c.id.as_deref(), Some("c-prod"));
    assert_eq!(c.after, c.before);
    assert!(!plan.has_changes());
    assert_eq!(
        (plan.lineage.as_deref(), plan.serial),
        (Some("lineage-1"), 7)
    );
}

#[test]
fn equivalent_versions_are_no_diff_and_keep_the_recorded_value() {
    let cfg = config(vec![cluster("test_cluster.prod", "prod", "v1.28")]);
    let plan = Fixture::new(
        cfg,
        state(vec![cluster_state(
            "test_cluster.prod",
            "prod",
            "v1.28.3-r0",
        )]),
    )
    .ok();
    let c = change(&plan, "test_cluster.prod");
    assert_eq!(c.action, Action::NoOp);
    assert_eq!(
        c.after.as_ref().unwrap().get("version"),
        Some(&Value::str("v1.28.3-r0"))
    );
}

#[test]
fn optional_computed_left_out_is_not_a_diff() {
    let cfg = config(vec![res("test_cluster.prod").set("name", lit("prod"))]);
    let plan = Fixture::new(
        cfg,
        state(vec![cluster_state(
            "test_cluster.prod",
            "prod",
            "v1.28.3-r0",
        )]),
    )
    .ok();
    let c = change(&plan, "test_cluster.prod");
    assert_eq!(c.action, Action::NoOp);
    assert_eq!(
        c.after.as_ref().unwrap().get("flavor"),
        Some(&Value::str("small"))
    );
}

#[test]
fn maps_diff_by_key_as_an_in_place_update() {
    let cfg = config(vec![cluster("test_cluster.prod", "prod", "v1.28")
        .set("tags", map_lit(&[("env", "prod"), ("team", "core")]))]);
    let mut st = cluster_state("test_cluster.prod", "prod", "v1.28");
    st.attributes.insert(
        "tags".into(),
        map_lit_value(&[("env", "staging"), ("old", "x")]),
    );
    let plan = Fixture::new(cfg, state(vec![st])).ok();
    let c = change(&plan, "test_cluster.prod");
    assert_eq!(
        (c.action, c.disruption),
        (Action::Update, Disruption::InPlace)
    );
    let paths: Vec<(&str, bool, bool)> = c
        .attr_changes
        .iter()
        .map(|a| (a.path.as_str(), a.before.is_some(), a.after.is_some()))
        .collect();
    assert_eq!(
        paths,
        vec![
            ("tags.env", true, true),
            ("tags.old", true, false),
            ("tags.team", false, true)
        ]
    );
    assert!(c.attr_changes.iter().all(|a| !a.forces_replace));
}

fn map_lit_value(pairs: &[(&str, &str)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::str(*v)))
            .collect(),
    )
}

#[test]
fn an_optional_attr_removed_from_config_is_a_diff() {
    let cfg = config(vec![cluster("test_cluster.prod", "prod", "v1.28")]);
    let mut st = cluster_state("test_cluster.prod", "prod", "v1.28");
    st.attributes
        .insert("description".into(), Value::str("old text"));
    let plan = Fixture::new(cfg, state(vec![st])).ok();
    let c = change(&plan, "test_cluster.prod");
    assert_eq!(c.action, Action::Update);
    assert_eq!(c.attr_changes[0].path, "description");
    assert_eq!(c.attr_changes[0].after, None);
    assert!(!c.after.as_ref().unwrap().contains_key("description"));
}

#[test]
fn sensitive_attr_changes_are_flagged() {
    let cfg = config(vec![
        cluster("test_cluster.prod", "prod", "v1.28").set("password", lit("new"))
    ]);
    let plan = Fixture::new(
        cfg,
        state(vec![cluster_state("test_cluster.prod", "prod", "v1.28")]),
    )
    .ok();
    let c = change(&plan, "test_cluster.prod");
    assert_eq!(c.action, Action::Update);
    assert!(c
        .attr_changes
        .iter()
        .any(|a| a.path == "password" && a.sensitive));
}

#[test]
fn force_new_change_of_a_guarded_cluster_is_refused_with_how_to_allow_it() {
    let cfg = config(vec![cluster("test_cluster.prod", "prod-2", "v1.28")]);
    let err = Fixture::new(
        cfg,
        state(vec![cluster_state("test_cluster.prod", "prod", "v1.28")]),
    )
    .run()
    .unwrap_err();
    assert_eq!(err.errors.len(), 1);
    let e = &err.errors[0];
    assert_eq!(e.kind, PlanErrorKind::GuardedReplace);
    assert_eq!(e.address, Some(addr("test_cluster.prod")));
    assert!(
        e.message.contains("replace: a new cluster"),
        "{}",
        e.message
    );
    assert!(e.message.contains("`name`"), "{}", e.message);
    let hint = e.hint.as_deref().unwrap();
    assert!(
        hint.contains("allow_replace = true") && hint.contains("--allow-replace test_cluster.prod"),
        "{hint}"
    );
}

#[test]
fn force_new_change_replaces_when_lifecycle_allows_it() {
    let cfg = config(vec![
        cluster("test_cluster.prod", "prod-2", "v1.28").lifecycle(|l| l.allow_replace = true)
    ]);
    let plan = Fixture::new(
        cfg,
        state(vec![cluster_state("test_cluster.prod", "prod", "v1.28")]),
    )
    .ok();
    let c = change(&plan, "test_cluster.prod");
    assert_eq!(
        (c.action, c.disruption),
        (Action::Replace, Disruption::Replace)
    );
    let name = c.attr_changes.iter().find(|a| a.path == "name").unwrap();
    assert!(name.forces_replace);
    let id = c.attr_changes.iter().find(|a| a.path == "id").unwrap();
    assert_eq!(
        (id.before.clone(), id.after.clone()),
        (Some(Value::str("c-prod")), Some(Value::Unknown))
    );
    assert_eq!(
        c.after.as_ref().unwrap().get("endpoint"),
        Some(&Value::Unknown)
    );
    assert_eq!(c.reason, None);
}

#[test]
fn force_new_change_replaces_when_allowed_on_the_command_line() {
    let cfg = config(vec![cluster("test_cluster.prod", "prod-2", "v1.28")]);
    let mut f = Fixture::new(
        cfg,
        state(vec![cluster_state("test_cluster.prod", "prod", "v1.28")]),
    );
    f.options.allow_replace = vec![addr("test_cluster.prod")];
    assert_eq!(change(&f.ok(), "test_cluster.prod").action, Action::Replace);
}

#[test]
fn unguarded_types_replace_without_permission() {
    let cfg = config(vec![res("test_addon.dns")
        .set("cluster_id", lit("c-2"))
        .set("name", lit("dns"))]);
    let st = rs(
        "test_addon.dns",
        "a-1",
        &[
            ("cluster_id", Value::str("c-1")),
            ("name", Value::str("dns")),
        ],
    );
    let plan = Fixture::new(cfg, state(vec![st])).ok();
    assert_eq!(change(&plan, "test_addon.dns").action, Action::Replace);
}

#[test]
fn version_change_is_an_upgrade_expanded_into_hops() {
    let cfg = config(vec![cluster("test_cluster.prod", "prod", "v1.30")]);
    let plan = Fixture::new(
        cfg,
        state(vec![cluster_state(
            "test_cluster.prod",
            "prod",
            "v1.27.4-r1",
        )]),
    )
    .ok();
    let c = change(&plan, "test_cluster.prod");
    assert_eq!(
        (c.action, c.disruption),
        (Action::Upgrade, Disruption::Rolling)
    );
    let hops: Vec<(&str, &str)> = c
        .upgrade
        .iter()
        .map(|h| (h.from.as_str(), h.to.as_str()))
        .collect();
    assert_eq!(
        hops,
        vec![("v1.27", "v1.28"), ("v1.28", "v1.29"), ("v1.29", "v1.30")]
    );
    assert!(c.upgrade.iter().all(|h| h.steps.len() == 4));
    assert_eq!(c.attr_changes.len(), 1);
    assert_eq!(c.attr_changes[0].after, Some(Value::str("v1.30")));
    assert_eq!(plan.summary().upgrade, 1);
}

#[test]
fn downgrade_is_a_plan_error_naming_the_resource() {
    let cfg = config(vec![cluster("test_cluster.prod", "prod", "v1.27")]);
    let err = Fixture::new(
        cfg,
        state(vec![cluster_state("test_cluster.prod", "prod", "v1.30")]),
    )
    .run()
    .unwrap_err();
    let e = &err.errors[0];
    assert_eq!(
        (e.kind, e.address.clone()),
        (PlanErrorKind::Upgrade, Some(addr("test_cluster.prod")))
    );
    assert!(
        e.message.contains("downgrade from v1.30 to v1.27"),
        "{}",
        e.message
    );
}

#[test]
fn a_provider_without_hooks_refuses_a_downgrade_too() {
    let cfg = config(vec![cluster("test_cluster.prod", "prod", "v1.9")]);
    let f = Fixture::new(
        cfg,
        state(vec![cluster_state("test_cluster.prod", "prod", "v1.10")]),
    );
    let input = crate::PlanInput {
        config: &f.config,
        prior: &f.prior,
        refreshed: &f.refreshed,
        data: &f.data,
        schemas: &f.schemas,
        hooks: &crate::HookMap::new(),
        fingerprints: &f.fingerprints,
        options: &f.options,
    };
    let err = crate::plan(&input).unwrap_err();
    assert_eq!(err.errors.len(), 1);
    assert_eq!(err.errors[0].kind, PlanErrorKind::Upgrade);
    assert_eq!(
        err.errors[0].message,
        "cannot upgrade version \"v1.10\" -> \"v1.9\": downgrade from v1.10 to v1.9 is not supported"
    );
    // Upwards, the default hooks plan a single hop.
    let f = Fixture::new(
        config(vec![cluster("test_cluster.prod", "prod", "v1.10")]),
        state(vec![cluster_state("test_cluster.prod", "prod", "v1.9")]),
    );
    let plan = crate::plan(&crate::PlanInput {
        config: &f.config,
        prior: &f.prior,
        refreshed: &f.refreshed,
        data: &f.data,
        schemas: &f.schemas,
        hooks: &crate::HookMap::new(),
        fingerprints: &f.fingerprints,
        options: &f.options,
    })
    .unwrap();
    assert_eq!(change(&plan, "test_cluster.prod").action, Action::Upgrade);
    assert_eq!(change(&plan, "test_cluster.prod").upgrade.len(), 1);
}

#[test]
fn create_only_and_no_diff_attrs_never_diff_but_after_keeps_the_new_value() {
    let install = clusterform_config::Expr::Literal(Value::List(vec![Value::str("coredns")]));
    let cfg = config(vec![cluster("test_cluster.prod", "prod", "v1.28")
        .set("install_addons", install)
        .set("delete_efs", lit(true))]);
    let mut st = cluster_state("test_cluster.prod", "prod", "v1.28");
    st.attributes
        .insert("install_addons".into(), Value::List(vec![]));
    st.attributes
        .insert("delete_efs".into(), Value::Bool(false));
    let plan = Fixture::new(cfg, state(vec![st])).ok();
    let c = change(&plan, "test_cluster.prod");
    assert_eq!(c.action, Action::NoOp);
    let after = c.after.as_ref().unwrap();
    assert_eq!(after.get("delete_efs"), Some(&Value::Bool(true)));
    assert_eq!(
        after.get("install_addons"),
        Some(&Value::List(vec![Value::str("coredns")]))
    );
}

#[test]
fn ignore_changes_by_name_and_star() {
    let st = || {
        let mut s = cluster_state("test_cluster.prod", "prod", "v1.28");
        s.attributes
            .insert("tags".into(), map_lit_value(&[("env", "a")]));
        state(vec![s])
    };
    let by_name = config(vec![cluster("test_cluster.prod", "prod", "v1.28")
        .set("tags", map_lit(&[("env", "b")]))
        .lifecycle(|l| l.ignore_changes = vec!["tags".into()])]);
    let c = Fixture::new(by_name, st()).ok();
    assert_eq!(change(&c, "test_cluster.prod").action, Action::NoOp);
    assert_eq!(
        change(&c, "test_cluster.prod")
            .after
            .as_ref()
            .unwrap()
            .get("tags"),
        Some(&map_lit_value(&[("env", "a")]))
    );

    let star = config(vec![cluster("test_cluster.prod", "renamed", "v1.30")
        .set("tags", map_lit(&[("env", "b")]))
        .lifecycle(|l| l.ignore_changes = vec!["*".into()])]);
    assert_eq!(
        change(&Fixture::new(star, st()).ok(), "test_cluster.prod").action,
        Action::NoOp
    );
}

#[test]
fn prevent_destroy_refuses_a_replace() {
    let cfg = config(vec![res("test_addon.dns")
        .set("cluster_id", lit("c-2"))
        .set("name", lit("dns"))
        .lifecycle(|l| l.prevent_destroy = true)]);
    let st = rs(
        "test_addon.dns",
        "a-1",
        &[
            ("cluster_id", Value::str("c-1")),
            ("name", Value::str("dns")),
        ],
    );
    let err = Fixture::new(cfg, state(vec![st])).run().unwrap_err();
    assert_eq!(err.errors.len(), 1);
    assert_eq!(err.errors[0].kind, PlanErrorKind::PreventDestroy);
    assert_eq!(err.errors[0].address, Some(addr("test_addon.dns")));
}

#[test]
fn prevent_destroy_refuses_destroy_mode() {
    let cfg = config(vec![
        cluster("test_cluster.prod", "prod", "v1.28").lifecycle(|l| l.prevent_destroy = true)
    ]);
    let mut f = Fixture::new(
        cfg,
        state(vec![cluster_state("test_cluster.prod", "prod", "v1.28")]),
    );
    f.options.mode = PlanMode::Destroy;
    let err = f.run().unwrap_err();
    assert!(err.has(PlanErrorKind::PreventDestroy));
    assert!(
        err.to_string()
            .contains("test_cluster.prod: lifecycle.prevent_destroy"),
        "{err}"
    );
}

#[test]
fn tainted_entries_are_replaced_and_guarded_types_still_need_permission() {
    let cfg = config(vec![
        cluster("test_cluster.prod", "prod", "v1.28"),
        res("test_addon.dns")
            .set("cluster_id", lit("c-prod"))
            .set("name", lit("dns")),
    ]);
    let mut addon = rs(
        "test_addon.dns",
        "a-1",
        &[
            ("cluster_id", Value::str("c-prod")),
            ("name", Value::str("dns")),
        ],
    );
    addon.tainted = true;
    let mut cl = cluster_state("test_cluster.prod", "prod", "v1.28");
    cl.tainted = true;
    let err = Fixture::new(cfg.clone(), state(vec![cl.clone(), addon.clone()]))
        .run()
        .unwrap_err();
    assert_eq!(err.errors.len(), 1);
    assert!(
        err.errors[0].message.contains("because it is tainted"),
        "{}",
        err.errors[0].message
    );

    let mut f = Fixture::new(cfg, state(vec![cl, addon]));
    f.options.allow_replace = vec![addr("test_cluster.prod")];
    let plan = f.ok();
    for a in ["test_cluster.prod", "test_addon.dns"] {
        let c = change(&plan, a);
        assert_eq!(
            (c.action, c.reason.as_deref()),
            (Action::Replace, Some(REASON_TAINTED)),
            "{a}"
        );
    }
}

#[test]
fn replace_flag_forces_a_replace_and_counts_as_permission() {
    let cfg = config(vec![cluster("test_cluster.prod", "prod", "v1.28")]);
    let mut f = Fixture::new(
        cfg,
        state(vec![cluster_state("test_cluster.prod", "prod", "v1.28")]),
    );
    f.options.replace = vec![addr("test_cluster.prod")];
    let plan = f.ok();
    let c = change(&plan, "test_cluster.prod");
    assert_eq!(
        (c.action, c.reason.as_deref()),
        (Action::Replace, Some(REASON_REPLACE_FLAG))
    );

    f.options.replace = vec![addr("test_cluster.nope")];
    let err = f.run().unwrap_err();
    assert!(err.has(PlanErrorKind::UnknownAddress));
}

#[test]
fn all_errors_are_reported_at_once() {
    let cfg = config(vec![
        cluster("test_cluster.a", "a-renamed", "v1.28"),
        cluster("test_cluster.b", "b", "v1.26"),
        res("test_addon.x")
            .set("cluster_id", lit("c-9"))
            .set("name", lit("x"))
            .lifecycle(|l| l.prevent_destroy = true),
    ]);
    let st = state(vec![
        cluster_state("test_cluster.a", "a", "v1.28"),
        cluster_state("test_cluster.b", "b", "v1.29"),
        rs(
            "test_addon.x",
            "a-1",
            &[("cluster_id", Value::str("c-1")), ("name", Value::str("x"))],
        ),
    ]);
    let err = Fixture::new(cfg, st).run().unwrap_err();
    let kinds: Vec<PlanErrorKind> = err.errors.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![
            PlanErrorKind::PreventDestroy,
            PlanErrorKind::GuardedReplace,
            PlanErrorKind::Upgrade
        ]
    );
}
