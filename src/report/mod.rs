//! The cadence report, as a terminal table, JSON (documented in README.md) or one
//! self-contained HTML page with a timeline per relationship.
//!
//! Pure: analysed relationships in, text out.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cadence::{Analysis, Cadence, Suggestion};
use crate::detect::Relationship;
use crate::history::StoredOccurrence;
use crate::zone::Zone;

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
    /// agenda plan and the nudges.
    pub occurrences: Vec<StoredOccurrence>,
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

    /// When the report was made, for its heading.
    fn as_of(&self) -> String {
        self.zone.show(self.now, "%a %-d %b %Y %H:%M %Z")
    }
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
