//! Title conventions for 1:1s, for events that list nobody but me: "Ann / Mia 1:1",
//! "1-1 Ben <> Mia", "1:1 with Ann", "Ann x Bo", "one-on-one: Ann".

use std::cell::RefCell;
use std::sync::LazyLock;

use regex::Regex;

/// What a title says about a meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TitleSays {
    /// A 1:1 between the people named (one or two names, as written).
    OneOnOne {
        /// The names found (one when the title names only the other person).
        names: Vec<String>,
        /// Which convention matched, for `--explain`.
        convention: &'static str,
    },
    /// Time blocked around 1:1s ("1:1 prep"), not a meeting with anyone.
    Block(&'static str),
    /// Nothing that looks like a 1:1.
    Nothing,
}

// The regexes are literals checked by the tests below; a failure to compile is a bug in
// this file, never a reaction to input.
#[allow(clippy::expect_used)]
fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a literal regex in detect::title")
}

/// "1:1", "1-1", "1on1", "1 on 1", "one-on-one", "1to1" (and plurals).
static MARKER: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i)(?:^|[^\w])(1\s*[:\-]\s*1|1\s*on\s*1|1\s*to\s*1|one[\s\-]on[\s\-]one)s?(?:$|[^\w])")
});

/// Words that make a title a block of one's own time rather than a meeting.
static BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i)\b(prep|preparation|prepare|notes|hold|block|focus|review(?:ing)? notes)\b")
});

/// Words that carry no name: cadence, "sync", "with", decoration.
static FILLER: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)\b(weekly|bi-?weekly|fortnightly|monthly|every\s+\w+\s+weeks?|sync|catch[\s-]?up|check[\s-]?in|chat|meeting|call|with|and|the|our|recurring|standing|\(.*?\))\b",
    )
});

/// Separators between two names: "/", "<>", ":", " x ", "|", "&", "+", " vs ".
static PAIR: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)^\s*(.+?)\s*(?:/|<>|<=>|:|\|| x |&|\+| - | vs\.? )\s*(.+?)\s*$"));

/// Recurring two-person slots that are not 1:1s: a recruiter's interviews, office hours,
/// screenings, drop-in sessions. A 1:1 marker in the title wins.
static SLOT: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i)\b(interviews?|office[\s-]hours?|screening|candidate|drop[\s-]?in)\b")
});

/// The slot word of a title that names a recurring slot rather than a 1:1 (default
/// exclusions, overridden by the config's `include_titles`).
pub fn slot_word(title: &str) -> Option<String> {
    if MARKER.is_match(title) {
        return None;
    }
    SLOT.find(title).map(|m| m.as_str().to_string())
}

/// Whether a title reads like a 1:1 with `first_name`: a 1:1 marker, a pair of names, or
/// their first name in it. A series found by its two participants whose title does none
/// of these ("Budget review") may be something else; `tete list` hints at it.
pub fn reads_like_a_1on1(title: &str, first_name: &str) -> bool {
    let first = first_name.to_lowercase();
    MARKER.is_match(title)
        || matches!(read(title), TitleSays::OneOnOne { .. })
        || (!first.is_empty()
            && title
                .to_lowercase()
                .split(|c: char| !c.is_alphanumeric())
                .any(|word| word == first))
}

/// How many titles [`read`] remembers per thread before it starts again.
const TITLES_REMEMBERED: usize = 1024;

thread_local! {
    /// What the last titles read said: a big calendar's events with nobody but me repeat a
    /// few titles ("Focus time", "Lunch") thousands of times, and reading one runs five
    /// regexes.
    static TITLES_READ: RefCell<foldhash::HashMap<Box<str>, TitleSays>> =
        RefCell::new(foldhash::HashMap::default());
}

/// Reads a title.
pub fn read(title: &str) -> TitleSays {
    if let Some(known) = TITLES_READ.with_borrow(|read| read.get(title).cloned()) {
        return known;
    }
    let says = read_anew(title);
    TITLES_READ.with_borrow_mut(|read| {
        if read.len() >= TITLES_REMEMBERED {
            read.clear();
        }
        read.insert(title.into(), says.clone());
    });
    says
}

fn read_anew(title: &str) -> TitleSays {
    let has_marker = MARKER.is_match(title);
    if let Some(m) = BLOCK.find(title)
        && (has_marker || PAIR.is_match(title))
    {
        return TitleSays::Block(block_word(m.as_str()));
    }
    let rest = MARKER.replace_all(title, " ");
    let rest = FILLER.replace_all(&rest, " ");
    let rest = rest.trim_matches(|c: char| c.is_whitespace() || "-–—:|,.()[]".contains(c));
    if let Some(names) = pair(rest) {
        let convention = if has_marker {
            "title has a 1:1 marker and two names"
        } else {
            "title is two names joined by /, <>, :, x, | or &"
        };
        return TitleSays::OneOnOne { names, convention };
    }
    if has_marker && let Some(name) = name_like(rest) {
        return TitleSays::OneOnOne {
            names: vec![name],
            convention: "title has a 1:1 marker and one name",
        };
    }
    TitleSays::Nothing
}

fn block_word(found: &str) -> &'static str {
    match found.to_ascii_lowercase().as_str() {
        "prep" | "preparation" | "prepare" => "preparation",
        "notes" | "review notes" | "reviewing notes" => "notes",
        _ => "a time block",
    }
}

fn pair(text: &str) -> Option<Vec<String>> {
    let caps = PAIR.captures(text)?;
    let a = name_like(caps.get(1)?.as_str())?;
    let b = name_like(caps.get(2)?.as_str())?;
    Some(vec![a, b])
}

/// A short run of words made of letters (a name), else `None`: "roadmap review for Q3" is
/// not a name, "Ann Berger" and "Chloé" are.
fn name_like(text: &str) -> Option<String> {
    let text = text.trim_matches(|c: char| c.is_whitespace() || "-–—:|,.".contains(c));
    let words: Vec<&str> = text.split_whitespace().collect();
    let ok = !words.is_empty()
        && words.len() <= 3
        && words.iter().all(|w| {
            w.chars()
                .all(|c| c.is_alphabetic() || c == '\'' || c == '-' || c == '.')
                && w.chars().next().is_some_and(char::is_alphabetic)
        });
    ok.then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_reads_the_same_when_remembered_and_after_many_others() {
        let first = read("Ann / Mia 1:1");
        assert!(matches!(first, TitleSays::OneOnOne { .. }), "{first:?}");
        assert_eq!(read("Ann / Mia 1:1"), first);
        for i in 0..TITLES_REMEMBERED + 10 {
            let title = format!("1:1 prep {i}");
            assert_eq!(read(&title), read_anew(&title), "{title}");
        }
        assert_eq!(read("1:1 prep 3"), TitleSays::Block("preparation"));
        assert_eq!(read("Ann / Mia 1:1"), first);
        assert_eq!(read("Budget review"), TitleSays::Nothing);
    }

    #[test]
    fn titles_that_do_not_read_like_a_1on1_are_told_apart() {
        assert!(reads_like_a_1on1("Ann / Mia", "Ann"));
        assert!(reads_like_a_1on1("Weekly 1:1", "Ann"));
        assert!(reads_like_a_1on1("Catch-up with Ann", "Ann"));
        assert!(!reads_like_a_1on1("Budget review", "Ann"));
        assert!(
            !reads_like_a_1on1("Annual planning", "Ann"),
            "a word, not a name inside one"
        );
    }

    fn names(title: &str) -> Vec<String> {
        match read(title) {
            TitleSays::OneOnOne { names, .. } => names,
            other => panic!("{title:?} read as {other:?}"),
        }
    }

    #[test]
    fn conventions_people_use() {
        assert_eq!(names("Ann / Mia 1:1"), ["Ann", "Mia"]);
        assert_eq!(names("1-1 Ben <> Mia"), ["Ben", "Mia"]);
        assert_eq!(names("Chloé / Mia weekly 1:1"), ["Chloé", "Mia"]);
        assert_eq!(names("1:1 Finn & Mia"), ["Finn", "Mia"]);
        assert_eq!(names("Grace | Mia 1:1"), ["Grace", "Mia"]);
        assert_eq!(names("Ann:Bo"), ["Ann", "Bo"]);
        assert_eq!(names("Ann x Bo"), ["Ann", "Bo"]);
        assert_eq!(names("Ann <> Bo"), ["Ann", "Bo"]);
        assert_eq!(names("1on1 with Ann Berger"), ["Ann Berger"]);
        assert_eq!(names("One-on-one: Dev"), ["Dev"]);
        assert_eq!(names("Dev <> Mia monthly 1:1"), ["Dev", "Mia"]);
        assert_eq!(names("Elif / Mia 1:1 (biweekly)"), ["Elif", "Mia"]);
    }

    #[test]
    fn decoys() {
        assert!(matches!(read("1:1 prep"), TitleSays::Block(_)));
        assert!(matches!(read("Prep: Ann / Mia 1:1"), TitleSays::Block(_)));
        assert_eq!(read("Team weekly"), TitleSays::Nothing);
        assert_eq!(read("Planning (room hold)"), TitleSays::Nothing);
        assert_eq!(read("Weekly 1:1"), TitleSays::Nothing);
        assert_eq!(read("Design review: search v2"), TitleSays::Nothing);
        assert_eq!(read("Ann / Ben / Mia: roadmap"), TitleSays::Nothing);
        assert_eq!(read("Q3 / Q4 planning"), TitleSays::Nothing);
    }
}
