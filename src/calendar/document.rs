//! A whole calendar resource held in memory, for read-modify-write of one resource.
//!
//! Built from the same streaming [`Reader`] as expansion, so what is read leniently here is
//! read the same way everywhere. Writing folds lines at 75 octets (never inside a UTF-8
//! sequence) and uses CRLF, as RFC 5545 asks; everything else is written as it was read.

use std::io::BufRead;

use super::model::{Component, Property};
use super::reader::{ReadEvent, Reader};
use super::warning::Warning;

/// Every top-level component of one resource, in order (normally one `VCALENDAR`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Document {
    /// Top-level components: `VCALENDAR`s, or bare components written without one.
    pub components: Vec<Component>,
}

/// Why a resource could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The bytes could not be read.
    #[error("cannot read {origin}: {source}")]
    Io {
        /// Where the text came from.
        origin: String,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Nothing in the input looked like iCalendar.
    #[error("{origin} is not iCalendar: no BEGIN:VCALENDAR or BEGIN:VEVENT line found")]
    NotICalendar {
        /// Where the text came from.
        origin: String,
    },
}

impl Document {
    /// Reads a whole resource, leniently. Returns the document and the warnings about it.
    pub fn read(
        input: impl BufRead,
        origin: &str,
    ) -> Result<(Document, Vec<Warning>), DocumentError> {
        let mut reader = Reader::new(input, origin);
        let mut doc = Document::default();
        let mut open_calendar: Option<Component> = None;
        loop {
            let event = reader.next_event().map_err(|source| DocumentError::Io {
                origin: origin.to_string(),
                source,
            })?;
            match event {
                None => break,
                Some(ReadEvent::CalendarStart { line }) => {
                    let mut cal = Component::new("VCALENDAR");
                    cal.line = line;
                    open_calendar = Some(cal);
                }
                Some(ReadEvent::CalendarProperty(p)) => {
                    if let Some(cal) = open_calendar.as_mut() {
                        cal.properties.push(p);
                    }
                }
                Some(ReadEvent::Item(c)) => match open_calendar.as_mut() {
                    Some(cal) => cal.components.push(c),
                    None => doc.components.push(c),
                },
                Some(ReadEvent::CalendarEnd) => doc.components.extend(open_calendar.take()),
            }
        }
        doc.components.extend(open_calendar);
        if !reader.saw_structure() {
            return Err(DocumentError::NotICalendar {
                origin: origin.to_string(),
            });
        }
        Ok((doc, reader.take_warnings()))
    }

    /// Reads from a string (tests, small resources).
    pub fn parse(text: &str, origin: &str) -> Result<(Document, Vec<Warning>), DocumentError> {
        Self::read(text.as_bytes(), origin)
    }

    /// Every `VEVENT`, at any depth (inside `VCALENDAR` or an unknown wrapper).
    pub fn events(&self) -> Vec<&Component> {
        fn walk<'a>(c: &'a Component, out: &mut Vec<&'a Component>) {
            if c.name == "VEVENT" {
                out.push(c);
                return;
            }
            for child in &c.components {
                walk(child, out);
            }
        }
        let mut out = Vec::new();
        for c in &self.components {
            walk(c, &mut out);
        }
        out
    }

    /// Mutable access to every `VEVENT`, at any depth.
    pub fn events_mut(&mut self) -> Vec<&mut Component> {
        fn walk<'a>(c: &'a mut Component, out: &mut Vec<&'a mut Component>) {
            if c.name == "VEVENT" {
                out.push(c);
                return;
            }
            for child in &mut c.components {
                walk(child, out);
            }
        }
        let mut out = Vec::new();
        for c in &mut self.components {
            walk(c, &mut out);
        }
        out
    }

    /// The document as iCalendar text (CRLF, folded at 75 octets).
    pub fn to_ical(&self) -> String {
        let mut out = String::new();
        for c in &self.components {
            write_component(c, &mut out);
        }
        out
    }
}

/// Writes one component (recursively) as iCalendar text.
pub fn write_component(c: &Component, out: &mut String) {
    out.push_str("BEGIN:");
    out.push_str(&c.name);
    out.push_str("\r\n");
    for p in &c.properties {
        write_property(p, out);
    }
    for child in &c.components {
        write_component(child, out);
    }
    out.push_str("END:");
    out.push_str(&c.name);
    out.push_str("\r\n");
}

/// Writes one property as a folded content line.
pub fn write_property(p: &Property, out: &mut String) {
    if p.unparsed {
        push_folded(&p.value, out);
        return;
    }
    let mut line = String::with_capacity(p.name.len() + p.value.len() + 16);
    line.push_str(&p.name);
    for param in &p.params {
        line.push(';');
        line.push_str(&param.name);
        if param.values.is_empty() {
            continue;
        }
        line.push('=');
        for (i, v) in param.values.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            if v.contains([':', ';', ',']) {
                line.push('"');
                line.push_str(v);
                line.push('"');
            } else {
                line.push_str(v);
            }
        }
    }
    line.push(':');
    line.push_str(&p.value);
    push_folded(&line, out);
}

/// Appends `line` folded at 75 octets with CRLF + space continuations, never splitting a
/// UTF-8 sequence.
fn push_folded(line: &str, out: &mut String) {
    const LIMIT: usize = 75;
    let mut rest = line;
    let mut limit = LIMIT;
    while rest.len() > limit {
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        // The leading space of a continuation counts toward its 75 octets.
        limit = LIMIT - 1;
    }
    out.push_str(rest);
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_respects_utf8_and_width() {
        let long = format!("SUMMARY:{}", "é".repeat(100));
        let mut out = String::new();
        push_folded(&long, &mut out);
        for physical in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(physical.len() <= 75, "{} octets", physical.len());
        }
        let (doc, _) =
            Document::parse(&format!("BEGIN:VEVENT\r\n{out}END:VEVENT\r\n"), "t").unwrap();
        assert_eq!(
            doc.events()[0].value("SUMMARY"),
            Some("é".repeat(100).as_str())
        );
    }

    #[test]
    fn not_icalendar_is_an_error() {
        assert!(matches!(
            Document::parse("hello world\n", "t"),
            Err(DocumentError::NotICalendar { .. })
        ));
    }

    #[test]
    fn round_trip_keeps_order_params_and_unknowns() {
        let text = "BEGIN:VCALENDAR\r\nPRODID:x\r\nX-WR-CALNAME:Team\r\nBEGIN:VEVENT\r\nUID:1\r\n\
                    DTSTART;TZID=Europe/Berlin:20260105T100000\r\nX-B;Z=1;A=\"q:x\":v\r\n\
                    ATTENDEE;CN=\"Doe, J\";PARTSTAT=ACCEPTED:mailto:j@x\r\nBEGIN:VALARM\r\n\
                    TRIGGER:-PT5M\r\nEND:VALARM\r\nBEGIN:X-CUSTOM\r\nX-A:1\r\nEND:X-CUSTOM\r\n\
                    END:VEVENT\r\nEND:VCALENDAR\r\n";
        let (doc, warnings) = Document::parse(text, "t").unwrap();
        assert!(warnings.is_empty());
        assert_eq!(doc.to_ical(), text);
    }
}
