//! The frame of one expansion ([`Context`]): the window, the resolved zones, and the
//! conversions between the forms times are written in (dates, floating, UTC, zoned), event
//! lengths and window overlap.

use chrono::{Duration as Span, NaiveDateTime, NaiveTime};

use super::Moment;
use super::Window;
use super::record::{End, EventRecord, Form, ResourceInfo, Stamp};
use crate::tz::Zone;
use crate::value;

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
    /// compare EXDATEs, RECURRENCE-IDs and UNTIL written differently from DTSTART.
    pub(super) fn in_frame_of(&self, s: Stamp, target: Form) -> NaiveDateTime {
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
