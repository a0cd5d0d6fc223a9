//! Releases (§4.6, `cam/v3` API: #39, #40, #43, #45, #46, #49).
//!
//! Release paths use the singular segment `namespace` and carry no project id. The request's
//! `version` is the chart version while the response's `version` is the integer revision; the
//! model keeps them apart as `chart_version` and `revision`.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::HuaweiClient;
use crate::error::ClientError;
use crate::lenient;
use crate::request::{seg, ApiRequest, Query};

/// A release (`ReleaseResp`). `status` is `DEPLOYED`, `PENDING_INSTALL`, `FAILED`, ….
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReleaseResp {
    pub chart_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub chart_public: Option<bool>,
    pub chart_version: Option<String>,
    pub cluster_id: Option<String>,
    pub cluster_name: Option<String>,
    pub create_at: Option<String>,
    pub description: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// Usually a string.
    pub parameters: Option<Value>,
    /// Usually a string.
    pub resources: Option<Value>,
    pub status: Option<String>,
    pub status_description: Option<String>,
    pub update_at: Option<String>,
    /// Usually a JSON-encoded string of the values.
    pub values: Option<Value>,
    /// The release revision (the response's `version`).
    #[serde(rename = "version", deserialize_with = "lenient::opt_i64")]
    pub revision: Option<i64>,
}

/// Query of #39.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListAutopilotReleasesQuery {
    pub chart_id: Option<String>,
    pub namespace: Option<String>,
}

/// Body of #40.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CreateAutopilotReleaseRequest {
    pub chart_id: String,
    pub name: String,
    pub namespace: String,
    /// The chart version to deploy (the request's `version`).
    #[serde(rename = "version")]
    pub chart_version: String,
    /// Free-form chart values.
    pub values: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<ReleaseReqBodyParams>,
}

/// Helm-style install/upgrade options.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReleaseReqBodyParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_hooks: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recreate: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_values: Option<bool>,
    /// Rollback target revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_hooks: Option<bool>,
}

/// Body of #43; `action` is `upgrade` or `rollback`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UpdateAutopilotReleaseRequest {
    pub chart_id: String,
    pub action: String,
    pub parameters: ReleaseReqBodyParams,
    pub values: Value,
}

impl HuaweiClient {
    fn releases_path(&self, cluster_id: &str) -> Result<String, ClientError> {
        Ok(format!(
            "/autopilot/cam/v3/clusters/{}/releases",
            seg("cluster id", cluster_id)?
        ))
    }

    fn release_path(
        &self,
        cluster_id: &str,
        namespace: &str,
        name: &str,
    ) -> Result<String, ClientError> {
        Ok(format!(
            "/autopilot/cam/v3/clusters/{}/namespace/{}/releases/{}",
            seg("cluster id", cluster_id)?,
            seg("namespace", namespace)?,
            seg("release name", name)?
        ))
    }

    /// #39 `GET /autopilot/cam/v3/clusters/{cluster_id}/releases`: a bare array.
    pub async fn list_autopilot_releases(
        &self,
        cluster_id: &str,
        query: &ListAutopilotReleasesQuery,
    ) -> Result<Vec<ReleaseResp>, ClientError> {
        let q = Query::default()
            .opt("chart_id", &query.chart_id)
            .opt("namespace", &query.namespace)
            .finish();
        let req = ApiRequest::new(Method::GET, self.releases_path(cluster_id)?).query(q);
        self.call_json(req).await
    }

    /// #40 `POST /autopilot/cam/v3/clusters/{cluster_id}/releases` → 201.
    pub async fn create_autopilot_release(
        &self,
        cluster_id: &str,
        body: &CreateAutopilotReleaseRequest,
    ) -> Result<ReleaseResp, ClientError> {
        let req = ApiRequest::new(Method::POST, self.releases_path(cluster_id)?).json(body)?;
        self.call_json(req).await
    }

    /// #43 `PUT …/namespace/{namespace}/releases/{name}`: upgrade or roll back.
    pub async fn update_autopilot_release(
        &self,
        cluster_id: &str,
        namespace: &str,
        name: &str,
        body: &UpdateAutopilotReleaseRequest,
    ) -> Result<ReleaseResp, ClientError> {
        let path = self.release_path(cluster_id, namespace, name)?;
        self.call_json(ApiRequest::new(Method::PUT, path).json(body)?)
            .await
    }

    /// #45 `DELETE …/namespace/{namespace}/releases/{name}`: the body is a string.
    pub async fn delete_autopilot_release(
        &self,
        cluster_id: &str,
        namespace: &str,
        name: &str,
    ) -> Result<String, ClientError> {
        let path = self.release_path(cluster_id, namespace, name)?;
        self.call_text(ApiRequest::new(Method::DELETE, path)).await
    }

    /// #46 `GET …/namespace/{namespace}/releases/{name}`.
    pub async fn show_autopilot_release(
        &self,
        cluster_id: &str,
        namespace: &str,
        name: &str,
    ) -> Result<ReleaseResp, ClientError> {
        let path = self.release_path(cluster_id, namespace, name)?;
        self.call_json(ApiRequest::new(Method::GET, path)).await
    }

    /// #49 `GET …/namespace/{namespace}/releases/{name}/history`: a bare array.
    pub async fn show_autopilot_release_history(
        &self,
        cluster_id: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Vec<ReleaseResp>, ClientError> {
        let path = format!(
            "{}/history",
            self.release_path(cluster_id, namespace, name)?
        );
        self.call_json(ApiRequest::new(Method::GET, path)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::{client, fixture};
    use serde_json::json;

    #[tokio::test]
    async fn create_sends_chart_version_as_version_and_reads_the_revision() {
        let (c, fake) = client();
        fake.reply(201, fixture!("release_update_response.json"));
        let body = CreateAutopilotReleaseRequest {
            chart_id: "af4b699e".into(),
            name: "testwww".into(),
            namespace: "monitoring".into(),
            chart_version: "1.0.0".into(),
            values: json!({"imagePullPolicy": "IfNotPresent"}),
            description: None,
            parameters: Some(ReleaseReqBodyParams {
                dry_run: Some(false),
                ..Default::default()
            }),
        };
        let created = c.create_autopilot_release("c1", &body).await.unwrap();
        let sent = fake.last();
        assert_eq!(sent.path, "/autopilot/cam/v3/clusters/c1/releases");
        assert_eq!(
            sent.json(),
            json!({"chart_id": "af4b699e", "name": "testwww", "namespace": "monitoring",
                   "version": "1.0.0", "values": {"imagePullPolicy": "IfNotPresent"},
                   "parameters": {"dry_run": false}})
        );
        assert_eq!(created.revision, Some(1));
        assert_eq!(created.status.as_deref(), Some("PENDING_INSTALL"));
        let values: Value =
            serde_json::from_str(created.values.unwrap().as_str().unwrap()).unwrap();
        assert_eq!(values["basic"]["mysql_port"], 3306);
    }

    #[tokio::test]
    async fn update_matches_the_seed_request_and_uses_the_singular_namespace_segment() {
        let (c, fake) = client();
        fake.reply(200, fixture!("release_update_response.json"));
        let body = UpdateAutopilotReleaseRequest {
            chart_id: "af4b699e-018c-11ec-b8b0-0255ac100b05".into(),
            action: "upgrade".into(),
            parameters: ReleaseReqBodyParams {
                dry_run: Some(false),
                name_template: Some("string".into()),
                no_hooks: Some(false),
                replace: Some(false),
                recreate: Some(false),
                reset_values: Some(false),
                release_version: Some(1),
                include_hooks: Some(false),
            },
            values: json!({"imagePullPolicy": "IfNotPresent", "imageTag": "v2"}),
        };
        c.update_autopilot_release("c1", "monitoring", "testwww", &body)
            .await
            .unwrap();
        let sent = fake.last();
        assert_eq!(sent.method, "PUT");
        assert_eq!(
            sent.path,
            "/autopilot/cam/v3/clusters/c1/namespace/monitoring/releases/testwww"
        );
        let seed: Value = serde_json::from_str(fixture!("release_update_request.json")).unwrap();
        assert_eq!(sent.json(), seed);
    }

    #[tokio::test]
    async fn list_query_is_encoded_and_list_history_show_delete_work() {
        let (c, fake) = client();
        fake.reply(200, fixture!("release_list_response.json"));
        let query = ListAutopilotReleasesQuery {
            chart_id: Some("chart a+b".into()),
            namespace: Some("ns/ü".into()),
        };
        let list = c.list_autopilot_releases("c1", &query).await.unwrap();
        assert_eq!(
            fake.last().query,
            "chart_id=chart%20a%2Bb&namespace=ns%2F%C3%BC"
        );
        assert_eq!(list[0].parameters, Some(Value::String(String::new())));

        fake.reply(200, "[]");
        let history = c
            .show_autopilot_release_history("c1", "default", "rel ü")
            .await
            .unwrap();
        assert!(history.is_empty());
        assert_eq!(
            fake.last().path,
            "/autopilot/cam/v3/clusters/c1/namespace/default/releases/rel%20%C3%BC/history"
        );

        fake.reply(200, r#"{"name":"r","status":"DEPLOYED","version":"3"}"#);
        let shown = c
            .show_autopilot_release("c1", "default", "r")
            .await
            .unwrap();
        assert_eq!(
            (shown.status.as_deref(), shown.revision),
            (Some("DEPLOYED"), Some(3))
        );

        fake.reply(200, "\"success\"");
        assert_eq!(
            c.delete_autopilot_release("c1", "default", "r")
                .await
                .unwrap(),
            "success"
        );
        assert!(c.delete_autopilot_release("c1", "", "r").await.is_err());
    }
}
