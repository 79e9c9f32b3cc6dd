//! Recurrence expansion: every occurrence of every `VEVENT` that overlaps a window.
//!
//! Semantics follow python's recurring-ical-events (the most used expansion library), which
//! follows RFC 5545:
//! - an occurrence is in `[start, end)` when it starts before `end` and ends after `start`;
//!   a zero-length one when `start <= its start < end`. Floating times and dates are compared
//!   with the window as if they were UTC;
//! - `RRULE` and `RDATE` add, `EXDATE` removes, `DTSTART` is always the first occurrence
//!   (and counts in the rule's `COUNT`, as RFC 5545 says);
//! - of several `VEVENT`s with one UID and no `RECURRENCE-ID`, only the one with the highest
//!   `SEQUENCE` (the first in the file on a tie) is used;
//! - a `RECURRENCE-ID` override replaces the occurrence it names (the highest `SEQUENCE` wins
//!   when one is overridden twice, the first in the file on a tie); `RANGE=THISANDFUTURE` also
//!   moves and changes every later one; overrides without a master are occurrences of their
//!   own; an override of an occurrence the master's `EXDATE` removes is dropped too; cancelled
//!   overrides are reported with status `CANCELLED`, not dropped;
//! - `DTEND` gives every occurrence the same exact length (RFC 5545 3.8.5.3), `DURATION` is
//!   exact in hours, minutes and seconds and nominal in days and weeks (3.3.6);
//! - a calendar's `X-WR-TIMEZONE` (Google's exports) is the zone of its floating times, and
//!   its recurring UTC series recur on that zone's wall clock (so they follow its DST), as
//!   recurring-ical-events does; a TZID nothing defines is read as a floating time.
//!
//! Reading is streaming ([`Collector::read`]): only a compact record of each event is kept,
//! never a whole file's tree, so a 100 MB calendar expands in bounded memory.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufRead;
use std::sync::Arc;

use chrono::{Duration as Span, NaiveDate, NaiveDateTime, NaiveTime};

use super::document::DocumentError;
use super::model::Component;
use super::people::{EventMeta, Person};
use super::reader::{ReadEvent, Reader};
use super::recur::RuleSpec;
use super::tz::{Zone, ZoneTable};
use super::value::{self, Duration, PeriodEnd, TimeValue, ValueError};
use super::warning::Warning;

/// A time window, as UTC wall-clock times: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Inclusive start.
    pub start: NaiveDateTime,
    /// Exclusive end.
    pub end: NaiveDateTime,
}

/// A point in time as reported: a date, a floating local time, or a UTC instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Moment {
    /// An all-day date.
    Date(NaiveDate),
    /// A wall-clock time with no zone.
    Floating(NaiveDateTime),
    /// A UTC instant (zoned times are converted).
    Utc(NaiveDateTime),
}

impl Moment {
    /// True when this RECURRENCE-ID names the occurrence originally at `occ`: equal
    /// instants, or, for a date written against a date-time series (or the reverse), the
    /// same day.
    pub fn names_occurrence(rid: Moment, occ: Moment) -> bool {
        match (rid, occ) {
            (Moment::Date(d), Moment::Utc(t) | Moment::Floating(t))
            | (Moment::Utc(t) | Moment::Floating(t), Moment::Date(d)) => t.date() == d,
            _ => rid.as_utc() == occ.as_utc(),
        }
    }

    /// The time used to compare with windows and to sort: dates and floating times as if UTC.
    pub fn as_utc(&self) -> NaiveDateTime {
        match self {
            Moment::Date(d) => d.and_time(NaiveTime::MIN),
            Moment::Floating(t) | Moment::Utc(t) => *t,
        }
    }
}

impl std::fmt::Display for Moment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Moment::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Moment::Floating(t) => write!(f, "{}", t.format("%Y-%m-%dT%H:%M:%S")),
            Moment::Utc(t) => write!(f, "{}", t.format("%Y-%m-%dT%H:%M:%SZ")),
        }
    }
}

/// One occurrence of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// The event's UID ("" when it has none).
    pub uid: Arc<str>,
    /// The occurrence's original start (for a non-recurring event, its DTSTART).
    pub recurrence_id: Moment,
    /// When it starts.
    pub start: Moment,
    /// When it ends.
    pub end: Moment,
    /// SUMMARY, unescaped.
    pub summary: Option<Arc<str>>,
    /// STATUS, upper-cased.
    pub status: Option<Arc<str>>,
    /// True for an occurrence the series removes with `EXDATE` (only reported by
    /// [`Collector::expand_with_excluded`]).
    pub excluded: bool,
    /// The attendees who declined it (`PARTSTAT=DECLINED` on the override, or on the series
    /// when it has none), read only by a collector made [`Collector::with_meta`]; `None` when
    /// nobody declined. Not part of the JSON form: a decline is an answer, not a status.
    pub declined: Option<Arc<[Person]>>,
}

/// The documented JSON form (see README.md): keys in this order, times as strings.
impl serde::Serialize for Occurrence {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Occurrence", 6)?;
        s.serialize_field("uid", &*self.uid)?;
        s.serialize_field("recurrence_id", &self.recurrence_id.to_string())?;
        s.serialize_field("start", &self.start.to_string())?;
        s.serialize_field("end", &self.end.to_string())?;
        s.serialize_field("summary", &self.summary.as_deref())?;
        s.serialize_field("status", &self.status.as_deref())?;
        s.end()
    }
}

/// What a read found in one input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadSummary {
    /// `VEVENT`s read (masters and overrides).
    pub events: usize,
    /// `VEVENT`s with an `RRULE` or `RDATE` (recurring series).
    pub series: usize,
}

/// The form a time was written in, with the zone interned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Date,
    Floating,
    Utc,
    Zone(u32),
}

/// A compact date/date-time (16 bytes instead of a TZID string per value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    t: NaiveDateTime,
    form: Form,
}

impl Stamp {
    /// A floating time becomes a wall-clock time in the zone `zone`; other forms are kept.
    fn assume_zone(&mut self, zone: u32) {
        if self.form == Form::Floating {
            self.form = Form::Zone(zone);
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum End {
    At(Stamp),
    For(Duration),
    Default,
}

#[derive(Debug)]
struct RDate {
    start: Stamp,
    end: Option<End>,
}

/// What expansion needs of one `VEVENT`; the full component is not kept.
#[derive(Debug)]
struct EventRecord {
    uid: Arc<str>,
    resource: u32,
    line: usize,
    summary: Option<Arc<str>>,
    status: Option<Arc<str>>,
    start: Stamp,
    end: End,
    /// `None` for the many events without RRULE, RDATE or EXDATE.
    recurrence: Option<Box<Recurrence>>,
    recurrence_id: Option<Stamp>,
    this_and_future: bool,
    sequence: i64,
    /// Attendees with `PARTSTAT=DECLINED` (`None`: nobody, or not read).
    declined: Option<Arc<[Person]>>,
}

/// The RRULEs, RDATEs and EXDATEs of an event. Boxed apart from [`EventRecord`] because most
/// events have none: a single event then costs one pointer instead of three empty lists.
#[derive(Debug, Default)]
struct Recurrence {
    rules: Vec<RuleSpec>,
    rdates: Vec<RDate>,
    exdates: Vec<Stamp>,
}

impl Recurrence {
    fn boxed_unless_empty(self) -> Option<Box<Recurrence>> {
        let empty = self.rules.is_empty() && self.rdates.is_empty() && self.exdates.is_empty();
        (!empty).then(|| Box::new(self))
    }
}

impl EventRecord {
    fn rules(&self) -> &[RuleSpec] {
        self.recurrence.as_ref().map_or(&[], |r| &r.rules)
    }

    fn rdates(&self) -> &[RDate] {
        self.recurrence.as_ref().map_or(&[], |r| &r.rdates)
    }

    fn exdates(&self) -> &[Stamp] {
        self.recurrence.as_ref().map_or(&[], |r| &r.exdates)
    }

    fn is_recurring(&self) -> bool {
        !self.rules().is_empty() || !self.rdates().is_empty()
    }

    /// Reads every floating time of the event as a wall-clock time in the zone `zone`.
    /// (A floating UNTIL needs nothing: it is already read on the series' wall clock.)
    fn assume_zone(&mut self, zone: u32) {
        self.start.assume_zone(zone);
        if let End::At(end) = &mut self.end {
            end.assume_zone(zone);
        }
        if let Some(recurrence) = &mut self.recurrence {
            for rdate in &mut recurrence.rdates {
                rdate.start.assume_zone(zone);
                if let Some(End::At(end)) = &mut rdate.end {
                    end.assume_zone(zone);
                }
            }
            for exdate in &mut recurrence.exdates {
                exdate.assume_zone(zone);
            }
        }
        if let Some(rid) = &mut self.recurrence_id {
            rid.assume_zone(zone);
        }
    }

    /// True when this event supersedes `other`, an earlier-read event for the same occurrence
    /// (or the same UID): a higher SEQUENCE wins, and on a tie the first read stays.
    fn supersedes(&self, other: &EventRecord) -> bool {
        self.sequence > other.sequence
    }
}

#[derive(Debug)]
struct ResourceInfo {
    origin: Arc<str>,
    /// The calendar's `X-WR-TIMEZONE`, interned.
    default_zone: Option<u32>,
}

/// Where a TZID was first used, to point warnings at it; an undefined TZID falls back to the
/// `X-WR-TIMEZONE` of this first calendar.
#[derive(Debug)]
struct TzidUse {
    name: String,
    resource: u32,
    line: usize,
    uid: Arc<str>,
}

/// The properties of events and time zones that expansion reads: the reader builds no others.
fn used_in_expansion(name: &str) -> bool {
    const USED: &[&str] = &[
        "UID",
        "DTSTART",
        "DTEND",
        "DURATION",
        "RRULE",
        "RDATE",
        "EXDATE",
        "RECURRENCE-ID",
        "SEQUENCE",
        "SUMMARY",
        "STATUS",
        "TZID",
        "TZOFFSETFROM",
        "TZOFFSETTO",
    ];
    USED.iter().any(|used| used.eq_ignore_ascii_case(name))
}

/// What a collector made [`Collector::with_meta`] reads: expansion's properties and the
/// participants.
fn used_with_meta(name: &str) -> bool {
    used_in_expansion(name)
        || name.eq_ignore_ascii_case("ORGANIZER")
        || name.eq_ignore_ascii_case("ATTENDEE")
}

/// Collects events from one or more inputs, then expands them over windows.
#[derive(Debug, Default)]
pub struct Collector {
    events: Vec<EventRecord>,
    zones: ZoneTable,
    tzids: Vec<TzidUse>,
    tzid_index: HashMap<String, u32>,
    /// STATUS values, shared: a calendar has a handful of them and many events.
    statuses: HashSet<Arc<str>>,
    resources: Vec<ResourceInfo>,
    warnings: Vec<Warning>,
    /// People and rule shapes of masters and single events, when asked for (`with_meta`).
    meta: Option<Vec<EventMeta>>,
}

/// The occurrences in a window and the warnings met on the way.
#[derive(Debug, Default)]
pub struct Expansion {
    /// Sorted by (start as UTC, uid, recurrence id).
    pub occurrences: Vec<Occurrence>,
    /// Problems met while expanding (unknown zones, unusable rules).
    pub warnings: Vec<Warning>,
}

impl Collector {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// A collector that also keeps each master's and single event's [`EventMeta`]
    /// (organizer, attendees, rule shape), for 1:1 detection.
    pub fn with_meta() -> Self {
        Collector {
            meta: Some(Vec::new()),
            ..Self::default()
        }
    }

    /// The [`EventMeta`] of every series master, and of every single event with at most
    /// three participants (a larger one-off meeting cannot be a 1:1), in reading order
    /// (empty unless made [`Collector::with_meta`]).
    pub fn meta(&self) -> &[EventMeta] {
        self.meta.as_deref().unwrap_or_default()
    }

    /// Warnings found while reading, emptied.
    pub fn take_warnings(&mut self) -> Vec<Warning> {
        std::mem::take(&mut self.warnings)
    }

    /// Number of `VEVENT`s collected so far.
    pub fn event_count(&self) -> usize {
        self.events.len()
    }

    /// Reads one input as a stream. Errors only when the input cannot be read at all or is
    /// not iCalendar; a broken event becomes a warning and the others are still read.
    pub fn read(
        &mut self,
        input: impl BufRead,
        origin: &str,
    ) -> Result<ReadSummary, DocumentError> {
        let resource = u32::try_from(self.resources.len()).unwrap_or(u32::MAX);
        self.resources.push(ResourceInfo {
            origin: Arc::from(origin),
            default_zone: None,
        });
        let first_event = self.events.len();
        let keep = if self.meta.is_some() {
            used_with_meta
        } else {
            used_in_expansion
        };
        let mut reader = Reader::new(input, origin).keeping_only(keep);
        let mut summary = ReadSummary::default();
        loop {
            let event = super::document::next_event(&mut reader, origin)?;
            match event {
                None => break,
                Some(ReadEvent::CalendarProperty(p)) if p.name == "X-WR-TIMEZONE" => {
                    let tzid = p.value.trim().to_string();
                    if !tzid.is_empty() && self.resources[resource as usize].default_zone.is_none()
                    {
                        let index = self.intern_tzid(&tzid, resource, p.line, &Arc::from(""));
                        self.resources[resource as usize].default_zone = Some(index);
                    }
                }
                Some(ReadEvent::Item(item)) => self.collect_item(item, resource, &mut summary),
                Some(_) => {}
            }
            self.warnings.extend(reader.take_warnings());
        }
        self.warnings.extend(reader.take_warnings());
        if !reader.saw_structure() {
            return Err(DocumentError::NotICalendar {
                origin: origin.to_string(),
            });
        }
        self.apply_calendar_zone(resource, first_event);
        Ok(summary)
    }

    /// Applies the calendar's `X-WR-TIMEZONE` to the floating times of its events (read from
    /// `first_event` on), as recurring-ical-events does. Done once the whole calendar is read,
    /// because the property may come after events.
    fn apply_calendar_zone(&mut self, resource: u32, first_event: usize) {
        if let Some(zone) = self.resources[resource as usize].default_zone {
            for event in &mut self.events[first_event..] {
                event.assume_zone(zone);
            }
        }
    }

    /// Adds an item read elsewhere (a component of a [`super::Document`]).
    fn collect_item(&mut self, item: Component, resource: u32, summary: &mut ReadSummary) {
        match item.name.as_str() {
            "VEVENT" => self.collect_event(&item, resource, summary),
            "VTIMEZONE" => {
                if let Err(e) = self.zones.add_definition(item) {
                    let origin = self.resources[resource as usize].origin.clone();
                    self.warnings.push(Warning {
                        origin,
                        line: 0,
                        uid: None,
                        message: e.to_string(),
                    });
                }
            }
            _ => {
                for child in item.components {
                    if child.name == "VEVENT"
                        || child.name == "VTIMEZONE"
                        || !child.components.is_empty()
                    {
                        self.collect_item(child, resource, summary);
                    }
                }
            }
        }
    }

    fn collect_event(&mut self, event: &Component, resource: u32, summary: &mut ReadSummary) {
        summary.events += 1;
        let uid: Arc<str> = Arc::from(event.value("UID").map(str::trim).unwrap_or(""));
        match self.event_record(event, resource, &uid) {
            Ok(record) => {
                if record.is_recurring() && record.recurrence_id.is_none() {
                    summary.series += 1;
                }
                if let (Some(meta), None) = (&mut self.meta, record.recurrence_id)
                    && (record.is_recurring() || EventMeta::may_be_one_on_one(event))
                {
                    let origin = &self.resources[resource as usize].origin;
                    meta.push(EventMeta::from_event(event, origin));
                }
                self.events.push(record);
            }
            Err(message) => self.warn(
                resource,
                event.line,
                &uid,
                format!("{message}; event skipped"),
            ),
        }
    }

    fn warn(&mut self, resource: u32, line: usize, uid: &Arc<str>, message: impl Into<String>) {
        self.warnings.push(Warning {
            origin: self.resources[resource as usize].origin.clone(),
            line,
            uid: (!uid.is_empty()).then(|| uid.to_string()),
            message: message.into(),
        });
    }

    fn intern_tzid(&mut self, tzid: &str, resource: u32, line: usize, uid: &Arc<str>) -> u32 {
        if let Some(&i) = self.tzid_index.get(tzid) {
            return i;
        }
        let i = u32::try_from(self.tzids.len()).unwrap_or(u32::MAX);
        self.tzids.push(TzidUse {
            name: tzid.to_string(),
            resource,
            line,
            uid: uid.clone(),
        });
        self.tzid_index.insert(tzid.to_string(), i);
        i
    }

    /// The upper-cased STATUS, shared with the events that have the same one.
    fn intern_status(&mut self, raw: &str) -> Arc<str> {
        let status = raw.trim().to_ascii_uppercase();
        if let Some(known) = self.statuses.get(status.as_str()) {
            return known.clone();
        }
        let status: Arc<str> = Arc::from(status);
        self.statuses.insert(status.clone());
        status
    }

    fn stamp(&mut self, value: TimeValue, resource: u32, line: usize, uid: &Arc<str>) -> Stamp {
        let (t, form) = match value {
            TimeValue::Date(d) => (d.and_time(NaiveTime::MIN), Form::Date),
            TimeValue::Floating(t) => (t, Form::Floating),
            TimeValue::Utc(t) => (t, Form::Utc),
            TimeValue::Zoned(t, tzid) => {
                (t, Form::Zone(self.intern_tzid(&tzid, resource, line, uid)))
            }
        };
        Stamp { t, form }
    }

    /// Reads what expansion needs. `Err` is a reason to skip the whole event; smaller problems
    /// (one bad EXDATE line, an unusable RRULE) are warnings and the event is still used.
    fn event_record(
        &mut self,
        ev: &Component,
        resource: u32,
        uid: &Arc<str>,
    ) -> Result<EventRecord, String> {
        let dtstart = ev.property("DTSTART").ok_or("no DTSTART")?;
        let start_value = value::time_property(dtstart).map_err(|e| e.to_string())?;
        let start = self.stamp(start_value, resource, dtstart.line, uid);
        let end = self.event_end(ev, resource, uid);
        let mut rules = Vec::new();
        for p in ev.properties_named("RRULE") {
            match RuleSpec::parse(&p.value) {
                Ok(spec) => {
                    if !spec.ignored.is_empty() {
                        let msg = format!("RRULE parts {} ignored", spec.ignored.join(";"));
                        self.warn(resource, p.line, uid, msg);
                    }
                    rules.push(spec);
                }
                Err(e) => self.warn(resource, p.line, uid, format!("{e}; only DTSTART is used")),
            }
        }
        let rdates = self.rdates(ev, resource, uid);
        let exdates = self.date_lines(ev, "EXDATE", resource, uid);
        let (recurrence_id, this_and_future) = match ev.property("RECURRENCE-ID") {
            Some(p) => {
                let rid = value::time_property(p).map_err(|e| e.to_string())?;
                (
                    Some(self.stamp(rid, resource, p.line, uid)),
                    p.param_is("RANGE", "THISANDFUTURE"),
                )
            }
            None => (None, false),
        };
        Ok(EventRecord {
            uid: uid.clone(),
            resource,
            line: ev.line,
            summary: ev
                .value("SUMMARY")
                .map(|s| Arc::from(value::unescape_text(s))),
            status: ev.value("STATUS").map(|s| self.intern_status(s)),
            start,
            end,
            recurrence: Recurrence {
                rules,
                rdates,
                exdates: exdates.into_iter().map(|(s, _)| s).collect(),
            }
            .boxed_unless_empty(),
            recurrence_id,
            this_and_future,
            sequence: ev
                .value("SEQUENCE")
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0),
            declined: declined_attendees(ev),
        })
    }

    fn event_end(&mut self, ev: &Component, resource: u32, uid: &Arc<str>) -> End {
        if let Some(p) = ev.property("DTEND") {
            match value::time_property(p) {
                Ok(v) => return End::At(self.stamp(v, resource, p.line, uid)),
                Err(e) => self.warn(resource, p.line, uid, format!("{e}; DTEND ignored")),
            }
        }
        if let Some(p) = ev.property("DURATION") {
            match value::parse_duration(&p.value) {
                Some(d) => return End::For(d),
                None => self.warn(
                    resource,
                    p.line,
                    uid,
                    format!("DURATION {:?} is not a duration; ignored", p.value),
                ),
            }
        }
        End::Default
    }

    /// Reads every line of a date-list property; an unreadable line is a warning.
    fn date_lines(
        &mut self,
        ev: &Component,
        name: &str,
        resource: u32,
        uid: &Arc<str>,
    ) -> Vec<(Stamp, Option<PeriodEnd>)> {
        let mut out = Vec::new();
        for p in ev.properties_named(name) {
            match value::date_list(p) {
                Ok(entries) => {
                    for e in entries {
                        out.push((self.stamp(e.start, resource, p.line, uid), e.end));
                    }
                }
                Err(ValueError { problem, .. }) => {
                    self.warn(
                        resource,
                        p.line,
                        uid,
                        format!("{name}: {problem}; line ignored"),
                    );
                }
            }
        }
        out
    }

    fn rdates(&mut self, ev: &Component, resource: u32, uid: &Arc<str>) -> Vec<RDate> {
        let lines = self.date_lines(ev, "RDATE", resource, uid);
        lines
            .into_iter()
            .map(|(start, end)| {
                let end = end.map(|e| match e {
                    PeriodEnd::At(v) => End::At(self.stamp(v, resource, 0, uid)),
                    PeriodEnd::After(d) => End::For(d),
                });
                RDate { start, end }
            })
            .collect()
    }

    /// Every occurrence overlapping `window`, sorted by (start as UTC, uid, recurrence id).
    pub fn expand(&self, window: Window) -> Expansion {
        self.expand_inner(window, false)
    }

    /// Like [`Collector::expand`], plus the occurrences that `EXDATE` removes, marked
    /// `excluded`: a 1:1's history counts them as cancelled.
    pub fn expand_with_excluded(&self, window: Window) -> Expansion {
        self.expand_inner(window, true)
    }

    fn expand_inner(&self, window: Window, with_excluded: bool) -> Expansion {
        let mut warnings = Vec::new();
        let zones = self.resolve_zones(window, &mut warnings);
        let ctx = Context {
            window,
            zones: &zones,
            resources: &self.resources,
            with_excluded,
        };
        let mut occurrences = Vec::new();
        let (without_uid, mut with_uid): (Vec<&EventRecord>, Vec<&EventRecord>) =
            self.events.iter().partition(|ev| ev.uid.is_empty());
        for ev in without_uid {
            // Events without a UID are unrelated to each other (recurring-ical-events gives
            // each an id of its own): none replaces or overrides another.
            expand_group(&ctx, &[ev], &mut occurrences, &mut warnings);
        }
        // A stable sort keeps the file order within one UID, which decides ties.
        with_uid.sort_by(|a, b| a.uid.cmp(&b.uid));
        for group in with_uid.chunk_by(|a, b| a.uid == b.uid) {
            expand_group(&ctx, group, &mut occurrences, &mut warnings);
        }
        occurrences.sort_by(|a, b| {
            (a.start.as_utc(), &a.uid, a.recurrence_id.as_utc()).cmp(&(
                b.start.as_utc(),
                &b.uid,
                b.recurrence_id.as_utc(),
            ))
        });
        Expansion {
            occurrences,
            warnings,
        }
    }

    /// Resolves every TZID used, once, by its index. `None` is a TZID whose times are read as
    /// floating: nothing defines it and its calendar has no usable `X-WR-TIMEZONE`.
    fn resolve_zones(&self, window: Window, warnings: &mut Vec<Warning>) -> Vec<Option<Zone>> {
        let horizon = value::add_saturating(window.end, Span::days(800));
        self.tzids
            .iter()
            .map(|used| match self.zones.resolve(&used.name, horizon) {
                Ok((zone, _)) => Some(zone),
                Err(reason) => {
                    let fallback = self.fallback_zone(used.resource, horizon);
                    let read_as = match &fallback {
                        Some(zone) => format!("in the calendar's X-WR-TIMEZONE {}", zone.name()),
                        None => "as floating times (no zone)".to_string(),
                    };
                    warnings.push(Warning {
                        origin: self.resources[used.resource as usize].origin.clone(),
                        line: used.line,
                        uid: (!used.uid.is_empty()).then(|| used.uid.to_string()),
                        message: format!(
                            "unknown time zone {:?} ({reason}); its times are read {read_as}",
                            used.name
                        ),
                    });
                    fallback
                }
            })
            .collect()
    }

    /// The zone for a TZID nothing defines: the calendar's X-WR-TIMEZONE when it names a
    /// zone, else none (floating). This is what recurring-ical-events does: icalendar reads
    /// such a time as floating, and X-WR-TIMEZONE then applies to it like to any floating time.
    fn fallback_zone(&self, resource: u32, horizon: NaiveDateTime) -> Option<Zone> {
        self.resources[resource as usize]
            .default_zone
            .and_then(|i| self.tzids.get(i as usize))
            .and_then(|used| self.zones.resolve(&used.name, horizon).ok())
            .map(|(zone, _)| zone)
    }
}

struct Context<'a> {
    window: Window,
    /// Zones by TZID index; `None` for a TZID whose times are read as floating.
    zones: &'a [Option<Zone>],
    resources: &'a [ResourceInfo],
    with_excluded: bool,
}

impl Context<'_> {
    /// The zone of a `Form::Zone`; `None` for other forms and for TZIDs read as floating.
    fn zone(&self, form: Form) -> Option<&Zone> {
        match form {
            Form::Zone(i) => self.zones.get(i as usize).and_then(Option::as_ref),
            _ => None,
        }
    }

    /// The form a time is actually read in: a TZID without a zone is floating.
    fn effective(&self, form: Form) -> Form {
        match form {
            Form::Zone(_) if self.zone(form).is_none() => Form::Floating,
            _ => form,
        }
    }

    /// The reported moment of a wall-clock time written in `form`.
    fn moment(&self, t: NaiveDateTime, form: Form) -> Moment {
        match (form, self.zone(form)) {
            (_, Some(zone)) => Moment::Utc(zone.to_utc(t)),
            (Form::Date, None) => Moment::Date(t.date()),
            (Form::Utc, None) => Moment::Utc(t),
            (Form::Floating | Form::Zone(_), None) => Moment::Floating(t),
        }
    }

    /// The wall-clock time, in `target`'s frame, of a stamp written in another form: used to
    /// compare EXDATEs, RECURRENCE-IDs and UNTIL written differently from DTSTART.
    fn in_frame_of(&self, s: Stamp, target: Form) -> NaiveDateTime {
        let (from, to) = (self.effective(s.form), self.effective(target));
        if from == to
            || matches!(
                (from, to),
                (Form::Date | Form::Floating, Form::Date | Form::Floating)
            )
        {
            return s.t;
        }
        let instant = self.moment(s.t, s.form).as_utc();
        self.zone(target).map_or(instant, |z| z.from_utc(instant))
    }

    /// Where a master's recurrence is computed: on the wall clock of its DTSTART, except that
    /// a recurring UTC series in a calendar with `X-WR-TIMEZONE` recurs on that zone's wall
    /// clock, as recurring-ical-events moves it there first (a weekly 17:00Z meeting stays at
    /// 12:00 New York and so is at 16:00Z in summer). A single event is one instant either
    /// way and is left alone.
    fn series_start(&self, master: &EventRecord) -> Stamp {
        let calendar_zone = self.resources[master.resource as usize]
            .default_zone
            .map(Form::Zone);
        match calendar_zone {
            Some(form) if master.start.form == Form::Utc && master.is_recurring() => {
                match self.zone(form) {
                    Some(zone) => Stamp {
                        t: zone.from_utc(master.start.t),
                        form,
                    },
                    None => master.start,
                }
            }
            _ => master.start,
        }
    }

    /// How long an event that starts at `start` and ends at `end` lasts: exactly, since RFC
    /// 5545 3.8.5.3 gives every instance of an event with DTEND "the same exact duration"
    /// (a 22:00-06:00 night shift stays 8 h across a DST change). A DATE end on a date-time
    /// start (invalid, but seen in the wild) is measured on the wall clock.
    fn exact_length(&self, start: Stamp, end: Stamp) -> Span {
        if end.form == Form::Date && start.form != Form::Date {
            return end.t - start.t;
        }
        self.moment(end.t, end.form).as_utc() - self.moment(start.t, start.form).as_utc()
    }

    /// End of an occurrence starting at wall-clock `start` (in `form`), for an event that
    /// starts at `reference` and ends as `end` says.
    fn end_of(&self, start: NaiveDateTime, form: Form, reference: Stamp, end: End) -> Moment {
        let start_moment = self.moment(start, form);
        let end_moment = match end {
            End::At(dtend) => shift(start_moment, self.exact_length(reference, dtend)),
            End::For(d) => {
                // Days are nominal (the same wall-clock time days later), the rest is exact.
                let days = Span::try_days(d.days).unwrap_or(Span::MAX);
                let nominal = self.moment(value::add_saturating(start, days), form);
                shift(nominal, Span::try_seconds(d.seconds).unwrap_or(Span::MAX))
            }
            End::Default if form == Form::Date => {
                Moment::Date(start.date().succ_opt().unwrap_or(start.date()))
            }
            End::Default => start_moment,
        };
        if end_moment.as_utc() < start_moment.as_utc() {
            start_moment
        } else {
            end_moment
        }
    }

    fn overlaps(&self, start: Moment, end: Moment) -> bool {
        let (s, e) = (start.as_utc(), end.as_utc());
        if s == e {
            self.window.start <= s && s < self.window.end
        } else {
            s < self.window.end && e > self.window.start
        }
    }
}

fn shift(m: Moment, by: Span) -> Moment {
    match m {
        Moment::Date(d) => {
            let t = value::add_saturating(d.and_time(NaiveTime::MIN), by);
            if t.time() == NaiveTime::MIN {
                Moment::Date(t.date())
            } else {
                Moment::Floating(t)
            }
        }
        Moment::Floating(t) => Moment::Floating(value::add_saturating(t, by)),
        Moment::Utc(t) => Moment::Utc(value::add_saturating(t, by)),
    }
}

/// What became of an override once its master was expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// It names no occurrence of a master: it is an occurrence of its own.
    Unmatched,
    /// It replaces the master's occurrence with this original start.
    Replaces(Moment),
    /// The master's EXDATE removes the occurrence it names, and so it is not reported.
    Excluded,
}

/// Expands all `VEVENT`s sharing one UID: the master, its overrides, and orphan overrides.
fn expand_group(
    ctx: &Context,
    group: &[&EventRecord],
    out: &mut Vec<Occurrence>,
    warnings: &mut Vec<Warning>,
) {
    let overrides = latest_overrides(ctx, group);
    let mut fates = vec![Fate::Unmatched; overrides.len()];
    if let Some(master) = master_of(group) {
        expand_master(ctx, master, &overrides, &mut fates, out, warnings);
    }
    for (ov, fate) in overrides.iter().zip(fates) {
        let rid = match fate {
            Fate::Excluded => continue,
            // As the master reports that occurrence, in its value type: a DATE series'
            // override may name its day with a midnight DATE-TIME.
            Fate::Replaces(rid) => rid,
            Fate::Unmatched => rid_moment(ctx, ov),
        };
        let start = ctx.moment(ov.start.t, ov.start.form);
        let end = ctx.end_of(ov.start.t, ov.start.form, ov.start, ov.end);
        if ctx.overlaps(start, end) {
            out.push(occurrence(ov, rid, start, end, ov));
        }
    }
}

fn rid_moment(ctx: &Context, ov: &EventRecord) -> Moment {
    ov.recurrence_id.map_or_else(
        || ctx.moment(ov.start.t, ov.start.form),
        |r| ctx.moment(r.t, r.form),
    )
}

/// The master of a UID: of its events without RECURRENCE-ID, the one that counts (see
/// [`EventRecord::supersedes`]); the others are earlier versions of it.
fn master_of<'a>(group: &[&'a EventRecord]) -> Option<&'a EventRecord> {
    group
        .iter()
        .copied()
        .filter(|e| e.recurrence_id.is_none())
        .reduce(|kept, e| if e.supersedes(kept) { e } else { kept })
}

/// One override per RECURRENCE-ID, the one that counts (see [`EventRecord::supersedes`]).
fn latest_overrides<'a>(ctx: &Context, group: &[&'a EventRecord]) -> Vec<&'a EventRecord> {
    let mut by_rid: BTreeMap<Moment, &EventRecord> = BTreeMap::new();
    for ev in group.iter().copied().filter(|e| e.recurrence_id.is_some()) {
        let kept = by_rid.entry(rid_moment(ctx, ev)).or_insert(ev);
        if ev.supersedes(kept) {
            *kept = ev;
        }
    }
    by_rid.into_values().collect()
}

/// The attendees of an event who declined it.
fn declined_attendees(ev: &Component) -> Option<Arc<[Person]>> {
    let declined: Vec<Person> = ev
        .properties_named("ATTENDEE")
        .filter(|p| p.param_is("PARTSTAT", "DECLINED"))
        .map(Person::from_property)
        .collect();
    (!declined.is_empty()).then(|| Arc::from(declined))
}

fn occurrence(
    ev: &EventRecord,
    rid: Moment,
    start: Moment,
    end: Moment,
    props: &EventRecord,
) -> Occurrence {
    Occurrence {
        uid: ev.uid.clone(),
        recurrence_id: rid,
        start,
        end,
        summary: props.summary.clone(),
        status: props.status.clone(),
        excluded: false,
        declined: props.declined.clone(),
    }
}

/// A master's EXDATEs on the wall clock of its series.
struct Exclusions {
    /// Days that a DATE EXDATE removes from a date-time series: every occurrence whose local
    /// date it is.
    days: Vec<NaiveDate>,
    /// Starts removed exactly.
    starts: Vec<NaiveDateTime>,
}

impl Exclusions {
    /// The EXDATEs of `master`, whose series recurs in `form`.
    fn new(ctx: &Context, master: &EventRecord, form: Form) -> Self {
        let mut exclusions = Exclusions {
            days: Vec::new(),
            starts: Vec::new(),
        };
        for ex in master.exdates() {
            if ex.form == Form::Date && form != Form::Date {
                exclusions.days.push(ex.t.date());
            } else {
                exclusions.starts.push(ctx.in_frame_of(*ex, form));
            }
        }
        exclusions
    }

    /// True when an occurrence starting at wall-clock `t` is removed.
    fn contains(&self, t: NaiveDateTime) -> bool {
        self.starts.contains(&t) || self.days.contains(&t.date())
    }

    /// Removes the excluded starts, returning them.
    fn remove_from<V>(&self, starts: &mut BTreeMap<NaiveDateTime, V>) -> Vec<NaiveDateTime> {
        let removed: Vec<NaiveDateTime> = starts
            .keys()
            .copied()
            .filter(|t| self.contains(*t))
            .collect();
        for t in &removed {
            starts.remove(t);
        }
        removed
    }
}

/// The wall-clock starts of a master's series (DTSTART, RRULE, RDATE; EXDATEs not removed) up to
/// `bound`, with, for RDATE periods, the period's own start and end. `series` is where the
/// series recurs (see [`Context::series_start`]).
fn master_starts(
    ctx: &Context,
    master: &EventRecord,
    series: Stamp,
    bound: NaiveDateTime,
    warnings: &mut Vec<Warning>,
) -> BTreeMap<NaiveDateTime, Option<(Stamp, End)>> {
    let form = series.form;
    let mut starts: BTreeMap<NaiveDateTime, Option<(Stamp, End)>> = BTreeMap::new();
    starts.insert(series.t, None);
    for rule in master.rules() {
        let until = rule.until.as_ref().map(|u| until_in_frame(ctx, u, series));
        match rule.iter(series.t, until) {
            Ok(iter) => {
                for t in iter.take_while(|t| *t <= bound) {
                    starts.entry(t).or_insert(None);
                }
            }
            Err(e) => warnings.push(Warning {
                origin: ctx.resources[master.resource as usize].origin.clone(),
                line: master.line,
                uid: (!master.uid.is_empty()).then(|| master.uid.to_string()),
                message: format!("{e}; only DTSTART is used"),
            }),
        }
    }
    for rdate in master.rdates() {
        let period = rdate.end.map(|end| (rdate.start, end));
        starts.insert(ctx.in_frame_of(rdate.start, form), period);
    }
    starts
}

fn until_in_frame(ctx: &Context, until: &TimeValue, start: Stamp) -> NaiveDateTime {
    let stamp = match until {
        TimeValue::Date(d) if start.form != Form::Date => {
            // UNTIL as a DATE includes that whole day.
            return value::add_saturating(
                d.and_time(NaiveTime::MIN),
                Span::days(1) - Span::seconds(1),
            );
        }
        TimeValue::Date(d) => Stamp {
            t: d.and_time(NaiveTime::MIN),
            form: Form::Date,
        },
        TimeValue::Utc(t) => Stamp {
            t: *t,
            form: Form::Utc,
        },
        TimeValue::Floating(t) | TimeValue::Zoned(t, _) => return *t,
    };
    ctx.in_frame_of(stamp, start.form)
}

/// Reports a master's occurrences, except those its `overrides` replace; records in `fates`
/// (one per override) which occurrence each override replaces, or that EXDATE removed it.
fn expand_master(
    ctx: &Context,
    master: &EventRecord,
    overrides: &[&EventRecord],
    fates: &mut [Fate],
    out: &mut Vec<Occurrence>,
    warnings: &mut Vec<Warning>,
) {
    let series = ctx.series_start(master);
    let form = series.form;
    let future: Vec<&EventRecord> = overrides
        .iter()
        .copied()
        .filter(|o| o.this_and_future)
        .collect();
    let max_shift = future
        .iter()
        .filter_map(|o| {
            o.recurrence_id
                .map(|r| (o.start.t - ctx.in_frame_of(r, form)).abs())
        })
        .max()
        .unwrap_or_default();
    // Wall clock is at most a day or so off UTC; two days of margin covers every zone.
    let bound = value::add_saturating(
        value::add_saturating(ctx.window.end, Span::days(2)),
        max_shift,
    );
    let exclusions = Exclusions::new(ctx, master, form);
    for (ov, fate) in overrides.iter().zip(fates.iter_mut()) {
        // EXDATE wins over an override of the same occurrence (recurring-ical-events agrees).
        if ov
            .recurrence_id
            .is_some_and(|rid| exclusions.contains(ctx.in_frame_of(rid, form)))
        {
            *fate = Fate::Excluded;
        }
    }
    let mut starts = master_starts(ctx, master, series, bound, warnings);
    let removed = exclusions.remove_from(&mut starts);
    if ctx.with_excluded {
        excluded_occurrences(ctx, master, series, &removed, out);
    }
    let override_keys: Vec<Moment> = overrides.iter().map(|o| rid_moment(ctx, o)).collect();
    for (t, period) in starts {
        let rid = ctx.moment(t, form);
        if let Some(i) = override_keys
            .iter()
            .position(|k| Moment::names_occurrence(*k, rid))
        {
            if fates[i] == Fate::Unmatched {
                fates[i] = Fate::Replaces(rid);
            }
            continue;
        }
        let (start, end, props) = match this_and_future_for(ctx, &future, rid) {
            Some(ov) => {
                let ov_rid = ov.recurrence_id.map_or(t, |r| ctx.in_frame_of(r, form));
                let moved = t + (ctx.in_frame_of(ov.start, form) - ov_rid);
                (
                    ctx.moment(moved, form),
                    ctx.end_of(moved, form, ov.start, ov.end),
                    ov,
                )
            }
            None => {
                let (reference, end) = period.unwrap_or((master.start, master.end));
                let end = ctx.end_of(t, form, reference, end);
                (ctx.moment(t, form), end, master)
            }
        };
        if ctx.overlaps(start, end) {
            out.push(occurrence(master, rid, start, end, props));
        }
    }
}

/// The occurrences EXDATE removed from a master, reported as cancelled and `excluded`.
fn excluded_occurrences(
    ctx: &Context,
    master: &EventRecord,
    series: Stamp,
    removed: &[NaiveDateTime],
    out: &mut Vec<Occurrence>,
) {
    let form = series.form;
    for t in removed {
        let start = ctx.moment(*t, form);
        let end = ctx.end_of(*t, form, master.start, master.end);
        if ctx.overlaps(start, end) {
            let mut occ = occurrence(master, start, start, end, master);
            occ.status = Some(Arc::from("CANCELLED"));
            occ.excluded = true;
            out.push(occ);
        }
    }
}

/// The latest THISANDFUTURE override that starts before this occurrence.
fn this_and_future_for<'a>(
    ctx: &Context,
    future: &[&'a EventRecord],
    occ: Moment,
) -> Option<&'a EventRecord> {
    future
        .iter()
        .copied()
        .filter(|o| rid_moment(ctx, o).as_utc() < occ.as_utc())
        .max_by_key(|o| rid_moment(ctx, o).as_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(a: &str, b: &str) -> Window {
        let p = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").unwrap();
        Window {
            start: p(a),
            end: p(b),
        }
    }

    fn expand(text: &str, a: &str, b: &str) -> Vec<String> {
        let mut c = Collector::new();
        c.read(text.as_bytes(), "t.ics").unwrap();
        c.expand(window(a, b))
            .occurrences
            .iter()
            .map(|o| {
                format!(
                    "{} {} {}",
                    o.start,
                    o.end,
                    o.status.as_deref().unwrap_or("-")
                )
            })
            .collect()
    }

    const WEEKLY: &str = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:w\nDTSTART;TZID=Europe/Berlin:20260316T100000\n\
        DTEND;TZID=Europe/Berlin:20260316T103000\nRRULE:FREQ=WEEKLY;COUNT=4\nEXDATE:20260323T090000Z\nEND:VEVENT\n\
        BEGIN:VEVENT\nUID:w\nRECURRENCE-ID;TZID=Europe/Berlin:20260330T100000\nDTSTART;TZID=Europe/Berlin:20260331T120000\n\
        DTEND;TZID=Europe/Berlin:20260331T130000\nSTATUS:cancelled\nSEQUENCE:2\nEND:VEVENT\nEND:VCALENDAR\n";

    #[test]
    fn weekly_across_dst_with_exdate_and_override() {
        assert_eq!(
            expand(WEEKLY, "2026-01-01T00:00:00", "2027-01-01T00:00:00"),
            vec![
                "2026-03-16T09:00:00Z 2026-03-16T09:30:00Z -",
                "2026-03-31T10:00:00Z 2026-03-31T11:00:00Z CANCELLED",
                "2026-04-06T08:00:00Z 2026-04-06T08:30:00Z -",
            ]
        );
    }

    #[test]
    fn window_edges() {
        let text = "BEGIN:VEVENT\nUID:a\nDTSTART:20260101T100000Z\nDTEND:20260101T110000Z\nEND:VEVENT\n\
                    BEGIN:VEVENT\nUID:z\nDTSTART:20260101T110000Z\nEND:VEVENT\n";
        assert_eq!(
            expand(text, "2026-01-01T11:00:00", "2026-01-02T00:00:00"),
            vec!["2026-01-01T11:00:00Z 2026-01-01T11:00:00Z -"]
        );
        assert_eq!(
            expand(text, "2026-01-01T10:59:59", "2026-01-01T11:00:00").len(),
            1
        );
    }

    #[test]
    fn broken_event_does_not_stop_others() {
        let text = "BEGIN:VEVENT\nUID:bad\nDTSTART:garbage\nEND:VEVENT\nBEGIN:VEVENT\nUID:ok\nDTSTART;VALUE=DATE:20260101\nEND:VEVENT\n";
        let mut c = Collector::new();
        c.read(text.as_bytes(), "t.ics").unwrap();
        let w = c.take_warnings();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].uid.as_deref(), Some("bad"));
        let occ = c
            .expand(window("2026-01-01T00:00:00", "2026-01-02T00:00:00"))
            .occurrences;
        assert_eq!(occ.len(), 1);
        assert_eq!(
            occ[0].end,
            Moment::Date(NaiveDate::from_ymd_opt(2026, 1, 2).unwrap())
        );
    }

    /// `start summary` of each occurrence, to tell events apart.
    fn summaries(text: &str, a: &str, b: &str) -> Vec<String> {
        let mut c = Collector::new();
        c.read(text.as_bytes(), "t.ics").unwrap();
        c.expand(window(a, b))
            .occurrences
            .iter()
            .map(|o| format!("{} {}", o.start, o.summary.as_deref().unwrap_or("-")))
            .collect()
    }

    #[test]
    fn same_uid_without_recurrence_id_keeps_the_highest_sequence_then_the_first() {
        let text = "BEGIN:VEVENT\nUID:d\nSEQUENCE:1\nDTSTART:20260101T090000Z\nSUMMARY:first\nEND:VEVENT\n\
                    BEGIN:VEVENT\nUID:d\nSEQUENCE:1\nDTSTART:20260102T090000Z\nSUMMARY:tie\nEND:VEVENT\n\
                    BEGIN:VEVENT\nUID:d\nDTSTART:20260103T090000Z\nSUMMARY:older\nEND:VEVENT\n";
        assert_eq!(
            summaries(text, "2026-01-01T00:00:00", "2026-02-01T00:00:00"),
            vec!["2026-01-01T09:00:00Z first"]
        );
    }

    #[test]
    fn events_without_uid_never_replace_each_other() {
        let text = "BEGIN:VEVENT\nDTSTART:20260101T090000Z\nSUMMARY:a\nEND:VEVENT\n\
                    BEGIN:VEVENT\nSEQUENCE:3\nDTSTART:20260102T090000Z\nSUMMARY:b\nEND:VEVENT\n";
        assert_eq!(
            summaries(text, "2026-01-01T00:00:00", "2026-02-01T00:00:00"),
            vec!["2026-01-01T09:00:00Z a", "2026-01-02T09:00:00Z b"]
        );
    }

    #[test]
    fn override_tie_keeps_the_first_in_the_file() {
        let text = "BEGIN:VEVENT\nUID:o\nDTSTART:20260105T090000Z\nRRULE:FREQ=DAILY;COUNT=2\nSUMMARY:m\nEND:VEVENT\n\
                    BEGIN:VEVENT\nUID:o\nRECURRENCE-ID:20260106T090000Z\nDTSTART:20260106T100000Z\nSUMMARY:first\nEND:VEVENT\n\
                    BEGIN:VEVENT\nUID:o\nRECURRENCE-ID:20260106T090000Z\nDTSTART:20260106T110000Z\nSUMMARY:second\nEND:VEVENT\n";
        assert_eq!(
            summaries(text, "2026-01-01T00:00:00", "2026-02-01T00:00:00"),
            vec!["2026-01-05T09:00:00Z m", "2026-01-06T10:00:00Z first"]
        );
    }

    #[test]
    fn a_date_exdate_also_removes_the_override_of_that_day() {
        // 00:30 Berlin on 2 Jan is 1 Jan 23:30Z: the local day is what a DATE EXDATE names.
        let text = "BEGIN:VEVENT\nUID:x\nDTSTART;TZID=Europe/Berlin:20260101T003000\nRRULE:FREQ=DAILY;COUNT=3\n\
                    EXDATE;VALUE=DATE:20260102\nSUMMARY:m\nEND:VEVENT\n\
                    BEGIN:VEVENT\nUID:x\nRECURRENCE-ID:20260101T233000Z\nDTSTART:20260102T120000Z\nSUMMARY:moved\nEND:VEVENT\n";
        assert_eq!(
            summaries(text, "2025-12-01T00:00:00", "2026-02-01T00:00:00"),
            vec!["2025-12-31T23:30:00Z m", "2026-01-02T23:30:00Z m"]
        );
    }

    #[test]
    fn dtend_length_is_exact_across_a_dst_change() {
        // 22:00-06:00 Berlin: 8 h also on the night the clocks go forward (28/29 March 2026).
        let text = "BEGIN:VEVENT\nUID:n\nDTSTART;TZID=Europe/Berlin:20260327T220000\n\
                    DTEND;TZID=Europe/Berlin:20260328T060000\nRRULE:FREQ=DAILY;COUNT=2\nEND:VEVENT\n";
        assert_eq!(
            expand(text, "2026-03-27T00:00:00", "2026-04-01T00:00:00"),
            vec![
                "2026-03-27T21:00:00Z 2026-03-28T05:00:00Z -",
                "2026-03-28T21:00:00Z 2026-03-29T05:00:00Z -",
            ]
        );
    }

    #[test]
    fn x_wr_timezone_applies_even_when_written_after_the_events() {
        let text = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:f\nDTSTART:20260105T090000\nEND:VEVENT\n\
                    X-WR-TIMEZONE:Europe/Berlin\nEND:VCALENDAR\n";
        assert_eq!(
            expand(text, "2026-01-01T00:00:00", "2026-02-01T00:00:00"),
            vec!["2026-01-05T08:00:00Z 2026-01-05T08:00:00Z -"]
        );
    }

    #[test]
    fn a_single_utc_event_keeps_its_instant_under_x_wr_timezone() {
        // 06:30Z on 1 Nov 2026 is the second 01:30 in New York; read back on the wall clock it
        // would become the first (05:30Z). Only recurring series move to the wall clock.
        let text = "BEGIN:VCALENDAR\nX-WR-TIMEZONE:America/New_York\nBEGIN:VEVENT\nUID:s\n\
                    DTSTART:20261101T063000Z\nEND:VEVENT\nEND:VCALENDAR\n";
        assert_eq!(
            expand(text, "2026-11-01T00:00:00", "2026-11-02T00:00:00"),
            vec!["2026-11-01T06:30:00Z 2026-11-01T06:30:00Z -"]
        );
    }

    #[test]
    fn an_undefined_tzid_is_floating_or_the_calendars_x_wr_timezone() {
        let event =
            "BEGIN:VEVENT\nUID:u\nDTSTART;TZID=Mars/Olympus_Mons:20260105T090000\nEND:VEVENT\n";
        let read = |header: &str| {
            let text = format!("BEGIN:VCALENDAR\n{header}{event}END:VCALENDAR\n");
            let mut c = Collector::new();
            c.read(text.as_bytes(), "t.ics").unwrap();
            let expansion = c.expand(window("2026-01-01T00:00:00", "2026-02-01T00:00:00"));
            let start = expansion.occurrences[0].start.to_string();
            (start, expansion.warnings[0].message.clone())
        };
        let (start, warning) = read("");
        assert_eq!(start, "2026-01-05T09:00:00");
        assert!(warning.ends_with("its times are read as floating times (no zone)"));
        let (start, warning) = read("X-WR-TIMEZONE:Europe/Berlin\n");
        assert_eq!(start, "2026-01-05T08:00:00Z");
        assert!(warning.ends_with("in the calendar's X-WR-TIMEZONE Europe/Berlin"));
    }
}
