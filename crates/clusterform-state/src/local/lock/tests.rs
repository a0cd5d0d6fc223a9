//! Lock tests: contention, waiting, lease expiry and takeover, heartbeats, force-unlock.

use std::fs::{self, File};
use std::path::Path;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use chrono::Utc;

use crate::error::LockError;
use crate::local::LocalStore;
use crate::lock::{LockInfo, LockRequest};
use crate::store::StateStore;

fn store() -> (tempfile::TempDir, Arc<LocalStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(dir.path(), "prod").unwrap();
    (dir, Arc::new(store))
}

fn alice() -> LockRequest {
    let mut info = LockInfo::new(
        "apply",
        "alice",
        "ci-7",
        "3f2a91c0-5e1d-4c1b-9a7e-2b4c6d8e0f13",
    );
    info.pid = 4242;
    LockRequest::new(info)
}

fn bob() -> LockRequest {
    LockRequest::new(LockInfo::new("plan", "bob", "laptop", "run-bob"))
}

fn on_disk(path: &Path) -> LockInfo {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

/// Makes the current holder look dead: its last heartbeat is older than its lease.
fn age_lease(path: &Path) {
    let mut info = on_disk(path);
    info.heartbeat_at = Utc::now() - chrono::Duration::seconds(info.lease_secs as i64 + 5);
    fs::write(path, serde_json::to_vec(&info).unwrap()).unwrap();
}

#[test]
fn a_second_lock_fails_naming_the_holder() {
    let (_dir, store) = store();
    let guard = store.lock(alice(), Duration::ZERO).unwrap();
    assert_eq!(on_disk(store.lock_path()), *guard.info());
    let err = store.lock(bob(), Duration::ZERO).unwrap_err();
    let LockError::Locked { holder } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(holder.id, guard.info().id);
    let since = guard
        .info()
        .started_at
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(
        err.to_string(),
        format!(
            "state is locked by alice@ci-7 (pid 4242, run 3f2a91c0…) for apply since {since}\n\
             hint: wait, or run `clusterform force-unlock {}` if that run is dead",
            guard.info().id
        )
    );
}

#[test]
fn a_waiting_lock_gets_it_once_the_holder_releases() {
    let (_dir, store) = store();
    let guard = store.lock(alice(), Duration::ZERO).unwrap();
    let waiter = {
        let store = Arc::clone(&store);
        thread::spawn(move || {
            let t = Instant::now();
            let g = store.lock(bob(), Duration::from_secs(10));
            (g, t.elapsed())
        })
    };
    thread::sleep(Duration::from_millis(300));
    guard.release().unwrap();
    let (got, waited) = waiter.join().unwrap();
    let got = got.unwrap();
    assert_eq!(got.info().user, "bob");
    assert!(
        waited >= Duration::from_millis(250),
        "it waited: {waited:?}"
    );
    assert_eq!(on_disk(store.lock_path()).user, "bob");
}

#[test]
fn a_timeout_runs_out_while_the_lease_is_live() {
    let (_dir, store) = store();
    let _guard = store.lock(alice(), Duration::ZERO).unwrap();
    let t = Instant::now();
    assert!(matches!(
        store.lock(bob(), Duration::from_millis(250)),
        Err(LockError::Locked { .. })
    ));
    assert!(t.elapsed() >= Duration::from_millis(250));
}

#[test]
fn dropping_the_guard_releases_the_lock() {
    let (_dir, store) = store();
    drop(store.lock(alice(), Duration::ZERO).unwrap());
    assert!(!store.lock_path().exists());
    assert!(store.lock_holder().unwrap().is_none());
    store.lock(bob(), Duration::ZERO).unwrap();
}

#[test]
fn heartbeat_renews_the_lease_on_disk() {
    let (_dir, store) = store();
    let mut guard = store.lock(alice(), Duration::ZERO).unwrap();
    age_lease(store.lock_path());
    assert!(on_disk(store.lock_path()).is_expired(Utc::now()));
    guard.heartbeat().unwrap();
    let info = on_disk(store.lock_path());
    assert!(!info.is_expired(Utc::now()));
    assert_eq!(info, *guard.info());
    assert_eq!(guard.heartbeat_interval(), Duration::from_secs(60));
}

#[test]
fn an_expired_lease_is_taken_over_only_after_journal_replay() {
    let (_dir, store) = store();
    let mut dead = store.lock(alice(), Duration::ZERO).unwrap();
    age_lease(store.lock_path());

    let err = store.lock(bob(), Duration::from_secs(5)).unwrap_err();
    let LockError::Expired { holder } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(holder.user, "alice");
    assert!(err.to_string().contains("expired"), "{err}");
    assert_eq!(on_disk(store.lock_path()).user, "alice", "left alone");

    // The caller reads the journal, then asks again.
    let _ = store
        .journal()
        .replay(&clusterform_model::State::new("l"))
        .unwrap();
    let bob_guard = store
        .lock(bob().after_journal_replay(), Duration::ZERO)
        .unwrap();
    assert_eq!(on_disk(store.lock_path()).id, bob_guard.info().id);

    // The old holder wakes up: it learns it lost the lock and cannot disturb the new holder.
    let err = dead.heartbeat().unwrap_err();
    assert!(
        matches!(&err, LockError::Lost { now_held_by: Some(h), .. } if h.user == "bob"),
        "{err:?}"
    );
    assert!(matches!(dead.release(), Err(LockError::Lost { .. })));
    assert_eq!(
        on_disk(store.lock_path()).id,
        bob_guard.info().id,
        "bob still holds it"
    );
}

#[test]
fn a_live_lease_is_never_taken_over() {
    let (_dir, store) = store();
    let alive = store.lock(alice(), Duration::ZERO).unwrap();
    let err = store
        .lock(bob().after_journal_replay(), Duration::ZERO)
        .unwrap_err();
    assert!(matches!(err, LockError::Locked { .. }), "{err:?}");
    assert_eq!(on_disk(store.lock_path()).id, alive.info().id);
}

#[test]
fn force_unlock_needs_the_holders_id() {
    let (_dir, store) = store();
    let stale = store.lock(alice(), Duration::ZERO).unwrap();
    let id = stale.info().id.clone();

    let err = store.force_unlock("not-the-id").unwrap_err();
    assert!(
        matches!(&err, LockError::IdMismatch { requested, holder } if requested == "not-the-id" && holder.id == id)
    );
    assert!(store.lock_path().exists());

    store.force_unlock(&id).unwrap();
    assert!(!store.lock_path().exists());
    assert!(matches!(store.force_unlock(&id), Err(LockError::NotLocked)));

    // A new run locks; the broken guard's drop must not remove the new lock.
    let fresh = store.lock(bob(), Duration::ZERO).unwrap();
    drop(stale);
    assert_eq!(on_disk(store.lock_path()).id, fresh.info().id);
}

fn set_age(path: &Path, age: Duration) {
    let f = File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - age).unwrap();
}

#[test]
fn an_old_unreadable_lock_file_is_reported_not_broken() {
    let (_dir, store) = store();
    fs::write(store.lock_path(), b"").unwrap();
    set_age(store.lock_path(), Duration::from_secs(60));
    let err = store.lock(bob(), Duration::from_secs(5)).unwrap_err();
    assert!(matches!(err, LockError::Corrupt { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("hint: if no clusterform run is in progress, delete"),
        "{err}"
    );
    assert!(store.lock_path().exists());
}

#[test]
fn a_lock_file_being_written_is_waited_for() {
    let (_dir, store) = store();
    // Another process has just created the lock file and not yet written it.
    fs::write(store.lock_path(), b"").unwrap();
    let writer = {
        let path = store.lock_path().to_path_buf();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(200));
            let mut info = LockInfo::new("apply", "carol", "h", "r");
            info.lease_secs = 300;
            fs::write(&path, serde_json::to_vec(&info).unwrap()).unwrap();
        })
    };
    let err = store.lock(bob(), Duration::from_millis(600)).unwrap_err();
    writer.join().unwrap();
    assert!(
        matches!(&err, LockError::Locked { holder } if holder.user == "carol"),
        "{err:?}"
    );
}

#[test]
fn a_guard_file_left_by_a_crash_goes_stale() {
    let (_dir, store) = store();
    let guard = store.lock(alice(), Duration::ZERO).unwrap();
    let guard_file = store.lock_path().with_extension("lock.guard");
    fs::write(&guard_file, b"").unwrap();
    set_age(&guard_file, Duration::from_secs(60));
    guard.release().unwrap();
    assert!(!guard_file.exists());
    assert!(!store.lock_path().exists());
}

#[test]
fn force_unlock_of_a_stack_never_locked_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(&dir.path().join("not-yet"), "prod").unwrap();
    assert!(matches!(
        store.force_unlock("any"),
        Err(LockError::NotLocked)
    ));
}
