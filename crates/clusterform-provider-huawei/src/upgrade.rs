//! The steps of one upgrade hop (§15.5 of the API digest): workflow → pre-check → snapshot →
//! upgrade → post-check. Each step starts with one call and returns an operation the executor
//! journals; a resumed run adopts a task the cloud is already running (or, for the snapshot and
//! the post-check, the one the hop's workflow already links) instead of starting another, and
//! redoes a pre-check whose result expired before the upgrade could start.

use clusterform_model::{Attrs, UpgradeHop, Value};
use clusterform_provider::{Operation, Poll, ProviderError, Started, StepRequest};
use serde_json::{json, Map, Value as Json};

use crate::api::{found, malformed, CceApi};
use crate::cluster::{task_running, ClusterType};
use crate::cluster_map::CONFIG_ONLY;
use crate::conv::{items, jstr, keep_json, progress, restore};
use crate::route::{
    UpgradeOptions, STEP_POSTCHECK, STEP_PRECHECK, STEP_SNAPSHOT, STEP_UPGRADE, STEP_WORKFLOW,
};
use crate::version::{minor_of, same_version};

pub const OP_WORKFLOW: &str = "upgrade-workflow";
pub const OP_PRECHECK: &str = "precheck";
pub const OP_SNAPSHOT: &str = "snapshot";
pub const OP_UPGRADE: &str = "upgrade-task";
pub const OP_POSTCHECK: &str = "postcheck";

const OPEN_WORKFLOW: &[&str] = &["Init", "Running", "Pending"];
const ACTIVE_TASK: &[&str] = &["Init", "Queuing", "Queueing", "Running", "Pause"];

fn permanent(message: String) -> ProviderError {
    ProviderError::Permanent {
        code: None,
        message,
        request_id: None,
    }
}

/// Whether a task or workflow targeting `have` serves a hop to `want`.
fn same_target(have: &str, want: &str) -> bool {
    minor_of(have) == minor_of(want) && (same_version(want, have) || same_version(have, want))
}

/// The exact (source, target) versions of a hop: from the workflow step when it ran, else the
/// cluster's current version and the hop's target.
async fn hop_versions(
    api: &dyn CceApi,
    id: &str,
    hop: &UpgradeHop,
    earlier: &std::collections::BTreeMap<String, Operation>,
) -> Result<(String, String), ProviderError> {
    if let Some(w) = earlier.get(STEP_WORKFLOW) {
        if let (Some(c), Some(t)) = (
            jstr(&w.data, "/cluster_version"),
            jstr(&w.data, "/target_version"),
        ) {
            return Ok((c.to_string(), t.to_string()));
        }
    }
    let cluster = api.show_cluster(id).await?;
    let current = jstr(&cluster, "/spec/version")
        .unwrap_or(&hop.from)
        .to_string();
    Ok((current, hop.to.clone()))
}

fn op(
    kind: &str,
    id: &str,
    handle: &str,
    versions: &(String, String),
    recorded: &Attrs,
) -> Operation {
    let mut data = keep_json(recorded, CONFIG_ONLY);
    data["cluster_version"] = json!(versions.0);
    data["target_version"] = json!(versions.1);
    Operation {
        kind: kind.into(),
        object_id: id.into(),
        handle: handle.into(),
        data,
    }
}

fn pending(id: &str, op: Operation) -> Started {
    Started::Pending {
        id: id.to_string(),
        op,
    }
}

/// Starts `step.hop.steps[step.step_index]`.
pub async fn start_step(
    api: &dyn CceApi,
    id: &str,
    recorded: &Attrs,
    step: StepRequest<'_>,
) -> Result<Started, ProviderError> {
    let hop = step.hop;
    let name = hop
        .steps
        .get(step.step_index)
        .map(|s| s.name.as_str())
        .ok_or_else(|| {
            permanent(format!(
                "upgrade hop {} → {} has no step {}",
                hop.from, hop.to, step.step_index
            ))
        })?;
    let opts = UpgradeOptions::from_attrs(recorded);
    match name {
        STEP_WORKFLOW => start_workflow(api, id, hop, recorded).await,
        STEP_PRECHECK => {
            let v = hop_versions(api, id, hop, step.earlier).await?;
            let tasks = api.list_prechecks(id).await?;
            if let Some(t) = items(&tasks).iter().rev().find(|t| {
                matches!(jstr(t, "/status/phase"), Some("Init" | "Running"))
                    && jstr(t, "/spec/targetVersion").is_some_and(|tv| same_target(tv, &v.1))
            }) {
                let uid = jstr(t, "/metadata/uid").unwrap_or_default();
                return Ok(pending(id, op(OP_PRECHECK, id, uid, &v, recorded)));
            }
            let j = api
                .create_precheck(id, precheck_body(id, &v, &opts))
                .await?;
            let uid = jstr(&j, "/metadata/uid")
                .ok_or_else(|| malformed("pre-check returned no metadata.uid"))?;
            Ok(pending(id, op(OP_PRECHECK, id, uid, &v, recorded)))
        }
        STEP_SNAPSHOT => {
            let v = hop_versions(api, id, hop, step.earlier).await?;
            if let Some(uid) = adoptable_snapshot(api, id, step.earlier).await? {
                return Ok(pending(id, op(OP_SNAPSHOT, id, &uid, &v, recorded)));
            }
            let j = api.create_snapshot(id).await?;
            let uid = jstr(&j, "/uid")
                .or_else(|| jstr(&j, "/metadata/uid"))
                .ok_or_else(|| malformed("snapshot returned no uid"))?;
            Ok(pending(id, op(OP_SNAPSHOT, id, uid, &v, recorded)))
        }
        STEP_UPGRADE => {
            let v = hop_versions(api, id, hop, step.earlier).await?;
            let tasks = api.list_upgrade_tasks(id).await?;
            if let Some(t) = items(&tasks).iter().rev().find(|t| {
                jstr(t, "/status/phase").is_some_and(|p| ACTIVE_TASK.contains(&p))
                    && jstr(t, "/spec/targetVersion").is_some_and(|tv| same_target(tv, &v.1))
            }) {
                let uid = jstr(t, "/metadata/uid").unwrap_or_default();
                return Ok(pending(id, op(OP_UPGRADE, id, uid, &v, recorded)));
            }
            if precheck_expired(api, id, step.earlier).await? {
                // The cloud refuses an upgrade without a valid pre-check: redo it, then upgrade.
                let j = api
                    .create_precheck(id, precheck_body(id, &v, &opts))
                    .await?;
                let uid = jstr(&j, "/metadata/uid")
                    .ok_or_else(|| malformed("pre-check returned no metadata.uid"))?;
                let known: Vec<&str> = items(&tasks)
                    .iter()
                    .filter_map(|t| jstr(t, "/metadata/uid"))
                    .collect();
                let mut o = op(OP_UPGRADE, id, "", &v, recorded);
                o.data[REDONE_PRECHECK] = json!(uid);
                o.data[KNOWN_TASKS] = json!(known);
                o.data[UPGRADE_BODY] = upgrade_body(&v.1, &opts);
                return Ok(pending(id, o));
            }
            let j = api.upgrade_cluster(id, upgrade_body(&v.1, &opts)).await?;
            let uid = jstr(&j, "/metadata/uid")
                .ok_or_else(|| malformed("upgrade returned no metadata.uid"))?;
            Ok(pending(id, op(OP_UPGRADE, id, uid, &v, recorded)))
        }
        STEP_POSTCHECK => {
            let v = hop_versions(api, id, hop, step.earlier).await?;
            if let Some((uid, phase)) = linked_point(api, id, step.earlier, "PostCheck").await? {
                let mut o = op(OP_POSTCHECK, id, &uid, &v, recorded);
                o.data["phase"] = json!(phase);
                return Ok(pending(id, o));
            }
            let j = api.create_postcheck(id, postcheck_body(id, &v)).await?;
            let mut o = op(
                OP_POSTCHECK,
                id,
                jstr(&j, "/metadata/uid").unwrap_or_default(),
                &v,
                recorded,
            );
            o.data["phase"] = json!(jstr(&j, "/status/phase").unwrap_or_default());
            Ok(pending(id, o))
        }
        other => Err(permanent(format!("unknown upgrade step `{other}`"))),
    }
}

/// Keys of an upgrade-step operation whose pre-check had expired: the redone pre-check's uid, the
/// upgrade tasks that existed before (so the one this step starts is told apart after a crash),
/// and the upgrade body to send once the pre-check passes.
const REDONE_PRECHECK: &str = "redone_precheck";
const KNOWN_TASKS: &str = "known_tasks";
const UPGRADE_BODY: &str = "upgrade_body";

/// The task id and status of the hop workflow's `task_type` point (`Snapshot`, `PostCheck`), when
/// the workflow step ran and the cloud linked a task to it: a task started before a crash, which a
/// resumed run adopts instead of starting another.
async fn linked_point(
    api: &dyn CceApi,
    id: &str,
    earlier: &std::collections::BTreeMap<String, Operation>,
    task_type: &str,
) -> Result<Option<(String, String)>, ProviderError> {
    let Some(w) = earlier.get(STEP_WORKFLOW).filter(|w| !w.handle.is_empty()) else {
        return Ok(None);
    };
    let Some(wf) = found(api.show_upgrade_workflow(id, &w.handle).await)? else {
        return Ok(None);
    };
    Ok(wf
        .pointer("/status/pointStatuses")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .find(|p| jstr(p, "/taskType") == Some(task_type))
        .and_then(|p| {
            let uid = jstr(p, "/taskID")?;
            Some((
                uid.to_string(),
                jstr(p, "/status").unwrap_or_default().to_string(),
            ))
        }))
}

/// A snapshot this hop already started: the one its workflow links, else one still running
/// (the cloud runs one backup at a time).
async fn adoptable_snapshot(
    api: &dyn CceApi,
    id: &str,
    earlier: &std::collections::BTreeMap<String, Operation>,
) -> Result<Option<String>, ProviderError> {
    if let Some((uid, _)) = linked_point(api, id, earlier, "Snapshot").await? {
        return Ok(Some(uid));
    }
    let list = api.list_snapshot_tasks(id).await?;
    Ok(items(&list)
        .iter()
        .rev()
        .find(|t| matches!(jstr(t, "/status/phase"), Some("Init" | "Running")))
        .and_then(|t| jstr(t, "/metadata/uid"))
        .map(str::to_string))
}

/// Parses the cloud's timestamps: Go's `2023-11-25 08:21:05.518966 +0000 UTC` (the pre-check
/// example) or RFC 3339.
pub fn parse_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let s = s.trim();
    chrono::DateTime::parse_from_str(s.trim_end_matches(" UTC"), "%Y-%m-%d %H:%M:%S%.f %z")
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// Whether the hop's pre-check passed but its result expired (`status.expireTimeStamp`, O5), as
/// after a run interrupted between the pre-check and the upgrade and resumed later.
async fn precheck_expired(
    api: &dyn CceApi,
    id: &str,
    earlier: &std::collections::BTreeMap<String, Operation>,
) -> Result<bool, ProviderError> {
    let Some(pc) = earlier.get(STEP_PRECHECK).filter(|o| !o.handle.is_empty()) else {
        return Ok(false);
    };
    let Some(task) = found(api.show_precheck(id, &pc.handle).await)? else {
        return Ok(true);
    };
    Ok(jstr(&task, "/status/expireTimeStamp")
        .and_then(parse_time)
        .is_some_and(|t| t <= chrono::Utc::now()))
}

async fn start_workflow(
    api: &dyn CceApi,
    id: &str,
    hop: &UpgradeHop,
    recorded: &Attrs,
) -> Result<Started, ProviderError> {
    // A run killed after creating the workflow but before journalling it finds it open here; the
    // cloud refuses a second open workflow anyway.
    let list = api.list_upgrade_workflows(id).await?;
    let open = items(&list).iter().rev().find(|w| {
        jstr(w, "/status/phase").is_some_and(|p| OPEN_WORKFLOW.contains(&p))
            && jstr(w, "/spec/targetVersion").is_some_and(|t| same_target(t, &hop.to))
    });
    let w = match open {
        Some(w) => w.clone(),
        None => {
            let body = json!({"kind": "WorkFlowTask", "apiVersion": "v3", "spec": {"clusterID": id, "targetVersion": hop.to}});
            api.create_upgrade_workflow(id, body).await?
        }
    };
    let uid = jstr(&w, "/metadata/uid")
        .ok_or_else(|| malformed("upgrade workflow without metadata.uid"))?;
    let versions = (
        jstr(&w, "/spec/clusterVersion")
            .unwrap_or(&hop.from)
            .to_string(),
        jstr(&w, "/spec/targetVersion")
            .unwrap_or(&hop.to)
            .to_string(),
    );
    let mut o = op(OP_WORKFLOW, id, uid, &versions, recorded);
    o.data["workflow_id"] = json!(uid);
    Ok(pending(id, o))
}

/// The `POST C/operation/precheck` body.
pub fn precheck_body(id: &str, v: &(String, String), opts: &UpgradeOptions) -> Json {
    let skipped: Vec<Json> = opts
        .skipped_check_items
        .iter()
        .map(|n| json!({"name": n}))
        .collect();
    json!({"apiVersion": "v3", "kind": "PreCheckTask", "spec": {
        "clusterID": id, "clusterVersion": v.0, "targetVersion": v.1, "skippedCheckItemList": skipped}})
}

/// The `POST C/operation/postcheck` body: the source and the new version.
pub fn postcheck_body(id: &str, v: &(String, String)) -> Json {
    json!({"apiVersion": "v3", "kind": "PostCheckTask", "spec": {"clusterID": id, "clusterVersion": v.0, "targetVersion": v.1}})
}

/// The `POST C/operation/upgrade` body (note `apiVersion`/`kind` inside `metadata`). Add-ons of
/// the `upgrade` block move with a hop when their `cluster_version` names its target (or is unset).
pub fn upgrade_body(target: &str, opts: &UpgradeOptions) -> Json {
    let mut action = Map::new();
    action.insert("targetVersion".into(), json!(target));
    action.insert(
        "strategy".into(),
        json!({"type": "inPlaceRollingUpdate", "inPlaceRollingUpdate": {"userDefinedStep": opts.user_defined_step, "scope": opts.scope}}),
    );
    let addons: Vec<Json> = opts
        .addons
        .iter()
        .filter_map(Value::as_map)
        .filter(|m| {
            m.get("cluster_version")
                .and_then(Value::as_str)
                .is_none_or(|cv| same_version(cv, target))
        })
        .filter_map(|m| {
            let name = m.get("template").and_then(Value::as_str)?;
            let version = m.get("version").and_then(Value::as_str)?;
            let mut a =
                json!({"addonTemplateName": name, "operation": "patch", "version": version});
            if let Some(values) = m.get("values").filter(|v| !v.is_null()) {
                a["values"] = values.to_json();
            }
            Some(a)
        })
        .collect();
    if !addons.is_empty() {
        action.insert("addons".into(), Json::Array(addons));
    }
    json!({"metadata": {"apiVersion": "v3", "kind": "UpgradeTask"}, "spec": {"clusterUpgradeAction": action}})
}

/// The cluster's running upgrade task, for `ReadResult::running`.
pub async fn running_task(api: &dyn CceApi, id: &str) -> Result<Option<Operation>, ProviderError> {
    let Some(list) = found(api.list_upgrade_tasks(id).await)? else {
        return Ok(None);
    };
    Ok(items(&list)
        .iter()
        .rev()
        .find(|t| jstr(t, "/status/phase").is_some_and(|p| ACTIVE_TASK.contains(&p)))
        .map(|t| Operation {
            kind: OP_UPGRADE.into(),
            object_id: id.into(),
            handle: jstr(t, "/metadata/uid").unwrap_or_default().into(),
            data: json!({"cluster_version": jstr(t, "/spec/version"), "target_version": jstr(t, "/spec/targetVersion")}),
        }))
}

/// The failing items of a pre-check, as `name (level): message` lines.
pub fn precheck_failures(task: &Json) -> Vec<String> {
    let mut lists: Vec<&Json> = [
        "/status/clusterCheckStatus/itemsStatus",
        "/status/addonCheckStatus/itemsStatus",
    ]
    .iter()
    .filter_map(|p| task.pointer(p))
    .collect();
    if let Some(nodes) = task
        .pointer("/status/nodeCheckStatus/nodeStageStatus")
        .and_then(Json::as_array)
    {
        lists.extend(nodes.iter().filter_map(|n| n.get("itemsStatus")));
    }
    lists
        .into_iter()
        .filter_map(Json::as_array)
        .flatten()
        .filter(|i| jstr(i, "/phase") == Some("Failed") || jstr(i, "/level") == Some("Fatal"))
        .map(|i| {
            format!(
                "{} ({} {}): {}",
                jstr(i, "/name").unwrap_or("?"),
                jstr(i, "/level").unwrap_or("?"),
                jstr(i, "/kind").unwrap_or("?"),
                jstr(i, "/message").unwrap_or("no message")
            )
        })
        .collect()
}

/// A one-line outcome of a pre-check, or `None` while it runs (used by `plan --precheck` too).
pub fn precheck_outcome(task: &Json) -> Option<Result<String, String>> {
    match jstr(task, "/status/phase") {
        Some("Success") => {
            let warnings = [
                "/status/clusterCheckStatus/itemsStatus",
                "/status/addonCheckStatus/itemsStatus",
            ]
            .iter()
            .filter_map(|p| task.pointer(p).and_then(Json::as_array))
            .flatten()
            .filter(|i| jstr(i, "/level") == Some("Warning"))
            .count();
            Some(Ok(if warnings == 0 {
                "pre-check passed".to_string()
            } else {
                format!("pre-check passed with {warnings} warning(s)")
            }))
        }
        Some(p @ ("Failed" | "Error")) => {
            let mut msg = format!("pre-check {}", p.to_lowercase());
            if let Some(m) = jstr(task, "/status/message") {
                msg.push_str(&format!(": {m}"));
            }
            let items = precheck_failures(task);
            if !items.is_empty() {
                msg.push_str(&format!("; {}", items.join("; ")));
            }
            Some(Err(msg))
        }
        _ => None,
    }
}

/// Polls an upgrade-step operation.
pub async fn poll_step(cluster: &ClusterType, o: &Operation) -> Result<Poll, ProviderError> {
    let api = cluster.api.as_ref();
    let id = o.object_id.as_str();
    let done = || async {
        let mut attrs = cluster.attrs_now(id, &Attrs::new()).await?;
        restore(&mut attrs, &o.data);
        Ok::<Poll, ProviderError>(Poll::Done { attrs: Some(attrs) })
    };
    match o.kind.as_str() {
        OP_WORKFLOW => {
            let w = api.show_upgrade_workflow(id, &o.handle).await?;
            if jstr(&w, "/status/phase") == Some("Cancel") {
                return Ok(Poll::Failed {
                    message: format!("upgrade workflow {} was cancelled", o.handle),
                });
            }
            done().await
        }
        OP_PRECHECK => {
            let t = api.show_precheck(id, &o.handle).await?;
            match precheck_outcome(&t) {
                Some(Ok(_)) => done().await,
                Some(Err(m)) => Ok(Poll::Failed { message: m }),
                None => Ok(Poll::Running {
                    phase: format!("pre-check {}", jstr(&t, "/status/phase").unwrap_or("Init")),
                    progress: None,
                }),
            }
        }
        OP_SNAPSHOT => {
            let list = api.list_snapshot_tasks(id).await?;
            let task = items(&list).iter().find(|t| {
                jstr(t, "/metadata/uid") == Some(o.handle.as_str())
                    || t.pointer("/spec/items")
                        .and_then(Json::as_array)
                        .into_iter()
                        .flatten()
                        .any(|i| jstr(i, "/id") == Some(o.handle.as_str()))
            });
            match task.and_then(|t| jstr(t, "/status/phase")) {
                Some("Success") => done().await,
                Some("Failed") => Ok(Poll::Failed {
                    message: format!("snapshot {} failed", o.handle),
                }),
                Some(p) => Ok(Poll::Running {
                    phase: format!("snapshot {p}"),
                    progress: task.and_then(|t| progress(t, "/status/progress")),
                }),
                None => Ok(Poll::Running {
                    phase: "snapshot queued".into(),
                    progress: None,
                }),
            }
        }
        OP_UPGRADE if o.handle.is_empty() && o.data.get(REDONE_PRECHECK).is_some() => {
            poll_after_precheck(cluster, o, done).await
        }
        OP_UPGRADE => poll_upgrade(cluster, o, done).await,
        OP_POSTCHECK => {
            let mut phase = jstr(&o.data, "/phase").unwrap_or_default().to_string();
            if !matches!(phase.as_str(), "Success" | "Failed" | "Error") {
                // The post-check answers synchronously; ask again rather than wait on nothing.
                let v = (
                    jstr(&o.data, "/cluster_version")
                        .unwrap_or_default()
                        .to_string(),
                    jstr(&o.data, "/target_version")
                        .unwrap_or_default()
                        .to_string(),
                );
                let j = api.create_postcheck(id, postcheck_body(id, &v)).await?;
                phase = jstr(&j, "/status/phase").unwrap_or("Running").to_string();
            }
            match phase.as_str() {
                "Success" => done().await,
                "Failed" | "Error" => Ok(Poll::Failed {
                    message: format!("post-upgrade check {}", phase.to_lowercase()),
                }),
                p => Ok(Poll::Running {
                    phase: format!("post-check {p}"),
                    progress: None,
                }),
            }
        }
        other => Err(permanent(format!(
            "unknown operation kind `{other}` for huawei_autopilot_cluster"
        ))),
    }
}

/// Polls an upgrade step that had to redo its pre-check: waits for the pre-check, starts the
/// upgrade once it passes, then follows the upgrade task — found as the one that was not in the
/// cluster's task list before, so a crash at any point resumes without a second upgrade.
async fn poll_after_precheck<F, Fut>(
    cluster: &ClusterType,
    o: &Operation,
    done: F,
) -> Result<Poll, ProviderError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Poll, ProviderError>>,
{
    let api = cluster.api.as_ref();
    let id = o.object_id.as_str();
    let known: Vec<&str> = o
        .data
        .get(KNOWN_TASKS)
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .collect();
    let tasks = api.list_upgrade_tasks(id).await?;
    if let Some(uid) = items(&tasks)
        .iter()
        .filter_map(|t| jstr(t, "/metadata/uid"))
        .rev()
        .find(|uid| !known.contains(uid))
    {
        let started = Operation {
            handle: uid.to_string(),
            ..o.clone()
        };
        return poll_upgrade(cluster, &started, done).await;
    }
    let pc = jstr(&o.data, "/redone_precheck").unwrap_or_default();
    let task = api.show_precheck(id, pc).await?;
    match precheck_outcome(&task) {
        None => Ok(Poll::Running {
            phase: format!(
                "pre-check redone (the last one expired): {}",
                jstr(&task, "/status/phase").unwrap_or("Init")
            ),
            progress: None,
        }),
        Some(Err(m)) => Ok(Poll::Failed { message: m }),
        Some(Ok(_)) => {
            let body = o.data.get(UPGRADE_BODY).cloned().unwrap_or(Json::Null);
            api.upgrade_cluster(id, body).await?;
            Ok(Poll::Running {
                phase: "upgrade started".into(),
                progress: None,
            })
        }
    }
}

async fn poll_upgrade<F, Fut>(
    cluster: &ClusterType,
    o: &Operation,
    done: F,
) -> Result<Poll, ProviderError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Poll, ProviderError>>,
{
    let id = o.object_id.as_str();
    let t = cluster.api.show_upgrade_task(id, &o.handle).await?;
    match jstr(&t, "/status/phase") {
        Some("Success") => done().await,
        Some("Failed") => {
            // Retry once. The fact travels in the operation the executor journals in place of
            // this one (`Poll::Continue`), so a resumed run does not retry a second time.
            let already = o
                .data
                .get("retried")
                .and_then(Json::as_bool)
                .unwrap_or(false);
            if already {
                return Ok(Poll::Failed {
                    message: format!("upgrade task {} failed after a retry", o.handle),
                });
            }
            if let Err(e) = cluster.api.retry_upgrade_task(id).await {
                if e.is_retryable() {
                    return Err(e);
                }
                return Ok(Poll::Failed {
                    message: format!(
                        "upgrade task {} failed and the retry was refused: {e}",
                        o.handle
                    ),
                });
            }
            let mut next = o.clone();
            next.data["retried"] = json!(true);
            Ok(Poll::Continue {
                op: next,
                phase: "retrying".into(),
            })
        }
        _ => Ok(task_running(&t)),
    }
}

#[cfg(test)]
#[path = "upgrade_tests.rs"]
mod tests;
