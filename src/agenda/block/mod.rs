//! The block tete manages inside an event's description, between two marker lines.
//!
//! The markers are plain text without HTML-special characters, so they survive Google turning
//! a description into HTML and Outlook sending it as a whole HTML document. They are
//! recognized loosely (any case, spaces, tags or `&nbsp;` around them, `—` for `---`, other
//! words after the fixed start) because apps rewrite what they show; but a block is only
//! ever replaced when exactly one begin and one end marker stand in order. Anything else is
//! [`Found::Broken`] and left to the caller: guessing could duplicate the block or overwrite
//! a person's text.
//!
//! Outside the block nothing changes, byte for byte. Words a person types on a marker line
//! itself belong to that line and go with it when the block is replaced.
//!
//! What each finding asks of the caller (the planner decides; this module only reports):
//! - [`Found::Absent`] on an occurrence tete has written to before (its state file knows)
//!   means a person deleted the block: write nothing there again, so removed text never
//!   comes back. On an occurrence tete never wrote to, [`write()`] inserts the block at the top.
//! - [`Found::Broken`]: leave the description alone and say why (`tete check`); the items
//!   in it are still read, from the whole description ([`outside`] returns all of it).
//! - [`Found::Intact`]: read the items checked inside before writing the new agenda; if the
//!   inside is not what tete last wrote, a person edited it. Compare with what [`find`]
//!   returned right after tete's own write, not with the agenda given to [`write()`]: HTML
//!   descriptions come back with lines trimmed and blank lines collapsed.
//!
//! The parts: `markers` (the marker lines and recognizing them), `locate` (finding the
//! block, or why it is broken), `html` (placing and replacing a block in HTML while keeping
//! the person's markup balanced).

mod html;
mod locate;
mod markers;

use regex::Regex;

use super::items;
use html::{BR_AFTER, kept_tags, top_of_body};
use locate::{Located, locate};
use markers::reads_as_marker;
pub use markers::{BEGIN_MARKER, END_MARKER};

/// What a description holds of tete's block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// No marker at all: tete never wrote here, or a person removed the whole block.
    Absent,
    /// One begin and one end marker, in order.
    Intact {
        /// The text between the markers as plain text, lines separated by `\n` (an HTML
        /// description is converted as by [`items::html_to_text`]).
        inside: String,
    },
    /// Markers tete cannot make sense of: only one of them, the end before the begin, two of
    /// either, or marker text that is no longer on a line of its own.
    Broken {
        /// What is wrong, in words for a log line or `tete check`.
        reason: String,
    },
}

/// Why the block could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// The markers in the description are not one intact pair; nothing was changed.
    #[error("the tete agenda block in this description is broken: {reason}")]
    Broken {
        /// What is wrong.
        reason: String,
    },
    /// A line of the agenda itself reads as a marker, so the block written would be broken
    /// the next time it is read.
    #[error("line {line} of the agenda reads as a tete agenda marker")]
    MarkerInAgenda {
        /// 1-based line number in the agenda.
        line: usize,
    },
    /// The block as written would not be found again as one intact block (agenda lines
    /// that together read as marker text); nothing was changed.
    #[error("the agenda would not read back as one tete agenda block")]
    WouldNotReadBack,
}

/// Finds tete's block in a description (plain text or HTML).
pub fn find(description: &str) -> Found {
    match locate(description) {
        Located::Absent => Found::Absent,
        Located::Broken(reason) => Found::Broken { reason },
        Located::Intact { begin, end, html } => {
            let between = &description[begin.range.end..end.range.start];
            let inside = if html {
                items::html_to_text_in(between, items::is_document(description))
            } else {
                let between = strip_terminator_start(between);
                let between = between
                    .strip_suffix("\r\n")
                    .or_else(|| between.strip_suffix('\n'))
                    .unwrap_or(between);
                between.replace("\r\n", "\n")
            };
            Found::Intact { inside }
        }
    }
}

/// The description with the block's content replaced by `agenda` (plain text, lines
/// separated by `\n`), or, when there is no block, with one inserted at the top and a blank
/// line before the person's text. HTML descriptions get the block as HTML: the agenda's
/// lines escaped and joined by `<br>`, placed at the start of `<body>` in a whole document.
/// When replacing, exactly the lines from the begin marker to the end marker are replaced.
///
/// A plain-text block uses `\r\n` between its lines when the description already does, and
/// `\n` otherwise. Writing the same agenda twice gives the same text.
pub fn write(description: &str, agenda: &str) -> Result<String, BlockError> {
    let lines = agenda_lines(agenda);
    if let Some(line) = lines.iter().position(|l| reads_as_marker(l)) {
        return Err(BlockError::MarkerInAgenda { line: line + 1 });
    }
    let eol = if description.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let out = match locate(description) {
        Located::Broken(reason) => return Err(BlockError::Broken { reason }),
        Located::Intact { begin, end, html } => {
            let block = render(&lines, html, eol);
            let span = begin.range.start..end.range.end;
            let (before, after) = if html {
                kept_tags(&description[span.clone()])
            } else {
                (String::new(), String::new())
            };
            let mut out = String::with_capacity(description.len() + block.len());
            out.push_str(&description[..span.start]);
            out.push_str(&before);
            out.push_str(&block);
            out.push_str(&after);
            out.push_str(&description[span.end..]);
            out
        }
        Located::Absent => {
            let html = items::looks_like_html(description);
            let block = render(&lines, html, eol);
            if description.is_empty() {
                block
            } else {
                let at = if html { top_of_body(description) } else { 0 };
                let separator = if html { "<br><br>" } else { eol };
                let mut out = String::with_capacity(description.len() + block.len() + 8);
                out.push_str(&description[..at]);
                out.push_str(&block);
                out.push_str(separator);
                if !html {
                    out.push_str(eol);
                }
                out.push_str(&description[at..]);
                out
            }
        }
    };
    // Lines that are harmless one by one can still run into marker text together; what
    // tete writes must read back as one intact block, or the next cycle would see a broken
    // one (or none, and write a second).
    match locate(&out) {
        Located::Intact { .. } => Ok(out),
        _ => Err(BlockError::WouldNotReadBack),
    }
}

/// The person's part of a description: the description without tete's block and the blank
/// line that follows it (as [`write()`] inserts it), in the description's own format (HTML
/// stays HTML). Without an intact block, the whole description: with broken markers tete
/// cannot tell its text from a person's, and reading too much beats losing an item.
pub fn outside(description: &str) -> String {
    let Located::Intact { begin, end, html } = locate(description) else {
        return description.to_string();
    };
    let after = &description[end.range.end..];
    let mut out = String::with_capacity(description.len());
    out.push_str(&description[..begin.range.start]);
    if html {
        let (open, close) = kept_tags(&description[begin.range.start..end.range.end]);
        out.push_str(&open);
        out.push_str(&close);
        out.push_str(BR_AFTER.find(after).map_or(after, |m| &after[m.end()..]));
    } else {
        out.push_str(strip_terminator_start(strip_terminator_start(after)));
    }
    out
}

/// The agenda as lines: `\n` separated, a `\r` before it dropped, trailing empty lines gone
/// (they would only widen the block).
fn agenda_lines(agenda: &str) -> Vec<&str> {
    let agenda = agenda.trim_end_matches(['\r', '\n']);
    if agenda.is_empty() {
        return Vec::new();
    }
    agenda
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect()
}

/// One agenda line as HTML: escaped, its indentation kept as no-break spaces (HTML
/// collapses ordinary ones), which the item reader reads back as spaces.
fn html_line(line: &str) -> String {
    let text = line.trim_start_matches(' ');
    let indent = line.len() - text.len();
    format!(
        "{}{}",
        "&nbsp;".repeat(indent),
        html_escape::encode_text(text)
    )
}

/// The whole block: begin marker, agenda lines, end marker.
fn render(lines: &[&str], html: bool, eol: &str) -> String {
    let mut parts: Vec<String> = Vec::with_capacity(lines.len() + 2);
    parts.push(BEGIN_MARKER.to_string());
    for line in lines {
        parts.push(if html {
            html_line(line)
        } else {
            (*line).to_string()
        });
    }
    parts.push(END_MARKER.to_string());
    parts.join(if html { "<br>" } else { eol })
}

/// Drops one line ending (`\r\n` or `\n`) from the start.
fn strip_terminator_start(s: &str) -> &str {
    s.strip_prefix("\r\n")
        .or_else(|| s.strip_prefix('\n'))
        .unwrap_or(s)
}

// The regexes are literals checked by the tests below; a failure to compile is a bug in
// this file, never a reaction to input.
#[allow(clippy::expect_used)]
fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a literal regex in agenda::block")
}

#[cfg(test)]
mod tests;
