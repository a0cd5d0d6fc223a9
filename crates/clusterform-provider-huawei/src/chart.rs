//! The `huawei_autopilot_chart` resource type (§8.2 and §15.6 of the API digest): uploads a chart
//! file and re-uploads it when its content changes.
//!
//! The file is read at create and update time, relative to the stack directory the CLI passes in.
//! The planner does no IO, so the provider notices an edited archive during refresh: `read` hashes
//! the recorded file and, when its content is no longer what was uploaded, reports `file` with
//! [`CHANGED_ON_DISK`] appended, which differs from the config's path and so plans an update
//! (a re-upload). `find` takes the natural key (name, version) from the archive's `Chart.yaml`
//! when the config does not state it.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use clusterform_model::{Attrs, ResourceSchema, Value};
use clusterform_provider::{Operation, Poll, ProviderError, ReadResult, ResourceType, Started};
use serde_json::{json, Map, Value as Json};

use crate::api::{found, malformed, CceApi};
pub use crate::chart_file::sha256_hex;
use crate::chart_file::{self, ChartFile, ChartFileError};
use crate::conv::{astr, carry, items, jstr, jval_bool, jval_str, require};
use crate::schema::chart_schema;

/// Appended to the recorded `file` by a refresh that finds the file's content changed since its
/// upload, so the config's plain path differs from it and an update (re-upload) is planned.
pub const CHANGED_ON_DISK: &str = " (changed on disk since its upload)";

/// Attributes the cloud does not return.
const CONFIG_ONLY: &[&str] = &["file", "content_sha256", "skip_lint", "override", "visible"];

/// A chart object as attributes; `values` is kept as the JSON text the cloud holds.
pub fn chart_attrs(j: &Json) -> Attrs {
    let values = match j.get("values") {
        Some(Json::String(s)) => Value::str(s.clone()),
        Some(v @ Json::Object(_)) => Value::str(v.to_string()),
        _ => Value::Null,
    };
    let mut a = Attrs::new();
    for (k, v) in [
        ("id", jval_str(j, "/id")),
        ("name", jval_str(j, "/name")),
        ("version", jval_str(j, "/version")),
        ("values", values),
        ("description", jval_str(j, "/description")),
        ("chart_url", jval_str(j, "/chart_url")),
        ("public", jval_bool(j, "/public")),
        ("icon_url", jval_str(j, "/icon_url")),
        ("create_at", jval_str(j, "/create_at")),
        ("update_at", jval_str(j, "/update_at")),
    ] {
        a.insert(k.to_string(), v);
    }
    a
}

/// The multipart `parameters` field: only the flags the config sets, `override` forced on update.
pub fn upload_parameters(d: &Attrs, force_override: bool) -> Json {
    let mut m = Map::new();
    for k in ["override", "skip_lint", "visible"] {
        if let Some(b) = d.get(k).and_then(Value::as_bool) {
            m.insert(k.into(), json!(b));
        }
    }
    if force_override {
        m.insert("override".into(), json!(true));
    }
    Json::Object(m)
}

/// The path a recorded `file` names, without a refresh's [`CHANGED_ON_DISK`] note.
pub fn recorded_path(file: &str) -> &str {
    file.strip_suffix(CHANGED_ON_DISK).unwrap_or(file)
}

fn permanent(e: ChartFileError) -> ProviderError {
    ProviderError::Permanent {
        code: None,
        message: e.to_string(),
        request_id: None,
    }
}

pub struct ChartType {
    api: Arc<dyn CceApi>,
    schema: ResourceSchema,
    base_dir: Option<PathBuf>,
}

impl ChartType {
    pub fn new(api: Arc<dyn CceApi>, base_dir: Option<PathBuf>) -> Self {
        ChartType {
            api,
            schema: chart_schema(),
            base_dir,
        }
    }

    fn path(&self, file: &str) -> PathBuf {
        chart_file::resolve(self.base_dir.as_deref(), file)
    }

    /// Reads `file` and checks it against the `content_sha256` the config pins. The planner
    /// carries the recorded (uploaded) hash into `d` when the config leaves it out, so on update
    /// a pin is only told apart when it differs from that: `uploaded`.
    fn content(
        &self,
        d: &Attrs,
        uploaded: Option<&str>,
    ) -> Result<(Vec<u8>, String), ProviderError> {
        let path = self.path(require(d, "file")?);
        let ChartFile { bytes, sha256: sum } = chart_file::read(&path).map_err(permanent)?;
        if let Some(want) = astr(d, "content_sha256").filter(|w| Some(*w) != uploaded) {
            if !want.eq_ignore_ascii_case(&sum) {
                return Err(ProviderError::Permanent {
                    code: None,
                    message: format!("chart file {} has sha256 {sum}, not the content_sha256 {want} the config names", path.display()),
                    request_id: None,
                });
            }
        }
        Ok((bytes, sum))
    }

    /// The recorded `file` as refresh reports it: the plain path while the file on disk still
    /// holds what was uploaded (or cannot be read: create and update report that), else the path
    /// with [`CHANGED_ON_DISK`].
    fn refreshed_file(&self, recorded: &Attrs) -> Option<Value> {
        let file = recorded_path(astr(recorded, "file")?);
        let uploaded = astr(recorded, "content_sha256");
        let now = chart_file::read(&self.path(file)).ok().map(|f| f.sha256);
        let changed = matches!((uploaded, now), (Some(u), Some(n)) if !u.eq_ignore_ascii_case(&n));
        Some(Value::str(if changed {
            format!("{file}{CHANGED_ON_DISK}")
        } else {
            file.to_string()
        }))
    }

    fn done(j: &Json, d: &Attrs, sum: &str) -> Result<Started, ProviderError> {
        let id = jstr(j, "/id")
            .ok_or_else(|| malformed("chart without id"))?
            .to_string();
        let mut attrs = chart_attrs(j);
        carry(&mut attrs, d, CONFIG_ONLY);
        attrs.insert("content_sha256".into(), Value::str(sum));
        Ok(Started::Done { id, attrs })
    }

    fn result(j: &Json, keep: &Attrs) -> Result<ReadResult, ProviderError> {
        let id = jstr(j, "/id")
            .ok_or_else(|| malformed("chart without id"))?
            .to_string();
        let mut attrs = chart_attrs(j);
        carry(&mut attrs, keep, CONFIG_ONLY);
        let fingerprint = format!(
            "version={};updated={}",
            jstr(j, "/version").unwrap_or_default(),
            jstr(j, "/update_at").unwrap_or_default()
        );
        Ok(ReadResult {
            id,
            attrs,
            fingerprint,
            running: None,
        })
    }
}

#[async_trait]
impl ResourceType for ChartType {
    fn schema(&self) -> &ResourceSchema {
        &self.schema
    }

    async fn read(&self, id: &str, recorded: &Attrs) -> Result<Option<ReadResult>, ProviderError> {
        let Some(j) = found(self.api.show_chart(id).await)? else {
            return Ok(None);
        };
        let mut r = Self::result(&j, recorded)?;
        if let Some(file) = self.refreshed_file(recorded) {
            r.attrs.insert("file".into(), file);
        }
        Ok(Some(r))
    }

    /// Charts are found by (name, version): as the config states them, else as the archive's
    /// `Chart.yaml` does. An unreadable file finds nothing; the upload then reports why.
    async fn find(&self, desired: &Attrs) -> Result<Option<ReadResult>, ProviderError> {
        let (name, version) = match (astr(desired, "name"), astr(desired, "version")) {
            (Some(n), Some(v)) => (n.to_string(), v.to_string()),
            (n, v) => {
                let Some(file) = astr(desired, "file") else {
                    return Ok(None);
                };
                let path = self.path(file);
                let Ok(meta) =
                    chart_file::read(&path).and_then(|f| chart_file::meta(&path, &f.bytes))
                else {
                    return Ok(None);
                };
                (
                    n.map_or(meta.name, str::to_string),
                    v.map_or(meta.version, str::to_string),
                )
            }
        };
        let list = self.api.list_charts().await?;
        items(&list)
            .iter()
            .find(|c| {
                jstr(c, "/name") == Some(name.as_str())
                    && jstr(c, "/version") == Some(version.as_str())
            })
            .map(|j| Self::result(j, desired))
            .transpose()
    }

    async fn create(&self, desired: &Attrs) -> Result<Started, ProviderError> {
        let (bytes, sum) = self.content(desired, None)?;
        let j = self
            .api
            .upload_chart(bytes, upload_parameters(desired, false))
            .await?;
        Self::done(&j, desired, &sum)
    }

    async fn update(
        &self,
        id: &str,
        recorded: &Attrs,
        desired: &Attrs,
    ) -> Result<Started, ProviderError> {
        let (bytes, sum) = self.content(desired, astr(recorded, "content_sha256"))?;
        let unchanged = astr(recorded, "content_sha256") == Some(sum.as_str())
            && astr(recorded, "file") == astr(desired, "file");
        if unchanged {
            // Only upload flags changed; they take effect with the next upload.
            let j = self.api.show_chart(id).await?;
            return Self::done(&j, desired, &sum);
        }
        let j = self
            .api
            .update_chart(id, bytes, upload_parameters(desired, true))
            .await?;
        Self::done(&j, desired, &sum)
    }

    async fn delete(&self, id: &str, _recorded: &Attrs) -> Result<Started, ProviderError> {
        found(self.api.delete_chart(id).await)?;
        Ok(Started::Done {
            id: id.to_string(),
            attrs: Attrs::new(),
        })
    }

    async fn poll(&self, op: &Operation) -> Result<Poll, ProviderError> {
        Err(ProviderError::Permanent {
            code: None,
            message: format!(
                "huawei_autopilot_chart has no pending operations (got `{}`)",
                op.kind
            ),
            request_id: None,
        })
    }
}

#[cfg(test)]
#[path = "chart_tests.rs"]
mod tests;
