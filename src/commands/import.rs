//! `clusterform import ADDR ID`: read an existing cloud object and record it under an address of
//! the stack; `plan` afterwards shows how it differs from the config. The read goes through the
//! executor, within the provider's rate budget and with its retries.

use anyhow::{anyhow, bail, Result};
use clusterform_executor::{LookupError, LookupOptions};
use clusterform_model::{Address, ResourceState};
use clusterform_provider::Provider;
use clusterform_state::StateStore;

use crate::cli::ImportArgs;
use crate::exit::Outcome;
use crate::output::{self, Ui};
use crate::run::{spawn_heartbeat, Interrupts, Mode, Progress};
use crate::{session, stack};

pub fn run(args: &ImportArgs, ui: &Ui) -> Result<Outcome> {
    let addr: Address = args.address.parse().map_err(|e| anyhow!("{e}"))?;
    let stack = match stack::load(&args.stack, ui) {
        Ok(s) => s,
        Err(f) => return super::load_failed(f),
    };
    let Some(rc) = stack.config.resources.iter().find(|r| r.address == addr) else {
        bail!(
            "{addr} is not a resource of this stack\nhint: add a [resources.{}.{}] block first",
            addr.type_name,
            addr.name
        );
    };
    let rt = super::runtime()?;
    rt.block_on(async {
        let ints = Interrupts::install();
        let store = session::open_store(&stack)?;
        let guard = session::lock(&store, &args.lock, "import")?;
        ints.arm();
        let heartbeat = guard.map(|g| spawn_heartbeat(g, ints.cancel.clone()));
        let (mut state, in_flight) = session::recover(&store)?;
        if !in_flight.is_empty() {
            bail!("an apply left actions in flight\nhint: run `clusterform apply` to finish them first");
        }
        if state.resources.contains_key(&addr) {
            bail!("{addr} is already in the state\nhint: `clusterform state rm {addr}` first to import another object");
        }
        let mut sandbox = None;
        let providers = match ints.guard(session::providers(&stack, &mut sandbox)).await {
            Some(p) => p?,
            None => return Ok(stopped(ui, heartbeat.as_ref(), sandbox).await),
        };
        let (exec_providers, budgets) = session::executor_providers(&stack, &providers);
        let progress = Progress::new(Mode::detect(ui, false), ui);
        let lookup = LookupOptions {
            budgets,
            events: progress.clone(),
            cancel: ints.cancel.clone(),
            ..Default::default()
        };
        let found = clusterform_executor::import(&addr, &rc.provider, &args.id, &exec_providers, &lookup).await;
        let found = match found {
            Err(LookupError::Cancelled) => return Ok(stopped(ui, heartbeat.as_ref(), sandbox).await),
            Err(e) => bail!("failed to import {} {}: {e}", addr.type_name, args.id),
            Ok(None) => {
                bail!("no {} with id {} exists\nhint: check the id in the cloud console", addr.type_name, args.id)
            }
            Ok(Some(rs)) => rs,
        };
        if heartbeat.as_ref().is_some_and(|h| !h.still_held()) {
            return Ok(stopped(ui, heartbeat.as_ref(), sandbox).await);
        }
        let id = found.id.clone();
        let mut imported = ResourceState {
            dependencies: clusterform_planner::config_dependencies(rc).into_iter().collect(),
            sensitive_attrs: rc.sensitive_attrs.clone(),
            ..found
        };
        // Secrets never reach state: schema-sensitive attributes dropped, config-sensitive ones
        // recorded as digests.
        let provider = providers.get(&rc.provider).ok_or_else(|| anyhow!("provider `{}` is not configured", rc.provider))?;
        let rtype = provider.resource(&addr.type_name).ok_or_else(|| anyhow!("unknown resource type {}", addr.type_name))?;
        let schema = rtype.schema();
        clusterform_state::seal_resource(&mut imported, &state.lineage, |_, n| schema.sensitive || schema.attr(n).is_some_and(|a| a.sensitive));
        state.resources.insert(addr.clone(), imported);
        state.serial += 1;
        store.write(&state).map_err(|e| anyhow!("{e}"))?;
        if let Some(s) = sandbox {
            s.emulator.shutdown().await;
        }
        output::info(&format!("Imported {id} as {addr}. Run `clusterform plan` to see how it differs from the config."));
        Ok(Outcome::Success)
    })
}

/// Interrupted by Ctrl-C (exit 130), or the lease was lost (exit 1); nothing is recorded.
async fn stopped(
    ui: &Ui,
    heartbeat: Option<&crate::run::Heartbeat>,
    sandbox: Option<session::Sandbox>,
) -> Outcome {
    if let Some(s) = sandbox {
        s.emulator.shutdown().await;
    }
    if heartbeat.is_some_and(|h| h.lost_flag().load(std::sync::atomic::Ordering::SeqCst)) {
        output::error(
            ui,
            "import stopped: the state lock's lease was lost to another run; nothing was recorded",
        );
        return Outcome::Failed;
    }
    output::info("Interrupted: import stopped; nothing was recorded.");
    Outcome::Interrupted
}
