//! Replay and compaction-selection tests: pure functions over records.

use chrono::{DateTime, Utc};
use clusterform_model::{Action, Address, ResourceState, State, Value};
use serde_json::json;

use super::*;

pub(crate) fn addr(name: &str) -> Address {
    Address::managed("huawei_autopilot_cluster", name)
}

pub(crate) fn at() -> DateTime<Utc> {
    "2026-11-23T14:00:00Z".parse().unwrap()
}

pub(crate) fn resource(name: &str, version: &str) -> ResourceState {
    ResourceState {
        address: addr(name),
        provider: "huawei".into(),
        id: format!("id-{name}"),
        attributes: [("version".to_string(), Value::str(version))]
            .into_iter()
            .collect(),
        dependencies: vec![],
        tainted: false,
        private: serde_json::Value::Null,
        sensitive_attrs: Vec::new(),
    }
}

pub(crate) fn intent(seq: u64, name: &str, action: Action) -> Record {
    Record::Intent {
        seq,
        address: addr(name),
        action,
        at: at(),
    }
}

pub(crate) fn started(seq: u64, name: &str, job: &str) -> Record {
    Record::Started {
        seq,
        address: addr(name),
        op: json!({ "kind": "cluster-create", "object_id": format!("id-{name}"), "handle": job }),
        object_id: format!("id-{name}"),
    }
}

pub(crate) fn completed(name: &str, resource: Option<ResourceState>) -> Record {
    Record::Completed {
        address: addr(name),
        resource,
    }
}

fn base() -> State {
    let mut s = State::new("lineage");
    s.serial = 3;
    for r in [resource("old", "v1.27"), resource("gone", "v1.27")] {
        s.resources.insert(r.address.clone(), r);
    }
    s
}

#[test]
fn replay_applies_completed_and_reports_the_rest_in_flight() {
    let records = vec![
        Record::RunStarted {
            run_id: "run-1".into(),
        },
        intent(1, "a", Action::Create),
        started(1, "a", "job-a"),
        completed("a", Some(resource("a", "v1.28"))),
        intent(2, "gone", Action::Delete),
        completed("gone", None),
        intent(3, "b", Action::Create),
        started(3, "b", "job-b"),
        intent(4, "old", Action::Upgrade),
        started(4, "old", "task-1"),
        Record::Checkpoint {
            address: addr("old"),
            data: json!({ "hop": 0, "step": "upgrade" }),
        },
        intent(5, "c", Action::Create),
        intent(6, "d", Action::Update),
        Record::Failed {
            address: addr("d"),
            message: "quota exceeded".into(),
        },
    ];
    let (state, in_flight) = replay(&base(), &records);

    assert_eq!(
        state.serial, 3,
        "the caller bumps the serial when it writes"
    );
    assert_eq!(
        state.get(&addr("a")).unwrap().attributes["version"],
        Value::str("v1.28")
    );
    assert!(state.get(&addr("gone")).is_none());
    assert_eq!(
        state.get(&addr("old")).unwrap().attributes["version"],
        Value::str("v1.27"),
        "upgrade not done yet"
    );

    let names: Vec<_> = in_flight.iter().map(|f| f.address.name.as_str()).collect();
    assert_eq!(
        names,
        ["b", "old", "c"],
        "in first-intended order; settled and failed ones left out"
    );
    let b = &in_flight[0];
    assert_eq!(b.action, Some(Action::Create));
    assert_eq!(b.object_id.as_deref(), Some("id-b"));
    assert_eq!(b.op.as_ref().unwrap()["handle"], "job-b");
    assert_eq!(b.run_id.as_deref(), Some("run-1"));
    assert_eq!(b.intended_at, Some(at()));
    assert_eq!(
        in_flight[1].checkpoint,
        Some(json!({ "hop": 0, "step": "upgrade" }))
    );
    let c = &in_flight[2];
    assert_eq!(
        (c.object_id.as_ref(), c.op.as_ref()),
        (None, None),
        "intended, never started"
    );
}

#[test]
fn a_resumed_intent_keeps_the_object_id_of_the_dead_run() {
    let records = vec![
        Record::RunStarted {
            run_id: "run-1".into(),
        },
        intent(1, "a", Action::Create),
        started(1, "a", "job-a"),
        Record::RunStarted {
            run_id: "run-2".into(),
        },
        intent(1, "a", Action::Create),
    ];
    let (_, in_flight) = replay(&State::new("l"), &records);
    assert_eq!(in_flight.len(), 1);
    assert_eq!(
        in_flight[0].object_id.as_deref(),
        Some("id-a"),
        "never forget an object the cloud made"
    );
    assert_eq!(in_flight[0].run_id.as_deref(), Some("run-1"));
}

#[test]
fn started_without_intent_is_still_in_flight() {
    let (_, in_flight) = replay(&State::new("l"), &[started(9, "x", "job")]);
    assert_eq!(in_flight.len(), 1);
    assert_eq!(in_flight[0].action, None);
    assert_eq!(in_flight[0].seq, Some(9));
}

#[test]
fn later_records_win() {
    let records = vec![
        completed("a", Some(resource("a", "v1"))),
        completed("a", None),
        completed("a", Some(resource("a", "v3"))),
    ];
    let (state, in_flight) = replay(&State::new("l"), &records);
    assert_eq!(
        state.get(&addr("a")).unwrap().attributes["version"],
        Value::str("v3")
    );
    assert!(in_flight.is_empty());
}

#[test]
fn compaction_keeps_only_unsettled_records_and_their_run() {
    let records = vec![
        Record::RunStarted {
            run_id: "run-1".into(),
        }, // 0: kept, "b" belongs to it
        intent(1, "a", Action::Create),            // 1
        started(1, "a", "job-a"),                  // 2
        intent(2, "b", Action::Create),            // 3: kept
        completed("a", Some(resource("a", "v1"))), // 4
        started(2, "b", "job-b"),                  // 5: kept
        Record::RunFinished {
            run_id: "run-1".into(),
        }, // 6
        Record::RunStarted {
            run_id: "run-2".into(),
        }, // 7: nothing of it is in flight
        intent(3, "c", Action::Delete),            // 8
        Record::Failed {
            address: addr("c"),
            message: "denied".into(),
        }, // 9
    ];
    assert_eq!(unsettled(&records), [0, 3, 5]);
    let kept: Vec<Record> = unsettled(&records)
        .into_iter()
        .map(|i| records[i].clone())
        .collect();
    assert_eq!(
        replay(&State::new("l"), &kept).1,
        replay(&State::new("l"), &records).1,
        "same in-flight view"
    );
}

#[test]
fn records_round_trip_through_json_with_the_state_resource_encoding() {
    let record = completed("a", Some(resource("a", "v1.28")));
    let text = serde_json::to_string(&record).unwrap();
    assert!(
        text.starts_with(
            r#"{"kind":"completed","address":"huawei_autopilot_cluster.a","resource":{"address":"#
        ),
        "{text}"
    );
    assert_eq!(serde_json::from_str::<Record>(&text).unwrap(), record);
    let deleted = serde_json::to_string(&completed("a", None)).unwrap();
    assert!(deleted.ends_with(r#""resource":null}"#), "{deleted}");
    let i = serde_json::to_string(&intent(1, "a", Action::Upgrade)).unwrap();
    assert_eq!(
        serde_json::from_str::<Record>(&i).unwrap(),
        intent(1, "a", Action::Upgrade)
    );
}

#[test]
fn replay_onto_gives_what_replay_gives_without_a_copy() {
    let records = vec![
        intent(1, "a", Action::Create),
        completed("a", Some(resource("a", "v1.28"))),
        intent(2, "gone", Action::Delete),
        completed("gone", None),
        intent(3, "b", Action::Create),
    ];
    assert_eq!(replay_onto(base(), &records), replay(&base(), &records));
    let (state, in_flight) = replay_onto(base(), &[]);
    assert_eq!(state, base(), "an empty journal leaves the state as read");
    assert!(in_flight.is_empty());
}
