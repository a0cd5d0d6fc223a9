//! Huawei Cloud CCE Autopilot for clusterform: resource types and data sources that map model
//! values to client calls, and the plan-time hooks (version aliases, upgrade paths, checks).

pub mod adapter;
pub mod addon;
pub mod api;
pub mod catalog;
pub mod chart;
pub mod chart_file;
mod checks;
pub mod cluster;
pub mod cluster_map;
mod conv;
pub mod data;
pub mod data_read;
pub mod eip;
#[cfg(test)]
mod fake;
pub mod hooks;
mod provider;
pub mod release;
pub mod route;
pub mod schema;
pub mod upgrade;
pub mod version;

pub use catalog::{AddonTemplate, Catalog, Quota, TemplateVersion, UpgradePath};
pub use clusterform_client_huawei::Credentials;
pub use hooks::HuaweiHooks;
pub use provider::{HuaweiProvider, Settings};
pub use route::UpgradeOptions;
pub use schema::provider_schema;
