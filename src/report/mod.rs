//! The cadence report, as a terminal table, JSON (documented in README.md) or one
//! self-contained HTML page with a timeline per relationship.
//!
//! Pure: analysed relationships in, text out.

use chrono::{DateTime, Utc};
use serde::Serialize;

use std::collections::HashMap;

use crate::agenda::plan::OpenItem;
use crate::cadence::{Analysis, Cadence, Suggestion};
use crate::detect::{CounterpartKey, Relationship};
use crate::history::StoredOccurrence;
use crate::zone::Zone;

pub mod digest;
mod html;
mod text;

pub use html::html;
pub use text::text;

/// One relationship and its analysis: what the report shows of it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The relationship.
    pub relationship: Relationship,
    /// Its cadence analysis.
    pub analysis: Analysis,
    /// Every stored occurrence of its series, read once per cycle for the analysis, the
    /// agenda plan and the nudges (shared with the history's answer a daemon keeps).
    pub occurrences: std::sync::Arc<[StoredOccurrence]>,
}

/// The report of one run.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    /// When it was made ("now" of the cycle).
    pub now: DateTime<Utc>,
    /// The relationships, sorted by name.
    pub entries: &'a [Entry],
    /// The manager's zone: text and HTML show times and days there (JSON stays UTC).
    pub zone: Zone,
    /// Each person's open action items and current nudges (the HTML report shows them).
    pub notes: &'a PeopleNotes,
}

/// What the report shows of a person beyond the cadence, keyed by relationship.
pub type PeopleNotes = HashMap<CounterpartKey, PersonNotes>;

/// A person's open action items and the nudges due now, as the cycle found them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonNotes {
    /// Items still open, oldest first.
    pub open_items: Vec<OpenItem>,
    /// The messages of the nudges due now.
    pub nudges: Vec<String>,
    /// The coming 1:1s tete writes an agenda for: their start and where the agenda goes.
    pub agendas: Vec<(DateTime<Utc>, String)>,
}

impl Report<'_> {
    /// The day of a UTC time in the manager's zone, as the report writes it: "Mon 3 Nov".
    fn day(&self, t: DateTime<Utc>) -> String {
        crate::cadence::short_date(self.zone.date(t))
    }

    /// The relationships that need attention first (a suggestion: a change to make, or a
    /// warning), the others after, each group in name order.
    fn attention_first(&self) -> Vec<&Entry> {
        let mut entries: Vec<&Entry> = self.entries.iter().collect();
        entries.sort_by_key(|e| e.analysis.advice.suggestion().is_none());
        entries
    }

    /// "2 of 9 need attention: Chloé, Grace." or "All 9 run as planned."
    fn attention_line(&self) -> String {
        let names: Vec<String> = self
            .entries
            .iter()
            .filter(|e| e.analysis.advice.suggestion().is_some())
            .map(|e| e.relationship.counterpart.first_name())
            .collect();
        match names.as_slice() {
            [] => format!("All {} run as planned.", self.entries.len()),
            names => format!(
                "{} of {} need attention: {}.",
                names.len(),
                self.entries.len(),
                names.join(", ")
            ),
        }
    }

    /// One time axis for every relationship, so months line up down the page: from the
    /// earliest window start to a week after the latest meeting known (or now).
    fn axis(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = self
            .entries
            .iter()
            .map(|e| e.analysis.window_start)
            .min()
            .unwrap_or(self.now);
        let end = self
            .entries
            .iter()
            .flat_map(|e| e.analysis.timeline.iter().map(|m| m.start.max(m.scheduled)))
            .max()
            .unwrap_or(self.now)
            .max(self.now)
            + chrono::Duration::days(7);
        (start, end)
    }

    /// "Your 1:1s took 6.5 hours a week on average (170 hours since Wed 27 May)": the
    /// manager's hours over the report's window (its earliest start to now); `None` for a
    /// window under a day.
    fn hours_line(&self) -> Option<String> {
        let start = self.entries.iter().map(|e| e.analysis.window_start).min()?;
        let weeks = (self.now - start).num_hours() as f64 / (24.0 * 7.0);
        let hours: f64 = self.entries.iter().map(|e| e.analysis.hours_together).sum();
        let per_week = (weeks >= 1.0 / 7.0).then(|| hours / weeks)?;
        Some(format!(
            "Your 1:1s took {} hours a week on average ({} hours since {}).",
            one_decimal(per_week),
            one_decimal(hours),
            self.day(start)
        ))
    }

    /// The notes on one relationship, when there are any.
    fn notes_of(&self, entry: &Entry) -> Option<&PersonNotes> {
        self.notes.get(&entry.relationship.counterpart.key())
    }

    /// When the report was made, for its heading.
    fn as_of(&self) -> String {
        self.zone.show(self.now, "%a %-d %b %Y %H:%M %Z")
    }
}

/// A cadence as a suggestion says it: "make it every two weeks".
fn words(c: Cadence) -> &'static str {
    match c {
        Cadence::Weekly => "weekly",
        Cadence::Biweekly => "every two weeks",
        Cadence::Monthly => "monthly",
        Cadence::EveryNWeeks(_) | Cadence::Other => "less frequent",
    }
}

/// "6.5", "12": hours as people write them.
fn one_decimal(x: f64) -> String {
    let rounded = (x * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

/// "92%": a share as people read it.
fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Days rounded to a tenth, as JSON shows them.
fn tenth(d: f64) -> f64 {
    (d * 10.0).round() / 10.0
}

/// One relationship in the JSON report; README.md documents every key.
#[derive(Debug, Serialize)]
struct JsonEntry<'a> {
    counterpart: Option<&'a str>,
    name: String,
    series: Vec<&'a str>,
    configured_cadence: Cadence,
    actual_cadence: Option<Cadence>,
    median_gap_days: Option<f64>,
    held: usize,
    moved: usize,
    cancelled: usize,
    declined: usize,
    attendance: Option<f64>,
    hours_together: f64,
    longest_gap_days: Option<f64>,
    last_held: Option<String>,
    next: Option<String>,
    since: Option<String>,
    window_start: String,
    cadence_history: Vec<JsonSeries<'a>>,
    adhoc: Vec<String>,
    suggestion: Option<&'a Suggestion>,
    no_suggestion_reason: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct JsonSeries<'a> {
    uid: &'a str,
    cadence: Cadence,
    first: Option<String>,
    last: Option<String>,
}

fn json_entry(e: &Entry) -> JsonEntry<'_> {
    let a: &Analysis = &e.analysis;
    let c = &e.relationship.counterpart;
    JsonEntry {
        counterpart: c.email.as_deref(),
        name: c.display(),
        series: a.series.iter().map(|s| s.uid.as_str()).collect(),
        configured_cadence: a.configured,
        actual_cadence: a.actual,
        median_gap_days: a.median_gap_days.map(tenth),
        held: a.held,
        moved: a.moved,
        cancelled: a.cancelled,
        declined: a.declined,
        attendance: a.attendance().map(|x| (x * 100.0).round() / 100.0),
        hours_together: tenth(a.hours_together),
        longest_gap_days: a.longest_gap.map(|g| tenth(g.0)),
        last_held: a.last_held.map(utc),
        next: a.next.map(utc),
        since: a.since.map(utc),
        window_start: utc(a.window_start),
        cadence_history: a
            .series
            .iter()
            .map(|s| JsonSeries {
                uid: &s.uid,
                cadence: s.cadence,
                first: s.first.map(utc),
                last: s.last.map(utc),
            })
            .collect(),
        adhoc: a.adhoc.iter().copied().map(utc).collect(),
        suggestion: a.advice.suggestion(),
        no_suggestion_reason: a.advice.keep_reason(),
    }
}

/// The JSON report: a list with one object per relationship.
pub fn json(report: &Report) -> String {
    let list: Vec<JsonEntry> = report.entries.iter().map(json_entry).collect();
    // Serialising plain data with string keys cannot fail.
    serde_json::to_string_pretty(&list).unwrap_or_else(|_| "[]".to_string()) + "\n"
}
