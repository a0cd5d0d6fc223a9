//! Secrets and state, through the binary against the embedded sandbox: attributes built from a
//! sensitive variable (a cluster's description, one key of an add-on's values) reach the cloud but
//! never the state directory (state, backup, journal) nor anything `apply`, `plan`, `show` or
//! `output` print, while plans still see a changed secret.

use std::path::Path;

use crate::emulator::Emulator;
use crate::harness::{Run, Workdir};
use crate::support::FAST;

const CLUSTER: &str = "huawei_autopilot_cluster.c";
const ADDON: &str = "huawei_autopilot_addon.dns";

fn stack(with_cluster: bool) -> String {
    let mut text = String::from(
        r#"[stack]
name = "secrets"

[variables.secret]
sensitive = true

[providers.huawei]
region = "ap-southeast-1"
project_id = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
sandbox = true

[outputs.plain]
value = "not a secret"
"#,
    );
    if with_cluster {
        text.push_str(
            r#"
[resources.huawei_autopilot_cluster.c]
name = "secrets-c"
flavor = "cce.autopilot.cluster"
version = "v1.29"
vpc_id = "vpc-1"
subnet_id = "subnet-1"
description = "db password: ${var.secret}"

[resources.huawei_autopilot_addon.dns]
cluster_id = "${huawei_autopilot_cluster.c.id}"
template = "coredns"
values = { replicas = 2, token = "${var.secret}" }

[outputs.description]
value = "${huawei_autopilot_cluster.c.description}"
sensitive = true
"#,
        );
    }
    text
}

fn run(w: &Workdir, args: &[&str], secret: &str) -> Run {
    w.run_env(args, &[FAST, ("CLUSTERFORM_VAR_secret", secret)])
}

#[track_caller]
fn assert_not_printed(r: &Run, secrets: &[&str]) {
    for s in secrets {
        assert!(
            !r.stdout.contains(s) && !r.stderr.contains(s),
            "{s} was printed\n--- stdout\n{}\n--- stderr\n{}",
            r.stdout,
            r.stderr
        );
    }
    assert!(
        !r.stdout.contains("sensitive:hmac-sha256"),
        "digests are not printed either\n{}",
        r.stdout
    );
}

/// Every file under `dir` but the sandbox's world (the emulated cloud, which must hold it), as
/// (path, contents); the test fails if any of them holds a secret.
#[track_caller]
fn assert_not_stored(dir: &Path, secrets: &[&str]) -> usize {
    let mut files = 0;
    for entry in std::fs::read_dir(dir).expect("read state dir") {
        let path = entry.expect("entry").path();
        if path.file_name().is_some_and(|n| n == "sandbox") {
            continue;
        }
        if path.is_dir() {
            files += assert_not_stored(&path, secrets);
            continue;
        }
        let bytes = std::fs::read(&path).expect("read state file");
        let text = String::from_utf8_lossy(&bytes);
        for s in secrets {
            assert!(!text.contains(s), "{} holds {s}:\n{text}", path.display());
        }
        files += 1;
    }
    files
}

/// Whether the sandbox's world (the cloud) holds `s`: the secret did reach the cloud.
fn in_cloud(dir: &Path, s: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let p = e.path();
        if p.is_dir() {
            in_cloud(&p, s)
        } else {
            std::fs::read(&p).is_ok_and(|b| String::from_utf8_lossy(&b).contains(s))
        }
    })
}

#[test]
fn a_sensitive_attribute_reaches_the_cloud_but_never_state_or_output() {
    let w = Workdir::new();
    let dir = w.stack("secrets", &[("main.toml", &stack(true))]);
    let d = dir.to_str().unwrap();
    let state_dir = w.path().join("state");
    let (first, second) = ("s3cr3t-first-7f1c", "s3cr3t-second-93ad");

    let r = run(&w, &["apply", d, "--auto-approve"], first);
    r.expect_code(0);
    assert_not_printed(&r, &[first]);
    assert!(
        in_cloud(&state_dir.join("sandbox"), first),
        "the cloud got it"
    );
    let state_file = state_dir.join("secrets.json");
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state_file).expect("state written")).unwrap();
    let cluster = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == CLUSTER)
        .expect("cluster recorded");
    assert_eq!(cluster["sensitive_attrs"][0], "description");
    assert!(cluster["attributes"]["description"]
        .as_str()
        .unwrap()
        .starts_with("sensitive:hmac-sha256:"));
    let addon = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == ADDON)
        .expect("add-on recorded");
    assert_eq!(addon["sensitive_attrs"][0], "values");
    // Keys kept (the provider reads back only the user's keys), each value a digest.
    assert!(addon["attributes"]["values"]["token"]
        .as_str()
        .unwrap()
        .starts_with("sensitive:hmac-sha256:"));
    assert_eq!(
        state["outputs"]["description"]["value"],
        serde_json::Value::Null
    );
    assert_eq!(state["outputs"]["description"]["sensitive"], true);
    assert!(assert_not_stored(&state_dir, &[first]) >= 1);

    // Unchanged secret: no changes, nothing printed.
    let r = run(&w, &["plan", d, "--detailed-exitcode"], first);
    r.expect_code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    assert_not_printed(&r, &[first]);
    let plan_file = w.path().join("secrets.plan");
    let plan_file = plan_file.to_str().unwrap();
    run(&w, &["plan", d, "--out", plan_file], first).expect_code(0);
    let saved = std::fs::read_to_string(plan_file).expect("plan file");
    assert!(!saved.contains(first) && !saved.contains("sensitive:hmac-sha256"));
    for args in [
        vec!["plan", d, "--json"],
        vec!["show", plan_file],
        vec!["show", plan_file, "--json"],
        vec!["show", "--dir", d],
        vec!["show", "--dir", d, "--json"],
        vec!["state", "show", "--dir", d, CLUSTER],
        vec!["output", "--dir", d],
        vec!["output", "--dir", d, "--json"],
    ] {
        let r = run(&w, &args, first);
        r.expect_code(0);
        assert_not_printed(&r, &[first]);
        // The human forms of the state name what they hide.
        if args[1..] == ["--dir", d] {
            assert!(r.stdout.contains("(sensitive)"), "{args:?}: {}", r.stdout);
        }
    }
    let r = run(&w, &["output", "--dir", d, "--json"], first);
    let all: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(all["description"]["value"], serde_json::Value::Null);
    assert_eq!(all["description"]["sensitive"], true);
    assert_eq!(all["plain"]["value"], "not a secret");
    // Asked for by name, a sensitive output is evaluated again from config, variables and state.
    let r = run(&w, &["output", "--dir", d, "description"], first);
    r.expect_code(0);
    assert_eq!(r.stdout.trim_end(), format!("db password: {first}"));

    // A changed secret plans an update of the attribute, shown as (sensitive).
    let r = run(&w, &["plan", d, "--detailed-exitcode"], second);
    r.expect_code(2);
    for line in [
        "huawei_autopilot_cluster.c will be updated in-place",
        "description = (sensitive) -> (sensitive)",
        "huawei_autopilot_addon.dns will be updated in-place",
        "values.token = (sensitive) -> (sensitive)",
        "Plan: 0 to create, 2 to update",
    ] {
        assert!(r.stdout.contains(line), "{line}: {}", r.stdout);
    }
    assert_not_printed(&r, &[first, second]);
    let r = run(&w, &["apply", d, "--auto-approve"], second);
    r.expect_code(0);
    assert_not_printed(&r, &[first, second]);
    assert!(in_cloud(&state_dir.join("sandbox"), second));
    assert!(state_dir.join("secrets.json.backup").exists());
    assert_not_stored(&state_dir, &[first, second]);
    let r = run(&w, &["plan", d, "--detailed-exitcode"], second);
    r.expect_code(0);
    assert_not_printed(&r, &[second]);

    // Removed from the config: a delete that prints neither the recorded secret nor its digest.
    std::fs::write(dir.join("main.toml"), stack(false)).unwrap();
    for extra in [&[][..], &["--json"][..]] {
        let mut args = vec!["plan", d];
        args.extend_from_slice(extra);
        let r = run(&w, &args, second);
        r.expect_code(0);
        assert!(r.stdout.contains("delete"), "{}", r.stdout);
        if extra.is_empty() {
            assert!(
                r.stdout.contains("description = (sensitive)")
                    && r.stdout.contains("values")
                    && r.stdout
                        .contains("0 to update, 0 to upgrade, 0 to replace, 2 to delete"),
                "{}",
                r.stdout
            );
        }
        assert_not_printed(&r, &[first, second]);
    }
    let r = run(&w, &["apply", d, "--auto-approve"], second);
    r.expect_code(0);
    assert_not_printed(&r, &[first, second]);
    assert_not_stored(&state_dir, &[first, second]);
}

#[test]
fn a_sensitive_output_from_a_data_source_is_not_evaluated_without_the_cloud() {
    let w = Workdir::new();
    let text = r#"[stack]
name = "kube"

[providers.huawei]
region = "ap-southeast-1"
project_id = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
sandbox = true

[resources.huawei_autopilot_cluster.c]
name = "kube-c"
flavor = "cce.autopilot.cluster"
version = "v1.29"
vpc_id = "vpc-1"
subnet_id = "subnet-1"

[data.huawei_autopilot_kubeconfig.k]
cluster_id = "${huawei_autopilot_cluster.c.id}"

[outputs.server]
value = "${data.huawei_autopilot_kubeconfig.k.server}"
sensitive = true
"#;
    let dir = w.stack("kube", &[("main.toml", text)]);
    let d = dir.to_str().unwrap();
    w.run_env(&["apply", d, "--auto-approve"], &[FAST])
        .expect_code(0);
    let r = w.run_env(&["output", "--dir", d, "server"], &[FAST]);
    r.expect_code(1);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(
        r.stderr.contains(
            "output `server` is sensitive, so state keeps no value for it, and it cannot be evaluated without the cloud: it depends on a data source"
        ) && r.stderr.contains("hint: run `clusterform plan` or `clusterform apply`"),
        "{}",
        r.stderr
    );
}

/// Killed while the add-on installs, the journal (which holds the add-on's operation, whose data
/// keeps the values sent) has the secret only sealed; the next apply resumes from it and records
/// the same digests a clean apply would. Against the emulator as its own process, whose world
/// outlives the killed run.
#[test]
fn a_killed_apply_journals_no_secret_and_resumes() {
    let emu = Emulator::start(300, None, 7);
    let w = Workdir::new();
    let text = stack(true).replace(
        "sandbox = true",
        "endpoint = \"${var.endpoint}\"\n\n[variables.endpoint]\ndefault = \"\"",
    );
    let dir = w.stack("secrets", &[("main.toml", &text)]);
    let d = dir.to_str().unwrap();
    let endpoint = emu.endpoint_var();
    let secret = "s3cr3t-killed-51be";
    let env = |extra: &[(&'static str, &'static str)]| {
        let mut e = emu.env().to_vec();
        e.extend_from_slice(extra);
        e
    };
    let journal = w.path().join("state/secrets.journal");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_clusterform"))
        .args(["apply", d, "--auto-approve", "--var", &endpoint])
        .current_dir(w.path())
        .envs(env(&[("NO_COLOR", "1"), ("CLUSTERFORM_POLL_MIN", "100ms")]))
        .env("CLUSTERFORM_VAR_secret", secret)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn clusterform");
    let started = std::time::Instant::now();
    let mut journaled = String::new();
    while started.elapsed() < std::time::Duration::from_secs(60) {
        journaled = std::fs::read_to_string(&journal).unwrap_or_default();
        if journaled.contains("user_values") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert!(
        journaled.contains("user_values"),
        "the add-on never started: {journaled}"
    );
    assert!(!journaled.contains(secret), "{journaled}");
    assert!(journaled.contains("sensitive:hmac-sha256:"), "{journaled}");
    let state_dir = w.path().join("state");
    assert_not_stored(&state_dir, &[secret]);

    // The killed run's lease is broken as an operator would, then apply resumes.
    let run = |args: &[&str]| {
        let mut a = args.to_vec();
        a.extend_from_slice(&["--var", &endpoint]);
        w.run_env(&a, &env(&[("CLUSTERFORM_VAR_secret", secret)]))
    };
    let lock: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(state_dir.join("secrets.lock")).expect("lock left"),
    )
    .unwrap();
    let id = lock["id"].as_str().unwrap();
    run(&["force-unlock", id, d]).expect_code(0);
    let r = run(&["apply", d, "--auto-approve"]);
    r.expect_code(0);
    assert!(r.stderr.contains("resuming"), "{}", r.stderr);
    assert_not_printed(&r, &[secret]);
    assert_not_stored(&state_dir, &[secret]);
    let r = run(&["plan", d, "--detailed-exitcode"]);
    r.expect_code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    assert_eq!(emu.addons().len(), 1, "resumed, not installed twice");
}

/// `import` records the object the way apply would: the attribute the config builds from a
/// secret is sealed, so the import plans no change and stores no secret.
#[test]
fn an_imported_object_is_recorded_sealed() {
    let w = Workdir::new();
    let dir = w.stack("secrets", &[("main.toml", &stack(true))]);
    let d = dir.to_str().unwrap();
    let secret = "s3cr3t-imported-0c4d";
    run(&w, &["apply", d, "--auto-approve"], secret).expect_code(0);
    let state_file = w.path().join("state/secrets.json");
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state_file).unwrap()).unwrap();
    let id = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == CLUSTER)
        .and_then(|r| r["id"].as_str())
        .expect("cluster id")
        .to_string();
    run(&w, &["state", "rm", "--dir", d, CLUSTER], secret).expect_code(0);
    let r = run(&w, &["import", CLUSTER, &id, d], secret);
    r.expect_code(0);
    assert_not_printed(&r, &[secret]);
    assert_not_stored(&w.path().join("state"), &[secret]);
    let text = std::fs::read_to_string(&state_file).unwrap();
    assert!(text.contains("sensitive:hmac-sha256:"), "{text}");
    let r = run(&w, &["plan", d, "--detailed-exitcode"], secret);
    r.expect_code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
}

/// A value recorded in clear before its variable was marked sensitive is sealed by the next run
/// that writes state (here `refresh`), and plans stay quiet about it.
#[test]
fn a_secret_recorded_in_clear_earlier_is_sealed_by_the_next_write() {
    let w = Workdir::new();
    let secret = "s3cr3t-older-state-7d1";
    let clear = stack(true).replace(
        "[variables.secret]\nsensitive = true\n",
        "[variables.secret]\n",
    );
    let dir = w.stack("secrets", &[("main.toml", &clear)]);
    let d = dir.to_str().unwrap();
    run(&w, &["apply", d, "--auto-approve"], secret).expect_code(0);
    let state = w.path().join("state/secrets.json");
    assert!(
        std::fs::read_to_string(&state).unwrap().contains(secret),
        "the first apply was meant to record the value in clear"
    );

    std::fs::write(dir.join("main.toml"), stack(true)).unwrap();
    run(&w, &["refresh", d], secret).expect_code(0);
    assert!(
        !std::fs::read_to_string(&state).unwrap().contains(secret),
        "refresh left the secret in state"
    );
    let plan = run(&w, &["plan", d, "--detailed-exitcode"], secret);
    plan.expect_code(0);
    assert_not_printed(&plan, &[secret]);
}
