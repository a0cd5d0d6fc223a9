//! Benchmark: offline plan of a 10,000-instance stack (100 clusters × 99 releases each) against a
//! matching state file. What the user gets is measured by running the CLI itself
//! (`clusterform plan --refresh=false --json`, in a process of its own each time: wall time and
//! peak RSS), and where the time goes by running its phases through the libraries — read the
//! stack's files + parse + validate, read the state file, graph + diff, render the JSON plan
//! pretty-printed as the CLI prints it. Prints whether the targets are met.
//! Target (issue 2): ≤ 0.5 s and ≤ 200 MB on a 2-core machine. Run: `cargo bench --bench plan`.

#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use clusterform_config::{LoadOptions, SourceFile};
use clusterform_model::{Address, Attrs, ResourceState, State, Value};
use clusterform_planner::{HookMap, PlanInput, PlanOptions};
use clusterform_provider_huawei::{provider_schema, HuaweiHooks};
use clusterform_state::{LocalStore, StateStore};

/// The targets the figures are checked against.
const TARGET_SECS: f64 = 0.5;
const TARGET_MB: f64 = 200.0;

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
                sensitive_attrs: Vec::new(),
            },
        );
    }
    state
}

/// This process's peak RSS in MB of 10^6 bytes (the kernel counts in KiB); the stricter reading
/// of "200 MB".
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kib| kib * 1024.0 / 1e6)
        .unwrap_or(f64::NAN)
}

/// Runs of the CLI measured.
const CLI_RUNS: usize = 5;

fn main() -> ExitCode {
    // Measured runs are processes of their own, so their peak RSS is the plan's, not the set-up's.
    if let Ok(dir) = std::env::var("CLUSTERFORM_BENCH_DIR") {
        measure(Path::new(&dir));
        return ExitCode::SUCCESS;
    }
    if let Ok(peak_file) = std::env::var("CLUSTERFORM_BENCH_CLI") {
        // This process is the CLI: its arguments are the command line to run.
        let code = clusterform::main();
        std::fs::write(peak_file, peak_rss_mb().to_string()).expect("write the peak RSS");
        return code;
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
    // Set-up (not measured): plan against empty state to derive a matching state file, and write
    // the stack and the state where the CLI would find them.
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
    let dir = std::env::temp_dir().join(format!("clusterform-bench-{}", std::process::id()));
    let stack_dir = dir.join("stack");
    std::fs::create_dir_all(&stack_dir).expect("create the bench stack directory");
    for f in &files {
        std::fs::write(stack_dir.join(&f.path), &f.text).expect("write a bench stack file");
    }
    let store = LocalStore::new(&dir.join("state"), "bench").expect("open the bench state");
    store.write(&state).expect("write the bench state");
    drop((config, first, state));
    let exe = std::env::current_exe().expect("bench binary path");
    let cli = measure_cli(&exe, &dir);
    let status = Command::new(exe)
        .env("CLUSTERFORM_BENCH_DIR", &dir)
        .status()
        .expect("run the measured process");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(status.success(), "measured run failed: {status}");
    let (wall, rss) = cli;
    println!(
        "  target ≤{TARGET_SECS} s {} (CLI median {wall:.3} s)",
        verdict(wall <= TARGET_SECS)
    );
    println!(
        "  target ≤{TARGET_MB:.0} MB {} (CLI peak {rss:.1} MB)",
        verdict(rss <= TARGET_MB)
    );
    ExitCode::SUCCESS
}

/// Runs `clusterform plan stack --refresh=false --json` in `dir` (where its state file is), each
/// time in a process of its own with stdout discarded; prints and returns the median wall time and
/// the highest peak RSS.
fn measure_cli(exe: &Path, dir: &Path) -> (f64, f64) {
    let peak_file = dir.join("peak-rss");
    let mut walls = Vec::new();
    let mut peaks = Vec::new();
    for _ in 0..CLI_RUNS {
        let t = Instant::now();
        let status = Command::new(exe)
            .args(["plan", "stack", "--refresh=false", "--json"])
            .current_dir(dir)
            .env("CLUSTERFORM_BENCH_CLI", &peak_file)
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .status()
            .expect("run the CLI");
        walls.push(t.elapsed().as_secs_f64());
        assert!(status.success(), "the CLI failed: {status}");
        let peak = std::fs::read_to_string(&peak_file).expect("read the peak RSS");
        peaks.push(peak.trim().parse::<f64>().expect("a number"));
    }
    walls.sort_by(|a, b| a.total_cmp(b));
    let median = walls[walls.len() / 2];
    let peak = peaks.iter().copied().fold(0.0, f64::max);
    println!(
        "`clusterform plan --refresh=false --json` of {} instances (what the user gets)",
        CLUSTERS * (DEPENDENTS + 1)
    );
    println!(
        "  runs: {CLI_RUNS}, median wall: {median:.3} s (min {:.3} s, max {:.3} s); peak RSS: {peak:.1} MB",
        walls[0],
        walls[walls.len() - 1]
    );
    (median, peak)
}

fn schemas() -> BTreeMap<String, clusterform_model::ProviderSchema> {
    let mut schemas = BTreeMap::new();
    let s = provider_schema();
    schemas.insert(s.name.clone(), s);
    schemas
}

/// The stack's `*.toml` files, sorted by name, as the CLI reads them.
fn read_stack(dir: &Path) -> Vec<SourceFile> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("read the bench stack directory")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| SourceFile {
            text: std::fs::read_to_string(&path).expect("read a bench stack file"),
            path,
        })
        .collect()
}

/// One measured run: seconds spent in each phase, and the peak RSS (MB) at the end of each.
#[derive(Clone, Copy)]
struct Run {
    load: f64,
    state: f64,
    plan: f64,
    render: f64,
    peaks: [f64; 4],
}

impl Run {
    fn total(&self) -> f64 {
        self.load + self.state + self.plan + self.render
    }
}

fn measure(dir: &Path) {
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

    let mut runs = Vec::new();
    let mut json_len = 0;
    let mut changes = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let files = read_stack(&dir.join("stack"));
        let config = clusterform_config::load(&files, &opts, &schemas).expect("valid");
        drop(files);
        let t_load = t.elapsed().as_secs_f64();
        let peak_load = peak_rss_mb();
        let store = LocalStore::new(&dir.join("state"), "bench").expect("open the bench state");
        let (state, _) = store
            .recover(State::new("unused"))
            .expect("read the bench state");
        let t_state = t.elapsed().as_secs_f64();
        let peak_state = peak_rss_mb();
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
        // The plan owns everything it shows; config and state are not needed while rendering.
        drop(config);
        drop(state);
        let t_plan = t.elapsed().as_secs_f64();
        let peak_plan = peak_rss_mb();
        // Pretty-printed, as `plan --json` prints it; written out as the CLI writes stdout.
        let json = clusterform_planner::render::render_json_string(&plan, true);
        std::io::sink()
            .write_all(json.as_bytes())
            .expect("write the plan");
        let t_render = t.elapsed().as_secs_f64();
        runs.push(Run {
            load: t_load,
            state: t_state - t_load,
            plan: t_plan - t_state,
            render: t_render - t_plan,
            peaks: [peak_load, peak_state, peak_plan, peak_rss_mb()],
        });
        json_len = json.len();
        changes = plan.changes.iter().filter(|c| c.action.is_change()).count();
        assert_eq!(plan.changes.len(), CLUSTERS * (DEPENDENTS + 1));
    }
    // The first run sets the peak (later runs reuse freed memory): where it was reached.
    let [p_load, p_state, p_plan, p_render] = runs[0].peaks;
    runs.sort_by(|a, b| a.total().total_cmp(&b.total()));
    let median = runs[runs.len() / 2];
    let rss = peak_rss_mb();
    println!("the same plan's phases, run through the libraries in one process");
    println!(
        "  runs: {}, median wall: {:.3} s (min {:.3} s, max {:.3} s)",
        runs.len(),
        median.total(),
        runs[0].total(),
        runs[runs.len() - 1].total()
    );
    println!(
        "  phases of the median run: read stack + parse + validate {:.3} s, read state {:.3} s, \
         graph + diff {:.3} s, render JSON (pretty) {:.3} s",
        median.load, median.state, median.plan, median.render
    );
    println!("  peak RSS (libraries only): {rss:.1} MB");
    println!(
        "  peak RSS reached in the first run by the end of: load {p_load:.1} MB, read state \
         {p_state:.1} MB, graph + diff {p_plan:.1} MB, render JSON {p_render:.1} MB"
    );
    println!(
        "  changes found: {changes} (a matching state should give 0); JSON plan: {:.1} MB",
        json_len as f64 / 1e6
    );
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "NOT met"
    }
}
