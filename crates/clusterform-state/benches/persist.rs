//! Benchmark (run by hand, not a timed test): what persisting one resource change costs in a
//! 10,000-resource stack through the journal, against a full atomic rewrite of the state file.
//!
//! `cargo bench -p clusterform-state --bench persist [-- --resources N --iterations N]`.
//! Both paths fsync; the temp directory is on the default temp filesystem, which should be a
//! real disk (not tmpfs) for the figures to mean anything.
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clusterform_model::{Address, ResourceState, State, Value};
use clusterform_state::{decode, encode, LocalStore, StateStore};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let resources = arg("--resources", 10_000);
    let iterations = arg("--iterations", 200);
    let rewrites = arg("--rewrites", 20);

    let dir = tempfile::tempdir().expect("create a temp directory");
    let store = LocalStore::new(dir.path(), "bench").expect("store");
    let mut state = build_state(resources);
    state.serial = 1;
    store.write(&state).expect("first write");
    let file_size = std::fs::metadata(store.state_path())
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "state: {resources} resources, {} attributes each, {:.1} MiB on disk, in {}",
        state
            .resources
            .values()
            .next()
            .map_or(0, |r| r.attributes.len()),
        file_size as f64 / (1024.0 * 1024.0),
        dir.path().display()
    );

    // (a) One resource changes; the journal records it: one line, one fdatasync.
    let addresses: Vec<Address> = state.resources.keys().cloned().collect();
    let mut journal = Vec::with_capacity(iterations);
    for i in 0..iterations {
        let address = &addresses[(i * 7919) % addresses.len()];
        let resource = state.resources.get_mut(address).expect("resource");
        resource.attributes.insert(
            "updated_at".into(),
            Value::str(format!("2026-11-23T14:{:02}:{:02}Z", i / 60 % 60, i % 60)),
        );
        resource.attributes.insert(
            "status".into(),
            Value::str(if i % 2 == 0 { "Upgrading" } else { "Available" }),
        );
        let t = Instant::now();
        store
            .persist_resource(address, Some(resource))
            .expect("persist");
        journal.push(t.elapsed());
    }

    // (b) The same change written the O(state) way: a full atomic rewrite (read-check of the
    // stored file, encode, write, fsync, rename, fsync the directory). The first rewrite also
    // compacts the journal written above; it is measured apart from the rest.
    let mut full = Vec::with_capacity(rewrites);
    let mut encode_only = Vec::with_capacity(rewrites);
    let mut decode_only = Vec::with_capacity(rewrites);
    for i in 0..=rewrites {
        state.serial += 1;
        let t = Instant::now();
        store.write(&state).expect("rewrite");
        let took = t.elapsed();
        if i == 0 {
            println!(
                "first rewrite, compacting {iterations} journal records: {:.2} ms",
                ms(took)
            );
            continue;
        }
        full.push(took);
        let t = Instant::now();
        let bytes = std::hint::black_box(encode(&state));
        encode_only.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(decode(&bytes).expect("decode"));
        decode_only.push(t.elapsed());
    }

    let (a_mean, a_p50, a_p99) = stats(&mut journal);
    let (b_mean, b_p50, b_p99) = stats(&mut full);
    let (e_mean, _, _) = stats(&mut encode_only);
    let (d_mean, _, _) = stats(&mut decode_only);
    println!("(a) journal append + fdatasync, {iterations} runs: mean {a_mean:.3} ms, p50 {a_p50:.3} ms, p99 {a_p99:.3} ms");
    println!("(b) full atomic rewrite, {rewrites} runs:        mean {b_mean:.2} ms, p50 {b_p50:.2} ms, p99 {b_p99:.2} ms");
    println!("    for scale: encoding alone {e_mean:.2} ms, decoding alone {d_mean:.2} ms (the write decodes the stored file before replacing it)");
    println!("ratio (b)/(a), means: {:.0}x", b_mean / a_mean);
    println!(
        "target: journal append <= 2 ms: {}",
        if a_mean <= 2.0 { "met" } else { "NOT met" }
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Mean, median and 99th percentile in milliseconds.
fn stats(samples: &mut [Duration]) -> (f64, f64, f64) {
    samples.sort();
    let n = samples.len().max(1);
    let mean = samples.iter().map(|d| ms(*d)).sum::<f64>() / n as f64;
    let at = |q: f64| {
        samples
            .get(((n as f64 * q).ceil() as usize).saturating_sub(1))
            .map_or(0.0, |d| ms(*d))
    };
    (mean, at(0.5), at(0.99))
}

/// A stack of clusters, node pools and add-ons with attributes shaped like Huawei CCE's.
fn build_state(n: usize) -> State {
    let mut state = State::new("8d6f1c2a-1b3e-4c5d-9e7f-0a1b2c3d4e5f");
    for i in 0..n {
        let kind = [
            "huawei_autopilot_cluster",
            "huawei_autopilot_addon",
            "huawei_autopilot_node_pool",
        ][i % 3];
        let address =
            Address::managed(kind, format!("r{}", i / 3)).with_key(format!("zone-{}", i % 7));
        let id = format!(
            "{:08x}-{:04x}-4f00-8000-{:012x}",
            i * 2654435761 % 0xffff_ffff,
            i % 0xffff,
            i
        );
        let tags: BTreeMap<String, Value> = [
            ("env", "prod"),
            ("team", "platform"),
            ("cost-center", "cc-1042"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), Value::str(*v)))
        .collect();
        let attrs: BTreeMap<String, Value> = [
            ("name", Value::str(format!("{kind}-{i}"))),
            ("id", Value::str(&id)),
            ("version", Value::str("v1.28.3-r0")),
            ("flavor", Value::str("cce.autopilot.cluster")),
            ("status", Value::str("Available")),
            ("created_at", Value::str("2026-11-20T09:12:44Z")),
            ("updated_at", Value::str("2026-11-22T17:01:02Z")),
            ("vpc_id", Value::str("1f0c2b44-6a7e-4b2f-8d1c-3e5a9b7c0d12")),
            (
                "subnet_id",
                Value::str("7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"),
            ),
            (
                "description",
                Value::str("production workload cluster managed by clusterform"),
            ),
            ("max_pods", Value::Int(110)),
            ("cpu_ratio", Value::Float(0.75)),
            ("deletion_protection", Value::Bool(true)),
            (
                "endpoints",
                Value::List(vec![
                    Value::str("https://10.0.0.8:5443"),
                    Value::str(format!("https://{id}.cce.example:5443")),
                ]),
            ),
            ("tags", Value::Map(tags)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let resource = ResourceState {
            address: address.clone(),
            provider: "huawei".into(),
            id,
            attributes: attrs,
            dependencies: if i % 3 == 0 {
                vec![]
            } else {
                vec![Address::managed(
                    "huawei_autopilot_cluster",
                    format!("r{}", i / 3),
                )]
            },
            tainted: false,
            private: serde_json::json!({ "fingerprint": { "status": "Available", "job": null } }),
            sensitive_attrs: Vec::new(),
        };
        state.resources.insert(address, resource);
    }
    state
}
