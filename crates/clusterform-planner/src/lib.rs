//! Pure planner: config and refreshed state to a dependency graph and a `Plan`, plus the plan's
//! renderings (human text, JSON, Markdown) and the `graph` command's DOT output.
//!
//! Nothing here does IO or is async: the executor refreshes state and reads data sources first,
//! then hands everything to [`plan`]. Every problem found is returned at once in [`PlanErrors`].

mod diff;
pub mod dot;
mod error;
mod eval;
mod graph;
mod outputs;
mod planner;
pub mod render;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_places;
#[cfg(test)]
mod tests_rules;
#[cfg(test)]
mod tests_sensitive;

use std::collections::BTreeMap;

use clusterform_config::{Config, Schemas};
use clusterform_model::{Address, Attrs, PlanHooks, PlanMode, State};

pub use dot::{graph_dot, GraphKind};
pub use error::{PlanError, PlanErrorKind, PlanErrors};
pub use eval::PlannedValues;
pub use graph::{config_dependencies, dependency_graph, DepGraph, GraphNode};
pub use outputs::evaluate_outputs;
pub use planner::{disruption, plan};

/// `Change.reason` of a resource in state whose config is gone.
pub const REASON_NOT_IN_CONFIG: &str = "not in config";
/// `Change.reason` of a replace forced by a tainted state entry.
pub const REASON_TAINTED: &str = "tainted";
/// `Change.reason` of a replace asked for with `--replace ADDR`.
pub const REASON_REPLACE_FLAG: &str = "--replace";
/// `Change.reason` of a create whose object refresh found gone.
pub const REASON_GONE: &str = "deleted outside clusterform";
/// `Change.reason` of a data-source read that must wait for apply.
pub const REASON_READ_DURING_APPLY: &str =
    "read during apply: its arguments are known only after apply";

/// What the user asked for besides the config: `destroy`, `--target`, `--replace`,
/// `--allow-replace`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanOptions {
    pub mode: PlanMode,
    /// Limit the plan to these instances (or blocks) and what they depend on (in destroy mode:
    /// what depends on them).
    pub targets: Vec<Address>,
    /// Replace these instances (or blocks) even if nothing forces it. This also counts as allowing
    /// the replace of a guarded type, since the user named the resource explicitly.
    pub replace: Vec<Address>,
    /// Allow a replace of these guarded instances (e.g. clusters).
    pub allow_replace: Vec<Address>,
}

/// Plan-time hooks by provider name. A provider missing from the map gets [`DefaultHooks`]
/// (plain equality, single-hop upgrades refusing downgrades, no checks). A map rather than a
/// closure keeps the lifetimes simple: build it as
/// `providers.iter().map(|p| (p.name().to_string(), p.hooks())).collect()`.
///
/// [`DefaultHooks`]: clusterform_model::DefaultHooks
pub type HookMap<'a> = BTreeMap<String, &'a dyn PlanHooks>;

/// Everything one planning run reads.
#[derive(Clone, Copy)]
pub struct PlanInput<'a> {
    pub config: &'a Config,
    /// Recorded state before refresh (for drift and for the plan's lineage and serial).
    pub prior: &'a State,
    /// State after refresh (the same as `prior` with `--refresh=false`); objects refresh found gone
    /// are absent.
    pub refreshed: &'a State,
    /// Data-source results read during refresh; an absent entry is known only after apply.
    pub data: &'a BTreeMap<Address, Attrs>,
    pub schemas: &'a Schemas,
    pub hooks: &'a HookMap<'a>,
    /// Per-object fingerprints read from the cloud, copied into the plan for apply to re-verify.
    pub fingerprints: &'a BTreeMap<Address, String>,
    pub options: &'a PlanOptions,
}
