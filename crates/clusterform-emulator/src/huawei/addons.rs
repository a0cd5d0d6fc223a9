//! Add-on instances and templates (digest §4): install, show, list, upgrade, rollback,
//! delete, with `supportVersions` compatibility and one instance per template per cluster.

use super::catalog::{self, Template};
use super::error::{ApiError, Family};
use super::model::{new_id, rfc3339, Addon};
use super::{Ctx, Req, Resp};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

const F: Family = Family::Addon;

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::bad_request(F, msg)
}

/// A new add-on instance record.
pub fn new_addon(
    cluster_id: &str,
    template: &str,
    version: &str,
    values: Value,
    status: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Addon {
    Addon {
        uid: new_id(),
        cluster_id: cluster_id.into(),
        template: template.into(),
        version: version.into(),
        previous_version: None,
        rollbackable: false,
        values,
        status: status.into(),
        reason: String::new(),
        until: Some(until),
        fail_pending: false,
        created: now,
        updated: now,
    }
}

fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// Renders an instance; `values` are the server-expanded set.
pub fn render(a: &Addon, project: &str, cluster_patch: &str) -> Value {
    let t = catalog::template(&a.template);
    let mut values = t
        .map(|t| catalog::default_values(t, &a.version))
        .unwrap_or(json!({}));
    merge(&mut values, &a.values);
    values["basic"]["platform"] = json!("linux-amd64");
    values["basic"]["cluster_version"] = json!(catalog::minor_of(cluster_patch));
    values["systemAutoInject"] = json!({
        "cluster": {"clusterID": a.cluster_id, "clusterNetworkMode": "eni", "clusterVersion": cluster_patch},
        "user": {"projectID": project}
    });
    let current = t
        .and_then(|t| {
            t.versions
                .iter()
                .find(|v| v.version == a.version)
                .map(|v| catalog::version_json(t, v))
        })
        .unwrap_or(json!({"version": a.version}));
    let targets: Vec<&str> = t
        .map(|t| {
            let pos = t
                .versions
                .iter()
                .position(|v| v.version == a.version)
                .unwrap_or(0);
            t.versions
                .iter()
                .skip(pos + 1)
                .filter(|v| catalog::supports(v, cluster_patch))
                .map(|v| v.version)
                .collect()
        })
        .unwrap_or_default();
    let mut status = json!({
        "status": a.status,
        "Reason": a.reason,
        "message": "",
        "targetVersions": if targets.is_empty() { Value::Null } else { json!(targets) },
        "isRollbackable": a.rollbackable,
        "currentVersion": current,
    });
    if let Some(p) = &a.previous_version {
        status["previousVersion"] = json!(p);
    }
    json!({
        "kind": "Addon",
        "apiVersion": "v3",
        "metadata": {
            "uid": a.uid,
            "name": a.template,
            "alias": t.map(|t| t.alias).unwrap_or(&a.template),
            "creationTimestamp": rfc3339(a.created),
            "updateTimestamp": rfc3339(a.updated),
        },
        "spec": {
            "clusterID": a.cluster_id,
            "version": a.version,
            "addonTemplateName": a.template,
            "addonTemplateType": t.map(|t| t.kind).unwrap_or("helm"),
            "addonTemplateLogo": "",
            "addonTemplateLabels": t.map(|t| t.labels.to_vec()).unwrap_or_default(),
            "description": t.map(|t| t.description).unwrap_or(""),
            "values": values,
        },
        "status": status,
    })
}

/// The project for a request naming cluster `cluster_id`: `X-Project-Id`, else the owner.
fn project_for_cluster(ctx: &Ctx<'_>, req: &Req, cluster_id: &str) -> String {
    if req.project_from_header {
        return req.project.clone();
    }
    ctx.st
        .project_of_cluster(cluster_id)
        .unwrap_or_else(|| req.project.clone())
}

/// The project holding add-on `id` (header project first).
fn project_for_addon(ctx: &Ctx<'_>, req: &Req, id: &str) -> Option<String> {
    if req.project_from_header {
        return ctx
            .st
            .projects
            .get(&req.project)
            .filter(|p| p.addons.contains_key(id))
            .map(|_| req.project.clone());
    }
    ctx.st
        .projects
        .iter()
        .find(|(_, p)| p.addons.contains_key(id))
        .map(|(k, _)| k.clone())
}

fn cluster_info(
    ctx: &mut Ctx<'_>,
    p: &str,
    cluster_id: &str,
) -> Result<(String, String, String), ApiError> {
    let c = ctx
        .st
        .project(p)
        .clusters
        .get(cluster_id)
        .ok_or_else(|| ApiError::not_found(F, format!("cluster {cluster_id} not found")))?;
    Ok((c.name.clone(), c.patch.clone(), c.phase.clone()))
}

fn pick_version(
    t: &Template,
    requested: Option<&str>,
    cluster_patch: &str,
) -> Result<String, ApiError> {
    match requested.filter(|v| !v.is_empty()) {
        Some(v) => {
            let tv = t
                .versions
                .iter()
                .find(|x| x.version == v)
                .ok_or_else(|| bad(format!("add-on {} has no version {v}", t.name)))?;
            if !catalog::supports(tv, cluster_patch) {
                return Err(bad(format!(
                    "add-on {} {v} does not support cluster version {cluster_patch}",
                    t.name
                )));
            }
            Ok(v.to_string())
        }
        None => catalog::latest_supported(t, cluster_patch)
            .map(str::to_string)
            .ok_or_else(|| {
                bad(format!(
                    "add-on {} has no version supporting {cluster_patch}",
                    t.name
                ))
            }),
    }
}

fn locate(ctx: &mut Ctx<'_>, req: &Req, id: &str) -> Result<(String, String), ApiError> {
    let p = project_for_addon(ctx, req, id)
        .ok_or_else(|| ApiError::not_found(F, format!("add-on instance {id} not found")))?;
    let a = ctx
        .st
        .project(&p)
        .addons
        .get(id)
        .ok_or_else(|| ApiError::not_found(F, format!("add-on instance {id} not found")))?;
    let cluster_id = a.cluster_id.clone();
    if req.q("cluster_id").is_some_and(|c| c != cluster_id) {
        return Err(ApiError::not_found(
            F,
            format!("add-on instance {id} not found in that cluster"),
        ));
    }
    let patch = ctx
        .st
        .project(&p)
        .clusters
        .get(&cluster_id)
        .map(|c| c.patch.clone())
        .unwrap_or_default();
    Ok((p, patch))
}

fn render_in(ctx: &mut Ctx<'_>, p: &str, id: &str, patch: &str) -> Result<Value, ApiError> {
    let a = ctx
        .st
        .project(p)
        .addons
        .get(id)
        .ok_or_else(|| ApiError::not_found(F, "add-on instance not found"))?;
    Ok(render(a, p, patch))
}

/// `POST /autopilot/v3/addons` → 201 `installing`.
pub fn create(ctx: &mut Ctx<'_>, req: &Req) -> Result<Resp, ApiError> {
    let body = req.json()?;
    if body.get("kind").and_then(Value::as_str) != Some("Addon")
        || body.get("apiVersion").and_then(Value::as_str) != Some("v3")
    {
        return Err(bad("kind must be Addon and apiVersion v3"));
    }
    let spec = body.get("spec").ok_or_else(|| bad("spec is required"))?;
    let cluster_id = spec
        .get("clusterID")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("spec.clusterID is required"))?;
    let tname = spec
        .get("addonTemplateName")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("spec.addonTemplateName is required"))?;
    let values = spec
        .get("values")
        .filter(|v| v.is_object())
        .cloned()
        .ok_or_else(|| bad("spec.values is required"))?;
    let p = project_for_cluster(ctx, req, cluster_id);
    let (cname, patch, phase) = cluster_info(ctx, &p, cluster_id)?;
    let t = catalog::template(tname)
        .ok_or_else(|| ApiError::not_found(F, format!("add-on template {tname} not found")))?;
    if phase != "Available" {
        return Err(ApiError::locked(format!("cluster is {phase}")));
    }
    let version = pick_version(t, spec.get("version").and_then(Value::as_str), &patch)?;
    if ctx
        .st
        .project(&p)
        .addons
        .values()
        .any(|a| a.cluster_id == cluster_id && a.template == t.name)
    {
        return Err(ApiError::addon_installed(format!(
            "add-on {} is already installed in cluster {cluster_id}",
            t.name
        )));
    }
    let until = ctx.after(ctx.opts.durations.addon);
    let mut a = new_addon(
        cluster_id,
        t.name,
        &version,
        values,
        "installing",
        ctx.now,
        until,
    );
    a.fail_pending = ctx.faults.take_fail("addon_install", &cname);
    let out = render(&a, &p, &patch);
    ctx.st.project(&p).addons.insert(a.uid.clone(), a);
    Ok(Resp::json(201, out))
}

/// `GET /autopilot/v3/addons?cluster_id=` (required).
pub fn list(ctx: &mut Ctx<'_>, req: &Req) -> Result<Resp, ApiError> {
    let cluster_id = req
        .q("cluster_id")
        .ok_or_else(|| bad("cluster_id is required"))?
        .to_string();
    let p = project_for_cluster(ctx, req, &cluster_id);
    let patch = ctx
        .st
        .project(&p)
        .clusters
        .get(&cluster_id)
        .map(|c| c.patch.clone())
        .unwrap_or_default();
    let name = req.q("addon_template_name");
    let items: Vec<Value> = ctx
        .st
        .project(&p)
        .addons
        .values()
        .filter(|a| a.cluster_id == cluster_id && name.is_none_or(|n| n == a.template))
        .map(|a| render(a, &p, &patch))
        .collect();
    Ok(Resp::json(
        200,
        json!({"kind": "Addon", "apiVersion": "v3", "items": items}),
    ))
}

/// `GET /autopilot/v3/addons/{id}`.
pub fn show(ctx: &mut Ctx<'_>, req: &Req, id: &str) -> Result<Resp, ApiError> {
    let (p, patch) = locate(ctx, req, id)?;
    Ok(Resp::json(200, render_in(ctx, &p, id, &patch)?))
}

/// `PUT /autopilot/v3/addons/{id}` → `upgrading`.
pub fn update(ctx: &mut Ctx<'_>, req: &Req, id: &str) -> Result<Resp, ApiError> {
    let body = req.json()?;
    let spec = body.get("spec").ok_or_else(|| bad("spec is required"))?;
    let version = spec
        .get("version")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| bad("spec.version is required for an upgrade"))?;
    let values = spec
        .get("values")
        .filter(|v| v.is_object())
        .cloned()
        .ok_or_else(|| bad("spec.values is required"))?;
    let (p, patch) = locate(ctx, req, id)?;
    let until = ctx.after(ctx.opts.durations.addon);
    let now = ctx.now;
    let project = ctx.st.project(&p);
    let cname = project
        .addons
        .get(id)
        .and_then(|a| project.clusters.get(&a.cluster_id))
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let fail = ctx.faults.take_fail("addon_upgrade", &cname);
    let a = ctx
        .st
        .project(&p)
        .addons
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(F, "add-on instance not found"))?;
    if spec
        .get("clusterID")
        .and_then(Value::as_str)
        .is_some_and(|c| c != a.cluster_id)
    {
        return Err(bad("spec.clusterID does not match the instance"));
    }
    if !matches!(
        a.status.as_str(),
        "running" | "available" | "abnormal" | "upgradeFailed" | "rollbackFailed" | "installFailed"
    ) {
        return Err(ApiError::locked(format!("add-on is {}", a.status)));
    }
    let t = catalog::template(&a.template)
        .ok_or_else(|| ApiError::not_found(F, "template not found"))?;
    let version = pick_version(t, Some(version), &patch)?;
    if version != a.version {
        a.previous_version = Some(std::mem::replace(&mut a.version, version));
        a.rollbackable = true;
    }
    a.values = values;
    a.fail_pending = fail;
    a.status = "upgrading".into();
    a.reason = "addon upgrading".into();
    a.until = Some(until);
    a.updated = now;
    Ok(Resp::json(200, render_in(ctx, &p, id, &patch)?))
}

/// `POST /autopilot/v3/addons/{id}/operation/rollback` → `rollbacking` (O9).
pub fn rollback(ctx: &mut Ctx<'_>, req: &Req, id: &str) -> Result<Resp, ApiError> {
    let body = req.json()?;
    let cluster_id = body
        .get("clusterID")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("clusterID is required"))?;
    let (p, patch) = locate(ctx, req, id)?;
    let until = ctx.after(ctx.opts.durations.addon);
    let now = ctx.now;
    let a = ctx
        .st
        .project(&p)
        .addons
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(F, "add-on instance not found"))?;
    if a.cluster_id != cluster_id {
        return Err(bad("clusterID does not match the instance"));
    }
    let allowed = matches!(
        a.status.as_str(),
        "running" | "available" | "abnormal" | "upgradeFailed" | "rollbackFailed"
    );
    let Some(prev) = a
        .previous_version
        .clone()
        .filter(|_| a.rollbackable && allowed)
    else {
        return Err(bad(format!(
            "add-on cannot be rolled back (status {}, rollbackable {})",
            a.status, a.rollbackable
        )));
    };
    a.previous_version = Some(std::mem::replace(&mut a.version, prev.clone()));
    a.rollbackable = false;
    a.status = "rollbacking".into();
    a.reason = format!("Rollback to {prev}");
    a.until = Some(until);
    a.updated = now;
    Ok(Resp::json(200, render_in(ctx, &p, id, &patch)?))
}

/// `DELETE /autopilot/v3/addons/{id}` → the string `success`; then `deleting`, then gone.
pub fn delete(ctx: &mut Ctx<'_>, req: &Req, id: &str) -> Result<Resp, ApiError> {
    let (p, _) = locate(ctx, req, id)?;
    let until = ctx.after(ctx.opts.durations.addon);
    let now = ctx.now;
    let a = ctx
        .st
        .project(&p)
        .addons
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(F, "add-on instance not found"))?;
    if a.status != "deleting" {
        a.status = "deleting".into();
        a.reason = String::new();
        a.fail_pending = false;
        a.until = Some(until);
        a.updated = now;
    }
    Ok(Resp::json(200, json!("success")))
}

/// `GET /autopilot/v3/addontemplates`.
pub fn templates(req: &Req) -> Result<Resp, ApiError> {
    let name = req.q("addon_template_name");
    let items: Vec<Value> = catalog::TEMPLATES
        .iter()
        .filter(|t| name.is_none_or(|n| n == t.name || n == t.alias))
        .map(catalog::template_json)
        .collect();
    Ok(Resp::json(
        200,
        json!({"kind": "Addon", "apiVersion": "v3", "items": items}),
    ))
}
