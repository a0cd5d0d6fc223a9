//! Adapts `clusterform-state`'s apply journal (one entry per address, free-form checkpoints) to
//! `ApplySink`, and its replayed in-flight list back into the executor's `InFlight`.
//!
//! The state journal has no place for the step, provider, object id or recorded attributes of
//! an intent, so each intent is followed by a checkpoint carrying them (a "marker"); upgrade
//! checkpoints carry the step too. Its one-entry-per-address model is enough because the
//! executor never has two steps of one address open at once: a create-before-destroy notes the
//! old object in the new resource's state instead of a second intent.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use clusterform_model::{Action, Address, Attrs, ResourceState};
use clusterform_provider::Operation;
use clusterform_state::{Journal, Record as StateRecord, StateError};
use serde_json::json;

use crate::journal::{ApplySink, Checkpoint, InFlight, Intent, SinkError, Step};

/// An `ApplySink` writing to a `clusterform_state::Journal` (e.g. the local backend's
/// `FileJournal`, or `StateStore::journal()`).
pub struct StateJournal {
    journal: Arc<dyn Journal>,
    seq: AtomicU64,
}

impl StateJournal {
    /// Continues the journal's sequence numbers after whatever it already holds.
    pub fn new(journal: Arc<dyn Journal>) -> Result<Self, StateError> {
        let last = journal
            .records()?
            .iter()
            .filter_map(|r| match r {
                StateRecord::Intent { seq, .. } | StateRecord::Started { seq, .. } => Some(*seq),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        Ok(StateJournal {
            journal,
            seq: AtomicU64::new(last + 1),
        })
    }

    fn append(&self, r: &StateRecord) -> Result<(), SinkError> {
        self.journal.append(r).map_err(|e| SinkError {
            message: e.to_string(),
            source: Some(Box::new(e)),
        })
    }

    fn next(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }
}

impl ApplySink for StateJournal {
    fn intent(&self, i: &Intent) -> Result<(), SinkError> {
        let at = chrono::Utc::now();
        self.append(&StateRecord::Intent {
            seq: self.next(),
            address: i.address.clone(),
            action: i.action,
            at,
        })?;
        let data = json!({
            "step": i.step,
            "provider": i.provider,
            "object_id": i.object_id,
            "attrs": i.attrs,
        });
        self.append(&StateRecord::Checkpoint {
            address: i.address.clone(),
            data,
        })
    }

    fn started(
        &self,
        address: &Address,
        _step: Step,
        object_id: &str,
        op: Option<&Operation>,
    ) -> Result<(), SinkError> {
        let op = op
            .map(|o| serde_json::to_value(o).unwrap_or_default())
            .unwrap_or_default();
        self.append(&StateRecord::Started {
            seq: self.next(),
            address: address.clone(),
            op,
            object_id: object_id.to_string(),
        })
    }

    fn checkpoint(&self, address: &Address, cp: &Checkpoint) -> Result<(), SinkError> {
        let data = json!({ "step": Step::Upgrade, "upgrade": cp });
        self.append(&StateRecord::Checkpoint {
            address: address.clone(),
            data,
        })
    }

    fn completed(
        &self,
        address: &Address,
        _step: Step,
        resource: Option<&ResourceState>,
    ) -> Result<(), SinkError> {
        self.append(&StateRecord::Completed {
            address: address.clone(),
            resource: resource.cloned(),
        })
    }

    fn failed(
        &self,
        address: &Address,
        _step: Step,
        message: &str,
        resource: Option<&ResourceState>,
    ) -> Result<(), SinkError> {
        // What the failure left behind (a tainted object) comes first, as the state journal asks.
        if let Some(rs) = resource {
            self.append(&StateRecord::Completed {
                address: address.clone(),
                resource: Some(rs.clone()),
            })?;
        }
        self.append(&StateRecord::Failed {
            address: address.clone(),
            message: message.to_string(),
        })
    }
}

/// The executor's view of what `clusterform_state::replay` found in flight.
pub fn in_flight_from(list: &[clusterform_state::InFlight]) -> Vec<InFlight> {
    list.iter()
        .map(|f| {
            let marker = f.checkpoint.clone().unwrap_or_default();
            let field = |k: &str| marker.get(k).cloned().unwrap_or_default();
            let action = f.action.unwrap_or(Action::Create);
            let step = serde_json::from_value(field("step")).unwrap_or(match action {
                Action::Update => Step::Update,
                Action::Upgrade => Step::Upgrade,
                Action::Delete => Step::Delete,
                Action::Read => Step::Read,
                _ => Step::Create,
            });
            InFlight {
                address: f.address.clone(),
                provider: field("provider").as_str().unwrap_or_default().to_string(),
                action,
                step,
                object_id: f
                    .object_id
                    .clone()
                    .or_else(|| field("object_id").as_str().map(str::to_string)),
                op: f
                    .op
                    .clone()
                    .and_then(|o| serde_json::from_value::<Operation>(o).ok()),
                checkpoint: serde_json::from_value::<Checkpoint>(field("upgrade")).ok(),
                attrs: serde_json::from_value::<Attrs>(field("attrs")).ok(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use clusterform_model::State;
    use clusterform_state::FileJournal;

    use super::*;

    fn op(h: &str) -> Operation {
        Operation {
            kind: "k".into(),
            object_id: "id-1".into(),
            handle: h.into(),
            data: serde_json::Value::Null,
        }
    }

    #[test]
    fn steps_survive_the_state_journal_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let file: Arc<dyn Journal> = Arc::new(FileJournal::new(dir.path().join("journal")));
        let sink = StateJournal::new(file.clone()).unwrap();
        let (a, b, c) = (
            Address::managed("t", "a"),
            Address::managed("t", "b"),
            Address::managed("t", "c"),
        );
        let intent = |address: &Address, action, step, object_id: Option<&str>| Intent {
            address: address.clone(),
            provider: "p".into(),
            action,
            step,
            object_id: object_id.map(str::to_string),
            attrs: Some(Attrs::from([("name".to_string(), "x".into())])),
        };
        sink.intent(&intent(&a, Action::Create, Step::Create, None))
            .unwrap();
        sink.started(&a, Step::Create, "id-1", Some(&op("op-1")))
            .unwrap();
        sink.intent(&intent(&b, Action::Upgrade, Step::Upgrade, Some("id-2")))
            .unwrap();
        let cp = Checkpoint {
            hop: 1,
            hop_from: "v1".into(),
            hop_to: "v2".into(),
            step: 2,
            op: op("op-2"),
            done: true,
            earlier: BTreeMap::from([("precheck".to_string(), op("op-0"))]),
        };
        sink.checkpoint(&b, &cp).unwrap();
        sink.intent(&intent(
            &c,
            Action::Replace,
            Step::DeleteDeposed,
            Some("old"),
        ))
        .unwrap();
        let (_, open) = file.replay(&State::new("l")).unwrap();
        let open = in_flight_from(&open);
        assert_eq!(open.len(), 3);
        assert_eq!(
            (
                open[0].step,
                open[0].object_id.as_deref(),
                open[0].op.clone()
            ),
            (Step::Create, Some("id-1"), Some(op("op-1")))
        );
        assert_eq!(
            (open[1].step, open[1].checkpoint.clone()),
            (Step::Upgrade, Some(cp))
        );
        assert_eq!(
            (
                open[2].step,
                open[2].object_id.as_deref(),
                open[2].provider.as_str()
            ),
            (Step::DeleteDeposed, Some("old"), "p")
        );
        assert!(open[2]
            .attrs
            .as_ref()
            .is_some_and(|a| a.contains_key("name")));

        // A second sink continues the sequence; completing settles the entry.
        let again = StateJournal::new(file.clone()).unwrap();
        assert!(again.seq.load(Ordering::Relaxed) > sink.seq.load(Ordering::Relaxed) - 1);
        again.completed(&a, Step::Create, None).unwrap();
        again.failed(&b, Step::Upgrade, "boom", None).unwrap();
        let (_, open) = file.replay(&State::new("l")).unwrap();
        assert_eq!(in_flight_from(&open).len(), 1);
    }
}
