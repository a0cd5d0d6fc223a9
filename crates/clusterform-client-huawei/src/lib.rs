//! Typed, signed client of the Huawei Cloud CCE Autopilot API.
//!
//! [`HuaweiClient`] exposes each of the 50 documented operations as an async method named after
//! the official SDK (`create_autopilot_cluster`, `show_autopilot_addon_instance`, …). Requests are
//! signed with `SDK-HMAC-SHA256` exactly as the official SDKs do ([`signer`]), or carry an IAM
//! token. The client does not retry: errors say whether they are retryable
//! ([`ClientError::is_retryable`], [`ApiError::class`]) and the caller owns the policy.
//!
//! ```no_run
//! # async fn demo() -> Result<(), clusterform_client_huawei::ClientError> {
//! use clusterform_client_huawei::{Credentials, HuaweiClient, ShowAutopilotClusterQuery};
//! let client = HuaweiClient::builder()
//!     .region("ap-southeast-3")
//!     .project_id("0a1b2c3d4e5f4a5b8c9d0e1f2a3b4c5d")
//!     .credentials(Credentials::ak_sk("AK", "SK"))
//!     .build()?;
//! let cluster = client
//!     .show_autopilot_cluster("cluster-id", &ShowAutopilotClusterQuery::default())
//!     .await?;
//! # let _ = cluster; Ok(()) }
//! ```

mod addon;
mod chart;
mod client;
mod cluster;
mod cluster_ops;
pub mod codes;
mod credentials;
mod error;
mod lenient;
mod quota_tag;
mod release;
mod request;
pub mod signer;
mod upgrade;
mod upgrade_ops;

#[cfg(test)]
mod fake;

pub use addon::*;
pub use chart::*;
pub use client::{Clock, HuaweiClient, HuaweiClientBuilder};
pub use cluster::*;
pub use cluster_ops::*;
pub use codes::KnownCode;
pub use credentials::Credentials;
pub use error::{ApiError, ClientError, ConflictKind, ErrorClass};
pub use quota_tag::*;
pub use release::*;
pub use upgrade::*;
