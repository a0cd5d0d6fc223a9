//! The Huawei world's persisted state: projects, clusters, jobs, add-ons, upgrade tasks,
//! charts and releases, plus the timing table and the lazy state-machine advance.
//!
//! Every transition is stored as an absolute deadline and applied when the world is next
//! looked at (`State::advance`), so a manual clock moves everything instantly in tests.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

/// Simulated durations (before the time scale divides them).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Durations {
    /// Cluster create.
    pub cluster_create: StdDuration,
    /// Cluster delete.
    pub cluster_delete: StdDuration,
    /// Add-on install, upgrade, rollback and delete.
    pub addon: StdDuration,
    /// Pre-upgrade check.
    pub precheck: StdDuration,
    /// How long a successful precheck stays valid. Not scaled: it is a validity window that
    /// a polling client must be able to meet, not an operation's duration.
    pub precheck_validity: StdDuration,
    /// Master snapshot.
    pub snapshot: StdDuration,
    /// Cluster upgrade task.
    pub upgrade: StdDuration,
    /// Release install or upgrade.
    pub release: StdDuration,
    /// How long a finished cluster job stays readable before `GET` answers 404 (the API
    /// reference: "Tasks are short-lived"). Scaled like the operations.
    #[serde(default = "default_job_retention")]
    pub job_retention: StdDuration,
}

fn default_job_retention() -> StdDuration {
    StdDuration::from_secs(3600)
}

impl Default for Durations {
    fn default() -> Self {
        let min = |m: u64| StdDuration::from_secs(m * 60);
        Self {
            cluster_create: min(8),
            cluster_delete: min(3),
            addon: min(1),
            precheck: min(1),
            precheck_validity: min(60),
            snapshot: min(2),
            upgrade: min(10),
            release: StdDuration::from_secs(30),
            job_retention: default_job_retention(),
        }
    }
}

/// Converts a std duration to chrono (saturating).
pub fn chrono_dur(d: StdDuration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::MAX)
}

/// Quotas and limits.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Limits {
    /// Clusters per project.
    pub clusters: usize,
    /// Charts per project.
    pub charts: usize,
    /// Tags per cluster.
    pub tags: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            clusters: 5,
            charts: 200,
            tags: 20,
        }
    }
}

/// All projects.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct State {
    /// Projects by id.
    pub projects: BTreeMap<String, Project>,
}

/// One project's world.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Project {
    /// Clusters by uid.
    pub clusters: BTreeMap<String, Cluster>,
    /// Jobs by uid.
    pub jobs: BTreeMap<String, Job>,
    /// Add-on instances by uid.
    pub addons: BTreeMap<String, Addon>,
    /// Charts by id.
    pub charts: BTreeMap<String, Chart>,
    /// Releases.
    pub releases: Vec<Release>,
}

/// A tag.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tag {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// A bound master EIP.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Eip {
    /// EIP id.
    pub id: String,
    /// Address.
    pub ip: String,
}

/// A cluster.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Cluster {
    /// uid.
    pub uid: String,
    /// Name.
    pub name: String,
    /// Alias.
    pub alias: String,
    /// Created.
    pub created: DateTime<Utc>,
    /// Updated.
    pub updated: DateTime<Utc>,
    /// The spec as echoed (defaults filled); version fields are overwritten on render.
    pub spec: Value,
    /// Current patch version, e.g. `v1.28.3-r0`.
    pub patch: String,
    /// Platform version.
    pub platform: String,
    /// Phase.
    pub phase: String,
    /// When the current transitional phase (Creating, Deleting) ends.
    pub phase_until: Option<DateTime<Utc>>,
    /// Whether the pending create or delete ends in failure (fault injection).
    pub fail_pending: bool,
    /// Why the cluster is in `Error` (`CreateFailed`, `DeleteFailed`).
    #[serde(default)]
    pub fail_reason: Option<String>,
    /// Current job.
    pub job_id: Option<String>,
    /// Delete options given with the delete.
    pub delete_option: Option<Value>,
    /// Tags.
    pub tags: Vec<Tag>,
    /// Master EIP.
    pub eip: Option<Eip>,
    /// Upgrade tasks, oldest first.
    pub upgrade_tasks: Vec<UpgradeTask>,
    /// Precheck tasks, oldest first.
    pub prechecks: Vec<Precheck>,
    /// Postcheck results.
    pub postchecks: Vec<Postcheck>,
    /// Snapshot tasks.
    pub snapshots: Vec<Snapshot>,
    /// Upgrade workflows.
    pub workflows: Vec<Workflow>,
    /// Maintenance window (SDK `MaintenanceWindow`), if set.
    pub maintenance: Option<Value>,
}

/// A cluster job (`CreateCluster`, `DeleteCluster`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Job {
    /// uid.
    pub uid: String,
    /// Type.
    pub job_type: String,
    /// Cluster uid.
    pub cluster_uid: String,
    /// Cluster name.
    pub resource_name: String,
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// Whether it ends Failed.
    pub fail: bool,
    /// Sub-jobs: (uid, type).
    pub subjobs: Vec<(String, String)>,
    /// When the finished job is dropped (`None`: kept, for worlds saved before expiry).
    #[serde(default)]
    pub expires: Option<DateTime<Utc>>,
}

impl Job {
    /// Phase at `now`.
    pub fn phase(&self, now: DateTime<Utc>) -> &'static str {
        if now >= self.end {
            if self.fail {
                "Failed"
            } else {
                "Success"
            }
        } else if now < self.start + (self.end - self.start) / 20 {
            "Initializing"
        } else {
            "Running"
        }
    }
}

/// An add-on instance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Addon {
    /// uid.
    pub uid: String,
    /// Cluster uid.
    pub cluster_id: String,
    /// Template name.
    pub template: String,
    /// Version.
    pub version: String,
    /// Version before the last upgrade.
    pub previous_version: Option<String>,
    /// Whether a rollback is possible.
    pub rollbackable: bool,
    /// User values.
    pub values: Value,
    /// Status (`installing`, `running`, …).
    pub status: String,
    /// Reason text.
    pub reason: String,
    /// When the transitional status ends.
    pub until: Option<DateTime<Utc>>,
    /// Whether the transition ends in failure.
    pub fail_pending: bool,
    /// Created.
    pub created: DateTime<Utc>,
    /// Updated.
    pub updated: DateTime<Utc>,
}

/// A cluster upgrade task.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UpgradeTask {
    /// uid.
    pub uid: String,
    /// Source patch version.
    pub from: String,
    /// Target patch version.
    pub to: String,
    /// Created.
    pub created: DateTime<Utc>,
    /// Start of the current attempt.
    pub start: DateTime<Utc>,
    /// End of the current attempt.
    pub end: DateTime<Utc>,
    /// Whether the current attempt fails.
    pub fail: bool,
    /// Whether the end has been applied to the cluster.
    pub applied: bool,
    /// `clusterUpgradeAction.addons`: installed add-ons moved to a version on success.
    #[serde(default)]
    pub addons: Vec<AddonPatch>,
}

/// One `clusterUpgradeAction.addons` entry (`operation: patch`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AddonPatch {
    /// `addonTemplateName`.
    pub template: String,
    /// Target add-on version.
    pub version: String,
    /// New values, if given (replace the instance's values, as an add-on update does).
    pub values: Option<Value>,
}

impl UpgradeTask {
    /// Phase at `now`.
    pub fn phase(&self, now: DateTime<Utc>) -> &'static str {
        if now >= self.end {
            if self.fail {
                "Failed"
            } else {
                "Success"
            }
        } else if now < self.start + (self.end - self.start) / 20 {
            "Init"
        } else {
            "Running"
        }
    }

    /// Progress percentage string at `now`.
    pub fn progress(&self, now: DateTime<Utc>) -> String {
        progress(self.start, self.end, now)
    }
}

/// Progress of [start, end) at `now` as a `"12.50"` string.
pub fn progress(start: DateTime<Utc>, end: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let total = (end - start).num_milliseconds().max(1) as f64;
    let done = (now - start)
        .num_milliseconds()
        .clamp(0, (end - start).num_milliseconds().max(0));
    format!("{:.2}", done as f64 * 100.0 / total)
}

/// A pre-upgrade check task.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Precheck {
    /// uid.
    pub uid: String,
    /// Source patch.
    pub from: String,
    /// Target patch.
    pub to: String,
    /// Skipped items as sent.
    pub skipped: Value,
    /// Created.
    pub created: DateTime<Utc>,
    /// Finish.
    pub end: DateTime<Utc>,
    /// Validity after finishing, milliseconds.
    pub validity_ms: i64,
    /// Whether the check ends `Failed` (fault injection).
    #[serde(default)]
    pub fail: bool,
}

impl Precheck {
    /// Phase at `now`.
    pub fn phase(&self, now: DateTime<Utc>) -> &'static str {
        if now >= self.end {
            if self.fail {
                "Failed"
            } else {
                "Success"
            }
        } else if now < self.created + (self.end - self.created) / 10 {
            "Init"
        } else {
            "Running"
        }
    }

    /// When the result expires.
    pub fn expires(&self) -> DateTime<Utc> {
        self.end + Duration::milliseconds(self.validity_ms)
    }
}

/// A post-upgrade check (synchronous).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Postcheck {
    /// uid.
    pub uid: String,
    /// Source version.
    pub from: String,
    /// Target version.
    pub to: String,
    /// Phase.
    pub phase: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A master snapshot task.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    /// uid.
    pub uid: String,
    /// Created.
    pub created: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// Ends `Failed` (a named failure from the fault file).
    #[serde(default)]
    pub fail: bool,
}

impl Snapshot {
    /// Phase at `now`.
    pub fn phase(&self, now: DateTime<Utc>) -> &'static str {
        match (now >= self.end, self.fail) {
            (false, _) => "Running",
            (true, false) => "Success",
            (true, true) => "Failed",
        }
    }
}

/// An upgrade workflow; its points link to tasks created while it is open.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Workflow {
    /// uid.
    pub uid: String,
    /// Source patch.
    pub from: String,
    /// Target patch.
    pub to: String,
    /// Created.
    pub created: DateTime<Utc>,
    /// Updated.
    pub updated: DateTime<Utc>,
    /// Cancelled.
    pub cancelled: bool,
    /// PreCheck task uid.
    pub precheck: Option<String>,
    /// Snapshot task uid.
    pub snapshot: Option<String>,
    /// Upgrade task uid.
    pub upgrade: Option<String>,
    /// PostCheck uid.
    pub postcheck: Option<String>,
}

/// An uploaded chart.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Chart {
    /// id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// File name.
    pub file_name: String,
    /// Archive bytes, hex.
    pub content_hex: String,
    /// Values (object).
    pub values: Value,
    /// Description.
    pub description: String,
    /// `Chart.yaml` `appVersion` (kept; `ChartResp` has no field for it).
    #[serde(default)]
    pub app_version: String,
    /// `Chart.yaml` `icon`, answered as `icon_url`.
    #[serde(default)]
    pub icon: String,
    /// `README.md` when the package has one, answered as `instruction`.
    #[serde(default)]
    pub instruction: String,
    /// Visible.
    pub visible: bool,
    /// Created.
    pub created: DateTime<Utc>,
    /// Updated.
    pub updated: DateTime<Utc>,
}

/// One release revision.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Release {
    /// Cluster uid.
    pub cluster_id: String,
    /// Cluster name.
    pub cluster_name: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Chart id.
    pub chart_id: String,
    /// Chart name.
    pub chart_name: String,
    /// Chart version.
    pub chart_version: String,
    /// Values.
    pub values: Value,
    /// Parameters as sent.
    pub parameters: Value,
    /// Description.
    pub description: String,
    /// Revision.
    pub revision: i64,
    /// Status.
    pub status: String,
    /// Status description.
    pub status_description: String,
    /// When the pending status ends.
    pub until: Option<DateTime<Utc>>,
    /// The pending install ends `FAILED` (a named failure from the fault file).
    #[serde(default)]
    pub fail_pending: bool,
    /// Created.
    pub created: DateTime<Utc>,
    /// Updated.
    pub updated: DateTime<Utc>,
    /// Earlier revisions, oldest first.
    pub history: Vec<Release>,
}

/// Go `time.String()` style: `2024-06-04 12:49:28.773718231 +0000 UTC`.
pub fn go_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f +0000 UTC").to_string()
}

/// RFC 3339 seconds: `2024-07-18T04:04:21Z`.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A fresh UUIDv4 string.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl State {
    /// The project, created on first use.
    pub fn project(&mut self, id: &str) -> &mut Project {
        self.projects.entry(id.to_string()).or_default()
    }

    /// Applies every transition whose deadline is at or before `now`.
    pub fn advance(&mut self, now: DateTime<Utc>) {
        for p in self.projects.values_mut() {
            p.advance(now);
        }
    }

    /// The project owning cluster `uid`, if any.
    pub fn project_of_cluster(&self, uid: &str) -> Option<String> {
        self.projects
            .iter()
            .find(|(_, p)| p.clusters.contains_key(uid))
            .map(|(k, _)| k.clone())
    }
}

impl Project {
    fn advance(&mut self, now: DateTime<Utc>) {
        let mut gone = vec![];
        let mut patches = vec![];
        for c in self.clusters.values_mut() {
            for p in advance_cluster(c, now) {
                patches.push((c.uid.clone(), p));
            }
            if c.phase == "Deleting" && c.phase_until.is_some_and(|u| now >= u) {
                gone.push(c.uid.clone());
            }
        }
        for uid in &gone {
            self.clusters.remove(uid);
            self.addons.retain(|_, a| &a.cluster_id != uid);
            self.releases.retain(|r| &r.cluster_id != uid);
        }
        for (cluster, p) in patches {
            let hit = self
                .addons
                .values_mut()
                .find(|a| a.cluster_id == cluster && a.template == p.template);
            if let Some(a) = hit {
                if a.version != p.version {
                    a.previous_version = Some(std::mem::replace(&mut a.version, p.version));
                    // The old version does not support the new cluster version (O6), so the
                    // add-on cannot be rolled back to it.
                    a.rollbackable = false;
                }
                if let Some(v) = p.values {
                    a.values = v;
                }
                a.updated = now;
            }
        }
        self.jobs.retain(|_, j| j.expires.is_none_or(|e| now < e));
        let mut removed = vec![];
        for a in self.addons.values_mut() {
            if a.until.is_some_and(|u| now >= u) {
                a.until = None;
                a.updated = now;
                let fail = std::mem::take(&mut a.fail_pending);
                match (a.status.as_str(), fail) {
                    ("deleting", _) => removed.push(a.uid.clone()),
                    ("installing", true) => a.status = "installFailed".into(),
                    ("upgrading", true) => a.status = "upgradeFailed".into(),
                    ("rollbacking", true) => a.status = "rollbackFailed".into(),
                    _ => a.status = "running".into(),
                }
                a.reason = String::new();
            }
        }
        for uid in removed {
            self.addons.remove(&uid);
        }
        for r in &mut self.releases {
            if r.until.is_some_and(|u| now >= u) {
                r.until = None;
                if std::mem::take(&mut r.fail_pending) {
                    r.status = "FAILED".into();
                    r.status_description =
                        "Install failed: the chart's resources did not become ready".into();
                } else {
                    r.status = "DEPLOYED".into();
                    r.status_description = "Install complete".into();
                }
                r.updated = now;
            }
        }
    }
}

/// Applies the cluster's due transitions; returns the add-on patches of upgrades that
/// succeeded in this step.
fn advance_cluster(c: &mut Cluster, now: DateTime<Utc>) -> Vec<AddonPatch> {
    let due = c.phase_until.is_some_and(|u| now >= u);
    if due && matches!(c.phase.as_str(), "Creating" | "Deleting") {
        let fail = std::mem::take(&mut c.fail_pending);
        if c.phase == "Creating" {
            c.phase = if fail { "Error" } else { "Available" }.into();
            c.fail_reason = fail.then(|| "CreateFailed".to_string());
            c.phase_until = None;
            c.updated = now;
        } else if fail {
            // Seed: `Error` = "Resources in the cluster are abnormal. You can manually delete
            // the cluster." A failed delete leaves the cluster there, deletable again.
            c.phase = "Error".into();
            c.fail_reason = Some("DeleteFailed".into());
            c.phase_until = None;
            c.updated = now;
        }
    }
    let mut upgrading = false;
    let mut patches = vec![];
    for t in &mut c.upgrade_tasks {
        if now < t.end {
            upgrading = true;
        } else if !t.applied {
            t.applied = true;
            if !t.fail {
                c.patch = t.to.clone();
                c.platform = super::catalog::platform_of(&t.to);
                patches.extend(t.addons.iter().cloned());
            }
            c.updated = now;
        }
    }
    // A failed upgrade task returns the cluster to `Available` on its old version. The seed
    // lists no upgrade-failure phase (its failure phases are for resize, rollback and broken
    // resources: `ResizeFailed`, `RollbackFailed`, `Unavailable`, `Error`), the in-place
    // rolling upgrade leaves the old control plane serving, and the retry API ("execute the
    // failed cluster upgrade task again") needs a cluster that accepts operations. The
    // failure shows in the task (`Failed`), in `upgradeinfo` and in the workflow (`Pending`).
    if upgrading && c.phase == "Available" {
        c.phase = "Upgrading".into();
    } else if !upgrading && c.phase == "Upgrading" {
        c.phase = "Available".into();
        c.updated = now;
    }
    patches
}
