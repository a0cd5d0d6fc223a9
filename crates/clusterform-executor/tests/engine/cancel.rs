//! Ctrl-C: the first cancel stops starting steps and lets running ones checkpoint, returning
//! promptly; the second returns at once. Either way the next apply picks up where this one left.

use std::sync::Arc;
use std::time::Duration;

use clusterform_executor::{apply, ApplyOptions, CancelToken, MemoryJournal, Record};
use clusterform_model::State;
use clusterform_testprovider::CLUSTER;
use tokio::time::{sleep, Instant};

use crate::support::*;

#[tokio::test(start_paused = true)]
async fn a_first_cancel_checkpoints_running_steps_and_returns_promptly() {
    let (p, providers) = setup();
    let plan0 = plan(vec![
        create_cluster("a"),
        create_cluster("b"),
        create_cluster("c"),
        create_addon("a", "dns"),
    ]);
    let cancel = CancelToken::new();
    let journal = Arc::new(MemoryJournal::new());
    let o = ApplyOptions {
        parallelism: 2,
        cancel: cancel.clone(),
        ..opts()
    };
    let t0 = Instant::now();
    let (report, ()) = tokio::join!(
        apply(&plan0, State::new("l"), &providers, journal.clone(), o),
        async {
            sleep(Duration::from_secs(100)).await;
            cancel.cancel();
        }
    );
    let report = report.unwrap();
    assert!(
        Instant::now() - t0 <= Duration::from_secs(101),
        "returned promptly"
    );
    assert!(report.cancelled);
    assert_eq!(
        report.interrupted,
        vec![cluster_addr("a"), cluster_addr("b")]
    );
    assert_eq!(
        report.not_started,
        vec![cluster_addr("c"), addon_addr("a", "dns")]
    );
    let in_flight = journal.in_flight();
    assert_eq!(in_flight.len(), 2);
    assert!(
        in_flight.iter().all(|f| f.op.is_some()),
        "running operations are journaled"
    );

    // The next run re-attaches to both and does the rest.
    let o = ApplyOptions {
        in_flight,
        ..opts()
    };
    let report = apply(
        &plan0,
        State::new("l"),
        &providers,
        Arc::new(MemoryJournal::new()),
        o,
    )
    .await
    .unwrap();
    assert!(report.is_success(), "{report:#?}");
    assert_eq!(p.calls_of("create"), 4);
    assert!(
        p.contract_violations().is_empty(),
        "{:?}",
        p.contract_violations()
    );
}

#[tokio::test(start_paused = true)]
async fn a_call_in_progress_finishes_and_is_journaled_before_a_graceful_stop() {
    let (p, providers) = setup();
    p.set_call_latency(Duration::from_secs(10));
    let cancel = CancelToken::new();
    let journal = Arc::new(MemoryJournal::new());
    let o = ApplyOptions {
        cancel: cancel.clone(),
        ..opts()
    };
    let plan0 = plan(vec![create_cluster("a")]);
    let (report, ()) = tokio::join!(
        apply(&plan0, State::new("l"), &providers, journal.clone(), o),
        async {
            sleep(Duration::from_secs(3)).await;
            cancel.cancel();
        }
    );
    let report = report.unwrap();
    assert_eq!(report.interrupted, vec![cluster_addr("a")]);
    assert!(journal
        .records()
        .iter()
        .any(|r| matches!(r, Record::Started { op: Some(_), .. })));
    assert!(p.object(CLUSTER, "a").is_some());
}

#[tokio::test(start_paused = true)]
async fn a_second_cancel_returns_at_once() {
    let (p, providers) = setup();
    p.set_call_latency(Duration::from_secs(60));
    let cancel = CancelToken::new();
    let journal = Arc::new(MemoryJournal::new());
    let o = ApplyOptions {
        cancel: cancel.clone(),
        ..opts()
    };
    let t0 = Instant::now();
    let plan0 = plan(vec![create_cluster("a")]);
    let (report, ()) = tokio::join!(
        apply(&plan0, State::new("l"), &providers, journal.clone(), o),
        async {
            sleep(Duration::from_secs(5)).await;
            cancel.cancel();
            sleep(Duration::from_secs(5)).await;
            cancel.cancel();
        }
    );
    let report = report.unwrap();
    assert!(
        Instant::now() - t0 < Duration::from_secs(11),
        "did not wait for the 60 s call"
    );
    assert!(report.cancelled);
    assert_eq!(report.interrupted, vec![cluster_addr("a")]);
    // The intent is on record, so the next run adopts whatever the cloud made.
    assert_eq!(journal.in_flight().len(), 1);
}
