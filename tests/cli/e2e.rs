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
    assert!(!r.stdout.contains("pre-check:"), "{}", r.stdout);

    // `--precheck` runs the first hop's pre-check during plan and shows its result.
    let r = run(&w, &emu, &["plan", d, "--var", &ep, "--precheck"]);
    r.expect_code(0);
    assert!(
        r.stdout.contains("pre-check: pre-check passed"),
        "{}",
        r.stdout
    );

    run(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]).expect_code(0);
    let cs = emu.clusters();
    assert_eq!(cs.len(), 1, "{cs:?}");
    // The running version is `patch` (`status.currentVersion`); the emulator keeps
    // `spec.version` as created.
    let v = cs[0]["patch"].as_str().unwrap();
    assert!(v.starts_with("v1.30"), "version after upgrade: {v}");
    run(&w, &emu, &["plan", d, "--var", &ep, "--detailed-exitcode"]).expect_code(0);

    run(&w, &emu, &["destroy", d, "--auto-approve", "--var", &ep]).expect_code(0);
    assert!(emu.clusters().is_empty(), "{:?}", emu.clusters());
    assert!(emu.addons().is_empty(), "{:?}", emu.addons());
}

/// Rebuilds the example's chart archive with one more line in its `values.yaml`, keeping its name,
/// version and path (the system `tar` does the packing).
fn edit_chart_archive(stack: &Path) {
    let archive = stack.join("charts/hello-0.1.0.tgz");
    let tmp = tempfile::tempdir().unwrap();
    let tar = |args: &[&str]| {
        let st = Command::new("tar").args(args).status().expect("run tar");
        assert!(st.success(), "tar {args:?}: {st}");
    };
    let (a, t) = (archive.to_str().unwrap(), tmp.path().to_str().unwrap());
    tar(&["xzf", a, "-C", t]);
    let values = tmp.path().join("hello/values.yaml");
    let mut text = std::fs::read_to_string(&values).unwrap();
    text.push_str("edited: true\n");
    std::fs::write(&values, text).unwrap();
    tar(&["czf", a, "-C", t, "hello"]);
}

/// Every object of `kind` in every project of the emulator's world.
fn objects(emu: &Emulator, kind: &str) -> Vec<Json> {
    let w = emu.world();
    let mut out = Vec::new();
    for p in w["projects"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        match &p[kind] {
            Json::Object(m) => out.extend(m.values().cloned()),
            Json::Array(a) => out.extend(a.iter().cloned()),
            _ => {}
        }
    }
    out
}

#[test]
fn platform_edits_plan_updates_that_converge_and_destroy_leaves_nothing() {
    let emu = Emulator::start(1200, None, 11);
    let w = Workdir::new();
    let dir = w.example("huawei-platform");
    let d = dir.to_str().unwrap();
    let ep = emu.endpoint_var();

    run(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]).expect_code(0);
    let r = run(&w, &emu, &["plan", d, "--var", &ep, "--detailed-exitcode"]);
    r.expect_code(0);
    assert!(r.stdout.contains("No changes"), "{}", r.stdout);
    let charts = objects(&emu, "charts");
    assert_eq!(charts.len(), 1, "{charts:?}");
    let chart_updated = charts[0]["updated"].clone();

    // The add-on drops `replicas` for another key; the release changes a value; the chart archive
    // is edited in place (no hash in the config); the EIP changes.
    edit(
        &dir,
        "values = { replicas = 2 }",
        "values = { stub_domains = { \"corp.example\" = [\"10.0.0.53\"] } }",
    );
    edit(
        &dir,
        "values = { replicas = 2 }",
        "values = { replicas = 3 }",
    );
    edit_chart_archive(&dir);
    let eip = "eip_id=eip-0002";
    let r = run(
        &w,
        &emu,
        &["plan", d, "--var", &ep, "--var", eip, "--detailed-exitcode"],
    );
    r.expect_code(2);
    for addr in [
        "huawei_autopilot_addon.coredns will be updated in-place",
        "huawei_autopilot_release.hello will be updated in-place",
        "huawei_autopilot_chart.hello will be updated in-place",
        "huawei_autopilot_cluster_eip.api will be updated in-place",
    ] {
        assert!(r.stdout.contains(addr), "{addr:?} missing:\n{}", r.stdout);
    }
    assert!(r.stdout.contains("4 to update"), "{}", r.stdout);
    assert!(
        r.stdout.contains("changed on disk since its upload"),
        "{}",
        r.stdout
    );

    run(
        &w,
        &emu,
        &["apply", d, "--auto-approve", "--var", &ep, "--var", eip],
    )
    .expect_code(0);
    let r = run(
        &w,
        &emu,
        &["plan", d, "--var", &ep, "--var", eip, "--detailed-exitcode"],
    );
    r.expect_code(0);
    // The cloud holds exactly the new add-on values (replicas removed), the new release values,
    // the re-uploaded chart and the new EIP.
    let coredns = emu
        .addons()
        .into_iter()
        .find(|a| a["template"] == "coredns")
        .unwrap();
    assert!(coredns["values"].get("replicas").is_none(), "{coredns}");
    assert!(coredns["values"]["stub_domains"].is_object(), "{coredns}");
    let releases = objects(&emu, "releases");
    assert_eq!(releases[0]["values"]["replicas"], 3, "{releases:?}");
    let charts = objects(&emu, "charts");
    assert_ne!(
        charts[0]["updated"], chart_updated,
        "re-uploaded: {charts:?}"
    );
    assert_eq!(emu.clusters()[0]["eip"]["id"], "eip-0002");

    run(
        &w,
        &emu,
        &["destroy", d, "--auto-approve", "--var", &ep, "--var", eip],
    )
    .expect_code(0);
    for kind in ["clusters", "addons", "charts", "releases"] {
        let left = objects(&emu, kind);
        assert!(left.is_empty(), "{kind} left after destroy: {left:?}");
    }
}

/// A one-hop upgrade stack pointed at `url` (the `huawei` commands read no `--var`).
fn one_hop_stack(url: &str, version: &str) -> String {
    format!(
        r#"[stack]
name = "cancel"

[providers.huawei]
region = "ap-southeast-1"
project_id = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
endpoint = "{url}"

[resources.huawei_autopilot_cluster.prod]
name = "prod"
flavor = "cce.autopilot.cluster"
version = "{version}"
vpc_id = "vpc-0001"
subnet_id = "subnet-0001"
"#
    )
}

#[test]
fn huawei_upgrade_cancel_cancels_the_workflow_a_failed_precheck_left_pending() {
    let w = Workdir::new();
    let faults = w.path().join("faults.toml");
    std::fs::write(&faults, "[[fail]]\nop = \"precheck\"\ncluster = \"prod\"\n").unwrap();
    let emu = Emulator::start(3000, Some(&faults), 7);
    let dir = w.stack(
        "cancel",
        &[("main.toml", &one_hop_stack(&emu.url, "v1.28"))],
    );
    let d = dir.to_str().unwrap();
    run(&w, &emu, &["apply", d, "--auto-approve"]).expect_code(0);
    std::fs::write(dir.join("main.toml"), one_hop_stack(&emu.url, "v1.29")).unwrap();
    let r = run(&w, &emu, &["apply", d, "--auto-approve"]);
    r.expect_code(1);
    assert!(r.stderr.contains("pre-check failed"), "{}", r.stderr);
    let workflows = emu.clusters()[0]["workflows"].clone();
    let wf = workflows[0]["uid"].as_str().unwrap().to_string();

    let r = run(
        &w,
        &emu,
        &[
            "huawei",
            "upgrade-cancel",
            "--dir",
            d,
            "huawei_autopilot_cluster.prod",
            &wf,
        ],
    );
    r.expect_code(0);
    assert!(
        r.stderr
            .contains(&format!("upgrade workflow {wf} is now Cancel")),
        "{}",
        r.stderr
    );
    assert_eq!(emu.clusters()[0]["workflows"][0]["cancelled"], true);
    // A cancelled workflow cannot be cancelled again: the cloud's refusal, exit 1.
    let r = run(
        &w,
        &emu,
        &[
            "huawei",
            "upgrade-cancel",
            "--dir",
            d,
            "huawei_autopilot_cluster.prod",
            &wf,
        ],
    );
    r.expect_code(1);
    // The next apply opens a new workflow and completes the upgrade (the fault was used up).
    run(&w, &emu, &["apply", d, "--auto-approve"]).expect_code(0);
    assert!(emu.clusters()[0]["patch"]
        .as_str()
        .unwrap()
        .starts_with("v1.29"));
}

#[test]
fn a_force_new_change_needs_allow_replace_from_flag_or_lifecycle() {
    let emu = Emulator::start(1200, None, 12);
    let w = Workdir::new();
    let dir = w.example("huawei-basic");
    let d = dir.to_str().unwrap();
    let ep = emu.endpoint_var();
    run(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]).expect_code(0);

    edit(&dir, "vpc_id = \"vpc-0001\"", "vpc_id = \"vpc-0002\"");
    let r = run(&w, &emu, &["plan", d, "--var", &ep]);
    r.expect_code(1);
    assert!(
        r.stderr.contains("replace: a new cluster would be created"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("--allow-replace huawei_autopilot_cluster.main"),
        "{}",
        r.stderr
    );

    let flag = [
        "plan",
        d,
        "--var",
        &ep,
        "--detailed-exitcode",
        "--allow-replace",
        "huawei_autopilot_cluster.main",
    ];
    let r = run(&w, &emu, &flag);
    r.expect_code(2);
    assert!(
        r.stdout
            .contains("huawei_autopilot_cluster.main must be replaced"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("forces replacement"), "{}", r.stdout);

    edit(
        &dir,
        "tags = {",
        "lifecycle = { allow_replace = true }\ntags = {",
    );
    let r = run(&w, &emu, &["plan", d, "--var", &ep, "--detailed-exitcode"]);
    r.expect_code(2);
    assert!(
        r.stdout
            .contains("huawei_autopilot_cluster.main must be replaced"),
        "{}",
        r.stdout
    );
    // Nothing was replaced by planning.
    assert_eq!(names(&emu.clusters()), ["basic"]);
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

    // A saved plan is applied with the variables it was planned with (the endpoint among them).
    run(&w, &emu, &["plan", d, "--var", &ep, "--out", p]).expect_code(0);
    edit(&dir, "A first Autopilot cluster", "Changed after planning");
    let r = run(&w, &emu, &["apply", p]);
    r.expect_code(1);
    assert!(r.stderr.contains("stale"), "{}", r.stderr);
    assert!(emu.clusters().is_empty(), "a refused plan creates nothing");

    run(&w, &emu, &["plan", d, "--var", &ep, "--out", p]).expect_code(0);
    run(&w, &emu, &["apply", p]).expect_code(0);
    let cs = emu.clusters();
    assert_eq!(names(&cs), ["basic"]);
    assert_eq!(cs[0]["spec"]["description"], "Changed after planning");
    // Applied once, the same plan is stale: the state moved on.
    let r = run(&w, &emu, &["apply", p]);
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
