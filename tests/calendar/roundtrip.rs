//! Reading then writing an event with DESCRIPTION changed keeps everything else.

use tete::calendar::{Component, Document, Property};

const NEW_TEXT: &str = "Agenda from tete\nline two, with; specials \\ and é";

/// A property as it matters semantically (its line number does not).
fn key(p: &Property) -> (String, Vec<(String, Vec<String>)>, String, bool) {
    let params = p
        .params
        .iter()
        .map(|x| {
            (
                x.name.to_string(),
                x.values.iter().map(ToString::to_string).collect(),
            )
        })
        .collect();
    (p.name.to_string(), params, p.value.to_string(), p.unparsed)
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

/// The bytes a DESCRIPTION edit leaves: every logical line of `bytes` (with its folds and
/// line ending) that is not a DESCRIPTION line, in order.
fn lines_but_descriptions(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for physical in bytes.split_inclusive(|b| *b == b'\n') {
        if matches!(physical.first(), Some(b' ' | b'\t')) {
            if let Some(last) = out.last_mut() {
                last.extend_from_slice(physical);
            }
            continue;
        }
        out.push(physical.to_vec());
    }
    out.retain(|l| !l.to_ascii_uppercase().starts_with(b"DESCRIPTION"));
    out
}

/// What tete writes back keeps every byte it did not mean to change: unchanged, a document is
/// written back identical; with one event's DESCRIPTION changed, every other line (quoting,
/// folding, line endings, letter case as the app wrote them) is identical.
#[test]
fn every_fixture_keeps_its_bytes_outside_the_edited_description() {
    let mut identical = 0;
    let mut checked = 0;
    let mut fallback = Vec::new();
    for path in crate::ics_files(&crate::data_dir()) {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        let Ok((doc, _)) = Document::read(&bytes[..], &name) else {
            continue;
        };
        let unchanged = doc.to_ical_preserving(&bytes);
        if unchanged != bytes {
            // The reader dropped or reordered something in this file (a broken export): tete
            // writes it whole, as before.
            fallback.push(name);
            continue;
        }
        identical += 1;
        let mut edited = doc.clone();
        let Some(first) = edited.events_mut().into_iter().next() else {
            continue;
        };
        first.set_text("DESCRIPTION", NEW_TEXT);
        let written = edited.to_ical_preserving(&bytes);
        assert_eq!(
            lines_but_descriptions(&written),
            lines_but_descriptions(&bytes),
            "{name}"
        );
        checked += 1;
    }
    assert!(
        checked >= 40,
        "{checked} fixtures checked, fell back on {fallback:?}"
    );
    eprintln!(
        "{identical} identical, {checked} edited, fell back on {}: {fallback:?}",
        fallback.len()
    );
}
