//! Lenient serde helpers for fields the API types loosely (numbers as strings and back).

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A string field that the API sometimes sends as a number or a boolean (`progress: "67"`).
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        _ => None,
    })
}

/// An integer field that may arrive as a numeric string (`"20"`). Unparseable values become `None`
/// rather than failing the whole response.
pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A boolean field that may arrive as `"true"`/`"false"`.
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Bool(b)) => Some(b),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Loose {
        #[serde(deserialize_with = "super::opt_string")]
        s: Option<String>,
        #[serde(deserialize_with = "super::opt_i64")]
        n: Option<i64>,
        #[serde(deserialize_with = "super::opt_bool")]
        b: Option<bool>,
    }

    #[test]
    fn numbers_strings_and_booleans_are_accepted_in_either_form() {
        let a: Loose = serde_json::from_str(r#"{"s": 67, "n": "20", "b": "true"}"#).unwrap();
        assert_eq!(
            (a.s.as_deref(), a.n, a.b),
            (Some("67"), Some(20), Some(true))
        );
        let b: Loose = serde_json::from_str(r#"{"s": "0.00", "n": 5, "b": false}"#).unwrap();
        assert_eq!(
            (b.s.as_deref(), b.n, b.b),
            (Some("0.00"), Some(5), Some(false))
        );
        let c: Loose = serde_json::from_str(r#"{"s": null, "n": "x", "b": null}"#).unwrap();
        assert_eq!((c.s, c.n, c.b), (None, None, None));
        let d: Loose = serde_json::from_str("{}").unwrap();
        assert_eq!((d.s, d.n, d.b), (None, None, None));
    }
}
