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
    #[error("cannot read {origin}")]
    Io {
        /// Where the text came from.
        origin: String,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Components are nested deeper than any calendar needs (a hostile file): tete does not
    /// hold (or write back) such a resource.
    #[error(
        "{origin} nests components deeper than {} levels; tete does not edit it",
        super::reader::MAX_DEPTH
    )]
    TooDeep {
        /// Where the text came from.
        origin: String,
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
        Self::read_from(Reader::new(input, origin), origin)
    }

    /// Reads a whole resource as [`Document::read`] does, keeping only what finding an
    /// occurrence's notes needs (`read_for_notes`): most of an event's lines are checked but
    /// never built. For reading only: it is not the whole resource, so it is never written
    /// back.
    pub fn read_notes(input: impl BufRead, origin: &str) -> Result<Document, DocumentError> {
        let reader = Reader::new(input, origin).keeping_only(read_for_notes);
        Self::read_from(reader, origin).map(|(doc, _)| doc)
    }

    pub(crate) fn read_from<R: BufRead>(
        mut reader: Reader<R>,
        origin: &str,
    ) -> Result<(Document, Vec<Warning>), DocumentError> {
        let mut doc = Document::default();
        let mut open_calendar: Option<Component> = None;
        loop {
            let event = next_event(&mut reader, origin)?;
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
        // A document is read to be written back whole: one missing a part is not one.
        if reader.truncated() {
            return Err(DocumentError::TooDeep {
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

    /// One document per UID, as CalDAV servers and vdirs keep a calendar: each event's
    /// components (master and overrides) in a `VCALENDAR` of their own, with the calendar's
    /// properties and every `VTIMEZONE`. Events without a UID each get their own resource.
    /// Returns `(uid, document)` in order of first appearance.
    pub fn split_by_uid(&self) -> Vec<(String, Document)> {
        let mut out: Vec<(String, Document)> = Vec::new();
        let mut index_of: std::collections::HashMap<String, usize> =
            std::collections::HashMap::new();
        for top in &self.components {
            let (calendar, children): (Option<&Component>, Vec<&Component>) =
                if top.name == "VCALENDAR" {
                    (Some(top), top.components.iter().collect())
                } else {
                    (None, vec![top])
                };
            let zones: Vec<&Component> = children
                .iter()
                .copied()
                .filter(|c| c.name == "VTIMEZONE")
                .collect();
            for event in children.iter().filter(|c| c.name == "VEVENT") {
                let uid = event.value("UID").map(str::trim).unwrap_or("").to_string();
                let existing = index_of.get(&uid).filter(|_| !uid.is_empty()).copied();
                let index = existing.unwrap_or_else(|| {
                    let mut cal = Component::new("VCALENDAR");
                    if let Some(calendar) = calendar {
                        cal.properties.clone_from(&calendar.properties);
                    }
                    cal.components.extend(zones.iter().map(|z| (*z).clone()));
                    out.push((
                        uid.clone(),
                        Document {
                            components: vec![cal],
                        },
                    ));
                    index_of.insert(uid.clone(), out.len() - 1);
                    out.len() - 1
                });
                out[index].1.components[0].components.push((*event).clone());
            }
        }
        out
    }

    /// The document as text, keeping every line it shares with `original` (the bytes it was
    /// read from) byte for byte: quoting, folding, line endings and letter case as the person's
    /// app wrote them. Only lines that changed, or are new, are written as [`Document::to_ical`]
    /// writes them. Falls back to [`Document::to_ical`] when the original's lines cannot be
    /// paired with what the reader understood of them (lines it dropped or reordered).
    pub fn to_ical_preserving(&self, original: &[u8]) -> Vec<u8> {
        let new = self.to_ical();
        let Ok((before, _)) = Document::read(original, "original") else {
            return new.into_bytes();
        };
        let before = before.to_ical();
        let raw = logical_lines(original);
        let old_lines = logical_lines(before.as_bytes());
        let paired = raw.len() == old_lines.len()
            && raw
                .iter()
                .zip(&old_lines)
                .all(|(r, c)| line_name(r) == line_name(c));
        if !paired {
            return new.into_bytes();
        }
        let new_lines = logical_lines(new.as_bytes());
        let sources = aligned(&old_lines, &new_lines);
        let mut out: Vec<u8> = Vec::with_capacity(original.len() + 256);
        for (line, source) in new_lines.iter().zip(sources) {
            if out.last().is_some_and(|b| *b != b'\n' && *b != b'\r') {
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(source.map_or(line, |k| raw[k]));
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

/// For each new line, the old line it is (`None`: new). A run of new lines that could sit at
/// several places among equal lines (a new override after its series: `BEGIN:VEVENT`,
/// `UID:...` repeat) is placed to start at a `BEGIN:` line, so whole components are new and
/// the old ones keep every byte.
fn aligned(old: &[&[u8]], new: &[&[u8]]) -> Vec<Option<usize>> {
    let mut sources: Vec<Option<usize>> = vec![None; new.len()];
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, old, new) {
        if let similar::DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = op
        {
            for i in 0..len {
                sources[new_index + i] = Some(old_index + i);
            }
        }
    }
    let mut start = 0;
    while start < new.len() {
        if sources[start].is_some() {
            start += 1;
            continue;
        }
        let mut end = start;
        while end < new.len() && sources[end].is_none() {
            end += 1;
        }
        // Slide the run [start, end) up as far as equal lines allow, then down again to the
        // first place where it starts a component right after another one ended (else back
        // where the diff put it).
        let (mut a, mut b) = (start, end);
        while a > 0 && sources[a - 1].is_some() && new[a - 1] == new[b - 1] {
            sources[b - 1] = sources[a - 1];
            sources[a - 1] = None;
            a -= 1;
            b -= 1;
        }
        let n = b - a;
        let boundary =
            |p: usize| p > 0 && new[p].starts_with(b"BEGIN:") && new[p - 1].starts_with(b"END:");
        let mut target = None;
        let mut p = a;
        loop {
            if boundary(p) {
                target = Some(p);
                break;
            }
            let q = p + n;
            if q < new.len() && sources[q].is_some() && new[p] == new[q] {
                p += 1;
            } else {
                break;
            }
        }
        let target = target.unwrap_or(start);
        while a < target {
            sources[a] = sources[b];
            sources[b] = None;
            a += 1;
            b += 1;
        }
        start = b.max(end);
    }
    sources
}

/// The reader's next event, an I/O failure named with its origin.
pub(crate) fn next_event<R: BufRead>(
    reader: &mut Reader<R>,
    origin: &str,
) -> Result<Option<ReadEvent>, DocumentError> {
    reader.next_event().map_err(|source| DocumentError::Io {
        origin: origin.to_string(),
        source,
    })
}

/// The properties [`Document::read_notes`] and [`crate::by_uid::EventsByUid`] keep: an event's
/// identity and notes, and what a time zone definition needs.
pub(crate) fn read_for_notes(name: &str) -> bool {
    const KEPT: &[&str] = &[
        "UID",
        "RECURRENCE-ID",
        "DTSTART",
        "DESCRIPTION",
        "X-ALT-DESC",
        "TZID",
        "TZOFFSETFROM",
        "TZOFFSETTO",
        "RRULE",
        "RDATE",
    ];
    KEPT.iter().any(|k| k.eq_ignore_ascii_case(name))
}

/// The logical lines of iCalendar text, each with its folded continuation lines, the blank
/// lines after it and its line ending, exactly as in the bytes (a leading BOM or blank lines
/// go with the first line).
fn logical_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    while pos < bytes.len() {
        let mut end = pos;
        while end < bytes.len() && bytes[end] != b'\n' && bytes[end] != b'\r' {
            end += 1;
        }
        let content_empty = end == pos;
        if end < bytes.len() {
            end += if bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
        }
        let continues = matches!(bytes.get(pos), Some(b' ' | b'\t')) || content_empty;
        if !continues && pos > start && !lines_is_blank(&bytes[start..pos]) {
            lines.push(&bytes[start..pos]);
            start = pos;
        }
        pos = end;
    }
    if start < bytes.len() {
        lines.push(&bytes[start..]);
    }
    lines
}

/// True for bytes that hold no content line yet (a BOM, blank lines).
fn lines_is_blank(bytes: &[u8]) -> bool {
    bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(bytes)
        .iter()
        .all(|b| matches!(b, b'\r' | b'\n'))
}

/// A logical line's name (before `:` or `;`), upper-cased, to pair lines.
fn line_name(line: &[u8]) -> Vec<u8> {
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    let line = line.trim_ascii_start();
    line.iter()
        .take_while(|b| !matches!(b, b':' | b';' | b'\r' | b'\n'))
        .map(u8::to_ascii_uppercase)
        .collect()
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

    #[test]
    fn split_by_uid_keeps_overrides_with_their_master_and_every_zone() {
        let text = "BEGIN:VCALENDAR\r\nPRODID:x\r\nBEGIN:VTIMEZONE\r\nTZID:Z\r\nEND:VTIMEZONE\r\n\
            BEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:b\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:a\r\nRECURRENCE-ID:20260101T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let (doc, _) = Document::parse(text, "t").unwrap();
        let parts = doc.split_by_uid();
        let uids: Vec<&str> = parts.iter().map(|(u, _)| u.as_str()).collect();
        assert_eq!(uids, ["a", "b"]);
        let a = parts[0].1.to_ical();
        assert_eq!(a.matches("BEGIN:VEVENT").count(), 2);
        assert!(a.starts_with("BEGIN:VCALENDAR\r\nPRODID:x\r\nBEGIN:VTIMEZONE"));
    }
}
