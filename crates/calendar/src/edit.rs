//! Changing the description of one occurrence of a series, and nothing else.
//!
//! An occurrence with an override (`RECURRENCE-ID`) has its override edited in place. One
//! without gets a new override in the same resource, right after its master: a copy of the
//! master (attendees with their parameters, location, alarms, `X-` properties, everything)
//! without the recurrence rules, at the occurrence's time, with a `RECURRENCE-ID` written in
//! the same form as the master's `DTSTART`. No `EXDATE` is added and `SEQUENCE` is not
//! bumped: a description change is not a reschedule and must not re-invite anyone.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;

use chrono::{Datelike as _, NaiveDateTime, NaiveTime};

use super::document::Document;
use super::expand::Moment;
use super::model::{Component, Property};
use super::tz::{Zone, ZoneTable};
use super::value::{self, TimeValue};

/// Why an occurrence could not be edited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The resource has no event with this UID.
    #[error("no event with UID {uid} in this resource")]
    NoSuchEvent {
        /// The UID.
        uid: String,
    },
    /// The series' master is missing or unreadable (no usable DTSTART).
    #[error("the series {uid} has no usable master event: {reason}")]
    NoMaster {
        /// The UID.
        uid: String,
        /// What is wrong.
        reason: String,
    },
    /// A TZID of the series cannot be resolved, so the override's times cannot be written.
    #[error("time zone {tzid:?} of {uid} is unknown: {reason}")]
    UnknownZone {
        /// The UID.
        uid: String,
        /// The TZID.
        tzid: String,
        /// Why.
        reason: String,
    },
}

/// One occurrence, as expansion reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OccurrenceRef<'a> {
    /// The series' UID.
    pub uid: &'a str,
    /// Its original start.
    pub recurrence_id: Moment,
    /// When it starts.
    pub start: Moment,
    /// When it ends.
    pub end: Moment,
}

/// The description of one occurrence as a person sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Description {
    /// `DESCRIPTION`, unescaped (`""` when absent).
    pub text: String,
    /// `X-ALT-DESC;FMTTYPE=text/html` (Outlook's HTML copy), unescaped, when present.
    pub html: Option<String>,
}

fn has_uid(c: &Component, uid: &str) -> bool {
    c.name == "VEVENT" && c.value("UID").map(str::trim) == Some(uid)
}

fn is_master_of(c: &Component, uid: &str) -> bool {
    has_uid(c, uid) && c.property("RECURRENCE-ID").is_none()
}

/// The `VEVENT`s with this UID, at any depth.
fn events<'a>(doc: &'a Document, uid: &str) -> Vec<&'a Component> {
    doc.events()
        .into_iter()
        .filter(|c| has_uid(c, uid))
        .collect()
}

fn zone_table(doc: &Document) -> (ZoneTable, String) {
    let mut table = ZoneTable::new();
    let mut definitions = String::new();
    for c in doc.components.iter().flat_map(|c| c.components.iter()) {
        if c.name == "VTIMEZONE" {
            crate::document::write_component(c, &mut definitions);
            // A VTIMEZONE without TZID names nothing; it is simply not used.
            let _ = table.add_definition(c.clone());
        }
    }
    (table, definitions)
}

/// Resolves TZIDs the way expansion does, for converting between instants and the
/// series' wall clock.
struct Clock {
    table: ZoneTable,
    horizon: NaiveDateTime,
    /// The document's `VTIMEZONE`s as text: with the TZID and the horizon, what a zone
    /// resolves to depends on nothing else.
    definitions: String,
}

thread_local! {
    /// Zones resolved in this thread, by TZID, the document's `VTIMEZONE`s and the horizon's
    /// year. Every 1:1 of an Outlook calendar carries the same `VTIMEZONE` with rules from
    /// 1601; walking its centuries once per series was most of an agenda cycle's time.
    static RESOLVED: RefCell<HashMap<ZoneKey, Result<Zone, String>>> = RefCell::default();
}

/// TZID, the document's `VTIMEZONE`s as text, the horizon's year.
type ZoneKey = (String, String, i32);

/// At most this many zones are remembered (a hostile file may define thousands).
const RESOLVED_MAX: usize = 64;

impl Clock {
    fn new(doc: &Document, near: Moment) -> Clock {
        let (table, definitions) = zone_table(doc);
        // Rounded up to a year, so that the clocks of nearby occurrences share zones; the
        // horizon only bounds how far transitions are computed, 800 days past any time read.
        let horizon = crate::value::add_saturating(near.as_utc(), chrono::Duration::days(800));
        let horizon = chrono::NaiveDate::from_ymd_opt(horizon.year().saturating_add(1), 1, 1)
            .map_or(horizon, |d| d.and_time(NaiveTime::MIN));
        Clock {
            table,
            horizon,
            definitions,
        }
    }

    fn zone(&self, tzid: &str, uid: &str) -> Result<Zone, EditError> {
        let key = (
            tzid.to_string(),
            self.definitions.clone(),
            self.horizon.year(),
        );
        let known = RESOLVED.with(|r| r.borrow().get(&key).cloned());
        let resolved = known.unwrap_or_else(|| {
            let resolved = self.table.resolve(tzid, self.horizon).map(|(zone, _)| zone);
            RESOLVED.with(|r| {
                let mut r = r.borrow_mut();
                if r.len() >= RESOLVED_MAX {
                    r.clear();
                }
                r.insert(key, resolved.clone());
            });
            resolved
        });
        resolved.map_err(|reason| EditError::UnknownZone {
            uid: uid.to_string(),
            tzid: tzid.to_string(),
            reason,
        })
    }

    /// The moment a written time value stands for, as expansion reports it.
    fn moment(&self, v: &TimeValue, uid: &str) -> Result<Moment, EditError> {
        Ok(match v {
            TimeValue::Date(d) => Moment::Date(*d),
            TimeValue::Floating(t) => Moment::Floating(*t),
            TimeValue::Utc(t) => Moment::Utc(*t),
            TimeValue::Zoned(t, tzid) => Moment::Utc(self.zone(tzid, uid)?.to_utc(*t)),
        })
    }

    /// `m` written in the form of `like` (same TZID, date or not), as the property value.
    fn write_like(&self, like: &TimeValue, m: Moment, uid: &str) -> Result<String, EditError> {
        let wall = match (like, m) {
            (TimeValue::Date(_), m) => return Ok(m.as_utc().format("%Y%m%d").to_string()),
            (TimeValue::Zoned(_, tzid), Moment::Utc(t)) => self.zone(tzid, uid)?.from_utc(t),
            (_, Moment::Date(d)) => d.and_time(NaiveTime::MIN),
            (_, Moment::Floating(t) | Moment::Utc(t)) => t,
        };
        let text = wall.format("%Y%m%dT%H%M%S").to_string();
        Ok(match like {
            TimeValue::Utc(_) => text + "Z",
            _ => text,
        })
    }
}

fn is_override_of(e: &Component, clock: &Clock, occ: &OccurrenceRef) -> bool {
    has_uid(e, occ.uid)
        && e.property("RECURRENCE-ID")
            .and_then(|p| value::time_property(p).ok())
            .is_some_and(|v| names(clock, &v, occ))
}

/// True when a RECURRENCE-ID value names the occurrence: on an all-day series, any value
/// written on its day (Exchange writes `RECURRENCE-ID;TZID=…:20200416T000000`, local
/// midnight, which is 15 April in UTC), as expansion matches it; otherwise the same moment.
fn names(clock: &Clock, v: &TimeValue, occ: &OccurrenceRef) -> bool {
    match (occ.recurrence_id, v) {
        (
            Moment::Date(day),
            TimeValue::Floating(t) | TimeValue::Utc(t) | TimeValue::Zoned(t, _),
        ) => t.date() == day,
        (rid, v) => clock
            .moment(v, occ.uid)
            .is_ok_and(|m| Moment::names_occurrence(m, rid)),
    }
}

/// A RECURRENCE-ID value's date: its first eight digits, whatever its zone; `None` when it
/// cannot be read cheaply (then the clock decides).
fn written_day(value: &str) -> Option<chrono::NaiveDate> {
    let digits = value.trim().get(..8).unwrap_or_default();
    chrono::NaiveDate::parse_from_str(digits, "%Y%m%d").ok()
}

/// True when an override written on `day` (see [`written_day`]) may name an occurrence at
/// `m`: within a day of it, or not readable cheaply.
fn within_a_day(day: Option<chrono::NaiveDate>, m: Moment) -> bool {
    day.is_none_or(|day| (day - m.as_utc().date()).num_days().abs() <= 1)
}

fn master<'a>(doc: &'a Document, uid: &str) -> Option<&'a Component> {
    events(doc, uid).into_iter().find(|e| is_master_of(e, uid))
}

fn description_of(c: &Component) -> Description {
    Description {
        text: c
            .value("DESCRIPTION")
            .map(|v| value::unescape_text(v).into_owned())
            .unwrap_or_default(),
        html: alt_desc(c).map(|p| value::unescape_text(&p.value).into_owned()),
    }
}

fn alt_desc(c: &Component) -> Option<&Property> {
    c.properties_named("X-ALT-DESC").find(|p| {
        p.param("FMTTYPE")
            .is_some_and(|f| f.eq_ignore_ascii_case("text/html"))
    })
}

/// The description an occurrence shows: its override's, else its master's.
pub fn occurrence_description(
    doc: &Document,
    occ: &OccurrenceRef,
) -> Result<Description, EditError> {
    Descriptions::new(doc, occ.recurrence_id).of(occ)
}

/// Reads the descriptions of many occurrences in one document, each as
/// [`occurrence_description`] does, with one clock: each zone is resolved once for all.
pub struct Descriptions<'a> {
    doc: &'a Document,
    latest: Moment,
    clock: OnceCell<Clock>,
    /// The events of the first series asked for, found once: a reader serves one series'
    /// meetings, and searching the document and reading every override's date again for
    /// each of them was most of planning's time.
    series: OnceCell<Series<'a>>,
}

/// One series' events in a document.
struct Series<'a> {
    uid: String,
    /// Its master: the first event with its UID and no RECURRENCE-ID.
    master: Option<&'a Component>,
    /// Its overrides, in document order, each with the date its RECURRENCE-ID is written on.
    overrides: Vec<(&'a Component, Option<chrono::NaiveDate>)>,
}

impl<'a> Series<'a> {
    fn of(doc: &'a Document, uid: &str) -> Series<'a> {
        let mut master = None;
        let mut overrides = Vec::new();
        for e in events(doc, uid) {
            match e.property("RECURRENCE-ID") {
                Some(rid) => overrides.push((e, written_day(&rid.value))),
                None => {
                    master.get_or_insert(e);
                }
            }
        }
        Series {
            uid: uid.to_string(),
            master,
            overrides,
        }
    }
}

impl<'a> Descriptions<'a> {
    /// A reader for occurrences whose RECURRENCE-ID is at the latest `latest`.
    pub fn new(doc: &'a Document, latest: Moment) -> Descriptions<'a> {
        Descriptions {
            doc,
            latest,
            clock: OnceCell::new(),
            series: OnceCell::new(),
        }
    }

    /// The description an occurrence shows: its override's, else its master's.
    pub fn of(&self, occ: &OccurrenceRef) -> Result<Description, EditError> {
        // Resolving zones costs far more than reading a date: only overrides whose
        // RECURRENCE-ID is within a day of the occurrence are worth a clock (most past
        // occurrences of a series have none).
        let other;
        let series = match self.series.get_or_init(|| Series::of(self.doc, occ.uid)) {
            series if series.uid == occ.uid => series,
            _ => {
                other = Series::of(self.doc, occ.uid);
                &other
            }
        };
        let near: Vec<&Component> = series
            .overrides
            .iter()
            .filter(|(_, day)| within_a_day(*day, occ.recurrence_id))
            .map(|(e, _)| *e)
            .collect();
        if !near.is_empty() {
            let own;
            let clock = if occ.recurrence_id.as_utc() > self.latest.as_utc() {
                // Later than the reader was made for: a clock of its own, as alone.
                own = Clock::new(self.doc, occ.recurrence_id);
                &own
            } else {
                self.clock.get_or_init(|| Clock::new(self.doc, self.latest))
            };
            if let Some(ov) = near.into_iter().find(|e| is_override_of(e, clock, occ)) {
                return Ok(description_of(ov));
            }
        }
        series
            .master
            .map(description_of)
            .ok_or_else(|| EditError::NoSuchEvent {
                uid: occ.uid.to_string(),
            })
    }
}

/// The description of the series itself (its master's), when the series is in `doc`.
pub fn series_description(doc: &Document, uid: &str) -> Option<Description> {
    master(doc, uid).map(description_of)
}

/// Sets the occurrence's description (and Outlook's HTML copy, when the event has one).
/// Returns false, changing nothing, when it already reads so. The participants' parameters
/// are left as they are: whether the server tells anyone is decided by where tete writes
/// (see `agenda::companion`), never by marking people `SCHEDULE-AGENT=CLIENT`, which Cyrus
/// answers by removing the occurrence from their calendar.
pub fn set_occurrence_description(
    doc: &mut Document,
    occ: &OccurrenceRef,
    new: &Description,
) -> Result<bool, EditError> {
    if occurrence_description(doc, occ)? == *new {
        return Ok(false);
    }
    let clock = Clock::new(doc, occ.recurrence_id);
    if let Some(ov) = doc
        .events_mut()
        .into_iter()
        .find(|e| is_override_of(e, &clock, occ))
    {
        apply_description(ov, new);
        return Ok(true);
    }
    let mut created = new_override(doc, &clock, occ)?;
    apply_description(&mut created, new);
    insert_after_master(doc, occ.uid, created);
    Ok(true)
}

fn apply_description(ev: &mut Component, new: &Description) {
    ev.set_text("DESCRIPTION", &new.text);
    if let Some(html) = &new.html
        && let Some(p) = ev.properties.iter_mut().find(|p| {
            p.name.eq_ignore_ascii_case("X-ALT-DESC")
                && p.param("FMTTYPE")
                    .is_some_and(|f| f.eq_ignore_ascii_case("text/html"))
        })
    {
        p.value = value::escape_text(html).into();
    }
}

/// The rule properties an override must not carry.
const RULES: &[&str] = &["RRULE", "RDATE", "EXDATE", "EXRULE"];

fn new_override(
    doc: &Document,
    clock: &Clock,
    occ: &OccurrenceRef,
) -> Result<Component, EditError> {
    let no_master = |reason: &str| EditError::NoMaster {
        uid: occ.uid.to_string(),
        reason: reason.to_string(),
    };
    let master = master(doc, occ.uid).ok_or_else(|| no_master("no event without RECURRENCE-ID"))?;
    let dtstart = master
        .property("DTSTART")
        .ok_or_else(|| no_master("no DTSTART"))?;
    let start_value = value::time_property(dtstart).map_err(|e| no_master(&e.to_string()))?;
    let mut ov = master.clone();
    ov.properties
        .retain(|p| !RULES.iter().any(|r| p.name.eq_ignore_ascii_case(r)));
    let mut recurrence_id = dtstart.clone();
    recurrence_id.name = "RECURRENCE-ID".into();
    recurrence_id
        .params
        .retain(|p| !p.name.eq_ignore_ascii_case("RANGE"));
    recurrence_id.value = clock
        .write_like(&start_value, occ.recurrence_id, occ.uid)?
        .into();
    recurrence_id.line = 0;
    let start_text = clock.write_like(&start_value, occ.start, occ.uid)?;
    let end = match master.property("DTEND").map(value::time_property) {
        Some(Ok(end_value)) => Some(clock.write_like(&end_value, occ.end, occ.uid)?),
        _ => None,
    };
    let mut at = 0;
    for (i, p) in ov.properties.iter_mut().enumerate() {
        if p.name.eq_ignore_ascii_case("DTSTART") {
            p.value = start_text.as_str().into();
            at = i + 1;
        } else if p.name.eq_ignore_ascii_case("DTEND")
            && let Some(end) = &end
        {
            p.value = end.as_str().into();
        }
    }
    ov.properties.insert(at, recurrence_id);
    Ok(ov)
}

fn insert_after_master(doc: &mut Document, uid: &str, ov: Component) {
    let is_master = |c: &Component| is_master_of(c, uid);
    for top in &mut doc.components {
        if let Some(i) = top.components.iter().position(is_master) {
            top.components.insert(i + 1, ov);
            return;
        }
    }
    if let Some(i) = doc.components.iter().position(is_master) {
        doc.components.insert(i + 1, ov);
    }
}

/// Reads a moment as [`Moment`]'s `Display` writes it (`2026-01-05`, `2026-01-05T10:00:00`,
/// `2026-01-05T09:00:00Z`), as the history stores recurrence ids.
pub fn parse_moment(s: &str) -> Option<Moment> {
    // chrono's `FromStr` forms are these (with optional fractions of seconds), read without
    // parsing a format string first: planning reads one per stored occurrence.
    if let Some(utc) = s.strip_suffix('Z') {
        return utc.parse().ok().map(Moment::Utc);
    }
    match s.parse() {
        Ok(t) => Some(Moment::Floating(t)),
        Err(_) => s.parse().ok().map(Moment::Date),
    }
}

#[cfg(test)]
mod tests;
