//! Resource and provider schemas: which attributes exist, their types, and how a change to each
//! is carried out (in place, force-new, or upgrade). Providers hand these to config and planner as data.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::value::Value;

/// The type of an attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "of")]
pub enum AttrType {
    String,
    Int,
    Float,
    Bool,
    List(Box<AttrType>),
    Map(Box<AttrType>),
    /// Any JSON-like value (e.g. add-on `values`).
    Any,
}

impl AttrType {
    /// Whether `v` fits this type. `Unknown` fits everything; ints fit floats.
    pub fn accepts(&self, v: &Value) -> bool {
        match (self, v) {
            (_, Value::Unknown) | (AttrType::Any, _) | (_, Value::Null) => true,
            (AttrType::String, Value::String(_))
            | (AttrType::Int, Value::Int(_))
            | (AttrType::Float, Value::Float(_) | Value::Int(_))
            | (AttrType::Bool, Value::Bool(_)) => true,
            (AttrType::List(t), Value::List(l)) => l.iter().all(|x| t.accepts(x)),
            (AttrType::Map(t), Value::Map(m)) => m.values().all(|x| t.accepts(x)),
            _ => false,
        }
    }

    /// The name used in diagnostics: `string`, `list(string)`, `map(any)`.
    pub fn describe(&self) -> String {
        match self {
            AttrType::String => "string".into(),
            AttrType::Int => "int".into(),
            AttrType::Float => "number".into(),
            AttrType::Bool => "bool".into(),
            AttrType::List(t) => format!("list({})", t.describe()),
            AttrType::Map(t) => format!("map({})", t.describe()),
            AttrType::Any => "any".into(),
        }
    }
}

/// Who sets an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// The config must set it.
    Required,
    /// The config may set it; if unset it is null.
    Optional,
    /// The config may set it; if unset the cloud chooses and the value read back is not a diff.
    OptionalComputed,
    /// Only the cloud sets it; the config may not.
    Computed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttrSchema {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: AttrType,
    pub presence: Presence,
    /// A change needs a new object (replace).
    #[serde(default)]
    pub force_new: bool,
    /// This attribute is the object's version: a change is an upgrade, carried out by the provider.
    #[serde(default)]
    pub version: bool,
    /// Never shown in plans or logs.
    #[serde(default)]
    pub sensitive: bool,
    /// Used only on create; later changes are not diffs (e.g. `install_addons`).
    #[serde(default)]
    pub create_only: bool,
    /// Kept in state for later calls (e.g. delete options) but a change is not a diff.
    #[serde(default)]
    pub no_diff: bool,
    #[serde(default)]
    pub description: String,
}

impl AttrSchema {
    fn new(name: &str, ty: AttrType, presence: Presence) -> Self {
        AttrSchema {
            name: name.to_string(),
            ty,
            presence,
            force_new: false,
            version: false,
            sensitive: false,
            create_only: false,
            no_diff: false,
            description: String::new(),
        }
    }
    pub fn required(name: &str, ty: AttrType) -> Self {
        Self::new(name, ty, Presence::Required)
    }
    pub fn optional(name: &str, ty: AttrType) -> Self {
        Self::new(name, ty, Presence::Optional)
    }
    pub fn optional_computed(name: &str, ty: AttrType) -> Self {
        Self::new(name, ty, Presence::OptionalComputed)
    }
    pub fn computed(name: &str, ty: AttrType) -> Self {
        Self::new(name, ty, Presence::Computed)
    }
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }
    pub fn version(mut self) -> Self {
        self.version = true;
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub fn create_only(mut self) -> Self {
        self.create_only = true;
        self
    }
    pub fn no_diff(mut self) -> Self {
        self.no_diff = true;
        self
    }
    pub fn describe(mut self, d: &str) -> Self {
        self.description = d.to_string();
        self
    }
    /// Whether the config may set this attribute.
    pub fn settable(&self) -> bool {
        self.presence != Presence::Computed
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemaKind {
    Managed,
    Data,
}

/// The schema of one resource type or data source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceSchema {
    pub type_name: String,
    pub kind: SchemaKind,
    pub attributes: Vec<AttrSchema>,
    /// Noun for the object a replace creates, shown as "replace: a new <noun>" (e.g. "cluster").
    #[serde(default)]
    pub noun: String,
    /// A replace of this type is blocked unless allowed (`lifecycle.allow_replace` or `--allow-replace`).
    #[serde(default)]
    pub guard_replace: bool,
    /// The whole result must never be stored in state (e.g. a kubeconfig data source).
    #[serde(default)]
    pub sensitive: bool,
    /// Default timeouts per action (`create`, `update`, `upgrade`, `delete`), in seconds.
    #[serde(default)]
    pub default_timeouts: BTreeMap<String, u64>,
    #[serde(default)]
    pub description: String,
}

impl ResourceSchema {
    pub fn new(type_name: &str, kind: SchemaKind, attributes: Vec<AttrSchema>) -> Self {
        ResourceSchema {
            type_name: type_name.to_string(),
            kind,
            attributes,
            noun: String::new(),
            guard_replace: false,
            sensitive: false,
            default_timeouts: BTreeMap::new(),
            description: String::new(),
        }
    }

    pub fn attr(&self, name: &str) -> Option<&AttrSchema> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The attribute marked as the version (a change plans an upgrade), if any.
    pub fn version_attr(&self) -> Option<&AttrSchema> {
        self.attributes.iter().find(|a| a.version)
    }
}

/// Everything a provider declares: its own settings and its resource types and data sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderSchema {
    pub name: String,
    /// Attributes of the `[providers.NAME]` block.
    pub config: Vec<AttrSchema>,
    pub resources: BTreeMap<String, ResourceSchema>,
    pub data_sources: BTreeMap<String, ResourceSchema>,
}

impl ProviderSchema {
    /// Which provider owns a resource type: the prefix before the first `_` (e.g. `huawei`).
    pub fn provider_of(type_name: &str) -> &str {
        type_name.split('_').next().unwrap_or(type_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_acceptance() {
        let t = AttrType::Map(Box::new(AttrType::String));
        let mut m = BTreeMap::new();
        m.insert("a".into(), Value::str("x"));
        assert!(t.accepts(&Value::Map(m.clone())));
        m.insert("b".into(), Value::Int(1));
        assert!(!t.accepts(&Value::Map(m)));
        assert!(AttrType::Float.accepts(&Value::Int(1)));
        assert!(!AttrType::Int.accepts(&Value::str("1")));
        assert_eq!(
            AttrType::List(Box::new(AttrType::String)).describe(),
            "list(string)"
        );
    }
}
