//! A master's series: its starts from DTSTART, RRULE (with UNTIL in the series' frame) and
//! RDATE, those EXDATE removes ([`Exclusions`]), and its occurrences in the window with
//! overrides and THISANDFUTURE applied.

use std::collections::{BTreeMap, HashSet};

use chrono::{Duration as Span, NaiveDate, NaiveDateTime, NaiveTime};

use super::context::Context;
use super::overrides::{Fate, occurrence, rid_moment, this_and_future_for};
use super::record::{End, EventRecord, Form, Stamp};
use super::{Moment, Occurrence};
use crate::EventStatus;
use crate::value::{self, TimeValue};
use crate::warning::Warning;

/// A master's EXDATEs on the wall clock of its series, hashed: a series may carry a million
/// of them and each start is looked up once (linear in all, not their product).
struct Exclusions {
    /// Days that a DATE EXDATE removes from a date-time series: every occurrence whose local
    /// date it is.
    days: HashSet<NaiveDate>,
    /// Starts removed exactly.
    starts: HashSet<NaiveDateTime>,
}

impl Exclusions {
    /// The EXDATEs of `master`, whose series recurs in `form`.
    fn new(ctx: &Context, master: &EventRecord, form: Form) -> Self {
        let mut exclusions = Exclusions {
            days: HashSet::new(),
            starts: HashSet::new(),
        };
        for ex in master.exdates() {
            if ex.form == Form::Date && form != Form::Date {
                exclusions.days.insert(ex.t.date());
            } else {
                exclusions.starts.insert(ctx.in_frame_of(*ex, form));
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

/// The wall-clock starts of a master's series (DTSTART, RRULE, RDATE; EXDATEs not removed)
/// that `span` needs, with, for RDATE periods, the period's own start and end. `series` is
/// where the series recurs (see [`Context::series_start`]). The rule's starts before the
/// span are skipped without being kept (see [`crate::recur`]).
fn master_starts(
    ctx: &Context,
    master: &EventRecord,
    series: Stamp,
    span: &SeriesSpan,
    warnings: &mut Vec<Warning>,
) -> BTreeMap<NaiveDateTime, Option<(Stamp, End)>> {
    let form = series.form;
    let mut starts: BTreeMap<NaiveDateTime, Option<(Stamp, End)>> = BTreeMap::new();
    starts.insert(series.t, None);
    let warn = |warnings: &mut Vec<Warning>, message: String| {
        warnings.push(Warning {
            origin: ctx.resources[master.resource as usize].origin.clone(),
            line: master.line,
            uid: (!master.uid.is_empty()).then(|| master.uid.to_string()),
            message,
        })
    };
    // The step limit is the event's, shared by its RRULEs (a file may repeat the line).
    let mut steps_left = ctx.max_rule_steps;
    for rule in master.rules() {
        let until = rule.until.as_ref().map(|u| until_in_frame(ctx, u, series));
        match rule.iter(series.t, until, span.iterate_from, steps_left) {
            Ok(mut iter) => {
                for t in iter.by_ref().take_while(|t| *t <= span.bound) {
                    if span.needs(t) {
                        starts.entry(t).or_insert(None);
                    }
                }
                steps_left = steps_left.saturating_sub(iter.steps());
                if let Some(stop) = iter.stopped() {
                    warn(
                        warnings,
                        format!("RRULE {stop}; later occurrences are missing"),
                    );
                }
            }
            Err(e) => warn(warnings, format!("{e}; only DTSTART is used")),
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

/// Which of a master's starts (wall clock, in its series' form) are needed.
struct SeriesSpan {
    /// Where the rule's iteration starts: the earlier of `keep_from` and the earliest
    /// RECURRENCE-ID an override names.
    iterate_from: NaiveDateTime,
    /// Starts from here on may overlap the window.
    keep_from: NaiveDateTime,
    /// Starts after this cannot.
    bound: NaiveDateTime,
    /// Days an override's RECURRENCE-ID names: a start on (or next to, for zones) one of them
    /// is kept even before `keep_from`, to know which occurrence the override replaces.
    rid_days: HashSet<NaiveDate>,
}

impl SeriesSpan {
    fn needs(&self, t: NaiveDateTime) -> bool {
        let day = t.date();
        t >= self.keep_from
            || [day.pred_opt(), Some(day), day.succ_opt()]
                .iter()
                .flatten()
                .any(|d| self.rid_days.contains(d))
    }
}

/// From when to when (wall clock, in `form`) a master's starts are needed: the window,
/// widened by the largest move of a THISANDFUTURE override in `future`, the longest an
/// occurrence lasts (one starting earlier may still overlap) and a margin for zones; and
/// those an override's RECURRENCE-ID names.
fn series_span(
    ctx: &Context,
    master: &EventRecord,
    overrides: &[&EventRecord],
    future: &[&EventRecord],
    form: Form,
) -> SeriesSpan {
    let max_shift = future
        .iter()
        .filter_map(|o| {
            o.recurrence_id
                .map(|r| (o.start.t - ctx.in_frame_of(r, form)).abs())
        })
        .max()
        .unwrap_or_default();
    let longest = std::iter::once(master)
        .chain(future.iter().copied())
        .map(|ev| ctx.longest_length(ev))
        .max()
        .unwrap_or_default();
    // A zone's wall clock is at most a day or so off UTC; two days of margin covers every
    // zone. Other forms are compared with the window as they are.
    let margin = match ctx.effective(form) {
        Form::Zone(_) => Span::days(2),
        _ => Span::zero(),
    };
    let back = margin
        .checked_add(&max_shift)
        .and_then(|s| s.checked_add(&longest));
    let keep_from = back.map_or(NaiveDateTime::MIN, |back| {
        value::add_saturating(ctx.window.start, -back)
    });
    let rids: Vec<NaiveDateTime> = overrides
        .iter()
        .filter_map(|o| o.recurrence_id.map(|r| ctx.in_frame_of(r, form)))
        .collect();
    let earliest_rid = rids.iter().min().copied().unwrap_or(NaiveDateTime::MAX);
    SeriesSpan {
        iterate_from: keep_from.min(earliest_rid),
        keep_from,
        bound: value::add_saturating(value::add_saturating(ctx.window.end, margin), max_shift),
        rid_days: rids.iter().map(|t| t.date()).collect(),
    }
}

/// Reports a master's occurrences, except those its `overrides` replace; records in `fates`
/// (one per override) which occurrence each override replaces, or that EXDATE removed it.
pub(super) fn expand_master(
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
    let span = series_span(ctx, master, overrides, &future, form);
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
    let mut starts = master_starts(ctx, master, series, &span, warnings);
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
                let moved = value::add_saturating(t, ctx.in_frame_of(ov.start, form) - ov_rid);
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
            occ.status = Some(EventStatus::Cancelled);
            occ.excluded = true;
            out.push(occ);
        }
    }
}
