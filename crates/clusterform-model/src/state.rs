//! Recorded state: what clusterform believes exists. The on-disk format and its versions live in
//! `clusterform-state`; this is the in-memory model.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

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
    /// Attributes whose value came from something sensitive (a sensitive variable, another
    /// object's sensitive attribute). In a persisted state each holds only its
    /// [`sensitive_digest`], so the planner can tell a changed secret from an unchanged one
    /// without the secret being stored; plans never print them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_attrs: Vec<String>,
}

impl ResourceState {
    /// Replaces the value of every attribute named in `sensitive_attrs` by [`seal_value`] of it
    /// keyed with `lineage`. Idempotent: a sealed value seals to itself.
    pub fn seal(&mut self, lineage: &str) {
        for name in &self.sensitive_attrs {
            if let Some(v) = self.attributes.get_mut(name) {
                *v = seal_value(lineage, v);
            }
        }
    }
}

/// What state keeps of a sensitive value: a map keeps its keys (written in the config, not
/// secret) with each value sealed in turn, so a provider can still read back just the keys the
/// user set and the planner can compare key by key; `null` stays `null`; anything else becomes
/// its [`sensitive_digest`]. A digest is left as it is.
pub fn seal_value(lineage: &str, value: &Value) -> Value {
    match value {
        Value::Map(m) => Value::Map(
            m.iter()
                .map(|(k, v)| (k.clone(), seal_value(lineage, v)))
                .collect(),
        ),
        Value::Null => Value::Null,
        v if is_digest(v) => v.clone(),
        v => Value::String(sensitive_digest(lineage, v)),
    }
}

/// How a digested sensitive value starts in state.
pub const SENSITIVE_DIGEST_PREFIX: &str = "sensitive:hmac-sha256:";

/// The digest that stands for a sensitive value in state: HMAC-SHA256 keyed with the stack's
/// lineage over the value's JSON text, as `sensitive:hmac-sha256:<hex>`. Keyed, so equal secrets
/// in two stacks do not give equal digests; deterministic, so the planner can compare a desired
/// value with what was recorded.
pub fn sensitive_digest(lineage: &str, value: &Value) -> String {
    // HMAC accepts keys of any length, so this cannot fail; the fallback still never yields
    // the value itself.
    let hex = match Hmac::<Sha256>::new_from_slice(lineage.as_bytes()) {
        Ok(mut mac) => {
            mac.update(value.to_json().to_string().as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    };
    format!("{SENSITIVE_DIGEST_PREFIX}{hex}")
}

/// Whether `value` is a digest written by [`sensitive_digest`].
pub fn is_digest(value: &Value) -> bool {
    matches!(value, Value::String(s) if s.starts_with(SENSITIVE_DIGEST_PREFIX))
}

/// Whether `value` holds a digest anywhere (alone, inside a string, a list or a map): what a
/// reference to a digested attribute evaluates to, which must never be sent to a cloud.
pub fn contains_digest(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains(SENSITIVE_DIGEST_PREFIX),
        Value::List(l) => l.iter().any(contains_digest),
        Value::Map(m) => m.values().any(contains_digest),
        _ => false,
    }
}

/// A recorded output value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputState {
    /// The value; `Null` for a sensitive output, whose value is never stored (a marker:
    /// `clusterform output NAME` evaluates it again from the config, variables and state).
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

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(attrs: &[(&str, Value)], sensitive: &[&str]) -> ResourceState {
        ResourceState {
            address: Address::managed("t", "x"),
            provider: "p".into(),
            id: "id-1".into(),
            attributes: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            dependencies: vec![],
            tainted: false,
            private: serde_json::Value::Null,
            sensitive_attrs: sensitive.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn digests_are_keyed_by_lineage_and_deterministic() {
        let secret = Value::str("hunter2");
        let a = sensitive_digest("lineage-a", &secret);
        assert_eq!(a, sensitive_digest("lineage-a", &secret));
        assert_ne!(a, sensitive_digest("lineage-b", &secret));
        assert_ne!(a, sensitive_digest("lineage-a", &Value::str("hunter3")));
        assert!(a.starts_with(SENSITIVE_DIGEST_PREFIX));
        assert_eq!(a.len(), SENSITIVE_DIGEST_PREFIX.len() + 64);
        assert!(!a.contains("hunter2"));
        assert!(is_digest(&Value::String(a.clone())));
        assert!(!is_digest(&secret));
    }

    #[test]
    fn seal_digests_only_the_named_attributes_once_keeping_map_keys() {
        let secret_map = Value::Map(
            [
                ("replicas".to_string(), Value::Int(2)),
                ("token".to_string(), Value::str("hunter2")),
                ("unset".to_string(), Value::Null),
            ]
            .into(),
        );
        let mut r = resource(
            &[
                ("name", Value::str("prod")),
                ("description", Value::str("hunter2")),
                ("values", secret_map),
            ],
            &["description", "values", "absent"],
        );
        r.seal("l");
        let digest = |v: Value| Value::String(sensitive_digest("l", &v));
        assert_eq!(r.attributes["description"], digest(Value::str("hunter2")));
        assert_eq!(
            r.attributes["values"],
            Value::Map(
                [
                    ("replicas".to_string(), digest(Value::Int(2))),
                    ("token".to_string(), digest(Value::str("hunter2"))),
                    ("unset".to_string(), Value::Null),
                ]
                .into()
            )
        );
        assert_eq!(r.attributes["name"], Value::str("prod"));
        assert!(!r.attributes.contains_key("absent"));
        // Sealing again does not digest the digests.
        let once = r.clone();
        r.seal("l");
        assert_eq!(r, once);
    }

    #[test]
    fn contains_digest_looks_inside_strings_lists_and_maps() {
        let d = sensitive_digest("l", &Value::str("s"));
        assert!(contains_digest(&Value::String(format!("pre-{d}"))));
        assert!(contains_digest(&Value::List(vec![
            Value::Int(1),
            Value::String(d.clone())
        ])));
        assert!(contains_digest(&Value::Map(
            [("k".to_string(), Value::String(d))].into_iter().collect()
        )));
        assert!(!contains_digest(&Value::str("plain")));
    }

    #[test]
    fn sensitive_attrs_are_left_out_when_empty() {
        let r = resource(&[], &[]);
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains("sensitive_attrs"), "{json}");
        let back: ResourceState = serde_json::from_str(&json).unwrap();
        assert!(back.sensitive_attrs.is_empty());
    }
}
