//! Charts (§4.6, v2 API: #37, #38, #41, #42, #44, #47, #48, #50).
//!
//! Upload and update are `multipart/form-data` with a `content` file part and an optional
//! `parameters` part holding a JSON string; they are signed with `UNSIGNED-PAYLOAD` as the SDK does.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::HuaweiClient;
use crate::error::ClientError;
use crate::lenient;
use crate::request::{seg, ApiRequest, Multipart};

const CHARTS: &str = "/autopilot/v2/charts";

/// A chart (`ChartResp`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChartResp {
    pub id: Option<String>,
    pub name: Option<String>,
    /// Documented as a JSON-encoded string; the get example returns an object. Either is kept.
    pub values: Option<Value>,
    pub translate: Option<Value>,
    pub instruction: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    pub source: Option<String>,
    pub icon_url: Option<String>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub public: Option<bool>,
    pub chart_url: Option<String>,
    pub create_at: Option<String>,
    pub update_at: Option<String>,
}

/// A chart package to upload (#37) or to replace an existing chart with (#41).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UploadAutopilotChartRequest {
    /// File name sent with the `content` part, e.g. `demo-0.1.0.tgz`.
    pub file_name: String,
    /// The `.tgz` bytes.
    pub content: Vec<u8>,
    /// Sent as the `parameters` part when present.
    pub parameters: Option<ChartUploadParameters>,
}

/// Update takes the same form as upload.
pub type UpdateAutopilotChartRequest = UploadAutopilotChartRequest;

/// The JSON carried by the `parameters` form field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChartUploadParameters {
    /// Overwrite an existing chart of the same name and version.
    #[serde(rename = "override", skip_serializing_if = "Option::is_none")]
    pub override_existing: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_lint: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visible: Option<bool>,
}

/// Answer of #48.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShowAutopilotChartValuesResponse {
    pub values: Option<Value>,
}

/// Answer of #50.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShowAutopilotUserChartsQuotasResponse {
    pub quotas: Option<ChartQuotas>,
}

/// Chart quota resources.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChartQuotas {
    pub resources: Option<Vec<ChartQuotaResource>>,
}

/// One chart quota, e.g. `type: Charts, quota: 200, used: 2`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChartQuotaResource {
    #[serde(rename = "type")]
    pub quota_type: Option<String>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub quota: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub used: Option<i64>,
}

fn chart_form(body: &UploadAutopilotChartRequest) -> Result<Multipart, ClientError> {
    if body.content.is_empty() {
        return Err(ClientError::invalid("chart content must not be empty"));
    }
    let mut form = Multipart::new(&body.content);
    if let Some(parameters) = &body.parameters {
        let text = serde_json::to_string(parameters)
            .map_err(|e| ClientError::invalid(format!("chart parameters do not serialize: {e}")))?;
        form = form.text("parameters", &text);
    }
    let file_name = if body.file_name.is_empty() {
        "chart.tgz"
    } else {
        &body.file_name
    };
    Ok(form
        .file(
            "content",
            file_name,
            "application/gzip",
            body.content.clone(),
        )
        .with_safe_boundary())
}

impl HuaweiClient {
    fn chart_path(&self, chart_id: &str, rest: &str) -> Result<String, ClientError> {
        Ok(format!("{CHARTS}/{}{rest}", seg("chart id", chart_id)?))
    }

    /// #37 `POST /autopilot/v2/charts` (multipart) → 201.
    pub async fn upload_autopilot_chart(
        &self,
        body: &UploadAutopilotChartRequest,
    ) -> Result<ChartResp, ClientError> {
        let req = ApiRequest::new(Method::POST, CHARTS.to_owned()).multipart(chart_form(body)?);
        self.call_json(req).await
    }

    /// #38 `GET /autopilot/v2/charts`: a bare array.
    pub async fn list_autopilot_charts(&self) -> Result<Vec<ChartResp>, ClientError> {
        self.call_json(ApiRequest::new(Method::GET, CHARTS.to_owned()))
            .await
    }

    /// #41 `PUT /autopilot/v2/charts/{chart_id}` (multipart).
    pub async fn update_autopilot_chart(
        &self,
        chart_id: &str,
        body: &UpdateAutopilotChartRequest,
    ) -> Result<ChartResp, ClientError> {
        let req = ApiRequest::new(Method::PUT, self.chart_path(chart_id, "")?)
            .multipart(chart_form(body)?);
        self.call_json(req).await
    }

    /// #42 `DELETE /autopilot/v2/charts/{chart_id}`: the body is a string.
    pub async fn delete_autopilot_chart(&self, chart_id: &str) -> Result<String, ClientError> {
        self.call_text(ApiRequest::new(
            Method::DELETE,
            self.chart_path(chart_id, "")?,
        ))
        .await
    }

    /// #44 `GET /autopilot/v2/charts/{chart_id}`.
    pub async fn show_autopilot_chart(&self, chart_id: &str) -> Result<ChartResp, ClientError> {
        self.call_json(ApiRequest::new(Method::GET, self.chart_path(chart_id, "")?))
            .await
    }

    /// #47 `GET /autopilot/v2/charts/{chart_id}/archive`: the `.tgz` bytes.
    pub async fn download_autopilot_chart(&self, chart_id: &str) -> Result<Vec<u8>, ClientError> {
        let req = ApiRequest::new(Method::GET, self.chart_path(chart_id, "/archive")?);
        Ok(self.call(req).await?.body)
    }

    /// #48 `GET /autopilot/v2/charts/{chart_id}/values`.
    pub async fn show_autopilot_chart_values(
        &self,
        chart_id: &str,
    ) -> Result<ShowAutopilotChartValuesResponse, ClientError> {
        let req = ApiRequest::new(Method::GET, self.chart_path(chart_id, "/values")?);
        self.call_json(req).await
    }

    /// #50 `GET /autopilot/v2/charts/{project_id}/quotas`: the project id sits where other chart
    /// paths put the chart id.
    pub async fn show_autopilot_user_charts_quotas(
        &self,
    ) -> Result<ShowAutopilotUserChartsQuotasResponse, ClientError> {
        let path = format!("{CHARTS}/{}/quotas", seg("project id", self.project_id())?);
        self.call_json(ApiRequest::new(Method::GET, path)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::{client, fixture, PROJECT};

    #[tokio::test]
    async fn upload_is_multipart_signed_as_unsigned_payload() {
        let (c, fake) = client();
        fake.reply(201, fixture!("chart_show_response.json"));
        let body = UploadAutopilotChartRequest {
            file_name: "neo4j-3.0.1.tgz".into(),
            content: b"\x1f\x8bTGZ".to_vec(),
            parameters: Some(ChartUploadParameters {
                override_existing: Some(true),
                skip_lint: Some(true),
                source: Some("package".into()),
                visible: None,
            }),
        };
        let chart = c.upload_autopilot_chart(&body).await.unwrap();
        let sent = fake.last();
        assert_eq!(
            (sent.method.as_str(), sent.path.as_str()),
            ("POST", "/autopilot/v2/charts")
        );
        let content_type = sent.header("content-type").unwrap();
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        assert_eq!(
            sent.header("x-sdk-content-sha256"),
            Some("UNSIGNED-PAYLOAD")
        );
        assert!(sent
            .header("authorization")
            .unwrap()
            .contains("SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-content-sha256;x-sdk-date,"));
        let text = String::from_utf8_lossy(&sent.body);
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains(
            "name=\"parameters\"\r\n\r\n{\"override\":true,\"skip_lint\":true,\"source\":\"package\"}\r\n"
        ));
        assert!(text.contains("name=\"content\"; filename=\"neo4j-3.0.1.tgz\""));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
        assert_eq!(chart.name.as_deref(), Some("neo4j"));
        assert_eq!(chart.values.unwrap()["imageTag"], "4.0.3-enterprise");
        assert_eq!(chart.public, Some(false));
    }

    #[tokio::test]
    async fn update_delete_download_and_values() {
        let (c, fake) = client();
        fake.reply(200, fixture!("chart_show_response.json"));
        let body = UpdateAutopilotChartRequest {
            file_name: "x.tgz".into(),
            content: vec![1, 2, 3],
            parameters: None,
        };
        c.update_autopilot_chart("ch1", &body).await.unwrap();
        let sent = fake.last();
        assert_eq!(
            (sent.method.as_str(), sent.path.as_str()),
            ("PUT", "/autopilot/v2/charts/ch1")
        );
        assert!(!String::from_utf8_lossy(&sent.body).contains("parameters"));

        let empty = UpdateAutopilotChartRequest::default();
        assert!(matches!(
            c.update_autopilot_chart("ch1", &empty).await,
            Err(ClientError::InvalidInput { .. })
        ));

        fake.reply(200, "\"deleted\"");
        assert_eq!(c.delete_autopilot_chart("ch1").await.unwrap(), "deleted");

        fake.reply_bytes(200, b"\x1f\x8bbinary\xff");
        let bytes = c.download_autopilot_chart("ch1").await.unwrap();
        assert_eq!(fake.last().path, "/autopilot/v2/charts/ch1/archive");
        assert_eq!(bytes, b"\x1f\x8bbinary\xff");

        fake.reply(200, fixture!("chart_values_response.json"));
        let values = c
            .show_autopilot_chart_values("ch1")
            .await
            .unwrap()
            .values
            .unwrap();
        assert_eq!(fake.last().path, "/autopilot/v2/charts/ch1/values");
        assert_eq!(values["global"]["magento_EPORT"], 32080);
    }

    #[tokio::test]
    async fn list_and_quotas() {
        let (c, fake) = client();
        fake.reply(200, "[]");
        assert!(c.list_autopilot_charts().await.unwrap().is_empty());
        fake.reply(200, fixture!("chart_quotas_response.json"));
        let quotas = c.show_autopilot_user_charts_quotas().await.unwrap();
        assert_eq!(
            fake.last().path,
            format!("/autopilot/v2/charts/{PROJECT}/quotas")
        );
        let resource = &quotas.quotas.unwrap().resources.unwrap()[0];
        assert_eq!((resource.quota, resource.used), (Some(200), Some(2)));
    }

    #[tokio::test]
    async fn a_chart_values_string_is_kept_as_a_string() {
        let chart: ChartResp =
            serde_json::from_str(r#"{"values":"{\"a\":1}","public":"true"}"#).unwrap();
        assert_eq!(chart.values, Some(Value::String("{\"a\":1}".into())));
        assert_eq!(chart.public, Some(true));
    }
}
