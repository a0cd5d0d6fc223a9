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
    /// Default: one hop, refusing a downgrade when both versions read as numbers (`v1.9` <
    /// `v1.10`), since a provider without its own hooks cannot carry one out either.
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
        let (from, to) = (as_text(from), as_text(to));
        if is_downgrade(&from, &to) {
            return Err(format!("downgrade from {from} to {to} is not supported"));
        }
        Ok(vec![UpgradeHop {
            from,
            to,
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

/// Hooks with every default: plain equality, single-hop upgrades (downgrades refused), no checks.
#[derive(Debug, Default, Clone, Copy)]
pub struct DefaultHooks;

impl PlanHooks for DefaultHooks {}

/// The numeric parts of a version: `v1.28.3-r0` → `[1, 28, 3]`. Reading stops at the first part
/// that does not start with a digit; `None` when not even the first part does.
fn version_numbers(v: &str) -> Option<Vec<u64>> {
    let v = v.trim();
    let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
    let mut out = Vec::new();
    for part in v.split('.') {
        let digits: &str = part
            .find(|c: char| !c.is_ascii_digit())
            .map_or(part, |end| &part[..end]);
        let Ok(n) = digits.parse::<u64>() else { break };
        out.push(n);
        if digits.len() != part.len() {
            // A suffix such as `3-r0` ends the numeric part.
            break;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Whether `to` is numerically lower than `from`. Versions that agree on every part both have
/// (`v1.28` against `v1.28.3`) are not ordered, so that is no downgrade; neither is anything that
/// does not read as a version.
pub fn is_downgrade(from: &str, to: &str) -> bool {
    let (Some(f), Some(t)) = (version_numbers(from), version_numbers(to)) else {
        return false;
    };
    f.iter()
        .zip(&t)
        .find(|(a, b)| a != b)
        .is_some_and(|(a, b)| b < a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hops(from: &str, to: &str) -> Result<Vec<UpgradeHop>, String> {
        let a = Address::managed("t", "a");
        DefaultHooks.upgrade_hops("t", &a, &Value::str(from), &Value::str(to), &Attrs::new())
    }

    #[test]
    fn default_hooks_plan_one_hop_upwards() {
        let h = hops("v1.9", "v1.10").unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!((h[0].from.as_str(), h[0].to.as_str()), ("v1.9", "v1.10"));
        assert!(h[0].steps.is_empty());
        assert_eq!(hops("1.30.33", "1.31.0").unwrap().len(), 1);
    }

    #[test]
    fn default_hooks_refuse_downgrades_compared_numerically() {
        assert_eq!(
            hops("v1.10", "v1.9").unwrap_err(),
            "downgrade from v1.10 to v1.9 is not supported"
        );
        assert!(hops("v1.28.3-r0", "v1.27").is_err());
        assert!(hops("2.0.0", "1.99.99").is_err());
    }

    #[test]
    fn version_order() {
        assert_eq!(version_numbers("v1.28.3-r0"), Some(vec![1, 28, 3]));
        assert_eq!(version_numbers("V2"), Some(vec![2]));
        assert_eq!(version_numbers("latest"), None);
        assert!(!is_downgrade("v1.28.3-r0", "v1.28"));
        assert!(!is_downgrade("v1.28", "v1.28.3"));
        assert!(!is_downgrade("latest", "v1.2"));
        assert!(!is_downgrade("v1.2", "stable"));
        assert!(is_downgrade("v1.28.4", "v1.28.3"));
    }
}
