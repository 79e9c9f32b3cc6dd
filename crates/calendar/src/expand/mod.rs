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
//!   own, unless their `SEQUENCE` is below the master's (stale: the series changed after
//!   them, and they are dropped with a warning); an override of an occurrence the master's
//!   `EXDATE` removes is dropped too; cancelled overrides are reported with status
//!   `CANCELLED`, not dropped;
//! - a `RECURRENCE-ID` (or `EXDATE`) names an occurrence of an all-day series by the day it is
//!   written on, whatever its form (Exchange: local midnight in a Windows zone); two times
//!   with zones are compared as instants, and a floating one is the series' wall clock;
//! - several `RRULE`s make one set; DTSTART counts once, in the first rule's `COUNT`;
//! - a `DTEND` before its `DTSTART` is swapped, with a warning (the producer meant it so);
//! - `DTEND` gives every occurrence the same exact length (RFC 5545 3.8.5.3), `DURATION` is
//!   exact in hours, minutes and seconds and nominal in days and weeks (3.3.6);
//! - a calendar's `X-WR-TIMEZONE` (Google's exports) is the zone of its floating times, and
//!   its recurring UTC series recur on that zone's wall clock (so they follow its DST), as
//!   recurring-ical-events does; a TZID nothing defines is read as a floating time.
//!
//! Reading is streaming ([`Collector::read`]): only a compact record of each event is kept,
//! never a whole file's tree, so a 100 MB calendar expands in bounded memory.
//!
//! The parts: `record` (the compact record of one event), `collect` (reading into a
//! [`Collector`]), `window` (expanding over a window into an [`Expansion`]), `context` (the
//! frame of one expansion: zones, forms, lengths, overlap), `overrides` (masters, overrides,
//! THISANDFUTURE) and `series` (a master's RRULE, RDATE and EXDATE).

mod collect;
mod context;
mod overrides;
mod record;
mod series;
mod window;

use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::people::Person;
use crate::EventStatus;

pub use collect::{Collector, ItemPlace};
pub use window::Expansion;

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

/// How a moment is shown, as chrono's items read once (`format` reads its pattern anew on
/// each call, and a cycle shows every occurrence of its window: that was a sixth of a
/// daemon's idle cycle). tete's state file stores times as [`shown::UTC`] too.
pub mod shown {
    use chrono::format::{Item, Numeric, Pad};

    /// `%Y-%m-%dT%H:%M:%SZ`.
    pub const UTC: &[Item<'static>] = &[
        Item::Numeric(Numeric::Year, Pad::Zero),
        Item::Literal("-"),
        Item::Numeric(Numeric::Month, Pad::Zero),
        Item::Literal("-"),
        Item::Numeric(Numeric::Day, Pad::Zero),
        Item::Literal("T"),
        Item::Numeric(Numeric::Hour, Pad::Zero),
        Item::Literal(":"),
        Item::Numeric(Numeric::Minute, Pad::Zero),
        Item::Literal(":"),
        Item::Numeric(Numeric::Second, Pad::Zero),
        Item::Literal("Z"),
    ];
    /// `%Y-%m-%dT%H:%M:%S`.
    pub const FLOATING: &[Item<'static>] = UTC.split_at(11).0;
    /// `%Y-%m-%d`.
    pub const DATE: &[Item<'static>] = UTC.split_at(5).0;
}

impl std::fmt::Display for Moment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Moment::Date(d) => write!(f, "{}", d.format_with_items(shown::DATE.iter())),
            Moment::Floating(t) => write!(f, "{}", t.format_with_items(shown::FLOATING.iter())),
            Moment::Utc(t) => write!(f, "{}", t.format_with_items(shown::UTC.iter())),
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
    /// STATUS.
    pub status: Option<EventStatus>,
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
        s.serialize_field("status", &self.status.as_ref().map(EventStatus::as_str))?;
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

#[cfg(test)]
mod tests;
