//! `HuaweiProvider`: the configured provider (settings + credentials → a signed client), its
//! resource types and data sources, the plan-time catalog it loads in `prepare_plan`, and the
//! imperative actions the CLI offers (add-on rollback, upgrade retry and cancel, plan pre-checks).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use clusterform_client_huawei::{Credentials, HuaweiClient};
use clusterform_model::{PlanHooks, ProviderSchema, Value};
use clusterform_provider::{
    DataSource, Operation, Provider, ProviderError, RateLimit, ResourceType,
};

use crate::adapter::map_client_error;
use crate::addon::AddonType;
use crate::api::{found, CceApi};
use crate::catalog::Catalog;
use crate::chart::ChartType;
use crate::cluster::ClusterType;
use crate::conv::jstr;
use crate::data_read::HuaweiDataSource;
use crate::eip::ClusterEipType;
use crate::hooks::HuaweiHooks;
use crate::release::ReleaseType;
use crate::route::UpgradeOptions;
use crate::schema::{provider_schema, ADDON, CHART, CLUSTER, CLUSTER_EIP, PROVIDER, RELEASE};
use crate::upgrade::{precheck_body, precheck_outcome};

/// Requests per second when the provider block sets no `rate_limit`.
const DEFAULT_RATE: f64 = 10.0;

/// How often and how long `precheck` waits for the cloud's verdict.
const PRECHECK_EVERY: Duration = Duration::from_secs(5);
const PRECHECK_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The validated `[providers.huawei]` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub region: String,
    pub project_id: String,
    pub endpoint: Option<String>,
    pub sandbox: bool,
    pub rate_limit: Option<f64>,
}

fn config_error(message: impl Into<String>) -> ProviderError {
    ProviderError::Config {
        message: message.into(),
    }
}

impl Settings {
    /// Reads the provider block. With `sandbox = true` the CLI starts the embedded emulator and
    /// must put its address in `endpoint`.
    pub fn parse(settings: &BTreeMap<String, Value>) -> Result<Settings, ProviderError> {
        let text = |k: &str| {
            settings
                .get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let region = text("region")
            .ok_or_else(|| config_error("`region` is required, e.g. \"ap-southeast-1\""))?;
        let project_id =
            text("project_id").ok_or_else(|| config_error("`project_id` is required"))?;
        let sandbox = settings
            .get("sandbox")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let endpoint = text("endpoint").map(str::to_string);
        if sandbox && endpoint.is_none() {
            return Err(config_error(
                "`sandbox = true` needs the embedded emulator's address as `endpoint`",
            ));
        }
        let rate_limit = match settings.get("rate_limit") {
            None | Some(Value::Null) => None,
            Some(Value::Int(i)) if *i > 0 => Some(*i as f64),
            Some(Value::Float(f)) if *f > 0.0 => Some(*f),
            Some(other) => {
                return Err(config_error(format!(
                    "`rate_limit` must be a positive number of calls per second, not {other}"
                )))
            }
        };
        Ok(Settings {
            region: region.to_string(),
            project_id: project_id.to_string(),
            endpoint,
            sandbox,
            rate_limit,
        })
    }
}

/// The Huawei CCE Autopilot provider.
pub struct HuaweiProvider {
    api: Arc<dyn CceApi>,
    settings: Settings,
    hooks: HuaweiHooks,
    cluster: ClusterType,
    addon: AddonType,
    eip: ClusterEipType,
    chart: ChartType,
    release: ReleaseType,
    data_sources: BTreeMap<String, HuaweiDataSource>,
}

impl HuaweiProvider {
    /// Builds the provider from its settings and the credentials the CLI read from
    /// `HUAWEICLOUD_SDK_AK` / `HUAWEICLOUD_SDK_SK`.
    pub fn new(
        settings: &BTreeMap<String, Value>,
        credentials: Credentials,
    ) -> Result<Self, ProviderError> {
        let s = Settings::parse(settings)?;
        let mut b = HuaweiClient::builder()
            .region(s.region.clone())
            .project_id(s.project_id.clone())
            .credentials(credentials);
        if let Some(e) = &s.endpoint {
            b = b.endpoint(e.clone());
        }
        let client = b.build().map_err(|e| match map_client_error(e) {
            ProviderError::Permanent { message, .. } => config_error(message),
            other => other,
        })?;
        Ok(Self::with_api(Arc::new(client), s))
    }

    /// The provider over any implementation of the API (tests, other transports).
    pub fn with_api(api: Arc<dyn CceApi>, settings: Settings) -> Self {
        let data_sources = crate::data::data_source_schemas()
            .into_iter()
            .map(|s| (s.type_name.clone(), HuaweiDataSource::new(api.clone(), s)))
            .collect();
        HuaweiProvider {
            cluster: ClusterType::new(api.clone()),
            addon: AddonType::new(api.clone()),
            eip: ClusterEipType::new(api.clone()),
            chart: ChartType::new(api.clone(), None),
            release: ReleaseType::new(api.clone()),
            data_sources,
            hooks: HuaweiHooks::new(),
            settings,
            api,
        }
    }

    /// Resolves relative chart `file` paths against the stack directory.
    pub fn with_base_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.chart = ChartType::new(self.api.clone(), Some(dir.into()));
        self
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The concrete hooks (to inspect or preload the catalog).
    pub fn huawei_hooks(&self) -> &HuaweiHooks {
        &self.hooks
    }

    /// Rolls an add-on back to its previous version; poll the returned operation through the
    /// `huawei_autopilot_addon` resource type.
    pub async fn rollback_addon(
        &self,
        id: &str,
        cluster_id: &str,
    ) -> Result<Operation, ProviderError> {
        self.addon.rollback(id, cluster_id).await
    }

    /// Re-runs the cluster's failed upgrade task.
    pub async fn retry_upgrade(&self, cluster_id: &str) -> Result<(), ProviderError> {
        self.api.retry_upgrade_task(cluster_id).await.map(|_| ())
    }

    /// Cancels an upgrade workflow (allowed while no step runs); returns the workflow's phase.
    pub async fn cancel_upgrade_workflow(
        &self,
        cluster_id: &str,
        workflow_id: &str,
    ) -> Result<String, ProviderError> {
        let w = self
            .api
            .cancel_upgrade_workflow(cluster_id, workflow_id)
            .await?;
        Ok(jstr(&w, "/status/phase").unwrap_or("Cancel").to_string())
    }

    /// Runs the pre-upgrade check towards `target_version` and waits for its verdict, for
    /// `plan --precheck`: `Ok("pre-check passed")`, `Ok("pre-check failed: …")`, or an error.
    pub async fn precheck(
        &self,
        cluster_id: &str,
        target_version: &str,
    ) -> Result<String, ProviderError> {
        self.precheck_with(cluster_id, target_version, PRECHECK_EVERY, PRECHECK_TIMEOUT)
            .await
    }

    /// [`Self::precheck`] with explicit poll interval and timeout.
    pub async fn precheck_with(
        &self,
        cluster_id: &str,
        target_version: &str,
        every: Duration,
        timeout: Duration,
    ) -> Result<String, ProviderError> {
        let cluster = self.api.show_cluster(cluster_id).await?;
        let current = jstr(&cluster, "/spec/version")
            .unwrap_or_default()
            .to_string();
        let body = precheck_body(
            cluster_id,
            &(current, target_version.to_string()),
            &UpgradeOptions::default(),
        );
        let task = self.api.create_precheck(cluster_id, body).await?;
        let uid = jstr(&task, "/metadata/uid")
            .ok_or_else(|| crate::api::malformed("pre-check returned no metadata.uid"))?
            .to_string();
        let mut waited = Duration::ZERO;
        loop {
            let t = self.api.show_precheck(cluster_id, &uid).await?;
            if let Some(outcome) = precheck_outcome(&t) {
                return Ok(outcome.unwrap_or_else(|failed| failed));
            }
            if waited >= timeout {
                return Err(ProviderError::Transient {
                    message: format!(
                        "pre-check {uid} did not finish within {}s",
                        timeout.as_secs()
                    ),
                });
            }
            tokio::time::sleep(every).await;
            waited += every;
        }
    }

    /// Reads what the hooks need. Throttling and transient failures propagate (the caller
    /// retries); a part the cloud refuses outright is left out, and the hooks say so.
    async fn load_catalog(&self) -> Result<Catalog, ProviderError> {
        let soft = |r: Result<serde_json::Value, ProviderError>| match r {
            Ok(j) => Ok(Some(j)),
            Err(e) if e.is_retryable() => Err(e),
            Err(_) => Ok(None),
        };
        let paths = soft(self.api.list_upgrade_paths().await)?;
        let templates = soft(self.api.list_addon_templates(None).await)?;
        let quotas = soft(found(self.api.show_quotas().await).map(|o| o.unwrap_or_default()))?;
        let clusters = soft(self.api.list_clusters(None, None).await)?;
        let existing_clusters = clusters
            .iter()
            .flat_map(|j| {
                j.get("items")
                    .and_then(serde_json::Value::as_array)
                    .into_iter()
                    .flatten()
            })
            .filter_map(|i| {
                i.pointer("/metadata/name")
                    .and_then(serde_json::Value::as_str)
            })
            .map(str::to_string)
            .collect();
        let mut c = Catalog {
            existing_clusters,
            ..Catalog::default()
        };
        match paths.as_ref().map(Catalog::parse_upgrade_paths) {
            Some(p) if !p.is_empty() => c.upgrade_paths = p,
            _ => {
                c.upgrade_paths = Catalog::builtin().upgrade_paths;
                c.paths_builtin = true;
            }
        }
        c.addon_templates = templates
            .as_ref()
            .map(Catalog::parse_addon_templates)
            .unwrap_or_default();
        c.cluster_quota = quotas.as_ref().and_then(Catalog::parse_cluster_quota);
        Ok(c)
    }
}

#[async_trait]
impl Provider for HuaweiProvider {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn schema(&self) -> ProviderSchema {
        provider_schema()
    }

    fn resource(&self, type_name: &str) -> Option<&dyn ResourceType> {
        match type_name {
            CLUSTER => Some(&self.cluster),
            ADDON => Some(&self.addon),
            CLUSTER_EIP => Some(&self.eip),
            CHART => Some(&self.chart),
            RELEASE => Some(&self.release),
            _ => None,
        }
    }

    fn data_source(&self, type_name: &str) -> Option<&dyn DataSource> {
        self.data_sources
            .get(type_name)
            .map(|d| d as &dyn DataSource)
    }

    async fn prepare_plan(&self) -> Result<(), ProviderError> {
        let catalog = self.load_catalog().await?;
        self.hooks.set_catalog(catalog);
        Ok(())
    }

    fn hooks(&self) -> &dyn PlanHooks {
        &self.hooks
    }

    fn rate_limit(&self) -> RateLimit {
        let per_second = self.settings.rate_limit.unwrap_or(DEFAULT_RATE);
        RateLimit {
            per_second,
            burst: (per_second * 2.0).ceil().max(1.0) as u32,
        }
    }
}

#[cfg(test)]
#[path = "provider_tests.rs"]
mod tests;
