//! The upgrade family (digest §5): upgrade tasks and retry, pre/post checks, master
//! snapshots, upgrade info/paths/feature gates, and workflows whose points link to the
//! tasks created while they are open.

use super::catalog;
use super::clusters;
use super::error::{ApiError, Family};
use super::model::{
    go_time, new_id, progress, AddonPatch, Cluster, Precheck, Snapshot, UpgradeTask, Workflow,
};
use super::{Ctx, Req, Resp};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

const F: Family = Family::Cluster;

pub(super) fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::bad_request(F, msg)
}

pub(super) fn s<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .filter(|x| !x.is_empty())
}

pub(super) fn require_available(c: &Cluster) -> Result<(), ApiError> {
    if c.phase == "Available" {
        Ok(())
    } else {
        Err(ApiError::locked(format!("cluster is {}", c.phase)))
    }
}

/// Whether `given` names the cluster's current version (patch or minor).
pub(super) fn is_current(c: &Cluster, given: &str) -> bool {
    given == c.patch || given == catalog::minor_of(&c.patch)
}

pub(super) fn resolve(c: &Cluster, target: &str) -> Result<String, ApiError> {
    catalog::resolve_target(&c.patch, target).ok_or_else(|| {
        bad(format!(
            "target version {target} is not an upgrade target of {} (allowed: {})",
            c.patch,
            catalog::targets(&c.patch).join(", ")
        ))
    })
}

/// The workflow open for new tasks of target `to` (not cancelled, upgrade not done).
pub(super) fn open_workflow<'a>(
    c: &'a mut Cluster,
    to: &str,
    now: DateTime<Utc>,
) -> Option<&'a mut Workflow> {
    let done: Vec<bool> = c
        .workflows
        .iter()
        .map(|w| w.cancelled || point_upgrade(c, w, now) == Some("Success"))
        .collect();
    c.workflows
        .iter_mut()
        .zip(done)
        .rev()
        .find(|(w, d)| !d && w.to == to)
        .map(|(w, _)| w)
}

pub(super) fn point_upgrade(c: &Cluster, w: &Workflow, now: DateTime<Utc>) -> Option<&'static str> {
    let id = w.upgrade.as_ref()?;
    c.upgrade_tasks
        .iter()
        .find(|t| &t.uid == id)
        .map(|t| t.phase(now))
}

/// Renders an upgrade task.
pub fn render_task(t: &UpgradeTask, now: DateTime<Utc>) -> Value {
    let phase = t.phase(now);
    let mut status = json!({"phase": phase, "progress": t.progress(now)});
    if matches!(phase, "Success" | "Failed") {
        status["completionTime"] = json!(go_time(t.end));
    }
    json!({
        "kind": "UpgradeTask", "apiVersion": "v3",
        "metadata": {"uid": t.uid, "creationTimestamp": go_time(t.created), "updateTimestamp": go_time(now.min(t.end))},
        "spec": {"version": t.from, "targetVersion": t.to, "items": {}},
        "status": status,
    })
}

/// `POST C/operation/upgrade`.
pub fn upgrade(ctx: &mut Ctx<'_>, req: &Req, p: &str, c: &str) -> Result<Resp, ApiError> {
    let body = req.json()?;
    let action = body
        .pointer("/spec/clusterUpgradeAction")
        .or_else(|| body.pointer("/spec/autopilotClusterUpgradeAction"))
        .ok_or_else(|| bad("spec.clusterUpgradeAction is required"))?
        .clone();
    let target = s(&action, "/targetVersion")
        .ok_or_else(|| bad("targetVersion is required"))?
        .to_string();
    if s(&action, "/strategy/type") != Some("inPlaceRollingUpdate") {
        return Err(bad("strategy.type must be inPlaceRollingUpdate"));
    }
    let step = action
        .pointer("/strategy/inPlaceRollingUpdate/userDefinedStep")
        .and_then(Value::as_i64)
        .unwrap_or(20);
    if !(1..=60).contains(&step) {
        return Err(bad("userDefinedStep must be 1-60"));
    }
    let scope = s(&action, "/strategy/inPlaceRollingUpdate/scope")
        .unwrap_or("Cluster")
        .to_string();
    let now = ctx.now;
    let end = ctx.after(ctx.opts.durations.upgrade);
    let installed: Vec<String> = {
        let cl = clusters::get(ctx, p, c)?;
        let uid = cl.uid.clone();
        ctx.st
            .project(p)
            .addons
            .values()
            .filter(|a| a.cluster_id == uid)
            .map(|a| a.template.clone())
            .collect()
    };
    let cluster = clusters::get(ctx, p, c)?;
    require_available(cluster)?;
    let to = resolve(cluster, &target)?;
    let valid = cluster.prechecks.iter().any(|pc| {
        pc.to == to && pc.from == cluster.patch && pc.phase(now) == "Success" && now < pc.expires()
    });
    if !valid {
        return Err(bad(format!(
            "no valid pre-upgrade check for {} -> {to}; run the pre-upgrade check first",
            cluster.patch
        )));
    }
    let mut patches = vec![];
    for a in action
        .get("addons")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = s(a, "/addonTemplateName")
            .ok_or_else(|| bad("addons[].addonTemplateName is required"))?;
        if !installed.iter().any(|i| i == name) {
            return Err(bad(format!(
                "add-on {name} is not installed in the cluster"
            )));
        }
        if s(a, "/operation") != Some("patch") {
            return Err(bad("addons[].operation must be patch"));
        }
        let v = s(a, "/version").ok_or_else(|| bad("addons[].version is required"))?;
        let ok = catalog::template(name)
            .and_then(|t| t.versions.iter().find(|x| x.version == v))
            .is_some_and(|x| catalog::supports(x, &to));
        if !ok {
            return Err(bad(format!("add-on {name} {v} does not support {to}")));
        }
        patches.push(AddonPatch {
            template: name.to_string(),
            version: v.to_string(),
            values: a.get("values").filter(|x| x.is_object()).cloned(),
        });
    }
    let name = cluster.name.clone();
    let fail = ctx.faults.take_fail("upgrade", &name);
    let cluster = clusters::get(ctx, p, c)?;
    let task = UpgradeTask {
        uid: new_id(),
        from: cluster.patch.clone(),
        to: to.clone(),
        created: now,
        start: now,
        end,
        fail,
        applied: false,
        addons: patches,
    };
    cluster.phase = "Upgrading".into();
    cluster.updated = now;
    if let Some(w) = open_workflow(cluster, &to, now) {
        w.upgrade = Some(task.uid.clone());
        w.updated = now;
    }
    let out = json!({
        "metadata": {"uid": task.uid},
        "spec": {"clusterUpgradeAction": {
            "version": task.from, "targetVersion": to, "targetPlatformVersion": catalog::platform_of(&to),
            "strategy": {"type": "inPlaceRollingUpdate", "inPlaceRollingUpdate": {"userDefinedStep": step, "scope": scope}},
            "config": {}
        }}
    });
    cluster.upgrade_tasks.push(task);
    Ok(Resp::json(200, out))
}

/// `GET C/operation/upgrade/tasks`.
pub fn list_tasks(ctx: &mut Ctx<'_>, p: &str, c: &str) -> Result<Resp, ApiError> {
    let now = ctx.now;
    let cluster = clusters::get(ctx, p, c)?;
    let items: Vec<Value> = cluster
        .upgrade_tasks
        .iter()
        .map(|t| render_task(t, now))
        .collect();
    Ok(Resp::json(
        200,
        json!({"kind": "List", "apiVersion": "v3", "metadata": {}, "items": items}),
    ))
}

/// `GET C/operation/upgrade/tasks/{task_id}`.
pub fn show_task(ctx: &mut Ctx<'_>, p: &str, c: &str, t: &str) -> Result<Resp, ApiError> {
    let now = ctx.now;
    let cluster = clusters::get(ctx, p, c)?;
    let task = cluster
        .upgrade_tasks
        .iter()
        .find(|x| x.uid == t)
        .ok_or_else(|| ApiError::not_found(F, format!("upgrade task {t} not found")))?;
    Ok(Resp::json(200, render_task(task, now)))
}

/// `POST C/operation/upgrade/retry`: re-runs the last failed upgrade task; no body.
pub fn retry(ctx: &mut Ctx<'_>, p: &str, c: &str) -> Result<Resp, ApiError> {
    let now = ctx.now;
    let end = ctx.after(ctx.opts.durations.upgrade);
    let cluster = clusters::get(ctx, p, c)?;
    require_available(cluster)?;
    let name = cluster.name.clone();
    let failed = cluster
        .upgrade_tasks
        .last()
        .is_some_and(|t| t.phase(now) == "Failed");
    if !failed {
        return Err(bad("there is no failed upgrade task to retry"));
    }
    let fail = ctx.faults.take_fail("upgrade", &name);
    let cluster = clusters::get(ctx, p, c)?;
    if let Some(t) = cluster.upgrade_tasks.last_mut() {
        t.start = now;
        t.end = end;
        t.fail = fail;
        t.applied = false;
    }
    cluster.phase = "Upgrading".into();
    cluster.updated = now;
    Ok(Resp::empty(200))
}

/// `POST /autopilot/v3.1/…/operation/snapshot`.
pub fn snapshot(ctx: &mut Ctx<'_>, p: &str, c: &str) -> Result<Resp, ApiError> {
    let now = ctx.now;
    let end = ctx.after(ctx.opts.durations.snapshot);
    let cluster = clusters::get(ctx, p, c)?;
    require_available(cluster)?;
    let name = cluster.name.clone();
    let fail = ctx.faults.take_fail("snapshot", &name);
    let cluster = clusters::get(ctx, p, c)?;
    let snap = Snapshot {
        uid: new_id(),
        created: now,
        end,
        fail,
    };
    let targets = catalog::targets(&cluster.patch);
    let done: Vec<bool> = cluster
        .workflows
        .iter()
        .map(|w| w.cancelled || point_upgrade(cluster, w, now) == Some("Success"))
        .collect();
    if let Some((w, _)) = cluster
        .workflows
        .iter_mut()
        .zip(done)
        .rev()
        .find(|(w, d)| !d && targets.contains(&w.to))
    {
        w.snapshot = Some(snap.uid.clone());
        w.updated = now;
    }
    let uid = snap.uid.clone();
    cluster.snapshots.push(snap);
    Ok(Resp::json(
        200,
        json!({"uid": uid, "metadata": {"kind": "Snapshot", "apiVersion": "v3.1"}}),
    ))
}

/// `GET /autopilot/v3.1/…/operation/snapshot/tasks`.
pub fn list_snapshots(ctx: &mut Ctx<'_>, p: &str, c: &str) -> Result<Resp, ApiError> {
    let now = ctx.now;
    let cluster = clusters::get(ctx, p, c)?;
    let items: Vec<Value> = cluster
        .snapshots
        .iter()
        .map(|sn| {
            let phase = sn.phase(now);
            json!({
                "kind": "SnapshotTask", "apiVersion": "v3.1",
                "metadata": {"uid": sn.uid, "creationTimestamp": go_time(sn.created), "updateTimestamp": go_time(now.min(sn.end))},
                "spec": {"items": [{"id": sn.uid, "type": "EtcdSnapshot", "status": phase, "creationTimestamp": go_time(sn.created), "updateTimestamp": go_time(now.min(sn.end)), "message": ""}]},
                "status": {"phase": phase, "progress": progress(sn.created, sn.end, now).split('.').next().unwrap_or("0"), "completionTime": go_time(now.min(sn.end))}
            })
        })
        .collect();
    let latest = cluster
        .snapshots
        .iter()
        .filter(|sn| sn.phase(now) == "Success")
        .map(|sn| sn.end)
        .max();
    let mut out =
        json!({"kind": "List", "apiVersion": "v3.1", "metadata": {}, "items": items, "status": {}});
    if let Some(t) = latest {
        out["status"]["latestBackupTime"] = json!(go_time(t));
    }
    Ok(Resp::json(200, out))
}

/// `GET C/upgradeinfo`.
pub fn info(ctx: &mut Ctx<'_>, p: &str, c: &str) -> Result<Resp, ApiError> {
    let now = ctx.now;
    let cluster = clusters::get(ctx, p, c)?;
    let (release, patch) = cluster
        .patch
        .split_once('-')
        .unwrap_or((&cluster.patch, "r0"));
    let last = cluster.upgrade_tasks.last().map(|t| {
        let phase = t.phase(now);
        let mut v = json!({"phase": phase, "progress": t.progress(now)});
        if matches!(phase, "Success" | "Failed") {
            v["completionTime"] = json!(go_time(t.end));
        }
        v
    });
    let mut spec = json!({
        "versionInfo": {"release": release, "patch": patch, "suggestPatch": patch, "targetVersions": catalog::targets(&cluster.patch)},
        "upgradeFeatureGates": {"supportUpgradePageV4": true}
    });
    if let Some(l) = &last {
        spec["lastUpgradeInfo"] = l.clone();
    }
    Ok(Resp::json(
        200,
        json!({"kind": "UpgradeInfo", "apiVersion": "v3", "metadata": {}, "spec": spec, "status": last.unwrap_or(json!({}))}),
    ))
}

/// `GET /autopilot/v3/clusterupgradepaths`.
pub fn paths() -> Resp {
    Resp::json(
        200,
        json!({"kind": "ClusterUpgradePaths", "apiVersion": "v3", "metadata": {}, "upgradePaths": catalog::upgrade_paths()}),
    )
}

/// `GET /autopilot/v3/clusterupgradefeaturegates`.
pub fn feature_gates() -> Resp {
    Resp::json(
        200,
        json!({
            "kind": "ClusterUpgradeFeatureGates", "apiVersion": "v3", "metadata": {},
            "upgradeFeatureGates": {"DisplayPreCheckDetail": "Support", "EvsSnapshot": "Support", "LabelForSkippedNode": "Support", "UpgradeStrategy": "Support"}
        }),
    )
}

struct Point {
    task_type: &'static str,
    task_id: Option<String>,
    status: Option<&'static str>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    expire: Option<DateTime<Utc>>,
}

fn points(c: &Cluster, w: &Workflow, now: DateTime<Utc>) -> Vec<Point> {
    let pre = w
        .precheck
        .as_ref()
        .and_then(|id| c.prechecks.iter().find(|x| &x.uid == id));
    let snap = w
        .snapshot
        .as_ref()
        .and_then(|id| c.snapshots.iter().find(|x| &x.uid == id));
    let up = w
        .upgrade
        .as_ref()
        .and_then(|id| c.upgrade_tasks.iter().find(|x| &x.uid == id));
    let post = w
        .postcheck
        .as_ref()
        .and_then(|id| c.postchecks.iter().find(|x| &x.uid == id));
    let done = |end: DateTime<Utc>| (now >= end).then_some(end);
    vec![
        Point {
            task_type: "PreCheck",
            task_id: pre.map(|x| x.uid.clone()),
            status: pre.map(|x| x.phase(now)),
            start: pre.map(|x| x.created),
            end: pre.and_then(|x| done(x.end)),
            expire: pre
                .filter(|x| x.phase(now) == "Success")
                .map(Precheck::expires),
        },
        Point {
            task_type: "Snapshot",
            task_id: snap.map(|x| x.uid.clone()),
            status: snap.map(|x| x.phase(now)),
            start: snap.map(|x| x.created),
            end: snap.and_then(|x| done(x.end)),
            expire: None,
        },
        Point {
            task_type: "Cluster",
            task_id: up.map(|x| x.uid.clone()),
            status: up.map(|x| x.phase(now)),
            start: up.map(|x| x.start),
            end: up.and_then(|x| done(x.end)),
            expire: None,
        },
        Point {
            task_type: "PostCheck",
            task_id: post.map(|x| x.uid.clone()),
            status: post.map(|x| {
                if x.phase == "Success" {
                    "Success"
                } else {
                    "Failed"
                }
            }),
            start: post.map(|x| x.at),
            end: post.map(|x| x.at),
            expire: None,
        },
    ]
}

/// The workflow phase at `now`.
pub fn workflow_phase(c: &Cluster, w: &Workflow, now: DateTime<Utc>) -> &'static str {
    if w.cancelled {
        return "Cancel";
    }
    let pts = points(c, w, now);
    if pts.iter().any(|p| p.status == Some("Failed")) {
        return "Pending";
    }
    let cluster_done = pts
        .iter()
        .any(|p| p.task_type == "Cluster" && p.status == Some("Success"));
    if cluster_done {
        return "Success";
    }
    if pts
        .iter()
        .any(|p| matches!(p.status, Some("Init" | "Running" | "Queuing")))
    {
        return "Running";
    }
    "Init"
}

/// Renders a workflow.
pub fn render_workflow(c: &Cluster, w: &Workflow, now: DateTime<Utc>) -> Value {
    let pts: Vec<Value> = points(c, w, now)
        .into_iter()
        .map(|p| {
            let mut v = json!({"taskType": p.task_type});
            if let Some(id) = p.task_id {
                v["taskID"] = json!(id);
            }
            if let Some(st) = p.status {
                v["status"] = json!(st);
            }
            if let Some(t) = p.start {
                v["startTimeStamp"] = json!(go_time(t));
            }
            if let Some(t) = p.end {
                v["endTimeStamp"] = json!(go_time(t));
            }
            if let Some(t) = p.expire {
                v["expireTimeStamp"] = json!(go_time(t));
            }
            v
        })
        .collect();
    let line = |a: &str, b: &str| json!({"startPoint": {"taskType": a}, "endPoint": {"taskType": b}, "critical": "true"});
    json!({
        "kind": "WorkFlowTask", "apiVersion": "v3",
        "metadata": {"uid": w.uid, "name": "cluster-upgrade-booting-task", "creationTimestamp": go_time(w.created), "updateTimestamp": go_time(w.updated)},
        "spec": {"clusterID": c.uid, "clusterVersion": w.from, "targetVersion": w.to},
        "status": {"phase": workflow_phase(c, w, now), "pointStatuses": pts, "lineStatuses": [line("PreCheck", "Cluster"), line("Cluster", "PostCheck")]},
    })
}

/// `POST C/operation/upgradeworkflows` → 201.
pub fn create_workflow(ctx: &mut Ctx<'_>, req: &Req, p: &str, c: &str) -> Result<Resp, ApiError> {
    let body = req.json()?;
    if s(&body, "/kind") != Some("WorkFlowTask") || s(&body, "/apiVersion") != Some("v3") {
        return Err(bad("kind must be WorkFlowTask and apiVersion v3"));
    }
    let target = s(&body, "/spec/targetVersion")
        .ok_or_else(|| bad("spec.targetVersion is required"))?
        .to_string();
    let now = ctx.now;
    let cluster = clusters::get(ctx, p, c)?;
    if s(&body, "/spec/clusterID").is_some_and(|id| id != cluster.uid) {
        return Err(bad("spec.clusterID does not match the path"));
    }
    if s(&body, "/spec/clusterVersion").is_some_and(|v| !is_current(cluster, v)) {
        return Err(bad(format!(
            "spec.clusterVersion is not the cluster's version {}",
            cluster.patch
        )));
    }
    let to = resolve(cluster, &target)?;
    let busy = cluster.workflows.iter().any(|w| {
        matches!(
            workflow_phase(cluster, w, now),
            "Init" | "Running" | "Pending"
        )
    });
    if busy {
        return Err(ApiError::exists(
            F,
            "an upgrade workflow is already in progress for this cluster",
        ));
    }
    let w = Workflow {
        uid: new_id(),
        from: cluster.patch.clone(),
        to,
        created: now,
        updated: now,
        cancelled: false,
        precheck: None,
        snapshot: None,
        upgrade: None,
        postcheck: None,
    };
    let out = render_workflow(cluster, &w, now);
    cluster.workflows.push(w);
    Ok(Resp::json(201, out))
}

/// `GET C/operation/upgradeworkflows`.
pub fn list_workflows(ctx: &mut Ctx<'_>, p: &str, c: &str) -> Result<Resp, ApiError> {
    let now = ctx.now;
    let cluster = clusters::get(ctx, p, c)?;
    let items: Vec<Value> = cluster
        .workflows
        .iter()
        .map(|w| render_workflow(cluster, w, now))
        .collect();
    Ok(Resp::json(
        200,
        json!({"kind": "List", "apiVersion": "v3", "items": items}),
    ))
}

/// `GET C/operation/upgradeworkflows/{id}`.
pub fn show_workflow(ctx: &mut Ctx<'_>, p: &str, c: &str, id: &str) -> Result<Resp, ApiError> {
    let now = ctx.now;
    let cluster = clusters::get(ctx, p, c)?;
    let w = cluster
        .workflows
        .iter()
        .find(|w| w.uid == id)
        .ok_or_else(|| ApiError::not_found(F, format!("workflow {id} not found")))?;
    Ok(Resp::json(200, render_workflow(cluster, w, now)))
}

/// `PATCH C/operation/upgradeworkflows/{id}`: only `Cancel`, under O8.
pub fn patch_workflow(
    ctx: &mut Ctx<'_>,
    req: &Req,
    p: &str,
    c: &str,
    id: &str,
) -> Result<Resp, ApiError> {
    let body = req.json()?;
    if s(&body, "/status/phase") != Some("Cancel") {
        return Err(bad("only status.phase=Cancel is supported"));
    }
    let now = ctx.now;
    let cluster = clusters::get(ctx, p, c)?;
    let idx = cluster
        .workflows
        .iter()
        .position(|w| w.uid == id)
        .ok_or_else(|| ApiError::not_found(F, format!("workflow {id} not found")))?;
    let w = cluster
        .workflows
        .get(idx)
        .ok_or_else(|| ApiError::not_found(F, "workflow not found"))?;
    let phase = workflow_phase(cluster, w, now);
    let active = points(cluster, w, now)
        .iter()
        .any(|p| matches!(p.status, Some("Init" | "Running" | "Queuing" | "Pause")));
    if !matches!(phase, "Init" | "Pending") || active {
        return Err(bad(format!(
            "the workflow cannot be cancelled while it is {phase}{}",
            if active {
                " with a task in progress"
            } else {
                ""
            }
        )));
    }
    if let Some(w) = cluster.workflows.get_mut(idx) {
        w.cancelled = true;
        w.updated = now;
    }
    let w = cluster
        .workflows
        .get(idx)
        .ok_or_else(|| ApiError::not_found(F, "workflow not found"))?;
    Ok(Resp::json(200, render_workflow(cluster, w, now)))
}
