//! Benchmark: apply a 300-resource plan (20 clusters of 10–30 minutes, each with 14 add-ons of
//! 1–5 minutes, some add-ons chained) against the strict test provider on tokio's paused clock.
//! Prints simulated wall time against the lower bound (the longest dependency chain of
//! operation durations, or the rate budget's floor, whichever is larger) and the API calls spent
//! per 30-minute operation, each with its target met or not. Its HTTP twin against the emulator
//! is the root package's `apply_emulator` bench.
#![allow(clippy::print_stdout)]

#[allow(dead_code)]
#[path = "../tests/engine/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use clusterform_executor::{apply, ApplyOptions, MemoryJournal, Record};
use clusterform_model::{Address, Plan, State};
use clusterform_provider::RateLimit;
use clusterform_testprovider::{OpKind, TestProvider};
use tokio::time::Instant;

use support::*;

const CLUSTERS: usize = 20;
const ADDONS: usize = 14;

/// The plan and each address's operation duration.
fn workload(p: &TestProvider) -> (Plan, BTreeMap<Address, Duration>) {
    let mut changes = Vec::new();
    let mut durations = BTreeMap::new();
    for c in 0..CLUSTERS {
        let cname = format!("c{c:02}");
        // Every fifth cluster takes exactly 30 minutes; the rest spread over 10–29 minutes.
        let secs = if c % 5 == 0 {
            1800
        } else {
            600 + (c as u64 * 397) % 1140
        };
        let d = Duration::from_secs(secs);
        p.set_duration_for(&cname, OpKind::Create, d);
        changes.push(create_cluster(&cname));
        durations.insert(cluster_addr(&cname), d);
        for a in 0..ADDONS {
            let aname = format!("{cname}-a{a:02}");
            let d = Duration::from_secs(60 + ((c * 31 + a * 17) as u64 * 53) % 240);
            p.set_duration_for(&aname, OpKind::Create, d);
            let mut change = create_addon(&cname, &aname);
            // Add-ons 10–13 need add-on (a − 10) first: chains of three operations.
            if a >= 10 {
                change
                    .depends_on
                    .push(addon_addr(&cname, &format!("{cname}-a{:02}", a - 10)));
            }
            durations.insert(change.address.clone(), d);
            changes.push(change);
        }
    }
    (plan(changes), durations)
}

/// The longest chain of durations through the plan's dependencies.
fn critical_path(plan: &Plan, durations: &BTreeMap<Address, Duration>) -> Duration {
    let mut finish: BTreeMap<&Address, Duration> = BTreeMap::new();
    // Changes come in dependency order (each add-on after what it depends on).
    for c in &plan.changes {
        let start = c
            .depends_on
            .iter()
            .filter_map(|d| finish.get(d))
            .max()
            .copied()
            .unwrap_or_default();
        finish.insert(
            &c.address,
            start + durations.get(&c.address).copied().unwrap_or_default(),
        );
    }
    finish.into_values().max().unwrap_or_default()
}

async fn run(parallelism: usize, rate: RateLimit) {
    let (p, providers) = setup_with(TestProvider::with_rate("test", rate));
    let (plan0, durations) = workload(&p);
    let chain = critical_path(&plan0, &durations);
    // Each resource needs at least a create and one poll; beyond the burst they queue at the rate.
    let min_calls = 2.0 * plan0.changes.len() as f64;
    let rate_floor =
        Duration::from_secs_f64((min_calls - f64::from(rate.burst)).max(0.0) / rate.per_second);
    let work: Duration = durations.values().sum();
    let width_floor = work / parallelism as u32;
    let bound = chain.max(rate_floor).max(width_floor);

    let journal = Arc::new(MemoryJournal::new());
    let o = ApplyOptions {
        parallelism,
        ..opts()
    };
    let t0 = Instant::now();
    let real = std::time::Instant::now();
    let report = apply(&plan0, State::new("bench"), &providers, journal.clone(), o)
        .await
        .expect("apply");
    let wall = Instant::now() - t0;
    assert!(report.is_success(), "{:?}", report.failed);
    assert!(
        p.contract_violations().is_empty(),
        "{:?}",
        p.contract_violations()
    );

    // Polls of each 30-minute operation, found through the journal.
    let polls = p.polls();
    let long: Vec<u64> = journal
        .records()
        .iter()
        .filter_map(|r| match r {
            Record::Started {
                address,
                op: Some(op),
                ..
            } if durations.get(address) == Some(&Duration::from_secs(1800)) => {
                polls.get(&op.handle).copied()
            }
            _ => None,
        })
        .collect();
    // All calls each 30-minute operation cost: its create and its polls, plus the reads and
    // finds of the run if there were any (a fresh apply should make none).
    let lookups = p.calls_of("read") + p.calls_of("find");
    let per_op: Vec<u64> = long.iter().map(|polls| 1 + polls + lookups).collect();
    let max_calls = per_op.iter().copied().max().unwrap_or(0);
    let ratio = wall.as_secs_f64() / bound.as_secs_f64();
    let met = |ok: bool| if ok { "met" } else { "NOT met" };
    let op_minutes: f64 = durations.values().map(|d| d.as_secs_f64() / 60.0).sum();
    println!(
        "parallelism {parallelism:>3}, budget {}/s burst {}: {} resources, wall {:.0}s (simulated; {:.2}s real), bound {:.0}s \
         (chain {:.0}s, rate floor {:.0}s, width floor {:.0}s) → wall/bound {:.3}",
        rate.per_second,
        rate.burst,
        plan0.changes.len(),
        wall.as_secs_f64(),
        real.elapsed().as_secs_f64(),
        bound.as_secs_f64(),
        chain.as_secs_f64(),
        rate_floor.as_secs_f64(),
        width_floor.as_secs_f64(),
        ratio,
    );
    println!("  wall / bound ≤ 1.05: {}", met(ratio <= 1.05));
    println!(
        "  API calls: {} total ({} polls); per 30-minute operation: max {} polls, mean {:.1} (over {} ops); {:.1} calls per 30 operation-minutes overall",
        p.total_calls(),
        p.calls_of("poll"),
        long.iter().max().copied().unwrap_or(0),
        long.iter().sum::<u64>() as f64 / long.len().max(1) as f64,
        long.len(),
        p.total_calls() as f64 / op_minutes * 30.0,
    );
    println!(
        "  all calls per 30-minute operation (create + polls + {lookups} reads and finds): max {max_calls} (target ≤ 20: {})",
        met(max_calls <= 20)
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    rt.block_on(async {
        // Every resource may run at once: the dependency chain is the bound.
        run(
            300,
            RateLimit {
                per_second: 10.0,
                burst: 20,
            },
        )
        .await;
        // The default parallelism: the width of the plan is the bound.
        run(
            10,
            RateLimit {
                per_second: 10.0,
                burst: 20,
            },
        )
        .await;
        // A tight budget: the rate floor matters.
        run(
            300,
            RateLimit {
                per_second: 2.0,
                burst: 5,
            },
        )
        .await;
    });
}
