//! The `huawei_autopilot_chart` resource type (§8.2 and §15.6 of the API digest): uploads a chart
//! file and re-uploads it when its content changes.
//!
//! The file is read at create and update time, relative to the stack directory the CLI passes in.
//! Plan-time hooks do no IO, so a content change under an unchanged `file` path plans an update
//! only when the config sets `content_sha256` (e.g. from a future `filesha256()` function).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use clusterform_model::{Attrs, ResourceSchema, Value};
use clusterform_provider::{Operation, Poll, ProviderError, ReadResult, ResourceType, Started};
use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};

use crate::api::{found, malformed, CceApi};
use crate::conv::{astr, carry, items, jstr, jval_bool, jval_str, require};
use crate::schema::chart_schema;

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

/// Hex sha256 of the bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
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

    /// Reads `file` and checks it against `content_sha256` when the config pins it.
    fn content(&self, d: &Attrs) -> Result<(Vec<u8>, String), ProviderError> {
        let file = require(d, "file")?;
        let path = match &self.base_dir {
            Some(base) if Path::new(file).is_relative() => base.join(file),
            _ => PathBuf::from(file),
        };
        let bytes = std::fs::read(&path).map_err(|e| ProviderError::Permanent {
            code: None,
            message: format!("failed to read chart file {}: {e}", path.display()),
            request_id: None,
        })?;
        let sum = sha256_hex(&bytes);
        if let Some(want) = astr(d, "content_sha256") {
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
        found(self.api.show_chart(id).await)?
            .map(|j| Self::result(&j, recorded))
            .transpose()
    }

    /// Charts are found by (name, version), which live inside the file: only when the config
    /// states them can an interrupted upload be adopted.
    async fn find(&self, desired: &Attrs) -> Result<Option<ReadResult>, ProviderError> {
        let (Some(name), Some(version)) = (astr(desired, "name"), astr(desired, "version")) else {
            return Ok(None);
        };
        let list = self.api.list_charts().await?;
        items(&list)
            .iter()
            .find(|c| jstr(c, "/name") == Some(name) && jstr(c, "/version") == Some(version))
            .map(|j| Self::result(j, desired))
            .transpose()
    }

    async fn create(&self, desired: &Attrs) -> Result<Started, ProviderError> {
        let (bytes, sum) = self.content(desired)?;
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
        let (bytes, sum) = self.content(desired)?;
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
