//! Planned output values: what each `[outputs.NAME]` will hold after apply, against what state
//! recorded, so plans can show output changes and apply can record them.

use std::collections::BTreeSet;

use clusterform_config::Config;
use clusterform_model::{OutputChange, PlanMode, State};

use crate::eval::PlannedValues;

/// One `OutputChange` per output in the config or the state, sorted by name.
///
/// An output removed from the config, or any output in destroy mode, plans to `None`. An output
/// whose references lie outside a `--target` selection keeps its recorded value. A sensitive
/// output recorded as a marker (`null`, see `OutputState`) is taken as unchanged.
pub fn evaluate_outputs(
    config: &Config,
    state: &State,
    values: &PlannedValues,
    mode: PlanMode,
) -> Vec<OutputChange> {
    let names: BTreeSet<&String> = config.outputs.keys().chain(state.outputs.keys()).collect();
    names
        .into_iter()
        .map(|name| {
            let recorded = state.outputs.get(name);
            let before = recorded.map(|o| o.value.clone());
            let conf = config.outputs.get(name);
            let after = match (mode, conf) {
                (PlanMode::Destroy, _) | (PlanMode::Normal, None) => None,
                (PlanMode::Normal, Some(o)) => match values.eval(&o.value.value) {
                    Ok(v) => Some(v),
                    Err(_) => before.clone(),
                },
            };
            let sensitive =
                conf.is_some_and(|o| o.sensitive) || recorded.is_some_and(|o| o.sensitive);
            // State keeps a sensitive output only as a marker (`null`), never its value, so
            // there is nothing to compare with: it shows as changing only when it appears,
            // goes, or becomes known after apply (`output NAME` re-evaluates it on demand).
            let marker = recorded.is_some_and(|o| o.sensitive && o.value.is_null());
            let before = match &after {
                Some(a) if marker && sensitive && !a.contains_unknown() => Some(a.clone()),
                _ => before,
            };
            OutputChange {
                name: name.clone(),
                before,
                after,
                sensitive,
            }
        })
        .collect()
}
