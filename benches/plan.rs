//! Benchmark: offline plan of a 10,000-instance stack (100 clusters × 99 releases each) against a
//! matching state — parse + validate + graph + diff + render JSON — printing wall time and peak RSS.
//! Target (issue 2): ≤ 0.5 s and ≤ 200 MB on a 2-core machine. Run: `cargo bench --bench plan`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use clusterform_config::{LoadOptions, SourceFile};
use clusterform_model::{Address, Attrs, ResourceState, State, Value};
use clusterform_planner::{HookMap, PlanInput, PlanOptions};
use clusterform_provider_huawei::{provider_schema, HuaweiHooks};

const CLUSTERS: usize = 100;
const DEPENDENTS: usize = 99;

fn stack_files() -> Vec<SourceFile> {
    let mut head = String::from(
        "[stack]\nname = \"bench\"\n\n[providers.huawei]\nregion = \"ap-southeast-1\"\nproject_id = \"0a1b2c3d4e5f60718293a4b5c6d7e8f9\"\n",
    );
    let _ = writeln!(head);
    let mut files = vec![SourceFile {
        path: "main.toml".into(),
        text: head,
    }];
    for c in 0..CLUSTERS {
        let mut t = String::new();
        let _ = write!(
            t,
            "[resources.huawei_autopilot_cluster.c{c}]\nname = \"cluster-{c}\"\nflavor = \"cce.autopilot.cluster\"\nversion = \"v1.29\"\nvpc_id = \"vpc-{c}\"\nsubnet_id = \"subnet-{c}\"\ndescription = \"cluster {c}\"\ntags = {{ env = \"prod\", team = \"t{c}\" }}\n\n"
        );
        for d in 0..DEPENDENTS {
            let _ = write!(
                t,
                "[resources.huawei_autopilot_release.c{c}r{d}]\ncluster_id = \"${{huawei_autopilot_cluster.c{c}.id}}\"\nnamespace = \"ns-{d}\"\nname = \"app-{d}\"\nchart_id = \"chart-{d}\"\nchart_version = \"1.{d}.0\"\nvalues = {{ replicas = 2, image = \"app:{d}\" }}\n\n"
            );
        }
        files.push(SourceFile {
            path: format!("cluster{c:03}.toml").into(),
            text: t,
        });
    }
    files
}

/// A state matching the config: every instance recorded with the config's values and made-up ids.
fn matching_state(plan: &clusterform_model::Plan) -> State {
    let mut state = State::new("bench-lineage");
    state.serial = 1;
    let mut ids: BTreeMap<Address, String> = BTreeMap::new();
    for (i, c) in plan.changes.iter().enumerate() {
        ids.insert(c.address.clone(), format!("id-{i}"));
    }
    for c in &plan.changes {
        let mut attrs: Attrs = c.after.clone().unwrap_or_default();
        for (k, v) in attrs.iter_mut() {
            if v.contains_unknown() {
                *v = match k.as_str() {
                    "id" => Value::str(ids[&c.address].clone()),
                    "cluster_id" => {
                        let dep = c
                            .depends_on
                            .first()
                            .expect("release depends on its cluster");
                        Value::str(ids[dep].clone())
                    }
                    _ => Value::str("computed"),
                };
            }
        }
        state.resources.insert(
            c.address.clone(),
            ResourceState {
                address: c.address.clone(),
                provider: "huawei".into(),
                id: ids[&c.address].clone(),
                attributes: attrs,
                dependencies: c.depends_on.clone(),
                tainted: false,
                private: serde_json::Value::Null,
            },
        );
    }
    state
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn main() {
    // The measured run is its own process, so its peak RSS is the plan's, not the set-up's.
    if let Ok(path) = std::env::var("CLUSTERFORM_BENCH_STATE") {
        measure(&path);
        return;
    }
    let files = stack_files();
    let schemas = schemas();
    let opts = LoadOptions {
        default_stack_name: "bench".into(),
        ..Default::default()
    };
    let hooks_impl = HuaweiHooks::new();
    let mut hooks: HookMap = BTreeMap::new();
    hooks.insert("huawei".into(), &hooks_impl);
    let empty = State::new("bench-lineage");
    let none: BTreeMap<Address, Attrs> = BTreeMap::new();
    let no_fingerprints: BTreeMap<Address, String> = BTreeMap::new();
    // Set-up (not measured): plan against empty state to derive a matching state file.
    let config = clusterform_config::load(&files, &opts, &schemas).expect("bench stack is valid");
    let first = clusterform_planner::plan(&PlanInput {
        config: &config,
        prior: &empty,
        refreshed: &empty,
        data: &none,
        schemas: &schemas,
        hooks: &hooks,
        fingerprints: &no_fingerprints,
        options: &PlanOptions::default(),
    })
    .expect("first plan");
    let state = matching_state(&first);
    let path = std::env::temp_dir().join(format!(
        "clusterform-bench-state-{}.json",
        std::process::id()
    ));
    std::fs::write(&path, clusterform_state::encode(&state)).expect("write bench state");
    let exe = std::env::current_exe().expect("bench binary path");
    let status = std::process::Command::new(exe)
        .env("CLUSTERFORM_BENCH_STATE", &path)
        .status()
        .expect("run the measured process");
    let _ = std::fs::remove_file(&path);
    assert!(status.success(), "measured run failed: {status}");
}

fn schemas() -> BTreeMap<String, clusterform_model::ProviderSchema> {
    let mut schemas = BTreeMap::new();
    let s = provider_schema();
    schemas.insert(s.name.clone(), s);
    schemas
}

fn measure(state_path: &str) {
    let files = stack_files();
    let schemas = schemas();
    let opts = LoadOptions {
        default_stack_name: "bench".into(),
        ..Default::default()
    };
    let hooks_impl = HuaweiHooks::new();
    let mut hooks: HookMap = BTreeMap::new();
    hooks.insert("huawei".into(), &hooks_impl);
    let options = PlanOptions::default();
    let none: BTreeMap<Address, Attrs> = BTreeMap::new();
    let no_fingerprints: BTreeMap<Address, String> = BTreeMap::new();
    let t = Instant::now();
    let bytes = std::fs::read(state_path).expect("read bench state");
    let state = clusterform_state::decode(&bytes).expect("decode bench state");
    drop(bytes);
    let t_state = t.elapsed().as_secs_f64();

    let mut times = Vec::new();
    let mut phases: Vec<(f64, f64, f64)> = Vec::new();
    let mut json_len = 0;
    let mut changes = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let config = clusterform_config::load(&files, &opts, &schemas).expect("valid");
        let t_load = t.elapsed().as_secs_f64();
        let plan = clusterform_planner::plan(&PlanInput {
            config: &config,
            prior: &state,
            refreshed: &state,
            data: &none,
            schemas: &schemas,
            hooks: &hooks,
            fingerprints: &no_fingerprints,
            options: &options,
        })
        .expect("plan");
        // The plan owns everything it shows; the config is no longer needed while rendering.
        drop(config);
        let t_plan = t.elapsed().as_secs_f64();
        let json = clusterform_planner::render::render_json_string(&plan, false);
        times.push(t.elapsed().as_secs_f64());
        phases.push((t_load, t_plan - t_load, t.elapsed().as_secs_f64() - t_plan));
        json_len = json.len();
        changes = plan.changes.iter().filter(|c| c.action.is_change()).count();
        assert_eq!(plan.changes.len(), CLUSTERS * (DEPENDENTS + 1));
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let median = times[times.len() / 2];
    let rss = peak_rss_mb();
    let (l, p, r) = phases[phases.len() / 2];
    println!(
        "offline plan of {} instances (parse + validate + graph + diff + render JSON)",
        CLUSTERS * (DEPENDENTS + 1)
    );
    println!(
        "  runs: 5, median wall: {:.3} s (min {:.3} s, max {:.3} s)",
        median,
        times[0],
        times[times.len() - 1]
    );
    println!(
        "  phases of one run: load+validate {:.3} s, graph+diff {:.3} s, render JSON {:.3} s",
        l, p, r
    );
    println!("  reading the 10,000-resource state file (not in the figure above): {t_state:.3} s");
    println!("  peak RSS: {rss:.1} MB");
    println!(
        "  changes found: {changes} (a matching state should give 0); JSON plan: {:.1} MB",
        json_len as f64 / 1e6
    );
    println!(
        "  vs target: time {:.2}× of 0.5 s, memory {:.2}× of 200 MB",
        median / 0.5,
        rss / 200.0
    );
}
