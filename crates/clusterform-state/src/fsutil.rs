//! Durable file replacement: write a temp file in the same directory, fsync it, rename it over
//! the target, fsync the directory. A crash at any point leaves either the old or the new file,
//! never a mix and never neither.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{LockError, StateError};

/// An IO failure with the file it happened on.
#[derive(Debug)]
pub(crate) struct FsError {
    pub action: &'static str,
    pub path: PathBuf,
    pub source: io::Error,
}

impl From<FsError> for StateError {
    fn from(e: FsError) -> Self {
        StateError::io(e.action, e.path, e.source)
    }
}

impl From<FsError> for LockError {
    fn from(e: FsError) -> Self {
        LockError::io(e.action, e.path, e.source)
    }
}

pub(crate) fn fs_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> FsError + 'a {
    move |source| FsError {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// The directory a file lives in (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Replaces `target` with `bytes` atomically. With `backup`, the file being replaced is kept
/// there; the backup is itself swapped in atomically, so a good backup is never half-written.
pub(crate) fn replace_atomically(
    target: &Path,
    bytes: &[u8],
    backup: Option<&Path>,
) -> Result<(), FsError> {
    let dir = parent_dir(target);
    let tmp = temp_sibling(target);
    let result = write_then_swap(dir, &tmp, target, bytes, backup);
    if result.is_err() {
        // Best effort: a leftover temp file is harmless, only untidy.
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn write_then_swap(
    dir: &Path,
    tmp: &Path,
    target: &Path,
    bytes: &[u8],
    backup: Option<&Path>,
) -> Result<(), FsError> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)
        .map_err(fs_err("create", tmp))?;
    f.write_all(bytes).map_err(fs_err("write", tmp))?;
    f.sync_all().map_err(fs_err("fsync", tmp))?;
    drop(f);
    if let Some(backup) = backup {
        keep_backup(target, backup)?;
    }
    fs::rename(tmp, target).map_err(fs_err("rename into place", target))?;
    sync_dir(dir)
}

/// Points `backup` at the current `target`, if there is one. A hard link costs nothing and
/// keeps `target` in place throughout; filesystems without hard links get a copy.
fn keep_backup(target: &Path, backup: &Path) -> Result<(), FsError> {
    let staged = temp_sibling(backup);
    match fs::hard_link(target, &staged) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(_) => {
            match fs::copy(target, &staged) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(e) => {
                    return Err(FsError {
                        action: "copy to backup",
                        path: staged,
                        source: e,
                    })
                }
            }
            File::open(&staged)
                .and_then(|f| f.sync_all())
                .map_err(fs_err("fsync", &staged))?;
        }
    }
    fs::rename(&staged, backup).map_err(|e| {
        let _ = fs::remove_file(&staged);
        FsError {
            action: "rename into place",
            path: backup.to_path_buf(),
            source: e,
        }
    })
}

/// Makes renames and creations in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), FsError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(fs_err("fsync directory", dir))?;
    }
    #[cfg(not(unix))]
    {
        // Directories cannot be opened for fsync elsewhere; the rename is as durable as it gets.
        let _ = dir;
    }
    Ok(())
}

/// A unique name next to `path`, hidden, so two writers never share a temp file.
pub(crate) fn temp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    parent_dir(path).join(format!(".{name}.tmp-{}", uuid::Uuid::new_v4().simple()))
}

/// Reads a file, `None` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, FsError> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FsError {
            action: "read",
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_keeps_the_previous_file_as_backup() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("s.json");
        let backup = dir.path().join("s.json.backup");
        replace_atomically(&target, b"one", Some(&backup)).unwrap();
        assert!(!backup.exists(), "nothing to back up on the first write");
        replace_atomically(&target, b"two", Some(&backup)).unwrap();
        replace_atomically(&target, b"three", Some(&backup)).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"three");
        assert_eq!(fs::read(&backup).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temp files left behind: {names:?}");
    }
}
