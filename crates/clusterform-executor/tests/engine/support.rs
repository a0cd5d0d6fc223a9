//! Helpers shared by the engine tests: plans of test clusters and add-ons, a resolver for
//! add-ons' `cluster_id`, an event recorder, and the journal-to-state fold a backend performs.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clusterform_executor::{known_values, ApplyOptions, Events, Providers, Record, Resolve, Step};
use clusterform_model::{
    Action, Address, AttrChange, Attrs, Change, Disruption, Plan, PlanMode, ResourceSchema,
    ResourceState, State, Value, PLAN_FORMAT_VERSION,
};
use clusterform_provider::Provider;
use clusterform_testprovider::{TestProvider, ADDON, CLUSTER};

pub fn setup() -> (Arc<TestProvider>, Providers) {
    setup_with(TestProvider::new())
}

pub fn setup_with(p: TestProvider) -> (Arc<TestProvider>, Providers) {
    let p = Arc::new(p);
    let providers: Providers =
        BTreeMap::from([("test".to_string(), p.clone() as Arc<dyn Provider>)]);
    (p, providers)
}

pub fn attrs(pairs: &[(&str, Value)]) -> Attrs {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

pub fn change(addr: &str, action: Action, after: Option<Attrs>, deps: &[&str]) -> Change {
    Change {
        address: addr.parse().unwrap(),
        provider: "test".into(),
        action,
        disruption: Disruption::None,
        before: None,
        after,
        id: None,
        attr_changes: vec![],
        reason: None,
        create_before_destroy: false,
        upgrade: vec![],
        drift: vec![],
        depends_on: deps.iter().map(|d| d.parse().unwrap()).collect(),
        timeouts: BTreeMap::new(),
        sensitive_attrs: vec![],
    }
}

pub fn cluster_addr(name: &str) -> Address {
    Address::managed(CLUSTER, name)
}

pub fn addon_addr(cluster: &str, name: &str) -> Address {
    Address::managed(ADDON, format!("{cluster}_{name}"))
}

pub fn create_cluster(name: &str) -> Change {
    let after = attrs(&[
        ("name", Value::str(name)),
        ("id", Value::Unknown),
        ("endpoint", Value::Unknown),
    ]);
    change(
        &cluster_addr(name).to_string(),
        Action::Create,
        Some(after),
        &[],
    )
}

pub fn create_addon(cluster: &str, name: &str) -> Change {
    let after = attrs(&[
        ("cluster_id", Value::Unknown),
        ("name", Value::str(name)),
        ("id", Value::Unknown),
    ]);
    change(
        &addon_addr(cluster, name).to_string(),
        Action::Create,
        Some(after),
        &[&cluster_addr(cluster).to_string()],
    )
}

pub fn plan(changes: Vec<Change>) -> Plan {
    Plan {
        format_version: PLAN_FORMAT_VERSION,
        mode: PlanMode::Normal,
        config_sha256: String::new(),
        lineage: None,
        serial: 0,
        changes,
        outputs: vec![],
        fingerprints: BTreeMap::new(),
        warnings: vec![],
        targets: vec![],
    }
}

/// Records a seeded object in state, as an earlier run would have.
pub fn record(state: &mut State, p: &TestProvider, addr: &Address, a: Attrs) -> ResourceState {
    let id = p.seed(&addr.type_name, a);
    let attributes = p.world().into_iter().find(|o| o.id == id).unwrap().attrs;
    let rs = ResourceState {
        address: addr.clone(),
        provider: "test".into(),
        id,
        attributes,
        dependencies: vec![],
        tainted: false,
        private: serde_json::Value::Null,
        sensitive_attrs: Vec::new(),
    };
    state.resources.insert(addr.clone(), rs.clone());
    rs
}

/// An upgrade of a recorded cluster to `to`, with the test provider's hops.
pub fn upgrade(rs: &ResourceState, to: &str) -> Change {
    let from = rs
        .attributes
        .get("version")
        .and_then(Value::as_str)
        .unwrap()
        .to_string();
    let mut after = rs.attributes.clone();
    after.insert("version".into(), Value::str(to));
    let mut c = change(&rs.address.to_string(), Action::Upgrade, Some(after), &[]);
    c.before = Some(rs.attributes.clone());
    c.id = Some(rs.id.clone());
    let minor = |v: &str| v.rsplit('.').next().unwrap().parse::<u32>().unwrap();
    c.upgrade = (minor(&from)..minor(to))
        .map(|m| clusterform_testprovider::hop(&format!("v1.{m}"), &format!("v1.{}", m + 1)))
        .collect();
    c.attr_changes = vec![AttrChange {
        path: "version".into(),
        before: Some(Value::str(from)),
        after: Some(Value::str(to)),
        sensitive: false,
        forces_replace: false,
    }];
    c
}

/// A delete of a recorded object.
pub fn delete(rs: &ResourceState, deps: &[&Address]) -> Change {
    let mut c = change(&rs.address.to_string(), Action::Delete, None, &[]);
    c.before = Some(rs.attributes.clone());
    c.id = Some(rs.id.clone());
    c.depends_on = deps.iter().map(|d| (*d).clone()).collect();
    c
}

/// Fills an add-on's unknown `cluster_id` from the cluster it depends on, as the CLI does by
/// re-evaluating the config's reference.
pub struct DepResolver;

impl Resolve for DepResolver {
    fn resolve(
        &self,
        change: &Change,
        schema: Option<&ResourceSchema>,
        state: &State,
    ) -> Result<Attrs, String> {
        let mut c = change.clone();
        if let Some(after) = c.after.as_mut() {
            if after.get("cluster_id") == Some(&Value::Unknown) {
                let dep = change
                    .depends_on
                    .first()
                    .and_then(|d| state.get(d))
                    .ok_or("cluster not applied yet")?;
                after.insert("cluster_id".into(), Value::str(&dep.id));
            }
        }
        known_values(&c, schema)
    }
}

pub fn opts() -> ApplyOptions {
    ApplyOptions {
        resolver: Arc::new(DepResolver),
        ..ApplyOptions::default()
    }
}

/// What a state backend does with the journal: fold completed and tainted resources into state.
pub fn state_after(initial: &State, records: &[Record]) -> State {
    let mut s = initial.clone();
    for r in records {
        match r {
            Record::Completed {
                address,
                resource: Some(rs),
                ..
            }
            | Record::Failed {
                address,
                resource: Some(rs),
                ..
            } => {
                s.resources.insert(address.clone(), rs.clone());
            }
            Record::Completed {
                address,
                step,
                resource: None,
            } if *step != Step::DeleteDeposed => {
                s.resources.remove(address);
            }
            _ => {}
        }
    }
    s
}

/// What planning again after a crash yields: changes already carried out become no-ops.
pub fn replan(p: &Plan, state: &State) -> Plan {
    let mut out = p.clone();
    for c in &mut out.changes {
        let have = state.get(&c.address);
        let settled = match c.action {
            Action::Create => have.is_some(),
            Action::Delete => have.is_none(),
            Action::Replace => {
                have.map(|r| r.attributes.get("name")) == c.after.as_ref().map(|a| a.get("name"))
            }
            Action::Upgrade => {
                have.map(|r| r.attributes.get("version"))
                    == c.after.as_ref().map(|a| a.get("version"))
            }
            _ => false,
        };
        if settled {
            c.action = Action::NoOp;
        } else if let (Action::Upgrade, Some(rs)) = (c.action, have) {
            // The planner expands hops from the refreshed version.
            let to = c
                .after
                .as_ref()
                .and_then(|a| a.get("version"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            *c = upgrade(rs, &to);
        }
    }
    out
}

/// Records events as lines.
#[derive(Default)]
pub struct Recorder(pub Mutex<Vec<String>>);

impl Recorder {
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
    fn push(&self, s: String) {
        self.0.lock().unwrap().push(s);
    }
}

impl Events for Recorder {
    fn skipped(&self, address: &Address, cause: &Address) {
        self.push(format!("skipped {address} because {cause}"));
    }
    fn retrying(&self, address: &Address, attempt: u32, _delay: Duration, _reason: &str) {
        self.push(format!("retrying {address} {attempt}"));
    }
    fn throttled(&self, provider: &str, _address: &Address, pause: Duration) {
        self.push(format!("throttled {provider} {}s", pause.as_secs()));
    }
    fn failed(&self, address: &Address, step: Step, message: &str) {
        self.push(format!("failed {address} {} {message}", step.as_str()));
    }
}
