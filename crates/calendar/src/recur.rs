//! RRULE reading and iteration.
//!
//! Parsing is ours: lenient about spaces and case, and about parts that are invalid next to
//! valid ones (a bad `COUNT=-1`, an unknown part, a `BYWEEKNO` in a monthly rule): such a
//! part is ignored with a warning that names it and the rule expands with the rest, as other
//! readers do. Only a rule without a usable `FREQ` (or in another calendar scale) is refused.
//!
//! Iteration ([`iter`]) is the `rrule` crate, a port of python-dateutil, the engine behind
//! recurring-ical-events, with tete's own layer around it: rules are always iterated in
//! *wall-clock* time (the crate's UTC zone used as "no zone"), as RFC 5545 defines
//! recurrence on local time, and the caller maps each local start to an instant with the
//! event's own zone (IANA, a file's VTIMEZONE or custom), which the crate could not
//! represent. See [`iter`] for what the layer adds (skipping to a window, bounds, and the
//! crate's gaps it works around).

mod iter;

use chrono::{Month, Weekday};
use rrule::{Frequency, NWeekday};

use super::value::{TimeValue, parse_time_value};

pub use iter::{DEFAULT_MAX_STEPS, Occurrences, Stop};

/// A recurrence rule as read from an `RRULE` value.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSpec {
    freq: Frequency,
    /// INTERVAL; may exceed the crate's `u16` (see [`iter`]).
    interval: u32,
    count: Option<u32>,
    /// UNTIL as written (DATE, UTC or local); the caller converts it to the event's wall clock.
    pub until: Option<TimeValue>,
    week_start: Option<Weekday>,
    by_set_pos: Vec<i32>,
    by_month: Vec<Month>,
    by_month_day: Vec<i8>,
    by_year_day: Vec<i16>,
    by_week_no: Vec<i8>,
    by_weekday: Vec<NWeekday>,
    by_hour: Vec<u8>,
    by_minute: Vec<u8>,
    by_second: Vec<u8>,
    /// Parts that were skipped: harmless ones (`X-` extensions, `RSCALE=GREGORIAN`) as
    /// written, invalid ones as written with the reason, e.g. `COUNT=-1 (not a number)`.
    pub ignored: Vec<String>,
    /// Other things a person should know about how the rule was read (e.g. COUNT and UNTIL
    /// together).
    pub notes: Vec<String>,
}

/// Why a rule cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// A part is missing, unknown or has a bad value.
    #[error("RRULE {0}")]
    Invalid(String),
    /// The rule is well-formed but cannot generate occurrences from this start.
    #[error("RRULE cannot be expanded: {0}")]
    Unusable(String),
}

fn invalid(msg: impl Into<String>) -> RuleError {
    RuleError::Invalid(msg.into())
}

/// The result of reading one part: its valid values, and the reason for those left out.
type PartValues<T> = (Vec<T>, Option<String>);

impl RuleSpec {
    /// Parses an `RRULE` value such as `FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20261231T235959Z`.
    ///
    /// `Err` only when the rule has no usable `FREQ` or needs a calendar scale or skip rule
    /// tete does not have; an invalid part next to valid ones is left out and listed in
    /// [`RuleSpec::ignored`]. A part written twice (RFC 5545: MUST NOT) counts as written
    /// last, as python's icalendar (and so recurring-ical-events) reads it; the earlier one is
    /// listed as ignored.
    pub fn parse(raw: &str) -> Result<RuleSpec, RuleError> {
        let mut spec = RuleSpec {
            freq: Frequency::Daily,
            interval: 1,
            count: None,
            until: None,
            week_start: None,
            by_set_pos: Vec::new(),
            by_month: Vec::new(),
            by_month_day: Vec::new(),
            by_year_day: Vec::new(),
            by_week_no: Vec::new(),
            by_weekday: Vec::new(),
            by_hour: Vec::new(),
            by_minute: Vec::new(),
            by_second: Vec::new(),
            ignored: Vec::new(),
            notes: Vec::new(),
        };
        let mut freq = None;
        let mut seen: Vec<(String, String)> = Vec::new();
        for part in raw.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = part.split_once('=') else {
                spec.ignored.push(format!("{part} (no '=')"));
                continue;
            };
            let key = key.trim().to_ascii_uppercase();
            let value = value.trim();
            if let Some(i) = seen.iter().position(|(k, _)| *k == key) {
                let (_, earlier) = seen.remove(i);
                spec.ignored
                    .push(format!("{earlier} (repeated; the last {key} is used)"));
            }
            seen.push((key.clone(), part.to_string()));
            let problem = match key.as_str() {
                "FREQ" => match parse_freq(value) {
                    Ok(f) => {
                        freq = Some(f);
                        None
                    }
                    Err(e) => Some(e),
                },
                "INTERVAL" => set(&mut spec.interval, parse_num(&key, value, 1, u32::MAX)),
                "COUNT" => match parse_num(&key, value, 0, u32::MAX) {
                    Ok(n) => {
                        spec.count = Some(n);
                        None
                    }
                    Err(e) => Some(e),
                },
                "UNTIL" => match parse_time_value(value, None, false) {
                    Some(t) => {
                        spec.until = Some(t);
                        None
                    }
                    None => Some("not a date or date-time".to_string()),
                },
                "WKST" => match parse_weekday(value) {
                    Ok(d) => {
                        spec.week_start = Some(d);
                        None
                    }
                    Err(e) => Some(e),
                },
                "BYSETPOS" => keep(&mut spec.by_set_pos, parse_list(value, -366, 366)),
                "BYMONTH" => {
                    let (months, problem) = parse_list::<u8>(value, 1, 12);
                    spec.by_month = months
                        .into_iter()
                        .filter_map(|m| Month::try_from(m).ok())
                        .collect();
                    problem
                }
                "BYMONTHDAY" => keep(&mut spec.by_month_day, parse_list(value, -31, 31)),
                "BYYEARDAY" => keep(&mut spec.by_year_day, parse_list(value, -366, 366)),
                "BYWEEKNO" => keep(&mut spec.by_week_no, parse_list(value, -53, 53)),
                "BYDAY" => keep(&mut spec.by_weekday, parse_by_day(value)),
                "BYHOUR" => keep(&mut spec.by_hour, parse_list(value, 0, 23)),
                "BYMINUTE" => keep(&mut spec.by_minute, parse_list(value, 0, 59)),
                "BYSECOND" => keep(&mut spec.by_second, parse_list(value, 0, 60)),
                "RSCALE" if value.eq_ignore_ascii_case("GREGORIAN") => {
                    spec.ignored.push(part.to_string());
                    None
                }
                "RSCALE" => {
                    return Err(invalid(format!(
                        "RSCALE={value} (non-Gregorian calendars) is not supported"
                    )));
                }
                // RFC 7529: with the Gregorian scale, OMIT is what every engine does anyway.
                "SKIP" if value.eq_ignore_ascii_case("OMIT") => {
                    spec.ignored.push(part.to_string());
                    None
                }
                "SKIP" => return Err(invalid(format!("SKIP={value} (RFC 7529) is not supported"))),
                k if k.starts_with("X-") => {
                    spec.ignored.push(part.to_string());
                    None
                }
                _ => Some("unknown part".to_string()),
            };
            if let Some(problem) = problem {
                spec.ignored.push(format!("{part} ({problem})"));
            }
        }
        spec.freq = freq.ok_or_else(|| invalid("has no valid FREQ"))?;
        spec.drop_parts_the_frequency_forbids();
        if spec.count.is_some() && spec.until.is_some() {
            spec.notes.push(
                "has both COUNT and UNTIL (RFC 5545 forbids it); it ends at whichever comes first"
                    .to_string(),
            );
        }
        Ok(spec)
    }

    /// Leaves out the parts RFC 5545 3.3.10 forbids with this FREQ, and BYDAY ordinals out of
    /// their range, listing each in `ignored`.
    fn drop_parts_the_frequency_forbids(&mut self) {
        let freq = self.freq;
        let name = freq.to_string();
        if freq == Frequency::Weekly && !self.by_month_day.is_empty() {
            self.by_month_day.clear();
            self.ignored
                .push(format!("BYMONTHDAY (not allowed with FREQ={name})"));
        }
        if matches!(
            freq,
            Frequency::Daily | Frequency::Weekly | Frequency::Monthly
        ) && !self.by_year_day.is_empty()
        {
            self.by_year_day.clear();
            self.ignored
                .push(format!("BYYEARDAY (not allowed with FREQ={name})"));
        }
        if freq != Frequency::Yearly && !self.by_week_no.is_empty() {
            self.by_week_no.clear();
            self.ignored
                .push(format!("BYWEEKNO (not allowed with FREQ={name})"));
        }
        // The nth weekday of a month is 1..5 either way, of a year 1..53 (RFC 5545 3.3.10).
        let max_ordinal = match freq {
            Frequency::Yearly if self.by_month.is_empty() => 53,
            Frequency::Yearly | Frequency::Monthly => 5,
            _ => return,
        };
        let before = self.by_weekday.len();
        self.by_weekday.retain(|d| match d {
            NWeekday::Nth(n, _) => n.unsigned_abs() <= max_ordinal,
            NWeekday::Every(_) => true,
        });
        if self.by_weekday.len() != before {
            self.ignored.push(format!(
                "BYDAY ordinals beyond {max_ordinal} (not a weekday of the period)"
            ));
        }
        self.drop_ordinals_the_engine_cannot_take(max_ordinal);
    }

    /// The last-but-4 weekday of a month (`-5WE`) and the 53rd-last of a year are rewritten
    /// for the engine as days among the period's last ones (see [`iter`]); that needs
    /// BYMONTHDAY (BYYEARDAY) free and no BYSETPOS. Otherwise they are left out, named.
    fn drop_ordinals_the_engine_cannot_take(&mut self, max_ordinal: u16) {
        let mixed = self
            .by_weekday
            .iter()
            .any(|d| matches!(d, NWeekday::Every(_)))
            && self
                .by_weekday
                .iter()
                .any(|d| matches!(d, NWeekday::Nth(..)));
        if mixed && !self.by_set_pos.is_empty() {
            self.notes.push(
                "mixes ordinal and plain BYDAY with BYSETPOS: only days matching both count"
                    .to_string(),
            );
        }
        let (last, days_taken) = match max_ordinal {
            53 => (-53, !self.by_year_day.is_empty()),
            _ if self.freq == Frequency::Monthly => (-5, !self.by_month_day.is_empty()),
            _ => return,
        };
        if !days_taken && self.by_set_pos.is_empty() {
            return;
        }
        let before = self.by_weekday.len();
        self.by_weekday
            .retain(|d| !matches!(d, NWeekday::Nth(n, _) if *n == last));
        if self.by_weekday.len() != before {
            self.ignored.push(format!(
                "BYDAY {last} ordinals (not supported with BYSETPOS, BYMONTHDAY or BYYEARDAY)"
            ));
        }
    }

    /// Leaves out BYHOUR, BYMINUTE and BYSECOND, for a rule whose DTSTART is a DATE: RFC 5545
    /// 3.3.10 says they "MUST be ignored" then (without this, BYMINUTE=0,30 would give every
    /// day twice).
    pub fn ignore_time_parts(&mut self) {
        for (name, empty) in [
            ("BYHOUR", self.by_hour.is_empty()),
            ("BYMINUTE", self.by_minute.is_empty()),
            ("BYSECOND", self.by_second.is_empty()),
        ] {
            if !empty {
                self.ignored
                    .push(format!("{name} (ignored for an all-day DTSTART)"));
            }
        }
        self.by_hour.clear();
        self.by_minute.clear();
        self.by_second.clear();
    }

    /// Everything to tell a person about how this rule was read: the parts left out and the
    /// notes, one line each, or `None` when it was read as written.
    pub fn reading_notes(&self) -> Option<String> {
        let mut lines = Vec::new();
        if !self.ignored.is_empty() {
            lines.push(format!("RRULE parts {} ignored", self.ignored.join("; ")));
        }
        lines.extend(self.notes.iter().map(|n| format!("RRULE {n}")));
        (!lines.is_empty()).then(|| lines.join("; "))
    }

    /// True when the rule repeats without end (no COUNT, no UNTIL).
    pub fn is_unbounded(&self) -> bool {
        self.count.is_none() && self.until.is_none()
    }

    /// How often it repeats.
    pub fn frequency(&self) -> RuleFrequency {
        RuleFrequency::from(self.freq)
    }

    /// The INTERVAL (1 when absent), saturated to `u16`.
    pub fn interval(&self) -> u16 {
        u16::try_from(self.interval).unwrap_or(u16::MAX)
    }

    /// How many week days BYDAY names (0 when absent).
    pub fn weekday_count(&self) -> usize {
        self.by_weekday.len()
    }
}

/// Stores a parsed single value, returning the problem if there was one.
fn set<T>(slot: &mut T, parsed: Result<T, String>) -> Option<String> {
    match parsed {
        Ok(v) => {
            *slot = v;
            None
        }
        Err(e) => Some(e),
    }
}

/// Stores the valid values of a list, returning the problem with the others.
fn keep<T>(slot: &mut Vec<T>, (values, problem): PartValues<T>) -> Option<String> {
    *slot = values;
    problem
}

fn parse_freq(value: &str) -> Result<Frequency, String> {
    RuleFrequency::from_name(value)
        .map(Frequency::from)
        .ok_or_else(|| "not a frequency".to_string())
}

/// How often a rule repeats (`FREQ`): a type, not its name, so a big calendar's series
/// carry no string for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleFrequency {
    /// `YEARLY`.
    Yearly,
    /// `MONTHLY`.
    Monthly,
    /// `WEEKLY`.
    Weekly,
    /// `DAILY`.
    Daily,
    /// `HOURLY`.
    Hourly,
    /// `MINUTELY`.
    Minutely,
    /// `SECONDLY`.
    Secondly,
}

impl RuleFrequency {
    const ALL: [RuleFrequency; 7] = [
        RuleFrequency::Yearly,
        RuleFrequency::Monthly,
        RuleFrequency::Weekly,
        RuleFrequency::Daily,
        RuleFrequency::Hourly,
        RuleFrequency::Minutely,
        RuleFrequency::Secondly,
    ];

    /// Its name in RFC 5545 (`WEEKLY`...).
    pub fn name(self) -> &'static str {
        match self {
            RuleFrequency::Yearly => "YEARLY",
            RuleFrequency::Monthly => "MONTHLY",
            RuleFrequency::Weekly => "WEEKLY",
            RuleFrequency::Daily => "DAILY",
            RuleFrequency::Hourly => "HOURLY",
            RuleFrequency::Minutely => "MINUTELY",
            RuleFrequency::Secondly => "SECONDLY",
        }
    }

    /// The frequency named `name` (any case), if it names one.
    pub fn from_name(name: &str) -> Option<RuleFrequency> {
        Self::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

impl From<Frequency> for RuleFrequency {
    fn from(freq: Frequency) -> Self {
        match freq {
            Frequency::Yearly => RuleFrequency::Yearly,
            Frequency::Monthly => RuleFrequency::Monthly,
            Frequency::Weekly => RuleFrequency::Weekly,
            Frequency::Daily => RuleFrequency::Daily,
            Frequency::Hourly => RuleFrequency::Hourly,
            Frequency::Minutely => RuleFrequency::Minutely,
            Frequency::Secondly => RuleFrequency::Secondly,
        }
    }
}

impl From<RuleFrequency> for Frequency {
    fn from(freq: RuleFrequency) -> Self {
        match freq {
            RuleFrequency::Yearly => Frequency::Yearly,
            RuleFrequency::Monthly => Frequency::Monthly,
            RuleFrequency::Weekly => Frequency::Weekly,
            RuleFrequency::Daily => Frequency::Daily,
            RuleFrequency::Hourly => Frequency::Hourly,
            RuleFrequency::Minutely => Frequency::Minutely,
            RuleFrequency::Secondly => Frequency::Secondly,
        }
    }
}

fn parse_num<T>(key: &str, value: &str, min: T, max: T) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let n: T = value
        .trim_start_matches('+')
        .parse()
        .map_err(|_| format!("{key}: not a number in {min}..{max}"))?;
    if n < min || n > max {
        return Err(format!("{key}: outside {min}..{max}"));
    }
    Ok(n)
}

/// A comma-separated list of numbers in `min..=max` (0 excluded when `min` is negative);
/// the invalid items are left out and named in the problem.
fn parse_list<T>(value: &str, min: T, max: T) -> PartValues<T>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy + Default,
{
    let mut bad = Vec::new();
    let mut out = Vec::new();
    for item in value.split(',').map(str::trim).filter(|v| !v.is_empty()) {
        match parse_num("", item, min, max) {
            Ok(n) if !(n == T::default() && min < T::default()) => out.push(n),
            _ => bad.push(item),
        }
    }
    let problem = (!bad.is_empty()).then(|| {
        let zero = if min < T::default() { ", not 0" } else { "" };
        format!("{} not in {min}..{max}{zero}", bad.join(","))
    });
    (out, problem)
}

fn parse_weekday(value: &str) -> Result<Weekday, String> {
    Ok(match value.trim().to_ascii_uppercase().as_str() {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return Err(format!("{value:?} is not a weekday (MO..SU)")),
    })
}

/// `BYDAY=MO,-1FR,+2TU`; invalid items are left out and named in the problem. Ordinals are
/// checked against the frequency once it is known.
fn parse_by_day(value: &str) -> PartValues<NWeekday> {
    let mut bad = Vec::new();
    let mut out = Vec::new();
    for item in value.split(',').map(str::trim).filter(|v| !v.is_empty()) {
        match parse_weekday_item(item) {
            Some(day) => out.push(day),
            None => bad.push(item),
        }
    }
    let problem = (!bad.is_empty()).then(|| format!("{} not a weekday", bad.join(",")));
    (out, problem)
}

fn parse_weekday_item(item: &str) -> Option<NWeekday> {
    let split = item.len().checked_sub(2)?;
    if !item.is_char_boundary(split) {
        return None;
    }
    let (ordinal, day) = item.split_at(split);
    let day = parse_weekday(day).ok()?;
    if ordinal.is_empty() {
        return Some(NWeekday::Every(day));
    }
    let n: i16 = parse_num("", ordinal, -53, 53).ok()?;
    (n != 0).then_some(NWeekday::Nth(n, day))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    use chrono::NaiveDateTime;

    #[test]
    fn a_frequency_is_read_back_from_its_name_and_from_a_rule() {
        for freq in RuleFrequency::ALL {
            assert_eq!(RuleFrequency::from_name(freq.name()), Some(freq));
            let lower = freq.name().to_lowercase();
            assert_eq!(RuleFrequency::from_name(&lower), Some(freq));
            let rule = RuleSpec::parse(&format!("FREQ={lower};INTERVAL=2")).unwrap();
            assert_eq!(rule.frequency(), freq);
            assert_eq!(Frequency::from(freq).to_string(), freq.name());
        }
        assert_eq!(RuleFrequency::from_name("FORTNIGHTLY"), None);
    }

    fn run(
        spec: &RuleSpec,
        start: NaiveDateTime,
        until: Option<NaiveDateTime>,
    ) -> Vec<NaiveDateTime> {
        spec.iter(start, until, start, DEFAULT_MAX_STEPS)
            .unwrap()
            .collect()
    }

    fn at(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    #[test]
    fn lenient_spaces_and_case() {
        let spec = RuleSpec::parse("freq=weekly; BYDAY=MO, TU ;UNTIL=20150722T080000Z;").unwrap();
        let got: Vec<_> = run(&spec, at(2015, 7, 6, 8), Some(at(2015, 7, 14, 8)));
        assert_eq!(
            got,
            vec![
                at(2015, 7, 6, 8),
                at(2015, 7, 7, 8),
                at(2015, 7, 13, 8),
                at(2015, 7, 14, 8)
            ]
        );
    }

    #[test]
    fn last_weekday_of_month_with_bysetpos() {
        let spec =
            RuleSpec::parse("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=3").unwrap();
        // Starts on a day the rule matches, so all of COUNT are the rule's own matches.
        let got: Vec<_> = run(&spec, at(2026, 1, 30, 9), None);
        assert_eq!(
            got,
            vec![at(2026, 1, 30, 9), at(2026, 2, 27, 9), at(2026, 3, 31, 9)]
        );
    }

    #[test]
    fn errors_are_specific() {
        assert!(
            matches!(RuleSpec::parse("FREQ=INVALID_TYPE"), Err(RuleError::Invalid(m)) if m.contains("FREQ"))
        );
        assert!(
            RuleSpec::parse("BYDAY=MO")
                .unwrap_err()
                .to_string()
                .contains("no valid FREQ")
        );
        assert!(
            RuleSpec::parse("RSCALE=CHINESE;FREQ=YEARLY")
                .unwrap_err()
                .to_string()
                .contains("RSCALE")
        );
        assert_eq!(
            RuleSpec::parse("FREQ=DAILY;X-NAME=1").unwrap().ignored,
            vec!["X-NAME=1"]
        );
    }

    #[test]
    fn invalid_parts_next_to_valid_ones_are_ignored_by_name() {
        // A real export: COUNT=-1 is ignored, UNTIL and the rest are used.
        let spec =
            RuleSpec::parse("FREQ=WEEKLY;UNTIL=20240331;COUNT=-1;INTERVAL=4;BYDAY=MO").unwrap();
        assert_eq!(spec.count, None);
        assert_eq!(spec.interval, 4);
        assert!(
            spec.ignored[0].starts_with("COUNT=-1 ("),
            "{:?}",
            spec.ignored
        );
        let spec = RuleSpec::parse("FREQ=DAILY;FOO=1;BYDAY=MO,XX;BYMONTHDAY=31,32").unwrap();
        assert_eq!(spec.by_weekday, vec![NWeekday::Every(Weekday::Mon)]);
        assert_eq!(spec.by_month_day, vec![31]);
        let notes = spec.reading_notes().unwrap();
        for named in ["FOO=1", "XX", "32"] {
            assert!(notes.contains(named), "{notes}");
        }
    }

    #[test]
    fn repeated_part_counts_as_written_last() {
        let spec = RuleSpec::parse("FREQ=DAILY;FREQ=WEEKLY;COUNT=3").unwrap();
        assert_eq!(spec.freq, Frequency::Weekly);
        assert!(spec.ignored[0].starts_with("FREQ=DAILY (repeated"));
    }

    #[test]
    fn count_and_until_together_end_at_the_first() {
        let spec = RuleSpec::parse("FREQ=DAILY;COUNT=3;UNTIL=20240110").unwrap();
        assert!(spec.reading_notes().unwrap().contains("COUNT and UNTIL"));
        let until = Some(at(2024, 1, 10, 23));
        assert_eq!(run(&spec, at(2024, 1, 1, 9), until).len(), 3);
        let spec = RuleSpec::parse("FREQ=DAILY;COUNT=30;UNTIL=20240103").unwrap();
        assert_eq!(
            run(&spec, at(2024, 1, 1, 9), Some(at(2024, 1, 3, 23))).len(),
            3
        );
    }

    #[test]
    fn parts_the_frequency_forbids_and_ordinals_out_of_range_are_ignored() {
        let spec = RuleSpec::parse("FREQ=WEEKLY;BYMONTHDAY=1;BYWEEKNO=3;BYYEARDAY=4").unwrap();
        assert!(spec.by_month_day.is_empty() && spec.by_week_no.is_empty());
        assert_eq!(spec.ignored.len(), 3, "{:?}", spec.ignored);
        let spec = RuleSpec::parse("FREQ=MONTHLY;BYDAY=6MO,-5WE").unwrap();
        assert_eq!(spec.by_weekday, vec![NWeekday::Nth(-5, Weekday::Wed)]);
        let spec = RuleSpec::parse("FREQ=YEARLY;BYDAY=-53WE,54TU").unwrap();
        assert_eq!(spec.by_weekday, vec![NWeekday::Nth(-53, Weekday::Wed)]);
        let spec = RuleSpec::parse("FREQ=MONTHLY;BYDAY=-5WE;BYSETPOS=1").unwrap();
        assert!(spec.by_weekday.is_empty());
    }

    #[test]
    fn time_parts_are_ignored_for_an_all_day_start() {
        let mut spec = RuleSpec::parse("FREQ=DAILY;BYMINUTE=0,30;BYHOUR=9;COUNT=3").unwrap();
        spec.ignore_time_parts();
        assert_eq!(spec.ignored.len(), 2);
        let day = |d| at(2024, 1, d, 0);
        assert_eq!(run(&spec, day(1), None), vec![day(1), day(2), day(3)]);
    }

    #[test]
    fn count_includes_a_start_the_rule_does_not_match() {
        // Wednesday 3 Jan 2024, rule on Mondays: 3 Jan counts as the first of COUNT=3.
        let spec = RuleSpec::parse("FREQ=WEEKLY;BYDAY=MO;COUNT=3").unwrap();
        let got: Vec<_> = run(&spec, at(2024, 1, 3, 9), None);
        assert_eq!(got, vec![at(2024, 1, 8, 9), at(2024, 1, 15, 9)]);
        // A start the rule matches is its first occurrence: COUNT rule matches in all.
        let got: Vec<_> = run(&spec, at(2024, 1, 1, 9), None);
        assert_eq!(
            got,
            vec![at(2024, 1, 1, 9), at(2024, 1, 8, 9), at(2024, 1, 15, 9)]
        );
    }

    #[test]
    fn ordinal_on_weekly_byday_is_ignored() {
        let spec = RuleSpec::parse("FREQ=WEEKLY;BYDAY=1MO;COUNT=2").unwrap();
        let got: Vec<_> = run(&spec, at(2026, 1, 5, 9), None);
        assert_eq!(got, vec![at(2026, 1, 5, 9), at(2026, 1, 12, 9)]);
    }
}
