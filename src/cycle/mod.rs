//! One cycle of the main job, and the only place that chains the steps: read the calendars
//! ([`gather`]), decide where agendas go ([`route_agendas`]), detect the 1:1s, record what
//! happened in the history, analyse each relationship's cadence ([`run`]), plan the agendas
//! ([`plan_agendas`]), write them and send the nudges ([`run_cycle`]).
//!
//! Every other module is a step that knows nothing of the others' order: the CLI (`list`,
//! `report`, `demo`) and the daemon call the steps through here, and tests drive each step
//! with plain data.

mod agendas;
pub(crate) mod cache;
pub(crate) mod gather;
mod job;
mod nudges;
mod stop;
mod tasks;
mod warm;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

pub use agendas::{AgendaPlans, Location, plan_agendas};
pub use cache::Caching;
pub use gather::{
    Companion, Fetched, Gathered, MAX_CONCURRENT_FETCHES, NotesAt, Route, gather, halt_message,
    route_agendas,
};
pub use job::{CycleReport, Job, JobError, ReadFailures, run_cycle, run_cycle_until};
pub use nudges::{current_nudges, due_digest, writes_stopped};
pub use stop::Stop;
pub use tasks::{
    ListAccess, TaskList, TaskReport, close_finished_tasks, item_tasks, open_task_list, sync_tasks,
};
pub use warm::Warm;

use crate::agenda;
use crate::cadence::{self, Settings};
use crate::calendar::EventStatus;
use crate::calendar::expand::Expansion;
use crate::calendar::{Collector, EventMeta, Occurrence, Warning, Window};
use crate::detect::{self, CounterpartKey, Identity, Overrides, Relationship, Verdict};
use crate::history::{Cancellation, History, HistoryError, Observation, Observations};
use crate::report::Entry;

/// Every series master and every single 1:1 event with its verdict, in reading order (a
/// single event that is no 1:1 is left out); shared: a daemon's idle cycle hands out the
/// verdicts it kept, and copying thousands of them was a tenth of its time. A `Vec` behind
/// the `Arc`, not a slice: made from the list detection built without copying it.
pub type Verdicts = std::sync::Arc<Vec<(EventMeta, Verdict)>>;

/// What detection found among the collected events.
#[derive(Debug, Clone)]
pub struct Detection {
    /// Every series master and every single 1:1 event with its verdict (see [`Verdicts`]).
    pub verdicts: Verdicts,
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
    detect_metas(collector.meta().to_vec(), me, overrides)
}

/// [`detect`] over the meta of every event, in reading order. Takes them: the ones kept are
/// moved into the verdicts, not copied (a big calendar has tens of thousands).
pub fn detect_metas(metas: Vec<EventMeta>, me: &Identity, overrides: &Overrides) -> Detection {
    let mut me = me.clone();
    me.learn_names(&metas);
    let mut verdicts: Vec<(EventMeta, Verdict)> = Vec::new();
    let mut seen = foldhash::HashSet::default();
    for meta in metas {
        // The same event in two calendars (or twice in one export) is judged once; tete's
        // own private agendas (in a calendar also read) are notes, not meetings.
        if (!meta.uid.is_empty() && !seen.insert((meta.uid.clone(), meta.recurring)))
            || meta.uid.starts_with(agenda::companion::UID_PREFIX)
        {
            continue;
        }
        let verdict = detect::classify(&meta, &me, overrides);
        // Only what anything reads: the 1:1s, and every series (what `demo` and `list`
        // show, 1:1 or not); a big calendar's other meetings are most of its events.
        if verdict.counterpart.is_some() || meta.recurring {
            verdicts.push((meta, verdict));
        }
    }
    let relationships =
        detect::group_relationships(verdicts.iter().map(|(m, v)| (m, v)), &overrides.people);
    Detection {
        verdicts: verdicts.into(),
        relationships,
    }
}

/// The window a cycle expands: the analysis window (or `since`, if earlier) with a week's
/// margin, up to 13 weeks ahead so the next occurrence of a monthly 1:1 is found.
pub fn window(now: DateTime<Utc>, since: Option<DateTime<Utc>>, settings: &Settings) -> Window {
    let trailing = now - Duration::weeks(i64::from(settings.window_weeks));
    let start = since.map_or(trailing, |s| s.min(trailing)) - Duration::weeks(1);
    Window {
        start: start.naive_utc(),
        end: (now + Duration::weeks(13)).naive_utc(),
    }
}

/// The 1:1 occurrences this cycle sees, for the history, and the starts of each
/// relationship's one-off 1:1s (keyed by counterpart key).
pub fn observe(
    expansion: &Expansion,
    detection: &Detection,
    window: Window,
) -> (Observations, BTreeMap<CounterpartKey, Vec<DateTime<Utc>>>) {
    let mut series_owner: BTreeMap<&str, CounterpartKey> = BTreeMap::new();
    let mut adhoc_owner: BTreeMap<&str, CounterpartKey> = BTreeMap::new();
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
            .map(|(uid, key)| (uid.to_string(), key.to_string()))
            .collect(),
        occurrences: Vec::new(),
        window: (window.start.and_utc(), window.end.and_utc()),
    };
    let mut adhoc: BTreeMap<CounterpartKey, Vec<DateTime<Utc>>> = BTreeMap::new();
    // The same event in two calendars (or twice in one export) is one meeting: the first
    // copy read counts, as in `detect`. Hashed with `foldhash`: every occurrence of the
    // window is looked up.
    let mut seen = foldhash::HashSet::default();
    for occ in &expansion.occurrences {
        if !occ.uid.is_empty() && !seen.insert((&*occ.uid, occ.recurrence_id)) {
            continue;
        }
        let cancelled = match (occ.excluded, &occ.status) {
            (true, _) => Some(Cancellation::Exdate),
            (false, Some(EventStatus::Cancelled)) => Some(Cancellation::Status),
            _ if declined_by_a_person(occ) => Some(Cancellation::Declined),
            _ => None,
        };
        if series_owner.contains_key(&*occ.uid) {
            observations.occurrences.push(Observation {
                series_uid: occ.uid.to_string(),
                recurrence_id: occ.recurrence_id.to_string(),
                scheduled: occ.recurrence_id.as_utc().and_utc(),
                start: occ.start.as_utc().and_utc(),
                end: occ.end.as_utc().and_utc(),
                cancelled,
            });
        } else if let (Some(key), None) = (adhoc_owner.get(&*occ.uid), cancelled) {
            adhoc
                .entry(key.clone())
                .or_default()
                .push(occ.start.as_utc().and_utc());
        }
    }
    (observations, adhoc)
}

/// True when a person (not a room or resource) declined the occurrence: in a 1:1 that is me
/// or the other person, and the meeting did not take place. A tentative answer or none is
/// not a decline.
pub(crate) fn declined_by_a_person(occ: &Occurrence) -> bool {
    occ.declined
        .iter()
        .flat_map(|people| people.iter())
        .any(|p| !detect::is_room_or_resource(p))
}

/// Analyses every relationship from the history.
pub fn analyse(
    store: &dyn History,
    detection: &Detection,
    adhoc: &BTreeMap<CounterpartKey, Vec<DateTime<Utc>>>,
    now: DateTime<Utc>,
    since: Option<DateTime<Utc>>,
    settings: &Settings,
) -> Result<Vec<Entry>, HistoryError> {
    let started = std::time::Instant::now();
    let series: Vec<Vec<&str>> = detection
        .relationships
        .iter()
        .map(|rel| rel.series.iter().map(|s| &*s.uid).collect())
        .collect();
    // One read for every relationship: a query each was most of this step.
    let stored = store.occurrences_of_each(&series)?;
    let mut entries = Vec::new();
    for (rel, occurrences) in detection.relationships.iter().zip(stored) {
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
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::debug!(ms = format!("{ms:.1}"), "relationships analysed");
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
    store: &mut dyn History,
    now: DateTime<Utc>,
    since: Option<DateTime<Utc>>,
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

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, NaiveDateTime};

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

    fn day(d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, d)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap()
    }

    /// What a cycle observes in March 2026 of these calendars, for Mia.
    fn observed(
        calendars: &[(&str, &str)],
    ) -> (Observations, BTreeMap<CounterpartKey, Vec<DateTime<Utc>>>) {
        let mut collector = Collector::with_meta();
        for (text, origin) in calendars {
            collector.read(text.as_bytes(), origin).unwrap();
        }
        let me = Identity::new(["mia@example.com"], []);
        let detection = detect(&collector, &me, &Overrides::default());
        let window = Window {
            start: day(1),
            end: day(31),
        };
        let expansion = collector.expand_with_excluded(window);
        observe(&expansion, &detection, window)
    }

    #[test]
    fn the_same_calendar_read_twice_is_observed_once() {
        let (observations, adhoc) =
            observed(&[(CALENDAR, "google.ics"), (CALENDAR, "exchange.ics")]);
        assert_eq!(observations.occurrences.len(), 4);
        assert_eq!(
            adhoc["ann@example.com"],
            [(day(12) + Duration::hours(10)).and_utc()]
        );
    }

    const DECLINES: &str = "BEGIN:VCALENDAR\r
BEGIN:VEVENT\r
UID:weekly\r
DTSTART:20260302T100000Z\r
RRULE:FREQ=WEEKLY;COUNT=4\r
ORGANIZER:mailto:mia@example.com\r
ATTENDEE;PARTSTAT=ACCEPTED:mailto:mia@example.com\r
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ann@example.com\r
ATTENDEE;CUTYPE=ROOM;PARTSTAT=ACCEPTED:mailto:room-4@example.com\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:weekly\r
RECURRENCE-ID:20260309T100000Z\r
DTSTART:20260309T100000Z\r
ORGANIZER:mailto:mia@example.com\r
ATTENDEE;PARTSTAT=ACCEPTED:mailto:mia@example.com\r
ATTENDEE;PARTSTAT=DECLINED:mailto:ann@example.com\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:weekly\r
RECURRENCE-ID:20260316T100000Z\r
DTSTART:20260316T100000Z\r
ORGANIZER:mailto:mia@example.com\r
ATTENDEE;PARTSTAT=ACCEPTED:mailto:mia@example.com\r
ATTENDEE;PARTSTAT=TENTATIVE:mailto:ann@example.com\r
ATTENDEE;CUTYPE=ROOM;PARTSTAT=DECLINED:mailto:room-4@example.com\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:weekly\r
RECURRENCE-ID:20260323T100000Z\r
DTSTART:20260323T100000Z\r
ORGANIZER:mailto:mia@example.com\r
ATTENDEE;PARTSTAT=DECLINED:mailto:mia@example.com\r
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ann@example.com\r
END:VEVENT\r
END:VCALENDAR\r
";

    #[test]
    fn a_1on1_declined_by_either_person_did_not_take_place() {
        let (observations, _) = observed(&[(DECLINES, "mia.ics")]);
        let outcome: Vec<_> = observations
            .occurrences
            .iter()
            .map(|o| {
                (
                    o.scheduled.date_naive().format("%d").to_string(),
                    o.cancelled,
                )
            })
            .collect();
        assert_eq!(
            outcome,
            [
                ("02".to_string(), None),
                // Ann declined.
                ("09".to_string(), Some(Cancellation::Declined)),
                // Tentative, and only the room declined: it took place.
                ("16".to_string(), None),
                // Mia declined.
                ("23".to_string(), Some(Cancellation::Declined)),
            ]
        );
    }
}
