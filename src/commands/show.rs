//! `clusterform show` (a saved plan, or the state), `output` and `graph`.

use anyhow::{anyhow, bail, Context, Result};
use clusterform_model::Value;
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
    let state = read_state(&args.dir, &args.var, ui)?;
    if args.json {
        let mut state = state;
        for o in state.outputs.values_mut().filter(|o| o.sensitive) {
            o.value = Value::str("(sensitive)");
        }
        output::data(&serde_json::to_string_pretty(&state)?);
    } else if state.resources.is_empty() {
        output::info("The state is empty.");
    } else {
        let mut text = String::new();
        for r in state.resources.values() {
            text.push_str(&format!("# {} (id: {})\n", r.address, r.id));
            for (k, v) in &r.attributes {
                text.push_str(&format!("    {k} = {v}\n"));
            }
            text.push('\n');
        }
        output::data(&text);
    }
    Ok(Outcome::Success)
}

pub fn outputs(args: &OutputArgs, ui: &Ui) -> Result<Outcome> {
    let state = read_state(&args.dir, &args.var, ui)?;
    match &args.name {
        Some(name) => {
            let o = state.outputs.get(name).ok_or_else(|| {
                anyhow!("no output `{name}` in the state\nhint: outputs are recorded by apply")
            })?;
            if args.json {
                output::data(&serde_json::to_string(&o.value)?);
            } else if let Value::String(s) = &o.value {
                output::data(s);
            } else {
                output::data(&o.value.to_string());
            }
        }
        None if args.json => {
            let all: serde_json::Map<String, serde_json::Value> = state
                .outputs
                .iter()
                .map(|(k, o)| {
                    (
                        k.clone(),
                        serde_json::json!({ "value": o.value.to_json(), "sensitive": o.sensitive }),
                    )
                })
                .collect();
            output::data(&serde_json::to_string_pretty(&all)?);
        }
        None => {
            let mut text = String::new();
            for (k, o) in &state.outputs {
                let v = if o.sensitive {
                    "(sensitive)".to_string()
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
            let hooks_impl = clusterform_provider_huawei::HuaweiHooks::new();
            let hooks: clusterform_planner::HookMap = std::iter::once((
                "huawei".to_string(),
                &hooks_impl as &dyn clusterform_model::PlanHooks,
            ))
            .collect();
            let plan = session::make_plan(
                &stack,
                &state,
                &session::PlanContext::offline(&state),
                &hooks,
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

fn read_state(dir: &std::path::Path, var: &VarArgs, ui: &Ui) -> Result<clusterform_model::State> {
    let stack = match stack::load_dir(dir, &var.vars, &var.var_files, ui) {
        Ok(s) => s,
        Err(stack::LoadFailure::Reported) => bail!("the stack in {} is not valid", dir.display()),
        Err(stack::LoadFailure::Error(e)) => return Err(e),
    };
    let store = session::open_store(&stack).context("failed to open the state")?;
    Ok(session::recover(&store)?.0)
}
