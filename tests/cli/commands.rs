//! plan's output forms, saved plans, show, graph, and the state commands — offline, or against the
//! embedded sandbox at a high time scale.

use crate::harness::{Run, Workdir};

const FAST: (&str, &str) = ("CLUSTERFORM_SANDBOX_TIME_SCALE", "6000");

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

#[test]
fn force_unlock_with_a_wrong_id_is_refused() {
    let w = Workdir::new();
    let dir = w.example("quickstart");
    let r = w.run(&["force-unlock", "not-a-lock", dir.to_str().unwrap()]);
    r.expect_code(1);
    assert!(!r.stderr.is_empty());
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
