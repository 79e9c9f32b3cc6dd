//! The streaming [`Collector`]: reads inputs event by event and keeps only an
//! [`EventRecord`] of each (plus, when asked, its [`EventMeta`]), interning TZIDs and
//! STATUS values and turning broken parts into warnings.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::Arc;

use chrono::{NaiveDateTime, NaiveTime};

use super::ReadSummary;
use super::record::{End, EventRecord, Form, RDate, Recurrence, ResourceInfo, Stamp, TzidUse};
use crate::EventStatus;
use crate::document::{self, DocumentError};
use crate::model::Component;
use crate::people::{EventMeta, Interner, MOST_PARTICIPANTS_OF_A_ONE_ON_ONE, is_participant};
use crate::reader::{ReadEvent, Reader};
use crate::recur::RuleSpec;
use crate::tz::ZoneTable;
use crate::value::{self, PeriodEnd, TimeValue, ValueError};
use crate::warning::Warning;

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
    used_in_expansion(name) || is_participant(name)
}

/// The parameters a collector reads: of times (`VALUE`, `TZID`), of an override's reach
/// (`RANGE`), of people (`CN`, `CUTYPE`, `PARTSTAT`).
fn param_used(name: &str) -> bool {
    const USED: &[&str] = &["VALUE", "TZID", "RANGE", "CN", "CUTYPE", "PARTSTAT"];
    USED.iter().any(|used| used.eq_ignore_ascii_case(name))
}

/// Collects events from one or more inputs, then expands them over windows.
#[derive(Debug, Default)]
pub struct Collector {
    pub(super) events: Vec<EventRecord>,
    pub(super) zones: ZoneTable,
    pub(super) tzids: Vec<TzidUse>,
    /// Looked up for every time read: hashed with `foldhash`.
    pub(super) tzid_index: foldhash::HashMap<String, u32>,
    /// Text shared by many events (STATUS values, titles, people's addresses and names),
    /// one copy each.
    pub(super) shared: Interner,
    pub(super) resources: Vec<ResourceInfo>,
    pub(super) warnings: Vec<Warning>,
    /// People and rule shapes of masters and single events, when asked for (`with_meta`).
    pub(super) meta: Option<Vec<EventMeta>>,
    /// The most steps one event's RRULEs may take in one expansion (`None`: the default).
    pub(super) max_rule_steps: Option<u64>,
    /// Where each event and time zone was read, for inputs read while keeping spans (see
    /// [`Collector::keep_spans`]).
    pub(super) spans: Vec<ItemSpan>,
    pub(super) keeping_spans: bool,
}

/// Where in its input an item was read, and what a reader looking for one occurrence's
/// text may skip it by (see [`Collector::spans_of`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemPlace {
    /// Its bytes in the input.
    pub bytes: std::ops::Range<u64>,
    /// The occurrence it overrides, as written (local or UTC wall-clock time, not resolved
    /// to UTC: up to a day from it), when it is an override of that occurrence alone;
    /// `None` for a time zone, a series master, a single event and an override of an
    /// occurrence and the following ones, which any occurrence may need.
    pub overrides: Option<NaiveDateTime>,
}

impl ItemPlace {
    /// `places` sorted by their bytes, each item once: several events read from one item
    /// are one place, skipped only if each of them may be.
    fn in_order(mut places: Vec<ItemPlace>) -> Vec<ItemPlace> {
        places.sort_by_key(|p| (p.bytes.start, p.bytes.end));
        let mut out: Vec<ItemPlace> = Vec::with_capacity(places.len());
        for place in places {
            match out.last_mut() {
                Some(last) if last.bytes == place.bytes => {
                    if last.overrides != place.overrides {
                        last.overrides = None;
                    }
                }
                _ => out.push(place),
            }
        }
        out
    }
}

/// Where in its input an item was read: a time zone (`event: None`) or an event (its
/// index in `events`).
#[derive(Debug, Clone)]
pub(super) struct ItemSpan {
    resource: u32,
    event: Option<u32>,
    span: std::ops::Range<u64>,
}

impl Collector {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// A collector for 1:1 detection: it also keeps each master's and single event's
    /// [`EventMeta`] (organizer, attendees, rule shape), and keeps no single event with
    /// more than three participants (it cannot be a 1:1; [`Collector::event_uids`] and
    /// expansion leave it out).
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

    /// Takes the meta collected so far (leaving none), for a caller done reading that
    /// would otherwise copy them; expansion does not need them.
    pub fn take_meta(&mut self) -> Vec<EventMeta> {
        self.meta.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Sets how many steps the RRULEs of one event may take in one expansion before they are
    /// stopped with a warning naming the event (default
    /// [`crate::recur::DEFAULT_MAX_STEPS`]); the other events still expand.
    pub fn set_max_rule_steps(&mut self, steps: u64) {
        self.max_rule_steps = Some(steps);
    }

    /// Whether the inputs read from now on have their items' places kept (off by default):
    /// then [`Collector::spans_of`] says where some events are, so a caller can read them
    /// again without the rest of a big file.
    pub fn keep_spans(&mut self, keep: bool) {
        self.keeping_spans = keep;
    }

    /// For each input read while keeping spans that holds an event whose UID `wanted`
    /// accepts: where those events and every time zone of the input are, in reading order,
    /// each with the occurrence it overrides (see [`ItemPlace`]). Read again and
    /// concatenated, they are a calendar with those events.
    pub fn spans_of(&self, wanted: impl Fn(&str) -> bool) -> Vec<(Arc<str>, Vec<ItemPlace>)> {
        let mut by_resource: BTreeMap<u32, (bool, Vec<ItemPlace>)> = BTreeMap::new();
        for item in &self.spans {
            let event = item.event.and_then(|i| self.events.get(i as usize));
            let wanted_event = event.is_some_and(|e| wanted(&e.uid));
            if item.event.is_none() || wanted_event {
                let entry = by_resource.entry(item.resource).or_default();
                entry.0 |= wanted_event;
                entry.1.push(ItemPlace {
                    bytes: item.span.clone(),
                    overrides: event.and_then(EventRecord::overridden_alone),
                });
            }
        }
        by_resource
            .into_iter()
            .filter(|(_, (any_wanted, _))| *any_wanted)
            .map(|(resource, (_, places))| {
                (
                    self.resources[resource as usize].origin.clone(),
                    ItemPlace::in_order(places),
                )
            })
            .collect()
    }

    /// Keeps where an item was read: a time zone, or the events collected from it (from
    /// the `first`-th on; an event wrapper yields several).
    fn note_span(&mut self, resource: u32, zone: bool, first: usize, span: std::ops::Range<u64>) {
        if zone {
            self.spans.push(ItemSpan {
                resource,
                event: None,
                span,
            });
            return;
        }
        for event in first..self.events.len() {
            self.spans.push(ItemSpan {
                resource,
                event: u32::try_from(event).ok(),
                span: span.clone(),
            });
        }
    }

    /// Warnings found while reading, emptied.
    pub fn take_warnings(&mut self) -> Vec<Warning> {
        std::mem::take(&mut self.warnings)
    }

    /// Number of `VEVENT`s collected so far.
    pub fn event_count(&self) -> usize {
        self.events.len()
    }

    /// The UID of every `VEVENT` collected, from the `first`-th on, in reading order: a
    /// caller that keeps what each input held (tete's cycle cache) learns which UIDs an
    /// input has, overrides included.
    pub fn event_uids(&self, first: usize) -> impl ExactSizeIterator<Item = &Arc<str>> {
        self.events.iter().skip(first).map(|e| &e.uid)
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
        let mut reader = Reader::new(input, origin)
            .keeping_only(keep)
            .keeping_params(param_used);
        if self.meta.is_some() {
            // Split only when read (see `crate::reader::PropertyView`): most of a big
            // calendar's attendee lines belong to meetings that are no 1:1, never read.
            // Most of those meetings are not even parsed: screened out by their lines' names.
            reader = reader
                .deferring(is_participant)
                .screening(MOST_PARTICIPANTS_OF_A_ONE_ON_ONE);
        }
        let mut summary = ReadSummary::default();
        loop {
            let event = document::next_event(&mut reader, origin)?;
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
                Some(ReadEvent::Item(item)) => {
                    let span = reader.last_item_span().filter(|_| self.keeping_spans);
                    let (zone, first) = (item.name == "VTIMEZONE", self.events.len());
                    self.collect_item(item, resource, &mut summary);
                    if let Some(span) = span {
                        self.note_span(resource, zone, first, span);
                    }
                }
                Some(_) => {}
            }
            self.warnings.extend(reader.take_warnings());
        }
        self.warnings.extend(reader.take_warnings());
        summary.events += reader.screened_out();
        if !reader.saw_structure() {
            return Err(DocumentError::NotICalendar {
                origin: origin.to_string(),
            });
        }
        self.apply_calendar_zone(resource, first_event);
        self.swap_reversed_ends(first_event);
        Ok(summary)
    }

    /// Swaps DTSTART and DTEND of the events (read from `first_event` on) whose DTEND comes
    /// before their DTSTART, with a warning: several producers write them in the wrong order,
    /// and the other order is what they meant (recurring-ical-events swaps them too). A DATE
    /// against a DATE-TIME is left alone: that is another mistake, and swapping it would
    /// turn a timed event into an all-day one.
    fn swap_reversed_ends(&mut self, first_event: usize) {
        let mut swapped = Vec::new();
        for i in first_event..self.events.len() {
            let ev = &self.events[i];
            let End::At(end) = ev.end else { continue };
            if (end.form == Form::Date) != (ev.start.form == Form::Date)
                || !self.is_before(end, ev.start)
            {
                continue;
            }
            let ev = &mut self.events[i];
            (ev.start, ev.end) = (end, End::At(ev.start));
            swapped.push(i);
        }
        for i in swapped {
            let ev = &self.events[i];
            let (resource, line, uid) = (ev.resource, ev.line, ev.uid.clone());
            self.warn(
                resource,
                line,
                &uid,
                "DTEND is before DTSTART; read the other way round",
            );
        }
    }

    /// True when `a` is before `b`: as instants when both have a zone (UTC or a TZID that
    /// resolves), else on the wall clock as written.
    fn is_before(&self, a: Stamp, b: Stamp) -> bool {
        if a.form == b.form {
            return a.t < b.t;
        }
        match (self.instant(a), self.instant(b)) {
            (Some(a), Some(b)) => a < b,
            _ => a.t < b.t,
        }
    }

    /// The UTC instant of a stamp with a zone; `None` for dates, floating times and TZIDs
    /// that do not resolve (yet).
    fn instant(&self, s: Stamp) -> Option<chrono::NaiveDateTime> {
        match s.form {
            Form::Utc => Some(s.t),
            Form::Zone(i) => {
                let name = &self.tzids.get(i as usize)?.name;
                let horizon = value::add_saturating(s.t, chrono::Duration::days(2));
                let (zone, _) = self.zones.resolve(name, horizon).ok()?;
                Some(zone.to_utc(s.t))
            }
            Form::Date | Form::Floating => None,
        }
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

    /// Adds an item read elsewhere (a component of a [`crate::Document`]).
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
            Ok(mut record) => {
                if record.is_recurring() && record.recurrence_id.is_none() {
                    summary.series += 1;
                }
                let may_be_one_on_one = record.recurrence_id.is_some()
                    || record.is_recurring()
                    || EventMeta::may_be_one_on_one(event);
                // Read for 1:1s, a single meeting of four or more is never one: not kept
                // (nor expanded), its attendees never read. The reader's screen drops most
                // unparsed; these are the ones whose structure it handed back.
                if self.meta.is_some() && !may_be_one_on_one {
                    return;
                }
                let declined = match (&mut self.meta, &record.recurrence_id) {
                    (Some(meta), None) => {
                        let origin = &self.resources[resource as usize].origin;
                        let rule = record.rules().first();
                        let read =
                            EventMeta::from_event(event, origin, &uid, rule, &mut self.shared);
                        let declined = read.declined.clone();
                        meta.push(read);
                        declined
                    }
                    _ => crate::people::declined(event, &mut self.shared).into_boxed_slice(),
                };
                record.declined = (!declined.is_empty()).then(|| Arc::from(declined));
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

    /// The STATUS; an unknown one shared with the events that have the same.
    fn intern_status(&mut self, raw: &str) -> EventStatus {
        match EventStatus::parse(raw) {
            EventStatus::Other(other) => EventStatus::Other(self.shared.get(&other)),
            known => known,
        }
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
                Ok(mut spec) => {
                    if start.form == Form::Date {
                        spec.ignore_time_parts();
                    }
                    if let Some(msg) = spec.reading_notes() {
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
                .map(|s| self.shared.get(&value::unescape_text(s))),
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
            // Read once the event is known to be kept (see `collect_event`).
            declined: None,
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
}
