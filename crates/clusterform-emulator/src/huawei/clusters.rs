//! Cluster operations: create, show, list, update, delete, certificate, master EIP,
//! endpoints, jobs, quotas and tags (digest §3, §6, §7).

use super::catalog;
use super::error::{ApiError, Family};
use super::model::{go_time, new_id, Cluster, Eip, Job, Project, Tag};
use super::{addons, Ctx, Req, Resp};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

const F: Family = Family::Cluster;

/// The cluster `c` of project `p`, or 404.
pub fn get<'a>(ctx: &'a mut Ctx<'_>, p: &str, c: &str) -> Result<&'a mut Cluster, ApiError> {
    ctx.st
        .project(p)
        .clusters
        .get_mut(c)
        .ok_or_else(|| ApiError::not_found(F, format!("cluster {c} not found")))
}

fn valid_name(n: &str) -> bool {
    let b = n.as_bytes();
    (4..=128).contains(&b.len())
        && b.first().is_some_and(u8::is_ascii_lowercase)
        && b.last().is_some_and(|c| *c != b'-')
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

fn hash_byte(s: &str, salt: u8) -> u8 {
    s.bytes()
        .fold(salt, |a, b| a.wrapping_mul(31).wrapping_add(b))
        .max(2)
}

/// The cluster's private API server address.
pub fn private_endpoint(c: &Cluster) -> String {
    format!(
        "https://192.168.{}.{}:5443",
        hash_byte(&c.uid, 3),
        hash_byte(&c.uid, 7)
    )
}

/// Renders the cluster object.
pub fn render(c: &Cluster, region: &str) -> Value {
    let mut spec = c.spec.clone();
    if let Some(o) = spec.as_object_mut() {
        o.insert("version".into(), json!(catalog::minor_of(&c.patch)));
        o.insert("platformVersion".into(), json!(c.platform));
        o.insert("az".into(), json!(format!("{region}c")));
        if !c.tags.is_empty() {
            o.insert(
                "clusterTags".into(),
                json!(c
                    .tags
                    .iter()
                    .map(|t| json!({"key": t.key, "value": t.value}))
                    .collect::<Vec<_>>()),
            );
        }
    }
    let mut status = Map::new();
    status.insert("phase".into(), json!(c.phase));
    if let Some(j) = &c.job_id {
        status.insert("jobID".into(), json!(j));
    }
    if c.phase != "Creating" {
        let mut eps = vec![
            json!({"url": format!("https://{}.cluster.cce.{region}.myhuaweicloud.com:5443", c.uid), "type": "Internal"}),
        ];
        if let Some(e) = &c.eip {
            eps.push(json!({"url": format!("https://{}:5443", e.ip), "type": "External"}));
        }
        status.insert("endpoints".into(), json!(eps));
    }
    if c.phase != "Available" {
        let (reason, message) = match (c.phase.as_str(), c.fail_reason.as_deref()) {
            ("Error", Some("DeleteFailed")) => (
                "DeleteFailed",
                "cluster deletion failed: cluster resources could not be released; delete the cluster again",
            ),
            ("Error", _) => (
                "CreateFailed",
                "cluster creation failed: master installation did not complete",
            ),
            ("Deleting", _) => ("Deleting", "the cluster is being deleted"),
            ("Upgrading", _) => ("Upgrading", "the cluster is being upgraded"),
            _ => ("", ""),
        };
        if !reason.is_empty() {
            status.insert("reason".into(), json!(reason));
            status.insert("message".into(), json!(message));
        }
    }
    if let Some(o) = &c.delete_option {
        status.insert("deleteOption".into(), o.clone());
    }
    json!({
        "kind": "Cluster",
        "apiVersion": "v3",
        "metadata": {
            "name": c.name,
            "uid": c.uid,
            "alias": c.alias,
            "annotations": {"enableAutopilot": "true"},
            "labels": {"FeatureGates": "arpOptimization,elbv3,xGPU"},
            "creationTimestamp": go_time(c.created),
            "updateTimestamp": go_time(c.updated),
        },
        "spec": spec,
        "status": status,
    })
}

fn str_at<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr).and_then(Value::as_str)
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::bad_request(F, msg)
}

fn check_tags(tags: &[Tag]) -> Result<(), ApiError> {
    let key_ok = |k: &str| {
        !k.is_empty()
            && k.chars().count() <= 128
            && k.trim() == k
            && !k.starts_with("_sys_")
            && k.chars()
                .all(|c| c.is_alphanumeric() || c == ' ' || "_.:;/=+-@".contains(c))
    };
    let val_ok = |v: &str| {
        v.chars().count() <= 255
            && v.chars()
                .all(|c| c.is_alphanumeric() || c == ' ' || "_.:;/=+-@".contains(c))
    };
    match tags.iter().find(|t| !key_ok(&t.key) || !val_ok(&t.value)) {
        Some(t) => Err(bad(format!("invalid tag {:?}={:?}", t.key, t.value))),
        None => Ok(()),
    }
}

fn parse_tags(v: Option<&Value>) -> Result<Vec<Tag>, ApiError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(vec![]);
    };
    let arr = v.as_array().ok_or_else(|| bad("tags must be an array"))?;
    arr.iter()
        .map(|t| {
            let key = str_at(t, "/key").ok_or_else(|| bad("tag key is required"))?;
            Ok(Tag {
                key: key.into(),
                value: str_at(t, "/value").unwrap_or("").into(),
            })
        })
        .collect()
}

fn merge_tags(existing: &mut Vec<Tag>, new: Vec<Tag>) {
    for t in new {
        match existing.iter_mut().find(|e| e.key == t.key) {
            Some(e) => e.value = t.value,
            None => existing.push(t),
        }
    }
}

/// `POST P/clusters` → 201.
pub fn create(ctx: &mut Ctx<'_>, req: &Req, p: &str) -> Result<Resp, ApiError> {
    let body = req.json()?;
    if !matches!(str_at(&body, "/kind"), Some("Cluster" | "cluster")) {
        return Err(bad("kind must be Cluster"));
    }
    if str_at(&body, "/apiVersion") != Some("v3") {
        return Err(bad("apiVersion must be v3"));
    }
    let name = str_at(&body, "/metadata/name")
        .ok_or_else(|| bad("metadata.name is required"))?
        .to_string();
    if !valid_name(&name) {
        return Err(bad("metadata.name must be 4-128 characters of [a-z0-9-], start with a letter, not end with -"));
    }
    let alias = str_at(&body, "/metadata/alias")
        .filter(|a| !a.is_empty())
        .unwrap_or(&name)
        .to_string();
    if !valid_name(&alias) {
        return Err(bad("metadata.alias is invalid"));
    }
    let spec_in = body
        .get("spec")
        .filter(|s| s.is_object())
        .ok_or_else(|| bad("spec is required"))?;
    if str_at(spec_in, "/flavor") != Some("cce.autopilot.cluster") {
        return Err(bad("spec.flavor must be cce.autopilot.cluster"));
    }
    if str_at(spec_in, "/hostNetwork/vpc").is_none_or(str::is_empty)
        || str_at(spec_in, "/hostNetwork/subnet").is_none_or(str::is_empty)
    {
        return Err(bad(
            "spec.hostNetwork.vpc and spec.hostNetwork.subnet are required",
        ));
    }
    if str_at(spec_in, "/containerNetwork/mode") != Some("eni") {
        return Err(bad("spec.containerNetwork.mode must be eni"));
    }
    if str_at(spec_in, "/category").is_some_and(|c| c != "Turbo") {
        return Err(bad("spec.category must be Turbo"));
    }
    let (_, patch, platform) =
        catalog::resolve_create(str_at(spec_in, "/version")).ok_or_else(|| {
            ApiError::bad_request_code(
                "CCE.01400015",
                "Version not supported.",
                "unsupported cluster version",
            )
        })?;
    let tags = parse_tags(spec_in.get("clusterTags"))?;
    check_tags(&tags)?;
    if tags.len() > ctx.opts.limits.tags {
        return Err(bad(format!(
            "at most {} tags per cluster",
            ctx.opts.limits.tags
        )));
    }
    let addons_annotation = str_at(
        &body,
        "/metadata/annotations/cluster.install.addons~1install",
    )
    .map(str::to_string);
    let install: Vec<Value> = match &addons_annotation {
        Some(s) => serde_json::from_str(s)
            .map_err(|_| bad("cluster.install.addons/install must be a JSON array string"))?,
        None => vec![],
    };
    let limit = ctx.opts.limits.clusters;
    let project = ctx.st.project(p);
    if project
        .clusters
        .values()
        .any(|c| c.name == name || c.alias == alias)
    {
        return Err(ApiError::exists(
            F,
            format!("cluster {name} already exists"),
        ));
    }
    if project.clusters.len() >= limit {
        return Err(ApiError::bad_request_code(
            "CCE.01400007",
            "Insufficient cluster quota.",
            format!("cluster quota {limit} reached"),
        ));
    }
    let svc = str_at(spec_in, "/serviceNetwork/IPv4CIDR")
        .or_else(|| str_at(spec_in, "/kubernetesSvcIpRange"))
        .unwrap_or("10.247.0.0/16")
        .to_string();
    let mut spec = spec_in.clone();
    if let Some(o) = spec.as_object_mut() {
        o.remove("clusterTags");
        o.insert("category".into(), json!("Turbo"));
        o.entry("type").or_insert(json!("VirtualMachine"));
        o.insert("serviceNetwork".into(), json!({"IPv4CIDR": svc}));
        o.insert("kubernetesSvcIpRange".into(), json!(svc));
        o.insert("authentication".into(), json!({"mode": "rbac"}));
        o.insert("billingMode".into(), json!(0));
        o.insert("kubeProxyMode".into(), json!("iptables"));
        let ep = o.entry("extendParam").or_insert(json!({}));
        if let Some(ep) = ep.as_object_mut() {
            ep.entry("enterpriseProjectId").or_insert(json!("0"));
            ep.insert("upgradeFrom".into(), json!(""));
        }
    }
    let now = ctx.now;
    let until = ctx.after(ctx.opts.durations.cluster_create);
    let fail = ctx.faults.take_fail("create", &name);
    let uid = new_id();
    let expires = until + ctx.scaled(ctx.opts.durations.job_retention);
    let job = Job {
        uid: new_id(),
        job_type: "CreateCluster".into(),
        cluster_uid: uid.clone(),
        resource_name: name.clone(),
        start: now,
        end: until,
        fail,
        subjobs: vec![
            (new_id(), "InstallMaster".into()),
            (new_id(), "CreatePSMCert".into()),
        ],
        expires: Some(expires),
    };
    let cluster = Cluster {
        uid: uid.clone(),
        name,
        alias,
        created: now,
        updated: now,
        spec,
        patch,
        platform,
        phase: "Creating".into(),
        phase_until: Some(until),
        fail_pending: fail,
        fail_reason: None,
        job_id: Some(job.uid.clone()),
        delete_option: None,
        tags,
        eip: None,
        upgrade_tasks: vec![],
        prechecks: vec![],
        postchecks: vec![],
        snapshots: vec![],
        workflows: vec![],
        maintenance: None,
    };
    let addon_duration = ctx.opts.durations.addon;
    let addon_ready = until + ctx.scaled(addon_duration);
    for spec in &install {
        let template = str_at(spec, "/addonTemplateName").unwrap_or("");
        let t = catalog::template(template)
            .ok_or_else(|| bad(format!("unknown add-on template {template}")))?;
        let version = catalog::latest_supported(t, &cluster.patch).ok_or_else(|| {
            bad(format!(
                "add-on {template} has no version for {}",
                cluster.patch
            ))
        })?;
        let values = spec.get("values").cloned().unwrap_or(json!({}));
        let a = addons::new_addon(
            &cluster.uid,
            t.name,
            version,
            values,
            "installing",
            now,
            addon_ready,
        );
        project_of(ctx, p).addons.insert(a.uid.clone(), a);
    }
    let resource_job = new_id();
    let mut out = render(&cluster, &ctx.opts.region);
    out["metadata"]["annotations"] = json!({"jobid": job.uid, "resourceJobId": resource_job});
    let project = project_of(ctx, p);
    project.jobs.insert(job.uid.clone(), job);
    project.clusters.insert(uid, cluster);
    Ok(Resp::json(201, out))
}

fn project_of<'a>(ctx: &'a mut Ctx<'_>, p: &str) -> &'a mut Project {
    ctx.st.project(p)
}

/// `GET C`.
pub fn show(ctx: &mut Ctx<'_>, req: &Req, p: &str, c: &str) -> Result<Resp, ApiError> {
    let region = ctx.opts.region.clone();
    let detail = req.q("detail") == Some("true");
    let cluster = get(ctx, p, c)?.clone();
    let mut out = render(&cluster, &region);
    if detail {
        let installed: Vec<Value> = ctx
            .st
            .project(p)
            .addons
            .values()
            .filter(|a| a.cluster_id == cluster.uid)
            .map(|a| json!({"addonTemplateName": a.template, "version": a.version, "status": a.status}))
            .collect();
        out["metadata"]["annotations"]["installedAddonInstances"] =
            json!(serde_json::to_string(&installed).unwrap_or_default());
    }
    Ok(Resp::json(200, out))
}

/// `GET P/clusters`.
pub fn list(ctx: &mut Ctx<'_>, req: &Req, p: &str) -> Result<Resp, ApiError> {
    let region = ctx.opts.region.clone();
    let items: Vec<Value> = ctx
        .st
        .project(p)
        .clusters
        .values()
        .filter(|c| req.q("status").is_none_or(|s| s == c.phase))
        .filter(|c| {
            req.q("type")
                .is_none_or(|t| str_at(&c.spec, "/type") == Some(t))
        })
        .filter(|c| {
            req.q("version")
                .is_none_or(|v| v == c.patch || v == catalog::minor_of(&c.patch))
        })
        .map(|c| render(c, &region))
        .collect();
    Ok(Resp::json(
        200,
        json!({"kind": "Cluster", "apiVersion": "v3", "items": items}),
    ))
}

/// `PUT C` (synchronous).
pub fn update(ctx: &mut Ctx<'_>, req: &Req, p: &str, c: &str) -> Result<Resp, ApiError> {
    let body = req.json()?;
    let spec = body
        .get("spec")
        .filter(|s| s.is_object())
        .ok_or_else(|| bad("spec is required"))?;
    let new_alias = str_at(&body, "/metadata/alias")
        .filter(|a| !a.is_empty())
        .map(str::to_string);
    if let Some(a) = &new_alias {
        if !valid_name(a) {
            return Err(bad("metadata.alias is invalid"));
        }
        if ctx
            .st
            .project(p)
            .clusters
            .values()
            .any(|x| x.uid != c && (x.alias == *a || x.name == *a))
        {
            return Err(ApiError::exists(F, format!("alias {a} is already used")));
        }
    }
    let now = ctx.now;
    let region = ctx.opts.region.clone();
    let cluster = get(ctx, p, c)?;
    if cluster.phase != "Available" {
        return Err(ApiError::locked(format!(
            "cluster is {}; only available clusters can be modified",
            cluster.phase
        )));
    }
    if let Some(d) = spec.get("description").and_then(Value::as_str) {
        if d.chars().count() > 200 || d.chars().any(|ch| "~$%^&*<>[]{}()'\"#\\".contains(ch)) {
            return Err(bad(
                "spec.description must be at most 200 characters without ~$%^&*<>[]{}()'\"#\\",
            ));
        }
        cluster.spec["description"] = json!(d);
    }
    if let Some(subnets) = spec
        .pointer("/eniNetwork/subnets")
        .and_then(Value::as_array)
    {
        if subnets
            .iter()
            .any(|s| str_at(s, "/subnetID").is_none_or(str::is_empty))
        {
            return Err(bad("eniNetwork.subnets[].subnetID is required"));
        }
        cluster.spec["eniNetwork"] = json!({"subnets": subnets});
    }
    if let Some(a) = new_alias {
        cluster.alias = a;
    }
    cluster.updated = now;
    Ok(Resp::json(200, render(cluster, &region)))
}

fn delete_mode(v: Option<&str>, default: &str) -> Result<Option<&'static str>, ApiError> {
    match v.unwrap_or(default) {
        "true" | "block" => Ok(Some("delete-block")),
        "try" => Ok(Some("delete-try")),
        "false" | "skip" => Ok(None),
        other => Err(bad(format!("invalid delete option value {other}"))),
    }
}

/// `DELETE C` → 200 with the current object; then Deleting, then gone.
pub fn delete(ctx: &mut Ctx<'_>, req: &Req, p: &str, c: &str) -> Result<Resp, ApiError> {
    let mut opts = Map::new();
    for (k, d) in [
        ("delete_efs", "false"),
        ("delete_eni", "true"),
        ("delete_net", "true"),
        ("delete_obs", "false"),
        ("delete_sfs30", "false"),
    ] {
        if let Some(m) = delete_mode(req.q(k), d)? {
            opts.insert(k.into(), json!(m));
        }
    }
    let lts = req
        .q("lts_reclaim_policy")
        .unwrap_or("Delete_Master_Log_Stream");
    if !matches!(
        lts,
        "Delete_Log_Group" | "Delete_Master_Log_Stream" | "Retain"
    ) {
        return Err(bad("invalid lts_reclaim_policy"));
    }
    let until = ctx.after(ctx.opts.durations.cluster_delete);
    let expires = until + ctx.scaled(ctx.opts.durations.job_retention);
    let now = ctx.now;
    let region = ctx.opts.region.clone();
    let cluster = get(ctx, p, c)?;
    if cluster.phase == "Deleting" {
        return Ok(Resp::json(200, render(cluster, &region)));
    }
    if cluster.phase == "Upgrading" {
        return Err(ApiError::locked("the cluster is being upgraded"));
    }
    let name = cluster.name.clone();
    let fail = ctx.faults.take_fail("delete", &name);
    let cluster = get(ctx, p, c)?;
    let job = Job {
        uid: new_id(),
        job_type: "DeleteCluster".into(),
        cluster_uid: cluster.uid.clone(),
        resource_name: cluster.name.clone(),
        start: now,
        end: until,
        fail,
        subjobs: vec![(new_id(), "DeleteMaster".into())],
        expires: Some(expires),
    };
    cluster.job_id = Some(job.uid.clone());
    cluster.delete_option = Some(Value::Object(opts));
    // C8: the answer shows the phase before the delete starts.
    let mut out = render(cluster, &region);
    out["status"]["deleteStatus"] =
        json!({"previous_total": 0, "current_total": 0, "updated": 0, "added": 0, "deleted": 0});
    cluster.phase = "Deleting".into();
    cluster.phase_until = Some(until);
    // Replaces a pending create failure: the outcome is now the delete's.
    cluster.fail_pending = fail;
    cluster.updated = now;
    ctx.st.project(p).jobs.insert(job.uid.clone(), job);
    Ok(Resp::json(200, out))
}

fn require_available(c: &Cluster) -> Result<(), ApiError> {
    if c.phase == "Available" {
        Ok(())
    } else {
        Err(ApiError::locked(format!("cluster is {}", c.phase)))
    }
}

/// `POST C/clustercert` → kubeconfig with `Port-ID` header.
pub fn cert(ctx: &mut Ctx<'_>, req: &Req, p: &str, c: &str) -> Result<Resp, ApiError> {
    let body = req.json()?;
    let d = body
        .get("duration")
        .and_then(Value::as_i64)
        .ok_or_else(|| bad("duration is required"))?;
    if d != -1 && !(1..=1827).contains(&d) {
        return Err(bad("duration must be 1-1827 days or -1"));
    }
    let cluster = get(ctx, p, c)?;
    require_available(cluster)?;
    let ca = hex::encode(format!("emulator-ca-{}", cluster.uid));
    let mut clusters = vec![
        json!({"name": "internalCluster", "cluster": {"server": private_endpoint(cluster), "certificate-authority-data": ca}}),
    ];
    let mut contexts = vec![
        json!({"name": "internal", "context": {"cluster": "internalCluster", "user": "user"}}),
    ];
    let mut current = "internal";
    if let Some(e) = &cluster.eip {
        clusters.push(json!({"name": "externalCluster", "cluster": {"server": format!("https://{}:5443", e.ip), "insecure-skip-tls-verify": true}}));
        contexts.push(
            json!({"name": "external", "context": {"cluster": "externalCluster", "user": "user"}}),
        );
        current = "external";
    }
    let out = json!({
        "kind": "Config", "apiVersion": "v1", "preferences": {},
        "clusters": clusters,
        "users": [{"name": "user", "user": {"client-certificate-data": hex::encode(format!("cert-{}-{d}", cluster.uid)), "client-key-data": hex::encode("emulator-key")}}],
        "contexts": contexts,
        "current-context": current,
    });
    let port = format!("port-{}", &cluster.uid);
    let mut r = Resp::json(200, out);
    r.headers.push(("Port-ID".into(), port));
    Ok(r)
}

/// `PUT C/mastereip`: bind returns the binding, unbind returns no body.
pub fn master_eip(ctx: &mut Ctx<'_>, req: &Req, p: &str, c: &str) -> Result<Resp, ApiError> {
    let body = req.json()?;
    let action = str_at(&body, "/spec/action")
        .ok_or_else(|| bad("spec.action is required"))?
        .to_string();
    let id = str_at(&body, "/spec/spec/id").map(str::to_string);
    let now = ctx.now;
    let cluster = get(ctx, p, c)?;
    require_available(cluster)?;
    match action.as_str() {
        "bind" => {
            let id = id
                .filter(|i| !i.is_empty())
                .ok_or_else(|| bad("spec.spec.id is required for bind"))?;
            if cluster.eip.as_ref().is_some_and(|e| e.id != id) {
                return Err(bad("another EIP is already bound; unbind it first"));
            }
            let ip = format!(
                "100.{}.{}.{}",
                hash_byte(&id, 1),
                hash_byte(&id, 2),
                hash_byte(&id, 5)
            );
            cluster.eip = Some(Eip {
                id: id.clone(),
                ip: ip.clone(),
            });
            cluster.updated = now;
            Ok(Resp::json(
                200,
                json!({
                    "metadata": {},
                    "spec": {"action": "bind", "spec": {"id": id, "eip": {"bandwidth": {"size": 5, "sharetype": "PER"}}, "isDynamic": false}, "elasticIp": ip},
                    "status": {"privateEndpoint": private_endpoint(cluster), "publicEndpoint": format!("https://{ip}:5443")}
                }),
            ))
        }
        "unbind" => {
            cluster.eip = None;
            cluster.updated = now;
            Ok(Resp::empty(200))
        }
        other => Err(bad(format!("unknown action {other}"))),
    }
}

/// `GET C/openapi`.
pub fn endpoints(ctx: &mut Ctx<'_>, p: &str, c: &str) -> Result<Resp, ApiError> {
    let cluster = get(ctx, p, c)?;
    let public = cluster
        .eip
        .as_ref()
        .map(|e| format!("https://{}:5443", e.ip))
        .unwrap_or_default();
    let bw = if cluster.eip.is_some() {
        json!({"size": 5, "sharetype": "PER"})
    } else {
        json!({})
    };
    Ok(Resp::json(
        200,
        json!({
            "metadata": {},
            "spec": {"spec": {"eip": {"bandwidth": bw}, "isDynamic": false}},
            "status": {"privateEndpoint": private_endpoint(cluster), "publicEndpoint": public}
        }),
    ))
}

/// Renders a job (v3 shape).
pub fn render_job(j: &Job, now: DateTime<Utc>) -> Value {
    let phase = j.phase(now);
    let updated = if now >= j.end { j.end } else { now };
    let subs: Vec<Value> = j
        .subjobs
        .iter()
        .enumerate()
        .map(|(i, (uid, t))| {
            // The certificate sub-job finishes early, the master install with the job.
            let sub_phase = if i > 0 && phase != "Initializing" { "Success" } else { phase };
            json!({
                "kind": "Job", "apiVersion": "v3",
                "metadata": {"uid": uid, "creationTimestamp": go_time(j.start), "updateTimestamp": go_time(updated)},
                "spec": {"type": t, "clusterUID": j.cluster_uid, "resourceID": j.cluster_uid},
                "status": {"phase": sub_phase}
            })
        })
        .collect();
    json!({
        "kind": "Job", "apiVersion": "v3",
        "metadata": {"uid": j.uid, "creationTimestamp": go_time(j.start), "updateTimestamp": go_time(updated)},
        "spec": {"type": j.job_type, "clusterUID": j.cluster_uid, "resourceID": j.cluster_uid, "resourceName": j.resource_name, "extendParam": {}, "subJobs": subs},
        "status": {"phase": phase, "reason": failure_reason(j, phase)}
    })
}

/// The job's `status.reason`: empty unless it failed.
pub fn failure_reason(j: &Job, phase: &str) -> &'static str {
    match (phase, j.job_type.as_str()) {
        ("Failed", "DeleteCluster") => "cluster resources could not be released",
        ("Failed", _) => "master installation failed",
        _ => "",
    }
}

/// `GET P/jobs/{job_id}`.
pub fn job(ctx: &mut Ctx<'_>, p: &str, j: &str) -> Result<Resp, ApiError> {
    let now = ctx.now;
    let job = ctx
        .st
        .project(p)
        .jobs
        .get(j)
        .ok_or_else(|| ApiError::not_found(F, format!("job {j} not found")))?;
    Ok(Resp::json(200, render_job(job, now)))
}

/// `GET P/quotas`.
pub fn quotas(ctx: &mut Ctx<'_>, p: &str) -> Result<Resp, ApiError> {
    let limit = ctx.opts.limits.clusters;
    let region = ctx.opts.region.clone();
    let used = ctx.st.project(p).clusters.len();
    Ok(Resp::json(
        200,
        json!({"quotas": [{"quotaKey": "autopilot_cluster", "quotaLimit": limit, "used": used, "unit": "count", "regionId": region}]}),
    ))
}

/// `POST C/tags/create` → 204 (idempotent; same key overwrites).
pub fn tags_create(ctx: &mut Ctx<'_>, req: &Req, p: &str, c: &str) -> Result<Resp, ApiError> {
    let body = req.json()?;
    let tags = parse_tags(Some(
        body.get("tags").ok_or_else(|| bad("tags is required"))?,
    ))?;
    check_tags(&tags)?;
    let limit = ctx.opts.limits.tags;
    let now = ctx.now;
    let cluster = get(ctx, p, c)?;
    let mut merged = cluster.tags.clone();
    merge_tags(&mut merged, tags);
    if merged.len() > limit {
        return Err(bad(format!("a cluster has at most {limit} tags")));
    }
    cluster.tags = merged;
    cluster.updated = now;
    Ok(Resp::empty(204))
}

/// `POST C/tags/delete` → 204 (idempotent).
pub fn tags_delete(ctx: &mut Ctx<'_>, req: &Req, p: &str, c: &str) -> Result<Resp, ApiError> {
    let body = req.json()?;
    let arr = body
        .get("tags")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("tags is required"))?;
    let keys: Vec<String> = arr
        .iter()
        .filter_map(|t| str_at(t, "/key"))
        .map(str::to_string)
        .collect();
    let now = ctx.now;
    let cluster = get(ctx, p, c)?;
    cluster.tags.retain(|t| !keys.contains(&t.key));
    cluster.updated = now;
    Ok(Resp::empty(204))
}
