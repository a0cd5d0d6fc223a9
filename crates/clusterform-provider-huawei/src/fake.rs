//! A scripted stand-in for the cloud, for unit tests of the resource types: each method answers
//! from its own queue (the last answer repeats until a new one is queued) and every call is logged
//! with its arguments.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use clusterform_provider::ProviderError;
use serde_json::{json, Value as Json};

use crate::api::{ApiResult, CceApi};

#[derive(Default)]
pub struct FakeApi {
    /// Answers per method, each with whether it was served already.
    script: Mutex<BTreeMap<String, VecDeque<(ApiResult, bool)>>>,
    calls: Mutex<Vec<(String, Json)>>,
}

pub fn not_found() -> ProviderError {
    ProviderError::NotFound {
        message: "gone".into(),
    }
}

impl FakeApi {
    pub fn new() -> Arc<FakeApi> {
        Arc::new(FakeApi::default())
    }

    /// Queues an answer for `method`.
    pub fn on(&self, method: &str, answer: ApiResult) -> &Self {
        let mut script = self.script.lock().unwrap();
        let q = script.entry(method.to_string()).or_default();
        // An answer that was served and is only repeating gives way to the new one.
        q.retain(|(_, served)| !served);
        q.push_back((answer, false));
        self
    }

    pub fn ok(&self, method: &str, body: Json) -> &Self {
        self.on(method, Ok(body))
    }

    /// Arguments of every call to `method`, in order.
    pub fn calls_to(&self, method: &str) -> Vec<Json> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, _)| m == method)
            .map(|(_, a)| a.clone())
            .collect()
    }

    /// Names of all calls, in order.
    pub fn call_names(&self) -> Vec<String> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|(m, _)| m.clone())
            .collect()
    }

    fn next(&self, method: &str, args: Json) -> ApiResult {
        self.calls.lock().unwrap().push((method.to_string(), args));
        let mut script = self.script.lock().unwrap();
        let q = script.get_mut(method);
        match q {
            Some(q) if q.len() > 1 => q.pop_front().map(|(a, _)| a).unwrap_or(Ok(Json::Null)),
            Some(q) => match q.front_mut() {
                Some((a, served)) => {
                    *served = true;
                    a.clone()
                }
                None => Ok(Json::Null),
            },
            None => Err(ProviderError::Permanent {
                code: None,
                message: format!("unscripted call {method}"),
                request_id: None,
            }),
        }
    }
}

#[async_trait]
impl CceApi for FakeApi {
    async fn create_cluster(&self, body: Json) -> ApiResult {
        self.next("create_cluster", body)
    }
    async fn show_cluster(&self, c: &str) -> ApiResult {
        self.next("show_cluster", json!([c]))
    }
    async fn list_clusters(&self, s: Option<&str>, v: Option<&str>) -> ApiResult {
        self.next("list_clusters", json!([s, v]))
    }
    async fn update_cluster(&self, c: &str, body: Json) -> ApiResult {
        self.next("update_cluster", json!([c, body]))
    }
    async fn delete_cluster(&self, c: &str, q: &[(String, String)]) -> ApiResult {
        self.next("delete_cluster", json!([c, q]))
    }
    async fn create_cluster_cert(&self, c: &str, d: i64) -> ApiResult {
        self.next("create_cluster_cert", json!([c, d]))
    }
    async fn show_job(&self, j: &str) -> ApiResult {
        self.next("show_job", json!([j]))
    }
    async fn update_master_eip(&self, c: &str, body: Json) -> ApiResult {
        self.next("update_master_eip", json!([c, body]))
    }
    async fn show_cluster_endpoints(&self, c: &str) -> ApiResult {
        self.next("show_cluster_endpoints", json!([c]))
    }
    async fn show_quotas(&self) -> ApiResult {
        self.next("show_quotas", json!([]))
    }
    async fn create_cluster_tags(&self, c: &str, body: Json) -> ApiResult {
        self.next("create_cluster_tags", json!([c, body]))
    }
    async fn delete_cluster_tags(&self, c: &str, body: Json) -> ApiResult {
        self.next("delete_cluster_tags", json!([c, body]))
    }
    async fn create_addon(&self, body: Json) -> ApiResult {
        self.next("create_addon", body)
    }
    async fn list_addon_templates(&self, n: Option<&str>) -> ApiResult {
        self.next("list_addon_templates", json!([n]))
    }
    async fn update_addon(&self, a: &str, body: Json) -> ApiResult {
        self.next("update_addon", json!([a, body]))
    }
    async fn rollback_addon(&self, a: &str, c: &str) -> ApiResult {
        self.next("rollback_addon", json!([a, c]))
    }
    async fn delete_addon(&self, a: &str, c: &str) -> ApiResult {
        self.next("delete_addon", json!([a, c]))
    }
    async fn show_addon(&self, a: &str, c: &str) -> ApiResult {
        self.next("show_addon", json!([a, c]))
    }
    async fn list_addons(&self, c: &str) -> ApiResult {
        self.next("list_addons", json!([c]))
    }
    async fn upgrade_cluster(&self, c: &str, body: Json) -> ApiResult {
        self.next("upgrade_cluster", json!([c, body]))
    }
    async fn show_upgrade_task(&self, c: &str, t: &str) -> ApiResult {
        self.next("show_upgrade_task", json!([c, t]))
    }
    async fn retry_upgrade_task(&self, c: &str) -> ApiResult {
        self.next("retry_upgrade_task", json!([c]))
    }
    async fn list_upgrade_tasks(&self, c: &str) -> ApiResult {
        self.next("list_upgrade_tasks", json!([c]))
    }
    async fn create_precheck(&self, c: &str, body: Json) -> ApiResult {
        self.next("create_precheck", json!([c, body]))
    }
    async fn show_precheck(&self, c: &str, t: &str) -> ApiResult {
        self.next("show_precheck", json!([c, t]))
    }
    async fn list_prechecks(&self, c: &str) -> ApiResult {
        self.next("list_prechecks", json!([c]))
    }
    async fn create_postcheck(&self, c: &str, body: Json) -> ApiResult {
        self.next("create_postcheck", json!([c, body]))
    }
    async fn create_snapshot(&self, c: &str) -> ApiResult {
        self.next("create_snapshot", json!([c]))
    }
    async fn list_snapshot_tasks(&self, c: &str) -> ApiResult {
        self.next("list_snapshot_tasks", json!([c]))
    }
    async fn show_upgrade_info(&self, c: &str) -> ApiResult {
        self.next("show_upgrade_info", json!([c]))
    }
    async fn list_upgrade_paths(&self) -> ApiResult {
        self.next("list_upgrade_paths", json!([]))
    }
    async fn list_upgrade_feature_gates(&self) -> ApiResult {
        self.next("list_upgrade_feature_gates", json!([]))
    }
    async fn create_upgrade_workflow(&self, c: &str, body: Json) -> ApiResult {
        self.next("create_upgrade_workflow", json!([c, body]))
    }
    async fn list_upgrade_workflows(&self, c: &str) -> ApiResult {
        self.next("list_upgrade_workflows", json!([c]))
    }
    async fn show_upgrade_workflow(&self, c: &str, w: &str) -> ApiResult {
        self.next("show_upgrade_workflow", json!([c, w]))
    }
    async fn cancel_upgrade_workflow(&self, c: &str, w: &str) -> ApiResult {
        self.next("cancel_upgrade_workflow", json!([c, w]))
    }
    async fn upload_chart(&self, content: Vec<u8>, p: Json) -> ApiResult {
        self.next("upload_chart", json!([content.len(), p]))
    }
    async fn update_chart(&self, id: &str, content: Vec<u8>, p: Json) -> ApiResult {
        self.next("update_chart", json!([id, content.len(), p]))
    }
    async fn list_charts(&self) -> ApiResult {
        self.next("list_charts", json!([]))
    }
    async fn show_chart(&self, id: &str) -> ApiResult {
        self.next("show_chart", json!([id]))
    }
    async fn delete_chart(&self, id: &str) -> ApiResult {
        self.next("delete_chart", json!([id]))
    }
    async fn show_chart_values(&self, id: &str) -> ApiResult {
        self.next("show_chart_values", json!([id]))
    }
    async fn list_releases(&self, c: &str, chart: Option<&str>, ns: Option<&str>) -> ApiResult {
        self.next("list_releases", json!([c, chart, ns]))
    }
    async fn create_release(&self, c: &str, body: Json) -> ApiResult {
        self.next("create_release", json!([c, body]))
    }
    async fn update_release(&self, c: &str, ns: &str, n: &str, body: Json) -> ApiResult {
        self.next("update_release", json!([c, ns, n, body]))
    }
    async fn delete_release(&self, c: &str, ns: &str, n: &str) -> ApiResult {
        self.next("delete_release", json!([c, ns, n]))
    }
    async fn show_release(&self, c: &str, ns: &str, n: &str) -> ApiResult {
        self.next("show_release", json!([c, ns, n]))
    }
    async fn show_release_history(&self, c: &str, ns: &str, n: &str) -> ApiResult {
        self.next("show_release_history", json!([c, ns, n]))
    }
}
