//! Engine foundations through the binary: secrets from sensitive variables never reach any plan
//! form or saved plan, outputs must own up to showing one, plan-time errors and `fmt` errors
//! point at the real file, and variable sources rank as DESIGN §3 says.

use crate::harness::Workdir;

const SECRET: &str = "hunter2-do-not-print";

/// A one-cluster stack whose description and tags carry a sensitive variable.
fn stack(extra: &str) -> String {
    format!(
        r#"[stack]
name = "secrets"

[variables.db_password]
default = "{SECRET}"
sensitive = true

[variables.team]
default = "from-default"

[providers.huawei]
region = "ap-southeast-1"
project_id = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"

[resources.huawei_autopilot_cluster.main]
name = "secrets"
flavor = "cce.autopilot.cluster"
version = "v1.28"
vpc_id = "vpc-0001"
subnet_id = "subnet-0001"
description = "db password: ${{var.db_password}}"
tags = {{ team = "${{var.team}}", token = "${{var.db_password}}" }}
{extra}"#
    )
}

#[test]
fn sensitive_variables_never_reach_plans_or_plan_files() {
    let w = Workdir::new();
    let dir = w.stack("s", &[("main.toml", &stack(""))]);
    let d = dir.to_str().unwrap();
    let md = w.path().join("plan.md");
    let out = w.path().join("p.plan");
    let r = w.run(&[
        "plan",
        d,
        "--refresh=false",
        "--markdown",
        md.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    r.expect_code(0);
    for attr in ["description", "tags"] {
        let line = r
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("+ {attr} ")));
        assert!(
            line.is_some_and(|l| l.ends_with("= (sensitive)")),
            "{}",
            r.stdout
        );
    }
    let json = w.run(&["plan", d, "--refresh=false", "--json"]);
    json.expect_code(0);
    let shown = w.run(&["show", out.to_str().unwrap()]);
    shown.expect_code(0);
    for text in [
        r.stdout.as_str(),
        r.stderr.as_str(),
        json.stdout.as_str(),
        shown.stdout.as_str(),
        &std::fs::read_to_string(&md).unwrap(),
        &std::fs::read_to_string(&out).unwrap(),
    ] {
        assert!(!text.contains(SECRET), "{text}");
    }
}

#[test]
fn an_output_showing_a_secret_must_say_sensitive() {
    let w = Workdir::new();
    let output = "\n[outputs.pw]\nvalue = \"${huawei_autopilot_cluster.main.description}\"\n";
    let dir = w.stack("s", &[("main.toml", &stack(output))]);
    let r = w.run(&["validate", dir.to_str().unwrap()]);
    r.expect_code(1);
    assert!(
        r.stderr.contains(
            "error: output `pw` refers to the sensitive value `huawei_autopilot_cluster.main.description`"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("main.toml:25:9"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("hint: add `sensitive = true` to the output"),
        "{}",
        r.stderr
    );
    let fixed = format!("{output}sensitive = true\n");
    let dir = w.stack("t", &[("main.toml", &stack(&fixed))]);
    w.run(&["validate", dir.to_str().unwrap()]).expect_code(0);
}

#[test]
fn plan_errors_name_the_block_with_a_snippet() {
    let w = Workdir::new();
    let dir = w.stack("s", &[("main.toml", &stack(""))]);
    let d = dir.to_str().unwrap();
    let r = w.run(&[
        "plan",
        d,
        "--refresh=false",
        "--target",
        "huawei_autopilot_cluster.main[\"x\"]",
    ]);
    r.expect_code(1);
    let place = format!("--> {}:15:1", dir.join("main.toml").display());
    assert!(r.stderr.contains(&place), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("15 | [resources.huawei_autopilot_cluster.main]"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("= hint: check the address"),
        "{}",
        r.stderr
    );
}

#[test]
fn fmt_errors_name_the_real_file() {
    let w = Workdir::new();
    let dir = w.stack("s", &[("broken.toml", "[stack]\nname = = \"x\"\n")]);
    let r = w.run(&["fmt", "--check", dir.to_str().unwrap()]);
    r.expect_code(1);
    let place = format!("--> {}:2:", dir.join("broken.toml").display());
    assert!(r.stderr.contains(&place), "{}", r.stderr);
    assert!(!r.stderr.contains("<input>"), "{}", r.stderr);
}

#[test]
fn var_file_beats_var_and_the_environment_beats_both() {
    let w = Workdir::new();
    let output = "\n[outputs.team]\nvalue = \"${var.team}\"\n";
    let dir = w.stack("s", &[("main.toml", &stack(output))]);
    let d = dir.to_str().unwrap();
    let vars = w.path().join("vars.toml");
    std::fs::write(&vars, "team = \"from-file\"\n").unwrap();
    let team = |env: &[(&str, &str)]| {
        let r = w.run_env(
            &[
                "plan",
                d,
                "--refresh=false",
                "--json",
                "--var",
                "team=from-flag",
                "--var-file",
                vars.to_str().unwrap(),
            ],
            env,
        );
        r.expect_code(0);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("plan JSON");
        v.to_string()
    };
    let plain = team(&[]);
    assert!(plain.contains("from-file"), "{plain}");
    assert!(!plain.contains("from-flag"), "{plain}");
    let env = team(&[("CLUSTERFORM_VAR_team", "from-env")]);
    assert!(env.contains("from-env"), "{env}");
    assert!(!env.contains("from-file"), "{env}");
}
