//! Saved plans (`plan --out FILE`): a versioned JSON envelope around the `Plan`, with sensitive
//! values scrubbed, recording how the plan was made (stack directory, destroy mode, refresh,
//! `--target`, `--replace`, `--allow-replace` and the variable values). `apply FILE` plans again
//! under the lock with exactly those, and refuses the file when the config hash, the variable
//! values, the state's lineage or serial, the cloud fingerprints or the changes themselves have
//! moved since — and takes sensitive values from the (unchanged) config and environment, so they
//! never sit in a plan file.

mod variables;
mod verify;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clusterform_config::{LoadOptions, SourceFile, ENV_PREFIX};
use clusterform_model::{Address, Plan, PlanMode, Value, PLAN_FORMAT_VERSION};
use clusterform_planner::PlanOptions;
use serde::{Deserialize, Serialize};

use crate::cli::StackArgs;
use crate::output::Ui;
use crate::stack::{self, LoadFailure, Stack};

pub use variables::SavedVariables;
pub use verify::verify;

const MAGIC: &str = "clusterform-plan";

/// Version of the plan-file envelope. 1: the plan alone; 2: also how it was made (`made_with`).
pub const FILE_FORMAT_VERSION: u32 = 2;

#[derive(Debug, Serialize, Deserialize)]
struct PlanFile {
    format: String,
    format_version: u32,
    clusterform_version: String,
    created_at: String,
    made_with: MadeWith,
    plan: Plan,
}

/// How a saved plan was made: what `apply FILE` plans again with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MadeWith {
    /// The stack directory, absolute.
    pub stack_dir: PathBuf,
    /// The stack directory as it was given on the command line.
    pub stack_dir_given: PathBuf,
    pub mode: PlanMode,
    /// Whether the cloud was read before planning (`--refresh`).
    pub refresh: bool,
    #[serde(default)]
    pub targets: Vec<Address>,
    #[serde(default)]
    pub replace: Vec<Address>,
    #[serde(default)]
    pub allow_replace: Vec<Address>,
    pub variables: SavedVariables,
}

impl MadeWith {
    pub fn new(stack: &Stack, options: &PlanOptions, refresh: bool) -> MadeWith {
        MadeWith {
            stack_dir: std::fs::canonicalize(&stack.dir).unwrap_or_else(|_| stack.dir.clone()),
            stack_dir_given: stack.dir.clone(),
            mode: options.mode,
            refresh,
            targets: options.targets.clone(),
            replace: options.replace.clone(),
            allow_replace: options.allow_replace.clone(),
            variables: SavedVariables::of(&stack.config),
        }
    }

    pub fn plan_options(&self) -> PlanOptions {
        PlanOptions {
            mode: self.mode,
            targets: self.targets.clone(),
            replace: self.replace.clone(),
            allow_replace: self.allow_replace.clone(),
        }
    }
}

/// A plan file read back: the plan and how it was made.
#[derive(Debug, Clone)]
pub struct Saved {
    pub path: PathBuf,
    pub plan: Plan,
    pub made_with: MadeWith,
}

impl Saved {
    /// The stack the plan was made from: the first of its recorded directory, that directory as
    /// given (relative to the working directory), the plan file's directory and the working
    /// directory whose files hash to the plan's config hash.
    pub fn stack_dir(&self) -> Result<PathBuf> {
        let m = &self.made_with;
        let mut candidates = vec![m.stack_dir.clone(), m.stack_dir_given.clone()];
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            candidates.push(parent.to_path_buf());
        }
        candidates.push(PathBuf::from("."));
        for dir in &candidates {
            let Ok(files) = stack::read_files(dir) else {
                continue;
            };
            if clusterform_config::config_sha256(&files) == self.plan.config_sha256 {
                return Ok(dir.clone());
            }
        }
        bail!(
            "the saved plan is stale: the configuration changed (the stack it was made from, {}, no longer hashes to the plan's config hash)\nhint: run `clusterform plan --out FILE` again",
            m.stack_dir.display()
        )
    }
}

/// Replaces every sensitive value in the plan by null (attributes the schema marks sensitive, and
/// sensitive outputs).
pub fn scrub(plan: &mut Plan) {
    for c in &mut plan.changes {
        let sensitive = c.sensitive_attrs.clone();
        for attrs in [c.before.as_mut(), c.after.as_mut()].into_iter().flatten() {
            for name in &sensitive {
                if let Some(v) = attrs.get_mut(name) {
                    *v = Value::Null;
                }
            }
        }
        for d in c.attr_changes.iter_mut().chain(c.drift.iter_mut()) {
            let top = d.path.split('.').next().unwrap_or_default();
            if d.sensitive || sensitive.iter().any(|s| s == top) {
                d.sensitive = true;
                d.before = d.before.as_ref().map(|_| Value::Null);
                d.after = d.after.as_ref().map(|_| Value::Null);
            }
        }
    }
    for o in &mut plan.outputs {
        if o.sensitive {
            o.before = o.before.as_ref().map(|_| Value::Null);
            o.after = o.after.as_ref().map(|_| Value::Null);
        }
    }
}

pub fn save(path: &Path, plan: &Plan, made_with: &MadeWith) -> Result<()> {
    let mut plan = plan.clone();
    scrub(&mut plan);
    let file = PlanFile {
        format: MAGIC.to_string(),
        format_version: FILE_FORMAT_VERSION,
        clusterform_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        made_with: made_with.clone(),
        plan,
    };
    let text = serde_json::to_vec_pretty(&file).context("failed to encode the plan")?;
    let tmp = path.with_extension("tmp-plan");
    std::fs::write(&tmp, text).with_context(|| format!("failed to write {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("failed to write plan file {}", path.display()))
}

pub fn load(path: &Path) -> Result<Saved> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("failed to read plan file {}", path.display()))?;
    let head: serde_json::Value = serde_json::from_slice(&bytes).with_context(|| {
        format!("{} is not a saved plan (not JSON)\nhint: create one with `clusterform plan --out FILE`", path.display())
    })?;
    if head.get("format").and_then(|f| f.as_str()) != Some(MAGIC) {
        bail!(
            "{} is not a saved plan\nhint: create one with `clusterform plan --out FILE`",
            path.display()
        );
    }
    let version = head
        .get("format_version")
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    if version > u64::from(FILE_FORMAT_VERSION) {
        bail!(
            "{} is plan format {version}, but this clusterform reads up to {FILE_FORMAT_VERSION}\nhint: use the clusterform that made it, or plan again",
            path.display()
        );
    }
    if version < u64::from(FILE_FORMAT_VERSION) {
        bail!(
            "{} is plan format {version}, made by an older clusterform that did not record the options and variables a plan was made with, so it cannot be applied safely\nhint: plan again with `clusterform plan --out FILE`",
            path.display()
        );
    }
    let file: PlanFile = serde_json::from_value(head).with_context(|| {
        format!(
            "plan file {} is damaged\nhint: plan again with `clusterform plan --out FILE`",
            path.display()
        )
    })?;
    if file.plan.format_version > PLAN_FORMAT_VERSION {
        bail!(
            "{} holds a plan of format {}, but this clusterform reads up to {PLAN_FORMAT_VERSION}\nhint: use the clusterform that made it, or plan again",
            path.display(),
            file.plan.format_version
        );
    }
    Ok(Saved {
        path: path.to_path_buf(),
        plan: file.plan,
        made_with: file.made_with,
    })
}

/// Loads the stack a run plans with: from the command's arguments, or for a saved plan with the
/// variable values it recorded (as a var file named after the plan file; the environment's
/// `CLUSTERFORM_VAR_*` and defaults still apply, and the digest check catches any difference).
pub fn load_stack(args: &StackArgs, saved: Option<&Saved>, ui: &Ui) -> Result<Stack, LoadFailure> {
    let Some(saved) = saved else {
        return stack::load(args, ui);
    };
    let mut opts: LoadOptions = stack::load_options(&args.dir, &[], &[])?;
    opts.var_files.push(SourceFile {
        path: saved.path.clone(),
        text: saved.made_with.variables.var_file_text(),
    });
    let loaded = stack::load_with(&args.dir, &opts, ui);
    let sensitive: Vec<String> = saved
        .made_with
        .variables
        .values
        .iter()
        .filter(|(_, v)| v.sensitive)
        .map(|(name, _)| format!("{ENV_PREFIX}{name}"))
        .collect();
    if matches!(loaded, Err(LoadFailure::Reported)) && !sensitive.is_empty() {
        crate::output::info(&format!(
            "hint: a saved plan keeps no sensitive variable values; set them in the environment ({})",
            sensitive.join(", ")
        ));
    }
    loaded
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use clusterform_model::{Action, Change, Disruption};

    use super::*;

    fn plan_with_secret() -> Plan {
        let mut after = BTreeMap::new();
        after.insert("password".to_string(), Value::str("hunter2"));
        after.insert("name".to_string(), Value::str("a"));
        Plan {
            format_version: PLAN_FORMAT_VERSION,
            mode: PlanMode::Normal,
            config_sha256: "abc".into(),
            lineage: Some("l".into()),
            serial: 3,
            changes: vec![Change {
                address: Address::managed("t", "a"),
                provider: "t".into(),
                action: Action::Create,
                disruption: Disruption::None,
                before: None,
                after: Some(after),
                id: None,
                attr_changes: vec![],
                reason: None,
                create_before_destroy: false,
                upgrade: vec![],
                drift: vec![],
                depends_on: vec![],
                timeouts: BTreeMap::new(),
                sensitive_attrs: vec!["password".into()],
            }],
            outputs: vec![],
            fingerprints: BTreeMap::new(),
            warnings: vec![],
            targets: vec![],
        }
    }

    #[test]
    fn saved_plans_round_trip_without_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.plan");
        save(&path, &plan_with_secret(), &made_with()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("hunter2"), "secret written to plan file");
        let back = load(&path).unwrap();
        assert_eq!(back.plan.config_sha256, "abc");
        assert_eq!(back.plan.serial, 3);
        assert_eq!(
            back.plan.changes[0].after.as_ref().unwrap()["name"],
            Value::str("a")
        );
        assert_eq!(back.made_with, made_with());
        assert_eq!(
            back.made_with.plan_options().replace,
            vec![Address::managed("t", "a")]
        );
    }

    fn made_with() -> MadeWith {
        MadeWith {
            stack_dir: "/stacks/s".into(),
            stack_dir_given: "s".into(),
            mode: PlanMode::Destroy,
            refresh: false,
            targets: vec![Address::managed("t", "b")],
            replace: vec![Address::managed("t", "a")],
            allow_replace: vec![Address::managed("t", "a")],
            variables: SavedVariables {
                sha256: "v".into(),
                values: BTreeMap::new(),
            },
        }
    }

    #[test]
    fn older_files_without_options_are_refused_with_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.plan");
        std::fs::write(
            &path,
            r#"{"format":"clusterform-plan","format_version":1,"plan":{}}"#,
        )
        .unwrap();
        let e = load(&path).unwrap_err().to_string();
        assert!(
            e.contains("plan format 1, made by an older clusterform"),
            "{e}"
        );
        assert!(e.contains("hint: plan again"), "{e}");
    }

    #[test]
    fn newer_or_foreign_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.plan");
        std::fs::write(
            &path,
            r#"{"format":"clusterform-plan","format_version":99}"#,
        )
        .unwrap();
        assert!(load(&path).unwrap_err().to_string().contains("format 99"));
        std::fs::write(&path, "[stack]").unwrap();
        assert!(load(&path)
            .unwrap_err()
            .to_string()
            .contains("not a saved plan"));
    }
}
