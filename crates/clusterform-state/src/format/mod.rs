//! The versioned state-file format: bytes ⇄ `State`, with old formats upgraded step by step.
//!
//! Every format has its own wire types (`v0.rs`, `v1.rs`), converted by hand from and to the model,
//! so that changing the in-memory model never silently changes what is on disk. Reading a file of
//! the current format parses it once, straight into the current wire type, whose attribute values
//! are already the model's; any other file goes: probe `format_version` → parse that version's
//! wire type → upgrade one version at a time to the current one. Both end by moving the wire
//! type's contents into the model. Writing always produces the current format.
//!
//! To add format 2: copy `v1.rs` to `v2.rs` with the change, write `upgrade_v1` into `v1.rs`
//! (v1 → v2), add a `Wire::V2` arm, and point `CURRENT_FORMAT_VERSION`, `encode` and `into_model`
//! at v2. Keep every old golden file under `testdata/` and add one for v2.

mod v0;
mod v1;

use clusterform_model::{ResourceState, State};
use serde::Deserialize;

use crate::error::StateError;

pub(crate) use v1::ResourceV1;

/// The state format this build writes, and the newest it reads.
pub const CURRENT_FORMAT_VERSION: u64 = 1;

/// Where state bytes came from, for error messages: its name and, when there is one, the backup
/// a user can restore from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub name: String,
    pub backup: Option<String>,
}

impl Origin {
    /// State kept in a file, with its `.backup` next to it.
    pub fn file(path: &std::path::Path) -> Origin {
        let name = path.display().to_string();
        Origin {
            backup: Some(format!("{name}.backup")),
            name,
        }
    }

    /// State from somewhere without a file backup (a database row, a test).
    pub fn named(name: impl Into<String>) -> Origin {
        Origin {
            name: name.into(),
            backup: None,
        }
    }

    fn restore_hint(&self) -> String {
        match &self.backup {
            Some(b) => format!("restore {b}, or repair {} by hand", self.name),
            None => format!("restore {} from a backup", self.name),
        }
    }
}

/// Decodes state bytes of any known format into the model; see [`decode_from`].
pub fn decode(bytes: &[u8]) -> Result<State, StateError> {
    decode_from(&Origin::named("state"), bytes)
}

/// Decodes state bytes of any known format into the model. A truncated or garbled file, a file of
/// a newer format, and one whose content does not fit its format are distinct errors, each with
/// a hint saying what to do; none of them is ever "an empty state".
pub fn decode_from(origin: &Origin, bytes: &[u8]) -> Result<State, StateError> {
    // Nearly every file is well formed and of the current format: read it in one pass. Anything
    // else (an older or newer format, a damaged file) fails this and takes the general path,
    // which says exactly what is wrong; a file this accepts, the general path reads the same.
    if let Ok(Current(file)) = serde_json::from_slice::<Current>(bytes) {
        if file.format_version == CURRENT_FORMAT_VERSION {
            return file.into_model(origin);
        }
    }
    let version = probe_version(origin, bytes)?;
    let wire = match version {
        0 => Wire::V0(parse(origin, 0, bytes)?),
        1 => Wire::V1(parse(origin, 1, bytes)?),
        found => {
            return Err(StateError::TooNew {
                origin: origin.name.clone(),
                found,
                supported: CURRENT_FORMAT_VERSION,
            })
        }
    };
    upgrade(wire).into_model(origin)
}

/// Encodes a state in the current format: pretty JSON with a trailing newline. Resources are in
/// address order, attributes in name order, so equal states give equal bytes.
pub fn encode(state: &State) -> Vec<u8> {
    encode_with_version(state, env!("CARGO_PKG_VERSION"))
}

/// `encode`, naming the writer as `writer` (golden tests pin it so a version bump does not change
/// the expected bytes).
pub(crate) fn encode_with_version(state: &State, writer: &str) -> Vec<u8> {
    let wire = v1::StateFileV1::from_model(state, writer);
    // Serialising the wire types cannot fail: they hold only strings, integers, booleans and
    // `serde_json::Value`s (whose map keys are strings), written into a `Vec`. The empty result
    // is still refused by every writer, so even an impossible failure cannot blank a state file.
    let mut out = serde_json::to_vec_pretty(&wire).unwrap_or_default();
    if !out.is_empty() {
        out.push(b'\n');
    }
    out
}

/// Encodes one resource the way the state file does (the journal reuses it).
pub(crate) fn resource_to_wire(resource: &ResourceState) -> ResourceV1 {
    ResourceV1::from_model(resource)
}

/// A parsed file of some format, before upgrading.
enum Wire {
    V0(v0::StateFileV0),
    V1(v1::StateFileV1),
}

/// Upgrades one format step at a time until the current one. Each step is a plain function from
/// one wire type to the next, so a v0 file passes through every later upgrade in order.
fn upgrade(wire: Wire) -> v1::StateFileV1 {
    match wire {
        Wire::V0(v0) => upgrade(Wire::V1(v0::upgrade_v0(v0))),
        Wire::V1(v1) => v1,
    }
}

/// A file parsed as the current format, accepted only from a JSON object: the derived
/// `Deserialize` of a struct would also read an array, which the general path refuses.
struct Current(v1::StateFileV1);

impl<'de> Deserialize<'de> for Current {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(CurrentVisitor)
    }
}

struct CurrentVisitor;

impl<'de> serde::de::Visitor<'de> for CurrentVisitor {
    type Value = Current;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a state file of the current format")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Current, A::Error> {
        v1::StateFileV1::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Current)
    }
}

/// Just enough of any format to learn its version; the rest is skipped (but still syntax-checked,
/// so a truncated file fails here with a position). Only a JSON object is accepted: a derived
/// `Deserialize` would also take an array and read its first element as the version.
struct Probe {
    format_version: Option<u64>,
}

impl<'de> Deserialize<'de> for Probe {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ProbeVisitor)
    }
}

struct ProbeVisitor;

impl<'de> serde::de::Visitor<'de> for ProbeVisitor {
    type Value = Probe;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object with a format_version")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Probe, A::Error> {
        let mut format_version = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "format_version" {
                format_version = Some(map.next_value::<u64>()?);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(Probe { format_version })
    }
}

fn probe_version(origin: &Origin, bytes: &[u8]) -> Result<u64, StateError> {
    let probe: Probe = serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => StateError::NotState {
            origin: origin.name.clone(),
            message: e.to_string(),
            hint: origin.restore_hint(),
        },
        _ => StateError::Corrupt {
            origin: origin.name.clone(),
            line: e.line(),
            column: e.column(),
            message: strip_position(&e),
            hint: origin.restore_hint(),
        },
    })?;
    probe.format_version.ok_or_else(|| StateError::NotState {
        origin: origin.name.clone(),
        message: "it has no `format_version`".to_string(),
        hint: origin.restore_hint(),
    })
}

fn parse<T: serde::de::DeserializeOwned>(
    origin: &Origin,
    version: u64,
    bytes: &[u8],
) -> Result<T, StateError> {
    serde_json::from_slice(bytes).map_err(|e| StateError::Invalid {
        origin: origin.name.clone(),
        version,
        line: e.line(),
        column: e.column(),
        message: strip_position(&e),
        hint: format!("it may have been edited by hand; {}", origin.restore_hint()),
    })
}

/// serde_json appends " at line X column Y" to its messages; the errors here say it once.
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

impl v1::StateFileV1 {
    fn into_model(self, origin: &Origin) -> Result<State, StateError> {
        v1::into_model(self, origin)
    }
}

pub(crate) fn bad_content(origin: &Origin, problem: String) -> StateError {
    StateError::BadContent {
        origin: origin.name.clone(),
        problem,
        hint: origin.restore_hint(),
    }
}

#[cfg(test)]
mod tests;
