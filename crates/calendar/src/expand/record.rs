//! The compact record kept of each `VEVENT` while reading: its times as [`Stamp`]s with the
//! zone interned, its end, its recurrence parts (boxed apart, as most events have none) and
//! what is known of each resource and each TZID used.

use std::sync::Arc;

use chrono::NaiveDateTime;

use crate::EventStatus;
use crate::people::Person;
use crate::recur::RuleSpec;
use crate::value::Duration;

/// The form a time was written in, with the zone interned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    Date,
    Floating,
    Utc,
    Zone(u32),
}

/// A compact date/date-time (16 bytes instead of a TZID string per value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stamp {
    pub(super) t: NaiveDateTime,
    pub(super) form: Form,
}

impl Stamp {
    /// A floating time becomes a wall-clock time in the zone `zone`; other forms are kept.
    pub(super) fn assume_zone(&mut self, zone: u32) {
        if self.form == Form::Floating {
            self.form = Form::Zone(zone);
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) enum End {
    At(Stamp),
    For(Duration),
    Default,
}

#[derive(Debug)]
pub(super) struct RDate {
    pub(super) start: Stamp,
    pub(super) end: Option<End>,
}

/// What expansion needs of one `VEVENT`; the full component is not kept.
#[derive(Debug)]
pub(super) struct EventRecord {
    pub(super) uid: Arc<str>,
    pub(super) resource: u32,
    pub(super) line: usize,
    pub(super) summary: Option<Arc<str>>,
    pub(super) status: Option<EventStatus>,
    pub(super) start: Stamp,
    pub(super) end: End,
    /// `None` for the many events without RRULE, RDATE or EXDATE.
    pub(super) recurrence: Option<Box<Recurrence>>,
    pub(super) recurrence_id: Option<Stamp>,
    pub(super) this_and_future: bool,
    pub(super) sequence: i64,
    /// Attendees with `PARTSTAT=DECLINED` (`None`: nobody, or not read).
    pub(super) declined: Option<Arc<[Person]>>,
}

impl EventRecord {
    /// The occurrence it overrides, as written, when it overrides that one alone (not
    /// `RANGE=THISANDFUTURE`).
    pub(super) fn overridden_alone(&self) -> Option<NaiveDateTime> {
        self.recurrence_id
            .filter(|_| !self.this_and_future)
            .map(|rid| rid.t)
    }
}

/// The RRULEs, RDATEs and EXDATEs of an event. Boxed apart from [`EventRecord`] because most
/// events have none: a single event then costs one pointer instead of three empty lists.
#[derive(Debug, Default)]
pub(super) struct Recurrence {
    pub(super) rules: Vec<RuleSpec>,
    pub(super) rdates: Vec<RDate>,
    pub(super) exdates: Vec<Stamp>,
}

impl Recurrence {
    pub(super) fn boxed_unless_empty(self) -> Option<Box<Recurrence>> {
        let empty = self.rules.is_empty() && self.rdates.is_empty() && self.exdates.is_empty();
        (!empty).then(|| Box::new(self))
    }
}

impl EventRecord {
    pub(super) fn rules(&self) -> &[RuleSpec] {
        self.recurrence.as_ref().map_or(&[], |r| &r.rules)
    }

    pub(super) fn rdates(&self) -> &[RDate] {
        self.recurrence.as_ref().map_or(&[], |r| &r.rdates)
    }

    pub(super) fn exdates(&self) -> &[Stamp] {
        self.recurrence.as_ref().map_or(&[], |r| &r.exdates)
    }

    pub(super) fn is_recurring(&self) -> bool {
        !self.rules().is_empty() || !self.rdates().is_empty()
    }

    /// Reads every floating time of the event as a wall-clock time in the zone `zone`.
    /// (A floating UNTIL needs nothing: it is already read on the series' wall clock.)
    pub(super) fn assume_zone(&mut self, zone: u32) {
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
    pub(super) fn supersedes(&self, other: &EventRecord) -> bool {
        self.sequence > other.sequence
    }
}

#[derive(Debug)]
pub(super) struct ResourceInfo {
    pub(super) origin: Arc<str>,
    /// The calendar's `X-WR-TIMEZONE`, interned.
    pub(super) default_zone: Option<u32>,
}

/// Where a TZID was first used, to point warnings at it; an undefined TZID falls back to the
/// `X-WR-TIMEZONE` of this first calendar.
#[derive(Debug)]
pub(super) struct TzidUse {
    pub(super) name: String,
    pub(super) resource: u32,
    pub(super) line: usize,
    pub(super) uid: Arc<str>,
}
