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
