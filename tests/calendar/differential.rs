//! Random calendars from the differential run against recurring-ical-events
//! (`tools/differential-expand`, see tools/README.md), replayed without Python: every
//! calendar in `tests/data/differential` with its window and tete's expected output. Where
//! tete differs from the reference on purpose, the case says which documented choice
//! (tools/reference-findings.md) and keeps the reference's output beside it.

use serde_json::Value;

use crate::expand_cases::expand_file;

#[test]
fn every_generated_calendar_expands_as_recorded() {
    let dir = crate::data_dir().join("differential");
    let cases: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.join("cases.json")).unwrap()).unwrap();
    assert!(cases.len() >= 200, "cases.json lists only {}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let got = expand_file(&dir.join(format!("{name}.ics")), case);
        if got != case["expected"] {
            failures.push(format!(
                "{name} ({}):\n  expected {}\n  got      {}",
                case["source"].as_str().unwrap_or_default(),
                serde_json::to_string(&case["expected"]).unwrap(),
                serde_json::to_string(&got).unwrap()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} case(s) differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn cases_that_differ_from_the_reference_name_a_documented_choice() {
    let dir = crate::data_dir().join("differential");
    let cases: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.join("cases.json")).unwrap()).unwrap();
    let findings =
        std::fs::read_to_string(crate::data_dir().join("../../tools/reference-findings.md"))
            .unwrap();
    for case in &cases {
        let source = case["source"].as_str().unwrap();
        if let Some(why) = source.strip_prefix("tete, differs on purpose: ") {
            assert!(!why.contains("unexplained"), "{}: {why}", case["name"]);
            assert!(case["reference"].is_array(), "{}", case["name"]);
            // Each class cites its section of the findings, e.g. "(findings b)".
            for section in why.split("(findings ").skip(1) {
                let letter = &section[..1];
                assert!(
                    findings.contains(&format!("## {letter}. ")),
                    "{}: section {letter} is not in reference-findings.md",
                    case["name"]
                );
            }
        } else {
            assert!(source.starts_with("recurring-ical-events"), "{source}");
        }
    }
}
