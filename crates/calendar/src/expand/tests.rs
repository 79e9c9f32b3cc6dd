use super::*;

fn window(a: &str, b: &str) -> Window {
    let p = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").unwrap();
    Window {
        start: p(a),
        end: p(b),
    }
}

fn expand(text: &str, a: &str, b: &str) -> Vec<String> {
    let mut c = Collector::new();
    c.read(text.as_bytes(), "t.ics").unwrap();
    c.expand(window(a, b))
        .occurrences
        .iter()
        .map(|o| {
            format!(
                "{} {} {}",
                o.start,
                o.end,
                o.status.as_ref().map_or("-", EventStatus::as_str)
            )
        })
        .collect()
}

const WEEKLY: &str = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:w\nDTSTART;TZID=Europe/Berlin:20260316T100000\n\
    DTEND;TZID=Europe/Berlin:20260316T103000\nRRULE:FREQ=WEEKLY;COUNT=4\nEXDATE:20260323T090000Z\nEND:VEVENT\n\
    BEGIN:VEVENT\nUID:w\nRECURRENCE-ID;TZID=Europe/Berlin:20260330T100000\nDTSTART;TZID=Europe/Berlin:20260331T120000\n\
    DTEND;TZID=Europe/Berlin:20260331T130000\nSTATUS:cancelled\nSEQUENCE:2\nEND:VEVENT\nEND:VCALENDAR\n";

#[test]
fn weekly_across_dst_with_exdate_and_override() {
    assert_eq!(
        expand(WEEKLY, "2026-01-01T00:00:00", "2027-01-01T00:00:00"),
        vec![
            "2026-03-16T09:00:00Z 2026-03-16T09:30:00Z -",
            "2026-03-31T10:00:00Z 2026-03-31T11:00:00Z CANCELLED",
            "2026-04-06T08:00:00Z 2026-04-06T08:30:00Z -",
        ]
    );
}

#[test]
fn window_edges() {
    let text = "BEGIN:VEVENT\nUID:a\nDTSTART:20260101T100000Z\nDTEND:20260101T110000Z\nEND:VEVENT\n\
                BEGIN:VEVENT\nUID:z\nDTSTART:20260101T110000Z\nEND:VEVENT\n";
    assert_eq!(
        expand(text, "2026-01-01T11:00:00", "2026-01-02T00:00:00"),
        vec!["2026-01-01T11:00:00Z 2026-01-01T11:00:00Z -"]
    );
    assert_eq!(
        expand(text, "2026-01-01T10:59:59", "2026-01-01T11:00:00").len(),
        1
    );
}

#[test]
fn broken_event_does_not_stop_others() {
    let text = "BEGIN:VEVENT\nUID:bad\nDTSTART:garbage\nEND:VEVENT\nBEGIN:VEVENT\nUID:ok\nDTSTART;VALUE=DATE:20260101\nEND:VEVENT\n";
    let mut c = Collector::new();
    c.read(text.as_bytes(), "t.ics").unwrap();
    let w = c.take_warnings();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].uid.as_deref(), Some("bad"));
    let occ = c
        .expand(window("2026-01-01T00:00:00", "2026-01-02T00:00:00"))
        .occurrences;
    assert_eq!(occ.len(), 1);
    assert_eq!(
        occ[0].end,
        Moment::Date(NaiveDate::from_ymd_opt(2026, 1, 2).unwrap())
    );
}

/// `start summary` of each occurrence, to tell events apart.
fn summaries(text: &str, a: &str, b: &str) -> Vec<String> {
    let mut c = Collector::new();
    c.read(text.as_bytes(), "t.ics").unwrap();
    c.expand(window(a, b))
        .occurrences
        .iter()
        .map(|o| format!("{} {}", o.start, o.summary.as_deref().unwrap_or("-")))
        .collect()
}

#[test]
fn same_uid_without_recurrence_id_keeps_the_highest_sequence_then_the_first() {
    let text = "BEGIN:VEVENT\nUID:d\nSEQUENCE:1\nDTSTART:20260101T090000Z\nSUMMARY:first\nEND:VEVENT\n\
                BEGIN:VEVENT\nUID:d\nSEQUENCE:1\nDTSTART:20260102T090000Z\nSUMMARY:tie\nEND:VEVENT\n\
                BEGIN:VEVENT\nUID:d\nDTSTART:20260103T090000Z\nSUMMARY:older\nEND:VEVENT\n";
    assert_eq!(
        summaries(text, "2026-01-01T00:00:00", "2026-02-01T00:00:00"),
        vec!["2026-01-01T09:00:00Z first"]
    );
}

#[test]
fn events_without_uid_never_replace_each_other() {
    let text = "BEGIN:VEVENT\nDTSTART:20260101T090000Z\nSUMMARY:a\nEND:VEVENT\n\
                BEGIN:VEVENT\nSEQUENCE:3\nDTSTART:20260102T090000Z\nSUMMARY:b\nEND:VEVENT\n";
    assert_eq!(
        summaries(text, "2026-01-01T00:00:00", "2026-02-01T00:00:00"),
        vec!["2026-01-01T09:00:00Z a", "2026-01-02T09:00:00Z b"]
    );
}

#[test]
fn override_tie_keeps_the_first_in_the_file() {
    let text = "BEGIN:VEVENT\nUID:o\nDTSTART:20260105T090000Z\nRRULE:FREQ=DAILY;COUNT=2\nSUMMARY:m\nEND:VEVENT\n\
                BEGIN:VEVENT\nUID:o\nRECURRENCE-ID:20260106T090000Z\nDTSTART:20260106T100000Z\nSUMMARY:first\nEND:VEVENT\n\
                BEGIN:VEVENT\nUID:o\nRECURRENCE-ID:20260106T090000Z\nDTSTART:20260106T110000Z\nSUMMARY:second\nEND:VEVENT\n";
    assert_eq!(
        summaries(text, "2026-01-01T00:00:00", "2026-02-01T00:00:00"),
        vec!["2026-01-05T09:00:00Z m", "2026-01-06T10:00:00Z first"]
    );
}

#[test]
fn a_date_exdate_also_removes_the_override_of_that_day() {
    // 00:30 Berlin on 2 Jan is 1 Jan 23:30Z: the local day is what a DATE EXDATE names.
    let text = "BEGIN:VEVENT\nUID:x\nDTSTART;TZID=Europe/Berlin:20260101T003000\nRRULE:FREQ=DAILY;COUNT=3\n\
                EXDATE;VALUE=DATE:20260102\nSUMMARY:m\nEND:VEVENT\n\
                BEGIN:VEVENT\nUID:x\nRECURRENCE-ID:20260101T233000Z\nDTSTART:20260102T120000Z\nSUMMARY:moved\nEND:VEVENT\n";
    assert_eq!(
        summaries(text, "2025-12-01T00:00:00", "2026-02-01T00:00:00"),
        vec!["2025-12-31T23:30:00Z m", "2026-01-02T23:30:00Z m"]
    );
}

#[test]
fn dtend_length_is_exact_across_a_dst_change() {
    // 22:00-06:00 Berlin: 8 h also on the night the clocks go forward (28/29 March 2026).
    let text = "BEGIN:VEVENT\nUID:n\nDTSTART;TZID=Europe/Berlin:20260327T220000\n\
                DTEND;TZID=Europe/Berlin:20260328T060000\nRRULE:FREQ=DAILY;COUNT=2\nEND:VEVENT\n";
    assert_eq!(
        expand(text, "2026-03-27T00:00:00", "2026-04-01T00:00:00"),
        vec![
            "2026-03-27T21:00:00Z 2026-03-28T05:00:00Z -",
            "2026-03-28T21:00:00Z 2026-03-29T05:00:00Z -",
        ]
    );
}

#[test]
fn x_wr_timezone_applies_even_when_written_after_the_events() {
    let text = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:f\nDTSTART:20260105T090000\nEND:VEVENT\n\
                X-WR-TIMEZONE:Europe/Berlin\nEND:VCALENDAR\n";
    assert_eq!(
        expand(text, "2026-01-01T00:00:00", "2026-02-01T00:00:00"),
        vec!["2026-01-05T08:00:00Z 2026-01-05T08:00:00Z -"]
    );
}

#[test]
fn a_single_utc_event_keeps_its_instant_under_x_wr_timezone() {
    // 06:30Z on 1 Nov 2026 is the second 01:30 in New York; read back on the wall clock it
    // would become the first (05:30Z). Only recurring series move to the wall clock.
    let text = "BEGIN:VCALENDAR\nX-WR-TIMEZONE:America/New_York\nBEGIN:VEVENT\nUID:s\n\
                DTSTART:20261101T063000Z\nEND:VEVENT\nEND:VCALENDAR\n";
    assert_eq!(
        expand(text, "2026-11-01T00:00:00", "2026-11-02T00:00:00"),
        vec!["2026-11-01T06:30:00Z 2026-11-01T06:30:00Z -"]
    );
}

#[test]
fn an_undefined_tzid_is_floating_or_the_calendars_x_wr_timezone() {
    let event = "BEGIN:VEVENT\nUID:u\nDTSTART;TZID=Mars/Olympus_Mons:20260105T090000\nEND:VEVENT\n";
    let read = |header: &str| {
        let text = format!("BEGIN:VCALENDAR\n{header}{event}END:VCALENDAR\n");
        let mut c = Collector::new();
        c.read(text.as_bytes(), "t.ics").unwrap();
        let expansion = c.expand(window("2026-01-01T00:00:00", "2026-02-01T00:00:00"));
        let start = expansion.occurrences[0].start.to_string();
        (start, expansion.warnings[0].message.clone())
    };
    let (start, warning) = read("");
    assert_eq!(start, "2026-01-05T09:00:00");
    assert!(warning.ends_with("its times are read as floating times (no zone)"));
    let (start, warning) = read("X-WR-TIMEZONE:Europe/Berlin\n");
    assert_eq!(start, "2026-01-05T08:00:00Z");
    assert!(warning.ends_with("in the calendar's X-WR-TIMEZONE Europe/Berlin"));
}

/// Iteration starts near the window, yet an override of an occurrence long before it still
/// replaces that occurrence (here moved into the window), and a long occurrence that starts
/// before the window still overlaps it.
#[test]
fn skipping_to_the_window_keeps_what_overrides_and_long_events_need() {
    let text = "BEGIN:VEVENT\nUID:m\nDTSTART:20000101T000000Z\nDURATION:PT90M\nRRULE:FREQ=MINUTELY;INTERVAL=60\nEND:VEVENT\n\
                BEGIN:VEVENT\nUID:m\nRECURRENCE-ID:20000105T030000Z\nDTSTART:20490601T101500Z\nDURATION:PT1M\nEND:VEVENT\n";
    assert_eq!(
        expand(text, "2049-06-01T10:00:00", "2049-06-01T10:30:00"),
        vec![
            "2049-06-01T09:00:00Z 2049-06-01T10:30:00Z -",
            "2049-06-01T10:00:00Z 2049-06-01T11:30:00Z -",
            "2049-06-01T10:15:00Z 2049-06-01T10:16:00Z -",
        ]
    );
    // In its original place only the occurrence before it, still running, is left.
    assert_eq!(
        expand(text, "2000-01-05T03:00:00", "2000-01-05T03:01:00"),
        vec!["2000-01-05T02:00:00Z 2000-01-05T03:30:00Z -"]
    );
}

#[test]
fn an_all_day_series_override_named_at_local_midnight_replaces_that_day() {
    // Exchange: 16 April 00:00 in London (summer time) is 15 April 23:00Z, yet it names the
    // 16th. A date-time id at another time names the day it is written on, too.
    let text = "BEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20200414\nRRULE:FREQ=DAILY;COUNT=4\nSUMMARY:m\nEND:VEVENT\n\
                BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=GMT Standard Time:20200416T000000\n\
                DTSTART;VALUE=DATE:20200420\nSUMMARY:moved\nEND:VEVENT\n\
                BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=Europe/Berlin:20200417T090000\n\
                DTSTART;VALUE=DATE:20200421\nSUMMARY:moved too\nEND:VEVENT\n";
    assert_eq!(
        summaries(text, "2020-04-01T00:00:00", "2020-05-01T00:00:00"),
        vec![
            "2020-04-14 m",
            "2020-04-15 m",
            "2020-04-20 moved",
            "2020-04-21 moved too"
        ]
    );
}

#[test]
fn a_date_id_on_a_timed_series_replaces_only_the_first_occurrence_of_its_day() {
    let text = "BEGIN:VEVENT\nUID:h\nDTSTART:20260105T090000Z\nRRULE:FREQ=HOURLY;COUNT=3\nSUMMARY:m\nEND:VEVENT\n\
                BEGIN:VEVENT\nUID:h\nRECURRENCE-ID;VALUE=DATE:20260105\nDTSTART:20260105T150000Z\nSUMMARY:moved\nEND:VEVENT\n";
    assert_eq!(
        summaries(text, "2026-01-01T00:00:00", "2026-02-01T00:00:00"),
        vec![
            "2026-01-05T10:00:00Z m",
            "2026-01-05T11:00:00Z m",
            "2026-01-05T15:00:00Z moved"
        ]
    );
}

#[test]
fn several_rrules_are_one_set_and_dtstart_counts_once() {
    // Thursday 12 Jan; the second rule's COUNT=2 are its own two Mondays.
    let text = "BEGIN:VEVENT\nUID:r\nDTSTART:20230112T100000Z\nRRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=2\n\
                RRULE:FREQ=MONTHLY;BYDAY=2MO;COUNT=2\nSUMMARY:m\nEND:VEVENT\n";
    assert_eq!(
        expand(text, "2023-01-01T00:00:00", "2024-01-01T00:00:00"),
        vec![
            "2023-01-12T10:00:00Z 2023-01-12T10:00:00Z -",
            "2023-01-19T10:00:00Z 2023-01-19T10:00:00Z -",
            "2023-02-13T10:00:00Z 2023-02-13T10:00:00Z -",
            "2023-03-13T10:00:00Z 2023-03-13T10:00:00Z -",
        ]
    );
}

#[test]
fn dtend_before_dtstart_is_swapped_with_a_warning() {
    let text = "BEGIN:VEVENT\nUID:s\nDTSTART;TZID=Europe/Paris:20231218T234500\n\
                DTEND;TZID=Europe/Paris:20231218T233000\nRRULE:FREQ=DAILY;COUNT=2\nEND:VEVENT\n\
                BEGIN:VEVENT\nUID:t\nDTSTART:20231219T120000Z\nDTEND;VALUE=DATE:20231219\nEND:VEVENT\n";
    let mut c = Collector::new();
    c.read(text.as_bytes(), "t.ics").unwrap();
    let warnings = c.take_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].message.contains("DTEND is before DTSTART"));
    assert_eq!(
        expand(text, "2023-12-01T00:00:00", "2024-01-01T00:00:00"),
        vec![
            "2023-12-18T22:30:00Z 2023-12-18T22:45:00Z -",
            "2023-12-19T12:00:00Z 2023-12-19T12:00:00Z -",
            "2023-12-19T22:30:00Z 2023-12-19T22:45:00Z -",
        ],
        "a DATE end on a timed start is another mistake and is not swapped"
    );
}

#[test]
fn a_stale_override_adds_nothing_but_a_moved_or_extra_one_stays() {
    let text = "BEGIN:VEVENT\nUID:s\nSEQUENCE:2\nDTSTART:20240701T090000Z\nRRULE:FREQ=WEEKLY;COUNT=2\nSUMMARY:m\nEND:VEVENT\n\
                BEGIN:VEVENT\nUID:s\nSEQUENCE:1\nRECURRENCE-ID:20240715T090000Z\nDTSTART:20240716T090000Z\nSUMMARY:stale\nEND:VEVENT\n\
                BEGIN:VEVENT\nUID:s\nSEQUENCE:1\nRECURRENCE-ID:20240708T090000Z\nDTSTART:20240709T090000Z\nSUMMARY:moved\nEND:VEVENT\n\
                BEGIN:VEVENT\nUID:s\nSEQUENCE:2\nRECURRENCE-ID:20240722T090000Z\nDTSTART:20240722T090000Z\nSUMMARY:extra\nEND:VEVENT\n\
                BEGIN:VEVENT\nUID:s\nSEQUENCE:1\nRECURRENCE-ID:20300101T090000Z\nDTSTART:20240724T090000Z\nSUMMARY:far\nEND:VEVENT\n";
    let mut c = Collector::new();
    c.read(text.as_bytes(), "t.ics").unwrap();
    let expansion = c.expand(window("2024-06-01T00:00:00", "2024-09-01T00:00:00"));
    let got: Vec<_> = expansion
        .occurrences
        .iter()
        .map(|o| format!("{} {}", o.start, o.summary.as_deref().unwrap_or("-")))
        .collect();
    assert_eq!(
        got,
        vec![
            "2024-07-01T09:00:00Z m",
            "2024-07-09T09:00:00Z moved",
            "2024-07-22T09:00:00Z extra"
        ]
    );
    assert_eq!(expansion.warnings.len(), 2, "{:?}", expansion.warnings);
}

#[test]
fn an_older_override_far_past_the_window_is_checked_lazily_and_within_a_limit() {
    // 2100 is 27,000 days on: looked at, not generated at 10:30, stale. 3000 is past the
    // search limit: kept as before.
    let text = "BEGIN:VEVENT\nUID:f\nSEQUENCE:2\nDTSTART:20240101T090000Z\nRRULE:FREQ=DAILY\nSUMMARY:m\nEND:VEVENT\n\
                BEGIN:VEVENT\nUID:f\nSEQUENCE:1\nRECURRENCE-ID:21000101T103000Z\nDTSTART:20240102T120000Z\nSUMMARY:near\nEND:VEVENT\n\
                BEGIN:VEVENT\nUID:f\nSEQUENCE:1\nRECURRENCE-ID:21000101T090000Z\nDTSTART:20240102T130000Z\nSUMMARY:moved\nEND:VEVENT\n\
                BEGIN:VEVENT\nUID:f\nSEQUENCE:1\nRECURRENCE-ID:30000101T103000Z\nDTSTART:20240102T140000Z\nSUMMARY:far\nEND:VEVENT\n";
    assert_eq!(
        summaries(text, "2024-01-02T00:00:00", "2024-01-03T00:00:00"),
        vec![
            "2024-01-02T09:00:00Z m",
            "2024-01-02T13:00:00Z moved",
            "2024-01-02T14:00:00Z far"
        ]
    );
}

#[test]
fn spans_of_wanted_events_read_again_are_those_events_with_every_zone() {
    let text = "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:Z\r\nBEGIN:STANDARD\r\n\
        DTSTART:19700101T000000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n\
        END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260105T100000Z\r\nEND:VEVENT\r\n\
        BEGIN:VEVENT\r\nUID:b\r\nDTSTART;TZID=Z:20260105T100000\r\nRRULE:FREQ=WEEKLY\r\n\
        END:VEVENT\r\nBEGIN:VEVENT\r\nUID:b\r\nRECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Z:\
        20260119T100000\r\nDTSTART;TZID=Z:20260119T120000\r\nEND:VEVENT\r\n\
        BEGIN:VEVENT\r\nUID:b\r\nRECURRENCE-ID;TZID=Z:20260112T100000\r\n\
        DTSTART;TZID=Z:20260112T110000\r\nDESCRIPTION:moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let mut collector = Collector::new();
    collector.keep_spans(true);
    collector.read(text.as_bytes(), "big.ics").unwrap();
    collector.keep_spans(false);
    collector.read(text.as_bytes(), "not-kept.ics").unwrap();
    let spans = collector.spans_of(|uid| uid == "b");
    assert_eq!(spans.len(), 1, "only the input read keeping spans");
    let (origin, places) = &spans[0];
    assert_eq!(&**origin, "big.ics");
    assert_eq!(places.len(), 4, "the zone and b's three events: {places:?}");
    let overrides: Vec<_> = places.iter().map(|p| p.overrides).collect();
    let moved = NaiveDate::from_ymd_opt(2026, 1, 12).and_then(|d| d.and_hms_opt(10, 0, 0));
    // An override of this and the following occurrences may be needed by any of them.
    assert_eq!(
        overrides,
        [None, None, None, moved],
        "only one override names one"
    );
    let again: Vec<u8> = places
        .iter()
        .flat_map(|p| {
            let r = &p.bytes;
            text.as_bytes()[r.start as usize..r.end as usize]
                .iter()
                .copied()
        })
        .collect();
    let again = String::from_utf8(again).unwrap();
    assert!(again.starts_with("BEGIN:VTIMEZONE\r\n"), "{again}");
    assert!(!again.contains("UID:a"), "{again}");
    assert!(
        again.ends_with("DESCRIPTION:moved\r\nEND:VEVENT\r\n"),
        "{again}"
    );
    assert!(collector.spans_of(|uid| uid == "none").is_empty());
}

#[test]
fn with_meta_a_group_meeting_is_dropped_and_a_series_keeps_all_its_people() {
    let people = |n: usize| -> String {
        (0..n)
            .map(|i| format!("ATTENDEE;CN=P{i};PARTSTAT=DECLINED:mailto:p{i}@x\n"))
            .collect()
    };
    let text = format!(
        "BEGIN:VCALENDAR\n\
         BEGIN:VEVENT\nUID:group\nDTSTART:20260316T100000Z\n{}END:VEVENT\n\
         BEGIN:VEVENT\nUID:series\nDTSTART:20260316T100000Z\n{}RRULE:FREQ=WEEKLY;COUNT=2\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:one\nDTSTART:20260316T100000Z\nORGANIZER;CN=Me:mailto:me@x\n{}END:VEVENT\n\
         END:VCALENDAR\n",
        people(5),
        people(5),
        people(1)
    );
    let mut c = Collector::with_meta();
    c.read(text.as_bytes(), "t.ics").unwrap();
    let metas: Vec<(&str, usize, usize)> = c
        .meta()
        .iter()
        .map(|m| (&*m.uid, m.attendees.len(), m.declined.len()))
        .collect();
    // Participants after an RRULE still count; the organizer is read too.
    assert_eq!(metas, [("series", 5, 5), ("one", 1, 1)]);
    assert_eq!(
        c.meta()[1]
            .organizer
            .as_ref()
            .and_then(|p| p.name.as_deref()),
        Some("Me")
    );
    let uids: Vec<String> = c
        .expand(window("2026-03-01T00:00:00", "2026-04-01T00:00:00"))
        .occurrences
        .iter()
        .map(|o| o.uid.to_string())
        .collect();
    assert_eq!(uids, ["one", "series", "series"]);
}

#[test]
fn a_moment_is_shown_as_its_pattern_says() {
    use chrono::{NaiveDate, NaiveDateTime};
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let at = |y, m, d, h, mi, s| -> NaiveDateTime { day(y, m, d).and_hms_opt(h, mi, s).unwrap() };
    for t in [
        at(2026, 3, 2, 9, 5, 7),
        at(1, 1, 1, 0, 0, 0),
        at(9999, 12, 31, 23, 59, 59),
        at(12345, 6, 7, 8, 9, 10),
        at(-44, 3, 15, 12, 0, 0),
    ] {
        assert_eq!(
            Moment::Utc(t).to_string(),
            t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
        );
        assert_eq!(
            Moment::Floating(t).to_string(),
            t.format("%Y-%m-%dT%H:%M:%S").to_string()
        );
        assert_eq!(
            Moment::Date(t.date()).to_string(),
            t.date().format("%Y-%m-%d").to_string()
        );
    }
    assert_eq!(
        Moment::Utc(at(2026, 3, 2, 9, 5, 7)).to_string(),
        "2026-03-02T09:05:07Z"
    );
}
