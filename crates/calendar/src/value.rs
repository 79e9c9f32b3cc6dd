//! Typed readings of property values: dates and times, durations, periods, text.
//!
//! Readers are lenient where real clients are sloppy (surrounding spaces, a `TZID` on a UTC
//! value, lower-case `z`) and return a [`ValueError`] that says what was expected otherwise.

use std::borrow::Cow;

use compact_str::CompactString;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::model::Property;

/// A `DATE` or `DATE-TIME` value in the form it was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimeValue {
    /// An all-day `DATE`.
    Date(NaiveDate),
    /// A local time with no zone: the same wall-clock time wherever one is.
    Floating(NaiveDateTime),
    /// A UTC time (`...Z`).
    Utc(NaiveDateTime),
    /// A local time in the zone named by `TZID` (held inline up to 24 bytes, as most zone
    /// names are: every zoned start and end of a big file has one).
    Zoned(NaiveDateTime, CompactString),
}

impl TimeValue {
    /// The wall-clock time (midnight for a date), whatever the zone.
    pub fn naive(&self) -> NaiveDateTime {
        match self {
            TimeValue::Date(d) => d.and_time(NaiveTime::MIN),
            TimeValue::Floating(t) | TimeValue::Utc(t) | TimeValue::Zoned(t, _) => *t,
        }
    }

    /// True for an all-day `DATE`.
    pub fn is_date(&self) -> bool {
        matches!(self, TimeValue::Date(_))
    }

    /// The same kind of value (same zone, or date-ness) at another wall-clock time.
    pub fn with_naive(&self, t: NaiveDateTime) -> TimeValue {
        match self {
            TimeValue::Date(_) => TimeValue::Date(t.date()),
            TimeValue::Floating(_) => TimeValue::Floating(t),
            TimeValue::Utc(_) => TimeValue::Utc(t),
            TimeValue::Zoned(_, z) => TimeValue::Zoned(t, z.clone()),
        }
    }

    /// The TZID, for zoned values.
    pub fn tzid(&self) -> Option<&str> {
        match self {
            TimeValue::Zoned(_, z) => Some(z),
            _ => None,
        }
    }
}

/// A value that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{property}: {problem} in {value:?}")]
pub struct ValueError {
    /// The property name.
    pub property: String,
    /// The value as written (shortened).
    pub value: String,
    /// What was expected.
    pub problem: String,
}

impl ValueError {
    /// An error about `prop`'s value.
    pub fn new(prop: &Property, problem: impl Into<String>) -> Self {
        ValueError {
            property: prop.name.to_string(),
            value: prop.value.chars().take(60).collect(),
            problem: problem.into(),
        }
    }
}

/// Parses `YYYYMMDD`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_ymd_opt(
        s[0..4].parse().ok()?,
        s[4..6].parse().ok()?,
        s[6..8].parse().ok()?,
    )
}

/// Parses `YYYYMMDDTHHMMSS` (seconds optional, as some exporters drop them). A leap second
/// (`60`) is read as `59`, like other readers.
pub fn parse_naive_datetime(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    let (date, time) = s.split_once(['T', 't'])?;
    let date = parse_date(date)?;
    if !time.bytes().all(|b| b.is_ascii_digit()) || !(time.len() == 6 || time.len() == 4) {
        return None;
    }
    let h: u32 = time[0..2].parse().ok()?;
    let m: u32 = time[2..4].parse().ok()?;
    let sec: u32 = if time.len() == 6 {
        time[4..6].parse().ok()?
    } else {
        0
    };
    Some(date.and_time(NaiveTime::from_hms_opt(h, m, sec.min(59))?))
}

/// Reads one date or date-time value written with the given `TZID` (if any).
pub fn parse_time_value(raw: &str, tzid: Option<&str>, date_only: bool) -> Option<TimeValue> {
    let raw = raw.trim();
    if date_only || (raw.len() == 8 && !raw.contains(['T', 't'])) {
        return parse_date(raw).map(TimeValue::Date);
    }
    if let Some(utc) = raw.strip_suffix(['Z', 'z']) {
        return parse_naive_datetime(utc).map(TimeValue::Utc);
    }
    let t = parse_naive_datetime(raw)?;
    Some(match tzid.map(str::trim).filter(|z| !z.is_empty()) {
        Some(z) => TimeValue::Zoned(t, z.into()),
        None => TimeValue::Floating(t),
    })
}

/// True when the property says `VALUE=DATE`.
fn is_date_typed(prop: &Property) -> bool {
    prop.param_is("VALUE", "DATE")
}

/// Reads a single-valued date/date-time property (`DTSTART`, `DTEND`, `RECURRENCE-ID`).
pub fn time_property(prop: &Property) -> Result<TimeValue, ValueError> {
    let tzid = prop.param_borrowed("TZID");
    parse_time_value(&prop.value, tzid.as_deref(), is_date_typed(prop)).ok_or_else(|| {
        ValueError::new(
            prop,
            "expected a date (YYYYMMDD) or date-time (YYYYMMDDTHHMMSS[Z])",
        )
    })
}

/// One `RDATE` entry: a start, and for `VALUE=PERIOD` an explicit end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateEntry {
    /// When it starts.
    pub start: TimeValue,
    /// For a period, when it ends.
    pub end: Option<PeriodEnd>,
}

/// The end of an RDATE period: an explicit time or a duration from the start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeriodEnd {
    /// `start/end`.
    At(TimeValue),
    /// `start/duration`.
    After(Duration),
}

/// Reads a comma-separated `EXDATE` / `RDATE` list, including `VALUE=PERIOD` entries.
/// Empty entries are skipped; any unreadable entry makes the whole line an error, so a
/// person sees it rather than a silently different schedule.
pub fn date_list(prop: &Property) -> Result<Vec<DateEntry>, ValueError> {
    let tzid = prop.param_borrowed("TZID");
    let date_only = is_date_typed(prop);
    let mut out = Vec::new();
    for part in prop
        .value
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let entry = match part.split_once('/') {
            Some((start, end)) => {
                let start = parse_time_value(start, tzid.as_deref(), false);
                let end = match end.trim_start().starts_with(['P', 'p', '+', '-']) {
                    true => parse_duration(end).map(PeriodEnd::After),
                    false => parse_time_value(end, tzid.as_deref(), false).map(PeriodEnd::At),
                };
                start.zip(end).map(|(start, end)| DateEntry {
                    start,
                    end: Some(end),
                })
            }
            None => parse_time_value(part, tzid.as_deref(), date_only)
                .map(|start| DateEntry { start, end: None }),
        };
        out.push(entry.ok_or_else(|| {
            ValueError::new(
                prop,
                format!("cannot read {part:?} as a date, date-time or period"),
            )
        })?);
    }
    Ok(out)
}

/// An RFC 5545 duration. Weeks and days are nominal (calendar days, so a day across a DST
/// change is 23 or 25 hours); hours, minutes and seconds are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Duration {
    /// Nominal days (weeks included), signed.
    pub days: i64,
    /// Exact seconds, signed.
    pub seconds: i64,
}

impl Duration {
    /// A duration of exact seconds.
    pub fn from_seconds(seconds: i64) -> Self {
        Duration { days: 0, seconds }
    }

    /// Adds this duration to a wall-clock time.
    pub fn add_to(&self, t: NaiveDateTime) -> Option<NaiveDateTime> {
        t.checked_add_signed(chrono::Duration::try_days(self.days)?)?
            .checked_add_signed(chrono::Duration::try_seconds(self.seconds)?)
    }
}

/// Parses `[+-]P[nW][nD][T[nH][nM][nS]]`, leniently (signs inside, as in `PT-2H`, are accepted).
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (mut sign, rest) = match s.as_bytes().first()? {
        b'-' => (-1, &s[1..]),
        b'+' => (1, &s[1..]),
        _ => (1, s),
    };
    let rest = rest.strip_prefix(['P', 'p'])?;
    let mut d = Duration::default();
    let mut in_time = false;
    let mut number = String::new();
    let mut any = false;
    for c in rest.chars() {
        match c.to_ascii_uppercase() {
            '-' if number.is_empty() => sign = -sign,
            '+' if number.is_empty() => {}
            'T' => in_time = true,
            c if c.is_ascii_digit() => number.push(c),
            unit => {
                let n: i64 = number.parse().ok()?;
                number.clear();
                any = true;
                // Checked: a file may hold any number of digits.
                let (slot, per_unit) = match (unit, in_time) {
                    ('W', false) => (&mut d.days, 7),
                    ('D', false) => (&mut d.days, 1),
                    ('H', true) => (&mut d.seconds, 3600),
                    ('M', true) => (&mut d.seconds, 60),
                    ('S', true) => (&mut d.seconds, 1),
                    _ => return None,
                };
                *slot = slot.checked_add(n.checked_mul(per_unit)?)?;
            }
        }
    }
    if !number.is_empty() || !any {
        return None;
    }
    d.days *= sign;
    d.seconds *= sign;
    Some(d)
}

/// Unescapes a TEXT value: `\n`, `\N`, `\,`, `\;`, `\\`.
pub fn unescape_text(raw: &str) -> Cow<'_, str> {
    // Borrowed when there is nothing to unescape (most titles): a big calendar's summaries
    // are read by the hundred thousand.
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') | Some('N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// Escapes plain text for a TEXT value.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// `t + by`, held at the ends of time instead of overflowing: dates, durations and offsets
/// come from files, and a file can say a meeting lasts a million years or starts in 262142.
pub fn add_saturating(t: NaiveDateTime, by: chrono::Duration) -> NaiveDateTime {
    t.checked_add_signed(by)
        .unwrap_or(if by < chrono::Duration::zero() {
            NaiveDateTime::MIN
        } else {
            NaiveDateTime::MAX
        })
}

/// An event's `STATUS` (RFC 5545 3.8.1.11), read case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventStatus {
    /// `TENTATIVE`.
    Tentative,
    /// `CONFIRMED`.
    Confirmed,
    /// `CANCELLED`: the occurrence does not take place.
    Cancelled,
    /// Any other value (an x-name or a producer's own), upper-cased and kept.
    Other(std::sync::Arc<str>),
}

impl EventStatus {
    /// The status a `STATUS` value names.
    pub fn parse(raw: &str) -> EventStatus {
        let raw = raw.trim();
        // Compared in any case before anything is allocated: a big calendar's events
        // nearly all say one of the three.
        [
            EventStatus::Tentative,
            EventStatus::Confirmed,
            EventStatus::Cancelled,
        ]
        .into_iter()
        .find(|known| known.as_str().eq_ignore_ascii_case(raw))
        .unwrap_or_else(|| EventStatus::Other(raw.to_ascii_uppercase().into()))
    }

    /// The value as written in iCalendar (upper case).
    pub fn as_str(&self) -> &str {
        match self {
            EventStatus::Tentative => "TENTATIVE",
            EventStatus::Confirmed => "CONFIRMED",
            EventStatus::Cancelled => "CANCELLED",
            EventStatus::Other(s) => s,
        }
    }
}

impl std::fmt::Display for EventStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_read_in_any_case_and_unknown_ones_kept() {
        assert_eq!(EventStatus::parse(" cancelled "), EventStatus::Cancelled);
        assert_eq!(EventStatus::parse("Confirmed"), EventStatus::Confirmed);
        let other = EventStatus::parse("x-postponed");
        assert_eq!(other.as_str(), "X-POSTPONED");
        assert_eq!(EventStatus::Tentative.to_string(), "TENTATIVE");
    }
    use crate::reader::parse_content_line;

    fn prop(line: &str) -> Property {
        parse_content_line(line, 1).unwrap()
    }

    #[test]
    fn reads_each_time_form() {
        let d = |s| time_property(&prop(s)).unwrap();
        assert!(matches!(
            d("DTSTART;VALUE=DATE:20260105"),
            TimeValue::Date(_)
        ));
        assert!(matches!(d("DTSTART:20260105"), TimeValue::Date(_)));
        assert!(matches!(d("DTSTART:20260105T100000Z"), TimeValue::Utc(_)));
        assert!(matches!(
            d("DTSTART:20260105T100000"),
            TimeValue::Floating(_)
        ));
        assert_eq!(
            d("DTSTART;TZID=\"Europe/Berlin\":20260105T1000").tzid(),
            Some("Europe/Berlin")
        );
        assert!(time_property(&prop("DTSTART:2026-01-05")).is_err());
    }

    #[test]
    fn reads_lists_and_periods() {
        let l = date_list(&prop(
            "RDATE;VALUE=PERIOD:19960403T020000Z/19960403T040000Z,19960404T010000Z/PT3H",
        ))
        .unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(
            l[1].end,
            Some(PeriodEnd::After(Duration::from_seconds(3 * 3600)))
        );
        let l = date_list(&prop(
            "EXDATE;TZID=Europe/Berlin:20260105T100000,20260112T100000",
        ))
        .unwrap();
        assert_eq!(l.len(), 2);
        assert!(date_list(&prop("EXDATE:")).unwrap().is_empty());
        assert!(date_list(&prop("RDATE:tomorrow")).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("P1W"),
            Some(Duration {
                days: 7,
                seconds: 0
            })
        );
        assert_eq!(
            parse_duration("-PT15M"),
            Some(Duration {
                days: 0,
                seconds: -900
            })
        );
        assert_eq!(
            parse_duration("PT-2H"),
            Some(Duration {
                days: 0,
                seconds: -7200
            })
        );
        assert_eq!(
            parse_duration("P1DT1H"),
            Some(Duration {
                days: 1,
                seconds: 3600
            })
        );
        assert_eq!(parse_duration("P"), None);
        assert_eq!(parse_duration("PT1"), None);
        assert_eq!(parse_duration("1H"), None);
    }

    #[test]
    fn text_escaping_round_trips() {
        let s = "a, b; c\\d\nnext";
        assert_eq!(unescape_text(&escape_text(s)), s);
    }
}
