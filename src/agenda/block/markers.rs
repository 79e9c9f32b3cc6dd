//! The marker lines that open and close the block, and recognizing them loosely in what
//! apps make of them (any case, entities, dashes, words after the fixed start).

use std::sync::LazyLock;

use regex::Regex;

use super::items;
use super::regex;

/// The line that opens the block. Plain ASCII, no `<`, `>`, `&` or quotes.
/// Older, longer forms (`--- tete agenda: tete rewrites this part...`) are still recognized,
/// and replaced by this one at the next write.
pub const BEGIN_MARKER: &str = "--- tete agenda (your own notes go below the end line) ---";

/// The line that closes the block.
pub const END_MARKER: &str = "--- end of tete agenda ---";

/// What a line says, for recognizing markers: entities decoded (also in plain text, where a
/// `&nbsp;` may be left over from an app's conversion), lower-case, whitespace collapsed.
pub(super) fn normalize(raw: &str) -> String {
    items::decode(raw)
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether an agenda line would be read back as a marker.
pub(super) fn reads_as_marker(line: &str) -> bool {
    let text = normalize(line);
    BEGIN.is_match(&text) || END.is_match(&text) || LOOSE.is_match(&text)
}

/// A begin marker line: dashes (or `=`, `—`...) then "tete agenda", or "tete agenda" followed
/// by a colon or dash; any words after. Matched against [`normalize`]d text.
pub(super) static BEGIN: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^(?:[-=_~*–—]+\s*t[eê]te\s+agenda\b|t[eê]te\s+agenda\s*(?:[:\-–—]|$))")
});

/// An end marker line: "end of tete agenda", dashes before it optional.
pub(super) static END: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?:[-=_~*–—]+\s*)?end\s+(?:of\s+)?(?:the\s+)?t[eê]te\s+agenda\b"));

/// Marker text anywhere in a line.
pub(super) static LOOSE: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?:[-=_~*]{2,}|[–—])\s*(?:end\s+(?:of\s+)?(?:the\s+)?)?t[eê]te\s+agenda\b")
});
