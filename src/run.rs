//! Pieces of a run that talk to the executor: progress events on stderr (plain lines, or JSON
//! lines with `--json`), resolving configured values against state as apply goes, the journal
//! adapter over the local store, and Ctrl-C handling.

use std::sync::Arc;
use std::time::Duration;

use clusterform_config::Config;
use clusterform_executor::{known_values, CancelToken, Events, Resolve, Step};
use clusterform_model::{Address, Attrs, Change, ResourceSchema, State, Value};
use clusterform_state::{Journal, LocalStore, Record, StateError, StateStore};

use crate::output;

/// Progress on stderr: one line per event; with `json`, one JSON object per line.
pub struct Progress {
    pub json: bool,
}

impl Progress {
    fn emit(&self, kind: &str, address: &Address, text: &str, extra: serde_json::Value) {
        if self.json {
            let mut o = serde_json::json!({ "event": kind, "address": address.to_string() });
            if let (Some(m), serde_json::Value::Object(x)) = (o.as_object_mut(), extra) {
                m.extend(x);
            }
            output::info(&o.to_string());
        } else {
            output::info(&format!("{address}: {text}"));
        }
    }
}

fn step_name(step: Step) -> String {
    format!("{step:?}").to_lowercase()
}

impl Events for Progress {
    fn action_started(&self, a: &Address, step: Step) {
        let s = step_name(step);
        self.emit(
            "started",
            a,
            &format!("{s} started"),
            serde_json::json!({ "step": s }),
        );
    }
    fn phase(&self, a: &Address, phase: &str) {
        self.emit("phase", a, phase, serde_json::json!({ "phase": phase }));
    }
    fn finished(&self, a: &Address, step: Step, elapsed: Duration) {
        let s = step_name(step);
        self.emit(
            "finished",
            a,
            &format!("{s} complete after {}s", elapsed.as_secs()),
            serde_json::json!({ "step": s, "elapsed_secs": elapsed.as_secs_f64() }),
        );
    }
    fn failed(&self, a: &Address, step: Step, message: &str) {
        let s = step_name(step);
        self.emit(
            "failed",
            a,
            &format!("{s} failed: {message}"),
            serde_json::json!({ "step": s, "message": message }),
        );
    }
    fn skipped(&self, a: &Address, cause: &Address) {
        self.emit(
            "skipped",
            a,
            &format!("skipped because {cause} failed"),
            serde_json::json!({ "cause": cause.to_string() }),
        );
    }
    fn retrying(&self, a: &Address, attempt: u32, delay: Duration, reason: &str) {
        self.emit(
            "retrying",
            a,
            &format!("retry {attempt} in {}s: {reason}", delay.as_secs()),
            serde_json::json!({ "attempt": attempt, "delay_secs": delay.as_secs_f64(), "reason": reason }),
        );
    }
    fn throttled(&self, provider: &str, a: &Address, pause: Duration) {
        self.emit(
            "throttled",
            a,
            &format!("{provider} is throttling; pausing {}s", pause.as_secs()),
            serde_json::json!({ "provider": provider, "pause_secs": pause.as_secs_f64() }),
        );
    }
}

/// Resolves a change's configured attributes against the state as apply has it so far, so a
/// reference to an attribute known only after apply (e.g. a new cluster's id) gets its value.
pub struct ConfigResolver {
    pub config: Config,
}

impl Resolve for ConfigResolver {
    fn resolve(
        &self,
        change: &Change,
        schema: Option<&ResourceSchema>,
        state: &State,
    ) -> Result<Attrs, String> {
        let mut change = change.clone();
        if let (Some(rc), Some(after)) =
            (self.config.resource(&change.address), change.after.as_mut())
        {
            let values = values_of(state);
            for (k, e) in &rc.attrs {
                if let Ok(v) = values.eval(&e.value) {
                    // A digest stands for a sensitive value in state; the plan has the value.
                    if !v.contains_unknown() && !clusterform_model::contains_digest(&v) {
                        after.insert(k.clone(), v);
                    }
                }
            }
            // Attributes the config leaves out and the cloud chooses are not sent.
            after.retain(|k, v| rc.attrs.contains_key(k) || !v.contains_unknown());
        }
        known_values(&change, schema)
    }
}

/// Every recorded resource's attributes (with its `id`), for evaluating config references.
pub fn values_of(state: &State) -> clusterform_planner::PlannedValues {
    let mut values = clusterform_planner::PlannedValues::new(state.resources.keys());
    for r in state.resources.values() {
        let mut attrs = r.attributes.clone();
        attrs
            .entry("id".into())
            .or_insert_with(|| Value::String(r.id.clone()));
        values.insert(r.address.clone(), attrs);
    }
    values
}

/// The local store's journal, shareable with the executor.
pub struct StoreJournal(pub Arc<LocalStore>);

impl Journal for StoreJournal {
    fn append(&self, record: &Record) -> Result<(), StateError> {
        self.0.journal().append(record)
    }
    fn records(&self) -> Result<Vec<Record>, StateError> {
        self.0.journal().records()
    }
}

/// Ctrl-C: the first stops starting actions (graceful), the second returns at once.
pub fn watch_ctrl_c(cancel: CancelToken) {
    tokio::spawn(async move {
        for n in 0..2 {
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            cancel.cancel();
            output::info(if n == 0 {
                "interrupt: no new actions will start; running ones are checkpointed (press Ctrl-C again to stop at once)"
            } else {
                "interrupt: stopping now; the journal lets the next run resume"
            });
        }
    });
}
