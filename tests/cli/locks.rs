//! The state lock through the binary: `--lock-timeout` against a held lock (timing out names the
//! holder; a lock released during the wait is taken), `--lock=false`, and `force-unlock` of a lock
//! left by a killed run.

use std::time::{Duration, Instant};

use crate::harness::Workdir;
use crate::support::{fixture, Cloud, LockHolder};

#[test]
fn a_held_lock_times_out_naming_its_holder_and_lock_false_skips_it() {
    let w = Workdir::new();
    let dir = fixture(&w, "lock-holder");
    let d = dir.to_str().unwrap();
    let cloud = Cloud::silent();
    let holder = LockHolder::start(&w, &dir, &cloud);
    let id = holder.lock_id();

    let started = Instant::now();
    let r = w.run(&["plan", d, "--refresh=false", "--lock-timeout", "1s"]);
    r.expect_code(1);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "gave up before the timeout"
    );
    assert!(r.stderr.contains("state is locked by"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("(pid {}, run", holder.child.id())),
        "the holder's pid is named: {}",
        r.stderr
    );
    assert!(r.stderr.contains("for plan since"), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("clusterform force-unlock {id}")),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);

    // --lock=false plans without the lock, and leaves the holder's lock alone.
    let before = std::fs::read(&holder.lock_file).unwrap();
    let r = w.run(&["plan", d, "--refresh=false", "--lock=false"]);
    r.expect_code(0);
    assert!(
        r.stdout
            .contains("huawei_autopilot_cluster.c will be created"),
        "{}",
        r.stdout
    );
    assert_eq!(std::fs::read(&holder.lock_file).unwrap(), before);
}

#[test]
fn a_lock_released_during_the_wait_is_taken() {
    let w = Workdir::new();
    let dir = fixture(&w, "lock-holder");
    let d = dir.to_str().unwrap();
    // The holder's cloud answers after 1.5 s; its plan then ends and releases the lock.
    let cloud = Cloud::refusing_after(Duration::from_millis(1500));
    let mut holder = LockHolder::start(&w, &dir, &cloud);

    let started = Instant::now();
    let r = w.run(&["plan", d, "--refresh=false", "--lock-timeout", "30s"]);
    r.expect_code(0);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "waited for the full timeout"
    );
    assert!(
        r.stdout
            .contains("huawei_autopilot_cluster.c will be created"),
        "{}",
        r.stdout
    );
    let status = holder.child.wait().expect("holder ended");
    assert!(status.code().is_some(), "the holder ended by itself");
    assert!(
        !holder.lock_file.exists(),
        "the waiter released the lock it took"
    );
}
