//! Recurrence vectors of another implementation, python-dateutil's rrule tests
//! (`tests/data/rrule-vectors/`, see its ORIGIN.md), through tete's RRULE parser and
//! iteration. Each vector is a DTSTART, an RRULE and the rule's own matches (dateutil counts
//! only those in COUNT and does not add DTSTART: `Occurrences::own_matches_only`). Vectors that
//! fail for a known reason say so in `known_failing` and are reported, not asserted.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde_json::Value;
use tete::calendar::recur::{DEFAULT_MAX_STEPS, RuleSpec};
use tete::calendar::value::TimeValue;

fn wall_clock(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%S").unwrap()
}

/// The rule's starts from `dtstart`, at most `limit`, as written in the vectors; or why the
/// rule could not be used.
fn run(rule: &str, dtstart: NaiveDateTime, limit: usize) -> Result<Vec<String>, String> {
    let spec = RuleSpec::parse(rule).map_err(|e| e.to_string())?;
    let until = spec.until.as_ref().map(|u| match u {
        TimeValue::Date(d) => d.and_time(NaiveTime::MIN),
        TimeValue::Floating(t) | TimeValue::Utc(t) | TimeValue::Zoned(t, _) => *t,
    });
    let iter = spec
        .iter(dtstart, until, dtstart, DEFAULT_MAX_STEPS)
        .map_err(|e| e.to_string())?
        .own_matches_only();
    Ok(iter
        .take(limit)
        .map(|t| t.format("%Y%m%dT%H%M%S").to_string())
        .collect())
}

#[test]
fn dateutil_rrule_vectors_pass() {
    let path = crate::data_dir().join("rrule-vectors/dateutil.json");
    let data: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let vectors = data["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 200, "only {} vectors", vectors.len());
    let (mut failures, mut known, mut fixed) = (Vec::new(), 0, Vec::new());
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let rule = v["rrule"].as_str().unwrap();
        let expected: Vec<String> = v["expected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap().to_string())
            .collect();
        let dtstart = wall_clock(v["dtstart"].as_str().unwrap());
        // One more than expected, to see an occurrence too many.
        let got = run(rule, dtstart, expected.len() + 1);
        let ok = got.as_ref() == Ok(&expected);
        match (ok, v["known_failing"].as_str()) {
            (true, None) => {}
            (true, Some(_)) => fixed.push(name.to_string()),
            (false, Some(_)) => known += 1,
            (false, None) => failures.push(format!(
                "{name}: DTSTART:{} RRULE:{rule}\n  expected {expected:?}\n  got      {got:?}",
                dtstart.format("%Y%m%dT%H%M%S")
            )),
        }
    }
    if !fixed.is_empty() {
        // Not a failure, so that a fix elsewhere does not break this test before its mark is
        // removed; the mark should go.
        eprintln!("known-failing vectors that now pass (remove the mark): {fixed:?}");
    }
    eprintln!("{} dateutil vectors, {known} known failing", vectors.len());
    assert!(
        failures.is_empty(),
        "{} vector(s) fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_date_only_until_is_read_at_midnight() {
    // The helper above reads a DATE UNTIL as midnight, as dateutil does for date-times.
    let day = NaiveDate::from_ymd_opt(1997, 9, 2).unwrap();
    let got = run(
        "FREQ=DAILY;UNTIL=19970904",
        day.and_hms_opt(0, 0, 0).unwrap(),
        10,
    )
    .unwrap();
    assert_eq!(
        got,
        ["19970902T000000", "19970903T000000", "19970904T000000"]
    );
}
