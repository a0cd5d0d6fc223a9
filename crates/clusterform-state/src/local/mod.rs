//! The local-file backend: in `dir`, for stack `prod`,
//!
//! | file | what |
//! |---|---|
//! | `prod.json` | the state, replaced atomically on every write |
//! | `prod.json.backup` | the state before the last write |
//! | `prod.journal` | the apply journal (see `crate::journal`) |
//! | `prod.lock` | the lock lease, while a run holds it (see `lock.rs`) |
//! | `prod.lock.guard` | a microsecond mutex around changes to the lock file |

mod lock;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use clusterform_model::State;

use crate::error::{LockError, StateError};
use crate::format::{decode_from, encode, Origin};
use crate::fsutil::{fs_err, read_optional, replace_atomically};
use crate::journal::{FileJournal, Journal};
use crate::lock::{LockGuard, LockInfo, LockRequest};
use crate::store::StateStore;

/// One stack's state kept in files under a directory.
#[derive(Debug)]
pub struct LocalStore {
    dir: PathBuf,
    state: PathBuf,
    backup: PathBuf,
    locks: lock::LockFiles,
    journal: FileJournal,
    /// Serialises this process's writes so the read-check-replace of `write` is not interleaved
    /// (other processes are kept out by the state lock).
    writing: Mutex<()>,
}

impl LocalStore {
    /// The store of `stack` under `dir` (e.g. `state/` and `prod` → `state/prod.json`). Nothing is
    /// touched on disk until it is used; `dir` is created on the first write or lock.
    pub fn new(dir: &Path, stack: &str) -> Result<Self, StateError> {
        check_stack_name(stack)?;
        let file = |suffix: &str| dir.join(format!("{stack}{suffix}"));
        Ok(LocalStore {
            dir: dir.to_path_buf(),
            state: file(".json"),
            backup: file(".json.backup"),
            locks: lock::LockFiles {
                dir: dir.to_path_buf(),
                lock: file(".lock"),
                guard: file(".lock.guard"),
            },
            journal: FileJournal::new(file(".journal")),
            writing: Mutex::new(()),
        })
    }

    pub fn state_path(&self) -> &Path {
        &self.state
    }

    pub fn backup_path(&self) -> &Path {
        &self.backup
    }

    pub fn lock_path(&self) -> &Path {
        &self.locks.lock
    }

    pub fn journal_path(&self) -> &Path {
        self.journal.path()
    }

    /// Who holds the lock now, if anyone (for `force-unlock` and status messages).
    pub fn lock_holder(&self) -> Result<Option<LockInfo>, LockError> {
        lock::holder(&self.locks)
    }
}

impl StateStore for LocalStore {
    fn read(&self) -> Result<Option<State>, StateError> {
        match read_optional(&self.state)? {
            Some(bytes) => decode_from(&Origin::file(&self.state), &bytes).map(Some),
            None if self.backup.exists() => Err(StateError::MissingWithBackup {
                path: self.state.clone(),
                backup: self.backup.clone(),
            }),
            None => Ok(None),
        }
    }

    fn write(&self, state: &State) -> Result<(), StateError> {
        if state.serial == 0 {
            return Err(StateError::SerialNotBumped { serial: 0 });
        }
        let _writing = self
            .writing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        fs::create_dir_all(&self.dir).map_err(fs_err("create directory", &self.dir))?;
        // A stored file that does not decode (truncated, newer format) fails here, before
        // anything is replaced: overwriting it would also push the good backup out.
        if let Some(stored) = self.read()? {
            if stored.lineage != state.lineage {
                return Err(StateError::LineageMismatch {
                    path: self.state.clone(),
                    expected: state.lineage.clone(),
                    found: stored.lineage,
                });
            }
            if stored.serial.checked_add(1) != Some(state.serial) {
                return Err(StateError::Conflict {
                    path: self.state.clone(),
                    expected: state.serial - 1,
                    found: stored.serial,
                });
            }
        }
        // The journal as the caller's state saw it: read now, before anything is replaced, so
        // a damaged journal stops the write here rather than after the state file changed.
        let seen = self.journal.records()?.len();
        let bytes = encode(state);
        if bytes.is_empty() {
            let e = std::io::Error::other("encoding the state produced nothing");
            return Err(StateError::io("encode", &self.state, e));
        }
        replace_atomically(&self.state, &bytes, Some(&self.backup))?;
        // The state now holds every settled record among those; only what is in flight stays,
        // with anything appended meanwhile.
        self.journal.compact_first(seen)?;
        Ok(())
    }

    fn lock(&self, request: LockRequest, timeout: Duration) -> Result<LockGuard, LockError> {
        lock::acquire(&self.locks, request, timeout)
    }

    fn force_unlock(&self, id: &str) -> Result<(), LockError> {
        lock::force_unlock(&self.locks, id)
    }

    fn journal(&self) -> &dyn Journal {
        &self.journal
    }
}

/// A stack name becomes a file name: it must not be empty, hide the file, or leave `dir`.
fn check_stack_name(stack: &str) -> Result<(), StateError> {
    let bad = |reason: &str| StateError::BadStackName {
        stack: stack.to_string(),
        reason: reason.to_string(),
    };
    if stack.is_empty() {
        return Err(bad("it is empty"));
    }
    if stack.starts_with('.') {
        return Err(bad("it starts with `.`"));
    }
    if !stack
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(bad("use letters, digits, `-`, `_` and `.` only"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
