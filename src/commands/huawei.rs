//! `clusterform huawei addon-rollback | upgrade-retry | upgrade-cancel`: imperative actions on
//! objects the stack manages, outside the declarative model (the next `plan` shows any difference
//! they leave from the config).

use std::time::Instant;

use anyhow::{anyhow, bail, Result};
use clusterform_model::{Address, ResourceState};
use clusterform_provider::{Poll, Provider};

use crate::cli::HuaweiCommand;
use crate::exit::Outcome;
use crate::output::{self, Ui};
use crate::{session, stack};

pub fn run(cmd: &HuaweiCommand, ui: &Ui) -> Result<Outcome> {
    let (address, dir, var, lock) = match cmd {
        HuaweiCommand::AddonRollback(a) | HuaweiCommand::UpgradeRetry(a) => {
            (&a.address, &a.dir, &a.var, &a.lock)
        }
        HuaweiCommand::UpgradeCancel(a) => (&a.address, &a.dir, &a.var, &a.lock),
    };
    let addr: Address = address.parse().map_err(|e| anyhow!("{e}"))?;
    let stack = match stack::load_dir(dir, &var.vars, &var.var_files, ui) {
        Ok(s) => s,
        Err(f) => return super::load_failed(f),
    };
    let expected = match cmd {
        HuaweiCommand::AddonRollback(_) => "huawei_autopilot_addon",
        _ => "huawei_autopilot_cluster",
    };
    if addr.type_name != expected {
        bail!("{addr} is not a {expected}");
    }
    let store = session::open_store(&stack)?;
    let rt = super::runtime()?;
    rt.block_on(async {
        // Held (and its lease renewed) for the whole action, so it never runs under an apply
        // that is changing the object.
        let _heartbeat = session::lock(&store, lock, "huawei action")?
            .map(|g| crate::run::spawn_heartbeat(g, clusterform_executor::CancelToken::new()));
        let (state, _) = session::recover(&store)?;
        let Some(recorded) = state.get(&addr).cloned() else {
            bail!("{addr} is not in the state\nhint: see `clusterform state list`");
        };
        let mut sandbox = None;
        let providers = session::providers(&stack, &mut sandbox).await?;
        let p = providers.get("huawei").ok_or_else(|| anyhow!("the stack configures no huawei provider"))?;
        let result = match cmd {
            HuaweiCommand::AddonRollback(_) => rollback(p, &recorded, session::poll_options(sandbox.as_ref())).await,
            HuaweiCommand::UpgradeRetry(_) => p
                .retry_upgrade(&recorded.id)
                .await
                .map(|()| format!("{addr}: the failed upgrade task was restarted; `clusterform apply` waits for it"))
                .map_err(|e| anyhow!("{addr}: {e}")),
            HuaweiCommand::UpgradeCancel(a) => p
                .cancel_upgrade_workflow(&recorded.id, &a.workflow_id)
                .await
                .map(|phase| format!("{addr}: upgrade workflow {} is now {phase}", a.workflow_id))
                .map_err(|e| anyhow!("{addr}: {e}")),
        };
        if let Some(s) = sandbox {
            s.emulator.shutdown().await;
        }
        output::info(&result?);
        Ok(Outcome::Success)
    })
}

async fn rollback(
    p: &clusterform_provider_huawei::HuaweiProvider,
    recorded: &ResourceState,
    poll: clusterform_executor::PollOptions,
) -> Result<String> {
    let addr = &recorded.address;
    let cluster_id = recorded
        .attributes
        .get("cluster_id")
        .and_then(|v| v.as_str())
        .ok_or_else(|| anyhow!("{addr} has no cluster_id in state"))?;
    let mut op = p
        .rollback_addon(&recorded.id, cluster_id)
        .await
        .map_err(|e| anyhow!("{addr}: {e}"))?;
    let rtype = p
        .resource(&addr.type_name)
        .ok_or_else(|| anyhow!("unknown type {}", addr.type_name))?;
    let started = Instant::now();
    let deadline = std::time::Duration::from_secs(900);
    loop {
        match rtype.poll(&op).await {
            Ok(Poll::Done { attrs }) => {
                let version = attrs
                    .as_ref()
                    .and_then(|a| a.get("version"))
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "its previous version".into());
                return Ok(format!("{addr}: rolled back to {version}; run `clusterform plan` to compare with the config"));
            }
            Ok(Poll::Failed { message }) => bail!("{addr}: rollback failed: {message}"),
            Ok(Poll::Running { phase, .. }) => output::info(&format!("{addr}: {phase}")),
            Ok(Poll::Continue { op: next, phase }) => {
                output::info(&format!("{addr}: {phase}"));
                op = next;
            }
            Err(e) if e.is_retryable() => output::info(&format!("{addr}: {e}; polling again")),
            Err(e) => bail!("{addr}: {e}"),
        }
        if started.elapsed() > deadline {
            bail!("{addr}: the rollback did not finish within 15 minutes");
        }
        tokio::time::sleep(poll.min_interval).await;
    }
}
