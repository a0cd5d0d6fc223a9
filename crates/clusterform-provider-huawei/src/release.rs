//! The `huawei_autopilot_release` resource type (§8.3–8.5 and §15.7 of the API digest): a Helm
//! release identified by `cluster_id/namespace/name`, installed, upgraded in place and deleted.

use std::sync::Arc;

use async_trait::async_trait;
use clusterform_model::{Attrs, ResourceSchema, Value};
use clusterform_provider::{Operation, Poll, ProviderError, ReadResult, ResourceType, Started};
use serde_json::{json, Value as Json};

use crate::api::{found, CceApi};
use crate::conv::{astr, carry, jstr, jval_str, keep_json, require, restore};
use crate::schema::release_schema;

pub const OP_INSTALL: &str = "release-install";
pub const OP_UPDATE: &str = "release-update";
pub const OP_DELETE: &str = "release-delete";

/// Attributes the response does not carry (its `description` is a status text, not ours).
const CONFIG_ONLY: &[&str] = &["chart_id", "description", "parameters"];

/// What the cloud shows instead of secret values.
const MASK: &str = "*****";

/// `cluster_id/namespace/name`.
pub fn release_id(cluster_id: &str, namespace: &str, name: &str) -> String {
    format!("{cluster_id}/{namespace}/{name}")
}

/// Splits a release id; `None` when it is not three non-empty parts.
pub fn split_id(id: &str) -> Option<(&str, &str, &str)> {
    let mut p = id.splitn(3, '/');
    let (c, n, r) = (p.next()?, p.next()?, p.next()?);
    (!c.is_empty() && !n.is_empty() && !r.is_empty()).then_some((c, n, r))
}

/// Puts known values back where the cloud masked them, so a password in the config does not
/// diff against `*****` on every plan.
pub fn unmask(actual: &Value, known: &Value) -> Value {
    match (actual, known) {
        (Value::String(s), k) if s == MASK && !k.is_null() => k.clone(),
        (Value::Map(a), Value::Map(k)) => Value::Map(
            a.iter()
                .map(|(key, v)| {
                    (
                        key.clone(),
                        k.get(key)
                            .map(|kv| unmask(v, kv))
                            .unwrap_or_else(|| v.clone()),
                    )
                })
                .collect(),
        ),
        _ => actual.clone(),
    }
}

/// A release as attributes; `keep` supplies config-only attributes and unmasks values.
pub fn release_attrs(j: &Json, keep: &Attrs) -> Attrs {
    let cluster_id = jstr(j, "/cluster_id")
        .or_else(|| astr(keep, "cluster_id"))
        .unwrap_or_default();
    let namespace = jstr(j, "/namespace").unwrap_or_default();
    let name = jstr(j, "/name").unwrap_or_default();
    let values = match j.get("values") {
        Some(Json::String(s)) if !s.trim().is_empty() => serde_json::from_str::<Json>(s)
            .map(|v| Value::from_json(&v))
            .unwrap_or(Value::Null),
        Some(v @ Json::Object(_)) => Value::from_json(v),
        _ => Value::Null,
    };
    let values = keep
        .get("values")
        .map(|k| unmask(&values, k))
        .unwrap_or(values);
    let mut a = Attrs::new();
    for (k, v) in [
        ("id", Value::str(release_id(cluster_id, namespace, name))),
        ("cluster_id", Value::str(cluster_id)),
        ("namespace", Value::str(namespace)),
        ("name", Value::str(name)),
        ("chart_version", jval_str(j, "/chart_version")),
        ("values", values),
        ("status", jval_str(j, "/status")),
        ("status_description", jval_str(j, "/status_description")),
        (
            "revision",
            j.get("version")
                .and_then(Json::as_i64)
                .map(Value::Int)
                .unwrap_or(Value::Null),
        ),
        ("chart_name", jval_str(j, "/chart_name")),
        ("create_at", jval_str(j, "/create_at")),
        ("update_at", jval_str(j, "/update_at")),
    ] {
        a.insert(k.to_string(), v);
    }
    carry(&mut a, keep, CONFIG_ONLY);
    a
}

fn object(v: Option<&Value>) -> Json {
    match v {
        Some(v @ Value::Map(_)) if !v.contains_unknown() => v.to_json(),
        _ => json!({}),
    }
}

/// The create body; `version` is the chart version (§8.4, C13).
pub fn release_create_body(d: &Attrs) -> Json {
    let mut b = json!({
        "chart_id": astr(d, "chart_id").unwrap_or_default(),
        "name": astr(d, "name").unwrap_or_default(),
        "namespace": astr(d, "namespace").unwrap_or_default(),
        "version": astr(d, "chart_version").unwrap_or_default(),
        "values": object(d.get("values")),
    });
    if let Some(desc) = astr(d, "description") {
        b["description"] = json!(desc);
    }
    if matches!(d.get("parameters"), Some(Value::Map(_))) {
        b["parameters"] = object(d.get("parameters"));
    }
    b
}

/// The upgrade body (`parameters` is mandatory there).
pub fn release_update_body(d: &Attrs) -> Json {
    json!({
        "chart_id": astr(d, "chart_id").unwrap_or_default(),
        "action": "upgrade",
        "parameters": object(d.get("parameters")),
        "values": object(d.get("values")),
    })
}

pub struct ReleaseType {
    api: Arc<dyn CceApi>,
    schema: ResourceSchema,
}

impl ReleaseType {
    pub fn new(api: Arc<dyn CceApi>) -> Self {
        ReleaseType {
            api,
            schema: release_schema(),
        }
    }

    async fn get(&self, id: &str, keep: &Attrs) -> Result<Option<ReadResult>, ProviderError> {
        let (c, n, r) = split_id(id).ok_or_else(|| ProviderError::Permanent {
            code: None,
            message: format!("release id `{id}` is not cluster_id/namespace/name"),
            request_id: None,
        })?;
        let Some(j) = found(self.api.show_release(c, n, r).await)? else {
            return Ok(None);
        };
        if jstr(&j, "/status") == Some("DELETED") {
            return Ok(None);
        }
        let mut keep = keep.clone();
        keep.entry("cluster_id".to_string())
            .or_insert_with(|| Value::str(c));
        let attrs = release_attrs(&j, &keep);
        let fingerprint = format!(
            "revision={};status={};updated={}",
            j.get("version").and_then(Json::as_i64).unwrap_or_default(),
            jstr(&j, "/status").unwrap_or_default(),
            jstr(&j, "/update_at").unwrap_or_default()
        );
        Ok(Some(ReadResult {
            id: id.to_string(),
            attrs,
            fingerprint,
            running: None,
        }))
    }

    fn op(kind: &str, id: &str, d: &Attrs) -> Operation {
        // Kept so the final attributes have the config-only ones and unmasked values.
        let data = keep_json(
            d,
            &[
                "chart_id",
                "description",
                "parameters",
                "values",
                "cluster_id",
            ],
        );
        Operation {
            kind: kind.into(),
            object_id: id.into(),
            handle: String::new(),
            data,
        }
    }
}

#[async_trait]
impl ResourceType for ReleaseType {
    fn schema(&self) -> &ResourceSchema {
        &self.schema
    }

    async fn read(&self, id: &str, recorded: &Attrs) -> Result<Option<ReadResult>, ProviderError> {
        self.get(id, recorded).await
    }

    async fn find(&self, desired: &Attrs) -> Result<Option<ReadResult>, ProviderError> {
        let id = release_id(
            require(desired, "cluster_id")?,
            require(desired, "namespace")?,
            require(desired, "name")?,
        );
        self.get(&id, desired).await
    }

    async fn create(&self, desired: &Attrs) -> Result<Started, ProviderError> {
        let cluster_id = require(desired, "cluster_id")?;
        let id = release_id(
            cluster_id,
            require(desired, "namespace")?,
            require(desired, "name")?,
        );
        self.api
            .create_release(cluster_id, release_create_body(desired))
            .await?;
        Ok(Started::Pending {
            id: id.clone(),
            op: Self::op(OP_INSTALL, &id, desired),
        })
    }

    async fn update(
        &self,
        id: &str,
        _recorded: &Attrs,
        desired: &Attrs,
    ) -> Result<Started, ProviderError> {
        let (c, n, r) = split_id(id).ok_or_else(|| crate::api::malformed("release id"))?;
        self.api
            .update_release(c, n, r, release_update_body(desired))
            .await?;
        Ok(Started::Pending {
            id: id.to_string(),
            op: Self::op(OP_UPDATE, id, desired),
        })
    }

    async fn delete(&self, id: &str, recorded: &Attrs) -> Result<Started, ProviderError> {
        let (c, n, r) = split_id(id).ok_or_else(|| crate::api::malformed("release id"))?;
        if found(self.api.delete_release(c, n, r).await)?.is_none() {
            return Ok(Started::Done {
                id: id.to_string(),
                attrs: Attrs::new(),
            });
        }
        Ok(Started::Pending {
            id: id.to_string(),
            op: Self::op(OP_DELETE, id, recorded),
        })
    }

    async fn poll(&self, o: &Operation) -> Result<Poll, ProviderError> {
        let (c, n, r) =
            split_id(&o.object_id).ok_or_else(|| crate::api::malformed("release id"))?;
        let got = found(self.api.show_release(c, n, r).await)?;
        let status = got
            .as_ref()
            .and_then(|j| jstr(j, "/status"))
            .unwrap_or_default()
            .to_string();
        let why = || {
            got.as_ref()
                .and_then(|j| jstr(j, "/status_description"))
                .unwrap_or("no description")
                .to_string()
        };
        if o.kind == OP_DELETE {
            return Ok(match (got.is_some(), status.as_str()) {
                (false, _) | (true, "DELETED") => Poll::Done { attrs: None },
                (true, s) => Poll::Running {
                    phase: if s.is_empty() {
                        "DELETING".into()
                    } else {
                        s.into()
                    },
                    progress: None,
                },
            });
        }
        let Some(j) = got.as_ref() else {
            return Ok(Poll::Failed {
                message: "the release disappeared".to_string(),
            });
        };
        Ok(match status.as_str() {
            "DEPLOYED" => {
                let mut keep = Attrs::new();
                restore(&mut keep, &o.data);
                Poll::Done {
                    attrs: Some(release_attrs(j, &keep)),
                }
            }
            "FAILED" | "UNKNOWN" => Poll::Failed {
                message: format!("release is {status}: {}", why()),
            },
            s => Poll::Running {
                phase: s.to_string(),
                progress: None,
            },
        })
    }
}

#[cfg(test)]
#[path = "release_tests.rs"]
mod tests;
