//! Saved plans through the binary, against the embedded sandbox: `apply FILE` plans again with the
//! options and variables the file records (--target, --replace, --destroy, variable values) and
//! refuses the file when they, or anything else it was made against, moved.

use crate::harness::Workdir;
use crate::support::{fixture, FAST};

const A: &str = "huawei_autopilot_cluster.a";
const B: &str = "huawei_autopilot_cluster.b";
const DNS: &str = "huawei_autopilot_addon.dns";

fn state_list(w: &Workdir, d: &str) -> Vec<String> {
    let r = w.run(&["state", "list", "--dir", d]);
    r.expect_code(0);
    r.stdout.lines().map(str::to_string).collect()
}

fn state_id(w: &Workdir, d: &str, addr: &str) -> String {
    let r = w.run(&["state", "show", "--dir", d, addr]);
    r.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("state show prints JSON");
    v["id"].as_str().expect("recorded id").to_string()
}

#[test]
fn a_targeted_saved_plan_applies_its_target_and_nothing_else() {
    let w = Workdir::new();
    let dir = fixture(&w, "two-clusters");
    let d = dir.to_str().unwrap();
    let p = w.path().join("target.plan");
    let p = p.to_str().unwrap();

    let r = w.run_env(&["plan", d, "--target", DNS, "--out", p], &[FAST]);
    r.expect_code(0);
    assert!(
        r.stdout
            .contains("Plan: 2 to create, 0 to update, 0 to upgrade, 0 to replace, 0 to delete."),
        "the target and what it depends on: {}",
        r.stdout
    );

    // Planning flags belong to `plan`; the file already says what it was planned with.
    let r = w.run_env(&["apply", p, "--target", B], &[FAST]);
    r.expect_code(1);
    assert!(
        r.stderr
            .contains("--target cannot be used with a saved plan"),
        "{}",
        r.stderr
    );

    let r = w.run_env(&["apply", p], &[FAST]);
    r.expect_code(0);
    assert!(
        r.stderr.contains("Apply complete: 2 done, 0 failed"),
        "{}",
        r.stderr
    );
    assert_eq!(state_list(&w, d), [DNS, A], "cluster b was not targeted");

    // Applied once, the file is stale: the state moved on.
    let r = w.run_env(&["apply", p], &[FAST]);
    r.expect_code(1);
    assert!(
        r.stderr
            .contains("the saved plan is stale: the state moved from serial"),
        "{}",
        r.stderr
    );
}

#[test]
fn replace_and_destroy_saved_plans_apply() {
    let w = Workdir::new();
    let dir = fixture(&w, "two-clusters");
    let d = dir.to_str().unwrap();
    w.run_env(&["apply", d, "--auto-approve"], &[FAST])
        .expect_code(0);
    let dns_before = state_id(&w, d, DNS);
    let a_before = state_id(&w, d, A);

    let p = w.path().join("replace.plan");
    let p = p.to_str().unwrap();
    let r = w.run_env(&["plan", d, "--replace", DNS, "--out", p], &[FAST]);
    r.expect_code(0);
    assert!(
        r.stdout
            .contains("Plan: 0 to create, 0 to update, 0 to upgrade, 1 to replace, 0 to delete."),
        "{}",
        r.stdout
    );
    let r = w.run_env(&["apply", p], &[FAST]);
    r.expect_code(0);
    assert!(
        r.stderr.contains("Apply complete: 1 done, 0 failed"),
        "{}",
        r.stderr
    );
    assert_ne!(state_id(&w, d, DNS), dns_before, "the add-on was replaced");
    assert_eq!(state_id(&w, d, A), a_before, "its cluster was not");

    let p = w.path().join("destroy.plan");
    let p = p.to_str().unwrap();
    w.run_env(&["plan", d, "--destroy", "--out", p], &[FAST])
        .expect_code(0);
    let r = w.run_env(&["apply", p], &[FAST]);
    r.expect_code(0);
    assert!(
        r.stderr.contains("3 done, 0 failed"),
        "the saved destroy mode is applied: {}",
        r.stderr
    );
    assert!(state_list(&w, d).is_empty());
}

#[test]
fn a_variable_changed_after_saving_is_refused_naming_it() {
    let w = Workdir::new();
    let dir = fixture(&w, "two-clusters");
    let d = dir.to_str().unwrap();
    let p = w.path().join("vars.plan");
    let p = p.to_str().unwrap();
    w.run_env(
        &["plan", d, "--var", "description=three", "--out", p],
        &[FAST],
    )
    .expect_code(0);
    let text = std::fs::read_to_string(p).unwrap();
    assert!(
        !text.contains("s3cr3t-token-value"),
        "a sensitive variable's value reached the plan file"
    );

    let r = w.run_env(
        &["apply", p],
        &[FAST, ("CLUSTERFORM_VAR_description", "five")],
    );
    r.expect_code(1);
    assert!(
        r.stderr.contains(
            "the saved plan is stale: variable `description` was \"three\" when planned and is \"five\" now"
        ),
        "{}",
        r.stderr
    );
    let r = w.run_env(
        &["apply", p],
        &[FAST, ("CLUSTERFORM_VAR_token", "another-token")],
    );
    r.expect_code(1);
    assert!(
        r.stderr
            .contains("sensitive variable `token` has another value than when planned"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("another-token"), "{}", r.stderr);
    let r = w.run_env(&["apply", p, "--var", "description=five"], &[FAST]);
    r.expect_code(1);
    assert!(
        r.stderr.contains("--var cannot be used with a saved plan"),
        "{}",
        r.stderr
    );
    assert!(
        !w.path().join("state/two-clusters.json").exists(),
        "nothing was applied"
    );

    // Unchanged, the saved values are what gets applied.
    w.run_env(&["apply", p], &[FAST]).expect_code(0);
    let r = w.run(&["output", "--dir", d, "description"]);
    r.expect_code(0);
    assert_eq!(r.stdout.trim(), "three");
}

#[test]
fn an_older_plan_file_is_refused_with_a_hint() {
    let w = Workdir::new();
    let dir = fixture(&w, "two-clusters");
    let p = w.path().join("old.plan");
    w.run(&[
        "plan",
        dir.to_str().unwrap(),
        "--refresh=false",
        "--out",
        p.to_str().unwrap(),
    ])
    .expect_code(0);
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    v["format_version"] = 1.into();
    v.as_object_mut().unwrap().remove("made_with");
    std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
    let r = w.run(&["apply", p.to_str().unwrap()]);
    r.expect_code(1);
    assert!(
        r.stderr
            .contains("is plan format 1, made by an older clusterform"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("hint: plan again"), "{}", r.stderr);
}

#[test]
fn a_sensitive_variable_is_not_saved_and_comes_from_the_environment_at_apply() {
    let w = Workdir::new();
    let dir = fixture(&w, "required-secret");
    let d = dir.to_str().unwrap();
    let p = w.path().join("secret.plan");
    let p = p.to_str().unwrap();
    w.run_env(
        &["plan", d, "--var", "secret=hunter2-value", "--out", p],
        &[FAST],
    )
    .expect_code(0);
    assert!(!std::fs::read_to_string(p).unwrap().contains("hunter2"));

    let r = w.run_env(&["apply", p], &[FAST]);
    r.expect_code(1);
    assert!(
        r.stderr.contains("variable `secret` has no value"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(
            "hint: a saved plan keeps no sensitive variable values; set them in the environment (CLUSTERFORM_VAR_secret)"
        ),
        "{}",
        r.stderr
    );
    let r = w.run_env(&["apply", p], &[FAST, ("CLUSTERFORM_VAR_secret", "other")]);
    r.expect_code(1);
    assert!(
        r.stderr
            .contains("sensitive variable `secret` has another value than when planned"),
        "{}",
        r.stderr
    );
    let r = w.run_env(
        &["apply", p],
        &[FAST, ("CLUSTERFORM_VAR_secret", "hunter2-value")],
    );
    r.expect_code(0);
    assert!(!r.stdout.contains("hunter2") && !r.stderr.contains("hunter2"));
    let r = w.run_env(
        &["output", "--dir", d, "secret"],
        &[("CLUSTERFORM_VAR_secret", "hunter2-value")],
    );
    r.expect_code(0);
    assert_eq!(r.stdout.trim(), "hunter2-value");
}
