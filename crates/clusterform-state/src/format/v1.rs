//! State format 1, the current one: wire types and their hand-written conversions to the model.
//!
//! ```json
//! { "format_version": 1, "lineage": "…", "serial": 7,
//!   "resources": [ { "address": "t.n[\"k\"]", "provider": "huawei", "id": "…",
//!                    "attributes": { … }, "dependencies": [ … ], "tainted": true, "private": … } ],
//!   "outputs": { "name": { "value": …, "sensitive": false } },
//!   "clusterform_version": "0.1.0" }
//! ```
//! `dependencies`, `tainted`, `private` and `sensitive_attrs` are left out when empty, false and
//! null, so a file without sensitive attributes is byte-for-byte what earlier builds wrote.
//! Unknown fields are refused rather than dropped: a field this build does not know could only
//! come from a newer writer, and rewriting the file would lose it.

use std::collections::BTreeMap;

use clusterform_model::{Address, Attrs, OutputState, ResourceState, State, Value};
use serde::{Deserialize, Serialize};

use super::{bad_content, Origin};
use crate::error::StateError;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StateFileV1 {
    pub format_version: u64,
    pub lineage: String,
    pub serial: u64,
    pub resources: Vec<ResourceV1>,
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputV1>,
    /// The clusterform that wrote the file; informational only (it is not read back).
    #[serde(default)]
    pub clusterform_version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResourceV1 {
    pub address: String,
    pub provider: String,
    pub id: String,
    /// Read and written as plain JSON straight into the model's values (`Value`'s serde form is
    /// the JSON the file holds), so decoding builds no `serde_json::Value` tree to convert.
    pub attributes: Attrs,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub tainted: bool,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub private: serde_json::Value,
    /// Attributes holding a digest of a sensitive value (see `ResourceState::sensitive_attrs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_attrs: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OutputV1 {
    pub value: Value,
    #[serde(default)]
    pub sensitive: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl StateFileV1 {
    pub(crate) fn from_model(state: &State, writer: &str) -> Self {
        StateFileV1 {
            format_version: 1,
            lineage: state.lineage.clone(),
            serial: state.serial,
            resources: state
                .resources
                .values()
                .map(ResourceV1::from_model)
                .collect(),
            outputs: state
                .outputs
                .iter()
                .map(|(name, o)| {
                    (
                        name.clone(),
                        OutputV1 {
                            value: o.value.clone(),
                            sensitive: o.sensitive,
                        },
                    )
                })
                .collect(),
            clusterform_version: writer.to_string(),
        }
    }
}

impl ResourceV1 {
    pub(crate) fn from_model(r: &ResourceState) -> Self {
        ResourceV1 {
            address: r.address.to_string(),
            provider: r.provider.clone(),
            id: r.id.clone(),
            attributes: r.attributes.clone(),
            dependencies: r.dependencies.iter().map(Address::to_string).collect(),
            tainted: r.tainted,
            private: r.private.clone(),
            sensitive_attrs: r.sensitive_attrs.clone(),
        }
    }

    /// Converts to the model, moving every string and value; `origin` names the file in errors.
    pub(crate) fn into_model(self, origin: &Origin) -> Result<ResourceState, StateError> {
        let address = parse_address(origin, &self.address, "resource address")?;
        let dependencies = self
            .dependencies
            .iter()
            .map(|d| parse_address(origin, d, &format!("dependency of {address}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ResourceState {
            address,
            provider: self.provider,
            id: self.id,
            attributes: self.attributes,
            dependencies,
            tainted: self.tainted,
            private: self.private,
            sensitive_attrs: self.sensitive_attrs,
        })
    }
}

fn parse_address(origin: &Origin, text: &str, what: &str) -> Result<Address, StateError> {
    text.parse()
        .map_err(|e| bad_content(origin, format!("an invalid {what}: {e}")))
}

pub(super) fn into_model(file: StateFileV1, origin: &Origin) -> Result<State, StateError> {
    let mut state = State::new(file.lineage);
    state.serial = file.serial;
    // `encode` writes resources in address order. While they come in that order (strictly
    // increasing, so none twice) they are collected and the map is built in one go at the end,
    // with full nodes: inserted one at a time it would be left about half empty (megabytes for
    // a large stack). Records out of order (a hand-edited file) are inserted one by one.
    let mut in_order: Vec<(Address, ResourceState)> = Vec::with_capacity(file.resources.len());
    let mut inserted: Option<BTreeMap<Address, ResourceState>> = None;
    for wire in file.resources {
        let r = wire.into_model(origin)?;
        let address = r.address.clone();
        if inserted.is_none() && in_order.last().is_none_or(|(last, _)| *last < address) {
            in_order.push((address, r));
            continue;
        }
        let map =
            inserted.get_or_insert_with(|| std::mem::take(&mut in_order).into_iter().collect());
        if let Some(twice) = map.insert(address, r) {
            // Two records of one address cannot both be true; keeping either would silently
            // forget an object in the cloud.
            let address = twice.address;
            return Err(bad_content(origin, format!("resource {address} twice")));
        }
    }
    state.resources = match inserted {
        Some(map) => map,
        None => in_order.into_iter().collect(),
    };
    state.outputs = file
        .outputs
        .into_iter()
        .map(|(name, o)| {
            (
                name,
                OutputState {
                    value: o.value,
                    sensitive: o.sensitive,
                },
            )
        })
        .collect();
    Ok(state)
}
