//! The apply journal as the executor writes it: the `ApplySink` trait (intent, started,
//! checkpoint, completed, failed), its records, `replay` into the in-flight list a resumed apply
//! takes, and `MemoryJournal`, an in-memory sink that tests and adapters can build on.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use clusterform_model::{Action, Address, Attrs, ResourceState};
use clusterform_provider::Operation;
use serde::{Deserialize, Serialize};

/// One cloud-side step of a planned change. A replace is two steps (`Delete` + `Create`, or
/// `Create` + `DeleteDeposed` with create-before-destroy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    Create,
    Read,
    Update,
    Upgrade,
    Delete,
    /// Deleting the old object of a create-before-destroy replace; the address keeps the new one.
    DeleteDeposed,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Create => "create",
            Step::Read => "read",
            Step::Update => "update",
            Step::Upgrade => "upgrade",
            Step::Delete => "delete",
            Step::DeleteDeposed => "delete-deposed",
        }
    }

    /// The key of `Change::timeouts` and `ResourceSchema::default_timeouts` for this step.
    pub fn timeout_key(self) -> &'static str {
        match self {
            Step::DeleteDeposed => "delete",
            s => s.as_str(),
        }
    }
}

/// Written before a step touches the cloud.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    pub address: Address,
    pub provider: String,
    /// The planned action the step belongs to.
    pub action: Action,
    pub step: Step,
    /// The object acted on, when it already exists (update, upgrade, delete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    /// Recorded attributes of an object being deleted: a deposed object is in no state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attrs: Option<Attrs>,
}

/// Where an upgrade is: written when a step's operation starts and again when it completes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Index of the hop in the change's hop list, and the hop itself: a resumed run matches by
    /// `hop_from`/`hop_to`, since planning again after a partial upgrade yields fewer hops.
    pub hop: usize,
    #[serde(default)]
    pub hop_from: String,
    #[serde(default)]
    pub hop_to: String,
    pub step: usize,
    /// The step's operation (a synthetic one with an empty handle when the step finished at once).
    pub op: Operation,
    /// Whether the step has completed.
    pub done: bool,
    /// Operations of the hop's earlier steps by step name (for `StepRequest::earlier`).
    #[serde(default)]
    pub earlier: BTreeMap<String, Operation>,
}

/// A step the journal shows as begun but not finished: what a resumed apply picks up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InFlight {
    pub address: Address,
    pub provider: String,
    pub action: Action,
    pub step: Step,
    /// The object's id, once the cloud answered.
    #[serde(default)]
    pub object_id: Option<String>,
    /// The operation to re-attach to, once the cloud answered with one.
    #[serde(default)]
    pub op: Option<Operation>,
    /// The last upgrade checkpoint.
    #[serde(default)]
    pub checkpoint: Option<Checkpoint>,
    /// Recorded attributes from the intent (deletes).
    #[serde(default)]
    pub attrs: Option<Attrs>,
}

/// One journal record, as a line of an append-only file would hold it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "kebab-case")]
pub enum Record {
    Intent(Intent),
    Started {
        address: Address,
        step: Step,
        object_id: String,
        op: Option<Operation>,
    },
    Checkpoint {
        address: Address,
        checkpoint: Checkpoint,
    },
    /// `resource` is the address's new recorded state; `None` after a delete.
    Completed {
        address: Address,
        step: Step,
        resource: Option<ResourceState>,
    },
    /// `resource` is a half-made object to record as tainted, if one was made.
    Failed {
        address: Address,
        step: Step,
        message: String,
        resource: Option<ResourceState>,
    },
}

/// A journal write that failed. The executor stops starting actions when one does.
#[derive(Debug, thiserror::Error)]
#[error("failed to write the apply journal: {message}")]
pub struct SinkError {
    pub message: String,
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// Where the executor persists progress. Every method must be durable when it returns: the
/// executor calls `started` before it waits on an operation and relies on it after a crash.
/// `completed` carries only the one resource that changed, so a sink can persist O(change).
pub trait ApplySink: Send + Sync {
    fn intent(&self, intent: &Intent) -> Result<(), SinkError>;
    fn started(
        &self,
        address: &Address,
        step: Step,
        object_id: &str,
        op: Option<&Operation>,
    ) -> Result<(), SinkError>;
    fn checkpoint(&self, address: &Address, checkpoint: &Checkpoint) -> Result<(), SinkError>;
    /// `resource` is the new recorded state of `address`; `None` removes it, except for
    /// `Step::DeleteDeposed`, which leaves the address (holding the new object) alone.
    fn completed(
        &self,
        address: &Address,
        step: Step,
        resource: Option<&ResourceState>,
    ) -> Result<(), SinkError>;
    fn failed(
        &self,
        address: &Address,
        step: Step,
        message: &str,
        resource: Option<&ResourceState>,
    ) -> Result<(), SinkError>;
}

/// Folds records into the steps still in flight, in the order their intents were written.
pub fn replay<'a>(records: impl IntoIterator<Item = &'a Record>) -> Vec<InFlight> {
    let mut open: Vec<InFlight> = Vec::new();
    let find = |open: &mut Vec<InFlight>, a: &Address, s: Step| {
        open.iter().position(|f| &f.address == a && f.step == s)
    };
    for r in records {
        match r {
            Record::Intent(i) => {
                if let Some(p) = find(&mut open, &i.address, i.step) {
                    open.remove(p);
                }
                open.push(InFlight {
                    address: i.address.clone(),
                    provider: i.provider.clone(),
                    action: i.action,
                    step: i.step,
                    object_id: i.object_id.clone(),
                    op: None,
                    checkpoint: None,
                    attrs: i.attrs.clone(),
                });
            }
            Record::Started {
                address,
                step,
                object_id,
                op,
            } => {
                if let Some(f) = find(&mut open, address, *step).and_then(|p| open.get_mut(p)) {
                    f.object_id = Some(object_id.clone());
                    f.op = op.clone();
                }
            }
            Record::Checkpoint {
                address,
                checkpoint,
            } => {
                if let Some(f) =
                    find(&mut open, address, Step::Upgrade).and_then(|p| open.get_mut(p))
                {
                    f.checkpoint = Some(checkpoint.clone());
                }
            }
            Record::Completed { address, step, .. } | Record::Failed { address, step, .. } => {
                if let Some(p) = find(&mut open, address, *step) {
                    open.remove(p);
                }
            }
        }
    }
    open
}

/// An in-memory journal: keeps every record and, like a real backend, the recorded resources.
#[derive(Debug, Default)]
pub struct MemoryJournal {
    records: Mutex<Vec<Record>>,
    fail_writes: Mutex<bool>,
}

impl MemoryJournal {
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&self, r: Record) -> Result<(), SinkError> {
        if *self.fail_writes.lock().unwrap_or_else(|e| e.into_inner()) {
            return Err(SinkError {
                message: "disk full".into(),
                source: None,
            });
        }
        self.lock().push(r);
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Record>> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn records(&self) -> Vec<Record> {
        self.lock().clone()
    }

    /// The steps still in flight: what a resumed apply takes as `ApplyOptions::in_flight`.
    pub fn in_flight(&self) -> Vec<InFlight> {
        replay(self.lock().iter())
    }

    /// Makes every later write fail (to test how the executor reacts).
    pub fn fail_writes(&self, fail: bool) {
        *self.fail_writes.lock().unwrap_or_else(|e| e.into_inner()) = fail;
    }
}

impl ApplySink for MemoryJournal {
    fn intent(&self, intent: &Intent) -> Result<(), SinkError> {
        self.push(Record::Intent(intent.clone()))
    }
    fn started(
        &self,
        address: &Address,
        step: Step,
        object_id: &str,
        op: Option<&Operation>,
    ) -> Result<(), SinkError> {
        let r = Record::Started {
            address: address.clone(),
            step,
            object_id: object_id.to_string(),
            op: op.cloned(),
        };
        self.push(r)
    }
    fn checkpoint(&self, address: &Address, checkpoint: &Checkpoint) -> Result<(), SinkError> {
        self.push(Record::Checkpoint {
            address: address.clone(),
            checkpoint: checkpoint.clone(),
        })
    }
    fn completed(
        &self,
        address: &Address,
        step: Step,
        resource: Option<&ResourceState>,
    ) -> Result<(), SinkError> {
        self.push(Record::Completed {
            address: address.clone(),
            step,
            resource: resource.cloned(),
        })
    }
    fn failed(
        &self,
        address: &Address,
        step: Step,
        message: &str,
        resource: Option<&ResourceState>,
    ) -> Result<(), SinkError> {
        let r = Record::Failed {
            address: address.clone(),
            step,
            message: message.to_string(),
            resource: resource.cloned(),
        };
        self.push(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(h: &str) -> Operation {
        Operation {
            kind: "k".into(),
            object_id: "o".into(),
            handle: h.into(),
            data: serde_json::Value::Null,
        }
    }

    #[test]
    fn replay_keeps_only_unfinished_steps_with_their_latest_facts() {
        let j = MemoryJournal::new();
        let a = Address::managed("t", "a");
        let b = Address::managed("t", "b");
        let intent = |addr: &Address, step| Intent {
            address: addr.clone(),
            provider: "p".into(),
            action: Action::Create,
            step,
            object_id: None,
            attrs: None,
        };
        j.intent(&intent(&a, Step::Create)).unwrap();
        j.intent(&intent(&b, Step::Upgrade)).unwrap();
        j.started(&a, Step::Create, "id-1", Some(&op("op-1")))
            .unwrap();
        let cp = Checkpoint {
            hop: 0,
            hop_from: "v1".into(),
            hop_to: "v2".into(),
            step: 1,
            op: op("op-2"),
            done: false,
            earlier: BTreeMap::new(),
        };
        j.checkpoint(&b, &cp).unwrap();
        let open = j.in_flight();
        assert_eq!(open.len(), 2);
        assert_eq!(open[0].object_id.as_deref(), Some("id-1"));
        assert_eq!(open[0].op, Some(op("op-1")));
        assert_eq!(open[1].checkpoint, Some(cp));
        j.completed(&a, Step::Create, None).unwrap();
        j.failed(&b, Step::Upgrade, "boom", None).unwrap();
        assert!(j.in_flight().is_empty());
        // Records are JSON lines a file journal can hold as they are.
        let line = serde_json::to_string(&j.records()[2]).unwrap();
        assert!(line.starts_with("{\"record\":\"started\""), "{line}");
        let back: Record = serde_json::from_str(&line).unwrap();
        assert_eq!(back, j.records()[2]);
    }

    #[test]
    fn failing_writes_surface_as_errors() {
        let j = MemoryJournal::new();
        j.fail_writes(true);
        let e = j
            .failed(&Address::managed("t", "a"), Step::Delete, "x", None)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "failed to write the apply journal: disk full"
        );
    }
}
