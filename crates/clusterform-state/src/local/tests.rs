//! Local backend tests: atomic writes with backup, compare-and-swap, unreadable files left alone,
//! and the journal path (persist, recover, compaction).

use std::fs;

use clusterform_model::{Action, State, Value};

use super::*;
use crate::journal::tests::{addr, intent, resource, started};
use crate::journal::Record;

fn store() -> (tempfile::TempDir, LocalStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(&dir.path().join("state"), "prod").unwrap();
    (dir, store)
}

fn state(serial: u64, names: &[&str]) -> State {
    let mut s = State::new("lineage-1");
    s.serial = serial;
    for n in names {
        let r = resource(n, "v1.28");
        s.resources.insert(r.address.clone(), r);
    }
    s
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn nothing_written_reads_as_none() {
    let (_dir, store) = store();
    assert!(store.read().unwrap().is_none());
}

#[test]
fn writes_are_atomic_and_keep_the_previous_state_as_backup() {
    let (_dir, store) = store();
    store.write(&state(1, &["a"])).unwrap();
    assert!(!store.backup_path().exists());
    store.write(&state(2, &["a", "b"])).unwrap();
    assert_eq!(store.read().unwrap().unwrap(), state(2, &["a", "b"]));
    let backup = crate::decode(&fs::read(store.backup_path()).unwrap()).unwrap();
    assert_eq!(backup, state(1, &["a"]));
    assert_eq!(
        files_in(store.state_path().parent().unwrap()),
        ["prod.json", "prod.json.backup"],
        "no temp files left"
    );
}

#[test]
fn a_write_against_a_stale_serial_is_refused() {
    let (_dir, store) = store();
    store.write(&state(1, &["a"])).unwrap();
    store.write(&state(2, &["a", "b"])).unwrap();
    // Another run read serial 1 and writes its 2: it did not see the b that serial 2 added.
    let err = store.write(&state(2, &["a", "c"])).unwrap_err();
    assert!(
        matches!(
            err,
            StateError::Conflict {
                expected: 1,
                found: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("changed since it was read"),
        "{err}"
    );
    let err = store.write(&state(5, &["a"])).unwrap_err();
    assert!(
        matches!(
            err,
            StateError::Conflict {
                expected: 4,
                found: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        store.read().unwrap().unwrap(),
        state(2, &["a", "b"]),
        "stored state untouched"
    );
}

#[test]
fn another_lineage_or_an_unbumped_serial_is_refused() {
    let (_dir, store) = store();
    store.write(&state(1, &[])).unwrap();
    let mut other = State::new("lineage-2");
    other.serial = 2;
    assert!(matches!(
        store.write(&other),
        Err(StateError::LineageMismatch { .. })
    ));
    assert!(matches!(
        store.write(&state(0, &[])),
        Err(StateError::SerialNotBumped { serial: 0 })
    ));
}

/// Writes `bytes` as the stored state and checks that neither read nor write gets past it and that
/// neither the file nor its backup changes.
fn assert_left_alone(bytes: &[u8], expect: impl Fn(&StateError) -> bool) {
    let (_dir, store) = store();
    store.write(&state(1, &["a"])).unwrap();
    store.write(&state(2, &["a"])).unwrap();
    let backup = fs::read(store.backup_path()).unwrap();
    fs::write(store.state_path(), bytes).unwrap();

    let err = store.read().unwrap_err();
    assert!(expect(&err), "read: {err:?}");
    for serial in [1, 2, 3, 8] {
        let err = store.write(&state(serial, &["a", "b"])).unwrap_err();
        assert!(expect(&err), "write: {err:?}");
    }
    assert_eq!(
        fs::read(store.state_path()).unwrap(),
        bytes,
        "never overwritten"
    );
    assert_eq!(
        fs::read(store.backup_path()).unwrap(),
        backup,
        "the good backup is not pushed out"
    );
}

#[test]
fn a_truncated_state_file_is_never_overwritten() {
    let good = crate::encode(&state(2, &["a"]));
    assert_left_alone(&good[..good.len() - 20], |e| {
        matches!(e, StateError::Corrupt { .. })
    });
    assert_left_alone(b"", |e| matches!(e, StateError::Corrupt { .. }));
}

#[test]
fn a_newer_state_file_is_never_overwritten() {
    let newer = br#"{"format_version": 7, "lineage": "lineage-1", "serial": 2}"#;
    assert_left_alone(newer, |e| {
        matches!(
            e,
            StateError::TooNew {
                found: 7,
                supported: 1,
                ..
            }
        ) && e
            .to_string()
            .ends_with("is format 7 but this clusterform reads up to 1\nhint: upgrade clusterform")
    });
}

#[test]
fn a_state_file_that_is_not_state_is_never_overwritten() {
    assert_left_alone(br#"{"hello": "world"}"#, |e| {
        matches!(e, StateError::NotState { .. })
    });
}

#[test]
fn the_corrupt_hint_points_at_the_backup() {
    let (_dir, store) = store();
    store.write(&state(1, &[])).unwrap();
    fs::write(store.state_path(), b"{\"format_version\": 1, \"lin").unwrap();
    let text = store.read().unwrap_err().to_string();
    let path = store.state_path().display();
    assert!(
        text.starts_with(&format!(
            "state file {path} is not valid JSON at line 1 col 26: "
        )),
        "{text}"
    );
    assert!(
        text.ends_with(&format!(
            "hint: restore {path}.backup, or repair {path} by hand"
        )),
        "{text}"
    );
}

#[test]
fn a_missing_state_file_with_a_backup_is_not_an_empty_state() {
    let (_dir, store) = store();
    store.write(&state(1, &["a"])).unwrap();
    store.write(&state(2, &["a"])).unwrap();
    fs::remove_file(store.state_path()).unwrap();
    assert!(matches!(
        store.read(),
        Err(StateError::MissingWithBackup { .. })
    ));
    assert!(matches!(
        store.write(&state(1, &[])),
        Err(StateError::MissingWithBackup { .. })
    ));
}

#[test]
fn persisting_a_resource_appends_to_the_journal_not_the_state_file() {
    let (_dir, store) = store();
    store.write(&state(1, &["a"])).unwrap();
    let before = fs::read(store.state_path()).unwrap();

    let mut a2 = resource("a", "v1.29");
    a2.attributes
        .insert("status".into(), Value::str("Available"));
    store
        .journal()
        .append(&intent(1, "a", Action::Upgrade))
        .unwrap();
    store.persist_resource(&addr("a"), Some(&a2)).unwrap();
    store
        .persist_resource(&addr("b"), Some(&resource("b", "v1")))
        .unwrap();
    store
        .journal()
        .append(&intent(2, "c", Action::Create))
        .unwrap();
    store.journal().append(&started(2, "c", "job-c")).unwrap();

    assert_eq!(
        fs::read(store.state_path()).unwrap(),
        before,
        "the state file is not rewritten"
    );
    let (recovered, in_flight) = store.recover(State::new("unused")).unwrap();
    assert_eq!(recovered.get(&addr("a")), Some(&a2));
    assert!(recovered.get(&addr("b")).is_some());
    assert_eq!(in_flight.len(), 1);
    assert_eq!(in_flight[0].object_id.as_deref(), Some("id-c"));

    // Compaction: the state file takes the settled changes, the journal keeps what is in flight.
    let mut next = recovered.clone();
    next.serial += 1;
    store.compact(&next).unwrap();
    assert_eq!(store.read().unwrap().unwrap(), next);
    assert_eq!(
        store.journal().records().unwrap(),
        [intent(2, "c", Action::Create), started(2, "c", "job-c")]
    );
    assert_eq!(
        store.recover(State::new("unused")).unwrap(),
        (next, in_flight)
    );
}

#[test]
fn a_first_apply_killed_before_any_state_write_is_recovered() {
    let (_dir, store) = store();
    store
        .journal()
        .append(&Record::RunStarted {
            run_id: "r1".into(),
        })
        .unwrap();
    store
        .persist_resource(&addr("a"), Some(&resource("a", "v1")))
        .unwrap();
    let (recovered, in_flight) = store.recover(State::new("fresh-lineage")).unwrap();
    assert_eq!(recovered.lineage, "fresh-lineage");
    assert_eq!(recovered.serial, 0);
    assert!(recovered.get(&addr("a")).is_some());
    assert!(in_flight.is_empty());
    let mut first = recovered;
    first.serial = 1;
    store.write(&first).unwrap();
    assert!(store.journal().records().unwrap().is_empty());
}

#[test]
fn a_write_after_state_rm_is_not_undone_by_the_journal() {
    let (_dir, store) = store();
    store.write(&state(1, &[])).unwrap();
    store
        .persist_resource(&addr("a"), Some(&resource("a", "v1")))
        .unwrap();
    let (mut s, _) = store.recover(State::new("unused")).unwrap();
    s.resources.remove(&addr("a"));
    s.serial += 1;
    store.write(&s).unwrap();
    let (again, _) = store.recover(State::new("unused")).unwrap();
    assert!(
        again.get(&addr("a")).is_none(),
        "the settled Completed record went with the write"
    );
    assert_eq!(store.journal().record_count().unwrap(), 0);
}

#[test]
fn stack_names_cannot_escape_the_directory() {
    for bad in ["", "../prod", "a/b", ".hidden", "a b"] {
        assert!(
            matches!(
                LocalStore::new(Path::new("state"), bad),
                Err(StateError::BadStackName { .. })
            ),
            "{bad:?}"
        );
    }
    let s = LocalStore::new(Path::new("state"), "prod-eu_1.v2").unwrap();
    assert_eq!(s.state_path(), Path::new("state/prod-eu_1.v2.json"));
    assert_eq!(s.journal_path(), Path::new("state/prod-eu_1.v2.journal"));
    assert_eq!(s.lock_path(), Path::new("state/prod-eu_1.v2.lock"));
}
