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
        "tokio-postgres" | "postgres" | "sqlx" => Some(|p| p == "clusterform-state-pg"),
        _ => None,
    }
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
    assert!(
        problems.is_empty(),
        "architecture violations:\n{}",
        problems.join("\n")
    );
}
