//! What the tests of saved plans, variables and locks share: fixture stacks from `tests/fixtures/`,
//! a run with the caller's own colour environment, and a `plan` process that holds the state lock
//! while its cloud (a local socket) does not answer.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{Run, Workdir};

/// Simulated cloud time in the sandbox runs this many times faster: a cluster create takes ~0.1 s.
pub const FAST: (&str, &str) = ("CLUSTERFORM_SANDBOX_TIME_SCALE", "6000");

/// Copies the fixture stack `tests/fixtures/<name>` into the work directory; returns its path.
pub fn fixture(w: &Workdir, name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let dst = w.path().join(name);
    copy_dir(&src, &dst);
    dst
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("mkdir");
    for entry in std::fs::read_dir(src).expect("read fixture dir") {
        let entry = entry.expect("entry");
        let to = dst.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), &to).expect("copy");
        }
    }
}

/// Runs `clusterform ARGS` in `w` without the harness's `NO_COLOR`, with `env` set.
pub fn run_with_colour_env(w: &Workdir, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clusterform"));
    cmd.args(args)
        .current_dir(w.path())
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run clusterform");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A cloud endpoint on 127.0.0.1 that answers nothing (`silent`) or, after a delay, answers every
/// request with HTTP 400 so that the run calling it ends.
pub struct Cloud {
    pub url: String,
    _listener: Option<TcpListener>,
}

impl Cloud {
    /// Connections are queued by the kernel but never accepted: calls hang until killed.
    pub fn silent() -> Cloud {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        Cloud {
            url: format!("http://{}", listener.local_addr().expect("addr")),
            _listener: Some(listener),
        }
    }

    /// Every request is answered `400 Bad Request` once `after` has passed.
    pub fn refusing_after(after: Duration) -> Cloud {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let answer_at = Instant::now() + after;
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                std::thread::spawn(move || {
                    use std::io::{Read, Write};
                    std::thread::sleep(answer_at.saturating_duration_since(Instant::now()));
                    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                    let mut buf = [0u8; 16384];
                    let _ = stream.read(&mut buf);
                    let body = r#"{"error_code":"CCE.01400001","error_msg":"refused by the test"}"#;
                    let _ = write!(
                        stream,
                        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                });
            }
        });
        Cloud {
            url,
            _listener: None,
        }
    }
}

/// A `clusterform plan` of the `lock-holder` fixture that holds the state lock while its first
/// cloud call waits on `cloud`. Killed (SIGKILL, so the lock file stays) when dropped.
pub struct LockHolder {
    pub child: Child,
    pub lock_file: PathBuf,
}

impl LockHolder {
    /// Starts the holder in `w` on the stack at `dir` and waits until its lock file is written.
    pub fn start(w: &Workdir, dir: &Path, cloud: &Cloud) -> LockHolder {
        let child = Command::new(env!("CARGO_BIN_EXE_clusterform"))
            .args(["plan", dir.to_str().expect("utf-8 path"), "--var"])
            .arg(format!("endpoint={}", cloud.url))
            .current_dir(w.path())
            .env("NO_COLOR", "1")
            .env("HUAWEICLOUD_SDK_AK", "test-ak")
            .env("HUAWEICLOUD_SDK_SK", "test-sk")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the lock holder");
        let lock_file = w.path().join("state/held.lock");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !holder_written(&lock_file) {
            assert!(Instant::now() < deadline, "the holder never took the lock");
            std::thread::sleep(Duration::from_millis(20));
        }
        LockHolder { child, lock_file }
    }

    /// The lock's id as the lock file records it.
    pub fn lock_id(&self) -> String {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&self.lock_file).expect("read lock file"))
                .expect("lock file is JSON");
        v["id"].as_str().expect("lock id").to_string()
    }

    /// Kills the holder the hard way: its lock file stays behind, as after a crash.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for LockHolder {
    fn drop(&mut self) {
        self.kill();
    }
}

fn holder_written(lock_file: &Path) -> bool {
    std::fs::read(lock_file)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|v| v["id"].is_string())
}
