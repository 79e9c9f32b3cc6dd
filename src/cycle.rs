//! One cycle of the main job, as data: read the calendars, detect the 1:1s, record what
//! happened in the history, analyse each relationship's cadence.
//!
//! The steps are separate functions so that the CLI (`list`, `report`, `demo`) and the
//! daemon run the same code, and tests can drive each step with plain data.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::{Duration, NaiveDateTime};
use futures_util::StreamExt as _;

use crate::agenda;
use crate::cadence::{self, Analysis, Settings};
use crate::calendar::edit::{Description, OccurrenceRef, occurrence_description, parse_moment};
use crate::calendar::expand::Expansion;
use crate::calendar::{Collector, Document, EventMeta, Occurrence, Warning, Window};
use crate::config::CalendarConfig;
use crate::detect::{self, Identity, Overrides, Relationship, Verdict};
use crate::history::{
    Cancellation, HistoryError, Observation, Observations, Store, StoredOccurrence,
};
use crate::sources::{Content, HttpClient, Resource, Snapshot, Source, SourceError};

/// One calendar that could be fetched: its source and what it holds.
#[derive(Debug)]
pub struct Fetched {
    /// The calendar's name.
    pub name: String,
    /// Where it is (and where tete may write).
    pub source: Source,
    /// Its resources as fetched.
    pub snapshot: Snapshot,
}

/// Every calendar read into one collector, with what went wrong on the way.
#[derive(Debug, Default)]
pub struct Gathered {
    /// The events of every calendar that could be read.
    pub collector: Collector,
    /// Calendars that could not be read: `(name, error)`. The others are still used.
    pub failures: Vec<(String, String)>,
    /// The calendars that were fetched.
    pub calendars: Vec<Fetched>,
    /// Where each resource is: its origin (as events name it) to (calendar, resource).
    pub origins: HashMap<String, (usize, usize)>,
}

impl Gathered {
    /// The calendar and resource an event read from `origin` lives in.
    pub fn resource(&self, origin: &str) -> Option<(&Fetched, &Resource)> {
        let (c, r) = *self.origins.get(origin)?;
        let calendar = self.calendars.get(c)?;
        Some((calendar, calendar.snapshot.resources.get(r)?))
    }
}

/// How many calendars are fetched at the same time.
pub const MAX_CONCURRENT_FETCHES: usize = 4;

/// Reads every calendar (fetched concurrently) into one collector that keeps event meta.
pub async fn gather(calendars: &[CalendarConfig], cache_dir: &Path) -> Gathered {
    let http = HttpClient::new();
    // Concurrently, but a bounded number at a time: a manager with twenty calendars on one
    // server should not open twenty connections to it at once. `buffered` keeps the order.
    let fetched: Vec<_> = futures_util::stream::iter(calendars.iter().map(|c| {
        let http = &http;
        async move {
            let source = Source::from_location(&c.location, cache_dir, http)?;
            let snapshot = source.fetch().await?;
            Ok::<_, SourceError>((source, snapshot))
        }
    }))
    .buffered(MAX_CONCURRENT_FETCHES)
    .collect()
    .await;
    let mut gathered = Gathered {
        collector: Collector::with_meta(),
        ..Gathered::default()
    };
    for (calendar, outcome) in calendars.iter().zip(fetched) {
        match outcome {
            Ok((source, snapshot)) => {
                let index = gathered.calendars.len();
                read_snapshot(&mut gathered, index, &calendar.name, &source, &snapshot);
                gathered.calendars.push(Fetched {
                    name: calendar.name.clone(),
                    source,
                    snapshot,
                });
            }
            Err(e) => gathered
                .failures
                .push((calendar.name.clone(), error_chain(&e))),
        }
    }
    gathered
}

fn read_snapshot(
    gathered: &mut Gathered,
    index: usize,
    name: &str,
    source: &Source,
    snapshot: &Snapshot,
) {
    for (r, resource) in snapshot.resources.iter().enumerate() {
        let origin = source.resource_origin(resource);
        let read = resource
            .open()
            .map_err(|e| error_chain(&e))
            .and_then(|input| {
                gathered
                    .collector
                    .read(input, &origin)
                    .map_err(|e| error_chain(&e))
            });
        match read {
            Ok(_) => {
                gathered.origins.insert(origin, (index, r));
            }
            // One unreadable resource is reported; the rest of the calendar is read.
            Err(e) => gathered.failures.push((name.to_string(), e)),
        }
    }
}

/// An error and its causes on one line: "cannot fetch https://host/…: connection refused".
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What detection found among the collected events.
#[derive(Debug, Clone)]
pub struct Detection {
    /// Every series master and single event with its verdict, in reading order.
    pub verdicts: Vec<(EventMeta, Verdict)>,
    /// The 1:1 relationships, by counterpart.
    pub relationships: Vec<Relationship>,
}

impl Detection {
    /// The recurring series and their verdicts (what `tete list` shows).
    pub fn series(&self) -> impl Iterator<Item = &(EventMeta, Verdict)> {
        self.verdicts.iter().filter(|(m, _)| m.recurring)
    }
}

/// Classifies every collected event and groups the 1:1s into relationships. My names are
/// learned from the calendars first (the `CN` on my own addresses).
pub fn detect(collector: &Collector, me: &Identity, overrides: &Overrides) -> Detection {
    let mut me = me.clone();
    me.learn_names(collector.meta());
    let mut verdicts: Vec<(EventMeta, Verdict)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for meta in collector.meta() {
        // The same event in two calendars (or twice in one export) is judged once.
        if !meta.uid.is_empty() && !seen.insert((meta.uid.clone(), meta.recurring)) {
            continue;
        }
        let verdict = detect::classify(meta, &me, overrides);
        verdicts.push((meta.clone(), verdict));
    }
    let relationships = detect::group_relationships(verdicts.iter().map(|(m, v)| (m, v)));
    Detection {
        verdicts,
        relationships,
    }
}

/// The window a cycle expands: the analysis window (or `since`, if earlier) with a week's
/// margin, up to 13 weeks ahead so the next occurrence of a monthly 1:1 is found.
pub fn window(now: NaiveDateTime, since: Option<NaiveDateTime>, settings: &Settings) -> Window {
    let trailing = now - Duration::weeks(i64::from(settings.window_weeks));
    let start = since.map_or(trailing, |s| s.min(trailing)) - Duration::weeks(1);
    Window {
        start,
        end: now + Duration::weeks(13),
    }
}

/// The 1:1 occurrences this cycle sees, for the history, and the starts of each
/// relationship's one-off 1:1s (keyed by counterpart key).
pub fn observe(
    expansion: &Expansion,
    detection: &Detection,
    window: Window,
) -> (Observations, BTreeMap<String, Vec<NaiveDateTime>>) {
    let mut series_owner: BTreeMap<&str, String> = BTreeMap::new();
    let mut adhoc_owner: BTreeMap<&str, String> = BTreeMap::new();
    for rel in &detection.relationships {
        for s in &rel.series {
            series_owner.insert(&s.uid, rel.counterpart.key());
        }
        for s in &rel.adhoc {
            adhoc_owner.insert(&s.uid, rel.counterpart.key());
        }
    }
    let mut observations = Observations {
        series: series_owner
            .iter()
            .map(|(uid, key)| (uid.to_string(), key.clone()))
            .collect(),
        occurrences: Vec::new(),
        window: (window.start, window.end),
    };
    let mut adhoc: BTreeMap<String, Vec<NaiveDateTime>> = BTreeMap::new();
    // The same event in two calendars (or twice in one export) is one meeting: the first
    // copy read counts, as in `detect`.
    let mut seen = std::collections::HashSet::new();
    for occ in &expansion.occurrences {
        if !occ.uid.is_empty() && !seen.insert((&*occ.uid, occ.recurrence_id)) {
            continue;
        }
        let cancelled = match (occ.excluded, occ.status.as_deref()) {
            (true, _) => Some(Cancellation::Exdate),
            (false, Some("CANCELLED")) => Some(Cancellation::Status),
            _ => None,
        };
        if series_owner.contains_key(&*occ.uid) {
            observations.occurrences.push(Observation {
                series_uid: occ.uid.to_string(),
                recurrence_id: occ.recurrence_id.to_string(),
                scheduled: occ.recurrence_id.as_utc(),
                start: occ.start.as_utc(),
                end: occ.end.as_utc(),
                cancelled,
            });
        } else if let (Some(key), None) = (adhoc_owner.get(&*occ.uid), cancelled) {
            adhoc
                .entry(key.clone())
                .or_default()
                .push(occ.start.as_utc());
        }
    }
    (observations, adhoc)
}

/// One relationship and its analysis.
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

/// Analyses every relationship from the history.
pub fn analyse(
    store: &Store,
    detection: &Detection,
    adhoc: &BTreeMap<String, Vec<NaiveDateTime>>,
    now: NaiveDateTime,
    since: Option<NaiveDateTime>,
    settings: &Settings,
) -> Result<Vec<Entry>, HistoryError> {
    let mut entries = Vec::new();
    for rel in &detection.relationships {
        let uids: Vec<&str> = rel.series.iter().map(|s| &*s.uid).collect();
        let occurrences = store.occurrences(&uids)?;
        let adhoc = adhoc
            .get(&rel.counterpart.key())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let analysis = cadence::analyse(rel, &occurrences, adhoc, now, since, settings);
        entries.push(Entry {
            relationship: rel.clone(),
            analysis,
            occurrences,
        });
    }
    entries.sort_by_key(|e| e.relationship.counterpart.display().to_lowercase());
    Ok(entries)
}

/// Everything one cycle produced.
#[derive(Debug)]
pub struct Outcome {
    /// What detection found.
    pub detection: Detection,
    /// Each relationship's analysis.
    pub entries: Vec<Entry>,
    /// What the history recorded this cycle.
    pub recorded: crate::history::RecordSummary,
    /// Warnings from reading and expanding (broken events, unknown zones).
    pub warnings: Vec<Warning>,
    /// Every occurrence of the window (for agenda targets).
    pub occurrences: Vec<Occurrence>,
}

/// Runs detection, history and cadence over collected events at `now`.
pub fn run(
    collector: &mut Collector,
    me: &Identity,
    overrides: &Overrides,
    store: &mut Store,
    now: NaiveDateTime,
    since: Option<NaiveDateTime>,
    settings: &Settings,
) -> Result<Outcome, HistoryError> {
    let detection = detect(collector, me, overrides);
    let window = window(now, since, settings);
    let mut warnings = collector.take_warnings();
    let expansion = collector.expand_with_excluded(window);
    let (observations, adhoc) = observe(&expansion, &detection, window);
    warnings.extend(expansion.warnings.iter().cloned());
    let recorded = store.record(&observations, now)?;
    let entries = analyse(store, &detection, &adhoc, now, since, settings)?;
    Ok(Outcome {
        detection,
        entries,
        recorded,
        warnings,
        occurrences: expansion.occurrences,
    })
}

/// The agenda plan of every relationship, and where each planned write goes.
#[derive(Debug, Default)]
pub struct AgendaPlans {
    /// Per relationship (counterpart key): its plan.
    pub plans: Vec<(String, agenda::plan::Plan)>,
    /// Each planned write's resource: `(calendar index, resource index)`, in the order of
    /// the plans' writes.
    pub locations: Vec<Vec<(usize, usize)>>,
}

impl AgendaPlans {
    /// Every planned write with its calendar and resource.
    pub fn writes<'a>(
        &'a self,
        gathered: &'a Gathered,
    ) -> impl Iterator<Item = (&'a Fetched, &'a Resource, &'a agenda::plan::PlannedWrite)> {
        self.plans
            .iter()
            .zip(&self.locations)
            .flat_map(|((_, plan), locations)| plan.writes.iter().zip(locations))
            .filter_map(|(w, (c, r))| {
                let calendar = gathered.calendars.get(*c)?;
                Some((calendar, calendar.snapshot.resources.get(*r)?, w))
            })
    }
}

/// Parses resources held in memory (vdir items, CalDAV objects) once each. A single big
/// `.ics` file or feed is not parsed whole: tete does not write there, and past
/// descriptions in it are not read.
#[derive(Default)]
struct Documents {
    parsed: HashMap<String, Option<Document>>,
}

impl Documents {
    fn get(&mut self, gathered: &Gathered, origin: &str) -> Option<&Document> {
        self.parsed
            .entry(origin.to_string())
            .or_insert_with(|| {
                let (_, resource) = gathered.resource(origin)?;
                if !matches!(resource.content, Content::Memory(_)) {
                    return None;
                }
                let input = resource.open().ok()?;
                Document::read(input, origin).ok().map(|(doc, _)| doc)
            })
            .as_ref()
    }
}

/// Plans the agenda of every relationship from this cycle's outcome.
pub fn plan_agendas(
    gathered: &Gathered,
    outcome: &Outcome,
    store: &Store,
    now: NaiveDateTime,
    settings: &agenda::plan::Settings,
) -> Result<AgendaPlans, HistoryError> {
    let origin_of: HashMap<&str, &str> = outcome
        .detection
        .verdicts
        .iter()
        .map(|(m, _)| (&*m.uid, &*m.origin))
        .collect();
    let mut documents = Documents::default();
    let mut plans = AgendaPlans::default();
    for entry in &outcome.entries {
        let rel = &entry.relationship;
        let uids: Vec<&str> = rel.series.iter().map(|s| &*s.uid).collect();
        let mut meetings = Vec::new();
        for occ in &entry.occurrences {
            let description = origin_of
                .get(occ.series_uid.as_str())
                .and_then(|origin| documents.get(gathered, origin))
                .and_then(|doc| past_description(doc, occ));
            meetings.push(agenda::plan::Meeting {
                scheduled: occ.scheduled,
                start: occ.start,
                outcome: cadence::Outcome::of(occ, now),
                description,
            });
        }
        meetings.sort_by_key(|m| m.start);
        let mut targets = Vec::new();
        let mut locations = Vec::new();
        for occ in outcome.occurrences.iter().filter(|o| {
            uids.contains(&&*o.uid)
                && o.status.as_deref() != Some("CANCELLED")
                && o.start.as_utc() >= now
                && o.start.as_utc() <= now + Duration::days(settings.write_ahead_days)
        }) {
            let Some(origin) = origin_of.get(&*occ.uid) else {
                continue;
            };
            let Some(location) = gathered.origins.get(*origin).copied() else {
                continue;
            };
            let writable = gathered
                .calendars
                .get(location.0)
                .is_some_and(|c| c.source.is_writable());
            let Some(doc) = documents.get(gathered, origin).filter(|_| writable) else {
                continue;
            };
            let r = OccurrenceRef {
                uid: &occ.uid,
                recurrence_id: occ.recurrence_id,
                start: occ.start,
                end: occ.end,
            };
            let Ok(description) = occurrence_description(doc, &r) else {
                continue;
            };
            targets.push(agenda::plan::Target {
                series_uid: occ.uid.to_string(),
                recurrence_id: occ.recurrence_id,
                start: occ.start,
                end: occ.end,
                description,
                written: store.written(&occ.uid, &occ.recurrence_id.to_string())?,
            });
            locations.push(location);
        }
        let key = rel.counterpart.key();
        let stored_items = store.items(&key)?;
        let input = agenda::plan::Input {
            relationship: rel,
            analysis: &entry.analysis,
            meetings,
            targets,
            stored_items: &stored_items,
        };
        let plan = agenda::plan::plan(&input, now, settings);
        let planned: Vec<(usize, usize)> = plan
            .writes
            .iter()
            .filter_map(|w| {
                input
                    .targets
                    .iter()
                    .position(|t| t == &w.target)
                    .and_then(|i| locations.get(i).copied())
            })
            .collect();
        plans.locations.push(planned);
        plans.plans.push((key, plan));
    }
    Ok(plans)
}

fn past_description(doc: &Document, occ: &StoredOccurrence) -> Option<Description> {
    let rid = parse_moment(&occ.recurrence_id)?;
    let r = OccurrenceRef {
        uid: &occ.series_uid,
        recurrence_id: rid,
        start: rid,
        end: rid,
    };
    occurrence_description(doc, &r).ok()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    const CALENDAR: &str = "BEGIN:VCALENDAR\r
BEGIN:VEVENT\r
UID:weekly\r
DTSTART:20260302T100000Z\r
RRULE:FREQ=WEEKLY;COUNT=4\r
ORGANIZER:mailto:mia@example.com\r
ATTENDEE:mailto:ann@example.com\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:weekly\r
RECURRENCE-ID:20260309T100000Z\r
DTSTART:20260309T140000Z\r
ORGANIZER:mailto:mia@example.com\r
ATTENDEE:mailto:ann@example.com\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:extra\r
DTSTART:20260312T100000Z\r
ORGANIZER:mailto:mia@example.com\r
ATTENDEE:mailto:ann@example.com\r
END:VEVENT\r
END:VCALENDAR\r
";

    #[test]
    fn the_same_calendar_read_twice_is_observed_once() {
        let mut collector = Collector::with_meta();
        collector.read(CALENDAR.as_bytes(), "google.ics").unwrap();
        collector.read(CALENDAR.as_bytes(), "exchange.ics").unwrap();
        let me = Identity::new(["mia@example.com"], []);
        let detection = detect(&collector, &me, &Overrides::default());
        let day = |d| {
            NaiveDate::from_ymd_opt(2026, 3, d)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap()
        };
        let window = Window {
            start: day(1),
            end: day(31),
        };
        let expansion = collector.expand_with_excluded(window);
        let (observations, adhoc) = observe(&expansion, &detection, window);
        assert_eq!(observations.occurrences.len(), 4);
        assert_eq!(adhoc["ann@example.com"], [day(12) + Duration::hours(10)]);
    }
}
