//! The local backend's lock: `<stack>.lock`, created with `O_EXCL` and holding the holder's
//! `LockInfo` as JSON, renewed by heartbeats.
//!
//! Creating the lock file is atomic by itself. Every change to an *existing* lock file (heartbeat,
//! release, takeover, force-unlock) is a read-check-replace, and those are serialised by a short
//! mutex file `<stack>.lock.guard` (also `O_EXCL`), held for microseconds. Without it a slow
//! holder's heartbeat could resurrect its lock right after another run took it over, or a release
//! could delete the lock of the run that took over. A guard left behind by a crashed process is
//! considered stale after `GUARD_STALE` and removed.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime};

use chrono::Utc;

use crate::error::LockError;
use crate::fsutil::{fs_err, read_optional, replace_atomically, sync_dir, FsError};
use crate::lock::{Lease, LockGuard, LockInfo, LockRequest, TakeoverPolicy};

/// How often a waiting `lock` looks again.
const POLL: Duration = Duration::from_millis(100);
/// A lock file younger than this that cannot be parsed is taken to be mid-creation.
const CREATION_GRACE: Duration = Duration::from_secs(5);
/// A guard file older than this was left by a crashed process.
const GUARD_STALE: Duration = Duration::from_secs(10);

/// The paths of one stack's lock.
#[derive(Debug, Clone)]
pub(crate) struct LockFiles {
    pub dir: PathBuf,
    pub lock: PathBuf,
    pub guard: PathBuf,
}

/// What the lock file says.
enum Holder {
    Free,
    Held(LockInfo),
    Unreadable { message: String, age: Duration },
}

pub(crate) fn acquire(
    files: &LockFiles,
    request: LockRequest,
    timeout: Duration,
) -> Result<LockGuard, LockError> {
    fs::create_dir_all(&files.dir).map_err(fs_err("create directory", &files.dir))?;
    // No deadline (`None`) when the timeout is too large to add: wait as long as it takes.
    let deadline = Instant::now().checked_add(timeout);
    let past_deadline = || deadline.is_some_and(|d| Instant::now() >= d);
    let mut info = request.info;
    loop {
        let now = Utc::now();
        info.started_at = now;
        info.heartbeat_at = now;
        if try_create(files, &info)? {
            return Ok(guard(files, info));
        }
        match read_holder(&files.lock)? {
            Holder::Free => continue,
            Holder::Unreadable { message, age } => {
                if age > CREATION_GRACE || past_deadline() {
                    return Err(LockError::Corrupt {
                        path: files.lock.clone(),
                        message,
                    });
                }
            }
            Holder::Held(holder) if holder.is_expired(now) => match request.takeover {
                TakeoverPolicy::Never => {
                    return Err(LockError::Expired {
                        holder: Box::new(holder),
                    })
                }
                TakeoverPolicy::AfterJournalReplay => {
                    if take_over(files, &holder, &info)? {
                        return Ok(guard(files, info));
                    }
                    continue;
                }
            },
            Holder::Held(holder) => {
                if past_deadline() {
                    return Err(LockError::Locked {
                        holder: Box::new(holder),
                    });
                }
            }
        }
        let left = deadline.map_or(POLL, |d| d.saturating_duration_since(Instant::now()));
        sleep(POLL.min(left).max(Duration::from_millis(1)));
    }
}

pub(crate) fn force_unlock(files: &LockFiles, id: &str) -> Result<(), LockError> {
    // Checked before taking the guard, whose file cannot be made when `dir` does not exist yet.
    if matches!(read_holder(&files.lock)?, Holder::Free) {
        return Err(LockError::NotLocked);
    }
    with_guard(files, || match read_holder(&files.lock)? {
        Holder::Free => Err(LockError::NotLocked),
        Holder::Unreadable { message, .. } => Err(LockError::Corrupt {
            path: files.lock.clone(),
            message,
        }),
        Holder::Held(holder) if holder.id == id => remove_lock(files),
        Holder::Held(holder) => Err(LockError::IdMismatch {
            requested: id.to_string(),
            holder: Box::new(holder),
        }),
    })
}

/// The current holder, if the lock is held.
pub(crate) fn holder(files: &LockFiles) -> Result<Option<LockInfo>, LockError> {
    match read_holder(&files.lock)? {
        Holder::Free => Ok(None),
        Holder::Held(h) => Ok(Some(h)),
        Holder::Unreadable { message, .. } => Err(LockError::Corrupt {
            path: files.lock.clone(),
            message,
        }),
    }
}

fn guard(files: &LockFiles, info: LockInfo) -> LockGuard {
    LockGuard::new(Box::new(LocalLease {
        files: files.clone(),
        info,
    }))
}

/// Creates the lock file holding `info`; `false` if it already exists.
fn try_create(files: &LockFiles, info: &LockInfo) -> Result<bool, LockError> {
    let mut f = match OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&files.lock)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(LockError::io("create", &files.lock, e)),
    };
    let written = f.write_all(&lock_bytes(info)).and_then(|()| f.sync_all());
    if let Err(e) = written {
        // An empty lock file would block everybody until someone deleted it by hand.
        let _ = fs::remove_file(&files.lock);
        return Err(LockError::io("write", &files.lock, e));
    }
    sync_dir(&files.dir)?;
    Ok(true)
}

/// Replaces the expired lock of `expired` with ours, unless it changed since it was read.
fn take_over(files: &LockFiles, expired: &LockInfo, ours: &LockInfo) -> Result<bool, LockError> {
    with_guard(files, || match read_holder(&files.lock)? {
        Holder::Held(h) if h.id == expired.id && h.is_expired(Utc::now()) => {
            replace_atomically(&files.lock, &lock_bytes(ours), None)?;
            Ok(true)
        }
        _ => Ok(false),
    })
}

fn remove_lock(files: &LockFiles) -> Result<(), LockError> {
    fs::remove_file(&files.lock).map_err(fs_err("remove", &files.lock))?;
    Ok(sync_dir(&files.dir)?)
}

fn lock_bytes(info: &LockInfo) -> Vec<u8> {
    // `LockInfo` is strings, integers and timestamps: serialising it cannot fail.
    let mut bytes = serde_json::to_vec_pretty(info).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn read_holder(path: &Path) -> Result<Holder, LockError> {
    let Some(bytes) = read_optional(path)? else {
        return Ok(Holder::Free);
    };
    match serde_json::from_slice::<LockInfo>(&bytes) {
        Ok(info) => Ok(Holder::Held(info)),
        Err(e) => {
            let age = fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .unwrap_or_default();
            Ok(Holder::Unreadable {
                message: e.to_string(),
                age,
            })
        }
    }
}

/// Runs `f` holding the guard file.
fn with_guard<T>(
    files: &LockFiles,
    f: impl FnOnce() -> Result<T, LockError>,
) -> Result<T, LockError> {
    let deadline = Instant::now() + GUARD_STALE + Duration::from_secs(2);
    loop {
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&files.guard)
        {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let stale = fs::metadata(&files.guard)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| SystemTime::now().duration_since(t).ok())
                    .is_some_and(|age| age > GUARD_STALE);
                if stale {
                    let _ = fs::remove_file(&files.guard);
                    continue;
                }
                if Instant::now() >= deadline {
                    let e = io::Error::new(io::ErrorKind::TimedOut, "another process holds it");
                    return Err(FsError {
                        action: "take the lock guard",
                        path: files.guard.clone(),
                        source: e,
                    }
                    .into());
                }
                sleep(Duration::from_millis(2));
            }
            Err(e) => return Err(LockError::io("create", &files.guard, e)),
        }
    }
    let result = f();
    // If this fails the guard goes stale and the next caller removes it after `GUARD_STALE`.
    let _ = fs::remove_file(&files.guard);
    result
}

/// A held local lock.
struct LocalLease {
    files: LockFiles,
    info: LockInfo,
}

impl LocalLease {
    fn lost(&self, now_held_by: Option<Box<LockInfo>>) -> LockError {
        LockError::Lost {
            id: self.info.id.clone(),
            now_held_by,
        }
    }
}

impl Lease for LocalLease {
    fn info(&self) -> &LockInfo {
        &self.info
    }

    fn heartbeat(&mut self) -> Result<(), LockError> {
        let files = self.files.clone();
        let mut renewed = self.info.clone();
        renewed.heartbeat_at = Utc::now();
        with_guard(&files, || match read_holder(&files.lock)? {
            Holder::Held(h) if h.id == renewed.id => Ok(replace_atomically(
                &files.lock,
                &lock_bytes(&renewed),
                None,
            )?),
            Holder::Held(h) => Err(self.lost(Some(Box::new(h)))),
            Holder::Free | Holder::Unreadable { .. } => Err(self.lost(None)),
        })?;
        self.info = renewed;
        Ok(())
    }

    fn release(&mut self) -> Result<(), LockError> {
        let files = self.files.clone();
        with_guard(&files, || match read_holder(&files.lock)? {
            Holder::Held(h) if h.id == self.info.id => remove_lock(&files),
            Holder::Held(h) => Err(self.lost(Some(Box::new(h)))),
            Holder::Free | Holder::Unreadable { .. } => Err(self.lost(None)),
        })
    }
}

#[cfg(test)]
mod tests;
