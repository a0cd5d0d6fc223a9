//! Tests of the plan-time checks.

use std::collections::BTreeMap;

use clusterform_model::{
    Action, Address, Attrs, Change, Disruption, Plan, PlanMode, Severity, UpgradeHop, Value,
};

use super::run;
use crate::catalog::{AddonTemplate, Catalog, Quota, TemplateVersion};
use crate::schema::{ADDON, CLUSTER};

fn attrs(pairs: &[(&str, &str)]) -> Attrs {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), Value::str(*v)))
        .collect()
}

fn change(type_name: &str, name: &str, action: Action, after: Attrs) -> Change {
    Change {
        address: Address::managed(type_name, name),
        provider: "huawei".into(),
        action,
        disruption: Disruption::None,
        before: None,
        after: Some(after),
        id: None,
        attr_changes: vec![],
        reason: None,
        create_before_destroy: false,
        upgrade: vec![],
        drift: vec![],
        depends_on: vec![],
        timeouts: BTreeMap::new(),
        sensitive_attrs: vec![],
    }
}

fn plan(changes: Vec<Change>) -> Plan {
    Plan {
        format_version: 1,
        mode: PlanMode::Normal,
        config_sha256: String::new(),
        lineage: None,
        serial: 0,
        changes,
        outputs: vec![],
        fingerprints: BTreeMap::new(),
        warnings: vec![],
        targets: vec![],
    }
}

fn catalog() -> Catalog {
    let tv = |v: &str, p: &str| TemplateVersion {
        version: v.into(),
        cluster_versions: vec![p.into()],
    };
    Catalog {
        upgrade_paths: Catalog::builtin().upgrade_paths,
        addon_templates: vec![AddonTemplate {
            name: "coredns".into(),
            alias: "coredns".into(),
            versions: vec![
                tv("1.28.6", "v1.(27|28).*"),
                tv("1.29.4", "v1.(28|29|30).*"),
                tv("1.30.2", "v1.30.*"),
            ],
        }],
        cluster_quota: Some(Quota { limit: 5, used: 4 }),
        existing_clusters: Default::default(),
        paths_builtin: false,
    }
}

#[test]
fn creates_of_clusters_that_already_exist_are_adoptions_and_take_no_quota() {
    // An interrupted run created `a` and `b` (counted in `used`); the rerun plans them as creates
    // again and adopts them by name, so only `c` needs room.
    let mut cat = catalog();
    cat.cluster_quota = Some(Quota { limit: 5, used: 4 });
    cat.existing_clusters = ["a-name", "b-name"].iter().map(|s| s.to_string()).collect();
    let p = plan(vec![
        change(CLUSTER, "a", Action::Create, attrs(&[("name", "a-name")])),
        change(CLUSTER, "b", Action::Create, attrs(&[("name", "b-name")])),
        change(CLUSTER, "c", Action::Create, attrs(&[("name", "c-name")])),
    ]);
    assert!(run(&p, &cat, false).is_empty());
    cat.existing_clusters.clear();
    assert_eq!(run(&p, &cat, false)[0].severity, Severity::Error);
}

#[test]
fn quota_counts_planned_creates() {
    let one = plan(vec![change(
        CLUSTER,
        "a",
        Action::Create,
        attrs(&[("version", "v1.28")]),
    )]);
    assert!(run(&one, &catalog(), false).is_empty());
    let two = plan(vec![
        change(CLUSTER, "a", Action::Create, attrs(&[])),
        change(CLUSTER, "b", Action::Create, attrs(&[])),
    ]);
    let issues = run(&two, &catalog(), false);
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].severity, Severity::Error);
    assert!(issues[0]
        .message
        .contains("4 of 5 clusters are in use and the plan creates 2"));
    let mut freed = two.clone();
    freed
        .changes
        .push(change(CLUSTER, "old", Action::Delete, attrs(&[])));
    assert_eq!(
        run(&freed, &catalog(), false)[0].severity,
        Severity::Warning
    );
    // Offline plans know no quota.
    assert!(run(&two, &catalog(), true).is_empty());
}

#[test]
fn addon_version_must_support_the_planned_cluster_version() {
    let cluster = change(
        CLUSTER,
        "prod",
        Action::Create,
        attrs(&[("version", "v1.30")]),
    );
    let mut addon = change(
        ADDON,
        "dns",
        Action::Create,
        attrs(&[("template", "coredns"), ("version", "1.28.6")]),
    );
    addon.depends_on.push(cluster.address.clone());
    let issues = run(
        &plan(vec![cluster.clone(), addon.clone()]),
        &catalog(),
        false,
    );
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].severity, Severity::Error);
    assert_eq!(issues[0].address, Some(addon.address.clone()));
    assert!(issues[0]
        .message
        .contains("`coredns` 1.28.6 does not support cluster version v1.30"));
    assert!(issues[0]
        .hint
        .as_deref()
        .unwrap_or_default()
        .contains("1.29.4, 1.30.2"));

    addon.after = Some(attrs(&[("template", "coredns"), ("version", "1.29.4")]));
    assert!(run(&plan(vec![cluster, addon]), &catalog(), false).is_empty());
}

#[test]
fn existing_cluster_is_found_by_id_and_upgrades_warn_unchanged_addons() {
    let mut cluster = change(
        CLUSTER,
        "prod",
        Action::Upgrade,
        attrs(&[("version", "v1.29")]),
    );
    cluster.id = Some("c-1".into());
    cluster.before = Some(attrs(&[("version", "v1.28.3-r0")]));
    cluster.upgrade.push(UpgradeHop {
        from: "v1.28.3-r0".into(),
        to: "v1.29.1-r0".into(),
        steps: vec![],
        estimated_seconds: None,
        precheck: None,
    });
    let addon = change(
        ADDON,
        "dns",
        Action::NoOp,
        attrs(&[
            ("template", "coredns"),
            ("version", "1.28.6"),
            ("cluster_id", "c-1"),
        ]),
    );
    let issues = run(&plan(vec![cluster, addon]), &catalog(), false);
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].severity, Severity::Warning);
    assert!(issues[0]
        .message
        .contains("will not support the cluster after its upgrade to v1.29"));
}

#[test]
fn unknown_templates_and_versions_are_errors() {
    let a = change(ADDON, "x", Action::Create, attrs(&[("template", "nope")]));
    let b = change(
        ADDON,
        "y",
        Action::Update,
        attrs(&[("template", "coredns"), ("version", "9.9.9")]),
    );
    let issues = run(&plan(vec![a, b]), &catalog(), false);
    assert_eq!(issues.len(), 2);
    assert!(issues[0].message.contains("no add-on template `nope`"));
    assert!(issues[1].message.contains("has no version 9.9.9"));
    assert!(issues[1]
        .hint
        .as_deref()
        .unwrap_or_default()
        .contains("1.28.6, 1.29.4, 1.30.2"));
}

#[test]
fn upgrade_paths_are_rechecked() {
    let mut c = change(
        CLUSTER,
        "prod",
        Action::Upgrade,
        attrs(&[("version", "v1.31")]),
    );
    c.upgrade.push(UpgradeHop {
        from: "v1.30.2-r0".into(),
        to: "v1.31".into(),
        steps: vec![],
        estimated_seconds: None,
        precheck: None,
    });
    let issues = run(&plan(vec![c.clone()]), &catalog(), false);
    assert_eq!(issues.len(), 1);
    assert!(issues[0].message.contains("no upgrade path reaches v1.31"));
    c.upgrade[0] = UpgradeHop {
        from: "v1.29".into(),
        to: "v1.30.2-r0".into(),
        steps: vec![],
        estimated_seconds: None,
        precheck: None,
    };
    assert!(run(&plan(vec![c.clone()]), &catalog(), false).is_empty());
    let offline = run(&plan(vec![c.clone()]), &Catalog::builtin(), true);
    assert_eq!(offline[0].severity, Severity::Warning);
    assert!(offline[0].message.contains("built-in upgrade paths"));
    c.upgrade.clear();
    assert_eq!(
        run(&plan(vec![c]), &catalog(), false)[0].message,
        "the upgrade has no hops"
    );
}
