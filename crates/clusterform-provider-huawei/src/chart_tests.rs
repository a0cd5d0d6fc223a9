//! Tests of the chart mapping and resource type.

use clusterform_model::{Attrs, Value};
use clusterform_provider::{ProviderError, ResourceType, Started};
use serde_json::{json, Value as Json};

use super::*;
use crate::fake::{not_found, FakeApi};

/// The seed's upload response (§4.6.1), with its values string shortened.
fn uploaded() -> Json {
    json!({"id": "e99a7e86-afdd-11eb-aca3-0255ac100b0e", "name": "neo4j",
        "values": "{\"acceptLicenseAgreement\":\"no\",\"authEnabled\":true}",
        "translate": "", "instruction": "README.md", "version": "3.0.1",
        "description": "DEPRECATED Neo4j is the world's leading graph database", "source": "",
        "icon_url": "https://info.neo4j.com/rs/773-GON-065/images/neo4j_logo.png", "public": false,
        "chart_url": "neo4j-3.0.1.tgz", "create_at": "2021-05-08T08:53:13Z", "update_at": "2021-05-08T08:53:13Z"})
}

fn desired(file: &str) -> Attrs {
    let mut a = Attrs::new();
    a.insert("file".into(), Value::str(file));
    a.insert("skip_lint".into(), Value::Bool(true));
    a
}

#[test]
fn upload_response_maps_and_values_stay_text() {
    let a = chart_attrs(&uploaded());
    assert_eq!(a.get("name"), Some(&Value::str("neo4j")));
    assert_eq!(a.get("version"), Some(&Value::str("3.0.1")));
    assert_eq!(a.get("chart_url"), Some(&Value::str("neo4j-3.0.1.tgz")));
    assert_eq!(a.get("public"), Some(&Value::Bool(false)));
    assert_eq!(
        a.get("values"),
        Some(&Value::str(
            "{\"acceptLicenseAgreement\":\"no\",\"authEnabled\":true}"
        ))
    );
    // The show example returns values as an object; it is kept as text all the same.
    let mut shown = uploaded();
    shown["values"] = json!({"a": 1});
    assert_eq!(
        chart_attrs(&shown).get("values"),
        Some(&Value::str("{\"a\":1}"))
    );
    assert_eq!(
        upload_parameters(&desired("x"), false),
        json!({"skip_lint": true})
    );
    assert_eq!(
        upload_parameters(&desired("x"), true),
        json!({"skip_lint": true, "override": true})
    );
    assert_eq!(
        sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[tokio::test]
async fn create_reads_the_file_relative_to_the_stack_and_records_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("neo4j-3.0.1.tgz"), b"chart bytes").unwrap();
    let api = FakeApi::new();
    let t = ChartType::new(api.clone(), Some(dir.path().to_path_buf()));
    api.ok("upload_chart", uploaded());
    let Started::Done { id, attrs } = t.create(&desired("neo4j-3.0.1.tgz")).await.unwrap() else {
        panic!()
    };
    assert_eq!(id, "e99a7e86-afdd-11eb-aca3-0255ac100b0e");
    assert_eq!(
        attrs.get("content_sha256"),
        Some(&Value::str(sha256_hex(b"chart bytes")))
    );
    assert_eq!(attrs.get("file"), Some(&Value::str("neo4j-3.0.1.tgz")));
    assert_eq!(
        api.calls_to("upload_chart")[0],
        json!([11, {"skip_lint": true}])
    );

    // A pinned hash that does not match the file is refused before any upload.
    let mut pinned = desired("neo4j-3.0.1.tgz");
    pinned.insert("content_sha256".into(), Value::str("00"));
    assert!(matches!(
        t.create(&pinned).await,
        Err(ProviderError::Permanent { .. })
    ));
    assert!(t
        .create(&desired("missing.tgz"))
        .await
        .unwrap_err()
        .to_string()
        .contains("failed to read chart file"));
    assert_eq!(api.calls_to("upload_chart").len(), 1);
}

#[tokio::test]
async fn update_reuploads_only_changed_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.tgz");
    std::fs::write(&path, b"v1").unwrap();
    let api = FakeApi::new();
    let t = ChartType::new(api.clone(), Some(dir.path().to_path_buf()));
    let mut recorded = chart_attrs(&uploaded());
    recorded.insert("file".into(), Value::str("c.tgz"));
    recorded.insert("content_sha256".into(), Value::str(sha256_hex(b"v1")));
    api.ok("show_chart", uploaded())
        .ok("update_chart", uploaded());
    t.update("id1", &recorded, &desired("c.tgz")).await.unwrap();
    assert!(api.calls_to("update_chart").is_empty());
    std::fs::write(&path, b"v2").unwrap();
    let Started::Done { attrs, .. } = t.update("id1", &recorded, &desired("c.tgz")).await.unwrap()
    else {
        panic!()
    };
    assert_eq!(
        api.calls_to("update_chart")[0],
        json!(["id1", 2, {"skip_lint": true, "override": true}])
    );
    assert_eq!(
        attrs.get("content_sha256"),
        Some(&Value::str(sha256_hex(b"v2")))
    );
}

#[tokio::test]
async fn find_takes_name_and_version_from_config_or_chart_yaml() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("neo4j.tgz"),
        crate::chart_file::tests::tgz("neo4j", "name: neo4j\nversion: 3.0.1\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("other.tgz"),
        crate::chart_file::tests::tgz("other", "name: other\nversion: 3.0.1\n"),
    )
    .unwrap();
    let api = FakeApi::new();
    let t = ChartType::new(api.clone(), Some(dir.path().to_path_buf()));
    api.ok("list_charts", json!([uploaded()]));
    // A file that cannot be read finds nothing, without a call: the upload reports the error.
    assert!(t.find(&desired("x")).await.unwrap().is_none());
    assert!(api.call_names().is_empty());
    // Name and version from the archive's Chart.yaml.
    assert_eq!(
        t.find(&desired("neo4j.tgz")).await.unwrap().unwrap().id,
        "e99a7e86-afdd-11eb-aca3-0255ac100b0e"
    );
    assert!(t.find(&desired("other.tgz")).await.unwrap().is_none());
    // What the config states wins over the archive.
    let mut d = desired("other.tgz");
    d.insert("name".into(), Value::str("neo4j"));
    assert_eq!(
        t.find(&d).await.unwrap().unwrap().id,
        "e99a7e86-afdd-11eb-aca3-0255ac100b0e"
    );
    d.insert("version".into(), Value::str("9.9.9"));
    assert!(t.find(&d).await.unwrap().is_none());
    assert!(api.call_names().iter().all(|c| c == "list_charts"));
    api.on("show_chart", Err(not_found()));
    assert!(t.read("gone", &d).await.unwrap().is_none());
    api.on("delete_chart", Err(not_found()));
    assert!(matches!(
        t.delete("gone", &d).await.unwrap(),
        Started::Done { .. }
    ));
}

#[tokio::test]
async fn refresh_marks_a_file_edited_since_its_upload() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.tgz");
    std::fs::write(&path, b"v1").unwrap();
    let api = FakeApi::new();
    let t = ChartType::new(api.clone(), Some(dir.path().to_path_buf()));
    let mut recorded = chart_attrs(&uploaded());
    recorded.insert("file".into(), Value::str("c.tgz"));
    recorded.insert("content_sha256".into(), Value::str(sha256_hex(b"v1")));
    api.ok("show_chart", uploaded());
    let r = t.read("id1", &recorded).await.unwrap().unwrap();
    assert_eq!(r.attrs.get("file"), Some(&Value::str("c.tgz")));

    std::fs::write(&path, b"v2").unwrap();
    let r = t.read("id1", &recorded).await.unwrap().unwrap();
    let marked = format!("c.tgz{CHANGED_ON_DISK}");
    assert_eq!(r.attrs.get("file"), Some(&Value::str(&marked)));
    // The uploaded content's hash stays what the cloud holds.
    assert_eq!(
        r.attrs.get("content_sha256"),
        Some(&Value::str(sha256_hex(b"v1")))
    );
    // The mark differs from the config's path, so the planner plans an update, which re-uploads;
    // the planned attributes carry the uploaded hash, which is not a pin.
    assert_ne!(r.attrs.get("file"), desired("c.tgz").get("file"));
    let mut planned = desired("c.tgz");
    planned.insert("content_sha256".into(), Value::str(sha256_hex(b"v1")));
    api.ok("update_chart", uploaded());
    let Started::Done { attrs, .. } = t.update("id1", &r.attrs, &planned).await.unwrap() else {
        panic!()
    };
    assert_eq!(api.calls_to("update_chart").len(), 1);
    assert_eq!(attrs.get("file"), Some(&Value::str("c.tgz")));
    assert_eq!(
        attrs.get("content_sha256"),
        Some(&Value::str(sha256_hex(b"v2")))
    );

    // A pin that differs from the uploaded hash is checked against the file.
    let mut pinned = desired("c.tgz");
    pinned.insert("content_sha256".into(), Value::str("00"));
    assert!(t.update("id1", &r.attrs, &pinned).await.is_err());
    assert_eq!(api.calls_to("update_chart").len(), 1);

    // A state that kept the mark refreshes to the plain path once the content is back.
    std::fs::write(&path, b"v1").unwrap();
    let mut kept = recorded.clone();
    kept.insert("file".into(), Value::str(&marked));
    let r = t.read("id1", &kept).await.unwrap().unwrap();
    assert_eq!(r.attrs.get("file"), Some(&Value::str("c.tgz")));
    // A file that is gone is not marked: there is nothing to re-upload.
    std::fs::remove_file(&path).unwrap();
    let r = t.read("id1", &recorded).await.unwrap().unwrap();
    assert_eq!(r.attrs.get("file"), Some(&Value::str("c.tgz")));
}
