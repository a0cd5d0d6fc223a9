//! `apply`: walks the plan's step graph with at most `parallelism` steps at once (a `Semaphore`
//! and a `JoinSet`), each provider within its rate budget; a failure skips only what depends on
//! it; a first cancel stops starting steps and lets running ones checkpoint, a second returns at
//! once. Resumes from the journal's in-flight list.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use clusterform_model::{Action, Address, Attrs, Plan, ResourceSchema, State};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::action::{self, Ctx, Job, Outcome};
use crate::cancel::{reached, CancelLevel, CancelToken};
use crate::events::{Events, NoEvents};
use crate::graph::{self, Node, Source};
use crate::journal::{ApplySink, InFlight, Step};
use crate::poll::PollOptions;
use crate::rate::Budgets;
use crate::resolve::{PlannedValues, Resolve};
use crate::retry::RetryOptions;
use crate::Providers;

/// How to apply.
#[derive(Clone)]
pub struct ApplyOptions {
    /// Steps running at once (`--parallelism`, default 10).
    pub parallelism: usize,
    /// Rate budgets per provider (with `rate_limit` overrides); share with refresh.
    pub budgets: Budgets,
    pub cancel: CancelToken,
    pub events: Arc<dyn Events>,
    /// Fills in values known only after apply; the CLI re-evaluates config references.
    pub resolver: Arc<dyn Resolve>,
    /// Steps an interrupted run left in flight (`clusterform_executor::replay` of its journal).
    pub in_flight: Vec<InFlight>,
    pub retry: RetryOptions,
    pub poll: PollOptions,
    /// Timeouts per step kind (`create`, `update`, `upgrade`, `delete`, `read`) in seconds, used
    /// when neither the change nor the resource schema sets one.
    pub default_timeouts: BTreeMap<String, u64>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            parallelism: 10,
            budgets: Budgets::default(),
            cancel: CancelToken::new(),
            events: Arc::new(NoEvents),
            resolver: Arc::new(PlannedValues),
            in_flight: Vec::new(),
            retry: RetryOptions::default(),
            poll: PollOptions::default(),
            default_timeouts: [
                ("create", 3600),
                ("update", 1800),
                ("upgrade", 7200),
                ("delete", 1800),
                ("read", 300),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        }
    }
}

/// A step that failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub address: Address,
    pub step: Step,
    pub message: String,
}

/// What an apply did. Addresses appear in plan order, each in one list.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyReport {
    pub done: Vec<Address>,
    pub failed: Vec<Failure>,
    /// Not attempted because something they depend on failed.
    pub skipped: Vec<Address>,
    /// Stopped by cancellation while running; the journal holds them for the next run.
    pub interrupted: Vec<Address>,
    /// Not started because of cancellation or a journal failure.
    pub not_started: Vec<Address>,
    pub cancelled: bool,
    /// Set when a journal write failed and the apply stopped starting steps.
    pub halted: Option<String>,
    /// The state after apply (also persisted step by step through the sink).
    pub state: State,
    /// Results of data sources read during apply.
    pub data: BTreeMap<Address, Attrs>,
    /// In-flight steps from an interrupted run that this plan has nothing to do with and whose
    /// address is not in state (e.g. a create whose resource left the config): the object may
    /// exist in the cloud unrecorded, so they stay in the journal for a person to look at.
    pub unresolved: Vec<InFlight>,
}

impl ApplyReport {
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
            && self.skipped.is_empty()
            && self.interrupted.is_empty()
            && self.not_started.is_empty()
            && !self.cancelled
            && self.halted.is_none()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("the plan's dependency graph has a cycle through {}", list(addresses))]
    Cycle { addresses: Vec<Address> },
}

fn list(a: &[Address]) -> String {
    a.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum NodeStatus {
    Done,
    Waiting,
    Running,
    NotStarted,
    Skipped,
    Interrupted,
    Failed,
}

/// Applies `plan` to `state`. Returns `Err` only when nothing could start (a cyclic plan);
/// every per-resource problem is in the report.
pub async fn apply(
    plan: &Plan,
    state: State,
    providers: &Providers,
    sink: Arc<dyn ApplySink>,
    opts: ApplyOptions,
) -> Result<ApplyReport, ApplyError> {
    let in_flight = with_deposed(&opts.in_flight, &state);
    let nodes = graph::build(plan, &in_flight).map_err(|c| ApplyError::Cycle { addresses: c.0 })?;
    let ctx = Arc::new(Ctx {
        sink: sink.clone(),
        events: opts.events.clone(),
        retry: opts.retry,
        poll: opts.poll.clone(),
        cancel: opts.cancel.clone(),
    });
    let mut run = Run {
        plan,
        providers,
        opts: &opts,
        in_flight,
        ctx,
        status: vec![NodeStatus::Waiting; nodes.len()],
        waiting_on: nodes.iter().map(|n| n.deps.len()).collect(),
        nodes,
        state,
        failures: Vec::new(),
        data: BTreeMap::new(),
        halted: None,
        unresolved: Vec::new(),
        ready: VecDeque::new(),
    };
    run.settle_stale();
    run.skip_finished_halves();
    run.ready = (0..run.nodes.len()).filter(|&i| run.is_ready(i)).collect();
    run.walk().await;
    Ok(run.report())
}

struct Run<'a> {
    plan: &'a Plan,
    providers: &'a Providers,
    opts: &'a ApplyOptions,
    /// The journal's in-flight steps plus deletions of deposed objects noted in state.
    in_flight: Vec<InFlight>,
    ctx: Arc<Ctx>,
    nodes: Vec<Node>,
    status: Vec<NodeStatus>,
    waiting_on: Vec<usize>,
    state: State,
    failures: Vec<(usize, String)>,
    data: BTreeMap<Address, Attrs>,
    halted: Option<String>,
    unresolved: Vec<InFlight>,
    ready: VecDeque<usize>,
}

impl Run<'_> {
    fn is_ready(&self, i: usize) -> bool {
        self.status.get(i) == Some(&NodeStatus::Waiting) && self.waiting_on.get(i) == Some(&0)
    }

    fn in_flight(&self, address: &Address, step: Step) -> Option<&InFlight> {
        self.in_flight
            .iter()
            .find(|f| &f.address == address && f.step == step)
    }

    /// In-flight steps the plan has no step for (refresh showed them finished, e.g. an upgrade
    /// that completed while the engine was down): their address's refreshed state settles them.
    fn settle_stale(&mut self) {
        let stale: Vec<InFlight> = self
            .in_flight
            .iter()
            .filter(|f| {
                !self
                    .nodes
                    .iter()
                    .any(|n| n.address == f.address && n.step == f.step)
            })
            .cloned()
            .collect();
        for f in stale {
            match self.state.get(&f.address) {
                Some(rs) => {
                    if let Err(e) = self.ctx.sink.completed(&f.address, f.step, Some(rs)) {
                        self.halted.get_or_insert(e.to_string());
                    }
                }
                None => self.unresolved.push(f),
            }
        }
    }

    /// A replace interrupted in its second half has finished its first: only the second is in
    /// flight (for a create-before-destroy, the old object is noted in the new one's state).
    fn skip_finished_halves(&mut self) {
        for i in 0..self.nodes.len() {
            let Some(n) = self.nodes.get(i) else { continue };
            let Source::Change(ci) = n.source else {
                continue;
            };
            let replace = self
                .plan
                .changes
                .get(ci)
                .filter(|c| c.action == Action::Replace);
            let Some(c) = replace else { continue };
            let later = match (c.create_before_destroy, n.step) {
                (false, Step::Delete) => Step::Create,
                (true, Step::Create) => Step::DeleteDeposed,
                _ => continue,
            };
            if self.in_flight(&n.address, n.step).is_none()
                && self.in_flight(&n.address, later).is_some()
            {
                self.finish(i, NodeStatus::Done);
            }
        }
    }

    fn finish(&mut self, i: usize, status: NodeStatus) {
        if let Some(s) = self.status.get_mut(i) {
            *s = status;
        }
        let dependents = self
            .nodes
            .get(i)
            .map(|n| n.dependents.clone())
            .unwrap_or_default();
        match status {
            NodeStatus::Done => {
                for d in dependents {
                    if let Some(w) = self.waiting_on.get_mut(d) {
                        *w = w.saturating_sub(1);
                    }
                    if self.is_ready(d) {
                        self.ready.push_back(d);
                    }
                }
            }
            NodeStatus::Failed | NodeStatus::Skipped => {
                let cause = self.nodes.get(i).map(|n| n.address.clone());
                for d in dependents {
                    if self.status.get(d) == Some(&NodeStatus::Waiting) {
                        if let (Some(n), Some(c)) = (self.nodes.get(d), &cause) {
                            self.opts.events.skipped(&n.address, c);
                        }
                        self.finish(d, NodeStatus::Skipped);
                    }
                }
            }
            _ => {}
        }
    }

    async fn walk(&mut self) {
        let permits = Arc::new(Semaphore::new(self.opts.parallelism.max(1)));
        let mut set: JoinSet<(usize, Outcome)> = JoinSet::new();
        let mut running: BTreeMap<tokio::task::Id, usize> = BTreeMap::new();
        loop {
            if self.opts.cancel.level() == CancelLevel::None && self.halted.is_none() {
                while !self.ready.is_empty() {
                    let Ok(permit) = permits.clone().try_acquire_owned() else {
                        break;
                    };
                    let Some(i) = self.ready.pop_front() else {
                        break;
                    };
                    match self.prepare(i) {
                        Ok((job, bucket)) => {
                            if let Some(s) = self.status.get_mut(i) {
                                *s = NodeStatus::Running;
                            }
                            let ctx = self.ctx.clone();
                            let handle = set.spawn(async move {
                                let _permit = permit;
                                (i, action::run(ctx, bucket, job).await)
                            });
                            running.insert(handle.id(), i);
                        }
                        Err(message) => self.fail(i, message),
                    }
                }
            }
            if set.is_empty() {
                break;
            }
            let hard = self.opts.cancel.level() == CancelLevel::Immediate;
            tokio::select! {
                joined = set.join_next_with_id(), if !hard => match joined {
                    Some(Ok((id, (i, outcome)))) => {
                        running.remove(&id);
                        self.settle(i, outcome);
                    }
                    Some(Err(e)) => {
                        if let Some(i) = running.remove(&e.id()) {
                            self.fail(i, format!("internal error: the step's task ended abnormally: {e}"));
                        }
                    }
                    None => break,
                },
                _ = reached(self.opts.cancel.subscribe(), CancelLevel::Immediate), if !hard => {}
                // Second cancel: stop waiting; the journal keeps every started operation.
                _ = std::future::ready(()), if hard => {
                    set.abort_all();
                    for i in running.into_values() {
                        if let Some(s) = self.status.get_mut(i) {
                            *s = NodeStatus::Interrupted;
                        }
                    }
                    break;
                }
            }
        }
    }

    fn fail(&mut self, i: usize, message: String) {
        self.failures.push((i, message));
        self.finish(i, NodeStatus::Failed);
    }

    fn settle(&mut self, i: usize, outcome: Outcome) {
        let Some(node) = self.nodes.get(i) else {
            return;
        };
        let (address, step) = (node.address.clone(), node.step);
        match outcome {
            Outcome::Done { resource, data } => {
                match (step, resource) {
                    (Step::Delete, _) => {
                        self.state.resources.remove(&address);
                    }
                    (
                        Step::Create | Step::Update | Step::Upgrade | Step::DeleteDeposed,
                        Some(rs),
                    ) => {
                        self.state.resources.insert(address.clone(), rs);
                    }
                    _ => {}
                }
                if let Some(d) = data {
                    self.data.insert(address, d);
                }
                self.finish(i, NodeStatus::Done);
            }
            Outcome::Failed {
                message,
                resource,
                halt,
            } => {
                if let Some(rs) = resource {
                    self.state.resources.insert(address, rs);
                }
                if halt && self.halted.is_none() {
                    self.halted = Some(message.clone());
                }
                self.fail(i, message);
            }
            Outcome::Interrupted => self.finish(i, NodeStatus::Interrupted),
        }
    }

    /// Builds the job of node `i` from the plan and the state as it stands now.
    fn prepare(&self, i: usize) -> Result<(Job, Arc<crate::rate::TokenBucket>), String> {
        let node = self.nodes.get(i).ok_or("internal error: no such node")?;
        let (step, address) = (node.step, node.address.clone());
        let resume = self.in_flight(&address, step).cloned();
        let (provider_name, action, change) = match node.source {
            Source::Change(ci) => {
                let c = self
                    .plan
                    .changes
                    .get(ci)
                    .ok_or("internal error: no such change")?;
                (c.provider.clone(), c.action, Some(c))
            }
            Source::Orphan(fi) => {
                let f = self
                    .opts
                    .in_flight
                    .get(fi)
                    .ok_or("internal error: no such in-flight step")?;
                (f.provider.clone(), f.action, None)
            }
        };
        let provider = self
            .providers
            .get(&provider_name)
            .cloned()
            .ok_or_else(|| format!("provider `{provider_name}` is not configured"))?;
        let schema: Option<ResourceSchema> = match step {
            Step::Read => provider
                .data_source(&address.type_name)
                .map(|d| d.schema().clone()),
            _ => provider
                .resource(&address.type_name)
                .map(|r| r.schema().clone()),
        };
        let current = self.state.get(&address);
        let mut job = Job {
            address,
            provider_name: provider_name.clone(),
            provider: provider.clone(),
            action,
            step,
            desired: Attrs::new(),
            recorded: Attrs::new(),
            object_id: None,
            hops: Vec::new(),
            update_after_upgrade: false,
            depends_on: Vec::new(),
            sensitive_attrs: Vec::new(),
            lineage: self.state.lineage.clone(),
            current: (step == Step::DeleteDeposed)
                .then(|| current.cloned())
                .flatten(),
            resume,
            deposed: None,
            timeout: Duration::ZERO,
        };
        let key = step.timeout_key();
        let mut timeout = schema
            .as_ref()
            .and_then(|s| s.default_timeouts.get(key).copied());
        match change {
            Some(c) => {
                job.depends_on = c.depends_on.clone();
                job.sensitive_attrs = c.sensitive_attrs.clone();
                timeout = c.timeouts.get(key).copied().or(timeout);
                if matches!(
                    step,
                    Step::Create | Step::Update | Step::Upgrade | Step::Read
                ) {
                    job.desired = self
                        .opts
                        .resolver
                        .resolve(c, schema.as_ref(), &self.state)?;
                }
                let old = (c.id.clone(), c.before.clone());
                let now = (
                    current.map(|r| r.id.clone()),
                    current.map(|r| r.attributes.clone()),
                );
                // The object a step acts on: a replace's delete half removes the planned
                // (old) object; anything else acts on what the state holds now.
                let (id, recorded) = match (step, action) {
                    (Step::Create | Step::Read, _) => (None, None),
                    (Step::DeleteDeposed, _) | (Step::Delete, Action::Replace) => old,
                    _ => (now.0.or(old.0), now.1.or(old.1)),
                };
                job.object_id = id;
                job.recorded = recorded.unwrap_or_default();
                if step == Step::Upgrade {
                    job.hops = c.upgrade.clone();
                    let version = schema
                        .as_ref()
                        .and_then(|s| s.version_attr())
                        .map(|a| a.name.as_str());
                    job.update_after_upgrade = c.attr_changes.iter().any(|ac| {
                        let root = ac.path.split('.').next().unwrap_or_default();
                        Some(root) != version
                    });
                }
                if step == Step::Create && c.action == Action::Replace && c.create_before_destroy {
                    job.deposed =
                        c.id.clone()
                            .map(|id| (id, c.before.clone().unwrap_or_default()));
                }
            }
            None => {
                let f = job.resume.as_ref();
                job.object_id = f.and_then(|f| f.object_id.clone());
                job.recorded = f.and_then(|f| f.attrs.clone()).unwrap_or_default();
            }
        }
        let fallback = self.opts.default_timeouts.get(key).copied().unwrap_or(3600);
        job.timeout = Duration::from_secs(timeout.unwrap_or(fallback));
        let bucket = self
            .opts
            .budgets
            .bucket(&provider_name, provider.rate_limit());
        Ok((job, bucket))
    }

    fn report(self) -> ApplyReport {
        let cancelled = self.opts.cancel.level() != CancelLevel::None;
        // One status per address: the worst of its steps.
        let mut by_addr: BTreeMap<&Address, (usize, NodeStatus)> = BTreeMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let mut s = self
                .status
                .get(i)
                .copied()
                .unwrap_or(NodeStatus::NotStarted);
            if s == NodeStatus::Waiting {
                s = NodeStatus::NotStarted;
            }
            let e = by_addr.entry(&n.address).or_insert((i, s));
            e.1 = e.1.max(s);
            e.0 = e.0.min(i);
        }
        let mut ordered: Vec<(usize, &Address, NodeStatus)> =
            by_addr.into_iter().map(|(a, (i, s))| (i, a, s)).collect();
        ordered.sort();
        let pick = |want: NodeStatus| -> Vec<Address> {
            ordered
                .iter()
                .filter(|(_, _, s)| *s == want)
                .map(|(_, a, _)| (*a).clone())
                .collect()
        };
        let failed = self
            .failures
            .iter()
            .filter_map(|(i, m)| {
                self.nodes.get(*i).map(|n| Failure {
                    address: n.address.clone(),
                    step: n.step,
                    message: m.clone(),
                })
            })
            .collect();
        ApplyReport {
            done: pick(NodeStatus::Done),
            failed,
            skipped: pick(NodeStatus::Skipped),
            interrupted: pick(NodeStatus::Interrupted),
            not_started: pick(NodeStatus::NotStarted),
            cancelled,
            halted: self.halted,
            state: self.state,
            data: self.data,
            unresolved: self.unresolved,
        }
    }
}

/// `in_flight` plus a deletion for every deposed object noted in state (a create-before-destroy
/// whose new object was recorded but whose old one was not yet deleted when the run stopped).
fn with_deposed(in_flight: &[InFlight], state: &State) -> Vec<InFlight> {
    let mut out = in_flight.to_vec();
    for rs in state.resources.values() {
        let Some(note) = rs.private.get(crate::action::DEPOSED) else {
            continue;
        };
        let known = out
            .iter()
            .any(|f| f.address == rs.address && f.step == Step::DeleteDeposed);
        let id = note.get("id").and_then(|v| v.as_str());
        if let (false, Some(id)) = (known, id) {
            out.push(InFlight {
                address: rs.address.clone(),
                provider: rs.provider.clone(),
                action: Action::Replace,
                step: Step::DeleteDeposed,
                object_id: Some(id.to_string()),
                op: None,
                checkpoint: None,
                attrs: note
                    .get("attrs")
                    .and_then(|a| serde_json::from_value(a.clone()).ok()),
            });
        }
    }
    out
}
