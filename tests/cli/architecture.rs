//! Checks the crate graph against DESIGN §2: which workspace crates may depend on which, and which
//! external dependencies have a single owner. Reads `cargo metadata`, so a new edge fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Workspace crate → the workspace crates it may depend on (normal, build or dev).
fn allowed_edges() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    let model = "clusterform-model";
    let rows: &[(&str, &[&str])] = &[
        ("clusterform-model", &[]),
        ("clusterform-config", &[model]),
        ("clusterform-planner", &[model, "clusterform-config"]),
        ("clusterform-provider", &[model]),
        ("clusterform-state", &[model]),
        ("clusterform-state-pg", &[model, "clusterform-state"]),
        ("clusterform-client-huawei", &[]),
        ("clusterform-client-alibaba", &[]),
        ("clusterform-client-jdcloud", &[]),
        (
            "clusterform-provider-huawei",
            &[model, "clusterform-provider", "clusterform-client-huawei"],
        ),
        (
            "clusterform-provider-alibaba",
            &[model, "clusterform-provider", "clusterform-client-alibaba"],
        ),
        (
            "clusterform-provider-jdcloud",
            &[model, "clusterform-provider", "clusterform-client-jdcloud"],
        ),
        (
            "clusterform-executor",
            &[
                model,
                "clusterform-planner",
                "clusterform-provider",
                "clusterform-state",
                "clusterform-testprovider",
            ],
        ),
        ("clusterform-emulator", &[]),
        ("clusterform-testprovider", &[model, "clusterform-provider"]),
    ];
    rows.iter()
        .map(|(k, v)| (*k, v.iter().copied().collect()))
        .collect()
}

/// External crates that only one kind of workspace crate may use.
fn single_owner(dep: &str) -> Option<fn(&str) -> bool> {
    match dep {
        "reqwest" => Some(|p| p.starts_with("clusterform-client-")),
        "axum" | "axum-core" => Some(|p| p == "clusterform-emulator"),
        "clap" | "anyhow" => Some(|p| p == "clusterform"),
        "tokio-postgres" | "postgres" | "sqlx" | "diesel" | "deadpool-postgres"
        | "bb8-postgres" => Some(|p| p == "clusterform-state-pg"),
        _ => None,
    }
}

/// The strict in-memory provider: engine tests only, never shipped code.
const TEST_PROVIDER: &str = "clusterform-testprovider";

/// Every violation of the rules in `cargo metadata` output.
fn problems(meta: &serde_json::Value) -> Vec<String> {
    let packages = meta["packages"].as_array().expect("packages");
    let workspace: BTreeSet<String> = packages
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    let allowed = allowed_edges();
    let mut problems = Vec::new();
    for p in packages {
        let name = p["name"].as_str().unwrap_or_default();
        for d in p["dependencies"].as_array().into_iter().flatten() {
            let dep = d["name"].as_str().unwrap_or_default();
            if dep == TEST_PROVIDER && d["kind"].as_str() != Some("dev") {
                problems.push(format!(
                    "{name} must depend on {dep} only as a dev-dependency (ARCHITECTURE.md)"
                ));
            }
            if workspace.contains(dep) {
                if name == "clusterform" {
                    continue; // the CLI may use every library
                }
                match allowed.get(name) {
                    Some(ok) if ok.contains(dep) => {}
                    Some(_) => {
                        problems.push(format!("{name} must not depend on {dep} (DESIGN §2)"))
                    }
                    None => {
                        problems.push(format!("{name} is not in the DESIGN §2 table of this test"))
                    }
                }
            } else if let Some(owner) = single_owner(dep) {
                if !owner(name) {
                    problems.push(format!(
                        "{name} must not depend on {dep}: it has a single owner (DESIGN §2)"
                    ));
                }
            }
        }
    }
    problems
}

#[test]
fn crate_edges_follow_design() {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let problems = problems(&meta);
    assert!(
        problems.is_empty(),
        "architecture violations:\n{}",
        problems.join("\n")
    );
}

#[test]
fn rules_catch_a_shipped_test_provider_and_stray_postgres_clients() {
    let dep = |name: &str, kind: Option<&str>| serde_json::json!({ "name": name, "kind": kind });
    let meta = serde_json::json!({ "packages": [
        { "name": "clusterform-testprovider", "dependencies": [] },
        { "name": "clusterform-executor", "dependencies": [
            dep(TEST_PROVIDER, Some("dev")),
        ] },
        { "name": "clusterform", "dependencies": [
            dep(TEST_PROVIDER, None),
            dep("sqlx", None),
        ] },
        { "name": "clusterform-state", "dependencies": [
            dep("diesel", None),
            dep("deadpool-postgres", Some("dev")),
            dep("bb8-postgres", None),
        ] },
        { "name": "clusterform-state-pg", "dependencies": [dep("tokio-postgres", None)] },
    ] });
    assert_eq!(
        problems(&meta),
        vec![
            "clusterform must depend on clusterform-testprovider only as a dev-dependency (ARCHITECTURE.md)",
            "clusterform must not depend on sqlx: it has a single owner (DESIGN §2)",
            "clusterform-state must not depend on diesel: it has a single owner (DESIGN §2)",
            "clusterform-state must not depend on deadpool-postgres: it has a single owner (DESIGN §2)",
            "clusterform-state must not depend on bb8-postgres: it has a single owner (DESIGN §2)",
        ]
    );
}
