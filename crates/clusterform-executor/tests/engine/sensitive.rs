//! Sensitive values and state: what a change marks sensitive is recorded as a lineage-keyed
//! digest (in the returned state and in every journal record), and refresh carries the marks
//! forward and digests the cloud's answer again.

use std::sync::Arc;

use clusterform_executor::{apply, refresh, MemoryJournal, RefreshOptions};
use clusterform_model::{seal_value, Action, State, Value};

use crate::support::*;

fn secret_tags() -> Value {
    Value::Map([("token".to_string(), Value::str("hunter2"))].into())
}

#[tokio::test(start_paused = true)]
async fn applied_sensitive_attributes_are_digested_and_refresh_keeps_them_so() {
    let (p, providers) = setup();
    let mut create = create_cluster("a");
    if let Some(after) = create.after.as_mut() {
        after.insert("tags".into(), secret_tags());
    }
    create.sensitive_attrs = vec!["tags".into()];
    let journal = Arc::new(MemoryJournal::new());
    let report = apply(
        &plan(vec![create]),
        State::new("lineage-1"),
        &providers,
        journal.clone(),
        opts(),
    )
    .await
    .unwrap();
    assert!(report.is_success(), "{report:#?}");
    // The cloud got the secret itself...
    let object = p.world().into_iter().next().unwrap();
    assert_eq!(object.attrs.get("tags"), Some(&secret_tags()));
    // ...state and journal only its digest.
    let digest = seal_value("lineage-1", &secret_tags());
    let rs = report.state.get(&cluster_addr("a")).unwrap();
    assert_eq!(rs.attributes.get("tags"), Some(&digest));
    assert_eq!(rs.sensitive_attrs, ["tags"]);
    assert_eq!(rs.attributes.get("name"), Some(&Value::str("a")));
    let records = format!("{:?}", journal.records());
    assert!(!records.contains("hunter2"), "{records}");
    assert!(records.contains("sensitive:hmac-sha256:"), "{records}");

    // Refresh reads the secret back from the cloud and records the same digest: no drift.
    let refreshed = refresh(&report.state, &providers, RefreshOptions::default())
        .await
        .unwrap();
    let live = refreshed.state.get(&cluster_addr("a")).unwrap();
    assert_eq!(live.attributes.get("tags"), Some(&digest));
    assert_eq!(live.sensitive_attrs, ["tags"]);
    assert!(refreshed.drift.is_empty(), "{:?}", refreshed.drift);

    // Changed outside clusterform: drift, flagged sensitive, still only digests.
    let changed = Value::Map([("token".to_string(), Value::str("hunter3"))].into());
    p.tamper(&rs.id, "tags", changed.clone());
    let refreshed = refresh(&report.state, &providers, RefreshOptions::default())
        .await
        .unwrap();
    let drift = &refreshed.drift[&cluster_addr("a")];
    assert!(drift.iter().all(|d| d.sensitive), "{drift:?}");
    let text = format!("{drift:?} {:?}", refreshed.state);
    assert!(!text.contains("hunter3"), "{text}");
    assert_eq!(
        refreshed.state.get(&cluster_addr("a")).unwrap().attributes["tags"],
        seal_value("lineage-1", &changed)
    );
}

#[tokio::test(start_paused = true)]
async fn an_update_records_the_new_secret_as_its_digest() {
    let (p, providers) = setup();
    let mut state = State::new("lineage-2");
    let rs = record(
        &mut state,
        &p,
        &cluster_addr("a"),
        attrs(&[("name", Value::str("a"))]),
    );
    let mut after = rs.attributes.clone();
    after.insert("tags".into(), secret_tags());
    let mut update = change(&rs.address.to_string(), Action::Update, Some(after), &[]);
    update.before = Some(rs.attributes.clone());
    update.id = Some(rs.id.clone());
    update.sensitive_attrs = vec!["tags".into()];
    let journal = Arc::new(MemoryJournal::new());
    let report = apply(
        &plan(vec![update]),
        state,
        &providers,
        journal.clone(),
        opts(),
    )
    .await
    .unwrap();
    assert!(report.is_success(), "{report:#?}");
    let rs = report.state.get(&cluster_addr("a")).unwrap();
    assert_eq!(
        rs.attributes["tags"],
        seal_value("lineage-2", &secret_tags())
    );
    assert!(!format!("{:?}", journal.records()).contains("hunter2"));
}
