//! The test provider's resource types (`test_cluster`, `test_addon`), its data source
//! (`test_versions`) and plan hooks, each checking the calls it gets against the contract.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use clusterform_model::{
    AttrSchema, AttrType, Attrs, PlanHooks, Presence, ResourceSchema, SchemaKind, UpgradeHop,
    UpgradeStep, Value,
};
use clusterform_provider::{
    DataSource, Operation, Poll, ProviderError, ReadResult, ResourceType, Started, StepRequest,
};
use tokio::time::Instant;

use crate::world::{Effect, HopProgress, Object, OpKind, Status, World};
use crate::Shared;

pub const CLUSTER: &str = "test_cluster";
pub const ADDON: &str = "test_addon";
pub const VERSIONS: &str = "test_versions";
/// The versions the simulated cloud offers, oldest first; upgrades go one minor at a time.
pub const OFFERED_VERSIONS: [&str; 4] = ["v1.28", "v1.29", "v1.30", "v1.31"];
/// The steps of every upgrade hop.
pub const HOP_STEPS: [&str; 3] = ["precheck", "upgrade", "postcheck"];

pub(crate) fn cluster_schema() -> ResourceSchema {
    let mut s = ResourceSchema::new(
        CLUSTER,
        SchemaKind::Managed,
        vec![
            AttrSchema::required("name", AttrType::String).force_new(),
            AttrSchema::optional_computed("version", AttrType::String).version(),
            AttrSchema::optional("tags", AttrType::Map(Box::new(AttrType::String))),
            AttrSchema::computed("id", AttrType::String),
            AttrSchema::computed("endpoint", AttrType::String),
        ],
    );
    s.noun = "cluster".into();
    s.guard_replace = true;
    s.default_timeouts =
        BTreeMap::from([("create".to_string(), 3600), ("upgrade".to_string(), 7200)]);
    s
}

pub(crate) fn addon_schema() -> ResourceSchema {
    let mut s = ResourceSchema::new(
        ADDON,
        SchemaKind::Managed,
        vec![
            AttrSchema::required("cluster_id", AttrType::String).force_new(),
            AttrSchema::required("name", AttrType::String).force_new(),
            AttrSchema::optional_computed("version", AttrType::String),
            AttrSchema::optional("values", AttrType::Any),
            AttrSchema::computed("id", AttrType::String),
        ],
    );
    s.noun = "add-on".into();
    s
}

pub(crate) fn versions_schema() -> ResourceSchema {
    ResourceSchema::new(
        VERSIONS,
        SchemaKind::Data,
        vec![
            AttrSchema::optional("min", AttrType::String),
            AttrSchema::computed("versions", AttrType::List(Box::new(AttrType::String))),
            AttrSchema::computed("latest", AttrType::String),
        ],
    )
}

/// Checks desired attributes against the schema and returns the settable, non-null ones.
fn check_desired(
    w: &mut World,
    schema: &ResourceSchema,
    desired: &Attrs,
    call: &str,
) -> Result<Attrs, ProviderError> {
    let mut out = Attrs::new();
    for (k, v) in desired {
        let Some(a) = schema.attr(k) else {
            return Err(w.violation(format!(
                "{call} of {} got unknown attribute `{k}`",
                schema.type_name
            )));
        };
        if !a.settable() {
            continue;
        }
        if v.contains_unknown() {
            return Err(w.violation(format!(
                "{call} of {} got a value known only after apply for `{k}` (the engine must resolve it)",
                schema.type_name
            )));
        }
        if !v.is_null() {
            out.insert(k.clone(), v.clone());
        }
    }
    for a in schema
        .attributes
        .iter()
        .filter(|a| a.presence == Presence::Required)
    {
        if !out.contains_key(&a.name) {
            return Err(w.violation(format!(
                "{call} of {} without required `{}`",
                schema.type_name, a.name
            )));
        }
    }
    Ok(out)
}

fn text<'a>(attrs: &'a Attrs, key: &str) -> &'a str {
    attrs.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn fingerprint(o: &Object) -> String {
    format!(
        "{}:{:?}:{}:{}",
        text(&o.attrs, "version"),
        o.status,
        o.revision,
        o.running_op.as_deref().unwrap_or("-")
    )
}

fn read_result(w: &World, o: &Object) -> ReadResult {
    let running = o.running_op.as_ref().and_then(|h| {
        w.ops.get(h).map(|op| Operation {
            kind: format!("{}-{}", op.type_name, op.kind.as_str()),
            object_id: o.id.clone(),
            handle: h.clone(),
            data: serde_json::Value::Null,
        })
    });
    ReadResult {
        id: o.id.clone(),
        attrs: o.attrs.clone(),
        fingerprint: fingerprint(o),
        running,
    }
}

/// Fetches an object the engine wants to change, refusing ids that do not exist, are still being
/// created, or have an operation running: the engine must wait for its own operations.
fn usable(w: &mut World, id: &str, type_name: &str, call: &str) -> Result<Object, ProviderError> {
    let Some(o) = w
        .objects
        .get(id)
        .filter(|o| o.type_name == type_name)
        .cloned()
    else {
        return Err(w.violation(format!("{call} of {type_name} `{id}` which does not exist")));
    };
    if o.status == Status::Creating {
        return Err(w.violation(format!("{call} of `{id}` which is still pending creation")));
    }
    if let Some(op) = &o.running_op {
        return Err(w.violation(format!(
            "{call} of `{id}` while its operation {op} is running"
        )));
    }
    Ok(o)
}

fn started(w: &World, id: &str, op: Option<Operation>) -> Result<Started, ProviderError> {
    match (op, w.objects.get(id)) {
        (Some(op), _) => Ok(Started::Pending {
            id: id.to_string(),
            op,
        }),
        (None, Some(o)) if o.status == Status::Failed => Err(ProviderError::Permanent {
            code: Some("OperationFailed".into()),
            message: "operation failed".into(),
            request_id: None,
        }),
        (None, Some(o)) => Ok(Started::Done {
            id: id.to_string(),
            attrs: o.attrs.clone(),
        }),
        (None, None) => Ok(Started::Done {
            id: id.to_string(),
            attrs: Attrs::new(),
        }),
    }
}

/// One of the two managed types; `kind` selects the natural key and the extra checks.
pub(crate) struct TestResource {
    pub shared: Arc<Shared>,
    pub schema: ResourceSchema,
}

impl TestResource {
    fn is_cluster(&self) -> bool {
        self.schema.type_name == CLUSTER
    }

    /// The natural key of desired attributes: the name, or cluster id and name for add-ons.
    fn natural_key(&self, attrs: &Attrs) -> (String, String) {
        let scope = if self.is_cluster() {
            String::new()
        } else {
            text(attrs, "cluster_id").to_string()
        };
        (scope, text(attrs, "name").to_string())
    }

    fn find_by_key<'a>(&self, w: &'a World, key: &(String, String)) -> Option<&'a Object> {
        w.objects
            .values()
            .find(|o| o.type_name == self.schema.type_name && self.natural_key(&o.attrs) == *key)
    }

    fn create_in(
        &self,
        w: &mut World,
        now: Instant,
        desired: &Attrs,
    ) -> Result<Started, ProviderError> {
        let mut attrs = check_desired(w, &self.schema, desired, "create")?;
        let key = self.natural_key(&attrs);
        let name = key.1.clone();
        if let Some(message) = w.faults.fail_create.remove(&name) {
            return Err(ProviderError::Permanent {
                code: Some("CreateRefused".into()),
                message,
                request_id: None,
            });
        }
        if let Some(o) = self.find_by_key(w, &key) {
            let id = o.id.clone();
            return Err(w.violation(format!(
                "create of {} `{name}` which already exists as `{id}` (the engine must adopt it through find)",
                self.schema.type_name
            )));
        }
        let id = if self.is_cluster() {
            w.new_id("cls")
        } else {
            let cluster = w.objects.get(&key.0).map(|c| c.status);
            if !matches!(
                cluster,
                Some(Status::Ready | Status::Updating | Status::Upgrading)
            ) {
                return Err(w.violation(format!(
                    "create of add-on `{name}` on cluster `{}` which does not exist or is not ready (dependency order)",
                    key.0
                )));
            }
            w.new_id("addon")
        };
        attrs
            .entry("version".into())
            .or_insert_with(|| Value::str(if self.is_cluster() { "v1.28" } else { "1.0.0" }));
        attrs.insert("id".into(), Value::str(&id));
        if self.is_cluster() {
            attrs.insert("endpoint".into(), Value::str(format!("https://{id}.test")));
        }
        let obj = Object {
            id: id.clone(),
            type_name: self.schema.type_name.clone(),
            attrs,
            status: Status::Creating,
            running_op: None,
            upgrade: None,
            revision: 0,
        };
        w.objects.insert(id.clone(), obj);
        let failure = w.faults.fail_op.remove(&name);
        if w.faults.crash_on_create.remove(&name) {
            w.killed = true;
        }
        let op = w.start_op(
            now,
            &id,
            OpKind::Create,
            Effect::Create,
            "Creating",
            failure,
        );
        started(w, &id, op)
    }

    fn update_in(
        &self,
        w: &mut World,
        now: Instant,
        id: &str,
        desired: &Attrs,
    ) -> Result<Started, ProviderError> {
        let attrs = check_desired(w, &self.schema, desired, "update")?;
        let obj = usable(w, id, &self.schema.type_name, "update")?;
        for a in &self.schema.attributes {
            let changed = attrs
                .get(&a.name)
                .is_some_and(|v| Some(v) != obj.attrs.get(&a.name));
            if changed && a.force_new {
                return Err(w.violation(format!(
                    "update of `{id}` changes force-new `{}` (needs replace)",
                    a.name
                )));
            }
            if changed && a.version && self.is_cluster() {
                return Err(w.violation(format!(
                    "update of `{id}` changes the version (needs upgrade_step)"
                )));
            }
        }
        let mut next = obj.attrs.clone();
        for a in self
            .schema
            .attributes
            .iter()
            .filter(|a| a.presence == Presence::Optional)
        {
            next.remove(&a.name);
        }
        next.extend(attrs);
        w.set_status(id, Status::Updating);
        let op = w.start_op(
            now,
            id,
            OpKind::Update,
            Effect::Update(next),
            "Updating",
            None,
        );
        started(w, id, op)
    }

    fn step_in(
        &self,
        w: &mut World,
        now: Instant,
        id: &str,
        step: &StepRequest<'_>,
    ) -> Result<Started, ProviderError> {
        if !self.is_cluster() {
            return Err(w.violation(format!(
                "upgrade_step of {} which has no upgrade procedure",
                self.schema.type_name
            )));
        }
        let obj = usable(w, id, CLUSTER, "upgrade_step")?;
        let hop = step.hop;
        let (index, total) = (step.step_index, hop.steps.len().max(1));
        if index >= total {
            return Err(w.violation(format!("upgrade_step {index} of a hop with {total} steps")));
        }
        if index == 0 {
            // Starting (or restarting) a hop needs the object at the hop's source version.
            let version = text(&obj.attrs, "version").to_string();
            if version != hop.from {
                return Err(w.violation(format!(
                    "hop {} → {} started on `{id}` at {version}",
                    hop.from, hop.to
                )));
            }
        } else {
            let ok = obj
                .upgrade
                .as_ref()
                // Re-running a step that already completed is allowed (a resumed engine may
                // not know it finished); skipping ahead is not.
                .is_some_and(|p| p.to == hop.to && index <= p.completed);
            if !ok {
                return Err(w.violation(format!(
                    "upgrade_step {index} of `{id}` before step {} completed",
                    index - 1
                )));
            }
            let missing = hop
                .steps
                .iter()
                .take(index)
                .find(|s| !step.earlier.contains_key(&s.name));
            if let Some(s) = missing {
                return Err(w.violation(format!(
                    "upgrade_step {index} of `{id}` without the result of `{}`",
                    s.name
                )));
            }
        }
        if let Some(o) = w.objects.get_mut(id) {
            if index == 0 {
                o.upgrade = Some(HopProgress {
                    from: hop.from.clone(),
                    to: hop.to.clone(),
                    completed: 0,
                    total,
                });
            }
            o.status = Status::Upgrading;
        }
        let phase = hop
            .steps
            .get(index)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| "upgrade".into());
        let effect = Effect::Step {
            index,
            last: index + 1 == total,
        };
        let op = w.start_op(now, id, OpKind::UpgradeStep, effect, &phase, None);
        started(w, id, op)
    }

    fn delete_in(&self, w: &mut World, now: Instant, id: &str) -> Result<Started, ProviderError> {
        let obj = usable(w, id, &self.schema.type_name, "delete")?;
        if self.is_cluster() {
            if let Some(a) = w
                .objects
                .values()
                .find(|o| o.type_name == ADDON && text(&o.attrs, "cluster_id") == obj.id)
            {
                let a = a.id.clone();
                return Err(w.violation(format!(
                    "delete of cluster `{id}` while add-on `{a}` is on it (dependency order)"
                )));
            }
        }
        w.set_status(id, Status::Deleting);
        match w.start_op(now, id, OpKind::Delete, Effect::Delete, "Deleting", None) {
            Some(op) => Ok(Started::Pending {
                id: id.to_string(),
                op,
            }),
            None => Ok(Started::Done {
                id: id.to_string(),
                attrs: Attrs::new(),
            }),
        }
    }
}

#[async_trait]
impl ResourceType for TestResource {
    fn schema(&self) -> &ResourceSchema {
        &self.schema
    }

    async fn read(&self, id: &str, _recorded: &Attrs) -> Result<Option<ReadResult>, ProviderError> {
        let type_name = &self.schema.type_name;
        self.shared
            .call("read", |w, _| {
                Ok(w.objects
                    .get(id)
                    .filter(|o| &o.type_name == type_name)
                    .map(|o| read_result(w, o)))
            })
            .await
    }

    async fn find(&self, desired: &Attrs) -> Result<Option<ReadResult>, ProviderError> {
        self.shared
            .call("find", |w, _| {
                let key = self.natural_key(desired);
                if key.1.is_empty() || (!self.is_cluster() && key.0.is_empty()) {
                    return Err(w.violation(format!(
                        "find of {} without its natural key",
                        self.schema.type_name
                    )));
                }
                Ok(self.find_by_key(w, &key).map(|o| read_result(w, o)))
            })
            .await
    }

    async fn create(&self, desired: &Attrs) -> Result<Started, ProviderError> {
        self.shared
            .call("create", |w, now| self.create_in(w, now, desired))
            .await
    }

    async fn update(
        &self,
        id: &str,
        _recorded: &Attrs,
        desired: &Attrs,
    ) -> Result<Started, ProviderError> {
        self.shared
            .call("update", |w, now| self.update_in(w, now, id, desired))
            .await
    }

    async fn upgrade_step(
        &self,
        id: &str,
        _recorded: &Attrs,
        step: StepRequest<'_>,
    ) -> Result<Started, ProviderError> {
        self.shared
            .call("upgrade_step", |w, now| self.step_in(w, now, id, &step))
            .await
    }

    async fn delete(&self, id: &str, _recorded: &Attrs) -> Result<Started, ProviderError> {
        self.shared
            .call("delete", |w, now| self.delete_in(w, now, id))
            .await
    }

    async fn poll(&self, op: &Operation) -> Result<Poll, ProviderError> {
        self.shared
            .call("poll", |w, now| {
                let Some(o) = w.ops.get(&op.handle).cloned() else {
                    return Err(w.violation(format!("poll of unknown operation `{}`", op.handle)));
                };
                if o.object_id != op.object_id {
                    return Err(w.violation(format!(
                        "poll of `{}` names object `{}`",
                        op.handle, op.object_id
                    )));
                }
                *w.polls.entry(op.handle.clone()).or_default() += 1;
                if !o.settled {
                    let total = o.done_at.saturating_duration_since(o.started).as_secs_f64();
                    let done = now.saturating_duration_since(o.started).as_secs_f64();
                    let pct = if total > 0.0 {
                        ((done / total) * 100.0).floor().min(99.0) as u8
                    } else {
                        99
                    };
                    return Ok(Poll::Running {
                        phase: o.phase.clone(),
                        progress: Some(pct),
                    });
                }
                if let Some(message) = o.failure {
                    return Ok(Poll::Failed { message });
                }
                let attrs = match o.effect {
                    Effect::Delete => None,
                    _ => w.objects.get(&o.object_id).map(|x| x.attrs.clone()),
                };
                Ok(Poll::Done { attrs })
            })
            .await
    }
}

/// `test_versions`: the versions the cloud offers, at or above `min`.
pub(crate) struct VersionsSource {
    pub shared: Arc<Shared>,
    pub schema: ResourceSchema,
}

#[async_trait]
impl DataSource for VersionsSource {
    fn schema(&self) -> &ResourceSchema {
        &self.schema
    }

    async fn read(&self, args: &Attrs) -> Result<Attrs, ProviderError> {
        self.shared
            .call("data_read", |w, _| {
                let args = check_desired(w, &self.schema, args, "read")?;
                let min = text(&args, "min").to_string();
                let versions: Vec<Value> = OFFERED_VERSIONS
                    .iter()
                    .filter(|v| minor(v) >= minor(&min))
                    .map(|v| Value::str(*v))
                    .collect();
                let latest = versions.last().cloned().unwrap_or_default();
                Ok(Attrs::from([
                    ("versions".to_string(), Value::List(versions)),
                    ("latest".to_string(), latest),
                ]))
            })
            .await
    }
}

/// The minor number of `v1.N` (0 for anything else).
fn minor(v: &str) -> u32 {
    v.trim_start_matches('v')
        .split('.')
        .nth(1)
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

/// Plan hooks: one hop per minor version, each with the three `HOP_STEPS`.
pub(crate) struct TestHooks;

impl PlanHooks for TestHooks {
    fn upgrade_hops(
        &self,
        _type_name: &str,
        _address: &clusterform_model::Address,
        from: &Value,
        to: &Value,
        _recorded: &Attrs,
    ) -> Result<Vec<UpgradeHop>, String> {
        let (from, to) = (
            from.as_str().unwrap_or_default(),
            to.as_str().unwrap_or_default(),
        );
        let (a, b) = (minor(from), minor(to));
        if a == 0 || b == 0 {
            return Err(format!("no upgrade path from {from} to {to}"));
        }
        if b < a {
            return Err(format!("{from} → {to} is a downgrade"));
        }
        Ok((a..b)
            .map(|m| hop(&format!("v1.{m}"), &format!("v1.{}", m + 1)))
            .collect())
    }
}

/// One hop with the standard steps.
pub fn hop(from: &str, to: &str) -> UpgradeHop {
    UpgradeHop {
        from: from.to_string(),
        to: to.to_string(),
        steps: HOP_STEPS
            .iter()
            .map(|s| UpgradeStep {
                name: s.to_string(),
                description: String::new(),
            })
            .collect(),
        estimated_seconds: Some(900),
        precheck: None,
    }
}
