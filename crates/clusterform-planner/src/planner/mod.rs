//! The planning walk: evaluates every selected instance in dependency order, decides its action
//! and disruption from the schema-driven diff, and assembles the deterministic `Plan`.

mod resource;

pub use resource::disruption;
use resource::{merge_names, prevent_destroy_error, sensitive_attrs, with_config_sensitive};

use std::collections::{HashMap, HashSet};

use clusterform_config::{Config, ResourceConfig, Schemas, Span};
use clusterform_model::{
    Action, Address, AttrChange, Attrs, Change, DefaultHooks, Disruption, Mode, Plan, PlanHooks,
    PlanMode, ResourceSchema, ResourceState, Severity, Value, PLAN_FORMAT_VERSION,
};
use petgraph::graph::NodeIndex;
use petgraph::Direction;

use crate::diff;
use crate::error::{PlanError, PlanErrorKind, PlanErrors};
use crate::eval::PlannedValues;
use crate::graph::{dependency_graph, DepGraph};
use crate::outputs::evaluate_outputs;
use crate::{PlanInput, REASON_NOT_IN_CONFIG};

static DEFAULT_HOOKS: DefaultHooks = DefaultHooks;

/// Plans the changes that bring the refreshed state to the config (or, in destroy mode, delete
/// everything recorded). Returns every error found, not just the first.
pub fn plan(input: &PlanInput) -> Result<Plan, PlanErrors> {
    let graph = dependency_graph(input.config, input.refreshed)?;
    let order = graph.order()?;
    let reverse = graph.reverse_order()?;
    let mut w = Walk::new(input, &graph);
    let selected = w.selection();
    let is_selected = |n: &NodeIndex| selected.as_ref().is_none_or(|s| s.contains(n));

    match input.options.mode {
        PlanMode::Normal => {
            w.check_replace_flags();
            for n in order.iter().filter(|n| is_selected(n)) {
                w.plan_node(*n);
            }
        }
        PlanMode::Destroy => {
            for n in reverse.iter().filter(|n| is_selected(n)) {
                w.plan_destroy(*n);
            }
        }
    }

    let outputs = evaluate_outputs(input.config, input.refreshed, &w.values, input.options.mode);
    // A managed change's `after` is moved out of the planned values rather than copied twice
    // during the walk.
    for c in w.changes.iter_mut() {
        if c.action != Action::Delete && c.after.is_none() {
            c.after = w.values.take(&c.address);
        }
    }
    let changes = in_plan_order(std::mem::take(&mut w.changes), &w.walked, &order, &reverse);
    let prior = input.prior;
    let mut plan = Plan {
        format_version: PLAN_FORMAT_VERSION,
        mode: input.options.mode,
        config_sha256: input.config.sha256.clone(),
        // A state never written (serial 0, nothing in it) has no history to check against yet.
        lineage: if prior.serial == 0 && prior.resources.is_empty() {
            None
        } else {
            Some(prior.lineage.clone())
        },
        serial: prior.serial,
        changes,
        outputs,
        fingerprints: input.fingerprints.clone(),
        warnings: std::mem::take(&mut w.warnings),
        targets: input.options.targets.clone(),
    };
    let mut errors = std::mem::take(&mut w.errors);
    for hooks in input.hooks.values() {
        for issue in hooks.check(&plan) {
            match issue.severity {
                Severity::Error => {
                    let span = issue
                        .address
                        .as_ref()
                        .and_then(|a| span_of(input.config, a));
                    errors.push(
                        PlanError {
                            kind: PlanErrorKind::Check,
                            address: issue.address,
                            message: issue.message,
                            hint: issue.hint,
                            span: None,
                        }
                        .at(span),
                    )
                }
                Severity::Warning => {
                    let mut text = match &issue.address {
                        Some(a) => format!("{a}: {}", issue.message),
                        None => issue.message,
                    };
                    if let Some(h) = issue.hint {
                        text.push_str("\nhint: ");
                        text.push_str(&h);
                    }
                    plan.warnings.push(text);
                }
            }
        }
    }
    PlanErrors::check(errors)?;
    Ok(plan)
}

/// State of one planning walk.
struct Walk<'a, 'g> {
    input: &'a PlanInput<'a>,
    graph: &'g DepGraph,
    configs: HashMap<&'a Address, &'a ResourceConfig>,
    values: PlannedValues,
    /// Changes in the order they were planned, with their nodes in `walked`: a `Vec` sized once
    /// and put in plan order in place, as a map of large `Change`s and a second `Vec` to sort
    /// them into showed up in the peak memory of big plans.
    changes: Vec<Change>,
    walked: Vec<NodeIndex>,
    errors: Vec<PlanError>,
    warnings: Vec<String>,
}

impl<'a, 'g> Walk<'a, 'g> {
    fn new(input: &'a PlanInput<'a>, graph: &'g DepGraph) -> Self {
        let cfg = input.config;
        let configs: HashMap<&Address, &ResourceConfig> = cfg
            .resources
            .iter()
            .chain(&cfg.data)
            .map(|r| (&r.address, r))
            .collect();
        let values = PlannedValues::new(configs.keys().copied());
        Walk {
            input,
            graph,
            configs,
            values,
            changes: Vec::with_capacity(graph.len()),
            walked: Vec::with_capacity(graph.len()),
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The nodes `--target` selects with their dependencies (or dependents when destroying);
    /// `None` when there are no targets.
    fn selection(&mut self) -> Option<HashSet<NodeIndex>> {
        let opts = self.input.options;
        if opts.targets.is_empty() {
            return None;
        }
        let dir = match opts.mode {
            PlanMode::Normal => Direction::Incoming,
            PlanMode::Destroy => Direction::Outgoing,
        };
        let mut start = Vec::new();
        for t in &opts.targets {
            let found = self.graph.select(t);
            if found.is_empty() {
                self.errors.push(no_match("--target", t, self.input.config));
            }
            start.extend(found);
        }
        Some(self.graph.closure(&start, dir))
    }

    fn check_replace_flags(&mut self) {
        for r in &self.input.options.replace {
            if self.graph.select(r).is_empty() {
                self.errors
                    .push(no_match("--replace", r, self.input.config));
            }
        }
    }

    /// Each node is planned once, so each gets at most one change.
    fn record(&mut self, n: NodeIndex, change: Change) {
        self.changes.push(change);
        self.walked.push(n);
    }

    fn schema(&self, provider: &str, addr: &Address) -> Option<&'a ResourceSchema> {
        let schemas: &'a Schemas = self.input.schemas;
        let p = schemas.get(provider)?;
        match addr.mode {
            Mode::Managed => p.resources.get(&addr.type_name),
            Mode::Data => p.data_sources.get(&addr.type_name),
        }
    }

    fn hooks(&self, provider: &str) -> &'a dyn PlanHooks {
        self.input
            .hooks
            .get(provider)
            .copied()
            .unwrap_or(&DEFAULT_HOOKS)
    }

    fn plan_node(&mut self, n: NodeIndex) {
        let addr = self.graph.address(n);
        match self.configs.get(addr).copied() {
            Some(rc) => self.plan_config(n, rc),
            None => {
                if let Some(rs) = self
                    .input
                    .refreshed
                    .get(addr)
                    .filter(|r| r.address.mode == Mode::Managed)
                {
                    // An instance whose block is still declared (only its key left `for_each`)
                    // keeps the block's protection.
                    if let Some((lifecycle, span)) = self.input.config.governing(addr) {
                        if lifecycle.prevent_destroy {
                            let what = "delete: it is no longer in the config";
                            self.errors
                                .push(prevent_destroy_error(addr, what).at(Some(span)));
                        }
                    }
                    let change = self.delete_change(rs, Some(REASON_NOT_IN_CONFIG));
                    self.record(n, change);
                }
            }
        }
    }

    fn plan_destroy(&mut self, n: NodeIndex) {
        let addr = self.graph.address(n);
        let Some(rs) = self
            .input
            .refreshed
            .get(addr)
            .filter(|r| r.address.mode == Mode::Managed)
        else {
            return;
        };
        let change = self.delete_change(rs, None);
        if let Some((lifecycle, span)) = self.input.config.governing(addr) {
            if lifecycle.prevent_destroy {
                self.errors
                    .push(prevent_destroy_error(addr, "destroy").at(Some(span)));
            }
        }
        self.record(n, change);
    }

    fn delete_change(&self, rs: &ResourceState, reason: Option<&str>) -> Change {
        let schema = self.schema(&rs.provider, &rs.address);
        Change {
            address: rs.address.clone(),
            provider: rs.provider.clone(),
            action: Action::Delete,
            disruption: Disruption::Destroy,
            before: Some(rs.attributes.clone()),
            after: None,
            id: Some(rs.id.clone()),
            attr_changes: Vec::new(),
            reason: reason.map(str::to_string),
            create_before_destroy: false,
            upgrade: Vec::new(),
            drift: self.drift_of(&rs.address, schema),
            depends_on: self.graph.dependencies(&rs.address),
            timeouts: schema
                .map(|s| s.default_timeouts.clone())
                .unwrap_or_default(),
            // The schema's, and those state recorded as digests, so no form of the plan prints
            // the recorded values of either.
            sensitive_attrs: merge_names(
                schema.map(sensitive_attrs).unwrap_or_default(),
                &rs.sensitive_attrs,
            ),
        }
    }

    fn drift_of(&self, addr: &Address, schema: Option<&ResourceSchema>) -> Vec<AttrChange> {
        match (self.input.prior.get(addr), self.input.refreshed.get(addr)) {
            (Some(p), Some(r)) => diff::drift(schema, &p.attributes, &r.attributes),
            (Some(p), None) => diff::drift(schema, &p.attributes, &Attrs::new()),
            _ => Vec::new(),
        }
    }

    /// Evaluates the config's attribute expressions; a reference that cannot be resolved is an
    /// error and evaluates to `Unknown` so planning goes on.
    fn desired(&mut self, rc: &ResourceConfig) -> Attrs {
        let mut out = Attrs::new();
        for (k, e) in &rc.attrs {
            let v = match self.values.eval(&e.value) {
                Ok(v) => v,
                Err(missing) => {
                    self.errors.push(
                        PlanError::new(
                            PlanErrorKind::UnknownAddress,
                            Some(rc.address.clone()),
                            format!(
                                "attribute `{k}` refers to `{missing}`, which has no planned value"
                            ),
                        )
                        .at(Some(&e.span)
                            .filter(|s| **s != Span::default())
                            .or(Some(&rc.span))),
                    );
                    Value::Unknown
                }
            };
            out.insert(k.clone(), v);
        }
        out
    }

    fn plan_config(&mut self, n: NodeIndex, rc: &'a ResourceConfig) {
        let addr = &rc.address;
        let Some(schema) = self.schema(&rc.provider, addr) else {
            self.errors.push(
                PlanError::new(
                    PlanErrorKind::UnknownType,
                    Some(addr.clone()),
                    format!(
                        "provider `{}` has no schema for `{}`",
                        rc.provider, addr.type_name
                    ),
                )
                .with_hint("check the type name and that the provider is configured")
                .at(Some(&rc.span)),
            );
            self.values.insert_unknown(addr.clone());
            return;
        };
        let desired = self.desired(rc);
        let mut change = Change {
            address: addr.clone(),
            provider: rc.provider.clone(),
            action: Action::NoOp,
            disruption: Disruption::None,
            before: None,
            after: None,
            id: None,
            attr_changes: Vec::new(),
            reason: None,
            create_before_destroy: rc.lifecycle.create_before_destroy,
            upgrade: Vec::new(),
            drift: Vec::new(),
            depends_on: self.graph.dependencies(addr),
            timeouts: {
                let mut t = schema.default_timeouts.clone();
                t.extend(rc.timeouts.iter().map(|(k, v)| (k.clone(), *v)));
                t
            },
            sensitive_attrs: with_config_sensitive(sensitive_attrs(schema), rc),
        };
        if addr.mode == Mode::Data {
            self.plan_read(rc, schema, desired, &mut change);
        } else {
            self.plan_managed(rc, schema, &desired, &mut change);
        }
        self.record(n, change);
    }
}

/// Where the config declares `addr` (or the block it belongs to), for errors about it.
fn span_of<'c>(config: &'c Config, addr: &Address) -> Option<&'c Span> {
    if let Some((_, span)) = config.governing(addr) {
        return Some(span);
    }
    config
        .resources
        .iter()
        .chain(&config.data)
        .find(|r| {
            r.address.mode == addr.mode
                && r.address.type_name == addr.type_name
                && r.address.name == addr.name
        })
        .map(|r| &r.span)
}

/// A `--target` or `--replace` address that selects nothing; it points at the block when the
/// config declares the block but not the instance.
fn no_match(flag: &str, addr: &Address, config: &Config) -> PlanError {
    PlanError::new(
        PlanErrorKind::UnknownAddress,
        Some(addr.clone()),
        format!("{flag} matches no resource in the config or state"),
    )
    .with_hint("check the address with `clusterform state list`")
    .at(span_of(config, addr))
}

/// Creates, updates and reads in dependency order, then deletes dependents first: `changes`
/// (planned at the nodes `walked`) rearranged in place.
fn in_plan_order(
    mut changes: Vec<Change>,
    walked: &[NodeIndex],
    order: &[NodeIndex],
    reverse: &[NodeIndex],
) -> Vec<Change> {
    let position = |list: &[NodeIndex]| {
        let mut pos = vec![usize::MAX; list.len()];
        for (i, n) in list.iter().enumerate() {
            if let Some(p) = pos.get_mut(n.index()) {
                *p = i;
            }
        }
        pos
    };
    let (in_order, in_reverse) = (position(order), position(reverse));
    let mut keys: Vec<(bool, usize, usize)> = changes
        .iter()
        .zip(walked)
        .enumerate()
        .map(|(i, (c, n))| {
            let delete = c.action == Action::Delete;
            let list = if delete { &in_reverse } else { &in_order };
            (
                delete,
                list.get(n.index()).copied().unwrap_or(usize::MAX),
                i,
            )
        })
        .collect();
    keys.sort_unstable();
    let source: Vec<usize> = keys.into_iter().map(|(_, _, i)| i).collect();
    permute(&mut changes, source);
    changes
}

/// Rearranges `items` so that item `i` is the one that was at `source[i]` (a permutation), by
/// following its cycles with swaps.
fn permute<T>(items: &mut [T], mut source: Vec<usize>) {
    for start in 0..source.len() {
        let mut here = start;
        loop {
            let from = source[here];
            source[here] = here;
            if from == start || from == here {
                break;
            }
            items.swap(here, from);
            here = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::permute;

    #[test]
    fn permute_follows_cycles() {
        let mut items = vec!['a', 'b', 'c', 'd', 'e'];
        permute(&mut items, vec![2, 0, 1, 3, 4]);
        assert_eq!(items, ['c', 'a', 'b', 'd', 'e']);
        let mut items = vec![1, 2, 3, 4];
        permute(&mut items, vec![3, 2, 1, 0]);
        assert_eq!(items, [4, 3, 2, 1]);
        let mut empty: Vec<u8> = Vec::new();
        permute(&mut empty, Vec::new());
        assert!(empty.is_empty());
    }
}
