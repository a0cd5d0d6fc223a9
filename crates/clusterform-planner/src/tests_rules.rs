//! Unit tests of the plan-wide rules: references and unknowns, data sources, drift, deletes and
//! their order, destroy mode, `--target`, provider checks, outputs, and a 10,000-instance plan.

use clusterform_config::TemplatePart;
use clusterform_model::{Action, Disruption, PlanMode, Severity, Value};

use crate::testkit::*;
use crate::{
    dependency_graph, PlanErrorKind, REASON_GONE, REASON_NOT_IN_CONFIG, REASON_READ_DURING_APPLY,
};

fn addon(a: &str, cluster: &str) -> Res {
    res(a)
        .set("cluster_id", rf(cluster, "id"))
        .set("name", lit("dns"))
}

fn addon_state(a: &str, cluster_id: &str) -> clusterform_model::ResourceState {
    rs(
        a,
        "a-1",
        &[
            ("cluster_id", Value::str(cluster_id)),
            ("name", Value::str("dns")),
            ("id", Value::str("a-1")),
        ],
    )
}

#[test]
fn references_to_created_resources_are_unknown_and_to_unchanged_ones_known() {
    let cfg = config(vec![
        cluster("test_cluster.new", "new", "v1.28"),
        cluster("test_cluster.old", "old", "v1.28"),
        addon("test_addon.a", "test_cluster.new"),
        addon("test_addon.b", "test_cluster.old"),
    ]);
    let st = state(vec![
        cluster_state("test_cluster.old", "old", "v1.28"),
        addon_state("test_addon.b", "c-old"),
    ]);
    let plan = Fixture::new(cfg, st).ok();
    let a = change(&plan, "test_addon.a");
    assert_eq!(
        a.after.as_ref().unwrap().get("cluster_id"),
        Some(&Value::Unknown)
    );
    assert_eq!(a.depends_on, vec![addr("test_cluster.new")]);
    let b = change(&plan, "test_addon.b");
    assert_eq!(b.action, Action::NoOp, "the recorded cluster id matches");
}

#[test]
fn a_config_set_attr_of_a_new_resource_is_known_and_templates_with_unknowns_are_unknown() {
    let cfg = config(vec![
        cluster("test_cluster.new", "new", "v1.28"),
        res("test_addon.a")
            .set(
                "cluster_id",
                template(vec![
                    TemplatePart::Text("name-".into()),
                    TemplatePart::Ref(reference("test_cluster.new", "name")),
                ]),
            )
            .set("name", lit("a"))
            .set(
                "url",
                template(vec![
                    TemplatePart::Text("https://".into()),
                    TemplatePart::Ref(reference("test_cluster.new", "endpoint")),
                ]),
            ),
    ]);
    let plan = Fixture::new(cfg, state(vec![])).ok();
    let after = change(&plan, "test_addon.a").after.clone().unwrap();
    assert_eq!(after.get("cluster_id"), Some(&Value::str("name-new")));
    assert_eq!(after.get("url"), Some(&Value::Unknown));
}

#[test]
fn replacing_a_dependency_replaces_a_dependent_whose_force_new_input_becomes_unknown() {
    let cfg = config(vec![
        cluster("test_cluster.prod", "prod-2", "v1.28").lifecycle(|l| l.allow_replace = true),
        addon("test_addon.dns", "test_cluster.prod"),
    ]);
    let st = state(vec![
        cluster_state("test_cluster.prod", "prod", "v1.28"),
        addon_state("test_addon.dns", "c-prod"),
    ]);
    let plan = Fixture::new(cfg, st).ok();
    assert_eq!(
        actions(&plan),
        vec![
            ("test_cluster.prod".to_string(), Action::Replace),
            ("test_addon.dns".to_string(), Action::Replace)
        ]
    );
}

#[test]
fn a_block_reference_depends_on_every_instance() {
    let cfg = config(vec![
        cluster("test_cluster.fleet[\"a\"]", "a", "v1.28"),
        cluster("test_cluster.fleet[\"b\"]", "b", "v1.28"),
        res("test_addon.x")
            .set("cluster_id", lit("c"))
            .set("name", lit("x"))
            .depends_on("test_cluster.fleet"),
        res("test_addon.y")
            .set("cluster_id", lit("c"))
            .set("name", lit("y"))
            .set("url", rf("test_cluster.fleet", "name")),
    ]);
    let plan = Fixture::new(cfg, state(vec![])).ok();
    let want = vec![
        addr("test_cluster.fleet[\"a\"]"),
        addr("test_cluster.fleet[\"b\"]"),
    ];
    assert_eq!(change(&plan, "test_addon.x").depends_on, want);
    assert_eq!(change(&plan, "test_addon.y").depends_on, want);
    let url = change(&plan, "test_addon.y")
        .after
        .clone()
        .unwrap()
        .remove("url")
        .unwrap();
    assert_eq!(url.as_map().map(|m| m.len()), Some(2));
}

#[test]
fn data_sources_are_read_and_feed_their_values_or_unknown() {
    let items = || {
        vec![
            res("data.test_versions.v").set("channel", lit("stable")),
            res("test_cluster.prod")
                .set("name", lit("prod"))
                .set("version", rf("data.test_versions.v", "latest")),
        ]
    };
    let mut f = Fixture::new(config(items()), state(vec![]));
    f.data.insert(
        addr("data.test_versions.v"),
        attrs(&[("latest", Value::str("v1.29"))]),
    );
    let plan = f.ok();
    let d = change(&plan, "data.test_versions.v");
    assert_eq!(
        (d.action, d.disruption, d.reason.clone()),
        (Action::Read, Disruption::None, None)
    );
    assert_eq!(
        change(&plan, "test_cluster.prod")
            .after
            .as_ref()
            .unwrap()
            .get("version"),
        Some(&Value::str("v1.29"))
    );
    assert_eq!(
        plan.changes[0].address,
        addr("data.test_versions.v"),
        "reads come before their dependents"
    );

    let plan = Fixture::new(config(items()), state(vec![])).ok();
    let d = change(&plan, "data.test_versions.v");
    assert_eq!(
        (d.action, d.reason.as_deref()),
        (Action::Read, Some(REASON_READ_DURING_APPLY))
    );
    assert_eq!(
        change(&plan, "test_cluster.prod")
            .after
            .as_ref()
            .unwrap()
            .get("version"),
        Some(&Value::Unknown)
    );
}

#[test]
fn drift_between_prior_and_refreshed_is_reported() {
    let cfg = config(vec![
        cluster("test_cluster.prod", "prod", "v1.28"),
        cluster("test_cluster.gone", "gone", "v1.28"),
    ]);
    let prior = state(vec![
        cluster_state("test_cluster.prod", "prod", "v1.28"),
        cluster_state("test_cluster.gone", "gone", "v1.28"),
    ]);
    let mut f = Fixture::new(cfg, prior);
    f.refreshed.resources.remove(&addr("test_cluster.gone"));
    let live = f
        .refreshed
        .resources
        .get_mut(&addr("test_cluster.prod"))
        .unwrap();
    live.attributes.insert("flavor".into(), Value::str("large"));
    let plan = f.ok();
    let c = change(&plan, "test_cluster.prod");
    assert_eq!(
        c.action,
        Action::NoOp,
        "optional+computed drift is accepted, not reverted"
    );
    assert_eq!(c.drift.len(), 1);
    assert_eq!(
        (c.drift[0].before.clone(), c.drift[0].after.clone()),
        (Some(Value::str("small")), Some(Value::str("large")))
    );
    let g = change(&plan, "test_cluster.gone");
    assert_eq!(
        (g.action, g.reason.as_deref()),
        (Action::Create, Some(REASON_GONE))
    );
    assert!(!g.drift.is_empty() && g.drift.iter().all(|d| d.after.is_none()));
}

#[test]
fn resources_not_in_config_are_deleted_last_in_reverse_dependency_order() {
    let cfg = config(vec![
        cluster("test_cluster.keep", "keep", "v1.28"),
        cluster("test_cluster.new", "new", "v1.28"),
    ]);
    let mut old_addon = addon_state("test_addon.old", "c-old");
    old_addon.dependencies = vec![addr("test_cluster.old")];
    let st = state(vec![
        cluster_state("test_cluster.keep", "keep", "v1.28"),
        cluster_state("test_cluster.old", "old", "v1.28"),
        old_addon,
    ]);
    let mut f = Fixture::new(cfg, st);
    f.options.allow_replace = vec![];
    let plan = f.ok();
    assert_eq!(
        actions(&plan),
        vec![
            ("test_cluster.keep".to_string(), Action::NoOp),
            ("test_cluster.new".to_string(), Action::Create),
            ("test_addon.old".to_string(), Action::Delete),
            ("test_cluster.old".to_string(), Action::Delete),
        ]
    );
    let d = change(&plan, "test_addon.old");
    assert_eq!(
        (d.disruption, d.reason.as_deref()),
        (Disruption::Destroy, Some(REASON_NOT_IN_CONFIG))
    );
    assert_eq!(d.depends_on, vec![addr("test_cluster.old")]);
    assert_eq!(d.id.as_deref(), Some("a-1"));
    assert!(d.after.is_none() && d.before.is_some());
}

#[test]
fn destroy_mode_deletes_everything_dependents_first() {
    let mut cfg = config(vec![
        cluster("test_cluster.a", "a", "v1.28"),
        addon("test_addon.z", "test_cluster.a"),
    ]);
    output(&mut cfg, "id", rf("test_cluster.a", "id"), false);
    let mut st = state(vec![
        cluster_state("test_cluster.a", "a", "v1.28"),
        addon_state("test_addon.z", "c-a"),
    ]);
    st.outputs.insert(
        "id".into(),
        clusterform_model::OutputState {
            value: Value::str("c-a"),
            sensitive: false,
        },
    );
    let mut f = Fixture::new(cfg, st);
    f.options.mode = PlanMode::Destroy;
    let plan = f.ok();
    assert_eq!(plan.mode, PlanMode::Destroy);
    assert_eq!(
        actions(&plan),
        vec![
            ("test_addon.z".to_string(), Action::Delete),
            ("test_cluster.a".to_string(), Action::Delete)
        ]
    );
    assert!(plan.changes.iter().all(|c| c.reason.is_none()));
    assert_eq!(plan.outputs[0].after, None);
}

#[test]
fn targets_select_their_dependencies_and_destroy_targets_their_dependents() {
    let cfg = config(vec![
        cluster("test_cluster.a", "a", "v1.28"),
        cluster("test_cluster.b", "b", "v1.28"),
        addon("test_addon.x", "test_cluster.a"),
    ]);
    let mut f = Fixture::new(cfg.clone(), state(vec![]));
    f.options.targets = vec![addr("test_addon.x")];
    let plan = f.ok();
    let got: Vec<String> = plan.changes.iter().map(|c| c.address.to_string()).collect();
    assert_eq!(got, vec!["test_cluster.a", "test_addon.x"]);
    assert_eq!(plan.targets, vec![addr("test_addon.x")]);

    let st = state(vec![
        cluster_state("test_cluster.a", "a", "v1.28"),
        cluster_state("test_cluster.b", "b", "v1.28"),
        addon_state("test_addon.x", "c-a"),
    ]);
    let mut f = Fixture::new(cfg, st);
    f.options.mode = PlanMode::Destroy;
    f.options.targets = vec![addr("test_cluster.a")];
    let got: Vec<String> = f
        .ok()
        .changes
        .iter()
        .map(|c| c.address.to_string())
        .collect();
    assert_eq!(got, vec!["test_addon.x", "test_cluster.a"]);

    f.options.targets = vec![addr("test_cluster.zzz")];
    let err = f.run().unwrap_err();
    assert_eq!(err.errors[0].kind, PlanErrorKind::UnknownAddress);
}

#[test]
fn cycles_and_unknown_references_are_errors_naming_the_resources() {
    let cfg = config(vec![
        res("test_addon.a")
            .set("cluster_id", rf("test_addon.b", "id"))
            .set("name", lit("a")),
        res("test_addon.b")
            .set("cluster_id", rf("test_addon.a", "id"))
            .set("name", lit("b")),
    ]);
    let err = Fixture::new(cfg, state(vec![])).run().unwrap_err();
    assert_eq!(err.errors.len(), 1);
    assert_eq!(err.errors[0].kind, PlanErrorKind::Cycle);
    assert!(
        err.errors[0].message.contains("test_addon.a, test_addon.b"),
        "{}",
        err.errors[0].message
    );

    let cfg = config(vec![res("test_addon.a")
        .set("cluster_id", lit("x"))
        .set("name", lit("a"))
        .depends_on("test_cluster.nope")]);
    let err = Fixture::new(cfg, state(vec![])).run().unwrap_err();
    assert_eq!(err.errors[0].kind, PlanErrorKind::UnknownAddress);
    assert!(err.errors[0].message.contains("test_cluster.nope"));
}

#[test]
fn unknown_types_are_errors() {
    let cfg = config(vec![res("test_bogus.a").set("name", lit("a"))]);
    let err = Fixture::new(cfg, state(vec![])).run().unwrap_err();
    assert_eq!(err.errors[0].kind, PlanErrorKind::UnknownType);
}

#[test]
fn provider_checks_become_errors_and_warnings() {
    let cfg = config(vec![cluster("test_cluster.a", "a", "v1.28")]);
    let mut f = Fixture::new(cfg, state(vec![]));
    f.hooks.issues = vec![issue(
        Severity::Warning,
        Some("test_cluster.a"),
        "pre-check passed with 1 warning",
    )];
    let plan = f.ok();
    assert_eq!(
        plan.warnings,
        vec!["test_cluster.a: pre-check passed with 1 warning".to_string()]
    );
    f.hooks.issues.push(issue(
        Severity::Error,
        None,
        "quota exceeded: 1 cluster left",
    ));
    let err = f.run().unwrap_err();
    assert_eq!(
        (err.errors.len(), err.errors[0].kind),
        (1, PlanErrorKind::Check)
    );
}

#[test]
fn outputs_are_planned_with_before_and_after() {
    let mut cfg = config(vec![
        cluster("test_cluster.a", "a", "v1.28"),
        cluster("test_cluster.n", "n", "v1.28"),
    ]);
    output(&mut cfg, "a_id", rf("test_cluster.a", "id"), false);
    output(&mut cfg, "n_id", rf("test_cluster.n", "id"), true);
    let mut st = state(vec![cluster_state("test_cluster.a", "a", "v1.28")]);
    st.outputs.insert(
        "stale".into(),
        clusterform_model::OutputState {
            value: Value::str("x"),
            sensitive: false,
        },
    );
    let plan = Fixture::new(cfg, st).ok();
    let o: Vec<(&str, Option<Value>, Option<Value>, bool)> = plan
        .outputs
        .iter()
        .map(|o| {
            (
                o.name.as_str(),
                o.before.clone(),
                o.after.clone(),
                o.sensitive,
            )
        })
        .collect();
    assert_eq!(
        o,
        vec![
            ("a_id", None, Some(Value::str("c-a")), false),
            ("n_id", None, Some(Value::Unknown), true),
            ("stale", Some(Value::str("x")), None, false),
        ]
    );
}

#[test]
fn plan_metadata_is_copied() {
    let cfg = config(vec![cluster("test_cluster.a", "a", "v1.28")]);
    let mut f = Fixture::new(
        cfg,
        state(vec![cluster_state("test_cluster.a", "a", "v1.28")]),
    );
    f.fingerprints
        .insert(addr("test_cluster.a"), "v1.28|running|t0".into());
    let plan = f.ok();
    assert_eq!(plan.format_version, clusterform_model::PLAN_FORMAT_VERSION);
    assert_eq!(plan.config_sha256, "c0ffee");
    assert_eq!(plan.fingerprints, f.fingerprints);
}

#[test]
fn order_is_topological_with_ties_broken_by_address() {
    let cfg = config(vec![
        addon("test_addon.a", "test_cluster.z"),
        cluster("test_cluster.z", "z", "v1.28"),
        cluster("test_cluster.b", "b", "v1.28"),
        addon("test_addon.c", "test_cluster.b"),
    ]);
    let plan = Fixture::new(cfg, state(vec![])).ok();
    let got: Vec<String> = plan.changes.iter().map(|c| c.address.to_string()).collect();
    assert_eq!(
        got,
        vec![
            "test_cluster.b",
            "test_addon.c",
            "test_cluster.z",
            "test_addon.a"
        ]
    );
    let g = dependency_graph(
        &Fixture::new(config(vec![]), state(vec![])).config,
        &state(vec![]),
    )
    .unwrap();
    assert!(g.is_empty());
}

/// 100 clusters with 99 add-ons each referencing their cluster's id: 10,000 instances.
fn fleet() -> (clusterform_config::Config, clusterform_model::State) {
    let mut items = Vec::new();
    let mut recorded = Vec::new();
    for c in 0..100 {
        let ca = format!("test_cluster.c{c:03}");
        items.push(cluster(&ca, &format!("c{c:03}"), "v1.28"));
        recorded.push(cluster_state(&ca, &format!("c{c:03}"), "v1.28"));
        for a in 0..99 {
            let aa = format!("test_addon.c{c:03}_a{a:02}");
            items.push(addon(&aa, &ca));
            recorded.push(addon_state(&aa, &format!("c-c{c:03}")));
        }
    }
    (config(items), state(recorded))
}

#[test]
fn ten_thousand_instances_plan_correctly() {
    let (cfg, st) = fleet();
    let plan = Fixture::new(cfg.clone(), clusterform_model::State::new("x")).ok();
    assert_eq!(plan.changes.len(), 10_000);
    assert_eq!(plan.summary().create, 10_000);
    let pos: std::collections::HashMap<_, _> = plan
        .changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.address.clone(), i))
        .collect();
    for c in &plan.changes {
        for d in &c.depends_on {
            assert!(pos[d] < pos[&c.address], "{} before {}", d, c.address);
        }
    }
    let plan = Fixture::new(cfg, st).ok();
    assert!(!plan.has_changes());
}

#[test]
fn providers_missing_from_the_hook_map_get_default_hooks() {
    let cfg = config(vec![cluster("test_cluster.a", "a", "v1.28")]);
    let f = Fixture::new(
        cfg,
        state(vec![cluster_state("test_cluster.a", "a", "v1.28.3-r0")]),
    );
    let hooks = crate::HookMap::new();
    let input = crate::PlanInput {
        config: &f.config,
        prior: &f.prior,
        refreshed: &f.refreshed,
        data: &f.data,
        schemas: &f.schemas,
        hooks: &hooks,
        fingerprints: &f.fingerprints,
        options: &f.options,
    };
    let plan = crate::plan(&input).unwrap();
    let c = change(&plan, "test_cluster.a");
    // Plain equality sees a version change, and the default expansion is a single hop.
    assert_eq!(c.action, Action::Upgrade);
    assert_eq!(c.upgrade.len(), 1);
    assert_eq!(
        (c.upgrade[0].from.as_str(), c.upgrade[0].to.as_str()),
        ("v1.28.3-r0", "v1.28")
    );
}
