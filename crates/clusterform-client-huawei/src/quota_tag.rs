//! Quotas (§4.4, #34) and batch cluster tags (§4.5, #35–#36).

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::HuaweiClient;
use crate::cluster::AutopilotResourceTag;
use crate::error::ClientError;
use crate::lenient;
use crate::request::{seg, ApiRequest};

/// Answer of `GET …/quotas`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShowAutopilotQuotasResponse {
    pub quotas: Option<Vec<QuotaResource>>,
}

/// One quota, e.g. `quotaKey: autopilot_cluster`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct QuotaResource {
    pub quota_key: Option<String>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub quota_limit: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub used: Option<i64>,
    pub unit: Option<String>,
    pub region_id: Option<String>,
    pub availability_zone_id: Option<String>,
}

/// Body of `POST …/tags/create`: same key with a new value overwrites.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchCreateAutopilotClusterTagsRequest {
    pub tags: Vec<AutopilotResourceTag>,
}

/// Body of `POST …/tags/delete`: deleting a missing key is not an error.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchDeleteAutopilotClusterTagsRequest {
    pub tags: Vec<ResourceDeleteTag>,
}

/// A tag to delete, by key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceDeleteTag {
    pub key: String,
}

/// At most 20 tags per cluster (§4.5.1).
pub const MAX_CLUSTER_TAGS: usize = 20;

impl HuaweiClient {
    /// #34 `GET …/projects/{project_id}/quotas`.
    pub async fn show_autopilot_quotas(&self) -> Result<ShowAutopilotQuotasResponse, ClientError> {
        let path = format!(
            "/autopilot/v3/projects/{}/quotas",
            seg("project id", self.project_id())?
        );
        self.call_json(ApiRequest::new(Method::GET, path)).await
    }

    /// #35 `POST …/clusters/{cluster_id}/tags/create` → 204.
    pub async fn batch_create_autopilot_cluster_tags(
        &self,
        cluster_id: &str,
        body: &BatchCreateAutopilotClusterTagsRequest,
    ) -> Result<(), ClientError> {
        if body.tags.len() > MAX_CLUSTER_TAGS {
            return Err(ClientError::invalid(format!(
                "{} tags given, a cluster has at most {MAX_CLUSTER_TAGS}",
                body.tags.len()
            )));
        }
        let path = format!("{}/tags/create", self.cluster_path(cluster_id)?);
        self.call_empty(ApiRequest::new(Method::POST, path).json(body)?)
            .await
    }

    /// #36 `POST …/clusters/{cluster_id}/tags/delete` → 204.
    pub async fn batch_delete_autopilot_cluster_tags(
        &self,
        cluster_id: &str,
        body: &BatchDeleteAutopilotClusterTagsRequest,
    ) -> Result<(), ClientError> {
        let path = format!("{}/tags/delete", self.cluster_path(cluster_id)?);
        self.call_empty(ApiRequest::new(Method::POST, path).json(body)?)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::{client, fixture, PROJECT};
    use serde_json::Value;

    #[tokio::test]
    async fn quotas_decode_the_seed() {
        let (c, fake) = client();
        fake.reply(200, fixture!("quotas_response.json"));
        let quotas = c.show_autopilot_quotas().await.unwrap().quotas.unwrap();
        assert_eq!(
            fake.last().path,
            format!("/autopilot/v3/projects/{PROJECT}/quotas")
        );
        assert_eq!(quotas[0].quota_key.as_deref(), Some("autopilot_cluster"));
        assert_eq!(
            (quotas[0].quota_limit, quotas[0].used),
            (Some(20), Some(13))
        );
        let loose: QuotaResource =
            serde_json::from_str(r#"{"quotaLimit":"5","used":"1"}"#).unwrap();
        assert_eq!((loose.quota_limit, loose.used), (Some(5), Some(1)));
    }

    #[tokio::test]
    async fn tags_send_the_seed_bodies_and_accept_204() {
        let (c, fake) = client();
        fake.reply(204, "");
        let create = BatchCreateAutopilotClusterTagsRequest {
            tags: vec![
                AutopilotResourceTag {
                    key: "key1".into(),
                    value: "value1".into(),
                },
                AutopilotResourceTag {
                    key: "key2".into(),
                    value: "value3".into(),
                },
            ],
        };
        c.batch_create_autopilot_cluster_tags("c1", &create)
            .await
            .unwrap();
        let seed: Value = serde_json::from_str(fixture!("tags_create_request.json")).unwrap();
        assert_eq!(fake.last().json(), seed);
        assert!(fake.last().path.ends_with("/clusters/c1/tags/create"));

        fake.reply(204, "");
        let delete = BatchDeleteAutopilotClusterTagsRequest {
            tags: vec![
                ResourceDeleteTag { key: "key1".into() },
                ResourceDeleteTag { key: "key2".into() },
            ],
        };
        c.batch_delete_autopilot_cluster_tags("c1", &delete)
            .await
            .unwrap();
        let seed: Value = serde_json::from_str(fixture!("tags_delete_request.json")).unwrap();
        assert_eq!(fake.last().json(), seed);
    }

    #[tokio::test]
    async fn more_than_twenty_tags_are_rejected_locally() {
        let (c, fake) = client();
        let tags = (0..21)
            .map(|i| AutopilotResourceTag {
                key: format!("k{i}"),
                value: String::new(),
            })
            .collect();
        let err = c
            .batch_create_autopilot_cluster_tags(
                "c1",
                &BatchCreateAutopilotClusterTagsRequest { tags },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::InvalidInput { .. }));
        assert!(fake.seen().is_empty());
    }
}
