//! The executor's progress events rendered on stderr in the form chosen once at start-up: live
//! lines on a terminal (one per running resource: address, action, finished and current cloud
//! phase, elapsed time), plain lines when stderr is not a terminal, or JSON lines with `--json`
//! (the schema is in `PROGRESS-JSON.md` next to this file). Printing goes through `output`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clusterform_executor::{Events, RefreshOutcome, Step};
use clusterform_model::Address;

use crate::output::{self, Live, Ui};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Redrawn lines on a terminal.
    Live,
    /// One line per event.
    Plain,
    /// One JSON object per line.
    Json,
}

impl Mode {
    pub fn detect(ui: &Ui, json: bool) -> Mode {
        match (json, ui.stderr_tty) {
            (true, _) => Mode::Json,
            (false, true) => Mode::Live,
            (false, false) => Mode::Plain,
        }
    }
}

/// What the live line of one running resource shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub address: String,
    /// `creating`, `refreshing`, `upgrading v1.28→v1.29`, ...
    pub doing: String,
    pub started: Instant,
    /// Phases (or upgrade steps) already passed, shown ticked.
    pub passed: Vec<String>,
    /// The current phase and when it began.
    pub current: Option<(String, Instant)>,
    pub percent: Option<u8>,
}

impl Line {
    pub fn new(address: &Address, doing: impl Into<String>, now: Instant) -> Line {
        Line {
            address: address.to_string(),
            doing: doing.into(),
            started: now,
            passed: Vec::new(),
            current: None,
            percent: None,
        }
    }

    /// The cloud reports a new phase: the one before it is passed.
    pub fn phase(&mut self, phase: &str, now: Instant) {
        if self.current.as_ref().is_some_and(|(p, _)| p == phase) {
            return;
        }
        if let Some((p, _)) = self.current.take() {
            self.passed.push(p);
        }
        self.current = Some((phase.to_string(), now));
        self.percent = None;
    }

    /// An upgrade reached `step` of hop `from` → `to`; a new hop starts a fresh list of steps.
    pub fn upgrade_step(&mut self, from: &str, to: &str, step: &str, now: Instant) {
        let doing = format!("upgrading {from}→{to}");
        if self.doing != doing {
            self.doing = doing;
            self.passed.clear();
            self.current = None;
        }
        self.phase(step, now);
    }
}

/// The live line: `ADDRESS  DOING  passed ✓ ... current ELAPSED [PERCENT%]`, where the elapsed
/// time is the current phase's (or the action's, before the cloud names a phase).
pub fn render(line: &Line, now: Instant) -> String {
    let mut s = format!("{}  {}  ", line.address, line.doing);
    for p in &line.passed {
        s.push_str(&format!("{p} ✓ "));
    }
    match &line.current {
        Some((p, since)) => s.push_str(&format!("{p} {}", duration(now - *since))),
        None => s.push_str(&duration(now - line.started)),
    }
    if let Some(p) = line.percent {
        s.push_str(&format!(" {p}%"));
    }
    s
}

/// `45s`, `4m12s`, `1h03m`.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

fn doing(step: Step) -> &'static str {
    match step {
        Step::Create => "creating",
        Step::Read => "reading",
        Step::Update => "updating",
        Step::Upgrade => "upgrading",
        Step::Delete => "deleting",
        Step::DeleteDeposed => "deleting the old object",
    }
}

fn done(step: Step) -> &'static str {
    match step {
        Step::Create => "created",
        Step::Read => "read",
        Step::Update => "updated",
        Step::Upgrade => "upgraded",
        Step::Delete => "deleted",
        Step::DeleteDeposed => "old object deleted",
    }
}

/// Counts for the closing summary line or event.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub operation: String,
    /// `success`, `failed` or `interrupted`.
    pub outcome: String,
    pub done: usize,
    pub failed: usize,
    pub skipped: usize,
    pub interrupted: usize,
    pub not_started: usize,
    pub planned: BTreeMap<String, usize>,
}

/// Progress on stderr; implements the executor's `Events`.
pub struct Progress {
    mode: Mode,
    live: Option<Live>,
    lines: Mutex<BTreeMap<String, Line>>,
}

impl Progress {
    pub fn new(mode: Mode, ui: &Ui) -> Arc<Progress> {
        Arc::new(Progress {
            mode,
            live: (mode == Mode::Live).then(|| Live::start(ui.color_stderr)),
            lines: Mutex::new(BTreeMap::new()),
        })
    }

    /// Redraws the live lines four times a second (spinners turn, elapsed times move on) until
    /// `Progress` is dropped.
    pub fn start_ticker(self: &Arc<Self>) {
        if self.live.is_none() {
            return;
        }
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tick.tick().await;
                let Some(p) = weak.upgrade() else { return };
                p.redraw();
            }
        });
    }

    fn redraw(&self) {
        let Some(live) = &self.live else { return };
        let now = Instant::now();
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        for (key, l) in lines.iter() {
            live.set(key, &render(l, now));
        }
    }

    /// A JSON event: `{"event": kind, "address": ..., ...extra}`.
    fn json(&self, kind: &str, address: Option<&Address>, extra: serde_json::Value) {
        let mut o = serde_json::Map::new();
        o.insert("event".into(), kind.into());
        if let Some(a) = address {
            o.insert("address".into(), a.to_string().into());
        }
        if let serde_json::Value::Object(x) = extra {
            o.extend(x);
        }
        output::info(&serde_json::Value::Object(o).to_string());
    }

    /// Changes the live line of `key` (when drawing live) and redraws it.
    fn with_line(&self, key: &str, f: impl FnOnce(&mut Line)) {
        let Some(live) = &self.live else { return };
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = lines.get_mut(key) {
            f(l);
            live.set(key, &render(l, Instant::now()));
        }
    }

    fn begin(&self, key: String, line: Line) {
        let Some(live) = &self.live else { return };
        live.set(&key, &render(&line, Instant::now()));
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, line);
    }

    fn end(&self, key: &str, result: Option<&str>) {
        let Some(live) = &self.live else { return };
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
        live.finish(key, result);
    }

    /// A human message outside the event stream (in JSON mode too: a reader of the stream skips
    /// lines that are not events).
    pub fn note(&self, text: &str) {
        output::info(text);
    }

    /// The closing summary: a JSON event, or the human line `text`.
    pub fn summary(&self, s: &Summary, text: &str) {
        match self.mode {
            Mode::Json => self.json("summary", None, serde_json::to_value(s).unwrap_or_default()),
            _ if text.is_empty() => {}
            _ => output::info(text),
        }
    }
}

fn action_key(a: &Address, step: Step) -> String {
    format!("{a} {}", step.as_str())
}

impl Events for Progress {
    fn action_started(&self, a: &Address, step: Step) {
        match self.mode {
            Mode::Json => self.json(
                "started",
                Some(a),
                serde_json::json!({ "step": step.as_str() }),
            ),
            Mode::Plain => output::info(&format!("{a}: {} started", step.as_str())),
            Mode::Live => self.begin(
                action_key(a, step),
                Line::new(a, doing(step), Instant::now()),
            ),
        }
    }

    fn phase(&self, a: &Address, phase: &str) {
        match self.mode {
            Mode::Json => self.json("phase", Some(a), serde_json::json!({ "phase": phase })),
            Mode::Plain => output::info(&format!("{a}: {phase}")),
            Mode::Live => {
                let now = Instant::now();
                let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
                let prefix = format!("{a} ");
                let keys: Vec<String> = lines
                    .keys()
                    .filter(|k| k.starts_with(&prefix))
                    .cloned()
                    .collect();
                for k in keys {
                    if let Some(l) = lines.get_mut(&k) {
                        // During an upgrade the step is what counts; the cloud's word for the
                        // step's task adds nothing.
                        if !l.doing.starts_with("upgrading ") {
                            l.phase(phase, now);
                        }
                        if let Some(live) = &self.live {
                            live.set(&k, &render(l, now));
                        }
                    }
                }
            }
        }
    }

    fn upgrade_step(&self, a: &Address, from: &str, to: &str, step: &str) {
        match self.mode {
            Mode::Json => self.json(
                "phase",
                Some(a),
                serde_json::json!({
                    "phase": format!("{from} → {to}: {step}"),
                    "hop_from": from,
                    "hop_to": to,
                    "upgrade_step": step,
                }),
            ),
            Mode::Plain => output::info(&format!("{a}: {from} → {to}: {step}")),
            Mode::Live => self.with_line(&action_key(a, Step::Upgrade), |l| {
                l.upgrade_step(from, to, step, Instant::now())
            }),
        }
    }

    fn progress(&self, a: &Address, percent: u8) {
        match self.mode {
            Mode::Json => self.json(
                "progress",
                Some(a),
                serde_json::json!({ "percent": percent }),
            ),
            Mode::Plain => {}
            Mode::Live => {
                let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
                let prefix = format!("{a} ");
                for (k, l) in lines.iter_mut().filter(|(k, _)| k.starts_with(&prefix)) {
                    l.percent = Some(percent);
                    if let Some(live) = &self.live {
                        live.set(k, &render(l, Instant::now()));
                    }
                }
            }
        }
    }

    fn finished(&self, a: &Address, step: Step, elapsed: Duration) {
        match self.mode {
            Mode::Json => self.json(
                "finished",
                Some(a),
                serde_json::json!({ "step": step.as_str(), "elapsed_secs": elapsed.as_secs_f64() }),
            ),
            Mode::Plain => output::info(&format!(
                "{a}: {} complete after {}",
                step.as_str(),
                duration(elapsed)
            )),
            Mode::Live => self.end(
                &action_key(a, step),
                Some(&format!("{a}  {} in {}", done(step), duration(elapsed))),
            ),
        }
    }

    fn failed(&self, a: &Address, step: Step, message: &str) {
        match self.mode {
            Mode::Json => self.json(
                "failed",
                Some(a),
                serde_json::json!({ "step": step.as_str(), "message": message }),
            ),
            Mode::Plain => output::info(&format!("{a}: {} failed: {message}", step.as_str())),
            Mode::Live => {
                let key = action_key(a, step);
                let elapsed = self
                    .lines
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(&key)
                    .map(|l| duration(l.started.elapsed()))
                    .unwrap_or_default();
                self.end(
                    &key,
                    Some(&format!(
                        "{a}  {} failed after {elapsed}: {message}",
                        step.as_str()
                    )),
                )
            }
        }
    }

    fn skipped(&self, a: &Address, cause: &Address) {
        match self.mode {
            Mode::Json => self.json(
                "skipped",
                Some(a),
                serde_json::json!({ "cause": cause.to_string() }),
            ),
            _ => output::info(&format!("{a}: skipped because {cause} failed")),
        }
    }

    fn retrying(&self, a: &Address, attempt: u32, delay: Duration, reason: &str) {
        match self.mode {
            Mode::Json => self.json(
                "retrying",
                Some(a),
                serde_json::json!({ "attempt": attempt, "delay_secs": delay.as_secs_f64(), "reason": reason }),
            ),
            _ => output::info(&format!(
                "{a}: retry {attempt} in {}: {reason}",
                duration(delay)
            )),
        }
    }

    fn throttled(&self, provider: &str, a: &Address, pause: Duration) {
        match self.mode {
            Mode::Json => self.json(
                "throttled",
                Some(a),
                serde_json::json!({ "provider": provider, "pause_secs": pause.as_secs_f64() }),
            ),
            _ => output::info(&format!(
                "{a}: {provider} is throttling; pausing {}",
                duration(pause)
            )),
        }
    }

    fn refresh_started(&self, a: &Address) {
        match self.mode {
            Mode::Json => self.json("refresh_started", Some(a), serde_json::json!({})),
            Mode::Plain => {}
            Mode::Live => self.begin(
                format!("{a} refresh"),
                Line::new(a, "refreshing", Instant::now()),
            ),
        }
    }

    fn refresh_finished(&self, a: &Address, outcome: RefreshOutcome) {
        let said = match outcome {
            RefreshOutcome::Unchanged => None,
            RefreshOutcome::Drifted => Some("changed outside clusterform"),
            RefreshOutcome::Gone => Some("gone from the cloud; dropped from state"),
            RefreshOutcome::Failed => Some("refresh failed"),
        };
        match self.mode {
            Mode::Json => {
                let o = match outcome {
                    RefreshOutcome::Unchanged => "unchanged",
                    RefreshOutcome::Drifted => "drifted",
                    RefreshOutcome::Gone => "gone",
                    RefreshOutcome::Failed => "failed",
                };
                self.json(
                    "refresh_finished",
                    Some(a),
                    serde_json::json!({ "outcome": o }),
                )
            }
            Mode::Plain => {
                if let Some(s) = said {
                    output::info(&format!("{a}: {s}"));
                }
            }
            Mode::Live => self.end(
                &format!("{a} refresh"),
                said.map(|s| format!("{a}  {s}")).as_deref(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> Address {
        "huawei_autopilot_cluster.prod".parse().unwrap()
    }

    #[test]
    fn an_upgrade_line_ticks_passed_steps_and_times_the_current_one() {
        let t0 = Instant::now();
        let s = |n: u64| t0 + Duration::from_secs(n);
        let mut l = Line::new(&addr(), "upgrading", t0);
        assert_eq!(
            render(&l, s(3)),
            "huawei_autopilot_cluster.prod  upgrading  3s"
        );
        l.upgrade_step("v1.28", "v1.29", "precheck", s(1));
        l.upgrade_step("v1.28", "v1.29", "snapshot", s(20));
        l.upgrade_step("v1.28", "v1.29", "upgrade", s(60));
        assert_eq!(
            render(&l, s(60 + 252)),
            "huawei_autopilot_cluster.prod  upgrading v1.28→v1.29  precheck ✓ snapshot ✓ upgrade 4m12s"
        );
        // The next hop starts its own list.
        l.upgrade_step("v1.29", "v1.30", "precheck", s(400));
        assert_eq!(
            render(&l, s(405)),
            "huawei_autopilot_cluster.prod  upgrading v1.29→v1.30  precheck 5s"
        );
    }

    #[test]
    fn a_create_line_shows_cloud_phases_and_progress() {
        let t0 = Instant::now();
        let mut l = Line::new(&addr(), "creating", t0);
        l.phase("Creating", t0 + Duration::from_secs(2));
        l.phase("Creating", t0 + Duration::from_secs(5));
        l.percent = Some(40);
        assert_eq!(
            render(&l, t0 + Duration::from_secs(65)),
            "huawei_autopilot_cluster.prod  creating  Creating 1m03s 40%"
        );
        l.phase("Installing", t0 + Duration::from_secs(70));
        assert_eq!(
            render(&l, t0 + Duration::from_secs(3 * 3600 + 70)),
            "huawei_autopilot_cluster.prod  creating  Creating ✓ Installing 3h00m"
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(Duration::from_millis(900)), "0s");
        assert_eq!(duration(Duration::from_secs(59)), "59s");
        assert_eq!(duration(Duration::from_secs(60)), "1m00s");
        assert_eq!(duration(Duration::from_secs(3725)), "1h02m");
    }
}
