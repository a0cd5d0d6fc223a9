//! `clusterform apply` and `destroy`: lock, replay the journal, refresh, plan, ask,
//! apply through the executor (journaled, resumable), save state, unlock.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use clusterform_executor::{
    ApplyOptions, ApplyReport, ApplySink, InFlight, LookupOptions, RefreshError, StateJournal,
};
use clusterform_model::{Address, Attrs, OutputState, Plan, PlanMode, State};
use clusterform_planner::{HookMap, PlanOptions};
use clusterform_provider::Provider;
use clusterform_state::StateStore;

use crate::cli::{ApplyArgs, DestroyArgs, LockArgs, PlanShapeArgs, RunArgs, StackArgs, VarArgs};
use crate::exit::Outcome;
use crate::output::{self, Ui};
use crate::run::{
    spawn_heartbeat, ConfigResolver, Heartbeat, Interrupts, Mode, Progress, StoreJournal, Summary,
};
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
        let ints = Interrupts::install();
        let store = Arc::new(session::open_store(&stack)?);
        let guard = session::lock(&store, lock_args, operation)?;
        ints.arm();
        let heartbeat = guard.map(|g| spawn_heartbeat(g, ints.cancel.clone()));
        let lost = heartbeat.as_ref().map(|h| h.lost_flag()).unwrap_or_default();
        let progress = Progress::new(Mode::detect(ui, run.json), ui);
        progress.start_ticker();
        let stop = Stop { ui, progress: &progress, lost: &lost, operation };
        let (mut state, in_flight) = session::recover(&store)?;
        if !in_flight.is_empty() {
            progress.note(&format!("resuming {} action(s) an earlier run left in flight", in_flight.len()));
        }
        let mut sandbox = None;
        let Some(providers) = ints.guard(session::providers(&stack, &mut sandbox)).await else {
            return Ok(stop.early(sandbox).await);
        };
        let providers = providers?;
        let (exec_providers, budgets) = session::executor_providers(&stack, &providers);
        let events: Arc<dyn clusterform_executor::Events> = progress.clone();
        let mut in_flight = clusterform_executor::in_flight_from(&in_flight);
        let sink = Arc::new(
            StateJournal::new(Arc::new(StoreJournal { store: store.clone(), lease: heartbeat.as_ref().map(Heartbeat::lease) }))
                .map_err(|e| anyhow!("{e}"))?,
        );
        let mut unadoptable = Vec::new();
        if options.mode == PlanMode::Destroy {
            let lookup = LookupOptions {
                budgets: budgets.clone(),
                events: events.clone(),
                cancel: ints.cancel.clone(),
                ..Default::default()
            };
            let Some(adoption) = ints
                .guard(adopt_unrecorded(&stack, &mut state, &mut in_flight, &exec_providers, sink.as_ref(), &lookup, &progress))
                .await
            else {
                return Ok(stop.early(sandbox).await);
            };
            unadoptable = adoption?;
        }

        let ctx = if shape.refresh {
            if ints.guard(session::prepare_plans(&providers)).await.transpose()?.is_none() {
                return Ok(stop.early(sandbox).await);
            }
            let mut ropts = session::refresh_options(&budgets, session::data_requests(&stack.config), events.clone());
            ropts.cancel = ints.cancel.clone();
            // Reads change nothing: on Ctrl-C they are dropped rather than waited for.
            match ints.guard(clusterform_executor::refresh(&state, &exec_providers, ropts)).await {
                Some(Ok(r)) => PlanContext::from_refresh(r),
                None | Some(Err(RefreshError::Cancelled)) => return Ok(stop.early(sandbox).await),
                Some(Err(e)) => return Err(anyhow!("{e}")),
            }
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
            if !stop.lease_held(heartbeat.as_ref()) {
                return Ok(stop.lease_lost(sandbox).await);
            }
            save_state(&store, &stack, &state, ctx.refreshed.clone(), &ctx.data)?;
            shutdown(sandbox).await;
            let outcome = fail_if_unadoptable(ui, &unadoptable);
            // The plan on stdout already says so; only the JSON stream needs the summary.
            progress.summary(&summary(operation, outcome, None, &plan), "");
            return Ok(outcome);
        }
        if !run.auto_approve && saved.is_none() {
            if !ui.stdin_tty {
                bail!("{operation} needs approval and stdin is not a terminal\nhint: pass --auto-approve, or apply a saved plan file");
            }
            let asked = output::ask(&format!("Do you want to {operation}? Only 'yes' is accepted: "))
                .context("failed to ask for approval")?;
            let answer = match ints.guard(asked).await {
                None => return Ok(stop.early(sandbox).await),
                Some(Ok(a)) => a.context("failed to read the answer")?,
                Some(Err(_)) => bail!("failed to read the answer"),
            };
            if answer != "yes" {
                output::info(&format!("{operation} cancelled."));
                shutdown(sandbox).await;
                return Ok(Outcome::Failed);
            }
        }
        if ints.requested() {
            return Ok(stop.early(sandbox).await);
        }
        let opts = ApplyOptions {
            parallelism: run.parallelism.max(1),
            budgets,
            cancel: ints.cancel.clone(),
            events,
            resolver: Arc::new(ConfigResolver { config: stack.config.clone() }),
            in_flight,
            poll: session::poll_options(sandbox.as_ref()),
            ..Default::default()
        };
        let report = clusterform_executor::apply(&plan, ctx.refreshed.clone(), &exec_providers, sink, opts)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        if !stop.lease_held(heartbeat.as_ref()) {
            return Ok(stop.lease_lost(sandbox).await);
        }
        save_state(&store, &stack, &state, report.state.clone(), &ctx.data)?;
        shutdown(sandbox).await;
        report_unresolved(ui, &report.unresolved);
        if report.cancelled {
            progress.note(&format!(
                "Interrupted: {} done, {} not started; state saved and the journal kept for the next run.",
                report.done.len(),
                report.not_started.len() + report.interrupted.len()
            ));
            progress.summary(&summary(operation, Outcome::Interrupted, Some(&report), &plan), "");
            return Ok(Outcome::Interrupted);
        }
        for f in &report.failed {
            output::error(ui, &format!("{}: {}", f.address, f.message));
        }
        if let Some(h) = &report.halted {
            output::error(ui, &format!("apply halted: {h}"));
        }
        let outcome = if report.is_success() { fail_if_unadoptable(ui, &unadoptable) } else { Outcome::Failed };
        let s = plan.summary();
        let text = format!(
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
        );
        progress.summary(&summary(operation, outcome, Some(&report), &plan), &text);
        Ok(outcome)
    })
}

/// How a run that stops early ends: lease lost (exit 1) or Ctrl-C (exit 130).
struct Stop<'a> {
    ui: &'a Ui,
    progress: &'a Arc<Progress>,
    lost: &'a Arc<AtomicBool>,
    operation: &'a str,
}

impl Stop<'_> {
    /// Stopped before applying anything: by Ctrl-C, or because the lease was lost.
    async fn early(&self, sandbox: Option<session::Sandbox>) -> Outcome {
        if self.lost.load(Ordering::SeqCst) {
            return self.lease_lost(sandbox).await;
        }
        shutdown(sandbox).await;
        self.progress.note(&format!(
            "Interrupted: {} stopped before changing anything.",
            self.operation
        ));
        let s = Summary {
            operation: self.operation.to_string(),
            outcome: "interrupted".into(),
            ..Default::default()
        };
        self.progress.summary(&s, "");
        Outcome::Interrupted
    }

    /// Whether the lock (if taken) is still this run's, checked right before writing state.
    fn lease_held(&self, heartbeat: Option<&Heartbeat>) -> bool {
        !self.lost.load(Ordering::SeqCst) && heartbeat.is_none_or(Heartbeat::still_held)
    }

    async fn lease_lost(&self, sandbox: Option<session::Sandbox>) -> Outcome {
        shutdown(sandbox).await;
        output::error(
            self.ui,
            &format!(
                "{} stopped: the state lock's lease was lost to another run; state was not written\nhint: the run holding the lock now resumes what this one left in flight",
                self.operation
            ),
        );
        let s = Summary {
            operation: self.operation.to_string(),
            outcome: "failed".into(),
            ..Default::default()
        };
        self.progress.summary(&s, "");
        Outcome::Failed
    }
}

fn summary(
    operation: &str,
    outcome: Outcome,
    report: Option<&ApplyReport>,
    plan: &Plan,
) -> Summary {
    let s = plan.summary();
    let planned = [
        ("create", s.create),
        ("update", s.update),
        ("upgrade", s.upgrade),
        ("replace", s.replace),
        ("delete", s.delete),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Summary {
        operation: operation.to_string(),
        outcome: match outcome {
            Outcome::Success | Outcome::Changes => "success",
            Outcome::Failed => "failed",
            Outcome::Interrupted => "interrupted",
        }
        .into(),
        done: report.map_or(0, |r| r.done.len()),
        failed: report.map_or(0, |r| r.failed.len()),
        skipped: report.map_or(0, |r| r.skipped.len()),
        interrupted: report.map_or(0, |r| r.interrupted.len()),
        not_started: report.map_or(0, |r| r.not_started.len()),
        planned,
    }
}

/// `destroy` after an interrupted apply: objects whose create was in flight but which never
/// reached state are looked up (by journaled id, else through `find` with the config's values)
/// and recorded, so the destroy deletes them. Those the cloud does not have are settled in the
/// journal; those that cannot be looked up are returned, for the command to fail naming them.
async fn adopt_unrecorded(
    stack: &stack::Stack,
    state: &mut State,
    in_flight: &mut Vec<InFlight>,
    providers: &clusterform_executor::Providers,
    sink: &dyn ApplySink,
    lookup: &LookupOptions,
    progress: &Progress,
) -> Result<Vec<(InFlight, String)>> {
    let values = crate::run::values_of(state);
    let desired = |a: &Address| -> Option<Attrs> {
        let rc = stack.config.resource(a)?;
        let mut out = Attrs::new();
        for (k, e) in &rc.attrs {
            if let Ok(v) = values.eval(&e.value) {
                if !v.contains_unknown() {
                    out.insert(k.clone(), v);
                }
            }
        }
        Some(out)
    };
    let adoption = clusterform_executor::adopt(state, in_flight, providers, &desired, lookup)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    for mut rs in adoption.adopted {
        if let Some(rc) = stack.config.resource(&rs.address) {
            rs.dependencies = clusterform_planner::config_dependencies(rc)
                .into_iter()
                .collect();
            // Values the config makes sensitive are recorded sealed, as apply records them.
            rs.sensitive_attrs = rc.sensitive_attrs.clone();
            clusterform_state::seal_resource(&mut rs, &state.lineage, |_, _| false);
        }
        progress.note(&format!(
            "{}: adopted {} that an interrupted run was creating; it will be destroyed",
            rs.address, rs.id
        ));
        state.resources.insert(rs.address.clone(), rs);
    }
    for f in &adoption.absent {
        // Nothing reached the cloud: the step is over.
        sink.completed(&f.address, f.step, None)
            .map_err(|e| anyhow!("{e}"))?;
        in_flight.retain(|x| !(x.address == f.address && x.step == f.step));
    }
    Ok(adoption.unknown)
}

/// Names in-flight steps that could not be looked up; the run fails so a person looks at them.
fn fail_if_unadoptable(ui: &Ui, unknown: &[(InFlight, String)]) -> Outcome {
    for (f, why) in unknown {
        output::error(
            ui,
            &format!(
                "{}: an interrupted run's {} may have left an object in the cloud that is not in state ({why})\nhint: find it in the cloud console and delete it, or `clusterform import {} ID` it and destroy again",
                f.address,
                f.step.as_str(),
                f.address
            ),
        );
    }
    if unknown.is_empty() {
        Outcome::Success
    } else {
        Outcome::Failed
    }
}

/// Warns about in-flight steps apply could not settle (their address left the config and the
/// state): the object may exist in the cloud unrecorded, so the journal keeps them.
fn report_unresolved(ui: &Ui, unresolved: &[InFlight]) {
    for f in unresolved {
        let id = f
            .object_id
            .as_deref()
            .map(|i| format!(" (object {i})"))
            .unwrap_or_default();
        output::error(
            ui,
            &format!(
                "{}: an interrupted run's {} is still in flight{id} but the address is neither planned nor in state; the object may exist in the cloud unrecorded\nhint: run `clusterform destroy` to adopt and delete it, or put the resource back in the config and apply",
                f.address,
                f.step.as_str()
            ),
        );
    }
}

/// Writes the final state (outputs evaluated against it and the data sources this run read)
/// with the serial bumped.
pub(super) fn save_state(
    store: &clusterform_state::LocalStore,
    stack: &stack::Stack,
    prior: &State,
    mut next: State,
    data: &BTreeMap<Address, Attrs>,
) -> Result<()> {
    // Values the config now makes sensitive but an older state holds in clear (recorded before
    // the variable was marked sensitive, or by an older build) are sealed as they are written.
    for rs in next.resources.values_mut() {
        let Some(rc) = stack.config.resource(&rs.address) else {
            continue;
        };
        let unsealed = rc
            .sensitive_attrs
            .iter()
            .filter(|n| rs.attributes.contains_key(*n) && !rs.sensitive_attrs.contains(n));
        let unsealed: Vec<String> = unsealed.cloned().collect();
        if !unsealed.is_empty() {
            rs.sensitive_attrs.extend(unsealed);
            clusterform_state::seal_resource(rs, &prior.lineage, |_, _| false);
        }
    }
    let mut values = crate::run::values_of(&next);
    // Outputs built from data sources are recorded too; left out, every plan would show them
    // as new.
    for (addr, attrs) in data {
        values.insert(addr.clone(), attrs.clone());
    }
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

pub(super) async fn shutdown(sandbox: Option<session::Sandbox>) {
    if let Some(s) = sandbox {
        s.emulator.shutdown().await;
    }
}
