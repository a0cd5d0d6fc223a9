//! `clusterform validate`: parse and check a stack without state or cloud access.

use anyhow::Result;

use crate::cli::ValidateArgs;
use crate::exit::Outcome;
use crate::output::{self, Ui};
use crate::stack;

pub fn run(args: &ValidateArgs, ui: &Ui) -> Result<Outcome> {
    let loaded = match stack::load(&args.stack, ui) {
        Ok(s) => s,
        Err(f) => {
            if args.json {
                output::data(&serde_json::json!({ "valid": false }).to_string());
            }
            return super::load_failed(f);
        }
    };
    let c = &loaded.config;
    if args.json {
        output::data(
            &serde_json::json!({
                "valid": true,
                "stack": c.stack_name,
                "resources": c.resources.len(),
                "data_sources": c.data.len(),
                "outputs": c.outputs.len(),
            })
            .to_string(),
        );
    } else {
        output::info(&format!(
            "Success! The stack `{}` is valid: {} resources, {} data sources, {} outputs.",
            c.stack_name,
            c.resources.len(),
            c.data.len(),
            c.outputs.len()
        ));
    }
    Ok(Outcome::Success)
}
