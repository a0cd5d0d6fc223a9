//! `clusterform state list|show|rm|mv` and `force-unlock`: state surgery under the lock.

use anyhow::{anyhow, bail, Result};
use clusterform_model::{Address, State};
use clusterform_state::StateStore;

use crate::cli::{ForceUnlockArgs, StateCommand, StateDirArgs};
use crate::exit::Outcome;
use crate::output::{self, Ui};
use crate::session;
use crate::stack;

pub fn run(cmd: &StateCommand, ui: &Ui) -> Result<Outcome> {
    match cmd {
        StateCommand::List(a) => {
            let filters = session::addresses("filter", &a.filter)?;
            let (_, state) = open(&a.at, ui, "state list")?;
            for addr in state.resources.keys() {
                if filters.is_empty() || filters.iter().any(|f| addr.matches(f)) {
                    output::data(&addr.to_string());
                }
            }
            Ok(Outcome::Success)
        }
        StateCommand::Show(a) => {
            let addr: Address = a.address.parse().map_err(|e| anyhow!("{e}"))?;
            let (_, state) = open(&a.at, ui, "state show")?;
            let Some(mut r) = state.get(&addr).cloned() else {
                bail!("{addr} is not in the state\nhint: see `clusterform state list`")
            };
            super::show::hide_sensitive(&mut r);
            output::data(&serde_json::to_string_pretty(&r)?);
            Ok(Outcome::Success)
        }
        StateCommand::Rm(a) => {
            let addr: Address = a.address.parse().map_err(|e| anyhow!("{e}"))?;
            edit(&a.at, ui, "state rm", |state| {
                let gone: Vec<Address> = state
                    .resources
                    .keys()
                    .filter(|k| k.matches(&addr))
                    .cloned()
                    .collect();
                if gone.is_empty() {
                    bail!("{addr} is not in the state\nhint: see `clusterform state list`");
                }
                for k in &gone {
                    state.resources.remove(k);
                    output::info(&format!(
                        "Removed {k} from state (the cloud object is untouched)"
                    ));
                }
                Ok(())
            })
        }
        StateCommand::Mv(a) => {
            let from: Address = a.source.parse().map_err(|e| anyhow!("{e}"))?;
            let to: Address = a.destination.parse().map_err(|e| anyhow!("{e}"))?;
            if from.type_name != to.type_name || from.mode != to.mode {
                bail!("cannot move {from} to {to}: the resource type must stay the same");
            }
            edit(&a.at, ui, "state mv", |state| {
                if state.resources.contains_key(&to) {
                    bail!("{to} is already in the state");
                }
                let mut r = state
                    .resources
                    .remove(&from)
                    .ok_or_else(|| anyhow!("{from} is not in the state"))?;
                r.address = to.clone();
                state.resources.insert(to.clone(), r);
                for other in state.resources.values_mut() {
                    for d in other.dependencies.iter_mut().filter(|d| **d == from) {
                        *d = to.clone();
                    }
                }
                output::info(&format!("Moved {from} to {to}"));
                Ok(())
            })
        }
    }
}

fn open(at: &StateDirArgs, ui: &Ui, op: &str) -> Result<(clusterform_state::LocalStore, State)> {
    let stack = match stack::load_dir(&at.dir, &at.var.vars, &at.var.var_files, ui) {
        Ok(s) => s,
        Err(stack::LoadFailure::Reported) => {
            bail!("the stack in {} is not valid", at.dir.display())
        }
        Err(stack::LoadFailure::Error(e)) => return Err(e),
    };
    let store = session::open_store(&stack)?;
    let _ = op;
    let (state, _) = session::recover(&store)?;
    Ok((store, state))
}

fn edit(
    at: &StateDirArgs,
    ui: &Ui,
    op: &str,
    f: impl FnOnce(&mut State) -> Result<()>,
) -> Result<Outcome> {
    let stack = match stack::load_dir(&at.dir, &at.var.vars, &at.var.var_files, ui) {
        Ok(s) => s,
        Err(stack::LoadFailure::Reported) => {
            bail!("the stack in {} is not valid", at.dir.display())
        }
        Err(stack::LoadFailure::Error(e)) => return Err(e),
    };
    let store = session::open_store(&stack)?;
    let _guard = session::lock(&store, &at.lock, op)?;
    let (mut state, in_flight) = session::recover(&store)?;
    if !in_flight.is_empty() {
        bail!("an apply left {} action(s) in flight\nhint: run `clusterform apply` to finish them first", in_flight.len());
    }
    f(&mut state)?;
    state.serial += 1;
    store.write(&state).map_err(|e| anyhow!("{e}"))?;
    Ok(Outcome::Success)
}

pub fn force_unlock(args: &ForceUnlockArgs, ui: &Ui) -> Result<Outcome> {
    let stack = match stack::load_dir(&args.dir, &args.var.vars, &args.var.var_files, ui) {
        Ok(s) => s,
        Err(f) => return super::load_failed(f),
    };
    let store = session::open_store(&stack)?;
    store
        .force_unlock(&args.lock_id)
        .map_err(|e| anyhow!("{e}"))?;
    output::info(&format!("Lock {} removed.", args.lock_id));
    Ok(Outcome::Success)
}
