//! Action items as people type them in any calendar app, in plain text or HTML descriptions.
//!
//! An item is a line that starts with a checkbox (`- [ ]`, `[x]`, `* [ ]`, `☐`, `☑`, `✓`, ...)
//! or a prefix (`TODO:`, `AI:`, `Action:`, `Action item:`, `Done:`). Its owner is optional
//! (`Ann:` before the text, or `@ann` anywhere) and so is its due date (`(due 2026-12-04)`,
//! `due: 4 Dec`, `by Dec 4`, a bare ISO date). Anything else, a sentence that merely mentions
//! a todo or a heading such as "Action items:", is not an item.
//!
//! The parts: `line` reads one line of plain text, `owner` and `due` find who does an item
//! and by when, `html` turns HTML descriptions into text (and splits them into pieces for
//! the block module), `key` gives an item's identity.

mod due;
mod html;
mod key;
mod line;
mod owner;

use chrono::NaiveDate;
use regex::Regex;

pub(crate) use html::{Piece, PieceKind, decode, html_to_text_in, is_break, is_document, pieces};
pub use html::{html_to_text, looks_like_html};
pub use line::parse_line;
use owner::is_colon_owner;

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

// The regexes are literals checked by the tests below; a failure to compile is a bug in
// this file, never a reaction to input.
#[allow(clippy::expect_used)]
fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a literal regex in agenda::items")
}

#[cfg(test)]
mod tests;
