//! Persisting the world as JSON across restarts, written atomically (temp file + rename).

use serde::{de::DeserializeOwned, Serialize};
use std::path::{Path, PathBuf};

/// Errors loading or saving the state file.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// File system error.
    #[error("state file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid JSON for the world.
    #[error("state file {path} is not a valid emulator world: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
}

/// Loads `path`; a missing file gives `None`.
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, PersistError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|source| PersistError::Json {
                    path: path.into(),
                    source,
                })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(PersistError::Io {
            path: path.into(),
            source,
        }),
    }
}

/// Writes `value` to `path` atomically: a sibling temp file, fsync, then rename.
pub fn save<T: Serialize>(path: &Path, value: &T) -> Result<(), PersistError> {
    let io = |source| PersistError::Io {
        path: path.into(),
        source,
    };
    let bytes = serde_json::to_vec_pretty(value).map_err(|source| PersistError::Json {
        path: path.into(),
        source,
    })?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(&bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn round_trips_and_missing_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("world.json");
        assert_eq!(load::<BTreeMap<String, u32>>(&p).unwrap(), None);
        let mut m = BTreeMap::new();
        m.insert("a".to_string(), 1u32);
        save(&p, &m).unwrap();
        assert_eq!(load::<BTreeMap<String, u32>>(&p).unwrap(), Some(m));
        assert!(!dir.path().join("world.json.tmp").exists());
        std::fs::write(&p, b"not json").unwrap();
        assert!(load::<BTreeMap<String, u32>>(&p).is_err());
    }
}
