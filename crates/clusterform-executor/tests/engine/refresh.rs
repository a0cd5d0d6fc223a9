//! Refresh: reads every recorded object within the rate budget; drift, gone objects,
//! fingerprints and data sources.

use std::time::Duration;

use clusterform_executor::{refresh, DataRequest, RefreshOptions};
use clusterform_model::{Address, State, Value};
use clusterform_provider::RateLimit;
use clusterform_testprovider::{TestProvider, CLUSTER};
use tokio::time::Instant;

use crate::support::*;

#[tokio::test(start_paused = true)]
async fn refresh_reports_drift_gone_objects_and_data() {
    let (p, providers) = setup();
    let mut state = State::new("l");
    let a = record(
        &mut state,
        &p,
        &cluster_addr("a"),
        attrs(&[("name", Value::str("a"))]),
    );
    let b = record(
        &mut state,
        &p,
        &cluster_addr("b"),
        attrs(&[("name", Value::str("b"))]),
    );
    let c = record(
        &mut state,
        &p,
        &cluster_addr("c"),
        attrs(&[("name", Value::str("c"))]),
    );
    p.tamper(
        &a.id,
        "tags",
        Value::Map([("owner".to_string(), Value::str("someone"))].into()),
    );
    p.remove(&b.id);
    let data = Address::data("test_versions", "all");
    let o = RefreshOptions {
        data: vec![DataRequest {
            address: data.clone(),
            provider: "test".into(),
            args: Default::default(),
        }],
        ..RefreshOptions::default()
    };
    let r = refresh(&state, &providers, o).await.unwrap();
    assert_eq!(r.gone, vec![b.address.clone()]);
    assert_eq!(r.state.resources.len(), 2);
    assert_eq!(
        r.drift.get(&a.address).map(|d| d[0].path.as_str()),
        Some("tags")
    );
    assert!(!r.drift.contains_key(&c.address));
    assert_eq!(r.fingerprints.len(), 2);
    assert!(r.data.get(&data).is_some_and(|d| d.contains_key("latest")));
    assert!(p.contract_violations().is_empty());
}

#[tokio::test(start_paused = true)]
async fn refresh_reads_in_parallel_within_the_budget() {
    let (p, providers) = setup_with(TestProvider::with_rate(
        "test",
        RateLimit {
            per_second: 5.0,
            burst: 5,
        },
    ));
    let mut state = State::new("l");
    for i in 0..50 {
        record(
            &mut state,
            &p,
            &cluster_addr(&format!("c{i}")),
            attrs(&[("name", Value::str(format!("c{i}")))]),
        );
    }
    p.throttle(Some("read"), 1, Some(Duration::from_secs(2)));
    let t0 = Instant::now();
    let r = refresh(&state, &providers, RefreshOptions::default())
        .await
        .unwrap();
    assert_eq!(r.state.resources.len(), 50);
    assert!(
        p.contract_violations().is_empty(),
        "{:?}",
        p.contract_violations()
    );
    assert!(
        Instant::now() - t0 >= Duration::from_secs(9),
        "45 reads beyond the burst at 5/s"
    );
    assert!(p.world().iter().all(|o| o.type_name == CLUSTER));
}
