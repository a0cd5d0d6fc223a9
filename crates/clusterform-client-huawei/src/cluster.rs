//! Wire types of cluster management (§4.1): clusters, jobs, certificates, master EIP and endpoints.
//!
//! Names follow the API and SDK models (`AutopilotCluster`, `AutopilotClusterSpec`, …). Responses
//! are lenient: every field is optional, unknown fields are ignored, and the spellings the examples
//! mix (`upgradefrom`/`upgradeFrom`, `IsDynamic`/`isDynamic`) are both accepted.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::lenient;

/// A cluster as returned by create, get, list, update and delete.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AutopilotCluster {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<AutopilotClusterMetadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<AutopilotClusterSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<AutopilotClusterStatus>,
}

/// Body of `POST …/clusters`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAutopilotClusterRequest {
    /// Fixed `Cluster`.
    pub kind: String,
    /// Fixed `v3`.
    pub api_version: String,
    pub metadata: AutopilotClusterMetadata,
    pub spec: AutopilotClusterSpec,
}

impl CreateAutopilotClusterRequest {
    /// A create body with the fixed `kind` and `apiVersion`.
    pub fn new(metadata: AutopilotClusterMetadata, spec: AutopilotClusterSpec) -> Self {
        CreateAutopilotClusterRequest {
            kind: "Cluster".to_owned(),
            api_version: "v3".to_owned(),
            metadata,
            spec,
        }
    }
}

/// Cluster metadata. On create only `name`, `alias` and `annotations` are meaningful.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AutopilotClusterMetadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// On create, `cluster.install.addons/install` lists add-ons to install (a JSON string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_timestamp: Option<String>,
}

/// Cluster specification (T4-5).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AutopilotClusterSpec {
    /// Only `Turbo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// `VirtualMachine`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub cluster_type: Option<String>,
    /// `cce.autopilot.cluster`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flavor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_san: Option<Vec<String>>,
    #[serde(
        deserialize_with = "lenient::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_snat: Option<bool>,
    #[serde(
        rename = "enableSWRImageAccess",
        deserialize_with = "lenient::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_swr_image_access: Option<bool>,
    #[serde(
        deserialize_with = "lenient::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_autopilot: Option<bool>,
    #[serde(
        rename = "ipv6enable",
        deserialize_with = "lenient::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub ipv6_enable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_network: Option<AutopilotHostNetwork>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_network: Option<AutopilotContainerNetwork>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eni_network: Option<AutopilotEniNetwork>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_network: Option<AutopilotServiceNetwork>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication: Option<AutopilotAuthentication>,
    /// `0` = pay-per-use, the only value.
    #[serde(
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub billing_mode: Option<i64>,
    /// Deprecated in favour of `serviceNetwork`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes_svc_ip_range: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_tags: Option<Vec<AutopilotResourceTag>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kube_proxy_mode: Option<String>,
    /// Output only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub az: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extend_param: Option<AutopilotClusterExtendParam>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configurations_override: Option<Vec<AutopilotPackageConfiguration>>,
}

/// VPC and master subnet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutopilotHostNetwork {
    /// VPC id.
    pub vpc: String,
    /// Network id of the master subnet.
    pub subnet: String,
}

/// Container network; `mode` is `eni`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutopilotContainerNetwork {
    pub mode: String,
}

/// Pod subnets (Cloud Native 2.0).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutopilotEniNetwork {
    pub subnets: Vec<AutopilotNetworkSubnet>,
}

/// One pod subnet, by IPv4 subnet id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutopilotNetworkSubnet {
    #[serde(rename = "subnetID")]
    pub subnet_id: String,
}

/// Service CIDR.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutopilotServiceNetwork {
    #[serde(rename = "IPv4CIDR", skip_serializing_if = "Option::is_none")]
    pub ipv4_cidr: Option<String>,
}

/// Authentication mode (`rbac`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutopilotAuthentication {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

/// A resource tag; the value may be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutopilotResourceTag {
    pub key: String,
    pub value: String,
}

/// Extra cluster parameters. `upgradefrom` is also accepted as `upgradeFrom`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "ExtendParamWire", rename_all = "camelCase")]
pub struct AutopilotClusterExtendParam {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterprise_project_id: Option<String>,
    /// Output: how the cluster was upgraded.
    #[serde(rename = "upgradefrom", skip_serializing_if = "Option::is_none")]
    pub upgradefrom: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ExtendParamWire {
    enterprise_project_id: Option<String>,
    upgradefrom: Option<String>,
    upgrade_from: Option<String>,
}

impl From<ExtendParamWire> for AutopilotClusterExtendParam {
    fn from(w: ExtendParamWire) -> Self {
        AutopilotClusterExtendParam {
            enterprise_project_id: w.enterprise_project_id,
            upgradefrom: w.upgradefrom.or(w.upgrade_from),
        }
    }
}

/// Component configuration override (not supported by Autopilot, accepted for completeness).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutopilotPackageConfiguration {
    pub name: String,
    pub configurations: Vec<AutopilotConfigurationItem>,
}

/// One configuration item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutopilotConfigurationItem {
    pub name: String,
    pub value: Value,
}

/// Cluster status (T4-31).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AutopilotClusterStatus {
    /// `Creating`, `Available`, `Deleting`, `Upgrading`, `Error`, ….
    pub phase: Option<String>,
    #[serde(rename = "jobID")]
    pub job_id: Option<String>,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub endpoints: Option<Vec<AutopilotClusterEndpoints>>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub is_locked: Option<bool>,
    pub lock_scene: Option<String>,
    pub lock_source: Option<String>,
    pub lock_source_id: Option<String>,
    /// Only in the delete response.
    pub delete_option: Option<Value>,
    /// Only in the delete response.
    pub delete_status: Option<Value>,
}

/// A kube-apiserver address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutopilotClusterEndpoints {
    pub url: Option<String>,
    /// `Internal` or `External`.
    #[serde(rename = "type")]
    pub endpoint_type: Option<String>,
}

/// `GET …/clusters` response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ListAutopilotClustersResponse {
    pub kind: Option<String>,
    pub api_version: Option<String>,
    pub items: Option<Vec<AutopilotCluster>>,
}

/// Query of `GET …/clusters/{id}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShowAutopilotClusterQuery {
    /// Add installed add-on names, versions and states to the annotations.
    pub detail: Option<bool>,
}

/// Query of `GET …/clusters`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListAutopilotClustersQuery {
    pub detail: Option<bool>,
    /// A cluster phase.
    pub status: Option<String>,
    /// `VirtualMachine`.
    pub cluster_type: Option<String>,
    pub version: Option<String>,
}

/// Query of `DELETE …/clusters/{id}`. Each value is `true`/`block`, `try` or `false`/`skip`;
/// `lts_reclaim_policy` is `Delete_Log_Group`, `Delete_Master_Log_Stream` or `Retain`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeleteAutopilotClusterQuery {
    pub delete_efs: Option<String>,
    pub delete_eni: Option<String>,
    pub delete_net: Option<String>,
    pub delete_obs: Option<String>,
    pub delete_sfs30: Option<String>,
    pub lts_reclaim_policy: Option<String>,
}

/// Body of `PUT …/clusters/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UpdateAutopilotClusterRequest {
    pub spec: AutopilotClusterInformationSpec,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<AutopilotClusterMetadataForUpdate>,
}

/// The updatable part of the spec.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AutopilotClusterInformationSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_san: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eni_network: Option<AutopilotEniNetwork>,
}

/// The updatable metadata: the alias.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutopilotClusterMetadataForUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

/// A job (`GET …/jobs/{id}`), with sub-jobs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AutopilotJob {
    pub kind: Option<String>,
    pub api_version: Option<String>,
    pub metadata: Option<AutopilotJobMetadata>,
    pub spec: Option<AutopilotJobSpec>,
    pub status: Option<AutopilotJobStatus>,
}

/// Job metadata.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AutopilotJobMetadata {
    pub uid: Option<String>,
    pub creation_timestamp: Option<String>,
    pub update_timestamp: Option<String>,
}

/// Job specification.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AutopilotJobSpec {
    /// `CreateCluster`, `DeleteCluster`, `InstallMaster`, ….
    #[serde(rename = "type")]
    pub job_type: Option<String>,
    #[serde(rename = "clusterUID")]
    pub cluster_uid: Option<String>,
    #[serde(rename = "resourceID")]
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    pub extend_param: Option<BTreeMap<String, Value>>,
    pub sub_jobs: Option<Vec<AutopilotJob>>,
}

/// Job status: `Initializing`, `Running`, `Failed` or `Success`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutopilotJobStatus {
    pub phase: Option<String>,
    pub reason: Option<String>,
}

/// Body of `PUT …/mastereip`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UpdateAutopilotClusterEipRequest {
    pub spec: MasterEipRequestSpec,
}

/// `action` is `bind` (with `spec.id` = the EIP id) or `unbind`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MasterEipRequestSpec {
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<MasterEipRequestSpecSpec>,
    /// Deprecated by the API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<String>,
    /// Deprecated by the API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elasticip: Option<String>,
}

/// The EIP to bind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MasterEipRequestSpecSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl UpdateAutopilotClusterEipRequest {
    /// Binds the EIP with this id.
    pub fn bind(eip_id: impl Into<String>) -> Self {
        UpdateAutopilotClusterEipRequest {
            spec: MasterEipRequestSpec {
                action: "bind".to_owned(),
                spec: Some(MasterEipRequestSpecSpec {
                    id: Some(eip_id.into()),
                }),
                ..Default::default()
            },
        }
    }

    /// Unbinds the current EIP.
    pub fn unbind() -> Self {
        UpdateAutopilotClusterEipRequest {
            spec: MasterEipRequestSpec {
                action: "unbind".to_owned(),
                ..Default::default()
            },
        }
    }
}

/// Response of `PUT …/mastereip` (bind) and `GET …/openapi`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MasterEipResponse {
    pub metadata: Option<Value>,
    pub spec: Option<MasterEipResponseSpec>,
    pub status: Option<MasterEipResponseStatus>,
}

/// `GET …/openapi` returns the same shape as a bind.
pub type ShowAutopilotClusterEndpointsResponse = MasterEipResponse;

/// Bind details.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MasterEipResponseSpec {
    pub action: Option<String>,
    pub spec: Option<EipSpec>,
    pub elastic_ip: Option<String>,
}

/// The bound EIP. `IsDynamic` is also accepted as `isDynamic`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "EipSpecWire")]
pub struct EipSpec {
    pub id: Option<String>,
    pub eip: Option<EipSpecEip>,
    #[serde(rename = "isDynamic")]
    pub is_dynamic: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EipSpecWire {
    id: Option<String>,
    eip: Option<EipSpecEip>,
    #[serde(rename = "IsDynamic", deserialize_with = "lenient::opt_bool")]
    is_dynamic_upper: Option<bool>,
    #[serde(rename = "isDynamic", deserialize_with = "lenient::opt_bool")]
    is_dynamic: Option<bool>,
}

impl From<EipSpecWire> for EipSpec {
    fn from(w: EipSpecWire) -> Self {
        EipSpec {
            id: w.id,
            eip: w.eip,
            is_dynamic: w.is_dynamic.or(w.is_dynamic_upper),
        }
    }
}

/// EIP bandwidth wrapper.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EipSpecEip {
    pub bandwidth: Option<EipBandwidth>,
}

/// EIP bandwidth.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EipBandwidth {
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub size: Option<i64>,
    pub sharetype: Option<String>,
}

/// API server addresses; `publicEndpoint` is empty when no EIP is bound.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MasterEipResponseStatus {
    pub private_endpoint: Option<String>,
    pub public_endpoint: Option<String>,
}
