//! The `clusterform-emulator` binary: parses flags by hand, serves, prints one JSON line
//! with the bound addresses on stdout, logs to stderr, persists on shutdown. `--help`
//! prints the usage on stdout; a bad command line is an error on stderr with exit code 1.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use clusterform_emulator::faults::FaultConfig;
use clusterform_emulator::{serve, EmulatorOptions};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

const USAGE: &str = "\
clusterform-emulator: a local Huawei Cloud CCE Autopilot API for tests and sandboxes

usage: clusterform-emulator --huawei ADDR [options]

options:
  --huawei ADDR          serve the Huawei API on ADDR (127.0.0.1:0 picks a free port)
  --access-key AK        access key accepted for SDK-HMAC-SHA256 signatures [sandbox-ak]
  --secret-key SK        its secret key [sandbox-sk]
  --token TOKEN          also accept X-Auth-Token: TOKEN
  --time-scale N         run simulated durations N times faster (N > 0) [1]
  --job-retention SECS   keep finished cluster jobs SECS simulated seconds [3600]
  --state FILE           load the world from FILE and save it there (atomically)
  --faults FILE          fault injection configuration (TOML, see the README)
  --seed N               seed for the fault injection's random draws [0]
  -h, --help             print this help and exit

On start it prints one JSON line on stdout, e.g. {\"huawei\":\"http://127.0.0.1:43121\"},
then logs requests on stderr until SIGINT or SIGTERM.
";

/// What the command line asks for.
#[derive(Debug)]
enum Command {
    Help,
    Run(Box<EmulatorOptions>),
}

fn parse(args: &[String]) -> Result<Command, String> {
    let mut o = EmulatorOptions::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(Command::Help);
        }
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (flag.as_str(), None),
        };
        const KNOWN: &[&str] = &[
            "--huawei",
            "--access-key",
            "--secret-key",
            "--token",
            "--time-scale",
            "--job-retention",
            "--state",
            "--faults",
            "--seed",
        ];
        if !KNOWN.contains(&name) {
            return Err(format!("unknown argument {name:?}"));
        }
        let value = inline
            .or_else(|| it.next().cloned())
            .ok_or_else(|| format!("{name} needs a value"))?;
        let bad = |why: &str| format!("{name} {value:?}: {why}");
        match name {
            "--huawei" => {
                o.huawei = Some(
                    value
                        .parse::<SocketAddr>()
                        .map_err(|e| bad(&e.to_string()))?,
                );
            }
            "--access-key" => o.access_key = value,
            "--secret-key" => o.secret_key = value,
            "--token" => o.token = Some(value),
            "--time-scale" => {
                o.time_scale = value
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .ok_or_else(|| bad("a positive number is required"))?;
            }
            "--job-retention" => {
                let secs = value
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .ok_or_else(|| bad("a number of seconds (>= 0) is required"))?;
                o.durations.job_retention = std::time::Duration::from_secs_f64(secs);
            }
            "--state" => o.state_file = Some(value.into()),
            "--faults" => {
                let text = std::fs::read_to_string(&value).map_err(|e| bad(&e.to_string()))?;
                o.faults = FaultConfig::parse(&text).map_err(|e| bad(&e.to_string()))?;
            }
            "--seed" => {
                o.seed = value
                    .parse()
                    .map_err(|_| bad("a non-negative integer is required"))?;
            }
            _ => return Err(format!("unknown argument {name:?}")),
        }
    }
    if o.huawei.is_none() {
        return Err("nothing to serve: give --huawei ADDR (e.g. --huawei 127.0.0.1:0)".into());
    }
    Ok(Command::Run(Box::new(o)))
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = match parse(&args) {
        Ok(Command::Run(o)) => *o,
        Ok(Command::Help) => {
            print!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("clusterform-emulator: error: {e}");
            eprintln!("run `clusterform-emulator --help` for usage");
            std::process::exit(1);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_flags_in_both_forms() {
        let Ok(Command::Run(o)) = parse(&args(&[
            "--huawei=127.0.0.1:0",
            "--time-scale",
            "600",
            "--job-retention",
            "90",
            "--seed=7",
            "--token",
            "t",
        ])) else {
            panic!("expected options");
        };
        assert_eq!(o.huawei, Some("127.0.0.1:0".parse().unwrap()));
        assert_eq!((o.time_scale, o.seed), (600.0, 7));
        assert_eq!(
            o.durations.job_retention,
            std::time::Duration::from_secs(90)
        );
        assert_eq!(o.token.as_deref(), Some("t"));
        assert!(matches!(parse(&args(&["--help"])), Ok(Command::Help)));
        assert!(matches!(
            parse(&args(&["--huawei", "127.0.0.1:0", "-h"])),
            Ok(Command::Help)
        ));
    }

    #[test]
    fn errors_name_the_flag_or_value() {
        let e = |a: &[&str]| parse(&args(a)).unwrap_err();
        assert!(e(&["--bogus"]).contains("\"--bogus\""));
        assert!(e(&["--huawei", "127.0.0.1:0", "stray"]).contains("\"stray\""));
        let t = e(&["--huawei", "127.0.0.1:0", "--time-scale", "fast"]);
        assert!(t.contains("--time-scale") && t.contains("\"fast\""), "{t}");
        assert!(e(&["--huawei", "localhost"]).contains("--huawei \"localhost\""));
        assert!(e(&["--huawei", "127.0.0.1:0", "--seed", "-1"]).contains("--seed"));
        assert!(
            e(&["--huawei", "127.0.0.1:0", "--job-retention", "-5"]).contains("--job-retention")
        );
        assert!(e(&["--huawei"]).contains("--huawei needs a value"));
        assert!(e(&[]).contains("nothing to serve"));
        assert!(
            e(&["--huawei", "127.0.0.1:0", "--faults", "/no/such/file.toml"]).contains("--faults")
        );
    }
}
