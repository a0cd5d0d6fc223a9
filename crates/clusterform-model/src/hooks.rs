//! Plan-time hooks: the synchronous, IO-free questions the planner asks a provider (value
//! normalisation, upgrade-hop expansion, cross-resource checks). Providers answer them from data
//! they fetched during refresh, so the planner itself stays pure.

use crate::address::Address;
use crate::plan::{Plan, UpgradeHop};
use crate::value::{Attrs, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// A finding of a plan-time check (quota, version compatibility, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanIssue {
    pub severity: Severity,
    /// The resource the finding is about, if one.
    pub address: Option<Address>,
    pub message: String,
    pub hint: Option<String>,
}

pub trait PlanHooks: Send + Sync {
    /// Whether the desired (config) value and the recorded value of an attribute mean the same
    /// thing, e.g. `v1.28` against `v1.28.3-r0`. Default: plain equality.
    fn equivalent(&self, _type_name: &str, _attr: &str, desired: &Value, recorded: &Value) -> bool {
        desired == recorded
    }

    /// Expands a change of the version attribute into hops with their steps. An `Err` is a plan
    /// error (a downgrade, or no upgrade path reaches the target) with the message to show.
    fn upgrade_hops(
        &self,
        _type_name: &str,
        _address: &Address,
        from: &Value,
        to: &Value,
        _recorded: &Attrs,
    ) -> Result<Vec<UpgradeHop>, String> {
        let as_text = |v: &Value| {
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string())
        };
        Ok(vec![UpgradeHop {
            from: as_text(from),
            to: as_text(to),
            steps: Vec::new(),
            estimated_seconds: None,
            precheck: None,
        }])
    }

    /// Cross-resource checks over the finished plan (quota against planned creates, add-on
    /// versions against cluster versions, ...).
    fn check(&self, _plan: &Plan) -> Vec<PlanIssue> {
        Vec::new()
    }
}

/// Hooks with every default: plain equality, single-hop upgrades, no checks.
#[derive(Debug, Default, Clone, Copy)]
pub struct DefaultHooks;

impl PlanHooks for DefaultHooks {}
