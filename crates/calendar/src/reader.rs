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

use compact_str::CompactString;

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

/// Components nested deeper than this are dropped, with a warning: real calendars nest four
/// levels at most (`VCALENDAR`, `VEVENT`, `VALARM`, an `X-` part), and tens of thousands of
/// nested `BEGIN` lines (a hostile file) would exhaust the stack of anything that walks the
/// tree (writing it back, dropping it).
pub const MAX_DEPTH: usize = 32;

fn is_item_kind(name: &str) -> bool {
    ITEM_KINDS
        .iter()
        .any(|kind| kind.eq_ignore_ascii_case(name))
}

/// Reads iCalendar text as a stream of [`ReadEvent`]s, collecting [`Warning`]s on the way.
pub struct Reader<R> {
    lines: LogicalLines<R>,
    /// The current logical line (a buffer reused from line to line).
    line: Vec<u8>,
    origin: Arc<str>,
    stack: Vec<Component>,
    /// Components being dropped for nesting deeper than [`MAX_DEPTH`] (their depth below it).
    too_deep: usize,
    /// True once anything was dropped for depth: the text is not whole.
    truncated: bool,
    pending: VecDeque<ReadEvent>,
    /// Where in the input each item waiting in `pending` is, in order.
    pending_spans: VecDeque<Option<std::ops::Range<u64>>>,
    /// Where the item `next_event` returned last is (see [`Reader::last_item_span`]).
    last_item_span: Option<std::ops::Range<u64>>,
    /// Where the item being read begins in the input.
    item_start: u64,
    warnings: Vec<Warning>,
    /// Index in `warnings` where the currently open item's warnings start (to fill in its UID).
    item_warnings_from: usize,
    /// Lines that looked like iCalendar structure (BEGIN/END or properties inside components).
    saw_structure: bool,
    done: bool,
    /// Which properties of components are kept (see [`Reader::keeping_only`]).
    keep: Option<fn(&str) -> bool>,
    /// Which parameters of their properties are kept (see [`Reader::keeping_params`]).
    keep_params: Option<fn(&str) -> bool>,
    /// Which properties of components are kept unparsed (see [`Reader::deferring`]).
    defer: Option<fn(&str) -> bool>,
    /// The most participants a single top-level event read may have (see
    /// [`Reader::screening`]).
    screen: Option<usize>,
    /// The top-level event being screened, held until its `END` line.
    held: Held,
    /// Where the item read again from held lines began in the input.
    replaying_from: Option<u64>,
    /// Events the screen turned down so far.
    screened_out: usize,
}

/// A top-level `VEVENT` held by a screening reader until its `END` line: its logical lines
/// in one buffer, reused from event to event.
#[derive(Debug, Default)]
struct Held {
    /// Whether an event is being held.
    open: bool,
    /// Its lines so far, one after another.
    text: Vec<u8>,
    /// Where each line ends in `text`, and its line number.
    lines: Vec<(usize, usize)>,
    /// Where in `text` the names of the components open inside it (alarms) are, innermost
    /// last.
    nested: Vec<std::ops::Range<usize>>,
    /// Where its `BEGIN` line starts in the input.
    start: u64,
    /// Its own lines (not its alarms') named `ORGANIZER` or `ATTENDEE`, by their index in
    /// `lines`.
    participants: Vec<usize>,
    /// Whether any of its own lines is named `RRULE`, `RDATE` or `RECURRENCE-ID`.
    recurs: bool,
}

impl Held {
    fn push(&mut self, line_no: usize, line: &[u8]) {
        self.text.extend_from_slice(line);
        self.lines.push((self.text.len(), line_no));
    }

    fn clear(&mut self) {
        self.open = false;
        self.text.clear();
        self.lines.clear();
        self.nested.clear();
        self.participants.clear();
        self.recurs = false;
    }

    /// The `i`-th line.
    fn line(&self, i: usize) -> &[u8] {
        let start = i.checked_sub(1).map_or(0, |before| self.lines[before].0);
        &self.text[start..self.lines[i].0]
    }

    /// Whether it is a single event with more than `most` participants, counting only the
    /// lines the reader reads as properties, and no more of them than that takes.
    fn has_more_participants_than(&self, most: usize) -> bool {
        !self.recurs
            && self.participants.len() > most
            && self
                .participants
                .iter()
                .filter(|&&i| splits(self.line(i)))
                .take(most.saturating_add(1))
                .count()
                > most
    }
}

/// What a screening reader does with a line of a held event.
enum Screened {
    /// Held with the others.
    Held,
    /// The event's own `END`, held: the event is whole.
    Whole,
    /// A line the screen does not follow (another item's `BEGIN`, an `END` that closes
    /// something else, a `BEGIN` or `END` written unusually, nesting too deep): the held
    /// lines are read as usual, and so is this one, so the reader's own handling applies.
    Unusual,
}

impl<R: BufRead> Reader<R> {
    /// A reader over `input`; `origin` names it in warnings (a path, a URL, an href).
    pub fn new(input: R, origin: impl Into<Arc<str>>) -> Self {
        Reader {
            lines: LogicalLines::new(input),
            line: Vec::with_capacity(256),
            origin: origin.into(),
            stack: Vec::new(),
            too_deep: 0,
            truncated: false,
            pending: VecDeque::new(),
            pending_spans: VecDeque::new(),
            last_item_span: None,
            item_start: 0,
            warnings: Vec::new(),
            item_warnings_from: 0,
            saw_structure: false,
            done: false,
            keep: None,
            keep_params: None,
            defer: None,
            screen: None,
            held: Held::default(),
            replaying_from: None,
            screened_out: 0,
        }
    }

    /// Keeps, inside components, only the properties whose name `keep` accepts (as written,
    /// so compare case-insensitively); the calendar's own properties are all kept. The others
    /// are still checked, so a broken line is still a warning, but never built: a reader
    /// that needs only a few properties of each component (expansion) saves most of the
    /// allocations.
    pub fn keeping_only(mut self, keep: fn(&str) -> bool) -> Self {
        self.keep = Some(keep);
        self
    }

    /// Keeps, on the properties of components, only the parameters whose name `keep`
    /// accepts (as written): an attendee line's six parameters are a dozen allocations, and
    /// a reader of who takes part needs two or three of them.
    pub fn keeping_params(mut self, keep: fn(&str) -> bool) -> Self {
        self.keep_params = Some(keep);
        self
    }

    /// Keeps, inside components, the properties whose name `defer` accepts as their line,
    /// unparsed (`unparsed` set, the name upper-cased, the value the whole line): checked
    /// as every line is, but split only where the caller reads them, as a
    /// [`PropertyView`]. A big calendar's group meetings carry most of its attendee
    /// lines, and a reader of 1:1s drops those meetings once it has counted them.
    pub fn deferring(mut self, defer: fn(&str) -> bool) -> Self {
        self.defer = Some(defer);
        self
    }

    /// Drops each top-level single event (a `VEVENT` with no `RRULE`, `RDATE` or
    /// `RECURRENCE-ID`) with more than `most` participants (`ORGANIZER` and `ATTENDEE`
    /// lines that read as properties), told from its lines' names before any of them is
    /// parsed: its lines are held until its `END`, and a dropped event's problems (a broken
    /// line, invalid UTF-8) are not reported. A reader of 1:1s drops single meetings of four
    /// or more, most of a big calendar's bytes. The events kept, and every other item, read
    /// exactly as without it: where a held event's structure is unusual (a forgotten `END`,
    /// another item begun inside it), its lines are read as usual.
    pub fn screening(mut self, most: usize) -> Self {
        self.screen = Some(most);
        self
    }

    /// How many events [`Reader::screening`] turned down so far.
    pub fn screened_out(&self) -> usize {
        self.screened_out
    }

    /// The bytes of the input the item `next_event` returned last was read from, from its
    /// `BEGIN` line to its `END` line (or what closed it), line endings included; `None` when
    /// they cannot be told exactly (lines ended by lone CRs). Reading those bytes again reads
    /// that item again, without the rest of a 100 MB file.
    pub fn last_item_span(&self) -> Option<std::ops::Range<u64>> {
        self.last_item_span.clone()
    }

    /// Warnings so far, emptied.
    pub fn take_warnings(&mut self) -> Vec<Warning> {
        self.item_warnings_from = 0;
        std::mem::take(&mut self.warnings)
    }

    /// True when components nested deeper than [`MAX_DEPTH`] were dropped.
    pub fn truncated(&self) -> bool {
        self.truncated
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
                if matches!(event, ReadEvent::Item(_)) {
                    self.last_item_span = self.pending_spans.pop_front().flatten();
                }
                return Ok(Some(event));
            }
            if self.done {
                return Ok(None);
            }
            let mut line = std::mem::take(&mut self.line);
            match self.lines.next_line(&mut line)? {
                Some(line_no) => self.take_line(line_no, &line),
                None => {
                    self.read_held();
                    self.finish();
                }
            }
            self.line = line;
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

    /// Reads one logical line, or holds it with the event being screened.
    fn take_line(&mut self, line_no: usize, bytes: &[u8]) {
        if self.held.open {
            match self.screen_line(bytes) {
                Screened::Held => self.held.push(line_no, bytes),
                Screened::Whole => {
                    self.held.push(line_no, bytes);
                    if self
                        .screen
                        .is_some_and(|most| self.held.has_more_participants_than(most))
                    {
                        self.screened_out += 1;
                        self.saw_structure = true;
                        self.held.clear();
                    } else {
                        self.read_held();
                    }
                }
                Screened::Unusual => {
                    self.read_held();
                    self.handle_line(line_no, bytes);
                }
            }
        } else if self.screen.is_some() && self.begins_top_level_event(bytes) {
            self.held.open = true;
            self.held.start = self.lines.last_span.start;
            self.held.push(line_no, bytes);
        } else {
            self.handle_line(line_no, bytes);
        }
    }

    /// Whether `line` is a plain `BEGIN:VEVENT` where the reader would yield it as an item.
    fn begins_top_level_event(&self, line: &[u8]) -> bool {
        component_named(line, b"BEGIN:").is_some_and(|name| name.eq_ignore_ascii_case("VEVENT"))
            && self.too_deep == 0
            && self.stack.len() < MAX_DEPTH
            && self.emits_as_item(self.stack.len())
    }

    /// Follows the structure of the held event through `line` and notes what its own
    /// lines are (see [`Held`]).
    fn screen_line(&mut self, line: &[u8]) -> Screened {
        // Most of an event's lines (DTSTART, SUMMARY, DESCRIPTION, UID, X-…) are none of the
        // names followed here, all of which begin with one of these letters: such a line is
        // held without looking for where its name ends.
        let first = line.iter().find(|b| !b.is_ascii_whitespace());
        if !first
            .is_some_and(|b| matches!(b.to_ascii_uppercase(), b'A' | b'B' | b'E' | b'O' | b'R'))
        {
            return Screened::Held;
        }
        let Some((name, after)) = name_of(line) else {
            // No name: held, for the reader to judge if kept.
            return Screened::Held;
        };
        let is = |known: &[u8]| name.eq_ignore_ascii_case(known);
        // Only `BEGIN:NAME` and `END:NAME` with a plain name are followed.
        let component = || {
            after
                .strip_prefix(b":")
                .map(<[u8]>::trim_ascii)
                .filter(|c| is_plain_name(c))
        };
        let held = &mut self.held;
        if is(b"BEGIN") {
            let Some(begun) = component() else {
                return Screened::Unusual;
            };
            let begun_str = std::str::from_utf8(begun).unwrap_or("");
            let depth = self.stack.len() + 1 + held.nested.len();
            if is_item_kind(begun_str)
                || begun_str.eq_ignore_ascii_case("VCALENDAR")
                || depth >= MAX_DEPTH
            {
                return Screened::Unusual;
            }
            // Where the name will be once the line is held (it is a part of `line`).
            let at = held.text.len() + (begun.as_ptr().addr() - line.as_ptr().addr());
            held.nested.push(at..at + begun.len());
            return Screened::Held;
        }
        if is(b"END") {
            let Some(ended) = component() else {
                return Screened::Unusual;
            };
            return match held.nested.last() {
                None if ended.eq_ignore_ascii_case(b"VEVENT") => Screened::Whole,
                Some(open) if held.text[open.clone()].eq_ignore_ascii_case(ended) => {
                    held.nested.pop();
                    Screened::Held
                }
                _ => Screened::Unusual,
            };
        }
        if held.nested.is_empty() {
            if is(b"ATTENDEE") || is(b"ORGANIZER") {
                held.participants.push(held.lines.len());
            } else if is(b"RRULE") || is(b"RDATE") || is(b"RECURRENCE-ID") {
                held.recurs = true;
            }
        }
        Screened::Held
    }

    /// Reads the held event's lines as usual, as if never held.
    fn read_held(&mut self) {
        if !self.held.open {
            return;
        }
        let mut held = std::mem::take(&mut self.held);
        self.replaying_from = Some(held.start);
        let mut from = 0;
        for &(end, line_no) in &held.lines {
            self.handle_line(line_no, &held.text[from..end]);
            from = end;
        }
        self.replaying_from = None;
        held.clear();
        self.held = held;
    }

    fn handle_line(&mut self, line_no: usize, bytes: &[u8]) {
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => {
                self.lines.invalid_utf8_lines.get_or_insert(line_no);
                String::from_utf8_lossy(bytes)
            }
        };
        match split_content_line(&text) {
            Ok(raw) if raw.name.eq_ignore_ascii_case("BEGIN") => {
                self.begin(raw.value.trim(), line_no)
            }
            Ok(raw) if raw.name.eq_ignore_ascii_case("END") => self.end(raw.value.trim(), line_no),
            Ok(raw) if self.skips(raw.name) => {}
            Ok(raw) if self.defers(raw.name) => {
                self.property(Property {
                    name: crate::model::upper_case(raw.name),
                    params: Vec::new(),
                    value: CompactString::from(text),
                    line: line_no,
                    unparsed: true,
                });
            }
            Ok(raw) => {
                let params = self.keep_params.filter(|_| self.in_component());
                self.property(raw.into_property_keeping(line_no, params))
            }
            Err(reason) => {
                let shown: String = text.chars().take(40).collect();
                self.warn(line_no, format!("{reason}: {shown:?}; kept as is"));
                self.property(Property {
                    name: CompactString::default(),
                    params: Vec::new(),
                    value: CompactString::from(text),
                    line: line_no,
                    unparsed: true,
                });
            }
        }
    }

    /// True when a property named `name`, read now, is not kept (see [`Reader::keeping_only`]).
    fn skips(&self, name: &str) -> bool {
        self.in_component() && self.keep.is_some_and(|keep| !keep(name))
    }

    /// True when a property named `name`, read now, is kept unparsed (see
    /// [`Reader::deferring`]).
    fn defers(&self, name: &str) -> bool {
        self.in_component() && self.defer.is_some_and(|defer| defer(name))
    }

    /// True inside a component (not among the calendar's own properties).
    fn in_component(&self) -> bool {
        match self.stack.as_slice() {
            [] => false,
            [calendar] => calendar.name != "VCALENDAR",
            _ => true,
        }
    }

    fn begin(&mut self, name: &str, line: usize) {
        let name = crate::model::upper_case(name);
        self.saw_structure = true;
        if self.too_deep > 0 || self.stack.len() >= MAX_DEPTH {
            if !self.truncated {
                self.warn(
                    line,
                    format!("components nested deeper than {MAX_DEPTH} levels; the deeper ones are dropped"),
                );
            }
            self.truncated = true;
            self.too_deep += 1;
            return;
        }
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
            self.item_start = self
                .replaying_from
                .take()
                .unwrap_or(self.lines.last_span.start);
        }
        // The name is upper-cased already: given as it is, not through `Component::new`.
        self.stack.push(Component {
            name,
            properties: Vec::new(),
            components: Vec::new(),
            line,
        });
    }

    fn end(&mut self, name: &str, line: usize) {
        if self.too_deep > 0 {
            self.too_deep -= 1;
            return;
        }
        // Compared without a copy: every `END` line of a big file comes here.
        match self
            .stack
            .iter()
            .rposition(|c| c.name.eq_ignore_ascii_case(name))
        {
            Some(pos) => {
                while self.stack.len() > pos + 1 {
                    let open = self
                        .stack
                        .last()
                        .map(|c| c.name.clone())
                        .unwrap_or_default();
                    let name = name.to_ascii_uppercase();
                    self.warn(line, format!("missing END:{open} before END:{name}"));
                    self.close_top();
                }
                self.close_top();
            }
            None => self.warn(
                line,
                format!(
                    "END:{} without a matching BEGIN; ignored",
                    name.to_ascii_uppercase()
                ),
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
            let span = self.item_start..self.lines.last_span.end;
            self.pending_spans
                .push_back(self.lines.spans_exact.then_some(span));
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
        if self.too_deep > 0 {
            return;
        }
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
        prop.name.to_string()
    }
}

/// Splits raw input into logical (unfolded) lines, as bytes, with the line number of their
/// first physical line. Its buffers are reused from line to line: reading allocates nothing
/// once they have grown to the longest line.
struct LogicalLines<R> {
    input: R,
    /// The physical line just read, without its line ending.
    physical: Vec<u8>,
    /// Physical lines split off a chunk that used lone CRs, waiting to be used.
    queued: VecDeque<Vec<u8>>,
    /// The logical line being unfolded, and the number of its first physical line.
    current: Vec<u8>,
    current_line: Option<usize>,
    line_no: usize,
    at_start: bool,
    eof: bool,
    /// First line whose bytes were not valid UTF-8 (reported once per input).
    invalid_utf8_lines: Option<usize>,
    /// Bytes read from the input so far.
    consumed: u64,
    /// Where in the input the physical line just read, the logical line being unfolded and
    /// the logical line handed out last are, line endings included.
    physical_span: std::ops::Range<u64>,
    current_span: std::ops::Range<u64>,
    last_span: std::ops::Range<u64>,
    /// False once a line ended by a lone CR was met: spans are then not exact.
    spans_exact: bool,
}

impl<R: BufRead> LogicalLines<R> {
    fn new(input: R) -> Self {
        LogicalLines {
            input,
            physical: Vec::with_capacity(256),
            queued: VecDeque::new(),
            current: Vec::with_capacity(256),
            current_line: None,
            line_no: 0,
            at_start: true,
            eof: false,
            invalid_utf8_lines: None,
            consumed: 0,
            physical_span: 0..0,
            current_span: 0..0,
            last_span: 0..0,
            spans_exact: true,
        }
    }

    /// Reads the next physical line, without its line ending, into `self.physical`; false at
    /// the end.
    fn next_physical(&mut self) -> std::io::Result<bool> {
        self.physical.clear();
        if let Some(line) = self.queued.pop_front() {
            self.physical = line;
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        let read = self.input.read_until(b'\n', &mut self.physical)?;
        if read == 0 {
            self.eof = true;
            return Ok(false);
        }
        self.physical_span = self.consumed..self.consumed + read as u64;
        self.consumed += read as u64;
        if self.at_start {
            self.at_start = false;
            if self.physical.starts_with(&[0xEF, 0xBB, 0xBF]) {
                self.physical.drain(..3);
            }
        }
        if self.physical.ends_with(b"\n") {
            self.physical.pop();
        }
        if self.physical.ends_with(b"\r") {
            self.physical.pop();
        }
        // Lone CRs (old Mac files, some fuzzed input) end lines too.
        if let Some(cr) = memchr::memchr(b'\r', &self.physical) {
            self.spans_exact = false;
            let rest = self.physical.split_off(cr);
            self.queued
                .extend(rest[1..].split(|&b| b == b'\r').map(<[u8]>::to_vec));
        }
        Ok(true)
    }

    /// Puts the next unfolded line into `out` (replacing its content) and returns the number
    /// of its first physical line, or `None` at the end.
    fn next_line(&mut self, out: &mut Vec<u8>) -> std::io::Result<Option<usize>> {
        loop {
            if !self.next_physical()? {
                return Ok(self.take_current(out));
            }
            self.line_no += 1;
            match self.physical.first() {
                Some(b' ') | Some(b'\t') => {
                    if self.current_line.is_none() {
                        // A continuation with nothing to continue: keep its text as a line.
                        self.current.clear();
                        self.current_line = Some(self.line_no);
                        self.current_span = self.physical_span.clone();
                    }
                    self.current.extend_from_slice(&self.physical[1..]);
                    self.current_span.end = self.physical_span.end;
                }
                None => {}
                Some(_) => {
                    let done = self.take_current(out);
                    // The new line becomes the one being unfolded; its old buffer is reused.
                    std::mem::swap(&mut self.current, &mut self.physical);
                    self.current_line = Some(self.line_no);
                    self.current_span = self.physical_span.clone();
                    if done.is_some() {
                        return Ok(done);
                    }
                }
            }
        }
    }

    /// Hands the line being unfolded over to `out`, swapping buffers instead of copying.
    fn take_current(&mut self, out: &mut Vec<u8>) -> Option<usize> {
        let line = self.current_line.take()?;
        std::mem::swap(out, &mut self.current);
        self.last_span = self.current_span.clone();
        Some(line)
    }
}

/// What [`each_event`] hands over, in input order.
pub(crate) enum Piece<'a> {
    /// One `VEVENT` (with its alarms), unfolded, each line ending in `\n`, without the lines
    /// the caller did not want, and its `UID` when a line names one.
    Event {
        uid: Option<&'a str>,
        text: &'a [u8],
    },
    /// Any other logical line, unfolded, without its line ending.
    Line(&'a [u8]),
}

/// Walks `input`'s logical lines, handing each `VEVENT` over with the lines of it that
/// `keep_line` wants (its `BEGIN` and `END` lines always) and every other line on its own: a
/// line-level pass, far cheaper than reading every property (finding the notes of a few
/// hundred 1:1s in a 100 MB export must not cost a full parse), which parses no property but
/// the `UID`. An event whose `END` was forgotten ends where the next item begins, as the
/// reader ends it.
pub(crate) fn each_event(
    input: impl BufRead,
    keep_line: impl Fn(&[u8]) -> bool,
    mut sink: impl FnMut(Piece<'_>),
) -> std::io::Result<()> {
    /// The event being read: its lines, how deep inside it the reading is, its UID.
    struct Open {
        text: Vec<u8>,
        depth: usize,
        uid: Option<String>,
    }
    /// Hands a finished event over, keeping its buffer for the next.
    fn flush(open: Option<Open>, spare: &mut Vec<u8>, sink: &mut impl FnMut(Piece<'_>)) {
        if let Some(open) = open {
            sink(Piece::Event {
                uid: open.uid.as_deref(),
                text: &open.text,
            });
            *spare = open.text;
            spare.clear();
        }
    }
    let mut lines = LogicalLines::new(input);
    let mut line = Vec::new();
    let mut event: Option<Open> = None;
    // One event's lines at a time, in one buffer reused from event to event.
    let mut spare = Vec::new();
    while lines.next_line(&mut line)?.is_some() {
        let begins = component_named(&line, b"BEGIN:");
        if let Some(open) = &mut event {
            // Another item while this one is open: the reader takes the `END` as forgotten,
            // and so does this.
            if begins.is_some_and(is_item_kind) {
                flush(event.take(), &mut spare, &mut sink);
            } else {
                let structural = if begins.is_some() {
                    open.depth += 1;
                    true
                } else if component_named(&line, b"END:").is_some() {
                    open.depth -= 1;
                    true
                } else {
                    if open.uid.is_none() && starts_with_ignore_case(&line, b"UID") {
                        open.uid = uid_of(&line);
                    }
                    false
                };
                if structural || keep_line(&line) {
                    open.text.extend_from_slice(&line);
                    open.text.push(b'\n');
                }
                if open.depth == 0 {
                    flush(event.take(), &mut spare, &mut sink);
                }
                continue;
            }
        }
        if begins.is_some_and(|name| name.eq_ignore_ascii_case("VEVENT")) {
            let mut text = std::mem::take(&mut spare);
            text.extend_from_slice(&line);
            text.push(b'\n');
            event = Some(Open {
                text,
                depth: 1,
                uid: None,
            });
        } else {
            sink(Piece::Line(&line));
        }
    }
    flush(event.take(), &mut spare, &mut sink);
    Ok(())
}

/// A line's name as the reader would read it (trimmed, not checked: compared with known
/// names only), and the rest of the line from the `;` or `:` that ends it.
fn name_of(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = memchr::memchr2(b';', b':', line)?;
    Some((line[..end].trim_ascii(), &line[end..]))
}

/// Letters, digits, `-` and `_`, at least one: a name as the reader accepts one.
fn is_plain_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether a line with a known name reads as a property: without quotes it does whenever
/// a `:` follows the name (every parameter then ends at a `,`, `;` or `:`), so only a line
/// with quotes is split to tell.
fn splits(line: &[u8]) -> bool {
    let Some((_, after)) = name_of(line) else {
        return false;
    };
    match memchr::memchr(b'"', after) {
        None => memchr::memchr(b':', after).is_some(),
        Some(_) => split_content_line(&String::from_utf8_lossy(line)).is_ok(),
    }
}

/// The value of a `UID` line (`None` for another property that starts with those letters).
fn uid_of(line: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(line);
    split_content_line(&text)
        .ok()
        .filter(|raw| raw.name.eq_ignore_ascii_case("UID"))
        .map(|raw| raw.value.trim().to_string())
}

/// The component a `BEGIN:` or `END:` line names (`prefix` in any case), trimmed.
fn component_named<'a>(line: &'a [u8], prefix: &[u8]) -> Option<&'a str> {
    if !starts_with_ignore_case(line, prefix) {
        return None;
    }
    std::str::from_utf8(&line[prefix.len()..])
        .ok()
        .map(str::trim)
}

fn starts_with_ignore_case(line: &[u8], prefix: &[u8]) -> bool {
    line.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// One property as a reader of a few of its parameters sees it, parsed or kept unparsed by
/// a [`Reader::deferring`]: its value and parameters borrowed, nothing allocated. The
/// participants of a big calendar's events are read this way, never built as [`Property`].
#[derive(Debug, Clone, Copy)]
pub enum PropertyView<'a> {
    /// A property parsed when read.
    Parsed(&'a Property),
    /// A deferred property's line, split now.
    Deferred(RawLine<'a>),
}

impl<'a> PropertyView<'a> {
    /// The view of `p`; `None` for a line that is not a property (kept as it is).
    pub fn of(p: &'a Property) -> Option<PropertyView<'a>> {
        match (p.unparsed, p.name.is_empty()) {
            (false, _) => Some(PropertyView::Parsed(p)),
            (true, true) => None,
            (true, false) => split_content_line(&p.value)
                .ok()
                .map(PropertyView::Deferred),
        }
    }

    /// The raw value, still escaped.
    pub fn value(&self) -> &'a str {
        match self {
            PropertyView::Parsed(p) => &p.value,
            PropertyView::Deferred(raw) => raw.value,
        }
    }

    /// The first value of the parameter with this name, RFC 6868 escapes decoded (see
    /// [`Property::param_borrowed`]).
    pub fn param(&self, name: &str) -> Option<std::borrow::Cow<'a, str>> {
        let [value] = self.params([name]);
        value
    }

    /// True when the parameter is present with this value (case-insensitive).
    pub fn param_is(&self, name: &str, value: &str) -> bool {
        self.param(name)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(value))
    }

    /// [`PropertyView::param`] of each of `names`, the line looked through once.
    pub fn params<const N: usize>(
        &self,
        names: [&str; N],
    ) -> [Option<std::borrow::Cow<'a, str>>; N] {
        let mut found: [Option<std::borrow::Cow<'a, str>>; N] = std::array::from_fn(|_| None);
        match self {
            PropertyView::Parsed(p) => {
                for (slot, name) in found.iter_mut().zip(names) {
                    *slot = p.param_borrowed(name);
                }
            }
            PropertyView::Deferred(raw) => {
                let mut seen = [false; N];
                raw.each_param(|name, values| {
                    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(name))
                        && !seen[i]
                    {
                        seen[i] = true;
                        found[i] = values
                            .and_then(|v| param_values(v).next())
                            .map(crate::model::decode_param_value_borrowed);
                    }
                });
            }
        }
        found
    }
}

/// Every property of `component` named `name` (any case), parsed or deferred, in order.
pub fn views_named<'a>(
    component: &'a Component,
    name: &'a str,
) -> impl Iterator<Item = PropertyView<'a>> {
    component
        .properties
        .iter()
        .filter(move |p| p.name.eq_ignore_ascii_case(name))
        .filter_map(PropertyView::of)
}

/// Splits one unfolded content line into name, parameters and raw value.
pub fn parse_content_line(line: &str, line_no: usize) -> Result<Property, &'static str> {
    split_content_line(line).map(|raw| raw.into_property(line_no))
}

/// A content line split into its parts, borrowed from the line. The parameters are checked
/// but not yet parsed, so a line that is not kept costs no allocation.
#[derive(Debug, Clone, Copy)]
pub struct RawLine<'a> {
    name: &'a str,
    /// `;NAME=value;...` as written.
    params: &'a str,
    value: &'a str,
}

impl<'a> RawLine<'a> {
    /// Calls `each` with every parameter's name and values as written (`None` without `=`).
    fn each_param(&self, mut each: impl FnMut(&'a str, Option<&'a str>)) {
        let mut rest = self.params;
        while let Some(after) = rest.strip_prefix(';') {
            let Ok((name, values, remaining)) = split_param(after) else {
                break;
            };
            each(name, values);
            rest = remaining;
        }
    }

    fn into_property(self, line_no: usize) -> Property {
        self.into_property_keeping(line_no, None)
    }

    /// The property, with only the parameters `keep` accepts (all without it).
    fn into_property_keeping(self, line_no: usize, keep: Option<fn(&str) -> bool>) -> Property {
        let mut params = Vec::new();
        let mut rest = self.params;
        while let Some(after) = rest.strip_prefix(';') {
            // Already checked by `split_content_line`, so this does not fail.
            let Ok((name, values, remaining)) = split_param(after) else {
                break;
            };
            // An empty parameter (`;;`) is skipped; one without `=` is kept with no values.
            if !name.is_empty() && keep.is_none_or(|keep| keep(name)) {
                params.push(Param {
                    name: crate::model::upper_case(name),
                    values: values.map_or_else(Vec::new, |v| {
                        param_values(v).map(CompactString::from).collect()
                    }),
                });
            }
            rest = remaining;
        }
        Property {
            name: crate::model::upper_case(self.name),
            params,
            value: CompactString::from(self.value),
            line: line_no,
            unparsed: false,
        }
    }
}

fn split_content_line(line: &str) -> Result<RawLine<'_>, &'static str> {
    // The delimiters are ASCII, so where a byte search finds one is a char boundary.
    let name_end = memchr::memchr2(b';', b':', line.as_bytes())
        .ok_or("line has no ':' between name and value")?;
    let name = line[..name_end].trim();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err("line does not start with a property name");
    }
    let mut rest = &line[name_end..];
    while let Some(after) = rest.strip_prefix(';') {
        rest = split_param(after)?.2;
    }
    let params = &line[name_end..line.len() - rest.len()];
    let value = rest
        .strip_prefix(':')
        .ok_or("line has no ':' between name and value")?;
    Ok(RawLine {
        name,
        params,
        value,
    })
}

/// Splits one parameter, `NAME=v1,"v2"`, off the front of `input` (just after its `;`), up to
/// the next unquoted `;` or `:`. Returns its trimmed name, its values as written (`None`
/// without `=`), and the rest of the line.
fn split_param(input: &str) -> Result<(&str, Option<&str>, &str), &'static str> {
    let name_end =
        memchr::memchr3(b'=', b';', b':', input.as_bytes()).ok_or("parameter without a value")?;
    let name = input[..name_end].trim();
    let rest = &input[name_end..];
    let Some(values) = rest.strip_prefix('=') else {
        return Ok((name, None, rest));
    };
    let mut end = 0;
    loop {
        end += param_value_len(&values[end..])?;
        match values[end..].starts_with(',') {
            true => end += 1,
            false => break,
        }
    }
    Ok((name, Some(&values[..end]), &values[end..]))
}

/// The length of the parameter value at the start of `input`, quotes included.
fn param_value_len(input: &str) -> Result<usize, &'static str> {
    match input.strip_prefix('"') {
        Some(quoted) => quoted
            .find('"')
            .map(|end| end + 2)
            .ok_or("unterminated quoted parameter value"),
        None => Ok(memchr::memchr3(b',', b';', b':', input.as_bytes()).unwrap_or(input.len())),
    }
}

/// The values of a parameter, as split off by [`split_param`], without their quotes.
fn param_values(values: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(values);
    std::iter::from_fn(move || {
        let input = rest?;
        let len = param_value_len(input).unwrap_or(input.len());
        let value = &input[..len];
        rest = input[len..].strip_prefix(',');
        Some(
            value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value),
        )
    })
}

#[cfg(test)]
pub(crate) mod tests {
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

    #[test]
    fn parameter_forms() {
        let p = parse_content_line("X;;A;B=;C=a,;D=\"q;:\",r:v", 1).unwrap();
        let got: Vec<_> = p.params.iter().map(|p| (&*p.name, &p.values)).collect();
        let strings = |v: &[&str]| {
            v.iter()
                .map(|s| CompactString::from(*s))
                .collect::<Vec<_>>()
        };
        assert_eq!(got[0], ("A", &Vec::new()));
        assert_eq!(got[1], ("B", &strings(&[""])));
        assert_eq!(got[2], ("C", &strings(&["a", ""])));
        assert_eq!(got[3], ("D", &strings(&["q;:", "r"])));
        assert_eq!(p.value, "v");
        assert!(parse_content_line("X;A=\"open:v", 1).is_err());
        assert!(parse_content_line("X;A=\"a\"b:v", 1).is_err());
    }

    #[test]
    fn keeping_only_drops_other_properties_but_not_their_warnings() {
        let text = b"BEGIN:VCALENDAR\nX-WR-TIMEZONE:UTC\nBEGIN:VEVENT\nUID:u\n\
                     ATTENDEE;CN=\"broken:mailto:a@x\nDESCRIPTION:long\n text\n\
                     BEGIN:VALARM\nACTION:DISPLAY\nEND:VALARM\nEND:VEVENT\nEND:VCALENDAR\n";
        let mut reader = Reader::new(&text[..], "t.ics").keeping_only(|name| name == "UID");
        let mut got = Vec::new();
        while let Some(e) = reader.next_event().unwrap() {
            got.push(e);
        }
        assert!(matches!(&got[1], ReadEvent::CalendarProperty(p) if p.name == "X-WR-TIMEZONE"));
        let ReadEvent::Item(ev) = &got[2] else {
            panic!("{got:?}")
        };
        let names: Vec<_> = ev.properties.iter().map(|p| p.name.as_str()).collect();
        // The broken line is kept as it is (unparsed, no name), like without the filter.
        assert_eq!(names, vec!["UID", ""]);
        assert!(ev.components[0].properties.is_empty());
        let warnings = reader.take_warnings();
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].line, 5);
    }

    #[test]
    fn deferred_properties_are_kept_as_their_line_and_parse_as_the_reader_would() {
        let text = b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:u\n\
                     attendee;CN=\"Doe, J\";PARTSTAT=DECLINED;X-A=1:mailto:j@x\n\
                     ATTENDEE;CN=\"broken:mailto:a@x\nEND:VEVENT\nEND:VCALENDAR\n";
        let params: fn(&str) -> bool = |name| name.eq_ignore_ascii_case("CN");
        let read = |defer: bool| {
            let mut reader = Reader::new(&text[..], "t.ics").keeping_params(params);
            if defer {
                reader = reader.deferring(|name| name.eq_ignore_ascii_case("ATTENDEE"));
            }
            let mut items = Vec::new();
            while let Some(e) = reader.next_event().unwrap() {
                if let ReadEvent::Item(item) = e {
                    items.push(item);
                }
            }
            (items.remove(0), reader.take_warnings().len())
        };
        let ((parsed, warned), (deferred, warned_deferred)) = (read(false), read(true));
        assert_eq!(warned, 1);
        assert_eq!(warned_deferred, warned, "checked alike");
        let kept = &deferred.properties[1];
        assert!(kept.unparsed && kept.name == "ATTENDEE" && kept.params.is_empty());
        assert!(kept.value.starts_with("attendee;CN="), "{kept:?}");
        assert!(
            deferred.property("ATTENDEE").is_none(),
            "not read as parsed"
        );
        let (view, parsed_view) = (
            PropertyView::of(kept).unwrap(),
            PropertyView::of(&parsed.properties[1]).unwrap(),
        );
        assert!(matches!(view, PropertyView::Deferred(_)));
        assert_eq!(view.value(), parsed_view.value());
        assert_eq!(view.param("cn").as_deref(), Some("Doe, J"));
        assert_eq!(view.param("CN"), parsed_view.param("CN"));
        assert!(
            view.param_is("PARTSTAT", "declined"),
            "every parameter is there"
        );
        assert_eq!(view.param("X-MISSING"), None);
        let names: Vec<_> = views_named(&deferred, "ATTENDEE")
            .map(|v| v.value())
            .collect();
        assert_eq!(names, ["mailto:j@x"], "the broken line is no property");
        // The UID is parsed; the broken line (no name) is no property.
        assert!(matches!(
            PropertyView::of(&deferred.properties[0]),
            Some(PropertyView::Parsed(_))
        ));
        assert!(PropertyView::of(&deferred.properties[2]).is_none());
        assert_eq!(deferred.properties[2], parsed.properties[2]);
    }

    /// The text of `input` without the events whose `UID` `keep` does not want: every other
    /// line (the calendar's own, time zones, other components) is kept, unfolded, one per line.
    ///
    /// A line-level pass, far cheaper than reading every property: finding the notes of a few
    /// hundred 1:1s in a 100 MB export must not cost a full parse. It errs on the side of
    /// keeping: an event whose `UID` it cannot tell is kept, for the reader to judge.
    fn only_events_wanted(
        input: impl BufRead,
        keep: impl Fn(&str) -> bool,
    ) -> std::io::Result<Vec<u8>> {
        let mut kept = Vec::new();
        each_event(
            input,
            |_| true,
            |piece| match piece {
                Piece::Event { uid, text } => {
                    if uid.is_none_or(&keep) {
                        kept.extend_from_slice(text);
                    }
                }
                Piece::Line(line) => {
                    kept.extend_from_slice(line);
                    kept.push(b'\n');
                }
            },
        )?;
        Ok(kept)
    }

    fn wanted(text: &str, keep: &[&str]) -> String {
        let out = only_events_wanted(text.as_bytes(), |uid| keep.contains(&uid)).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn only_events_wanted_drops_the_others_whole_and_keeps_everything_else() {
        let text = "\u{feff}BEGIN:VCALENDAR\r\nPRODID:x\r\nBEGIN:VTIMEZONE\r\nTZID:Z\r\n\
            END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:drop\r\nBEGIN:VALARM\r\nACTION:AUDIO\r\n\
            END:VALARM\r\nSUMMARY:gone\r\nEND:VEVENT\r\nbegin:vevent\r\nSUMMARY:kept,\r\n  fol\r\n \
            ded\r\nuid;X-P=1:ke\r\n ep \r\nBEGIN:VALARM\r\nEND:VALARM\r\nend:vevent\r\n\
            BEGIN:VTODO\r\nUID:drop\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
        assert_eq!(
            wanted(text, &["keep"]),
            "BEGIN:VCALENDAR\nPRODID:x\nBEGIN:VTIMEZONE\nTZID:Z\nEND:VTIMEZONE\n\
             begin:vevent\nSUMMARY:kept, folded\nuid;X-P=1:keep \nBEGIN:VALARM\nEND:VALARM\n\
             end:vevent\nBEGIN:VTODO\nUID:drop\nEND:VTODO\nEND:VCALENDAR\n"
        );
    }

    #[test]
    fn only_events_wanted_keeps_what_it_cannot_judge() {
        // No UID at all, a property that only starts like one, and an event whose END was
        // forgotten before the next (the reader closes it there too).
        let text = "BEGIN:VEVENT\nUIDX:drop\nSUMMARY:no uid\nEND:VEVENT\n\
            BEGIN:VEVENT\nUID:keep\nBEGIN:VEVENT\nUID:drop\nEND:VEVENT\n\
            BEGIN:VEVENT\nUID:keep\n";
        assert_eq!(
            wanted(text, &["keep"]),
            "BEGIN:VEVENT\nUIDX:drop\nSUMMARY:no uid\nEND:VEVENT\n\
             BEGIN:VEVENT\nUID:keep\nBEGIN:VEVENT\nUID:keep\n"
        );
    }

    /// Every calendar the project tests with (`tests/data`, fixtures from real apps).
    pub(crate) fn project_calendars() -> Vec<std::path::PathBuf> {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "ics") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data"),
            &mut files,
        );
        assert!(files.len() > 20, "the project's calendars: {}", files.len());
        files
    }

    #[test]
    fn an_items_span_reads_as_the_item() {
        // Folded lines, CRLF and LF, a BOM, a forgotten END.
        let text = "\u{feff}BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:fo\r\n ld\r\n\
            END:VEVENT\r\nBEGIN:VTIMEZONE\nTZID:Z\nEND:VTIMEZONE\nBEGIN:VEVENT\nUID:b\n\
            BEGIN:VEVENT\nUID:c\nEND:VEVENT\nEND:VCALENDAR\n";
        let mut checked = 0;
        for file in project_calendars()
            .into_iter()
            .map(|f| std::fs::read(f).unwrap())
            .chain([text.as_bytes().to_vec()])
        {
            let mut reader = Reader::new(file.as_slice(), "t");
            while let Some(event) = reader.next_event().unwrap() {
                let ReadEvent::Item(item) = event else {
                    continue;
                };
                let Some(span) = reader.last_item_span() else {
                    continue;
                };
                let bytes = &file[span.start as usize..span.end as usize];
                let mut again = Reader::new(bytes, "t");
                let Some(ReadEvent::Item(read)) = again.next_event().unwrap() else {
                    panic!("{:?}", String::from_utf8_lossy(bytes));
                };
                // The same text (line numbers differ, of course).
                let text = |c: Component| {
                    crate::Document {
                        components: vec![c],
                    }
                    .to_ical()
                };
                assert_eq!(text(read), text(item));
                checked += 1;
            }
        }
        assert!(checked > 100, "{checked}");
    }

    /// Everything a reader yields from `text`, with each item's span, and its warnings and
    /// how many events it screened out.
    fn read_all(text: &[u8], screen: Option<usize>) -> ReadAll {
        let mut reader = Reader::new(text, "t.ics");
        if let Some(most) = screen {
            reader = reader.screening(most);
        }
        let mut out = Vec::new();
        while let Some(e) = reader.next_event().unwrap() {
            let span = matches!(e, ReadEvent::Item(_))
                .then(|| reader.last_item_span())
                .flatten();
            out.push((e, span));
        }
        let structure = reader.saw_structure();
        (
            out,
            reader.take_warnings(),
            reader.screened_out(),
            structure,
        )
    }

    type ReadAll = (
        Vec<(ReadEvent, Option<std::ops::Range<u64>>)>,
        Vec<Warning>,
        usize,
        bool,
    );

    /// Whether a screen of three drops `event` as the reader parsed it: a single event
    /// with more than three participants.
    fn drops(event: &Component) -> bool {
        let names = |of: &[&str]| {
            event
                .properties
                .iter()
                .filter(|p| of.contains(&p.name.as_str()))
                .count()
        };
        event.name == "VEVENT"
            && names(&["RRULE", "RDATE", "RECURRENCE-ID"]) == 0
            && names(&["ATTENDEE", "ORGANIZER"]) > 3
    }

    /// Calendars whose structure the screen must hand back to the reader.
    const ODD: &[&str] = &[
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nATTENDEE:a\nATTENDEE:b\nATTENDEE:c\n\
         ORGANIZER:d\nBEGIN:VTODO\nUID:t\nEND:VTODO\nEND:VEVENT\nEND:VCALENDAR\n",
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nBEGIN:VALARM\nATTENDEE:a\nEND:VEVENT\n\
         END:VCALENDAR\n",
        "BEGIN:VEVENT\nUID:a\nATTENDEE:a\nATTENDEE:b\nATTENDEE:c\nATTENDEE:d\n\
         BEGIN;X=1:VALARM\nEND:VALARM\nEND:VEVENT\n",
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nATTENDEE:a\nATTENDEE:b\nATTENDEE:c\n\
         ATTENDEE:d\nEND:VCALENDAR\n",
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nATTENDEE:a\nATTENDEE:b\nATTENDEE:c\n\
         ATTENDEE:d\nBEGIN:VEVENT\nUID:b\nEND:VEVENT\nEND:VCALENDAR\n",
        "BEGIN:VEVENT\rUID:a\rATTENDEE:a\rATTENDEE:b\rATTENDEE:c\rATTENDEE:d\rEND:VEVENT\r",
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nX-BROKEN\nATTENDEE:a\nATTENDEE;CN=\"x:a\n\
         ATTENDEE:c\nORGANIZER:d\nEND:VEVENT\nBEGIN:VEVENT\nUID:b\nEND:VCALENDAR\nEND:VEVENT\n",
    ];

    #[test]
    fn screening_keeps_what_it_may_not_drop_and_reads_it_as_the_reader_does() {
        let nested = format!(
            "BEGIN:VEVENT\nUID:n\n{}{}END:VEVENT\n",
            "BEGIN:X\n".repeat(MAX_DEPTH + 2),
            "END:X\n".repeat(MAX_DEPTH + 2)
        );
        let mut texts: Vec<Vec<u8>> = project_calendars()
            .iter()
            .map(|f| std::fs::read(f).unwrap())
            .collect();
        texts.extend(ODD.iter().map(|t| t.as_bytes().to_vec()));
        texts.push(nested.into_bytes());
        let (mut dropped, mut could_drop) = (0, 0);
        for (i, text) in texts.iter().enumerate() {
            let plain = read_all(text, None);
            // Kept, every event reads exactly as without the screen.
            assert_eq!(read_all(text, Some(usize::MAX)), plain);
            // Screened, the reader yields the same without some events the screen turns
            // down: all of them in a well-formed calendar, none whose structure is unusual.
            let (events, warnings, screened_out, structure) = read_all(text, Some(3));
            let mut left = events.iter().peekable();
            for event in &plain.0 {
                if left.peek() == Some(&event) {
                    left.next();
                    continue;
                }
                let ReadEvent::Item(item) = &event.0 else {
                    panic!("{event:?} dropped")
                };
                assert!(drops(item));
                dropped += 1;
            }
            assert_eq!(left.next(), None, "{}", String::from_utf8_lossy(text));
            let turned_down = plain
                .0
                .iter()
                .filter(|(e, _)| matches!(e, ReadEvent::Item(item) if drops(item)));
            let turned_down = turned_down.count();
            could_drop += turned_down;
            assert_eq!(screened_out, plain.0.len() - events.len());
            if i < texts.len() - ODD.len() - 1 {
                assert_eq!(
                    screened_out,
                    turned_down,
                    "{}",
                    String::from_utf8_lossy(text)
                );
            }
            assert_eq!(structure, plain.3);
            assert!(warnings.len() <= plain.1.len());
        }
        // The project's own calendars hold a few group meetings, all dropped.
        assert!(
            dropped >= 3 && could_drop > dropped,
            "{dropped} dropped of {could_drop}"
        );
    }

    #[test]
    fn screening_counts_participants_as_the_reader_reads_them() {
        let event = |lines: &str| {
            format!("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:u\n{lines}END:VEVENT\nEND:VCALENDAR\n")
        };
        let four = "ORGANIZER:mailto:o@x\nATTENDEE:mailto:a@x\n\
                    attendee;CN=\"Doe, J\":mailto:b@x\nAttendee ;CN=C:mailto:c@x\n";
        let screened = |lines: &str| {
            let (events, _, out, structure) = read_all(event(lines).as_bytes(), Some(3));
            assert!(structure, "a calendar, even with its events screened out");
            let kept = events.iter().any(|(e, _)| matches!(e, ReadEvent::Item(_)));
            assert_eq!(out, usize::from(!kept));
            kept
        };
        assert!(!screened(four), "four participants: dropped");
        assert!(
            screened(&format!("{four}RRULE:FREQ=WEEKLY\n")),
            "a series is kept"
        );
        assert!(screened(&format!("{four}RECURRENCE-ID:20260101T100000Z\n")));
        assert!(screened(&format!("{four}rdate:20260101T100000Z\n")));
        // A line the reader cannot split is no participant: three remain.
        let broken = four.replace("\"Doe, J\"", "\"Doe, J");
        assert!(screened(&broken));
        assert!(screened(
            &four.replace("ORGANIZER:mailto:o@x", "ORGANIZER;CN=O")
        ));
        // An alarm's attendees are not the event's.
        let alarm = four.replace(
            "ATTENDEE:mailto:a@x\n",
            "BEGIN:VALARM\nATTENDEE:mailto:a@x\nEND:VALARM\n",
        );
        assert!(screened(&alarm));
        assert!(!screened(&format!("{alarm}ATTENDEE:mailto:d@x\n")));
    }

    #[test]
    fn only_events_wanted_reads_as_the_reader_does() {
        // Over every calendar the project tests with: the reader finds, in what the pass
        // keeps, exactly the wanted events it finds in the whole text.
        let files = project_calendars();
        let uids = |bytes: &[u8]| -> Option<Vec<(String, String)>> {
            let (doc, _) = crate::Document::read(bytes, "t").ok()?;
            Some(
                doc.events()
                    .iter()
                    .filter_map(|e| {
                        let uid = e.value("UID")?.trim().to_string();
                        Some((uid, e.value("DESCRIPTION").unwrap_or("").to_string()))
                    })
                    .collect(),
            )
        };
        for file in files {
            let bytes = std::fs::read(&file).unwrap();
            let Some(all) = uids(&bytes) else { continue };
            let keep: Vec<&str> = all.iter().step_by(2).map(|(u, _)| u.as_str()).collect();
            let kept = only_events_wanted(bytes.as_slice(), |u| keep.contains(&u)).unwrap();
            let expected: Vec<_> = all
                .iter()
                .filter(|(u, _)| keep.contains(&u.as_str()))
                .cloned()
                .collect();
            assert_eq!(uids(&kept), Some(expected), "{}", file.display());
        }
    }
}
