//! Unit tests of the test provider: the simulated lifecycle and every contract check.

use std::collections::BTreeMap;
use std::time::Duration;

use clusterform_model::{Address, Attrs, Value};
use clusterform_provider::{Poll, Provider, ProviderError, RateLimit, Started, StepRequest};
use tokio::time::advance;

use super::*;

fn attrs(pairs: &[(&str, &str)]) -> Attrs {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Value::str(*v)))
        .collect()
}

fn pending(s: Started) -> clusterform_provider::Operation {
    match s {
        Started::Pending { op, .. } => op,
        other => panic!("expected a pending operation, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn create_progresses_with_time_and_settles() {
    let p = TestProvider::new();
    let c = p.resource(CLUSTER).unwrap();
    let op = pending(c.create(&attrs(&[("name", "a")])).await.unwrap());
    advance(Duration::from_secs(300)).await;
    match c.poll(&op).await.unwrap() {
        Poll::Running { progress, phase } => {
            assert_eq!(progress, Some(50));
            assert_eq!(phase, "Creating");
        }
        other => panic!("{other:?}"),
    }
    advance(Duration::from_secs(300)).await;
    let Poll::Done { attrs: Some(a) } = c.poll(&op).await.unwrap() else {
        panic!("not done")
    };
    assert_eq!(a.get("version"), Some(&Value::str("v1.28")));
    assert_eq!(p.object(CLUSTER, "a").unwrap().status, Status::Ready);
    assert_eq!(p.polls().get(&op.handle), Some(&2));
    assert!(p.contract_violations().is_empty());
}

#[tokio::test(start_paused = true)]
async fn duplicate_create_and_unknown_values_are_violations() {
    let p = TestProvider::new();
    let c = p.resource(CLUSTER).unwrap();
    c.create(&attrs(&[("name", "a")])).await.unwrap();
    let err = c.create(&attrs(&[("name", "a")])).await.unwrap_err();
    assert!(err
        .to_string()
        .contains("contract violation: create of test_cluster `a` which already exists"));
    let mut unknown = attrs(&[("name", "b")]);
    unknown.insert("tags".into(), Value::Unknown);
    assert!(c.create(&unknown).await.is_err());
    let found = c.find(&attrs(&[("name", "a")])).await.unwrap().unwrap();
    assert!(
        found.running.is_some(),
        "a creating object reports its running operation"
    );
    assert_eq!(p.contract_violations().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn changing_pending_or_missing_objects_is_a_violation() {
    let p = TestProvider::new();
    let c = p.resource(CLUSTER).unwrap();
    let Started::Pending { id, .. } = c.create(&attrs(&[("name", "a")])).await.unwrap() else {
        panic!()
    };
    let before = Attrs::new();
    let e1 = c
        .update(&id, &before, &attrs(&[("name", "a")]))
        .await
        .unwrap_err();
    let e2 = c.delete("cls-9999", &before).await.unwrap_err();
    assert!(e1.to_string().contains("still pending creation"), "{e1}");
    assert!(e2.to_string().contains("does not exist"), "{e2}");
    let bogus = clusterform_provider::Operation {
        kind: "x".into(),
        object_id: id.clone(),
        handle: "op-777".into(),
        data: serde_json::Value::Null,
    };
    assert!(c
        .poll(&bogus)
        .await
        .unwrap_err()
        .to_string()
        .contains("poll of unknown operation"));
    assert_eq!(p.contract_violations().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn upgrade_steps_must_run_in_order() {
    let p = TestProvider::new();
    p.set_duration(CLUSTER, OpKind::UpgradeStep, Duration::from_secs(60));
    let c = p.resource(CLUSTER).unwrap();
    let id = p.seed(CLUSTER, attrs(&[("name", "a"), ("version", "v1.28")]));
    let h = hop("v1.28", "v1.29");
    let mut earlier = BTreeMap::new();
    let rec = Attrs::new();
    let skip = c
        .upgrade_step(
            &id,
            &rec,
            StepRequest {
                hop: &h,
                step_index: 1,
                earlier: &earlier,
            },
        )
        .await;
    assert!(skip
        .unwrap_err()
        .to_string()
        .contains("before step 0 completed"));
    for (i, name) in HOP_STEPS.iter().enumerate() {
        let op = pending(
            c.upgrade_step(
                &id,
                &rec,
                StepRequest {
                    hop: &h,
                    step_index: i,
                    earlier: &earlier,
                },
            )
            .await
            .unwrap(),
        );
        if i == 0 {
            // The next step while this one runs: the object is busy.
            let busy = c
                .upgrade_step(
                    &id,
                    &rec,
                    StepRequest {
                        hop: &h,
                        step_index: 1,
                        earlier: &earlier,
                    },
                )
                .await;
            assert!(busy.is_err());
        }
        advance(Duration::from_secs(60)).await;
        assert!(matches!(c.poll(&op).await.unwrap(), Poll::Done { .. }));
        earlier.insert(name.to_string(), op);
    }
    assert_eq!(
        p.object(CLUSTER, "a").unwrap().attrs.get("version"),
        Some(&Value::str("v1.29"))
    );
    assert_eq!(p.contract_violations().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn rate_budget_and_retry_after_are_enforced() {
    let p = TestProvider::with_rate(
        "test",
        RateLimit {
            per_second: 2.0,
            burst: 3,
        },
    );
    let c = p.resource(CLUSTER).unwrap();
    for _ in 0..3 {
        c.read("x", &Attrs::new()).await.unwrap();
    }
    assert!(c
        .read("x", &Attrs::new())
        .await
        .unwrap_err()
        .to_string()
        .contains("rate budget"));
    advance(Duration::from_millis(500)).await;
    c.read("x", &Attrs::new()).await.unwrap();
    assert_eq!(p.contract_violations().len(), 1);

    advance(Duration::from_secs(10)).await;
    p.throttle(Some("read"), 1, Some(Duration::from_secs(4)));
    let e = c.read("x", &Attrs::new()).await.unwrap_err();
    assert!(
        matches!(e, ProviderError::Throttled { retry_after: Some(d), .. } if d == Duration::from_secs(4))
    );
    advance(Duration::from_secs(1)).await;
    assert!(c
        .read("x", &Attrs::new())
        .await
        .unwrap_err()
        .to_string()
        .contains("before retry-after"));
    advance(Duration::from_secs(4)).await;
    c.read("x", &Attrs::new()).await.unwrap();
    p.transient_errors(None, 1);
    assert!(matches!(
        c.read("x", &Attrs::new()).await,
        Err(ProviderError::Transient { .. })
    ));
    assert_eq!(p.contract_violations().len(), 2);
    assert_eq!(p.calls_of("read"), 9);
}

#[tokio::test(start_paused = true)]
async fn crash_on_create_keeps_the_object_and_never_answers() {
    let p = TestProvider::new();
    p.crash_on_create("a");
    let c = p.resource(CLUSTER).unwrap();
    let r = tokio::time::timeout(Duration::from_secs(5), c.create(&attrs(&[("name", "a")]))).await;
    assert!(r.is_err(), "a dead provider never answers");
    assert!(p.is_killed());
    advance(Duration::from_secs(600)).await;
    p.revive();
    let found = c.find(&attrs(&[("name", "a")])).await.unwrap().unwrap();
    assert!(
        found.running.is_none(),
        "the create went on while the engine was gone"
    );
    assert_eq!(p.world().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn addons_follow_cluster_dependency_order() {
    let p = TestProvider::new();
    let a = p.resource(ADDON).unwrap();
    let c = p.resource(CLUSTER).unwrap();
    let Started::Pending { id: cid, op } = c.create(&attrs(&[("name", "a")])).await.unwrap() else {
        panic!()
    };
    let on = attrs(&[("cluster_id", &cid), ("name", "dns")]);
    assert!(a
        .create(&on)
        .await
        .unwrap_err()
        .to_string()
        .contains("dependency order"));
    advance(Duration::from_secs(600)).await;
    c.poll(&op).await.unwrap();
    p.set_duration(ADDON, OpKind::Create, Duration::ZERO);
    let Started::Done { .. } = a.create(&on).await.unwrap() else {
        panic!("zero duration completes at once")
    };
    assert!(c
        .delete(&cid, &Attrs::new())
        .await
        .unwrap_err()
        .to_string()
        .contains("add-on"));
    assert_eq!(p.contract_violations().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn failed_operations_leave_a_half_made_object() {
    let p = TestProvider::new();
    p.fail_next_operation("a", "quota exceeded");
    p.fail_next_create("b", "name refused");
    let c = p.resource(CLUSTER).unwrap();
    let op = pending(c.create(&attrs(&[("name", "a")])).await.unwrap());
    advance(Duration::from_secs(600)).await;
    assert_eq!(
        c.poll(&op).await.unwrap(),
        Poll::Failed {
            message: "quota exceeded".into()
        }
    );
    assert_eq!(p.object(CLUSTER, "a").unwrap().status, Status::Failed);
    assert!(matches!(
        c.create(&attrs(&[("name", "b")])).await,
        Err(ProviderError::Permanent { .. })
    ));
    assert!(p.contract_violations().is_empty());
}

#[tokio::test(start_paused = true)]
async fn data_source_and_hooks() {
    let p = TestProvider::new();
    let d = p.data_source(VERSIONS).unwrap();
    let out = d.read(&attrs(&[("min", "v1.30")])).await.unwrap();
    assert_eq!(out.get("latest"), Some(&Value::str("v1.31")));
    assert_eq!(
        out.get("versions")
            .and_then(Value::as_list)
            .map(<[Value]>::len),
        Some(2)
    );
    let addr = Address::managed(CLUSTER, "a");
    let hops = p
        .hooks()
        .upgrade_hops(
            CLUSTER,
            &addr,
            &Value::str("v1.28"),
            &Value::str("v1.30"),
            &Attrs::new(),
        )
        .unwrap();
    assert_eq!(hops.len(), 2);
    assert_eq!(hops[1].from, "v1.29");
    assert!(p
        .hooks()
        .upgrade_hops(
            CLUSTER,
            &addr,
            &Value::str("v1.30"),
            &Value::str("v1.28"),
            &Attrs::new()
        )
        .is_err());
}
