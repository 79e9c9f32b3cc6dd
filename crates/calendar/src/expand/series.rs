//! A master's series: its starts from DTSTART, RRULE (with UNTIL in the series' frame) and
//! RDATE, those EXDATE removes ([`Exclusions`]), and its occurrences in the window with
//! overrides and THISANDFUTURE applied.

use std::collections::{BTreeMap, HashSet};

use chrono::{Duration as Span, NaiveDate, NaiveDateTime, NaiveTime};

use super::Occurrence;
use super::context::{Context, Names};
use super::overrides::{Fate, occurrence, this_and_future_for};
use super::record::{End, EventRecord, Form, Stamp};
use crate::EventStatus;
use crate::recur::{Occurrences, RuleError};
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
            // A DATE EXDATE removes its day; on an all-day series any EXDATE removes the day
            // it is written on (an Exchange `EXDATE;TZID=…:20200416T000000` removes 16 April).
            if ex.form == Form::Date || form == Form::Date {
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

    /// True when the occurrence a RECURRENCE-ID names is removed (even one the series does
    /// not generate: recurring-ical-events drops such an override too).
    fn excludes(&self, name: Names) -> bool {
        match name {
            Names::Start(t) => self.contains(t),
            Names::Day(d) => self.days.contains(&d),
        }
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
/// where the series recurs (see [`Context::series_start`]). The rules' starts before the
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
    // The step limit is the event's, shared by its RRULEs (a file may repeat the line).
    let mut steps_left = ctx.max_rule_steps;
    for i in 0..master.rules().len() {
        let Some(mut iter) = rule_starts(ctx, master, series, i, span.iterate_from, steps_left)
            .map_err(|e| warnings.push(ctx.warning(master, format!("{e}; only DTSTART is used"))))
            .ok()
        else {
            continue;
        };
        for t in iter.by_ref().take_while(|t| *t <= span.bound) {
            if span.needs(t) {
                starts.entry(t).or_insert(None);
            }
        }
        steps_left = steps_left.saturating_sub(iter.steps());
        if let Some(stop) = iter.stopped() {
            let message = format!("RRULE {stop}; later occurrences are missing");
            warnings.push(ctx.warning(master, message));
        }
    }
    for rdate in master.rdates() {
        let period = rdate.end.map(|end| (rdate.start, end));
        starts.insert(ctx.in_frame_of(rdate.start, form), period);
    }
    starts
}

/// The wall-clock starts the `i`-th RRULE of `master` generates from `from` on, lazily, with
/// at most `steps` steps (see [`crate::recur`]).
fn rule_starts(
    ctx: &Context,
    master: &EventRecord,
    series: Stamp,
    i: usize,
    from: NaiveDateTime,
    steps: u64,
) -> Result<Occurrences, RuleError> {
    let rule = &master.rules()[i];
    let until = rule.until.as_ref().map(|u| until_in_frame(ctx, u, series));
    let iter = rule.iter(series.t, until, from, steps)?;
    // The set is the union of the rules; DTSTART counts as the first occurrence once, in
    // the first rule's COUNT (RFC 5545 3.3.10), and the others count their own matches.
    Ok(if i == 0 {
        iter
    } else {
        iter.own_matches_only()
    })
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
    /// Where the rules' iteration starts: the earlier of `keep_from` and the earliest
    /// occurrence an override names.
    iterate_from: NaiveDateTime,
    /// Starts from here on may overlap the window.
    keep_from: NaiveDateTime,
    /// Starts after this cannot; every start up to it that an override may name is kept.
    bound: NaiveDateTime,
    /// Days an override names: a start on (or next to, for zones) one of them is kept even
    /// before `keep_from`, to know which occurrence the override replaces.
    named_days: HashSet<NaiveDate>,
}

impl SeriesSpan {
    fn needs(&self, t: NaiveDateTime) -> bool {
        let day = t.date();
        t >= self.keep_from
            || [day.pred_opt(), Some(day), day.succ_opt()]
                .iter()
                .flatten()
                .any(|d| self.named_days.contains(d))
    }
}

/// From when to when (wall clock, in `form`) a master's starts are needed: the window,
/// widened by the largest move of a THISANDFUTURE override in `future`, the longest an
/// occurrence lasts (one starting earlier may still overlap) and a margin for zones; and
/// those the overrides (`names`) name.
fn series_span(
    ctx: &Context,
    master: &EventRecord,
    names: &[Names],
    future: &[(&EventRecord, Names)],
    form: Form,
) -> SeriesSpan {
    let max_shift = future
        .iter()
        .map(|(o, name)| (ctx.in_frame_of(o.start, form) - name.wall_clock()).abs())
        .max()
        .unwrap_or_default();
    let longest = std::iter::once(master)
        .chain(future.iter().map(|(o, _)| *o))
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
    let named: Vec<NaiveDateTime> = names.iter().map(|n| n.wall_clock()).collect();
    let earliest = named.iter().min().map_or(NaiveDateTime::MAX, |t| {
        value::add_saturating(*t, -Span::days(1))
    });
    SeriesSpan {
        iterate_from: keep_from.min(earliest),
        keep_from,
        bound: value::add_saturating(value::add_saturating(ctx.window.end, margin), max_shift),
        named_days: named.iter().map(|t| t.date()).collect(),
    }
}

/// Reports a master's occurrences, except those its `overrides` replace; records in `fates`
/// (one per override, `names` what each names) which occurrence each override replaces,
/// that EXDATE removed it, or that it is stale.
pub(super) fn expand_master(
    ctx: &Context,
    master: &EventRecord,
    overrides: &[&EventRecord],
    names: &[Names],
    fates: &mut [Fate],
    out: &mut Vec<Occurrence>,
    warnings: &mut Vec<Warning>,
) {
    let series = ctx.series_start(master);
    let form = series.form;
    let future: Vec<(&EventRecord, Names)> = overrides
        .iter()
        .zip(names)
        .filter(|(o, _)| o.this_and_future)
        .map(|(o, n)| (*o, *n))
        .collect();
    let span = series_span(ctx, master, names, &future, form);
    let bound = span.bound;
    let exclusions = Exclusions::new(ctx, master, form);
    let mut starts = master_starts(ctx, master, series, &span, warnings);
    let removed = exclusions.remove_from(&mut starts);
    for (name, fate) in names.iter().zip(fates.iter_mut()) {
        // EXDATE wins over an override of the same occurrence (recurring-ical-events agrees).
        if exclusions.excludes(*name) || removed.iter().any(|t| name.matches(*t)) {
            *fate = Fate::Excluded;
        }
    }
    if ctx.with_excluded {
        excluded_occurrences(ctx, master, series, &removed, out);
    }
    for (t, period) in starts {
        let rid = ctx.moment(t, form);
        if let Some(i) = replacing_override(names, fates, t) {
            fates[i] = Fate::Replaces(rid);
            continue;
        }
        let (start, end, props) = match this_and_future_for(&future, t) {
            Some((ov, name)) => {
                let moved =
                    value::add_saturating(t, ctx.in_frame_of(ov.start, form) - name.wall_clock());
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
    mark_stale(
        ctx, master, series, overrides, names, fates, bound, warnings,
    );
}

/// The override that replaces the occurrence starting at `t`: one that names it exactly, else
/// the first DATE id of its day not yet used. An override replaces one occurrence only.
fn replacing_override(names: &[Names], fates: &[Fate], t: NaiveDateTime) -> Option<usize> {
    let free = |i: &usize| fates[*i] == Fate::Unmatched;
    (0..names.len())
        .filter(free)
        .find(|i| names[*i] == Names::Start(t))
        .or_else(|| (0..names.len()).filter(free).find(|i| names[*i].matches(t)))
}

/// Marks as stale the overrides that name no occurrence of the series and have a lower
/// SEQUENCE than the master: the series was changed after them (shortened, moved) and no
/// longer has the occurrence they moved, so they must not add one. An override with the
/// master's SEQUENCE or a higher one that names no occurrence stays an occurrence of its own
/// (an extra date, as recurring-ical-events and RFC 5545 3.8.4.4 allow).
#[allow(clippy::too_many_arguments)]
fn mark_stale(
    ctx: &Context,
    master: &EventRecord,
    series: Stamp,
    overrides: &[&EventRecord],
    names: &[Names],
    fates: &mut [Fate],
    bound: NaiveDateTime,
    warnings: &mut Vec<Warning>,
) {
    let older =
        |i: &usize| fates[*i] == Fate::Unmatched && overrides[*i].sequence < master.sequence;
    let candidates: Vec<usize> = (0..overrides.len()).filter(older).collect();
    let generated = generated_beyond(ctx, master, series, bound, &candidates, names);
    for (i, generated) in candidates.into_iter().zip(generated) {
        if generated {
            continue;
        }
        fates[i] = Fate::Stale;
        let ov = overrides[i];
        warnings.push(ctx.warning(
            ov,
            format!(
                "override of an occurrence the series no longer has (SEQUENCE {} below the \
                 series' {}); ignored",
                ov.sequence, master.sequence
            ),
        ));
    }
}

/// How many starts past `bound` are looked at to find whether a series generates an
/// occurrence an older override names; past them the override is kept, as before this check.
const STALE_SEARCH_LIMIT: usize = 200_000;

/// For each override (`candidates`, indexes into `names`), whether the series generates the
/// occurrence it names after `bound` (the starts up to `bound` were all seen). Lazily, with no
/// memory per start, and at most [`STALE_SEARCH_LIMIT`] starts past `bound` per rule: one
/// named farther away counts as generated.
fn generated_beyond(
    ctx: &Context,
    master: &EventRecord,
    series: Stamp,
    bound: NaiveDateTime,
    candidates: &[usize],
    names: &[Names],
) -> Vec<bool> {
    let day_end = |name: Names| value::add_saturating(name.wall_clock(), Span::days(1));
    let mut found = vec![false; candidates.len()];
    let Some(farthest) = candidates.iter().map(|i| day_end(names[*i])).max() else {
        return found;
    };
    if farthest <= bound {
        return found;
    }
    // Which candidates each name stands for, to find a start's in one look-up.
    let mut by_name: BTreeMap<Names, Vec<usize>> = BTreeMap::new();
    for (k, i) in candidates.iter().enumerate() {
        by_name.entry(names[*i]).or_default().push(k);
    }
    let mark = |t: NaiveDateTime, found: &mut [bool]| {
        for name in [Names::Start(t), Names::Day(t.date())] {
            for k in by_name.get(&name).into_iter().flatten() {
                found[*k] = true;
            }
        }
    };
    for rdate in master.rdates() {
        mark(ctx.in_frame_of(rdate.start, series.form), &mut found);
    }
    let rules = (0..master.rules().len())
        .filter_map(|i| rule_starts(ctx, master, series, i, bound, ctx.max_rule_steps).ok());
    for rule in rules {
        // Skipped to `bound` (see `crate::recur`): the starts before it cost nothing.
        let past_bound = rule.take_while(|t| *t < farthest).filter(|t| *t > bound);
        let mut last = bound;
        for (n, t) in past_bound.enumerate() {
            if n == STALE_SEARCH_LIMIT {
                // Too far to look: keep the overrides named beyond here, as before.
                for (f, i) in found.iter_mut().zip(candidates) {
                    *f |= day_end(names[*i]) > last;
                }
                break;
            }
            mark(t, &mut found);
            last = t;
        }
    }
    // Those named within `bound` were matched there, or not at all.
    for (f, i) in found.iter_mut().zip(candidates) {
        *f &= day_end(names[*i]) > bound;
    }
    found
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
