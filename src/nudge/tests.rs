//! The rules on hand-made timelines, and delivery once per streak and around quiet hours.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::*;
use crate::agenda::items::ActionItem;
use crate::agenda::plan::OpenItem;
use crate::cadence::{Cadence, Mark, Outcome};

/// 9:00 UTC on a day of November 2026 (weekly on Thursdays from 5 Nov: 5, 12, 19, 26).
fn at(month: u32, day: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2026, month, day)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap()
        .and_utc()
}

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

/// A weekly timeline from `first`, one letter per occurrence: H held, M moved (a day
/// later), C cancelled, D declined (cancelled by a decline), U upcoming.
fn weekly(first: DateTime<Utc>, pattern: &str) -> Vec<Mark> {
    pattern
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let scheduled = first + Duration::weeks(i as i64);
            let (start, outcome) = match c {
                'H' => (scheduled, Outcome::Held),
                'M' => (scheduled + Duration::days(1), Outcome::Moved),
                'C' | 'D' => (scheduled, Outcome::Cancelled),
                'U' => (scheduled, Outcome::Upcoming),
                other => panic!("unknown mark {other}"),
            };
            Mark {
                scheduled,
                start,
                outcome,
                declined: c == 'D',
            }
        })
        .collect()
}

const ZONE: Zone = Zone::Named(chrono_tz::UTC);

fn run(timeline: &[Mark], items: &[OpenItem], now: DateTime<Utc>) -> Vec<Nudge> {
    run_with(timeline, items, now, &Rules::default())
}

fn run_with(
    timeline: &[Mark],
    items: &[OpenItem],
    now: DateTime<Utc>,
    rules: &Rules,
) -> Vec<Nudge> {
    let input = Input {
        key: "chloe@example.com",
        name: "Chloé",
        timeline,
        configured: Cadence::Weekly,
        open_items: items,
    };
    evaluate(&input, rules, &ZONE, now)
}

fn of(nudges: &[Nudge], kind: Kind) -> Vec<&Nudge> {
    nudges.iter().filter(|n| n.kind == kind).collect()
}

#[test]
fn moved_three_of_the_last_five() {
    // 22 Oct H, 29 Oct H, 5 Nov M, 12 Nov M, 19 Nov M, 26 Nov upcoming.
    let timeline = weekly(at(10, 22), "HHMMMU");
    let nudges = run(&timeline, &[], at(11, 25));
    let moved = of(&nudges, Kind::Moved);
    assert_eq!(moved.len(), 1, "{nudges:?}");
    assert_eq!(
        moved[0].message,
        "Your 1:1 with Chloé was moved 3 of the last 5 times: 5 Nov, 12 Nov, 19 Nov."
    );
    assert_eq!(
        moved[0].streak,
        "moved|chloe@example.com|2026-11-05T09:00:00Z"
    );
    assert_eq!(moved[0].dates, [date(11, 5), date(11, 12), date(11, 19)]);
    assert_eq!(moved[0].relationship, "chloe@example.com");
}

#[test]
fn moved_two_of_five_is_not_a_nudge() {
    let nudges = run(&weekly(at(10, 22), "HHMHMU"), &[], at(11, 25));
    assert!(of(&nudges, Kind::Moved).is_empty(), "{nudges:?}");
}

#[test]
fn moved_streak_keeps_its_key_while_it_lasts_and_a_new_one_gets_a_new_key() {
    let first = at(9, 3);
    // The streak starts when the third move lands (window H M M H M -> 3 of 5).
    let a = run(&weekly(first, "HMMHM"), &[], first + Duration::weeks(5));
    // Two more weeks, still 3 of the last 5 moved: the same streak.
    let b = run(&weekly(first, "HMMHMHM"), &[], first + Duration::weeks(7));
    let (a, b) = (of(&a, Kind::Moved), of(&b, Kind::Moved));
    assert_eq!(a.len(), 1);
    assert_eq!(b.len(), 1);
    assert_eq!(a[0].streak, b[0].streak);
    // The pattern breaks (HHHHH), then three moves again: a new streak, a new key.
    let c = run(
        &weekly(first, "HMMHMHMHHHHHMMM"),
        &[],
        first + Duration::weeks(15),
    );
    let c = of(&c, Kind::Moved);
    assert_eq!(c.len(), 1);
    assert_ne!(c[0].streak, a[0].streak);
    assert!(
        c[0].streak.as_str().ends_with("2026-11-26T09:00:00Z"),
        "{}",
        c[0].streak
    );
}

#[test]
fn moved_thresholds_are_configurable_and_zero_turns_the_rule_off() {
    let timeline = weekly(at(10, 22), "HHHMMU");
    assert!(of(&run(&timeline, &[], at(11, 25)), Kind::Moved).is_empty());
    let two_of_three = Rules {
        moved_at_least: 2,
        moved_of_last: 3,
        ..Rules::default()
    };
    let nudges = run_with(&timeline, &[], at(11, 25), &two_of_three);
    assert_eq!(
        of(&nudges, Kind::Moved)[0].message,
        "Your 1:1 with Chloé was moved 2 of the last 3 times: 12 Nov, 19 Nov."
    );
    let off = Rules {
        moved_at_least: 0,
        ..Rules::default()
    };
    let all_moved = weekly(at(10, 22), "MMMMMU");
    assert!(of(&run_with(&all_moved, &[], at(11, 25), &off), Kind::Moved).is_empty());
}

#[test]
fn cancelled_twice_in_a_row() {
    let nudges = run(&weekly(at(10, 29), "HHCCU"), &[], at(11, 25));
    let cancelled = of(&nudges, Kind::Cancelled);
    assert_eq!(cancelled.len(), 1, "{nudges:?}");
    assert_eq!(
        cancelled[0].message,
        "Your 1:1 with Chloé was cancelled 2 times in a row: 12 Nov, 19 Nov."
    );
    assert_eq!(
        cancelled[0].streak,
        "cancelled|chloe@example.com|2026-11-12T09:00:00Z"
    );
}

#[test]
fn declines_say_declined() {
    let nudges = run(&weekly(at(10, 29), "HHDDU"), &[], at(11, 25));
    let declined = of(&nudges, Kind::Cancelled);
    assert_eq!(
        declined[0].message,
        "Your 1:1 with Chloé was declined 2 times in a row: 12 Nov, 19 Nov."
    );
    let nudges = run(&weekly(at(10, 29), "HHCDU"), &[], at(11, 25));
    assert_eq!(
        of(&nudges, Kind::Cancelled)[0].message,
        "Your 1:1 with Chloé was cancelled or declined 2 times in a row: 12 Nov, 19 Nov."
    );
}

#[test]
fn cancelled_not_in_a_row_or_not_the_last_is_not_a_nudge() {
    // Cancelled twice but not in a row.
    assert!(
        of(
            &run(&weekly(at(10, 29), "HCHCU"), &[], at(11, 25)),
            Kind::Cancelled
        )
        .is_empty()
    );
    // Twice in a row, but a meeting took place since: that streak is over.
    assert!(
        of(
            &run(&weekly(at(10, 29), "CCHHU"), &[], at(11, 25)),
            Kind::Cancelled
        )
        .is_empty()
    );
}

#[test]
fn a_third_cancellation_is_the_same_streak() {
    let two = run(&weekly(at(11, 5), "HCC"), &[], at(11, 20));
    let three = run(&weekly(at(11, 5), "HCCC"), &[], at(11, 27));
    assert_eq!(
        of(&two, Kind::Cancelled)[0].streak,
        of(&three, Kind::Cancelled)[0].streak
    );
    assert!(
        of(&three, Kind::Cancelled)[0]
            .message
            .contains("3 times in a row")
    );
}

#[test]
fn no_meeting_for_more_than_twice_the_interval() {
    // Last held 5 Nov; weekly; 25 Nov is 20 days later (> 14).
    let timeline = weekly(at(11, 5), "HCCU");
    let nudges = run(&timeline, &[], at(11, 25));
    let overdue = of(&nudges, Kind::Overdue);
    assert_eq!(overdue.len(), 1, "{nudges:?}");
    assert_eq!(
        overdue[0].message,
        "No 1:1 with Chloé has taken place for 20 days, since 5 Nov; it is planned every 7 days. The next one is on 26 Nov."
    );
    assert_eq!(
        overdue[0].streak,
        "overdue|chloe@example.com|2026-11-05T09:00:00Z"
    );
    // 13 days after the last one: not yet.
    assert!(of(&run(&timeline, &[], at(11, 18)), Kind::Overdue).is_empty());
}

#[test]
fn overdue_intervals_is_configurable_and_needs_a_planned_interval() {
    let timeline = weekly(at(11, 5), "HCC");
    let three = Rules {
        overdue_intervals: 3.0,
        ..Rules::default()
    };
    assert!(of(&run_with(&timeline, &[], at(11, 25), &three), Kind::Overdue).is_empty());
    let nudges = run_with(&timeline, &[], at(11, 27), &three);
    assert!(
        of(&nudges, Kind::Overdue)[0]
            .message
            .ends_with("None is planned.")
    );
    // No planned interval (an irregular rule): no overdue nudge.
    let input = Input {
        key: "k",
        name: "X",
        timeline: &timeline,
        configured: Cadence::Other,
        open_items: &[],
    };
    let none = evaluate(&input, &Rules::default(), &ZONE, at(12, 25));
    assert!(of(&none, Kind::Overdue).is_empty());
}

#[test]
fn a_one_on_one_nobody_schedules_any_more_has_ended_and_is_not_overdue() {
    // Held until 5 Nov, then nothing at all: the series ended (someone left the team).
    let nudges = run(&weekly(at(10, 1), "HHHHHH"), &[], at(12, 10));
    assert!(of(&nudges, Kind::Overdue).is_empty(), "{nudges:?}");
    // Still being scheduled, but cancelled: overdue, with nothing planned next.
    let nudges = run(&weekly(at(10, 1), "HHHHHHCCC"), &[], at(12, 10));
    assert_eq!(of(&nudges, Kind::Overdue).len(), 1, "{nudges:?}");
}

#[test]
fn never_held_counts_from_the_first_planned() {
    let nudges = run(&weekly(at(11, 5), "CCCU"), &[], at(11, 25));
    let overdue = of(&nudges, Kind::Overdue);
    assert!(
        overdue[0]
            .message
            .contains("since the first one was planned on 5 Nov"),
        "{}",
        overdue[0].message
    );
}

#[test]
fn a_healthy_weekly_one_on_one_has_no_nudge() {
    assert!(run(&weekly(at(10, 1), "HHMHHHHCHU"), &[], at(12, 7)).is_empty());
}

fn item(text: &str, due: Option<NaiveDate>, carried: u32) -> OpenItem {
    OpenItem {
        item: ActionItem {
            text: text.into(),
            owner: Some("Ann".into()),
            due,
            done: false,
        },
        first_raised: date(10, 29),
        carried,
    }
}

#[test]
fn an_item_open_for_more_than_three_meetings() {
    let timeline = weekly(at(10, 29), "HHHHU");
    let items = [
        item("send the hiring plan", None, 4),
        item("book the offsite", None, 3),
    ];
    let nudges = run(&timeline, &items, at(11, 25));
    let open = of(&nudges, Kind::ItemOpen);
    assert_eq!(open.len(), 1, "{nudges:?}");
    assert_eq!(
        open[0].message,
        "The action item \"Ann: send the hiring plan\" from your 1:1s with Chloé has been open for 4 meetings, since 29 Oct."
    );
    assert_eq!(
        open[0].streak,
        "item-open|chloe@example.com|ann: send the hiring plan|2026-10-29"
    );
}

#[test]
fn an_item_past_its_due_date_by_more_than_a_week() {
    let timeline = weekly(at(10, 29), "HHHHU");
    let items = [
        item("send the hiring plan", Some(date(11, 16)), 1),
        item("book the offsite", Some(date(11, 18)), 1),
    ];
    let nudges = run(&timeline, &items, at(11, 25));
    let late = of(&nudges, Kind::ItemOverdue);
    assert_eq!(late.len(), 1, "{nudges:?}");
    assert_eq!(
        late[0].message,
        "The action item \"Ann: send the hiring plan\" from your 1:1s with Chloé was due 16 Nov, 9 days ago."
    );
    let strict = Rules {
        item_overdue_days: 0,
        item_open_meetings: 0,
        ..Rules::default()
    };
    let nudges = run_with(&timeline, &items, at(11, 25), &strict);
    assert_eq!(of(&nudges, Kind::ItemOverdue).len(), 2);
    assert!(of(&nudges, Kind::ItemOpen).is_empty());
}

#[test]
fn dates_are_shown_in_the_configured_zone() {
    // 23:30 UTC on 4 Nov is 5 Nov in Tokyo.
    let scheduled = NaiveDate::from_ymd_opt(2026, 11, 4)
        .unwrap()
        .and_hms_opt(23, 30, 0)
        .unwrap()
        .and_utc();
    let timeline: Vec<Mark> = (0..3)
        .map(|i| {
            let s = scheduled + Duration::weeks(i);
            Mark {
                scheduled: s,
                start: s + Duration::hours(2),
                outcome: Outcome::Moved,
                declined: false,
            }
        })
        .collect();
    let input = Input {
        key: "k",
        name: "Chloé",
        timeline: &timeline,
        configured: Cadence::Weekly,
        open_items: &[],
    };
    let tokyo = Zone::Named(chrono_tz::Asia::Tokyo);
    let nudges = evaluate(&input, &Rules::default(), &tokyo, at(11, 25));
    assert!(
        of(&nudges, Kind::Moved)[0]
            .message
            .ends_with("3 of the last 3 times: 5 Nov, 12 Nov, 19 Nov."),
        "{nudges:?}"
    );
}

// Delivery with the journal only (the other channels have their own tests in tests/).

fn nudge(streak: &str) -> Nudge {
    Nudge {
        relationship: "chloe@example.com".into(),
        name: "Chloé".into(),
        kind: Kind::Moved,
        message: "Your 1:1 with Chloé was moved 3 of the last 5 times.".into(),
        streak: streak.into(),
        dates: vec![],
        html: None,
    }
}

fn new_store() -> (tempfile::TempDir, crate::history::Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::state::StateFile::open(&dir.path().join("state.sqlite"))
        .unwrap()
        .into_history();
    (dir, store)
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn journal_only() -> Settings {
    Settings {
        zone: ZONE,
        ..Settings::default()
    }
}

#[test]
fn a_nudge_is_sent_once_not_every_cycle() {
    let (_dir, mut store) = new_store();
    let settings = journal_only();
    let nudges = [nudge("moved|a|1")];
    let first = block_on(deliver(&mut store, &nudges, &settings, at(11, 25))).unwrap();
    assert_eq!(
        first.sent,
        [("moved|a|1".to_string(), ChannelKind::Journal)]
    );
    let second = block_on(deliver(
        &mut store,
        &nudges,
        &settings,
        at(11, 25) + Duration::minutes(15),
    ))
    .unwrap();
    assert!(second.sent.is_empty(), "{second:?}");
    assert_eq!(second.already_sent, 1);
    // A new streak of the same kind is sent.
    let nudges = [nudge("moved|a|1"), nudge("moved|a|2")];
    let third = block_on(deliver(&mut store, &nudges, &settings, at(11, 26))).unwrap();
    assert_eq!(
        third.sent,
        [("moved|a|2".to_string(), ChannelKind::Journal)]
    );
    let sent = store.sent_nudges().unwrap();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].kind, "moved");
    assert_eq!(sent[0].sent_at, at(11, 25));
    // The state file remembers across restarts.
    let path = store.path().to_path_buf();
    drop(store);
    let mut reopened = crate::state::StateFile::open(&path).unwrap().into_history();
    let after = block_on(deliver(&mut reopened, &nudges, &settings, at(11, 27))).unwrap();
    assert!(after.sent.is_empty(), "{after:?}");
    assert_eq!(after.already_sent, 2);
}

#[test]
fn quiet_hours_hold_nudges_until_the_next_cycle_outside_them() {
    let (_dir, mut store) = new_store();
    let settings = journal_only();
    let nudges = [nudge("moved|a|1"), nudge("cancelled|a|1")];
    let late = NaiveDate::from_ymd_opt(2026, 11, 25)
        .unwrap()
        .and_hms_opt(23, 15, 0)
        .unwrap()
        .and_utc();
    let held = block_on(deliver(&mut store, &nudges, &settings, late)).unwrap();
    assert!(held.sent.is_empty());
    assert_eq!(held.held, 2);
    let early = late + Duration::hours(7);
    let still = block_on(deliver(&mut store, &nudges, &settings, early)).unwrap();
    assert_eq!(still.held, 2, "06:15 is still quiet");
    let morning = late + Duration::hours(8);
    let sent = block_on(deliver(&mut store, &nudges, &settings, morning)).unwrap();
    assert_eq!(sent.sent.len(), 2);
    assert_eq!(sent.held, 0);
    // Quiet hours are read in the configured zone: 23:15 UTC is 08:15 in Tokyo.
    let (_dir2, mut store2) = new_store();
    let tokyo = Settings {
        zone: Zone::Named(chrono_tz::Asia::Tokyo),
        ..Settings::default()
    };
    let sent = block_on(deliver(&mut store2, &nudges, &tokyo, late)).unwrap();
    assert_eq!(sent.sent.len(), 2);
    // No quiet hours at all.
    let (_dir3, mut store3) = new_store();
    let never = Settings {
        quiet_hours: None,
        ..journal_only()
    };
    assert_eq!(
        block_on(deliver(&mut store3, &nudges, &never, late))
            .unwrap()
            .sent
            .len(),
        2
    );
}

#[test]
fn disabled_sends_nothing() {
    let (_dir, mut store) = new_store();
    let settings = Settings {
        enabled: false,
        ..journal_only()
    };
    let report = block_on(deliver(&mut store, &[nudge("x")], &settings, at(11, 25))).unwrap();
    assert_eq!(report, DeliveryReport::default());
}

#[test]
fn desktop_without_a_session_bus_is_skipped_and_the_journal_still_sent() {
    let (dir, mut store) = new_store();
    let settings = Settings {
        channels: Channels {
            desktop: Some(DesktopChannel {
                bus: Some(format!("unix:path={}", dir.path().join("no-bus").display())),
            }),
            ..Channels::default()
        },
        ..journal_only()
    };
    let report = block_on(deliver(&mut store, &[nudge("x")], &settings, at(11, 25))).unwrap();
    assert_eq!(report.sent, [("x".to_string(), ChannelKind::Journal)]);
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].0, ChannelKind::Desktop);
    assert!(report.failed.is_empty());
    // Not recorded: tried again next cycle.
    assert!(!store.nudge_sent("x", "desktop").unwrap());
}
