//! `clusterform show` (a saved plan, or the state), `output` and `graph`.

use anyhow::{anyhow, bail, Context, Result};
use clusterform_model::{ResourceState, State, Value};
use clusterform_planner::{render, GraphKind};

use crate::cli::{GraphArgs, GraphType, OutputArgs, ShowArgs, VarArgs};
use crate::exit::Outcome;
use crate::output::{self, Ui};
use crate::{planfile, session, stack};

pub fn show(args: &ShowArgs, ui: &Ui) -> Result<Outcome> {
    if let Some(file) = &args.file {
        let plan = planfile::load(file)?.plan;
        if args.json {
            output::data(&render::render_json_string(&plan, true));
        } else {
            output::data(&render::render_human(&plan, ui.color_stdout));
        }
        return Ok(Outcome::Success);
    }
    let (_, mut state) = read_state(&args.dir, &args.var, ui)?;
    // Sensitive values (digests in state) and sensitive outputs show as `(sensitive)`.
    state.resources.values_mut().for_each(hide_sensitive);
    for o in state.outputs.values_mut().filter(|o| o.sensitive) {
        o.value = Value::str(SENSITIVE);
    }
    if args.json {
        // The state-file format (format_version 1, documented in state/README.md), so scripts
        // read one schema whether they parse `show --json` or the file.
        output::data(String::from_utf8_lossy(&clusterform_state::encode(&state)).trim_end());
    } else if state.resources.is_empty() {
        output::info("The state is empty.");
    } else {
        let mut text = String::new();
        for r in state.resources.values() {
            text.push_str(&format!("# {} (id: {})\n", r.address, r.id));
            for (k, v) in &r.attributes {
                if r.sensitive_attrs.contains(k) {
                    text.push_str(&format!("    {k} = {SENSITIVE}\n"));
                } else {
                    text.push_str(&format!("    {k} = {v}\n"));
                }
            }
            text.push('\n');
        }
        output::data(&text);
    }
    Ok(Outcome::Success)
}

const SENSITIVE: &str = "(sensitive)";

/// Replaces each recorded sensitive attribute's value (a digest) by `(sensitive)`, for printing.
pub(super) fn hide_sensitive(r: &mut ResourceState) {
    for name in &r.sensitive_attrs {
        if let Some(v) = r.attributes.get_mut(name) {
            *v = Value::str(SENSITIVE);
        }
    }
}

/// `output`: a sensitive output's value is not in state (only a marker), so `output NAME`
/// evaluates it again from the config, variables and state; `output` and `output --json` of all
/// outputs show it only as `(sensitive)` / `null`, as plans do.
pub fn outputs(args: &OutputArgs, ui: &Ui) -> Result<Outcome> {
    let (stack, state) = read_state(&args.dir, &args.var, ui)?;
    match &args.name {
        Some(name) => {
            let recorded = state.outputs.get(name);
            let sensitive = stack.config.outputs.get(name).is_some_and(|o| o.sensitive);
            let value = match recorded {
                Some(o) if o.sensitive && o.value.is_null() => {
                    evaluate_output(&stack, &state, name)?
                }
                Some(o) => o.value.clone(),
                // Apply records no output that needs a data source; evaluating says why.
                None if sensitive => evaluate_output(&stack, &state, name)?,
                None => {
                    bail!("no output `{name}` in the state\nhint: outputs are recorded by apply")
                }
            };
            if args.json {
                output::data(&serde_json::to_string(&value)?);
            } else if let Value::String(s) = &value {
                output::data(s);
            } else {
                output::data(&value.to_string());
            }
        }
        None if args.json => {
            let all: serde_json::Map<String, serde_json::Value> = state
                .outputs
                .iter()
                .map(|(k, o)| {
                    let value = if o.sensitive {
                        serde_json::Value::Null
                    } else {
                        o.value.to_json()
                    };
                    (
                        k.clone(),
                        serde_json::json!({ "value": value, "sensitive": o.sensitive }),
                    )
                })
                .collect();
            output::data(&serde_json::to_string_pretty(&all)?);
        }
        None => {
            let mut text = String::new();
            for (k, o) in &state.outputs {
                let v = if o.sensitive {
                    SENSITIVE.to_string()
                } else {
                    o.value.to_string()
                };
                text.push_str(&format!("{k} = {v}\n"));
            }
            output::data(&text);
        }
    }
    Ok(Outcome::Success)
}

/// The value of output `name` as the config, variables and recorded state give it, without the
/// cloud: the offline plan's planned value (recorded sensitive attributes are digests, which the
/// plan reads back as the config's values when they match).
fn evaluate_output(stack: &stack::Stack, state: &State, name: &str) -> Result<Value> {
    let cannot = |why: &str| {
        anyhow!(
            "output `{name}` is sensitive, so state keeps no value for it, and it cannot be evaluated without the cloud: {why}\n\
             hint: run `clusterform plan` or `clusterform apply`; their output sections show it only as (sensitive)"
        )
    };
    let plan = session::make_offline_plan(
        stack,
        state,
        &session::PlanContext::offline(state),
        &Default::default(),
    )
    .map_err(|e| cannot(&format!("the stack does not plan offline ({e})")))?;
    let planned = plan.outputs.into_iter().find(|o| o.name == name);
    match planned.and_then(|o| o.after) {
        None => Err(cannot("the config no longer declares it")),
        Some(v) if v.contains_unknown() => Err(cannot(
            "it depends on a data source or on a value known only after apply",
        )),
        Some(v) if clusterform_model::contains_digest(&v) => Err(cannot(
            "it depends on a sensitive value the config no longer gives",
        )),
        Some(v) => Ok(v),
    }
}

pub fn graph(args: &GraphArgs, ui: &Ui) -> Result<Outcome> {
    let stack = match stack::load(&args.stack, ui) {
        Ok(s) => s,
        Err(f) => return super::load_failed(f),
    };
    let store = session::open_store(&stack)?;
    let (state, _) = session::recover(&store)?;
    let (kind, plan) = match args.kind {
        GraphType::Plan => (GraphKind::Plan, None),
        GraphType::Apply => {
            let plan = session::make_offline_plan(
                &stack,
                &state,
                &session::PlanContext::offline(&state),
                &Default::default(),
            )?;
            (GraphKind::Apply, Some(plan))
        }
    };
    let dot = clusterform_planner::graph_dot(&stack.config, &state, kind, plan.as_ref())
        .map_err(|e| anyhow!("{e}"))?;
    output::data(&dot);
    Ok(Outcome::Success)
}

fn read_state(dir: &std::path::Path, var: &VarArgs, ui: &Ui) -> Result<(stack::Stack, State)> {
    let stack = match stack::load_dir(dir, &var.vars, &var.var_files, ui) {
        Ok(s) => s,
        Err(stack::LoadFailure::Reported) => bail!("the stack in {} is not valid", dir.display()),
        Err(stack::LoadFailure::Error(e)) => return Err(e),
    };
    let store = session::open_store(&stack).context("failed to open the state")?;
    let state = session::recover(&store)?.0;
    Ok((stack, state))
}
