//! One module per command, each a thin wrapper over library calls.

mod fmt;
mod validate;

use anyhow::Result;

use crate::cli::Command;
use crate::exit::Outcome;
use crate::output::Ui;
use crate::stack::LoadFailure;

pub fn run(command: Command, ui: &Ui) -> Result<Outcome> {
    match command {
        Command::Validate(a) => validate::run(&a, ui),
        Command::Fmt(a) => fmt::run(&a, ui),
        other => anyhow::bail!("`{}` is not available in this build yet", command_name(&other)),
    }
}

fn command_name(c: &Command) -> &'static str {
    match c {
        Command::Validate(_) => "validate",
        Command::Fmt(_) => "fmt",
        Command::Plan(_) => "plan",
        Command::Apply(_) => "apply",
        Command::Destroy(_) => "destroy",
        Command::Refresh(_) => "refresh",
        Command::Import(_) => "import",
        Command::Show(_) => "show",
        Command::Output(_) => "output",
        Command::Graph(_) => "graph",
        Command::State(_) => "state",
        Command::ForceUnlock(_) => "force-unlock",
        Command::Emulator(_) => "emulator",
    }
}

/// Turns a stack-load failure into the command's result: diagnostics already printed → exit 1.
fn load_failed(f: LoadFailure) -> Result<Outcome> {
    match f {
        LoadFailure::Reported => Ok(Outcome::Failed),
        LoadFailure::Error(e) => Err(e),
    }
}
