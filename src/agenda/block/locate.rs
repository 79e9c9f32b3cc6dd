//! Finding the block: the description cut into lines (plain text, or what a browser shows
//! as lines of HTML), its marker lines, and why markers that are not one intact pair are
//! broken.

use std::cell::RefCell;
use std::ops::Range;

use super::items::{self, PieceKind};
use super::markers::{BEGIN, END, LOOSE, normalize};

/// A line of the description (plain text) or what a browser shows as one (HTML), with the
/// byte range it takes in the source: from just after the previous line break (a newline or
/// a break tag) to just before the next one, tags inside included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Line {
    pub(super) range: Range<usize>,
    /// What it says: entities decoded, tags left out, lower-case, whitespace collapsed.
    pub(super) text: String,
}

/// Where the block is, as byte ranges.
#[derive(Debug, Clone)]
pub(super) enum Located {
    Absent,
    Intact { begin: Line, end: Line, html: bool },
    Broken(String),
}

/// Finds the block, deciding first whether the description is HTML. That is decided by the
/// person's text around a block, never by the block's own lines: an agenda written as plain
/// text may hold `<i>` or `<!--` typed in an item, and reading it as HTML would hide the end
/// marker. A block written as HTML, or converted by an app, does not stand on lines of its
/// own in plain text, so it is then found by reading the whole description as HTML.
pub(super) fn locate(description: &str) -> Located {
    if description.len() > LOCATED_LONGEST {
        return locate_anew(description);
    }
    if let Some(known) = LOCATED.with(|l| l.borrow().get(description).cloned()) {
        return known;
    }
    let located = locate_anew(description);
    LOCATED.with(|l| {
        let mut l = l.borrow_mut();
        if l.len() >= LOCATED_MAX {
            l.clear();
        }
        l.insert(description.into(), located.clone());
    });
    located
}

thread_local! {
    /// The descriptions located lately in this thread, with where their block is. A daemon
    /// plans the same coming 1:1s every cycle, and finds, rewrites and reads around each
    /// one's block several times in one: cutting the description into normalized lines
    /// again each time was a quarter of an idle cycle.
    static LOCATED: RefCell<foldhash::HashMap<Box<str>, Located>> = RefCell::default();
}

/// At most this many descriptions are remembered (then they are all let go)...
const LOCATED_MAX: usize = 256;

/// ...each at most this long (a longer one is located anew each time).
const LOCATED_LONGEST: usize = 64 * 1024;

/// [`locate`], without looking at the descriptions located before.
pub(super) fn locate_anew(description: &str) -> Located {
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
