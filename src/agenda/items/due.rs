//! When an item is due: the due phrases people type (`(due 2026-12-04)`, `due: 4 Dec`,
//! `by Dec 4`, a bare ISO date) and the year of a date typed without one.

use std::ops::Range;
use std::sync::LazyLock;

use chrono::{Datelike, Duration, NaiveDate};
use regex::Regex;

use super::regex;

/// Finds a due phrase and its date.
pub(super) fn find_due(s: &str, reference: NaiveDate) -> Option<(Range<usize>, NaiveDate)> {
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
pub(super) static DUE: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(?i)[(\[]\s*(?:(?:due(?:\s+(?:by|on))?|by)\s*:?\s*(?P<p>{d})|(?P<pi>\d{{4}}-\d{{2}}-\d{{2}}))\s*[)\]]|(?:^|[\s,;–-])(?:due(?:\s+(?:by|on))?|by)\s*:?\s*(?P<w>{d})|\b(?P<iso>\d{{4}}-\d{{2}}-\d{{2}})\b",
        d = *DATE_RE
    ))
});

pub(super) static ISO: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})$"));
pub(super) static MONTH_WORD: LazyLock<Regex> =
    LazyLock::new(|| regex(&format!(r"\b{MONTHS_RE}\b")));
pub(super) static NUMBER: LazyLock<Regex> = LazyLock::new(|| regex(r"\d+"));
