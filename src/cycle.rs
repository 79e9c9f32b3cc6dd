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
    Cancellation, History, HistoryError, Observation, Observations, StoredOccurrence,
};
use crate::sources::caldav::SharedSyncState;
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
    /// Where the agendas of its 1:1s go this cycle (see [`route_agendas`]).
    pub route: Route,
}

/// Where the agendas of one calendar's 1:1s go this cycle.
#[derive(Debug, Default)]
pub enum Route {
    /// Into the 1:1 events themselves: the server tells no one (a vdir, a server that does
    /// not schedule), or the manager chose `delivery = "shared"`.
    #[default]
    Event,
    /// The server schedules and the manager chose `delivery = "private"`: agendas of events
    /// with participants go into private companion events in another calendar; events with
    /// nobody to tell stay in place.
    Private(Box<Companion>),
    /// Nowhere this cycle; the reason says why and what to do.
    Stopped(String),
}

/// The calendar holding private agendas, as fetched.
#[derive(Debug)]
pub struct Companion {
    /// Its name as configured (`[agenda] private_calendar`).
    pub name: String,
    /// Where it is.
    pub source: Source,
    /// Its resources (empty when a dry run found it missing: it would be created).
    pub snapshot: Snapshot,
    /// Each companion event found, by occurrence, with its resource index.
    pub found: HashMap<agenda::companion::Link, (usize, agenda::companion::Found)>,
}

impl Companion {
    fn new(name: &str, source: Source, snapshot: Snapshot) -> Companion {
        let found = snapshot
            .resources
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match &r.content {
                Content::Memory(bytes) => {
                    agenda::companion::read(bytes).map(|f| (f.link.clone(), (i, f)))
                }
                Content::File(_) => None,
            })
            .collect();
        Companion {
            name: name.to_string(),
            source,
            snapshot,
            found,
        }
    }

    /// The companion of an occurrence, when there is one.
    pub fn of(
        &self,
        link: &agenda::companion::Link,
    ) -> Option<(&Resource, &agenda::companion::Found)> {
        let (i, found) = self.found.get(link)?;
        Some((self.snapshot.resources.get(*i)?, found))
    }
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
/// CalDAV calendars keep their sync state in `sync_state`.
pub async fn gather(
    calendars: &[CalendarConfig],
    cache_dir: &Path,
    sync_state: Option<&SharedSyncState>,
) -> Gathered {
    let http = HttpClient::new();
    // Concurrently, but a bounded number at a time: a manager with twenty calendars on one
    // server should not open twenty connections to it at once. `buffered` keeps the order.
    let fetched: Vec<_> = futures_util::stream::iter(calendars.iter().map(|c| {
        let http = &http;
        async move {
            let source = Source::from_location(&c.location, cache_dir, http, sync_state)?;
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
                    route: Route::Event,
                });
            }
            Err(e) => gathered
                .failures
                .push((calendar.name.clone(), crate::errors::chain(&e))),
        }
    }
    gathered
}

/// Decides where each writable calendar's agendas go ([`Route`]), fetching (and, unless
/// `dry_run`, creating) the private calendar where one is needed. Costs nothing for a vdir;
/// for CalDAV, the server's scheduling answer is remembered for a week, and the private
/// calendar is one sync per cycle.
pub async fn route_agendas(
    gathered: &mut Gathered,
    settings: &agenda::plan::Settings,
    dry_run: bool,
) {
    if !settings.enabled {
        return;
    }
    for calendar in &mut gathered.calendars {
        calendar.route = route(calendar, settings, dry_run).await;
        if let Route::Stopped(why) = &calendar.route {
            tracing::warn!(calendar = %calendar.name, "agendas not written: {why}");
        }
    }
}

async fn route(calendar: &Fetched, settings: &agenda::plan::Settings, dry_run: bool) -> Route {
    use agenda::plan::Delivery;
    let Source::Caldav(caldav) = &calendar.source else {
        return Route::Event;
    };
    let halted = match caldav.halted() {
        Ok(halted) => halted,
        Err(e) => return Route::Stopped(crate::errors::chain(&e)),
    };
    let announced = match settings.delivery {
        Delivery::Shared => false,
        Delivery::Private => match caldav.announces_scheduling().await {
            Ok(announced) => announced,
            Err(e) => {
                return Route::Stopped(format!(
                    "cannot tell whether the server schedules on its own, so nothing is written \
                     where it could reach someone: {}",
                    crate::errors::chain(&e)
                ));
            }
        },
    };
    match (settings.delivery, halted) {
        (Delivery::Shared, Some((why, since))) => {
            Route::Stopped(halt_message(&calendar.name, &why, &since))
        }
        (Delivery::Shared, None) => Route::Event,
        (Delivery::Private, halted) if announced || halted.is_some() => {
            match private_calendar(caldav, &settings.private_calendar, dry_run).await {
                Ok(companion) => Route::Private(Box::new(companion)),
                Err(e) => Route::Stopped(format!(
                    "this server schedules, so agendas go to your private calendar {:?}, which \
                     cannot be used: {}; name one you own in [agenda] private_calendar",
                    settings.private_calendar,
                    crate::errors::chain(&e)
                )),
            }
        }
        (Delivery::Private, _) => Route::Event,
    }
}

/// What to say about a calendar whose event writes tete stopped.
pub fn halt_message(calendar: &str, why: &str, since: &str) -> String {
    format!(
        "tete stopped writing into {calendar:?} on {since}: {why}. Check the 1:1s there, then \
         `tete resume {calendar}` to write again"
    )
}

async fn private_calendar(
    caldav: &crate::sources::CaldavSource,
    name: &str,
    dry_run: bool,
) -> Result<Companion, SourceError> {
    let sibling = caldav.sibling(name)?;
    let snapshot = if dry_run {
        match sibling.sync().await {
            Ok((snapshot, _)) => snapshot,
            // A dry run creates nothing: the calendar would be created, empty.
            Err(crate::sources::CaldavError::CalendarNotFound { .. }) => Snapshot {
                resources: Vec::new(),
                not_modified: false,
            },
            Err(e) => return Err(e.into()),
        }
    } else {
        sibling.fetch_or_create().await?
    };
    Ok(Companion::new(
        name,
        Source::Caldav(Box::new(sibling)),
        snapshot,
    ))
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
            .map_err(|e| crate::errors::chain(&e))
            .and_then(|input| {
                gathered
                    .collector
                    .read(input, &origin)
                    .map_err(|e| crate::errors::chain(&e))
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
        // The same event in two calendars (or twice in one export) is judged once; tete's
        // own private agendas (in a calendar also read) are notes, not meetings.
        if (!meta.uid.is_empty() && !seen.insert((meta.uid.clone(), meta.recurring)))
            || meta.uid.starts_with(agenda::companion::UID_PREFIX)
        {
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
            _ if declined_by_a_person(occ) => Some(Cancellation::Declined),
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

/// True when a person (not a room or resource) declined the occurrence: in a 1:1 that is me
/// or the other person, and the meeting did not take place. A tentative answer or none is
/// not a decline.
fn declined_by_a_person(occ: &Occurrence) -> bool {
    occ.declined
        .iter()
        .flat_map(|people| people.iter())
        .any(|p| !detect::is_room_or_resource(p))
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
    store: &dyn History,
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
    store: &mut dyn History,
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

/// One planned write with where it goes.
#[derive(Debug, Clone, Copy)]
pub struct Destination<'a> {
    /// The 1:1's calendar.
    pub calendar: &'a Fetched,
    /// The resource written: the 1:1's own, or its companion's (`None` when new).
    pub resource: Option<&'a Resource>,
    /// The write.
    pub write: &'a agenda::plan::PlannedWrite,
}

impl Destination<'_> {
    /// The resource written, as [`agenda::write::resource_key`] names it.
    pub fn resource_key(&self) -> String {
        let href = match (&self.write.target.place, self.resource) {
            (_, Some(resource)) => resource.href.clone(),
            (_, None) => agenda::companion::Link {
                series_uid: self.write.target.series_uid.clone(),
                recurrence_id: self.write.target.recurrence_id.to_string(),
            }
            .href(),
        };
        agenda::write::resource_key(&self.calendar.name, &href)
    }

    /// `calendar/href (uid at rid)`, or where a private agenda goes, for people.
    pub fn describe(&self) -> String {
        let what = format!(
            "{} at {}",
            self.write.target.series_uid, self.write.target.recurrence_id
        );
        match &self.write.target.place {
            agenda::plan::Place::Event => format!(
                "{}/{} ({what})",
                self.calendar.name,
                self.resource
                    .map_or("?", |r| r.href.as_str())
                    .trim_start_matches('/')
            ),
            agenda::plan::Place::Private { calendar } => {
                let link = agenda::companion::Link {
                    series_uid: self.write.target.series_uid.clone(),
                    recurrence_id: self.write.target.recurrence_id.to_string(),
                };
                let href = self
                    .resource
                    .map_or_else(|| link.href(), |r| r.href.clone());
                format!(
                    "{calendar} (private)/{} (agenda of {what})",
                    href.trim_start_matches('/')
                )
            }
        }
    }
}

impl AgendaPlans {
    /// Every planned write with where it goes.
    pub fn writes<'a>(&'a self, gathered: &'a Gathered) -> impl Iterator<Item = Destination<'a>> {
        self.plans
            .iter()
            .zip(&self.locations)
            .flat_map(|((_, plan), locations)| plan.writes.iter().zip(locations))
            .filter_map(|(write, location)| {
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
                Some(Destination {
                    calendar,
                    resource,
                    write,
                })
            })
    }
}

/// Parses resources once each: whole when held in memory (vdir items, CalDAV objects), and
/// only their 1:1 events when on disk (a single big `.ics` file, a feed's body): tete does not
/// write there, but reads past meetings' notes.
#[derive(Default)]
struct Documents {
    parsed: HashMap<String, Option<Parsed>>,
    /// The UIDs of every 1:1 series and one-off 1:1: all that is read of a big file or feed.
    one_on_ones: std::collections::HashSet<String>,
}

impl Documents {
    /// The document holding series `uid`, read from `origin`.
    fn get(&mut self, gathered: &Gathered, origin: &str, uid: &str) -> Option<&Document> {
        if !self.parsed.contains_key(origin) {
            let read = self.read(gathered, origin);
            self.parsed.insert(origin.to_string(), read);
        }
        match self.parsed.get(origin)?.as_ref()? {
            Parsed::Whole(doc) => Some(doc),
            Parsed::ByUid(docs) => docs.get(uid),
        }
    }

    fn read(&self, gathered: &Gathered, origin: &str) -> Option<Parsed> {
        let (_, resource) = gathered.resource(origin)?;
        let input = resource.open().ok()?;
        match resource.content {
            Content::Memory(_) => Document::read(input, origin)
                .ok()
                .map(|(doc, _)| Parsed::Whole(doc)),
            // A file or a feed's body: only its 1:1s, so past meetings' notes (and their
            // action items) are read from an export too; one small document per series, so
            // finding an occurrence's description does not search the whole export.
            Content::File(_) => {
                let doc =
                    Document::read_events(input, origin, |uid| self.one_on_ones.contains(uid))
                        .ok()?;
                Some(Parsed::ByUid(doc.split_by_uid().into_iter().collect()))
            }
        }
    }
}

/// A resource as parsed for planning.
enum Parsed {
    /// Held in memory: the whole resource (it may be written back).
    Whole(Document),
    /// A file or feed body: its 1:1 series, each a document of its own.
    ByUid(HashMap<String, Document>),
}

/// Plans the agenda of every relationship from this cycle's outcome.
pub fn plan_agendas(
    gathered: &Gathered,
    outcome: &Outcome,
    store: &dyn History,
    now: NaiveDateTime,
    settings: &agenda::plan::Settings,
) -> Result<AgendaPlans, HistoryError> {
    let meta_of: HashMap<&str, &EventMeta> = outcome
        .detection
        .verdicts
        .iter()
        .map(|(m, _)| (&*m.uid, m))
        .collect();
    let mut documents = Documents {
        one_on_ones: outcome
            .entries
            .iter()
            .flat_map(|e| e.relationship.series.iter().chain(&e.relationship.adhoc))
            .map(|s| s.uid.to_string())
            .collect(),
        ..Documents::default()
    };
    let mut plans = AgendaPlans::default();
    for entry in &outcome.entries {
        let rel = &entry.relationship;
        let uids: Vec<&str> = rel.series.iter().map(|s| &*s.uid).collect();
        let mut meetings = Vec::new();
        for occ in &entry.occurrences {
            let origin = meta_of.get(occ.series_uid.as_str()).map(|m| &*m.origin);
            let own = origin
                .and_then(|origin| documents.get(gathered, origin, &occ.series_uid))
                .and_then(|doc| past_description(doc, occ));
            let private = origin
                .and_then(|origin| companion_of(gathered, origin))
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
                outcome: cadence::Outcome::of(occ, now),
                description: joined(own, private),
            });
        }
        meetings.sort_by_key(|m| m.start);
        let mut targets = Vec::new();
        let mut locations = Vec::new();
        let mut stopped = Vec::new();
        // Cheapest test first: most occurrences are outside the write-ahead window.
        for occ in outcome.occurrences.iter().filter(|o| {
            o.start.as_utc() >= now
                && o.start.as_utc() <= now + Duration::days(settings.write_ahead_days)
                && uids.contains(&&*o.uid)
                && o.status.as_deref() != Some("CANCELLED")
                && !declined_by_a_person(o)
        }) {
            let Some(meta) = meta_of.get(&*occ.uid) else {
                continue;
            };
            let Some(&(c, r)) = gathered.origins.get(&*meta.origin) else {
                continue;
            };
            let Some(calendar) = gathered.calendars.get(c).filter(|c| c.source.is_writable())
            else {
                continue;
            };
            let Some(doc) = documents.get(gathered, &meta.origin, &occ.uid) else {
                continue;
            };
            let has_participants = meta.organizer.is_some() || !meta.attendees.is_empty();
            let target = match (&calendar.route, has_participants) {
                (Route::Stopped(why), _) => {
                    stopped.push(format!(
                        "{}: {why}",
                        agenda::plan::which_meeting(rel, occ.start)
                    ));
                    continue;
                }
                (Route::Private(companion), true) => {
                    let link = agenda::companion::Link {
                        series_uid: occ.uid.to_string(),
                        recurrence_id: occ.recurrence_id.to_string(),
                    };
                    let found = companion.of(&link);
                    locations.push(Location {
                        calendar: c,
                        resource: companion.found.get(&link).map(|(i, _)| *i),
                    });
                    agenda::plan::Target {
                        series_uid: occ.uid.to_string(),
                        recurrence_id: occ.recurrence_id,
                        start: occ.start,
                        end: occ.end,
                        description: found
                            .map(|(_, f)| f.description.clone())
                            .unwrap_or_default(),
                        written: store.written(&link.uid(), &link.recurrence_id)?,
                        place: agenda::plan::Place::Private {
                            calendar: companion.name.clone(),
                        },
                        // A moved 1:1 moves its private agenda along.
                        refresh: found
                            .is_some_and(|(_, f)| f.cancelled || !f.is_at(occ.start, occ.end)),
                        retire: false,
                    }
                }
                _ => {
                    let r_ref = OccurrenceRef {
                        uid: &occ.uid,
                        recurrence_id: occ.recurrence_id,
                        start: occ.start,
                        end: occ.end,
                    };
                    let Ok(description) = occurrence_description(doc, &r_ref) else {
                        continue;
                    };
                    locations.push(Location {
                        calendar: c,
                        resource: Some(r),
                    });
                    agenda::plan::Target {
                        series_uid: occ.uid.to_string(),
                        recurrence_id: occ.recurrence_id,
                        start: occ.start,
                        end: occ.end,
                        description,
                        written: store.written(&occ.uid, &occ.recurrence_id.to_string())?,
                        place: agenda::plan::Place::Event,
                        refresh: false,
                        retire: false,
                    }
                }
            };
            targets.push(target);
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
        let mut plan = agenda::plan::plan(&input, now, settings);
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
        if settings.enabled {
            plan.skipped.extend(stopped);
            for (write, location) in stale_private_agendas(gathered, &meta_of, &input, now) {
                plan.writes.push(write);
                planned.push(location);
            }
        }
        plans.locations.push(planned);
        plans.plans.push((key, plan));
    }
    Ok(plans)
}

/// Private agendas of this relationship's coming 1:1s that no longer take place (cancelled,
/// declined, removed): each is planned to be marked cancelled, its text kept, so the manager
/// does not prepare for a meeting that will not happen.
fn stale_private_agendas(
    gathered: &Gathered,
    meta_of: &HashMap<&str, &EventMeta>,
    input: &agenda::plan::Input,
    now: NaiveDateTime,
) -> Vec<(agenda::plan::PlannedWrite, Location)> {
    let current: std::collections::HashSet<(&str, String)> = input
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
                || rid.as_utc() < now
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

/// The private calendar of the calendar an event was read from, when its agendas go there.
fn companion_of<'a>(gathered: &'a Gathered, origin: &str) -> Option<&'a Companion> {
    let (calendar, _) = gathered.resource(origin)?;
    match &calendar.route {
        Route::Private(companion) => Some(companion),
        _ => None,
    }
}

/// A meeting's text for reading action items: its own description and its private agenda's.
fn joined(own: Option<Description>, private: Option<&Description>) -> Option<Description> {
    match (own, private) {
        (Some(own), Some(private)) => Some(Description {
            text: format!("{}\n\n{}", own.text, private.text),
            html: own.html,
        }),
        (own, private) => own.or_else(|| private.cloned()),
    }
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

    fn day(d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, d)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap()
    }

    /// What a cycle observes in March 2026 of these calendars, for Mia.
    fn observed(
        calendars: &[(&str, &str)],
    ) -> (Observations, BTreeMap<String, Vec<NaiveDateTime>>) {
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
        assert_eq!(adhoc["ann@example.com"], [day(12) + Duration::hours(10)]);
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
            .map(|o| (o.scheduled.date().format("%d").to_string(), o.cancelled))
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
