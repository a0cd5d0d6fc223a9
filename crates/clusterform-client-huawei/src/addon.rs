//! Add-on management (§4.2, operations #10–#16): instances, templates and rollback.
//!
//! Add-on paths carry no project id; the project travels in `X-Project-Id`. `values` stays a free
//! JSON object because every template defines its own parameters.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::HuaweiClient;
use crate::error::ClientError;
use crate::lenient;
use crate::request::{seg, ApiRequest, Query};

const ADDONS: &str = "/autopilot/v3/addons";

/// An add-on instance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AddonInstance {
    pub kind: Option<String>,
    pub api_version: Option<String>,
    pub metadata: Option<AddonMetadata>,
    pub spec: Option<InstanceSpec>,
    pub status: Option<AddonInstanceStatus>,
}

/// Add-on (and template) metadata.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AddonMetadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// `{"addon.install/type": "install"}` on install, `{"addon.upgrade/type": "upgrade"}` on update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_timestamp: Option<String>,
}

/// Add-on instance specification as returned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct InstanceSpec {
    #[serde(rename = "clusterID")]
    pub cluster_id: Option<String>,
    pub version: Option<String>,
    pub addon_template_name: Option<String>,
    pub addon_template_type: Option<String>,
    pub addon_template_logo: Option<String>,
    pub addon_template_labels: Option<Vec<String>>,
    pub description: Option<String>,
    /// Server-expanded values (defaults and `systemAutoInject` added).
    pub values: Option<Value>,
}

/// Add-on status; `Reason` (capital R, as documented) is also accepted as `reason`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "AddonInstanceStatusWire", rename_all = "camelCase")]
pub struct AddonInstanceStatus {
    /// `installing`, `running`, `available`, `abnormal`, `upgrading`, `deleting`, ….
    pub status: Option<String>,
    #[serde(rename = "Reason")]
    pub reason: Option<String>,
    pub message: Option<String>,
    pub target_versions: Option<Vec<String>>,
    pub current_version: Option<Versions>,
    pub is_rollbackable: Option<bool>,
    pub previous_version: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct AddonInstanceStatusWire {
    status: Option<String>,
    #[serde(rename = "Reason")]
    reason_upper: Option<String>,
    reason: Option<String>,
    message: Option<String>,
    target_versions: Option<Vec<String>>,
    current_version: Option<Versions>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    is_rollbackable: Option<bool>,
    previous_version: Option<String>,
}

impl From<AddonInstanceStatusWire> for AddonInstanceStatus {
    fn from(w: AddonInstanceStatusWire) -> Self {
        AddonInstanceStatus {
            status: w.status,
            reason: w.reason_upper.or(w.reason),
            message: w.message,
            target_versions: w.target_versions,
            current_version: w.current_version,
            is_rollbackable: w.is_rollbackable,
            previous_version: w.previous_version,
        }
    }
}

/// One installable version of a template.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Versions {
    pub version: Option<String>,
    pub input: Option<Value>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub stable: Option<bool>,
    pub translate: Option<Value>,
    pub support_versions: Option<Vec<SupportVersions>>,
    pub creation_timestamp: Option<String>,
    pub update_timestamp: Option<String>,
}

/// Cluster versions (regular expressions) a template version supports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SupportVersions {
    pub cluster_type: Option<String>,
    pub cluster_version: Option<Vec<String>>,
}

/// Body of install (`POST /addons`) and update (`PUT /addons/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceRequest {
    /// Fixed `Addon`.
    pub kind: String,
    /// Fixed `v3`.
    pub api_version: String,
    pub metadata: AddonMetadata,
    pub spec: InstanceRequestSpec,
}

/// What to install or upgrade to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct InstanceRequestSpec {
    /// Optional on install (latest supported); mandatory on update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(rename = "clusterID")]
    pub cluster_id: String,
    /// All template parameters; on update, send the full set.
    pub values: Value,
    pub addon_template_name: String,
}

/// Body of install (#10): the spec with the fixed install annotation.
pub type CreateAutopilotAddonInstanceRequest = InstanceRequest;
/// Body of update (#12): the spec with the fixed upgrade annotation.
pub type UpdateAutopilotAddonInstanceRequest = InstanceRequest;

impl InstanceRequest {
    /// An install body (`addon.install/type: install`).
    pub fn install(spec: InstanceRequestSpec) -> Self {
        Self::with_annotation("addon.install/type", "install", spec)
    }

    /// An update body (`addon.upgrade/type: upgrade`); `spec.version` must be set.
    pub fn upgrade(spec: InstanceRequestSpec) -> Self {
        Self::with_annotation("addon.upgrade/type", "upgrade", spec)
    }

    fn with_annotation(key: &str, value: &str, spec: InstanceRequestSpec) -> Self {
        InstanceRequest {
            kind: "Addon".to_owned(),
            api_version: "v3".to_owned(),
            metadata: AddonMetadata {
                annotations: Some(BTreeMap::from([(key.to_owned(), value.to_owned())])),
                ..Default::default()
            },
            spec,
        }
    }
}

/// Body of rollback (#13).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RollbackAutopilotAddonInstanceRequest {
    #[serde(rename = "clusterID")]
    pub cluster_id: String,
}

/// List of add-on instances (#16).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ListAutopilotAddonInstancesResponse {
    pub kind: Option<String>,
    pub api_version: Option<String>,
    pub items: Option<Vec<AddonInstance>>,
}

/// List of add-on templates (#11).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ListAutopilotAddonTemplatesResponse {
    pub kind: Option<String>,
    pub api_version: Option<String>,
    pub items: Option<Vec<AddonTemplate>>,
}

/// An add-on template.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AddonTemplate {
    pub kind: Option<String>,
    pub api_version: Option<String>,
    pub metadata: Option<AddonMetadata>,
    pub spec: Option<AddonTemplateSpec>,
}

/// Template specification.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AddonTemplateSpec {
    /// `helm` or `static`.
    #[serde(rename = "type")]
    pub template_type: Option<String>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub require: Option<bool>,
    pub labels: Option<Vec<String>>,
    #[serde(rename = "logoURL")]
    pub logo_url: Option<String>,
    #[serde(rename = "readmeURL")]
    pub readme_url: Option<String>,
    pub description: Option<String>,
    pub versions: Option<Vec<Versions>>,
}

impl HuaweiClient {
    /// #10 `POST /autopilot/v3/addons` → 201, `status.status = installing`.
    pub async fn create_autopilot_addon_instance(
        &self,
        body: &CreateAutopilotAddonInstanceRequest,
    ) -> Result<AddonInstance, ClientError> {
        let req = ApiRequest::new(Method::POST, ADDONS.to_owned()).json(body)?;
        self.call_json(req).await
    }

    /// #11 `GET /autopilot/v3/addontemplates` (all templates, or one name or alias).
    pub async fn list_autopilot_addon_templates(
        &self,
        addon_template_name: Option<&str>,
    ) -> Result<ListAutopilotAddonTemplatesResponse, ClientError> {
        let name = addon_template_name.map(str::to_owned);
        let q = Query::default().opt("addon_template_name", &name).finish();
        let req = ApiRequest::new(Method::GET, "/autopilot/v3/addontemplates".to_owned()).query(q);
        self.call_json(req).await
    }

    /// #12 `PUT /autopilot/v3/addons/{id}`: upgrade or change values.
    pub async fn update_autopilot_addon_instance(
        &self,
        id: &str,
        body: &UpdateAutopilotAddonInstanceRequest,
    ) -> Result<AddonInstance, ClientError> {
        if body.spec.version.is_none() {
            return Err(ClientError::invalid(
                "spec.version is mandatory when updating an add-on",
            ));
        }
        let path = format!("{ADDONS}/{}", seg("add-on id", id)?);
        let req = ApiRequest::new(Method::PUT, path).json(body)?;
        self.call_json(req).await
    }

    /// #13 `POST /autopilot/v3/addons/{id}/operation/rollback`.
    pub async fn rollback_autopilot_addon_instance(
        &self,
        id: &str,
        body: &RollbackAutopilotAddonInstanceRequest,
    ) -> Result<AddonInstance, ClientError> {
        let path = format!("{ADDONS}/{}/operation/rollback", seg("add-on id", id)?);
        let req = ApiRequest::new(Method::POST, path).json(body)?;
        self.call_json(req).await
    }

    /// #14 `DELETE /autopilot/v3/addons/{id}`; the body is the text `success`.
    pub async fn delete_autopilot_addon_instance(
        &self,
        id: &str,
        cluster_id: Option<&str>,
    ) -> Result<String, ClientError> {
        let path = format!("{ADDONS}/{}", seg("add-on id", id)?);
        let q = Query::default()
            .opt("cluster_id", &cluster_id.map(str::to_owned))
            .finish();
        self.call_text(ApiRequest::new(Method::DELETE, path).query(q))
            .await
    }

    /// #15 `GET /autopilot/v3/addons/{id}`.
    pub async fn show_autopilot_addon_instance(
        &self,
        id: &str,
        cluster_id: Option<&str>,
    ) -> Result<AddonInstance, ClientError> {
        let path = format!("{ADDONS}/{}", seg("add-on id", id)?);
        let q = Query::default()
            .opt("cluster_id", &cluster_id.map(str::to_owned))
            .finish();
        self.call_json(ApiRequest::new(Method::GET, path).query(q))
            .await
    }

    /// #16 `GET /autopilot/v3/addons?cluster_id=` (the cluster id is required).
    pub async fn list_autopilot_addon_instances(
        &self,
        cluster_id: &str,
    ) -> Result<ListAutopilotAddonInstancesResponse, ClientError> {
        if cluster_id.is_empty() {
            return Err(ClientError::invalid("cluster id must not be empty"));
        }
        let q = vec![("cluster_id".to_owned(), cluster_id.to_owned())];
        self.call_json(ApiRequest::new(Method::GET, ADDONS.to_owned()).query(q))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::{client, fixture};
    use serde_json::json;

    #[tokio::test]
    async fn install_posts_the_documented_body_without_project_in_path() {
        let (c, fake) = client();
        fake.reply(201, fixture!("addon_create_response.json"));
        let body = InstanceRequest::install(InstanceRequestSpec {
            version: None,
            cluster_id: "597f2d95".into(),
            values: json!({"flavor": {"name": "autopilot-flavor1", "replicas": 2}}),
            addon_template_name: "coredns".into(),
        });
        let created = c.create_autopilot_addon_instance(&body).await.unwrap();
        let sent = fake.last();
        assert_eq!(
            (sent.method.as_str(), sent.path.as_str()),
            ("POST", "/autopilot/v3/addons")
        );
        assert_eq!(sent.header("x-project-id"), Some(crate::fake::PROJECT));
        assert_eq!(
            sent.json(),
            json!({"kind": "Addon", "apiVersion": "v3",
                   "metadata": {"annotations": {"addon.install/type": "install"}},
                   "spec": {"clusterID": "597f2d95", "addonTemplateName": "coredns",
                            "values": {"flavor": {"name": "autopilot-flavor1", "replicas": 2}}}})
        );
        let spec = created.spec.unwrap();
        assert_eq!(
            spec.addon_template_labels,
            Some(vec!["ContainerNetwork".to_owned()])
        );
        let values = spec.values.unwrap();
        assert_eq!(values["basic"]["swr_user"], "autopilot-official");
    }

    #[tokio::test]
    async fn status_accepts_both_reason_spellings_and_null_target_versions() {
        let upper: AddonInstanceStatus = serde_json::from_str(
            r#"{"status":"installing","Reason":"","message":"","targetVersions":null,
                "isRollbackable":false,"currentVersion":{"version":"1.28.6","stable":true}}"#,
        )
        .unwrap();
        assert_eq!(upper.reason.as_deref(), Some(""));
        assert_eq!(upper.target_versions, None);
        assert_eq!(upper.current_version.unwrap().stable, Some(true));
        let lower: AddonInstanceStatus =
            serde_json::from_str(r#"{"status":"upgrading","reason":"addon upgrading"}"#).unwrap();
        assert_eq!(lower.reason.as_deref(), Some("addon upgrading"));
    }

    #[tokio::test]
    async fn templates_list_decodes_the_seed_and_sends_the_name_query() {
        let (c, fake) = client();
        fake.reply(200, fixture!("addon_templates_response.json"));
        let list = c
            .list_autopilot_addon_templates(Some("cie-collector"))
            .await
            .unwrap();
        assert_eq!(fake.last().path, "/autopilot/v3/addontemplates");
        assert_eq!(fake.last().query, "addon_template_name=cie-collector");
        let items = list.items.unwrap();
        let template = &items[0];
        assert_eq!(
            template.metadata.as_ref().unwrap().alias.as_deref(),
            Some("kube-prometheus-stack")
        );
        let spec = template.spec.as_ref().unwrap();
        assert_eq!(spec.template_type.as_deref(), Some("helm"));
        assert_eq!(
            spec.versions.as_ref().unwrap()[0].version.as_deref(),
            Some("3.9.3")
        );
    }

    #[tokio::test]
    async fn update_requires_a_version_and_delete_reads_text() {
        let (c, fake) = client();
        let mut spec = InstanceRequestSpec {
            cluster_id: "c1".into(),
            addon_template_name: "coredns".into(),
            values: json!({}),
            version: None,
        };
        let err = c
            .update_autopilot_addon_instance("a1", &InstanceRequest::upgrade(spec.clone()))
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::InvalidInput { .. }));
        spec.version = Some("1.28.6".into());
        fake.reply(
            200,
            r#"{"kind":"Addon","status":{"status":"upgrading","Reason":"addon upgrading"}}"#,
        );
        let updated = c
            .update_autopilot_addon_instance("a1", &InstanceRequest::upgrade(spec))
            .await
            .unwrap();
        assert_eq!(
            updated.status.unwrap().reason.as_deref(),
            Some("addon upgrading")
        );
        assert_eq!(
            fake.last().json()["metadata"]["annotations"]["addon.upgrade/type"],
            "upgrade"
        );

        fake.reply(200, "success");
        assert_eq!(
            c.delete_autopilot_addon_instance("a1", Some("c1"))
                .await
                .unwrap(),
            "success"
        );
        assert_eq!(fake.last().query, "cluster_id=c1");
        fake.reply(200, r#""success""#);
        assert_eq!(
            c.delete_autopilot_addon_instance("a1", None).await.unwrap(),
            "success"
        );
        assert_eq!(fake.last().query, "");
    }

    #[tokio::test]
    async fn rollback_list_and_show_paths() {
        let (c, fake) = client();
        fake.reply(
            200,
            r#"{"status":{"status":"rollbacking","Reason":"Rollback to 1"}}"#,
        );
        let body = RollbackAutopilotAddonInstanceRequest {
            cluster_id: "*****".into(),
        };
        c.rollback_autopilot_addon_instance("a1", &body)
            .await
            .unwrap();
        let seed: Value = serde_json::from_str(fixture!("addon_rollback_request.json")).unwrap();
        assert_eq!(fake.last().json(), seed);
        assert_eq!(
            fake.last().path,
            "/autopilot/v3/addons/a1/operation/rollback"
        );

        fake.reply(
            200,
            r#"{"kind":"Addon","apiVersion":"v3","items":[{"kind":"Addon"}]}"#,
        );
        let list = c.list_autopilot_addon_instances("c1").await.unwrap();
        assert_eq!(list.items.unwrap().len(), 1);
        assert!(c.list_autopilot_addon_instances("").await.is_err());

        fake.reply(
            404,
            r#"{"error_code":"CCE.03404001","error_msg":"Resource not found."}"#,
        );
        let err = c
            .show_autopilot_addon_instance("gone", Some("c1"))
            .await
            .unwrap_err();
        assert!(err.is_not_found());
        assert_eq!(fake.last().path, "/autopilot/v3/addons/gone");
    }
}
