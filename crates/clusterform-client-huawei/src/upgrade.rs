//! Wire types of cluster upgrade (§4.3): upgrade tasks, pre/post-checks, snapshots (v3.1),
//! upgrade info, paths, feature gates and upgrade workflows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::lenient;

/// A `{kind: List, items: […]}` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KindList<T> {
    pub kind: Option<String>,
    pub api_version: Option<String>,
    pub metadata: Option<Value>,
    pub items: Option<Vec<T>>,
}

/// Task metadata (`uid` is the task id).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TaskMetadata {
    pub uid: Option<String>,
    pub creation_timestamp: Option<String>,
    pub update_timestamp: Option<String>,
}

/// Status of upgrade, snapshot and upgrade-info tasks. `progress` is a string such as `"0.00"`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TaskStatus {
    pub phase: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub progress: Option<String>,
    pub completion_time: Option<String>,
}

/// Body of `POST …/operation/upgrade` (#17). `apiVersion` and `kind` sit inside `metadata`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpgradeAutopilotClusterRequest {
    pub metadata: UpgradeClusterRequestMetadata,
    pub spec: UpgradeSpec,
}

impl UpgradeAutopilotClusterRequest {
    /// An upgrade body with the fixed metadata.
    pub fn new(action: ClusterUpgradeAction) -> Self {
        UpgradeAutopilotClusterRequest {
            metadata: UpgradeClusterRequestMetadata {
                api_version: "v3".to_owned(),
                kind: "UpgradeTask".to_owned(),
            },
            spec: UpgradeSpec {
                cluster_upgrade_action: action,
            },
        }
    }
}

/// Fixed `v3` / `UpgradeTask`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeClusterRequestMetadata {
    pub api_version: String,
    pub kind: String,
}

/// Upgrade spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeSpec {
    pub cluster_upgrade_action: ClusterUpgradeAction,
}

/// What to upgrade to and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ClusterUpgradeAction {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addons: Option<Vec<UpgradeAddonConfig>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_order: Option<BTreeMap<String, Vec<NodePriority>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_pool_order: Option<BTreeMap<String, i64>>,
    pub strategy: UpgradeStrategy,
    /// Must be later than the current version, e.g. `v1.23`.
    pub target_version: String,
}

/// An add-on to move along with the cluster (`operation: patch`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UpgradeAddonConfig {
    pub addon_template_name: String,
    pub operation: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Value>,
}

/// Node upgrade priority (accepted; no effect on Autopilot).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodePriority {
    pub node_selector: NodeSelector,
    pub priority: i64,
}

/// Node selector of a [`NodePriority`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NodeSelector {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Vec<String>>,
    pub operator: String,
}

/// `type` is `inPlaceRollingUpdate`, the only value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UpgradeStrategy {
    #[serde(rename = "type")]
    pub strategy_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_place_rolling_update: Option<InPlaceRollingUpdate>,
}

impl UpgradeStrategy {
    /// In-place rolling update with the given batch size (1–60, default 20).
    pub fn in_place(user_defined_step: Option<i64>) -> Self {
        UpgradeStrategy {
            strategy_type: "inPlaceRollingUpdate".to_owned(),
            in_place_rolling_update: Some(InPlaceRollingUpdate {
                user_defined_step,
                scope: None,
            }),
        }
    }
}

/// Rolling update parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct InPlaceRollingUpdate {
    #[serde(
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_defined_step: Option<i64>,
    /// `Cluster` (default) or `NodePool`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// Answer of #17: `metadata.uid` is the upgrade task id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UpgradeAutopilotClusterResponse {
    pub metadata: Option<TaskMetadata>,
    pub spec: Option<UpgradeResponseSpec>,
}

/// The accepted upgrade.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UpgradeResponseSpec {
    pub cluster_upgrade_action: Option<ClusterUpgradeResponseAction>,
}

/// Source and target patch versions of an accepted upgrade.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ClusterUpgradeResponseAction {
    pub version: Option<String>,
    pub target_version: Option<String>,
    pub target_platform_version: Option<String>,
    pub strategy: Option<UpgradeStrategy>,
    pub config: Option<Value>,
}

/// An upgrade task (#18, #20).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UpgradeTask {
    pub kind: Option<String>,
    pub api_version: Option<String>,
    pub metadata: Option<TaskMetadata>,
    pub spec: Option<UpgradeTaskSpec>,
    /// `Init`, `Queuing`, `Running`, `Pause`, `Success`, `Failed`.
    pub status: Option<TaskStatus>,
}

/// Source and target version of an upgrade task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UpgradeTaskSpec {
    pub version: Option<String>,
    pub target_version: Option<String>,
    pub items: Option<Value>,
}

/// Body of the pre-upgrade check (#21).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAutopilotPreCheckRequest {
    pub api_version: String,
    pub kind: String,
    pub spec: PrecheckSpec,
}

impl CreateAutopilotPreCheckRequest {
    /// A check body with the fixed `v3` / `PreCheckTask`.
    pub fn new(spec: PrecheckSpec) -> Self {
        CreateAutopilotPreCheckRequest {
            api_version: "v3".to_owned(),
            kind: "PreCheckTask".to_owned(),
            spec,
        }
    }
}

/// What to check: current patch version and target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PrecheckSpec {
    #[serde(rename = "clusterID", skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_check_item_list: Option<Vec<SkippedCheckItem>>,
}

/// A check item to skip.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SkippedCheckItem {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_selector: Option<ResourceSelector>,
}

/// Node selector of a skipped item (`key: node.uid`, `operator: In`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResourceSelector {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    pub operator: String,
}

/// A pre-upgrade check task (#21, #22, #23).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PrecheckTask {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub metadata: Option<TaskMetadata>,
    pub spec: Option<PrecheckSpec>,
    pub status: Option<PrecheckStatus>,
}

/// Check results; `phase` is `Init`, `Running`, `Success`, `Failed` or `Error`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PrecheckStatus {
    pub phase: Option<String>,
    pub expire_time_stamp: Option<String>,
    pub message: Option<String>,
    pub cluster_check_status: Option<CheckStatus>,
    pub addon_check_status: Option<CheckStatus>,
    pub node_check_status: Option<NodeCheckStatus>,
}

/// Cluster or add-on check results.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CheckStatus {
    pub phase: Option<String>,
    pub items_status: Option<Vec<PreCheckItemStatus>>,
}

/// Node check results.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeCheckStatus {
    pub phase: Option<String>,
    pub node_stage_status: Option<Vec<NodeStageStatus>>,
}

/// Results for one node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeStageStatus {
    pub node_info: Option<NodeInfo>,
    pub items_status: Option<Vec<PreCheckItemStatus>>,
}

/// A checked node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeInfo {
    pub uid: Option<String>,
    pub name: Option<String>,
    pub status: Option<String>,
    pub node_type: Option<String>,
}

/// One check item. `kind` `Exception` must be resolved; `level` `Fatal` blocks the upgrade.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PreCheckItemStatus {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub group: Option<String>,
    pub level: Option<String>,
    pub phase: Option<String>,
    pub message: Option<String>,
    pub risk_source: Option<RiskSource>,
    pub error_codes: Option<Vec<String>>,
}

/// What a risk was found in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RiskSource {
    pub configuration_risks: Option<Vec<Value>>,
    #[serde(rename = "deprecatedAPIRisks")]
    pub deprecated_api_risks: Option<Vec<DeprecatedApiRisk>>,
    pub node_risks: Option<Vec<Value>>,
    pub addon_risks: Option<Vec<AddonRisk>>,
}

/// A deprecated API still called.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DeprecatedApiRisk {
    pub url: Option<String>,
    pub user_agent: Option<String>,
}

/// An add-on at risk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AddonRisk {
    pub addon_template_name: Option<String>,
    pub alias: Option<String>,
}

/// Body of the post-upgrade check (#24).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAutopilotPostCheckRequest {
    pub api_version: String,
    pub kind: String,
    pub spec: PostcheckSpec,
}

impl CreateAutopilotPostCheckRequest {
    /// A check body with the fixed `v3` / `PostCheckTask`.
    pub fn new(spec: PostcheckSpec) -> Self {
        CreateAutopilotPostCheckRequest {
            api_version: "v3".to_owned(),
            kind: "PostCheckTask".to_owned(),
            spec,
        }
    }
}

/// `clusterVersion` is the source version, `targetVersion` the current one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PostcheckSpec {
    #[serde(rename = "clusterID", skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_version: Option<String>,
}

/// Answer of #24; `status.phase` is `Success`, `Failed` or `Error`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PostcheckTask {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub metadata: Option<TaskMetadata>,
    pub spec: Option<PostcheckSpec>,
    pub status: Option<TaskStatus>,
}

/// Answer of #25: the backup task id is the top-level `uid`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CreateAutopilotClusterMasterSnapshotResponse {
    pub uid: Option<String>,
    pub metadata: Option<Value>,
}

/// Answer of #26.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ListAutopilotClusterMasterSnapshotTasksResponse {
    pub kind: Option<String>,
    pub api_version: Option<String>,
    pub metadata: Option<Value>,
    pub items: Option<Vec<SnapshotTask>>,
    pub status: Option<SnapshotTaskListStatus>,
}

/// Time of the latest backup.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SnapshotTaskListStatus {
    pub latest_backup_time: Option<String>,
}

/// One backup task; match `metadata.uid` against the create answer's `uid`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SnapshotTask {
    pub kind: Option<String>,
    pub api_version: Option<String>,
    pub metadata: Option<TaskMetadata>,
    pub spec: Option<SnapshotSpec>,
    pub status: Option<TaskStatus>,
}

/// Backup sub-items ("to be deprecated").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SnapshotSpec {
    pub items: Option<Vec<SnapshotSpecItem>>,
}

/// One backup sub-item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SnapshotSpecItem {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub item_type: Option<String>,
    pub status: Option<String>,
    pub creation_timestamp: Option<String>,
    pub update_timestamp: Option<String>,
    pub message: Option<String>,
}

/// Answer of #27.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ShowAutopilotClusterUpgradeInfoResponse {
    pub kind: Option<String>,
    pub api_version: Option<String>,
    pub metadata: Option<Value>,
    pub spec: Option<UpgradeInfoSpec>,
    pub status: Option<TaskStatus>,
}

/// Last upgrade, current version and targets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UpgradeInfoSpec {
    pub last_upgrade_info: Option<TaskStatus>,
    pub version_info: Option<UpgradeVersionInfo>,
    pub upgrade_feature_gates: Option<UpgradeFeatureGates>,
}

/// Current release/patch and the versions it can be upgraded to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UpgradeVersionInfo {
    pub release: Option<String>,
    pub patch: Option<String>,
    pub suggest_patch: Option<String>,
    pub target_versions: Option<Vec<String>>,
}

/// Upgrade UI feature gates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UpgradeFeatureGates {
    #[serde(
        rename = "supportUpgradePageV4",
        deserialize_with = "lenient::opt_bool"
    )]
    pub support_upgrade_page_v4: Option<bool>,
}

/// Answer of #28.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ListAutopilotClusterUpgradePathsResponse {
    pub kind: Option<String>,
    pub api_version: Option<String>,
    pub metadata: Option<Value>,
    pub upgrade_paths: Option<Vec<UpgradePath>>,
}

/// Targets reachable in one hop from (`version`, `platformVersion`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UpgradePath {
    pub version: Option<String>,
    pub platform_version: Option<String>,
    pub target_versions: Option<Vec<String>>,
}

/// Answer of #29: gate name → `Support` | `Disable` | `Default`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ListAutopilotClusterUpgradeFeatureGatesResponse {
    pub kind: Option<String>,
    pub api_version: Option<String>,
    pub metadata: Option<Value>,
    pub upgrade_feature_gates: Option<BTreeMap<String, String>>,
}

/// Body of #30.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAutopilotUpgradeWorkFlowRequest {
    pub kind: String,
    pub api_version: String,
    pub spec: WorkFlowSpec,
}

impl CreateAutopilotUpgradeWorkFlowRequest {
    /// A workflow body with the fixed `WorkFlowTask` / `v3`.
    pub fn new(spec: WorkFlowSpec) -> Self {
        CreateAutopilotUpgradeWorkFlowRequest {
            kind: "WorkFlowTask".to_owned(),
            api_version: "v3".to_owned(),
            spec,
        }
    }
}

/// Cluster, current and target version of a workflow.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WorkFlowSpec {
    #[serde(rename = "clusterID", skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_version: Option<String>,
}

/// An upgrade workflow (`kind: WorkFlowTask`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UpgradeWorkFlow {
    pub kind: Option<String>,
    pub api_version: Option<String>,
    pub metadata: Option<WorkFlowMetadata>,
    pub spec: Option<WorkFlowSpec>,
    pub status: Option<WorkFlowStatus>,
}

/// Workflow metadata; `uid` is the `upgrade_workflow_id`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WorkFlowMetadata {
    pub uid: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub labels: Option<BTreeMap<String, String>>,
    pub annotations: Option<BTreeMap<String, String>>,
    pub creation_timestamp: Option<String>,
    pub update_timestamp: Option<String>,
}

/// `phase`: `Init`, `Running`, `Pending` (a step failed), `Success`, `Cancel`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WorkFlowStatus {
    pub phase: Option<String>,
    pub point_statuses: Option<Vec<PointStatus>>,
    pub line_statuses: Option<Vec<LineStatus>>,
}

/// One step (`PreCheck`, `Snapshot`, `Cluster`, `PostCheck`, `Rollback`) and its task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PointStatus {
    pub task_type: Option<String>,
    #[serde(rename = "taskID")]
    pub task_id: Option<String>,
    pub status: Option<String>,
    pub start_time_stamp: Option<String>,
    pub end_time_stamp: Option<String>,
    pub expire_time_stamp: Option<String>,
}

/// An edge between two steps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LineStatus {
    pub start_point: Option<PointRef>,
    pub end_point: Option<PointRef>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub critical: Option<String>,
}

/// Reference to a step by type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PointRef {
    pub task_type: Option<String>,
}

/// Body of #33; only `Cancel` is supported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpgradeWorkFlowUpdateRequest {
    pub status: UpgradeWorkFlowUpdateStatus,
}

/// The requested workflow phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpgradeWorkFlowUpdateStatus {
    pub phase: String,
}

impl UpgradeWorkFlowUpdateRequest {
    /// `{"status": {"phase": "Cancel"}}`.
    pub fn cancel() -> Self {
        UpgradeWorkFlowUpdateRequest {
            status: UpgradeWorkFlowUpdateStatus {
                phase: "Cancel".to_owned(),
            },
        }
    }
}
