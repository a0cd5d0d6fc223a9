//! One module per command, each a thin wrapper over library calls.

mod apply;
mod fmt;
mod huawei;
mod import;
mod plan;
mod refresh;
mod show;
mod state;
mod validate;

use anyhow::{Context, Result};

use crate::cli::Command;
use crate::exit::Outcome;
use crate::output::Ui;
use crate::stack::LoadFailure;

pub fn run(command: Command, ui: &Ui) -> Result<Outcome> {
    match command {
        Command::Validate(a) => validate::run(&a, ui),
        Command::Fmt(a) => fmt::run(&a, ui),
        Command::Plan(a) => plan::run(&a, ui),
        Command::Apply(a) => apply::apply(&a, ui),
        Command::Destroy(a) => apply::destroy(&a, ui),
        Command::Refresh(a) => refresh::run(&a, ui),
        Command::Import(a) => import::run(&a, ui),
        Command::Show(a) => show::show(&a, ui),
        Command::Output(a) => show::outputs(&a, ui),
        Command::Graph(a) => show::graph(&a, ui),
        Command::State(c) => state::run(&c, ui),
        Command::ForceUnlock(a) => state::force_unlock(&a, ui),
        Command::Huawei(c) => huawei::run(&c, ui),
    }
}

/// The async runtime of commands that talk to a cloud: two workers suit the target machines.
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("failed to start the async runtime")
}

/// Turns a stack-load failure into the command's result: diagnostics already printed → exit 1.
fn load_failed(f: LoadFailure) -> Result<Outcome> {
    match f {
        LoadFailure::Reported => Ok(Outcome::Failed),
        LoadFailure::Error(e) => Err(e),
    }
}
