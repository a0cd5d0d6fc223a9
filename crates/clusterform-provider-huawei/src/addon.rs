//! The `huawei_autopilot_addon` resource type (§4 and §15.2 of the API digest): install, upgrade
//! or re-value in place, delete, and adoption of an instance that already exists (409).

use std::sync::Arc;

use async_trait::async_trait;
use clusterform_model::{Attrs, ResourceSchema, Value};
use clusterform_provider::{Operation, Poll, ProviderError, ReadResult, ResourceType, Started};
use serde_json::{json, Map, Value as Json};

use crate::api::{found, malformed, CceApi};
use crate::conv::{astr, items, jstr, jval, jval_bool, jval_str, now_secs, reason, require};
use crate::schema::addon_schema;

pub const OP_INSTALL: &str = "addon-install";
pub const OP_UPDATE: &str = "addon-update";
pub const OP_ROLLBACK: &str = "addon-rollback";
pub const OP_DELETE: &str = "addon-delete";

/// How long `abnormal` may last before it counts as a failure (the seed shows it transiently).
const ABNORMAL_GRACE_SECS: u64 = 300;

/// Values the cloud injects itself; never sent back and never compared.
const INJECTED: &str = "systemAutoInject";

/// An add-on instance as attributes.
pub fn addon_attrs(j: &Json) -> Attrs {
    let mut a = Attrs::new();
    let mut values = jval(j, "/spec/values");
    if let Value::Map(m) = &mut values {
        m.remove(INJECTED);
    }
    let targets = match jval(j, "/status/targetVersions") {
        Value::Null => Value::List(Vec::new()),
        v => v,
    };
    for (k, v) in [
        ("id", jval_str(j, "/metadata/uid")),
        ("cluster_id", jval_str(j, "/spec/clusterID")),
        ("template", jval_str(j, "/spec/addonTemplateName")),
        ("version", jval_str(j, "/spec/version")),
        ("values", values),
        ("status", jval_str(j, "/status/status")),
        ("target_versions", targets),
        ("is_rollbackable", jval_bool(j, "/status/isRollbackable")),
        ("previous_version", jval_str(j, "/status/previousVersion")),
        ("template_type", jval_str(j, "/spec/addonTemplateType")),
        ("description", jval_str(j, "/spec/description")),
        ("name", jval_str(j, "/metadata/name")),
        ("alias", jval_str(j, "/metadata/alias")),
    ] {
        a.insert(k.to_string(), v);
    }
    a
}

/// The values the cloud generates for the cluster (`cluster_ip`, `swr_addr`, `image_version`, ...):
/// the user cannot set them, so an update sends them back as read.
const CLUSTER_GENERATED: &str = "basic";

/// `cloud` restricted to the keys `shape` has, recursively for maps: the part of the
/// server-expanded values that answers the keys the user set. Keys the cloud lacks are left out.
pub fn project(cloud: &Value, shape: &Value) -> Value {
    match (cloud, shape) {
        (Value::Map(c), Value::Map(s)) => Value::Map(
            s.iter()
                .filter_map(|(k, sv)| c.get(k).map(|cv| (k.clone(), project(cv, sv))))
                .collect(),
        ),
        _ => cloud.clone(),
    }
}

/// An add-on's attributes with `values` restricted to the keys of `user` (the values the config
/// set, or last applied): defaults the cloud merged in are not the user's and never diff, while
/// a key the user removes still shows as recorded and plans an update. Without `user` (an
/// import) the full set is kept.
pub fn user_addon_attrs(j: &Json, user: Option<&Value>) -> Attrs {
    let mut a = addon_attrs(j);
    if let (Some(user @ Value::Map(_)), Some(values)) = (user, a.get_mut("values")) {
        *values = project(values, user);
    }
    a
}

fn known_map(v: Option<&Value>) -> Json {
    match v {
        Some(v @ Value::Map(_)) if !v.contains_unknown() => v.to_json(),
        _ => Json::Object(Map::new()),
    }
}

/// The `POST /autopilot/v3/addons` body.
pub fn addon_create_body(d: &Attrs) -> Json {
    let mut spec = json!({
        "clusterID": astr(d, "cluster_id").unwrap_or_default(),
        "addonTemplateName": astr(d, "template").unwrap_or_default(),
        "values": known_map(d.get("values")),
    });
    if let Some(v) = astr(d, "version") {
        spec["version"] = json!(v);
    }
    json!({"kind": "Addon", "apiVersion": "v3", "metadata": {"annotations": {"addon.install/type": "install"}}, "spec": spec})
}

/// The `PUT /autopilot/v3/addons/{id}` body: version always (mandatory), and the full desired
/// values: the API takes the whole set and gives unspecified keys the template defaults, so a key
/// removed from the config is removed in the cloud. Only the cluster-generated `basic` block is
/// carried over from the last read, under any `basic` keys the user sets. A config that leaves
/// `values` out leaves them to the cloud: the recorded set is sent back unchanged.
pub fn addon_update_body(recorded: &Attrs, desired: &Attrs) -> Json {
    let version = astr(desired, "version")
        .or_else(|| astr(recorded, "version"))
        .unwrap_or_default();
    let mut base = known_map(recorded.get("values"));
    if let Some(m) = base.as_object_mut() {
        m.remove(INJECTED);
    }
    let values = match desired.get("values").filter(|v| !v.is_null()) {
        None => base,
        Some(_) => {
            let mut values = known_map(desired.get("values"));
            if let (Some(v), Some(generated)) =
                (values.as_object_mut(), base.get(CLUSTER_GENERATED))
            {
                let merged = match v.get(CLUSTER_GENERATED) {
                    Some(user) => deep_merge(generated, user),
                    None => generated.clone(),
                };
                v.insert(CLUSTER_GENERATED.into(), merged);
            }
            values
        }
    };
    json!({"kind": "Addon", "apiVersion": "v3",
    "metadata": {"annotations": {"addon.upgrade/type": "upgrade"}},
    "spec": {
        "clusterID": astr(desired, "cluster_id").or_else(|| astr(recorded, "cluster_id")).unwrap_or_default(),
        "addonTemplateName": astr(desired, "template").or_else(|| astr(recorded, "template")).unwrap_or_default(),
        "version": version,
        "values": values,
    }})
}

/// `over` merged into `base`, recursively for maps.
pub fn deep_merge(base: &Json, over: &Json) -> Json {
    match (base, over) {
        (Json::Object(b), Json::Object(o)) => {
            let mut out = b.clone();
            for (k, v) in o {
                let merged = match out.get(k) {
                    Some(existing) => deep_merge(existing, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Json::Object(out)
        }
        (_, Json::Null) => base.clone(),
        _ => over.clone(),
    }
}

/// The user's values to restrict reads to: the config's when it sets them, else those recorded.
fn user_values<'a>(desired: &'a Attrs, recorded: &'a Attrs) -> Option<&'a Value> {
    [desired, recorded].into_iter().find_map(|a| {
        a.get("values")
            .filter(|v| v.as_map().is_some() && !v.contains_unknown())
    })
}

fn op(kind: &str, id: &str, cluster_id: &str, user: Option<&Value>) -> Operation {
    let mut data = json!({"cluster_id": cluster_id, "started": now_secs()});
    if let Some(u) = user {
        data["user_values"] = u.to_json();
    }
    Operation {
        kind: kind.into(),
        object_id: id.into(),
        handle: String::new(),
        data,
    }
}

/// Classifies an add-on's status during install, upgrade or rollback; `user` restricts the
/// final values as [`user_addon_attrs`] does.
pub fn settle(j: &Json, started: u64, now: u64, user: Option<&Value>) -> Poll {
    let status = jstr(j, "/status/status").unwrap_or("installing");
    match status {
        // `available` means some instances run: ready, if degraded.
        "running" | "available" => Poll::Done {
            attrs: Some(user_addon_attrs(j, user)),
        },
        "installFailed" | "upgradeFailed" | "rollbackFailed" | "deleteFailed" | "unknown" => {
            Poll::Failed {
                message: format!("add-on is {status}: {}", reason(j)),
            }
        }
        "abnormal" if now.saturating_sub(started) >= ABNORMAL_GRACE_SECS => Poll::Failed {
            message: format!("add-on stayed abnormal: {}", reason(j)),
        },
        other => Poll::Running {
            phase: other.to_string(),
            progress: None,
        },
    }
}

pub struct AddonType {
    api: Arc<dyn CceApi>,
    schema: ResourceSchema,
}

impl AddonType {
    pub fn new(api: Arc<dyn CceApi>) -> Self {
        AddonType {
            api,
            schema: addon_schema(),
        }
    }

    fn result(j: &Json, user: Option<&Value>) -> Result<ReadResult, ProviderError> {
        let id = jstr(j, "/metadata/uid")
            .ok_or_else(|| malformed("add-on without metadata.uid"))?
            .to_string();
        let fingerprint = format!(
            "version={};status={};updated={}",
            jstr(j, "/spec/version").unwrap_or_default(),
            jstr(j, "/status/status").unwrap_or_default(),
            jstr(j, "/metadata/updateTimestamp").unwrap_or_default()
        );
        Ok(ReadResult {
            id,
            attrs: user_addon_attrs(j, user),
            fingerprint,
            running: None,
        })
    }

    /// Starts a rollback to the previous version (imperative; not part of the declarative model).
    pub async fn rollback(&self, id: &str, cluster_id: &str) -> Result<Operation, ProviderError> {
        self.api.rollback_addon(id, cluster_id).await?;
        Ok(op(OP_ROLLBACK, id, cluster_id, None))
    }
}

#[async_trait]
impl ResourceType for AddonType {
    fn schema(&self) -> &ResourceSchema {
        &self.schema
    }

    async fn read(&self, id: &str, recorded: &Attrs) -> Result<Option<ReadResult>, ProviderError> {
        let cluster_id = astr(recorded, "cluster_id").unwrap_or_default();
        match found(self.api.show_addon(id, cluster_id).await)? {
            Some(j) if jstr(&j, "/status/status") != Some("deleteSuccess") => Ok(Some(
                Self::result(&j, user_values(&Attrs::new(), recorded))?,
            )),
            _ => Ok(None),
        }
    }

    async fn find(&self, desired: &Attrs) -> Result<Option<ReadResult>, ProviderError> {
        let cluster_id = require(desired, "cluster_id")?;
        let template = require(desired, "template")?;
        let Some(list) = found(self.api.list_addons(cluster_id).await)? else {
            return Ok(None);
        };
        items(&list)
            .iter()
            .find(|a| {
                jstr(a, "/spec/addonTemplateName") == Some(template)
                    && jstr(a, "/status/status") != Some("deleteSuccess")
            })
            .map(|j| Self::result(j, user_values(desired, &Attrs::new())))
            .transpose()
    }

    async fn create(&self, desired: &Attrs) -> Result<Started, ProviderError> {
        let cluster_id = require(desired, "cluster_id")?;
        match self.api.create_addon(addon_create_body(desired)).await {
            Ok(j) => {
                let id = jstr(&j, "/metadata/uid")
                    .ok_or_else(|| malformed("install returned no metadata.uid"))?;
                Ok(Started::Pending {
                    id: id.to_string(),
                    op: op(
                        OP_INSTALL,
                        id,
                        cluster_id,
                        user_values(desired, &Attrs::new()),
                    ),
                })
            }
            // `CCE.03409001`: one instance per template and cluster. Adopt it and wait for it.
            Err(ProviderError::AlreadyExists { message }) => match self.find(desired).await? {
                Some(existing) => Ok(Started::Pending {
                    id: existing.id.clone(),
                    op: op(
                        OP_INSTALL,
                        &existing.id,
                        cluster_id,
                        user_values(desired, &Attrs::new()),
                    ),
                }),
                None => Err(ProviderError::AlreadyExists { message }),
            },
            Err(e) => Err(e),
        }
    }

    async fn update(
        &self,
        id: &str,
        recorded: &Attrs,
        desired: &Attrs,
    ) -> Result<Started, ProviderError> {
        let body = addon_update_body(recorded, desired);
        let cluster_id = body["spec"]["clusterID"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.api.update_addon(id, body).await?;
        Ok(Started::Pending {
            id: id.to_string(),
            op: op(OP_UPDATE, id, &cluster_id, user_values(desired, recorded)),
        })
    }

    async fn delete(&self, id: &str, recorded: &Attrs) -> Result<Started, ProviderError> {
        let cluster_id = astr(recorded, "cluster_id").unwrap_or_default();
        if found(self.api.delete_addon(id, cluster_id).await)?.is_none() {
            return Ok(Started::Done {
                id: id.to_string(),
                attrs: Attrs::new(),
            });
        }
        Ok(Started::Pending {
            id: id.to_string(),
            op: op(OP_DELETE, id, cluster_id, None),
        })
    }

    async fn poll(&self, o: &Operation) -> Result<Poll, ProviderError> {
        let cluster_id = jstr(&o.data, "/cluster_id").unwrap_or_default();
        let started = o
            .data
            .get("started")
            .and_then(Json::as_u64)
            .unwrap_or_else(now_secs);
        let got = found(self.api.show_addon(&o.object_id, cluster_id).await)?;
        match o.kind.as_str() {
            OP_DELETE => Ok(match got {
                None => Poll::Done { attrs: None },
                Some(j) => match jstr(&j, "/status/status") {
                    Some("deleteSuccess") => Poll::Done { attrs: None },
                    Some("deleteFailed") => Poll::Failed {
                        message: format!("add-on delete failed: {}", reason(&j)),
                    },
                    s => Poll::Running {
                        phase: s.unwrap_or("deleting").to_string(),
                        progress: None,
                    },
                },
            }),
            OP_INSTALL | OP_UPDATE | OP_ROLLBACK => Ok(match got {
                Some(j) => {
                    let user = o.data.get("user_values").map(Value::from_json);
                    settle(&j, started, now_secs(), user.as_ref())
                }
                None => Poll::Failed {
                    message: "the add-on disappeared".to_string(),
                },
            }),
            other => Err(ProviderError::Permanent {
                code: None,
                message: format!("unknown operation kind `{other}` for huawei_autopilot_addon"),
                request_id: None,
            }),
        }
    }
}

#[cfg(test)]
#[path = "addon_tests.rs"]
mod tests;
