//! Resource addresses: `type.name`, `type.name["key"]`, `data.type.name`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Whether an address names a managed resource or a data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    Managed,
    Data,
}

/// The key of one `for_each` instance.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InstanceKey {
    Str(String),
}

/// The address of one resource instance (or of the whole resource when `key` is `None`
/// and the resource uses `for_each`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    pub mode: Mode,
    pub type_name: String,
    pub name: String,
    pub key: Option<InstanceKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("invalid address `{input}`: {reason}")]
    Invalid { input: String, reason: String },
}

impl Address {
    pub fn managed(type_name: impl Into<String>, name: impl Into<String>) -> Self {
        Address {
            mode: Mode::Managed,
            type_name: type_name.into(),
            name: name.into(),
            key: None,
        }
    }

    pub fn data(type_name: impl Into<String>, name: impl Into<String>) -> Self {
        Address {
            mode: Mode::Data,
            type_name: type_name.into(),
            name: name.into(),
            key: None,
        }
    }

    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(InstanceKey::Str(key.into()));
        self
    }

    /// The address without its instance key: the resource block it comes from.
    pub fn block(&self) -> Address {
        Address {
            key: None,
            ..self.clone()
        }
    }

    /// True when `self` is `other`, or `other` is the block `self` is an instance of.
    pub fn matches(&self, other: &Address) -> bool {
        self == other || (other.key.is_none() && self.block() == *other)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mode == Mode::Data {
            f.write_str("data.")?;
        }
        write!(f, "{}.{}", self.type_name, self.name)?;
        if let Some(InstanceKey::Str(k)) = &self.key {
            write!(f, "[{}]", serde_json::Value::String(k.clone()))?;
        }
        Ok(())
    }
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| AddressError::Invalid {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let (head, key) = match input.find('[') {
            Some(i) => {
                let rest = &input[i..];
                if !rest.ends_with(']') {
                    return Err(bad("an instance key must end with `]`"));
                }
                let inner = &rest[1..rest.len() - 1];
                let key: String = serde_json::from_str(inner)
                    .map_err(|_| bad("an instance key must be a quoted string, e.g. [\"a\"]"))?;
                (&input[..i], Some(InstanceKey::Str(key)))
            }
            None => (input, None),
        };
        let parts: Vec<&str> = head.split('.').collect();
        let (mode, type_name, name) = match parts.as_slice() {
            ["data", t, n] => (Mode::Data, *t, *n),
            [t, n] => (Mode::Managed, *t, *n),
            _ => {
                return Err(bad(
                    "expected TYPE.NAME, TYPE.NAME[\"key\"] or data.TYPE.NAME",
                ))
            }
        };
        if !is_ident(type_name) || !is_ident(name) {
            return Err(bad(
                "type and name must be identifiers (letters, digits, `_`, `-`)",
            ));
        }
        Ok(Address {
            mode,
            type_name: type_name.to_string(),
            name: name.to_string(),
            key,
        })
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_form() {
        for s in [
            "a_b.c",
            "data.t.n",
            "t.n[\"k\"]",
            "t.n[\"with \\\"quote\\\"\"]",
        ] {
            let a: Address = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
        }
    }

    #[test]
    fn rejects_garbage() {
        for s in ["", "a", "a.b.c.d", "a.b[k]", "1a.b", "a.b[\"k\""] {
            assert!(s.parse::<Address>().is_err(), "{s}");
        }
    }

    #[test]
    fn instance_matches_block() {
        let i: Address = "t.n[\"a\"]".parse().unwrap();
        assert!(i.matches(&"t.n".parse().unwrap()));
        assert!(!i.matches(&"t.m".parse().unwrap()));
    }
}
