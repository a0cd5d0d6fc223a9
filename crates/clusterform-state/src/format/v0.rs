//! State format 0, the pre-release format, and its upgrade to format 1.
//!
//! Format 0 kept resources in an object keyed by address, had no taint flag, no provider-private
//! data and did not name its writer:
//!
//! ```json
//! { "format_version": 0, "lineage": "…", "serial": 3,
//!   "resources": { "t.n": { "provider": "huawei", "id": "…", "attributes": { … },
//!                            "dependencies": [ … ] } },
//!   "outputs": { "name": { "value": …, "sensitive": false } } }
//! ```
//! It stays readable so that old stacks upgrade on their next write; it is never written.

use std::collections::BTreeMap;

use clusterform_model::{Attrs, Value};
use serde::Deserialize;

use super::v1::{OutputV1, ResourceV1, StateFileV1};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StateFileV0 {
    /// Already dispatched on (always 0 here); named so `deny_unknown_fields` accepts it.
    #[serde(rename = "format_version")]
    _format_version: u64,
    lineage: String,
    serial: u64,
    resources: BTreeMap<String, ResourceV0>,
    #[serde(default)]
    outputs: BTreeMap<String, OutputV0>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceV0 {
    provider: String,
    id: String,
    attributes: Attrs,
    #[serde(default)]
    dependencies: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutputV0 {
    value: Value,
    #[serde(default)]
    sensitive: bool,
}

/// v0 → v1: the address moves from the key into the record, nothing was tainted (format 0 could
/// not say so), and there was no provider-private data. The writer is unknown.
pub(super) fn upgrade_v0(old: StateFileV0) -> StateFileV1 {
    StateFileV1 {
        format_version: 1,
        lineage: old.lineage,
        serial: old.serial,
        resources: old
            .resources
            .into_iter()
            .map(|(address, r)| ResourceV1 {
                address,
                provider: r.provider,
                id: r.id,
                attributes: r.attributes,
                dependencies: r.dependencies,
                tainted: false,
                private: serde_json::Value::Null,
                sensitive_attrs: Vec::new(),
            })
            .collect(),
        outputs: old
            .outputs
            .into_iter()
            .map(|(name, o)| {
                (
                    name,
                    OutputV1 {
                        value: o.value,
                        sensitive: o.sensitive,
                    },
                )
            })
            .collect(),
        clusterform_version: String::new(),
    }
}
