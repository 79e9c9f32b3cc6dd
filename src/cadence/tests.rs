use std::sync::Arc;

use chrono::NaiveDate;

use super::*;
use crate::detect::{Counterpart, SeriesRef};
use crate::history::Cancellation;

fn at(month: u32, day: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2026, month, day)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap()
        .and_utc()
}

/// The defaults, but a relationship is "new" for 60 days: the test data starts in January.
fn settings() -> Settings {
    Settings {
        young_days: 60,
        ..Settings::default()
    }
}

fn rule(freq: &str, interval: u16) -> Option<RuleShape> {
    Some(RuleShape {
        freq: RuleFrequency::from_name(freq).unwrap(),
        interval,
        weekdays: usize::from(freq == "WEEKLY"),
    })
}

fn rel(series: &[(&str, Option<RuleShape>)]) -> Relationship {
    Relationship {
        counterpart: Counterpart {
            email: Some("ann@example.com".into()),
            name: Some("Ann Berger".into()),
        },
        series: series
            .iter()
            .map(|(uid, rule)| SeriesRef {
                uid: Arc::from(*uid),
                summary: None,
                rule: rule.clone(),
                reason: String::new(),
                declined: false,
            })
            .collect(),
        adhoc: Vec::new(),
    }
}

fn occ(
    uid: &str,
    scheduled: DateTime<Utc>,
    start: DateTime<Utc>,
    cancelled: bool,
) -> StoredOccurrence {
    StoredOccurrence {
        series_uid: uid.into(),
        recurrence_id: scheduled.naive_utc().to_string(),
        scheduled,
        start,
        end: start + Duration::minutes(30),
        cancelled: cancelled.then_some(Cancellation::Status),
        times_moved: 0,
        first_seen: scheduled,
        last_seen: scheduled,
    }
}

/// Weekly on Mondays from 5 Jan 2026 to 30 Mar (13 meetings): 2 Feb cancelled,
/// 16 Feb moved a day, 2 and 9 Mar cancelled.
fn weekly_q1() -> Vec<StoredOccurrence> {
    (0..13)
        .map(|w| {
            let t = at(1, 5) + Duration::weeks(w);
            match w {
                4 | 8 | 9 => occ("w", t, t, true),
                6 => occ("w", t, t + Duration::days(1), false),
                _ => occ("w", t, t, false),
            }
        })
        .collect()
}

#[test]
fn counts_gaps_and_cadence_by_hand() {
    let r = rel(&[("w", rule("WEEKLY", 1))]);
    let now = at(3, 25); // Wednesday after the 23 Mar meeting; 30 Mar is upcoming
    let a = analyse(&r, &weekly_q1(), &[], now, Some(at(1, 1)), &settings());
    assert_eq!(a.configured, Cadence::Weekly);
    assert_eq!((a.held, a.moved, a.cancelled), (8, 1, 3));
    // held on 5,12,19,26 Jan, 9 Feb, 17 Feb (moved), 23 Feb, 16 Mar, 23 Mar:
    // gaps 7,7,7,14,8,6,21,7 -> median 7
    assert_eq!(a.median_gap_days, Some(7.0));
    assert_eq!(a.actual, Some(Cadence::Weekly));
    let (longest, from, to) = a.longest_gap.unwrap();
    assert_eq!((longest, from, to), (21.0, at(2, 23), at(3, 16)));
    assert_eq!(a.last_held, Some(at(3, 23)));
    assert_eq!(a.next, Some(at(3, 30)));
    // 9 of the 12 planned took place, 30 minutes each; the upcoming one does not count.
    assert_eq!(a.attendance(), Some(0.75));
    assert_eq!(a.hours_together, 4.5);
    // 4 of 12 past slipped: 33% < 45%, so no suggestion
    assert!(a.advice.suggestion().is_none());
    assert!(a.advice.keep_reason().unwrap().contains("runs as planned"));
}

#[test]
fn a_weekly_that_keeps_slipping_should_be_biweekly() {
    let r = rel(&[("w", rule("WEEKLY", 1))]);
    let mut occurrences = weekly_q1();
    occurrences[1].cancelled = Some(Cancellation::Exdate);
    occurrences[2].start += Duration::hours(3);
    let a = analyse(
        &r,
        &occurrences,
        &[],
        at(3, 25),
        Some(at(1, 1)),
        &settings(),
    );
    let s = a.advice.suggestion().unwrap();
    assert_eq!((s.cadence, s.rule), (Cadence::Biweekly, "slipping"));
    assert!(
        s.reason
            .starts_with("6 of the last 12 weekly 1:1s with Ann were cancelled (4) or moved (2)"),
        "{}",
        s.reason
    );
    assert_eq!(s.evidence.len(), 6);
}

#[test]
fn one_off_meetings_between_biweekly_1on1s_suggest_weekly() {
    let r = rel(&[("b", rule("WEEKLY", 2))]);
    let occurrences: Vec<_> = (0..6)
        .map(|i| {
            let t = at(1, 5) + Duration::weeks(2 * i);
            occ("b", t, t, false)
        })
        .collect();
    let adhoc = [at(1, 22), at(2, 12), at(3, 20)];
    let a = analyse(
        &r,
        &occurrences,
        &adhoc,
        at(3, 25),
        Some(at(1, 1)),
        &settings(),
    );
    assert_eq!(a.configured, Cadence::Biweekly);
    assert_eq!(a.median_gap_days, Some(14.0));
    let s = a.advice.suggestion().unwrap();
    assert_eq!((s.cadence, s.rule), (Cadence::Weekly, "adhoc"));
    assert_eq!(s.evidence, ["2026-01-22", "2026-02-12", "2026-03-20"]);
}

#[test]
fn a_new_relationship_should_meet_weekly_and_a_cadence_change_is_kept_in_order() {
    let r = rel(&[
        ("new-biweekly", rule("WEEKLY", 2)),
        ("old-weekly", rule("WEEKLY", 1)),
    ]);
    let occurrences = vec![
        occ("old-weekly", at(3, 2), at(3, 2), false),
        occ("old-weekly", at(3, 9), at(3, 9), false),
        occ("new-biweekly", at(3, 23), at(3, 23), false),
        occ("new-biweekly", at(4, 6), at(4, 6), false),
    ];
    let a = analyse(&r, &occurrences, &[], at(3, 25), None, &settings());
    let order: Vec<_> = a
        .series
        .iter()
        .map(|s| (s.uid.as_str(), s.cadence))
        .collect();
    assert_eq!(
        order,
        [
            ("old-weekly", Cadence::Weekly),
            ("new-biweekly", Cadence::Biweekly)
        ]
    );
    assert_eq!(a.configured, Cadence::Biweekly);
    let s = a.advice.suggestion().unwrap();
    assert_eq!((s.cadence, s.rule), (Cadence::Weekly, "new"));
}

#[test]
fn long_silence_is_said_and_thin_evidence_gives_no_suggestion() {
    let r = rel(&[("w", rule("WEEKLY", 1))]);
    let old: Vec<_> = (0..13)
        .map(|w| {
            let t = at(1, 5) + Duration::weeks(w);
            occ("w", t, t, w >= 6)
        })
        .collect();
    let a = analyse(&r, &old, &[], at(3, 25), Some(at(1, 1)), &settings());
    let s = a.advice.suggestion().unwrap();
    assert_eq!(s.rule, "overdue");
    assert!(s.reason.contains("was on Mon 9 Feb"), "{}", s.reason);

    let few: Vec<_> = old
        .into_iter()
        .skip(10)
        .map(|mut o| {
            o.cancelled = None;
            o
        })
        .collect();
    let young_settings = Settings {
        young_days: 0,
        ..settings()
    };
    let a = analyse(&r, &few, &[], at(3, 25), Some(at(1, 1)), &young_settings);
    assert!(a.advice.suggestion().is_none());
    assert!(a.advice.keep_reason().unwrap().contains("too few"));
}

#[test]
fn the_report_and_the_nudges_share_one_overdue_rule() {
    let r = rel(&[("w", rule("WEEKLY", 1))]);
    let nudge_says = |occurrences: &[StoredOccurrence], now: DateTime<Utc>| {
        let timeline: Vec<_> = occurrences.iter().map(|o| Mark::of(o, now)).collect();
        let input = crate::nudge::Input {
            key: "ann@example.com",
            name: "Ann",
            timeline: &timeline,
            configured: Cadence::Weekly,
            open_items: &[],
        };
        let rules = crate::nudge::Rules::default();
        crate::nudge::evaluate(&input, &rules, &settings().zone, now)
            .iter()
            .any(|n| n.kind == crate::nudge::Kind::Overdue)
    };
    // Held weekly in January, then nothing scheduled at all: the 1:1 ended (someone left).
    // The nudge never called that overdue; the report now agrees.
    let ended: Vec<_> = (0..5)
        .map(|w| {
            let t = at(1, 5) + Duration::weeks(w);
            occ("w", t, t, false)
        })
        .collect();
    let a = analyse(&r, &ended, &[], at(3, 25), Some(at(1, 1)), &settings());
    assert_eq!(a.overdue, None);
    assert!(!nudge_says(&ended, at(3, 25)));
    assert_ne!(a.advice.suggestion().map(|s| s.rule), Some("overdue"));
    // Last held long before the window, still scheduled and cancelled since: both count
    // from the last one held (the report used to count from the window's first slot).
    let mut cancelled_since: Vec<_> = (0..30)
        .map(|w| {
            let t = at(1, 5) + Duration::weeks(w);
            occ("w", t, t, w >= 2)
        })
        .collect();
    cancelled_since.retain(|o| o.scheduled < at(7, 1));
    let now = at(6, 29);
    let short_window = Settings {
        window_weeks: 8,
        ..settings()
    };
    let a = analyse(&r, &cancelled_since, &[], now, None, &short_window);
    let overdue = a.overdue.unwrap();
    assert_eq!((overdue.since, overdue.ever_held), (at(1, 12), true));
    assert!(nudge_says(&cancelled_since, now));
    let s = a.advice.suggestion().unwrap();
    assert!(s.reason.contains("was on Mon 12 Jan"), "{}", s.reason);
}

#[test]
fn rule_shapes_name_the_cadence() {
    assert_eq!(
        Cadence::of_rule(rule("WEEKLY", 1).as_ref()).to_string(),
        "weekly"
    );
    assert_eq!(
        Cadence::of_rule(rule("WEEKLY", 2).as_ref()).to_string(),
        "biweekly"
    );
    assert_eq!(
        Cadence::of_rule(rule("WEEKLY", 3).as_ref()).to_string(),
        "every-3-weeks"
    );
    assert_eq!(
        Cadence::of_rule(rule("MONTHLY", 1).as_ref()).to_string(),
        "monthly"
    );
    assert_eq!(
        Cadence::of_rule(rule("DAILY", 14).as_ref()).to_string(),
        "biweekly"
    );
    assert_eq!(
        Cadence::of_rule(rule("MONTHLY", 2).as_ref()).to_string(),
        "other"
    );
    assert_eq!(Cadence::of_rule(None).to_string(), "other");
}

#[test]
fn only_occurrences_whose_slot_is_in_the_window_and_past_are_counted() {
    let r = rel(&[("w", rule("WEEKLY", 1))]);
    let mut occurrences = weekly_q1();
    // 30 Mar (upcoming) already cancelled: not a past cancellation.
    occurrences[12].cancelled = Some(Cancellation::Exdate);
    // A meeting from the week before the window (29 Dec) moved into it (2 Jan).
    occurrences.insert(
        0,
        occ("w", at(12, 29) - Duration::days(365), at(1, 2), false),
    );
    // Next week's (6 Apr) pulled forward into the past (24 Mar).
    occurrences.push(occ("w", at(4, 6), at(3, 24), false));
    let a = analyse(
        &r,
        &occurrences,
        &[],
        at(3, 25),
        Some(at(1, 1)),
        &settings(),
    );
    // As in counts_gaps_and_cadence_by_hand: the three additions do not count.
    assert_eq!((a.held, a.moved, a.cancelled), (8, 1, 3));
    assert!(
        a.advice.keep_reason().unwrap().contains("of 12 past 1:1s"),
        "{:?}",
        a.advice
    );
    // They are still on the timeline, and the pulled-forward one did take place.
    assert_eq!(a.timeline.len(), 15);
    assert_eq!(a.last_held, Some(at(3, 24)));
}

#[test]
fn open_items_piling_up_in_a_biweekly_1on1_suggest_weekly() {
    use crate::agenda::items::ActionItem;
    use crate::agenda::plan::OpenItem;
    let r = rel(&[("b", rule("WEEKLY", 2))]);
    let occurrences: Vec<_> = (0..6)
        .map(|i| {
            let t = at(1, 5) + Duration::weeks(2 * i);
            occ("b", t, t, false)
        })
        .collect();
    let analysis = analyse(
        &r,
        &occurrences,
        &[],
        at(3, 25),
        Some(at(1, 1)),
        &settings(),
    );
    assert!(analysis.advice.suggestion().is_none());
    let mut analysis = analysis;
    let item = |n: u32| OpenItem {
        item: ActionItem {
            text: format!("item {n}"),
            owner: None,
            due: None,
            done: false,
        },
        first_raised: at(2, n).date_naive(),
        carried: 2,
    };
    let three: Vec<_> = (1..4).map(item).collect();
    let raised: Vec<_> = three.iter().map(|o| o.first_raised).collect();
    crate::cadence::suggest_for_open_items(&mut analysis, "Ann", &raised, &settings());
    assert!(
        analysis.advice.suggestion().is_none(),
        "3 open items are not a pile"
    );
    let four: Vec<_> = (1..5).map(item).collect();
    let raised: Vec<_> = four.iter().map(|o| o.first_raised).collect();
    crate::cadence::suggest_for_open_items(&mut analysis, "Ann", &raised, &settings());
    let s = analysis.advice.suggestion().unwrap();
    assert_eq!((s.cadence, s.rule), (Cadence::Weekly, "items"));
    assert!(
        s.reason.starts_with(
            "4 action items from your 1:1s with Ann are still open (the oldest since Sun 1 Feb)"
        ),
        "{}",
        s.reason
    );
    assert!(analysis.advice.keep_reason().is_none());
}

#[test]
fn open_items_do_not_overrule_too_few_meetings() {
    use crate::agenda::items::ActionItem;
    use crate::agenda::plan::OpenItem;
    // Two biweekly meetings: fewer than min_occurrences (rule 3 decides), however many
    // items are open (rule 6 comes later in the README's order).
    let r = rel(&[("b", rule("WEEKLY", 2))]);
    // An old relationship (not "new", rule 1), met every two weeks, with two meetings in
    // the window.
    let occurrences: Vec<_> = (0..22)
        .map(|i| at(3, 19) - Duration::weeks(2 * i))
        .filter(|t| *t < at(1, 1) - Duration::weeks(8) || *t >= at(3, 5))
        .map(|t| occ("b", t, t, false))
        .collect();
    let analysis = analyse(
        &r,
        &occurrences,
        &[],
        at(3, 25),
        Some(at(1, 1)),
        &settings(),
    );
    assert!(
        analysis.advice.suggestion().is_none(),
        "{:?}",
        analysis.advice.suggestion()
    );
    assert!(
        !analysis.advice.open_items_may_decide(),
        "{:?}",
        analysis.advice.keep_reason()
    );
    let mut analysis = analysis;
    let five: Vec<_> = (1..6)
        .map(|n| OpenItem {
            item: ActionItem {
                text: format!("item {n}"),
                owner: None,
                due: None,
                done: false,
            },
            first_raised: at(3, n).date_naive(),
            carried: 1,
        })
        .collect();
    let raised: Vec<_> = five.iter().map(|o| o.first_raised).collect();
    crate::cadence::suggest_for_open_items(&mut analysis, "Ann", &raised, &settings());
    assert!(analysis.advice.suggestion().is_none());
    assert!(
        analysis
            .advice
            .keep_reason()
            .is_some_and(|why| why.contains("too few to judge")),
        "{:?}",
        analysis.advice.keep_reason()
    );
}
