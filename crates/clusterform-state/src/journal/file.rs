//! The journal as a JSON-lines file, one record per line:
//!
//! ```text
//! J1 3c6a0f1e {"kind":"intent","seq":4,"address":"t.n","action":"create","at":"…"}
//! ```
//! `J1` is the journal format, then the CRC-32 of the JSON in hex, then the JSON. Each append is
//! a single `write` of a whole line followed by `fdatasync`. A crash mid-append can only damage
//! the last line; reading drops it, and the next append cuts it off first so new records never
//! follow a damaged one. A damaged line anywhere else is real corruption and an error.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use super::{unsettled, Journal, Record};
use crate::crc::crc32;
use crate::error::StateError;
use crate::fsutil::{fs_err, parent_dir, read_optional, replace_atomically, sync_dir};

/// The journal line format this build writes and the newest it reads.
pub const JOURNAL_FORMAT_VERSION: u64 = 1;

/// A journal kept in one file.
#[derive(Debug)]
pub struct FileJournal {
    path: PathBuf,
    /// Appends, reads and compaction are serialised, so compaction never races an append.
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Open for appending once the file's tail has been checked (and repaired) in this process.
    file: Option<File>,
    /// Records and bytes in the file, kept so appends need not reread it.
    count: usize,
    len: u64,
}

impl FileJournal {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileJournal {
            path: path.into(),
            inner: Mutex::new(Inner::default()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Drops every settled record, keeping only what is still in flight (and the `RunStarted`
    /// of its run); see `super::unsettled`. The caller must first have written a state that
    /// includes every `Completed` record. Returns how many records were kept.
    pub fn compact(&self) -> Result<usize, StateError> {
        self.compact_first(usize::MAX)
    }

    /// `compact`, looking only at the first `seen` records: those the caller's state was built
    /// from. Records appended since (by a task that raced the state write) are kept as they are,
    /// so a change persisted while the state file was being written is never dropped.
    pub fn compact_first(&self, seen: usize) -> Result<usize, StateError> {
        let mut inner = self.lock_inner();
        let Some(bytes) = read_optional(&self.path)? else {
            return Ok(0);
        };
        let scan = scan(&self.path, &bytes)?;
        let seen = seen.min(scan.records.len());
        let (old, new) = scan.records.split_at(seen);
        let keep: Vec<&Record> = unsettled(old)
            .into_iter()
            .filter_map(|i| old.get(i))
            .chain(new)
            .collect();
        if keep.len() == scan.records.len() && scan.valid_len == bytes.len() {
            // Nothing settled and nothing torn: the file already is its own compaction.
            return Ok(keep.len());
        }
        let mut content = String::new();
        for record in &keep {
            content.push_str(&encode_line(&self.path, record)?);
        }
        // Drop the append handle first: after the rename it would point at the old file.
        inner.file = None;
        replace_atomically(&self.path, content.as_bytes(), None)?;
        let file = open_append(&self.path)?;
        *inner = Inner {
            file: Some(file),
            count: keep.len(),
            len: content.len() as u64,
        };
        Ok(keep.len())
    }

    fn lock_inner(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves at worst a closed handle, which the
        // next append reopens (and repairs); the data is on disk, not in the mutex.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens the file for appending, first cutting off a torn last line.
    fn open(&self, inner: &mut Inner) -> Result<(), StateError> {
        let dir = parent_dir(&self.path);
        fs::create_dir_all(dir).map_err(fs_err("create directory", dir))?;
        let bytes = read_optional(&self.path)?;
        let (count, len) = match &bytes {
            Some(bytes) => {
                let scan = scan(&self.path, bytes)?;
                if scan.valid_len < bytes.len() {
                    let f = OpenOptions::new()
                        .write(true)
                        .open(&self.path)
                        .map_err(fs_err("open", &self.path))?;
                    f.set_len(scan.valid_len as u64)
                        .map_err(fs_err("cut the torn last line of", &self.path))?;
                    f.sync_all().map_err(fs_err("fsync", &self.path))?;
                }
                (scan.records.len(), scan.valid_len as u64)
            }
            None => (0, 0),
        };
        let file = open_append(&self.path)?;
        if bytes.is_none() {
            // A new file's name must be durable too, or the first fsynced records could vanish.
            sync_dir(dir)?;
        }
        *inner = Inner {
            file: Some(file),
            count,
            len,
        };
        Ok(())
    }
}

impl Journal for FileJournal {
    fn append(&self, record: &Record) -> Result<(), StateError> {
        let line = encode_line(&self.path, record)?;
        let mut inner = self.lock_inner();
        if inner.file.is_none() {
            self.open(&mut inner)?;
        }
        let len = inner.len;
        let written = match inner.file.as_mut() {
            Some(file) => file
                .write_all(line.as_bytes())
                .and_then(|()| file.sync_data()),
            None => Ok(()),
        };
        if let Err(e) = written {
            // Do not leave half a line for the next append to follow: cut back to the last whole
            // record (best effort) and reopen, which repairs whatever remains.
            if let Some(file) = inner.file.take() {
                let _ = file.set_len(len);
            }
            return Err(StateError::io("append to", &self.path, e));
        }
        inner.count += 1;
        inner.len += line.len() as u64;
        Ok(())
    }

    fn records(&self) -> Result<Vec<Record>, StateError> {
        let _inner = self.lock_inner();
        match read_optional(&self.path)? {
            Some(bytes) => Ok(scan(&self.path, &bytes)?.records),
            None => Ok(Vec::new()),
        }
    }

    fn record_count(&self) -> Result<usize, StateError> {
        let inner = self.lock_inner();
        if inner.file.is_some() {
            return Ok(inner.count);
        }
        // Not appended to yet in this process: count without opening (and repairing) the file,
        // so a read-only caller changes nothing.
        match read_optional(&self.path)? {
            Some(bytes) => Ok(scan(&self.path, &bytes)?.records.len()),
            None => Ok(0),
        }
    }
}

fn open_append(path: &Path) -> Result<File, StateError> {
    Ok(OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(fs_err("open", path))?)
}

/// One record as one line, newline included.
fn encode_line(path: &Path, record: &Record) -> Result<String, StateError> {
    let json = serde_json::to_string(record)
        .map_err(|e| StateError::io("encode a record for", path, std::io::Error::other(e)))?;
    Ok(format!(
        "J{JOURNAL_FORMAT_VERSION} {:08x} {json}\n",
        crc32(json.as_bytes())
    ))
}

/// The whole records of a journal file and the length of the prefix they fill.
struct Scan {
    records: Vec<Record>,
    valid_len: usize,
}

enum LineError {
    Damaged(String),
    TooNew(u64),
}

fn scan(path: &Path, bytes: &[u8]) -> Result<Scan, StateError> {
    let mut records = Vec::new();
    let mut pos = 0;
    let mut line_no = 0;
    while let Some(rest) = bytes.get(pos..).filter(|r| !r.is_empty()) {
        line_no += 1;
        // A last line without its newline was cut short: the newline is written with the rest.
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            break;
        };
        let next = pos + nl + 1;
        match decode_line(rest.get(..nl).unwrap_or_default()) {
            Ok(record) => records.push(record),
            Err(LineError::TooNew(found)) => {
                return Err(StateError::JournalTooNew {
                    path: path.to_path_buf(),
                    line: line_no,
                    found,
                    supported: JOURNAL_FORMAT_VERSION,
                })
            }
            // A damaged last line is a torn write (its pages reached the disk out of order).
            Err(LineError::Damaged(_)) if next >= bytes.len() => break,
            Err(LineError::Damaged(message)) => {
                return Err(StateError::JournalCorrupt {
                    path: path.to_path_buf(),
                    line: line_no,
                    message,
                })
            }
        }
        pos = next;
    }
    Ok(Scan {
        records,
        valid_len: pos,
    })
}

fn decode_line(line: &[u8]) -> Result<Record, LineError> {
    let damaged = |m: &str| LineError::Damaged(m.to_string());
    let text = std::str::from_utf8(line).map_err(|_| damaged("not UTF-8"))?;
    let rest = text
        .strip_prefix('J')
        .ok_or_else(|| damaged("no `J<version>` prefix"))?;
    let (version, rest) = rest.split_once(' ').ok_or_else(|| damaged("no checksum"))?;
    let version: u64 = version.parse().map_err(|_| damaged("bad format version"))?;
    if version > JOURNAL_FORMAT_VERSION {
        return Err(LineError::TooNew(version));
    }
    if version != JOURNAL_FORMAT_VERSION {
        return Err(damaged("unknown format version"));
    }
    let (crc, json) = rest
        .split_once(' ')
        .ok_or_else(|| damaged("no record after the checksum"))?;
    let crc = u32::from_str_radix(crc, 16).map_err(|_| damaged("bad checksum"))?;
    if crc32(json.as_bytes()) != crc {
        return Err(damaged("checksum mismatch"));
    }
    serde_json::from_str(json).map_err(|e| LineError::Damaged(format!("bad record: {e}")))
}

#[cfg(test)]
mod tests;
