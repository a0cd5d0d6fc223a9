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

#[test]
fn a_killed_apply_is_resumed_by_the_next_run() {
    use crate::lock::{LockInfo, LockRequest};
    let dir = tempfile::tempdir().unwrap();
    let request = |user: &str, run: &str| LockRequest::new(LockInfo::new("apply", user, "ci", run));

    // Run 1 locks, records its work, and is killed: its guard is never dropped.
    let first = LocalStore::new(dir.path(), "prod").unwrap();
    first.write(&state(1, &[])).unwrap();
    let guard = first
        .lock(request("alice", "run-1"), Duration::ZERO)
        .unwrap();
    let journal = first.journal();
    journal
        .append(&Record::RunStarted {
            run_id: "run-1".into(),
        })
        .unwrap();
    journal.append(&intent(1, "b", Action::Create)).unwrap();
    first
        .persist_resource(&addr("b"), Some(&resource("b", "v1.28")))
        .unwrap();
    journal.append(&intent(2, "a", Action::Create)).unwrap();
    journal.append(&started(2, "a", "job-a")).unwrap();
    std::mem::forget(guard);
    drop(first);

    // Its lease runs out.
    let lock_path = dir.path().join("prod.lock");
    let mut info: LockInfo = serde_json::from_slice(&fs::read(&lock_path).unwrap()).unwrap();
    info.heartbeat_at -= chrono::Duration::seconds(301);
    fs::write(&lock_path, serde_json::to_vec(&info).unwrap()).unwrap();

    // Run 2: expired → read the journal → take over → finish what was in flight → compact.
    let second = LocalStore::new(dir.path(), "prod").unwrap();
    let err = second
        .lock(request("bob", "run-2"), Duration::ZERO)
        .unwrap_err();
    assert!(matches!(err, crate::LockError::Expired { .. }), "{err:?}");
    let (mut current, in_flight) = second.recover(State::new("unused")).unwrap();
    let _guard = second
        .lock(
            request("bob", "run-2").after_journal_replay(),
            Duration::ZERO,
        )
        .unwrap();
    assert!(
        current.get(&addr("b")).is_some(),
        "run 1's finished resource is kept"
    );
    assert_eq!(in_flight.len(), 1);
    assert_eq!(
        in_flight[0].op.as_ref().unwrap()["handle"],
        "job-a",
        "re-attach to the job, do not create again"
    );

    let a = resource("a", "v1.28");
    second.persist_resource(&addr("a"), Some(&a)).unwrap();
    current.resources.insert(addr("a"), a);
    current.serial += 1;
    second.compact(&current).unwrap();
    assert_eq!(second.read().unwrap().unwrap().resources.len(), 2);
    assert!(second.journal().records().unwrap().is_empty());
}
