//! Maps (method, path segments) to the operation handlers: the 50 operations of digest §0
//! plus the SDK-only Autopilot operations (maintenance windows, v2 jobs, upgrade plans,
//! log configs, feature gates).

use super::error::ApiError;
use super::{addons, charts, checks, clusters, extras, upgrade, Ctx, Req, Resp};

/// Dispatches one request.
pub fn route(ctx: &mut Ctx<'_>, req: &Req) -> Result<Resp, ApiError> {
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    let m = req.method.as_str();
    let fam = req.family();
    let Some(("autopilot", rest)) = segs.split_first().map(|(a, b)| (*a, b)) else {
        return Err(ApiError::not_found(
            fam,
            format!("no such API: {}", req.path),
        ));
    };
    let unknown = || ApiError::not_found(fam, format!("no such API: {} {}", req.method, req.path));
    let bad_method =
        || ApiError::method_not_allowed(fam, format!("method {m} not allowed on {}", req.path));
    match rest {
        // Clusters, jobs, quotas (v3, project in path).
        ["v3", "projects", p, "clusters"] => match m {
            "GET" => clusters::list(ctx, req, p),
            "POST" => clusters::create(ctx, req, p),
            _ => Err(bad_method()),
        },
        ["v3", "projects", p, "clusters", c] => match m {
            "GET" => clusters::show(ctx, req, p, c),
            "PUT" => clusters::update(ctx, req, p, c),
            "DELETE" => clusters::delete(ctx, req, p, c),
            _ => Err(bad_method()),
        },
        ["v3", "projects", p, "clusters", c, "clustercert"] if m == "POST" => {
            clusters::cert(ctx, req, p, c)
        }
        ["v3", "projects", p, "clusters", c, "mastereip"] if m == "PUT" => {
            clusters::master_eip(ctx, req, p, c)
        }
        ["v3", "projects", p, "clusters", c, "openapi"] if m == "GET" => {
            clusters::endpoints(ctx, p, c)
        }
        ["v3", "projects", p, "jobs", j] if m == "GET" => clusters::job(ctx, p, j),
        ["v3", "projects", p, "quotas"] if m == "GET" => clusters::quotas(ctx, p),
        ["v3", "projects", p, "clusters", c, "tags", "create"] if m == "POST" => {
            clusters::tags_create(ctx, req, p, c)
        }
        ["v3", "projects", p, "clusters", c, "tags", "delete"] if m == "POST" => {
            clusters::tags_delete(ctx, req, p, c)
        }
        // Add-ons (project from header).
        ["v3", "addons"] => match m {
            "GET" => addons::list(ctx, req),
            "POST" => addons::create(ctx, req),
            _ => Err(bad_method()),
        },
        ["v3", "addons", id] => match m {
            "GET" => addons::show(ctx, req, id),
            "PUT" => addons::update(ctx, req, id),
            "DELETE" => addons::delete(ctx, req, id),
            _ => Err(bad_method()),
        },
        ["v3", "addons", id, "operation", "rollback"] if m == "POST" => {
            addons::rollback(ctx, req, id)
        }
        ["v3", "addontemplates"] if m == "GET" => addons::templates(req),
        // Upgrade family.
        ["v3", "projects", p, "clusters", c, "operation", "upgrade"] if m == "POST" => {
            upgrade::upgrade(ctx, req, p, c)
        }
        ["v3", "projects", p, "clusters", c, "operation", "upgrade", "tasks"] if m == "GET" => {
            upgrade::list_tasks(ctx, p, c)
        }
        ["v3", "projects", p, "clusters", c, "operation", "upgrade", "tasks", t] if m == "GET" => {
            upgrade::show_task(ctx, p, c, t)
        }
        ["v3", "projects", p, "clusters", c, "operation", "upgrade", "retry"] if m == "POST" => {
            upgrade::retry(ctx, p, c)
        }
        ["v3", "projects", p, "clusters", c, "operation", "precheck"] if m == "POST" => {
            checks::precheck(ctx, req, p, c)
        }
        ["v3", "projects", p, "clusters", c, "operation", "precheck", "tasks"] if m == "GET" => {
            checks::list_prechecks(ctx, p, c)
        }
        ["v3", "projects", p, "clusters", c, "operation", "precheck", "tasks", t] if m == "GET" => {
            checks::show_precheck(ctx, p, c, t)
        }
        ["v3", "projects", p, "clusters", c, "operation", "postcheck"] if m == "POST" => {
            checks::postcheck(ctx, req, p, c)
        }
        ["v3.1", "projects", p, "clusters", c, "operation", "snapshot"] if m == "POST" => {
            upgrade::snapshot(ctx, p, c)
        }
        ["v3.1", "projects", p, "clusters", c, "operation", "snapshot", "tasks"] if m == "GET" => {
            upgrade::list_snapshots(ctx, p, c)
        }
        ["v3", "projects", p, "clusters", c, "upgradeinfo"] if m == "GET" => {
            upgrade::info(ctx, p, c)
        }
        ["v3", "clusterupgradepaths"] if m == "GET" => Ok(upgrade::paths()),
        ["v3", "clusterupgradefeaturegates"] if m == "GET" => Ok(upgrade::feature_gates()),
        ["v3", "projects", p, "clusters", c, "operation", "upgradeworkflows"] => match m {
            "GET" => upgrade::list_workflows(ctx, p, c),
            "POST" => upgrade::create_workflow(ctx, req, p, c),
            _ => Err(bad_method()),
        },
        ["v3", "projects", p, "clusters", c, "operation", "upgradeworkflows", w] => match m {
            "GET" => upgrade::show_workflow(ctx, p, c, w),
            "PATCH" => upgrade::patch_workflow(ctx, req, p, c, w),
            _ => Err(bad_method()),
        },
        // Charts (v2) and releases (cam/v3).
        ["v2", "charts"] => match m {
            "GET" => charts::list(ctx, req),
            "POST" => charts::upload(ctx, req),
            _ => Err(bad_method()),
        },
        ["v2", "charts", p, "quotas"] if m == "GET" => charts::quotas(ctx, p),
        ["v2", "charts", id] => match m {
            "GET" => charts::show(ctx, req, id),
            "PUT" => charts::update(ctx, req, id),
            "DELETE" => charts::delete(ctx, req, id),
            _ => Err(bad_method()),
        },
        ["v2", "charts", id, "archive"] if m == "GET" => charts::archive(ctx, req, id),
        ["v2", "charts", id, "values"] if m == "GET" => charts::values(ctx, req, id),
        ["cam", "v3", "clusters", c, "releases"] => match m {
            "GET" => charts::list_releases(ctx, req, c),
            "POST" => charts::create_release(ctx, req, c),
            _ => Err(bad_method()),
        },
        ["cam", "v3", "clusters", c, "namespace", ns, "releases", n] => match m {
            "GET" => charts::show_release(ctx, req, c, ns, n),
            "PUT" => charts::update_release(ctx, req, c, ns, n),
            "DELETE" => charts::delete_release(ctx, req, c, ns, n),
            _ => Err(bad_method()),
        },
        ["cam", "v3", "clusters", c, "namespace", ns, "releases", n, "history"] if m == "GET" => {
            charts::release_history(ctx, req, c, ns, n)
        }
        // SDK-only operations.
        ["v3", "projects", p, "clusters", c, "maintenancewindows"] => {
            extras::maintenance(ctx, req, p, c)
        }
        ["v2", "projects", p, "jobs"] if m == "GET" => extras::list_jobs(ctx, p),
        ["v2", "projects", p, "jobs", j] => match m {
            "GET" => extras::show_job(ctx, p, j),
            "DELETE" => extras::delete_job(ctx, p, j),
            _ => Err(bad_method()),
        },
        ["v3", "projects", p, "clusters", c, "upgradeplans"] if m == "GET" => {
            extras::list_plans(ctx, p, c)
        }
        ["v3", "projects", p, "clusters", c, "upgradeplans", id] if m == "PUT" => {
            extras::update_plan(ctx, req, p, c, id)
        }
        ["v3", "projects", p, "cluster", c, "log-configs"] if m == "GET" => {
            extras::log_configs(ctx, req, p, c)
        }
        ["v3.1", "feature-gates"] if m == "GET" => Ok(extras::feature_gates()),
        // A known path asked with a method it does not take: 405, as the cloud's gateway answers.
        _ if known_path(rest) => Err(bad_method()),
        _ => Err(unknown()),
    }
}

/// Whether `rest` (the segments after `autopilot`) is the path of some operation, whatever the
/// method: the paths of [`route`] with their parameters as wildcards.
pub fn known_path(rest: &[&str]) -> bool {
    matches!(
        rest,
        ["v3", "projects", _, "clusters"]
            | ["v3", "projects", _, "clusters", _]
            | [
                "v3",
                "projects",
                _,
                "clusters",
                _,
                "clustercert"
                    | "mastereip"
                    | "openapi"
                    | "upgradeinfo"
                    | "maintenancewindows"
                    | "upgradeplans"
            ]
            | ["v3", "projects", _, "clusters", _, "upgradeplans", _]
            | ["v3", "projects", _, "jobs", _]
            | ["v3", "projects", _, "quotas"]
            | [
                "v3",
                "projects",
                _,
                "clusters",
                _,
                "tags",
                "create" | "delete"
            ]
            | ["v3", "addons"]
            | ["v3", "addons", _]
            | ["v3", "addons", _, "operation", "rollback"]
            | [
                "v3",
                "addontemplates" | "clusterupgradepaths" | "clusterupgradefeaturegates"
            ]
            | [
                "v3",
                "projects",
                _,
                "clusters",
                _,
                "operation",
                "upgrade" | "precheck" | "postcheck" | "upgradeworkflows"
            ]
            | [
                "v3",
                "projects",
                _,
                "clusters",
                _,
                "operation",
                "upgrade",
                "tasks" | "retry"
            ]
            | [
                "v3",
                "projects",
                _,
                "clusters",
                _,
                "operation",
                "upgrade",
                "tasks",
                _
            ]
            | [
                "v3",
                "projects",
                _,
                "clusters",
                _,
                "operation",
                "precheck",
                "tasks"
            ]
            | [
                "v3",
                "projects",
                _,
                "clusters",
                _,
                "operation",
                "precheck",
                "tasks",
                _
            ]
            | [
                "v3",
                "projects",
                _,
                "clusters",
                _,
                "operation",
                "upgradeworkflows",
                _
            ]
            | [
                "v3.1",
                "projects",
                _,
                "clusters",
                _,
                "operation",
                "snapshot"
            ]
            | [
                "v3.1",
                "projects",
                _,
                "clusters",
                _,
                "operation",
                "snapshot",
                "tasks"
            ]
            | ["v2", "charts"]
            | ["v2", "charts", _]
            | ["v2", "charts", _, "quotas" | "archive" | "values"]
            | ["cam", "v3", "clusters", _, "releases"]
            | ["cam", "v3", "clusters", _, "namespace", _, "releases", _]
            | [
                "cam",
                "v3",
                "clusters",
                _,
                "namespace",
                _,
                "releases",
                _,
                "history"
            ]
            | ["v2", "projects", _, "jobs"]
            | ["v2", "projects", _, "jobs", _]
            | ["v3", "projects", _, "cluster", _, "log-configs"]
            | ["v3.1", "feature-gates"]
    )
}
