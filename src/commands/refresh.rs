//! `clusterform refresh`: lock (with heartbeat), read every recorded object from the cloud, record
//! what changed outside clusterform and drop what is gone, unlock. Changes nothing in the cloud.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use anyhow::{anyhow, Result};
use clusterform_executor::{in_flight_from, RefreshError};

use crate::cli::RefreshArgs;
use crate::exit::Outcome;
use crate::output::{self, Ui};
use crate::run::{spawn_heartbeat, Interrupts, Mode, Progress, Summary};
use crate::{session, stack};

use super::apply::{save_state, shutdown};

pub fn run(args: &RefreshArgs, ui: &Ui) -> Result<Outcome> {
    let stack = match stack::load(&args.stack, ui) {
        Ok(s) => s,
        Err(f) => return super::load_failed(f),
    };
    let rt = super::runtime()?;
    rt.block_on(async {
        let ints = Interrupts::install();
        let store = session::open_store(&stack)?;
        let guard = session::lock(&store, &args.lock, "refresh")?;
        ints.arm();
        let heartbeat = guard.map(|g| spawn_heartbeat(g, ints.cancel.clone()));
        let progress = Progress::new(Mode::detect(ui, args.json), ui);
        progress.start_ticker();
        let (state, in_flight) = session::recover(&store)?;
        let mut sandbox = None;
        let providers = match ints.guard(session::providers(&stack, &mut sandbox)).await {
            Some(p) => p?,
            None => return Ok(stopped(ui, &progress, heartbeat.as_ref(), sandbox).await),
        };
        let (exec_providers, budgets) = session::executor_providers(&stack, &providers);
        let events: Arc<dyn clusterform_executor::Events> = progress.clone();
        let mut opts =
            session::refresh_options(&budgets, session::data_requests(&stack.config), events);
        opts.cancel = ints.cancel.clone();
        // Reads change nothing: on Ctrl-C they are dropped rather than waited for.
        let r = match ints
            .guard(clusterform_executor::refresh(&state, &exec_providers, opts))
            .await
        {
            Some(Ok(r)) => r,
            None | Some(Err(RefreshError::Cancelled)) => {
                return Ok(stopped(ui, &progress, heartbeat.as_ref(), sandbox).await)
            }
            Some(Err(e)) => return Err(anyhow!("{e}")),
        };
        if heartbeat.as_ref().is_some_and(|h| !h.still_held()) {
            return Ok(stopped(ui, &progress, heartbeat.as_ref(), sandbox).await);
        }
        // Steps an interrupted apply left in flight for objects not in state: refresh cannot
        // see them, so say so (apply finishes them; destroy adopts and deletes them).
        for f in in_flight_from(&in_flight) {
            if !r.state.resources.contains_key(&f.address) && !r.gone.contains(&f.address) {
                output::error(
                    ui,
                    &format!(
                        "{}: an interrupted run's {} is still in flight and not in state; the object may exist in the cloud unrecorded\nhint: run `clusterform apply` to finish it, or `clusterform destroy` to adopt and delete it",
                        f.address,
                        f.step.as_str()
                    ),
                );
            }
        }
        let summary = Summary {
            operation: "refresh".into(),
            outcome: "success".into(),
            done: r.state.resources.len(),
            ..Default::default()
        };
        let text = format!(
            "Refresh complete: {} read, {} changed outside clusterform, {} gone.",
            r.state.resources.len() + r.gone.len(),
            r.drift.len(),
            r.gone.len()
        );
        save_state(&store, &stack, &state, r.state, &r.data)?;
        shutdown(sandbox).await;
        progress.summary(&summary, &text);
        Ok(Outcome::Success)
    })
}

/// Interrupted by Ctrl-C (exit 130), or the lease was lost (exit 1); state is not written.
async fn stopped(
    ui: &Ui,
    progress: &Progress,
    heartbeat: Option<&crate::run::Heartbeat>,
    sandbox: Option<session::Sandbox>,
) -> Outcome {
    shutdown(sandbox).await;
    let lost = heartbeat.is_some_and(|h| h.lost_flag().load(Ordering::SeqCst));
    let (outcome, word) = if lost {
        output::error(
            ui,
            "refresh stopped: the state lock's lease was lost to another run; state was not written",
        );
        (Outcome::Failed, "failed")
    } else {
        progress.note("Interrupted: refresh stopped; state was not written.");
        (Outcome::Interrupted, "interrupted")
    };
    let s = Summary {
        operation: "refresh".into(),
        outcome: word.into(),
        ..Default::default()
    };
    progress.summary(&s, "");
    outcome
}
