//! The nudge rules: pure functions from one relationship's timeline and open action items
//! to the nudges it deserves now. Thresholds come from [`Rules`]; each rule is documented in
//! README.md ("Nudges").
//!
//! Every nudge carries a *streak key*: what identifies the run of events that triggered it,
//! computed from the timeline alone, so the same streak gives the same key cycle after cycle
//! (and is sent once), while a new streak after the pattern broke gets a new key.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::quiet::Zone;
use super::{Kind, Nudge, StreakKey};
use crate::agenda::plan::OpenItem;
use crate::cadence::{Cadence, Mark, Outcome, Overdue, overdue};

/// The thresholds of the nudge rules (config `[nudges]`). A count or factor of 0 turns its
/// rule off.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Nudge when at least this many of the last [`Rules::moved_of_last`] past occurrences
    /// were moved (default 3).
    pub moved_at_least: usize,
    /// How many past occurrences the moved rule looks at (default 5).
    pub moved_of_last: usize,
    /// Nudge when this many past occurrences in a row were cancelled (default 2).
    pub cancelled_in_a_row: usize,
    /// Nudge when no 1:1 took place for more than this many planned intervals (default 2.0;
    /// the config's `[cadence] overdue_intervals`, shared with the report's rule 2).
    pub overdue_intervals: f64,
    /// Nudge when an action item has been open for more than this many meetings (default 3).
    pub item_open_meetings: u32,
    /// Nudge when an action item is past its due date by more than this many days
    /// (default 7).
    pub item_overdue_days: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            moved_at_least: 3,
            moved_of_last: 5,
            cancelled_in_a_row: 2,
            overdue_intervals: 2.0,
            item_open_meetings: 3,
            item_overdue_days: 7,
        }
    }
}

/// What the rules need about one relationship.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    /// The relationship's key (`Counterpart::key`).
    pub key: &'a str,
    /// The other person's name as sentences use it ("Chloé").
    pub name: &'a str,
    /// Every known occurrence (the whole history, not only the report's window, so a long
    /// streak keeps its key as the window slides), in any order.
    pub timeline: &'a [Mark],
    /// The configured cadence of the current series.
    pub configured: Cadence,
    /// The open action items.
    pub open_items: &'a [OpenItem],
}

/// Every nudge one relationship deserves at `now` (UTC). Dates in messages are shown in
/// `zone`; streak keys use UTC so they do not change with the zone.
pub fn evaluate(input: &Input, rules: &Rules, zone: &Zone, now: DateTime<Utc>) -> Vec<Nudge> {
    let mut past: Vec<&Mark> = input
        .timeline
        .iter()
        .filter(|m| m.outcome != Outcome::Upcoming && m.scheduled < now)
        .collect();
    past.sort_by_key(|m| m.scheduled);
    let at = At {
        input,
        rules,
        zone,
        now,
        today: zone.local(now).date(),
        past,
    };
    let mut out = Vec::new();
    out.extend(moved_rule(&at));
    out.extend(cancelled_rule(&at));
    out.extend(overdue_rule(&at));
    for open in input.open_items {
        out.extend(item_open_rule(&at, open));
        out.extend(item_overdue_rule(&at, open));
    }
    out
}

/// What every rule looks at: one relationship at one moment, its past occurrences in order.
struct At<'a> {
    input: &'a Input<'a>,
    rules: &'a Rules,
    zone: &'a Zone,
    /// Now, UTC.
    now: DateTime<Utc>,
    /// Today in `zone`.
    today: NaiveDate,
    /// The occurrences before now that are not upcoming, by scheduled time.
    past: Vec<&'a Mark>,
}

impl At<'_> {
    /// A nudge of this relationship; its streak key is the kind, the relationship and
    /// `anchor`.
    fn nudge(&self, kind: Kind, anchor: String, message: String, dates: Vec<NaiveDate>) -> Nudge {
        Nudge {
            relationship: self.input.key.to_string(),
            name: self.input.name.to_string(),
            kind,
            streak: StreakKey::new(kind, self.input.key, &anchor),
            message,
            dates,
            html: None,
        }
    }

    /// The local dates of `marks`, at the time `when` picks.
    fn dates(&self, marks: &[&Mark], when: fn(&Mark) -> DateTime<Utc>) -> Vec<NaiveDate> {
        marks
            .iter()
            .map(|m| self.zone.local(when(m)).date())
            .collect()
    }
}

/// Too many of the last past occurrences were moved.
fn moved_rule(at: &At) -> Option<Nudge> {
    let (window, first) = moved_streak(&at.past, at.rules)?;
    let moved: Vec<&Mark> = window
        .iter()
        .copied()
        .filter(|m| m.outcome == Outcome::Moved)
        .collect();
    let shown = at.dates(&moved, |m| m.scheduled);
    let message = format!(
        "Your 1:1 with {} was moved {} of the last {} times: {}.",
        at.input.name,
        moved.len(),
        window.len(),
        list(&shown, at.today)
    );
    Some(at.nudge(Kind::Moved, stamp(first), message, shown))
}

/// The last past occurrences were cancelled (or declined), enough of them in a row.
fn cancelled_rule(at: &At) -> Option<Nudge> {
    let run = cancelled_streak(&at.past, at.rules)?;
    let shown = at.dates(run, |m| m.scheduled);
    let what = if run.iter().all(|m| m.declined) {
        "declined"
    } else if run.iter().any(|m| m.declined) {
        "cancelled or declined"
    } else {
        "cancelled"
    };
    let message = format!(
        "Your 1:1 with {} was {what} {} times in a row: {}.",
        at.input.name,
        run.len(),
        list(&shown, at.today)
    );
    Some(at.nudge(Kind::Cancelled, stamp(run[0].scheduled), message, shown))
}

/// No 1:1 took place for too many planned intervals ([`overdue`], the report's rule too).
fn overdue_rule(at: &At) -> Option<Nudge> {
    let (input, today) = (at.input, at.today);
    let next = input
        .timeline
        .iter()
        .filter(|m| m.outcome != Outcome::Cancelled && m.start >= at.now)
        .map(|m| m.start)
        .min();
    let Overdue {
        since,
        ever_held: held,
        days,
    } = overdue(
        input.timeline,
        input.configured,
        at.rules.overdue_intervals,
        at.zone,
        at.now,
    )?;
    let day = at.zone.local(since).date();
    let planned = input
        .configured
        .interval_days()
        .map(|d| format!("every {} days", d.round()))
        .unwrap_or_default();
    let next = match next {
        Some(t) => format!(
            " The next one is on {}.",
            short(at.zone.local(t).date(), today)
        ),
        None => " None is planned.".to_string(),
    };
    let message = if held {
        format!(
            "No 1:1 with {} has taken place for {days} days, since {}; it is planned {planned}.{next}",
            input.name,
            short(day, today)
        )
    } else {
        format!(
            "No 1:1 with {} has taken place since the first one was planned on {} ({days} days ago); it is planned {planned}.{next}",
            input.name,
            short(day, today)
        )
    };
    Some(at.nudge(Kind::Overdue, stamp(since), message, vec![day]))
}

/// An action item has been carried open through too many meetings.
fn item_open_rule(at: &At, open: &OpenItem) -> Option<Nudge> {
    if at.rules.item_open_meetings == 0 || open.carried <= at.rules.item_open_meetings {
        return None;
    }
    let message = format!(
        "The action item \"{}\" from your 1:1s with {} has been open for {} meetings, since {}.",
        item_words(open),
        at.input.name,
        open.carried,
        short(open.first_raised, at.today)
    );
    Some(at.nudge(
        Kind::ItemOpen,
        format!("{}|{}", open.item.key(), open.first_raised),
        message,
        vec![open.first_raised],
    ))
}

/// An action item is past its due date by too many days.
fn item_overdue_rule(at: &At, open: &OpenItem) -> Option<Nudge> {
    let due = open.item.due?;
    let late = (at.today - due).num_days();
    if late <= at.rules.item_overdue_days {
        return None;
    }
    let message = format!(
        "The action item \"{}\" from your 1:1s with {} was due {}, {late} days ago.",
        item_words(open),
        at.input.name,
        short(due, at.today)
    );
    Some(at.nudge(
        Kind::ItemOverdue,
        format!("{}|{due}", open.item.key()),
        message,
        vec![due],
    ))
}

/// The last `n` past occurrences (fewer when fewer are known) ending at index `end`.
fn window_ending<'m, 'a>(past: &'m [&'a Mark], end: usize, n: usize) -> &'m [&'a Mark] {
    &past[(end + 1).saturating_sub(n)..=end]
}

fn moved_in(window: &[&Mark]) -> usize {
    window
        .iter()
        .filter(|m| m.outcome == Outcome::Moved)
        .count()
}

/// When the moved rule holds now: the current window, and the original slot of the first
/// moved occurrence of the window where the streak began. The streak is the run of
/// consecutive past occurrences at each of which the rule held; it begins where that run
/// begins, so it keeps its key while it lasts and gets a new one once the rule stopped
/// holding in between.
fn moved_streak<'m, 'a>(
    past: &'m [&'a Mark],
    rules: &Rules,
) -> Option<(&'m [&'a Mark], DateTime<Utc>)> {
    let (k, n) = (rules.moved_at_least, rules.moved_of_last);
    if k == 0 || n < k || past.len() < k {
        return None;
    }
    let holds = |end: usize| moved_in(window_ending(past, end, n)) >= k;
    let last = past.len() - 1;
    if !holds(last) {
        return None;
    }
    let mut start = last;
    while start > 0 && holds(start - 1) {
        start -= 1;
    }
    let first = window_ending(past, start, n)
        .iter()
        .find(|m| m.outcome == Outcome::Moved)?
        .scheduled;
    Some((window_ending(past, last, n), first))
}

/// The run of cancelled occurrences ending with the last past one, when it is long enough.
fn cancelled_streak<'m, 'a>(past: &'m [&'a Mark], rules: &Rules) -> Option<&'m [&'a Mark]> {
    let m = rules.cancelled_in_a_row;
    if m == 0 {
        return None;
    }
    let run = past
        .iter()
        .rev()
        .take_while(|x| x.outcome == Outcome::Cancelled)
        .count();
    (run >= m).then(|| &past[past.len() - run..])
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// "5 Nov", with the year when it is not this year's.
fn short(d: NaiveDate, today: NaiveDate) -> String {
    if d.year() == today.year() {
        d.format("%-d %b").to_string()
    } else {
        d.format("%-d %b %Y").to_string()
    }
}

fn list(dates: &[NaiveDate], today: NaiveDate) -> String {
    dates
        .iter()
        .map(|d| short(*d, today))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "Ann: send the hiring plan".
fn item_words(open: &OpenItem) -> String {
    match &open.item.owner {
        Some(owner) => format!("{owner}: {}", open.item.text),
        None => open.item.text.clone(),
    }
}
