use chrono::NaiveDate;

use super::*;

const SERIES: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n\
BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n\
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n\
BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n\
TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nUID:ann@x\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20260105T100000\r\n\
DTEND;TZID=Europe/Berlin:20260105T103000\r\nRRULE:FREQ=WEEKLY\r\nEXDATE;TZID=Europe/Berlin:20260112T100000\r\n\
SUMMARY:Ann / Mia\r\nORGANIZER;CN=Mia:mailto:mia@x\r\n\
ATTENDEE;CN=\"Berger, Ann\";PARTSTAT=ACCEPTED;X-NUM-GUESTS=0:mailto:ann@x\r\n\
X-GOOGLE-CONFERENCE:https://meet.example/abc\r\nDESCRIPTION:Shared notes\\, see doc\r\nSEQUENCE:3\r\n\
BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT10M\r\nDESCRIPTION:Reminder\r\nEND:VALARM\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:ann@x\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260119T100000\r\n\
DTSTART;TZID=Europe/Berlin:20260120T150000\r\nDTEND;TZID=Europe/Berlin:20260120T153000\r\n\
SUMMARY:Ann / Mia (moved)\r\nDESCRIPTION:Moved\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

fn utc(d: u32, h: u32) -> Moment {
    Moment::Utc(
        NaiveDate::from_ymd_opt(2026, 1, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap(),
    )
}

fn occ(rid: Moment, start: Moment, end: Moment) -> OccurrenceRef<'static> {
    OccurrenceRef {
        uid: "ann@x",
        recurrence_id: rid,
        start,
        end,
    }
}

fn text(t: &str) -> Description {
    Description {
        text: t.into(),
        html: None,
    }
}

#[test]
fn a_new_override_copies_the_master_and_changes_only_the_description() {
    let (mut doc, _) = Document::parse(SERIES, "t.ics").unwrap();
    let o = occ(
        utc(26, 9),
        utc(26, 9),
        Moment::Utc(utc(26, 9).as_utc() + chrono::Duration::minutes(30)),
    );
    assert_eq!(
        occurrence_description(&doc, &o).unwrap().text,
        "Shared notes, see doc"
    );
    assert!(set_occurrence_description(&mut doc, &o, &text("Agenda\nline 2")).unwrap());
    let written = doc.to_ical();
    let (again, _) = Document::parse(&written, "t.ics").unwrap();
    let events = again.events();
    assert_eq!(events.len(), 3);
    let (master, created) = (events[0], events[1]);
    assert_eq!(created.value("RECURRENCE-ID"), Some("20260126T100000"));
    let rid = created.property("RECURRENCE-ID").unwrap();
    assert_eq!(rid.param("TZID").as_deref(), Some("Europe/Berlin"));
    assert_eq!(created.value("DTSTART"), Some("20260126T100000"));
    assert_eq!(created.value("DTEND"), Some("20260126T103000"));
    assert_eq!(created.value("DESCRIPTION"), Some("Agenda\\nline 2"));
    assert_eq!(
        created.value("SEQUENCE"),
        Some("3"),
        "SEQUENCE is not bumped"
    );
    for gone in ["RRULE", "EXDATE"] {
        assert!(created.property(gone).is_none(), "{gone} copied");
    }
    // everything else is the master's, in order, with its parameters
    let strip = |c: &Component, skip: &[&str]| -> Vec<Property> {
        c.properties
            .iter()
            .filter(|p| !skip.contains(&p.name.as_str()))
            .map(|p| Property {
                line: 0,
                ..p.clone()
            })
            .collect()
    };
    let skip = [
        "RRULE",
        "EXDATE",
        "RECURRENCE-ID",
        "DTSTART",
        "DTEND",
        "DESCRIPTION",
    ];
    assert_eq!(strip(master, &skip), strip(created, &skip));
    let text_of = |cs: &[Component]| {
        let mut out = String::new();
        cs.iter()
            .for_each(|c| crate::document::write_component(c, &mut out));
        out
    };
    assert_eq!(
        text_of(&created.components),
        text_of(&master.components),
        "VALARM kept"
    );
    assert!(text_of(&created.components).contains("TRIGGER:-PT10M"));
    // the master itself is untouched
    let (original, _) = Document::parse(SERIES, "t.ics").unwrap();
    assert_eq!(
        text_of(std::slice::from_ref(original.events()[0])),
        text_of(std::slice::from_ref(master))
    );
    // and the override is found the next time: nothing more to change
    let mut again = again;
    assert!(!set_occurrence_description(&mut again, &o, &text("Agenda\nline 2")).unwrap());
}

#[test]
fn an_existing_override_is_edited_in_place() {
    let (mut doc, _) = Document::parse(SERIES, "t.ics").unwrap();
    // 19 Jan 10:00 Berlin = 09:00Z, moved to the 20th 15:00 Berlin
    let o = occ(utc(19, 9), utc(20, 14), utc(20, 14));
    assert_eq!(occurrence_description(&doc, &o).unwrap().text, "Moved");
    assert!(set_occurrence_description(&mut doc, &o, &text("New")).unwrap());
    let events = doc.events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].value("DESCRIPTION"), Some("New"));
    assert_eq!(events[1].value("DTSTART"), Some("20260120T150000"));
}

#[test]
fn date_series_get_a_date_recurrence_id_and_utc_series_a_utc_one() {
    let dated = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:d\r\nDTSTART;VALUE=DATE:20260105\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let (mut doc, _) = Document::parse(dated, "t.ics").unwrap();
    let day = Moment::Date(NaiveDate::from_ymd_opt(2026, 1, 12).unwrap());
    let o = OccurrenceRef {
        uid: "d",
        recurrence_id: day,
        start: day,
        end: day,
    };
    set_occurrence_description(&mut doc, &o, &text("x")).unwrap();
    let ov = doc.events()[1];
    assert_eq!(ov.value("RECURRENCE-ID"), Some("20260112"));
    assert!(
        ov.property("RECURRENCE-ID")
            .unwrap()
            .param_is("VALUE", "DATE")
    );

    let utc_series = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:u\r\nDTSTART:20260105T090000Z\r\nDURATION:PT30M\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let (mut doc, _) = Document::parse(utc_series, "t.ics").unwrap();
    let o = OccurrenceRef {
        uid: "u",
        recurrence_id: utc(12, 9),
        start: utc(12, 9),
        end: utc(12, 9),
    };
    set_occurrence_description(&mut doc, &o, &text("x")).unwrap();
    let ov = doc.events()[1];
    assert_eq!(ov.value("RECURRENCE-ID"), Some("20260112T090000Z"));
    assert_eq!(ov.value("DURATION"), Some("PT30M"));
}

#[test]
fn outlook_html_copy_is_updated_too() {
    let with_alt = SERIES.replace(
        "DESCRIPTION:Shared notes\\, see doc\r\n",
        "DESCRIPTION:Shared notes\r\nX-ALT-DESC;FMTTYPE=text/html:<html><body>Shared notes</body></html>\r\n",
    );
    let (mut doc, _) = Document::parse(&with_alt, "t.ics").unwrap();
    let o = occ(utc(26, 9), utc(26, 9), utc(26, 9));
    let before = occurrence_description(&doc, &o).unwrap();
    assert_eq!(
        before.html.as_deref(),
        Some("<html><body>Shared notes</body></html>")
    );
    let new = Description {
        text: "A".into(),
        html: Some("<html><body>A</body></html>".into()),
    };
    set_occurrence_description(&mut doc, &o, &new).unwrap();
    assert_eq!(occurrence_description(&doc, &o).unwrap(), new);
}

#[test]
fn unknown_uid_and_zone_are_errors() {
    let (mut doc, _) = Document::parse(SERIES, "t.ics").unwrap();
    let o = OccurrenceRef {
        uid: "nope",
        ..occ(utc(26, 9), utc(26, 9), utc(26, 9))
    };
    assert!(matches!(
        set_occurrence_description(&mut doc, &o, &text("x")),
        Err(EditError::NoSuchEvent { .. })
    ));
    let odd = SERIES.replace("TZID=Europe/Berlin:2026", "TZID=Mars/Olympus:2026");
    let (mut doc, _) = Document::parse(&odd, "t.ics").unwrap();
    let err = set_occurrence_description(
        &mut doc,
        &occ(utc(26, 9), utc(26, 9), utc(26, 9)),
        &text("x"),
    );
    assert!(matches!(err, Err(EditError::UnknownZone { .. })), "{err:?}");
}

#[test]
fn moments_read_back_as_written() {
    for m in [
        utc(5, 9),
        Moment::Date(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()),
        Moment::Floating(utc(5, 9).as_utc()),
    ] {
        assert_eq!(parse_moment(&m.to_string()), Some(m));
    }
    assert_eq!(parse_moment("garbage"), None);
}

#[test]
fn the_participants_of_a_new_override_keep_their_parameters() {
    let (mut doc, _) = Document::parse(SERIES, "t.ics").unwrap();
    let o = occ(utc(26, 9), utc(26, 9), utc(26, 9));
    set_occurrence_description(&mut doc, &o, &text("x")).unwrap();
    let events = doc.events();
    for event in &events[..2] {
        let attendee = event.property("ATTENDEE").unwrap();
        assert!(attendee.param("SCHEDULE-AGENT").is_none());
        assert_eq!(attendee.param("X-NUM-GUESTS").as_deref(), Some("0"));
    }
}

#[test]
fn an_exchange_override_of_an_all_day_series_is_found_by_its_local_midnight() {
    // Local midnight of 16 April in London is 15 April 23:00 UTC: the override still names
    // the 16th, as expansion matches it, and is edited instead of doubled.
    let text_in = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:d\r\nDTSTART;VALUE=DATE:20200414\r\n\
RRULE:FREQ=DAILY;COUNT=5\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:d\r\n\
RECURRENCE-ID;TZID=GMT Standard Time:20200416T000000\r\nDTSTART;VALUE=DATE:20200420\r\n\
DESCRIPTION:Moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let (mut doc, _) = Document::parse(text_in, "t.ics").unwrap();
    let rid = Moment::Date(NaiveDate::from_ymd_opt(2020, 4, 16).unwrap());
    let moved = Moment::Date(NaiveDate::from_ymd_opt(2020, 4, 20).unwrap());
    let o = OccurrenceRef {
        uid: "d",
        recurrence_id: rid,
        start: moved,
        end: moved,
    };
    assert_eq!(occurrence_description(&doc, &o).unwrap().text, "Moved");
    assert!(set_occurrence_description(&mut doc, &o, &text("New")).unwrap());
    assert_eq!(doc.events().len(), 2);
    assert_eq!(doc.events()[1].value("DESCRIPTION"), Some("New"));
}

#[test]
fn one_reader_reads_two_series_and_notes_read_as_the_whole_resource() {
    let bob = "BEGIN:VEVENT\r\nUID:bob@x\r\nDTSTART;TZID=Europe/Berlin:20260105T110000\r\n\
RRULE:FREQ=WEEKLY\r\nDESCRIPTION:Bob's series\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:bob@x\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260119T110000\r\n\
DTSTART;TZID=Europe/Berlin:20260119T120000\r\nDESCRIPTION:Bob moved\r\nEND:VEVENT\r\n";
    let text = SERIES.replace("END:VCALENDAR\r\n", &format!("{bob}END:VCALENDAR\r\n"));
    let (whole, _) = Document::parse(&text, "t.ics").unwrap();
    let notes = Document::read_notes(text.as_bytes(), "t.ics").unwrap();
    let bob_moved = OccurrenceRef {
        uid: "bob@x",
        recurrence_id: utc(19, 10),
        start: utc(19, 11),
        end: utc(19, 11),
    };
    let bob_later = OccurrenceRef {
        recurrence_id: utc(26, 10),
        start: utc(26, 10),
        end: utc(26, 10),
        ..bob_moved
    };
    for doc in [&whole, &notes] {
        let reader = Descriptions::new(doc, utc(26, 10));
        assert_eq!(
            reader
                .of(&occ(utc(19, 9), utc(20, 14), utc(20, 14)))
                .unwrap()
                .text,
            "Moved"
        );
        assert_eq!(reader.of(&bob_moved).unwrap().text, "Bob moved");
        assert_eq!(reader.of(&bob_later).unwrap().text, "Bob's series");
        let ann_later = occ(utc(26, 9), utc(26, 9), utc(26, 9));
        assert_eq!(reader.of(&ann_later).unwrap().text, "Shared notes, see doc");
    }
}
