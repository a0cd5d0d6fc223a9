//! The simulated cloud behind the test provider: objects, operations that progress with tokio
//! time, injected faults, the declared rate budget, and the record of contract violations.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use clusterform_model::Attrs;
use clusterform_provider::{Operation, ProviderError, RateLimit};
use tokio::time::Instant;

/// The kinds of long operation the simulated cloud runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OpKind {
    Create,
    Update,
    UpgradeStep,
    Delete,
}

impl OpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Create => "create",
            OpKind::Update => "update",
            OpKind::UpgradeStep => "upgrade-step",
            OpKind::Delete => "delete",
        }
    }
}

/// The lifecycle status of a simulated object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Creating,
    Ready,
    Updating,
    Upgrading,
    Deleting,
    /// The create operation failed; the half-made object stays, as on a real cloud.
    Failed,
}

/// Where an object is within one upgrade hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HopProgress {
    pub from: String,
    pub to: String,
    /// Steps of the hop completed so far.
    pub completed: usize,
    pub total: usize,
}

/// One object of the simulated cloud.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub id: String,
    pub type_name: String,
    pub attrs: Attrs,
    pub status: Status,
    /// The handle of the operation running on the object, if any.
    pub running_op: Option<String>,
    pub upgrade: Option<HopProgress>,
    /// Bumped whenever an operation on the object settles; part of the fingerprint.
    pub revision: u64,
}

impl Object {
    pub fn name(&self) -> Option<&str> {
        self.attrs.get("name").and_then(|v| v.as_str())
    }
}

/// What settling an operation does to the world.
#[derive(Debug, Clone)]
pub(crate) enum Effect {
    Create,
    Update(Attrs),
    Step { index: usize, last: bool },
    Delete,
}

#[derive(Debug, Clone)]
pub(crate) struct Op {
    pub kind: OpKind,
    pub object_id: String,
    pub type_name: String,
    pub started: Instant,
    pub done_at: Instant,
    pub failure: Option<String>,
    pub effect: Effect,
    pub settled: bool,
    pub phase: String,
}

/// A fault waiting to be injected into the next matching calls.
#[derive(Debug, Clone)]
pub(crate) struct Injected {
    /// Only calls of this method (e.g. `create`, `poll`); `None` for any call.
    pub method: Option<String>,
    pub remaining: u32,
    /// `Some` for a 429 with this retry-after; `None` for a transient 5xx.
    pub throttle: Option<Option<Duration>>,
}

#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub injected: Vec<Injected>,
    /// Create of this name is refused permanently, once.
    pub fail_create: BTreeMap<String, String>,
    /// Create of this name is accepted but its operation fails, once.
    pub fail_op: BTreeMap<String, String>,
    /// Create of this name is accepted, then the provider dies before answering.
    pub crash_on_create: BTreeSet<String>,
    /// The provider dies after this many more calls (the last one is carried out).
    pub crash_after_calls: Option<u64>,
}

/// The whole simulated world, behind the provider's mutex.
#[derive(Debug)]
pub(crate) struct World {
    pub objects: BTreeMap<String, Object>,
    pub ops: BTreeMap<String, Op>,
    next_id: u64,
    pub calls: BTreeMap<String, u64>,
    pub polls: BTreeMap<String, u64>,
    pub violations: Vec<String>,
    pub faults: Faults,
    pub durations: BTreeMap<(String, OpKind), Duration>,
    pub name_durations: BTreeMap<(String, OpKind), Duration>,
    pub rate: RateLimit,
    tokens: f64,
    last_refill: Instant,
    throttled_until: Option<Instant>,
    pub killed: bool,
    pub max_running_ops: usize,
    pub call_latency: Duration,
}

impl World {
    pub fn new(rate: RateLimit) -> Self {
        World {
            objects: BTreeMap::new(),
            ops: BTreeMap::new(),
            next_id: 0,
            calls: BTreeMap::new(),
            polls: BTreeMap::new(),
            violations: Vec::new(),
            faults: Faults::default(),
            durations: BTreeMap::new(),
            name_durations: BTreeMap::new(),
            rate,
            tokens: f64::from(rate.burst),
            last_refill: Instant::now(),
            throttled_until: None,
            killed: false,
            max_running_ops: 0,
            call_latency: Duration::ZERO,
        }
    }

    pub fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{:04}", self.next_id)
    }

    /// Records a contract violation and returns the error the engine sees.
    pub fn violation(&mut self, message: String) -> ProviderError {
        let message = format!("contract violation: {message}");
        self.violations.push(message.clone());
        ProviderError::Permanent {
            code: Some("ContractViolation".into()),
            message,
            request_id: None,
        }
    }

    /// Admits one API call: counts it, checks the declared rate budget and any throttle window,
    /// and injects a pending fault.
    pub fn admit(&mut self, method: &str, now: Instant) -> Result<(), ProviderError> {
        *self.calls.entry(method.to_string()).or_default() += 1;
        let elapsed = now
            .saturating_duration_since(self.last_refill)
            .as_secs_f64();
        self.last_refill = now;
        self.tokens =
            (self.tokens + elapsed * self.rate.per_second).min(f64::from(self.rate.burst));
        // A tiny tolerance absorbs float rounding; the engine's bucket runs on the same clock.
        if self.tokens < 1.0 - 1e-6 {
            let e = self.violation(format!(
                "`{method}` exceeds the declared rate budget ({}/s, burst {})",
                self.rate.per_second, self.rate.burst
            ));
            return Err(e);
        }
        self.tokens -= 1.0;
        if let Some(until) = self.throttled_until {
            if now < until {
                let early = (until - now).as_secs_f64();
                return Err(self.violation(format!(
                    "`{method}` called {early:.3}s before retry-after elapsed"
                )));
            }
            self.throttled_until = None;
        }
        let pos = self
            .faults
            .injected
            .iter()
            .position(|f| f.method.as_deref().is_none_or(|m| m == method));
        if let Some(i) = pos {
            let fault = self.faults.injected.get_mut(i).map(|f| {
                f.remaining = f.remaining.saturating_sub(1);
                f.clone()
            });
            if fault.as_ref().is_some_and(|f| f.remaining == 0) {
                self.faults.injected.remove(i);
            }
            match fault.map(|f| f.throttle) {
                Some(Some(retry_after)) => {
                    if let Some(d) = retry_after {
                        self.throttled_until = Some(now + d);
                    }
                    return Err(ProviderError::Throttled {
                        message: "Too Many Requests".into(),
                        retry_after,
                    });
                }
                Some(None) => {
                    return Err(ProviderError::Transient {
                        message: "503 Service Unavailable".into(),
                    })
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Counts down `crash_after_calls`; true when the provider has just died.
    pub fn crash_tick(&mut self) -> bool {
        if let Some(n) = self.faults.crash_after_calls.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.faults.crash_after_calls = None;
                self.killed = true;
            }
        }
        self.killed
    }

    pub fn duration(&self, type_name: &str, name: Option<&str>, kind: OpKind) -> Duration {
        if let Some(d) = name.and_then(|n| self.name_durations.get(&(n.to_string(), kind))) {
            return *d;
        }
        self.durations
            .get(&(type_name.to_string(), kind))
            .copied()
            .unwrap_or(Duration::ZERO)
    }

    /// Starts an operation on an object; `None` when it completes at once (zero duration).
    pub fn start_op(
        &mut self,
        now: Instant,
        object_id: &str,
        kind: OpKind,
        effect: Effect,
        phase: &str,
        failure: Option<String>,
    ) -> Option<Operation> {
        let (type_name, name) = match self.objects.get(object_id) {
            Some(o) => (o.type_name.clone(), o.name().map(str::to_string)),
            None => return None,
        };
        let duration = self.duration(&type_name, name.as_deref(), kind);
        let handle = self.new_id("op");
        let op = Op {
            kind,
            object_id: object_id.to_string(),
            type_name: type_name.clone(),
            started: now,
            done_at: now + duration,
            failure,
            effect,
            settled: false,
            phase: phase.to_string(),
        };
        self.ops.insert(handle.clone(), op);
        if duration.is_zero() {
            self.settle(now);
            return None;
        }
        if let Some(o) = self.objects.get_mut(object_id) {
            o.running_op = Some(handle.clone());
        }
        let running = self.ops.values().filter(|o| !o.settled).count();
        self.max_running_ops = self.max_running_ops.max(running);
        Some(Operation {
            kind: format!("{type_name}-{}", kind.as_str()),
            object_id: object_id.to_string(),
            handle,
            data: serde_json::Value::Null,
        })
    }

    /// Applies the effects of every operation whose time has come. Operations progress whether
    /// or not anybody polls them, as on a real cloud.
    pub fn settle(&mut self, now: Instant) {
        let due: Vec<String> = self
            .ops
            .iter()
            .filter(|(_, o)| !o.settled && o.done_at <= now)
            .map(|(h, _)| h.clone())
            .collect();
        for handle in due {
            let Some(op) = self.ops.get_mut(&handle) else {
                continue;
            };
            op.settled = true;
            let op = op.clone();
            let failed = op.failure.is_some();
            if matches!(op.effect, Effect::Delete) && !failed {
                self.objects.remove(&op.object_id);
                continue;
            }
            let Some(obj) = self.objects.get_mut(&op.object_id) else {
                continue;
            };
            obj.running_op = None;
            obj.revision += 1;
            obj.status = Status::Ready;
            match op.effect {
                Effect::Create if failed => obj.status = Status::Failed,
                Effect::Update(attrs) if !failed => obj.attrs = attrs,
                Effect::Step { index, last } if !failed => {
                    if let Some(p) = obj.upgrade.as_mut() {
                        p.completed = index + 1;
                        if last {
                            let to = p.to.clone();
                            obj.attrs.insert("version".into(), to.into());
                            obj.upgrade = None;
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Sets an object's status as an operation on it starts.
    pub fn set_status(&mut self, object_id: &str, status: Status) {
        if let Some(o) = self.objects.get_mut(object_id) {
            o.status = status;
        }
    }
}
