//! `clusterform import ADDR ID`: read an existing cloud object and record it under an address of
//! the stack; `plan` afterwards shows how it differs from the config.

use anyhow::{anyhow, bail, Result};
use clusterform_model::{Address, Attrs, ResourceState};
use clusterform_provider::Provider;
use clusterform_state::StateStore;

use crate::cli::ImportArgs;
use crate::exit::Outcome;
use crate::output::{self, Ui};
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
        let store = session::open_store(&stack)?;
        let _guard = session::lock(&store, &args.lock, "import")?;
        let (mut state, in_flight) = session::recover(&store)?;
        if !in_flight.is_empty() {
            bail!("an apply left actions in flight\nhint: run `clusterform apply` to finish them first");
        }
        if state.resources.contains_key(&addr) {
            bail!("{addr} is already in the state\nhint: `clusterform state rm {addr}` first to import another object");
        }
        let mut sandbox = None;
        let providers = session::providers(&stack, &mut sandbox).await?;
        let provider = providers.get(&rc.provider).ok_or_else(|| anyhow!("provider `{}` is not configured", rc.provider))?;
        let rtype = provider.resource(&addr.type_name).ok_or_else(|| anyhow!("unknown resource type {}", addr.type_name))?;
        let found = rtype.read(&args.id, &Attrs::new()).await.map_err(|e| anyhow!("failed to read {} {}: {e}", addr.type_name, args.id))?;
        let Some(found) = found else {
            bail!("no {} with id {} exists\nhint: check the id in the cloud console", addr.type_name, args.id);
        };
        let mut imported = ResourceState {
            address: addr.clone(),
            provider: rc.provider.clone(),
            id: found.id.clone(),
            attributes: found.attrs,
            dependencies: clusterform_planner::config_dependencies(rc).into_iter().collect(),
            tainted: false,
            private: serde_json::Value::Null,
            sensitive_attrs: rc.sensitive_attrs.clone(),
        };
        let schema = rtype.schema();
        clusterform_state::seal_resource(&mut imported, &state.lineage, |_, n| schema.sensitive || schema.attr(n).is_some_and(|a| a.sensitive));
        state.resources.insert(addr.clone(), imported);
        state.serial += 1;
        store.write(&state).map_err(|e| anyhow!("{e}"))?;
        if let Some(s) = sandbox {
            s.emulator.shutdown().await;
        }
        output::info(&format!("Imported {} as {addr}. Run `clusterform plan` to see how it differs from the config.", found.id));
        Ok(Outcome::Success)
    })
}
