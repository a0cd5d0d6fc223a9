//! The cloud operations the resource types call, as JSON in and JSON out. The real implementation
//! wraps the typed `HuaweiClient` (see `adapter.rs`); tests use a scripted fake. Keeping the
//! resource logic on the wire shape means the seed's example bodies test it directly.

use async_trait::async_trait;
use clusterform_provider::ProviderError;
use serde_json::Value as Json;

/// The result of one API call: the response body (`Null` when the cloud sends none).
pub type ApiResult = Result<Json, ProviderError>;

/// One method per CCE Autopilot operation used, named after the SDK operation.
#[async_trait]
pub trait CceApi: Send + Sync {
    // Clusters (§3).
    async fn create_cluster(&self, body: Json) -> ApiResult;
    async fn show_cluster(&self, cluster_id: &str) -> ApiResult;
    /// `status` and `version` filters, either may be empty.
    async fn list_clusters(&self, status: Option<&str>, version: Option<&str>) -> ApiResult;
    async fn update_cluster(&self, cluster_id: &str, body: Json) -> ApiResult;
    /// `query` holds the delete options (`delete_efs=try`, ...).
    async fn delete_cluster(&self, cluster_id: &str, query: &[(String, String)]) -> ApiResult;
    async fn create_cluster_cert(&self, cluster_id: &str, duration: i64) -> ApiResult;
    async fn show_job(&self, job_id: &str) -> ApiResult;
    async fn update_master_eip(&self, cluster_id: &str, body: Json) -> ApiResult;
    async fn show_cluster_endpoints(&self, cluster_id: &str) -> ApiResult;
    async fn show_quotas(&self) -> ApiResult;
    /// Body `{"tags": [{key, value}]}`; 204.
    async fn create_cluster_tags(&self, cluster_id: &str, body: Json) -> ApiResult;
    /// Body `{"tags": [{key}]}`; 204.
    async fn delete_cluster_tags(&self, cluster_id: &str, body: Json) -> ApiResult;

    // Add-ons (§4).
    async fn create_addon(&self, body: Json) -> ApiResult;
    async fn list_addon_templates(&self, name: Option<&str>) -> ApiResult;
    async fn update_addon(&self, addon_id: &str, body: Json) -> ApiResult;
    async fn rollback_addon(&self, addon_id: &str, cluster_id: &str) -> ApiResult;
    async fn delete_addon(&self, addon_id: &str, cluster_id: &str) -> ApiResult;
    async fn show_addon(&self, addon_id: &str, cluster_id: &str) -> ApiResult;
    async fn list_addons(&self, cluster_id: &str) -> ApiResult;

    // Upgrades (§5).
    async fn upgrade_cluster(&self, cluster_id: &str, body: Json) -> ApiResult;
    async fn show_upgrade_task(&self, cluster_id: &str, task_id: &str) -> ApiResult;
    async fn retry_upgrade_task(&self, cluster_id: &str) -> ApiResult;
    async fn list_upgrade_tasks(&self, cluster_id: &str) -> ApiResult;
    async fn create_precheck(&self, cluster_id: &str, body: Json) -> ApiResult;
    async fn show_precheck(&self, cluster_id: &str, task_id: &str) -> ApiResult;
    async fn list_prechecks(&self, cluster_id: &str) -> ApiResult;
    async fn create_postcheck(&self, cluster_id: &str, body: Json) -> ApiResult;
    async fn create_snapshot(&self, cluster_id: &str) -> ApiResult;
    async fn list_snapshot_tasks(&self, cluster_id: &str) -> ApiResult;
    async fn show_upgrade_info(&self, cluster_id: &str) -> ApiResult;
    async fn list_upgrade_paths(&self) -> ApiResult;
    async fn list_upgrade_feature_gates(&self) -> ApiResult;
    async fn create_upgrade_workflow(&self, cluster_id: &str, body: Json) -> ApiResult;
    async fn list_upgrade_workflows(&self, cluster_id: &str) -> ApiResult;
    async fn show_upgrade_workflow(&self, cluster_id: &str, workflow_id: &str) -> ApiResult;
    /// PATCH `{"status": {"phase": "Cancel"}}`.
    async fn cancel_upgrade_workflow(&self, cluster_id: &str, workflow_id: &str) -> ApiResult;

    // Charts and releases (§8).
    /// Multipart: `content` = the .tgz, `parameters` = a JSON string.
    async fn upload_chart(&self, content: Vec<u8>, parameters: Json) -> ApiResult;
    async fn update_chart(&self, chart_id: &str, content: Vec<u8>, parameters: Json) -> ApiResult;
    async fn list_charts(&self) -> ApiResult;
    async fn show_chart(&self, chart_id: &str) -> ApiResult;
    async fn delete_chart(&self, chart_id: &str) -> ApiResult;
    async fn show_chart_values(&self, chart_id: &str) -> ApiResult;
    async fn list_releases(
        &self,
        cluster_id: &str,
        chart_id: Option<&str>,
        namespace: Option<&str>,
    ) -> ApiResult;
    async fn create_release(&self, cluster_id: &str, body: Json) -> ApiResult;
    async fn update_release(
        &self,
        cluster_id: &str,
        namespace: &str,
        name: &str,
        body: Json,
    ) -> ApiResult;
    async fn delete_release(&self, cluster_id: &str, namespace: &str, name: &str) -> ApiResult;
    async fn show_release(&self, cluster_id: &str, namespace: &str, name: &str) -> ApiResult;
    async fn show_release_history(
        &self,
        cluster_id: &str,
        namespace: &str,
        name: &str,
    ) -> ApiResult;
}

/// `Ok(None)` for a 404, so reads can say "gone" without matching on errors everywhere.
pub fn found(r: ApiResult) -> Result<Option<Json>, ProviderError> {
    match r {
        Ok(j) => Ok(Some(j)),
        Err(ProviderError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A permanent error for a response that lacks what the contract promises.
pub fn malformed(what: &str) -> ProviderError {
    ProviderError::Permanent {
        code: None,
        message: format!("unexpected response: {what}"),
        request_id: None,
    }
}
