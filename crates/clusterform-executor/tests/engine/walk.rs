//! Apply against the strict test provider: ordering, parallelism, rate budgets, failures,
//! throttling, retries, polling cost, upgrades, replaces and deletes.

use std::sync::Arc;
use std::time::Duration;

use clusterform_executor::{apply, ApplyOptions, Budgets, MemoryJournal, Record, Step};
use clusterform_model::{Action, State, Value};
use clusterform_provider::RateLimit;
use clusterform_testprovider::{OpKind, Status, TestProvider, ADDON, CLUSTER};
use tokio::time::Instant;

use crate::support::*;

#[tokio::test(start_paused = true)]
async fn creates_in_dependency_order_and_journals_each_step() {
    let (p, providers) = setup();
    let mut changes = Vec::new();
    for c in ["a", "b"] {
        changes.push(create_cluster(c));
        changes.push(create_addon(c, "dns"));
        changes.push(create_addon(c, "metrics"));
    }
    let journal = Arc::new(MemoryJournal::new());
    let t0 = Instant::now();
    let report = apply(
        &plan(changes),
        State::new("l"),
        &providers,
        journal.clone(),
        opts(),
    )
    .await
    .unwrap();
    assert!(report.is_success(), "{report:#?}");
    assert_eq!(report.done.len(), 6);
    assert_eq!(p.contract_violations(), Vec::<String>::new());
    assert_eq!(p.world().len(), 6);
    let dns = report.state.get(&addon_addr("b", "dns")).unwrap();
    let b = report.state.get(&cluster_addr("b")).unwrap();
    assert_eq!(dns.attributes.get("cluster_id"), Some(&Value::str(&b.id)));
    assert_eq!(dns.dependencies, vec![cluster_addr("b")]);
    // Clusters (10 min) then add-ons (2 min), each noticed within a few seconds.
    let took = Instant::now() - t0;
    assert!(
        took >= Duration::from_secs(720) && took <= Duration::from_secs(735),
        "{took:?}"
    );
    // Per address: intent, then the cloud's answer with its operation, then the result.
    let records = journal.records();
    for addr in report.done {
        let kinds: Vec<&str> = records
            .iter()
            .filter_map(|r| match r {
                Record::Intent(i) if i.address == addr => Some("intent"),
                Record::Started {
                    address,
                    op: Some(_),
                    ..
                } if *address == addr => Some("started"),
                Record::Completed {
                    address,
                    resource: Some(_),
                    ..
                } if *address == addr => Some("completed"),
                _ => None,
            })
            .collect();
        assert_eq!(kinds, ["intent", "started", "completed"], "{addr}");
    }
    assert!(journal.in_flight().is_empty());
}

#[tokio::test(start_paused = true)]
async fn parallelism_bounds_running_operations() {
    let (p, providers) = setup();
    let changes = (0..30).map(|i| create_cluster(&format!("c{i}"))).collect();
    let t0 = Instant::now();
    let o = ApplyOptions {
        parallelism: 4,
        ..opts()
    };
    let report = apply(
        &plan(changes),
        State::new("l"),
        &providers,
        Arc::new(MemoryJournal::new()),
        o,
    )
    .await
    .unwrap();
    assert!(report.is_success());
    assert_eq!(p.max_running_ops(), 4);
    // Eight waves of ten minutes.
    let took = (Instant::now() - t0).as_secs();
    assert!((4800..4900).contains(&took), "{took}s");
    assert!(p.contract_violations().is_empty());
}

#[tokio::test(start_paused = true)]
async fn calls_and_polls_stay_within_the_rate_budget() {
    let (p, providers) = setup_with(TestProvider::with_rate(
        "test",
        RateLimit {
            per_second: 2.0,
            burst: 3,
        },
    ));
    p.set_duration(CLUSTER, OpKind::Create, Duration::from_secs(20));
    let changes = (0..40).map(|i| create_cluster(&format!("c{i}"))).collect();
    let t0 = Instant::now();
    let o = ApplyOptions {
        parallelism: 40,
        ..opts()
    };
    let report = apply(
        &plan(changes),
        State::new("l"),
        &providers,
        Arc::new(MemoryJournal::new()),
        o,
    )
    .await
    .unwrap();
    assert!(report.is_success());
    assert_eq!(
        p.contract_violations(),
        Vec::<String>::new(),
        "the strict provider saw no call over budget"
    );
    let calls = p.total_calls();
    assert!(calls >= 80, "a create and at least one poll each: {calls}");
    let floor = (calls - 3) as f64 / 2.0;
    assert!((Instant::now() - t0).as_secs_f64() >= floor);
}

#[tokio::test(start_paused = true)]
async fn a_rate_override_applies_to_the_provider() {
    let (p, providers) = setup_with(TestProvider::with_rate(
        "test",
        RateLimit {
            per_second: 1.0,
            burst: 1,
        },
    ));
    p.set_duration(CLUSTER, OpKind::Create, Duration::ZERO);
    let changes = (0..10).map(|i| create_cluster(&format!("c{i}"))).collect();
    let budgets = Budgets::new(
        [(
            "test".to_string(),
            RateLimit {
                per_second: 0.5,
                burst: 1,
            },
        )]
        .into(),
    );
    let t0 = Instant::now();
    let o = ApplyOptions {
        parallelism: 10,
        budgets,
        ..opts()
    };
    let report = apply(
        &plan(changes),
        State::new("l"),
        &providers,
        Arc::new(MemoryJournal::new()),
        o,
    )
    .await
    .unwrap();
    assert!(report.is_success());
    let took = (Instant::now() - t0).as_secs();
    assert!(
        (18..20).contains(&took),
        "ten calls at one per two seconds: {took}s"
    );
    assert!(p.contract_violations().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_failure_skips_only_its_dependents() {
    let (p, providers) = setup();
    p.fail_next_create("a", "quota exceeded");
    let mut changes = vec![create_cluster("a"), create_cluster("b")];
    for c in ["a", "b"] {
        changes.push(create_addon(c, "dns"));
    }
    let events = Arc::new(Recorder::default());
    let journal = Arc::new(MemoryJournal::new());
    let o = clusterform_executor::ApplyOptions {
        events: events.clone(),
        ..opts()
    };
    let report = apply(
        &plan(changes),
        State::new("l"),
        &providers,
        journal.clone(),
        o,
    )
    .await
    .unwrap();
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].address, cluster_addr("a"));
    assert_eq!(report.failed[0].message, "quota exceeded");
    assert_eq!(report.skipped, vec![addon_addr("a", "dns")]);
    assert_eq!(report.done, vec![cluster_addr("b"), addon_addr("b", "dns")]);
    assert!(events
        .lines()
        .contains(&"skipped test_addon.a_dns because test_cluster.a".to_string()));
    assert!(journal
        .records()
        .iter()
        .any(|r| matches!(r, Record::Failed { message, .. } if message == "quota exceeded")));
    assert!(journal.in_flight().is_empty());
    assert!(p.contract_violations().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_failed_operation_records_the_half_made_object_as_tainted() {
    let (p, providers) = setup();
    p.fail_next_operation("a", "no capacity");
    let report = apply(
        &plan(vec![create_cluster("a")]),
        State::new("l"),
        &providers,
        Arc::new(MemoryJournal::new()),
        opts(),
    )
    .await
    .unwrap();
    assert!(report.failed[0].message.contains("no capacity"));
    let rs = report.state.get(&cluster_addr("a")).unwrap();
    assert!(rs.tainted);
    assert_eq!(Some(rs.id.clone()), p.object(CLUSTER, "a").map(|o| o.id));
}

#[tokio::test(start_paused = true)]
async fn throttling_waits_for_retry_after_and_slows_the_provider() {
    let (p, providers) = setup();
    p.set_duration(CLUSTER, OpKind::Create, Duration::from_secs(60));
    p.throttle(Some("create"), 2, Some(Duration::from_secs(30)));
    let events = Arc::new(Recorder::default());
    let o = ApplyOptions {
        events: events.clone(),
        ..opts()
    };
    let t0 = Instant::now();
    let report = apply(
        &plan(vec![create_cluster("a")]),
        State::new("l"),
        &providers,
        Arc::new(MemoryJournal::new()),
        o,
    )
    .await
    .unwrap();
    assert!(report.is_success());
    // Any call before a retry-after elapsed would be a contract violation.
    assert!(
        p.contract_violations().is_empty(),
        "{:?}",
        p.contract_violations()
    );
    assert_eq!(p.calls_of("create"), 3);
    assert_eq!(
        events
            .lines()
            .iter()
            .filter(|l| *l == "throttled test 30s")
            .count(),
        2
    );
    let took = (Instant::now() - t0).as_secs();
    assert!(
        (120..130).contains(&took),
        "two 30 s pauses then a 60 s create: {took}s"
    );
}

#[tokio::test(start_paused = true)]
async fn transient_errors_are_retried_and_creates_look_before_retrying() {
    let (p, providers) = setup();
    p.transient_errors(Some("poll"), 3);
    p.transient_errors(Some("create"), 2);
    let events = Arc::new(Recorder::default());
    let o = ApplyOptions {
        events: events.clone(),
        ..opts()
    };
    let report = apply(
        &plan(vec![create_cluster("a")]),
        State::new("l"),
        &providers,
        Arc::new(MemoryJournal::new()),
        o,
    )
    .await
    .unwrap();
    assert!(report.is_success(), "{report:#?}");
    assert_eq!(p.calls_of("create"), 3);
    assert_eq!(
        p.calls_of("find"),
        2,
        "a failed create may have gone through: find before retrying"
    );
    assert_eq!(
        events
            .lines()
            .iter()
            .filter(|l| l.starts_with("retrying"))
            .count(),
        5
    );
    assert!(p.contract_violations().is_empty());
}

#[tokio::test(start_paused = true)]
async fn persistent_transient_errors_fail_after_max_attempts() {
    let (p, providers) = setup();
    let mut state = State::new("l");
    let rs = record(
        &mut state,
        &p,
        &cluster_addr("a"),
        attrs(&[("name", Value::str("a"))]),
    );
    p.transient_errors(Some("update"), 100);
    let mut c = change(
        &rs.address.to_string(),
        Action::Update,
        Some(rs.attributes.clone()),
        &[],
    );
    c.after.as_mut().unwrap().insert(
        "tags".into(),
        Value::Map([("env".to_string(), Value::str("x"))].into()),
    );
    let report = apply(
        &plan(vec![c]),
        state,
        &providers,
        Arc::new(MemoryJournal::new()),
        opts(),
    )
    .await
    .unwrap();
    assert!(report.failed[0].message.contains("transient"));
    assert_eq!(p.calls_of("update"), 6);
}

#[tokio::test(start_paused = true)]
async fn a_thirty_minute_operation_costs_at_most_twenty_polls() {
    let (p, providers) = setup();
    p.set_duration(CLUSTER, OpKind::Create, Duration::from_secs(1800));
    let t0 = Instant::now();
    let report = apply(
        &plan(vec![create_cluster("a")]),
        State::new("l"),
        &providers,
        Arc::new(MemoryJournal::new()),
        opts(),
    )
    .await
    .unwrap();
    assert!(report.is_success());
    let polls = p.calls_of("poll");
    assert!(polls <= 20, "{polls} polls");
    let late = (Instant::now() - t0).as_secs_f64() - 1800.0;
    assert!((0.0..=5.0).contains(&late), "noticed {late}s late");
}

#[tokio::test(start_paused = true)]
async fn an_upgrade_runs_every_step_of_every_hop_in_order() {
    let (p, providers) = setup();
    let mut state = State::new("l");
    let rs = record(
        &mut state,
        &p,
        &cluster_addr("a"),
        attrs(&[("name", Value::str("a")), ("version", Value::str("v1.28"))]),
    );
    let journal = Arc::new(MemoryJournal::new());
    let report = apply(
        &plan(vec![upgrade(&rs, "v1.30")]),
        state,
        &providers,
        journal.clone(),
        opts(),
    )
    .await
    .unwrap();
    assert!(report.is_success(), "{report:#?}");
    assert!(
        p.contract_violations().is_empty(),
        "{:?}",
        p.contract_violations()
    );
    assert_eq!(p.calls_of("upgrade_step"), 6);
    assert_eq!(
        p.object(CLUSTER, "a").unwrap().attrs.get("version"),
        Some(&Value::str("v1.30"))
    );
    assert_eq!(
        report
            .state
            .get(&rs.address)
            .unwrap()
            .attributes
            .get("version"),
        Some(&Value::str("v1.30"))
    );
    let checkpoints = journal
        .records()
        .iter()
        .filter(|r| matches!(r, Record::Checkpoint { .. }))
        .count();
    assert_eq!(
        checkpoints, 12,
        "started and done, for each of 2 hops × 3 steps"
    );
}

#[tokio::test(start_paused = true)]
async fn deletes_run_in_reverse_dependency_order() {
    let (p, providers) = setup();
    let mut state = State::new("l");
    let c = record(
        &mut state,
        &p,
        &cluster_addr("a"),
        attrs(&[("name", Value::str("a"))]),
    );
    let a = record(
        &mut state,
        &p,
        &addon_addr("a", "dns"),
        attrs(&[
            ("cluster_id", Value::str(&c.id)),
            ("name", Value::str("dns")),
        ]),
    );
    // The cluster's change comes first in the plan; the add-on still has to go first.
    let changes = vec![delete(&c, &[]), delete(&a, &[&c.address])];
    let report = apply(
        &plan(changes),
        state,
        &providers,
        Arc::new(MemoryJournal::new()),
        opts(),
    )
    .await
    .unwrap();
    assert!(report.is_success(), "{report:#?}");
    assert!(report.state.resources.is_empty());
    assert!(p.world().is_empty());
    assert!(
        p.contract_violations().is_empty(),
        "{:?}",
        p.contract_violations()
    );
}

#[tokio::test(start_paused = true)]
async fn replace_deletes_first_or_creates_first() {
    for cbd in [false, true] {
        let (p, providers) = setup();
        let mut state = State::new("l");
        let old = record(
            &mut state,
            &p,
            &cluster_addr("a"),
            attrs(&[("name", Value::str("old"))]),
        );
        let mut c = create_cluster("a");
        c.after
            .as_mut()
            .unwrap()
            .insert("name".into(), Value::str("new"));
        c.action = Action::Replace;
        c.before = Some(old.attributes.clone());
        c.id = Some(old.id.clone());
        c.create_before_destroy = cbd;
        let journal = Arc::new(MemoryJournal::new());
        let report = apply(&plan(vec![c]), state, &providers, journal.clone(), opts())
            .await
            .unwrap();
        assert!(report.is_success(), "{report:#?}");
        let world = p.world();
        assert_eq!(world.len(), 1);
        assert_eq!(world[0].name(), Some("new"));
        assert_eq!(report.state.get(&old.address).unwrap().id, world[0].id);
        assert!(
            report.state.get(&old.address).unwrap().private.is_null(),
            "no deposed note left"
        );
        let steps: Vec<Step> = journal
            .records()
            .iter()
            .filter_map(|r| match r {
                Record::Completed { step, .. } => Some(*step),
                _ => None,
            })
            .collect();
        let expected = if cbd {
            [Step::Create, Step::DeleteDeposed]
        } else {
            [Step::Delete, Step::Create]
        };
        assert_eq!(steps, expected);
        assert!(journal.in_flight().is_empty());
        assert!(p.contract_violations().is_empty());
    }
}

#[tokio::test(start_paused = true)]
async fn an_update_changes_the_object_in_place() {
    let (p, providers) = setup();
    let mut state = State::new("l");
    let rs = record(
        &mut state,
        &p,
        &cluster_addr("a"),
        attrs(&[("name", Value::str("a"))]),
    );
    let mut c = change(
        &rs.address.to_string(),
        Action::Update,
        Some(rs.attributes.clone()),
        &[],
    );
    c.after.as_mut().unwrap().insert(
        "tags".into(),
        Value::Map([("env".to_string(), Value::str("prod"))].into()),
    );
    let report = apply(
        &plan(vec![c]),
        state,
        &providers,
        Arc::new(MemoryJournal::new()),
        opts(),
    )
    .await
    .unwrap();
    assert!(report.is_success());
    let o = p.object(CLUSTER, "a").unwrap();
    assert_eq!(o.status, Status::Ready);
    assert!(o.attrs.contains_key("tags"));
    assert_eq!(report.state.get(&rs.address).unwrap().attributes, o.attrs);
    assert!(p.contract_violations().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_journal_failure_halts_the_apply() {
    let (p, providers) = setup();
    let journal = Arc::new(MemoryJournal::new());
    journal.fail_writes(true);
    let changes = vec![create_cluster("a"), create_addon("a", "dns")];
    let report = apply(&plan(changes), State::new("l"), &providers, journal, opts())
        .await
        .unwrap();
    assert!(report
        .halted
        .as_deref()
        .unwrap_or_default()
        .contains("disk full"));
    assert_eq!(report.skipped, vec![addon_addr("a", "dns")]);
    assert_eq!(
        p.calls_of("create"),
        0,
        "nothing is started without its intent on record"
    );
    assert!(p.world().iter().all(|o| o.type_name != ADDON));
}

#[tokio::test(start_paused = true)]
async fn data_sources_in_the_plan_are_read() {
    let (_p, providers) = setup();
    let c = change(
        "data.test_versions.all",
        Action::Read,
        Some(attrs(&[("min", Value::str("v1.29"))])),
        &[],
    );
    let report = apply(
        &plan(vec![c]),
        State::new("l"),
        &providers,
        Arc::new(MemoryJournal::new()),
        opts(),
    )
    .await
    .unwrap();
    let data = report
        .data
        .get(&"data.test_versions.all".parse().unwrap())
        .unwrap();
    assert_eq!(data.get("latest"), Some(&Value::str("v1.31")));
}
