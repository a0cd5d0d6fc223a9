//! Recorded state: what clusterform believes exists. The on-disk format and its versions live in
//! `clusterform-state`; this is the in-memory model.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::value::{Attrs, Value};

/// The identity of one stack's history (a UUID). A state from another lineage is another stack.
pub type Lineage = String;

/// One recorded resource instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    pub address: Address,
    /// The provider name (e.g. `huawei`).
    pub provider: String,
    /// The cloud's id of the object.
    pub id: String,
    /// Attributes as last read or written; never holds `Unknown` or sensitive data-source results.
    pub attributes: Attrs,
    /// Addresses this resource depended on when it was applied (for delete ordering once its
    /// config is gone).
    #[serde(default)]
    pub dependencies: Vec<Address>,
    /// The object is known to be half-made (e.g. create failed after the cloud accepted it) and will
    /// be replaced by the next apply.
    #[serde(default)]
    pub tainted: bool,
    /// Provider-private data (e.g. the cloud's fingerprint fields); not shown in plans.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub private: serde_json::Value,
}

/// A recorded output value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputState {
    pub value: Value,
    #[serde(default)]
    pub sensitive: bool,
}

/// The whole recorded state of one stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub lineage: Lineage,
    /// Bumped on every write.
    pub serial: u64,
    pub resources: BTreeMap<Address, ResourceState>,
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputState>,
}

impl State {
    /// An empty state with a fresh lineage (the caller supplies the UUID: the model does no IO or
    /// randomness).
    pub fn new(lineage: impl Into<String>) -> Self {
        State {
            lineage: lineage.into(),
            serial: 0,
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
        }
    }

    pub fn get(&self, addr: &Address) -> Option<&ResourceState> {
        self.resources.get(addr)
    }

    /// Every recorded instance of a resource block (`t.n`, `t.n["a"]`, ...).
    pub fn instances_of<'a>(
        &'a self,
        block: &'a Address,
    ) -> impl Iterator<Item = &'a ResourceState> + 'a {
        self.resources
            .values()
            .filter(move |r| r.address.matches(block))
    }
}
