//! A separately started `clusterform-emulator` process for end-to-end tests: started on port 0,
//! its address read from the ready line, its world read over a hand-written HTTP/1.1 request,
//! and killed when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value as Json;

/// The credentials the emulator accepts by default.
pub const AK: &str = "sandbox-ak";
pub const SK: &str = "sandbox-sk";

/// The emulator binary, built next to the CLI by `cargo build --workspace --bins`.
pub fn binary() -> PathBuf {
    let cli = Path::new(env!("CARGO_BIN_EXE_clusterform"));
    let bin = cli
        .parent()
        .expect("the CLI binary has a directory")
        .join("clusterform-emulator");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --workspace --bins` before these tests",
        bin.display()
    );
    bin
}

/// A running emulator; killed on drop.
pub struct Emulator {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    addr: String,
}

impl Emulator {
    /// Starts the emulator at `time_scale`, with an optional faults file and seed.
    pub fn start(time_scale: u32, faults: Option<&Path>, seed: u64) -> Emulator {
        let mut cmd = Command::new(binary());
        cmd.args(["--huawei", "127.0.0.1:0", "--time-scale"])
            .arg(time_scale.to_string())
            .arg("--seed")
            .arg(seed.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(f) = faults {
            cmd.arg("--faults").arg(f);
        }
        let mut child = cmd.spawn().expect("start clusterform-emulator");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the emulator's ready line");
        let ready: Json = serde_json::from_str(line.trim())
            .unwrap_or_else(|e| panic!("bad ready line {line:?}: {e}"));
        let url = ready["huawei"]
            .as_str()
            .unwrap_or_else(|| panic!("no huawei address in {line:?}"))
            .to_string();
        let addr = url.trim_start_matches("http://").to_string();
        Emulator { child, url, addr }
    }

    /// The CLI arguments that point a stack at this emulator.
    pub fn endpoint_var(&self) -> String {
        format!("endpoint={}", self.url)
    }

    /// The environment the CLI needs to sign requests to this emulator.
    pub fn env(&self) -> [(&'static str, &'static str); 2] {
        [("HUAWEICLOUD_SDK_AK", AK), ("HUAWEICLOUD_SDK_SK", SK)]
    }

    /// The whole world, all projects, as JSON.
    pub fn world(&self) -> Json {
        let (status, body) = self.request("GET", "/_emulator/huawei/world", "");
        assert_eq!(status, 200, "world: {body}");
        serde_json::from_str(&body).expect("world is JSON")
    }

    /// Every cluster of every project.
    pub fn clusters(&self) -> Vec<Json> {
        self.objects("clusters")
    }

    /// Every add-on of every project.
    pub fn addons(&self) -> Vec<Json> {
        self.objects("addons")
    }

    fn objects(&self, kind: &str) -> Vec<Json> {
        let w = self.world();
        let mut out = Vec::new();
        if let Some(projects) = w["projects"].as_object() {
            for p in projects.values() {
                match &p[kind] {
                    Json::Object(m) => out.extend(m.values().cloned()),
                    Json::Array(a) => out.extend(a.iter().cloned()),
                    _ => {}
                }
            }
        }
        out
    }

    /// One HTTP/1.1 request with `Connection: close`; returns status and body.
    fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut s = TcpStream::connect(&self.addr).expect("connect to the emulator");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .expect("send request");
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).expect("read response");
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, rest) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("no header end in {text:?}"));
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("bad status line in {head:?}"));
        let chunked = head.lines().any(|l| {
            l.to_ascii_lowercase()
                .starts_with("transfer-encoding: chunked")
        });
        let body = if chunked {
            dechunk(rest)
        } else {
            rest.to_string()
        };
        (status, body)
    }
}

/// Decodes a chunked body.
fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    loop {
        let Some((size, rest)) = s.split_once("\r\n") else {
            return out;
        };
        let n = usize::from_str_radix(size.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or_else(|_| panic!("bad chunk size {size:?}"));
        if n == 0 {
            return out;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
