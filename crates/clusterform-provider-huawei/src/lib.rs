//! Huawei Cloud CCE Autopilot for clusterform: resource types and data sources that map model
//! values to client calls, and the plan-time hooks (version aliases, upgrade paths, checks).

pub mod catalog;
mod checks;
pub mod data;
pub mod hooks;
pub mod route;
pub mod schema;
pub mod version;

pub use catalog::{AddonTemplate, Catalog, Quota, TemplateVersion, UpgradePath};
pub use hooks::HuaweiHooks;
pub use route::UpgradeOptions;
pub use schema::provider_schema;
