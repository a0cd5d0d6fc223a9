//! The apply side through the built binary against the emulator: progress (JSON events, plain
//! lines, live lines under a pty), Ctrl-C from the start of a command and twice, lease takeover
//! and loss, adoption of unrecorded creates by `destroy`, `import`, saved-plan fingerprints,
//! out-of-band changes seen by refresh, and per-resource timeouts.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::e2e::{assert_state_is_json, edit, run, spawn};
use crate::emulator::Emulator;
use crate::harness::{Run, Workdir};

/// One cluster stack named `name` whose cluster is called `cluster`, pointed at the emulator
/// through `--var endpoint=...`; `extra` is appended to the cluster's block.
fn cluster_stack(w: &Workdir, name: &str, cluster: &str, extra: &str) -> PathBuf {
    let text = format!(
        "[stack]\nname = \"{name}\"\n\n[variables.endpoint]\ndefault = \"\"\n\n\
         [providers.huawei]\nregion = \"ap-southeast-1\"\n\
         project_id = \"0a1b2c3d4e5f60718293a4b5c6d7e8f9\"\nendpoint = \"${{var.endpoint}}\"\n\n\
         [resources.huawei_autopilot_cluster.main]\nname = \"{cluster}\"\n\
         flavor = \"cce.autopilot.cluster\"\nversion = \"v1.28\"\nvpc_id = \"vpc-0001\"\n\
         subnet_id = \"subnet-0001\"\ndescription = \"first\"\n{extra}"
    );
    w.stack(name, &[("main.toml", &text)])
}

/// The JSON events among `stderr`'s lines.
fn events(stderr: &str) -> Vec<Json> {
    stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        .filter(|j| j.get("event").is_some())
        .collect()
}

/// `(event, step-or-outcome)` of the events about `address`, in order, consecutive phases
/// collapsed to one `("phase", "")` and progress percentages left out.
fn sequence(evs: &[Json], address: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for e in evs.iter().filter(|e| e["address"] == address) {
        let kind = e["event"].as_str().unwrap_or_default().to_string();
        let detail = e["step"]
            .as_str()
            .or(e["outcome"].as_str())
            .unwrap_or_default()
            .to_string();
        let repeat = out.last().is_some_and(|(k, _)| k == "phase");
        if kind == "progress" || (kind == "phase" && repeat) {
            continue;
        }
        out.push((kind, detail));
    }
    out
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

fn names(emu: &Emulator) -> Vec<String> {
    let mut v: Vec<String> = emu
        .clusters()
        .iter()
        .map(|c| c["name"].as_str().unwrap_or("?").to_string())
        .collect();
    v.sort();
    v
}

fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, sig: &str) {
    let st = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(st.success(), "kill {sig}");
}

fn finish(child: Child) -> Run {
    let out = child.wait_with_output().expect("wait for clusterform");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn state_list(w: &Workdir, emu: &Emulator, dir: &Path) -> String {
    let r = run(w, emu, &["state", "list", "--dir", dir.to_str().unwrap()]);
    r.expect_code(0);
    r.stdout.trim().to_string()
}

#[test]
fn json_progress_is_an_event_stream_ending_in_a_summary_and_plain_lines_without_it() {
    let emu = Emulator::start(1200, None, 11);
    let w = Workdir::new();
    let dir = w.example("huawei-basic");
    let d = dir.to_str().unwrap();
    let ep = emu.endpoint_var();
    let addr = "huawei_autopilot_cluster.main";

    let r = run(
        &w,
        &emu,
        &["apply", d, "--auto-approve", "--json", "--var", &ep],
    );
    r.expect_code(0);
    let evs = events(&r.stderr);
    assert_eq!(
        sequence(&evs, addr),
        [
            pair("started", "create"),
            pair("phase", ""),
            pair("finished", "create")
        ],
        "{}",
        r.stderr
    );
    let phase = evs
        .iter()
        .find(|e| e["event"] == "phase")
        .expect("a phase event");
    assert_eq!(phase["phase"], "Creating", "{phase}");
    let last = evs.last().expect("events");
    assert_eq!(last["event"], "summary", "{}", r.stderr);
    assert_eq!(last["operation"], "apply");
    assert_eq!(last["outcome"], "success");
    assert_eq!(last["done"], 1);
    assert_eq!(last["failed"], 0);
    assert_eq!(last["planned"]["create"], 1);
    // Every progress line is JSON: nothing else is mixed into the stream but the sandbox notes.
    assert!(
        !r.stderr.contains("Apply complete"),
        "human summary in JSON mode: {}",
        r.stderr
    );

    let r = run(&w, &emu, &["refresh", d, "--json", "--var", &ep]);
    r.expect_code(0);
    let evs = events(&r.stderr);
    assert_eq!(
        sequence(&evs, addr),
        [
            pair("refresh_started", ""),
            pair("refresh_finished", "unchanged")
        ],
        "{}",
        r.stderr
    );
    let last = evs.last().unwrap();
    assert_eq!(last["event"], "summary");
    assert_eq!(last["operation"], "refresh");

    // Without --json and without a terminal: plain lines, and the human summary.
    let r = run(&w, &emu, &["destroy", d, "--auto-approve", "--var", &ep]);
    r.expect_code(0);
    assert!(
        r.stderr.contains(&format!("{addr}: delete started")),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!("{addr}: delete complete after")),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("Destroy complete: 1 done"),
        "{}",
        r.stderr
    );
    assert!(events(&r.stderr).is_empty(), "{}", r.stderr);
}

/// Runs `clusterform ARGS` under a pseudo-terminal (`script` from util-linux), so stdin and
/// stderr are terminals; stdin stays open (piped) so a prompt waits. Output is `script`'s stdout.
fn spawn_in_pty(w: &Workdir, emu: &Emulator, args: &[&str]) -> Child {
    let mut line = String::from(env!("CARGO_BIN_EXE_clusterform"));
    for a in args {
        line.push_str(&format!(" '{a}'"));
    }
    let mut cmd = Command::new("script");
    cmd.args(["-qfec", &line, "/dev/null"])
        .current_dir(w.path())
        .env("NO_COLOR", "1")
        .env("CLUSTERFORM_POLL_MIN", "100ms")
        .env("COLUMNS", "200")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in emu.env() {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn script")
}

#[test]
fn on_a_terminal_progress_is_live_lines_with_the_cloud_phase() {
    let emu = Emulator::start(300, None, 12);
    let w = Workdir::new();
    let dir = w.example("huawei-basic");
    let ep = emu.endpoint_var();
    let child = spawn_in_pty(
        &w,
        &emu,
        &[
            "apply",
            dir.to_str().unwrap(),
            "--auto-approve",
            "--var",
            &ep,
        ],
    );
    let r = finish(child);
    r.expect_code(0);
    assert!(
        r.stdout
            .contains("huawei_autopilot_cluster.main  creating  Creating "),
        "no live phase line:\n{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("huawei_autopilot_cluster.main  created in "),
        "no result line:\n{}",
        r.stdout
    );
    assert_eq!(names(&emu), ["basic"]);
}

#[test]
fn ctrl_c_at_the_approval_prompt_exits_130_and_releases_the_lock() {
    let emu = Emulator::start(1200, None, 13);
    let w = Workdir::new();
    let dir = w.example("huawei-basic");
    let ep = emu.endpoint_var();
    let mut child = spawn_in_pty(&w, &emu, &["apply", dir.to_str().unwrap(), "--var", &ep]);
    // Read the terminal until the prompt shows.
    let mut out = child.stdout.take().expect("piped stdout");
    let mut seen = Vec::new();
    let t = Instant::now();
    while !String::from_utf8_lossy(&seen).contains("Do you want to apply?") {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "no prompt: {}",
            String::from_utf8_lossy(&seen)
        );
        let mut buf = [0u8; 4096];
        let n = out.read(&mut buf).expect("read the terminal");
        assert!(
            n > 0,
            "the run ended before asking: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    let lock = w.path().join("state/huawei-basic.lock");
    let info: Json = serde_json::from_str(&std::fs::read_to_string(&lock).expect("lock held"))
        .expect("lock is JSON");
    let pid = info["pid"].as_u64().expect("pid").to_string();
    let st = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(st.success());
    let status = child.wait().unwrap();
    let mut rest = String::new();
    let _ = out.read_to_string(&mut rest);
    let text = format!("{}{rest}", String::from_utf8_lossy(&seen));
    assert_eq!(status.code(), Some(130), "{text}");
    assert!(text.contains("Interrupted"), "{text}");
    assert!(!lock.exists(), "the lock was not released");
    assert!(emu.clusters().is_empty(), "nothing was applied");
}

/// A stack of two clusters, `second` created after `first`.
fn two_cluster_stack(w: &Workdir) -> PathBuf {
    let text = "[stack]\nname = \"two\"\n\n[variables.endpoint]\ndefault = \"\"\n\n\
         [providers.huawei]\nregion = \"ap-southeast-1\"\n\
         project_id = \"0a1b2c3d4e5f60718293a4b5c6d7e8f9\"\nendpoint = \"${var.endpoint}\"\n\n\
         [resources.huawei_autopilot_cluster.first]\nname = \"first\"\n\
         flavor = \"cce.autopilot.cluster\"\nversion = \"v1.28\"\nvpc_id = \"vpc-0001\"\n\
         subnet_id = \"subnet-0001\"\n\n\
         [resources.huawei_autopilot_cluster.second]\nname = \"second\"\n\
         flavor = \"cce.autopilot.cluster\"\nversion = \"v1.28\"\nvpc_id = \"vpc-0001\"\n\
         subnet_id = \"subnet-0001\"\ndepends_on = [\"huawei_autopilot_cluster.first\"]\n";
    w.stack("two", &[("main.toml", text)])
}

#[test]
fn one_sigint_saves_state_and_the_rerun_resumes_the_interrupted_create() {
    let emu = Emulator::start(120, None, 14);
    let w = Workdir::new();
    let dir = two_cluster_stack(&w);
    let d = dir.to_str().unwrap();
    let ep = emu.endpoint_var();

    let child = spawn(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]);
    wait_for("the second create", Duration::from_secs(60), || {
        names(&emu).contains(&"second".to_string())
    });
    signal(&child, "-INT");
    let r = finish(child);
    r.expect_code(130);
    assert!(r.stderr.contains("Interrupted: 1 done"), "{}", r.stderr);
    assert_state_is_json(&w, "two");
    assert_eq!(
        state_list(&w, &emu, &dir),
        "huawei_autopilot_cluster.first",
        "state saved with what was done"
    );

    let r = run(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]);
    r.expect_code(0);
    assert!(r.stderr.contains("resuming 1 action(s)"), "{}", r.stderr);
    assert_eq!(names(&emu), ["first", "second"], "no duplicates");
    run(&w, &emu, &["plan", d, "--var", &ep, "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn a_second_sigint_stops_at_once_and_the_rerun_resumes_from_the_journal() {
    let w = Workdir::new();
    // Slow reads keep a poll in flight, which a first Ctrl-C alone would wait for. (`spawn`
    // leaves the CLI's poll floor at its 5 s default: the first poll goes out 5 s after the
    // create is answered and takes 8 s.)
    let faults = w.path().join("faults.toml");
    std::fs::write(
        &faults,
        "[[route]]\nroute = \"GET /autopilot/v3/projects/*/clusters/*\"\nlatency_ms = [8000, 8000]\n\n\
         [[route]]\nroute = \"GET /autopilot/v3/projects/*/jobs/**\"\nlatency_ms = [8000, 8000]\n",
    )
    .unwrap();
    let emu = Emulator::start(120, Some(&faults), 15);
    let dir = w.example("huawei-basic");
    let d = dir.to_str().unwrap();
    let ep = emu.endpoint_var();

    let child = spawn(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]);
    wait_for("the create", Duration::from_secs(60), || {
        !emu.clusters().is_empty()
    });
    std::thread::sleep(Duration::from_millis(6000));
    signal(&child, "-INT");
    std::thread::sleep(Duration::from_millis(200));
    let second = Instant::now();
    signal(&child, "-INT");
    let r = finish(child);
    let took = second.elapsed();
    r.expect_code(130);
    assert!(r.stderr.contains("stopping now"), "{}", r.stderr);
    // A first Ctrl-C alone would wait several seconds more for the poll in flight.
    assert!(
        took < Duration::from_millis(3000),
        "the second Ctrl-C took {took:?}"
    );
    assert_state_is_json(&w, "huawei-basic");

    let r = run(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]);
    r.expect_code(0);
    assert!(r.stderr.contains("resuming 1 action(s)"), "{}", r.stderr);
    assert_eq!(names(&emu), ["basic"], "no duplicate after the rerun");
    run(&w, &emu, &["plan", d, "--var", &ep, "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn an_expired_lease_is_taken_over_and_the_old_holder_stops_without_writing() {
    let emu = Emulator::start(60, None, 16);
    let w = Workdir::new();
    let dir = w.example("huawei-basic");
    let d = dir.to_str().unwrap();
    let ep = emu.endpoint_var();
    let lease = [("CLUSTERFORM_LOCK_LEASE", "2s")];
    let env: Vec<(&str, &str)> = emu.env().into_iter().chain(lease).collect();

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clusterform"));
    cmd.args(["apply", d, "--auto-approve", "--var", &ep])
        .current_dir(w.path())
        .env("NO_COLOR", "1")
        .env("CLUSTERFORM_POLL_MIN", "100ms")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let old = cmd.spawn().unwrap();
    wait_for("the create", Duration::from_secs(60), || {
        !emu.clusters().is_empty()
    });
    // Let it journal the create's answer and settle into polling.
    std::thread::sleep(Duration::from_millis(300));
    // The holder freezes: no heartbeat, so its lease runs out.
    signal(&old, "-STOP");
    std::thread::sleep(Duration::from_millis(3500));
    let r = w.run_env(&["apply", d, "--auto-approve", "--var", &ep], &env);
    r.expect_code(0);
    assert!(r.stderr.contains("resuming 1 action(s)"), "{}", r.stderr);
    assert_eq!(names(&emu), ["basic"]);
    let state = std::fs::read_to_string(w.path().join("state/huawei-basic.json")).unwrap();

    signal(&old, "-CONT");
    let r = finish(old);
    r.expect_code(1);
    assert!(r.stderr.contains("lease was lost"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(w.path().join("state/huawei-basic.json")).unwrap(),
        state,
        "the old holder wrote state over the new one's"
    );
    run(&w, &emu, &["plan", d, "--var", &ep, "--detailed-exitcode"]).expect_code(0);
    assert_eq!(names(&emu), ["basic"]);
}

#[test]
fn destroy_adopts_and_deletes_a_cluster_whose_create_was_killed() {
    let emu = Emulator::start(120, None, 17);
    let w = Workdir::new();
    let dir = w.example("huawei-basic");
    let d = dir.to_str().unwrap();
    let ep = emu.endpoint_var();

    let mut child = spawn(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]);
    wait_for("the create", Duration::from_secs(60), || {
        !emu.clusters().is_empty()
    });
    child.kill().unwrap();
    child.wait().unwrap();
    // The operator breaks the dead run's lock with the id it names.
    let lock = std::fs::read_to_string(w.path().join("state/huawei-basic.lock")).unwrap();
    let id = serde_json::from_str::<Json>(&lock).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    run(&w, &emu, &["force-unlock", &id, d]).expect_code(0);
    assert_eq!(
        state_list(&w, &emu, &dir),
        "",
        "the create never reached state"
    );

    let r = run(&w, &emu, &["destroy", d, "--auto-approve", "--var", &ep]);
    r.expect_code(0);
    assert!(r.stderr.contains("adopted"), "{}", r.stderr);
    assert!(
        emu.clusters().is_empty(),
        "left in the cloud: {:?}",
        emu.clusters()
    );
    assert_eq!(state_list(&w, &emu, &dir), "");
    // Nothing is left in flight.
    let r = run(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]);
    r.expect_code(0);
    assert!(!r.stderr.contains("resuming"), "{}", r.stderr);
    assert_eq!(names(&emu), ["basic"]);
}

#[test]
fn import_records_an_existing_cluster_and_plan_shows_only_the_differences() {
    let emu = Emulator::start(1200, None, 18);
    let w = Workdir::new();
    let ep = emu.endpoint_var();
    let other = cluster_stack(&w, "other", "shared", "");
    run(
        &w,
        &emu,
        &[
            "apply",
            other.to_str().unwrap(),
            "--auto-approve",
            "--var",
            &ep,
        ],
    )
    .expect_code(0);
    let id = emu.clusters()[0]["uid"].as_str().unwrap().to_string();

    let mine = cluster_stack(&w, "mine", "shared", "");
    let m = mine.to_str().unwrap();
    edit(&mine, "description = \"first\"", "description = \"mine\"");
    let r = run(
        &w,
        &emu,
        &[
            "import",
            "huawei_autopilot_cluster.main",
            &id,
            m,
            "--var",
            &ep,
        ],
    );
    r.expect_code(0);
    assert!(r.stderr.contains(&format!("Imported {id}")), "{}", r.stderr);
    let r = run(&w, &emu, &["plan", m, "--var", &ep, "--detailed-exitcode"]);
    r.expect_code(2);
    assert!(r.stdout.contains("1 to update"), "{}", r.stdout);
    assert!(r.stdout.contains("\"mine\""), "{}", r.stdout);
    assert!(r.stdout.contains("0 to create"), "{}", r.stdout);

    edit(&mine, "description = \"mine\"", "description = \"first\"");
    let r = run(&w, &emu, &["plan", m, "--var", &ep, "--detailed-exitcode"]);
    r.expect_code(0);
    assert_eq!(names(&emu), ["shared"]);
}

#[test]
fn a_saved_plan_is_refused_when_its_object_changed_in_the_cloud() {
    let emu = Emulator::start(1200, None, 19);
    let w = Workdir::new();
    let ep = emu.endpoint_var();
    let mine = cluster_stack(&w, "mine", "shared", "tags = { team = \"a\" }\n");
    let m = mine.to_str().unwrap();
    run(&w, &emu, &["apply", m, "--auto-approve", "--var", &ep]).expect_code(0);
    let id = emu.clusters()[0]["uid"].as_str().unwrap().to_string();

    edit(&mine, "team = \"a\"", "team = \"b\"");
    let plan = mine.join("p.plan");
    run(
        &w,
        &emu,
        &["plan", m, "--var", &ep, "--out", plan.to_str().unwrap()],
    )
    .expect_code(0);

    // Out of band: another stack imports the same cluster and changes its description.
    let other = cluster_stack(&w, "other", "shared", "tags = { team = \"a\" }\n");
    let o = other.to_str().unwrap();
    edit(
        &other,
        "description = \"first\"",
        "description = \"changed elsewhere\"",
    );
    run(
        &w,
        &emu,
        &[
            "import",
            "huawei_autopilot_cluster.main",
            &id,
            o,
            "--var",
            &ep,
        ],
    )
    .expect_code(0);
    run(&w, &emu, &["apply", o, "--auto-approve", "--var", &ep]).expect_code(0);
    assert_eq!(
        emu.clusters()[0]["spec"]["description"],
        "changed elsewhere"
    );

    // The saved plan carries its variables (the endpoint among them).
    let r = run(&w, &emu, &["apply", plan.to_str().unwrap()]);
    r.expect_code(1);
    assert!(
        r.stderr
            .contains("huawei_autopilot_cluster.main changed in the cloud since the plan"),
        "{}",
        r.stderr
    );
    let tags = emu.clusters()[0]["tags"].clone();
    assert!(
        !tags.to_string().contains("\"b\""),
        "the refused plan changed tags: {tags}"
    );
}

#[test]
fn refresh_sees_changes_and_deletions_made_outside_clusterform() {
    let emu = Emulator::start(1200, None, 20);
    let w = Workdir::new();
    let ep = emu.endpoint_var();
    let mine = cluster_stack(&w, "mine", "shared", "");
    let m = mine.to_str().unwrap();
    run(&w, &emu, &["apply", m, "--auto-approve", "--var", &ep]).expect_code(0);
    let id = emu.clusters()[0]["uid"].as_str().unwrap().to_string();

    let other = cluster_stack(&w, "other", "shared", "");
    let o = other.to_str().unwrap();
    edit(
        &other,
        "description = \"first\"",
        "description = \"changed elsewhere\"",
    );
    run(
        &w,
        &emu,
        &[
            "import",
            "huawei_autopilot_cluster.main",
            &id,
            o,
            "--var",
            &ep,
        ],
    )
    .expect_code(0);
    run(&w, &emu, &["apply", o, "--auto-approve", "--var", &ep]).expect_code(0);

    let r = run(&w, &emu, &["plan", m, "--var", &ep, "--detailed-exitcode"]);
    r.expect_code(2);
    assert!(
        r.stdout.contains("changed outside clusterform"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("changed elsewhere"), "{}", r.stdout);

    run(&w, &emu, &["destroy", o, "--auto-approve", "--var", &ep]).expect_code(0);
    assert!(emu.clusters().is_empty());
    let r = run(&w, &emu, &["refresh", m, "--var", &ep]);
    r.expect_code(0);
    assert!(r.stderr.contains("gone from the cloud"), "{}", r.stderr);
    assert_eq!(state_list(&w, &emu, &mine), "");
    let r = run(&w, &emu, &["plan", m, "--var", &ep, "--detailed-exitcode"]);
    r.expect_code(2);
    assert!(r.stdout.contains("1 to create"), "{}", r.stdout);
}

#[test]
fn apply_and_refresh_name_an_unrecorded_create_whose_resource_left_the_config() {
    let emu = Emulator::start(120, None, 21);
    let w = Workdir::new();
    let dir = w.example("huawei-basic");
    let d = dir.to_str().unwrap();
    let ep = emu.endpoint_var();
    let mut child = spawn(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]);
    wait_for("the create", Duration::from_secs(60), || {
        !emu.clusters().is_empty()
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let lock = std::fs::read_to_string(w.path().join("state/huawei-basic.lock")).unwrap();
    let id = serde_json::from_str::<Json>(&lock).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    run(&w, &emu, &["force-unlock", &id, d]).expect_code(0);
    // The resource leaves the config: nothing plans it, and it is not in state.
    let main = dir.join("main.toml");
    let full = std::fs::read_to_string(&main).unwrap();
    let cut = full.find("[resources.").unwrap();
    std::fs::write(&main, &full[..cut]).unwrap();

    let warning = "huawei_autopilot_cluster.main: an interrupted run's create is still in flight";
    let r = run(&w, &emu, &["refresh", d, "--var", &ep]);
    r.expect_code(0);
    assert!(r.stderr.contains(warning), "{}", r.stderr);
    let r = run(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]);
    assert!(r.stderr.contains(warning), "{}", r.stderr);
    assert!(r.stderr.contains("clusterform destroy"), "{}", r.stderr);

    // With the config back, destroy adopts it and deletes it.
    std::fs::write(&main, &full).unwrap();
    run(&w, &emu, &["destroy", d, "--auto-approve", "--var", &ep]).expect_code(0);
    assert!(emu.clusters().is_empty(), "{:?}", emu.clusters());
}

#[test]
fn a_create_timeout_fails_only_that_resource_and_the_next_apply_reattaches() {
    let emu = Emulator::start(60, None, 22);
    let w = Workdir::new();
    let dir = cluster_stack(&w, "slow", "slow", "timeouts = { create = \"2s\" }\n");
    let charts = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/huawei-platform/charts");
    std::fs::create_dir_all(dir.join("charts")).unwrap();
    for e in std::fs::read_dir(&charts).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join("charts").join(e.file_name())).unwrap();
    }
    let mut text = std::fs::read_to_string(dir.join("main.toml")).unwrap();
    text.push_str(
        "\n[resources.huawei_autopilot_chart.hello]\nfile = \"charts/hello-0.1.0.tgz\"\n\
         name = \"hello\"\nversion = \"0.1.0\"\n",
    );
    std::fs::write(dir.join("main.toml"), text).unwrap();
    let d = dir.to_str().unwrap();
    let ep = emu.endpoint_var();

    let r = run(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]);
    r.expect_code(1);
    assert!(
        r.stderr.contains("huawei_autopilot_cluster.main"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("timed out"), "{}", r.stderr);
    assert!(r.stderr.contains("limit 2s"), "{}", r.stderr);
    assert_eq!(
        state_list(&w, &emu, &dir),
        "huawei_autopilot_chart.hello",
        "the independent chart is applied"
    );
    assert_eq!(names(&emu), ["slow"]);

    edit(&dir, "create = \"2s\"", "create = \"5m\"");
    let r = run(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]);
    r.expect_code(0);
    assert!(r.stderr.contains("resuming 1 action(s)"), "{}", r.stderr);
    assert_eq!(names(&emu), ["slow"], "re-attached, not created again");
    run(&w, &emu, &["plan", d, "--var", &ep, "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn ctrl_c_during_refresh_of_refresh_destroy_or_plan_exits_130_releases_the_lock_and_writes_nothing()
{
    let w = Workdir::new();
    // Reads of the cluster answer slowly, so the refresh is still reading when Ctrl-C comes.
    let faults = w.path().join("faults.toml");
    std::fs::write(
        &faults,
        "[[route]]\nroute = \"GET /autopilot/v3/projects/*/clusters/*\"\nlatency_ms = [5000, 5000]\n",
    )
    .unwrap();
    let emu = Emulator::start(1200, Some(&faults), 23);
    let dir = w.example("huawei-basic");
    let d = dir.to_str().unwrap();
    let ep = emu.endpoint_var();
    run(&w, &emu, &["apply", d, "--auto-approve", "--var", &ep]).expect_code(0);
    let state_file = w.path().join("state/huawei-basic.json");
    let before = std::fs::read_to_string(&state_file).unwrap();
    let lock = w.path().join("state/huawei-basic.lock");

    for command in ["refresh", "destroy", "plan"] {
        let mut args = vec![command, d, "--var", &ep];
        if command == "destroy" {
            args.push("--auto-approve");
        }
        let child = spawn(&w, &emu, &args);
        wait_for("the lock", Duration::from_secs(30), || lock.exists());
        std::thread::sleep(Duration::from_millis(1500));
        let sent = Instant::now();
        signal(&child, "-INT");
        let r = finish(child);
        r.expect_code(130);
        assert!(
            sent.elapsed() < Duration::from_secs(3),
            "{command}: waited for the read"
        );
        assert!(r.stderr.contains("Interrupted"), "{}", r.stderr);
        assert!(!lock.exists(), "{command} left the lock");
        assert_eq!(std::fs::read_to_string(&state_file).unwrap(), before);
    }
    assert_eq!(names(&emu), ["basic"], "nothing was destroyed");
}

#[test]
fn an_upgrade_reports_its_hops_and_steps_in_order() {
    let emu = Emulator::start(3000, None, 24);
    let w = Workdir::new();
    let dir = w.example("huawei-upgrade");
    let d = dir.to_str().unwrap();
    let ep = emu.endpoint_var();
    let v = ["--var", "version=v1.28"];
    run(
        &w,
        &emu,
        &[&["apply", d, "--auto-approve", "--var", &ep][..], &v].concat(),
    )
    .expect_code(0);

    let r = run(
        &w,
        &emu,
        &["apply", d, "--auto-approve", "--json", "--var", &ep],
    );
    r.expect_code(0);
    let evs = events(&r.stderr);
    let steps: Vec<(String, String, String)> = evs
        .iter()
        .filter(|e| e["event"] == "phase" && e.get("upgrade_step").is_some())
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            (s("hop_from"), s("hop_to"), s("upgrade_step"))
        })
        .collect();
    let hops: Vec<(String, String)> = steps
        .iter()
        .map(|(f, t, _)| (f.clone(), t.clone()))
        .collect();
    let mut distinct = hops.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), 2, "two hops, in order: {steps:?}");
    assert!(
        distinct[0].0.starts_with("v1.28") && distinct[1].1.starts_with("v1.30"),
        "{steps:?}"
    );
    let first_hop: Vec<&str> = steps
        .iter()
        .filter(|(f, t, _)| (f, t) == (&distinct[0].0, &distinct[0].1))
        .map(|(_, _, s)| s.as_str())
        .collect();
    let pos = |name: &str| first_hop.iter().position(|s| s.contains(name));
    assert!(
        pos("precheck") < pos("upgrade") && pos("precheck").is_some(),
        "{first_hop:?}"
    );
    assert!(pos("snapshot").is_some(), "{first_hop:?}");
    let seq = sequence(&evs, "huawei_autopilot_cluster.prod");
    assert_eq!(seq.first(), Some(&pair("refresh_started", "")), "{seq:?}");
    assert_eq!(seq.last(), Some(&pair("finished", "upgrade")), "{seq:?}");
    let last = evs.last().unwrap();
    assert_eq!(last["event"], "summary");
    assert_eq!(last["planned"]["upgrade"], 1);
    assert_eq!(last["done"], 1);
}
