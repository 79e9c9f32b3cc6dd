//! The suggestion rules, tried in this order (README.md, "Suggestions", says the same):
//!
//! 0. **declined**: every series of the relationship was declined as a whole by one of the
//!    two (`PARTSTAT=DECLINED` on its master): say the 1:1 is not happening.
//! 1. **new**: the relationship is younger than `young_days` and meets less than weekly:
//!    suggest weekly.
//! 2. **overdue**: the last meeting is longer ago than `overdue_intervals` planned
//!    intervals: say so (the cadence stays).
//! 3. too few past occurrences in the window: no suggestion, and say why.
//! 4. **slipping**: weekly, and at least `slip_ratio` of past occurrences were cancelled or
//!    moved: suggest biweekly.
//! 5. **adhoc**: less than weekly, with at least `adhoc_min` one-off 1:1s booked between:
//!    suggest weekly.
//! 6. **items**: less than weekly, with at least `items_pile` action items still open (known
//!    once the agenda planner has read the descriptions): suggest weekly.
//!
//! Otherwise no suggestion, and the reason says the 1:1 runs as planned.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{Analysis, Cadence, Outcome, Settings};
use crate::detect::Relationship;

/// A suggested change (or a warning that keeps the cadence), with the reason in plain
/// words and the dated evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// The cadence to move to (the current one for a warning).
    pub cadence: Cadence,
    /// Why, in plain words.
    pub reason: String,
    /// Which rule fired: `new`, `overdue`, `slipping`, `adhoc`.
    pub rule: &'static str,
    /// The dates that back it (`YYYY-MM-DD`).
    pub evidence: Vec<String>,
}

/// A date as people read it: "Mon 3 Nov".
pub fn day(d: NaiveDate) -> String {
    d.format("%a %-d %b").to_string()
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn cadence_words(c: Cadence) -> String {
    match c {
        Cadence::Weekly => "weekly".into(),
        Cadence::Biweekly => "every two weeks".into(),
        Cadence::EveryNWeeks(n) => format!("every {n} weeks"),
        Cadence::Monthly => "monthly".into(),
        Cadence::Other => "irregular".into(),
    }
}

/// What tete advises about a relationship's cadence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advice {
    /// A suggested change (or, for rule 2, a warning that keeps the cadence).
    Change(Suggestion),
    /// Keep the cadence, for this reason.
    Keep(Keep),
}

/// Why the rules suggest nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keep {
    /// An earlier rule decided: a new weekly 1:1 (rule 1), too few meetings to judge
    /// (rule 3). Rule 6 does not overrule it.
    Decided(String),
    /// No rule applied: rule 6 (open items, known later) may still suggest.
    AsPlanned(String),
}

impl Advice {
    /// The suggested change, when there is one.
    pub fn suggestion(&self) -> Option<&Suggestion> {
        match self {
            Advice::Change(s) => Some(s),
            Advice::Keep(_) => None,
        }
    }

    /// Why the cadence stays, when nothing is suggested.
    pub fn keep_reason(&self) -> Option<&str> {
        match self {
            Advice::Change(_) => None,
            Advice::Keep(Keep::Decided(why) | Keep::AsPlanned(why)) => Some(why),
        }
    }

    /// True when rules 1 to 5 found nothing to say, so rule 6 (open action items, known only
    /// after the agenda plan) may still suggest; false when one of them decided.
    pub fn open_items_may_decide(&self) -> bool {
        matches!(self, Advice::Keep(Keep::AsPlanned(_)))
    }
}

pub(super) fn suggest(
    rel: &Relationship,
    a: &Analysis,
    now: DateTime<Utc>,
    settings: &Settings,
) -> Advice {
    let first = rel.counterpart.first_name();
    if let Some(s) = declined_series(&first, rel, a) {
        return Advice::Change(s);
    }
    if let Some(advice) = new_relationship(&first, a, now, settings) {
        return advice;
    }
    if let Some(s) = overdue(&first, a, settings) {
        return Advice::Change(s);
    }
    let past: Vec<_> = a
        .timeline
        .iter()
        .filter(|m| m.counts(a.window_start, now))
        .collect();
    if past.len() < settings.min_occurrences {
        return Advice::Keep(Keep::Decided(format!(
            "only {} 1:1{} with {first} since {}: too few to judge the cadence",
            past.len(),
            if past.len() == 1 { "" } else { "s" },
            day(a.window_start.date_naive())
        )));
    }
    let slipped: Vec<_> = past
        .iter()
        .filter(|m| matches!(m.outcome, Outcome::Cancelled | Outcome::Moved))
        .collect();
    let ratio = slipped.len() as f64 / past.len() as f64;
    if a.configured == Cadence::Weekly && ratio >= settings.slip_ratio {
        return Advice::Change(Suggestion {
            cadence: Cadence::Biweekly,
            reason: format!(
                "{} of the last {} weekly 1:1s with {first} were cancelled ({}) or moved ({}). \
                 A slot every two weeks that holds may serve you both better than a weekly one \
                 that keeps slipping.",
                slipped.len(),
                past.len(),
                a.cancelled,
                a.moved
            ),
            rule: "slipping",
            evidence: slipped
                .iter()
                .map(|m| iso(m.scheduled.date_naive()))
                .collect(),
        });
    }
    if a.configured.is_rarer_than_weekly() && a.adhoc.len() >= settings.adhoc_min {
        return Advice::Change(Suggestion {
            cadence: Cadence::Weekly,
            reason: format!(
                "Besides your 1:1 {}, you booked {} extra one-off meetings with {first} \
                 ({}). A weekly 1:1 would give those conversations a regular home.",
                cadence_words(a.configured),
                a.adhoc.len(),
                a.adhoc
                    .iter()
                    .map(|t| day(t.date_naive()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            rule: "adhoc",
            evidence: a.adhoc.iter().map(|t| iso(t.date_naive())).collect(),
        });
    }
    Advice::Keep(Keep::AsPlanned(format!(
        "runs as planned: of {} past 1:1s, {} held in their slot, {} moved, {} cancelled",
        past.len(),
        a.held,
        a.moved,
        a.cancelled
    )))
}

/// Rule 0: every series of the relationship was declined as a whole by one of the two: the
/// 1:1 is not happening, whatever its calendar says.
fn declined_series(first: &str, rel: &Relationship, a: &Analysis) -> Option<Suggestion> {
    if rel.series.is_empty() || !rel.series.iter().all(|s| s.declined) {
        return None;
    }
    Some(Suggestion {
        cadence: a.configured,
        reason: format!(
            "The 1:1 series with {first} was declined as a whole: it is not happening, \
             although it is still in the calendar. Talk about it, then book one that holds \
             or remove it."
        ),
        rule: "declined",
        evidence: Vec::new(),
    })
}

fn new_relationship(
    first: &str,
    a: &Analysis,
    now: DateTime<Utc>,
    settings: &Settings,
) -> Option<Advice> {
    let since = a.since?;
    let age = (now - since).num_days();
    if age >= settings.young_days {
        return None;
    }
    if a.configured == Cadence::Weekly {
        return Some(Advice::Keep(Keep::Decided(format!(
            "a new 1:1 (since {}, {age} days) already weekly: keep it so for the first months",
            day(since.date_naive())
        ))));
    }
    Some(Advice::Change(Suggestion {
        cadence: Cadence::Weekly,
        reason: format!(
            "Your 1:1s with {first} started on {} ({age} days ago) and meet {}. In the first \
             three months a weekly 1:1 builds trust and context faster; widen the gap later.",
            day(since.date_naive()),
            cadence_words(a.configured)
        ),
        rule: "new",
        evidence: vec![iso(since.date_naive())],
    }))
}

fn overdue(first: &str, a: &Analysis, settings: &Settings) -> Option<Suggestion> {
    let overdue = a.overdue?;
    let since = settings.zone.local(overdue.since);
    let since_what = if overdue.ever_held {
        format!("was on {}", day(since.date()))
    } else {
        format!("has not happened since {}", day(since.date()))
    };
    Some(Suggestion {
        cadence: a.configured,
        reason: format!(
            "Your last 1:1 with {first} {since_what}, {} days ago: more than {} times the \
             {} interval. Book one soon, even a short one.",
            overdue.days,
            settings.overdue_intervals,
            cadence_words(a.configured)
        ),
        rule: "overdue",
        evidence: vec![iso(overdue.since.date_naive())],
    })
}

/// Rule 6, applied after the agenda planner found the open action items: a 1:1 rarer than
/// weekly with at least `items_pile` items still open should become weekly. Only when no
/// earlier rule made a suggestion or decided to keep the cadence (rules 1 and 3).
pub fn suggest_for_open_items(
    analysis: &mut Analysis,
    first_name: &str,
    open_raised: &[NaiveDate],
    settings: &Settings,
) {
    let a = analysis;
    if !a.advice.open_items_may_decide()
        || settings.items_pile == 0
        || !a.configured.is_rarer_than_weekly()
        || open_raised.len() < settings.items_pile
    {
        return;
    }
    let oldest = open_raised.iter().min();
    a.advice = Advice::Change(Suggestion {
        cadence: Cadence::Weekly,
        reason: format!(
            "{} action items from your 1:1s with {first_name} are still open{}. Meeting {} \
             leaves them waiting; a weekly 1:1 would keep them moving.",
            open_raised.len(),
            oldest
                .map(|d| format!(" (the oldest since {})", d.format("%a %-d %b")))
                .unwrap_or_default(),
            cadence_words(a.configured)
        ),
        rule: "items",
        evidence: open_raised.iter().map(NaiveDate::to_string).collect(),
    });
}
