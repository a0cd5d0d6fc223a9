//! Single reads outside a plan: `import` goes through the rate budget and retries, and `adopt`
//! finds objects an interrupted run created but never recorded.

use clusterform_executor::{adopt, import, InFlight, LookupOptions, Step};
use clusterform_model::{Action, Address, State, Value};
use clusterform_testprovider::CLUSTER;

use crate::support::*;

#[tokio::test(start_paused = true)]
async fn import_waits_out_throttling_and_retries_transient_errors() {
    let (p, providers) = setup();
    let id = p.seed(CLUSTER, attrs(&[("name", Value::str("x"))]));
    p.throttle(Some("read"), 1, None);
    p.transient_errors(Some("read"), 2);
    let addr = cluster_addr("x");
    let rs = import(&addr, "test", &id, &providers, &LookupOptions::default())
        .await
        .expect("import succeeds after retries")
        .expect("the object exists");
    assert_eq!(rs.id, id);
    assert_eq!(rs.address, addr);
    assert_eq!(rs.attributes.get("name"), Some(&Value::str("x")));
    assert_eq!(p.calls_of("read"), 4, "{:?}", p.calls());
    assert!(
        p.contract_violations().is_empty(),
        "{:?}",
        p.contract_violations()
    );

    let none = import(&addr, "test", "nope", &providers, &LookupOptions::default())
        .await
        .unwrap();
    assert!(none.is_none());
}

fn in_flight(addr: &Address, object_id: Option<&str>) -> InFlight {
    InFlight {
        address: addr.clone(),
        provider: "test".into(),
        action: Action::Create,
        step: Step::Create,
        object_id: object_id.map(str::to_string),
        op: None,
        checkpoint: None,
        attrs: None,
    }
}

#[tokio::test(start_paused = true)]
async fn adopt_finds_unrecorded_creates_by_id_or_natural_key() {
    let (p, providers) = setup();
    let by_id = p.seed(CLUSTER, attrs(&[("name", Value::str("a"))]));
    let by_name = p.seed(CLUSTER, attrs(&[("name", Value::str("b"))]));
    let (a, b, c, d) = (
        cluster_addr("a"),
        cluster_addr("b"),
        cluster_addr("c"),
        cluster_addr("d"),
    );
    let flights = [
        in_flight(&a, Some(&by_id)),
        in_flight(&b, None),
        in_flight(&c, None),
        in_flight(&d, None),
    ];
    let desired = |addr: &Address| {
        (addr.name != "d").then(|| attrs(&[("name", Value::str(addr.name.as_str()))]))
    };
    let got = adopt(
        &State::new("l"),
        &flights,
        &providers,
        &desired,
        &LookupOptions::default(),
    )
    .await
    .unwrap();
    let adopted: Vec<(String, String)> = got
        .adopted
        .iter()
        .map(|r| (r.address.to_string(), r.id.clone()))
        .collect();
    assert_eq!(adopted, [(a.to_string(), by_id), (b.to_string(), by_name)]);
    assert_eq!(got.absent.len(), 1);
    assert_eq!(got.absent[0].address, c);
    assert_eq!(got.unknown.len(), 1);
    assert_eq!(got.unknown[0].0.address, d);
    assert!(
        p.contract_violations().is_empty(),
        "{:?}",
        p.contract_violations()
    );
}
