//! Expansion cases checked into tests/data/expand: each calendar with its expected output,
//! cross-checked against recurring-ical-events 3.8.2 or written by hand where RFC 5545 and
//! that library disagree (`cases.json` says which, and why).

use std::path::Path;

use chrono::NaiveDateTime;
use serde_json::Value;
use tete::calendar::{Collector, Window};

fn utc(s: &str) -> NaiveDateTime {
    tete::cli::expand::parse_utc(s).unwrap()
}

/// The JSON form of `tete expand` for a file over the window of `case` (`start`, `end`).
pub fn expand_file(ics: &Path, case: &Value) -> Value {
    let mut collector = Collector::new();
    let origin = ics.display().to_string();
    collector
        .read(&std::fs::read(ics).unwrap()[..], &origin)
        .unwrap();
    let window = Window {
        start: utc(case["start"].as_str().unwrap()),
        end: utc(case["end"].as_str().unwrap()),
    };
    serde_json::to_value(collector.expand(window).occurrences).unwrap()
}

#[test]
fn every_case_matches_its_expected_output() {
    let dir = crate::data_dir().join("expand");
    let cases: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.join("cases.json")).unwrap()).unwrap();
    assert!(cases.len() >= 30, "cases.json lists only {}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let expected: Value = serde_json::from_slice(
            &std::fs::read(dir.join(format!("{name}.expected.json"))).unwrap(),
        )
        .unwrap();
        let got = expand_file(&dir.join(format!("{name}.ics")), case);
        if got != expected {
            failures.push(format!(
                "{name}:\n  expected {}\n  got      {}",
                serde_json::to_string(&expected).unwrap(),
                serde_json::to_string(&got).unwrap()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
