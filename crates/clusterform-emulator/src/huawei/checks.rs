//! Pre- and post-upgrade checks (digest §5.3, §5.4): precheck tasks with per-item results,
//! their one-hour validity, an injectable `precheck` failure, and the synchronous postcheck.

use super::clusters;
use super::error::{ApiError, Family};
use super::model::{go_time, new_id, Postcheck, Precheck};
use super::upgrade::{
    bad, is_current, open_workflow, point_upgrade, require_available, resolve, s,
};
use super::{Ctx, Req, Resp};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

const F: Family = Family::Cluster;

/// The check item an injected `precheck` failure fails: a fatal exception, so the engine
/// must stop (digest §5.3: fail on `Failed` and report `kind: Exception`, `level: Fatal`).
const FAILING_ITEM: &str = "BlackLimit";
const FAILURE_MESSAGE: &str =
    "the cluster matches an upgrade blocklist rule; contact support before upgrading";

/// (cluster items, add-on items) for a task in `phase`.
fn check_items(phase: &str) -> (Value, Value) {
    let item = |name: &str, kind: &str, group: &str, level: &str| {
        let (phase, message) = match phase {
            "Failed" if name == FAILING_ITEM => ("Failed", FAILURE_MESSAGE),
            "Failed" | "Success" => ("Success", "check item succeed"),
            other => (other, ""),
        };
        let mut v = json!({"name": name, "kind": kind, "group": group, "level": level, "phase": phase, "message": message, "riskSource": {}});
        if phase == "Failed" {
            v["errorCodes"] = json!(["CCE.01400001"]);
        }
        v
    };
    (
        json!([
            item("DeprecatedApiCheck", "Risk", "LimitCheck", "Info"),
            item("ResiduePackageVersion", "Risk", "LimitCheck", "Info"),
            item(FAILING_ITEM, "Exception", "LimitCheck", "Fatal")
        ]),
        json!([
            item("AddonLimit", "Exception", "AddonCheck", "Warning"),
            item("CoreDNSConfLimit", "Exception", "AddonCheck", "Fatal")
        ]),
    )
}

/// Renders a precheck task; `full` adds timestamps and item results.
pub fn render_precheck(pc: &Precheck, cluster_id: &str, now: DateTime<Utc>, full: bool) -> Value {
    let phase = pc.phase(now);
    // Only the cluster checks hold the failing item; the others succeed.
    let other = if phase == "Failed" { "Success" } else { phase };
    let mut status = Map::new();
    status.insert("phase".into(), json!(phase));
    let (cluster_items, addon_items) = check_items(phase);
    if full && phase == "Success" {
        status.insert("expireTimeStamp".into(), json!(go_time(pc.expires())));
    }
    if phase == "Failed" {
        status.insert(
            "message".into(),
            json!(format!(
                "check item {FAILING_ITEM} failed: {FAILURE_MESSAGE}"
            )),
        );
    }
    if full {
        status.insert(
            "clusterCheckStatus".into(),
            json!({"phase": phase, "itemsStatus": cluster_items}),
        );
        status.insert(
            "addonCheckStatus".into(),
            json!({"phase": other, "itemsStatus": addon_items}),
        );
    } else {
        status.insert("clusterCheckStatus".into(), json!({"phase": phase}));
        status.insert("addonCheckStatus".into(), json!({"phase": other}));
    }
    status.insert("nodeCheckStatus".into(), json!({"phase": other}));
    let mut meta = json!({"uid": pc.uid});
    if full {
        meta["creationTimestamp"] = json!(go_time(pc.created));
        meta["updateTimestamp"] = json!(go_time(now.min(pc.end)));
    }
    json!({
        "kind": "PreCheckTask", "apiVersion": "v3",
        "metadata": meta,
        "spec": {"clusterID": cluster_id, "clusterVersion": pc.from, "targetVersion": pc.to, "skippedCheckItemList": pc.skipped},
        "status": status,
    })
}

/// `POST C/operation/precheck`.
pub fn precheck(ctx: &mut Ctx<'_>, req: &Req, p: &str, c: &str) -> Result<Resp, ApiError> {
    let body = req.json()?;
    if s(&body, "/kind") != Some("PreCheckTask") || s(&body, "/apiVersion") != Some("v3") {
        return Err(bad("kind must be PreCheckTask and apiVersion v3"));
    }
    let spec = body.get("spec").ok_or_else(|| bad("spec is required"))?;
    let from = s(spec, "/clusterVersion").ok_or_else(|| bad("spec.clusterVersion is required"))?;
    let target = s(spec, "/targetVersion").ok_or_else(|| bad("spec.targetVersion is required"))?;
    let now = ctx.now;
    let end = ctx.after(ctx.opts.durations.precheck);
    let validity =
        crate::huawei::model::chrono_dur(ctx.opts.durations.precheck_validity).num_milliseconds();
    let cluster = clusters::get(ctx, p, c)?;
    if s(spec, "/clusterID").is_some_and(|id| id != cluster.uid) {
        return Err(bad("spec.clusterID does not match the path"));
    }
    require_available(cluster)?;
    if !is_current(cluster, from) {
        return Err(bad(format!(
            "spec.clusterVersion {from} is not the cluster's version {}",
            cluster.patch
        )));
    }
    let to = resolve(cluster, target)?;
    let name = cluster.name.clone();
    // The failure is drawn only for a check that was accepted, so a refused request does
    // not use up a `[[fail]]` count.
    let fail = ctx.faults.take_fail("precheck", &name);
    let cluster = clusters::get(ctx, p, c)?;
    let pc = Precheck {
        uid: new_id(),
        from: cluster.patch.clone(),
        to: to.clone(),
        skipped: spec
            .get("skippedCheckItemList")
            .cloned()
            .unwrap_or(json!([])),
        created: now,
        end,
        validity_ms: validity,
        fail,
    };
    if let Some(w) = open_workflow(cluster, &to, now) {
        w.precheck = Some(pc.uid.clone());
        w.updated = now;
    }
    let out = render_precheck(&pc, &cluster.uid, now, false);
    cluster.prechecks.push(pc);
    Ok(Resp::json(200, out))
}

/// `GET C/operation/precheck/tasks`.
pub fn list_prechecks(ctx: &mut Ctx<'_>, p: &str, c: &str) -> Result<Resp, ApiError> {
    let now = ctx.now;
    let cluster = clusters::get(ctx, p, c)?;
    let items: Vec<Value> = cluster
        .prechecks
        .iter()
        .map(|pc| render_precheck(pc, &cluster.uid, now, true))
        .collect();
    Ok(Resp::json(
        200,
        json!({"kind": "List", "apiVersion": "v3", "metadata": {}, "items": items}),
    ))
}

/// `GET C/operation/precheck/tasks/{task_id}`.
pub fn show_precheck(ctx: &mut Ctx<'_>, p: &str, c: &str, t: &str) -> Result<Resp, ApiError> {
    let now = ctx.now;
    let cluster = clusters::get(ctx, p, c)?;
    let pc = cluster
        .prechecks
        .iter()
        .find(|x| x.uid == t)
        .ok_or_else(|| ApiError::not_found(F, format!("precheck task {t} not found")))?;
    Ok(Resp::json(
        200,
        render_precheck(pc, &cluster.uid, now, true),
    ))
}

/// `POST C/operation/postcheck` (synchronous).
pub fn postcheck(ctx: &mut Ctx<'_>, req: &Req, p: &str, c: &str) -> Result<Resp, ApiError> {
    let body = req.json()?;
    if s(&body, "/kind") != Some("PostCheckTask") || s(&body, "/apiVersion") != Some("v3") {
        return Err(bad("kind must be PostCheckTask and apiVersion v3"));
    }
    let now = ctx.now;
    let cluster = clusters::get(ctx, p, c)?;
    if s(&body, "/spec/clusterID").is_some_and(|id| id != cluster.uid) {
        return Err(bad("spec.clusterID does not match the path"));
    }
    let from = s(&body, "/spec/clusterVersion")
        .unwrap_or_default()
        .to_string();
    let to = s(&body, "/spec/targetVersion")
        .map(str::to_string)
        .unwrap_or_else(|| cluster.patch.clone());
    let ok = cluster.phase == "Available" && is_current(cluster, &to);
    let name = cluster.name.clone();
    let ok = ok && !ctx.faults.take_fail("postcheck", &name);
    let cluster = clusters::get(ctx, p, c)?;
    let pc = Postcheck {
        uid: new_id(),
        from: from.clone(),
        to: to.clone(),
        phase: if ok { "Success" } else { "Failed" }.into(),
        at: now,
    };
    let current = cluster.patch.clone();
    let done: Vec<bool> = cluster
        .workflows
        .iter()
        .map(|w| point_upgrade(cluster, w, now) == Some("Success"))
        .collect();
    if let Some((w, _)) = cluster
        .workflows
        .iter_mut()
        .zip(done)
        .rev()
        .find(|(w, d)| *d && !w.cancelled && w.to == current)
    {
        w.postcheck = Some(pc.uid.clone());
        w.updated = now;
    }
    let out = json!({
        "kind": "PostCheckTask", "apiVersion": "v3",
        "metadata": {"uid": pc.uid},
        "spec": {"clusterID": cluster.uid, "clusterVersion": from, "targetVersion": to},
        "status": {"phase": pc.phase},
    });
    cluster.postchecks.push(pc);
    Ok(Resp::json(200, out))
}
