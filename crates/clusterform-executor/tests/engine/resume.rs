//! Crashes and resumes: the apply future is dropped mid-way (the process died), the world goes
//! on, and a second apply with the journal's in-flight list must converge without duplicating
//! anything and without a single contract violation.

use std::sync::Arc;
use std::time::Duration;

use clusterform_executor::{
    apply, in_flight_from, refresh, ApplyOptions, ApplySink, MemoryJournal, Record, RefreshOptions,
    StateJournal, Step,
};
use clusterform_model::{Plan, State, Value};
use clusterform_state::{FileJournal, Journal};
use clusterform_testprovider::{TestProvider, ADDON, CLUSTER};
use tokio::time::timeout;

use crate::support::*;

/// Where the journal lives in a crash test.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Backend {
    Memory,
    /// `clusterform-state`'s file journal, through `StateJournal`.
    File,
}

/// Runs `plan` until `crash_after` (dropping the apply future, as a killed process), then
/// revives the provider, folds the journal into state, re-plans and resumes with the in-flight
/// list. Returns the journal of the first run and the final state.
async fn crash_and_resume(
    p: &TestProvider,
    providers: &clusterform_executor::Providers,
    plan0: &Plan,
    state0: State,
    crash_after: Duration,
) -> (Vec<Record>, State) {
    crash_and_resume_on(Backend::Memory, p, providers, plan0, state0, crash_after).await
}

async fn crash_and_resume_on(
    backend: Backend,
    p: &TestProvider,
    providers: &clusterform_executor::Providers,
    plan0: &Plan,
    state0: State,
    crash_after: Duration,
) -> (Vec<Record>, State) {
    let dir = tempfile::tempdir().unwrap();
    let file: Arc<dyn Journal> = Arc::new(FileJournal::new(dir.path().join("journal")));
    let memory = Arc::new(MemoryJournal::new());
    let sink = || -> Arc<dyn ApplySink> {
        match backend {
            Backend::Memory => memory.clone(),
            Backend::File => Arc::new(StateJournal::new(file.clone()).unwrap()),
        }
    };
    let first = timeout(
        crash_after,
        apply(plan0, state0.clone(), providers, sink(), opts()),
    )
    .await;
    if let Ok(report) = first {
        // Finished before the crash: nothing to resume.
        return (memory.records(), report.unwrap().state);
    }
    tokio::time::sleep(Duration::from_secs(90)).await;
    p.revive();
    let records = memory.records();
    // What the CLI does next: fold the journal into state, refresh, plan again.
    let (folded, in_flight) = match backend {
        Backend::Memory => (state_after(&state0, &records), memory.in_flight()),
        Backend::File => {
            let (s, open) = file.replay(&state0).unwrap();
            (s, in_flight_from(&open))
        }
    };
    let state1 = refresh(&folded, providers, RefreshOptions::default())
        .await
        .unwrap()
        .state;
    let plan1 = replan(plan0, &state1);
    let o = ApplyOptions {
        in_flight,
        ..opts()
    };
    let second = sink();
    let report = apply(&plan1, state1, providers, second, o).await.unwrap();
    assert!(
        report.is_success(),
        "resume after {crash_after:?} ({backend:?}): {report:#?}"
    );
    assert!(report.unresolved.is_empty(), "{:?}", report.unresolved);
    let still_open = match backend {
        Backend::Memory => memory.in_flight().len(),
        Backend::File => file.replay(&state0).unwrap().1.len(),
    };
    assert_eq!(
        still_open,
        0,
        "everything settled ({backend:?}) after {crash_after:?}: {:?}",
        memory
            .in_flight()
            .iter()
            .map(|f| (
                f.address.to_string(),
                f.step,
                f.object_id.clone(),
                f.op.is_some()
            ))
            .collect::<Vec<_>>()
    );
    (records, report.state)
}

#[tokio::test(start_paused = true)]
async fn a_journaled_create_is_reattached_not_repeated() {
    let (p, providers) = setup();
    let plan0 = plan(vec![create_cluster("a"), create_addon("a", "dns")]);
    let (records, state) = crash_and_resume(
        &p,
        &providers,
        &plan0,
        State::new("l"),
        Duration::from_secs(100),
    )
    .await;
    let started = records.iter().any(|r| {
        matches!(
            r,
            Record::Started {
                op: Some(_),
                step: Step::Create,
                ..
            }
        )
    });
    assert!(started, "the first run journaled the create's operation");
    assert_eq!(p.calls_of("create"), 2, "one cluster, one add-on");
    assert_eq!(
        p.calls_of("find"),
        0,
        "a known operation is polled, not looked up"
    );
    assert_eq!(state.resources.len(), 2);
    assert!(
        p.contract_violations().is_empty(),
        "{:?}",
        p.contract_violations()
    );
}

#[tokio::test(start_paused = true)]
async fn a_create_the_engine_never_heard_back_from_is_adopted() {
    let (p, providers) = setup();
    p.crash_on_create("a");
    let plan0 = plan(vec![create_cluster("a"), create_addon("a", "dns")]);
    let (records, state) = crash_and_resume(
        &p,
        &providers,
        &plan0,
        State::new("l"),
        Duration::from_secs(30),
    )
    .await;
    assert!(
        !records.iter().any(|r| matches!(r, Record::Started { .. })),
        "the answer never came"
    );
    assert_eq!(p.calls_of("find"), 1);
    assert_eq!(
        p.world().iter().filter(|o| o.type_name == CLUSTER).count(),
        1,
        "no second cluster"
    );
    assert_eq!(
        state.get(&cluster_addr("a")).unwrap().id,
        p.object(CLUSTER, "a").unwrap().id
    );
    assert!(
        p.contract_violations().is_empty(),
        "{:?}",
        p.contract_violations()
    );
}

#[tokio::test(start_paused = true)]
async fn an_upgrade_resumes_at_its_recorded_step() {
    let (p, providers) = setup();
    let mut state0 = State::new("l");
    let rs = record(
        &mut state0,
        &p,
        &cluster_addr("a"),
        attrs(&[("name", Value::str("a")), ("version", Value::str("v1.28"))]),
    );
    let plan0 = plan(vec![upgrade(&rs, "v1.30")]);
    // Steps take 5 minutes: at 7 minutes, step 1 of the first hop is running.
    let (records, state) =
        crash_and_resume(&p, &providers, &plan0, state0, Duration::from_secs(420)).await;
    let last = records.iter().rev().find_map(|r| match r {
        Record::Checkpoint { checkpoint, .. } => {
            Some((checkpoint.hop, checkpoint.step, checkpoint.done))
        }
        _ => None,
    });
    assert_eq!(last, Some((0, 1, false)));
    assert_eq!(p.calls_of("upgrade_step"), 6, "no step is started twice");
    assert_eq!(
        state.get(&rs.address).unwrap().attributes.get("version"),
        Some(&Value::str("v1.30"))
    );
    assert!(
        p.contract_violations().is_empty(),
        "{:?}",
        p.contract_violations()
    );
}

/// A stack with every kind of step: creates with dependents, an upgrade, deletes in order.
fn mixed(p: &TestProvider) -> (Plan, State) {
    let mut state = State::new("l");
    let up = record(
        &mut state,
        p,
        &cluster_addr("old"),
        attrs(&[
            ("name", Value::str("old")),
            ("version", Value::str("v1.29")),
        ]),
    );
    let gone = record(
        &mut state,
        p,
        &cluster_addr("gone"),
        attrs(&[("name", Value::str("gone"))]),
    );
    let gone_addon = record(
        &mut state,
        p,
        &addon_addr("gone", "dns"),
        attrs(&[
            ("cluster_id", Value::str(&gone.id)),
            ("name", Value::str("dns")),
        ]),
    );
    let changes = vec![
        create_cluster("a"),
        create_addon("a", "dns"),
        create_addon("a", "metrics"),
        create_cluster("b"),
        create_addon("b", "dns"),
        upgrade(&up, "v1.31"),
        delete(&gone, &[]),
        delete(&gone_addon, &[&gone.address]),
    ];
    (plan(changes), state)
}

#[tokio::test(start_paused = true)]
async fn crashing_at_any_moment_converges_without_duplicates() {
    for backend in [Backend::Memory, Backend::File] {
        for secs in [1, 6, 61, 300, 305, 601, 610, 700, 725, 1000, 1500] {
            let (p, providers) = setup();
            let (plan0, state0) = mixed(&p);
            let at = Duration::from_secs(secs);
            let (_, state) = crash_and_resume_on(backend, &p, &providers, &plan0, state0, at).await;
            check_converged(&p, &state, &format!("crash at {secs}s ({backend:?})"));
        }
    }
}

#[tokio::test(start_paused = true)]
async fn dying_right_after_any_call_converges_without_duplicates() {
    // The provider dies after its n-th call: the cloud carried it out, the engine never heard.
    // Every call of an uninterrupted run gets its turn.
    let calls = {
        let (p, providers) = setup();
        let (plan0, state0) = mixed(&p);
        let report = apply(
            &plan0,
            state0,
            &providers,
            Arc::new(MemoryJournal::new()),
            opts(),
        )
        .await
        .unwrap();
        check_converged(&p, &report.state, "no crash");
        p.total_calls()
    };
    assert!(calls > 40, "{calls}");
    for backend in [Backend::Memory, Backend::File] {
        for n in 1..=calls {
            let (p, providers) = setup();
            let (plan0, state0) = mixed(&p);
            p.crash_after_calls(n);
            let at = Duration::from_secs(7200);
            let (_, state) = crash_and_resume_on(backend, &p, &providers, &plan0, state0, at).await;
            check_converged(&p, &state, &format!("death after call {n} ({backend:?})"));
        }
    }
}

fn check_converged(p: &TestProvider, state: &State, when: &str) {
    assert_eq!(p.contract_violations(), Vec::<String>::new(), "{when}");
    let world = p.world();
    let clusters: Vec<&str> = world
        .iter()
        .filter(|o| o.type_name == CLUSTER)
        .filter_map(|o| o.name())
        .collect();
    assert_eq!(clusters.len(), 3, "{when}: {clusters:?}");
    assert_eq!(
        world.iter().filter(|o| o.type_name == ADDON).count(),
        3,
        "{when}"
    );
    assert_eq!(state.resources.len(), 6, "{when}");
    for o in &world {
        let recorded = state.resources.values().any(|r| r.id == o.id);
        assert!(recorded, "{when}: `{}` exists but is not in state", o.id);
    }
    let old = p.object(CLUSTER, "old").unwrap();
    assert_eq!(
        old.attrs.get("version"),
        Some(&Value::str("v1.31")),
        "{when}"
    );
}
