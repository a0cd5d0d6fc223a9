//! Keeping secrets out of state. Before a resource is persisted, the attributes its schema marks
//! sensitive (credentials, kubeconfigs, certificates) are removed, and those whose value came
//! from something sensitive in the config (`ResourceState::sensitive_attrs`) are sealed: replaced
//! by digests keyed with the lineage, map keys kept ([`clusterform_model::seal_value`]), which
//! lets the planner tell a changed secret from an unchanged one. The executor calls [`seal_resource`]
//! with a predicate built from the resources' schemas (`AttrSchema::sensitive`); this crate knows
//! no schemas itself.

use clusterform_model::{Address, ResourceState, State};

/// Removes from every resource each attribute for which `sensitive(address, name)` is true.
/// Returns how many attributes were removed.
pub fn scrub(state: &mut State, sensitive: impl Fn(&Address, &str) -> bool) -> usize {
    state
        .resources
        .values_mut()
        .map(|r| scrub_resource(r, &sensitive))
        .sum()
}

/// `scrub` for one resource, before `StateStore::persist_resource`.
pub fn scrub_resource(
    resource: &mut ResourceState,
    sensitive: impl Fn(&Address, &str) -> bool,
) -> usize {
    let before = resource.attributes.len();
    let address = &resource.address;
    resource
        .attributes
        .retain(|name, _| !sensitive(address, name));
    before - resource.attributes.len()
}

/// Makes a resource fit to persist: removes what `sensitive` names (the schema's sensitive
/// attributes) and digests the attributes listed in its `sensitive_attrs` with `lineage`. A name
/// removed here is dropped from `sensitive_attrs` too. Idempotent.
pub fn seal_resource(
    resource: &mut ResourceState,
    lineage: &str,
    sensitive: impl Fn(&Address, &str) -> bool,
) {
    scrub_resource(resource, &sensitive);
    let address = resource.address.clone();
    resource.sensitive_attrs.retain(|n| !sensitive(&address, n));
    resource.sensitive_attrs.sort();
    resource.sensitive_attrs.dedup();
    resource.seal(lineage);
}

#[cfg(test)]
mod tests {
    use clusterform_model::Value;

    use super::*;

    fn resource(t: &str, attrs: &[(&str, &str)]) -> ResourceState {
        ResourceState {
            address: Address::managed(t, "x"),
            provider: "huawei".into(),
            id: "id-1".into(),
            attributes: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::str(*v)))
                .collect(),
            dependencies: vec![],
            tainted: false,
            private: serde_json::Value::Null,
            sensitive_attrs: Vec::new(),
        }
    }

    #[test]
    fn removes_only_what_the_predicate_names() {
        let mut state = State::new("l");
        for r in [
            resource(
                "cluster",
                &[("name", "prod"), ("kubeconfig", "apiVersion: v1…")],
            ),
            resource(
                "addon",
                &[
                    ("name", "coredns"),
                    ("kubeconfig", "kept: not sensitive here"),
                ],
            ),
        ] {
            state.resources.insert(r.address.clone(), r);
        }
        let removed = scrub(&mut state, |a, name| {
            a.type_name == "cluster" && name == "kubeconfig"
        });
        assert_eq!(removed, 1);
        let cluster = state.get(&Address::managed("cluster", "x")).unwrap();
        assert_eq!(cluster.attributes.keys().collect::<Vec<_>>(), ["name"]);
        assert_eq!(
            state
                .get(&Address::managed("addon", "x"))
                .unwrap()
                .attributes
                .len(),
            2
        );
        let text = String::from_utf8(crate::encode(&state)).unwrap();
        assert!(
            !text.contains("apiVersion"),
            "the secret must not reach the file"
        );
    }

    #[test]
    fn seal_removes_schema_secrets_and_digests_config_secrets() {
        let mut r = resource(
            "cluster",
            &[
                ("name", "prod"),
                ("kubeconfig", "apiVersion: v1…"),
                ("description", "hunter2"),
            ],
        );
        r.sensitive_attrs = vec!["description".into(), "kubeconfig".into()];
        seal_resource(&mut r, "lineage-1", |_, n| n == "kubeconfig");
        assert!(!r.attributes.contains_key("kubeconfig"));
        assert_eq!(r.sensitive_attrs, ["description"]);
        assert_eq!(
            r.attributes["description"],
            Value::String(clusterform_model::sensitive_digest(
                "lineage-1",
                &Value::str("hunter2")
            ))
        );
        let again = r.clone();
        seal_resource(&mut r, "lineage-1", |_, n| n == "kubeconfig");
        assert_eq!(r, again, "sealing twice changes nothing");
        let mut state = State::new("lineage-1");
        state.resources.insert(r.address.clone(), r);
        let text = String::from_utf8(crate::encode(&state)).unwrap();
        assert!(
            !text.contains("hunter2") && !text.contains("apiVersion"),
            "{text}"
        );
        assert!(
            text.contains("\"sensitive_attrs\": [\n        \"description\"\n      ]"),
            "{text}"
        );
        assert_eq!(crate::decode(text.as_bytes()).unwrap(), state);
    }

    /// The golden file of a state with digested attributes and a sensitive output: it decodes,
    /// its digests are those of the known secrets, and it encodes back byte for byte.
    #[test]
    fn golden_v1_with_sensitive_attrs_round_trips() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/v1-sensitive.json");
        let bytes = std::fs::read(&path).unwrap();
        let state = crate::decode(&bytes).unwrap();
        let cluster = state
            .get(&Address::managed("huawei_autopilot_cluster", "prod"))
            .unwrap();
        assert_eq!(cluster.sensitive_attrs, ["description"]);
        assert_eq!(
            cluster.attributes["description"],
            Value::String(clusterform_model::sensitive_digest(
                &state.lineage,
                &Value::str("hunter2")
            ))
        );
        let addon = state
            .get(&Address::managed("huawei_autopilot_addon", "coredns"))
            .unwrap();
        let values = Value::Map(
            [
                ("replicas".to_string(), Value::Int(2)),
                ("token".to_string(), Value::str("s3cr3t")),
            ]
            .into_iter()
            .collect(),
        );
        assert_eq!(
            addon.attributes["values"],
            clusterform_model::seal_value(&state.lineage, &values)
        );
        assert!(state.outputs["admin_token"].sensitive);
        assert_eq!(state.outputs["admin_token"].value, Value::Null);
        let again = crate::format::encode_with_version(&state, "0.1.0");
        assert_eq!(
            String::from_utf8(again).unwrap(),
            String::from_utf8(bytes).unwrap()
        );
    }
}
