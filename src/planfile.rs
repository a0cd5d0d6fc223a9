//! Saved plans (`plan --out FILE`): a versioned JSON envelope around the `Plan`, with sensitive
//! values scrubbed. `apply FILE` re-plans under the lock and refuses the file when the config hash,
//! the state's lineage or serial, or the cloud fingerprints have moved since — and takes sensitive
//! values from the (unchanged) config, so they never sit in a plan file.

use std::path::Path;

use anyhow::{bail, Context, Result};
use clusterform_model::{Plan, Value, PLAN_FORMAT_VERSION};
use serde::{Deserialize, Serialize};

const MAGIC: &str = "clusterform-plan";

#[derive(Debug, Serialize, Deserialize)]
struct PlanFile {
    format: String,
    format_version: u32,
    clusterform_version: String,
    created_at: String,
    plan: Plan,
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

pub fn save(path: &Path, plan: &Plan) -> Result<()> {
    let mut plan = plan.clone();
    scrub(&mut plan);
    let file = PlanFile {
        format: MAGIC.to_string(),
        format_version: PLAN_FORMAT_VERSION,
        clusterform_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        plan,
    };
    let text = serde_json::to_vec_pretty(&file).context("failed to encode the plan")?;
    let tmp = path.with_extension("tmp-plan");
    std::fs::write(&tmp, text).with_context(|| format!("failed to write {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("failed to write plan file {}", path.display()))
}

pub fn load(path: &Path) -> Result<Plan> {
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
    if version > u64::from(PLAN_FORMAT_VERSION) {
        bail!(
            "{} is plan format {version}, but this clusterform reads up to {PLAN_FORMAT_VERSION}\nhint: use the clusterform that made it, or plan again",
            path.display()
        );
    }
    let file: PlanFile = serde_json::from_value(head).with_context(|| {
        format!(
            "plan file {} is damaged\nhint: plan again with `clusterform plan --out FILE`",
            path.display()
        )
    })?;
    Ok(file.plan)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use clusterform_model::{Action, Address, Change, Disruption, PlanMode};

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
        save(&path, &plan_with_secret()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("hunter2"), "secret written to plan file");
        let back = load(&path).unwrap();
        assert_eq!(back.config_sha256, "abc");
        assert_eq!(back.serial, 3);
        assert_eq!(
            back.changes[0].after.as_ref().unwrap()["name"],
            Value::str("a")
        );
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
