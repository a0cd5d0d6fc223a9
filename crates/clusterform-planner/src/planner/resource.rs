//! Planning of one configured instance against its refreshed state: reads, creates, updates,
//! upgrades (with the provider's hops) and replaces, with the guards that refuse unsafe ones.

use clusterform_config::ResourceConfig;
use clusterform_model::{
    Action, Address, Attrs, Change, Disruption, PlanHooks, ResourceSchema, UpgradeHop, Value,
};

use super::Walk;
use crate::diff::{self, DiffOutcome};
use crate::error::{PlanError, PlanErrorKind};
use crate::{REASON_GONE, REASON_READ_DURING_APPLY, REASON_REPLACE_FLAG, REASON_TAINTED};

impl<'a, 'g> Walk<'a, 'g> {
    pub(super) fn plan_read(
        &mut self,
        rc: &ResourceConfig,
        schema: &ResourceSchema,
        args: Attrs,
        change: &mut Change,
    ) {
        change.action = Action::Read;
        match self.input.data.get(&rc.address) {
            Some(result) => {
                let mut after = args;
                after.extend(result.iter().map(|(k, v)| (k.clone(), v.clone())));
                self.values.insert(rc.address.clone(), result.clone());
                change.after = Some(after);
            }
            None => {
                self.values.insert_unknown(rc.address.clone());
                change.after = Some(diff::planned_new(schema, &args));
                change.reason = Some(REASON_READ_DURING_APPLY.to_string());
            }
        }
    }

    pub(super) fn plan_managed(
        &mut self,
        rc: &ResourceConfig,
        schema: &ResourceSchema,
        desired: &Attrs,
        change: &mut Change,
    ) {
        let addr = &rc.address;
        let hooks = self.hooks(&rc.provider);
        let Some(rec) = self.input.refreshed.get(addr) else {
            let after = diff::planned_new(schema, desired);
            change.action = Action::Create;
            change.attr_changes = diff::create_changes(schema, &after);
            if self.input.prior.get(addr).is_some() {
                change.reason = Some(REASON_GONE.to_string());
                change.drift = self.drift_of(addr, Some(schema));
            }
            // `after` lives in the planned values until assembly moves it into the change.
            self.values.insert(addr.clone(), after);
            return;
        };
        change.id = Some(rec.id.clone());
        change.before = Some(rec.attributes.clone());
        change.drift = self.drift_of(addr, Some(schema));
        // What state recorded as sensitive stays sensitive in every form of this change.
        change.sensitive_attrs = merge_names(
            std::mem::take(&mut change.sensitive_attrs),
            &rec.sensitive_attrs,
        );
        let recorded = diff::reveal_unchanged(
            &self.input.refreshed.lineage,
            &change.sensitive_attrs,
            desired,
            &rec.attributes,
        );
        let outcome = diff::diff_existing(
            schema,
            hooks,
            desired,
            &recorded,
            &rc.lifecycle.ignore_changes,
        );
        let flagged = self.input.options.replace.iter().any(|r| addr.matches(r));
        let forced = if rec.tainted {
            Some(REASON_TAINTED)
        } else if flagged {
            Some(REASON_REPLACE_FLAG)
        } else {
            None
        };
        let after = if forced.is_some() || outcome.forces_replace {
            let after = diff::planned_new(schema, desired);
            change.action = Action::Replace;
            change.attr_changes = diff::replace_changes(schema, &outcome, &recorded, &after);
            change.reason = forced.map(str::to_string);
            self.check_replace(rc, schema, &outcome, forced, flagged);
            after
        } else {
            change.attr_changes = outcome.changes.iter().map(|(_, c)| c.clone()).collect();
            if let Some((from, to)) = &outcome.version_change {
                change.action = Action::Upgrade;
                change.upgrade = self.upgrade_hops(schema, hooks, rc, from, to, &recorded);
            } else if !change.attr_changes.is_empty() {
                change.action = Action::Update;
            }
            outcome.after
        };
        change.disruption = disruption(change.action);
        self.values.insert(addr.clone(), after);
    }

    fn upgrade_hops(
        &mut self,
        schema: &ResourceSchema,
        hooks: &dyn PlanHooks,
        rc: &ResourceConfig,
        from: &Value,
        to: &Value,
        recorded: &Attrs,
    ) -> Vec<UpgradeHop> {
        let addr = &rc.address;
        if from.contains_unknown() || to.contains_unknown() {
            self.warnings.push(format!("{addr}: the target version is known only after apply, so its upgrade path cannot be planned yet"));
            return Vec::new();
        }
        match hooks.upgrade_hops(&schema.type_name, addr, from, to, recorded) {
            Ok(hops) => hops,
            Err(msg) => {
                let attr = schema
                    .version_attr()
                    .map(|a| a.name.as_str())
                    .unwrap_or("version");
                self.errors.push(
                    PlanError::new(
                        PlanErrorKind::Upgrade,
                        Some(addr.clone()),
                        format!("cannot upgrade {attr} {from} -> {to}: {msg}"),
                    )
                    .with_hint(format!(
                        "set {attr} to a version reachable from {from}, or back to {from}"
                    ))
                    .at(Some(&rc.span)),
                );
                Vec::new()
            }
        }
    }

    /// `prevent_destroy` and the replace guard of types such as clusters.
    fn check_replace(
        &mut self,
        rc: &ResourceConfig,
        schema: &ResourceSchema,
        outcome: &DiffOutcome,
        forced: Option<&str>,
        flagged: bool,
    ) {
        let addr = &rc.address;
        if rc.lifecycle.prevent_destroy {
            self.errors
                .push(prevent_destroy_error(addr, "replace").at(Some(&rc.span)));
        }
        let allowed = rc.lifecycle.allow_replace
            || flagged
            || self
                .input
                .options
                .allow_replace
                .iter()
                .any(|a| addr.matches(a));
        if !schema.guard_replace || allowed {
            return;
        }
        let noun = if schema.noun.is_empty() {
            "object"
        } else {
            schema.noun.as_str()
        };
        let cause = match forced {
            Some(reason) => format!("because it is {reason}"),
            None => {
                let attrs: Vec<String> = outcome
                    .changes
                    .iter()
                    .filter(|(_, c)| c.forces_replace)
                    .map(|(_, c)| format!("`{}`", c.path))
                    .collect();
                format!("because {} cannot change in place", attrs.join(", "))
            }
        };
        self.errors.push(
            PlanError::new(
                PlanErrorKind::GuardedReplace,
                Some(addr.clone()),
                format!("this change needs replace: a new {noun} would be created and the current one destroyed ({cause})"),
            )
            .with_hint(format!(
                "to allow it, set `lifecycle = {{ allow_replace = true }}` on {addr} or pass `--allow-replace {addr}`; otherwise revert the change"
            ))
            .at(Some(&rc.span)),
        );
    }
}

pub(super) fn prevent_destroy_error(addr: &Address, what: &str) -> PlanError {
    PlanError::new(
        PlanErrorKind::PreventDestroy,
        Some(addr.clone()),
        format!("lifecycle.prevent_destroy is set, but the plan would destroy this resource ({what})"),
    )
    .with_hint("revert the change, or remove prevent_destroy from the resource's lifecycle if destroying it is intended")
}

/// The disruption class each action carries.
pub fn disruption(action: Action) -> Disruption {
    match action {
        Action::NoOp | Action::Create | Action::Read => Disruption::None,
        Action::Update => Disruption::InPlace,
        Action::Upgrade => Disruption::Rolling,
        Action::Replace => Disruption::Replace,
        Action::Delete => Disruption::Destroy,
    }
}

pub(super) fn sensitive_attrs(schema: &ResourceSchema) -> Vec<String> {
    schema
        .attributes
        .iter()
        .filter(|a| a.sensitive || schema.sensitive)
        .map(|a| a.name.clone())
        .collect()
}

/// `names` followed by those of `more` it does not hold yet.
pub(super) fn merge_names(mut names: Vec<String>, more: &[String]) -> Vec<String> {
    for n in more {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    names
}

/// The schema's sensitive attributes plus those the config builds from sensitive values (a
/// sensitive variable, another object's sensitive attribute), in that order.
pub(super) fn with_config_sensitive(mut names: Vec<String>, rc: &ResourceConfig) -> Vec<String> {
    for n in &rc.sensitive_attrs {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    names
}
