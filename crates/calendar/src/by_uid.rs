//! A big calendar's wanted events kept as text by UID, each series parsed only when asked
//! for: finding the notes of thousands of 1:1 series in a 100 MB export must not hold them
//! all parsed at once (as parsed components they took four times the memory of their text).

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::BufRead;
use std::ops::Range;

use super::document::{Document, DocumentError, read_for_notes};
use super::model::Component;
use super::reader::{Piece, Reader, each_event};

/// The events of one calendar whose UID was wanted, by UID, as unfolded text holding only
/// what finding notes needs, and the calendar's time zones, parsed once.
#[derive(Debug, Default)]
pub struct EventsByUid {
    origin: String,
    /// Every `VTIMEZONE` of the calendar.
    zones: Vec<Component>,
    /// The kept lines of every wanted event, in reading order, in one buffer: one growing
    /// text per UID was copied again at each of its events as it grew.
    text: Vec<u8>,
    /// Where each wanted UID's events (master and overrides) are in `text`, in reading
    /// order; events one after the other are one range.
    spans: HashMap<String, Vec<Range<usize>>>,
}

impl EventsByUid {
    /// Reads the events of `input` whose UID `keep` wants, and its time zones, with a
    /// line-level pass that parses no event. Events without a UID are left out: nothing can
    /// ask for them.
    pub fn read(
        input: impl BufRead,
        origin: &str,
        keep: impl Fn(&str) -> bool,
    ) -> Result<EventsByUid, DocumentError> {
        Self::read_expecting(input, origin, keep, Expected::default())
    }

    /// [`EventsByUid::read`], with room made at once for what is `expected`: grown step by
    /// step, the text and the table left every smaller copy behind (a reading on a thread
    /// of its own kept that memory in the thread's allocator arena, out of the others'
    /// reach).
    pub fn read_expecting(
        input: impl BufRead,
        origin: &str,
        keep: impl Fn(&str) -> bool,
        expected: Expected,
    ) -> Result<EventsByUid, DocumentError> {
        let mut text = Vec::with_capacity(expected.bytes);
        let mut spans: HashMap<String, Vec<Range<usize>>> = HashMap::with_capacity(expected.uids);
        let mut rest = Vec::new();
        each_event(input, is_read_for_notes, |piece| match piece {
            Piece::Event {
                uid: Some(uid),
                text: event,
            } if keep(uid) => {
                let at = text.len()..text.len() + event.len();
                text.extend_from_slice(event);
                let ranges = spans.entry(uid.to_string()).or_default();
                match ranges.last_mut() {
                    Some(last) if last.end == at.start => last.end = at.end,
                    _ => ranges.push(at),
                }
            }
            Piece::Event { .. } => {}
            Piece::Line(line) => {
                rest.extend_from_slice(line);
                rest.push(b'\n');
            }
        })
        .map_err(|source| DocumentError::Io {
            origin: origin.to_string(),
            source,
        })?;
        // Kept between a daemon's cycles: without the room the text grew into.
        text.shrink_to_fit();
        Ok(EventsByUid {
            origin: origin.to_string(),
            zones: zones_of(&rest, origin),
            text,
            spans,
        })
    }

    /// How many UIDs were kept.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when no wanted event was found.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The kept text of series `uid`'s events, borrowed when they were one after the other.
    fn text_of(&self, uid: &str) -> Option<Cow<'_, [u8]>> {
        match self.spans.get(uid)?.as_slice() {
            [one] => self.text.get(one.clone()).map(Cow::Borrowed),
            ranges => ranges
                .iter()
                .map(|range| self.text.get(range.clone()))
                .try_fold(Vec::new(), |mut all, part| {
                    all.extend_from_slice(part?);
                    Some(all)
                })
                .map(Cow::Owned),
        }
    }

    /// Series `uid` as a document of its own: a `VCALENDAR` with the time zones its events
    /// name, then its events, holding what [`Document::read_notes`] keeps. `None` when the
    /// UID was not kept, or its text cannot be read as a document (too deep).
    pub fn document(&self, uid: &str) -> Option<Document> {
        let text = self.text_of(uid)?;
        let reader = Reader::new(&*text, self.origin.as_str()).keeping_only(read_for_notes);
        let (events, _) = Document::read_from(reader, &self.origin).ok()?;
        let mut calendar = Component::new("VCALENDAR");
        for event in &events.components {
            for tzid in event
                .properties
                .iter()
                .filter_map(|p| p.param_borrowed("TZID"))
            {
                let names = |c: &Component| c.value("TZID") == Some(&*tzid);
                if !calendar.components.iter().any(names)
                    && let Some(zone) = self.zones.iter().find(|z| names(z))
                {
                    calendar.components.push(zone.clone());
                }
            }
        }
        calendar.components.extend(events.components);
        Some(Document {
            components: vec![calendar],
        })
    }
}

/// What an [`EventsByUid::read_expecting`] is to make room for: at most this many bytes
/// of text, this many UIDs.
#[derive(Debug, Default, Clone, Copy)]
pub struct Expected {
    /// The bytes read (the text kept is at most as long).
    pub bytes: usize,
    /// The UIDs wanted.
    pub uids: usize,
}

/// Whether an event's unfolded line is one notes read (or opens or closes a component): a
/// big export's 1:1s are kept in memory between cycles, and their attendees and summaries
/// are most of their text.
fn is_read_for_notes(line: &[u8]) -> bool {
    let end = memchr::memchr2(b';', b':', line).unwrap_or(line.len());
    let name = std::str::from_utf8(&line[..end]).unwrap_or("");
    name.eq_ignore_ascii_case("BEGIN")
        || name.eq_ignore_ascii_case("END")
        || read_for_notes(name.trim())
}

/// The `VTIMEZONE`s of what is left of a calendar without its events.
fn zones_of(rest: &[u8], origin: &str) -> Vec<Component> {
    let Ok(doc) = Document::read_notes(rest, origin) else {
        return Vec::new();
    };
    let mut zones = Vec::new();
    for top in doc.components {
        if top.name == "VTIMEZONE" {
            zones.push(top);
        } else {
            zones.extend(top.components.into_iter().filter(|c| c.name == "VTIMEZONE"));
        }
    }
    zones
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, keep: &[&str]) -> EventsByUid {
        EventsByUid::read(text.as_bytes(), "t", |u| keep.contains(&u)).unwrap()
    }

    #[test]
    fn each_series_comes_with_the_zones_it_names_and_only_them() {
        let text = "BEGIN:VCALENDAR\r\nPRODID:x\r\nBEGIN:VTIMEZONE\r\nTZID:Z\r\nEND:VTIMEZONE\r\n\
            BEGIN:VTIMEZONE\r\nTZID:Y\r\nEND:VTIMEZONE\r\n\
            BEGIN:VEVENT\r\nUID:a\r\nDTSTART;TZID=Z:20260101T090000\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20260101T090000Z\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:a\r\nRECURRENCE-ID;TZID=Z:20260108T090000\r\n\
            DTSTART;TZID=Y:20260108T100000\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:c\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let events = read(text, &["a", "b"]);
        assert_eq!(events.len(), 2, "c is not wanted, and no UID, no series");
        let a = events.document("a").unwrap().to_ical();
        assert_eq!(a.matches("BEGIN:VEVENT").count(), 2, "{a}");
        assert_eq!(a.matches("BEGIN:VTIMEZONE").count(), 2, "{a}");
        let b = events.document("b").unwrap().to_ical();
        assert!(!b.contains("VTIMEZONE"), "{b}");
        assert!(events.document("c").is_none());
    }

    #[test]
    fn only_what_notes_read_is_kept() {
        let text = "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:secret plans\r\nATTENDEE:mailto:x@y\r\n\
            DESCRIPTION:Agenda\\n- one\r\nBEGIN:VALARM\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\nEND:VEVENT\r\n";
        let events = read(text, &["a"]);
        let kept = String::from_utf8(events.text_of("a").unwrap().into_owned()).unwrap();
        assert_eq!(
            kept,
            "BEGIN:VEVENT\nUID:a\nDESCRIPTION:Agenda\\n- one\nBEGIN:VALARM\nEND:VALARM\nEND:VEVENT\n"
        );
        let doc = events.document("a").unwrap();
        assert_eq!(
            doc.events()[0].value("DESCRIPTION"),
            Some("Agenda\\n- one"),
            "{doc:?}"
        );
    }

    #[test]
    fn a_series_reads_as_the_whole_calendar_reads_it() {
        // Over every calendar the project tests with: each wanted series' document holds
        // exactly its events (UID, RECURRENCE-ID and description) as the whole text has them.
        for file in crate::reader::tests::project_calendars() {
            let bytes = std::fs::read(&file).unwrap();
            let Ok((whole, _)) = Document::read(bytes.as_slice(), "t") else {
                continue;
            };
            let fields = |e: &Component| {
                let value = |name| e.value(name).unwrap_or("").to_string();
                (
                    value("UID").trim().to_string(),
                    value("RECURRENCE-ID"),
                    value("DESCRIPTION"),
                )
            };
            let all: Vec<_> = whole.events().into_iter().map(fields).collect();
            let wanted: Vec<&str> = all
                .iter()
                .map(|(u, _, _)| u.as_str())
                .filter(|u| !u.is_empty())
                .step_by(2)
                .collect();
            let events = EventsByUid::read(bytes.as_slice(), "t", |u| wanted.contains(&u)).unwrap();
            for uid in &wanted {
                let expected: Vec<_> = all.iter().filter(|(u, _, _)| u == uid).cloned().collect();
                let doc = events.document(uid).unwrap();
                let found: Vec<_> = doc.events().into_iter().map(fields).collect();
                assert_eq!(found, expected, "{} {uid}", file.display());
            }
        }
    }
}
