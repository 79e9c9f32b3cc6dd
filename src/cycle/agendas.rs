//! Planning the agendas: each relationship's past meetings (their notes, for the open
//! action items) and coming occurrences in the write-ahead window, each with where its
//! agenda goes.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use super::{Companion, Gathered, Outcome, Route, declined_by_a_person};
use crate::agenda::plan::MeetingNotes;
use crate::agenda::{self, write::Destination};
use crate::cadence;
use crate::calendar::EventStatus;
use crate::calendar::by_uid::{EventsByUid, Expected};
use crate::calendar::edit::{
    Description, Descriptions, OccurrenceRef, occurrence_description, parse_moment,
    series_description,
};
use crate::calendar::expand::ItemPlace;
use crate::calendar::{Document, EventMeta, Moment, Occurrence};
use crate::detect::CounterpartKey;
use crate::history::{History, HistoryError, StoredOccurrence};

/// The agenda plan of every relationship, and where each planned write goes.
#[derive(Debug, Default)]
pub struct AgendaPlans {
    /// Per relationship (counterpart key): its plan.
    pub plans: Vec<(CounterpartKey, agenda::plan::Plan)>,
    /// Each planned write's resource, in the order of the plans' writes.
    pub locations: Vec<Vec<Location>>,
}

/// Where one planned write goes: the 1:1 calendar (index in [`Gathered::calendars`]) and
/// the resource written (the 1:1's own, or its companion in the calendar's
/// [`Route::Private`] calendar, `None` for a companion still to create).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// The 1:1's calendar.
    pub calendar: usize,
    /// The resource written.
    pub resource: Option<usize>,
}

impl AgendaPlans {
    /// Every planned write with where it goes.
    pub fn writes<'a>(&'a self, gathered: &'a Gathered) -> impl Iterator<Item = Destination<'a>> {
        self.writes_by_relationship(gathered).map(|(_, d)| d)
    }

    /// Every planned write with where it goes and whose 1:1 it is.
    pub fn writes_by_relationship<'a>(
        &'a self,
        gathered: &'a Gathered,
    ) -> impl Iterator<Item = (&'a CounterpartKey, Destination<'a>)> {
        self.plans
            .iter()
            .zip(&self.locations)
            .flat_map(|((key, plan), locations)| {
                plan.writes.iter().zip(locations).map(move |w| (key, w))
            })
            .filter_map(|(key, (write, location))| {
                let calendar = gathered.calendars.get(location.calendar)?;
                let resources = match (&write.target.place, &calendar.route) {
                    (agenda::plan::Place::Event, _) => &calendar.snapshot.resources,
                    (agenda::plan::Place::Private { .. }, Route::Private(companion)) => {
                        &companion.snapshot.resources
                    }
                    (agenda::plan::Place::Private { .. }, _) => return None,
                };
                let resource = match location.resource {
                    Some(r) => Some(resources.get(r)?),
                    None => None,
                };
                Some((
                    key,
                    Destination {
                        calendar: calendar.write_calendar(),
                        resource,
                        write,
                    },
                ))
            })
    }
}

/// Parses resources once each, only what finding notes needs: a small item (a vdir item, a
/// CalDAV object) whole, and of a big calendar on disk (a single `.ics` file, a feed's body)
/// only its 1:1 events: tete does not write there, but reads past meetings' notes.
struct Documents {
    /// What was parsed, by origin: this cycle's, and a daemon's last cycle's (each checked
    /// against its resource's stamp before it is used).
    kept: KeptNotes,
    /// The origins looked at this cycle. This and the kept notes are looked up for every
    /// meeting of every relationship (14,828 in the 100,000-event bench calendar): hashed
    /// with `foldhash`.
    used: foldhash::HashSet<String>,
    /// The UIDs of every 1:1 series and one-off 1:1: all that is read of a big file or feed.
    one_on_ones: Arc<foldhash::HashSet<String>>,
    /// The overrides read of a big file or feed: of the occurrences this cycle may look at.
    reach: Option<Reach>,
}

/// The occurrences (by RECURRENCE-ID) whose overrides planning reads again from a big file
/// or feed: from the oldest stored meeting to the last one of the window, not the
/// years of overrides before and after (two thirds of the 1:1s' text in the 100,000-event
/// bench calendar).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Reach {
    from: NaiveDateTime,
    to: NaiveDateTime,
}

impl Reach {
    /// How far an override's RECURRENCE-ID, as written (local wall-clock time), may be from
    /// the UTC time it is compared with: more than any zone's offset.
    const MARGIN: Duration = Duration::days(2);
    /// How far past the window's last occurrence overrides are read: a daemon's later
    /// cycles, whose window has moved on, reuse what it read for weeks.
    const AHEAD: Duration = Duration::weeks(4);

    /// The reach of every stored meeting of the relationships (the coming ones of the
    /// window included); `None` when there is none.
    fn of(outcome: &Outcome) -> Option<Reach> {
        Self::around(
            (outcome.entries.iter())
                .flat_map(|e| e.occurrences.iter())
                .map(|o| o.scheduled),
        )
    }

    /// The reach of meetings at these original starts; `None` when there is none.
    fn around(scheduled: impl Iterator<Item = DateTime<Utc>>) -> Option<Reach> {
        let (from, to) = scheduled
            .map(|t| t.naive_utc())
            .fold(None, |range, t| match range {
                None => Some((t, t)),
                Some((from, to)) => Some((t.min(from), t.max(to))),
            })?;
        Some(Reach {
            from: from - Self::MARGIN,
            to: to + Self::MARGIN + Self::AHEAD,
        })
    }

    /// Whether the occurrence `place` overrides (if it overrides one alone) is in reach.
    fn holds(self, place: &ItemPlace) -> bool {
        place
            .overrides
            .is_none_or(|t| self.from <= t && t <= self.to)
    }

    /// Whether what was read for `read` (`None`: every override) holds all `wanted` needs.
    fn covers(read: Option<Reach>, wanted: Option<Reach>) -> bool {
        match (read, wanted) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(read), Some(wanted)) => read.from <= wanted.from && wanted.to <= read.to,
        }
    }
}

/// The 1:1s' resources as a daemon's last cycle parsed them for planning, by origin: an
/// idle cycle parses none again.
#[derive(Default)]
pub(crate) struct KeptNotes(foldhash::HashMap<String, Kept>);

/// One resource as parsed, with what it was parsed from.
struct Kept {
    /// The resource's stamp then ([`crate::sources::Resource::stamp`]).
    stamp: String,
    /// For a big file or feed, the 1:1 UIDs read of it (what else it holds was skipped).
    wanted: Option<Arc<foldhash::HashSet<String>>>,
    /// For a big file or feed, the overrides read of them (`None`: all).
    reach: Option<Reach>,
    parsed: Option<Parsed>,
    /// The notes past meetings show in it, by series UID, then RECURRENCE-ID as stored,
    /// found once: an idle cycle reads none again (finding them was a fifth of it); looked
    /// up for every past meeting each cycle, so hashed with `foldhash`.
    past: foldhash::HashMap<String, foldhash::HashMap<String, Option<Arc<MeetingNotes>>>>,
}

impl Kept {
    /// A resource just parsed: no past meeting's notes found in it yet.
    fn new(
        stamp: String,
        wanted: Option<Arc<foldhash::HashSet<String>>>,
        reach: Option<Reach>,
        parsed: Option<Parsed>,
    ) -> Kept {
        Kept {
            stamp,
            wanted,
            reach,
            parsed,
            past: foldhash::HashMap::default(),
        }
    }
}

impl Documents {
    fn new(
        kept: KeptNotes,
        one_on_ones: Arc<foldhash::HashSet<String>>,
        reach: Option<Reach>,
    ) -> Documents {
        Documents {
            kept,
            used: foldhash::HashSet::default(),
            one_on_ones,
            reach,
        }
    }

    /// The document holding series `uid`, read from `origin`.
    fn get(&mut self, gathered: &Gathered, origin: &str, uid: &str) -> Option<&Document> {
        self.look_at(gathered, origin);
        self.parse_series(origin, uid);
        self.peek(origin, uid)
    }

    /// Reads `origin` unless this cycle already did, or a last cycle did from the same bytes.
    fn look_at(&mut self, gathered: &Gathered, origin: &str) {
        if !self.used.contains(origin) {
            self.used.insert(origin.to_string());
            self.refresh(gathered, origin);
        }
    }

    /// Parses series `uid` of big calendar `origin` (read by [`Documents::look_at`]) unless
    /// it is parsed; a small item is parsed whole when read.
    fn parse_series(&mut self, origin: &str, uid: &str) {
        if let Some((events, parsed)) = self.big_calendar(origin)
            && !parsed.contains_key(uid)
            && let Some(doc) = events.document(uid)
        {
            parsed.insert(uid.to_string(), doc);
        }
    }

    /// Lets go of series `uid` of big calendar `origin` as parsed (its text stays): a big
    /// export's 1:1s are parsed one relationship at a time, never all at once.
    fn release_series(&mut self, origin: &str, uid: &str) {
        if let Some((_, parsed)) = self.big_calendar(origin) {
            parsed.remove(uid);
        }
    }

    /// Big calendar `origin` as read: its 1:1s' text, and the series parsed now.
    fn big_calendar(
        &mut self,
        origin: &str,
    ) -> Option<(&EventsByUid, &mut HashMap<String, Document>)> {
        match self.kept.0.get_mut(origin)?.parsed.as_mut()? {
            Parsed::ByUid { events, parsed } => Some((events, parsed)),
            Parsed::Whole(_) => None,
        }
    }

    /// The document holding series `uid`, if [`Documents::get`] or
    /// [`Documents::parse_series`] parsed it.
    fn peek(&self, origin: &str, uid: &str) -> Option<&Document> {
        match self.kept.0.get(origin)?.parsed.as_ref()? {
            Parsed::Whole(doc) => Some(doc),
            Parsed::ByUid { parsed, .. } => parsed.get(uid),
        }
    }

    /// Parses `origin` unless what is kept of it was parsed from the same bytes: the same
    /// stamp and, for a big file, the same 1:1s and their overrides this cycle needs.
    fn refresh(&mut self, gathered: &Gathered, origin: &str) {
        let Some((_, resource)) = gathered.resource(origin) else {
            self.kept.0.remove(origin);
            return;
        };
        let stamp = resource.stamp();
        let wanted = (!resource.is_item()).then(|| Arc::clone(&self.one_on_ones));
        let same = |kept: &Kept| {
            kept.stamp == stamp
                && match (&kept.wanted, &wanted) {
                    (None, None) => true,
                    (Some(a), Some(b)) => {
                        (Arc::ptr_eq(a, b) || a == b) && Reach::covers(kept.reach, self.reach)
                    }
                    _ => false,
                }
        };
        // "?": the file could not be looked at; it is read (and its error told) every time.
        if stamp != "?" && self.kept.0.get(origin).is_some_and(same) {
            return;
        }
        #[cfg(test)]
        if !resource.is_item() {
            READ_BY_PLANNING.with(|read| read.borrow_mut().push(origin.to_string()));
        }
        let (parsed, reach) = self.read(gathered, resource, origin);
        let kept = Kept::new(stamp, wanted, reach, parsed);
        self.kept.0.insert(origin.to_string(), kept);
    }

    /// Parses a resource as planning needs it; for a big file or feed, also which of its
    /// 1:1s' overrides were read (`None`: all).
    fn read(
        &self,
        gathered: &Gathered,
        resource: &crate::sources::Resource,
        origin: &str,
    ) -> (Option<Parsed>, Option<Reach>) {
        let Ok(input) = resource.open() else {
            return (None, None);
        };
        if resource.is_item() {
            let parsed = Document::read_notes(input, origin).ok().map(Parsed::Whole);
            (parsed, None)
        } else {
            let at = gathered
                .notes_at
                .get(origin)
                .map(|places| ranges_in_reach(places, self.reach));
            read_big(
                resource,
                origin,
                at.as_deref(),
                self.reach,
                &self.one_on_ones,
            )
        }
    }

    /// The notes found earlier for past meeting `occ` in `origin`'s document, if any were
    /// looked for (`Some(None)`: it has none).
    fn known_past(
        &self,
        origin: &str,
        occ: &StoredOccurrence,
    ) -> Option<Option<Arc<MeetingNotes>>> {
        let kept = self.kept.0.get(origin)?;
        let series = kept.past.get(&occ.series_uid)?;
        series.get(&occ.recurrence_id).cloned()
    }

    /// Keeps what was found for past meeting `occ` in `origin`'s document.
    fn keep_past(
        &mut self,
        origin: &str,
        occ: &StoredOccurrence,
        found: Option<Arc<MeetingNotes>>,
    ) {
        if let Some(kept) = self.kept.0.get_mut(origin) {
            let series = kept.past.entry(occ.series_uid.clone()).or_default();
            series.insert(occ.recurrence_id.clone(), found);
        }
    }

    /// What the next cycle may reuse: what this one looked at (the rest is gone or no
    /// longer a 1:1's).
    fn into_kept(mut self) -> KeptNotes {
        self.kept.0.retain(|origin, _| self.used.contains(origin));
        self.kept
    }
}

/// True when `bytes` (a part of a big calendar, where the cycle found an item) still begin
/// one: the file did not change since.
fn begins_a_component(bytes: &[u8]) -> bool {
    bytes
        .get(..6)
        .is_some_and(|head| head.eq_ignore_ascii_case(b"BEGIN:"))
}

/// A resource as parsed for planning.
enum Parsed {
    /// One small item: the whole resource, as much of it as notes need (writing reads it
    /// again).
    Whole(Document),
    /// A file or feed body: its 1:1 series' text, and those parsed now, each a document of
    /// its own.
    ByUid {
        events: EventsByUid,
        parsed: HashMap<String, Document>,
    },
}

/// What planning reads from, shared by every relationship of one cycle.
struct Planning<'a> {
    gathered: &'a Gathered,
    store: &'a dyn History,
    now: DateTime<Utc>,
    settings: &'a agenda::plan::Settings,
    /// Each series master and single event, by UID (looked up per meeting: `foldhash`).
    meta_of: foldhash::HashMap<&'a str, &'a EventMeta>,
    documents: Documents,
}

/// Plans the agenda of every relationship from this cycle's outcome.
pub fn plan_agendas(
    gathered: &Gathered,
    outcome: &Outcome,
    store: &dyn History,
    now: DateTime<Utc>,
    settings: &agenda::plan::Settings,
) -> Result<AgendaPlans, HistoryError> {
    plan_agendas_kept(
        gathered,
        outcome,
        store,
        now,
        settings,
        &mut super::Warm::none(),
    )
}

/// [`plan_agendas`], reusing the resources a daemon's last cycle parsed (`warm`) and keeping
/// this cycle's for the next.
pub(super) fn plan_agendas_kept(
    gathered: &Gathered,
    outcome: &Outcome,
    store: &dyn History,
    now: DateTime<Utc>,
    settings: &agenda::plan::Settings,
    warm: &mut super::Warm,
) -> Result<AgendaPlans, HistoryError> {
    let mut kept = std::mem::take(&mut warm.notes);
    let one_on_ones = one_on_ones(outcome.entries.iter().map(|e| &e.relationship));
    // What was read ahead for the same 1:1s shares their set (so comparing it is free).
    let one_on_ones = match warm.notes_ahead.take() {
        Some(ahead) => match ahead.into_kept(&mut kept) {
            wanted if *wanted == one_on_ones => wanted,
            _ => Arc::new(one_on_ones),
        },
        None => Arc::new(one_on_ones),
    };
    let mut planning = Planning {
        gathered,
        store,
        now,
        settings,
        meta_of: outcome
            .detection
            .verdicts
            .iter()
            .map(|(m, _)| (&*m.uid, m))
            .collect(),
        documents: Documents::new(kept, one_on_ones, Reach::of(outcome)),
    };
    // Most of the window is past or beyond the write-ahead days: looked through once, not
    // once per relationship.
    let ahead: Vec<&Occurrence> = planning.ahead(&outcome.occurrences).collect();
    let mut plans = AgendaPlans::default();
    for entry in &outcome.entries {
        let (key, plan, locations) = planning.plan(entry, &ahead)?;
        plans.locations.push(locations);
        plans.plans.push((key, plan));
    }
    if warm.keeps() {
        warm.notes = planning.documents.into_kept();
    }
    Ok(plans)
}

#[cfg(test)]
thread_local! {
    /// The big calendars planning read for itself on this thread (not read ahead, not
    /// kept from a last cycle).
    pub(super) static READ_BY_PLANNING: std::cell::RefCell<Vec<String>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The bytes of the places whose overrides are in `reach` (all when `None`).
fn ranges_in_reach(places: &[ItemPlace], reach: Option<Reach>) -> Vec<std::ops::Range<u64>> {
    (places.iter())
        .filter(|p| reach.is_none_or(|reach| reach.holds(p)))
        .map(|p| p.bytes.clone())
        .collect()
}

/// Reads a big calendar (a file or a feed's body) for notes: only its 1:1s (`wanted`), so
/// past meetings' notes (and their action items) are read from an export too, each series
/// parsed on its own when asked for, so finding an occurrence's description does not
/// search the whole export. Where the cycle found them (`at`), only their bytes are read
/// again, and of their overrides only those in `reach`; also which overrides were read
/// (`None`: all).
fn read_big(
    resource: &crate::sources::Resource,
    origin: &str,
    at: Option<&[std::ops::Range<u64>]>,
    reach: Option<Reach>,
    wanted: &foldhash::HashSet<String>,
) -> (Option<Parsed>, Option<Reach>) {
    let expected = Expected {
        bytes: at.map_or(0, |at| {
            at.iter()
                .map(|r| usize::try_from(r.end.saturating_sub(r.start)).unwrap_or(0))
                .sum()
        }),
        uids: wanted.len(),
    };
    let wanted = |uid: &str| wanted.contains(uid);
    let at_parts = at
        .and_then(|at| resource.read_at(at, begins_a_component)?.ok())
        .and_then(|parts| EventsByUid::read_expecting(parts, origin, wanted, expected).ok());
    let (events, reach) = match at_parts {
        Some(events) => (events, reach),
        // The file changed since the cycle read it: all of it is read again.
        None => match resource
            .open()
            .map(|input| EventsByUid::read(input, origin, wanted))
        {
            Ok(Ok(events)) => (events, None),
            _ => return (None, None),
        },
    };
    let parsed = Parsed::ByUid {
        events,
        parsed: HashMap::new(),
    };
    (Some(parsed), reach)
}

/// The big calendars' 1:1s read for planning on a thread of their own while the history
/// records and the relationships are analysed ([`read_notes_ahead`]): planning takes them
/// as a daemon's kept notes, each used only if its stamp, its 1:1s and its reach still
/// hold (else read again then, as without it).
pub(crate) struct NotesAhead {
    /// The 1:1s they were read for.
    wanted: Arc<foldhash::HashSet<String>>,
    thread: std::thread::JoinHandle<Vec<(String, Kept)>>,
}

impl NotesAhead {
    /// Waits for the reading, then keeps what it read in `kept`.
    fn into_kept(self, kept: &mut KeptNotes) -> Arc<foldhash::HashSet<String>> {
        // A reading that panicked is one not made: planning reads for itself.
        if let Ok(read) = self.thread.join() {
            kept.0.extend(read);
        }
        self.wanted
    }
}

/// Starts reading, on a thread, what planning will read of the big calendars that hold
/// the 1:1s of `relationships`, over the reach of the meetings stored and observed (a
/// reach recording cannot widen): those a daemon kept from the same bytes are left to it.
/// `None` when there is nothing to read or no thread could start.
pub(crate) fn read_notes_ahead(
    gathered: &Gathered,
    relationships: &[crate::detect::Relationship],
    observed: &crate::history::Observations,
    store: &dyn History,
    kept: &KeptNotes,
) -> Option<NotesAhead> {
    let mut jobs = Vec::new();
    for (origin, places) in &gathered.notes_at {
        let Some((resources, r)) = gathered.shared_resource(origin) else {
            continue;
        };
        let Some(resource) = resources.get(r).filter(|r| !r.is_item()) else {
            continue;
        };
        let stamp = resource.stamp();
        if stamp == "?" || kept.0.get(origin).is_some_and(|k| k.stamp == stamp) {
            continue;
        }
        jobs.push((origin.clone(), stamp, Arc::clone(resources), r, places));
    }
    if jobs.is_empty() {
        return None;
    }
    let series: Vec<&str> = (relationships.iter())
        .flat_map(|rel| rel.series.iter().map(|s| &*s.uid))
        .collect();
    let stored = store.scheduled_span(&series).ok()?;
    let reach = Reach::around(
        (observed.occurrences.iter().map(|o| o.scheduled))
            .chain(stored.into_iter().flat_map(|span| [span.first, span.last])),
    );
    let jobs: Vec<_> = jobs
        .into_iter()
        .map(|(origin, stamp, resources, r, places)| {
            (origin, stamp, resources, r, ranges_in_reach(places, reach))
        })
        .collect();
    let wanted = Arc::new(one_on_ones(relationships.iter()));
    let reading = Arc::clone(&wanted);
    let thread = std::thread::Builder::new()
        .name("tete-notes".into())
        .spawn(move || {
            (jobs.into_iter())
                .filter_map(|(origin, stamp, resources, r, at)| {
                    let resource = resources.get(r)?;
                    let (parsed, reach) = read_big(resource, &origin, Some(&at), reach, &reading);
                    let wanted = Some(Arc::clone(&reading));
                    Some((origin, Kept::new(stamp, wanted, reach, parsed)))
                })
                .collect()
        })
        .ok()?;
    Some(NotesAhead { wanted, thread })
}

/// The UIDs of every 1:1 series and one-off 1:1 of these relationships.
fn one_on_ones<'a>(
    relationships: impl Iterator<Item = &'a crate::detect::Relationship>,
) -> foldhash::HashSet<String> {
    relationships
        .flat_map(|rel| rel.series.iter().chain(&rel.adhoc))
        .map(|s| s.uid.to_string())
        .collect()
}

/// One coming occurrence's agenda target and where its write would go.
enum Targeted {
    /// It gets an agenda, written there.
    At(agenda::plan::Target, Location),
    /// Its calendar's writes are stopped: why, for people.
    Stopped(String),
}

impl Planning<'_> {
    /// One relationship's plan and where each of its writes goes.
    fn plan(
        &mut self,
        entry: &crate::report::Entry,
        ahead: &[&Occurrence],
    ) -> Result<(CounterpartKey, agenda::plan::Plan, Vec<Location>), HistoryError> {
        let rel = &entry.relationship;
        let meetings = self.meetings(entry);
        let mut targets = Vec::new();
        let mut locations = Vec::new();
        let mut stopped = Vec::new();
        for occ in self.coming(rel, ahead) {
            match self.target(rel, occ)? {
                Some(Targeted::At(target, location)) => {
                    targets.push(target);
                    locations.push(location);
                }
                Some(Targeted::Stopped(why)) => stopped.push(why),
                None => {}
            }
        }
        let key = rel.counterpart.key();
        let stored_items = self.store.items(key.as_str())?;
        let input = agenda::plan::Input {
            relationship: rel,
            analysis: &entry.analysis,
            meetings,
            targets,
            stored_items: &stored_items,
        };
        let mut plan = agenda::plan::plan(&input, self.now, self.settings);
        let mut planned: Vec<Location> = plan
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
        if self.settings.enabled {
            plan.skipped.extend(stopped);
            for (write, location) in
                stale_private_agendas(self.gathered, &self.meta_of, &input, self.now)
            {
                plan.writes.push(write);
                planned.push(location);
            }
        }
        Ok((key, plan, planned))
    }

    /// Every stored meeting of the relationship with its notes (the event's and its private
    /// agenda's), oldest first.
    fn meetings(&mut self, entry: &crate::report::Entry) -> Vec<agenda::plan::Meeting> {
        let origin_of = |occ: &StoredOccurrence| {
            self.meta_of
                .get(occ.series_uid.as_str())
                .map(|m| &*m.origin)
        };
        // What an earlier cycle found for each meeting (looked up once); only the series
        // with a past meeting not looked at before are parsed.
        let mut parsed_now: Vec<(&str, &str)> = Vec::new();
        let mut known = Vec::with_capacity(entry.occurrences.len());
        for occ in entry.occurrences.iter() {
            let Some(origin) = origin_of(occ) else {
                known.push(None);
                continue;
            };
            self.documents.look_at(self.gathered, origin);
            let found = self.documents.known_past(origin, occ);
            let pair = (origin, occ.series_uid.as_str());
            if found.is_none() && !parsed_now.contains(&pair) {
                self.documents.parse_series(origin, &occ.series_uid);
                parsed_now.push(pair);
            }
            known.push(found);
        }
        // One reader per document for all the relationship's meetings: its zones are
        // resolved once, not once per meeting.
        let latest = entry
            .occurrences
            .iter()
            .filter_map(|o| parse_moment(&o.recurrence_id))
            .max_by_key(Moment::as_utc);
        // Each meeting's own description: kept from an earlier cycle, else found now.
        let mut own: Vec<Option<Arc<MeetingNotes>>> = Vec::with_capacity(entry.occurrences.len());
        let mut found_now = Vec::new();
        {
            let mut readers: foldhash::HashMap<(&str, &str), Option<Descriptions>> =
                foldhash::HashMap::default();
            for (i, (occ, known)) in entry.occurrences.iter().zip(known).enumerate() {
                let Some(origin) = origin_of(occ) else {
                    own.push(None);
                    continue;
                };
                if let Some(known) = known {
                    own.push(known);
                    continue;
                }
                let found = readers
                    .entry((origin, occ.series_uid.as_str()))
                    .or_insert_with(|| {
                        let doc = self.documents.peek(origin, &occ.series_uid)?;
                        Some(Descriptions::new(doc, latest?))
                    })
                    .as_ref()
                    .and_then(|reader| past_description(reader, occ))
                    .map(|found| Arc::new(MeetingNotes::read(found, occ.scheduled)));
                found_now.push((i, origin));
                own.push(found);
            }
        }
        for (i, origin) in found_now {
            if let (Some(occ), Some(found)) = (entry.occurrences.get(i), own.get(i)) {
                self.documents.keep_past(origin, occ, found.clone());
            }
        }
        for (origin, uid) in parsed_now {
            self.documents.release_series(origin, uid);
        }
        let mut meetings = Vec::new();
        for (occ, own) in entry.occurrences.iter().zip(own) {
            let origin = origin_of(occ);
            let private = origin
                .and_then(|origin| companion_of(self.gathered, origin))
                .and_then(|companion| {
                    companion.of(&agenda::companion::Link {
                        series_uid: occ.series_uid.clone(),
                        recurrence_id: occ.recurrence_id.clone(),
                    })
                })
                .map(|(_, found)| &found.description);
            meetings.push(agenda::plan::Meeting {
                scheduled: occ.scheduled,
                start: occ.start,
                outcome: cadence::Outcome::of(occ, self.now),
                notes: joined(own, private, occ.scheduled),
            });
        }
        meetings.sort_by_key(|m| m.start);
        meetings
    }

    /// The occurrences of the window that start in the write-ahead window.
    fn ahead<'o>(
        &self,
        window: &'o [Occurrence],
    ) -> impl Iterator<Item = &'o Occurrence> + use<'o> {
        let (now, ahead) = (self.now, Duration::days(self.settings.write_ahead_days));
        window.iter().filter(move |o| {
            o.start.as_utc().and_utc() >= now && o.start.as_utc().and_utc() <= now + ahead
        })
    }

    /// The relationship's occurrences in the write-ahead window (`ahead`, see
    /// [`Planning::ahead`]) that take place.
    fn coming<'o>(
        &self,
        rel: &'o crate::detect::Relationship,
        ahead: &'o [&'o Occurrence],
    ) -> impl Iterator<Item = &'o Occurrence> + use<'o> {
        ahead.iter().copied().filter(move |o| {
            rel.series.iter().any(|s| *s.uid == *o.uid)
                && o.status != Some(EventStatus::Cancelled)
                && !declined_by_a_person(o)
        })
    }

    /// Where one coming occurrence's agenda goes: into its event, or its private companion;
    /// `None` when it cannot be written (a read-only or unknown calendar, an unreadable
    /// event).
    fn target(
        &mut self,
        rel: &crate::detect::Relationship,
        occ: &Occurrence,
    ) -> Result<Option<Targeted>, HistoryError> {
        let store = self.store;
        let Some(meta) = self.meta_of.get(&*occ.uid).copied() else {
            return Ok(None);
        };
        let Some(&(c, r)) = self.gathered.origins.get(&*meta.origin) else {
            return Ok(None);
        };
        let Some(calendar) = self
            .gathered
            .calendars
            .get(c)
            .filter(|c| c.source.is_writable())
        else {
            return Ok(None);
        };
        let Some(doc) = self.documents.get(self.gathered, &meta.origin, &occ.uid) else {
            return Ok(None);
        };
        let has_participants = meta.organizer.is_some() || !meta.attendees.is_empty();
        let (target, location) = match (&calendar.route, has_participants) {
            (Route::Stopped(why), _) => {
                return Ok(Some(Targeted::Stopped(format!(
                    "{}: {why}",
                    agenda::plan::which_meeting(rel, occ.start, &self.settings.zone)
                ))));
            }
            (Route::Private(companion), true) => self.private_target(companion, occ, c)?,
            _ => {
                let Some(at) = event_target(store, doc, occ, c, r)? else {
                    return Ok(None);
                };
                at
            }
        };
        Ok(Some(Targeted::At(target, location)))
    }

    /// The target of an occurrence whose agenda goes to its private companion.
    fn private_target(
        &self,
        companion: &Companion,
        occ: &Occurrence,
        calendar: usize,
    ) -> Result<(agenda::plan::Target, Location), HistoryError> {
        let link = agenda::companion::Link {
            series_uid: occ.uid.to_string(),
            recurrence_id: occ.recurrence_id.to_string(),
        };
        let found = companion.of(&link);
        let location = Location {
            calendar,
            resource: companion.found.get(&link).map(|(i, _)| *i),
        };
        let target = agenda::plan::Target {
            series_uid: occ.uid.to_string(),
            recurrence_id: occ.recurrence_id,
            start: occ.start,
            end: occ.end,
            description: found
                .map(|(_, f)| f.description.clone())
                .unwrap_or_default(),
            written: self.store.written(&link.uid(), &link.recurrence_id)?,
            place: agenda::plan::Place::Private {
                calendar: companion.name.clone(),
            },
            // A moved 1:1 moves its private agenda along.
            refresh: found.is_some_and(|(_, f)| f.cancelled || !f.is_at(occ.start, occ.end)),
            retire: false,
            own_topics: false,
        };
        Ok((target, location))
    }
}

/// The target of an occurrence whose agenda goes into the event itself; `None` when its
/// description cannot be read.
fn event_target(
    store: &dyn History,
    doc: &Document,
    occ: &Occurrence,
    calendar: usize,
    resource: usize,
) -> Result<Option<(agenda::plan::Target, Location)>, HistoryError> {
    let r_ref = OccurrenceRef {
        uid: &occ.uid,
        recurrence_id: occ.recurrence_id,
        start: occ.start,
        end: occ.end,
    };
    let Ok(description) = occurrence_description(doc, &r_ref) else {
        return Ok(None);
    };
    let own_topics = has_own_topics(doc, &occ.uid, &description);
    let target = agenda::plan::Target {
        series_uid: occ.uid.to_string(),
        recurrence_id: occ.recurrence_id,
        start: occ.start,
        end: occ.end,
        description,
        written: store.written(&occ.uid, &occ.recurrence_id.to_string())?,
        place: agenda::plan::Place::Event,
        refresh: false,
        retire: false,
        own_topics,
    };
    let location = Location {
        calendar,
        resource: Some(resource),
    };
    Ok(Some((target, location)))
}

/// Private agendas of this relationship's coming 1:1s that no longer take place (cancelled,
/// declined, removed): each is planned to be marked cancelled, its text kept, so the manager
/// does not prepare for a meeting that will not happen.
fn stale_private_agendas(
    gathered: &Gathered,
    meta_of: &foldhash::HashMap<&str, &EventMeta>,
    input: &agenda::plan::Input,
    now: DateTime<Utc>,
) -> Vec<(agenda::plan::PlannedWrite, Location)> {
    let current: HashSet<(&str, String)> = input
        .targets
        .iter()
        .map(|t| (t.series_uid.as_str(), t.recurrence_id.to_string()))
        .collect();
    let mut out = Vec::new();
    for series in &input.relationship.series {
        let Some(meta) = meta_of.get(&*series.uid) else {
            continue;
        };
        let Some(&(c, _)) = gathered.origins.get(&*meta.origin) else {
            continue;
        };
        let Some(Route::Private(companion)) = gathered.calendars.get(c).map(|f| &f.route) else {
            continue;
        };
        for (link, (i, found)) in &companion.found {
            let Some(rid) = parse_moment(&link.recurrence_id) else {
                continue;
            };
            if link.series_uid != *series.uid
                || found.cancelled
                || rid.as_utc().and_utc() < now
                || current.contains(&(link.series_uid.as_str(), link.recurrence_id.clone()))
            {
                continue;
            }
            let target = agenda::plan::Target {
                series_uid: link.series_uid.clone(),
                recurrence_id: rid,
                start: rid,
                end: rid,
                description: found.description.clone(),
                written: None,
                place: agenda::plan::Place::Private {
                    calendar: companion.name.clone(),
                },
                refresh: true,
                retire: true,
                own_topics: false,
            };
            out.push((
                agenda::plan::PlannedWrite {
                    new: found.description.clone(),
                    target,
                    agenda: String::new(),
                },
                Location {
                    calendar: c,
                    resource: Some(*i),
                },
            ));
        }
    }
    out
}

/// True when an occurrence's description holds text outside tete's block that the series'
/// own description does not (topics typed into this meeting, not the invite's boilerplate).
fn has_own_topics(doc: &Document, uid: &str, description: &Description) -> bool {
    let own = agenda::block::outside(&description.text);
    let own = own.trim();
    // The series' text only when there is text to compare: finding a block is not free.
    !own.is_empty()
        && series_description(doc, uid)
            .is_none_or(|d| own != agenda::block::outside(&d.text).trim())
}

/// The private calendar of the calendar an event was read from, when its agendas go there.
fn companion_of<'a>(gathered: &'a Gathered, origin: &str) -> Option<&'a Companion> {
    let (calendar, _) = gathered.resource(origin)?;
    match &calendar.route {
        Route::Private(companion) => Some(companion),
        _ => None,
    }
}

/// A meeting's text for reading action items: its own description and its private agenda's.
fn joined(
    own: Option<Arc<MeetingNotes>>,
    private: Option<&Description>,
    scheduled: DateTime<Utc>,
) -> Option<Arc<MeetingNotes>> {
    let description = match (own, private) {
        (Some(own), Some(private)) => Description {
            text: format!("{}\n\n{}", own.description.text, private.text),
            html: own.description.html.clone(),
        },
        (Some(own), None) => return Some(own),
        (None, Some(private)) => private.clone(),
        (None, None) => return None,
    };
    Some(Arc::new(MeetingNotes::read(description, scheduled)))
}

fn past_description(reader: &Descriptions, occ: &StoredOccurrence) -> Option<Description> {
    let rid = parse_moment(&occ.recurrence_id)?;
    let r = OccurrenceRef {
        uid: &occ.series_uid,
        recurrence_id: rid,
        start: rid,
        end: rid,
    };
    reader.of(&r).ok()
}
