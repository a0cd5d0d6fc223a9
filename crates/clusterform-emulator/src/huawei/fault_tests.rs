//! Named failures of the fault file for the snapshot, post-check, add-on upgrade and release
//! install, and 405 for a known path asked with the wrong method.

use super::testutil::{chart_tgz, P, T};
use chrono::Duration;
use serde_json::json;

#[test]
fn snapshot_fault_ends_the_backup_failed() {
    let t = T::with_faults("[[fail]]\nop = \"snapshot\"\ncluster = \"snapshot\"\n");
    let id = t.available_cluster("snapshot", "v1.28");
    let base = format!("/autopilot/v3.1/projects/{P}/clusters/{id}/operation/snapshot");
    let first = t.ok("POST", &base, None)["uid"].clone();
    t.advance(Duration::hours(1));
    let second = t.ok("POST", &base, None)["uid"].clone();
    t.advance(Duration::hours(1));
    let list = t.ok("GET", &format!("{base}/tasks"), None);
    let phase = |uid: &serde_json::Value| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| &i["metadata"]["uid"] == uid)
            .map(|i| i["status"]["phase"].clone())
    };
    // The rule fails one snapshot (count defaults to 1); the next succeeds.
    assert_eq!(phase(&first), Some(json!("Failed")));
    assert_eq!(phase(&second), Some(json!("Success")));
}

#[test]
fn postcheck_fault_answers_failed() {
    let t = T::with_faults("[[fail]]\nop = \"postcheck\"\n");
    let id = t.available_cluster("postcheck", "v1.28");
    let body = json!({"kind": "PostCheckTask", "apiVersion": "v3", "spec": {"clusterID": id}});
    let url = format!("{}/operation/postcheck", t.c(&id));
    assert_eq!(
        t.ok("POST", &url, Some(body.clone()))["status"]["phase"],
        "Failed"
    );
    assert_eq!(t.ok("POST", &url, Some(body))["status"]["phase"], "Success");
}

#[test]
fn addon_upgrade_fault_ends_upgrade_failed() {
    let t = T::with_faults("[[fail]]\nop = \"addon_upgrade\"\n");
    let id = t.available_cluster("addon-up", "v1.28");
    let install = json!({"kind": "Addon", "apiVersion": "v3",
        "metadata": {"annotations": {"addon.install/type": "install"}},
        "spec": {"clusterID": id, "addonTemplateName": "coredns", "values": {"flavor": {"replicas": 2}}}});
    let a = t.ok("POST", "/autopilot/v3/addons", Some(install));
    let url = format!(
        "/autopilot/v3/addons/{}",
        a["metadata"]["uid"].as_str().unwrap()
    );
    t.advance(Duration::minutes(5));
    // The install is not the named operation: it succeeds.
    let running = t.ok("GET", &url, None);
    assert_eq!(running["status"]["status"], "running");
    let update = json!({"kind": "Addon", "apiVersion": "v3",
        "metadata": {"annotations": {"addon.upgrade/type": "upgrade"}},
        "spec": {"clusterID": id, "addonTemplateName": "coredns",
            "version": running["spec"]["version"], "values": {"flavor": {"replicas": 3}}}});
    assert_eq!(
        t.ok("PUT", &url, Some(update))["status"]["status"],
        "upgrading"
    );
    t.advance(Duration::minutes(5));
    assert_eq!(t.ok("GET", &url, None)["status"]["status"], "upgradeFailed");
}

#[test]
fn release_install_fault_ends_failed() {
    let t = T::with_faults("[[fail]]\nop = \"release_install\"\ncluster = \"release\"\n");
    let id = t.available_cluster("release", "v1.28");
    let r = t.send_chart(
        "POST",
        "/autopilot/v2/charts",
        &chart_tgz("nginx", "1.0.0", "replicas: 1\n"),
        None,
    );
    let chart = r.value()["id"].as_str().unwrap().to_string();
    let rel = format!("/autopilot/cam/v3/clusters/{id}/releases");
    let create = |name: &str| json!({"chart_id": chart, "name": name, "namespace": "default", "version": "1.0.0", "values": {}});
    assert_eq!(t.call("POST", &rel, Some(create("bad"))).status, 201);
    assert_eq!(t.call("POST", &rel, Some(create("good"))).status, 201);
    t.advance(Duration::minutes(5));
    let status = |name: &str| {
        t.ok(
            "GET",
            &format!("/autopilot/cam/v3/clusters/{id}/namespace/default/releases/{name}"),
            None,
        )["status"]
            .clone()
    };
    assert_eq!(status("bad"), "FAILED");
    assert_eq!(status("good"), "DEPLOYED");
}

#[test]
fn a_wrong_method_on_a_known_path_is_405_with_the_error_body() {
    let t = T::new();
    let id = t.available_cluster("methods", "v1.28");
    for (method, path, code) in [
        (
            "DELETE",
            "/autopilot/v3/addontemplates".to_string(),
            "CCE.03400001",
        ),
        (
            "GET",
            format!("{}/operation/upgrade", t.c(&id)),
            "CCE.01400001",
        ),
        ("PUT", format!("{}/tags/create", t.c(&id)), "CCE.01400001"),
        (
            "POST",
            format!("/autopilot/v3/projects/{P}/quotas"),
            "CCE.01400001",
        ),
        ("DELETE", "/autopilot/v2/charts".to_string(), "CCE.02400001"),
    ] {
        let r = t.call(method, &path, None);
        assert_eq!(r.status, 405, "{method} {path}");
        let b = r.value();
        assert_eq!(b["error_code"], code, "{method} {path}: {b}");
        assert_eq!(b["errorCode"], code);
        assert_eq!(b["reason"], "MethodNotAllowed");
        assert_eq!(b["kind"], "Status");
    }
    // An unknown path stays a 404.
    assert_eq!(
        t.call("GET", "/autopilot/v3/nothing/here", None).status,
        404
    );
}
