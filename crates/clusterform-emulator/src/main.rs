//! The `clusterform-emulator` binary: parses flags by hand, serves, prints one JSON line
//! with the bound addresses on stdout, logs to stderr, persists on shutdown.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use clusterform_emulator::faults::FaultConfig;
use clusterform_emulator::{serve, EmulatorOptions};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

const USAGE: &str =
    "usage: clusterform-emulator --huawei ADDR [--access-key AK] [--secret-key SK] \
[--token TOKEN] [--time-scale N] [--state FILE] [--faults FILE] [--seed N]";

fn parse(args: &[String]) -> Result<EmulatorOptions, String> {
    let mut o = EmulatorOptions::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Err(USAGE.into());
        }
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (flag.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match name {
            "--huawei" => {
                let v = value()?;
                o.huawei = Some(
                    v.parse::<SocketAddr>()
                        .map_err(|e| format!("--huawei {v}: {e}"))?,
                );
            }
            "--access-key" => o.access_key = value()?,
            "--secret-key" => o.secret_key = value()?,
            "--token" => o.token = Some(value()?),
            "--time-scale" => {
                let v = value()?;
                o.time_scale =
                    v.parse::<f64>().ok().filter(|s| *s > 0.0).ok_or_else(|| {
                        format!("--time-scale {v}: a positive number is required")
                    })?;
            }
            "--state" => o.state_file = Some(value()?.into()),
            "--faults" => {
                let path = value()?;
                let text =
                    std::fs::read_to_string(&path).map_err(|e| format!("--faults {path}: {e}"))?;
                o.faults =
                    FaultConfig::parse(&text).map_err(|e| format!("--faults {path}: {e}"))?;
            }
            "--seed" => {
                let v = value()?;
                o.seed = v
                    .parse()
                    .map_err(|_| format!("--seed {v}: an integer is required"))?;
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if o.huawei.is_none() {
        return Err(format!("nothing to serve\n{USAGE}"));
    }
    Ok(o)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    opts.log = Some(Arc::new(|line: &str| eprintln!("{line}")));
    let running = match serve(opts).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", running.ready_line());
        let _ = out.flush();
    }
    shutdown_signal().await;
    eprintln!("shutting down");
    running.shutdown().await;
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
