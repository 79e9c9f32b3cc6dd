//! One line of plain text read as an action item: its bullet, checkbox or prefix, a done
//! mark at the end, and what is left once the due date and owner are taken out.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use super::due::find_due;
use super::owner::take_owner;
use super::{ActionItem, regex};

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

    let owner = take_owner(&mut rest);

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

/// Whitespace collapsed and stray separators left by taking a due date or mention out
/// ("send it due 4 Dec." leaves "send it .").
fn tidy(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let trimmed = joined
        .trim_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '-' | '–' | '—'));
    STRAY_END.replace(trimmed, "").into_owned()
}

/// Punctuation standing alone at the end, once the words before it were taken out.
pub(super) static STRAY_END: LazyLock<Regex> = LazyLock::new(|| regex(r"\s+[.,;:!?]+$"));

/// A list bullet or number before the checkbox or prefix.
pub(super) static BULLET: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?:[-*+•·‣◦▪–—]\s*|\d{1,3}[.)]\s+)"));

pub(super) static CHECKBOX: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?:\[(?P<mark>[ xX✓✔]?)\]|[☐□❏❑]|(?P<done>[☑✓✔☒✅]))(?:\s+|$)"));

/// `TODO:`, `To do:`, `Action:`, `Action item:`, `Done:` in any case; `AI:` only in capitals,
/// since "ai:" is more likely a note about AI than an item.
pub(super) static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^(?:(?i:to[- ]?do|action(?:[- ]item)?|(?P<done>done))|AI)\s*:(?:\s+|$)")
});

/// A done mark at the end: `(done)`, `[done]`, `- done`, `✓`, `✔`, `☑`, `✅`.
pub(super) static DONE_SUFFIX: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\s*(?:[(\[]\s*done\s*[)\]]|[☑✓✔✅☒]|\s[-–—]\s*done)\s*[.!]?\s*$"));
