//! Cadence: how often a 1:1 is meant to happen, how often it really does, and what to
//! change, with the reason in plain words.
//!
//! Pure: a relationship's stored occurrences, its one-off 1:1s and "now" in, an
//! [`Analysis`] out. The suggestion rules are documented in README.md and configurable
//! through [`Settings`].

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::calendar::RuleShape;
use crate::calendar::recur::RuleFrequency;
use crate::detect::Relationship;
use crate::history::StoredOccurrence;
use crate::zone::Zone;

mod suggest;

pub use suggest::{Advice, Keep, Suggestion, day as short_date, suggest_for_open_items};

/// A cadence, as configured by a rule or as observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    /// Every week.
    Weekly,
    /// Every two weeks.
    Biweekly,
    /// Every N weeks (N >= 3).
    EveryNWeeks(u16),
    /// Every month.
    Monthly,
    /// Anything else (twice a week, every other month, irregular).
    Other,
}

impl Cadence {
    /// The cadence a recurrence rule sets.
    pub fn of_rule(rule: Option<&RuleShape>) -> Cadence {
        let Some(rule) = rule else {
            return Cadence::Other;
        };
        match (rule.freq, rule.interval, rule.weekdays) {
            (RuleFrequency::Weekly, n, 0 | 1) => Cadence::weeks(n),
            (RuleFrequency::Daily, n, 0) if n.is_multiple_of(7) => Cadence::weeks(n / 7),
            (RuleFrequency::Monthly, 1, _) => Cadence::Monthly,
            _ => Cadence::Other,
        }
    }

    fn weeks(n: u16) -> Cadence {
        match n {
            1 => Cadence::Weekly,
            2 => Cadence::Biweekly,
            0 => Cadence::Other,
            n => Cadence::EveryNWeeks(n),
        }
    }

    /// The cadence nearest to a typical gap between meetings.
    pub fn of_gap(days: f64) -> Cadence {
        match days {
            d if d < 4.5 => Cadence::Other,
            d if d < 10.5 => Cadence::Weekly,
            d if d < 17.5 => Cadence::Biweekly,
            d if d < 24.5 => Cadence::EveryNWeeks(3),
            d if d < 38.0 => Cadence::Monthly,
            d if d < 70.0 => Cadence::EveryNWeeks((d / 7.0).round() as u16),
            _ => Cadence::Other,
        }
    }

    /// The planned interval in days, when there is one.
    pub fn interval_days(self) -> Option<f64> {
        match self {
            Cadence::Weekly => Some(7.0),
            Cadence::Biweekly => Some(14.0),
            Cadence::EveryNWeeks(n) => Some(7.0 * f64::from(n)),
            Cadence::Monthly => Some(30.4),
            Cadence::Other => None,
        }
    }

    /// True for the cadences rarer than weekly.
    pub fn is_rarer_than_weekly(self) -> bool {
        matches!(
            self,
            Cadence::Biweekly | Cadence::EveryNWeeks(_) | Cadence::Monthly
        )
    }
}

/// The JSON names: `weekly`, `biweekly`, `every-3-weeks`, `monthly`, `other`.
impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cadence::Weekly => f.write_str("weekly"),
            Cadence::Biweekly => f.write_str("biweekly"),
            Cadence::EveryNWeeks(n) => write!(f, "every-{n}-weeks"),
            Cadence::Monthly => f.write_str("monthly"),
            Cadence::Other => f.write_str("other"),
        }
    }
}

impl Serialize for Cadence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The thresholds of the suggestion rules (config `[cadence]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The trailing window the analysis looks at, in weeks.
    pub window_weeks: u32,
    /// Fewer past occurrences than this in the window is too little evidence to suggest.
    pub min_occurrences: usize,
    /// Share of past occurrences cancelled or moved from which a weekly 1:1 should become
    /// biweekly.
    pub slip_ratio: f64,
    /// One-off 1:1s in the window from which a rarer-than-weekly 1:1 should become weekly.
    pub adhoc_min: usize,
    /// A relationship younger than this many days should meet weekly.
    pub young_days: i64,
    /// A 1:1 is overdue when no meeting took place for more than this many planned
    /// intervals (the report says so and the `overdue` nudge fires: one rule).
    pub overdue_intervals: f64,
    /// The manager's zone: overdue days are counted as calendar days there.
    pub zone: Zone,
    /// Open action items from which a rarer-than-weekly 1:1 should become weekly.
    pub items_pile: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            window_weeks: 26,
            min_occurrences: 4,
            slip_ratio: 0.45,
            adhoc_min: 2,
            young_days: 90,
            overdue_intervals: 2.0,
            zone: Zone::Local,
            items_pile: 4,
        }
    }
}

/// What happened to one occurrence, as of "now".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It took place in its slot.
    Held,
    /// It took place (or will) at another time.
    Moved,
    /// It was cancelled (STATUS, EXDATE, deleted outright) or declined by one of the two.
    Cancelled,
    /// It is still to come.
    Upcoming,
}

impl Outcome {
    /// The outcome of a stored occurrence at `now`.
    pub fn of(occ: &StoredOccurrence, now: DateTime<Utc>) -> Outcome {
        if occ.cancelled.is_some() {
            Outcome::Cancelled
        } else if occ.scheduled >= now && occ.start >= now {
            Outcome::Upcoming
        } else if occ.start != occ.scheduled {
            Outcome::Moved
        } else {
            Outcome::Held
        }
    }

    fn happened(self) -> bool {
        matches!(self, Outcome::Held | Outcome::Moved)
    }
}

/// One occurrence on the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// Its original slot.
    pub scheduled: DateTime<Utc>,
    /// When it starts (or would have).
    pub start: DateTime<Utc>,
    /// What happened.
    pub outcome: Outcome,
    /// It was cancelled because one of the two declined it.
    pub declined: bool,
}

impl Mark {
    /// The mark of a stored occurrence at `now`.
    pub fn of(o: &StoredOccurrence, now: DateTime<Utc>) -> Mark {
        Mark {
            scheduled: o.scheduled,
            start: o.start,
            outcome: Outcome::of(o, now),
            declined: o.cancelled == Some(crate::history::Cancellation::Declined),
        }
    }

    /// True when its original slot is in `[from, now)`: the occurrences the counts and the
    /// suggestion rules are about. Next week's meeting cancelled already, one pulled
    /// forward from next week, or one moved into the window from before it are on the
    /// timeline but not counted.
    pub fn counts(&self, from: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.scheduled >= from && self.scheduled < now
    }
}

/// One series of a relationship and the cadence its rule sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesCadence {
    /// The series' UID.
    pub uid: String,
    /// Its rule's cadence.
    pub cadence: Cadence,
    /// Its first known occurrence.
    pub first: Option<DateTime<Utc>>,
    /// Its last known occurrence.
    pub last: Option<DateTime<Utc>>,
}

/// A 1:1 that went too long without meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overdue {
    /// The last meeting held, or the first one planned when none ever took place.
    pub since: DateTime<Utc>,
    /// Whether a meeting ever took place.
    pub ever_held: bool,
    /// Calendar days since then, in the manager's zone.
    pub days: i64,
}

/// The one overdue rule, for the report's suggestion (rule 2) and the `overdue` nudge alike:
/// no meeting for more than `intervals` planned intervals, counted in calendar days in
/// `zone` as a person counts them ("15 days since Thursday 5th"), from the last meeting held
/// in `timeline` (the whole known history), or from the first one planned. Never for a series
/// without a regular interval, nor for a 1:1 nobody schedules any more (nothing to come and
/// nothing scheduled within that span): that relationship ended, it is not overdue.
pub fn overdue(
    timeline: &[Mark],
    configured: Cadence,
    intervals: f64,
    zone: &Zone,
    now: DateTime<Utc>,
) -> Option<Overdue> {
    let interval = configured.interval_days()?;
    if intervals <= 0.0 {
        return None;
    }
    let past = || {
        timeline
            .iter()
            .filter(|m| m.outcome != Outcome::Upcoming && m.scheduled < now)
    };
    let last_held = past()
        .filter(|m| matches!(m.outcome, Outcome::Held | Outcome::Moved) && m.start < now)
        .map(|m| m.start)
        .max();
    let (since, ever_held) = match last_held {
        Some(t) => (t, true),
        None => (past().map(|m| m.scheduled).min()?, false),
    };
    let days = (zone.date(now) - zone.date(since)).num_days();
    let limit = intervals * interval;
    let upcoming = timeline
        .iter()
        .any(|m| m.outcome != Outcome::Cancelled && m.start >= now);
    let last_scheduled = past().map(|m| m.scheduled).max()?;
    let ended = !upcoming && self::days(now - last_scheduled) > limit;
    (days as f64 > limit && !ended).then_some(Overdue {
        since,
        ever_held,
        days,
    })
}

/// The cadence analysis of one relationship.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The configured cadence of the current series (the one with the latest occurrence).
    pub configured: Cadence,
    /// Every series, oldest first: a change of cadence shows here.
    pub series: Vec<SeriesCadence>,
    /// The cadence nearest to the median gap between meetings held in the window (since the
    /// current series began, when the cadence changed inside the window).
    pub actual: Option<Cadence>,
    /// The median gap between meetings held in the window, in days.
    pub median_gap_days: Option<f64>,
    /// Meetings held in their slot, in the window (by original start, before now).
    pub held: usize,
    /// Meetings moved to another time, in the window (by original start, before now).
    pub moved: usize,
    /// Meetings cancelled, in the window (by original start, before now), declined ones
    /// included.
    pub cancelled: usize,
    /// Of those, meetings one of the two people declined (`PARTSTAT=DECLINED`).
    pub declined: usize,
    /// Hours the two spent in the meetings that took place in the window (held or moved,
    /// each by its own length). One-off 1:1s are not counted: only their start is known.
    pub hours_together: f64,
    /// The longest gap between two meetings held in the window, in days, and when it
    /// started and ended.
    pub longest_gap: Option<(f64, DateTime<Utc>, DateTime<Utc>)>,
    /// The last meeting that took place.
    pub last_held: Option<DateTime<Utc>>,
    /// The next meeting to come.
    pub next: Option<DateTime<Utc>>,
    /// The first occurrence ever known of this relationship.
    pub since: Option<DateTime<Utc>>,
    /// One-off 1:1s in the window.
    pub adhoc: Vec<DateTime<Utc>>,
    /// Every occurrence in the window and those to come, for timelines.
    pub timeline: Vec<Mark>,
    /// Start of the window.
    pub window_start: DateTime<Utc>,
    /// When no meeting took place for too long (see [`overdue`]).
    pub overdue: Option<Overdue>,
    /// What to change, if anything, or why not.
    pub advice: Advice,
}

/// Analyses one relationship. `occurrences` are the stored occurrences of its series,
/// `adhoc` the starts of its one-off 1:1s; `since` overrides the window's start.
pub fn analyse(
    rel: &Relationship,
    occurrences: &[StoredOccurrence],
    adhoc: &[DateTime<Utc>],
    now: DateTime<Utc>,
    since: Option<DateTime<Utc>>,
    settings: &Settings,
) -> Analysis {
    let window_start =
        since.unwrap_or_else(|| now - Duration::weeks(i64::from(settings.window_weeks)));
    let series = series_cadences(rel, occurrences);
    let configured = series.last().map_or(Cadence::Other, |s| s.cadence);
    let timeline: Vec<Mark> = occurrences
        .iter()
        .filter(|o| o.scheduled >= window_start || o.start >= window_start)
        .map(|o| Mark::of(o, now))
        .collect();
    let count = |outcome| {
        timeline
            .iter()
            .filter(|m| m.counts(window_start, now) && m.outcome == outcome)
            .count()
    };
    let happened = happened_starts(&timeline, now);
    let median_gap_days = median_gap(&happened, current_from(&series, window_start));
    let mut analysis = Analysis {
        configured,
        series,
        actual: median_gap_days.map(Cadence::of_gap),
        median_gap_days,
        held: count(Outcome::Held),
        moved: count(Outcome::Moved),
        cancelled: count(Outcome::Cancelled),
        declined: declined_between(occurrences, window_start, now),
        hours_together: hours_together(occurrences, window_start, now),
        longest_gap: longest_gap(&happened),
        last_held: happened.last().copied(),
        next: timeline
            .iter()
            .filter(|m| m.outcome != Outcome::Cancelled && m.start >= now)
            .map(|m| m.start)
            .min(),
        since: occurrences.iter().map(|o| o.scheduled).min(),
        adhoc: adhoc
            .iter()
            .copied()
            .filter(|t| *t >= window_start && *t < now)
            .collect(),
        timeline,
        window_start,
        overdue: overdue(
            &occurrences
                .iter()
                .map(|o| Mark::of(o, now))
                .collect::<Vec<_>>(),
            configured,
            settings.overdue_intervals,
            &settings.zone,
            now,
        ),
        advice: Advice::Keep(Keep::AsPlanned(String::new())),
    };
    analysis.advice = suggest::suggest(rel, &analysis, now, settings);
    analysis
}

impl Analysis {
    /// The share of the planned 1:1s in the window that took place (held or moved, not
    /// cancelled), 0 to 1; `None` before the first one was due.
    pub fn attendance(&self) -> Option<f64> {
        let took_place = self.held + self.moved;
        let planned = took_place + self.cancelled;
        (planned > 0).then(|| took_place as f64 / planned as f64)
    }
}

/// The hours of the meetings that took place in the window, counted as `held` and `moved`
/// count them (by original start, before now).
fn hours_together(
    occurrences: &[StoredOccurrence],
    window_start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> f64 {
    occurrences
        .iter()
        .filter(|o| {
            let mark = Mark::of(o, now);
            mark.counts(window_start, now) && mark.outcome.happened()
        })
        .map(|o| hours(o.start, o.end))
        .sum()
}

/// The length of a meeting in hours (0 for one that ends before it starts).
pub fn hours(start: DateTime<Utc>, end: DateTime<Utc>) -> f64 {
    (end - start).num_minutes().max(0) as f64 / 60.0
}

/// Where the actual cadence is measured from: after a cadence change, the start of the
/// current series; otherwise the window's start.
fn current_from(series: &[SeriesCadence], window_start: DateTime<Utc>) -> DateTime<Utc> {
    series
        .last()
        .and_then(|s| s.first)
        .filter(|first| series.len() > 1 && *first > window_start)
        .unwrap_or(window_start)
}

/// The starts of the meetings that took place before `now`, in order.
fn happened_starts(timeline: &[Mark], now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut happened: Vec<DateTime<Utc>> = timeline
        .iter()
        .filter(|m| m.outcome.happened() && m.start < now)
        .map(|m| m.start)
        .collect();
    happened.sort();
    happened
}

/// The median gap in days between the meetings held since `from`.
fn median_gap(happened: &[DateTime<Utc>], from: DateTime<Utc>) -> Option<f64> {
    let recent: Vec<DateTime<Utc>> = happened.iter().copied().filter(|t| *t >= from).collect();
    median(recent.windows(2).map(|w| days(w[1] - w[0])).collect())
}

/// The longest gap between meetings held: its days, and the meetings before and after.
fn longest_gap(happened: &[DateTime<Utc>]) -> Option<(f64, DateTime<Utc>, DateTime<Utc>)> {
    happened
        .windows(2)
        .map(|w| (days(w[1] - w[0]), w[0], w[1]))
        .max_by(|a, b| a.0.total_cmp(&b.0))
}

/// Occurrences cancelled by a decline, scheduled in the window before `now`.
fn declined_between(
    occurrences: &[StoredOccurrence],
    window_start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> usize {
    occurrences
        .iter()
        .filter(|o| {
            o.cancelled == Some(crate::history::Cancellation::Declined)
                && o.scheduled >= window_start
                && o.scheduled < now
        })
        .count()
}

fn series_cadences(rel: &Relationship, occurrences: &[StoredOccurrence]) -> Vec<SeriesCadence> {
    let mut out: Vec<SeriesCadence> = rel
        .series
        .iter()
        .map(|s| {
            let mine = || occurrences.iter().filter(|o| *o.series_uid == *s.uid);
            SeriesCadence {
                uid: s.uid.to_string(),
                cadence: Cadence::of_rule(s.rule.as_ref()),
                first: mine().map(|o| o.scheduled).min(),
                last: mine().map(|o| o.scheduled).max(),
            }
        })
        .collect();
    // The current series is the one whose occurrences reach furthest.
    out.sort_by_key(|s| (s.last, s.first));
    out
}

/// A duration in days, with fractions.
pub fn days(d: Duration) -> f64 {
    d.num_minutes() as f64 / (24.0 * 60.0)
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

#[cfg(test)]
mod tests;
