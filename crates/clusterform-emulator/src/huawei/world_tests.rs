//! State-machine, quota and fault tests of the Huawei world on a manual clock.

use super::testutil::{cluster_body, P, T};
use chrono::Duration;
use serde_json::json;

#[test]
fn cluster_create_to_available_then_delete_to_gone() {
    let t = T::new();
    let r = t.call(
        "POST",
        &format!("/autopilot/v3/projects/{P}/clusters"),
        Some(cluster_body("prod", "v1.28")),
    );
    assert_eq!(r.status, 201);
    let v = r.value();
    assert_eq!(v["status"]["phase"], "Creating");
    assert_eq!(v["spec"]["version"], "v1.28");
    assert_eq!(v["spec"]["platformVersion"], "cce.4.0");
    assert_eq!(v["spec"]["kubernetesSvcIpRange"], "10.247.0.0/16");
    assert_eq!(v["metadata"]["annotations"]["jobid"], v["status"]["jobID"]);
    let id = v["metadata"]["uid"].as_str().unwrap().to_string();
    let job = v["status"]["jobID"].as_str().unwrap().to_string();
    let jp = format!("/autopilot/v3/projects/{P}/jobs/{job}");
    assert_eq!(t.ok("GET", &jp, None)["status"]["phase"], "Initializing");
    t.advance(Duration::minutes(4));
    assert_eq!(t.ok("GET", &t.c(&id), None)["status"]["phase"], "Creating");
    let j = t.ok("GET", &jp, None);
    assert_eq!(j["status"]["phase"], "Running");
    assert_eq!(j["spec"]["subJobs"][0]["spec"]["type"], "InstallMaster");
    t.advance(Duration::minutes(4));
    let c = t.ok("GET", &t.c(&id), None);
    assert_eq!(c["status"]["phase"], "Available");
    assert!(c["status"]["endpoints"][0]["url"]
        .as_str()
        .unwrap()
        .contains(&id));
    assert_eq!(t.ok("GET", &jp, None)["status"]["phase"], "Success");

    let d = t.ok("DELETE", &t.c(&id), None);
    assert_eq!(
        d["status"]["phase"], "Available",
        "C8: delete answers the current phase"
    );
    assert_eq!(
        d["status"]["deleteOption"],
        json!({"delete_eni": "delete-block", "delete_net": "delete-block"})
    );
    assert_ne!(d["status"]["jobID"], json!(job));
    assert_eq!(t.ok("GET", &t.c(&id), None)["status"]["phase"], "Deleting");
    t.advance(Duration::minutes(3));
    let gone = t.call("GET", &t.c(&id), None);
    assert_eq!(gone.status, 404);
    assert_eq!(gone.value()["error_code"], "CCE.01404001");
}

#[test]
fn quota_duplicates_and_validation() {
    let t = T::new();
    for i in 0..5 {
        t.create_cluster(&format!("c-{i}-x"), "v1.28");
    }
    let dup = t.call(
        "POST",
        &format!("/autopilot/v3/projects/{P}/clusters"),
        Some(cluster_body("c-0-x", "v1.28")),
    );
    assert_eq!(
        (dup.status, dup.value()["error_code"].clone()),
        (409, json!("CCE.01409001"))
    );
    let sixth = t.call(
        "POST",
        &format!("/autopilot/v3/projects/{P}/clusters"),
        Some(cluster_body("c-5-x", "v1.28")),
    );
    assert_eq!(
        (sixth.status, sixth.value()["error_code"].clone()),
        (400, json!("CCE.01400007"))
    );
    let q = t.ok("GET", &format!("/autopilot/v3/projects/{P}/quotas"), None);
    assert_eq!(
        q["quotas"][0],
        json!({"quotaKey": "autopilot_cluster", "quotaLimit": 5, "used": 5, "unit": "count", "regionId": "cn-north-7"})
    );
    let bad = t.call(
        "POST",
        "/autopilot/v3/projects/other/clusters",
        Some(cluster_body("Bad_Name", "v1.28")),
    );
    assert_eq!(bad.status, 400);
    let old = t.call(
        "POST",
        "/autopilot/v3/projects/other/clusters",
        Some(cluster_body("old-one", "v1.19")),
    );
    assert_eq!(old.value()["error_code"], "CCE.01400015");
    // Worlds are separate per project.
    assert_eq!(
        t.call(
            "POST",
            "/autopilot/v3/projects/other/clusters",
            Some(cluster_body("c-0-x", "v1.28"))
        )
        .status,
        201
    );
}

#[test]
fn tags_limit_and_idempotence() {
    let t = T::new();
    let id = t.available_cluster("tagged", "v1.28");
    let tags: Vec<_> = (0..20)
        .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
        .collect();
    assert_eq!(
        t.call(
            "POST",
            &format!("{}/tags/create", t.c(&id)),
            Some(json!({"tags": tags}))
        )
        .status,
        204
    );
    let again = t.call(
        "POST",
        &format!("{}/tags/create", t.c(&id)),
        Some(json!({"tags": [{"key": "k0", "value": "new"}]})),
    );
    assert_eq!(again.status, 204);
    let over = t.call(
        "POST",
        &format!("{}/tags/create", t.c(&id)),
        Some(json!({"tags": [{"key": "k20", "value": "x"}]})),
    );
    assert_eq!(over.status, 400);
    assert_eq!(
        t.call(
            "POST",
            &format!("{}/tags/delete", t.c(&id)),
            Some(json!({"tags": [{"key": "k1"}, {"key": "nope"}]}))
        )
        .status,
        204
    );
    let c = t.ok("GET", &t.c(&id), None);
    let tags = c["spec"]["clusterTags"].as_array().unwrap();
    assert_eq!(tags.len(), 19);
    assert!(tags.contains(&json!({"key": "k0", "value": "new"})));
}

fn addon_body(cluster: &str, template: &str, version: Option<&str>) -> serde_json::Value {
    let mut spec = json!({"clusterID": cluster, "addonTemplateName": template, "values": {"flavor": {"replicas": 3}}});
    if let Some(v) = version {
        spec["version"] = json!(v);
    }
    json!({"kind": "Addon", "apiVersion": "v3", "metadata": {"annotations": {"addon.install/type": "install"}}, "spec": spec})
}

#[test]
fn addon_install_upgrade_rollback_delete() {
    let t = T::new();
    let id = t.available_cluster("addons", "v1.28");
    let r = t.call(
        "POST",
        "/autopilot/v3/addons",
        Some(addon_body(&id, "coredns", Some("1.28.4"))),
    );
    assert_eq!(r.status, 201, "{}", r.value());
    let a = r.value();
    assert_eq!(a["status"]["status"], "installing");
    assert_eq!(a["spec"]["values"]["flavor"]["replicas"], 3);
    assert_eq!(
        a["spec"]["values"]["systemAutoInject"]["cluster"]["clusterVersion"],
        "v1.28.3-r0"
    );
    let aid = a["metadata"]["uid"].as_str().unwrap().to_string();
    let path = format!("/autopilot/v3/addons/{aid}?cluster_id={id}");
    let dup = t.call(
        "POST",
        "/autopilot/v3/addons",
        Some(addon_body(&id, "coredns", None)),
    );
    assert_eq!(
        (dup.status, dup.value()["error_code"].clone()),
        (409, json!("CCE.03409001"))
    );
    let incompatible = t.call(
        "POST",
        "/autopilot/v3/addons",
        Some(addon_body(&id, "metrics-server", Some("1.3.39"))),
    );
    assert_eq!(incompatible.status, 201, "1.3.39 supports v1.28");
    let wrong = t.call(
        "POST",
        "/autopilot/v3/addons",
        Some(addon_body(&id, "cce-hpa-controller", Some("1.5.2"))),
    );
    assert_eq!(
        (wrong.status, wrong.value()["error_code"].clone()),
        (400, json!("CCE.03400001"))
    );
    t.advance(Duration::minutes(1));
    assert_eq!(t.ok("GET", &path, None)["status"]["status"], "running");

    let mut up = addon_body(&id, "coredns", Some("1.28.6"));
    up["metadata"] = json!({"annotations": {"addon.upgrade/type": "upgrade"}});
    let u = t.ok("PUT", &format!("/autopilot/v3/addons/{aid}"), Some(up));
    assert_eq!(u["status"]["status"], "upgrading");
    t.advance(Duration::minutes(1));
    let a = t.ok("GET", &path, None);
    assert_eq!(
        (a["status"]["status"].clone(), a["spec"]["version"].clone()),
        (json!("running"), json!("1.28.6"))
    );
    assert_eq!(
        (
            a["status"]["isRollbackable"].clone(),
            a["status"]["previousVersion"].clone()
        ),
        (json!(true), json!("1.28.4"))
    );

    let rb = t.ok(
        "POST",
        &format!("/autopilot/v3/addons/{aid}/operation/rollback"),
        Some(json!({"clusterID": id})),
    );
    assert_eq!(
        (
            rb["status"]["status"].clone(),
            rb["spec"]["version"].clone()
        ),
        (json!("rollbacking"), json!("1.28.4"))
    );
    t.advance(Duration::minutes(1));
    assert_eq!(t.ok("GET", &path, None)["status"]["isRollbackable"], false);
    assert_eq!(
        t.call(
            "POST",
            &format!("/autopilot/v3/addons/{aid}/operation/rollback"),
            Some(json!({"clusterID": id}))
        )
        .status,
        400
    );

    let d = t.call("DELETE", &path, None);
    assert_eq!(d.status, 200);
    assert_eq!(t.ok("GET", &path, None)["status"]["status"], "deleting");
    t.advance(Duration::minutes(1));
    assert_eq!(t.call("GET", &path, None).status, 404);
    let list = t.ok(
        "GET",
        &format!("/autopilot/v3/addons?cluster_id={id}"),
        None,
    );
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

fn precheck_body(id: &str, from: &str, to: &str) -> serde_json::Value {
    json!({"kind": "PreCheckTask", "apiVersion": "v3", "spec": {"clusterID": id, "clusterVersion": from, "targetVersion": to}})
}

fn upgrade_body(to: &str) -> serde_json::Value {
    json!({"metadata": {"apiVersion": "v3", "kind": "UpgradeTask"}, "spec": {"clusterUpgradeAction": {"targetVersion": to, "strategy": {"type": "inPlaceRollingUpdate", "inPlaceRollingUpdate": {"userDefinedStep": 20}}}}})
}

#[test]
fn upgrade_workflow_end_to_end() {
    let t = T::new();
    let id = t.available_cluster("upgrade", "v1.28");
    let c = t.c(&id);
    let info = t.ok("GET", &format!("{c}/upgradeinfo"), None);
    assert_eq!(
        info["spec"]["versionInfo"]["targetVersions"],
        json!(["v1.29.1-r0"])
    );
    let skip = t.call(
        "POST",
        &format!("{c}/operation/upgradeworkflows"),
        Some(
            json!({"kind": "WorkFlowTask", "apiVersion": "v3", "spec": {"targetVersion": "v1.30"}}),
        ),
    );
    assert_eq!(skip.status, 400, "no minor skipping");
    let w = t.call("POST", &format!("{c}/operation/upgradeworkflows"), Some(json!({"kind": "WorkFlowTask", "apiVersion": "v3", "spec": {"clusterID": id, "targetVersion": "v1.29"}})));
    assert_eq!(w.status, 201);
    let w = w.value();
    assert_eq!(
        (
            w["spec"]["clusterVersion"].clone(),
            w["spec"]["targetVersion"].clone()
        ),
        (json!("v1.28.3-r0"), json!("v1.29.1-r0"))
    );
    assert_eq!(w["status"]["phase"], "Init");
    let wid = w["metadata"]["uid"].as_str().unwrap().to_string();
    let wp = format!("{c}/operation/upgradeworkflows/{wid}");

    let no_check = t.call(
        "POST",
        &format!("{c}/operation/upgrade"),
        Some(upgrade_body("v1.29")),
    );
    assert_eq!(
        no_check.status, 400,
        "upgrade refused without a valid precheck"
    );
    let pc = t.ok(
        "POST",
        &format!("{c}/operation/precheck"),
        Some(precheck_body(&id, "v1.28.3-r0", "v1.29")),
    );
    assert_eq!(pc["status"]["phase"], "Init");
    let pcid = pc["metadata"]["uid"].as_str().unwrap().to_string();
    assert_eq!(t.ok("GET", &wp, None)["status"]["phase"], "Running");
    t.advance(Duration::seconds(30));
    assert_eq!(
        t.ok("GET", &format!("{c}/operation/precheck/tasks/{pcid}"), None)["status"]["phase"],
        "Running"
    );
    assert_eq!(
        t.call(
            "POST",
            &format!("{c}/operation/upgrade"),
            Some(upgrade_body("v1.29"))
        )
        .status,
        400
    );
    t.advance(Duration::seconds(30));
    let pcs = t.ok("GET", &format!("{c}/operation/precheck/tasks/{pcid}"), None);
    assert_eq!(pcs["status"]["phase"], "Success");
    assert!(pcs["status"]["expireTimeStamp"]
        .as_str()
        .unwrap()
        .starts_with("2026-01-01 01:09:"));

    let snap = t.ok(
        "POST",
        &format!("/autopilot/v3.1/projects/{P}/clusters/{id}/operation/snapshot"),
        None,
    );
    let sid = snap["uid"].as_str().unwrap().to_string();
    t.advance(Duration::minutes(2));
    let snaps = t.ok(
        "GET",
        &format!("/autopilot/v3.1/projects/{P}/clusters/{id}/operation/snapshot/tasks"),
        None,
    );
    assert_eq!(snaps["items"][0]["metadata"]["uid"], json!(sid));
    assert_eq!(snaps["items"][0]["status"]["phase"], "Success");

    let up = t.ok(
        "POST",
        &format!("{c}/operation/upgrade"),
        Some(upgrade_body("v1.29")),
    );
    let tid = up["metadata"]["uid"].as_str().unwrap().to_string();
    assert_eq!(
        up["spec"]["clusterUpgradeAction"]["targetVersion"],
        "v1.29.1-r0"
    );
    assert_eq!(t.ok("GET", &c, None)["status"]["phase"], "Upgrading");
    let cancel = t.call("PATCH", &wp, Some(json!({"status": {"phase": "Cancel"}})));
    assert_eq!(cancel.status, 400, "O8: no cancel while a task runs");
    t.advance(Duration::minutes(10));
    let task = t.ok("GET", &format!("{c}/operation/upgrade/tasks/{tid}"), None);
    assert_eq!(task["status"]["phase"], "Success");
    let cl = t.ok("GET", &c, None);
    assert_eq!(
        (cl["status"]["phase"].clone(), cl["spec"]["version"].clone()),
        (json!("Available"), json!("v1.29"))
    );
    assert_eq!(cl["spec"]["platformVersion"], "cce.3.0");

    let post = t.ok("POST", &format!("{c}/operation/postcheck"), Some(json!({"kind": "PostCheckTask", "apiVersion": "v3", "spec": {"clusterID": id, "clusterVersion": "v1.28.3-r0", "targetVersion": "v1.29.1-r0"}})));
    assert_eq!(post["status"]["phase"], "Success");
    let wf = t.ok("GET", &wp, None);
    assert_eq!(wf["status"]["phase"], "Success");
    let pts = wf["status"]["pointStatuses"].as_array().unwrap();
    let types: Vec<_> = pts
        .iter()
        .map(|p| p["taskType"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["PreCheck", "Snapshot", "Cluster", "PostCheck"]);
    assert_eq!(pts[0]["taskID"], json!(pcid));
    assert_eq!(pts[1]["taskID"], json!(sid));
    assert_eq!(pts[2]["taskID"], json!(tid));
    assert!(pts.iter().all(|p| p["status"] == "Success"));
    assert_eq!(
        t.call("PATCH", &wp, Some(json!({"status": {"phase": "Cancel"}})))
            .status,
        400,
        "no cancel after success"
    );
    let paths = t.ok("GET", "/autopilot/v3/clusterupgradepaths", None);
    assert_eq!(paths["upgradePaths"][1]["version"], "v1.28");
}

#[test]
fn precheck_expires_after_an_hour() {
    let t = T::new();
    let id = t.available_cluster("expiry", "v1.27");
    let c = t.c(&id);
    t.ok(
        "POST",
        &format!("{c}/operation/precheck"),
        Some(precheck_body(&id, "v1.27", "v1.28")),
    );
    t.advance(Duration::minutes(62));
    let r = t.call(
        "POST",
        &format!("{c}/operation/upgrade"),
        Some(upgrade_body("v1.28")),
    );
    assert_eq!(r.status, 400);
}

#[test]
fn failed_upgrade_makes_workflow_pending_then_retry_and_cancel_rules() {
    let t = T::with_faults("[[fail]]\nop = \"upgrade\"\ncluster = \"prod\"\ncount = 1\n");
    let id = t.available_cluster("prod", "v1.28");
    let c = t.c(&id);
    let w = t.ok(
        "POST",
        &format!("{c}/operation/upgradeworkflows"),
        Some(
            json!({"kind": "WorkFlowTask", "apiVersion": "v3", "spec": {"targetVersion": "v1.29"}}),
        ),
    );
    let wp = format!(
        "{c}/operation/upgradeworkflows/{}",
        w["metadata"]["uid"].as_str().unwrap()
    );
    t.ok(
        "POST",
        &format!("{c}/operation/precheck"),
        Some(precheck_body(&id, "v1.28", "v1.29")),
    );
    t.advance(Duration::minutes(1));
    let up = t.ok(
        "POST",
        &format!("{c}/operation/upgrade"),
        Some(upgrade_body("v1.29.1-r0")),
    );
    let tid = up["metadata"]["uid"].as_str().unwrap().to_string();
    t.advance(Duration::minutes(10));
    assert_eq!(
        t.ok("GET", &format!("{c}/operation/upgrade/tasks/{tid}"), None)["status"]["phase"],
        "Failed"
    );
    let cl = t.ok("GET", &c, None);
    assert_eq!(
        (cl["status"]["phase"].clone(), cl["spec"]["version"].clone()),
        (json!("Available"), json!("v1.28"))
    );
    assert_eq!(t.ok("GET", &wp, None)["status"]["phase"], "Pending");
    assert_eq!(
        t.call("POST", &format!("{c}/operation/upgrade/retry"), None)
            .status,
        200
    );
    assert_eq!(t.ok("GET", &c, None)["status"]["phase"], "Upgrading");
    t.advance(Duration::minutes(10));
    assert_eq!(
        t.ok("GET", &format!("{c}/operation/upgrade/tasks/{tid}"), None)["status"]["phase"],
        "Success"
    );
    assert_eq!(t.ok("GET", &c, None)["spec"]["version"], "v1.29");
    assert_eq!(
        t.call("POST", &format!("{c}/operation/upgrade/retry"), None)
            .status,
        400
    );

    // A fresh Init workflow can be cancelled.
    let w2 = t.ok(
        "POST",
        &format!("{c}/operation/upgradeworkflows"),
        Some(
            json!({"kind": "WorkFlowTask", "apiVersion": "v3", "spec": {"targetVersion": "v1.30"}}),
        ),
    );
    let wp2 = format!(
        "{c}/operation/upgradeworkflows/{}",
        w2["metadata"]["uid"].as_str().unwrap()
    );
    assert_eq!(
        t.ok("PATCH", &wp2, Some(json!({"status": {"phase": "Cancel"}})))["status"]["phase"],
        "Cancel"
    );
    let list = t.ok("GET", &format!("{c}/operation/upgradeworkflows"), None);
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
}

#[test]
fn create_fault_gives_failed_job_and_error_phase() {
    let t = T::with_faults("[[fail]]\nop = \"create\"\ncluster = \"bad-one\"\n");
    let r = t.ok(
        "POST",
        &format!("/autopilot/v3/projects/{P}/clusters"),
        Some(cluster_body("bad-one", "v1.28")),
    );
    let id = r["metadata"]["uid"].as_str().unwrap();
    let job = r["status"]["jobID"].as_str().unwrap();
    t.advance(Duration::minutes(8));
    assert_eq!(t.ok("GET", &t.c(id), None)["status"]["phase"], "Error");
    assert_eq!(
        t.ok(
            "GET",
            &format!("/autopilot/v3/projects/{P}/jobs/{job}"),
            None
        )["status"]["phase"],
        "Failed"
    );
    let ok = t.available_cluster("good-one", "v1.28");
    assert_eq!(t.ok("GET", &t.c(&ok), None)["status"]["phase"], "Available");
}

#[test]
fn addon_install_fault() {
    let t = T::with_faults("[[fail]]\nop = \"addon_install\"\n");
    let id = t.available_cluster("addon-fault", "v1.28");
    let a = t.ok(
        "POST",
        "/autopilot/v3/addons",
        Some(addon_body(&id, "coredns", None)),
    );
    t.advance(Duration::minutes(1));
    let got = t.ok(
        "GET",
        &format!(
            "/autopilot/v3/addons/{}",
            a["metadata"]["uid"].as_str().unwrap()
        ),
        None,
    );
    assert_eq!(got["status"]["status"], "installFailed");
}

#[test]
fn update_only_when_available_and_eip_binding() {
    let t = T::new();
    let id = t.create_cluster("update", "v1.28");
    let body = json!({"spec": {"description": "new description"}});
    assert_eq!(t.call("PUT", &t.c(&id), Some(body.clone())).status, 429);
    t.advance(Duration::minutes(8));
    assert_eq!(
        t.ok("PUT", &t.c(&id), Some(body))["spec"]["description"],
        "new description"
    );
    assert_eq!(
        t.call(
            "PUT",
            &t.c(&id),
            Some(json!({"spec": {"description": "bad$"}}))
        )
        .status,
        400
    );
    let b = t.ok(
        "PUT",
        &format!("{}/mastereip", t.c(&id)),
        Some(json!({"spec": {"action": "bind", "spec": {"id": "eip-1"}}})),
    );
    let public = b["status"]["publicEndpoint"].as_str().unwrap().to_string();
    assert_eq!(
        t.ok("GET", &format!("{}/openapi", t.c(&id)), None)["status"]["publicEndpoint"],
        json!(public)
    );
    let cert = t.call(
        "POST",
        &format!("{}/clustercert", t.c(&id)),
        Some(json!({"duration": 30})),
    );
    assert_eq!(cert.value()["current-context"], "external");
    assert!(cert.headers.iter().any(|(k, _)| k == "Port-ID"));
    let un = t.call(
        "PUT",
        &format!("{}/mastereip", t.c(&id)),
        Some(json!({"spec": {"action": "unbind"}})),
    );
    assert_eq!(un.status, 200);
    assert_eq!(
        t.ok("GET", &format!("{}/openapi", t.c(&id)), None)["status"]["publicEndpoint"],
        ""
    );
    assert_eq!(
        t.call(
            "POST",
            &format!("{}/clustercert", t.c(&id)),
            Some(json!({"duration": 0}))
        )
        .status,
        400
    );
}

#[test]
fn releases_install_upgrade_history_delete() {
    let t = T::new();
    let id = t.available_cluster("releases", "v1.28");
    let r = t.send_chart(
        "POST",
        "/autopilot/v2/charts",
        &super::testutil::chart_tgz("nginx", "1.0.0", "replicas: 1\n"),
        None,
    );
    assert_eq!(r.status, 201);
    let chart = r.value()["id"].as_str().unwrap().to_string();
    let rel = format!("/autopilot/cam/v3/clusters/{id}/releases");
    let create = json!({"chart_id": chart, "name": "web", "namespace": "default", "version": "1.0.0", "values": {"replicas": 1}});
    let c = t.call("POST", &rel, Some(create.clone()));
    assert_eq!(c.status, 201);
    assert_eq!(c.value()["status"], "PENDING_INSTALL");
    assert_eq!(t.call("POST", &rel, Some(create)).status, 409);
    let one = format!("/autopilot/cam/v3/clusters/{id}/namespace/default/releases/web");
    t.advance(Duration::seconds(30));
    assert_eq!(t.ok("GET", &one, None)["status"], "DEPLOYED");
    let u = t.ok("PUT", &one, Some(json!({"chart_id": chart, "action": "upgrade", "parameters": {}, "values": {"replicas": 2}})));
    assert_eq!(
        (u["status"].clone(), u["version"].clone()),
        (json!("PENDING_UPGRADE"), json!(2))
    );
    t.advance(Duration::seconds(30));
    assert_eq!(t.ok("GET", &one, None)["status"], "DEPLOYED");
    assert_eq!(
        t.ok("GET", &format!("{one}/history"), None)
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(t.ok("GET", &rel, None).as_array().unwrap().len(), 1);
    assert_eq!(t.call("DELETE", &one, None).status, 200);
    assert_eq!(
        t.call("GET", &one, None).value()["error_code"],
        "CCE.02404001"
    );
    let q = t.ok("GET", &format!("/autopilot/v2/charts/{P}/quotas"), None);
    assert_eq!(
        q["quotas"]["resources"][0],
        json!({"type": "Charts", "quota": 200, "used": 1})
    );
}

#[test]
fn unknown_route_is_a_json_404() {
    let t = T::new();
    let r = t.call("GET", "/autopilot/v9/nothing", None);
    assert_eq!(r.status, 404);
    assert_eq!(r.value()["error_code"], "CCE.01404001");
}
