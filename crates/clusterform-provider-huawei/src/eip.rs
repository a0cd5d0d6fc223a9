//! The `huawei_autopilot_cluster_eip` resource type (§3.8, §3.9 and §15.4 of the API digest): binds
//! an EIP to the cluster's API server. Its identity is the cluster id; all calls are synchronous.

use std::sync::Arc;

use async_trait::async_trait;
use clusterform_model::{Attrs, ResourceSchema, Value};
use clusterform_provider::{Operation, Poll, ProviderError, ReadResult, ResourceType, Started};
use serde_json::{json, Value as Json};

use crate::api::{found, CceApi};
use crate::conv::{carry, jval_str, require};
use crate::schema::cluster_eip_schema;

/// The bind body.
pub fn bind_body(eip_id: &str) -> Json {
    json!({"spec": {"action": "bind", "spec": {"id": eip_id}}})
}

/// The unbind body.
pub fn unbind_body() -> Json {
    json!({"spec": {"action": "unbind"}})
}

/// Attributes from a bind response or `GET C/openapi`; `None` when no public address is bound.
/// The cloud does not return the EIP id, so it comes from `keep`.
pub fn eip_attrs(cluster_id: &str, j: &Json, keep: &Attrs) -> Option<Attrs> {
    let public = jval_str(j, "/status/publicEndpoint");
    if public.is_null() {
        return None;
    }
    let mut a = Attrs::new();
    a.insert("id".into(), Value::str(cluster_id));
    a.insert("cluster_id".into(), Value::str(cluster_id));
    a.insert("public_endpoint".into(), public);
    a.insert(
        "private_endpoint".into(),
        jval_str(j, "/status/privateEndpoint"),
    );
    carry(&mut a, keep, &["eip_id"]);
    Some(a)
}

pub struct ClusterEipType {
    api: Arc<dyn CceApi>,
    schema: ResourceSchema,
}

impl ClusterEipType {
    pub fn new(api: Arc<dyn CceApi>) -> Self {
        ClusterEipType {
            api,
            schema: cluster_eip_schema(),
        }
    }

    async fn bind(&self, cluster_id: &str, desired: &Attrs) -> Result<Started, ProviderError> {
        let eip = require(desired, "eip_id")?;
        let resp = self
            .api
            .update_master_eip(cluster_id, bind_body(eip))
            .await?;
        let attrs = match eip_attrs(cluster_id, &resp, desired) {
            Some(a) => a,
            // Some answers carry no status; read the addresses back.
            None => {
                let j = self.api.show_cluster_endpoints(cluster_id).await?;
                eip_attrs(cluster_id, &j, desired).unwrap_or_else(|| {
                    let mut a = Attrs::new();
                    a.insert("id".into(), Value::str(cluster_id));
                    a.insert("cluster_id".into(), Value::str(cluster_id));
                    carry(&mut a, desired, &["eip_id"]);
                    a
                })
            }
        };
        Ok(Started::Done {
            id: cluster_id.to_string(),
            attrs,
        })
    }

    async fn lookup(
        &self,
        cluster_id: &str,
        keep: &Attrs,
    ) -> Result<Option<ReadResult>, ProviderError> {
        let Some(j) = found(self.api.show_cluster_endpoints(cluster_id).await)? else {
            return Ok(None);
        };
        Ok(eip_attrs(cluster_id, &j, keep).map(|attrs| {
            let fingerprint = format!(
                "public={}",
                attrs
                    .get("public_endpoint")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
            );
            ReadResult {
                id: cluster_id.to_string(),
                attrs,
                fingerprint,
                running: None,
            }
        }))
    }
}

#[async_trait]
impl ResourceType for ClusterEipType {
    fn schema(&self) -> &ResourceSchema {
        &self.schema
    }

    async fn read(&self, id: &str, recorded: &Attrs) -> Result<Option<ReadResult>, ProviderError> {
        self.lookup(id, recorded).await
    }

    async fn find(&self, desired: &Attrs) -> Result<Option<ReadResult>, ProviderError> {
        let cluster_id = require(desired, "cluster_id")?;
        self.lookup(cluster_id, desired).await
    }

    async fn create(&self, desired: &Attrs) -> Result<Started, ProviderError> {
        let cluster_id = require(desired, "cluster_id")?;
        self.bind(cluster_id, desired).await
    }

    async fn update(
        &self,
        id: &str,
        _recorded: &Attrs,
        desired: &Attrs,
    ) -> Result<Started, ProviderError> {
        // A different EIP: unbind, then bind the new one.
        self.api.update_master_eip(id, unbind_body()).await?;
        self.bind(id, desired).await
    }

    async fn delete(&self, id: &str, _recorded: &Attrs) -> Result<Started, ProviderError> {
        found(self.api.update_master_eip(id, unbind_body()).await)?;
        Ok(Started::Done {
            id: id.to_string(),
            attrs: Attrs::new(),
        })
    }

    async fn poll(&self, op: &Operation) -> Result<Poll, ProviderError> {
        Err(ProviderError::Permanent {
            code: None,
            message: format!(
                "huawei_autopilot_cluster_eip has no pending operations (got `{}`)",
                op.kind
            ),
            request_id: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::{not_found, FakeApi};

    /// The seed's bind response (§4.1.8).
    fn bound() -> Json {
        json!({"metadata": {}, "spec": {"action": "bind", "spec": {"id": "a757a69e-f920-455a-b1ba-d7a22db0fd50",
            "eip": {"bandwidth": {"size": 5, "sharetype": "PER"}}, "isDynamic": false}, "elasticIp": "8.8.8.8"},
            "status": {"privateEndpoint": "https://192.168.3.238:5443", "publicEndpoint": "https://8.8.8.8:5443"}})
    }

    /// The seed's `GET openapi` with nothing bound (§4.1.9).
    fn unbound() -> Json {
        json!({"metadata": {}, "spec": {"spec": {"eip": {"bandwidth": {}}, "isDynamic": false}},
            "status": {"privateEndpoint": "https://192.168.3.238:5443", "publicEndpoint": ""}})
    }

    fn desired(eip: &str) -> Attrs {
        [
            ("cluster_id".to_string(), Value::str("c1")),
            ("eip_id".to_string(), Value::str(eip)),
        ]
        .into()
    }

    #[tokio::test]
    async fn bind_records_the_endpoints_and_the_eip() {
        let api = FakeApi::new();
        let t = ClusterEipType::new(api.clone());
        api.ok("update_master_eip", bound());
        let Started::Done { id, attrs } = t.create(&desired("a757")).await.unwrap() else {
            panic!()
        };
        assert_eq!(id, "c1");
        assert_eq!(
            attrs.get("public_endpoint"),
            Some(&Value::str("https://8.8.8.8:5443"))
        );
        assert_eq!(attrs.get("eip_id"), Some(&Value::str("a757")));
        assert_eq!(
            api.calls_to("update_master_eip")[0],
            json!(["c1", {"spec": {"action": "bind", "spec": {"id": "a757"}}}])
        );
    }

    #[tokio::test]
    async fn an_empty_public_endpoint_means_unbound() {
        let api = FakeApi::new();
        let t = ClusterEipType::new(api.clone());
        api.ok("show_cluster_endpoints", unbound());
        assert!(t.read("c1", &desired("x")).await.unwrap().is_none());
        api.ok("show_cluster_endpoints", bound());
        let r = t.find(&desired("x")).await.unwrap().unwrap();
        assert_eq!(r.fingerprint, "public=https://8.8.8.8:5443");
    }

    #[tokio::test]
    async fn changing_the_eip_unbinds_then_binds() {
        let api = FakeApi::new();
        let t = ClusterEipType::new(api.clone());
        // Unbind answers with no body; a bind answer without status is read back.
        api.ok("update_master_eip", Json::Null);
        api.ok("show_cluster_endpoints", bound());
        let Started::Done { attrs, .. } = t
            .update("c1", &desired("old"), &desired("new"))
            .await
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(attrs.get("eip_id"), Some(&Value::str("new")));
        let calls = api.calls_to("update_master_eip");
        assert_eq!(calls[0][1], unbind_body());
        assert_eq!(calls[1][1], bind_body("new"));
        api.on("update_master_eip", Err(not_found()));
        assert!(matches!(
            t.delete("c1", &Attrs::new()).await.unwrap(),
            Started::Done { .. }
        ));
    }
}
