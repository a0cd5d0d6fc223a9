//! The `huawei_autopilot_cluster` resource type: create (journalled as soon as the cloud returns
//! the uid and job), read with a fingerprint, in-place updates (PUT and tags), delete, and the
//! polls of those operations. Upgrade steps live in `upgrade.rs`.

use std::sync::Arc;

use async_trait::async_trait;
use clusterform_model::{Attrs, ResourceSchema};
use clusterform_provider::{
    Operation, Poll, ProviderError, ReadResult, ResourceType, Started, StepRequest,
};
use serde_json::Value as Json;

use crate::api::{found, malformed, CceApi};
use crate::cluster_map::{
    cluster_attrs, cluster_create_body, cluster_update_body, delete_query, tag_changes, CONFIG_ONLY,
};
use crate::conv::{carry, items, jstr, keep_json, progress, reason, require, restore};
use crate::schema::cluster_schema;
use crate::upgrade;

pub const OP_CREATE: &str = "cluster-create";
pub const OP_DELETE: &str = "cluster-delete";

/// Cluster phases that end a create or an upgrade badly.
const FAILED_PHASES: &[&str] = &[
    "Error",
    "Unavailable",
    "Empty",
    "ResizeFailed",
    "RollbackFailed",
];

pub struct ClusterType {
    pub(crate) api: Arc<dyn CceApi>,
    schema: ResourceSchema,
}

impl ClusterType {
    pub fn new(api: Arc<dyn CceApi>) -> Self {
        ClusterType {
            api,
            schema: cluster_schema(),
        }
    }

    /// Reads the cluster's attributes now, keeping config-only ones from `keep`.
    pub(crate) async fn attrs_now(&self, id: &str, keep: &Attrs) -> Result<Attrs, ProviderError> {
        let j = self.api.show_cluster(id).await?;
        let mut a = cluster_attrs(&j);
        carry(&mut a, keep, CONFIG_ONLY);
        Ok(a)
    }

    async fn read_result(&self, j: &Json, keep: &Attrs) -> Result<ReadResult, ProviderError> {
        let mut attrs = cluster_attrs(j);
        carry(&mut attrs, keep, CONFIG_ONLY);
        let id = jstr(j, "/metadata/uid")
            .ok_or_else(|| malformed("cluster without metadata.uid"))?
            .to_string();
        let phase = jstr(j, "/status/phase").unwrap_or_default();
        let running = match phase {
            "Creating" => Some(Operation {
                kind: OP_CREATE.into(),
                object_id: id.clone(),
                handle: jstr(j, "/status/jobID").unwrap_or_default().to_string(),
                data: Json::Null,
            }),
            "Deleting" => Some(Operation {
                kind: OP_DELETE.into(),
                object_id: id.clone(),
                handle: jstr(j, "/status/jobID").unwrap_or_default().to_string(),
                data: Json::Null,
            }),
            "Upgrading" => upgrade::running_task(self.api.as_ref(), &id).await?,
            _ => None,
        };
        let fingerprint = format!(
            "version={};phase={phase};updated={};task={}",
            jstr(j, "/spec/version").unwrap_or_default(),
            jstr(j, "/metadata/updateTimestamp").unwrap_or_default(),
            running.as_ref().map(|o| o.handle.as_str()).unwrap_or("-"),
        );
        Ok(ReadResult {
            id,
            attrs,
            fingerprint,
            running,
        })
    }

    async fn poll_create(&self, op: &Operation) -> Result<Poll, ProviderError> {
        // One call a poll while the job runs (a 30-minute create stays within its call budget);
        // the cluster is read once the job is over, or every poll when there is no job to watch.
        if let Some(running) = self.job_running(op, "Creating", "create").await? {
            return Ok(running);
        }
        let Some(j) = found(self.api.show_cluster(&op.object_id).await)? else {
            return Ok(Poll::Failed {
                message: "the cluster disappeared while it was being created".into(),
            });
        };
        let phase = jstr(&j, "/status/phase").unwrap_or("Creating");
        if phase == "Available" {
            let mut attrs = cluster_attrs(&j);
            restore(&mut attrs, &op.data);
            return Ok(Poll::Done { attrs: Some(attrs) });
        }
        if FAILED_PHASES.contains(&phase) {
            return Ok(Poll::Failed {
                message: format!("cluster is {phase}: {}", reason(&j)),
            });
        }
        Ok(Poll::Running {
            phase: phase.to_string(),
            progress: None,
        })
    }

    async fn poll_delete(&self, op: &Operation) -> Result<Poll, ProviderError> {
        if let Some(running) = self.job_running(op, "Deleting", "delete").await? {
            return Ok(running);
        }
        let Some(j) = found(self.api.show_cluster(&op.object_id).await)? else {
            return Ok(Poll::Done { attrs: None });
        };
        let phase = jstr(&j, "/status/phase").unwrap_or("Deleting");
        if phase == "Error" {
            return Ok(Poll::Failed {
                message: format!("cluster delete failed: {}", reason(&j)),
            });
        }
        Ok(Poll::Running {
            phase: phase.to_string(),
            progress: None,
        })
    }

    /// The operation's job, while it is still running: `Some(Running)` with the share of its
    /// finished sub-jobs, or `Some(Failed)` when the job failed. `None` when the job is over
    /// (the cluster then says how it ended) or cannot be watched (no job id, or the cloud has
    /// already forgotten it: jobs are short-lived, so a 404 is not an error).
    async fn job_running(
        &self,
        op: &Operation,
        phase: &str,
        what: &str,
    ) -> Result<Option<Poll>, ProviderError> {
        if op.handle.is_empty() {
            return Ok(None);
        }
        let Some(job) = found(self.api.show_job(&op.handle).await)? else {
            return Ok(None);
        };
        Ok(match jstr(&job, "/status/phase") {
            Some("Success") => None,
            Some("Failed") => Some(Poll::Failed {
                message: format!("{what} job failed: {}", reason(&job)),
            }),
            _ => Some(Poll::Running {
                phase: phase.to_string(),
                progress: job_progress(&job),
            }),
        })
    }
}

/// The share of finished sub-jobs, as a percentage.
fn job_progress(job: &Json) -> Option<u8> {
    let subs = job.pointer("/spec/subJobs").and_then(Json::as_array)?;
    if subs.is_empty() {
        return None;
    }
    let done = subs
        .iter()
        .filter(|s| jstr(s, "/status/phase") == Some("Success"))
        .count();
    Some(((done * 100) / subs.len()).min(100) as u8)
}

#[async_trait]
impl ResourceType for ClusterType {
    fn schema(&self) -> &ResourceSchema {
        &self.schema
    }

    async fn read(&self, id: &str, recorded: &Attrs) -> Result<Option<ReadResult>, ProviderError> {
        match found(self.api.show_cluster(id).await)? {
            Some(j) => Ok(Some(self.read_result(&j, recorded).await?)),
            None => Ok(None),
        }
    }

    async fn find(&self, desired: &Attrs) -> Result<Option<ReadResult>, ProviderError> {
        let name = require(desired, "name")?;
        let list = self.api.list_clusters(None, None).await?;
        match items(&list)
            .iter()
            .find(|c| jstr(c, "/metadata/name") == Some(name))
        {
            Some(j) => Ok(Some(self.read_result(j, desired).await?)),
            None => Ok(None),
        }
    }

    async fn create(&self, desired: &Attrs) -> Result<Started, ProviderError> {
        let j = self
            .api
            .create_cluster(cluster_create_body(desired))
            .await?;
        let id = jstr(&j, "/metadata/uid")
            .ok_or_else(|| malformed("create cluster returned no metadata.uid"))?;
        let job = jstr(&j, "/status/jobID")
            .or_else(|| jstr(&j, "/metadata/annotations/jobid"))
            .unwrap_or_default();
        Ok(Started::Pending {
            id: id.to_string(),
            op: Operation {
                kind: OP_CREATE.into(),
                object_id: id.to_string(),
                handle: job.to_string(),
                data: keep_json(desired, CONFIG_ONLY),
            },
        })
    }

    async fn update(
        &self,
        id: &str,
        recorded: &Attrs,
        desired: &Attrs,
    ) -> Result<Started, ProviderError> {
        if let Some(body) = cluster_update_body(recorded, desired) {
            self.api.update_cluster(id, body).await?;
        }
        let (create, delete) = tag_changes(recorded, desired);
        // Delete first: a changed key is in `create` only, and 20 is the cap on tags.
        if let Some(body) = delete {
            self.api.delete_cluster_tags(id, body).await?;
        }
        if let Some(body) = create {
            self.api.create_cluster_tags(id, body).await?;
        }
        let attrs = self.attrs_now(id, desired).await?;
        Ok(Started::Done {
            id: id.to_string(),
            attrs,
        })
    }

    async fn upgrade_step(
        &self,
        id: &str,
        recorded: &Attrs,
        step: StepRequest<'_>,
    ) -> Result<Started, ProviderError> {
        upgrade::start_step(self.api.as_ref(), id, recorded, step).await
    }

    async fn delete(&self, id: &str, recorded: &Attrs) -> Result<Started, ProviderError> {
        let Some(j) = found(self.api.delete_cluster(id, &delete_query(recorded)).await)? else {
            return Ok(Started::Done {
                id: id.to_string(),
                attrs: Attrs::new(),
            });
        };
        let job = jstr(&j, "/status/jobID").unwrap_or_default();
        Ok(Started::Pending {
            id: id.to_string(),
            op: Operation {
                kind: OP_DELETE.into(),
                object_id: id.to_string(),
                handle: job.to_string(),
                data: Json::Null,
            },
        })
    }

    async fn poll(&self, op: &Operation) -> Result<Poll, ProviderError> {
        match op.kind.as_str() {
            OP_CREATE => self.poll_create(op).await,
            OP_DELETE => self.poll_delete(op).await,
            _ => upgrade::poll_step(self, op).await,
        }
    }
}

/// The cluster's running upgrade task's progress, for `Poll::Running` (shared with upgrade.rs).
pub(crate) fn task_running(task: &Json) -> Poll {
    Poll::Running {
        phase: jstr(task, "/status/phase").unwrap_or("Running").to_string(),
        progress: progress(task, "/status/progress"),
    }
}

#[cfg(test)]
#[path = "cluster_tests.rs"]
mod tests;
