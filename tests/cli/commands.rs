//! plan's output forms, saved plans, show, graph, and the state commands — offline, or against the
//! embedded sandbox at a high time scale.

use crate::harness::{Run, Workdir};
use crate::support::{fixture, Cloud, LockHolder, FAST};

fn offline_plan(w: &Workdir, dir: &str, extra: &[&str]) -> Run {
    let mut args = vec!["plan", dir, "--refresh=false"];
    args.extend_from_slice(extra);
    w.run(&args)
}

#[test]
fn offline_plan_forms_and_detailed_exit_code() {
    let w = Workdir::new();
    let dir = w.example("huawei-platform");
    let d = dir.to_str().unwrap();

    let r = offline_plan(&w, d, &["--detailed-exitcode"]);
    r.expect_code(2);
    assert!(
        r.stdout
            .contains("huawei_autopilot_cluster.platform will be created"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Plan: 6 to create, 0 to update, 0 to upgrade, 0 to replace, 0 to delete."),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("\x1b["),
        "no colour when stdout is not a terminal"
    );

    let r = offline_plan(&w, d, &["--json"]);
    r.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("plan JSON on stdout");
    assert_eq!(v["format_version"], "1.0");
    assert_eq!(v["resource_changes"].as_array().map(Vec::len), Some(6));

    let md = w.path().join("plan.md");
    offline_plan(&w, d, &["--markdown", md.to_str().unwrap()]).expect_code(0);
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("huawei_autopilot_addon.coredns"), "{text}");
    assert!(text.len() <= 60_000);
}

#[test]
fn saved_plan_round_trips_through_show() {
    let w = Workdir::new();
    let dir = w.example("huawei-upgrade");
    let out = w.path().join("p.plan");
    offline_plan(&w, dir.to_str().unwrap(), &["--out", out.to_str().unwrap()]).expect_code(0);
    let r = w.run(&["show", out.to_str().unwrap()]);
    r.expect_code(0);
    assert!(
        r.stdout
            .contains("huawei_autopilot_cluster.prod will be created"),
        "{}",
        r.stdout
    );
    let r = w.run(&["show", "--json", out.to_str().unwrap()]);
    r.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["resource_changes"][0]["action"], "create");
    // Not a plan file: a clear error.
    let r = w.run(&["show", dir.join("main.toml").to_str().unwrap()]);
    r.expect_code(1);
    assert!(r.stderr.contains("not a saved plan"), "{}", r.stderr);
}

#[test]
fn graph_prints_dot_with_dependency_edges() {
    let w = Workdir::new();
    let dir = w.example("huawei-platform");
    let r = w.run(&["graph", dir.to_str().unwrap()]);
    r.expect_code(0);
    assert!(r.stdout.starts_with("digraph"), "{}", r.stdout);
    assert!(
        r.stdout.contains("huawei_autopilot_cluster.platform"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("->"), "{}", r.stdout);
    w.run(&["graph", "--type", "apply", dir.to_str().unwrap()])
        .expect_code(0);
}

#[test]
fn sandbox_apply_then_state_commands_outputs_and_destroy() {
    let w = Workdir::new();
    let dir = w.example("quickstart");
    let d = dir.to_str().unwrap();
    let r = w.run_env(&["apply", d, "--auto-approve"], &[FAST]);
    r.expect_code(0);
    assert!(
        r.stderr.contains("Apply complete: 2 done, 0 failed"),
        "{}",
        r.stderr
    );
    assert!(w.path().join("state/quickstart.json").is_file());

    let r = w.run_env(&["plan", d, "--detailed-exitcode"], &[FAST]);
    r.expect_code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    let r = w.run(&["state", "list", "--dir", d]);
    r.expect_code(0);
    assert_eq!(
        r.stdout.lines().collect::<Vec<_>>(),
        [
            "huawei_autopilot_addon.coredns",
            "huawei_autopilot_cluster.demo"
        ]
    );

    let r = w.run(&["output", "--dir", d, "cluster_id"]);
    r.expect_code(0);
    let id = r.stdout.trim().to_string();
    assert!(!id.is_empty());
    let r = w.run(&["state", "show", "--dir", d, "huawei_autopilot_cluster.demo"]);
    r.expect_code(0);
    assert!(r.stdout.contains(&id), "{}", r.stdout);

    // mv renames, rm forgets (the cloud object stays until destroy below re-adopts nothing).
    w.run(&[
        "state",
        "mv",
        "--dir",
        d,
        "huawei_autopilot_addon.coredns",
        "huawei_autopilot_addon.dns",
    ])
    .expect_code(0);
    let r = w.run(&["state", "list", "--dir", d]);
    assert!(
        r.stdout.contains("huawei_autopilot_addon.dns"),
        "{}",
        r.stdout
    );
    w.run(&[
        "state",
        "mv",
        "--dir",
        d,
        "huawei_autopilot_addon.dns",
        "huawei_autopilot_addon.coredns",
    ])
    .expect_code(0);
    let r = w.run(&["state", "rm", "--dir", d, "huawei_autopilot_addon.nope"]);
    r.expect_code(1);
    assert!(r.stderr.contains("is not in the state"), "{}", r.stderr);

    let r = w.run_env(&["destroy", d, "--auto-approve"], &[FAST]);
    r.expect_code(0);
    assert!(
        r.stderr.contains("Destroy complete: 2 done, 0 failed"),
        "{}",
        r.stderr
    );
    let r = w.run(&["state", "list", "--dir", d]);
    r.expect_code(0);
    assert!(r.stdout.trim().is_empty(), "{}", r.stdout);
}

#[test]
fn apply_without_approval_on_a_pipe_refuses() {
    let w = Workdir::new();
    let dir = w.example("quickstart");
    let r = w.run_env(&["apply", dir.to_str().unwrap()], &[FAST]);
    r.expect_code(1);
    assert!(r.stderr.contains("--auto-approve"), "{}", r.stderr);
}

/// A lock left by a killed run is broken only with its id: a wrong id is refused while the lock is
/// held, and the right one removes it.
#[test]
fn force_unlock_with_a_wrong_id_is_refused() {
    let w = Workdir::new();
    let dir = fixture(&w, "lock-holder");
    let d = dir.to_str().unwrap();
    let cloud = Cloud::silent();
    let mut holder = LockHolder::start(&w, &dir, &cloud);
    let id = holder.lock_id();
    let before = std::fs::read(&holder.lock_file).unwrap();

    let r = w.run(&["force-unlock", "not-the-lock-id", d]);
    r.expect_code(1);
    assert!(
        r.stderr
            .contains(&format!("whose lock id is {id}, not not-the-lock-id")),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read(&holder.lock_file).unwrap(),
        before,
        "a refused force-unlock leaves the lock alone"
    );

    // The holder dies without releasing: its lock stays and still blocks others.
    holder.kill();
    assert!(holder.lock_file.exists());
    w.run(&["plan", d, "--refresh=false"]).expect_code(1);

    let r = w.run(&["force-unlock", &id, d]);
    r.expect_code(0);
    assert!(
        r.stderr.contains(&format!("Lock {id} removed.")),
        "{}",
        r.stderr
    );
    assert!(!holder.lock_file.exists());
    w.run(&["plan", d, "--refresh=false"]).expect_code(0);

    // Nothing left to unlock.
    let r = w.run(&["force-unlock", &id, d]);
    r.expect_code(1);
    assert!(r.stderr.contains("the state is not locked"), "{}", r.stderr);
}

const ROLLBACK_STACK: &str = r#"
[stack]
name = "rollback"

[providers.huawei]
region = "ap-southeast-1"
project_id = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
sandbox = true

[resources.huawei_autopilot_cluster.c]
name = "rollback"
flavor = "cce.autopilot.cluster"
version = "v1.28"
vpc_id = "vpc-1"
subnet_id = "subnet-1"

[resources.huawei_autopilot_addon.dns]
cluster_id = "${huawei_autopilot_cluster.c.id}"
template = "coredns"
version = "VERSION"
"#;

#[test]
fn huawei_addon_rollback_and_upgrade_retry_are_explicit_actions() {
    let w = Workdir::new();
    let dir = w.stack(
        "rb",
        &[("main.toml", &ROLLBACK_STACK.replace("VERSION", "1.28.4"))],
    );
    let d = dir.to_str().unwrap();
    w.run_env(&["apply", d, "--auto-approve"], &[FAST])
        .expect_code(0);
    std::fs::write(
        dir.join("main.toml"),
        ROLLBACK_STACK.replace("VERSION", "1.28.6"),
    )
    .unwrap();
    w.run_env(&["apply", d, "--auto-approve"], &[FAST])
        .expect_code(0);
    w.run_env(&["plan", d, "--detailed-exitcode"], &[FAST])
        .expect_code(0);

    let r = w.run_env(
        &[
            "huawei",
            "addon-rollback",
            "--dir",
            d,
            "huawei_autopilot_addon.dns",
        ],
        &[FAST],
    );
    r.expect_code(0);
    assert!(r.stderr.contains("rolled back"), "{}", r.stderr);
    // The cloud is back on 1.28.4, so the config's 1.28.6 is a planned update again.
    let r = w.run_env(&["plan", d, "--detailed-exitcode"], &[FAST]);
    r.expect_code(2);
    assert!(
        r.stdout.contains("\"1.28.4\" -> \"1.28.6\""),
        "{}",
        r.stdout
    );

    // No failed upgrade task to retry: the cloud's refusal is reported, exit 1.
    let r = w.run_env(
        &[
            "huawei",
            "upgrade-retry",
            "--dir",
            d,
            "huawei_autopilot_cluster.c",
        ],
        &[FAST],
    );
    r.expect_code(1);
    assert!(
        r.stderr.contains("huawei_autopilot_cluster.c"),
        "{}",
        r.stderr
    );
    // Wrong type for the action.
    let r = w.run(&[
        "huawei",
        "addon-rollback",
        "--dir",
        d,
        "huawei_autopilot_cluster.c",
    ]);
    r.expect_code(1);
    assert!(
        r.stderr.contains("is not a huawei_autopilot_addon"),
        "{}",
        r.stderr
    );
}

/// Applies the `two-clusters` fixture in the sandbox; returns its directory.
fn applied_two_clusters(w: &Workdir) -> std::path::PathBuf {
    let dir = fixture(w, "two-clusters");
    w.run_env(&["apply", dir.to_str().unwrap(), "--auto-approve"], &[FAST])
        .expect_code(0);
    dir
}

#[test]
fn output_and_show_of_the_state_in_human_and_json_forms() {
    let w = Workdir::new();
    let dir = applied_two_clusters(&w);
    let d = dir.to_str().unwrap();

    let r = w.run(&["output", "--dir", d, "--json"]);
    r.expect_code(0);
    let all: serde_json::Value = serde_json::from_str(&r.stdout).expect("outputs JSON");
    let id = all["a_id"]["value"].as_str().expect("a_id").to_string();
    assert_eq!(all["a_id"]["sensitive"], false);
    assert_eq!(
        all["description"],
        serde_json::json!({ "value": "made by the tests", "sensitive": false })
    );
    assert_eq!(all["token"]["sensitive"], true);

    let r = w.run(&["output", "--dir", d, "a_id"]);
    r.expect_code(0);
    assert_eq!(r.stdout, format!("{id}\n"), "a string output prints raw");
    let r = w.run(&["output", "--dir", d, "--json", "description"]);
    r.expect_code(0);
    assert_eq!(r.stdout.trim(), "\"made by the tests\"");
    let r = w.run(&["output", "--dir", d]);
    r.expect_code(0);
    assert!(
        r.stdout.contains(&format!("a_id = \"{id}\"")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("token = (sensitive)"), "{}", r.stdout);
    assert!(!r.stdout.contains("s3cr3t"), "{}", r.stdout);
    let r = w.run(&["output", "--dir", d, "nope"]);
    r.expect_code(1);
    assert!(r.stderr.contains("no output `nope`"), "{}", r.stderr);

    let r = w.run(&["show", "--dir", d]);
    r.expect_code(0);
    assert!(
        r.stdout
            .contains(&format!("# huawei_autopilot_cluster.a (id: {id})")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("description = \"made by the tests\""),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("# huawei_autopilot_addon.dns (id: "));
    let r = w.run(&["show", "--dir", d, "--json"]);
    r.expect_code(0);
    let state: serde_json::Value = serde_json::from_str(&r.stdout).expect("state JSON");
    // The state-file format: versioned, resources as an array in address order.
    assert_eq!(state["format_version"], 1);
    assert_eq!(state["resources"].as_array().map(|m| m.len()), Some(3));
    assert_eq!(
        state["resources"][0]["address"], "huawei_autopilot_addon.dns",
        "{}",
        r.stdout
    );
    assert_eq!(state["outputs"]["token"]["value"], "(sensitive)");
    assert!(!r.stdout.contains("s3cr3t"), "{}", r.stdout);
}

#[test]
fn apply_graph_runs_deletes_backwards() {
    let w = Workdir::new();
    let dir = applied_two_clusters(&w);
    // Drop the add-on and its cluster from the config: both are planned for deletion, and the
    // add-on must go before the cluster it runs on.
    let text = std::fs::read_to_string(dir.join("main.toml")).unwrap();
    let keep: Vec<&str> = text
        .split("\n[")
        .filter(|block| {
            !block.starts_with("resources.huawei_autopilot_cluster.a]")
                && !block.starts_with("resources.huawei_autopilot_addon.dns]")
                && !block.starts_with("outputs.a_id]")
        })
        .collect();
    std::fs::write(dir.join("main.toml"), keep.join("\n[")).unwrap();
    let r = w.run(&["graph", "--type", "apply", dir.to_str().unwrap()]);
    r.expect_code(0);
    assert!(
        r.stdout
            .contains("\"huawei_autopilot_addon.dns\" -> \"huawei_autopilot_cluster.a\";"),
        "deletes run from dependent to dependency: {}",
        r.stdout
    );
    assert!(
        r.stdout.contains("huawei_autopilot_cluster.a\\n(delete)"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("huawei_autopilot_cluster.b"),
        "a no-op is not in the apply graph: {}",
        r.stdout
    );
    // The plan graph keeps dependency direction whatever the action.
    let r = w.run(&["graph", dir.to_str().unwrap()]);
    r.expect_code(0);
    assert!(
        r.stdout
            .contains("\"huawei_autopilot_cluster.a\" -> \"huawei_autopilot_addon.dns\";"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_damaged_or_newer_state_file_is_refused_and_left_byte_for_byte() {
    let w = Workdir::new();
    let dir = applied_two_clusters(&w);
    let d = dir.to_str().unwrap();
    let path = w.path().join("state/two-clusters.json");
    let good = std::fs::read(&path).unwrap();
    let mut newer: serde_json::Value = serde_json::from_slice(&good).unwrap();
    newer["format_version"] = 999.into();
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("corrupt", b"{ this is not JSON".to_vec(), "hint: restore"),
        (
            "truncated",
            good[..good.len() / 2].to_vec(),
            "hint: restore",
        ),
        (
            "newer",
            serde_json::to_vec_pretty(&newer).unwrap(),
            "hint: upgrade clusterform",
        ),
    ];
    for (what, bytes, hint) in cases {
        std::fs::write(&path, &bytes).unwrap();
        for args in [
            &["plan", d, "--refresh=false"][..],
            &["show", "--dir", d][..],
            &["state", "rm", "--dir", d, "huawei_autopilot_cluster.b"][..],
            &["apply", d, "--auto-approve"][..],
        ] {
            let r = w.run_env(args, &[FAST]);
            r.expect_code(1);
            assert!(
                r.stderr.contains("state file"),
                "{what} {args:?}: {}",
                r.stderr
            );
            assert!(r.stderr.contains(hint), "{what} {args:?}: {}", r.stderr);
            assert_eq!(
                std::fs::read(&path).unwrap(),
                bytes,
                "{what} state changed by {args:?}"
            );
        }
    }
}

/// An output built from a data source is recorded by apply, so the next plan has nothing to show
/// for it (it used to show `+ latest = …` on every plan).
#[test]
fn an_output_from_a_data_source_is_recorded_and_plans_no_change() {
    let w = Workdir::new();
    let text = r#"[stack]
name = "dataout"

[providers.huawei]
region = "ap-southeast-1"
project_id = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
sandbox = true

[resources.huawei_autopilot_cluster.c]
name = "dataout-c"
flavor = "cce.autopilot.cluster"
version = "v1.29"
vpc_id = "vpc-1"
subnet_id = "subnet-1"

[data.huawei_autopilot_addon_templates.coredns]
name = "coredns"

[outputs.latest]
value = "${data.huawei_autopilot_addon_templates.coredns.latest_version}"
"#;
    let dir = w.stack("dataout", &[("main.toml", text)]);
    let d = dir.to_str().unwrap();
    w.run_env(&["apply", d, "--auto-approve"], &[crate::support::FAST])
        .expect_code(0);
    let out = w.run(&["output", "--dir", d, "latest"]);
    out.expect_code(0);
    assert!(!out.stdout.trim().is_empty(), "{}", out.stderr);
    let plan = w.run_env(&["plan", d, "--detailed-exitcode"], &[crate::support::FAST]);
    plan.expect_code(0);
    assert!(!plan.stdout.contains("latest"), "{}", plan.stdout);
}

/// The huawei actions read the stack like every other command (variables from `--var`) and
/// take the state lock, so they never act under an apply that holds it.
#[test]
fn huawei_actions_take_variables_and_respect_the_state_lock() {
    let w = Workdir::new();
    let text = ROLLBACK_STACK
        .replace(
            "version = \"VERSION\"",
            "version = \"${var.addon_version}\"",
        )
        .replace(
            "[providers.huawei]",
            "[variables.addon_version]\n\n[providers.huawei]",
        );
    let dir = w.stack("rb", &[("main.toml", &text)]);
    let d = dir.to_str().unwrap();
    for v in ["addon_version=1.28.4", "addon_version=1.28.6"] {
        w.run_env(&["apply", d, "--auto-approve", "--var", v], &[FAST])
            .expect_code(0);
    }
    let action = |extra: &[&str]| {
        let mut args = vec![
            "huawei",
            "addon-rollback",
            "--dir",
            d,
            "huawei_autopilot_addon.dns",
        ];
        args.extend_from_slice(extra);
        w.run_env(&args, &[FAST])
    };

    // Without the variable the stack does not load: the error names it.
    let r = action(&[]);
    r.expect_code(1);
    assert!(r.stderr.contains("addon_version"), "{}", r.stderr);

    // Another run holds the lock (a live lease): the action is refused naming the holder.
    let now = chrono::Utc::now().to_rfc3339();
    let lock = format!(
        r#"{{"id":"5b0d7c1e-0000-4000-8000-000000000001","operation":"apply","user":"ci","host":"runner-7","pid":4242,"run_id":"r-1","started_at":"{now}","heartbeat_at":"{now}","lease_secs":300}}"#
    );
    let lock_file = w.path().join("state/rollback.lock");
    std::fs::write(&lock_file, lock).unwrap();
    let r = action(&["--var", "addon_version=1.28.6"]);
    r.expect_code(1);
    assert!(
        r.stderr.contains("state is locked by") && r.stderr.contains("runner-7"),
        "{}",
        r.stderr
    );
    std::fs::remove_file(&lock_file).unwrap();

    let r = action(&["--var", "addon_version=1.28.6"]);
    r.expect_code(0);
    assert!(r.stderr.contains("rolled back"), "{}", r.stderr);
    assert!(!lock_file.exists(), "the action released its lock");
}
