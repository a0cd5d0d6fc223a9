//! End-to-end runs of the CLI against a separately started emulator: the whole lifecycle of a
//! cluster, a three-hop upgrade, saved plans, concurrent applies and Ctrl-C.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::emulator::Emulator;
use crate::harness::{Run, Workdir};

/// Runs the CLI in `w` against `emu`, with the emulator's credentials.
pub fn run(w: &Workdir, emu: &Emulator, args: &[&str]) -> Run {
    w.run_env(args, &emu.env())
}

/// Starts the CLI in `w` against `emu` without waiting for it (output discarded).
pub fn spawn(w: &Workdir, emu: &Emulator, args: &[&str]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clusterform"));
    cmd.args(args)
        .current_dir(w.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        // As `harness::run_env`: the emulator runs simulated time fast; poll it accordingly.
        .env("CLUSTERFORM_POLL_MIN", "100ms");
    for (k, v) in emu.env() {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn clusterform")
}

/// The state file of `stack` in `w` parses as JSON (when it exists).
#[track_caller]
pub fn assert_state_is_json(w: &Workdir, stack: &str) {
    let p = w.path().join("state").join(format!("{stack}.json"));
    if let Ok(text) = std::fs::read_to_string(&p) {
        serde_json::from_str::<Json>(&text)
            .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}\n{text}", p.display()));
    }
}

/// Rewrites `from` to `to` in the stack's `main.toml`.
pub fn edit(stack: &Path, from: &str, to: &str) {
    let f = stack.join("main.toml");
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", f.display());
    std::fs::write(&f, text.replacen(from, to, 1)).unwrap();
}

fn names(clusters: &[Json]) -> Vec<String> {
    let mut v: Vec<String> = clusters
        .iter()
        .map(|c| c["name"].as_str().unwrap_or("?").to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn basic_lifecycle_apply_update_output_destroy() {
    let emu = Emulator::start(1200, None, 1);
    let w = Workdir::new();
    let dir = w.example("huawei-basic");
    let d = dir.to_str().unwrap();
    let ep = emu.endpoint_var();

    run(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]).expect_code(0);
    let cs = emu.clusters();
    assert_eq!(names(&cs), ["basic"], "{cs:?}");
    assert_eq!(cs[0]["phase"], "Available");
    let id = cs[0]["uid"].as_str().unwrap().to_string();

    let r = run(&w, &emu, &["plan", d, "--var", &ep, "--detailed-exitcode"]);
    r.expect_code(0);
    assert!(r.stdout.contains("No changes"), "{}", r.stdout);

    edit(&dir, "A first Autopilot cluster", "Edited by the e2e test");
    edit(&dir, "team = \"platform\"", "team = \"e2e\"");
    let r = run(&w, &emu, &["plan", d, "--var", &ep, "--detailed-exitcode"]);
    r.expect_code(2);
    assert!(r.stdout.contains("1 to update"), "{}", r.stdout);
    assert!(r.stdout.contains("Edited by the e2e test"), "{}", r.stdout);

    run(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]).expect_code(0);
    let cs = emu.clusters();
    assert_eq!(cs.len(), 1, "{cs:?}");
    assert_eq!(cs[0]["uid"], id.as_str(), "updated in place");
    assert_eq!(cs[0]["spec"]["description"], "Edited by the e2e test");
    let tags = cs[0]["tags"].as_array().unwrap();
    assert!(
        tags.iter()
            .any(|t| t["key"] == "team" && t["value"] == "e2e"),
        "{tags:?}"
    );
    let r = run(&w, &emu, &["plan", d, "--var", &ep, "--detailed-exitcode"]);
    r.expect_code(0);

    let r = run(&w, &emu, &["output", "cluster_id", "--dir", d]);
    r.expect_code(0);
    assert_eq!(r.stdout.trim().trim_matches('"'), id);

    run(&w, &emu, &["destroy", d, "--auto-approve", "--var", &ep]).expect_code(0);
    assert!(emu.clusters().is_empty(), "{:?}", emu.clusters());
    let r = run(&w, &emu, &["state", "list", "--dir", d]);
    r.expect_code(0);
    assert!(r.stdout.trim().is_empty(), "state list: {}", r.stdout);
    assert_state_is_json(&w, "huawei-basic");
}

#[test]
fn upgrade_expands_to_three_hops_and_reaches_v1_30() {
    let emu = Emulator::start(3000, None, 2);
    let w = Workdir::new();
    let dir = w.example("huawei-upgrade");
    let d = dir.to_str().unwrap();
    let ep = emu.endpoint_var();

    run(
        &w,
        &emu,
        &[
            "apply",
            d,
            "--auto-approve",
            "--var",
            &ep,
            "--var",
            "version=v1.27",
        ],
    )
    .expect_code(0);
    let cs = emu.clusters();
    assert_eq!(names(&cs), ["prod"]);
    assert!(
        cs[0]["spec"]["version"]
            .as_str()
            .unwrap()
            .starts_with("v1.27"),
        "{cs:?}"
    );

    let r = run(&w, &emu, &["plan", d, "--var", &ep, "--detailed-exitcode"]);
    r.expect_code(2);
    assert!(r.stdout.contains("(3 hops)"), "{}", r.stdout);
    for hop in [
        "hop 1: v1.27 -> v1.28",
        "hop 2: v1.28",
        "-> v1.29",
        "hop 3: v1.29",
        "-> v1.30",
    ] {
        assert!(r.stdout.contains(hop), "{hop:?} missing:\n{}", r.stdout);
    }
    assert!(r.stdout.contains("1 to upgrade"), "{}", r.stdout);

    run(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]).expect_code(0);
    let cs = emu.clusters();
    assert_eq!(cs.len(), 1, "{cs:?}");
    // The running version is `patch` (`status.currentVersion`); the emulator keeps
    // `spec.version` as created.
    let v = cs[0]["patch"].as_str().unwrap();
    assert!(v.starts_with("v1.30"), "version after upgrade: {v}");
    run(&w, &emu, &["plan", d, "--var", &ep, "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn a_stale_saved_plan_is_refused_and_a_fresh_one_applies() {
    let emu = Emulator::start(1200, None, 3);
    let w = Workdir::new();
    let dir = w.example("huawei-basic");
    let d = dir.to_str().unwrap();
    let ep = emu.endpoint_var();
    let plan = dir.join("p.plan");
    let p = plan.to_str().unwrap();

    run(&w, &emu, &["plan", d, "--var", &ep, "--out", p]).expect_code(0);
    edit(&dir, "A first Autopilot cluster", "Changed after planning");
    let r = run(&w, &emu, &["apply", p, "--var", &ep]);
    r.expect_code(1);
    assert!(r.stderr.contains("stale"), "{}", r.stderr);
    assert!(emu.clusters().is_empty(), "a refused plan creates nothing");

    run(&w, &emu, &["plan", d, "--var", &ep, "--out", p]).expect_code(0);
    run(&w, &emu, &["apply", p, "--var", &ep]).expect_code(0);
    let cs = emu.clusters();
    assert_eq!(names(&cs), ["basic"]);
    assert_eq!(cs[0]["spec"]["description"], "Changed after planning");
    // Applied once, the same plan is stale: the state moved on.
    let r = run(&w, &emu, &["apply", p, "--var", &ep]);
    r.expect_code(1);
    assert!(r.stderr.contains("stale"), "{}", r.stderr);
    run(&w, &emu, &["destroy", d, "--auto-approve", "--var", &ep]).expect_code(0);
    assert!(emu.clusters().is_empty());
}

#[test]
fn a_second_apply_on_a_locked_stack_names_the_holder() {
    let emu = Emulator::start(600, None, 4);
    let w = Workdir::new();
    let dir = w.example("huawei-basic");
    let d = dir.to_str().unwrap();
    let ep = emu.endpoint_var();

    let mut first = spawn(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]);
    // Wait until the first run holds the lock.
    let lock = w.path().join("state/huawei-basic.lock");
    let t = Instant::now();
    while !lock.exists() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the first apply never locked"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let r = run(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]);
    r.expect_code(1);
    assert!(r.stderr.contains("locked"), "{}", r.stderr);
    assert!(
        r.stderr.contains("for apply"),
        "names the holder: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!("pid {}", first.id())),
        "{}",
        r.stderr
    );

    let status = first.wait().unwrap();
    assert!(status.success(), "the first apply: {status}");
    assert_state_is_json(&w, "huawei-basic");
    assert_eq!(names(&emu.clusters()), ["basic"]);
    run(&w, &emu, &["plan", d, "--var", &ep, "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn sigint_interrupts_with_130_and_a_rerun_converges() {
    let emu = Emulator::start(600, None, 5);
    let w = Workdir::new();
    let dir = w.example("huawei-basic");
    let d = dir.to_str().unwrap();
    let ep = emu.endpoint_var();

    let child = spawn(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]);
    // Interrupt once the create has been sent (the cluster exists, still creating).
    let t = Instant::now();
    while emu.clusters().is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the create never reached the cloud"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let st = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("Interrupted"), "{err}");
    assert_state_is_json(&w, "huawei-basic");

    run(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]).expect_code(0);
    let cs = emu.clusters();
    assert_eq!(
        names(&cs),
        ["basic"],
        "no duplicate after the rerun: {cs:?}"
    );
    assert_eq!(cs[0]["phase"], "Available");
    let r = run(&w, &emu, &["state", "list", "--dir", d]);
    assert_eq!(r.stdout.trim(), "huawei_autopilot_cluster.main");
    run(&w, &emu, &["plan", d, "--var", &ep, "--detailed-exitcode"]).expect_code(0);
}
