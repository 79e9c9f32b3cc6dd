//! Detection, history and cadence end to end against ground truth: a generated manager
//! calendar (`truth_gen`: 22 reports, cadence changes, Google and Outlook moves and
//! cancellations, decoys, one-off meetings) goes through the real binary, and the JSON
//! report must find every 1:1 relationship with exactly its series, no decoy, the right
//! configured cadence, and held / moved / cancelled counts equal to the truth.
//!
//! `TETE_TRUTH_SEED=N` runs another seed (the cancellations and moves change with it);
//! `TETE_TRUTH_DUMP=FILE` keeps a copy of the generated calendar.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use chrono::{Duration, NaiveDateTime};
use serde_json::Value;

use crate::truth_gen::{self, ALIAS, Change, Generated, ME, SINCE, Series};

fn seed() -> u64 {
    std::env::var("TETE_TRUTH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_125)
}

/// Writes the calendar of `seed` into `dir`.
fn calendar(dir: &Path, seed: u64) -> (Generated, std::path::PathBuf) {
    let generated = truth_gen::generate(seed);
    // Every calendar has declines of single occurrences, which are not held.
    assert!(
        generated.ics.contains("PARTSTAT=DECLINED"),
        "seed {seed}: no decline generated"
    );
    let file = dir.join("mia.ics");
    std::fs::write(&file, &generated.ics).unwrap();
    if let Some(keep) = std::env::var_os("TETE_TRUTH_DUMP") {
        std::fs::write(keep, &generated.ics).unwrap();
    }
    (generated, file)
}

/// Runs `tete <command> --me … --calendar FILE --state STATE --now NOW <extra>`, returns
/// stdout; fails the test on a non-zero exit or a warning.
fn binary(
    command: &str,
    calendars: &[&Path],
    state: &Path,
    now: NaiveDateTime,
    extra: &[&str],
) -> String {
    let mut tete = Command::new(env!("CARGO_BIN_EXE_tete"));
    tete.arg(command).args(["--me", ME, "--me", ALIAS]);
    for calendar in calendars {
        tete.arg("--calendar").arg(calendar);
    }
    let output = tete
        .arg("--state")
        .arg(state)
        .arg("--now")
        .arg(now.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .args(extra)
        .env_remove("TETE_CONFIG")
        .env("XDG_CONFIG_HOME", state.parent().unwrap())
        .env("XDG_CACHE_HOME", state.parent().unwrap())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "tete {command} failed: {stderr}");
    assert!(
        !stderr.contains("warning"),
        "tete {command} warned about the generated calendar:\n{stderr}"
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `tete report --format json --since SINCE` at NOW.
fn report(calendar: &Path, state: &Path) -> String {
    report_at(calendar, state, truth_gen::now())
}

/// `tete report --format json --since SINCE` at `now`.
fn report_at(calendar: &Path, state: &Path, now: NaiveDateTime) -> String {
    report_of(&[calendar], state, now)
}

/// `tete report --format json --since SINCE` of several calendars at `now`.
fn report_of(calendars: &[&Path], state: &Path, now: NaiveDateTime) -> String {
    report_with(calendars, state, now, Some(SINCE))
}

/// `tete report --format json [--since SINCE]`: without `since`, the default window.
fn report_with(
    calendars: &[&Path],
    state: &Path,
    now: NaiveDateTime,
    since: Option<&str>,
) -> String {
    let mut extra = vec!["--format", "json"];
    extra.extend(since.iter().flat_map(|s| ["--since", s]));
    binary("report", calendars, state, now, &extra)
}

/// `tete list --explain`.
fn list_explain(calendar: &Path, state: &Path) -> String {
    let now = truth_gen::now();
    binary("list", &[calendar], state, now, &["--explain"])
}

/// The key a relationship is matched by: its address, else `name:` and its name.
fn key(email: Option<&str>, name: &str) -> String {
    email.map_or_else(|| format!("name:{}", as_read(name)), str::to_string)
}

/// A name as the report shows it: Exchange's "Okafor, Ben" reads "Ben Okafor".
fn as_read(name: &str) -> String {
    match name.split_once(", ") {
        Some((family, given)) if !given.is_empty() => format!("{given} {family}"),
        _ => name.to_string(),
    }
}

#[test]
fn the_report_finds_every_one_on_one_and_nothing_else_with_true_counts() {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let seed = seed();
    let (generated, file) = calendar(dir.path(), seed);
    // The generated calendar itself reads cleanly (`expand` has no --me/--state to trip on).
    let expand = Command::new(env!("CARGO_BIN_EXE_tete"))
        .arg("expand")
        .arg(&file)
        .args(["2026-01-01", "2027-03-01"])
        .output()
        .unwrap();
    assert!(expand.status.success());
    assert_eq!(String::from_utf8_lossy(&expand.stderr), "", "warnings");
    let json = report(&file, &dir.path().join("state.sqlite"));
    let c = compare(&generated, &json);
    println!(
        "seed {seed}: series precision {:.1}% ({}/{}), recall {:.1}% ({}/{}); \
         relationships found {}/{} (reported {})",
        c.precision * 100.0,
        c.hits,
        c.found_series,
        c.recall * 100.0,
        c.hits,
        c.true_series,
        c.found_relationships,
        generated.truth.len(),
        c.reported
    );
    println!(
        "truth: {} relationships, {} series, {} decoys, {} one-offs; held {}, moved {}, \
         cancelled {} since {SINCE}; {:.2?}",
        generated.truth.len(),
        c.true_series,
        generated.decoys.len(),
        generated.one_offs.len(),
        c.held,
        c.moved,
        c.cancelled,
        started.elapsed()
    );
    assert!(
        c.problems.is_empty(),
        "seed {seed}:\n{}\n\nreport:\n{json}",
        c.problems.join("\n")
    );
    assert_eq!((c.precision, c.recall), (1.0, 1.0));
}

/// How a JSON report compares with the truth.
struct Comparison {
    problems: Vec<String>,
    precision: f64,
    recall: f64,
    hits: usize,
    found_series: usize,
    true_series: usize,
    found_relationships: usize,
    reported: usize,
    held: usize,
    moved: usize,
    cancelled: usize,
}

fn compare(generated: &Generated, json: &str) -> Comparison {
    compare_since(generated, json, truth_gen::since())
}

/// The comparison, with the counts of the window from `since`.
fn compare_since(generated: &Generated, json: &str, since: NaiveDateTime) -> Comparison {
    let found: Vec<Value> = serde_json::from_str(json).unwrap();
    let truth: BTreeMap<String, &truth_gen::TruthRel> = generated
        .truth
        .iter()
        .map(|t| (key(t.email.as_deref(), &t.name), t))
        .collect();
    let by_key: BTreeMap<String, &Value> = found
        .iter()
        .map(|r| {
            (
                key(r["counterpart"].as_str(), r["name"].as_str().unwrap()),
                r,
            )
        })
        .collect();
    assert_eq!(by_key.len(), found.len(), "two relationships share a key");

    // Series level: every true series found under its person, nothing else found.
    let true_series: BTreeSet<(String, String)> = truth
        .iter()
        .flat_map(|(k, t)| t.series.iter().map(move |s| (k.clone(), s.clone())))
        .collect();
    let found_series: BTreeSet<(String, String)> = by_key
        .iter()
        .flat_map(|(k, r)| {
            r["series"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |s| (k.clone(), s.as_str().unwrap().to_string()))
        })
        .collect();
    let hits = true_series.intersection(&found_series).count();
    let precision = hits as f64 / found_series.len().max(1) as f64;
    let recall = hits as f64 / true_series.len() as f64;
    let rel_hits = truth.keys().filter(|k| by_key.contains_key(*k)).count();

    let mut problems: Vec<String> = Vec::new();
    for missed in true_series.difference(&found_series) {
        problems.push(format!("missed series {missed:?}"));
    }
    for extra in found_series.difference(&true_series) {
        problems.push(format!("wrongly reported series {extra:?}"));
    }
    for k in by_key.keys().filter(|k| !truth.contains_key(*k)) {
        problems.push(format!("a relationship that is not one: {k}"));
    }
    let decoys: BTreeSet<&str> = generated.decoys.iter().map(|d| d.uid.as_str()).collect();
    let one_offs: BTreeSet<&str> = generated.one_offs.iter().map(String::as_str).collect();
    for (_, uid) in &found_series {
        if decoys.contains(uid.as_str()) {
            problems.push(format!("decoy {uid} reported"));
        }
        if one_offs.contains(uid.as_str()) {
            problems.push(format!("one-off {uid} reported as a series"));
        }
    }

    // Cadence and counts, per relationship.
    let (mut held, mut moved, mut cancelled) = (0, 0, 0);
    for (k, t) in &truth {
        let Some(r) = by_key.get(k) else { continue };
        let (h, m, c) = t.counts(since);
        held += h;
        moved += m;
        cancelled += c;
        let got = (
            r["configured_cadence"].as_str().unwrap().to_string(),
            r["held"].as_u64().unwrap() as usize,
            r["moved"].as_u64().unwrap() as usize,
            r["cancelled"].as_u64().unwrap() as usize,
        );
        let want = (t.cadence.clone(), h, m, c);
        if got != want {
            problems.push(format!(
                "{k} ({}): (cadence, held, moved, cancelled) is {got:?}, truth {want:?}",
                t.note
            ));
        }
        let utc = |t: Option<NaiveDateTime>| {
            t.map_or(Value::Null, |t| {
                Value::from(t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            })
        };
        for (field, want) in [("last_held", t.last_held), ("next", t.next)] {
            if r[field] != utc(want) {
                problems.push(format!(
                    "{k} ({}): {field} {} instead of {}",
                    t.note,
                    r[field],
                    utc(want)
                ));
            }
        }
        if r["name"].as_str() != Some(as_read(&t.name).as_str()) {
            problems.push(format!(
                "{k}: name {} instead of {:?}",
                r["name"],
                as_read(&t.name)
            ));
        }
        let current = r["series"].as_array().unwrap().last().unwrap();
        if current.as_str() != t.series.last().map(String::as_str) {
            problems.push(format!(
                "{k}: current series {current} instead of {:?}",
                t.series.last()
            ));
        }
    }
    Comparison {
        problems,
        precision,
        recall,
        hits,
        found_series: found_series.len(),
        true_series: true_series.len(),
        found_relationships: rel_hits,
        reported: found.len(),
        held,
        moved,
        cancelled,
    }
}

#[test]
fn list_explains_why_each_decoy_is_not_a_one_on_one() {
    let dir = tempfile::tempdir().unwrap();
    let (generated, file) = calendar(dir.path(), seed());
    let listing = list_explain(&file, &dir.path().join("state.sqlite"));
    let lines: Vec<&str> = listing.lines().collect();
    for decoy in &generated.decoys {
        let tag = format!("[{}]", decoy.uid);
        let at = lines
            .iter()
            .position(|l| l.ends_with(&tag))
            .unwrap_or_else(|| panic!("{} ({}) not listed:\n{listing}", decoy.uid, decoy.why));
        assert!(
            lines[at].trim_start().starts_with("✗"),
            "{} ({}) listed as a 1:1: {}",
            decoy.uid,
            decoy.why,
            lines[at]
        );
        let because = lines.get(at + 1).copied().unwrap_or("");
        assert!(
            because.trim_start().starts_with("because ") && because.contains(decoy.reason),
            "{} ({}): expected a reason with {:?}, got {because:?}",
            decoy.uid,
            decoy.why,
            decoy.reason
        );
        println!("{} ({}): {}", decoy.summary, decoy.why, because.trim());
    }
    for t in &generated.truth {
        for uid in &t.series {
            let tag = format!("[{uid}]");
            let line = lines.iter().find(|l| l.ends_with(&tag));
            assert!(
                line.is_some_and(|l| l.trim_start().starts_with("✓")),
                "{uid} ({}) is not listed as a 1:1:\n{listing}",
                t.note
            );
        }
    }
}

#[test]
fn a_second_run_with_no_change_changes_nothing_and_the_state_survives() {
    let dir = tempfile::tempdir().unwrap();
    let (_, file) = calendar(dir.path(), seed());
    let state = dir.path().join("state").join("tete.sqlite");
    let first = report(&file, &state);
    assert!(state.is_file(), "no state file after the first run");
    let stored = |state: &Path| -> (i64, i64) {
        let conn = rusqlite::Connection::open(state).unwrap();
        let count = |table: &str| {
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .unwrap()
        };
        (count("occurrence"), count("change"))
    };
    let before = stored(&state);
    assert!(before.0 > 100, "only {} occurrences stored", before.0);
    let second = report(&file, &state);
    assert_eq!(
        first, second,
        "a second run with no change changed the report"
    );
    assert_eq!(stored(&state), before, "a second run changed the history");
    // Reopened once more, by a fresh process, from the file alone.
    assert_eq!(report(&file, &state), first);
}

/// Between two cycles: every other move undone (the meeting is back in its slot), every
/// third cancellation undone, and last week's meeting cancelled after the fact.
fn second_thoughts(s: &mut Series) {
    let changed = |s: &Series, cancel: bool| -> Vec<NaiveDateTime> {
        s.changes
            .iter()
            .filter(|(_, c)| matches!(c, Change::Move(_)) != cancel)
            .filter(|(_, c)| **c != Change::Touch)
            .map(|(t, _)| *t)
            .collect()
    };
    for t in changed(s, false).iter().step_by(2) {
        s.changes.remove(t);
    }
    for t in changed(s, true).iter().step_by(3) {
        s.changes.remove(t);
    }
    let week_ago = (truth_gen::now() - Duration::days(7)).date();
    if let Some(t) = s.occurrences(week_ago).last().copied()
        && t.date() > week_ago - Duration::days(7)
    {
        s.changes.insert(t, Change::Exdate);
    }
}

#[test]
fn history_follows_the_calendar_across_cycles() {
    let dir = tempfile::tempdir().unwrap();
    let seed = seed();
    let state = dir.path().join("state.sqlite");
    let (before, file) = calendar(dir.path(), seed);
    let now = truth_gen::now();
    // A cycle a week for three weeks, then one now: the same truth as a first run now.
    for weeks_ago in [3, 2, 1] {
        report_at(&file, &state, now - Duration::weeks(weeks_ago));
    }
    let json = report(&file, &state);
    let c = compare(&before, &json);
    assert!(
        c.problems.is_empty(),
        "after weekly cycles:\n{}",
        c.problems.join("\n")
    );
    let changes_before = rusqlite::Connection::open(&state)
        .unwrap()
        .query_row("SELECT count(*) FROM change", [], |r| r.get::<_, i64>(0))
        .unwrap();

    // Then the calendar changes: moves undone, cancellations undone, a late cancellation.
    let after = truth_gen::generate_edited(seed, &second_thoughts);
    assert_ne!(after.ics, before.ics);
    std::fs::write(&file, &after.ics).unwrap();
    let json = report(&file, &state);
    let c = compare(&after, &json);
    println!(
        "after the edit: held {}, moved {}, cancelled {}",
        c.held, c.moved, c.cancelled
    );
    assert!(
        c.problems.is_empty(),
        "after the calendar changed:\n{}\n\nreport:\n{json}",
        c.problems.join("\n")
    );
    let changes_after = rusqlite::Connection::open(&state)
        .unwrap()
        .query_row("SELECT count(*) FROM change", [], |r| r.get::<_, i64>(0))
        .unwrap();
    assert!(
        changes_after > changes_before,
        "the history logged none of the changes"
    );
}

/// Between two cycles, every series is re-timed an hour later as a whole (an "all events"
/// edit: every RECURRENCE-ID changes with it).
fn retimed(s: &mut Series) {
    s.start += Duration::hours(1);
    s.changes = s
        .changes
        .iter()
        .map(|(t, c)| (*t + Duration::hours(1), *c))
        .collect();
}

#[test]
fn a_series_retimed_as_a_whole_is_not_counted_twice() {
    let dir = tempfile::tempdir().unwrap();
    let seed = seed();
    let state = dir.path().join("state.sqlite");
    let (_, file) = calendar(dir.path(), seed);
    report(&file, &state);
    let after = truth_gen::generate_edited(seed, &retimed);
    std::fs::write(&file, &after.ics).unwrap();
    let json = report(&file, &state);
    let c = compare(&after, &json);
    assert!(
        c.problems.is_empty(),
        "after re-timing:\n{}",
        c.problems.join("\n")
    );
}

#[test]
fn the_same_calendar_read_twice_gives_the_same_report() {
    // A manager's Google export and an Exchange feed both hold the same invitations.
    let dir = tempfile::tempdir().unwrap();
    let (generated, file) = calendar(dir.path(), seed());
    let copy = dir.path().join("copy.ics");
    std::fs::copy(&file, &copy).unwrap();
    let once = report(&file, &dir.path().join("once.sqlite"));
    let twice = report_of(
        &[&file, &copy],
        &dir.path().join("twice.sqlite"),
        truth_gen::now(),
    );
    let c = compare(&generated, &twice);
    assert!(c.problems.is_empty(), "{}", c.problems.join("\n"));
    assert_eq!(once, twice, "reading the calendar twice changed the report");
}

#[test]
fn without_since_the_window_is_the_last_26_weeks() {
    let dir = tempfile::tempdir().unwrap();
    let (generated, file) = calendar(dir.path(), seed());
    let now = truth_gen::now();
    let json = report_with(&[&file], &dir.path().join("state.sqlite"), now, None);
    // 27 May 12:00 UTC: that Wednesday's morning meetings are out, the afternoon's in.
    let c = compare_since(&generated, &json, now - Duration::weeks(26));
    println!(
        "26 weeks: held {}, moved {}, cancelled {}",
        c.held, c.moved, c.cancelled
    );
    assert!(c.problems.is_empty(), "{}", c.problems.join("\n"));
}
