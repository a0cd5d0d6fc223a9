//! The apply journal: an append-only log of what an apply intends, has started, and has finished,
//! so a killed run can be resumed without creating a second cluster or forgetting one it made.
//!
//! The executor writes, per resource: `Intent` before it calls the cloud, `Started` as soon as the
//! cloud answers with an object id or job (before waiting on it), `Checkpoint`s as an upgrade
//! moves through its hops and steps, then `Completed` (the resource's new state, or `None` when
//! deleted) or `Failed`. A `Completed` record *is* the state write for that resource: persisting
//! one change costs one small append, not a rewrite of the whole state. The state file catches up
//! on compaction (`StateStore::write`), which drops every settled record and keeps the ones still
//! in flight.
//!
//! [`replay`] folds a journal onto the last written state: completed changes applied, and the
//! actions that were intended or started but never settled returned as [`InFlight`], with the last
//! operation and checkpoint known, for the executor to re-attach to or adopt.

mod file;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use clusterform_model::{Action, Address, ResourceState, State};
use serde::{Deserialize, Serialize};

use crate::error::StateError;

pub use file::{FileJournal, JOURNAL_FORMAT_VERSION};

/// One journal record. On disk each is one line (see `file.rs` for the line format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    RunStarted {
        run_id: String,
    },
    /// About to act on `address`; written before any cloud call.
    Intent {
        seq: u64,
        address: Address,
        action: Action,
        at: DateTime<Utc>,
    },
    /// The cloud accepted the call: `object_id` and the provider's pending `Operation` (as JSON)
    /// are what a later run needs to poll it again.
    Started {
        seq: u64,
        address: Address,
        op: serde_json::Value,
        object_id: String,
    },
    /// Progress inside a long action (for an upgrade: hop, step and that step's operation).
    Checkpoint {
        address: Address,
        data: serde_json::Value,
    },
    /// The action settled; `resource` is the new recorded state, `None` when the object is gone.
    Completed {
        address: Address,
        #[serde(with = "wire_resource")]
        resource: Option<ResourceState>,
    },
    /// The action settled as a failure (whatever it left behind came first as a `Completed`,
    /// e.g. a tainted resource).
    Failed {
        address: Address,
        message: String,
    },
    RunFinished {
        run_id: String,
    },
}

impl Record {
    /// The resource the record is about, if it is about one.
    pub fn address(&self) -> Option<&Address> {
        match self {
            Record::Intent { address, .. }
            | Record::Started { address, .. }
            | Record::Checkpoint { address, .. }
            | Record::Completed { address, .. }
            | Record::Failed { address, .. } => Some(address),
            Record::RunStarted { .. } | Record::RunFinished { .. } => None,
        }
    }
}

/// An action that was intended or started and never settled: what the executor must re-attach
/// to (a job to poll) or adopt (an object to look up by natural key) before doing anything else.
#[derive(Debug, Clone, PartialEq)]
pub struct InFlight {
    pub address: Address,
    /// The planned action; `None` only if the journal holds a `Started` without its `Intent`.
    pub action: Option<Action>,
    pub seq: Option<u64>,
    /// The run that started it (the last `RunStarted` before its first record).
    pub run_id: Option<String>,
    pub intended_at: Option<DateTime<Utc>>,
    /// The cloud's id, once the cloud answered: the object exists even if nothing else is known.
    pub object_id: Option<String>,
    /// The last pending operation recorded (a provider `Operation` as JSON).
    pub op: Option<serde_json::Value>,
    /// The last checkpoint recorded.
    pub checkpoint: Option<serde_json::Value>,
}

/// Where the journal lives; backends implement it (`FileJournal` for the local backend).
pub trait Journal: Send + Sync {
    /// Appends one record durably: when this returns `Ok`, a crash cannot lose it.
    fn append(&self, record: &Record) -> Result<(), StateError>;

    /// Every whole record, oldest first; a torn last record (a crash mid-append) is left out.
    fn records(&self) -> Result<Vec<Record>, StateError>;

    /// How many records the journal holds: the executor compacts when this passes its threshold.
    fn record_count(&self) -> Result<usize, StateError> {
        Ok(self.records()?.len())
    }

    /// The journal folded onto a copy of `state`; see [`replay`].
    fn replay(&self, state: &State) -> Result<(State, Vec<InFlight>), StateError> {
        Ok(replay(state, &self.records()?))
    }

    /// The journal folded onto `state` itself, which is not copied; see [`replay_onto`].
    fn replay_onto(&self, state: State) -> Result<(State, Vec<InFlight>), StateError> {
        Ok(replay_onto(state, &self.records()?))
    }
}

/// Applies the `Completed` records to a copy of `state` and returns it with the actions still in
/// flight at the end of the journal, in the order they were first intended. The serial is left
/// as it was: the caller bumps it when it writes the result.
pub fn replay(state: &State, records: &[Record]) -> (State, Vec<InFlight>) {
    replay_onto(state.clone(), records)
}

/// [`replay`] onto `state` itself: a caller that owns the state it read saves a copy of it (tens
/// of MB for a large stack), whatever the journal holds.
pub fn replay_onto(state: State, records: &[Record]) -> (State, Vec<InFlight>) {
    let mut out = state;
    let tracker = Tracker::walk(records, |address, resource| match resource {
        Some(r) => {
            out.resources.insert(address.clone(), r.clone());
        }
        None => {
            out.resources.remove(address);
        }
    });
    (
        out,
        tracker
            .in_flight()
            .into_iter()
            .map(|e| e.info.clone())
            .collect(),
    )
}

/// The indices of the records a compaction keeps: every record of an action still in flight,
/// and the `RunStarted` of each run such an action belongs to, in their original order.
pub(crate) fn unsettled(records: &[Record]) -> Vec<usize> {
    let tracker = Tracker::walk(records, |_, _| {});
    let mut keep: Vec<usize> = Vec::new();
    for entry in tracker.in_flight() {
        keep.extend(&entry.records);
        keep.extend(entry.run_record);
    }
    keep.sort_unstable();
    keep.dedup();
    keep
}

/// One unsettled action while walking the journal.
struct Entry {
    info: InFlight,
    /// Indices of its records since it was last settled; the first gives its place in the order.
    records: Vec<usize>,
    run_record: Option<usize>,
}

/// Walks records, keeping the unsettled actions.
struct Tracker {
    entries: HashMap<Address, Entry>,
}

impl Tracker {
    fn walk(
        records: &[Record],
        mut on_completed: impl FnMut(&Address, Option<&ResourceState>),
    ) -> Tracker {
        let mut t = Tracker {
            entries: HashMap::new(),
        };
        let mut run: Option<(usize, &str)> = None;
        for (i, record) in records.iter().enumerate() {
            match record {
                Record::RunStarted { run_id } => run = Some((i, run_id)),
                Record::RunFinished { .. } => {}
                Record::Intent {
                    seq,
                    address,
                    action,
                    at,
                } => {
                    // A later intent for an action still in flight (a resumed run re-attaching)
                    // keeps the object id, operation and checkpoint already known: forgetting
                    // them could leave an object in the cloud that nothing records.
                    let e = t.entry(address, i, run);
                    e.info.action = Some(*action);
                    e.info.seq = Some(*seq);
                    e.info.intended_at = Some(*at);
                }
                Record::Started {
                    seq,
                    address,
                    op,
                    object_id,
                } => {
                    let e = t.entry(address, i, run);
                    e.info.seq = Some(*seq);
                    e.info.op = Some(op.clone());
                    e.info.object_id = Some(object_id.clone());
                }
                Record::Checkpoint { address, data } => {
                    t.entry(address, i, run).info.checkpoint = Some(data.clone());
                }
                Record::Completed { address, resource } => {
                    on_completed(address, resource.as_ref());
                    t.entries.remove(address);
                }
                Record::Failed { address, .. } => {
                    t.entries.remove(address);
                }
            }
        }
        t
    }

    fn entry(&mut self, address: &Address, index: usize, run: Option<(usize, &str)>) -> &mut Entry {
        let e = self
            .entries
            .entry(address.clone())
            .or_insert_with(|| Entry {
                info: InFlight {
                    address: address.clone(),
                    action: None,
                    seq: None,
                    run_id: run.map(|(_, id)| id.to_string()),
                    intended_at: None,
                    object_id: None,
                    op: None,
                    checkpoint: None,
                },
                records: Vec::new(),
                run_record: run.map(|(i, _)| i),
            });
        e.records.push(index);
        e
    }

    /// The unsettled actions in the order they first appeared.
    fn in_flight(&self) -> Vec<&Entry> {
        let mut out: Vec<&Entry> = self.entries.values().collect();
        out.sort_by_key(|e| e.records.first().copied().unwrap_or(usize::MAX));
        out
    }
}

/// `Completed.resource` is written exactly as the state file writes a resource, so the journal
/// and the state file share one versioned resource encoding.
mod wire_resource {
    use clusterform_model::ResourceState;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::format::{resource_to_wire, Origin, ResourceV1};

    pub fn serialize<S: Serializer>(r: &Option<ResourceState>, s: S) -> Result<S::Ok, S::Error> {
        r.as_ref().map(resource_to_wire).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ResourceState>, D::Error> {
        let wire = Option::<ResourceV1>::deserialize(d)?;
        wire.map(|w| w.into_model(&Origin::named("journal")))
            .transpose()
            .map_err(serde::de::Error::custom)
    }
}

/// Also home of the record builders other modules' tests use.
#[cfg(test)]
pub(crate) mod tests;
