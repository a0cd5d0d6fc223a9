//! One step of one change against the cloud, with the journal discipline: the intent before the
//! first call, the cloud's answer (id, operation) before waiting, a checkpoint around every
//! upgrade step, the new resource state when done. Also the resume paths: re-attach to a
//! journaled operation, adopt an object through `find`, continue an upgrade at its step.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use clusterform_model::{Action, Address, Attrs, ResourceState, UpgradeHop};
use clusterform_provider::{
    Operation, Provider, ProviderError, ReadResult, ResourceType, Started, StepRequest,
};
use tokio::time::Instant;

use crate::cancel::CancelToken;
use crate::events::Events;
use crate::journal::{ApplySink, Checkpoint, InFlight, Intent, SinkError, Step};
use crate::poll::{wait, wait_journaled, PollOptions, WaitError};
use crate::rate::TokenBucket;
use crate::retry::{CallError, Caller, RetryOptions};

/// Everything one step needs, prepared by the coordinator.
pub(crate) struct Job {
    pub address: Address,
    pub provider_name: String,
    pub provider: Arc<dyn Provider>,
    pub action: Action,
    pub step: Step,
    /// Resolved desired attributes (create, update, upgrade) or data-source arguments (read).
    pub desired: Attrs,
    /// The object's recorded attributes (update, upgrade, delete).
    pub recorded: Attrs,
    pub object_id: Option<String>,
    pub hops: Vec<UpgradeHop>,
    /// An upgrade that also changes other attributes finishes with an update.
    pub update_after_upgrade: bool,
    pub depends_on: Vec<Address>,
    /// Attributes the change marks sensitive: the schema's are dropped from the resource state
    /// this step records, the others sealed, in it and in journaled operations (`seal.rs`).
    pub sensitive_attrs: Vec<String>,
    /// The state's lineage, the key of those digests.
    pub lineage: String,
    /// What the journal says about this step from an interrupted run.
    pub resume: Option<InFlight>,
    /// For the create half of a create-before-destroy: the old object (id, attributes), kept in
    /// the new resource's private data until it is deleted, so no crash can orphan it.
    pub deposed: Option<(String, Attrs)>,
    /// For deleting a deposed object: the address's current resource, to record without it.
    pub current: Option<ResourceState>,
    pub timeout: Duration,
}

/// How a step ended, for the coordinator.
#[derive(Debug)]
pub(crate) enum Outcome {
    Done {
        resource: Option<ResourceState>,
        data: Option<Attrs>,
    },
    /// `resource` is a half-made object recorded as tainted; `halt` means the journal failed.
    Failed {
        message: String,
        resource: Option<ResourceState>,
        halt: bool,
    },
    /// Stopped by a graceful cancel; the journal holds whatever was started.
    Interrupted,
}

/// What every step of one apply shares.
pub(crate) struct Ctx {
    pub sink: Arc<dyn ApplySink>,
    pub events: Arc<dyn Events>,
    pub retry: RetryOptions,
    pub poll: PollOptions,
    pub cancel: CancelToken,
}

enum StepError {
    Interrupted,
    TimedOut(String),
    Failed {
        message: String,
        tainted: Option<Box<ResourceState>>,
    },
    Journal(SinkError),
}

fn failed(message: impl Into<String>) -> StepError {
    StepError::Failed {
        message: message.into(),
        tainted: None,
    }
}

impl From<CallError> for StepError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Provider(e) => failed(e.to_string()),
            CallError::Interrupted => StepError::Interrupted,
            CallError::TimedOut => StepError::TimedOut("timed out".into()),
        }
    }
}

impl From<WaitError> for StepError {
    fn from(e: WaitError) -> Self {
        match e {
            WaitError::Call(CallError::TimedOut) => StepError::TimedOut(
                "timed out waiting for the operation; it may still be running and the next apply re-attaches to it".into(),
            ),
            WaitError::Call(c) => c.into(),
            WaitError::Failed(m) => failed(format!("the cloud reported the operation failed: {m}")),
            WaitError::Journal(m) => failed(format!("failed to journal the operation: {m}")),
        }
    }
}

impl From<SinkError> for StepError {
    fn from(e: SinkError) -> Self {
        StepError::Journal(e)
    }
}

/// Runs one step to its outcome, recording a failure in the journal.
pub(crate) async fn run(ctx: Arc<Ctx>, bucket: Arc<TokenBucket>, job: Job) -> Outcome {
    let begun = Instant::now();
    ctx.events.action_started(&job.address, job.step);
    let caller = Caller {
        bucket,
        retry: ctx.retry,
        events: ctx.events.clone(),
        provider: job.provider_name.clone(),
        address: job.address.clone(),
        cancel: ctx.cancel.subscribe(),
        deadline: begun + job.timeout,
    };
    let w = Worker {
        ctx: &ctx,
        job: &job,
        caller,
    };
    let result = match job.step {
        Step::Create => w.create().await,
        Step::Read => w.read_data().await,
        Step::Update => w.update().await,
        Step::Upgrade => w.upgrade().await,
        Step::Delete | Step::DeleteDeposed => w.delete().await,
    };
    let (a, s) = (&job.address, job.step);
    match result {
        Ok(o) => {
            ctx.events.finished(a, s, begun.elapsed());
            o
        }
        Err(StepError::Interrupted) => Outcome::Interrupted,
        Err(StepError::Journal(e)) => {
            let message = e.to_string();
            ctx.events.failed(a, s, &message);
            Outcome::Failed {
                message,
                resource: None,
                halt: true,
            }
        }
        // A timed-out operation stays in flight in the journal, so the next run re-attaches.
        Err(StepError::TimedOut(m)) => {
            let message = format!("{m} (limit {}s)", job.timeout.as_secs());
            ctx.events.failed(a, s, &message);
            Outcome::Failed {
                message,
                resource: None,
                halt: false,
            }
        }
        Err(StepError::Failed { message, tainted }) => {
            let halt = ctx.sink.failed(a, s, &message, tainted.as_deref()).is_err();
            ctx.events.failed(a, s, &message);
            Outcome::Failed {
                message,
                resource: tainted.map(|b| *b),
                halt,
            }
        }
    }
}

struct Worker<'a> {
    ctx: &'a Ctx,
    job: &'a Job,
    caller: Caller,
}

/// The key in `ResourceState::private` under which the executor notes a deposed object.
pub(crate) const DEPOSED: &str = "clusterform_deposed";

/// Sets or clears the deposed-object note, keeping the provider's own private data.
fn set_deposed(rs: &mut ResourceState, note: Option<serde_json::Value>) {
    let mut map = match std::mem::take(&mut rs.private) {
        serde_json::Value::Object(m) => m,
        serde_json::Value::Null => serde_json::Map::new(),
        other => serde_json::Map::from_iter([("provider".to_string(), other)]),
    };
    match note {
        Some(n) => map.insert(DEPOSED.to_string(), n),
        None => map.remove(DEPOSED),
    };
    rs.private = if map.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::Value::Object(map)
    };
}

/// A stand-in for a step that finished at once, so later steps still see a result for it.
fn finished_at_once(id: &str) -> Operation {
    Operation {
        kind: "done".into(),
        object_id: id.to_string(),
        handle: String::new(),
        data: serde_json::Value::Null,
    }
}

fn step_name(hop: &UpgradeHop, i: usize) -> String {
    hop.steps
        .get(i)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| "upgrade".into())
}

/// (object id, operation to wait on, attributes already known)
type Known = (String, Option<Operation>, Option<Attrs>);

impl<'a> Worker<'a> {
    fn rt(&self) -> Result<&'a dyn ResourceType, StepError> {
        let t = &self.job.address.type_name;
        self.job.provider.resource(t).ok_or_else(|| {
            failed(format!(
                "provider `{}` has no resource type `{t}`",
                self.job.provider_name
            ))
        })
    }

    fn object_id(&self) -> Result<&'a str, StepError> {
        self.job
            .object_id
            .as_deref()
            .ok_or_else(|| failed("no recorded object id to act on"))
    }

    /// Journals the intent, unless this is a resumed step whose intent is already there.
    fn intent(&self) -> Result<(), StepError> {
        if self.job.resume.is_some() {
            return Ok(());
        }
        let deleting = matches!(self.job.step, Step::Delete | Step::DeleteDeposed);
        self.ctx.sink.intent(&Intent {
            address: self.job.address.clone(),
            provider: self.job.provider_name.clone(),
            action: self.job.action,
            step: self.job.step,
            object_id: self.job.object_id.clone(),
            attrs: deleting.then(|| self.job.recorded.clone()),
        })?;
        Ok(())
    }

    fn started(&self, id: &str, op: Option<&Operation>) -> Result<(), StepError> {
        let op = op.map(|o| self.journaled(o));
        Ok(self
            .ctx
            .sink
            .started(&self.job.address, self.job.step, id, op.as_ref())?)
    }

    /// `op` with the sensitive values a provider kept in its data sealed, for the journal.
    fn journaled(&self, op: &Operation) -> Operation {
        let j = self.job;
        crate::seal::journaled_op(op, &j.lineage, &j.sensitive_attrs, &j.desired)
    }

    /// The resource state this step records, sealed: no sensitive value leaves here in clear.
    fn resource(&self, id: String, attrs: Attrs, tainted: bool) -> ResourceState {
        let mut rs = ResourceState {
            address: self.job.address.clone(),
            provider: self.job.provider_name.clone(),
            id,
            attributes: attrs
                .into_iter()
                .filter(|(_, v)| !v.contains_unknown())
                .collect(),
            dependencies: self.job.depends_on.clone(),
            tainted,
            private: serde_json::Value::Null,
            sensitive_attrs: self.job.sensitive_attrs.clone(),
        };
        let schema = self.rt().ok().map(|rt| rt.schema());
        crate::seal::seal(&mut rs, &self.job.lineage, schema);
        rs
    }

    fn completed(&self, resource: Option<ResourceState>) -> Result<Outcome, StepError> {
        self.ctx
            .sink
            .completed(&self.job.address, self.job.step, resource.as_ref())?;
        Ok(Outcome::Done {
            resource,
            data: None,
        })
    }

    async fn read_obj(
        &self,
        rt: &dyn ResourceType,
        id: &str,
    ) -> Result<Option<ReadResult>, StepError> {
        Ok(self
            .caller
            .call(|| rt.read(id, &self.job.recorded), true)
            .await?)
    }

    /// Looks the desired object up by its natural key and, if it exists, journals it as ours.
    async fn adopt(&self, rt: &dyn ResourceType) -> Result<Option<Known>, StepError> {
        let found = self
            .caller
            .call(|| rt.find(&self.job.desired), true)
            .await?;
        let Some(rr) = found else { return Ok(None) };
        self.started(&rr.id, rr.running.as_ref())?;
        Ok(Some((rr.id, rr.running, Some(rr.attrs))))
    }

    /// Makes a mutating call and journals the cloud's answer before anything waits on it.
    async fn start<F, Fut>(&self, f: F) -> Result<Known, StepError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Started, ProviderError>>,
    {
        let answer = self.caller.call(f, true).await?;
        Ok(match answer {
            Started::Done { id, attrs } => {
                self.started(&id, None)?;
                (id, None, Some(attrs))
            }
            Started::Pending { id, op } => {
                self.started(&id, Some(&op))?;
                (id, Some(op), None)
            }
        })
    }

    async fn create(&self) -> Result<Outcome, StepError> {
        let rt = self.rt()?;
        self.intent()?;
        let known = match &self.job.resume {
            None => None,
            Some(InFlight {
                object_id: Some(id),
                op: Some(op),
                ..
            }) => Some((id.clone(), Some(op.clone()), None)),
            Some(InFlight {
                object_id: Some(id),
                ..
            }) => self
                .read_obj(rt, id)
                .await?
                .map(|rr| (rr.id, rr.running, Some(rr.attrs))),
            // The cloud may have accepted the create before the crash: adopt, never duplicate.
            Some(_) => self.adopt(rt).await?,
        };
        let (id, op, attrs) = match known {
            Some(k) => k,
            None => self.start_create(rt).await?,
        };
        let attrs = match op {
            None => attrs,
            Some(op) => match wait(&self.caller, rt, &op, &self.ctx.poll).await {
                Ok(a) => a,
                Err(e) => return Err(self.taint(id, e.into())),
            },
        };
        let attrs = match attrs {
            Some(a) => a,
            None => match self.read_obj(rt, &id).await {
                Ok(Some(rr)) => rr.attrs,
                Ok(None) => {
                    return Err(failed(format!(
                        "`{id}` vanished right after it was created"
                    )))
                }
                Err(e) => return Err(self.taint(id, e)),
            },
        };
        let mut rs = self.resource(id, attrs, false);
        if let Some((old, old_attrs)) = &self.job.deposed {
            set_deposed(
                &mut rs,
                Some(serde_json::json!({ "id": old, "attrs": old_attrs })),
            );
        }
        self.completed(Some(rs))
    }

    /// A create failed after the cloud made the object: record it as tainted so it is neither
    /// lost nor trusted (the next plan replaces it). Interruptions and timeouts stay in flight.
    fn taint(&self, id: String, e: StepError) -> StepError {
        match e {
            StepError::Failed { message, .. } => {
                let mut attrs = self.job.desired.clone();
                attrs.insert("id".into(), id.as_str().into());
                StepError::Failed {
                    message,
                    tainted: Some(Box::new(self.resource(id, attrs, true))),
                }
            }
            other => other,
        }
    }

    async fn start_create(&self, rt: &dyn ResourceType) -> Result<Known, StepError> {
        let mut attempt = 0;
        loop {
            let answer = self
                .caller
                .call(|| rt.create(&self.job.desired), false)
                .await;
            match answer {
                Ok(Started::Done { id, attrs }) => {
                    self.started(&id, None)?;
                    return Ok((id, None, Some(attrs)));
                }
                Ok(Started::Pending { id, op }) => {
                    self.started(&id, Some(&op))?;
                    return Ok((id, Some(op), None));
                }
                Err(CallError::Provider(ProviderError::AlreadyExists { message })) => {
                    let adopted = self.adopt(rt).await?;
                    return adopted.ok_or_else(|| {
                        failed(format!(
                            "the cloud says it exists ({message}) but find does not see it"
                        ))
                    });
                }
                Err(CallError::Provider(e @ ProviderError::Transient { .. })) => {
                    attempt += 1;
                    if attempt >= self.caller.retry.max_attempts {
                        return Err(failed(e.to_string()));
                    }
                    self.caller.backoff(attempt, &e.to_string()).await?;
                    // The failed request may still have been carried out: look before retrying.
                    if let Some(k) = self.adopt(rt).await? {
                        return Ok(k);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    async fn update(&self) -> Result<Outcome, StepError> {
        let (rt, id) = (self.rt()?, self.object_id()?);
        self.intent()?;
        let (_, op, attrs) = match self.resume_op(rt, id).await? {
            Some(op) => (id.to_string(), Some(op), None),
            None => {
                self.start(|| rt.update(id, &self.job.recorded, &self.job.desired))
                    .await?
            }
        };
        let attrs = match op {
            Some(op) => wait(&self.caller, rt, &op, &self.ctx.poll).await?,
            None => attrs,
        };
        let attrs = match attrs {
            Some(a) => a,
            None => self
                .read_obj(rt, id)
                .await?
                .map(|rr| rr.attrs)
                .ok_or_else(|| failed(format!("`{id}` is gone")))?,
        };
        self.completed(Some(self.resource(id.to_string(), attrs, false)))
    }

    /// For a resumed step: the journaled operation, or the one the cloud is running on the
    /// object (started before the crash but not journaled).
    async fn resume_op(
        &self,
        rt: &dyn ResourceType,
        id: &str,
    ) -> Result<Option<Operation>, StepError> {
        match &self.job.resume {
            None => Ok(None),
            Some(InFlight { op: Some(op), .. }) => Ok(Some(op.clone())),
            Some(_) => Ok(self.read_obj(rt, id).await?.and_then(|rr| rr.running)),
        }
    }

    async fn upgrade(&self) -> Result<Outcome, StepError> {
        let (rt, id) = (self.rt()?, self.object_id()?);
        let j = self.job;
        self.intent()?;
        let mut recorded = j.recorded.clone();
        let (mut hop_i, mut step_i, mut pending, mut earlier) = (0, 0, None, BTreeMap::new());
        let checkpoint = j
            .resume
            .as_ref()
            .and_then(|r| r.checkpoint.as_ref())
            .and_then(|cp| {
                j.hops
                    .iter()
                    .position(|h| h.from == cp.hop_from && h.to == cp.hop_to)
                    .map(|i| (i, cp))
            });
        match (&j.resume, checkpoint) {
            (_, Some((i, cp))) => {
                (hop_i, step_i, earlier) = (i, cp.step, cp.earlier.clone());
                if cp.done {
                    let name = j
                        .hops
                        .get(hop_i)
                        .map(|h| step_name(h, step_i))
                        .unwrap_or_default();
                    earlier.insert(name, cp.op.clone());
                    step_i += 1;
                    // The next step may have been started before the crash, unjournaled, and
                    // may even have finished the hop.
                    if let Some(rr) = self.read_obj(rt, id).await? {
                        let attr = rt
                            .schema()
                            .version_attr()
                            .map(|a| a.name.as_str())
                            .unwrap_or_default();
                        let version = rr.attrs.get(attr).and_then(|v| v.as_str());
                        if j.hops
                            .get(hop_i)
                            .is_some_and(|h| Some(h.to.as_str()) == version)
                        {
                            (hop_i, step_i) = (hop_i + 1, 0);
                            earlier.clear();
                        }
                        pending = rr.running;
                        recorded = rr.attrs;
                    }
                } else {
                    pending = Some(cp.op.clone());
                }
            }
            (Some(_), None) => {
                // No usable checkpoint: let whatever runs finish, then start at the hop that
                // leaves the version the object now has.
                if let Some(op) = self.resume_op(rt, id).await? {
                    wait(&self.caller, rt, &op, &self.ctx.poll).await?;
                }
                if let Some(rr) = self.read_obj(rt, id).await? {
                    recorded = rr.attrs;
                }
                let attr = rt
                    .schema()
                    .version_attr()
                    .map(|a| a.name.clone())
                    .unwrap_or_default();
                let version = recorded
                    .get(&attr)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                hop_i = j
                    .hops
                    .iter()
                    .position(|h| h.from == version)
                    .unwrap_or_else(|| {
                        if j.hops.last().is_some_and(|h| h.to == version) {
                            j.hops.len()
                        } else {
                            0
                        }
                    });
            }
            (None, None) => {}
        }
        if j.hops
            .get(hop_i)
            .is_some_and(|h| step_i >= h.steps.len().max(1))
        {
            (hop_i, step_i) = (hop_i + 1, 0);
            earlier.clear();
        }
        while let Some(hop) = j.hops.get(hop_i) {
            let total = hop.steps.len().max(1);
            while step_i < total {
                let name = step_name(hop, step_i);
                let op = match pending.take() {
                    Some(op) => Some(op),
                    None => {
                        let req = StepRequest {
                            hop,
                            step_index: step_i,
                            earlier: &earlier,
                        };
                        let answer = self
                            .caller
                            .call(|| rt.upgrade_step(id, &recorded, req.clone()), true)
                            .await?;
                        match answer {
                            Started::Done { attrs, .. } => {
                                recorded = attrs;
                                None
                            }
                            Started::Pending { op, .. } => {
                                self.checkpoint(hop_i, step_i, &op, false, &earlier)?;
                                Some(op)
                            }
                        }
                    }
                };
                self.ctx
                    .events
                    .upgrade_step(&j.address, &hop.from, &hop.to, &name);
                let op = match op {
                    Some(mut op) => {
                        // An operation the provider continues under (a retried upgrade task)
                        // replaces this step's in the journal.
                        let mut journal = |next: &Operation| {
                            self.checkpoint(hop_i, step_i, next, false, &earlier)
                                .map_err(|e| match e {
                                    StepError::Journal(e) => e.to_string(),
                                    _ => format!("checkpoint of {} failed", next.kind),
                                })
                        };
                        let polled =
                            wait_journaled(&self.caller, rt, &mut op, &self.ctx.poll, &mut journal)
                                .await?;
                        if let Some(a) = polled {
                            recorded = a;
                        }
                        op
                    }
                    None => finished_at_once(id),
                };
                self.checkpoint(hop_i, step_i, &op, true, &earlier)?;
                earlier.insert(name, op);
                step_i += 1;
            }
            (hop_i, step_i) = (hop_i + 1, 0);
            earlier.clear();
        }
        if j.update_after_upgrade {
            // An operation still pending here is the trailing update, started before a crash.
            let (_, op, attrs) = match pending.take() {
                Some(op) => (id.to_string(), Some(op), None),
                None => self.start(|| rt.update(id, &recorded, &j.desired)).await?,
            };
            let attrs = match op {
                Some(op) => wait(&self.caller, rt, &op, &self.ctx.poll).await?,
                None => attrs,
            };
            recorded = attrs.unwrap_or(recorded);
        }
        self.completed(Some(self.resource(id.to_string(), recorded, false)))
    }

    fn checkpoint(
        &self,
        hop: usize,
        step: usize,
        op: &Operation,
        done: bool,
        earlier: &BTreeMap<String, Operation>,
    ) -> Result<(), StepError> {
        let h = self.job.hops.get(hop);
        let cp = Checkpoint {
            hop,
            hop_from: h.map(|h| h.from.clone()).unwrap_or_default(),
            hop_to: h.map(|h| h.to.clone()).unwrap_or_default(),
            step,
            op: self.journaled(op),
            done,
            earlier: earlier
                .iter()
                .map(|(k, o)| (k.clone(), self.journaled(o)))
                .collect(),
        };
        Ok(self.ctx.sink.checkpoint(&self.job.address, &cp)?)
    }

    async fn delete(&self) -> Result<Outcome, StepError> {
        let (rt, id) = (self.rt()?, self.object_id()?);
        self.intent()?;
        if let Some(r) = &self.job.resume {
            if let Some(op) = &r.op {
                wait(&self.caller, rt, op, &self.ctx.poll).await?;
                return self.deleted();
            }
            // Started before the crash but not journaled? Wait for it, then see what is left.
            if let Some(op) = self.resume_op(rt, id).await? {
                wait(&self.caller, rt, &op, &self.ctx.poll).await?;
            }
            if self.read_obj(rt, id).await?.is_none() {
                return self.deleted();
            }
        }
        let answer = self
            .caller
            .call(|| rt.delete(id, &self.job.recorded), true)
            .await;
        match answer {
            Ok(Started::Done { .. }) | Err(CallError::Provider(ProviderError::NotFound { .. })) => {
                self.started(id, None)?;
            }
            Ok(Started::Pending { op, .. }) => {
                self.started(id, Some(&op))?;
                wait(&self.caller, rt, &op, &self.ctx.poll).await?;
            }
            Err(e) => return Err(e.into()),
        }
        self.deleted()
    }

    /// A delete is done: the address goes, or for a deposed object, the address keeps its new
    /// object without the note of the old one.
    fn deleted(&self) -> Result<Outcome, StepError> {
        let rs = match self.job.step {
            Step::DeleteDeposed => self.job.current.clone().map(|mut rs| {
                set_deposed(&mut rs, None);
                rs
            }),
            _ => None,
        };
        self.completed(rs)
    }

    async fn read_data(&self) -> Result<Outcome, StepError> {
        let t = &self.job.address.type_name;
        let ds = self.job.provider.data_source(t).ok_or_else(|| {
            failed(format!(
                "provider `{}` has no data source `{t}`",
                self.job.provider_name
            ))
        })?;
        let data = self
            .caller
            .call(|| ds.read(&self.job.desired), true)
            .await?;
        Ok(Outcome::Done {
            resource: None,
            data: Some(data),
        })
    }
}
