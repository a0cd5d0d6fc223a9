//! File journal tests: durability format, torn-line tolerance, corruption, compaction.

use std::fs::{self, OpenOptions};
use std::io::Write;

use clusterform_model::Action;

use super::*;
use crate::journal::tests::{completed, intent, resource, started};

fn journal() -> (tempfile::TempDir, FileJournal) {
    let dir = tempfile::tempdir().unwrap();
    let j = FileJournal::new(dir.path().join("prod.journal"));
    (dir, j)
}

fn append_raw(j: &FileJournal, bytes: &[u8]) {
    OpenOptions::new()
        .append(true)
        .open(j.path())
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

#[test]
fn appends_are_whole_checksummed_lines() {
    let (_dir, j) = journal();
    assert!(
        j.records().unwrap().is_empty(),
        "no file yet is an empty journal"
    );
    let records = vec![
        intent(1, "a", Action::Create),
        started(1, "a", "job-1"),
        completed("a", Some(resource("a", "v1"))),
    ];
    for r in &records {
        j.append(r).unwrap();
    }
    assert_eq!(j.records().unwrap(), records);
    assert_eq!(j.record_count().unwrap(), 3);
    let text = fs::read_to_string(j.path()).unwrap();
    assert_eq!(text.lines().count(), 3);
    for line in text.lines() {
        let (crc, json) = line.strip_prefix("J1 ").unwrap().split_once(' ').unwrap();
        assert_eq!(crc, format!("{:08x}", crc32(json.as_bytes())));
    }
}

#[test]
fn a_torn_last_line_is_ignored_then_cut_off_by_the_next_append() {
    let (_dir, j) = journal();
    j.append(&intent(1, "a", Action::Create)).unwrap();
    // A crash mid-append: part of a line, no newline.
    let whole = encode_line(j.path(), &started(1, "a", "job-1")).unwrap();
    append_raw(&j, &whole.as_bytes()[..whole.len() / 2]);
    assert_eq!(j.records().unwrap(), [intent(1, "a", Action::Create)]);

    // A new process appends: the torn half must not end up in the middle of the file.
    let fresh = FileJournal::new(j.path());
    assert_eq!(fresh.record_count().unwrap(), 1);
    fresh.append(&started(1, "a", "job-2")).unwrap();
    assert_eq!(
        fresh.records().unwrap(),
        [intent(1, "a", Action::Create), started(1, "a", "job-2")]
    );
}

#[test]
fn a_damaged_last_line_with_its_newline_is_ignored() {
    let (_dir, j) = journal();
    j.append(&intent(1, "a", Action::Create)).unwrap();
    // Pages of the last write reached the disk out of order: the newline but not all the bytes.
    let mut line = encode_line(j.path(), &started(1, "a", "job-1"))
        .unwrap()
        .into_bytes();
    let mid = line.len() / 2;
    line[mid..mid + 8].fill(0);
    append_raw(&j, &line);
    assert_eq!(j.records().unwrap(), [intent(1, "a", Action::Create)]);
}

#[test]
fn a_damaged_line_before_the_end_is_an_error() {
    let (_dir, j) = journal();
    j.append(&intent(1, "a", Action::Create)).unwrap();
    j.append(&intent(2, "b", Action::Create)).unwrap();
    j.append(&intent(3, "c", Action::Create)).unwrap();
    let text = fs::read_to_string(j.path()).unwrap();
    fs::write(j.path(), text.replacen("cluster.b", "cluster.x", 1)).unwrap();
    let err = FileJournal::new(j.path()).records().unwrap_err();
    let StateError::JournalCorrupt {
        line: 2, message, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(message, "checksum mismatch");
    assert!(err.to_string().contains("\nhint: "), "{err}");
    // And nothing is appended after real corruption.
    assert!(FileJournal::new(j.path())
        .append(&intent(4, "d", Action::Create))
        .is_err());
}

#[test]
fn a_newer_journal_format_is_refused() {
    let (_dir, j) = journal();
    j.append(&intent(1, "a", Action::Create)).unwrap();
    append_raw(&j, b"J2 00000000 {\"kind\":\"future\"}\n");
    let err = j.records().unwrap_err();
    assert!(
        matches!(
            err,
            StateError::JournalTooNew {
                line: 2,
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().ends_with("hint: upgrade clusterform"));
}

#[test]
fn compaction_keeps_in_flight_records_and_appends_continue_after_it() {
    let (_dir, j) = journal();
    for r in [
        Record::RunStarted {
            run_id: "run-1".into(),
        },
        intent(1, "a", Action::Create),
        completed("a", Some(resource("a", "v1"))),
        intent(2, "b", Action::Create),
        started(2, "b", "job-b"),
    ] {
        j.append(&r).unwrap();
    }
    assert_eq!(j.compact().unwrap(), 3);
    let expected = vec![
        Record::RunStarted {
            run_id: "run-1".into(),
        },
        intent(2, "b", Action::Create),
        started(2, "b", "job-b"),
    ];
    assert_eq!(j.records().unwrap(), expected);
    assert_eq!(j.record_count().unwrap(), 3);

    j.append(&completed("b", Some(resource("b", "v1"))))
        .unwrap();
    assert_eq!(
        j.records().unwrap().len(),
        4,
        "the append handle follows the compacted file"
    );
    assert_eq!(j.compact().unwrap(), 0);
    assert_eq!(
        fs::read(j.path()).unwrap(),
        b"",
        "everything settled: an empty journal"
    );
}

#[test]
fn compacting_a_missing_journal_does_nothing() {
    let (_dir, j) = journal();
    assert_eq!(j.compact().unwrap(), 0);
    assert!(!j.path().exists());
}

#[test]
fn counting_records_does_not_repair_the_file() {
    let (_dir, j) = journal();
    j.append(&intent(1, "a", Action::Create)).unwrap();
    append_raw(&j, b"J1 0000");
    let len = fs::metadata(j.path()).unwrap().len();
    let reader = FileJournal::new(j.path());
    assert_eq!(reader.record_count().unwrap(), 1);
    assert_eq!(
        fs::metadata(j.path()).unwrap().len(),
        len,
        "a reader leaves the torn tail alone"
    );
}

#[test]
fn records_appended_after_the_state_snapshot_survive_compaction() {
    let (_dir, j) = journal();
    j.append(&completed("a", Some(resource("a", "v1"))))
        .unwrap();
    j.append(&intent(2, "b", Action::Create)).unwrap();
    // The caller's state was built from these two; then a racing task persists "c".
    let seen = j.records().unwrap().len();
    j.append(&completed("c", Some(resource("c", "v1"))))
        .unwrap();
    assert_eq!(j.compact_first(seen).unwrap(), 2);
    assert_eq!(
        j.records().unwrap(),
        [
            intent(2, "b", Action::Create),
            completed("c", Some(resource("c", "v1")))
        ]
    );
}
