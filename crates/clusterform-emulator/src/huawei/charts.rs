//! Charts (`/autopilot/v2/charts`, multipart uploads) and releases
//! (`/autopilot/cam/v3/clusters/{id}/releases`), digest §8.

use super::chartpkg::{self, ChartPackage};
use super::error::{ApiError, Family};
use super::model::{new_id, rfc3339, Chart, Release};
use super::{Body, Ctx, Req, Resp};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

const F: Family = Family::Chart;

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::bad_request(F, msg)
}

/// A plain string body, as the cloud answers deletes (`success`).
fn text(s: &str) -> Resp {
    Resp {
        status: 200,
        body: Body::Bytes(s.as_bytes().to_vec(), "application/json".into()),
        headers: vec![],
    }
}

/// One multipart part: (name, filename, bytes).
type Part = (String, Option<String>, Vec<u8>);

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| hay.get(i..i + needle.len()) == Some(needle))
}

fn disposition_param(header: &str, key: &str) -> Option<String> {
    let pat = format!("{key}=\"");
    let i = header.find(&pat)? + pat.len();
    let rest = header.get(i..)?;
    Some(rest.get(..rest.find('"')?)?.to_string())
}

/// Parses a `multipart/form-data` body.
pub fn parse_multipart(content_type: &str, body: &[u8]) -> Result<Vec<Part>, ApiError> {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_string())
        .ok_or_else(|| {
            ApiError::bad_request_code(
                "CCE.01400006",
                "Content type not supported.",
                "multipart/form-data with a boundary is required",
            )
        })?;
    let delim = format!("--{boundary}").into_bytes();
    let mut parts = vec![];
    let mut pos = find(body, &delim, 0).ok_or_else(|| bad("malformed multipart body"))?;
    loop {
        let start = pos + delim.len();
        if body.get(start..start + 2) == Some(b"--") {
            break;
        }
        let next = find(body, &delim, start).ok_or_else(|| bad("malformed multipart body"))?;
        let part = body.get(start..next).unwrap_or_default();
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let split = find(part, b"\r\n\r\n", 0).ok_or_else(|| bad("malformed multipart part"))?;
        let headers = String::from_utf8_lossy(part.get(..split).unwrap_or_default()).into_owned();
        let data = part.get(split + 4..).unwrap_or_default().to_vec();
        let disp = headers
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))
            .unwrap_or("");
        let name = disposition_param(disp, "name").unwrap_or_default();
        parts.push((name, disposition_param(disp, "filename"), data));
        pos = next;
    }
    Ok(parts)
}

struct Upload {
    pkg: ChartPackage,
    bytes: Vec<u8>,
    params: Value,
}

impl Upload {
    fn flag(&self, k: &str) -> Option<bool> {
        self.params.get(k).and_then(Value::as_bool)
    }

    /// `chart_url`: the cloud names the stored package after the chart, not the upload
    /// (`neo4j-3.0.1.tgz` in the seed).
    fn file_name(&self) -> String {
        format!("{}-{}.tgz", self.pkg.name, self.pkg.version)
    }

    /// Copies the package into `c` (everything but id, creation time and visibility).
    fn apply(&self, c: &mut Chart, now: DateTime<Utc>) {
        c.name = self.pkg.name.clone();
        c.version = self.pkg.version.clone();
        c.file_name = self.file_name();
        c.content_hex = hex::encode(&self.bytes);
        c.values = self.pkg.values.clone();
        c.description = self.pkg.description.clone();
        c.app_version = self.pkg.app_version.clone();
        c.icon = self.pkg.icon.clone();
        c.instruction = if self.pkg.has_readme {
            "README.md".into()
        } else {
            String::new()
        };
        c.updated = now;
    }
}

/// Reads the multipart form: `content` (the package, unpacked and checked here) and the
/// optional `parameters` JSON string. The archive alone names the chart: an upload that is
/// not a chart package is refused, whatever its file name says.
fn read_upload(req: &Req) -> Result<Upload, ApiError> {
    let ct = req.header("content-type").unwrap_or("");
    if !ct.starts_with("multipart/form-data") {
        return Err(ApiError::bad_request_code(
            "CCE.01400006",
            "Content type not supported.",
            "charts are uploaded as multipart/form-data",
        ));
    }
    let parts = parse_multipart(ct, &req.body)?;
    let (_, _, bytes) = parts
        .iter()
        .find(|p| p.0 == "content")
        .cloned()
        .ok_or_else(|| bad("form field content (the chart archive) is required"))?;
    let params = match parts.iter().find(|p| p.0 == "parameters") {
        Some((_, _, raw)) if !raw.is_empty() => {
            serde_json::from_slice(raw).map_err(|_| bad("parameters must be a JSON string"))?
        }
        _ => json!({}),
    };
    if bytes.is_empty() {
        return Err(bad("chart archive is empty"));
    }
    let pkg = chartpkg::read(&bytes).map_err(|e| bad(e.to_string()))?;
    let up = Upload { pkg, bytes, params };
    if up.flag("skip_lint") != Some(true) {
        chartpkg::lint(&up.pkg).map_err(|e| bad(e.to_string()))?;
    }
    Ok(up)
}

/// Renders a chart (`ChartResp`); `values` is the JSON-encoded `values.yaml`.
pub fn render(c: &Chart) -> Value {
    json!({
        "id": c.id, "name": c.name, "values": c.values.to_string(), "translate": "", "instruction": c.instruction,
        "version": c.version, "description": c.description, "source": "", "icon_url": c.icon,
        "public": false, "chart_url": c.file_name, "create_at": rfc3339(c.created), "update_at": rfc3339(c.updated)
    })
}

/// `POST /autopilot/v2/charts` (multipart) → 201; the same name and version again is 409
/// unless `parameters.override` is true.
pub fn upload(ctx: &mut Ctx<'_>, req: &Req) -> Result<Resp, ApiError> {
    let up = read_upload(req)?;
    let limit = ctx.opts.limits.charts;
    let now = ctx.now;
    let project = ctx.st.project(&req.project);
    if let Some(existing) = project
        .charts
        .values_mut()
        .find(|c| c.name == up.pkg.name && c.version == up.pkg.version)
    {
        if up.flag("override") != Some(true) {
            return Err(ApiError::exists(
                F,
                format!("chart {}-{} already exists", up.pkg.name, up.pkg.version),
            ));
        }
        up.apply(existing, now);
        return Ok(Resp::json(201, render(existing)));
    }
    if project.charts.len() >= limit {
        return Err(bad(format!("chart quota {limit} reached")));
    }
    let mut chart = Chart {
        id: new_id(),
        name: String::new(),
        version: String::new(),
        file_name: String::new(),
        content_hex: String::new(),
        values: json!({}),
        description: String::new(),
        app_version: String::new(),
        icon: String::new(),
        instruction: String::new(),
        visible: up.flag("visible").unwrap_or(true),
        created: now,
        updated: now,
    };
    up.apply(&mut chart, now);
    let out = render(&chart);
    project.charts.insert(chart.id.clone(), chart);
    Ok(Resp::json(201, out))
}

/// `PUT /autopilot/v2/charts/{id}` (multipart): a new package of the same chart.
pub fn update(ctx: &mut Ctx<'_>, req: &Req, id: &str) -> Result<Resp, ApiError> {
    let up = read_upload(req)?;
    let now = ctx.now;
    let project = ctx.st.project(&req.project);
    if project
        .charts
        .values()
        .any(|c| c.id != id && c.name == up.pkg.name && c.version == up.pkg.version)
    {
        return Err(ApiError::exists(
            F,
            format!("chart {}-{} already exists", up.pkg.name, up.pkg.version),
        ));
    }
    let chart = project
        .charts
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(F, format!("chart {id} not found")))?;
    if chart.name != up.pkg.name {
        return Err(bad(format!(
            "chart name {} does not match {}",
            up.pkg.name, chart.name
        )));
    }
    up.apply(chart, now);
    Ok(Resp::json(200, render(chart)))
}

fn chart<'a>(ctx: &'a mut Ctx<'_>, req: &Req, id: &str) -> Result<&'a Chart, ApiError> {
    ctx.st
        .project(&req.project)
        .charts
        .get(id)
        .ok_or_else(|| ApiError::not_found(F, format!("chart {id} not found")))
}

/// `GET /autopilot/v2/charts` → bare array.
pub fn list(ctx: &mut Ctx<'_>, req: &Req) -> Result<Resp, ApiError> {
    let items: Vec<Value> = ctx
        .st
        .project(&req.project)
        .charts
        .values()
        .map(render)
        .collect();
    Ok(Resp::json(200, Value::Array(items)))
}

/// `GET /autopilot/v2/charts/{id}`.
pub fn show(ctx: &mut Ctx<'_>, req: &Req, id: &str) -> Result<Resp, ApiError> {
    Ok(Resp::json(200, render(chart(ctx, req, id)?)))
}

/// `DELETE /autopilot/v2/charts/{id}` → string body.
pub fn delete(ctx: &mut Ctx<'_>, req: &Req, id: &str) -> Result<Resp, ApiError> {
    let project = ctx.st.project(&req.project);
    if project.releases.iter().any(|r| r.chart_id == id) {
        return Err(bad("the chart is used by a release"));
    }
    project
        .charts
        .remove(id)
        .ok_or_else(|| ApiError::not_found(F, format!("chart {id} not found")))?;
    Ok(text("success"))
}

/// `GET /autopilot/v2/charts/{id}/archive` → the file.
pub fn archive(ctx: &mut Ctx<'_>, req: &Req, id: &str) -> Result<Resp, ApiError> {
    let c = chart(ctx, req, id)?;
    let bytes = hex::decode(&c.content_hex).unwrap_or_default();
    let mut r = Resp {
        status: 200,
        body: Body::Bytes(bytes, "application/octet-stream".into()),
        headers: vec![],
    };
    r.headers.push((
        "Content-Disposition".into(),
        format!("attachment; filename={}", c.file_name),
    ));
    Ok(r)
}

/// `GET /autopilot/v2/charts/{id}/values`.
pub fn values(ctx: &mut Ctx<'_>, req: &Req, id: &str) -> Result<Resp, ApiError> {
    Ok(Resp::json(
        200,
        json!({"values": chart(ctx, req, id)?.values}),
    ))
}

/// `GET /autopilot/v2/charts/{project_id}/quotas`.
pub fn quotas(ctx: &mut Ctx<'_>, p: &str) -> Result<Resp, ApiError> {
    let quota = ctx.opts.limits.charts;
    let used = ctx.st.project(p).charts.len();
    Ok(Resp::json(
        200,
        json!({"quotas": {"resources": [{"type": "Charts", "quota": quota, "used": used}]}}),
    ))
}

fn release_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// Renders a release (`ReleaseResp`).
pub fn render_release(r: &Release) -> Value {
    json!({
        "chart_name": r.chart_name, "chart_public": false, "chart_version": r.chart_version,
        "cluster_id": r.cluster_id, "cluster_name": r.cluster_name,
        "create_at": release_time(r.created), "update_at": release_time(r.updated),
        "description": r.description, "name": r.name, "namespace": r.namespace,
        "parameters": r.parameters.to_string(), "resources": "",
        "status": r.status, "status_description": r.status_description,
        "values": r.values.to_string(), "version": r.revision
    })
}

/// Project for a release path: `X-Project-Id`, else the cluster's owner.
fn release_project(ctx: &Ctx<'_>, req: &Req, cluster: &str) -> String {
    if req.project_from_header {
        return req.project.clone();
    }
    ctx.st
        .project_of_cluster(cluster)
        .unwrap_or_else(|| req.project.clone())
}

fn find_release<'a>(
    ctx: &'a mut Ctx<'_>,
    p: &str,
    c: &str,
    ns: &str,
    n: &str,
) -> Result<&'a mut Release, ApiError> {
    ctx.st
        .project(p)
        .releases
        .iter_mut()
        .find(|r| r.cluster_id == c && r.namespace == ns && r.name == n)
        .ok_or_else(|| ApiError::not_found(F, format!("release {ns}/{n} not found")))
}

/// `POST …/releases` → 201 `PENDING_INSTALL`.
pub fn create_release(ctx: &mut Ctx<'_>, req: &Req, c: &str) -> Result<Resp, ApiError> {
    let body = req.json()?;
    let field = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| bad(format!("{k} is required")))
    };
    let (chart_id, name, namespace, version) = (
        field("chart_id")?,
        field("name")?,
        field("namespace")?,
        field("version")?,
    );
    let values = body
        .get("values")
        .filter(|v| v.is_object())
        .cloned()
        .ok_or_else(|| bad("values is required"))?;
    let p = release_project(ctx, req, c);
    let until = ctx.after(ctx.opts.durations.release);
    let now = ctx.now;
    let project = ctx.st.project(&p);
    let cluster = project
        .clusters
        .get(c)
        .ok_or_else(|| ApiError::not_found(F, format!("cluster {c} not found")))?;
    if cluster.phase != "Available" {
        return Err(ApiError::locked(format!("cluster is {}", cluster.phase)));
    }
    let chart = project
        .charts
        .get(&chart_id)
        .ok_or_else(|| ApiError::not_found(F, format!("chart {chart_id} not found")))?;
    if chart.version != version {
        return Err(bad(format!(
            "version {version} does not match chart version {}",
            chart.version
        )));
    }
    if project
        .releases
        .iter()
        .any(|r| r.cluster_id == c && r.namespace == namespace && r.name == name)
    {
        return Err(ApiError::exists(
            F,
            format!("release {namespace}/{name} already exists"),
        ));
    }
    let params = body.get("parameters").cloned().unwrap_or(json!({}));
    let fail = ctx.faults.take_fail("release_install", &cluster.name);
    let r = Release {
        cluster_id: c.into(),
        cluster_name: cluster.name.clone(),
        namespace,
        name,
        chart_id,
        chart_name: chart.name.clone(),
        chart_version: chart.version.clone(),
        values,
        description: body
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .into(),
        revision: 1,
        status: "PENDING_INSTALL".into(),
        status_description: "Initial install underway".into(),
        until: Some(until),
        fail_pending: fail,
        created: now,
        updated: now,
        history: vec![],
        parameters: params.clone(),
    };
    let out = render_release(&r);
    if !params
        .get("dry_run")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        project.releases.push(r);
    }
    Ok(Resp::json(201, out))
}

/// `GET …/releases` → bare array.
pub fn list_releases(ctx: &mut Ctx<'_>, req: &Req, c: &str) -> Result<Resp, ApiError> {
    let p = release_project(ctx, req, c);
    let items: Vec<Value> = ctx
        .st
        .project(&p)
        .releases
        .iter()
        .filter(|r| r.cluster_id == c)
        .filter(|r| req.q("chart_id").is_none_or(|x| x == r.chart_id))
        .filter(|r| req.q("namespace").is_none_or(|x| x == r.namespace))
        .map(render_release)
        .collect();
    Ok(Resp::json(200, Value::Array(items)))
}

/// `GET …/namespace/{ns}/releases/{name}`.
pub fn show_release(
    ctx: &mut Ctx<'_>,
    req: &Req,
    c: &str,
    ns: &str,
    n: &str,
) -> Result<Resp, ApiError> {
    let p = release_project(ctx, req, c);
    Ok(Resp::json(
        200,
        render_release(find_release(ctx, &p, c, ns, n)?),
    ))
}

/// `PUT …/releases/{name}`: `upgrade` or `rollback`.
pub fn update_release(
    ctx: &mut Ctx<'_>,
    req: &Req,
    c: &str,
    ns: &str,
    n: &str,
) -> Result<Resp, ApiError> {
    let body = req.json()?;
    let chart_id = body
        .get("chart_id")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("chart_id is required"))?
        .to_string();
    let action = body
        .get("action")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("action is required"))?
        .to_string();
    let params = body
        .get("parameters")
        .filter(|v| v.is_object())
        .cloned()
        .ok_or_else(|| bad("parameters is required"))?;
    let values = body
        .get("values")
        .filter(|v| v.is_object())
        .cloned()
        .ok_or_else(|| bad("values is required"))?;
    let p = release_project(ctx, req, c);
    let until = ctx.after(ctx.opts.durations.release);
    let now = ctx.now;
    let chart = ctx
        .st
        .project(&p)
        .charts
        .get(&chart_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(F, format!("chart {chart_id} not found")))?;
    let r = find_release(ctx, &p, c, ns, n)?;
    if r.status.starts_with("PENDING") {
        return Err(ApiError::locked(format!("release is {}", r.status)));
    }
    let mut prev = r.clone();
    prev.history.clear();
    prev.until = None;
    match action.as_str() {
        "upgrade" => {
            r.chart_id = chart.id.clone();
            r.chart_name = chart.name.clone();
            r.chart_version = chart.version.clone();
            r.values = values;
            r.status = "PENDING_UPGRADE".into();
            r.status_description = "Upgrade in progress".into();
        }
        "rollback" => {
            let target = params
                .get("release_version")
                .and_then(Value::as_i64)
                .ok_or_else(|| bad("parameters.release_version is required for rollback"))?;
            let old = r
                .history
                .iter()
                .find(|h| h.revision == target)
                .cloned()
                .ok_or_else(|| bad(format!("release has no revision {target}")))?;
            r.chart_id = old.chart_id;
            r.chart_name = old.chart_name;
            r.chart_version = old.chart_version;
            r.values = old.values;
            r.status = "PENDING_ROLLBACK".into();
            r.status_description = format!("Rollback to {target}");
        }
        other => return Err(bad(format!("unknown action {other}"))),
    }
    r.history.push(prev);
    r.revision += 1;
    r.parameters = params;
    r.until = Some(until);
    r.updated = now;
    Ok(Resp::json(200, render_release(r)))
}

/// `DELETE …/releases/{name}` → string body.
pub fn delete_release(
    ctx: &mut Ctx<'_>,
    req: &Req,
    c: &str,
    ns: &str,
    n: &str,
) -> Result<Resp, ApiError> {
    let p = release_project(ctx, req, c);
    let project = ctx.st.project(&p);
    let before = project.releases.len();
    project
        .releases
        .retain(|r| !(r.cluster_id == c && r.namespace == ns && r.name == n));
    if project.releases.len() == before {
        return Err(ApiError::not_found(
            F,
            format!("release {ns}/{n} not found"),
        ));
    }
    Ok(text("success"))
}

/// `GET …/releases/{name}/history` → bare array, oldest first.
pub fn release_history(
    ctx: &mut Ctx<'_>,
    req: &Req,
    c: &str,
    ns: &str,
    n: &str,
) -> Result<Resp, ApiError> {
    let p = release_project(ctx, req, c);
    let r = find_release(ctx, &p, c, ns, n)?;
    let mut items: Vec<Value> = r.history.iter().map(render_release).collect();
    items.push(render_release(r));
    Ok(Resp::json(200, Value::Array(items)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_parts() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"parameters\"\r\n\r\n{\"override\":true}\r\n--XX\r\nContent-Disposition: form-data; name=\"content\"; filename=\"nginx-1.2.3.tgz\"\r\nContent-Type: application/octet-stream\r\n\r\nBYTES\r\n--XX--\r\n";
        let parts = parse_multipart("multipart/form-data; boundary=XX", body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].1.as_deref(), Some("nginx-1.2.3.tgz"));
        assert_eq!(parts[1].2, b"BYTES");
    }
}
