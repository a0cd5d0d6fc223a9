//! The `clusterform` CLI: thin commands over library calls. Each command parses its arguments,
//! calls the libraries, renders the result (stdout = data, stderr = everything else) and returns an
//! `Outcome` that `exit.rs` maps onto the one exit-code table.

pub mod cli;
mod commands;
pub mod exit;
mod output;
mod planfile;
mod providers;
mod run;
mod session;
mod stack;

/// The resolver apply uses, for the apply benchmark to drive the executor exactly as the CLI does.
pub use run::ConfigResolver;

use std::process::ExitCode;

use clap::Parser;

use crate::exit::Outcome;
use crate::output::Ui;

/// Runs the CLI with the process arguments and returns its exit code.
pub fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version to stdout and errors to stderr; flag errors exit 1,
            // not clap's 2, because 2 means "changes present" here.
            let _ = e.print();
            return if e.use_stderr() {
                Outcome::Failed.into()
            } else {
                Outcome::Success.into()
            };
        }
    };
    let ui = Ui::detect(cli.no_color);
    match commands::run(cli.command, &ui) {
        Ok(outcome) => outcome.into(),
        Err(err) => {
            report_error(&ui, &err);
            Outcome::Failed.into()
        }
    }
}

/// Prints an error with its causes; a `hint:` line inside any message stays on its own line.
fn report_error(ui: &Ui, err: &anyhow::Error) {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        text.push_str(&format!("\n  caused by: {cause}"));
    }
    output::error(ui, &text);
}
