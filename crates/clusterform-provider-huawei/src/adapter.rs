//! [`CceApi`] over the typed, signed `HuaweiClient`: JSON bodies go through the client's wire types
//! (so the client owns the exact shapes), answers come back as JSON, and client errors become
//! provider errors with the retry class the executor acts on.

use async_trait::async_trait;
use clusterform_client_huawei as hw;
use clusterform_client_huawei::{ClientError, ConflictKind, ErrorClass, HuaweiClient};
use clusterform_provider::ProviderError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value as Json;

use crate::api::{ApiResult, CceApi};

/// Maps a client error onto the provider's retry classes: 429 and 503 are throttling (with the
/// cloud's `Retry-After`), other 5xx and connection failures transient, 404 not found, 409 already
/// exists (a stale-version 409 is transient: a re-read fixes it), 401 a configuration error.
pub fn map_client_error(e: ClientError) -> ProviderError {
    match &e {
        ClientError::Api(api) => {
            let message = api.to_string();
            match api.class() {
                ErrorClass::Locked | ErrorClass::Throttled => ProviderError::Throttled {
                    message,
                    retry_after: api.retry_after,
                },
                ErrorClass::ServerError if api.status == 503 => ProviderError::Throttled {
                    message,
                    retry_after: api.retry_after,
                },
                ErrorClass::ServerError => ProviderError::Transient { message },
                ErrorClass::NotFound => ProviderError::NotFound { message },
                ErrorClass::Conflict(ConflictKind::StaleVersion) => {
                    ProviderError::Transient { message }
                }
                ErrorClass::Conflict(_) => ProviderError::AlreadyExists { message },
                ErrorClass::Unauthorized => ProviderError::Config { message },
                ErrorClass::Permanent => ProviderError::Permanent {
                    code: api.code.clone(),
                    message,
                    request_id: api.request_id.clone(),
                },
            }
        }
        ClientError::Transport { .. } if e.is_retryable() => {
            ProviderError::Transient { message: chain(&e) }
        }
        _ => ProviderError::Permanent {
            code: None,
            message: chain(&e),
            request_id: None,
        },
    }
}

/// The error and its sources, joined, so "failed to call GET …: connection refused" is kept whole.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

/// A JSON body as the client's request type. Failing here is a bug in this crate's bodies.
pub fn typed<T: DeserializeOwned>(body: Json, what: &str) -> Result<T, ProviderError> {
    serde_json::from_value(body).map_err(|e| ProviderError::Permanent {
        code: None,
        message: format!("internal: the {what} body does not fit the client's type: {e}"),
        request_id: None,
    })
}

/// A client answer as JSON.
pub fn json_of<T: Serialize>(v: &T) -> ApiResult {
    serde_json::to_value(v).map_err(|e| ProviderError::Permanent {
        code: None,
        message: format!("internal: cannot render an answer as JSON: {e}"),
        request_id: None,
    })
}

fn done<T: Serialize>(r: Result<T, ClientError>) -> ApiResult {
    json_of(&r.map_err(map_client_error)?)
}

fn unit(r: Result<(), ClientError>) -> ApiResult {
    r.map_err(map_client_error).map(|()| Json::Null)
}

fn text(r: Result<String, ClientError>) -> ApiResult {
    r.map_err(map_client_error).map(Json::String)
}

fn chart_request(
    content: Vec<u8>,
    parameters: Json,
) -> Result<hw::UploadAutopilotChartRequest, ProviderError> {
    let parameters: hw::ChartUploadParameters = typed(parameters, "chart parameters")?;
    Ok(hw::UploadAutopilotChartRequest {
        file_name: "chart.tgz".to_string(),
        content,
        parameters: Some(parameters),
    })
}

fn delete_query(q: &[(String, String)]) -> hw::DeleteAutopilotClusterQuery {
    let get = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    hw::DeleteAutopilotClusterQuery {
        delete_efs: get("delete_efs"),
        delete_eni: get("delete_eni"),
        delete_net: get("delete_net"),
        delete_obs: get("delete_obs"),
        delete_sfs30: get("delete_sfs30"),
        lts_reclaim_policy: get("lts_reclaim_policy"),
    }
}

#[async_trait]
impl CceApi for HuaweiClient {
    async fn create_cluster(&self, body: Json) -> ApiResult {
        done(
            self.create_autopilot_cluster(&typed(body, "create cluster")?)
                .await,
        )
    }
    async fn show_cluster(&self, c: &str) -> ApiResult {
        done(
            self.show_autopilot_cluster(c, &hw::ShowAutopilotClusterQuery::default())
                .await,
        )
    }
    async fn list_clusters(&self, status: Option<&str>, version: Option<&str>) -> ApiResult {
        let q = hw::ListAutopilotClustersQuery {
            status: status.map(str::to_string),
            version: version.map(str::to_string),
            ..Default::default()
        };
        done(self.list_autopilot_clusters(&q).await)
    }
    async fn update_cluster(&self, c: &str, body: Json) -> ApiResult {
        done(
            self.update_autopilot_cluster(c, &typed(body, "update cluster")?)
                .await,
        )
    }
    async fn delete_cluster(&self, c: &str, q: &[(String, String)]) -> ApiResult {
        done(self.delete_autopilot_cluster(c, &delete_query(q)).await)
    }
    async fn create_cluster_cert(&self, c: &str, duration: i64) -> ApiResult {
        let body = hw::CreateAutopilotKubernetesClusterCertRequest { duration };
        let cert = self
            .create_autopilot_kubernetes_cluster_cert(c, &body)
            .await
            .map_err(map_client_error)?;
        json_of(&cert.kubeconfig)
    }
    async fn show_job(&self, j: &str) -> ApiResult {
        done(self.show_autopilot_job(j).await)
    }
    async fn update_master_eip(&self, c: &str, body: Json) -> ApiResult {
        done(
            self.update_autopilot_cluster_eip(c, &typed(body, "master EIP")?)
                .await,
        )
    }
    async fn show_cluster_endpoints(&self, c: &str) -> ApiResult {
        done(self.show_autopilot_cluster_endpoints(c).await)
    }
    async fn show_quotas(&self) -> ApiResult {
        done(self.show_autopilot_quotas().await)
    }
    async fn create_cluster_tags(&self, c: &str, body: Json) -> ApiResult {
        unit(
            self.batch_create_autopilot_cluster_tags(c, &typed(body, "create tags")?)
                .await,
        )
    }
    async fn delete_cluster_tags(&self, c: &str, body: Json) -> ApiResult {
        unit(
            self.batch_delete_autopilot_cluster_tags(c, &typed(body, "delete tags")?)
                .await,
        )
    }

    async fn create_addon(&self, body: Json) -> ApiResult {
        done(
            self.create_autopilot_addon_instance(&typed(body, "install add-on")?)
                .await,
        )
    }
    async fn list_addon_templates(&self, name: Option<&str>) -> ApiResult {
        done(self.list_autopilot_addon_templates(name).await)
    }
    async fn update_addon(&self, a: &str, body: Json) -> ApiResult {
        done(
            self.update_autopilot_addon_instance(a, &typed(body, "update add-on")?)
                .await,
        )
    }
    async fn rollback_addon(&self, a: &str, c: &str) -> ApiResult {
        let body = hw::RollbackAutopilotAddonInstanceRequest {
            cluster_id: c.to_string(),
        };
        done(self.rollback_autopilot_addon_instance(a, &body).await)
    }
    async fn delete_addon(&self, a: &str, c: &str) -> ApiResult {
        text(
            self.delete_autopilot_addon_instance(a, Some(c).filter(|c| !c.is_empty()))
                .await,
        )
    }
    async fn show_addon(&self, a: &str, c: &str) -> ApiResult {
        done(
            self.show_autopilot_addon_instance(a, Some(c).filter(|c| !c.is_empty()))
                .await,
        )
    }
    async fn list_addons(&self, c: &str) -> ApiResult {
        done(self.list_autopilot_addon_instances(c).await)
    }

    async fn upgrade_cluster(&self, c: &str, body: Json) -> ApiResult {
        done(
            self.upgrade_autopilot_cluster(c, &typed(body, "upgrade")?)
                .await,
        )
    }
    async fn show_upgrade_task(&self, c: &str, t: &str) -> ApiResult {
        done(self.show_autopilot_upgrade_cluster_task(c, t).await)
    }
    async fn retry_upgrade_task(&self, c: &str) -> ApiResult {
        unit(self.retry_autopilot_upgrade_cluster_task(c).await)
    }
    async fn list_upgrade_tasks(&self, c: &str) -> ApiResult {
        done(self.list_autopilot_upgrade_cluster_tasks(c).await)
    }
    async fn create_precheck(&self, c: &str, body: Json) -> ApiResult {
        done(
            self.create_autopilot_pre_check(c, &typed(body, "pre-check")?)
                .await,
        )
    }
    async fn show_precheck(&self, c: &str, t: &str) -> ApiResult {
        done(self.show_autopilot_pre_check(c, t).await)
    }
    async fn list_prechecks(&self, c: &str) -> ApiResult {
        done(self.list_autopilot_pre_check_tasks(c).await)
    }
    async fn create_postcheck(&self, c: &str, body: Json) -> ApiResult {
        done(
            self.create_autopilot_post_check(c, &typed(body, "post-check")?)
                .await,
        )
    }
    async fn create_snapshot(&self, c: &str) -> ApiResult {
        done(self.create_autopilot_cluster_master_snapshot(c).await)
    }
    async fn list_snapshot_tasks(&self, c: &str) -> ApiResult {
        done(self.list_autopilot_cluster_master_snapshot_tasks(c).await)
    }
    async fn show_upgrade_info(&self, c: &str) -> ApiResult {
        done(self.show_autopilot_cluster_upgrade_info(c).await)
    }
    async fn list_upgrade_paths(&self) -> ApiResult {
        done(self.list_autopilot_cluster_upgrade_paths().await)
    }
    async fn list_upgrade_feature_gates(&self) -> ApiResult {
        done(self.list_autopilot_cluster_upgrade_feature_gates().await)
    }
    async fn create_upgrade_workflow(&self, c: &str, body: Json) -> ApiResult {
        done(
            self.create_autopilot_upgrade_work_flow(c, &typed(body, "upgrade workflow")?)
                .await,
        )
    }
    async fn list_upgrade_workflows(&self, c: &str) -> ApiResult {
        done(self.list_autopilot_upgrade_work_flows(c).await)
    }
    async fn show_upgrade_workflow(&self, c: &str, w: &str) -> ApiResult {
        done(self.show_autopilot_upgrade_work_flow(c, w).await)
    }
    async fn cancel_upgrade_workflow(&self, c: &str, w: &str) -> ApiResult {
        done(
            self.upgrade_autopilot_work_flow_update(
                c,
                w,
                &hw::UpgradeWorkFlowUpdateRequest::cancel(),
            )
            .await,
        )
    }

    async fn upload_chart(&self, content: Vec<u8>, parameters: Json) -> ApiResult {
        done(
            self.upload_autopilot_chart(&chart_request(content, parameters)?)
                .await,
        )
    }
    async fn update_chart(&self, id: &str, content: Vec<u8>, parameters: Json) -> ApiResult {
        done(
            self.update_autopilot_chart(id, &chart_request(content, parameters)?)
                .await,
        )
    }
    async fn list_charts(&self) -> ApiResult {
        done(self.list_autopilot_charts().await)
    }
    async fn show_chart(&self, id: &str) -> ApiResult {
        done(self.show_autopilot_chart(id).await)
    }
    async fn delete_chart(&self, id: &str) -> ApiResult {
        text(self.delete_autopilot_chart(id).await)
    }
    async fn show_chart_values(&self, id: &str) -> ApiResult {
        done(self.show_autopilot_chart_values(id).await)
    }
    async fn list_releases(
        &self,
        c: &str,
        chart_id: Option<&str>,
        namespace: Option<&str>,
    ) -> ApiResult {
        let q = hw::ListAutopilotReleasesQuery {
            chart_id: chart_id.map(str::to_string),
            namespace: namespace.map(str::to_string),
        };
        done(self.list_autopilot_releases(c, &q).await)
    }
    async fn create_release(&self, c: &str, body: Json) -> ApiResult {
        done(
            self.create_autopilot_release(c, &typed(body, "create release")?)
                .await,
        )
    }
    async fn update_release(&self, c: &str, ns: &str, n: &str, body: Json) -> ApiResult {
        done(
            self.update_autopilot_release(c, ns, n, &typed(body, "update release")?)
                .await,
        )
    }
    async fn delete_release(&self, c: &str, ns: &str, n: &str) -> ApiResult {
        text(self.delete_autopilot_release(c, ns, n).await)
    }
    async fn show_release(&self, c: &str, ns: &str, n: &str) -> ApiResult {
        done(self.show_autopilot_release(c, ns, n).await)
    }
    async fn show_release_history(&self, c: &str, ns: &str, n: &str) -> ApiResult {
        done(self.show_autopilot_release_history(c, ns, n).await)
    }
}

#[cfg(test)]
#[path = "adapter_tests.rs"]
mod tests;
