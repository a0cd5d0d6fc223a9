//! Cluster upgrade operations (§4.3, operations #17–#33), including the v3.1 snapshot endpoints
//! and the PATCH that cancels a workflow.

use reqwest::Method;

use crate::client::HuaweiClient;
use crate::error::ClientError;
use crate::request::{seg, ApiRequest};
use crate::upgrade::*;

impl HuaweiClient {
    fn operation_path(&self, cluster_id: &str, rest: &str) -> Result<String, ClientError> {
        Ok(format!(
            "{}/operation/{rest}",
            self.cluster_path(cluster_id)?
        ))
    }

    /// #17 `POST …/operation/upgrade`: `metadata.uid` of the answer is the upgrade task id.
    pub async fn upgrade_autopilot_cluster(
        &self,
        cluster_id: &str,
        body: &UpgradeAutopilotClusterRequest,
    ) -> Result<UpgradeAutopilotClusterResponse, ClientError> {
        let req = ApiRequest::new(Method::POST, self.operation_path(cluster_id, "upgrade")?)
            .json(body)?;
        self.call_json(req).await
    }

    /// #18 `GET …/operation/upgrade/tasks/{task_id}`.
    pub async fn show_autopilot_upgrade_cluster_task(
        &self,
        cluster_id: &str,
        task_id: &str,
    ) -> Result<UpgradeTask, ClientError> {
        let rest = format!("upgrade/tasks/{}", seg("task id", task_id)?);
        let req = ApiRequest::new(Method::GET, self.operation_path(cluster_id, &rest)?);
        self.call_json(req).await
    }

    /// #19 `POST …/operation/upgrade/retry`: no body either way.
    pub async fn retry_autopilot_upgrade_cluster_task(
        &self,
        cluster_id: &str,
    ) -> Result<(), ClientError> {
        let req = ApiRequest::new(
            Method::POST,
            self.operation_path(cluster_id, "upgrade/retry")?,
        );
        self.call_empty(req).await
    }

    /// #20 `GET …/operation/upgrade/tasks`.
    pub async fn list_autopilot_upgrade_cluster_tasks(
        &self,
        cluster_id: &str,
    ) -> Result<KindList<UpgradeTask>, ClientError> {
        let req = ApiRequest::new(
            Method::GET,
            self.operation_path(cluster_id, "upgrade/tasks")?,
        );
        self.call_json(req).await
    }

    /// #21 `POST …/operation/precheck`: `metadata.uid` is the check task id.
    pub async fn create_autopilot_pre_check(
        &self,
        cluster_id: &str,
        body: &CreateAutopilotPreCheckRequest,
    ) -> Result<PrecheckTask, ClientError> {
        let req = ApiRequest::new(Method::POST, self.operation_path(cluster_id, "precheck")?)
            .json(body)?;
        self.call_json(req).await
    }

    /// #22 `GET …/operation/precheck/tasks/{task_id}`.
    pub async fn show_autopilot_pre_check(
        &self,
        cluster_id: &str,
        task_id: &str,
    ) -> Result<PrecheckTask, ClientError> {
        let rest = format!("precheck/tasks/{}", seg("task id", task_id)?);
        let req = ApiRequest::new(Method::GET, self.operation_path(cluster_id, &rest)?);
        self.call_json(req).await
    }

    /// #23 `GET …/operation/precheck/tasks`.
    pub async fn list_autopilot_pre_check_tasks(
        &self,
        cluster_id: &str,
    ) -> Result<KindList<PrecheckTask>, ClientError> {
        let req = ApiRequest::new(
            Method::GET,
            self.operation_path(cluster_id, "precheck/tasks")?,
        );
        self.call_json(req).await
    }

    /// #24 `POST …/operation/postcheck`: answers synchronously with the phase.
    pub async fn create_autopilot_post_check(
        &self,
        cluster_id: &str,
        body: &CreateAutopilotPostCheckRequest,
    ) -> Result<PostcheckTask, ClientError> {
        let req = ApiRequest::new(Method::POST, self.operation_path(cluster_id, "postcheck")?)
            .json(body)?;
        self.call_json(req).await
    }

    fn snapshot_path(&self, cluster_id: &str, rest: &str) -> Result<String, ClientError> {
        Ok(format!(
            "/autopilot/v3.1/projects/{}/clusters/{}/operation/snapshot{rest}",
            seg("project id", self.project_id())?,
            seg("cluster id", cluster_id)?
        ))
    }

    /// #25 `POST /autopilot/v3.1/…/operation/snapshot` (no body): the top-level `uid` is the task.
    pub async fn create_autopilot_cluster_master_snapshot(
        &self,
        cluster_id: &str,
    ) -> Result<CreateAutopilotClusterMasterSnapshotResponse, ClientError> {
        let req = ApiRequest::new(Method::POST, self.snapshot_path(cluster_id, "")?);
        self.call_json(req).await
    }

    /// #26 `GET /autopilot/v3.1/…/operation/snapshot/tasks` (there is no per-task GET).
    pub async fn list_autopilot_cluster_master_snapshot_tasks(
        &self,
        cluster_id: &str,
    ) -> Result<ListAutopilotClusterMasterSnapshotTasksResponse, ClientError> {
        let req = ApiRequest::new(Method::GET, self.snapshot_path(cluster_id, "/tasks")?);
        self.call_json(req).await
    }

    /// #27 `GET …/clusters/{cluster_id}/upgradeinfo`.
    pub async fn show_autopilot_cluster_upgrade_info(
        &self,
        cluster_id: &str,
    ) -> Result<ShowAutopilotClusterUpgradeInfoResponse, ClientError> {
        let path = format!("{}/upgradeinfo", self.cluster_path(cluster_id)?);
        self.call_json(ApiRequest::new(Method::GET, path)).await
    }

    /// #28 `GET /autopilot/v3/clusterupgradepaths`.
    pub async fn list_autopilot_cluster_upgrade_paths(
        &self,
    ) -> Result<ListAutopilotClusterUpgradePathsResponse, ClientError> {
        let path = "/autopilot/v3/clusterupgradepaths".to_owned();
        self.call_json(ApiRequest::new(Method::GET, path)).await
    }

    /// #29 `GET /autopilot/v3/clusterupgradefeaturegates`.
    pub async fn list_autopilot_cluster_upgrade_feature_gates(
        &self,
    ) -> Result<ListAutopilotClusterUpgradeFeatureGatesResponse, ClientError> {
        let path = "/autopilot/v3/clusterupgradefeaturegates".to_owned();
        self.call_json(ApiRequest::new(Method::GET, path)).await
    }

    /// #30 `POST …/operation/upgradeworkflows` → 201.
    pub async fn create_autopilot_upgrade_work_flow(
        &self,
        cluster_id: &str,
        body: &CreateAutopilotUpgradeWorkFlowRequest,
    ) -> Result<UpgradeWorkFlow, ClientError> {
        let path = self.operation_path(cluster_id, "upgradeworkflows")?;
        self.call_json(ApiRequest::new(Method::POST, path).json(body)?)
            .await
    }

    /// #31 `GET …/operation/upgradeworkflows`.
    pub async fn list_autopilot_upgrade_work_flows(
        &self,
        cluster_id: &str,
    ) -> Result<KindList<UpgradeWorkFlow>, ClientError> {
        let path = self.operation_path(cluster_id, "upgradeworkflows")?;
        self.call_json(ApiRequest::new(Method::GET, path)).await
    }

    /// #32 `GET …/operation/upgradeworkflows/{upgrade_workflow_id}`.
    pub async fn show_autopilot_upgrade_work_flow(
        &self,
        cluster_id: &str,
        upgrade_workflow_id: &str,
    ) -> Result<UpgradeWorkFlow, ClientError> {
        let rest = format!(
            "upgradeworkflows/{}",
            seg("workflow id", upgrade_workflow_id)?
        );
        let path = self.operation_path(cluster_id, &rest)?;
        self.call_json(ApiRequest::new(Method::GET, path)).await
    }

    /// #33 `PATCH …/operation/upgradeworkflows/{upgrade_workflow_id}`: cancel a workflow.
    pub async fn upgrade_autopilot_work_flow_update(
        &self,
        cluster_id: &str,
        upgrade_workflow_id: &str,
        body: &UpgradeWorkFlowUpdateRequest,
    ) -> Result<UpgradeWorkFlow, ClientError> {
        let rest = format!(
            "upgradeworkflows/{}",
            seg("workflow id", upgrade_workflow_id)?
        );
        let path = self.operation_path(cluster_id, &rest)?;
        self.call_json(ApiRequest::new(Method::PATCH, path).json(body)?)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::{client, fixture, PROJECT};
    use serde_json::Value;

    fn seed(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[tokio::test]
    async fn upgrade_sends_the_seed_body_and_reads_the_task_id() {
        let (c, fake) = client();
        fake.reply(200, fixture!("upgrade_response.json"));
        let body = UpgradeAutopilotClusterRequest::new(ClusterUpgradeAction {
            strategy: UpgradeStrategy::in_place(Some(20)),
            target_version: "v1.23".into(),
            ..Default::default()
        });
        let answer = c.upgrade_autopilot_cluster("c1", &body).await.unwrap();
        let sent = fake.last();
        assert_eq!(
            sent.path,
            format!("/autopilot/v3/projects/{PROJECT}/clusters/c1/operation/upgrade")
        );
        assert_eq!(sent.json(), seed(fixture!("upgrade_request.json")));
        assert_eq!(
            answer.metadata.unwrap().uid.as_deref(),
            Some("976a33e2-f545-11ed-87af-0255ac1002c2")
        );
        let action = answer.spec.unwrap().cluster_upgrade_action.unwrap();
        assert_eq!(action.target_version.as_deref(), Some("v1.23.8-r0"));
        let step = action
            .strategy
            .unwrap()
            .in_place_rolling_update
            .unwrap()
            .user_defined_step;
        assert_eq!(step, Some(20));
    }

    #[tokio::test]
    async fn tasks_retry_and_lists() {
        let (c, fake) = client();
        fake.reply(200, fixture!("upgrade_task_response.json"));
        let task = c
            .show_autopilot_upgrade_cluster_task("c1", "t1")
            .await
            .unwrap();
        assert!(fake
            .last()
            .path
            .ends_with("/clusters/c1/operation/upgrade/tasks/t1"));
        let status = task.status.unwrap();
        assert_eq!(
            (status.phase.as_deref(), status.progress.as_deref()),
            (Some("Init"), Some("0.00"))
        );

        fake.reply(200, "");
        c.retry_autopilot_upgrade_cluster_task("c1").await.unwrap();
        let sent = fake.last();
        assert_eq!((sent.method.as_str(), sent.body.len()), ("POST", 0));
        assert!(sent.path.ends_with("/operation/upgrade/retry"));

        fake.reply(
            200,
            r#"{"kind":"List","apiVersion":"v3","metadata":{},"items":[{"kind":"UpgradeTask"}]}"#,
        );
        let list = c.list_autopilot_upgrade_cluster_tasks("c1").await.unwrap();
        assert_eq!(list.items.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn precheck_create_and_show_decode_the_seed() {
        let (c, fake) = client();
        fake.reply(200, fixture!("precheck_response.json"));
        let body = CreateAutopilotPreCheckRequest::new(PrecheckSpec {
            cluster_id: Some("8978deaa-1743-11ee-8e46-0255ac10004c".into()),
            cluster_version: Some("v1.15.11-r1".into()),
            target_version: Some("v1.19.16-r80".into()),
            skipped_check_item_list: Some(vec![]),
        });
        let created = c.create_autopilot_pre_check("c1", &body).await.unwrap();
        assert_eq!(fake.last().json(), seed(fixture!("precheck_request.json")));
        assert_eq!(created.status.unwrap().phase.as_deref(), Some("Init"));

        fake.reply(200, fixture!("precheck_task_response.json"));
        let task = c.show_autopilot_pre_check("c1", "f61e008c").await.unwrap();
        assert!(fake
            .last()
            .path
            .ends_with("/operation/precheck/tasks/f61e008c"));
        let status = task.status.unwrap();
        assert_eq!(
            status.expire_time_stamp.as_deref(),
            Some("2023-11-25 08:21:05.518966 +0000 UTC")
        );
        let items = status.cluster_check_status.unwrap().items_status.unwrap();
        assert_eq!(items[1].level.as_deref(), Some("Warning"));
        assert_eq!(items[0].risk_source, Some(RiskSource::default()));
    }

    #[tokio::test]
    async fn postcheck_snapshot_v31_and_info() {
        let (c, fake) = client();
        fake.reply(200, fixture!("postcheck_response.json"));
        let body = CreateAutopilotPostCheckRequest::new(PostcheckSpec {
            cluster_id: Some("8978deaa-1743-11ee-8e46-0255ac10004c".into()),
            cluster_version: Some("v1.15.11-r1".into()),
            target_version: Some("v1.19.16-r80".into()),
        });
        let post = c.create_autopilot_post_check("c1", &body).await.unwrap();
        assert_eq!(fake.last().json(), seed(fixture!("postcheck_request.json")));
        assert_eq!(post.status.unwrap().phase.as_deref(), Some("Success"));

        fake.reply(200, fixture!("snapshot_response.json"));
        let snap = c
            .create_autopilot_cluster_master_snapshot("c1")
            .await
            .unwrap();
        assert_eq!(
            fake.last().path,
            format!("/autopilot/v3.1/projects/{PROJECT}/clusters/c1/operation/snapshot")
        );
        assert_eq!(
            snap.uid.as_deref(),
            Some("15376f1b-daa6-4e2d-96a6-e9d5d7caeaa2")
        );

        fake.reply(200, fixture!("snapshot_tasks_response.json"));
        let tasks = c
            .list_autopilot_cluster_master_snapshot_tasks("c1")
            .await
            .unwrap();
        assert!(fake.last().path.starts_with("/autopilot/v3.1/"));
        assert!(fake.last().path.ends_with("/operation/snapshot/tasks"));
        let task = &tasks.items.unwrap()[0];
        assert_eq!(
            task.status.as_ref().unwrap().progress.as_deref(),
            Some("67")
        );
        assert!(tasks.status.unwrap().latest_backup_time.is_some());

        fake.reply(200, fixture!("upgrade_info_response.json"));
        let info = c.show_autopilot_cluster_upgrade_info("c1").await.unwrap();
        let spec = info.spec.unwrap();
        assert_eq!(
            spec.version_info.unwrap().target_versions,
            Some(vec!["v1.27.3-r0".to_owned()])
        );
        assert_eq!(
            spec.upgrade_feature_gates.unwrap().support_upgrade_page_v4,
            Some(true)
        );
    }

    #[tokio::test]
    async fn paths_and_feature_gates_have_no_project_in_path() {
        let (c, fake) = client();
        fake.reply(200, fixture!("upgrade_paths_response.json"));
        let paths = c.list_autopilot_cluster_upgrade_paths().await.unwrap();
        assert_eq!(fake.last().path, "/autopilot/v3/clusterupgradepaths");
        let all = paths.upgrade_paths.unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(all[2].platform_version.as_deref(), Some("cce.10.0"));

        fake.reply(200, fixture!("feature_gates_response.json"));
        let gates = c
            .list_autopilot_cluster_upgrade_feature_gates()
            .await
            .unwrap();
        assert_eq!(fake.last().path, "/autopilot/v3/clusterupgradefeaturegates");
        assert_eq!(
            gates.upgrade_feature_gates.unwrap()["EvsSnapshot"],
            "Support"
        );
    }

    #[tokio::test]
    async fn workflow_create_show_and_patch_cancel() {
        let (c, fake) = client();
        fake.reply(201, fixture!("workflow_create_response.json"));
        let body = CreateAutopilotUpgradeWorkFlowRequest::new(WorkFlowSpec {
            target_version: Some("v1.23".into()),
            ..Default::default()
        });
        let created = c
            .create_autopilot_upgrade_work_flow("c1", &body)
            .await
            .unwrap();
        assert_eq!(
            fake.last().json(),
            seed(fixture!("workflow_create_request.json"))
        );
        assert_eq!(created.status.unwrap().point_statuses.unwrap().len(), 4);

        fake.reply(200, fixture!("workflow_show_response.json"));
        let shown = c
            .show_autopilot_upgrade_work_flow("c1", "w1")
            .await
            .unwrap();
        assert!(fake.last().path.ends_with("/operation/upgradeworkflows/w1"));
        assert_eq!(
            shown.metadata.unwrap().namespace.as_deref(),
            Some("cluster-upgrade-booting")
        );
        let status = shown.status.unwrap();
        assert_eq!(status.phase.as_deref(), Some("Pending"));
        let points = status.point_statuses.unwrap();
        assert_eq!(
            points[2].task_id.as_deref(),
            Some("6d799ff6-3afe-4242-80b4-6f0a0fa746cb")
        );
        assert_eq!(points[2].status.as_deref(), Some("Failed"));

        fake.reply(
            200,
            r#"{"kind":"WorkFlowTask","status":{"phase":"Cancel"}}"#,
        );
        let cancelled = c
            .upgrade_autopilot_work_flow_update("c1", "w1", &UpgradeWorkFlowUpdateRequest::cancel())
            .await
            .unwrap();
        let sent = fake.last();
        assert_eq!(sent.method, "PATCH");
        assert_eq!(sent.json(), seed(fixture!("workflow_cancel_request.json")));
        assert_eq!(cancelled.status.unwrap().phase.as_deref(), Some("Cancel"));

        fake.reply(200, r#"{"apiVersion":"v3","kind":"List","items":[]}"#);
        let list = c.list_autopilot_upgrade_work_flows("c1").await.unwrap();
        assert_eq!(list.items, Some(vec![]));
    }
}
