//! An item's identity as it travels from meeting to meeting ([`ActionItem::key`]).

use std::sync::LazyLock;

use regex::Regex;

use super::{ActionItem, regex};

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

/// Due phrases that did not give a date ("(due Friday)", ", due next week"): kept in the
/// text, left out of the key.
pub(super) static DUE_LEFTOVER: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)[(\[]\s*(?:due|by)\b[^)\]]*[)\]]|\s*[,;–-]\s*due\b.*$"));
