//! Cross-resource checks over a finished plan: the cluster quota against planned creates, add-on
//! template versions against the cluster versions they will run on, and upgrade paths.

use clusterform_model::{Action, Address, Change, Plan, PlanIssue, Severity, Value};

use crate::catalog::Catalog;
use crate::route::plan_route;
use crate::schema::{ADDON, CLUSTER};

fn issue(
    severity: Severity,
    address: Option<&Address>,
    message: String,
    hint: Option<String>,
) -> PlanIssue {
    PlanIssue {
        severity,
        address: address.cloned(),
        message,
        hint,
    }
}

fn attr<'a>(c: &'a Change, name: &str) -> Option<&'a Value> {
    c.after
        .as_ref()
        .and_then(|a| a.get(name))
        .or_else(|| c.before.as_ref().and_then(|b| b.get(name)))
}

fn attr_str<'a>(c: &'a Change, name: &str) -> Option<&'a str> {
    attr(c, name).and_then(Value::as_str)
}

/// Every check; template and quota checks need a catalog read from the cloud, so `offline`
/// plans only get the upgrade-path check.
pub fn run(plan: &Plan, catalog: &Catalog, offline: bool) -> Vec<PlanIssue> {
    let mut out = Vec::new();
    if !offline {
        quota(plan, catalog, &mut out);
        addons(plan, catalog, &mut out);
    }
    upgrade_paths(plan, catalog, &mut out);
    out
}

fn quota(plan: &Plan, catalog: &Catalog, out: &mut Vec<PlanIssue>) {
    let Some(q) = catalog.cluster_quota else {
        return;
    };
    let clusters = plan
        .changes
        .iter()
        .filter(|c| c.address.type_name == CLUSTER);
    let (mut creates, mut deletes) = (0i64, 0i64);
    for c in clusters {
        let adopted = c
            .after
            .as_ref()
            .and_then(|a| a.get("name"))
            .and_then(|n| n.as_str())
            .is_some_and(|n| catalog.existing_clusters.contains(n));
        match c.action {
            // A cluster of that name already exists: an interrupted run made it and this one
            // adopts it through `find`, so it takes no quota beyond what `used` counts.
            Action::Create if adopted => {}
            Action::Create => creates += 1,
            // Create-before-destroy holds two clusters for a while.
            Action::Replace if c.create_before_destroy => creates += 1,
            Action::Delete => deletes += 1,
            _ => {}
        }
    }
    if creates == 0 || q.used + creates <= q.limit {
        return;
    }
    let message = format!(
        "cluster quota: {} of {} clusters are in use and the plan creates {creates}",
        q.used, q.limit
    );
    // Deletes in the same plan may free room, but nothing orders them before the creates.
    let severity = if q.used + creates - deletes <= q.limit {
        Severity::Warning
    } else {
        Severity::Error
    };
    let hint = match severity {
        Severity::Warning => {
            "the creates fit only if the planned deletes finish first; apply the deletes separately"
        }
        Severity::Error => {
            "request a higher cluster quota by service ticket, or delete unused clusters"
        }
    };
    out.push(issue(severity, None, message, Some(hint.to_string())));
}

/// The cluster change an add-on runs on: the cluster it depends on, else the one with its id.
fn cluster_of<'a>(plan: &'a Plan, addon: &Change) -> Option<&'a Change> {
    let by_dep = addon
        .depends_on
        .iter()
        .filter(|a| a.type_name == CLUSTER)
        .find_map(|a| plan.change(a));
    by_dep.or_else(|| {
        let id = attr_str(addon, "cluster_id")?;
        plan.changes
            .iter()
            .find(|c| c.address.type_name == CLUSTER && c.id.as_deref() == Some(id))
    })
}

fn addons(plan: &Plan, catalog: &Catalog, out: &mut Vec<PlanIssue>) {
    if catalog.addon_templates.is_empty() {
        return;
    }
    for c in plan
        .changes
        .iter()
        .filter(|c| c.address.type_name == ADDON && c.action != Action::Delete)
    {
        let Some(template_name) = attr_str(c, "template") else {
            continue;
        };
        let Some(template) = catalog.template(template_name) else {
            if c.action != Action::NoOp {
                let names: Vec<&str> = catalog
                    .addon_templates
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect();
                out.push(issue(
                    Severity::Error,
                    Some(&c.address),
                    format!("there is no add-on template `{template_name}`"),
                    Some(format!("available templates: {}", names.join(", "))),
                ));
            }
            continue;
        };
        let Some(version) = attr_str(c, "version") else {
            continue;
        };
        let Some(tv) = template.version(version) else {
            if c.action != Action::NoOp {
                let versions: Vec<&str> = template
                    .versions
                    .iter()
                    .map(|v| v.version.as_str())
                    .collect();
                out.push(issue(
                    Severity::Error,
                    Some(&c.address),
                    format!("add-on template `{template_name}` has no version {version}"),
                    Some(format!("available versions: {}", versions.join(", "))),
                ));
            }
            continue;
        };
        let Some(cluster) = cluster_of(plan, c) else {
            continue;
        };
        let Some(cluster_version) = attr_str(cluster, "version") else {
            continue;
        };
        // An unchanged add-on matters only when its cluster moves under it.
        if c.action == Action::NoOp && cluster.action != Action::Upgrade {
            continue;
        }
        if tv.supports(cluster_version) != Some(false) {
            continue;
        }
        let supported = template.supporting(cluster_version);
        let hint = match supported.last() {
            Some(v) => format!(
                "versions supporting {cluster_version}: {} (latest {v})",
                supported.join(", ")
            ),
            None => format!("no version of `{template_name}` supports {cluster_version}"),
        };
        let (severity, verb) = if c.action == Action::NoOp {
            (
                Severity::Warning,
                "will not support the cluster after its upgrade to",
            )
        } else {
            (Severity::Error, "does not support cluster version")
        };
        out.push(issue(
            severity,
            Some(&c.address),
            format!(
                "`{template_name}` {version} {verb} {cluster_version} (it supports {})",
                tv.cluster_versions.join(", ")
            ),
            Some(hint),
        ));
    }
}

fn upgrade_paths(plan: &Plan, catalog: &Catalog, out: &mut Vec<PlanIssue>) {
    for c in plan
        .changes
        .iter()
        .filter(|c| c.address.type_name == CLUSTER && c.action == Action::Upgrade)
    {
        let (Some(first), Some(last)) = (c.upgrade.first(), c.upgrade.last()) else {
            out.push(issue(
                Severity::Error,
                Some(&c.address),
                "the upgrade has no hops".to_string(),
                None,
            ));
            continue;
        };
        let platform = c
            .before
            .as_ref()
            .and_then(|b| b.get("platform_version"))
            .and_then(Value::as_str);
        if let Err(e) = plan_route(catalog, &first.from, platform, &last.to) {
            out.push(issue(Severity::Error, Some(&c.address), e, None));
        } else if catalog.paths_builtin {
            out.push(issue(
                Severity::Warning,
                Some(&c.address),
                format!(
                    "upgrade {} → {} was planned on the built-in upgrade paths, not the cloud's",
                    first.from, last.to
                ),
                Some("plan with refresh to check it against the cloud".to_string()),
            ));
        }
    }
}

#[cfg(test)]
#[path = "checks_tests.rs"]
mod tests;
