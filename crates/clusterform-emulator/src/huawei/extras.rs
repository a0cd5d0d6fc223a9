//! Autopilot operations the official SDK offers beyond the API reference's 50: maintenance
//! windows, v2 jobs, upgrade plans, control-plane log configs and v3.1 feature gates.
//! Shapes follow the SDK's response models (`huaweicloudsdkcce` 3.1.219).

use super::clusters;
use super::error::{ApiError, Family};
use super::model::{go_time, Job};
use super::{Ctx, Req, Resp};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

const F: Family = Family::Cluster;

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::bad_request(F, msg)
}

fn window(body: &Value) -> Result<Value, ApiError> {
    let period = body
        .get("weekly_period")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("weekly_period is required"))?;
    let days = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    if period.split(',').any(|d| !days.contains(&d.trim())) {
        return Err(bad(
            "weekly_period is a comma-separated list of weekday names",
        ));
    }
    let start = body
        .get("start_time")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("start_time is required"))?;
    let ok_time = start.len() == 5
        && start.split_once(':').is_some_and(|(h, m)| {
            h.parse::<u8>().is_ok_and(|h| h < 24) && m.parse::<u8>().is_ok_and(|m| m < 60)
        });
    if !ok_time {
        return Err(bad("start_time must be HH:MM"));
    }
    let hours = body
        .get("duration_hours")
        .and_then(Value::as_i64)
        .ok_or_else(|| bad("duration_hours is required"))?;
    if !(1..=24).contains(&hours) {
        return Err(bad("duration_hours must be 1-24"));
    }
    let scope = body
        .get("upgrade_scope")
        .and_then(Value::as_str)
        .unwrap_or("patch");
    Ok(
        json!({"weekly_period": period, "start_time": start, "duration_hours": hours, "upgrade_scope": scope}),
    )
}

/// `POST|GET|PUT|DELETE C/maintenancewindows`.
pub fn maintenance(ctx: &mut Ctx<'_>, req: &Req, p: &str, c: &str) -> Result<Resp, ApiError> {
    let body = if matches!(req.method.as_str(), "POST" | "PUT") {
        Some(window(&req.json()?)?)
    } else {
        None
    };
    let cluster = clusters::get(ctx, p, c)?;
    let missing = || ApiError::not_found(F, "the cluster has no maintenance window");
    match (req.method.as_str(), body) {
        ("GET", _) => cluster
            .maintenance
            .clone()
            .map(|w| Resp::json(200, w))
            .ok_or_else(missing),
        ("POST", Some(w)) => {
            if cluster.maintenance.is_some() {
                return Err(ApiError::exists(
                    F,
                    "the cluster already has a maintenance window",
                ));
            }
            cluster.maintenance = Some(w.clone());
            Ok(Resp::json(200, w))
        }
        ("PUT", Some(w)) => {
            if cluster.maintenance.is_none() {
                return Err(missing());
            }
            cluster.maintenance = Some(w.clone());
            Ok(Resp::json(200, w))
        }
        ("DELETE", _) => cluster
            .maintenance
            .take()
            .map(|w| Resp::json(200, w))
            .ok_or_else(missing),
        _ => Err(ApiError::method_not_allowed(F, "method not allowed")),
    }
}

fn render_v2(j: &Job, now: DateTime<Utc>) -> Value {
    let phase = j.phase(now);
    let mut status = json!({"status": phase, "reason": clusters::failure_reason(j, phase)});
    if matches!(phase, "Success" | "Failed") {
        status["completionTime"] = json!(go_time(j.end));
    }
    json!({
        "kind": "Job", "apiVersion": "v2",
        "metadata": {"uid": j.uid, "creationTimestamp": go_time(j.start), "updateTimestamp": go_time(now.min(j.end))},
        "spec": {"type": j.job_type, "clusteruid": j.cluster_uid, "resourceid": j.cluster_uid, "resourcename": j.resource_name, "extendparam": {}, "subjobs": []},
        "status": status,
    })
}

/// `GET /autopilot/v2/projects/{p}/jobs` → bare array.
pub fn list_jobs(ctx: &mut Ctx<'_>, p: &str) -> Result<Resp, ApiError> {
    let now = ctx.now;
    let items: Vec<Value> = ctx
        .st
        .project(p)
        .jobs
        .values()
        .map(|j| render_v2(j, now))
        .collect();
    Ok(Resp::json(200, Value::Array(items)))
}

/// `GET /autopilot/v2/projects/{p}/jobs/{id}`.
pub fn show_job(ctx: &mut Ctx<'_>, p: &str, id: &str) -> Result<Resp, ApiError> {
    let now = ctx.now;
    let j = ctx
        .st
        .project(p)
        .jobs
        .get(id)
        .ok_or_else(|| ApiError::not_found(F, format!("job {id} not found")))?;
    Ok(Resp::json(200, render_v2(j, now)))
}

/// `DELETE /autopilot/v2/projects/{p}/jobs/{id}`: only finished jobs can be deleted.
pub fn delete_job(ctx: &mut Ctx<'_>, p: &str, id: &str) -> Result<Resp, ApiError> {
    let now = ctx.now;
    let jobs = &mut ctx.st.project(p).jobs;
    let j = jobs
        .get(id)
        .ok_or_else(|| ApiError::not_found(F, format!("job {id} not found")))?;
    if !matches!(j.phase(now), "Success" | "Failed") {
        return Err(ApiError::locked("the job is still running"));
    }
    jobs.remove(id);
    Ok(Resp::empty(200))
}

/// `GET C/upgradeplans`: the emulator schedules no automatic upgrades, so the list is empty.
pub fn list_plans(ctx: &mut Ctx<'_>, p: &str, c: &str) -> Result<Resp, ApiError> {
    clusters::get(ctx, p, c)?;
    Ok(Resp::json(200, json!({"kind": "List", "apiVersion": "v3"})))
}

/// `PUT C/upgradeplans/{id}`: no plan exists, so 404.
pub fn update_plan(
    ctx: &mut Ctx<'_>,
    req: &Req,
    p: &str,
    c: &str,
    id: &str,
) -> Result<Resp, ApiError> {
    req.json()?;
    clusters::get(ctx, p, c)?;
    Err(ApiError::not_found(
        F,
        format!("upgrade plan {id} not found"),
    ))
}

/// `GET P/cluster/{c}/log-configs` (note the singular `cluster`).
pub fn log_configs(ctx: &mut Ctx<'_>, _req: &Req, p: &str, c: &str) -> Result<Resp, ApiError> {
    clusters::get(ctx, p, c)?;
    let names = [
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "audit",
    ];
    let cfgs: Vec<Value> = names
        .iter()
        .map(|n| json!({"name": n, "enable": false}))
        .collect();
    Ok(Resp::json(
        200,
        json!({"ttl_in_days": 7, "log_configs": cfgs}),
    ))
}

/// `GET /autopilot/v3.1/feature-gates`.
pub fn feature_gates() -> Resp {
    Resp::json(
        200,
        json!({"kind": "FeatureGates", "apiVersion": "v3.1", "spec": {"supportUpgradePageV4": true, "EvsSnapshot": "Support"}}),
    )
}
