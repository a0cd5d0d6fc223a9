//! Tests of chart packages, job expiry, add-on patches carried by a cluster upgrade, and the
//! `delete` and `precheck` faults, on a manual clock.

use super::testutil::{chart_tgz, cluster_body, P, T};
use chrono::Duration;
use serde_json::{json, Value};

const CHARTS: &str = "/autopilot/v2/charts";

const VALUES: &str = "# defaults\nreplicaCount: 2\nimage:\n  repository: nginx\n  tag: \"1.25\"\ningress:\n  enabled: false\n  hosts:\n    - host: web.local\n      paths: [/]\n";

#[test]
fn chart_upload_reads_the_package() {
    let t = T::new();
    let r = t.send_chart("POST", CHARTS, &chart_tgz("web", "1.2.0", VALUES), None);
    assert_eq!(r.status, 201, "{}", r.value());
    let c = r.value();
    assert_eq!(
        (c["name"].clone(), c["version"].clone()),
        (json!("web"), json!("1.2.0"))
    );
    assert_eq!(c["description"], "The web chart");
    assert_eq!(c["icon_url"], "https://example.com/web.png");
    assert_eq!(c["instruction"], "README.md");
    assert_eq!(c["chart_url"], "web-1.2.0.tgz");
    let want = json!({
        "replicaCount": 2,
        "image": {"repository": "nginx", "tag": "1.25"},
        "ingress": {"enabled": false, "hosts": [{"host": "web.local", "paths": ["/"]}]}
    });
    let encoded: Value = serde_json::from_str(c["values"].as_str().unwrap()).unwrap();
    assert_eq!(
        encoded, want,
        "ChartResp.values is the JSON-encoded values.yaml"
    );
    let id = c["id"].as_str().unwrap();
    assert_eq!(
        t.ok("GET", &format!("{CHARTS}/{id}/values"), None),
        json!({"values": want})
    );
    let dl = t.call("GET", &format!("{CHARTS}/{id}/archive"), None);
    assert_eq!(
        dl.body,
        super::Body::Bytes(
            chart_tgz("web", "1.2.0", VALUES),
            "application/octet-stream".into()
        )
    );
    assert!(dl.headers.contains(&(
        "Content-Disposition".into(),
        "attachment; filename=web-1.2.0.tgz".into()
    )));

    // Same name and version: 409 unless override; override replaces the package.
    let again = t.send_chart("POST", CHARTS, &chart_tgz("web", "1.2.0", "a: 1\n"), None);
    assert_eq!(
        (again.status, again.value()["error_code"].clone()),
        (409, json!("CCE.02409001"))
    );
    let over = t.send_chart(
        "POST",
        CHARTS,
        &chart_tgz("web", "1.2.0", "a: 1\n"),
        Some(r#"{"override":true}"#),
    );
    assert_eq!((over.status, over.value()["id"].clone()), (201, json!(id)));
    assert_eq!(
        t.ok("GET", &format!("{CHARTS}/{id}/values"), None),
        json!({"values": {"a": 1}})
    );

    // Update: a new version of the same chart; another chart's name is refused.
    let path = format!("{CHARTS}/{id}");
    let u = t.send_chart("PUT", &path, &chart_tgz("web", "1.3.0", VALUES), None);
    assert_eq!(
        (u.status, u.value()["version"].clone()),
        (200, json!("1.3.0"))
    );
    assert_eq!(u.value()["chart_url"], "web-1.3.0.tgz");
    let other = t.send_chart("PUT", &path, &chart_tgz("api", "1.0.0", VALUES), None);
    assert_eq!(other.status, 400);
}

#[test]
fn chart_upload_refuses_what_is_not_a_chart() {
    let t = T::new();
    let refused = |tgz: &[u8], params: Option<&str>| {
        let r = t.send_chart("POST", CHARTS, tgz, params);
        assert_eq!(r.status, 400, "{}", r.value());
        assert_eq!(r.value()["error_code"], "CCE.02400001");
        r.value()["message"].as_str().unwrap().to_string()
    };
    let m = refused(b"web-1.0.0.tgz is just a name", None);
    assert!(m.contains("not a gzip-compressed tar"), "{m}");
    let no_meta = super::chartpkg::build_tgz(&[("web/values.yaml", "a: 1\n")]);
    assert!(refused(&no_meta, None).contains("no Chart.yaml"));
    let bad_values = super::chartpkg::build_tgz(&[
        (
            "web/Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 1.0.0\n",
        ),
        ("web/values.yaml", "a: [1\n"),
    ]);
    assert!(refused(&bad_values, None).contains("values.yaml"));
    // Lint failures pass with skip_lint.
    let loose = super::chartpkg::build_tgz(&[("web/Chart.yaml", "name: web\nversion: latest\n")]);
    assert!(refused(&loose, None).contains("lint"));
    let r = t.send_chart("POST", CHARTS, &loose, Some(r#"{"skip_lint":true}"#));
    assert_eq!(
        (r.status, r.value()["version"].clone()),
        (201, json!("latest"))
    );
    assert_eq!(r.value()["instruction"], "", "no README.md in the package");
}

#[test]
fn finished_jobs_expire_after_the_retention() {
    let t = T::new();
    let r = t.ok(
        "POST",
        &format!("/autopilot/v3/projects/{P}/clusters"),
        Some(cluster_body("jobs", "v1.28")),
    );
    let job = format!(
        "/autopilot/v3/projects/{P}/jobs/{}",
        r["status"]["jobID"].as_str().unwrap()
    );
    t.advance(Duration::minutes(8));
    assert_eq!(t.ok("GET", &job, None)["status"]["phase"], "Success");
    t.advance(Duration::minutes(59));
    assert_eq!(t.ok("GET", &job, None)["status"]["phase"], "Success");
    t.advance(Duration::minutes(1));
    let gone = t.call("GET", &job, None);
    assert_eq!(gone.status, 404);
    assert_eq!(
        (
            gone.value()["error_code"].clone(),
            gone.value()["errorMessage"].clone()
        ),
        (json!("CCE.01404001"), json!("Resource not found."))
    );
    let v2 = t.ok("GET", &format!("/autopilot/v2/projects/{P}/jobs"), None);
    assert_eq!(v2, json!([]), "the v2 job list forgets it too");
    let id = r["metadata"]["uid"].as_str().unwrap();
    assert_eq!(t.ok("GET", &t.c(id), None)["status"]["phase"], "Available");
}

fn addon(t: &T, cluster: &str, template: &str, version: &str) -> String {
    let body = json!({"kind": "Addon", "apiVersion": "v3", "metadata": {"annotations": {"addon.install/type": "install"}},
        "spec": {"clusterID": cluster, "addonTemplateName": template, "version": version, "values": {"flavor": {"replicas": 2}}}});
    let a = t.ok("POST", "/autopilot/v3/addons", Some(body));
    a["metadata"]["uid"].as_str().unwrap().to_string()
}

fn precheck(t: &T, id: &str, from: &str, to: &str) -> Value {
    t.ok(
        "POST",
        &format!("{}/operation/precheck", t.c(id)),
        Some(json!({"kind": "PreCheckTask", "apiVersion": "v3", "spec": {"clusterID": id, "clusterVersion": from, "targetVersion": to}})),
    )
}

fn upgrade_with_addons(to: &str, addons: Value) -> Value {
    json!({"metadata": {"apiVersion": "v3", "kind": "UpgradeTask"}, "spec": {"clusterUpgradeAction": {
        "addons": addons, "targetVersion": to,
        "strategy": {"type": "inPlaceRollingUpdate", "inPlaceRollingUpdate": {"userDefinedStep": 20}}}}})
}

#[test]
fn upgrade_moves_named_addons_when_the_task_succeeds() {
    let t = T::with_faults("[[fail]]\nop = \"upgrade\"\n");
    let id = t.available_cluster("addon-up", "v1.28");
    let dns = addon(&t, &id, "coredns", "1.28.6");
    let metrics = addon(&t, &id, "metrics-server", "1.3.60");
    t.advance(Duration::minutes(1));
    precheck(&t, &id, "v1.28", "v1.29");
    t.advance(Duration::minutes(1));
    let c = t.c(&id);
    let patch = json!([{"addonTemplateName": "coredns", "operation": "patch", "version": "1.29.4",
        "values": {"flavor": {"replicas": 4}}}]);
    let wrong =
        json!([{"addonTemplateName": "coredns", "operation": "patch", "version": "1.28.6"}]);
    let r = t.call(
        "POST",
        &format!("{c}/operation/upgrade"),
        Some(upgrade_with_addons("v1.29", wrong)),
    );
    assert_eq!(
        r.status, 400,
        "O6: the add-on version must support the target"
    );
    t.ok(
        "POST",
        &format!("{c}/operation/upgrade"),
        Some(upgrade_with_addons("v1.29", patch)),
    );
    let show = |a: &str| {
        t.ok(
            "GET",
            &format!("/autopilot/v3/addons/{a}?cluster_id={id}"),
            None,
        )
    };
    t.advance(Duration::minutes(10));
    // The first attempt fails (fault): nothing moves, and the cluster stays Available.
    assert_eq!(show(&dns)["spec"]["version"], "1.28.6");
    let cl = t.ok("GET", &c, None);
    assert_eq!(
        (cl["status"]["phase"].clone(), cl["spec"]["version"].clone()),
        (json!("Available"), json!("v1.28"))
    );
    assert_eq!(
        t.ok("GET", &format!("{c}/upgradeinfo"), None)["status"]["phase"],
        "Failed"
    );
    t.ok("POST", &format!("{c}/operation/upgrade/retry"), None);
    t.advance(Duration::minutes(5));
    assert_eq!(
        show(&dns)["spec"]["version"],
        "1.28.6",
        "not before the task ends"
    );
    t.advance(Duration::minutes(5));
    let a = show(&dns);
    assert_eq!(a["spec"]["version"], "1.29.4");
    assert_eq!(a["spec"]["values"]["flavor"]["replicas"], 4);
    assert_eq!(
        (
            a["status"]["previousVersion"].clone(),
            a["status"]["isRollbackable"].clone()
        ),
        (json!("1.28.6"), json!(false))
    );
    assert_eq!(
        show(&metrics)["spec"]["version"],
        "1.3.60",
        "add-ons not named keep their version"
    );
    assert_eq!(t.ok("GET", &c, None)["spec"]["version"], "v1.29");
}

#[test]
fn delete_fault_leaves_the_cluster_in_error_and_deletable() {
    let t = T::with_faults("[[fail]]\nop = \"delete\"\ncluster = \"sticky\"\n");
    let id = t.available_cluster("sticky", "v1.28");
    let d = t.ok("DELETE", &t.c(&id), None);
    let job = format!(
        "/autopilot/v3/projects/{P}/jobs/{}",
        d["status"]["jobID"].as_str().unwrap()
    );
    t.advance(Duration::minutes(3));
    let j = t.ok("GET", &job, None);
    assert_eq!(
        (j["spec"]["type"].clone(), j["status"]["phase"].clone()),
        (json!("DeleteCluster"), json!("Failed"))
    );
    assert_ne!(j["status"]["reason"], "");
    let cl = t.ok("GET", &t.c(&id), None);
    assert_eq!(
        (
            cl["status"]["phase"].clone(),
            cl["status"]["reason"].clone()
        ),
        (json!("Error"), json!("DeleteFailed"))
    );
    // The rule is used up: deleting again succeeds.
    t.ok("DELETE", &t.c(&id), None);
    t.advance(Duration::minutes(3));
    assert_eq!(t.call("GET", &t.c(&id), None).status, 404);
}

#[test]
fn precheck_fault_fails_the_task_with_an_item_result() {
    let t = T::with_faults("[[fail]]\nop = \"precheck\"\n");
    let id = t.available_cluster("checked", "v1.28");
    let c = t.c(&id);
    let w = t.ok(
        "POST",
        &format!("{c}/operation/upgradeworkflows"),
        Some(
            json!({"kind": "WorkFlowTask", "apiVersion": "v3", "spec": {"targetVersion": "v1.29"}}),
        ),
    );
    let pc = precheck(&t, &id, "v1.28", "v1.29");
    assert_eq!(pc["status"]["phase"], "Init");
    let task = format!(
        "{c}/operation/precheck/tasks/{}",
        pc["metadata"]["uid"].as_str().unwrap()
    );
    t.advance(Duration::minutes(1));
    let v = t.ok("GET", &task, None);
    assert_eq!(v["status"]["phase"], "Failed");
    assert!(v["status"]["message"]
        .as_str()
        .unwrap()
        .contains("BlackLimit"));
    assert!(v["status"].get("expireTimeStamp").is_none());
    assert_eq!(v["status"]["clusterCheckStatus"]["phase"], "Failed");
    let failed: Vec<&Value> = v["status"]["clusterCheckStatus"]["itemsStatus"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["phase"] == "Failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        (
            failed[0]["name"].clone(),
            failed[0]["kind"].clone(),
            failed[0]["level"].clone()
        ),
        (json!("BlackLimit"), json!("Exception"), json!("Fatal"))
    );
    let wp = format!(
        "{c}/operation/upgradeworkflows/{}",
        w["metadata"]["uid"].as_str().unwrap()
    );
    assert_eq!(t.ok("GET", &wp, None)["status"]["phase"], "Pending");
    let up = t.call(
        "POST",
        &format!("{c}/operation/upgrade"),
        Some(upgrade_with_addons("v1.29", json!([]))),
    );
    assert_eq!(up.status, 400, "a failed check does not allow the upgrade");
    let again = precheck(&t, &id, "v1.28", "v1.29");
    t.advance(Duration::minutes(1));
    let ok = t.ok(
        "GET",
        &format!(
            "{c}/operation/precheck/tasks/{}",
            again["metadata"]["uid"].as_str().unwrap()
        ),
        None,
    );
    assert_eq!(ok["status"]["phase"], "Success");
}
