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

/// The local store's journal, shareable with the executor. Every append first checks that the
/// lock is still this run's (when it holds one): once another run has taken the lock over, the
/// journal is that run's and this one must not write to it.
pub struct StoreJournal {
    pub store: Arc<LocalStore>,
    pub lease: Option<Lease>,
}

impl Journal for StoreJournal {
    fn append(&self, record: &Record) -> Result<(), StateError> {
        if self.lease.as_ref().is_some_and(|l| !l.owns(&self.store)) {
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
        let mut signals = CtrlC::register();
        tokio::spawn(async move {
            for n in 0..2 {
                if !signals.recv().await {
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

/// Ctrl-C as a stream, registered when created: from then on SIGINT no longer kills the
/// process, even before the watching task first runs.
struct CtrlC {
    #[cfg(unix)]
    sigint: Option<tokio::signal::unix::Signal>,
}

impl CtrlC {
    fn register() -> CtrlC {
        CtrlC {
            #[cfg(unix)]
            sigint: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok(),
        }
    }

    /// Waits for the next Ctrl-C; `false` if none can be received.
    async fn recv(&mut self) -> bool {
        #[cfg(unix)]
        if let Some(s) = self.sigint.as_mut() {
            return s.recv().await.is_some();
        }
        tokio::signal::ctrl_c().await.is_ok()
    }
}

/// Renews the lock's lease while the run goes on. When a renewal finds the lease lost (another
/// run took it over, or it was force-unlocked), the run is cancelled and the lease marked lost:
/// the command must stop without writing state or journal over the new holder's.
pub fn spawn_heartbeat(guard: LockGuard, cancel: CancelToken) -> Heartbeat {
    let every = guard.heartbeat_interval();
    let lease = Lease {
        guard: Arc::new(Mutex::new(guard)),
        lost: Arc::new(AtomicBool::new(false)),
    };
    let l = lease.clone();
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            match l.renew() {
                Ok(()) => {}
                Err(e @ LockError::Lost { .. }) => {
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
    Heartbeat { task, lease }
}

/// The run's hold on the state lock, shared by the heartbeat and the journal.
#[derive(Clone)]
pub struct Lease {
    guard: Arc<Mutex<LockGuard>>,
    lost: Arc<AtomicBool>,
}

impl Lease {
    /// Renews the lease; a `Lost` answer marks it lost for good.
    fn renew(&self) -> Result<(), LockError> {
        if self.is_lost() {
            return Err(LockError::Lost {
                id: self.id(),
                now_held_by: None,
            });
        }
        let r = self
            .guard
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .heartbeat();
        if let Err(LockError::Lost { .. }) = &r {
            self.lost.store(true, Ordering::SeqCst);
        }
        r
    }

    fn id(&self) -> String {
        self.guard
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .info()
            .id
            .clone()
    }

    /// Whether the store's lock is still this lease's, by reading it (no renewal, so no write
    /// and no lock guard taken: cheap enough before every journal append). An unreadable lock
    /// file is not taken as lost.
    pub fn owns(&self, store: &LocalStore) -> bool {
        if self.is_lost() {
            return false;
        }
        match store.lock_holder() {
            Ok(Some(h)) if h.id == self.id() => true,
            Ok(_) => {
                self.lost.store(true, Ordering::SeqCst);
                false
            }
            Err(_) => true,
        }
    }

    /// Set once a renewal found the lease lost.
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Renews the lease now (e.g. before writing state or the journal); `true` while it is ours.
    /// Other renewal failures (e.g. a transient IO error) do not count as lost.
    pub fn still_held(&self) -> bool {
        !matches!(self.renew(), Err(LockError::Lost { .. }))
    }
}

/// Stops heartbeating and releases the lock when dropped.
pub struct Heartbeat {
    task: tokio::task::JoinHandle<()>,
    lease: Lease,
}

impl Heartbeat {
    pub fn lease(&self) -> Lease {
        self.lease.clone()
    }

    /// Set once a renewal found the lease lost.
    pub fn lost_flag(&self) -> Arc<AtomicBool> {
        self.lease.lost.clone()
    }

    /// Renews the lease now (before writing state); `true` if it is still ours.
    pub fn still_held(&self) -> bool {
        self.lease.still_held()
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clusterform_state::{LockInfo, LockRequest};

    use super::*;

    #[test]
    fn the_journal_refuses_appends_once_the_lease_is_lost() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(LocalStore::new(dir.path(), "s").unwrap());
        let info = LockInfo::new("apply", "u", "h", "run-1");
        let guard = store.lock(LockRequest::new(info), Duration::ZERO).unwrap();
        let id = guard.info().id.clone();
        let lease = Lease {
            guard: Arc::new(Mutex::new(guard)),
            lost: Arc::new(AtomicBool::new(false)),
        };
        let journal = StoreJournal {
            store: store.clone(),
            lease: Some(lease.clone()),
        };
        let record = Record::RunStarted {
            run_id: "run-1".into(),
        };
        journal.append(&record).unwrap();
        assert!(lease.still_held());

        // Another run breaks the lock: from now on this run writes nothing.
        store.force_unlock(&id).unwrap();
        assert!(journal.append(&record).is_err());
        assert!(lease.is_lost());
        assert!(!lease.still_held());
        assert_eq!(journal.records().unwrap().len(), 1);
    }
}
