//! Filling in values that were "known after apply" at plan time (a new cluster's id referenced by
//! an add-on) once the resources they come from have been applied. The executor does not know the
//! config's expressions, so the CLI supplies a `Resolve` that re-evaluates them against the state
//! as it stands when a change starts.

use clusterform_model::{Attrs, Change, Presence, ResourceSchema, State};

/// Produces the attributes to send to the provider for `change`, given the state so far.
pub trait Resolve: Send + Sync {
    /// `Err` fails the change with the message (its dependents are skipped).
    fn resolve(
        &self,
        change: &Change,
        schema: Option<&ResourceSchema>,
        state: &State,
    ) -> Result<Attrs, String>;
}

/// The plan's values as they are: unknown computed attributes are dropped (the cloud sets them);
/// an unknown value in an attribute the config sets is an error, since nothing here can fill it.
#[derive(Debug, Default, Clone, Copy)]
pub struct PlannedValues;

impl Resolve for PlannedValues {
    fn resolve(
        &self,
        change: &Change,
        schema: Option<&ResourceSchema>,
        _state: &State,
    ) -> Result<Attrs, String> {
        known_values(change, schema)
    }
}

/// `change.after` without unknown computed attributes; an error names the first unknown settable
/// one. Useful to `Resolve` implementations after they have substituted references.
pub fn known_values(change: &Change, schema: Option<&ResourceSchema>) -> Result<Attrs, String> {
    let mut out = Attrs::new();
    for (k, v) in change.after.iter().flatten() {
        if !v.contains_unknown() {
            out.insert(k.clone(), v.clone());
            continue;
        }
        let computed = schema
            .and_then(|s| s.attr(k))
            .is_none_or(|a| a.presence == Presence::Computed);
        if !computed {
            return Err(format!(
                "`{k}` of {} is known only after apply and nothing resolved it",
                change.address
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use clusterform_model::{Action, Address, AttrSchema, AttrType, Disruption, SchemaKind, Value};

    use super::*;

    fn change(after: Attrs) -> Change {
        Change {
            address: Address::managed("t", "a"),
            provider: "p".into(),
            action: Action::Create,
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
            timeouts: Default::default(),
            sensitive_attrs: vec![],
        }
    }

    #[test]
    fn drops_unknown_computed_and_refuses_unknown_settable() {
        let schema = ResourceSchema::new(
            "t",
            SchemaKind::Managed,
            vec![
                AttrSchema::required("name", AttrType::String),
                AttrSchema::computed("id", AttrType::String),
            ],
        );
        let mut after = Attrs::from([
            ("name".to_string(), Value::str("x")),
            ("id".to_string(), Value::Unknown),
        ]);
        let got = PlannedValues
            .resolve(&change(after.clone()), Some(&schema), &State::new("l"))
            .unwrap();
        assert_eq!(got.keys().collect::<Vec<_>>(), ["name"]);
        after.insert("name".into(), Value::Unknown);
        let err = PlannedValues
            .resolve(&change(after), Some(&schema), &State::new("l"))
            .unwrap_err();
        assert!(
            err.contains("`name` of t.a is known only after apply"),
            "{err}"
        );
    }
}
