//! HTML descriptions (Google's web UI, Outlook's `X-ALT-DESC`): telling them from plain
//! text, turning them into text, and splitting them into text, tags and hidden stretches.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::regex;

/// Whether a description is HTML rather than plain text: it has a tag tete knows
/// (`<br>`, `<p>`, `<div>`, `<ul>`, `<li>`, `<b>`, `<span>`, `<html>`, ...) or a comment or
/// doctype. An address in angle brackets (`Ann <ann@example.com>`) or `a < b` is not a tag.
pub fn looks_like_html(s: &str) -> bool {
    HTML_TAG.is_match(s)
}

/// Text of an HTML description: block tags and `<br>` become line breaks, list items become
/// `- ` lines, checkbox inputs become `[ ]` / `[x]`, other tags go, comments and the contents
/// of `<script>`, `<style>` and `<title>` go, entities are decoded and non-breaking spaces
/// become spaces. Lines are trimmed and runs of blank lines become one.
///
/// In a whole document (`<html>`, `<body>`, a doctype: Outlook's `X-ALT-DESC`) a raw line
/// break is only whitespace, as a browser shows it; in a fragment (Google's descriptions mix
/// typed text and tags) it stays a line break.
pub fn html_to_text(html: &str) -> String {
    html_to_text_in(html, is_document(html))
}

/// Whether HTML is a whole document rather than a fragment.
pub(crate) fn is_document(html: &str) -> bool {
    DOCUMENT.is_match(html)
}

/// [`html_to_text`] with the raw-line-break rule chosen by the caller (the block module
/// converts a slice of a document, which no longer says it is one).
pub(crate) fn html_to_text_in(html: &str, document: bool) -> String {
    let mut out = String::with_capacity(html.len());
    for piece in pieces(html) {
        match piece.kind {
            PieceKind::Text => {
                let decoded = decode(&html[piece.range.clone()]);
                if document {
                    out.extend(decoded.chars().map(|c| match c {
                        '\r' | '\n' | '\t' => ' ',
                        c => c,
                    }));
                } else {
                    out.push_str(&decoded);
                }
            }
            PieceKind::Tag { ref name, closing } => {
                if name == "li" && !closing {
                    line_break(&mut out);
                    out.push_str("- ");
                } else if name == "input" && !closing {
                    let raw = html[piece.range.clone()].to_ascii_lowercase();
                    if raw.contains("checkbox") {
                        out.push_str(if CHECKED.is_match(&raw) {
                            "[x] "
                        } else {
                            "[ ] "
                        });
                    }
                } else if name == "br" {
                    out.push('\n');
                } else if is_break(name) {
                    line_break(&mut out);
                }
            }
            PieceKind::Hidden => {}
        }
    }
    let mut text = String::with_capacity(out.len());
    let mut blank = true; // no blank lines at the start
    for line in out.split('\n') {
        let line = line.trim();
        if line.is_empty() {
            if !blank {
                text.push('\n');
            }
            blank = true;
        } else {
            text.push_str(line);
            text.push('\n');
            blank = false;
        }
    }
    text.truncate(text.trim_end().len());
    text
}

/// Ends the line unless it is already empty: `</p><p>` is one break, not a blank line
/// (only `<br><br>` makes one).
fn line_break(out: &mut String) {
    let trimmed = out.trim_end_matches([' ', '\t']);
    if !(trimmed.is_empty() || trimmed.ends_with('\n')) {
        out.push('\n');
    }
}

/// Entities decoded (by `html-escape`, whose table is the whole HTML5 list) and
/// non-breaking spaces made plain, so lines can be matched with ordinary whitespace.
pub(crate) fn decode(text: &str) -> String {
    html_escape::decode_html_entities(text).replace('\u{a0}', " ")
}

/// Tags that end a line when a browser shows them.
pub(crate) fn is_break(name: &str) -> bool {
    matches!(
        name,
        "br" | "p"
            | "div"
            | "li"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "tr"
            | "table"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "blockquote"
            | "pre"
            | "hr"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "body"
            | "html"
            | "head"
    )
}

/// What a stretch of HTML is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PieceKind {
    /// Text, entities not yet decoded.
    Text,
    /// A tag, its name lower-cased.
    Tag { name: String, closing: bool },
    /// A comment, a doctype or processing instruction, or the contents of `<script>`,
    /// `<style>` or `<title>`: nothing a person reads in the description.
    Hidden,
}

/// A stretch of HTML and its byte range in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Piece {
    pub(crate) range: Range<usize>,
    pub(crate) kind: PieceKind,
}

/// Splits HTML into text, tags and hidden stretches, covering every byte once.
///
/// Written here rather than taken from an HTML parser crate: tete needs only where tags are
/// (to find lines and keep byte ranges for replacing text in place), never a tree, and a
/// parser would normalize the markup it is given, which is exactly what must not happen to
/// a person's description. The scan is linear and never fails; a `<` not followed by a
/// letter, `/`, `!` or `?`, or never closed by a `>`, stays text (`a < b`).
pub(crate) fn pieces(html: &str) -> Vec<Piece> {
    let bytes = html.as_bytes();
    let mut out = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    let push_text = |out: &mut Vec<Piece>, from: usize, to: usize| {
        if from < to {
            out.push(Piece {
                range: from..to,
                kind: PieceKind::Text,
            });
        }
    };
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        let Some((end, kind)) = markup_at(html, i) else {
            i += 1;
            continue;
        };
        push_text(&mut out, text_start, i);
        let hides = match &kind {
            PieceKind::Tag {
                name,
                closing: false,
            } if matches!(name.as_str(), "script" | "style" | "title") => Some(format!("</{name}")),
            _ => None,
        };
        out.push(Piece {
            range: i..end,
            kind,
        });
        i = end;
        if let Some(close) = hides {
            // Their contents are not text a person reads; skip to the closing tag.
            let hidden_end = html[i..]
                .to_ascii_lowercase()
                .find(&close)
                .map_or(html.len(), |p| i + p);
            if hidden_end > i {
                out.push(Piece {
                    range: i..hidden_end,
                    kind: PieceKind::Hidden,
                });
            }
            i = hidden_end;
        }
        text_start = i;
    }
    push_text(&mut out, text_start, bytes.len());
    out
}

/// The markup that starts at `i` (a `<`): where it ends and what it is, or `None` when the
/// `<` is text (not followed by a letter, `/` and a letter, `!` or `?`, or never closed).
fn markup_at(html: &str, i: usize) -> Option<(usize, PieceKind)> {
    let bytes = html.as_bytes();
    let next = bytes.get(i + 1).copied().unwrap_or(b' ');
    let after = bytes.get(i + 2).copied().unwrap_or(b' ');
    if html[i..].starts_with("<!--") {
        let end = html[i + 4..]
            .find("-->")
            .map_or(html.len(), |p| i + 4 + p + 3);
        return Some((end, PieceKind::Hidden));
    }
    let opens_tag = next.is_ascii_alphabetic()
        || (next == b'/' && after.is_ascii_alphabetic())
        || next == b'!'
        || next == b'?';
    let end = opens_tag.then(|| tag_end(bytes, i)).flatten()?;
    if next == b'!' || next == b'?' {
        return Some((end, PieceKind::Hidden));
    }
    let closing = next == b'/';
    let name_start = if closing { i + 2 } else { i + 1 };
    let name_len = html[name_start..end]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == ':' || c == '-'))
        .unwrap_or(end - name_start);
    let name = html[name_start..name_start + name_len].to_ascii_lowercase();
    Some((end, PieceKind::Tag { name, closing }))
}

/// The byte after the `>` that closes the tag starting at `start`, skipping quoted
/// attribute values; `None` when the tag never closes.
fn tag_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut quote = None;
    for (offset, &b) in bytes[start + 1..].iter().enumerate() {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return Some(start + 1 + offset + 1),
            (None, b'<') => return None,
            _ => {}
        }
    }
    None
}

pub(super) static HTML_TAG: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)<(?:/?(?:br|p|div|span|ul|ol|li|b|i|u|s|a|em|strong|font|html|head|body|table|tbody|tr|td|th|h[1-6]|blockquote|pre|hr|img|input|meta|title|strike|del|sub|sup|code|section|article|header|footer|o:p|html-blob)\b[^<>]*>|!doctype\b|!--)",
    )
});
/// A whole document; not Google's `<html-blob>` wrapper around a fragment.
pub(super) static DOCUMENT: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)<(?:(?:html|body)(?:\s|/|>)|!doctype\b)"));
pub(super) static CHECKED: LazyLock<Regex> = LazyLock::new(|| regex(r"\bchecked\b"));
