//! Format tests: golden round trips, the v0 upgrade, and every way a file can be unreadable.

use std::path::{Path, PathBuf};

use clusterform_model::{Address, State, Value};

use super::*;

fn golden(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn prod_origin() -> Origin {
    Origin::file(Path::new("state/prod.json"))
}

#[test]
fn golden_v1_decodes_and_encodes_byte_identical() {
    let bytes = golden("v1-prod.json");
    let state = decode(&bytes).unwrap();
    assert_eq!(state.serial, 42);
    assert_eq!(state.resources.len(), 4);
    let everest: Address = "huawei_autopilot_addon.extra[\"everest\"]".parse().unwrap();
    let r = state.get(&everest).unwrap();
    assert!(r.tainted);
    assert_eq!(r.private["job_id"], "job-77");
    let cluster = state
        .get(&Address::managed("huawei_autopilot_cluster", "prod"))
        .unwrap();
    assert_eq!(cluster.attributes["cpu_ratio"], Value::Float(0.75));
    assert_eq!(cluster.attributes["max_pods"], Value::Int(110));
    assert!(state.outputs["endpoint"].sensitive);
    let again = encode_with_version(&state, "0.1.0");
    assert_eq!(
        String::from_utf8(again).unwrap(),
        String::from_utf8(bytes).unwrap()
    );
}

#[test]
fn golden_v0_upgrades_to_the_v1_golden() {
    let state = decode(&golden("v0-prod.json")).unwrap();
    let encoded = encode_with_version(&state, "0.1.0");
    assert_eq!(
        String::from_utf8(encoded).unwrap(),
        String::from_utf8(golden("v0-prod.upgraded.json")).unwrap()
    );
    assert!(state
        .resources
        .values()
        .all(|r| !r.tainted && r.private.is_null()));
}

#[test]
fn encode_then_decode_is_the_identity() {
    let state = decode(&golden("v1-prod.json")).unwrap();
    assert_eq!(decode(&encode(&state)).unwrap(), state);
    let empty = State::new("lineage-1");
    assert_eq!(decode(&encode(&empty)).unwrap(), empty);
}

#[test]
fn encode_names_this_build_as_writer() {
    let text = String::from_utf8(encode(&State::new("l"))).unwrap();
    assert!(text.contains(&format!(
        "\"clusterform_version\": \"{}\"",
        env!("CARGO_PKG_VERSION")
    )));
    assert!(text.ends_with("}\n"));
}

#[test]
fn newer_format_is_refused_with_upgrade_hint() {
    let err = decode_from(&prod_origin(), &golden("v7-newer.json")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "state file state/prod.json is format 7 but this clusterform reads up to 1\nhint: upgrade clusterform"
    );
}

#[test]
fn truncated_file_names_the_position_and_the_backup() {
    let bytes = golden("v1-prod.json");
    let cut = &bytes[..bytes.len() / 2];
    let err = decode_from(&prod_origin(), cut).unwrap_err();
    let StateError::Corrupt { line, column, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(*line > 1 && *column > 0);
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "state file state/prod.json is not valid JSON at line {line} col {column}: "
        )),
        "{text}"
    );
    assert!(
        text.ends_with("\nhint: restore state/prod.json.backup, or repair state/prod.json by hand"),
        "{text}"
    );
    assert_eq!(
        text.matches(" at line ").count(),
        1,
        "position said once: {text}"
    );
}

#[test]
fn empty_and_garbage_bytes_are_corrupt_not_empty_state() {
    for bytes in [&b""[..], b"\x00\x00\x00", b"<<<<<<< HEAD\n{}"] {
        let err = decode(bytes).unwrap_err();
        assert!(
            matches!(err, StateError::Corrupt { .. }),
            "{bytes:?}: {err:?}"
        );
    }
}

#[test]
fn json_that_is_not_a_state_file_says_so() {
    for bytes in [
        &b"[1, 2]"[..],
        b"{\"resources\": []}",
        b"{\"format_version\": \"1\"}",
    ] {
        let err = decode(bytes).unwrap_err();
        assert!(
            matches!(err, StateError::NotState { .. }),
            "{}: {err:?}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn unknown_fields_are_refused_not_dropped() {
    let text = String::from_utf8(golden("v1-prod.json")).unwrap();
    let edited = text.replacen("\"serial\": 42,", "\"serial\": 42,\n  \"checks\": {},", 1);
    let err = decode_from(&prod_origin(), edited.as_bytes()).unwrap_err();
    let StateError::Invalid {
        version: 1,
        line: 5,
        message,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(message.contains("unknown field `checks`"), "{message}");
}

#[test]
fn duplicate_and_invalid_addresses_are_refused() {
    let text = String::from_utf8(golden("v0-prod.upgraded.json")).unwrap();
    let dup = text.replace(
        "\"huawei_autopilot_cluster.prod\",\n      \"provider\"",
        "\"huawei_autopilot_addon.coredns\",\n      \"provider\"",
    );
    assert_ne!(dup, text);
    let err = decode(dup.as_bytes()).unwrap_err();
    assert!(
        err.to_string()
            .contains("resource huawei_autopilot_addon.coredns twice"),
        "{err}"
    );

    let bad = text.replace(
        "\"address\": \"huawei_autopilot_cluster.prod\"",
        "\"address\": \"not an address\"",
    );
    let err = decode(bad.as_bytes()).unwrap_err();
    assert!(matches!(err, StateError::BadContent { .. }), "{err:?}");
}

#[test]
fn a_current_layout_with_a_newer_version_is_refused_not_read_as_current() {
    // The one-pass read of the current format must still go by `format_version`: a future format
    // that happens to keep format 1's fields is refused like any newer file.
    let text = String::from_utf8(golden("v1-prod.json")).unwrap();
    let edited = text.replacen("\"format_version\": 1,", "\"format_version\": 2,", 1);
    assert_ne!(edited, text);
    let err = decode_from(&prod_origin(), edited.as_bytes()).unwrap_err();
    assert!(
        matches!(err, StateError::TooNew { found: 2, .. }),
        "{err:?}"
    );
}

#[test]
fn a_current_file_written_as_an_array_is_not_state() {
    // A derived `Deserialize` of the wire struct would read these fields in order.
    let bytes = br#"[1, "lineage-1", 3, [], {}, "0.1.0"]"#;
    let err = decode(bytes).unwrap_err();
    assert!(matches!(err, StateError::NotState { .. }), "{err:?}");
}

#[test]
fn values_read_in_one_pass_are_those_the_json_tree_gave() {
    // Attribute and output values are read straight into the model's `Value`; they must be what
    // converting a parsed JSON tree (`Value::from_json`) gives, for every kind of JSON value.
    let value = serde_json::json!({
        "big": 18446744073709551615u64,
        "max": 9223372036854775807i64,
        "neg": -42,
        "float": 0.1,
        "whole_float": 2.0,
        "exp": 1e300,
        "null": null,
        "flag": false,
        "text": "a \"quoted\" ünïcode \u{1F600}",
        "list": [1, [2, {"k": "v"}], null],
        "empty_map": {},
        "empty_list": [],
        "unknown": { "__unknown__": true },
        "not_unknown": { "__unknown__": true, "other": 1 },
        "marker_false": { "__unknown__": false }
    });
    let text = format!(
        r#"{{"format_version": 1, "lineage": "l", "serial": 1,
            "resources": [{{"address": "t.n", "provider": "p", "id": "i", "attributes": {value}}}],
            "outputs": {{"o": {{"value": {value}}}}}}}"#
    );
    let state = decode(text.as_bytes()).unwrap();
    let expected = Value::from_json(&value);
    let Value::Map(expected_attrs) = &expected else {
        panic!("{expected:?}")
    };
    let r = state.get(&Address::managed("t", "n")).unwrap();
    assert_eq!(&r.attributes, expected_attrs);
    assert_eq!(state.outputs["o"].value, expected);
    assert_eq!(
        r.attributes["big"],
        Value::Float(18446744073709551615u64 as f64)
    );
    assert_eq!(r.attributes["unknown"], Value::Unknown);
}

#[test]
fn values_are_written_as_the_json_tree_wrote_them() {
    // Encoding writes the model's values directly; the bytes must be what writing their
    // `to_json` form gave, non-finite floats (written as null) included.
    let mut state = State::new("l");
    let attrs: clusterform_model::Attrs = [
        ("nan", Value::Float(f64::NAN)),
        ("inf", Value::Float(f64::INFINITY)),
        ("float", Value::Float(2.0)),
        ("int", Value::Int(-7)),
        ("list", Value::List(vec![Value::Null, Value::Bool(true)])),
        ("map", Value::Map(Default::default())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let address = Address::managed("t", "n");
    state.resources.insert(
        address.clone(),
        clusterform_model::ResourceState {
            address,
            provider: "p".into(),
            id: "i".into(),
            attributes: attrs.clone(),
            dependencies: vec![],
            tainted: false,
            private: serde_json::Value::Null,
            sensitive_attrs: Vec::new(),
        },
    );
    let text = String::from_utf8(encode(&state)).unwrap();
    let as_tree: serde_json::Map<String, serde_json::Value> = attrs
        .iter()
        .map(|(k, v)| (k.clone(), v.to_json()))
        .collect();
    let tree_text = serde_json::to_string_pretty(&as_tree)
        .unwrap()
        .replace('\n', "\n      ");
    assert!(
        text.contains(&format!("\"attributes\": {tree_text}")),
        "{text}\n---\n{tree_text}"
    );
}

#[test]
fn a_current_file_is_read_in_one_pass() {
    // The general path (probe, then parse) gives the same state; this one reads the file once.
    let bytes = golden("v1-prod.json");
    let Ok(Current(file)) = serde_json::from_slice::<Current>(&bytes) else {
        panic!("the golden v1 file must take the one-pass read")
    };
    assert_eq!(file.format_version, CURRENT_FORMAT_VERSION);
    assert!(serde_json::from_slice::<Current>(&golden("v0-prod.json")).is_err());
}

/// The golden v1 file with its resources array changed by `edit`.
fn golden_v1_with_resources(edit: impl FnOnce(&mut Vec<serde_json::Value>)) -> Vec<u8> {
    let mut file: serde_json::Value = serde_json::from_slice(&golden("v1-prod.json")).unwrap();
    let Some(serde_json::Value::Array(resources)) = file.get_mut("resources") else {
        panic!("golden v1 has a resources array")
    };
    edit(resources);
    serde_json::to_vec(&file).unwrap()
}

#[test]
fn resources_out_of_address_order_read_as_in_order() {
    let in_order = decode(&golden("v1-prod.json")).unwrap();
    for edit in [
        (|r: &mut Vec<serde_json::Value>| r.reverse()) as fn(&mut Vec<serde_json::Value>),
        |r| r.swap(1, 2),
        |r| r.rotate_left(1),
    ] {
        let bytes = golden_v1_with_resources(edit);
        assert_eq!(decode(&bytes).unwrap(), in_order);
    }
}

#[test]
fn a_resource_twice_in_a_row_or_apart_is_refused() {
    for edit in [
        (|r: &mut Vec<serde_json::Value>| r.insert(1, r[0].clone()))
            as fn(&mut Vec<serde_json::Value>),
        |r| r.push(r[0].clone()),
        |r| r.push(r[2].clone()),
    ] {
        let err = decode(&golden_v1_with_resources(edit)).unwrap_err();
        assert!(
            matches!(&err, StateError::BadContent { problem, .. } if problem.ends_with(" twice")),
            "{err:?}"
        );
    }
}
