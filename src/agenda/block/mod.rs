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

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::items::{self, PieceKind};

/// The line that opens the block. Plain ASCII, no `<`, `>`, `&` or quotes.
pub const BEGIN_MARKER: &str = "--- tete agenda: tete rewrites this part before each 1:1 and keeps what you check off here; add your own notes below the end line ---";

/// The line that closes the block.
pub const END_MARKER: &str = "--- end of tete agenda ---";

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

/// The tags in the block's HTML span (begin marker line to end marker line) that pair with
/// tags outside it, as (those before the begin marker's text, all others), in their order.
///
/// Replacing the span drops the markup inside it; tags that open or close something
/// around the block (Google's `<html-blob>`, a `<span>` started before the marker) are
/// written back so the person's markup stays balanced. Pairs inside the span go with it,
/// and a close followed by a reopening of the same tag (`</div><div>`, one line ending and
/// the next starting) is a line break inside the block and goes too.
fn kept_tags(span: &str) -> (String, String) {
    let pieces = items::pieces(span);
    let tag = |i: usize| match &pieces[i].kind {
        PieceKind::Tag { name, closing } => Some((name.as_str(), *closing)),
        _ => None,
    };
    let mut open: Vec<usize> = Vec::new();
    let mut unmatched: Vec<usize> = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        let Some((name, closing)) = tag(i) else {
            continue;
        };
        if is_void(name) || span[piece.range.clone()].ends_with("/>") {
            continue;
        }
        if !closing {
            open.push(i);
        } else if let Some(at) = open
            .iter()
            .rposition(|&j| tag(j).map(|t| t.0) == Some(name))
        {
            open.remove(at);
        } else {
            unmatched.push(i);
        }
    }
    unmatched.extend(open);
    unmatched.sort_unstable();

    let mut dropped = vec![false; pieces.len()];
    for (k, &i) in unmatched.iter().enumerate() {
        let Some((name, true)) = tag(i) else {
            continue;
        };
        if let Some(&j) = unmatched[k + 1..]
            .iter()
            .find(|&&j| !dropped[j] && tag(j) == Some((name, false)))
        {
            dropped[i] = true;
            dropped[j] = true;
        }
    }

    let text_start = pieces
        .iter()
        .find(|p| {
            p.kind == PieceKind::Text && !items::decode(&span[p.range.clone()]).trim().is_empty()
        })
        .map_or(span.len(), |p| p.range.start);
    let (mut before, mut after) = (String::new(), String::new());
    for i in unmatched.into_iter().filter(|&i| !dropped[i]) {
        let range = pieces[i].range.clone();
        let side = if range.start < text_start {
            &mut before
        } else {
            &mut after
        };
        side.push_str(&span[range]);
    }
    (before, after)
}

/// Elements that never have a closing tag.
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "br" | "hr"
            | "img"
            | "input"
            | "meta"
            | "link"
            | "wbr"
            | "col"
            | "area"
            | "base"
            | "embed"
            | "source"
            | "track"
            | "param"
    )
}

/// A line of the description (plain text) or what a browser shows as one (HTML), with the
/// byte range it takes in the source: from just after the previous line break (a newline or
/// a break tag) to just before the next one, tags inside included.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    range: Range<usize>,
    /// What it says: entities decoded, tags left out, lower-case, whitespace collapsed.
    text: String,
}

/// Where the block is, as byte ranges.
enum Located {
    Absent,
    Intact { begin: Line, end: Line, html: bool },
    Broken(String),
}

/// Finds the block, deciding first whether the description is HTML. That is decided by the
/// person's text around a block, never by the block's own lines: an agenda written as plain
/// text may hold `<i>` or `<!--` typed in an item, and reading it as HTML would hide the end
/// marker. A block written as HTML, or converted by an app, does not stand on lines of its
/// own in plain text, so it is then found by reading the whole description as HTML.
fn locate(description: &str) -> Located {
    let plain = locate_in(description, false);
    if let Located::Intact { begin, end, .. } = &plain {
        let before = &description[..begin.range.start];
        let after = &description[end.range.end..];
        if !items::looks_like_html(before) && !items::looks_like_html(after) {
            return plain;
        }
        return locate_in(description, true);
    }
    if items::looks_like_html(description) {
        locate_in(description, true)
    } else {
        plain
    }
}

/// Finds the block reading the description as HTML or as plain text.
fn locate_in(description: &str, html: bool) -> Located {
    let lines = lines(description, html);
    let begins: Vec<&Line> = lines.iter().filter(|l| BEGIN.is_match(&l.text)).collect();
    let ends: Vec<&Line> = lines.iter().filter(|l| END.is_match(&l.text)).collect();

    // Marker text anywhere, also across lines: a marker that an app or a person ran into
    // other text is still tete's block, and not seeing it would mean writing a second one.
    let all = lines
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    if LOOSE.find_iter(&all).count() > begins.len() + ends.len() {
        return Located::Broken("marker text is no longer on a line of its own".into());
    }

    match (begins.as_slice(), ends.as_slice()) {
        ([], []) => Located::Absent,
        ([begin], [end]) if begin.range.start < end.range.start => Located::Intact {
            begin: (*begin).clone(),
            end: (*end).clone(),
            html,
        },
        ([_], [_]) => Located::Broken("the end marker comes before the begin marker".into()),
        ([_, _, ..], _) => Located::Broken("there are two begin markers".into()),
        (_, [_, _, ..]) => Located::Broken("there are two end markers".into()),
        ([_], []) => Located::Broken("the begin marker is there but the end marker is not".into()),
        ([], [_]) => Located::Broken("the end marker is there but the begin marker is not".into()),
    }
}

/// The description cut into lines (see [`Line`]).
fn lines(description: &str, html: bool) -> Vec<Line> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut text = String::new();
    let close = |out: &mut Vec<Line>, start: usize, end: usize, text: &mut String| {
        // A line's range never includes the `\r` of a `\r\n` ending.
        let end = if description[start..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        out.push(Line {
            range: start..end,
            text: normalize(text),
        });
        text.clear();
    };
    let add_text =
        |from: usize, to: usize, out: &mut Vec<Line>, start: &mut usize, text: &mut String| {
            let mut at = from;
            for (offset, _) in description[from..to].match_indices('\n') {
                let nl = from + offset;
                text.push_str(&description[at..nl]);
                close(out, *start, nl, text);
                *start = nl + 1;
                at = nl + 1;
            }
            text.push_str(&description[at..to]);
        };
    if html {
        for piece in items::pieces(description) {
            match piece.kind {
                PieceKind::Text => add_text(
                    piece.range.start,
                    piece.range.end,
                    &mut out,
                    &mut start,
                    &mut text,
                ),
                PieceKind::Tag { ref name, .. } if items::is_break(name) => {
                    close(&mut out, start, piece.range.start, &mut text);
                    start = piece.range.end;
                }
                PieceKind::Tag { .. } | PieceKind::Hidden => {}
            }
        }
    } else {
        add_text(0, description.len(), &mut out, &mut start, &mut text);
    }
    close(&mut out, start, description.len(), &mut text);
    out
}

/// What a line says, for recognizing markers: entities decoded (also in plain text, where a
/// `&nbsp;` may be left over from an app's conversion), lower-case, whitespace collapsed.
fn normalize(raw: &str) -> String {
    items::decode(raw)
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether an agenda line would be read back as a marker.
fn reads_as_marker(line: &str) -> bool {
    let text = normalize(line);
    BEGIN.is_match(&text) || END.is_match(&text) || LOOSE.is_match(&text)
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

/// The whole block: begin marker, agenda lines, end marker.
fn render(lines: &[&str], html: bool, eol: &str) -> String {
    let mut parts: Vec<String> = Vec::with_capacity(lines.len() + 2);
    parts.push(BEGIN_MARKER.to_string());
    for line in lines {
        parts.push(if html {
            html_escape::encode_text(line).into_owned()
        } else {
            (*line).to_string()
        });
    }
    parts.push(END_MARKER.to_string());
    parts.join(if html { "<br>" } else { eol })
}

/// Where the visible content of an HTML description starts: just after `<body ...>` in a
/// whole document, just after the `<html-blob>` Google wraps some descriptions in when it
/// opens them, else the very start.
fn top_of_body(html: &str) -> usize {
    let pieces = items::pieces(html);
    let opening = |p: &&items::Piece, wanted: &str| matches!(&p.kind, PieceKind::Tag { name, closing: false } if name == wanted);
    if let Some(body) = pieces.iter().find(|p| opening(p, "body")) {
        return body.range.end;
    }
    pieces
        .iter()
        .find(|p| !(p.kind == PieceKind::Text && html[p.range.clone()].trim().is_empty()))
        .filter(|p| opening(p, "html-blob"))
        .map_or(0, |p| p.range.end)
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

/// A begin marker line: dashes (or `=`, `—`...) then "tete agenda", or "tete agenda" followed
/// by a colon or dash; any words after. Matched against [`normalize`]d text.
static BEGIN: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^(?:[-=_~*–—]+\s*t[eê]te\s+agenda\b|t[eê]te\s+agenda\s*(?:[:\-–—]|$))")
});

/// An end marker line: "end of tete agenda", dashes before it optional.
static END: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?:[-=_~*–—]+\s*)?end\s+(?:of\s+)?(?:the\s+)?t[eê]te\s+agenda\b"));

/// Marker text anywhere in a line.
static LOOSE: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?:[-=_~*]{2,}|[–—])\s*(?:end\s+(?:of\s+)?(?:the\s+)?)?t[eê]te\s+agenda\b")
});

/// The `<br><br>` that [`write()`] puts after a block it inserts into HTML.
static BR_AFTER: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)^(?:<br\s*/?>){1,2}"));

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn intact(inside: &str) -> Found {
        Found::Intact {
            inside: inside.to_string(),
        }
    }

    fn broken(description: &str) -> bool {
        matches!(find(description), Found::Broken { .. })
    }

    fn written(description: &str, agenda: &str) -> String {
        match write(description, agenda) {
            Ok(text) => text,
            Err(e) => panic!("write failed: {e}"),
        }
    }

    const AGENDA: &str = "Check-in\n- [ ] Ann: send the hiring plan (due 2026-12-04)\n\nWins";

    #[test]
    fn regexes_compile() {
        for re in [&*BEGIN, &*END, &*LOOSE, &*BR_AFTER] {
            assert!(!re.as_str().is_empty());
        }
    }

    #[test]
    fn markers_are_plain_and_recognized() {
        for marker in [BEGIN_MARKER, END_MARKER] {
            assert!(!marker.contains(['<', '>', '&', '"', '\'']), "{marker}");
            assert!(marker.is_ascii());
            assert!(!marker.contains('\n'));
        }
        assert!(BEGIN.is_match(&normalize(BEGIN_MARKER)));
        assert!(!END.is_match(&normalize(BEGIN_MARKER)));
        assert!(END.is_match(&normalize(END_MARKER)));
        assert!(!BEGIN.is_match(&normalize(END_MARKER)));
        assert_eq!(LOOSE.find_iter(&normalize(BEGIN_MARKER)).count(), 1);
        assert_eq!(LOOSE.find_iter(&normalize(END_MARKER)).count(), 1);
    }

    #[test]
    fn absent_plain_inserts_at_top() {
        let d = "Talk about the offsite.\n- [ ] Bo: book rooms\n";
        let w = written(d, AGENDA);
        assert_eq!(w, format!("{BEGIN_MARKER}\n{AGENDA}\n{END_MARKER}\n\n{d}"));
        assert_eq!(find(&w), intact(AGENDA));
        assert_eq!(outside(&w), d);
        assert_eq!(
            written("", AGENDA),
            format!("{BEGIN_MARKER}\n{AGENDA}\n{END_MARKER}")
        );
        assert_eq!(find(d), Found::Absent);
        assert_eq!(outside(d), d);
    }

    #[test]
    fn crlf_and_trailing_whitespace_outside_are_kept() {
        let d = "notes  \r\nline two\t\n\r\nlast line without ending   ";
        let w = written(d, "a\nb");
        assert_eq!(
            w,
            format!("{BEGIN_MARKER}\r\na\r\nb\r\n{END_MARKER}\r\n\r\n{d}")
        );
        assert!(w.ends_with(d));
        assert_eq!(find(&w), intact("a\nb"));
        // Replacing keeps the text around the block byte for byte, wherever it stands.
        let moved = format!("before \r\n\n{BEGIN_MARKER}\r\nold\n{END_MARKER}\n  after\r\n\t");
        let w = written(&moved, "new\nlines");
        assert_eq!(
            w,
            format!("before \r\n\n{BEGIN_MARKER}\r\nnew\r\nlines\r\n{END_MARKER}\n  after\r\n\t")
        );
        assert_eq!(outside(&w), "before \r\n\n  after\r\n\t");
        assert_eq!(find(&w), intact("new\nlines"));
    }

    #[test]
    fn replaces_only_the_block() {
        let d = format!(
            "Top note\n{BEGIN_MARKER}\n- [x] Ann: send it\nold agenda\n{END_MARKER}\n\nMy notes\n"
        );
        assert_eq!(find(&d), intact("- [x] Ann: send it\nold agenda"));
        let w = written(&d, "fresh");
        assert_eq!(
            w,
            format!("Top note\n{BEGIN_MARKER}\nfresh\n{END_MARKER}\n\nMy notes\n")
        );
        assert_eq!(outside(&w), "Top note\nMy notes\n");
        assert_eq!(written(&w, "fresh"), w);
        // An empty agenda leaves the markers.
        let empty = written(&d, "");
        assert_eq!(find(&empty), intact(""));
        assert_eq!(written(&empty, "\n\n"), empty);
    }

    #[test]
    fn tolerant_recognition() {
        let agenda = "x";
        for (begin, end) in [
            (
                "  --- TETE AGENDA: other words from an older version ---  ",
                "--- End of tete agenda ---",
            ),
            ("--- tete agenda", "--- end of tete agenda"),
            ("— tete agenda —", "— end of tete agenda —"),
            ("-- Tête agenda: x", "-- end of the tête agenda --"),
            ("tete agenda:", "end of tete agenda"),
            (
                "---&nbsp;tete&nbsp;agenda ---",
                "---\u{a0}end of tete agenda ---",
            ),
            ("===  tete   agenda ===", "=== end tete agenda ==="),
        ] {
            let d = format!("hi\n{begin}\n{agenda}\n{end}\nbye");
            assert_eq!(find(&d), intact(agenda), "{begin} / {end}");
            assert_eq!(
                written(&d, "y"),
                format!("hi\n{BEGIN_MARKER}\ny\n{END_MARKER}\nbye")
            );
        }
        // Mentions of tete are not markers.
        for d in [
            "We talked about the tete agenda.",
            "tete agenda ideas",
            "- the end of the meeting",
        ] {
            assert_eq!(find(d), Found::Absent, "{d}");
        }
    }

    #[test]
    fn tolerant_recognition_in_html() {
        for d in [
            format!("<b>{BEGIN_MARKER}</b><br>x<br><i>{END_MARKER}</i><br>notes"),
            format!(
                "<p>&nbsp;{BEGIN_MARKER} </p><p>x</p><p><span>{END_MARKER}</span></p><p>notes</p>"
            ),
            format!(
                "<div><span style=\"color:red\">{BEGIN_MARKER}</span></div><div>x</div><div>{END_MARKER}</div>notes"
            ),
            "<P>--- TETE&nbsp;AGENDA ---<BR>x<BR/>--- END OF TETE AGENDA ---</P>notes".to_string(),
        ] {
            assert_eq!(find(&d), intact("x"), "{d}");
            let w = written(&d, "y");
            assert_eq!(find(&w), intact("y"), "{d}");
            assert!(w.ends_with("notes") || w.ends_with("notes</p>"), "{w}");
        }
    }

    #[test]
    fn broken_markers_are_reported_not_guessed() {
        let cases = [
            format!("{BEGIN_MARKER}\nx\nnotes"),
            format!("notes\nx\n{END_MARKER}"),
            format!("{END_MARKER}\nx\n{BEGIN_MARKER}"),
            format!("{BEGIN_MARKER}\n{BEGIN_MARKER}\nx\n{END_MARKER}"),
            format!("{BEGIN_MARKER}\nx\n{END_MARKER}\n{END_MARKER}"),
            // A marker run into other text, by an app rewrapping or a person joining lines.
            format!("notes {BEGIN_MARKER}\nx\n{END_MARKER}"),
            "--- tete\nagenda ---\nx\n--- end of tete agenda ---".to_string(),
            format!("{BEGIN_MARKER}<br>x<br>notes"),
        ];
        for d in &cases {
            assert!(broken(d), "{d}");
            assert!(
                matches!(write(d, "y"), Err(BlockError::Broken { .. })),
                "{d}"
            );
            assert_eq!(outside(d), *d);
        }
        assert_eq!(
            find(&cases[0]),
            Found::Broken {
                reason: "the begin marker is there but the end marker is not".into()
            }
        );
        assert_eq!(
            find(&cases[2]),
            Found::Broken {
                reason: "the end marker comes before the begin marker".into()
            }
        );
    }

    #[test]
    fn agenda_that_reads_as_a_marker_is_refused() {
        let d = "notes";
        assert_eq!(
            write(d, "ok\n--- end of tete agenda ---"),
            Err(BlockError::MarkerInAgenda { line: 2 })
        );
        assert_eq!(
            write(d, "see --- tete agenda"),
            Err(BlockError::MarkerInAgenda { line: 1 })
        );
    }

    #[test]
    fn lines_that_together_read_as_a_marker_are_refused() {
        assert_eq!(
            write("notes", "x ---\ntete agenda y"),
            Err(BlockError::WouldNotReadBack)
        );
    }

    #[test]
    fn html_looking_agenda_in_a_plain_description_stays_plain() {
        // Items people typed can hold anything; in a plain description they are written as
        // they are, and they must not make tete read the description as HTML next time
        // (where `<!--` or `<script>` would hide the end marker).
        let d = "plain notes";
        let agenda = "- [ ] fix <!-- the comment\n- [ ] drop <script> tags\n<br>";
        let w = written(d, agenda);
        assert_eq!(w, format!("{BEGIN_MARKER}\n{agenda}\n{END_MARKER}\n\n{d}"));
        assert_eq!(find(&w), intact(agenda));
        assert_eq!(outside(&w), d);
        assert_eq!(written(&w, agenda), w);
        assert_eq!(written(&w, "a"), written(d, "a"));
    }

    #[test]
    fn html_fragment_gets_an_html_block() {
        let d = "<ul><li>[ ] Bo: book rooms</li></ul><br>My &amp; notes";
        let w = written(d, "Check-in\n- [ ] <b>bold</b> & co\n");
        assert_eq!(
            w,
            format!(
                "{BEGIN_MARKER}<br>Check-in<br>- [ ] &lt;b&gt;bold&lt;/b&gt; &amp; co<br>{END_MARKER}<br><br>{d}"
            )
        );
        assert_eq!(find(&w), intact("Check-in\n- [ ] <b>bold</b> & co"));
        assert_eq!(outside(&w), d);
        assert_eq!(written(&w, "Check-in\n- [ ] <b>bold</b> & co"), w);
        let again = written(&w, "other");
        assert_eq!(
            again,
            format!("{BEGIN_MARKER}<br>other<br>{END_MARKER}<br><br>{d}")
        );
    }

    #[test]
    fn html_replaces_exactly_the_marker_lines() {
        // As Google's editor might leave it: the block split into divs, a person's text
        // before and after, inline tags around the markers.
        let before = "<div>Before</div>";
        let after = "</div><div><br></div><div>after &nbsp;</div>";
        let d = format!(
            "{before}<div><span>{BEGIN_MARKER}</span></div><div>- [x] Ann: send it</div><div>{END_MARKER}{after}"
        );
        assert_eq!(find(&d), intact("- [x] Ann: send it"));
        let w = written(&d, "new & fresh");
        assert_eq!(
            w,
            format!("{before}<div>{BEGIN_MARKER}<br>new &amp; fresh<br>{END_MARKER}{after}")
        );
        assert_eq!(written(&w, "new & fresh"), w);
    }

    #[test]
    fn html_markup_around_the_block_stays_balanced() {
        // Tags opened before the begin marker and closed after the end marker, or the other
        // way round, are written back; pairs inside the span go with the old block.
        for (d, expected) in [
            (
                format!("<span class=\"a\">{BEGIN_MARKER}<br>x<br>{END_MARKER}</span><br>n"),
                format!("{BEGIN_MARKER}<br>y<br>{END_MARKER}<br>n"),
            ),
            (
                format!("<b>{BEGIN_MARKER}</b><br><i>x</i><br><u>{END_MARKER}</u><br>n"),
                format!("{BEGIN_MARKER}<br>y<br>{END_MARKER}<br>n"),
            ),
            (
                format!("<i>n<br><span>{BEGIN_MARKER}</span></i><br>x<br>{END_MARKER}<b><br>n</b>"),
                format!("<i>n<br>{BEGIN_MARKER}<br>y<br>{END_MARKER}</i><b><br>n</b>"),
            ),
            (
                format!(
                    "<div><font>{BEGIN_MARKER}</div><div>x</div><div>{END_MARKER}</font></div>n"
                ),
                format!("<div>{BEGIN_MARKER}<br>y<br>{END_MARKER}</div>n"),
            ),
        ] {
            let w = written(&d, "y");
            assert_eq!(w, expected, "{d}");
            assert_eq!(written(&w, "y"), w, "{d}");
        }
    }

    #[test]
    fn outlook_document_gets_the_block_inside_body() {
        let d = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2//EN\">\n<HTML>\n<HEAD>\n<TITLE></TITLE>\n</HEAD>\n<BODY class=\"x\">\n<P>Hello</P>\n</BODY>\n</HTML>";
        let w = written(d, "a\nb");
        let at = d
            .find("<BODY class=\"x\">")
            .map_or(0, |p| p + "<BODY class=\"x\">".len());
        assert_eq!(
            w,
            format!(
                "{}{BEGIN_MARKER}<br>a<br>b<br>{END_MARKER}<br><br>{}",
                &d[..at],
                &d[at..]
            )
        );
        assert_eq!(find(&w), intact("a\nb"));
        assert_eq!(outside(&w), d);
        assert_eq!(written(&w, "a\nb"), w);
    }

    #[test]
    fn google_html_blob_gets_the_block_inside() {
        let d = "<html-blob><u>Notes</u><br>- [ ] Bo: book rooms</html-blob>";
        let w = written(d, "a");
        assert_eq!(
            w,
            format!(
                "<html-blob>{BEGIN_MARKER}<br>a<br>{END_MARKER}<br><br><u>Notes</u><br>- [ ] Bo: book rooms</html-blob>"
            )
        );
        assert_eq!(outside(&w), d);
        assert_eq!(written(&w, "a"), w);
    }

    #[test]
    fn plain_block_later_turned_into_html_is_found() {
        let plain = written("notes", "- [ ] Ann: send it");
        let google = plain.replace('\n', "<br>");
        assert_eq!(find(&google), intact("- [ ] Ann: send it"));
        let w = written(&google, "- [ ] Ann: send it");
        assert_eq!(w, google);
    }

    #[test]
    fn checked_items_inside_can_be_read() {
        let w = written(
            "notes\n- [ ] Bo: typed outside",
            "- [ ] Ann: send it\n- [ ] Mia: book it",
        );
        let checked = w.replace("- [ ] Ann", "- [x] Ann");
        let Found::Intact { inside } = find(&checked) else {
            panic!("block not found")
        };
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
        let inside_items = items::extract(&inside, day);
        assert_eq!(inside_items.len(), 2);
        assert!(inside_items[0].done && !inside_items[1].done);
        let outside_items = items::extract(&outside(&checked), day);
        assert_eq!(outside_items.len(), 1);
        assert_eq!(outside_items[0].owner.as_deref(), Some("Bo"));
    }

    #[test]
    fn items_carried_then_checked_in_google_keep_their_identity() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
        // Last week: items typed by hand, plain text.
        let last = "Notes\n- [ ] Ann: send the hiring plan (due 4 Dec)\nTODO: book the offsite @mia\n- [x] done already";
        let open: Vec<items::ActionItem> = items::extract(last, day)
            .into_iter()
            .filter(|i| !i.done)
            .collect();
        assert_eq!(open.len(), 2);
        let agenda = open
            .iter()
            .map(items::ActionItem::to_line)
            .collect::<Vec<_>>()
            .join("\n");
        // This week's event, edited in Google: HTML; the manager checks one item there.
        let next = written("<b>Prep</b><br>ask about the reorg", &agenda);
        let checked = next.replacen("- [ ] Ann", "- [x] Ann", 1);
        let Found::Intact { inside } = find(&checked) else {
            panic!("block not found in {checked}")
        };
        let now = items::extract(&inside, day);
        assert_eq!(
            now.iter().map(|i| (i.key(), i.done)).collect::<Vec<_>>(),
            vec![(open[0].key(), true), (open[1].key(), false)]
        );
        assert_eq!(now[0].due, open[0].due);
        assert_eq!(items::extract(&outside(&checked), day), Vec::new());
    }

    #[test]
    fn template_syntax_passes_through_verbatim() {
        for d in [
            "Ideas: {{ x }} and {% if true %}yes{% endif %} {# c #}",
            "<p>{{ counterpart }}</p><p>{% for i in items %}{{ i }}{% endfor %}</p>",
        ] {
            let w = written(d, "{{ agenda }} {% raw %}");
            assert!(w.ends_with(d), "{w}");
            assert_eq!(outside(&w), d);
            assert_eq!(find(&w), intact("{{ agenda }} {% raw %}"));
        }
    }

    /// Descriptions made of pieces people and apps produce, markers excluded.
    fn description() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[a-zA-Z0-9 .,:;!?()\\[\\]{}%@#'\"-]{0,12}",
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just("\r".to_string()),
            Just(" \t ".to_string()),
            Just("- [ ] Ann: send it".to_string()),
            Just("<br>".to_string()),
            Just("<p>".to_string()),
            Just("</p>".to_string()),
            Just("<div>".to_string()),
            Just("<b>".to_string()),
            Just("&nbsp;".to_string()),
            Just("&amp;".to_string()),
            Just("<body>".to_string()),
            Just("a < b".to_string()),
            Just("é☐✓".to_string()),
            Just("tete".to_string()),
            Just("agenda".to_string()),
            Just("---".to_string()),
        ];
        prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    /// Agendas, including text that would mean something in HTML.
    fn agenda() -> impl Strategy<Value = String> {
        let line = prop_oneof![
            "[a-zA-Z0-9 <>&;:\\[\\]-]{0,10}",
            Just("<!-- note".to_string()),
            Just("<script>".to_string()),
            Just("<br>".to_string()),
            Just("&nbsp;&amp;".to_string()),
            Just("{{ x }}".to_string()),
            Just("---".to_string()),
            Just("tete".to_string()),
        ];
        prop::collection::vec(line, 0..5).prop_map(|v| v.join("\n"))
    }

    proptest! {
        #[test]
        fn write_is_idempotent_and_keeps_the_outside(d in description(), a in agenda(), b in agenda()) {
            prop_assume!(find(&d) == Found::Absent);
            prop_assume!(write(&d, &a).is_ok() && write(&d, &b).is_ok());
            let w = write(&d, &a).unwrap_or_default();
            prop_assert_eq!(write(&w, &a).unwrap_or_default(), w.clone());
            let intact_after = matches!(find(&w), Found::Intact { .. });
            prop_assert!(intact_after);
            prop_assert_eq!(outside(&w), d.clone());
            // Another agenda and back: still the same outside, still one block.
            let other = write(&w, &b).unwrap_or_default();
            prop_assert_eq!(outside(&other), d.clone());
            prop_assert_eq!(write(&other, &a).unwrap_or_default(), w);
        }

        #[test]
        fn plain_inside_is_the_agenda(d in "[a-z \\n]{0,30}", a in "[a-z\\-\\[\\] ]{1,10}(\\n[a-z ]{0,10}){0,3}") {
            prop_assume!(find(&d) == Found::Absent);
            let w = write(&d, &a).unwrap_or_default();
            prop_assert_eq!(find(&w), intact(a.trim_end_matches('\n')));
        }

        #[test]
        fn find_never_panics(s in "\\PC{0,80}") {
            let _ = find(&s);
            let _ = outside(&s);
            let _ = write(&s, "x");
        }
    }
}
