//! Keeping secrets out of state: sensitive attributes (credentials, kubeconfigs, certificates) are
//! removed before a resource is persisted. The executor calls this with a predicate built from
//! the resources' schemas (`AttrSchema::sensitive`); this crate knows no schemas itself.

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
}
