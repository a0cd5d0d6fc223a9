//! Cluster and job operations (§4.1, operations #1–#9) and the kubeconfig returned by #6.

use std::fmt;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::HuaweiClient;
use crate::cluster::*;
use crate::error::{snippet, ClientError};
use crate::request::{seg, ApiRequest, Query};

/// Body of `POST …/clustercert`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateAutopilotKubernetesClusterCertRequest {
    /// Validity in days, 1–1827, or `-1` for the five-year maximum.
    pub duration: i64,
}

/// A kubeconfig (`kind: Config`) plus the `Port-ID` response header. Sensitive: `Debug` redacts
/// the client key.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterCert {
    pub kubeconfig: Kubeconfig,
    /// Port id of the master, from the `Port-ID` response header.
    pub port_id: Option<String>,
}

/// The kubeconfig document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Kubeconfig {
    pub kind: Option<String>,
    pub api_version: Option<String>,
    pub preferences: Option<Value>,
    pub clusters: Vec<KubeconfigCluster>,
    pub users: Vec<KubeconfigUser>,
    pub contexts: Vec<KubeconfigContext>,
    #[serde(rename = "current-context")]
    pub current_context: Option<String>,
}

/// A named cluster entry (`internalCluster`, `externalCluster`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KubeconfigCluster {
    pub name: String,
    pub cluster: KubeconfigClusterServer,
}

/// Server address and CA.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct KubeconfigClusterServer {
    pub server: Option<String>,
    pub certificate_authority_data: Option<String>,
    #[serde(deserialize_with = "crate::lenient::opt_bool")]
    pub insecure_skip_tls_verify: Option<bool>,
}

/// A named user entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KubeconfigUser {
    pub name: String,
    pub user: KubeconfigUserAuth,
}

/// Client certificate and key (base64 PEM).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct KubeconfigUserAuth {
    pub client_certificate_data: Option<String>,
    pub client_key_data: Option<String>,
}

impl fmt::Debug for KubeconfigUserAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KubeconfigUserAuth")
            .field("client_certificate_data", &self.client_certificate_data)
            .field(
                "client_key_data",
                &self.client_key_data.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// A named context entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KubeconfigContext {
    pub name: String,
    pub context: KubeconfigContextRef,
}

/// Cluster and user of a context.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KubeconfigContextRef {
    pub cluster: Option<String>,
    pub user: Option<String>,
}

impl HuaweiClient {
    pub(crate) fn clusters_path(&self) -> Result<String, ClientError> {
        Ok(format!(
            "/autopilot/v3/projects/{}/clusters",
            seg("project id", self.project_id())?
        ))
    }

    pub(crate) fn cluster_path(&self, cluster_id: &str) -> Result<String, ClientError> {
        Ok(format!(
            "{}/{}",
            self.clusters_path()?,
            seg("cluster id", cluster_id)?
        ))
    }

    /// #1 `POST …/clusters` → 201. Poll the job in `status.jobID` or the cluster phase.
    pub async fn create_autopilot_cluster(
        &self,
        body: &CreateAutopilotClusterRequest,
    ) -> Result<AutopilotCluster, ClientError> {
        let req = ApiRequest::new(Method::POST, self.clusters_path()?).json(body)?;
        self.call_json(req).await
    }

    /// #2 `GET …/clusters/{cluster_id}`.
    pub async fn show_autopilot_cluster(
        &self,
        cluster_id: &str,
        query: &ShowAutopilotClusterQuery,
    ) -> Result<AutopilotCluster, ClientError> {
        let q = Query::default().opt_bool("detail", query.detail).finish();
        let req = ApiRequest::new(Method::GET, self.cluster_path(cluster_id)?).query(q);
        self.call_json(req).await
    }

    /// #3 `GET …/clusters` (no pagination).
    pub async fn list_autopilot_clusters(
        &self,
        query: &ListAutopilotClustersQuery,
    ) -> Result<ListAutopilotClustersResponse, ClientError> {
        let q = Query::default()
            .opt_bool("detail", query.detail)
            .opt("status", &query.status)
            .opt("type", &query.cluster_type)
            .opt("version", &query.version)
            .finish();
        let req = ApiRequest::new(Method::GET, self.clusters_path()?).query(q);
        self.call_json(req).await
    }

    /// #4 `PUT …/clusters/{cluster_id}`; synchronous.
    pub async fn update_autopilot_cluster(
        &self,
        cluster_id: &str,
        body: &UpdateAutopilotClusterRequest,
    ) -> Result<AutopilotCluster, ClientError> {
        let req = ApiRequest::new(Method::PUT, self.cluster_path(cluster_id)?).json(body)?;
        self.call_json(req).await
    }

    /// #5 `DELETE …/clusters/{cluster_id}`; poll the job or wait for a 404.
    pub async fn delete_autopilot_cluster(
        &self,
        cluster_id: &str,
        query: &DeleteAutopilotClusterQuery,
    ) -> Result<AutopilotCluster, ClientError> {
        let q = Query::default()
            .opt("delete_efs", &query.delete_efs)
            .opt("delete_eni", &query.delete_eni)
            .opt("delete_net", &query.delete_net)
            .opt("delete_obs", &query.delete_obs)
            .opt("delete_sfs30", &query.delete_sfs30)
            .opt("lts_reclaim_policy", &query.lts_reclaim_policy)
            .finish();
        let req = ApiRequest::new(Method::DELETE, self.cluster_path(cluster_id)?).query(q);
        self.call_json(req).await
    }

    /// #6 `POST …/clusters/{cluster_id}/clustercert`: a kubeconfig. Never store it.
    pub async fn create_autopilot_kubernetes_cluster_cert(
        &self,
        cluster_id: &str,
        body: &CreateAutopilotKubernetesClusterCertRequest,
    ) -> Result<ClusterCert, ClientError> {
        let path = format!("{}/clustercert", self.cluster_path(cluster_id)?);
        let req = ApiRequest::new(Method::POST, path.clone()).json(body)?;
        let raw = self.call(req).await?;
        let kubeconfig =
            serde_json::from_slice(&raw.body).map_err(|source| ClientError::Decode {
                method: "POST".to_owned(),
                path,
                status: raw.status,
                // The body holds a private key: keep it out of errors.
                snippet: format!("<{} bytes of kubeconfig>", snippet(&raw.body).len()),
                source,
            })?;
        let port_id = raw
            .headers
            .get("Port-ID")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(ClusterCert {
            kubeconfig,
            port_id,
        })
    }

    /// #7 `GET …/jobs/{job_id}`.
    pub async fn show_autopilot_job(&self, job_id: &str) -> Result<AutopilotJob, ClientError> {
        let path = format!(
            "/autopilot/v3/projects/{}/jobs/{}",
            seg("project id", self.project_id())?,
            seg("job id", job_id)?
        );
        self.call_json(ApiRequest::new(Method::GET, path)).await
    }

    /// #8 `PUT …/clusters/{cluster_id}/mastereip`. An unbind answers without a body (`None`).
    pub async fn update_autopilot_cluster_eip(
        &self,
        cluster_id: &str,
        body: &UpdateAutopilotClusterEipRequest,
    ) -> Result<Option<MasterEipResponse>, ClientError> {
        let path = format!("{}/mastereip", self.cluster_path(cluster_id)?);
        let req = ApiRequest::new(Method::PUT, path).json(body)?;
        self.call_opt_json(req).await
    }

    /// #9 `GET …/clusters/{cluster_id}/openapi`: private and public API server addresses.
    pub async fn show_autopilot_cluster_endpoints(
        &self,
        cluster_id: &str,
    ) -> Result<ShowAutopilotClusterEndpointsResponse, ClientError> {
        let path = format!("{}/openapi", self.cluster_path(cluster_id)?);
        self.call_json(ApiRequest::new(Method::GET, path)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::{client, fixture, PROJECT};

    #[tokio::test]
    async fn create_cluster_builds_a_signed_json_post_and_decodes_the_seed_response() {
        let (c, fake) = client();
        fake.reply(201, fixture!("cluster_create_response.json"));
        let spec = AutopilotClusterSpec {
            category: Some("Turbo".into()),
            flavor: Some("cce.autopilot.cluster".into()),
            version: Some("v1.28".into()),
            host_network: Some(AutopilotHostNetwork {
                vpc: "vpc-1".into(),
                subnet: "net-1".into(),
            }),
            container_network: Some(AutopilotContainerNetwork { mode: "eni".into() }),
            enable_snat: Some(false),
            service_network: Some(AutopilotServiceNetwork {
                ipv4_cidr: Some("10.247.0.0/16".into()),
            }),
            extend_param: Some(AutopilotClusterExtendParam {
                enterprise_project_id: Some("0".into()),
                upgradefrom: None,
            }),
            ..Default::default()
        };
        let metadata = AutopilotClusterMetadata {
            name: Some("test-cluster-autopilot".into()),
            ..Default::default()
        };
        let created = c
            .create_autopilot_cluster(&CreateAutopilotClusterRequest::new(metadata, spec))
            .await
            .unwrap();

        let sent = fake.last();
        assert_eq!(sent.method, "POST");
        assert_eq!(
            sent.path,
            format!("/autopilot/v3/projects/{PROJECT}/clusters")
        );
        assert_eq!(sent.query, "");
        assert_eq!(
            sent.json(),
            serde_json::json!({
                "kind": "Cluster", "apiVersion": "v3",
                "metadata": {"name": "test-cluster-autopilot"},
                "spec": {"category": "Turbo", "flavor": "cce.autopilot.cluster", "version": "v1.28",
                         "enableSnat": false,
                         "hostNetwork": {"vpc": "vpc-1", "subnet": "net-1"},
                         "containerNetwork": {"mode": "eni"},
                         "serviceNetwork": {"IPv4CIDR": "10.247.0.0/16"},
                         "extendParam": {"enterpriseProjectId": "0"}}
            })
        );
        assert_eq!(sent.header("content-type"), Some("application/json"));
        assert_eq!(sent.header("x-project-id"), Some(PROJECT));
        assert_eq!(sent.header("x-sdk-date"), Some("20240604T124928Z"));
        assert_eq!(
            sent.header("host"),
            Some("cce.ap-southeast-3.myhuaweicloud.com")
        );
        assert!(sent
            .header("authorization")
            .unwrap()
            .starts_with("SDK-HMAC-SHA256 Access=AKTEST, SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date, Signature="));

        let status = created.status.unwrap();
        assert_eq!(status.phase.as_deref(), Some("Creating"));
        assert_eq!(
            status.job_id.as_deref(),
            Some("e1c49157-2270-11ef-a160-0255ac100100")
        );
        let spec = created.spec.unwrap();
        assert_eq!(spec.platform_version.as_deref(), Some("cce.4.0"));
        assert_eq!(spec.billing_mode, Some(0));
        let annotations = created.metadata.unwrap().annotations.unwrap();
        assert_eq!(annotations["jobid"], "e1c49157-2270-11ef-a160-0255ac100100");
    }

    #[tokio::test]
    async fn show_and_delete_decode_the_seed_examples_with_mixed_casing() {
        let (c, fake) = client();
        fake.reply(200, fixture!("cluster_show_response.json"));
        fake.reply(200, fixture!("cluster_delete_response.json"));
        let shown = c
            .show_autopilot_cluster(
                "087dc72a",
                &ShowAutopilotClusterQuery { detail: Some(true) },
            )
            .await
            .unwrap();
        let spec = shown.spec.unwrap();
        assert_eq!(spec.az.as_deref(), Some("cn-north-7c"));
        assert_eq!(spec.extend_param.unwrap().upgradefrom.as_deref(), Some(""));
        let endpoints = shown.status.unwrap().endpoints.unwrap();
        assert_eq!(endpoints[0].endpoint_type.as_deref(), Some("Internal"));
        assert_eq!(fake.last().query, "detail=true");

        let query = DeleteAutopilotClusterQuery {
            delete_obs: Some("try".into()),
            lts_reclaim_policy: Some("Retain".into()),
            delete_efs: Some("true".into()),
            ..Default::default()
        };
        let deleted = c
            .delete_autopilot_cluster("a736db34", &query)
            .await
            .unwrap();
        let sent = fake.last();
        assert_eq!(sent.method, "DELETE");
        assert_eq!(
            sent.query,
            "delete_efs=true&delete_obs=try&lts_reclaim_policy=Retain"
        );
        let status = deleted.status.unwrap();
        assert_eq!(status.phase.as_deref(), Some("Available"));
        assert_eq!(status.delete_status.unwrap()["added"], 6);
    }

    #[tokio::test]
    async fn list_update_job_and_endpoints() {
        let (c, fake) = client();
        fake.reply(200, r#"{"kind":"Cluster","apiVersion":"v3","items":[]}"#);
        let query = ListAutopilotClustersQuery {
            status: Some("Available".into()),
            cluster_type: Some("VirtualMachine".into()),
            ..Default::default()
        };
        let list = c.list_autopilot_clusters(&query).await.unwrap();
        assert_eq!(list.items, Some(vec![]));
        assert_eq!(fake.last().query, "status=Available&type=VirtualMachine");

        fake.reply(200, fixture!("cluster_show_response.json"));
        let body = UpdateAutopilotClusterRequest {
            spec: AutopilotClusterInformationSpec {
                description: Some("new description".into()),
                ..Default::default()
            },
            metadata: None,
        };
        c.update_autopilot_cluster("c1", &body).await.unwrap();
        let seed: Value = serde_json::from_str(fixture!("cluster_update_request.json")).unwrap();
        assert_eq!(fake.last().json(), seed);
        assert_eq!(fake.last().method, "PUT");

        fake.reply(200, fixture!("job_show_response.json"));
        let job = c.show_autopilot_job("354331b2c").await.unwrap();
        assert_eq!(
            fake.last().path,
            format!("/autopilot/v3/projects/{PROJECT}/jobs/354331b2c")
        );
        let spec = job.spec.unwrap();
        assert_eq!(spec.job_type.as_deref(), Some("CreateCluster"));
        let sub = spec.sub_jobs.unwrap();
        assert_eq!(sub.len(), 2);
        assert_eq!(
            sub[0].status.as_ref().unwrap().phase.as_deref(),
            Some("Success")
        );
        assert_eq!(job.status.unwrap().phase.as_deref(), Some("Running"));

        fake.reply(200, fixture!("cluster_endpoints_response.json"));
        let ep = c.show_autopilot_cluster_endpoints("c1").await.unwrap();
        assert_eq!(
            fake.last().path,
            format!("/autopilot/v3/projects/{PROJECT}/clusters/c1/openapi")
        );
        assert_eq!(ep.status.unwrap().public_endpoint.as_deref(), Some(""));
        assert_eq!(ep.spec.unwrap().spec.unwrap().is_dynamic, Some(false));
    }

    #[tokio::test]
    async fn eip_bind_matches_the_seed_and_unbind_accepts_an_empty_body() {
        let (c, fake) = client();
        fake.reply(200, fixture!("cluster_eip_bind_response.json"));
        let bound = c
            .update_autopilot_cluster_eip(
                "c1",
                &UpdateAutopilotClusterEipRequest::bind("a757a69e-f920-455a-b1ba-d7a22db0fd51"),
            )
            .await
            .unwrap()
            .unwrap();
        let seed: Value = serde_json::from_str(fixture!("cluster_eip_bind_request.json")).unwrap();
        assert_eq!(fake.last().json(), seed);
        assert_eq!(
            bound.status.unwrap().public_endpoint.as_deref(),
            Some("https://8.8.8.8:5443")
        );
        let spec = bound.spec.unwrap().spec.unwrap();
        assert_eq!(spec.eip.unwrap().bandwidth.unwrap().size, Some(5));

        fake.reply(200, "");
        let unbound = c
            .update_autopilot_cluster_eip("c1", &UpdateAutopilotClusterEipRequest::unbind())
            .await
            .unwrap();
        assert_eq!(unbound, None);
        assert_eq!(
            fake.last().json(),
            serde_json::json!({"spec": {"action": "unbind"}})
        );
        // The table spelling IsDynamic is accepted too.
        let upper: EipSpec = serde_json::from_str(r#"{"IsDynamic": true}"#).unwrap();
        assert_eq!(upper.is_dynamic, Some(true));
    }

    #[tokio::test]
    async fn cluster_cert_reads_port_id_and_redacts_the_key() {
        let (c, fake) = client();
        fake.reply_with_headers(
            200,
            &[("Port-ID", "port-1")],
            fixture!("cluster_cert_response.json"),
        );
        let cert = c
            .create_autopilot_kubernetes_cluster_cert(
                "c1",
                &CreateAutopilotKubernetesClusterCertRequest { duration: 30 },
            )
            .await
            .unwrap();
        assert_eq!(fake.last().json(), serde_json::json!({"duration": 30}));
        assert_eq!(cert.port_id.as_deref(), Some("port-1"));
        assert_eq!(cert.kubeconfig.current_context.as_deref(), Some("internal"));
        assert_eq!(
            cert.kubeconfig.clusters[0].cluster.server.as_deref(),
            Some("https://192.168.1.7:5443")
        );
        let shown = format!("{cert:?}");
        assert!(
            !shown.contains("LS0tLS1CRUdJTi*****BLRVktLS0tLQo="),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn empty_ids_are_rejected_before_sending() {
        let (c, fake) = client();
        let err = c
            .show_autopilot_cluster("", &ShowAutopilotClusterQuery::default())
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::InvalidInput { .. }));
        assert!(fake.seen().is_empty());
    }
}
