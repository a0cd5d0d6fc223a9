//! Issue 4's faults test: the emulator answers a fifth of all requests with 429, 500 or 503 and
//! delays the others; apply and destroy of the platform example must still converge, leaving
//! nothing behind. The emulator runs in this process so every status it served can be counted.

// The figures the test measured go to stderr, shown by `--no-capture`.
#![allow(clippy::print_stderr)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use clusterform_emulator::faults::FaultConfig;
use clusterform_emulator::{serve, EmulatorOptions, RunningEmulator};
use serde_json::Value as Json;

use crate::emulator::{AK, SK};
use crate::harness::{Run, Workdir};

/// A fifth of the requests fail, with all three statuses; every request waits 5–60 ms.
const FAULTS: &str = "error_rate = 0.2\nerror_statuses = [429, 500, 503]\nlatency_ms = [5, 60]\n";

/// The emulator on a runtime of its own, counting the statuses of the API responses it serves.
struct InProcess {
    rt: tokio::runtime::Runtime,
    emu: Option<RunningEmulator>,
    url: String,
    statuses: Arc<Mutex<BTreeMap<u16, u64>>>,
}

impl InProcess {
    fn start(time_scale: f64, faults: &str, seed: u64) -> InProcess {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("emulator runtime");
        let statuses: Arc<Mutex<BTreeMap<u16, u64>>> = Arc::default();
        let counts = statuses.clone();
        // Lines look like `huawei GET /autopilot/... -> 503`; admin requests are not counted.
        let log = Arc::new(move |line: &str| {
            let Some((req, status)) = line.rsplit_once(" -> ") else {
                return;
            };
            if req.contains(" /_emulator/") {
                return;
            }
            if let Ok(s) = status.trim().parse::<u16>() {
                *counts.lock().unwrap().entry(s).or_default() += 1;
            }
        });
        let opts = EmulatorOptions {
            huawei: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            time_scale,
            faults: FaultConfig::parse(faults).expect("fault file"),
            seed,
            log: Some(log),
            ..EmulatorOptions::default()
        };
        let emu = rt.block_on(serve(opts)).expect("start the emulator");
        let url = emu.huawei_url().expect("huawei address");
        InProcess {
            rt,
            emu: Some(emu),
            url,
            statuses,
        }
    }

    /// Runs the CLI in `w` against this emulator.
    fn run(&self, w: &Workdir, args: &[&str]) -> Run {
        w.run_env(
            args,
            &[("HUAWEICLOUD_SDK_AK", AK), ("HUAWEICLOUD_SDK_SK", SK)],
        )
    }

    /// The objects of `kind` (`clusters`, `addons`, `charts`, `releases`) of every project.
    fn objects(&self, kind: &str) -> Vec<Json> {
        let world = self
            .emu
            .as_ref()
            .and_then(|e| e.huawei_world.as_ref())
            .expect("huawei world")
            .snapshot();
        let w = serde_json::to_value(world).expect("world as JSON");
        let mut out = Vec::new();
        for p in w["projects"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
        {
            match &p[kind] {
                Json::Object(m) => out.extend(m.values().cloned()),
                Json::Array(a) => out.extend(a.iter().cloned()),
                _ => {}
            }
        }
        out
    }

    fn statuses(&self) -> BTreeMap<u16, u64> {
        self.statuses.lock().unwrap().clone()
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        if let Some(e) = self.emu.take() {
            self.rt.block_on(e.shutdown());
        }
    }
}

fn sorted(v: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = v.into_iter().collect();
    v.sort();
    v
}

#[test]
fn apply_and_destroy_converge_through_injected_faults() {
    let emu = InProcess::start(1200.0, FAULTS, 42);
    let w = Workdir::new();
    let dir = w.example("huawei-platform");
    let d = dir.to_str().unwrap();
    let ep = format!("endpoint={}", emu.url);

    // Two rounds, so enough requests are made that every kind of fault is drawn.
    for _ in 0..2 {
        let r = emu.run(&w, &["apply", d, "--auto-approve", "--var", &ep]);
        r.expect_code(0);
        let cs = emu.objects("clusters");
        assert_eq!(cs.len(), 1, "{cs:?}");
        assert_eq!(cs[0]["name"], "platform");
        assert_eq!(cs[0]["phase"], "Available", "{cs:?}");
        assert!(
            cs[0]["eip"].is_object(),
            "the EIP is bound: {:?}",
            cs[0]["eip"]
        );
        let addons = emu.objects("addons");
        assert_eq!(
            sorted(addons.iter().map(|a| a["template"].to_string())),
            ["\"coredns\"", "\"metrics-server\""],
            "{addons:?}"
        );
        assert!(addons.iter().all(|a| a["cluster_id"] == cs[0]["uid"]));
        assert!(
            addons.iter().all(|a| a["status"] == "running"),
            "{addons:?}"
        );
        let charts = emu.objects("charts");
        assert_eq!(charts.len(), 1, "{charts:?}");
        assert_eq!(charts[0]["name"], "hello");
        let releases = emu.objects("releases");
        assert_eq!(releases.len(), 1, "{releases:?}");
        assert_eq!(releases[0]["name"], "hello");
        assert_eq!(releases[0]["status"], "DEPLOYED", "{releases:?}");
        let r = emu.run(&w, &["plan", d, "--var", &ep, "--detailed-exitcode"]);
        r.expect_code(0);

        let r = emu.run(&w, &["destroy", d, "--auto-approve", "--var", &ep]);
        r.expect_code(0);
        for kind in ["clusters", "addons", "charts", "releases"] {
            assert!(
                emu.objects(kind).is_empty(),
                "leaked {kind}: {:?}",
                emu.objects(kind)
            );
        }
        let r = emu.run(&w, &["state", "list", "--dir", d]);
        r.expect_code(0);
        assert!(r.stdout.trim().is_empty(), "state list: {}", r.stdout);
    }

    // The faults were really served: all three statuses, about a fifth of all answers (429s
    // also come from the cloud's own "cluster busy" answers, so the share may run a bit higher).
    let s = emu.statuses();
    let total: u64 = s.values().sum();
    let faulted: u64 = [429, 500, 503].iter().filter_map(|c| s.get(c)).sum();
    eprintln!("statuses served: {s:?} ({faulted} of {total} faulted)");
    for code in [429, 500, 503] {
        assert!(
            s.get(&code).copied().unwrap_or(0) >= 1,
            "no {code} served: {s:?}"
        );
    }
    let share = faulted as f64 / total as f64;
    assert!(total >= 100, "only {total} requests: {s:?}");
    assert!(
        (0.08..=0.4).contains(&share),
        "faulted share {share:.2}: {s:?}"
    );
}
