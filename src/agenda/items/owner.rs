//! Who does an item: a name before a colon (`Ann: ...`) or a mention (`@ann`), and the
//! words before a colon that name no one.

use std::sync::LazyLock;

use regex::Regex;

use super::regex;

/// Takes the owner out of an item's text (`rest`, due date already taken out): a name
/// before a colon, else a mention, which leaves the text only at either end of it.
pub(super) fn take_owner(rest: &mut String) -> Option<String> {
    let mut owner = None;
    if let Some(caps) = COLON_OWNER.captures(rest)
        && let (Some(name), Some(after)) = (caps.name("name"), caps.name("rest"))
        && is_colon_owner(name.as_str())
    {
        owner = Some(name.as_str().to_string());
        *rest = after.as_str().to_string();
    } else if let Some(caps) = MENTION.captures(rest)
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
            *rest = format!("{before} {after}");
        }
    }
    owner
}

/// Whether a name reads as an owner before a colon: one word, or two with the second
/// capitalized ("Ann", "ann", "Ann Lee", "Dr. Lee"), letters only, and not one of the words
/// people put before a colon for other reasons ("Note:", "Decide:", "Q:").
pub(super) fn is_colon_owner(name: &str) -> bool {
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
pub(super) const NOT_OWNERS: &[&str] = &[
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

/// `Ann: ...` (checked further by [`is_colon_owner`]).
pub(super) static COLON_OWNER: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^@?(?P<name>\p{L}[\p{L}.'’\-]*(?:\s+\p{L}[\p{L}.'’\-]*)?)\s*:\s+(?P<rest>\S.*)$")
});

/// `@ann`, not an address (`ann@example.com` has no space before the `@`).
pub(super) static MENTION: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?:^|\s)@(?P<name>\p{L}[\p{L}\p{N}._\-]*)"));
