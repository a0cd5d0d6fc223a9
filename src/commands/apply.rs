//! `clusterform apply`, `destroy` and `refresh`: lock, replay the journal, refresh, plan, ask,
//! apply through the executor (journaled, resumable), save state, unlock.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, bail, Context, Result};
use clusterform_executor::{ApplyOptions, CancelToken, StateJournal};
use clusterform_model::{OutputState, PlanMode, State};
use clusterform_planner::{HookMap, PlanOptions};
use clusterform_provider::Provider;
use clusterform_state::{LockGuard, StateStore};

use crate::cli::{
    ApplyArgs, DestroyArgs, LockArgs, PlanShapeArgs, RefreshArgs, RunArgs, StackArgs, VarArgs,
};
use crate::exit::Outcome;
use crate::output::{self, Ui};
use crate::run::{watch_ctrl_c, ConfigResolver, Progress, StoreJournal};
use crate::session::{self, PlanContext};
use crate::{planfile, stack};

pub fn apply(args: &ApplyArgs, ui: &Ui) -> Result<Outcome> {
    if args.target_path.is_file() {
        return apply_saved(args, ui);
    }
    let stack_args = StackArgs {
        dir: args.target_path.clone(),
        var: args.var.clone(),
    };
    let options = PlanOptions {
        mode: PlanMode::Normal,
        targets: session::addresses("--target", &args.shape.target)?,
        replace: session::addresses("--replace", &args.shape.replace)?,
        allow_replace: session::addresses("--allow-replace", &args.shape.allow_replace)?,
    };
    execute(
        &stack_args,
        &args.shape,
        &args.lock,
        &args.run,
        options,
        None,
        "apply",
        ui,
    )
}

/// `apply PLANFILE`: plans again under the lock with the stack, options and variables the file
/// records (planning flags given now are refused, as Terraform does), and applies only if that
/// gives the saved plan's changes.
fn apply_saved(args: &ApplyArgs, ui: &Ui) -> Result<Outcome> {
    let saved = planfile::load(&args.target_path)?;
    let given: Vec<&str> = [
        ("--var", !args.var.vars.is_empty()),
        ("--var-file", !args.var.var_files.is_empty()),
        ("--target", !args.shape.target.is_empty()),
        ("--replace", !args.shape.replace.is_empty()),
        ("--allow-replace", !args.shape.allow_replace.is_empty()),
        ("--refresh=false", !args.shape.refresh),
    ]
    .into_iter()
    .filter_map(|(flag, set)| set.then_some(flag))
    .collect();
    if !given.is_empty() {
        bail!(
            "{} cannot be used with a saved plan: {} applies what it was planned with\nhint: pass them to `clusterform plan --out FILE` instead",
            given.join(", "),
            args.target_path.display()
        );
    }
    let stack_args = StackArgs {
        dir: saved.stack_dir()?,
        var: VarArgs::default(),
    };
    let shape = PlanShapeArgs {
        refresh: saved.made_with.refresh,
        target: vec![],
        replace: vec![],
        allow_replace: vec![],
    };
    let options = saved.made_with.plan_options();
    execute(
        &stack_args,
        &shape,
        &args.lock,
        &args.run,
        options,
        Some(saved),
        "apply",
        ui,
    )
}

pub fn destroy(args: &DestroyArgs, ui: &Ui) -> Result<Outcome> {
    let options = PlanOptions {
        mode: PlanMode::Destroy,
        targets: session::addresses("--target", &args.target)?,
        ..Default::default()
    };
    let shape = PlanShapeArgs {
        refresh: true,
        target: vec![],
        replace: vec![],
        allow_replace: vec![],
    };
    execute(
        &args.stack,
        &shape,
        &args.lock,
        &args.run,
        options,
        None,
        "destroy",
        ui,
    )
}

#[allow(clippy::too_many_arguments)]
fn execute(
    stack_args: &StackArgs,
    shape: &PlanShapeArgs,
    lock_args: &LockArgs,
    run: &RunArgs,
    options: PlanOptions,
    saved: Option<planfile::Saved>,
    operation: &str,
    ui: &Ui,
) -> Result<Outcome> {
    let stack = match planfile::load_stack(stack_args, saved.as_ref(), ui) {
        Ok(s) => s,
        Err(f) => return super::load_failed(f),
    };
    let rt = super::runtime()?;
    rt.block_on(async {
        let store = Arc::new(session::open_store(&stack)?);
        let guard = session::lock(&store, lock_args, operation)?;
        let _heartbeat = guard.map(spawn_heartbeat);
        let (state, in_flight) = session::recover(&store)?;
        if !in_flight.is_empty() {
            output::info(&format!("resuming {} action(s) an earlier run left in flight", in_flight.len()));
        }
        let mut sandbox = None;
        let providers = session::providers(&stack, &mut sandbox).await?;
        let (exec_providers, budgets) = session::executor_providers(&stack, &providers);
        let events: Arc<dyn clusterform_executor::Events> = Arc::new(Progress { json: run.json });

        let ctx = if shape.refresh {
            session::prepare_plans(&providers).await?;
            let r = clusterform_executor::refresh(
                &state,
                &exec_providers,
                session::refresh_options(&budgets, session::data_requests(&stack.config), events.clone()),
            )
            .await
            .map_err(|e| anyhow!("{e}"))?;
            PlanContext::from_refresh(r)
        } else {
            PlanContext::offline(&state)
        };
        let hooks: HookMap = providers.iter().map(|(n, p)| (n.clone(), p.hooks())).collect();
        let plan = session::make_plan(&stack, &state, &ctx, &hooks, &options)?;
        if let Some(saved) = &saved {
            planfile::verify(saved, &plan, &stack.config)?;
        }
        output::data(&clusterform_planner::render::render_human(&plan, ui.color_stdout));
        if !plan.has_changes() && in_flight.is_empty() {
            save_state(&store, &stack, &state, ctx.refreshed.clone())?;
            shutdown(sandbox).await;
            return Ok(Outcome::Success);
        }
        if !run.auto_approve && saved.is_none() {
            if !ui.stdin_tty {
                bail!("{operation} needs approval and stdin is not a terminal\nhint: pass --auto-approve, or apply a saved plan file");
            }
            let answer = output::ask(&format!("Do you want to {operation}? Only 'yes' is accepted: "))
                .context("failed to read the answer")?;
            if answer != "yes" {
                output::info(&format!("{operation} cancelled."));
                shutdown(sandbox).await;
                return Ok(Outcome::Failed);
            }
        }
        let sink = Arc::new(StateJournal::new(Arc::new(StoreJournal(store.clone()))).map_err(|e| anyhow!("{e}"))?);
        let cancel = CancelToken::new();
        watch_ctrl_c(cancel.clone());
        let opts = ApplyOptions {
            parallelism: run.parallelism.max(1),
            budgets,
            cancel: cancel.clone(),
            events,
            resolver: Arc::new(ConfigResolver { config: stack.config.clone() }),
            in_flight: clusterform_executor::in_flight_from(&in_flight),
            poll: session::poll_options(sandbox.as_ref()),
            ..Default::default()
        };
        let report = clusterform_executor::apply(&plan, ctx.refreshed.clone(), &exec_providers, sink, opts)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        let ok = report.is_success();
        save_state(&store, &stack, &state, report.state.clone())?;
        shutdown(sandbox).await;
        let s = plan.summary();
        if report.cancelled {
            output::info(&format!(
                "Interrupted: {} done, {} not started; state saved and the journal kept for the next run.",
                report.done.len(),
                report.not_started.len()
            ));
            return Ok(Outcome::Interrupted);
        }
        for f in &report.failed {
            output::error(ui, &format!("{}: {}", f.address, f.message));
        }
        if let Some(h) = &report.halted {
            output::error(ui, &format!("apply halted: {h}"));
        }
        output::info(&format!(
            "{} complete: {} done, {} failed, {} skipped ({} create, {} update, {} upgrade, {} replace, {} delete planned).",
            if operation == "destroy" { "Destroy" } else { "Apply" },
            report.done.len(),
            report.failed.len(),
            report.skipped.len(),
            s.create,
            s.update,
            s.upgrade,
            s.replace,
            s.delete
        ));
        Ok(if ok { Outcome::Success } else { Outcome::Failed })
    })
}

/// Writes the final state (outputs evaluated against it) with the serial bumped.
fn save_state(
    store: &clusterform_state::LocalStore,
    stack: &stack::Stack,
    prior: &State,
    mut next: State,
) -> Result<()> {
    let values = crate::run::values_of(&next);
    let outs =
        clusterform_planner::evaluate_outputs(&stack.config, &next, &values, PlanMode::Normal);
    next.outputs = outs
        .into_iter()
        .filter_map(|o| {
            let v = o.after?;
            (!v.contains_unknown()).then_some((
                o.name,
                OutputState {
                    // A sensitive output is recorded as a marker only (`output NAME` re-evaluates).
                    value: if o.sensitive {
                        clusterform_model::Value::Null
                    } else {
                        v
                    },
                    sensitive: o.sensitive,
                },
            ))
        })
        .collect::<BTreeMap<_, _>>();
    if next.resources.is_empty()
        && next.outputs.is_empty()
        && prior.serial == 0
        && prior.resources.is_empty()
    {
        return Ok(()); // nothing to record yet: do not create an empty state file
    }
    next.lineage = prior.lineage.clone();
    next.serial = prior.serial + 1;
    store.write(&next).map_err(|e| anyhow!("{e}"))
}

async fn shutdown(sandbox: Option<session::Sandbox>) {
    if let Some(s) = sandbox {
        s.emulator.shutdown().await;
    }
}

/// Renews the lock's lease while the run goes on.
pub(super) fn spawn_heartbeat(guard: LockGuard) -> HeartbeatTask {
    let every = guard.heartbeat_interval();
    let guard = Arc::new(Mutex::new(guard));
    let g = guard.clone();
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            let mut lock = g.lock().unwrap_or_else(|e| e.into_inner());
            if lock.heartbeat().is_err() {
                output::info("warning: failed to renew the state lock's lease");
            }
        }
    });
    HeartbeatTask {
        task,
        _guard: guard,
    }
}

/// Stops heartbeating and releases the lock when dropped.
pub(super) struct HeartbeatTask {
    task: tokio::task::JoinHandle<()>,
    _guard: Arc<Mutex<LockGuard>>,
}

impl Drop for HeartbeatTask {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn refresh(args: &RefreshArgs, ui: &Ui) -> Result<Outcome> {
    let stack = match stack::load(&args.stack, ui) {
        Ok(s) => s,
        Err(f) => return super::load_failed(f),
    };
    let rt = super::runtime()?;
    rt.block_on(async {
        let store = session::open_store(&stack)?;
        let _guard = session::lock(&store, &args.lock, "refresh")?;
        let (state, _) = session::recover(&store)?;
        let mut sandbox = None;
        let providers = session::providers(&stack, &mut sandbox).await?;
        let (exec_providers, budgets) = session::executor_providers(&stack, &providers);
        let events: Arc<dyn clusterform_executor::Events> = Arc::new(Progress { json: args.json });
        let r = clusterform_executor::refresh(
            &state,
            &exec_providers,
            session::refresh_options(&budgets, session::data_requests(&stack.config), events),
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
        for (addr, d) in &r.drift {
            output::info(&format!(
                "{addr}: {} attribute(s) changed outside clusterform",
                d.len()
            ));
        }
        for addr in &r.gone {
            output::info(&format!("{addr}: gone from the cloud; dropped from state"));
        }
        save_state(&store, &stack, &state, r.state)?;
        shutdown(sandbox).await;
        Ok(Outcome::Success)
    })
}
