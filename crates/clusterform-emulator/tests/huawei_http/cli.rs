//! The binary's command line: `--help`, refused flags and values, and a faults file with
//! per-route rules driving a running emulator.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_clusterform-emulator");

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn help_goes_to_stdout_with_exit_0() {
    let (code, out, err) = run(&["--help"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("usage: clusterform-emulator --huawei ADDR"),
        "{out}"
    );
    for flag in [
        "--time-scale",
        "--faults",
        "--state",
        "--seed",
        "--job-retention",
    ] {
        assert!(out.contains(flag), "usage lists {flag}");
    }
    assert!(err.is_empty());
}

#[test]
fn bad_flags_and_values_exit_1_naming_them() {
    let (code, out, err) = run(&["--huawei", "127.0.0.1:0", "--verbose"]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("\"--verbose\""), "{err}");
    let (code, _, err) = run(&["--huawei", "127.0.0.1:0", "--time-scale", "0"]);
    assert_eq!(code, 1);
    assert!(err.contains("--time-scale \"0\""), "{err}");
    let (code, _, err) = run(&["--huawei", "not-an-address"]);
    assert_eq!(code, 1);
    assert!(err.contains("--huawei \"not-an-address\""), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let faults = dir.path().join("faults.toml");
    std::fs::write(&faults, "error_rate = 3\n").unwrap();
    let (code, _, err) = run(&[
        "--huawei",
        "127.0.0.1:0",
        "--faults",
        faults.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("error_rate"), "{err}");
}

/// One GET with a token over a raw socket; the status code.
fn get_status(addr: &str, path: &str) -> u16 {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nX-Auth-Token: tok\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text.split(' ').nth(1).unwrap().parse().unwrap()
}

#[test]
fn faults_file_route_rules_apply_to_their_route_only() {
    let dir = tempfile::tempdir().unwrap();
    let faults = dir.path().join("faults.toml");
    std::fs::write(
        &faults,
        "[[route]]\nroute = \"GET /autopilot/v3/clusterupgradepaths\"\nerror_rate = 1.0\nerror_statuses = [502]\n",
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .args([
            "--huawei",
            "127.0.0.1:0",
            "--token",
            "tok",
            "--seed",
            "1",
            "--faults",
        ])
        .arg(&faults)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
    let addr = ready["huawei"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://")
        .to_string();
    let statuses: Vec<u16> = (0..3)
        .map(|_| get_status(&addr, "/autopilot/v3/clusterupgradepaths"))
        .collect();
    let other = get_status(&addr, "/autopilot/v3/clusterupgradefeaturegates");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(statuses, [502, 502, 502]);
    assert_eq!(other, 200);
}
