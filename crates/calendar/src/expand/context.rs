//! The frame of one expansion ([`Context`]): the window, the resolved zones, and the
//! conversions between the forms times are written in (dates, floating, UTC, zoned), event
//! lengths and window overlap.

use chrono::{Duration as Span, NaiveDate, NaiveDateTime, NaiveTime};

use super::Moment;
use super::Window;
use super::record::{End, EventRecord, Form, ResourceInfo, Stamp};
use crate::tz::Zone;
use crate::value;
use crate::warning::Warning;

/// What a RECURRENCE-ID names, on the wall clock of its series ([`Context::names`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Names {
    /// The occurrence that starts at this wall-clock time.
    Start(NaiveDateTime),
    /// The first occurrence on this day (a DATE written against a date-time series).
    Day(NaiveDate),
}

impl Names {
    /// True when this names the occurrence starting at wall-clock `t` (for a day, any
    /// occurrence of that day: the caller takes the first).
    pub(super) fn matches(self, t: NaiveDateTime) -> bool {
        match self {
            Names::Start(s) => s == t,
            Names::Day(d) => d == t.date(),
        }
    }

    /// The wall-clock time it stands for (a day: its midnight), to order THISANDFUTURE ranges.
    pub(super) fn wall_clock(self) -> NaiveDateTime {
        match self {
            Names::Start(t) => t,
            Names::Day(d) => d.and_time(NaiveTime::MIN),
        }
    }
}

pub(super) struct Context<'a> {
    pub(super) window: Window,
    /// Zones by TZID index; `None` for a TZID whose times are read as floating.
    pub(super) zones: &'a [Option<Zone>],
    pub(super) resources: &'a [ResourceInfo],
    pub(super) with_excluded: bool,
    /// The most steps one event's RRULEs may take (see [`crate::recur::DEFAULT_MAX_STEPS`]).
    pub(super) max_rule_steps: u64,
}

impl Context<'_> {
    /// The zone of a `Form::Zone`; `None` for other forms and for TZIDs read as floating.
    pub(super) fn zone(&self, form: Form) -> Option<&Zone> {
        match form {
            Form::Zone(i) => self.zones.get(i as usize).and_then(Option::as_ref),
            _ => None,
        }
    }

    /// The form a time is actually read in: a TZID without a zone is floating.
    pub(super) fn effective(&self, form: Form) -> Form {
        match form {
            Form::Zone(_) if self.zone(form).is_none() => Form::Floating,
            _ => form,
        }
    }

    /// The reported moment of a wall-clock time written in `form`.
    pub(super) fn moment(&self, t: NaiveDateTime, form: Form) -> Moment {
        match (form, self.zone(form)) {
            (_, Some(zone)) => Moment::Utc(zone.to_utc(t)),
            (Form::Date, None) => Moment::Date(t.date()),
            (Form::Utc, None) => Moment::Utc(t),
            (Form::Floating | Form::Zone(_), None) => Moment::Floating(t),
        }
    }

    /// The wall-clock time, in `target`'s frame, of a stamp written in another form: used to
    /// compare EXDATEs, RDATEs, RECURRENCE-IDs and UNTIL written differently from DTSTART.
    /// Two times that both have a zone (UTC or a TZID) are the same instant; when either has
    /// none (a date, a floating time), the time as written is the wall clock meant, as a
    /// floating EXDATE of a Berlin series names Berlin's wall clock and an Exchange
    /// `RECURRENCE-ID;TZID=…:20200416T000000` of an all-day series names 16 April.
    pub(super) fn in_frame_of(&self, s: Stamp, target: Form) -> NaiveDateTime {
        let zoned = |form: Form| matches!(self.effective(form), Form::Utc | Form::Zone(_));
        if s.form == target || !zoned(s.form) || !zoned(target) {
            return s.t;
        }
        let instant = self.moment(s.t, s.form).as_utc();
        self.zone(target).map_or(instant, |z| z.from_utc(instant))
    }

    /// Which occurrence of a series recurring in `series` (its DTSTART's form) a
    /// RECURRENCE-ID names: on an all-day series, the day it is written on (RFC 5545 3.8.4.4
    /// wants a DATE there; a date-time, whatever its zone, is read as its written date); a
    /// DATE on a date-time series, the first occurrence of that day; otherwise the
    /// occurrence starting at the same time ([`Context::in_frame_of`]).
    pub(super) fn names(&self, rid: Stamp, series: Form) -> Names {
        match (self.effective(series), self.effective(rid.form)) {
            (Form::Date, _) => Names::Start(rid.t.date().and_time(NaiveTime::MIN)),
            (_, Form::Date) => Names::Day(rid.t.date()),
            _ => Names::Start(self.in_frame_of(rid, series)),
        }
    }

    /// Where a master's recurrence is computed: on the wall clock of its DTSTART, except that
    /// a recurring UTC series in a calendar with `X-WR-TIMEZONE` recurs on that zone's wall
    /// clock, as recurring-ical-events moves it there first (a weekly 17:00Z meeting stays at
    /// 12:00 New York and so is at 16:00Z in summer). A single event is one instant either
    /// way and is left alone.
    pub(super) fn series_start(&self, master: &EventRecord) -> Stamp {
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
    pub(super) fn exact_length(&self, start: Stamp, end: Stamp) -> Span {
        if end.form == Form::Date && start.form != Form::Date {
            return end.t - start.t;
        }
        self.moment(end.t, end.form).as_utc() - self.moment(start.t, start.form).as_utc()
    }

    /// End of an occurrence starting at wall-clock `start` (in `form`), for an event that
    /// starts at `reference` and ends as `end` says.
    pub(super) fn end_of(
        &self,
        start: NaiveDateTime,
        form: Form,
        reference: Stamp,
        end: End,
    ) -> Moment {
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

    /// The longest an occurrence of `ev` can last, for how far before a window its starts
    /// are needed (an event without end lasts a day if all-day, else nothing).
    pub(super) fn longest_length(&self, ev: &EventRecord) -> Span {
        match ev.end {
            End::At(end) => self.exact_length(ev.start, end).abs(),
            End::For(d) => Span::try_days(d.days)
                .and_then(|days| days.checked_add(&Span::try_seconds(d.seconds)?))
                .and_then(|span| span.abs().checked_add(&Span::days(1)))
                .unwrap_or(Span::MAX),
            End::Default if ev.start.form == Form::Date => Span::days(1),
            End::Default => Span::zero(),
        }
    }

    /// A warning about an event, pointing at its line.
    pub(super) fn warning(&self, ev: &EventRecord, message: String) -> Warning {
        Warning {
            origin: self.resources[ev.resource as usize].origin.clone(),
            line: ev.line,
            uid: (!ev.uid.is_empty()).then(|| ev.uid.to_string()),
            message,
        }
    }

    pub(super) fn overlaps(&self, start: Moment, end: Moment) -> bool {
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
