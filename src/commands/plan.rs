//! `clusterform plan`: lock, replay the journal, refresh (unless `--refresh=false`), plan, render
//! (human, `--json`, `--markdown FILE`), save (`--out FILE`).

use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use clusterform_model::PlanMode;
use clusterform_planner::{render, HookMap, PlanOptions};
use clusterform_provider::Provider;

use crate::cli::PlanArgs;
use crate::exit::Outcome;
use crate::output::{self, Ui};
use crate::run::{spawn_heartbeat, Interrupts, Mode, Progress};
use crate::session::{self, PlanContext};
use crate::{planfile, stack};

pub fn run(args: &PlanArgs, ui: &Ui) -> Result<Outcome> {
    let stack = match stack::load(&args.stack, ui) {
        Ok(s) => s,
        Err(f) => return super::load_failed(f),
    };
    let options = PlanOptions {
        mode: if args.destroy {
            PlanMode::Destroy
        } else {
            PlanMode::Normal
        },
        targets: session::addresses("--target", &args.shape.target)?,
        replace: session::addresses("--replace", &args.shape.replace)?,
        allow_replace: session::addresses("--allow-replace", &args.shape.allow_replace)?,
    };
    let rt = super::runtime()?;
    let plan = rt.block_on(async {
        // Ctrl-C before the lock exits at once; after it, the refresh is dropped, the lock
        // released and the command exits 130 (a plan changes nothing, so nothing is saved).
        let ints = Interrupts::install();
        let store = session::open_store(&stack)?;
        // A long refresh must not outlive the lease: renew it as apply does.
        let _heartbeat = session::lock(&store, &args.lock, "plan")?
            .map(|g| spawn_heartbeat(g, ints.cancel.clone()));
        ints.arm();
        let (state, _) = session::recover(&store)?;
        if !args.shape.refresh {
            // Recorded state is both the prior and the "refreshed" state: one copy, not two
            // (a 10,000-resource state is tens of MB).
            let ctx = PlanContext {
                refreshed: state,
                data: Default::default(),
                fingerprints: Default::default(),
            };
            return session::make_offline_plan(&stack, &ctx.refreshed, &ctx, &options).map(Some);
        }
        let mut sandbox = None;
        let Some(providers) = ints.guard(session::providers(&stack, &mut sandbox)).await else {
            return interrupted(sandbox).await;
        };
        let providers = providers?;
        let (exec_providers, budgets) = session::executor_providers(&stack, &providers);
        if ints
            .guard(session::prepare_plans(&providers))
            .await
            .transpose()?
            .is_none()
        {
            return interrupted(sandbox).await;
        }
        let mut ropts = session::refresh_options(
            &budgets,
            session::data_requests(&stack.config),
            Progress::new(Mode::detect(ui, false), ui),
        );
        ropts.cancel = ints.cancel.clone();
        let r = match ints
            .guard(clusterform_executor::refresh(
                &state,
                &exec_providers,
                ropts,
            ))
            .await
        {
            Some(Ok(r)) => r,
            None | Some(Err(clusterform_executor::RefreshError::Cancelled)) => {
                return interrupted(sandbox).await;
            }
            Some(Err(e)) => return Err(anyhow!("{e}")),
        };
        let hooks: HookMap = providers
            .iter()
            .map(|(n, p)| (n.clone(), p.hooks()))
            .collect();
        let mut plan = session::make_plan(
            &stack,
            &state,
            &PlanContext::from_refresh(r),
            &hooks,
            &options,
        )?;
        if args.precheck && ints.guard(precheck(&mut plan, &providers)).await.is_none() {
            return interrupted(sandbox).await;
        }
        super::apply::shutdown(sandbox).await;
        Ok::<_, anyhow::Error>(Some(plan))
    })?;
    let Some(plan) = plan else {
        return Ok(Outcome::Interrupted);
    };
    // The plan owns everything it shows: the config need not stay in memory while rendering.
    let made_with = args
        .out
        .as_ref()
        .map(|_| planfile::MadeWith::new(&stack, &options, args.shape.refresh));
    drop(stack);

    if args.json {
        output::data(&render::render_json_string(&plan, true));
    } else {
        output::data(&render::render_human(&plan, ui.color_stdout));
    }
    if let Some(path) = &args.markdown {
        let md = render::render_markdown(&plan, render::DEFAULT_MARKDOWN_MAX_CHARS);
        std::fs::write(path, md).with_context(|| format!("failed to write {}", path.display()))?;
    }
    if let (Some(path), Some(made_with)) = (&args.out, &made_with) {
        planfile::save(path, &plan, made_with)?;
        output::info(&format!(
            "Saved the plan to {}; apply it with `clusterform apply {}`.",
            path.display(),
            path.display()
        ));
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        Outcome::Changes
    } else {
        Outcome::Success
    })
}

/// Ends a plan stopped by Ctrl-C after the lock was taken; the lock is released as the caller
/// returns.
async fn interrupted(sandbox: Option<session::Sandbox>) -> Result<Option<clusterform_model::Plan>> {
    super::apply::shutdown(sandbox).await;
    output::info("Interrupted: plan stopped; nothing was changed.");
    Ok(None)
}

/// Runs the cloud's pre-upgrade check for the first hop of every planned cluster upgrade and
/// records the result on the hop (opt-in: it creates check tasks in the cloud).
async fn precheck(
    plan: &mut clusterform_model::Plan,
    providers: &std::collections::BTreeMap<
        String,
        Arc<clusterform_provider_huawei::HuaweiProvider>,
    >,
) {
    for c in plan
        .changes
        .iter_mut()
        .filter(|c| c.action == clusterform_model::Action::Upgrade)
    {
        let (Some(p), Some(id)) = (providers.get(&c.provider), c.id.clone()) else {
            continue;
        };
        if let Some(hop) = c.upgrade.first_mut() {
            hop.precheck = Some(match p.precheck(&id, &hop.to).await {
                Ok(result) => result,
                Err(e) => format!("pre-check could not run: {e}"),
            });
        }
    }
}
