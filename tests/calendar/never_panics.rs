//! Arbitrary input never panics the reader or the expander.

use chrono::NaiveDate;
use proptest::prelude::*;
use tete::calendar::reader::{ReadEvent, Reader};
use tete::calendar::{Collector, Component, Document, Window};

fn window() -> Window {
    let d = |y| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
    };
    Window {
        start: d(2000),
        end: d(2031),
    }
}

fn read_everything(bytes: &[u8]) {
    let _ = Document::read(bytes, "fuzz.ics").map(|(doc, _)| doc.to_ical());
    let mut collector = Collector::new();
    // A small step limit keeps each case fast in a debug build (rules over decades are many
    // here); the limit itself is tested in `hostile_rules_end_quickly_and_the_rest_expands`.
    collector.set_max_rule_steps(20_000);
    if collector.read(bytes, "fuzz.ics").is_ok() {
        let _ = collector.expand(window());
    }
    // A cycle's collector: its reader screens group meetings out before parsing them.
    let mut collector = Collector::with_meta();
    collector.set_max_rule_steps(20_000);
    if collector.read(bytes, "fuzz.ics").is_ok() {
        let _ = collector.expand(window());
    }
}

/// Everything a reader yields, with each item's span; and how many events it screened out.
type Read = (Vec<(ReadEvent, Option<std::ops::Range<u64>>)>, usize);

fn read_with(bytes: &[u8], screen: Option<usize>) -> Read {
    let mut reader = Reader::new(bytes, "fuzz.ics");
    if let Some(most) = screen {
        reader = reader.screening(most);
    }
    let mut out = Vec::new();
    while let Ok(Some(event)) = reader.next_event() {
        let span = matches!(event, ReadEvent::Item(_))
            .then(|| reader.last_item_span())
            .flatten();
        out.push((event, span));
    }
    (out, reader.screened_out())
}

/// Whether a screen of three may drop `item` as the reader parsed it: a single event with
/// more than three participants.
fn may_drop(item: &Component) -> bool {
    let count = |names: &[&str]| {
        (item.properties.iter())
            .filter(|p| names.contains(&p.name.as_str()))
            .count()
    };
    item.name == "VEVENT"
        && count(&["RRULE", "RDATE", "RECURRENCE-ID"]) == 0
        && count(&["ATTENDEE", "ORGANIZER"]) > 3
}

/// A screening reader yields what the reader yields, spans included, without some single
/// meetings of more than three (none of anything else); screening that drops nothing
/// changes nothing.
fn screening_reads_as_the_reader_does(bytes: &[u8]) {
    let (plain, _) = read_with(bytes, None);
    assert_eq!(read_with(bytes, Some(usize::MAX)), (plain.clone(), 0));
    let (screened, out) = read_with(bytes, Some(3));
    let mut left = screened.iter().peekable();
    let mut dropped = 0;
    for event in &plain {
        if left.peek() == Some(&event) {
            left.next();
            continue;
        }
        assert!(
            matches!(&event.0, ReadEvent::Item(item) if may_drop(item)),
            "{event:?} dropped"
        );
        dropped += 1;
    }
    assert_eq!(left.next(), None, "nothing but what the reader yields");
    assert_eq!(out, dropped);
}

/// Fragments real calendars are made of, so random sequences reach deep into the code.
const FRAGMENTS: &[&str] = &[
    "BEGIN:VCALENDAR",
    "END:VCALENDAR",
    "BEGIN:VEVENT",
    "END:VEVENT",
    "BEGIN:VTIMEZONE",
    "END:VTIMEZONE",
    "BEGIN:STANDARD",
    "END:STANDARD",
    "BEGIN:DAYLIGHT",
    "END:DAYLIGHT",
    "BEGIN:VALARM",
    "END:VALARM",
    "TZID:Custom",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZOFFSETTO:+9960",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "UID:a",
    "UID:b",
    "DTSTART:20260105T100000Z",
    "DTSTART;TZID=Custom:20260105T100000",
    "DTSTART;TZID=Europe/Berlin:20260329T023000",
    "DTSTART;VALUE=DATE:20260105",
    "DTSTART:20260105T100000",
    "DTEND:20260105T110000Z",
    "DTEND;VALUE=DATE:20260101",
    "DURATION:PT30M",
    "DURATION:-P1D",
    "DURATION:P",
    "RRULE:FREQ=WEEKLY;COUNT=5",
    "RRULE:FREQ=DAILY;UNTIL=20260110",
    "RRULE:FREQ=MONTHLY;BYDAY=-1FR;BYSETPOS=1",
    "RRULE:FREQ=YEARLY;BYWEEKNO=1,53;BYDAY=MO",
    "RRULE:FREQ=HOURLY;INTERVAL=0",
    "RRULE:FREQ=SECONDLY;BYHOUR=25",
    "RRULE:FREQ=WEEKLY;UNTIL=20200101T000000Z",
    "RRULE:FREQ=MINUTELY;COUNT=3;BYSECOND=60",
    "EXDATE:20260112T100000Z,20260119T100000Z",
    "EXDATE;VALUE=DATE:20260112",
    "RDATE;VALUE=PERIOD:20260107T100000Z/PT1H",
    "RDATE:20260107T100000Z/20260101T000000Z",
    "RECURRENCE-ID:20260112T100000Z",
    "RECURRENCE-ID;RANGE=THISANDFUTURE:20260119T100000Z",
    "RECURRENCE-ID;VALUE=DATE:20260112",
    "STATUS:CANCELLED",
    "SEQUENCE:3",
    "SEQUENCE:x",
    "SUMMARY:1:1 Ann / Bo",
    "X",
    "DESCRIPTION:a\\nb\\, c",
    " folded",
    "\tfolded",
    "",
    "ATTENDEE;CN=\"x:y\";ROLE=CHAIR:mailto:a@b",
    "X-WR-TIMEZONE:Europe/Berlin",
    "X-WR-TIMEZONE:Nowhere/Land",
    "ATTENDEE;CN=\"unterminated:x",
    "ORGANIZER;CN=O:mailto:o@b",
    "ATTENDEE:mailto:c@b",
    "attendee;CN=\"D, E\";PARTSTAT=DECLINED:mailto:d@b",
    "ATTENDEE;CN=F",
    "BEGIN:VTODO",
    "END:VTODO",
    "BEGIN;X=1:VALARM",
];

fn fragment_calendar() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        8 => prop::sample::select(FRAGMENTS).prop_map(|s| s.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..12),
    ];
    let ending = prop::sample::select(vec![&b"\r\n"[..], b"\n", b"\r"]);
    prop::collection::vec((line, ending), 0..60).prop_map(|lines| {
        lines
            .into_iter()
            .flat_map(|(mut l, e)| {
                l.extend_from_slice(e);
                l
            })
            .collect()
    })
}

/// Calendars of events, each with some participants (a line may be broken), some other
/// lines (structure among them) and maybe an alarm: what screening judges, on every path.
fn event_calendar() -> impl Strategy<Value = Vec<u8>> {
    const PEOPLE: &[&str] = &[
        "ORGANIZER;CN=O:mailto:o@b",
        "ATTENDEE:mailto:c@b",
        "attendee;CN=\"D, E\";PARTSTAT=DECLINED:mailto:d@b",
        "ATTENDEE;CN=F",
        "ATTENDEE;CN=\"unterminated:x",
    ];
    let event = (
        prop::collection::vec(prop::sample::select(PEOPLE), 0..7),
        prop::collection::vec(prop::sample::select(FRAGMENTS), 0..3),
        any::<bool>(),
    )
        .prop_map(|(people, other, alarm)| {
            let mut lines = vec!["BEGIN:VEVENT", "UID:e", "DTSTART:20260105T100000Z"];
            for (i, person) in people.into_iter().enumerate() {
                lines.push(person);
                if let Some(line) = other.get(i) {
                    lines.push(line);
                }
            }
            if alarm {
                lines.extend(["BEGIN:VALARM", "ATTENDEE:mailto:z@b", "END:VALARM"]);
            }
            lines.push("END:VEVENT");
            lines
        });
    prop::collection::vec(event, 0..6).prop_map(|events| {
        let mut text = b"BEGIN:VCALENDAR\r\n".to_vec();
        for line in events.iter().flatten() {
            text.extend_from_slice(line.as_bytes());
            text.extend_from_slice(b"\r\n");
        }
        text.extend_from_slice(b"END:VCALENDAR\r\n");
        text
    })
}

proptest! {
    // PROPTEST_CASES raises the default 256 cases for a longer hunt.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        read_everything(&bytes);
    }

    #[test]
    fn calendar_shaped_input(bytes in fragment_calendar()) {
        read_everything(&bytes);
    }

    #[test]
    fn screened_input_reads_as_the_reader_does(bytes in fragment_calendar()) {
        screening_reads_as_the_reader_does(&bytes);
    }

    #[test]
    fn screened_events_read_as_the_reader_does(bytes in event_calendar()) {
        screening_reads_as_the_reader_does(&bytes);
    }
}

/// Values at the ends of time (found by mutating real files): a duration of a million years,
/// a start in year 1 or 9999 with a zone, an UNTIL in 9999. Each is expanded without a panic
/// and the calendar's other event still comes out.
#[test]
fn dates_and_durations_at_the_ends_of_time_do_not_panic() {
    const BERLIN: &str = "BEGIN:VTIMEZONE\r\nTZID:Berlin\r\nBEGIN:STANDARD\r\nDTSTART:00010101T000000\r\n\
        TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n\
        END:VTIMEZONE\r\n";
    let hostile = [
        "DTSTART:20260101T100000Z\r\nDURATION:P99999999W\r\nRRULE:FREQ=WEEKLY",
        "DTSTART:20260101T100000Z\r\nDURATION:-P99999999W",
        "DTSTART:20260101T100000Z\r\nDURATION:PT99999999999S",
        "DTSTART:99991231T235959Z\r\nDTEND:00010101T000000Z",
        "DTSTART;TZID=Berlin:99991231T235959\r\nDURATION:P1D",
        "DTSTART;TZID=Berlin:00010101T000000\r\nRRULE:FREQ=YEARLY;UNTIL=99991231",
        "DTSTART;VALUE=DATE:99991231\r\nRRULE:FREQ=DAILY",
    ];
    for event in hostile {
        let text = format!(
            "BEGIN:VCALENDAR\r\n{BERLIN}BEGIN:VEVENT\r\nUID:hostile\r\n{event}\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:normal\r\nDTSTART:20260105T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        let mut collector = Collector::new();
        collector.read(text.as_bytes(), "hostile.ics").unwrap();
        let expansion = collector.expand(window());
        assert!(
            expansion.occurrences.iter().any(|o| &*o.uid == "normal"),
            "{event}"
        );
    }
}

/// 100,000 nested components (a hostile file) neither overflow the stack nor stop the
/// reading: the deep part is dropped with a warning, the event is still expanded, and the
/// resource is not taken as a whole document (tete would not write it back incomplete).
#[test]
fn deeply_nested_components_are_bounded() {
    let n = 100_000;
    let text = format!(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:deep\r\nDTSTART:20260105T100000Z\r\n{}{}END:VEVENT\r\nEND:VCALENDAR\r\n",
        "BEGIN:VALARM\r\n".repeat(n),
        "END:VALARM\r\n".repeat(n)
    );
    let mut collector = Collector::new();
    collector.read(text.as_bytes(), "deep.ics").unwrap();
    let warnings = collector.take_warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.message.contains("nested deeper than")),
        "{warnings:?}"
    );
    assert_eq!(collector.expand(window()).occurrences.len(), 1);
    let err = Document::read(text.as_bytes(), "deep.ics").unwrap_err();
    assert!(err.to_string().contains("deeper than 32 levels"), "{err}");
}

/// A calendar with one event and one hostile recurring event, expanded over `window`.
fn expand_beside_a_normal_event(
    hostile: &str,
    window: Window,
) -> tete::calendar::expand::Expansion {
    let text = format!(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:hostile\r\n{hostile}\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:normal\r\nDTSTART:{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        window.start.format("%Y%m%dT%H%M%SZ")
    );
    let mut collector = Collector::new();
    // A tenth of the default limit: the same behaviour, fast in a debug build.
    collector.set_max_rule_steps(100_000);
    collector.read(text.as_bytes(), "hostile.ics").unwrap();
    collector.expand(window)
}

/// Rules over decades, rules that never match, huge counts and intervals (found by mutating
/// real files): each ends quickly, bounded in steps and memory, with a warning naming the
/// event when it was cut short, and the other event still comes out.
#[test]
fn hostile_rules_end_quickly_and_the_rest_expands() {
    let minute_in_2049 = Window {
        start: NaiveDate::from_ymd_opt(2049, 6, 1)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap(),
        end: NaiveDate::from_ymd_opt(2049, 6, 1)
            .unwrap()
            .and_hms_opt(10, 1, 0)
            .unwrap(),
    };
    let cases = [
        // Skipped to the window: 60 occurrences, no warning.
        ("DTSTART:20000101T000000Z\r\nRRULE:FREQ=SECONDLY", 60, false),
        ("DTSTART:20000101T000000Z\r\nRRULE:FREQ=MINUTELY", 1, false),
        (
            "DTSTART;TZID=Europe/Berlin:20000101T000000\r\nRRULE:FREQ=SECONDLY;INTERVAL=7",
            9,
            false,
        ),
        // Cannot skip (COUNT): stopped by the step limit, with a warning.
        (
            "DTSTART:20000101T000000Z\r\nRRULE:FREQ=SECONDLY;COUNT=4000000000",
            0,
            true,
        ),
        // Never matches: the engine gives up, with a warning.
        (
            "DTSTART:20000101T000000Z\r\nRRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30",
            0,
            true,
        ),
        (
            "DTSTART:20000101T000000Z\r\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31",
            0,
            true,
        ),
        (
            "DTSTART:20000101T000000Z\r\nRRULE:FREQ=HOURLY;INTERVAL=2;BYHOUR=3",
            0,
            true,
        ),
        (
            "DTSTART:20000101T000000Z\r\nRRULE:FREQ=SECONDLY;INTERVAL=4294967295",
            0,
            false,
        ),
        (
            "DTSTART:20000101T000000Z\r\nRRULE:FREQ=YEARLY;INTERVAL=4294967295",
            0,
            false,
        ),
    ];
    // The limit is the event's: twenty such rules cost no more than one.
    let repeated = format!(
        "DTSTART:20000101T000000Z{}",
        "\r\nRRULE:FREQ=SECONDLY;COUNT=4000000000".repeat(20)
    );
    let cases = cases
        .into_iter()
        .map(|(e, n, w)| (e.to_string(), n, w))
        .chain([(repeated, 0, true)]);
    for (event, in_window, warned) in cases {
        let event = event.as_str();
        let expansion = expand_beside_a_normal_event(event, minute_in_2049);
        let hostile = expansion
            .occurrences
            .iter()
            .filter(|o| &*o.uid == "hostile")
            .count();
        assert_eq!(hostile, in_window, "{event}");
        assert!(
            expansion.occurrences.iter().any(|o| &*o.uid == "normal"),
            "{event}"
        );
        let warning = expansion
            .warnings
            .iter()
            .any(|w| w.uid.as_deref() == Some("hostile") && w.message.contains("RRULE stopped"));
        assert_eq!(warning, warned, "{event}: {:?}", expansion.warnings);
    }
}

/// 90,000 EXDATEs cost time linear in their number (they were compared with every start).
#[test]
fn many_exdates_are_not_quadratic() {
    let n = 90_000;
    let start = NaiveDate::from_ymd_opt(2000, 1, 1)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    let exdates: Vec<String> = (0..n)
        .map(|d| {
            (start + chrono::Duration::days(d))
                .format("%Y%m%dT%H%M%SZ")
                .to_string()
        })
        .collect();
    let event = format!(
        "DTSTART:20000101T100000Z\r\nRRULE:FREQ=DAILY;COUNT={}\r\nEXDATE:{}",
        n + 1,
        exdates.join(",")
    );
    let all_of_them = Window {
        start,
        end: NaiveDate::from_ymd_opt(2600, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap(),
    };
    let expansion = expand_beside_a_normal_event(&event, all_of_them);
    let hostile: Vec<_> = expansion
        .occurrences
        .iter()
        .filter(|o| &*o.uid == "hostile")
        .collect();
    // Only the last one is not excluded.
    assert_eq!(hostile.len(), 1, "{:?}", expansion.warnings);
}
