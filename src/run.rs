//! Pieces of a run that talk to the executor: progress events on stderr (`progress`: live
//! lines, plain lines, or JSON lines with `--json`), resolving configured values against state as
//! apply goes, the journal adapter over the local store, the lock's heartbeat, and Ctrl-C.

mod progress;

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use clusterform_config::Config;
use clusterform_executor::{known_values, CancelToken, Resolve};
use clusterform_model::{Attrs, Change, ResourceSchema, State, Value};
use clusterform_state::{
    Journal, LocalStore, LockError, LockGuard, Record, StateError, StateStore,
};

use crate::output;

pub use progress::{Mode, Progress, Summary};

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
                    if !v.contains_unknown() {
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

/// The local store's journal, shareable with the executor. Once the run's lease is lost it
/// refuses to write: the journal is the new holder's now.
pub struct StoreJournal {
    pub store: Arc<LocalStore>,
    pub lost: Arc<AtomicBool>,
}

impl Journal for StoreJournal {
    fn append(&self, record: &Record) -> Result<(), StateError> {
        if self.lost.load(Ordering::SeqCst) {
            return Err(StateError::Io {
                action: "append to",
                path: self.store.journal_path().to_path_buf(),
                source: std::io::Error::other("the state lock's lease was lost to another run"),
            });
        }
        self.store.journal().append(record)
    }
    fn records(&self) -> Result<Vec<Record>, StateError> {
        self.store.journal().records()
    }
}

/// Ctrl-C for a whole command, installed before anything else happens. Until the command holds
/// the lock (`armed`), Ctrl-C exits at once with 130: nothing has been touched. After, the first
/// Ctrl-C cancels the run's token (refresh and the approval prompt stop, apply starts nothing new
/// and checkpoints what runs); the second asks apply to stop waiting at once.
#[derive(Clone)]
pub struct Interrupts {
    pub cancel: CancelToken,
    armed: Arc<AtomicU8>,
}

impl Interrupts {
    /// Starts watching for Ctrl-C on the current runtime.
    pub fn install() -> Interrupts {
        let me = Interrupts {
            cancel: CancelToken::new(),
            armed: Arc::new(AtomicU8::new(0)),
        };
        let w = me.clone();
        tokio::spawn(async move {
            for n in 0..2 {
                if tokio::signal::ctrl_c().await.is_err() {
                    return;
                }
                if w.armed.load(Ordering::SeqCst) == 0 {
                    output::info("interrupt: stopped before anything was changed");
                    std::process::exit(i32::from(crate::exit::INTERRUPTED));
                }
                // Said before cancelling: the run may end the process right after.
                output::info(if n == 0 {
                    "interrupt: no new actions will start; running ones are checkpointed (press Ctrl-C again to stop at once)"
                } else {
                    "interrupt: stopping now; the journal lets the next run resume"
                });
                w.cancel.cancel();
            }
        });
        me
    }

    /// From now on Ctrl-C is handled by the command (it holds the lock and must release it).
    pub fn arm(&self) {
        self.armed.store(1, Ordering::SeqCst);
    }

    pub fn requested(&self) -> bool {
        self.cancel.level() != clusterform_executor::CancelLevel::None
    }

    /// Runs `fut` unless Ctrl-C comes first (`None`).
    pub async fn guard<T>(&self, fut: impl std::future::Future<Output = T>) -> Option<T> {
        tokio::select! {
            v = fut => Some(v),
            _ = self.cancel.cancelled() => None,
        }
    }
}

/// Renews the lock's lease while the run goes on. When a renewal finds the lease lost (another
/// run took it over, or it was force-unlocked), the run is cancelled and `lost` is set: the
/// command must stop without writing state or journal over the new holder's.
pub fn spawn_heartbeat(guard: LockGuard, cancel: CancelToken) -> Heartbeat {
    let every = guard.heartbeat_interval();
    let guard = Arc::new(Mutex::new(guard));
    let lost = Arc::new(AtomicBool::new(false));
    let (g, l) = (guard.clone(), lost.clone());
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            let result = g.lock().unwrap_or_else(|e| e.into_inner()).heartbeat();
            match result {
                Ok(()) => {}
                Err(e @ LockError::Lost { .. }) => {
                    l.store(true, Ordering::SeqCst);
                    output::info(&format!("error: {e}"));
                    // Stop starting actions, and stop waiting on running ones: their operations
                    // are journaled and the new holder resumes them.
                    cancel.cancel();
                    cancel.cancel();
                    return;
                }
                Err(e) => output::info(&format!(
                    "warning: failed to renew the state lock's lease: {e}"
                )),
            }
        }
    });
    Heartbeat { task, guard, lost }
}

/// Stops heartbeating and releases the lock when dropped.
pub struct Heartbeat {
    task: tokio::task::JoinHandle<()>,
    guard: Arc<Mutex<LockGuard>>,
    lost: Arc<AtomicBool>,
}

impl Heartbeat {
    /// Set once a renewal found the lease lost.
    pub fn lost_flag(&self) -> Arc<AtomicBool> {
        self.lost.clone()
    }

    /// Renews the lease now (before writing state); `true` if it is still ours.
    pub fn still_held(&self) -> bool {
        if self.lost.load(Ordering::SeqCst) {
            return false;
        }
        let r = self
            .guard
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .heartbeat();
        if let Err(LockError::Lost { .. }) = r {
            self.lost.store(true, Ordering::SeqCst);
            return false;
        }
        true
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}
