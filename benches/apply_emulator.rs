//! Benchmark: apply a 300-resource stack — 60 Huawei clusters, each with 4 add-ons — through the
//! real Huawei provider and the executor, against the emulator started in this process on
//! loopback. Simulated durations (30-minute cluster creates, 1-minute add-on installs) run
//! `TIME_SCALE` times faster, and the executor polls on the same scaled schedule the sandbox uses.
//!
//! Prints the wall time against the bound (the longest dependency chain of operation durations,
//! or the rate budget's floor — HTTP calls ÷ rate, an overestimate since the budget is spent per
//! provider call and a cluster poll makes two HTTP calls — if that is larger), their ratio (target
//! ≤ 1.05), and the HTTP calls each 30-minute create cost: the create, every poll of the cluster
//! and its job, and the reads after (target ≤ 20). Run: `cargo bench --bench apply_emulator`.
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clusterform_config::{LoadOptions, SourceFile};
use clusterform_emulator::huawei::model::{Durations, Limits};
use clusterform_emulator::{serve, EmulatorOptions};
use clusterform_executor::{ApplyOptions, Events, MemoryJournal, PollOptions, Providers, Step};
use clusterform_model::{Address, State};
use clusterform_planner::{HookMap, PlanInput, PlanOptions};
use clusterform_provider::Provider;
use clusterform_provider_huawei::{provider_schema, Credentials, HuaweiProvider};

const CLUSTERS: usize = 60;
const TEMPLATES: [&str; 4] = [
    "coredns",
    "metrics-server",
    "cce-hpa-controller",
    "cie-collector",
];
/// Simulated time runs this much faster: a 30-minute create takes 30 s.
const TIME_SCALE: f64 = 60.0;
/// The provider's budget in real calls per second: 600/s here is 10 calls per simulated second,
/// Huawei's default budget.
const RATE: f64 = 600.0;
const CREATE: Duration = Duration::from_secs(30 * 60);
const ADDON: Duration = Duration::from_secs(60);

fn stack(endpoint: &str) -> String {
    let mut s = format!(
        "[stack]\nname = \"bench\"\n\n[providers.huawei]\nregion = \"ap-southeast-1\"\n\
         project_id = \"0a1b2c3d4e5f60718293a4b5c6d7e8f9\"\nendpoint = \"{endpoint}\"\n\
         rate_limit = {RATE:.1}\n"
    );
    for c in 0..CLUSTERS {
        let _ = write!(
            s,
            "\n[resources.huawei_autopilot_cluster.c{c:02}]\nname = \"bench-{c:02}\"\n\
             flavor = \"cce.autopilot.cluster\"\nversion = \"v1.29\"\nvpc_id = \"vpc-0001\"\n\
             subnet_id = \"subnet-0001\"\n"
        );
        for t in TEMPLATES {
            let _ = write!(
                s,
                "\n[resources.huawei_autopilot_addon.c{c:02}_{}]\n\
                 cluster_id = \"${{huawei_autopilot_cluster.c{c:02}.id}}\"\ntemplate = \"{t}\"\n",
                t.replace('-', "_")
            );
        }
    }
    s
}

/// When each create started and finished, since the apply began.
#[derive(Default)]
struct Timeline {
    t0: Mutex<Option<Instant>>,
    started: Mutex<BTreeMap<Address, Duration>>,
    finished: Mutex<BTreeMap<Address, Duration>>,
}

impl Timeline {
    fn now(&self) -> Duration {
        self.t0
            .lock()
            .unwrap()
            .get_or_insert_with(Instant::now)
            .elapsed()
    }

    /// The latest finish among addresses of `type_name`, and the largest lateness of those
    /// creates past their simulated duration `d` (start to finish, less `d`).
    fn summary(&self, type_name: &str, d: Duration) -> (Duration, Duration) {
        let started = self.started.lock().unwrap();
        let finished = self.finished.lock().unwrap();
        let mut last = Duration::ZERO;
        let mut late = Duration::ZERO;
        for (a, f) in finished.iter().filter(|(a, _)| a.type_name == type_name) {
            last = last.max(*f);
            let s = started.get(a).copied().unwrap_or_default();
            late = late.max(f.saturating_sub(s).saturating_sub(d));
        }
        (last, late)
    }
}

impl Events for Timeline {
    fn action_started(&self, address: &Address, _step: Step) {
        let t = self.now();
        self.started.lock().unwrap().insert(address.clone(), t);
    }
    fn finished(&self, address: &Address, _step: Step, _elapsed: Duration) {
        let t = self.now();
        self.finished.lock().unwrap().insert(address.clone(), t);
    }
}

/// Every API request the emulator served, as `(method, path, status)`.
type Log = Arc<Mutex<Vec<(String, String, String)>>>;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let log: Log = Arc::default();
    let sink = log.clone();
    let emu = serve(EmulatorOptions {
        huawei: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        time_scale: TIME_SCALE,
        durations: Durations {
            cluster_create: CREATE,
            addon: ADDON,
            ..Durations::default()
        },
        limits: Limits {
            clusters: CLUSTERS,
            ..Limits::default()
        },
        log: Some(Arc::new(move |line: &str| {
            // `huawei GET /path?query -> 200`
            let Some((req, status)) = line.rsplit_once(" -> ") else {
                return;
            };
            let mut parts = req.split(' ').skip(1);
            if let (Some(m), Some(uri)) = (parts.next(), parts.next()) {
                let path = uri.split('?').next().unwrap_or(uri);
                sink.lock()
                    .unwrap()
                    .push((m.to_string(), path.to_string(), status.to_string()));
            }
        })),
        ..EmulatorOptions::default()
    })
    .await
    .expect("start the emulator");
    let url = emu.huawei_url().expect("huawei address");

    let schemas: BTreeMap<_, _> = [(provider_schema().name.clone(), provider_schema())].into();
    let files = vec![SourceFile {
        path: "main.toml".into(),
        text: stack(&url),
    }];
    let config = clusterform_config::load(&files, &LoadOptions::default(), &schemas)
        .expect("the bench stack is valid");
    let settings = &config.providers["huawei"].settings;
    let huawei = Arc::new(
        HuaweiProvider::new(settings, Credentials::ak_sk("sandbox-ak", "sandbox-sk"))
            .expect("provider"),
    );
    huawei.prepare_plan().await.expect("prepare the plan");
    let hooks: HookMap = [("huawei".to_string(), huawei.hooks())].into();
    let empty = State::new("bench");
    let plan = clusterform_planner::plan(&PlanInput {
        config: &config,
        prior: &empty,
        refreshed: &empty,
        data: &BTreeMap::new(),
        schemas: &schemas,
        hooks: &hooks,
        fingerprints: &BTreeMap::new(),
        options: &PlanOptions::default(),
    })
    .expect("plan");
    assert_eq!(plan.changes.len(), CLUSTERS * (1 + TEMPLATES.len()));
    let providers: Providers = [("huawei".to_string(), huawei.clone() as Arc<dyn Provider>)].into();

    // The sandbox's schedule: the executor's defaults divided by the time scale.
    let defaults = PollOptions::default();
    let poll = PollOptions {
        min_interval: defaults.min_interval.div_f64(TIME_SCALE),
        max_interval: defaults.max_interval.div_f64(TIME_SCALE),
        ..defaults
    };
    log.lock().unwrap().clear();
    let timeline = Arc::new(Timeline::default());
    timeline.now();
    let t0 = Instant::now();
    let report = clusterform_executor::apply(
        &plan,
        empty.clone(),
        &providers,
        Arc::new(MemoryJournal::new()),
        ApplyOptions {
            parallelism: plan.changes.len(),
            resolver: Arc::new(clusterform::ConfigResolver {
                config: config.clone(),
            }),
            poll,
            events: timeline.clone(),
            ..ApplyOptions::default()
        },
    )
    .await
    .expect("apply");
    let wall = t0.elapsed();
    assert!(report.is_success(), "{:?}", report.failed);
    let requests = log.lock().unwrap().clone();

    // Calls per cluster: the create, then whatever names the cluster or its create job.
    let world = emu.huawei_world.as_ref().expect("huawei world").snapshot();
    let mut per_cluster: BTreeMap<String, u64> = BTreeMap::new();
    let mut job_of: BTreeMap<String, String> = BTreeMap::new();
    for p in world.projects.values() {
        for c in p.clusters.values() {
            per_cluster.insert(c.uid.clone(), 0);
        }
        for j in p.jobs.values() {
            job_of.insert(j.uid.clone(), j.cluster_uid.clone());
        }
    }
    assert_eq!(per_cluster.len(), CLUSTERS);
    let mut creates = 0;
    let mut job_reads = 0;
    for (m, path, _) in &requests {
        let segs: Vec<&str> = path.split('/').collect();
        if m == "POST" && segs.last() == Some(&"clusters") {
            creates += 1;
            continue;
        }
        let named = |kind: &str| {
            segs.windows(2)
                .find(|w| w[0] == kind)
                .map(|w| w[1].to_string())
        };
        let job = named("jobs").and_then(|j| job_of.get(&j).cloned());
        job_reads += u64::from(job.is_some());
        let cluster = named("clusters").or(job);
        if let Some(n) = cluster.and_then(|c| per_cluster.get_mut(&c)) {
            *n += 1;
        }
    }
    assert_eq!(creates, CLUSTERS, "one create per cluster");
    let calls: Vec<u64> = per_cluster.values().map(|n| n + 1).collect();
    let max_calls = calls.iter().copied().max().unwrap_or(0);
    let mean_calls = calls.iter().sum::<u64>() as f64 / calls.len() as f64;

    let scale = |d: Duration| d.div_f64(TIME_SCALE);
    let chain = scale(CREATE + ADDON);
    let rate_floor = Duration::from_secs_f64(requests.len() as f64 / RATE);
    let bound = chain.max(rate_floor);
    let ratio = wall.as_secs_f64() / bound.as_secs_f64();
    let sim = |d: Duration| d.as_secs_f64() * TIME_SCALE / 60.0;
    let met = |ok: bool| if ok { "met" } else { "NOT met" };
    println!(
        "apply of {} resources ({CLUSTERS} clusters × {} add-ons) against the emulator at {TIME_SCALE}× \
         (budget {RATE}/s): wall {:.2}s ({:.1} simulated min)",
        plan.changes.len(),
        TEMPLATES.len(),
        wall.as_secs_f64(),
        sim(wall),
    );
    println!(
        "  bound {:.2}s: critical path {:.2}s ({:.1} simulated min: create + add-on), rate floor {:.2}s ({} HTTP calls ÷ {RATE}/s)",
        bound.as_secs_f64(),
        chain.as_secs_f64(),
        sim(chain),
        rate_floor.as_secs_f64(),
        requests.len(),
    );
    println!(
        "  wall / bound = {ratio:.3} (target ≤ 1.05: {})",
        met(ratio <= 1.05)
    );
    println!(
        "  HTTP calls per 30-minute cluster create: max {max_calls}, mean {mean_calls:.1} (target ≤ 20: {}); \
         of them {:.1} job reads per create (a poll reads the job while it runs, the cluster once it is over)",
        met(max_calls <= 20),
        job_reads as f64 / CLUSTERS as f64,
    );
    let (clusters_done, cluster_late) = timeline.summary("huawei_autopilot_cluster", scale(CREATE));
    let (addons_done, addon_late) = timeline.summary("huawei_autopilot_addon", scale(ADDON));
    println!(
        "  last cluster done at {:.2}s, last add-on at {:.2}s; seen done at most {:.1} simulated s \
         (cluster) and {:.1} s (add-on) after the operation's simulated duration",
        clusters_done.as_secs_f64(),
        addons_done.as_secs_f64(),
        cluster_late.as_secs_f64() * TIME_SCALE,
        addon_late.as_secs_f64() * TIME_SCALE,
    );
    let refused = requests.iter().filter(|r| !r.2.starts_with('2')).count();
    println!("  answers other than 2xx: {refused}");
    emu.shutdown().await;
}
