//! Variables through the binary: `--var`, `--var-file` and `CLUSTERFORM_VAR_x` and their order,
//! and the commands that only read state (`show`, `output`, `state`, `force-unlock`) taking them.

use crate::harness::{Run, Workdir};
use crate::support::{fixture, FAST};

/// The planned description of the `vars` fixture's cluster.
fn planned_description(r: &Run) -> String {
    r.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("plan JSON");
    v["resource_changes"][0]["after"]["description"]
        .as_str()
        .expect("a planned description")
        .to_string()
}

fn plan(w: &Workdir, extra: &[&str], env: &[(&str, &str)]) -> String {
    let mut args = vec!["plan", "vars", "--refresh=false", "--json"];
    args.extend_from_slice(extra);
    planned_description(&w.run_env(&args, env))
}

#[test]
fn variables_come_from_defaults_flags_files_and_the_environment() {
    let w = Workdir::new();
    fixture(&w, "vars");
    let file = "vars/inputs/file.vars.toml";
    let env = ("CLUSTERFORM_VAR_description", "from-env");

    assert_eq!(plan(&w, &[], &[]), "from-default");
    assert_eq!(
        plan(&w, &["--var", "description=from-flag"], &[]),
        "from-flag"
    );
    assert_eq!(plan(&w, &["--var-file", file], &[]), "from-var-file");
    assert_eq!(plan(&w, &[], &[env]), "from-env");
    // The environment wins over both flags.
    assert_eq!(
        plan(
            &w,
            &["--var", "description=from-flag", "--var-file", file],
            &[env]
        ),
        "from-env"
    );
    // Of repeated flags the last wins.
    assert_eq!(
        plan(
            &w,
            &["--var", "description=one", "--var", "description=two"],
            &[]
        ),
        "two"
    );
    let r = w.run(&["plan", "vars", "--refresh=false", "--var", "description"]);
    r.expect_code(1);
    assert!(r.stderr.contains("is not NAME=VALUE"), "{}", r.stderr);
}

/// PRECEDENCE PER THE ISSUE — defaults < --var < --var-file < CLUSTERFORM_VAR_x. Another branch
/// changes the config crate to this order; until it is merged this test fails (the order before it
/// put --var above --var-file).
#[test]
fn a_var_file_wins_over_var_as_the_issue_orders() {
    let w = Workdir::new();
    fixture(&w, "vars");
    assert_eq!(
        plan(
            &w,
            &[
                "--var-file",
                "vars/inputs/file.vars.toml",
                "--var",
                "description=from-flag"
            ],
            &[]
        ),
        "from-var-file"
    );
}

#[test]
fn state_reading_commands_take_variables() {
    let w = Workdir::new();
    let dir = fixture(&w, "required-var");
    let d = dir.to_str().unwrap();
    // The state lives where the variable says: required-var/custom-state/.
    w.run_env(
        &[
            "apply",
            d,
            "--auto-approve",
            "--var",
            "state_dir=custom-state",
        ],
        &[FAST],
    )
    .expect_code(0);
    assert!(dir.join("custom-state/required-var.json").is_file());
    let var_file = w.path().join("state-dir.toml");
    std::fs::write(&var_file, "state_dir = \"custom-state\"\n").unwrap();
    let vf = var_file.to_str().unwrap();

    // Without the variable the stack cannot be read, and no default state is opened silently.
    let r = w.run(&["show", "--dir", d]);
    r.expect_code(1);
    assert!(
        r.stderr.contains("variable `state_dir` has no value"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);

    let r = w.run(&["show", "--dir", d, "--var", "state_dir=custom-state"]);
    r.expect_code(0);
    assert!(
        r.stdout.contains("# huawei_autopilot_cluster.c (id: "),
        "{}",
        r.stdout
    );

    let r = w.run(&["output", "--dir", d, "--var-file", vf, "cluster_id"]);
    r.expect_code(0);
    let id = r.stdout.trim().to_string();
    assert!(!id.is_empty());

    let r = w.run_env(
        &["state", "list", "--dir", d],
        &[("CLUSTERFORM_VAR_state_dir", "custom-state")],
    );
    r.expect_code(0);
    assert_eq!(r.stdout.trim(), "huawei_autopilot_cluster.c");

    let r = w.run(&[
        "state",
        "show",
        "--dir",
        d,
        "--var",
        "state_dir=custom-state",
        "huawei_autopilot_cluster.c",
    ]);
    r.expect_code(0);
    assert!(r.stdout.contains(&id), "{}", r.stdout);

    w.run(&[
        "state",
        "mv",
        "--dir",
        d,
        "--var-file",
        vf,
        "huawei_autopilot_cluster.c",
        "huawei_autopilot_cluster.renamed",
    ])
    .expect_code(0);
    w.run(&[
        "state",
        "rm",
        "--dir",
        d,
        "--var-file",
        vf,
        "huawei_autopilot_cluster.renamed",
    ])
    .expect_code(0);
    let r = w.run(&["state", "list", "--dir", d, "--var-file", vf]);
    r.expect_code(0);
    assert!(r.stdout.trim().is_empty(), "{}", r.stdout);

    // force-unlock reads the same variable to find the lock.
    let r = w.run(&["force-unlock", "some-id", d]);
    r.expect_code(1);
    assert!(
        r.stderr.contains("variable `state_dir` has no value"),
        "{}",
        r.stderr
    );
    let r = w.run(&["force-unlock", "some-id", d, "--var-file", vf]);
    r.expect_code(1);
    assert!(r.stderr.contains("the state is not locked"), "{}", r.stderr);
}
