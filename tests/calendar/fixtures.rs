//! Real-world fixtures against the reference: every fixture the Python reference stack
//! (icalendar + recurring-ical-events, `tools/reference-fixtures`) expands fully has its
//! output in `tests/data/fixtures/reference/<folder>__<name>.json`; `tete expand` over the
//! same window must print exactly that list (same occurrences, times, summaries, statuses).

use std::process::Command;

use crate::data_dir;

/// The reference's window.
const WINDOW: [&str; 2] = ["2000-01-01", "2030-01-01"];

#[test]
fn every_reference_output_is_matched() {
    let reference_dir = data_dir().join("fixtures/reference");
    let mut compared = 0;
    let mut differing = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&reference_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    entries.sort();
    for expected_path in entries {
        let stem = expected_path
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let (folder, name) = stem.split_once("__").expect("<folder>__<name>.json");
        let fixture = data_dir().join(format!("fixtures/{folder}/{name}.ics"));
        assert!(
            fixture.exists(),
            "{} has no fixture",
            expected_path.display()
        );
        let out = Command::new(env!("CARGO_BIN_EXE_tete"))
            .arg("expand")
            .arg(&fixture)
            .args(WINDOW)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            fixture.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let ours: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
        if ours != expected {
            differing.push(stem);
        }
        compared += 1;
    }
    assert_eq!(compared, 35, "every reference output is compared");
    assert!(
        differing.is_empty(),
        "tete differs from the reference on: {differing:?}"
    );
}
