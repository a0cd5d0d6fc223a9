//! Test fixtures: a small schema set (`test_cluster`, `test_addon`, `data.test_versions`), hooks
//! that expand minor-version upgrades into hops and refuse downgrades, and builders for configs
//! and states, so each test states only what it is about.

use std::collections::BTreeMap;

use clusterform_config::{
    BackendConfig, Config, Expr, Lifecycle, OutputConfig, Reference, ResourceConfig, Schemas, Span,
    Spanned, TemplatePart,
};
use clusterform_model::{
    Action, Address, AttrSchema, AttrType, Attrs, Plan, PlanHooks, PlanIssue, ProviderSchema,
    ResourceSchema, ResourceState, SchemaKind, Severity, State, UpgradeHop, UpgradeStep, Value,
};

use crate::{plan, HookMap, PlanErrors, PlanInput, PlanOptions};

pub fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

pub fn schemas() -> Schemas {
    let s = || AttrType::String;
    let mut cluster = ResourceSchema::new(
        "test_cluster",
        SchemaKind::Managed,
        vec![
            AttrSchema::required("name", s()).force_new(),
            AttrSchema::optional_computed("version", s()).version(),
            AttrSchema::optional("tags", AttrType::Map(Box::new(s()))),
            AttrSchema::optional("description", s()),
            AttrSchema::optional("password", s()).sensitive(),
            AttrSchema::optional_computed("flavor", s()),
            AttrSchema::optional("install_addons", AttrType::List(Box::new(s()))).create_only(),
            AttrSchema::optional("delete_efs", AttrType::Bool).no_diff(),
            AttrSchema::computed("id", s()),
            AttrSchema::computed("endpoint", s()),
        ],
    );
    cluster.noun = "cluster".into();
    cluster.guard_replace = true;
    cluster.default_timeouts = [("create".to_string(), 3600), ("upgrade".to_string(), 7200)].into();
    let addon = ResourceSchema::new(
        "test_addon",
        SchemaKind::Managed,
        vec![
            AttrSchema::required("cluster_id", s()).force_new(),
            AttrSchema::required("name", s()),
            AttrSchema::optional("replicas", AttrType::Int),
            AttrSchema::optional("url", s()),
            AttrSchema::computed("id", s()),
        ],
    );
    let versions = ResourceSchema::new(
        "test_versions",
        SchemaKind::Data,
        vec![
            AttrSchema::optional("channel", s()),
            AttrSchema::computed("latest", s()),
        ],
    );
    let provider = ProviderSchema {
        name: "test".into(),
        config: Vec::new(),
        resources: [
            ("test_cluster".to_string(), cluster),
            ("test_addon".to_string(), addon),
        ]
        .into(),
        data_sources: [("test_versions".to_string(), versions)].into(),
    };
    [("test".to_string(), provider)].into()
}

/// Hooks of the test cloud: `v1.28` matches `v1.28.3-r0`; upgrades go one minor at a time;
/// downgrades are refused; `issues` are reported by `check`.
#[derive(Default)]
pub struct TestHooks {
    pub issues: Vec<PlanIssue>,
}

fn minor(v: &str) -> Option<u32> {
    v.strip_prefix("v1.")?
        .split(['.', '-'])
        .next()?
        .parse()
        .ok()
}

impl PlanHooks for TestHooks {
    fn equivalent(&self, _t: &str, attr: &str, desired: &Value, recorded: &Value) -> bool {
        match (attr, desired, recorded) {
            ("version", Value::String(d), Value::String(r)) => {
                r == d
                    || r.strip_prefix(d.as_str())
                        .is_some_and(|rest| rest.starts_with(['.', '-']))
            }
            _ => desired == recorded,
        }
    }

    fn upgrade_hops(
        &self,
        _t: &str,
        _a: &Address,
        from: &Value,
        to: &Value,
        _r: &Attrs,
    ) -> Result<Vec<UpgradeHop>, String> {
        let (f, t) = match (from.as_str().and_then(minor), to.as_str().and_then(minor)) {
            (Some(f), Some(t)) => (f, t),
            _ => return Err(format!("no upgrade path from {from} to {to}")),
        };
        if t < f {
            return Err(format!("downgrade from v1.{f} to v1.{t} is not supported"));
        }
        let step = |n: &str| UpgradeStep {
            name: n.into(),
            description: String::new(),
        };
        Ok((f..t)
            .map(|m| UpgradeHop {
                from: format!("v1.{m}"),
                to: format!("v1.{}", m + 1),
                steps: vec![
                    step("precheck"),
                    step("snapshot"),
                    step("upgrade"),
                    step("postcheck"),
                ],
                estimated_seconds: Some(1800),
                precheck: None,
            })
            .collect())
    }

    fn check(&self, _plan: &Plan) -> Vec<PlanIssue> {
        self.issues.clone()
    }
}

pub fn sp<T>(value: T) -> Spanned<T> {
    Spanned {
        value,
        span: Span::default(),
    }
}

pub fn lit(v: impl Into<Value>) -> Expr {
    Expr::Literal(v.into())
}

pub fn map_lit(pairs: &[(&str, &str)]) -> Expr {
    Expr::Literal(Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::str(*v)))
            .collect(),
    ))
}

pub fn reference(target: &str, attr: &str) -> Reference {
    Reference {
        target: addr(target),
        path: vec![attr.to_string()],
    }
}

pub fn rf(target: &str, attr: &str) -> Expr {
    Expr::Ref(Box::new(reference(target, attr)))
}

pub fn template(parts: Vec<TemplatePart>) -> Expr {
    Expr::Template(parts)
}

/// A resource (or data) instance of provider `test` under construction.
pub struct Res(pub ResourceConfig);

pub fn res(address: &str) -> Res {
    Res(ResourceConfig {
        address: addr(address),
        provider: "test".into(),
        attrs: BTreeMap::new(),
        depends_on: Vec::new(),
        lifecycle: Lifecycle::default(),
        timeouts: BTreeMap::new(),
        sensitive_attrs: Vec::new(),
        span: Span::default(),
    })
}

impl Res {
    pub fn set(mut self, k: &str, e: Expr) -> Self {
        self.0.attrs.insert(k.to_string(), sp(e));
        self
    }
    pub fn depends_on(mut self, a: &str) -> Self {
        self.0.depends_on.push(sp(addr(a)));
        self
    }
    pub fn lifecycle(mut self, f: impl FnOnce(&mut Lifecycle)) -> Self {
        f(&mut self.0.lifecycle);
        self
    }
    pub fn timeout(mut self, k: &str, secs: u64) -> Self {
        self.0.timeouts.insert(k.to_string(), secs);
        self
    }
}

/// A cluster with the given name and version.
pub fn cluster(address: &str, name: &str, version: &str) -> Res {
    res(address)
        .set("name", lit(name))
        .set("version", lit(version))
}

pub fn config(items: Vec<Res>) -> Config {
    let (mut data, mut resources): (Vec<_>, Vec<_>) = items
        .into_iter()
        .map(|r| r.0)
        .partition(|r| r.address.mode == clusterform_model::Mode::Data);
    resources.sort_by(|a, b| a.address.cmp(&b.address));
    data.sort_by(|a, b| a.address.cmp(&b.address));
    Config {
        stack_name: "test".into(),
        backend: BackendConfig::Local { path: None },
        variables: BTreeMap::new(),
        providers: BTreeMap::new(),
        resources,
        data,
        for_each_blocks: BTreeMap::new(),
        outputs: BTreeMap::new(),
        sha256: "c0ffee".into(),
    }
}

/// A stack loaded from TOML text (one file, `main.toml`) against [`schemas`], with spans.
pub fn load_stack(text: &str) -> Config {
    let files = [clusterform_config::SourceFile {
        path: "main.toml".into(),
        text: text.into(),
    }];
    let opts = clusterform_config::LoadOptions {
        default_stack_name: "test".into(),
        ..Default::default()
    };
    match clusterform_config::load(&files, &opts, &schemas()) {
        Ok(c) => c,
        Err(d) => panic!("the stack loads:\n{}", d.render()),
    }
}

pub fn output(cfg: &mut Config, name: &str, e: Expr, sensitive: bool) {
    cfg.outputs.insert(
        name.to_string(),
        OutputConfig {
            name: name.to_string(),
            value: sp(e),
            description: String::new(),
            sensitive,
        },
    );
}

pub fn attrs(pairs: &[(&str, Value)]) -> Attrs {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

pub fn rs(address: &str, id: &str, pairs: &[(&str, Value)]) -> ResourceState {
    ResourceState {
        address: addr(address),
        provider: "test".into(),
        id: id.into(),
        attributes: attrs(pairs),
        dependencies: Vec::new(),
        tainted: false,
        private: serde_json::Value::Null,
        sensitive_attrs: Vec::new(),
    }
}

/// A recorded cluster matching `cluster(address, name, version)`.
pub fn cluster_state(address: &str, name: &str, version: &str) -> ResourceState {
    let id = format!("c-{name}");
    rs(
        address,
        &id,
        &[
            ("name", Value::str(name)),
            ("version", Value::str(version)),
            ("flavor", Value::str("small")),
            ("id", Value::str(id.clone())),
            ("endpoint", Value::str(format!("https://{name}.example"))),
        ],
    )
}

pub fn state(resources: Vec<ResourceState>) -> State {
    let mut s = State::new("lineage-1");
    s.serial = 7;
    for r in resources {
        s.resources.insert(r.address.clone(), r);
    }
    s
}

/// Everything `plan` reads, with defaults for what a test does not set.
pub struct Fixture {
    pub config: Config,
    pub prior: State,
    pub refreshed: State,
    pub data: BTreeMap<Address, Attrs>,
    pub schemas: Schemas,
    pub hooks: TestHooks,
    pub fingerprints: BTreeMap<Address, String>,
    pub options: PlanOptions,
}

impl Fixture {
    /// Config against a state that refresh found unchanged.
    pub fn new(config: Config, st: State) -> Self {
        Fixture {
            config,
            prior: st.clone(),
            refreshed: st,
            data: BTreeMap::new(),
            schemas: schemas(),
            hooks: TestHooks::default(),
            fingerprints: BTreeMap::new(),
            options: PlanOptions::default(),
        }
    }

    pub fn run(&self) -> Result<Plan, PlanErrors> {
        let mut hooks: HookMap = BTreeMap::new();
        hooks.insert("test".into(), &self.hooks);
        let input = PlanInput {
            config: &self.config,
            prior: &self.prior,
            refreshed: &self.refreshed,
            data: &self.data,
            schemas: &self.schemas,
            hooks: &hooks,
            fingerprints: &self.fingerprints,
            options: &self.options,
        };
        plan(&input)
    }

    pub fn ok(&self) -> Plan {
        match self.run() {
            Ok(p) => p,
            Err(e) => panic!("plan failed: {e}"),
        }
    }
}

/// The change of `a` in `plan` (panics when missing, which fails the test).
pub fn change<'p>(plan: &'p Plan, a: &str) -> &'p clusterform_model::Change {
    let target = addr(a);
    plan.changes
        .iter()
        .find(|c| c.address == target)
        .unwrap_or_else(|| panic!("no change for {a}"))
}

pub fn actions(plan: &Plan) -> Vec<(String, Action)> {
    plan.changes
        .iter()
        .map(|c| (c.address.to_string(), c.action))
        .collect()
}

pub fn issue(severity: Severity, address: Option<&str>, message: &str) -> PlanIssue {
    PlanIssue {
        severity,
        address: address.map(addr),
        message: message.into(),
        hint: None,
    }
}
