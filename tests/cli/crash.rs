//! Issue 4's crash test: the CLI is SIGKILLed at seeded random instants, each while a cloud
//! operation is in flight, as it creates, upgrades and destroys three clusters with two add-ons
//! each. After every kill the dead run's lease is left to expire, and one rerun must take the lock
//! over, resume what was in flight and converge: the emulator holds exactly the clusters and
//! add-ons the config names, the state records their ids, and a plan shows no changes.

// The figures the test measured go to stderr, shown by `--no-capture`.
#![allow(clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use clusterform_model::State;
use clusterform_state::{LocalStore, StateStore};
use serde_json::Value as Json;

use crate::e2e::{assert_state_is_json, run, spawn};
use crate::emulator::Emulator;
use crate::harness::Workdir;

const STACK: &str = "crash";
const CLUSTERS: [&str; 3] = ["a", "b", "c"];
const TEMPLATES: [&str; 2] = ["coredns", "metrics-server"];
/// Simulated time runs this much faster: a cluster create takes 0.8 s, an upgrade task 1 s, a
/// cluster delete 0.3 s and an add-on install 0.1 s.
const TIME_SCALE: u32 = 600;
/// Kills that must land while an operation is in flight, in all and in each phase.
const KILLS: usize = 21;
const KILLS_PER_PHASE: usize = 6;
/// Create, upgrade, destroy cycles at most, so a seed whose kills keep missing still ends.
const MAX_CYCLES: usize = 12;

/// The stack: three clusters at `version`, each with the add-ons of `TEMPLATES`.
fn stack(version: &str) -> String {
    let mut s = format!(
        "[stack]\nname = \"crash\"\n\n[variables.endpoint]\ndefault = \"\"\n\n\
         [variables.version]\ndefault = \"{version}\"\n\n[providers.huawei]\n\
         region = \"ap-southeast-1\"\nproject_id = \"0a1b2c3d4e5f60718293a4b5c6d7e8f9\"\n\
         endpoint = \"${{var.endpoint}}\"\n",
    );
    for k in CLUSTERS {
        s.push_str(&format!(
            "\n[resources.huawei_autopilot_cluster.{k}]\nname = \"crash-{k}\"\n\
             flavor = \"cce.autopilot.cluster\"\nversion = \"${{var.version}}\"\n\
             vpc_id = \"vpc-0001\"\nsubnet_id = \"subnet-0001\"\n"
        ));
        for t in TEMPLATES {
            let name = t.replace('-', "_");
            s.push_str(&format!(
                "\n[resources.huawei_autopilot_addon.{k}_{name}]\n\
                 cluster_id = \"${{huawei_autopilot_cluster.{k}.id}}\"\ntemplate = \"{t}\"\n"
            ));
        }
    }
    s
}

/// A 64-bit linear congruential generator (Knuth's MMIX constants): reproducible kill instants.
struct Lcg(u64);

impl Lcg {
    fn next_ms(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        lo + (self.0 >> 33) % (hi - lo)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Create,
    Upgrade,
    Delete,
}

impl Phase {
    /// The kinds of operation the phase runs (as `op_kind` names them) and how long each runs
    /// at `TIME_SCALE`, in milliseconds.
    fn operations(self) -> &'static [(&'static str, u64)] {
        match self {
            Phase::Create => &[("cluster Creating", 800), ("add-on installing", 100)],
            Phase::Upgrade => &[
                ("cluster prechecks", 100),
                ("cluster snapshots", 200),
                ("cluster Upgrading", 1000),
            ],
            Phase::Delete => &[("add-on deleting", 100), ("cluster Deleting", 300)],
        }
    }
}

/// What the kills of one phase achieved.
#[derive(Debug, Default)]
struct Tally {
    /// Runs killed while the cloud was running one of their operations.
    in_flight: usize,
    /// Of those, kills after which the journal held an unsettled action.
    journaled: usize,
    /// Runs that finished before any chance to kill them in flight.
    missed: usize,
    /// What the cloud was running at the kills, by kind (`cluster Creating`, `add-on deleting`).
    running: BTreeMap<String, usize>,
}

/// The operations the cloud is running now, e.g. `cluster crash-a Creating`.
fn running_ops(world: &Json) -> Vec<String> {
    let now = Utc::now();
    let running_until = |v: &Json| {
        v["end"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .is_some_and(|end| end > now)
    };
    let mut ops = Vec::new();
    for p in world["projects"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        for c in p["clusters"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
        {
            let name = c["name"].as_str().unwrap_or("?");
            let phase = c["phase"].as_str().unwrap_or("");
            if matches!(phase, "Creating" | "Upgrading" | "Deleting") {
                ops.push(format!("cluster {name} {phase}"));
            }
            for kind in ["prechecks", "snapshots"] {
                let n = c[kind].as_array().into_iter().flatten();
                if n.filter(|x| running_until(x)).count() > 0 {
                    ops.push(format!("cluster {name} {kind}"));
                }
            }
        }
        for a in p["addons"].as_object().into_iter().flat_map(|m| m.values()) {
            let status = a["status"].as_str().unwrap_or("");
            if matches!(
                status,
                "installing" | "upgrading" | "rollbacking" | "deleting"
            ) {
                ops.push(format!("add-on {} {status}", a["template"]));
            }
        }
    }
    ops
}

/// `cluster crash-a Creating` → `cluster Creating`.
fn op_kind(op: &str) -> String {
    let mut words: Vec<&str> = op.split(' ').collect();
    if words.len() == 3 {
        words.remove(1);
    }
    words.join(" ")
}

fn store(w: &Workdir) -> LocalStore {
    LocalStore::new(&w.path().join("state"), STACK).expect("open the state store")
}

/// The state with the journal folded in, and how many actions the journal holds unsettled.
fn recorded(w: &Workdir) -> (State, usize) {
    let s = store(w);
    let base = s
        .read()
        .expect("read the state")
        .unwrap_or_else(|| State::new("none"));
    let (state, in_flight) = s.journal().replay(&base).expect("replay the journal");
    (state, in_flight.len())
}

/// Lets the killed run's lease run out (as five minutes without a heartbeat would), so the rerun
/// must read the journal and take the lock over rather than be let in by `force-unlock`.
fn expire_lease(w: &Workdir) {
    let lock = w.path().join(format!("state/{STACK}.lock"));
    let Ok(text) = std::fs::read_to_string(&lock) else {
        return;
    };
    let mut info: Json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("lock file is not JSON after a kill: {e}: {text:?}"));
    let old = Utc::now() - chrono::Duration::hours(1);
    info["heartbeat_at"] = Json::String(old.to_rfc3339());
    let tmp = lock.with_extension("lock.tmp");
    std::fs::write(&tmp, info.to_string()).expect("write the aged lock");
    std::fs::rename(&tmp, &lock).expect("replace the lock");
}

/// Starts `args` and SIGKILLs it while the cloud runs one of its operations: a seeded choice of
/// the phase's operation kinds, and a seeded delay into the first operation of that kind seen.
fn kill_in_flight(
    w: &Workdir,
    emu: &Emulator,
    args: &[&str],
    phase: Phase,
    rng: &mut Lcg,
    tally: &mut Tally,
) {
    let ops = phase.operations();
    let (kind, span) = ops[rng.next_ms(0, ops.len() as u64) as usize];
    let delay = Duration::from_millis(rng.next_ms(0, span * 8 / 10));
    let mut child = spawn(w, emu, args);
    let started = Instant::now();
    let mut target: Option<Instant> = None;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            assert!(
                status.success(),
                "{args:?} failed before it could be killed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            tally.missed += 1;
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{args:?} never started an operation"
        );
        if running_ops(&emu.world()).iter().any(|o| op_kind(o) == kind) {
            let t = *target.get_or_insert_with(|| Instant::now() + delay);
            if Instant::now() >= t {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    kill(&mut child);
    // What is still running now was running when the run died.
    let ops = running_ops(&emu.world());
    let (_, unsettled) = recorded(w);
    if ops.is_empty() && unsettled == 0 {
        tally.missed += 1;
    } else {
        tally.in_flight += 1;
        tally.journaled += usize::from(unsettled > 0);
        let kinds: BTreeSet<String> = ops.iter().map(|o| op_kind(o)).collect();
        for k in kinds {
            *tally.running.entry(k).or_default() += 1;
        }
    }
    assert_state_is_json(w, STACK);
    assert_no_duplicates(emu);
    expire_lease(w);
}

fn kill(child: &mut Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `(cluster name, template)` of every add-on in the emulator.
fn addon_pairs(emu: &Emulator, clusters: &[Json]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = emu
        .addons()
        .iter()
        .map(|a| {
            let on = clusters
                .iter()
                .find(|c| c["uid"] == a["cluster_id"])
                .and_then(|c| c["name"].as_str())
                .unwrap_or("(no cluster)");
            (on.to_string(), a["template"].as_str().unwrap_or("?").into())
        })
        .collect();
    v.sort();
    v
}

#[track_caller]
fn assert_no_duplicates(emu: &Emulator) {
    let cs = emu.clusters();
    let mut names: Vec<&str> = cs.iter().filter_map(|c| c["name"].as_str()).collect();
    let n = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), n, "duplicate clusters: {cs:?}");
    let mut pairs = addon_pairs(emu, &cs);
    let m = pairs.len();
    pairs.dedup();
    assert_eq!(pairs.len(), m, "duplicate add-ons: {pairs:?}");
}

/// The emulator holds exactly the config's clusters (at `version`, `Available`) and add-ons
/// (`running`), the state records exactly their ids, and a plan shows no changes.
#[track_caller]
fn assert_converged(w: &Workdir, emu: &Emulator, dir: &Path, version: &str) {
    let cs = emu.clusters();
    let mut names: Vec<String> = cs
        .iter()
        .filter_map(|c| c["name"].as_str())
        .map(String::from)
        .collect();
    names.sort();
    let want: Vec<String> = CLUSTERS.iter().map(|k| format!("crash-{k}")).collect();
    assert_eq!(names, want, "{cs:?}");
    for c in &cs {
        assert_eq!(c["phase"], "Available", "{c:?}");
        let v = c["patch"].as_str().unwrap_or("");
        assert!(
            v.starts_with(version),
            "{} at {v}, not {version}",
            c["name"]
        );
    }
    let mut want_pairs: Vec<(String, String)> = Vec::new();
    for k in CLUSTERS {
        for t in TEMPLATES {
            want_pairs.push((format!("crash-{k}"), t.to_string()));
        }
    }
    want_pairs.sort();
    assert_eq!(addon_pairs(emu, &cs), want_pairs);
    let addons = emu.addons();
    assert!(
        addons.iter().all(|a| a["status"] == "running"),
        "{addons:?}"
    );

    let (state, unsettled) = recorded(w);
    assert_eq!(unsettled, 0, "the journal still holds unsettled actions");
    assert_eq!(
        state.resources.len(),
        CLUSTERS.len() * (1 + TEMPLATES.len())
    );
    for k in CLUSTERS {
        let c = cs
            .iter()
            .find(|c| c["name"] == format!("crash-{k}").as_str())
            .expect("cluster");
        let rec = state
            .resources
            .iter()
            .find(|(a, _)| a.to_string() == format!("huawei_autopilot_cluster.{k}"))
            .map(|(_, r)| r)
            .unwrap_or_else(|| panic!("cluster {k} not in state"));
        assert_eq!(
            rec.id,
            c["uid"].as_str().unwrap(),
            "state id of cluster {k}"
        );
        for t in TEMPLATES {
            let addr = format!("huawei_autopilot_addon.{k}_{}", t.replace('-', "_"));
            let rec = state
                .resources
                .iter()
                .find(|(a, _)| a.to_string() == addr)
                .map(|(_, r)| r)
                .unwrap_or_else(|| panic!("{addr} not in state"));
            let a = addons
                .iter()
                .find(|a| a["cluster_id"] == c["uid"] && a["template"] == t)
                .expect("add-on");
            assert_eq!(rec.id, a["uid"].as_str().unwrap(), "state id of {addr}");
        }
    }
    let d = dir.to_str().unwrap();
    let ep = emu.endpoint_var();
    run(w, emu, &["plan", d, "--var", &ep, "--detailed-exitcode"]).expect_code(0);
}

/// Nothing left in the emulator or the state.
#[track_caller]
fn assert_destroyed(w: &Workdir, emu: &Emulator) {
    assert!(emu.clusters().is_empty(), "leaked: {:?}", emu.clusters());
    assert!(emu.addons().is_empty(), "leaked: {:?}", emu.addons());
    let (state, unsettled) = recorded(w);
    assert_eq!(unsettled, 0, "the journal still holds unsettled actions");
    assert!(state.resources.is_empty(), "{:?}", state.resources.keys());
}

/// One rerun after a kill must succeed: it takes the expired lease over and resumes.
#[track_caller]
fn rerun(w: &Workdir, emu: &Emulator, args: &[&str]) {
    let r = run(w, emu, args);
    r.expect_code(0);
}

#[test]
fn killed_runs_converge_after_every_kill_without_duplicates_or_leaks() {
    let started = Instant::now();
    let emu = Emulator::start(TIME_SCALE, None, 7);
    let w = Workdir::new();
    let dir = w.stack(STACK, &[("main.toml", stack("v1.28").as_str())]);
    let set_version = |v: &str| std::fs::write(dir.join("main.toml"), stack(v)).unwrap();
    let d = dir.to_str().unwrap();
    let ep = emu.endpoint_var();
    let apply = ["apply", d, "--auto-approve", "--var", ep.as_str()];
    let destroy = ["destroy", d, "--auto-approve", "--var", ep.as_str()];
    let mut rng = Lcg(0x5eed_c105_7e4f_0004);
    let (mut create, mut upgrade, mut delete) =
        (Tally::default(), Tally::default(), Tally::default());

    let mut cycles = 0;
    loop {
        let done = [&create, &upgrade, &delete];
        let total: usize = done.iter().map(|t| t.in_flight).sum();
        if total >= KILLS && done.iter().all(|t| t.in_flight >= KILLS_PER_PHASE) {
            break;
        }
        assert!(
            cycles < MAX_CYCLES,
            "only {total} kills landed in flight in {cycles} cycles: \
             create {create:?}, upgrade {upgrade:?}, delete {delete:?}"
        );
        cycles += 1;

        set_version("v1.28");
        kill_in_flight(&w, &emu, &apply, Phase::Create, &mut rng, &mut create);
        rerun(&w, &emu, &apply);
        assert_converged(&w, &emu, &dir, "v1.28");

        set_version("v1.29");
        kill_in_flight(&w, &emu, &apply, Phase::Upgrade, &mut rng, &mut upgrade);
        rerun(&w, &emu, &apply);
        assert_converged(&w, &emu, &dir, "v1.29");

        kill_in_flight(&w, &emu, &destroy, Phase::Delete, &mut rng, &mut delete);
        rerun(&w, &emu, &destroy);
        assert_destroyed(&w, &emu);
    }
    eprintln!("{cycles} cycles in {:?}", started.elapsed());
    for (name, t) in [
        ("create", &create),
        ("upgrade", &upgrade),
        ("delete", &delete),
    ] {
        eprintln!(
            "{name}: {} kills in flight ({} with unsettled journal records), {} missed; running at the kills: {:?}",
            t.in_flight, t.journaled, t.missed, t.running
        );
    }
}
