//! Keeping secrets out of what the executor records: resource states are sealed
//! (`clusterform_state::seal_resource`) and operations are journaled with the sensitive values a
//! provider kept in their data sealed the same way.

use clusterform_model::{seal_value, Attrs, ResourceSchema, ResourceState, Value};
use clusterform_provider::Operation;
use serde_json::Value as Json;

/// Makes a resource fit to persist (`clusterform_state::seal_resource`): removes the attributes
/// its schema marks sensitive and digests, keyed with `lineage`, those it lists in
/// `sensitive_attrs`. Every resource state the executor produces goes through here.
pub(crate) fn seal(rs: &mut ResourceState, lineage: &str, schema: Option<&ResourceSchema>) {
    clusterform_state::seal_resource(rs, lineage, |_, name| {
        schema.is_some_and(|s| s.sensitive || s.attr(name).is_some_and(|a| a.sensitive))
    });
}

/// `op` as the journal may keep it. A provider may keep in an operation's data what it sent (the
/// add-on keeps the user's values to read back only their keys): every part of that data equal
/// to the value of an attribute in `sensitive_attrs` (or to a string inside it) is replaced by
/// that value sealed, keys kept. The operation the step goes on waiting with is not changed; one
/// resumed from the journal reads back sealed values, which seal again to themselves.
pub(crate) fn journaled_op(
    op: &Operation,
    lineage: &str,
    sensitive_attrs: &[String],
    desired: &Attrs,
) -> Operation {
    let mut secrets: Vec<(Json, Json)> = Vec::new();
    for v in sensitive_attrs.iter().filter_map(|n| desired.get(n)) {
        if v.is_null() || v.contains_unknown() {
            continue;
        }
        secrets.push((v.to_json(), seal_value(lineage, v).to_json()));
        string_leaves(v, &mut |s| {
            let leaf = Value::str(s);
            secrets.push((leaf.to_json(), seal_value(lineage, &leaf).to_json()));
        });
    }
    let mut out = op.clone();
    if !secrets.is_empty() {
        seal_json(&mut out.data, &secrets);
    }
    out
}

fn string_leaves(v: &Value, f: &mut impl FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::List(l) => l.iter().for_each(|x| string_leaves(x, f)),
        Value::Map(m) => m.values().for_each(|x| string_leaves(x, f)),
        _ => {}
    }
}

fn seal_json(j: &mut Json, secrets: &[(Json, Json)]) {
    if let Some((_, sealed)) = secrets.iter().find(|(clear, _)| clear == j) {
        *j = sealed.clone();
        return;
    }
    match j {
        Json::Array(a) => a.iter_mut().for_each(|x| seal_json(x, secrets)),
        Json::Object(m) => m.values_mut().for_each(|x| seal_json(x, secrets)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use clusterform_model::{sensitive_digest, Address};

    use super::*;

    #[test]
    fn seal_drops_schema_secrets_and_digests_marked_attributes() {
        use clusterform_model::{AttrSchema, AttrType, SchemaKind};
        let schema = ResourceSchema::new(
            "t",
            SchemaKind::Managed,
            vec![
                AttrSchema::required("name", AttrType::String),
                AttrSchema::computed("kubeconfig", AttrType::String).sensitive(),
                AttrSchema::optional("description", AttrType::String),
            ],
        );
        let mut rs = ResourceState {
            address: Address::managed("t", "x"),
            provider: "p".into(),
            id: "i".into(),
            attributes: Attrs::from([
                ("name".to_string(), Value::str("x")),
                ("kubeconfig".to_string(), Value::str("apiVersion: v1")),
                ("description".to_string(), Value::str("hunter2")),
            ]),
            dependencies: vec![],
            tainted: false,
            private: serde_json::Value::Null,
            // The plan lists the schema's sensitive attributes too.
            sensitive_attrs: vec!["kubeconfig".into(), "description".into()],
        };
        seal(&mut rs, "l", Some(&schema));
        assert_eq!(
            rs.attributes.keys().collect::<Vec<_>>(),
            ["description", "name"]
        );
        assert_eq!(
            rs.attributes["description"],
            Value::String(clusterform_model::sensitive_digest(
                "l",
                &Value::str("hunter2")
            ))
        );
        assert_eq!(rs.sensitive_attrs, ["description"]);
    }

    #[test]
    fn journaled_ops_hold_sensitive_values_sealed() {
        let values = Value::Map(
            [
                ("replicas".to_string(), Value::Int(2)),
                ("token".to_string(), Value::str("hunter2")),
            ]
            .into(),
        );
        let desired = Attrs::from([
            ("values".to_string(), values.clone()),
            ("description".to_string(), Value::str("db: hunter2")),
            ("name".to_string(), Value::str("dns")),
        ]);
        let op = Operation {
            kind: "install".into(),
            object_id: "a-1".into(),
            handle: "job-1".into(),
            data: serde_json::json!({
                "cluster_id": "c-1",
                "user_values": { "replicas": 2, "token": "hunter2" },
                "kept": ["db: hunter2", "dns"],
            }),
        };
        let sensitive = vec!["values".to_string(), "description".to_string()];
        let sealed = journaled_op(&op, "l", &sensitive, &desired);
        let text = sealed.data.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(
            sealed.data["user_values"],
            seal_value("l", &values).to_json()
        );
        assert_eq!(
            sealed.data["kept"][0],
            serde_json::json!(sensitive_digest("l", &Value::str("db: hunter2")))
        );
        assert_eq!(sealed.data["kept"][1], "dns", "what is not sensitive stays");
        assert_eq!(sealed.data["cluster_id"], "c-1");
        assert_eq!(
            (sealed.kind.as_str(), sealed.handle.as_str()),
            ("install", "job-1")
        );
        // Nothing sensitive: the operation as it is.
        assert_eq!(journaled_op(&op, "l", &[], &desired), op);
    }
}
