//! Small conversions between the cloud's JSON and attribute values, shared by the resource types.

use std::time::{SystemTime, UNIX_EPOCH};

use clusterform_model::{Attrs, Value};
use clusterform_provider::ProviderError;
use serde_json::Value as Json;

/// A non-empty string at a JSON pointer.
pub fn jstr<'a>(j: &'a Json, ptr: &str) -> Option<&'a str> {
    j.pointer(ptr)
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
}

/// The string at a pointer as a value; absent or empty is `Null`.
pub fn jval_str(j: &Json, ptr: &str) -> Value {
    jstr(j, ptr).map(Value::str).unwrap_or(Value::Null)
}

/// Any JSON at a pointer as a value; absent is `Null`.
pub fn jval(j: &Json, ptr: &str) -> Value {
    j.pointer(ptr).map(Value::from_json).unwrap_or(Value::Null)
}

/// A bool at a pointer; absent is `Null`.
pub fn jval_bool(j: &Json, ptr: &str) -> Value {
    j.pointer(ptr)
        .and_then(Json::as_bool)
        .map(Value::Bool)
        .unwrap_or(Value::Null)
}

/// A string attribute, when set and non-empty.
pub fn astr<'a>(a: &'a Attrs, key: &str) -> Option<&'a str> {
    a.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// A string attribute the operation cannot do without.
pub fn require<'a>(a: &'a Attrs, key: &str) -> Result<&'a str, ProviderError> {
    astr(a, key).ok_or_else(|| ProviderError::Permanent {
        code: None,
        message: format!("attribute `{key}` is not set"),
        request_id: None,
    })
}

/// Copies attributes the cloud does not return (config-only ones) from `from` into `attrs`.
pub fn carry(attrs: &mut Attrs, from: &Attrs, names: &[&str]) {
    for n in names {
        if let Some(v) = from.get(*n) {
            if !v.contains_unknown() {
                attrs.insert((*n).to_string(), v.clone());
            }
        }
    }
}

/// Config-only attributes packed into an operation's data, so a poll can hand them back with the
/// object's final attributes (the cloud never returns them).
pub fn keep_json(from: &Attrs, names: &[&str]) -> Json {
    let mut m = serde_json::Map::new();
    for n in names {
        if let Some(v) = from
            .get(*n)
            .filter(|v| !v.is_null() && !v.contains_unknown())
        {
            m.insert((*n).to_string(), v.to_json());
        }
    }
    serde_json::json!({ "keep": m })
}

/// Puts back what [`keep_json`] packed.
pub fn restore(attrs: &mut Attrs, data: &Json) {
    if let Some(m) = data.get("keep").and_then(Json::as_object) {
        for (k, v) in m {
            attrs.insert(k.clone(), Value::from_json(v));
        }
    }
}

/// Seconds since the Unix epoch, for grace periods kept in an operation's data.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The cloud's progress strings (`"0.00"`, `"67"`) as a percentage.
pub fn progress(j: &Json, ptr: &str) -> Option<u8> {
    let p = match j.pointer(ptr)? {
        Json::String(s) => s.trim().parse::<f64>().ok()?,
        Json::Number(n) => n.as_f64()?,
        _ => return None,
    };
    Some(p.clamp(0.0, 100.0).round() as u8)
}

/// The reason and message of a status, joined, for failure texts.
pub fn reason(j: &Json) -> String {
    let parts: Vec<&str> = ["/status/reason", "/status/Reason", "/status/message"]
        .iter()
        .filter_map(|p| jstr(j, p))
        .collect();
    if parts.is_empty() {
        "no reason given".to_string()
    } else {
        parts.join(": ")
    }
}

/// The `items` array of a list body (or the body itself when it is a bare array).
pub fn items(j: &Json) -> &[Json] {
    match j {
        Json::Array(a) => a,
        _ => j
            .get("items")
            .and_then(Json::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_and_progress() {
        let j = json!({"status": {"phase": "", "progress": "66.7", "Reason": "addon upgrading", "message": "m"}});
        assert_eq!(jval_str(&j, "/status/phase"), Value::Null);
        assert_eq!(progress(&j, "/status/progress"), Some(67));
        assert_eq!(progress(&json!({"p": 250}), "/p"), Some(100));
        assert_eq!(reason(&j), "addon upgrading: m");
        assert_eq!(reason(&json!({})), "no reason given");
        assert_eq!(items(&json!([1, 2])).len(), 2);
        assert_eq!(items(&json!({"items": [1]})).len(), 1);
        assert!(items(&json!({"kind": "List"})).is_empty());
    }

    #[test]
    fn carry_skips_unknowns() {
        let mut from = Attrs::new();
        from.insert("a".into(), Value::str("x"));
        from.insert("b".into(), Value::Unknown);
        let mut to = Attrs::new();
        carry(&mut to, &from, &["a", "b", "c"]);
        assert_eq!(to.len(), 1);
        assert!(require(&to, "a").is_ok() && require(&to, "b").is_err());
    }

    #[test]
    fn kept_attributes_round_trip_through_operation_data() {
        let mut from = Attrs::new();
        from.insert(
            "upgrade".into(),
            Value::Map([("snapshot".to_string(), Value::Bool(false))].into()),
        );
        from.insert("delete_options".into(), Value::Null);
        let data = keep_json(&from, &["upgrade", "delete_options"]);
        assert_eq!(data, json!({"keep": {"upgrade": {"snapshot": false}}}));
        let mut back = Attrs::new();
        restore(&mut back, &data);
        assert_eq!(
            back,
            [("upgrade".to_string(), from["upgrade"].clone())].into()
        );
        restore(&mut back, &Json::Null);
        assert_eq!(back.len(), 1);
    }
}
