//! Reading then writing an event with DESCRIPTION changed keeps everything else.

use tete::calendar::{Component, Document, Property};

const NEW_TEXT: &str = "Agenda from tete\nline two, with; specials \\ and é";

/// A property as it matters semantically (its line number does not).
fn key(p: &Property) -> (String, Vec<(String, Vec<String>)>, String, bool) {
    let params = p
        .params
        .iter()
        .map(|x| (x.name.clone(), x.values.clone()))
        .collect();
    (p.name.clone(), params, p.value.clone(), p.unparsed)
}

/// Asserts `after` is `before` with only DESCRIPTION of VEVENTs changed.
fn assert_same_except_description(before: &Component, after: &Component, path: &str) {
    assert_eq!(before.name, after.name, "{path}");
    let skip = |p: &&Property| !(before.name == "VEVENT" && p.name == "DESCRIPTION");
    let b: Vec<_> = before.properties.iter().filter(skip).map(key).collect();
    let a: Vec<_> = after.properties.iter().filter(skip).map(key).collect();
    assert_eq!(b, a, "{path} > {}", before.name);
    assert_eq!(
        before.components.len(),
        after.components.len(),
        "{path} > {}",
        before.name
    );
    for (b, a) in before.components.iter().zip(&after.components) {
        assert_same_except_description(b, a, &format!("{path} > {}", before.name));
    }
}

#[test]
fn every_fixture_survives_a_description_edit() {
    let mut edited = 0;
    for path in crate::ics_files(&crate::data_dir()) {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        let Ok((before, _)) = Document::read(&bytes[..], &name) else {
            continue;
        };
        let mut doc = before.clone();
        for ev in doc.events_mut() {
            ev.set_text("DESCRIPTION", NEW_TEXT);
            edited += 1;
        }
        let written = doc.to_ical();
        let (after, _) = Document::parse(&written, &name).unwrap();
        assert_eq!(before.components.len(), after.components.len(), "{name}");
        for (b, a) in before.components.iter().zip(&after.components) {
            assert_same_except_description(b, a, &name);
        }
        for ev in after.events() {
            let text = tete::calendar::value::unescape_text(ev.value("DESCRIPTION").unwrap());
            assert_eq!(text, NEW_TEXT, "{name}");
        }
        // Writing is stable: a second round trip changes nothing.
        let (again, _) = Document::parse(&written, &name).unwrap();
        assert_eq!(again.to_ical(), written, "{name}");
    }
    assert!(
        edited > 100,
        "only {edited} events edited: fixtures missing?"
    );
}

#[test]
fn unknown_components_x_properties_and_param_order_survive() {
    let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:1\r\n\
        DTSTART;TZID=W. Europe Standard Time:20260105T100000\r\n\
        ATTENDEE;RSVP=TRUE;CN=\"Bo, B\";CUTYPE=INDIVIDUAL;X-NUM-GUESTS=0:mailto:bo@x\r\n\
        X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-TITLE=\"Room: 1\":geo:1,2\r\n\
        DESCRIPTION:old\r\nCONFERENCE;VALUE=URI;FEATURE=AUDIO,VIDEO:https://x/y\r\n\
        BEGIN:VALARM\r\nTRIGGER:-PT10M\r\nACTION:DISPLAY\r\nEND:VALARM\r\n\
        BEGIN:X-TETE-UNKNOWN\r\nX-K:v\r\nEND:X-TETE-UNKNOWN\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let (mut doc, warnings) = Document::parse(text, "t").unwrap();
    assert!(warnings.is_empty());
    doc.events_mut()[0].set_text("DESCRIPTION", "new");
    assert_eq!(
        doc.to_ical(),
        text.replace("DESCRIPTION:old", "DESCRIPTION:new")
    );
}
