//! A streaming, lenient iCalendar reader.
//!
//! Hand-written on purpose: no crate we tried is both lossless and streaming. `icalendar`
//! re-orders properties and adds DTSTAMP/UID where they do not belong when writing; `calcard`
//! keeps everything but builds a whole calendar in memory, and a 100 MB feed must not need a
//! 100 MB tree (see ARCHITECTURE.md). The reader yields one top-level item (an event, a time
//! zone, an unknown component) at a time, so memory stays bounded by the largest single item.
//!
//! Leniency, all of it seen in real files: a UTF-8 BOM, CRLF / LF / lone-CR line endings,
//! folds that split a UTF-8 sequence (lines are unfolded as bytes, then decoded), lower-case
//! names, bare `VEVENT`s without `VCALENDAR`, missing `END` lines, stray lines without a colon,
//! unknown components. Each problem becomes a [`Warning`] naming the origin, line and UID.

use std::collections::VecDeque;
use std::io::BufRead;
use std::sync::Arc;

use super::model::{Component, Param, Property};
use super::warning::Warning;

/// What the reader yields, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadEvent {
    /// `BEGIN:VCALENDAR` at the given line.
    CalendarStart {
        /// 1-based line of the `BEGIN:VCALENDAR`.
        line: usize,
    },
    /// A property of the enclosing `VCALENDAR` (`PRODID`, `X-WR-TIMEZONE`...).
    CalendarProperty(Property),
    /// A whole component whose parent is a `VCALENDAR`, or a top-level component that is
    /// not one (a bare `VEVENT`, an unknown wrapper).
    Item(Component),
    /// The end of the enclosing `VCALENDAR`.
    CalendarEnd,
}

/// Components that cannot contain one another: a `BEGIN` of one of these while another is
/// open means the client forgot an `END`.
const ITEM_KINDS: &[&str] = &["VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VTIMEZONE"];

fn is_item_kind(name: &str) -> bool {
    ITEM_KINDS.contains(&name)
}

/// Reads iCalendar text as a stream of [`ReadEvent`]s, collecting [`Warning`]s on the way.
pub struct Reader<R> {
    lines: LogicalLines<R>,
    origin: Arc<str>,
    stack: Vec<Component>,
    pending: VecDeque<ReadEvent>,
    warnings: Vec<Warning>,
    /// Index in `warnings` where the currently open item's warnings start (to fill in its UID).
    item_warnings_from: usize,
    /// Lines that looked like iCalendar structure (BEGIN/END or properties inside components).
    saw_structure: bool,
    done: bool,
}

impl<R: BufRead> Reader<R> {
    /// A reader over `input`; `origin` names it in warnings (a path, a URL, an href).
    pub fn new(input: R, origin: impl Into<Arc<str>>) -> Self {
        Reader {
            lines: LogicalLines::new(input),
            origin: origin.into(),
            stack: Vec::new(),
            pending: VecDeque::new(),
            warnings: Vec::new(),
            item_warnings_from: 0,
            saw_structure: false,
            done: false,
        }
    }

    /// Warnings so far, emptied.
    pub fn take_warnings(&mut self) -> Vec<Warning> {
        self.item_warnings_from = 0;
        std::mem::take(&mut self.warnings)
    }

    /// True once any `BEGIN` line was seen: false at the end means the input was not iCalendar.
    pub fn saw_structure(&self) -> bool {
        self.saw_structure
    }

    /// The origin given at construction.
    pub fn origin(&self) -> &Arc<str> {
        &self.origin
    }

    /// The next event, or `Ok(None)` at the end. Errors are I/O errors only: bad content
    /// becomes warnings.
    pub fn next_event(&mut self) -> std::io::Result<Option<ReadEvent>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(Some(event));
            }
            if self.done {
                return Ok(None);
            }
            match self.lines.next_line()? {
                Some((line_no, bytes)) => self.handle_line(line_no, &bytes),
                None => self.finish(),
            }
        }
    }

    fn finish(&mut self) {
        self.done = true;
        if let Some(invalid) = self.lines.invalid_utf8_lines.take() {
            self.warn(
                invalid,
                "text is not valid UTF-8; undecodable bytes were replaced",
            );
        }
        while let Some(open) = self.stack.last() {
            let message = format!("missing END:{} at the end of the input", open.name);
            self.warn(open.line, message);
            self.close_top();
        }
    }

    fn warn(&mut self, line: usize, message: impl Into<String>) {
        self.warnings.push(Warning {
            origin: self.origin.clone(),
            line,
            uid: None,
            message: message.into(),
        });
    }

    fn handle_line(&mut self, line_no: usize, bytes: &[u8]) {
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => {
                self.lines.invalid_utf8_lines.get_or_insert(line_no);
                String::from_utf8_lossy(bytes)
            }
        };
        match parse_content_line(&text, line_no) {
            Ok(prop) if prop.name == "BEGIN" => self.begin(prop.value.trim(), line_no),
            Ok(prop) if prop.name == "END" => self.end(prop.value.trim(), line_no),
            Ok(prop) => self.property(prop),
            Err(reason) => {
                let shown: String = text.chars().take(40).collect();
                self.warn(line_no, format!("{reason}: {shown:?}; kept as is"));
                self.property(Property {
                    name: String::new(),
                    params: Vec::new(),
                    value: text.into_owned(),
                    line: line_no,
                    unparsed: true,
                });
            }
        }
    }

    fn begin(&mut self, name: &str, line: usize) {
        let name = name.to_ascii_uppercase();
        self.saw_structure = true;
        if name == "VCALENDAR" && !self.stack.is_empty() {
            self.warn(
                line,
                "BEGIN:VCALENDAR inside another component; closing what was open",
            );
            self.close_all(line);
        } else if is_item_kind(&name)
            && let Some(pos) = self.stack.iter().position(|c| is_item_kind(&c.name))
        {
            let open = self.stack[pos].name.clone();
            self.warn(line, format!("missing END:{open} before BEGIN:{name}"));
            while self.stack.len() > pos {
                self.close_top();
            }
        }
        if name == "VCALENDAR" {
            self.pending.push_back(ReadEvent::CalendarStart { line });
        }
        if self.emits_as_item(self.stack.len()) {
            self.item_warnings_from = self.warnings.len();
        }
        let mut component = Component::new(name);
        component.line = line;
        self.stack.push(component);
    }

    fn end(&mut self, name: &str, line: usize) {
        let name = name.to_ascii_uppercase();
        match self.stack.iter().rposition(|c| c.name == name) {
            Some(pos) => {
                while self.stack.len() > pos + 1 {
                    let open = self
                        .stack
                        .last()
                        .map(|c| c.name.clone())
                        .unwrap_or_default();
                    self.warn(line, format!("missing END:{open} before END:{name}"));
                    self.close_top();
                }
                self.close_top();
            }
            None => self.warn(
                line,
                format!("END:{name} without a matching BEGIN; ignored"),
            ),
        }
    }

    fn close_all(&mut self, line: usize) {
        while let Some(open) = self.stack.last() {
            let message = format!("missing END:{}", open.name);
            self.warn(line, message);
            self.close_top();
        }
    }

    /// Whether a component opened at `depth` (0 = top level) is yielded as a whole item.
    fn emits_as_item(&self, depth: usize) -> bool {
        match depth {
            0 => true,
            _ => self.stack[depth - 1].name == "VCALENDAR" && depth == 1,
        }
    }

    fn close_top(&mut self) {
        let Some(component) = self.stack.pop() else {
            return;
        };
        let depth = self.stack.len();
        if depth == 0 && component.name == "VCALENDAR" {
            self.pending.push_back(ReadEvent::CalendarEnd);
        } else if self.emits_as_item(depth) {
            self.fill_item_uid(&component);
            self.pending.push_back(ReadEvent::Item(component));
        } else if let Some(parent) = self.stack.last_mut() {
            parent.components.push(component);
        }
    }

    fn fill_item_uid(&mut self, item: &Component) {
        let Some(uid) = item.value("UID") else {
            return;
        };
        let from = self.item_warnings_from.min(self.warnings.len());
        for w in &mut self.warnings[from..] {
            if w.uid.is_none() && w.line >= item.line {
                w.uid = Some(uid.to_string());
            }
        }
    }

    fn property(&mut self, prop: Property) {
        match self.stack.len() {
            0 => {
                let line = prop.line;
                self.warn(
                    line,
                    format!(
                        "line outside any component ({}); ignored",
                        prop_label(&prop)
                    ),
                );
            }
            1 if self.stack[0].name == "VCALENDAR" => {
                self.pending.push_back(ReadEvent::CalendarProperty(prop));
            }
            _ => {
                if let Some(top) = self.stack.last_mut() {
                    top.properties.push(prop);
                }
            }
        }
    }
}

fn prop_label(prop: &Property) -> String {
    if prop.unparsed {
        prop.value.chars().take(40).collect()
    } else {
        prop.name.clone()
    }
}

/// Splits raw input into logical (unfolded) lines, as bytes, with the line number of their
/// first physical line.
struct LogicalLines<R> {
    input: R,
    physical: Vec<u8>,
    /// Physical lines split off a chunk that used lone CRs, waiting to be used.
    queued: VecDeque<Vec<u8>>,
    current: Option<(usize, Vec<u8>)>,
    line_no: usize,
    at_start: bool,
    eof: bool,
    /// First line whose bytes were not valid UTF-8 (reported once per input).
    invalid_utf8_lines: Option<usize>,
}

impl<R: BufRead> LogicalLines<R> {
    fn new(input: R) -> Self {
        LogicalLines {
            input,
            physical: Vec::with_capacity(256),
            queued: VecDeque::new(),
            current: None,
            line_no: 0,
            at_start: true,
            eof: false,
            invalid_utf8_lines: None,
        }
    }

    /// The next physical line without its line ending, or `None` at the end.
    fn next_physical(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        if let Some(line) = self.queued.pop_front() {
            return Ok(Some(line));
        }
        if self.eof {
            return Ok(None);
        }
        self.physical.clear();
        if self.input.read_until(b'\n', &mut self.physical)? == 0 {
            self.eof = true;
            return Ok(None);
        }
        if self.at_start {
            self.at_start = false;
            if self.physical.starts_with(&[0xEF, 0xBB, 0xBF]) {
                self.physical.drain(..3);
            }
        }
        let mut chunk: &[u8] = &self.physical;
        if let Some(rest) = chunk.strip_suffix(b"\n") {
            chunk = rest;
        }
        if let Some(rest) = chunk.strip_suffix(b"\r") {
            chunk = rest;
        }
        // Lone CRs (old Mac files, some fuzzed input) end lines too.
        let mut parts = chunk.split(|&b| b == b'\r');
        let first = parts.next().unwrap_or_default().to_vec();
        self.queued.extend(parts.map(<[u8]>::to_vec));
        Ok(Some(first))
    }

    /// The next unfolded line and the number of its first physical line.
    fn next_line(&mut self) -> std::io::Result<Option<(usize, Vec<u8>)>> {
        loop {
            let Some(physical) = self.next_physical()? else {
                return Ok(self.current.take());
            };
            self.line_no += 1;
            match physical.first() {
                Some(b' ') | Some(b'\t') => match &mut self.current {
                    Some((_, logical)) => logical.extend_from_slice(&physical[1..]),
                    // A continuation with nothing to continue: keep its text as a line.
                    None => self.current = Some((self.line_no, physical[1..].to_vec())),
                },
                None => {}
                Some(_) => {
                    let next = (self.line_no, physical);
                    if let Some(done) = self.current.replace(next) {
                        return Ok(Some(done));
                    }
                }
            }
        }
    }
}

/// Splits one unfolded content line into name, parameters and raw value.
pub fn parse_content_line(line: &str, line_no: usize) -> Result<Property, &'static str> {
    let name_end = line
        .find([';', ':'])
        .ok_or("line has no ':' between name and value")?;
    let name = line[..name_end].trim();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err("line does not start with a property name");
    }
    let mut params = Vec::new();
    let mut rest = &line[name_end..];
    while let Some(after) = rest.strip_prefix(';') {
        let (param, remaining) = parse_param(after)?;
        if let Some(param) = param {
            params.push(param);
        }
        rest = remaining;
    }
    let value = rest
        .strip_prefix(':')
        .ok_or("line has no ':' between name and value")?;
    Ok(Property {
        name: name.to_ascii_uppercase(),
        params,
        value: value.to_string(),
        line: line_no,
        unparsed: false,
    })
}

/// Parses `NAME=v1,"v2"` up to the next unquoted `;` or `:`. An empty parameter (`;;`) is
/// skipped; a parameter without `=` is kept with no values.
fn parse_param(input: &str) -> Result<(Option<Param>, &str), &'static str> {
    let name_end = input
        .find(['=', ';', ':'])
        .ok_or("parameter without a value")?;
    let name = input[..name_end].trim().to_ascii_uppercase();
    let mut rest = &input[name_end..];
    let mut values = Vec::new();
    if let Some(after_eq) = rest.strip_prefix('=') {
        rest = after_eq;
        loop {
            let (value, remaining) = parse_param_value(rest)?;
            values.push(value);
            rest = remaining;
            match rest.strip_prefix(',') {
                Some(more) => rest = more,
                None => break,
            }
        }
    }
    let param = (!name.is_empty()).then_some(Param { name, values });
    Ok((param, rest))
}

fn parse_param_value(input: &str) -> Result<(String, &str), &'static str> {
    if let Some(quoted) = input.strip_prefix('"') {
        let end = quoted
            .find('"')
            .ok_or("unterminated quoted parameter value")?;
        return Ok((quoted[..end].to_string(), &quoted[end + 1..]));
    }
    let end = input.find([',', ';', ':']).unwrap_or(input.len());
    Ok((input[..end].to_string(), &input[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &[u8]) -> (Vec<ReadEvent>, Vec<Warning>) {
        let mut reader = Reader::new(text, "test.ics");
        let mut out = Vec::new();
        while let Some(e) = reader.next_event().unwrap() {
            out.push(e);
        }
        (out, reader.take_warnings())
    }

    fn items(text: &[u8]) -> Vec<Component> {
        events(text)
            .0
            .into_iter()
            .filter_map(|e| match e {
                ReadEvent::Item(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn content_line_with_quoted_params() {
        let p = parse_content_line(
            r#"attendee;CN="Doe, Jane";ROLE=REQ-PARTICIPANT;DELEGATED-TO="mailto:a@x","mailto:b@x":mailto:jane@x"#,
            3,
        )
        .unwrap();
        assert_eq!(p.name, "ATTENDEE");
        assert_eq!(p.param("cn").as_deref(), Some("Doe, Jane"));
        assert_eq!(p.params[2].values, vec!["mailto:a@x", "mailto:b@x"]);
        assert_eq!(p.value, "mailto:jane@x");
        assert_eq!(p.line, 3);
    }

    #[test]
    fn value_may_contain_colons_and_semicolons() {
        let p = parse_content_line("DESCRIPTION:a: b; c", 1).unwrap();
        assert_eq!(p.value, "a: b; c");
    }

    #[test]
    fn unfolds_lf_crlf_and_lone_cr_and_bom() {
        let text = b"\xEF\xBB\xBFBEGIN:VEVENT\r\nUID:a\rSUMMARY:he\n llo\r\nEND:VEVENT";
        let got = items(text);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].value("SUMMARY"), Some("hello"));
        assert_eq!(got[0].value("UID"), Some("a"));
    }

    #[test]
    fn fold_inside_utf8_sequence() {
        // "é" is C3 A9; the fold splits it.
        let text = b"BEGIN:VEVENT\r\nSUMMARY:caf\xC3\r\n \xA9\r\nEND:VEVENT\r\n";
        assert_eq!(items(text)[0].value("SUMMARY"), Some("café"));
    }

    #[test]
    fn missing_end_is_closed_with_warning_naming_uid() {
        let text =
            b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:one\nBEGIN:VEVENT\nUID:two\nEND:VCALENDAR\n";
        let (evs, warnings) = events(text);
        let uids: Vec<_> = evs
            .iter()
            .filter_map(|e| match e {
                ReadEvent::Item(c) => c.value("UID"),
                _ => None,
            })
            .collect();
        assert_eq!(uids, vec!["one", "two"]);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert_eq!(warnings[0].line, 4);
        assert_eq!(warnings[0].uid.as_deref(), Some("one"));
        assert!(warnings[0].message.contains("missing END:VEVENT"));
    }

    #[test]
    fn stray_line_is_kept_and_warned() {
        let text = b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:u\nX\nEND:VEVENT\nEND:VCALENDAR\n";
        let (evs, warnings) = events(text);
        let ReadEvent::Item(ev) = &evs[1] else {
            panic!("{evs:?}")
        };
        assert!(ev.properties.iter().any(|p| p.unparsed && p.value == "X"));
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].line, 4);
        assert_eq!(warnings[0].uid.as_deref(), Some("u"));
    }

    #[test]
    fn unknown_wrapper_is_one_item_with_children() {
        let text = b"BEGIN:X-WRAP\nBEGIN:VEVENT\nUID:a\nEND:VEVENT\nEND:X-WRAP\n";
        let got = items(text);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].name, "X-WRAP");
        assert_eq!(got[0].components[0].name, "VEVENT");
    }

    #[test]
    fn valarm_stays_inside_event() {
        let text = b"BEGIN:VEVENT\nUID:a\nBEGIN:VALARM\nACTION:DISPLAY\nEND:VALARM\nEND:VEVENT\n";
        let got = items(text);
        assert_eq!(got[0].components[0].name, "VALARM");
    }

    #[test]
    fn caret_decoding() {
        let p = parse_content_line("X;A=\"a^'b^^c^nd\":v", 1).unwrap();
        assert_eq!(p.param("A").as_deref(), Some("a\"b^c\nd"));
    }
}
