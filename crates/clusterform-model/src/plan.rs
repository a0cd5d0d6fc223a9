//! Plans are data: one `Change` per resource instance with its `Action`, its disruption class and
//! the attribute diffs, plus what a saved plan needs to be checked against state and cloud later.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::value::{Attrs, Value};

/// Version of the saved-plan and JSON-plan format. Bump on any incompatible change.
pub const PLAN_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    NoOp,
    Create,
    Read,
    Update,
    Upgrade,
    Replace,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::NoOp => "no-op",
            Action::Create => "create",
            Action::Read => "read",
            Action::Update => "update",
            Action::Upgrade => "upgrade",
            Action::Replace => "replace",
            Action::Delete => "delete",
        }
    }

    /// Whether applying this action changes anything in the cloud.
    pub fn is_change(self) -> bool {
        !matches!(self, Action::NoOp | Action::Read)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much a change disturbs what runs on the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Disruption {
    /// Nothing changes.
    None,
    /// Changed in place without disruption.
    InPlace,
    /// A rolling upgrade carried out by the cloud.
    Rolling,
    /// A new object replaces the old one.
    Replace,
    /// The object is destroyed.
    Destroy,
}

impl Disruption {
    pub fn as_str(self) -> &'static str {
        match self {
            Disruption::None => "none",
            Disruption::InPlace => "in-place",
            Disruption::Rolling => "rolling",
            Disruption::Replace => "replace",
            Disruption::Destroy => "destroy",
        }
    }
}

/// One attribute's difference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttrChange {
    /// Attribute name, or `name.key` for one key of a map attribute.
    pub path: String,
    /// `None` when the attribute (or map key) is being added.
    pub before: Option<Value>,
    /// `None` when the attribute (or map key) is being removed.
    pub after: Option<Value>,
    #[serde(default)]
    pub sensitive: bool,
    /// This difference forces a new object.
    #[serde(default)]
    pub forces_replace: bool,
}

/// One step of an upgrade hop, as the provider names it (e.g. `precheck`, `snapshot`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradeStep {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// One hop along the cloud's upgrade paths (e.g. v1.28 → v1.29) with its steps in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradeHop {
    pub from: String,
    pub to: String,
    pub steps: Vec<UpgradeStep>,
    /// The provider's estimate of how long the hop takes, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_seconds: Option<u64>,
    /// Result of a plan-time pre-check, if one ran (`plan --precheck`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precheck: Option<String>,
}

/// The planned change of one resource instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub address: Address,
    pub provider: String,
    pub action: Action,
    pub disruption: Disruption,
    /// Recorded (refreshed) attributes; `None` for create and read.
    pub before: Option<Attrs>,
    /// Desired attributes after apply (with `Unknown` where known only then); `None` for delete.
    /// Sensitive values are replaced by `Value::Null` in saved plans and re-read from config at apply.
    pub after: Option<Attrs>,
    /// The object's id in the cloud, when it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Differences that drive the action, in attribute order.
    #[serde(default)]
    pub attr_changes: Vec<AttrChange>,
    /// Why the action was chosen beyond attribute diffs: "not in config", "--replace", "tainted".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Replace by creating the new object first.
    #[serde(default)]
    pub create_before_destroy: bool,
    /// For an upgrade: the hops in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upgrade: Vec<UpgradeHop>,
    /// Differences between recorded and live state found by refresh (changed outside clusterform).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<AttrChange>,
    /// Instances this one depends on (edges of the plan's DAG).
    #[serde(default)]
    pub depends_on: Vec<Address>,
    /// Per-action timeouts in seconds (`create`, `update`, `upgrade`, `delete`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub timeouts: BTreeMap<String, u64>,
    /// Attribute names whose values are sensitive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_attrs: Vec<String>,
}

/// A planned output value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputChange {
    pub name: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub sensitive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum PlanMode {
    #[default]
    Normal,
    Destroy,
}

/// A whole plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub mode: PlanMode,
    /// sha256 of the stack's config files (sorted by path, each as path, NUL, contents, NUL).
    pub config_sha256: String,
    /// Lineage and serial of the state the plan was made against (`None`/0 for no state yet).
    pub lineage: Option<String>,
    pub serial: u64,
    /// Changes in deterministic order (dependency order, then address).
    pub changes: Vec<Change>,
    #[serde(default)]
    pub outputs: Vec<OutputChange>,
    /// Per-object fingerprints read from the cloud at plan time (version, status, update time,
    /// running task), re-verified by apply.
    #[serde(default)]
    pub fingerprints: BTreeMap<Address, String>,
    /// Non-fatal findings (plan-time checks, warnings).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// `--target` addresses the plan was limited to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Address>,
}

/// Counts of actions, as in `Plan: 2 to create, 1 to update, ...`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub upgrade: usize,
    pub replace: usize,
    pub delete: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Upgrade => s.upgrade += 1,
                Action::Replace => s.replace += 1,
                Action::Delete => s.delete += 1,
                Action::NoOp | Action::Read => {}
            }
        }
        s
    }

    /// Whether applying the plan would change anything (resources or outputs).
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action.is_change())
            || self.outputs.iter().any(|o| o.before != o.after)
    }

    pub fn change(&self, addr: &Address) -> Option<&Change> {
        self.changes.iter().find(|c| &c.address == addr)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Plan: {} to create, {} to update, {} to upgrade, {} to replace, {} to delete.",
            self.create, self.update, self.upgrade, self.replace, self.delete
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_line() {
        let s = Summary {
            create: 2,
            update: 1,
            upgrade: 1,
            replace: 0,
            delete: 1,
        };
        assert_eq!(
            s.to_string(),
            "Plan: 2 to create, 1 to update, 1 to upgrade, 0 to replace, 1 to delete."
        );
    }
}
