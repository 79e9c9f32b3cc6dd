//! The block in HTML: where an inserted block goes (the top of `<body>` or of Google's
//! `<html-blob>`), and which tags around a replaced block are written back so the person's
//! markup stays balanced.

use std::sync::LazyLock;

use regex::Regex;

use super::items::{self, PieceKind};
use super::regex;

/// The tags in the block's HTML span (begin marker line to end marker line) that pair with
/// tags outside it, as (those before the begin marker's text, all others), in their order.
///
/// Replacing the span drops the markup inside it; tags that open or close something
/// around the block (Google's `<html-blob>`, a `<span>` started before the marker) are
/// written back so the person's markup stays balanced. Pairs inside the span go with it,
/// and a close followed by a reopening of the same tag (`</div><div>`, one line ending and
/// the next starting) is a line break inside the block and goes too.
pub(super) fn kept_tags(span: &str) -> (String, String) {
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

/// Where the visible content of an HTML description starts: just after `<body ...>` in a
/// whole document, just after the `<html-blob>` Google wraps some descriptions in when it
/// opens them, else the very start.
pub(super) fn top_of_body(html: &str) -> usize {
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

/// The `<br><br>` that [`write()`] puts after a block it inserts into HTML.
pub(super) static BR_AFTER: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)^(?:<br\s*/?>){1,2}"));
