//! Action items as people type them in any calendar app, in plain text or HTML descriptions.
//!
//! An item is a line that starts with a checkbox (`- [ ]`, `[x]`, `* [ ]`, `☐`, `☑`, `✓`, ...)
//! or a prefix (`TODO:`, `AI:`, `Action:`, `Action item:`, `Done:`). Its owner is optional
//! (`Ann:` before the text, or `@ann` anywhere) and so is its due date (`(due 2026-12-04)`,
//! `due: 4 Dec`, `by Dec 4`, a bare ISO date). Anything else, a sentence that merely mentions
//! a todo or a heading such as "Action items:", is not an item.

use std::ops::Range;
use std::sync::LazyLock;

use chrono::{Datelike, Duration, NaiveDate};
use regex::Regex;

/// One action item, reduced to what it says: the checkbox, prefix, owner and due date are
/// taken out of `text` and kept in their own fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionItem {
    /// What is to be done, whitespace collapsed, without checkbox, prefix, owner or due date.
    pub text: String,
    /// Who does it, as written (`Ann`, or `ann` from `@ann`), when the line says.
    pub owner: Option<String>,
    /// When it is due, when the line gives a date tete can read.
    pub due: Option<NaiveDate>,
    /// Checked or marked done.
    pub done: bool,
}

impl ActionItem {
    /// The item's identity as it travels from meeting to meeting: owner and text, lower-case,
    /// whitespace collapsed, typographic quotes made plain, trailing punctuation and any due
    /// phrase left out. The checkbox state is not part of it, so checking an item later
    /// (`- [x] ...`) matches the open one, and carrying it again never makes a second one.
    pub fn key(&self) -> String {
        let text = normalize(&DUE_LEFTOVER.replace_all(&self.text, " "));
        match &self.owner {
            Some(owner) => format!("{}: {text}", normalize(owner.trim_start_matches('@'))),
            None => text,
        }
    }

    /// The item as one Markdown task line that [`extract`] reads back to the same item:
    /// `- [ ] Ann: send the hiring plan (due 2026-12-04)`. Owners that would not read back as
    /// a name before a colon (digits, underscores) are written as a trailing `@owner`.
    pub fn to_line(&self) -> String {
        let mut line = String::from(if self.done { "- [x] " } else { "- [ ] " });
        let owner = self.owner.as_deref().map(|o| o.trim_start_matches('@'));
        let mention = match owner {
            Some(o) if is_colon_owner(o) => {
                line.push_str(o);
                line.push_str(": ");
                None
            }
            other => other,
        };
        line.push_str(&self.text);
        if let Some(o) = mention {
            line.push_str(" @");
            line.push_str(o);
        }
        if let Some(due) = self.due {
            line.push_str(&format!(" (due {})", due.format("%Y-%m-%d")));
        }
        line
    }
}

/// Every action item in a description, in order of appearance (duplicates included: the
/// caller merges by [`ActionItem::key`]). HTML descriptions (Google's web UI, Outlook's
/// `X-ALT-DESC`) are turned into text first. `reference` gives the year to due dates typed
/// without one; pass the date of the meeting whose description this is.
pub fn extract(description: &str, reference: NaiveDate) -> Vec<ActionItem> {
    let text;
    let plain = if looks_like_html(description) {
        text = html_to_text(description);
        text.as_str()
    } else {
        description
    };
    plain
        .lines()
        .filter_map(|line| parse_line(line, reference))
        .collect()
}

/// One line read as an action item, or `None` when it is not one.
pub fn parse_line(line: &str, reference: NaiveDate) -> Option<ActionItem> {
    let line = line.trim();
    let rest = match BULLET.find(line) {
        Some(m) => &line[m.end()..],
        None => line,
    };
    let (mut done, rest) = if let Some((done, after)) = checkbox(rest) {
        // "- [ ] TODO: ..." says the same twice; the prefix is not part of the text.
        let after = PREFIX
            .captures(after)
            .and_then(|c| c.get(0))
            .map_or(after, |m| &after[m.end()..]);
        (done, after)
    } else {
        let caps = PREFIX.captures(rest)?;
        let whole = caps.get(0)?;
        let prefix_done = caps.name("done").is_some();
        let after = &rest[whole.end()..];
        // A prefix may be followed by a mark of its own: "TODO: [x] ...", "AI: ✓ ...".
        match checkbox(after) {
            Some((done, after)) => (done || prefix_done, after),
            None => (prefix_done, after),
        }
    };

    let mut rest = rest.trim().to_string();
    if let Some(m) = DONE_SUFFIX.find(&rest) {
        done = true;
        rest.truncate(m.start());
    }

    let mut due = None;
    if let Some((range, date)) = find_due(&rest, reference) {
        due = Some(date);
        rest.replace_range(range, " ");
    }
    let mut rest = tidy(&rest);

    let mut owner = None;
    if let Some(caps) = COLON_OWNER.captures(&rest)
        && let (Some(name), Some(after)) = (caps.name("name"), caps.name("rest"))
        && is_colon_owner(name.as_str())
    {
        owner = Some(name.as_str().to_string());
        rest = after.as_str().to_string();
    } else if let Some(caps) = MENTION.captures(&rest)
        && let Some(name) = caps.name("name")
    {
        let range = name.range();
        let at = range.start.saturating_sub(1);
        owner = Some(name.as_str().trim_end_matches(['.', '-']).to_string());
        // A mention at either end names the owner and nothing else; in the middle of a
        // sentence ("ask @bo about the budget") it is part of what is to be done.
        let before = rest[..at].trim();
        let after = rest[range.end..].trim_start_matches(['.', '-']).trim();
        if before.is_empty() || after.is_empty() {
            rest = format!("{before} {after}");
        }
    }

    let text = tidy(&rest);
    if text.is_empty() {
        return None;
    }
    Some(ActionItem {
        text,
        owner,
        due,
        done,
    })
}

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
        let next = bytes.get(i + 1).copied().unwrap_or(b' ');
        let after = bytes.get(i + 2).copied().unwrap_or(b' ');
        if html[i..].starts_with("<!--") {
            let end = html[i + 4..]
                .find("-->")
                .map_or(html.len(), |p| i + 4 + p + 3);
            push_text(&mut out, text_start, i);
            out.push(Piece {
                range: i..end,
                kind: PieceKind::Hidden,
            });
            i = end;
            text_start = i;
            continue;
        }
        let opens_tag = next.is_ascii_alphabetic()
            || (next == b'/' && after.is_ascii_alphabetic())
            || next == b'!'
            || next == b'?';
        let Some(end) = opens_tag.then(|| tag_end(bytes, i)).flatten() else {
            i += 1;
            continue;
        };
        push_text(&mut out, text_start, i);
        if next == b'!' || next == b'?' {
            out.push(Piece {
                range: i..end,
                kind: PieceKind::Hidden,
            });
            i = end;
            text_start = i;
            continue;
        }
        let closing = next == b'/';
        let name_start = if closing { i + 2 } else { i + 1 };
        let name_len = html[name_start..end]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == ':' || c == '-'))
            .unwrap_or(end - name_start);
        let name = html[name_start..name_start + name_len].to_ascii_lowercase();
        out.push(Piece {
            range: i..end,
            kind: PieceKind::Tag {
                name: name.clone(),
                closing,
            },
        });
        i = end;
        text_start = i;
        if !closing && matches!(name.as_str(), "script" | "style" | "title") {
            // Their contents are not text a person reads; skip to the closing tag.
            let close = format!("</{name}");
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
            text_start = i;
        }
    }
    push_text(&mut out, text_start, bytes.len());
    out
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

/// Leading checkbox: `[ ]`, `[]`, `[x]`, `[X]`, `[✓]`, `☐`, `☑`, `✓`, `✔`, `☒`, `✅`.
/// Returns (done, the rest).
fn checkbox(s: &str) -> Option<(bool, &str)> {
    let caps = CHECKBOX.captures(s)?;
    let whole = caps.get(0)?;
    let done = caps.name("done").is_some()
        || caps
            .name("mark")
            .is_some_and(|m| !m.as_str().trim().is_empty());
    Some((done, &s[whole.end()..]))
}

/// Finds a due phrase and its date.
fn find_due(s: &str, reference: NaiveDate) -> Option<(Range<usize>, NaiveDate)> {
    for caps in DUE.captures_iter(s) {
        let whole = caps.get(0)?;
        let Some(date) = ["p", "pi", "w", "iso"]
            .iter()
            .find_map(|n| caps.name(n))
            .and_then(|d| parse_date(d.as_str(), reference))
        else {
            continue;
        };
        return Some((whole.range(), date));
    }
    None
}

/// A date in one of the forms [`DUE`] accepts.
fn parse_date(s: &str, reference: NaiveDate) -> Option<NaiveDate> {
    let s = s.trim();
    if let Some(c) = ISO.captures(s) {
        let n = |k: &str| c.name(k).and_then(|m| m.as_str().parse::<u32>().ok());
        return NaiveDate::from_ymd_opt(i32::try_from(n("y")?).ok()?, n("m")?, n("d")?);
    }
    let lower = s.to_lowercase();
    let month = MONTH_WORD
        .find(&lower)
        .and_then(|m| month_number(m.as_str()))?;
    let mut numbers = NUMBER.find_iter(&lower).map(|m| m.as_str());
    let day: u32 = numbers.next()?.parse().ok()?;
    match numbers.next().and_then(|y| y.parse::<i32>().ok()) {
        Some(year) => NaiveDate::from_ymd_opt(year, month, day),
        None => year_for(month, day, reference),
    }
}

/// How far back a date without a year may lie and still be taken in the reference's year:
/// an item typed a little late, or already overdue, means this year's date, not next year's.
const PAST_GRACE_DAYS: i64 = 30;

/// The first date with this month and day on or after `reference` less the grace period.
fn year_for(month: u32, day: u32, reference: NaiveDate) -> Option<NaiveDate> {
    let earliest = reference - Duration::days(PAST_GRACE_DAYS);
    (reference.year() - 1..=reference.year() + 4)
        .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
        .find(|d| *d >= earliest)
}

fn month_number(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let prefix = word.get(..3)?;
    MONTHS
        .iter()
        .position(|m| *m == prefix)
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// Whether a name reads as an owner before a colon: one word, or two with the second
/// capitalized ("Ann", "ann", "Ann Lee", "Dr. Lee"), letters only, and not one of the words
/// people put before a colon for other reasons ("Note:", "Decide:", "Q:").
fn is_colon_owner(name: &str) -> bool {
    let words: Vec<&str> = name.split_whitespace().collect();
    let shaped = match words.as_slice() {
        [_] => true,
        [_, second] => second.chars().next().is_some_and(char::is_uppercase),
        _ => false,
    };
    let letters = words.iter().all(|w| {
        w.chars().next().is_some_and(char::is_alphabetic)
            && w.chars()
                .all(|c| c.is_alphabetic() || matches!(c, '.' | '\'' | '’' | '-'))
    });
    let first = words.first().map(|w| w.to_lowercase()).unwrap_or_default();
    shaped && letters && name.chars().count() <= 30 && !NOT_OWNERS.contains(&first.as_str())
}

/// Words people put before a colon that do not name a person.
const NOT_OWNERS: &[&str] = &[
    "action",
    "agenda",
    "ai",
    "ask",
    "blocked",
    "blocker",
    "by",
    "check",
    "context",
    "decide",
    "decision",
    "discuss",
    "done",
    "due",
    "follow",
    "followup",
    "follow-up",
    "fyi",
    "goal",
    "how",
    "idea",
    "next",
    "note",
    "notes",
    "q",
    "question",
    "re",
    "review",
    "status",
    "todo",
    "topic",
    "update",
    "what",
    "when",
    "where",
    "who",
    "why",
];

/// Whitespace collapsed and stray separators left by taking a due date or mention out
/// ("send it due 4 Dec." leaves "send it .").
fn tidy(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let trimmed = joined
        .trim_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '-' | '–' | '—'));
    STRAY_END.replace(trimmed, "").into_owned()
}

/// The comparable form of a text: quotes made plain, lower-case, whitespace collapsed,
/// trailing punctuation gone.
fn normalize(s: &str) -> String {
    let plain: String = s
        .chars()
        .map(|c| match c {
            '’' | '‘' | '`' => '\'',
            '“' | '”' => '"',
            c => c,
        })
        .collect();
    let lower = plain.to_lowercase();
    let joined = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    joined
        .trim_end_matches(|c: char| c.is_whitespace() || ".,;:!?…".contains(c))
        .to_string()
}

// The regexes are literals checked by the tests below; a failure to compile is a bug in
// this file, never a reaction to input.
#[allow(clippy::expect_used)]
fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a literal regex in agenda::items")
}

const MONTHS_RE: &str = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";

/// A date: ISO (`2026-12-04`, `2026/12/04`), `4 Dec`, `4th December 2026`, `Dec 4`,
/// `December 4, 2026`.
static DATE_RE: LazyLock<String> = LazyLock::new(|| {
    format!(
        r"(?:\d{{4}}[-/]\d{{1,2}}[-/]\d{{1,2}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{m}\.?(?:,?\s+\d{{4}})?|{m}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?)\b",
        m = MONTHS_RE
    )
});

/// A due phrase: in brackets (`(due 2026-12-04)`, `[by Dec 4]`, `(2026-12-04)`), in words
/// (`due: 4 Dec`, `due by Dec 4`, `by 2026-12-04`), or a bare ISO date.
static DUE: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(?i)[(\[]\s*(?:(?:due(?:\s+(?:by|on))?|by)\s*:?\s*(?P<p>{d})|(?P<pi>\d{{4}}-\d{{2}}-\d{{2}}))\s*[)\]]|(?:^|[\s,;–-])(?:due(?:\s+(?:by|on))?|by)\s*:?\s*(?P<w>{d})|\b(?P<iso>\d{{4}}-\d{{2}}-\d{{2}})\b",
        d = *DATE_RE
    ))
});

/// Due phrases that did not give a date ("(due Friday)", ", due next week"): kept in the
/// text, left out of the key.
static DUE_LEFTOVER: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)[(\[]\s*(?:due|by)\b[^)\]]*[)\]]|\s*[,;–-]\s*due\b.*$"));

/// Punctuation standing alone at the end, once the words before it were taken out.
static STRAY_END: LazyLock<Regex> = LazyLock::new(|| regex(r"\s+[.,;:!?]+$"));

static ISO: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})$"));
static MONTH_WORD: LazyLock<Regex> = LazyLock::new(|| regex(&format!(r"\b{MONTHS_RE}\b")));
static NUMBER: LazyLock<Regex> = LazyLock::new(|| regex(r"\d+"));

/// A list bullet or number before the checkbox or prefix.
static BULLET: LazyLock<Regex> = LazyLock::new(|| regex(r"^(?:[-*+•·‣◦▪–—]\s*|\d{1,3}[.)]\s+)"));

static CHECKBOX: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?:\[(?P<mark>[ xX✓✔]?)\]|[☐□❏❑]|(?P<done>[☑✓✔☒✅]))(?:\s+|$)"));

/// `TODO:`, `To do:`, `Action:`, `Action item:`, `Done:` in any case; `AI:` only in capitals,
/// since "ai:" is more likely a note about AI than an item.
static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^(?:(?i:to[- ]?do|action(?:[- ]item)?|(?P<done>done))|AI)\s*:(?:\s+|$)")
});

/// A done mark at the end: `(done)`, `[done]`, `- done`, `✓`, `✔`, `☑`, `✅`.
static DONE_SUFFIX: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\s*(?:[(\[]\s*done\s*[)\]]|[☑✓✔✅☒]|\s[-–—]\s*done)\s*[.!]?\s*$"));

/// `Ann: ...` (checked further by [`is_colon_owner`]).
static COLON_OWNER: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^@?(?P<name>\p{L}[\p{L}.'’\-]*(?:\s+\p{L}[\p{L}.'’\-]*)?)\s*:\s+(?P<rest>\S.*)$")
});

/// `@ann`, not an address (`ann@example.com` has no space before the `@`).
static MENTION: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?:^|\s)@(?P<name>\p{L}[\p{L}\p{N}._\-]*)"));

static HTML_TAG: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)<(?:/?(?:br|p|div|span|ul|ol|li|b|i|u|s|a|em|strong|font|html|head|body|table|tbody|tr|td|th|h[1-6]|blockquote|pre|hr|img|input|meta|title|strike|del|sub|sup|code|section|article|header|footer|o:p|html-blob)\b[^<>]*>|!doctype\b|!--)",
    )
});
/// A whole document; not Google's `<html-blob>` wrapper around a fragment.
static DOCUMENT: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)<(?:(?:html|body)(?:\s|/|>)|!doctype\b)"));
static CHECKED: LazyLock<Regex> = LazyLock::new(|| regex(r"\bchecked\b"));

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    /// The demo's "now": 2026-11-25.
    fn today() -> NaiveDate {
        day(2026, 11, 25)
    }

    fn item(text: &str, owner: Option<&str>, due: Option<NaiveDate>, done: bool) -> ActionItem {
        ActionItem {
            text: text.to_string(),
            owner: owner.map(str::to_string),
            due,
            done,
        }
    }

    fn one(line: &str) -> Option<ActionItem> {
        parse_line(line, today())
    }

    #[test]
    fn regexes_compile() {
        for re in [
            &*DUE,
            &*DUE_LEFTOVER,
            &*ISO,
            &*MONTH_WORD,
            &*NUMBER,
            &*BULLET,
            &*CHECKBOX,
            &*PREFIX,
            &*DONE_SUFFIX,
            &*COLON_OWNER,
            &*MENTION,
            &*HTML_TAG,
            &*DOCUMENT,
            &*CHECKED,
            &*STRAY_END,
        ] {
            assert!(!re.as_str().is_empty());
        }
    }

    #[test]
    fn markdown_task_with_owner_and_due() {
        assert_eq!(
            one("- [ ] Ann: send the hiring plan (due 2026-12-04)"),
            Some(item(
                "send the hiring plan",
                Some("Ann"),
                Some(day(2026, 12, 4)),
                false
            ))
        );
    }

    #[test]
    fn checkbox_forms() {
        let open = Some(item("send the plan", None, None, false));
        let done = Some(item("send the plan", None, None, true));
        for line in [
            "- [ ] send the plan",
            "* [ ] send the plan",
            "+ [ ] send the plan",
            "[ ] send the plan",
            "[] send the plan",
            "  -[ ] send the plan  ",
            "1. [ ] send the plan",
            "☐ send the plan",
            "• ☐ send the plan",
            "TODO: send the plan",
            "todo: send the plan",
            "To do: send the plan",
            "AI: send the plan",
            "Action: send the plan",
            "Action item: send the plan",
            "- Action item: send the plan",
            "- [ ] TODO: send the plan",
        ] {
            assert_eq!(one(line), open, "{line}");
        }
        for line in [
            "- [x] send the plan",
            "- [X] send the plan",
            "[x] send the plan",
            "[✓] send the plan",
            "☑ send the plan",
            "✓ send the plan",
            "✔ send the plan",
            "☒ send the plan",
            "✅ send the plan",
            "TODO: send the plan (done)",
            "AI: send the plan ✓",
            "AI: [x] send the plan",
            "Action: send the plan - done",
            "Done: send the plan",
            "- [ ] send the plan (done)",
        ] {
            assert_eq!(one(line), done, "{line}");
        }
    }

    #[test]
    fn not_items() {
        for line in [
            "",
            "We should keep a todo list for the offsite.",
            "the todo: app is slow",
            "Action items:",
            "Action items: see below",
            "TODO:",
            "- [ ]",
            "[x]",
            "- send the plan",
            "Ann: send the plan",
            "ai: we talked about AI tooling",
            "[link](https://example.com)",
            "Notes from last time",
        ] {
            assert_eq!(one(line), None, "{line}");
        }
    }

    #[test]
    fn owners() {
        let owner = |line: &str| one(line).and_then(|i| i.owner);
        assert_eq!(owner("- [ ] Ann: send it").as_deref(), Some("Ann"));
        assert_eq!(owner("- [ ] ann: send it").as_deref(), Some("ann"));
        assert_eq!(owner("- [ ] Ann Lee: send it").as_deref(), Some("Ann Lee"));
        assert_eq!(owner("- [ ] @ann: send it").as_deref(), Some("ann"));
        assert_eq!(owner("- [ ] send it @ann").as_deref(), Some("ann"));
        assert_eq!(owner("- [ ] @ann send it").as_deref(), Some("ann"));
        assert_eq!(owner("- [ ] Decide: hire or not"), None);
        assert_eq!(owner("- [ ] Note: the budget is fixed"), None);
        assert_eq!(owner("- [ ] Talk to Bo: about the budget"), None);
        assert_eq!(owner("- [ ] Q3: plan the budget"), None);
        assert_eq!(owner("- [ ] mail ann@example.com the plan"), None);
        // A mention in the middle names the owner and stays in the text.
        assert_eq!(
            one("- [ ] ask @bo about the budget"),
            Some(item("ask @bo about the budget", Some("bo"), None, false))
        );
        assert_eq!(
            one("- [ ] send it @ann."),
            Some(item("send it", Some("ann"), None, false))
        );
        assert_eq!(
            one("- [ ] Ann: check the 10:30 slot"),
            Some(item("check the 10:30 slot", Some("Ann"), None, false))
        );
    }

    #[test]
    fn due_dates() {
        let due = |line: &str| one(line).and_then(|i| i.due);
        let dec4 = Some(day(2026, 12, 4));
        for line in [
            "- [ ] send it (due 2026-12-04)",
            "- [ ] send it (Due: 2026-12-04)",
            "- [ ] send it due: 2026-12-04",
            "- [ ] send it due 2026-12-04",
            "- [ ] send it, due 4 Dec",
            "- [ ] send it due 4th December",
            "- [ ] send it due Dec. 4",
            "- [ ] send it by 2026-12-04",
            "- [ ] send it (by Dec 4)",
            "- [ ] send it [by Dec 4]",
            "- [ ] send it by December 4, 2026",
            "- [ ] send it due by 4 Dec 2026",
            "- [ ] send it 2026-12-04",
            "- [ ] send it (2026-12-04)",
            "- [ ] 2026-12-04 send it",
            "- [ ] send it by 2026/12/04",
            "- [ ] send it due 4 Dec.",
            "- [ ] send it, by Dec 4, 2026.",
        ] {
            assert_eq!(due(line), dec4, "{line}");
            assert_eq!(
                one(line).map(|i| i.text).as_deref(),
                Some("send it"),
                "{line}"
            );
        }
        // Without a year: the next such date, or a recent one (overdue, typed late).
        assert_eq!(due("- [ ] send it by Jan 10"), Some(day(2027, 1, 10)));
        assert_eq!(due("- [ ] send it by Nov 20"), Some(day(2026, 11, 20)));
        assert_eq!(due("- [ ] send it by Oct 1"), Some(day(2027, 10, 1)));
        assert_eq!(
            parse_line("- [ ] send it by Feb 29", today()).and_then(|i| i.due),
            Some(day(2028, 2, 29))
        );
        // Not dates: kept as text.
        assert_eq!(due("- [ ] send it by Friday"), None);
        assert_eq!(due("- [ ] send it (due 2026-13-45)"), None);
        assert_eq!(due("- [ ] review the due diligence"), None);
        assert_eq!(due("- [ ] stand by May"), None);
        assert_eq!(
            one("- [ ] send it by Friday").map(|i| i.text).as_deref(),
            Some("send it by Friday")
        );
    }

    #[test]
    fn key_matches_the_same_item_typed_again() {
        let key = |line: &str| one(line).map(|i| i.key()).unwrap_or_default();
        let base = key("- [ ] Ann: send the hiring plan (due 2026-12-04)");
        assert_eq!(base, "ann: send the hiring plan");
        for line in [
            "- [x] Ann: send the hiring plan (due 2026-12-04)",
            "- [ ] ann:  Send the   hiring plan.",
            "☑ Ann: send the hiring plan",
            "TODO: send the hiring plan @ann",
            "- [ ] @Ann send the hiring plan by 4 Dec",
            "AI: Ann: send the hiring plan (due Friday)",
            "AI: Ann: send the hiring plan, due next week",
        ] {
            assert_eq!(key(line), base, "{line}");
        }
        assert_ne!(key("- [ ] Bo: send the hiring plan"), base);
        assert_ne!(key("- [ ] send the hiring plan"), base);
        assert_ne!(key("- [ ] Ann: send the hiring plan v2"), base);
        assert_eq!(
            key("- [ ] Ann: don’t forget “the plan”!"),
            key("- [ ] Ann: don't forget \"the plan\"")
        );
    }

    #[test]
    fn to_line_reads_back() {
        for line in [
            "- [ ] Ann: send the hiring plan (due 2026-12-04)",
            "- [x] send it @ann_lee",
            "☑ Ann Lee: book the offsite by Jan 10",
            "AI: ask @bo about the budget",
            "TODO: send the plan @ann.",
            "- [ ] Decide: hire or not",
            "- [ ] send it by Friday",
        ] {
            let Some(first) = one(line) else {
                panic!("not an item: {line}")
            };
            assert_eq!(one(&first.to_line()), Some(first.clone()), "{line}");
        }
        assert_eq!(
            item("send it", Some("Ann"), Some(day(2026, 12, 4)), false).to_line(),
            "- [ ] Ann: send it (due 2026-12-04)"
        );
    }

    #[test]
    fn extract_plain_text() {
        let description = "Agenda\r\n\
            - how was the week\r\n\
            Action items:\r\n\
            - [ ] Ann: send the hiring plan (due 2026-12-04)\r\n\
            - [x] Mia: book the room\n\
            We need a better todo list.\n\
            TODO: write the brag doc @ann\n";
        assert_eq!(
            extract(description, today()),
            vec![
                item(
                    "send the hiring plan",
                    Some("Ann"),
                    Some(day(2026, 12, 4)),
                    false
                ),
                item("book the room", Some("Mia"), None, true),
                item("write the brag doc", Some("ann"), None, false),
            ]
        );
    }

    #[test]
    fn extract_google_html() {
        let description = "Agenda<br><ul><li>[ ] Ann: send the hiring plan (due 2026-12-04)</li>\
            <li>[x] Mia: book the room &amp; the&nbsp;projector</li><li>just a bullet</li></ul>\
            <br>TODO: <b>write</b> the brag doc<br><p>☐ ask @bo about the budget</p>";
        assert!(looks_like_html(description));
        assert_eq!(
            extract(description, today()),
            vec![
                item(
                    "send the hiring plan",
                    Some("Ann"),
                    Some(day(2026, 12, 4)),
                    false
                ),
                item("book the room & the projector", Some("Mia"), None, true),
                item("write the brag doc", None, None, false),
                item("ask @bo about the budget", Some("bo"), None, false),
            ]
        );
    }

    #[test]
    fn extract_outlook_document() {
        let description = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2//EN\">\n<HTML>\n<HEAD>\n\
            <META NAME=\"Generator\" CONTENT=\"MS Exchange Server\">\n<TITLE>TODO: not this</TITLE>\n\
            <style>p { margin: 0 }</style>\n</HEAD>\n<BODY>\n<!-- Converted from text/rtf format -->\n\
            <P DIR=LTR><SPAN LANG=\"en-us\"><FONT FACE=\"Calibri\">[ ] Ann: send the\n\
            hiring plan</FONT></SPAN></P>\n<P><input type=\"checkbox\" checked> Bo: file the expenses</P>\n\
            <P><INPUT TYPE=checkbox> Bo: plan Q1</P>\n</BODY>\n</HTML>";
        assert_eq!(
            extract(description, today()),
            vec![
                item("send the hiring plan", Some("Ann"), None, false),
                item("file the expenses", Some("Bo"), None, true),
                item("plan Q1", Some("Bo"), None, false),
            ]
        );
    }

    #[test]
    fn html_detection() {
        for html in [
            "a<br>b",
            "a<br/>b",
            "a<BR />b",
            "<p>x</p>",
            "<ul><li>x</li></ul>",
            "<b>x</b>",
            "<a href=\"https://x\">x</a>",
            "<!DOCTYPE html><html></html>",
            "<html-blob>x</html-blob>",
        ] {
            assert!(looks_like_html(html), "{html}");
        }
        for text in [
            "plain text",
            "Ann <ann@example.com>",
            "if a < b and b > c",
            "use <angle brackets>",
            "R&D &amp; more",
            "<ann@example.com>",
            "x <- y",
        ] {
            assert!(!looks_like_html(text), "{text}");
        }
    }

    #[test]
    fn html_to_text_shapes() {
        assert_eq!(html_to_text("a<br>b<br/>c<br />d"), "a\nb\nc\nd");
        assert_eq!(
            html_to_text("<p>one</p><p>two</p><div>three</div>"),
            "one\ntwo\nthree"
        );
        assert_eq!(html_to_text("<ul><li>a</li><li>b</li></ul>"), "- a\n- b");
        assert_eq!(
            html_to_text("x &lt;b&gt; &amp; &quot;q&quot; &#39;s&#39; &#x263A; &hellip;"),
            "x <b> & \"q\" 's' ☺ …"
        );
        assert_eq!(html_to_text("a&nbsp;&nbsp;b"), "a  b");
        assert_eq!(html_to_text("a<br><br><br><br>b"), "a\n\nb");
        assert_eq!(html_to_text("if a < b > c"), "if a < b > c");
        assert_eq!(html_to_text("<a href=\"x>y\">link</a>"), "link");
        assert_eq!(html_to_text("broken <b"), "broken <b");
        assert_eq!(html_to_text("<!-- <p>hidden</p> -->shown"), "shown");
        assert_eq!(html_to_text("<script>alert('<p>')</script>ok"), "ok");
        assert_eq!(
            html_to_text("fragment\nkeeps lines"),
            "fragment\nkeeps lines"
        );
        assert_eq!(
            html_to_text("<html><body><p>a document\nwraps</p></body></html>"),
            "a document wraps"
        );
        assert_eq!(
            html_to_text("<html-blob>google\nfragment</html-blob>"),
            "google\nfragment"
        );
        assert_eq!(html_to_text(""), "");
    }

    #[test]
    fn pieces_cover_every_byte() {
        for html in [
            "a<br>b<p class='x'>c</p><!-- d --><script>e</script>f<",
            "<<>><",
            "<a href=\"unterminated>",
            "é<b>ü</b>☐",
        ] {
            let ps = pieces(html);
            let mut at = 0;
            for p in &ps {
                assert_eq!(p.range.start, at, "{html}");
                at = p.range.end;
            }
            assert_eq!(at, html.len(), "{html}");
        }
    }

    fn word() -> impl Strategy<Value = String> {
        "[a-z]{1,8}"
    }

    fn generated_item() -> impl Strategy<Value = ActionItem> {
        (
            prop::collection::vec(word(), 1..6),
            prop::option::of(prop_oneof!["[A-Z][a-z]{1,7}", "[a-z]{2,6}_[0-9]"]),
            prop::option::of((2020i32..2035, 1u32..13, 1u32..29)),
            any::<bool>(),
        )
            .prop_map(|(words, owner, due, done)| ActionItem {
                text: words.join(" "),
                owner,
                due: due.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
                done,
            })
    }

    proptest! {
        #[test]
        fn generated_items_read_back(item in generated_item()) {
            prop_assume!(item.owner.as_deref().is_none_or(|o| {
                !NOT_OWNERS.contains(&o.to_lowercase().as_str())
            }));
            let back = parse_line(&item.to_line(), today());
            prop_assert_eq!(back.as_ref().map(ActionItem::key), Some(item.key()));
            prop_assert_eq!(back, Some(item));
        }

        #[test]
        fn extract_never_panics(s in "\\PC{0,120}") {
            let _ = extract(&s, today());
            let _ = html_to_text(&s);
        }

        #[test]
        fn pieces_cover_arbitrary_input(s in "[<>/!a-z\"' \\-]{0,40}") {
            let mut at = 0;
            for p in pieces(&s) {
                prop_assert_eq!(p.range.start, at);
                at = p.range.end;
            }
            prop_assert_eq!(at, s.len());
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in [
            "- [ ] @",
            "- [ ] @ ",
            "☐",
            "- [ ] by",
            "- [ ] (due )",
            "- [ ] due 99 Dec",
            "- [ ] due 0 Dec",
            "- [ ] 9999-99-99",
            "- [ ] by 2026-02-30",
            "<",
            "<!--",
            "<script>",
            "&#xFFFFFFFF;",
            "- [ ] Ann:",
            "- [ ] Ann: ",
        ] {
            let _ = extract(s, today());
            let _ = html_to_text(s);
        }
    }
}
