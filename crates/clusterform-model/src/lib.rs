//! Plain data shared by every clusterform crate: addresses, attribute values, schemas,
//! recorded state, plans and the plan-time hooks a provider offers the planner. No IO here.

pub mod address;
pub mod hooks;
pub mod plan;
pub mod schema;
pub mod state;
pub mod value;

pub use address::{Address, AddressError, InstanceKey, Mode};
pub use hooks::{DefaultHooks, PlanHooks, PlanIssue, Severity};
pub use plan::{
    Action, AttrChange, Change, Disruption, OutputChange, Plan, PlanMode, Summary, UpgradeHop,
    UpgradeStep, PLAN_FORMAT_VERSION,
};
pub use schema::{AttrSchema, AttrType, Presence, ProviderSchema, ResourceSchema, SchemaKind};
pub use state::{
    contains_digest, is_digest, seal_value, sensitive_digest, Lineage, OutputState, ResourceState,
    State, SENSITIVE_DIGEST_PREFIX,
};
pub use value::{Attrs, Value};
