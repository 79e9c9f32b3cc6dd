//! RRULE reading and iteration.
//!
//! Parsing is ours (lenient about spaces and case, strict about meaning, with one clear error
//! per problem); iteration is the `rrule` crate, a port of python-dateutil, the engine behind
//! recurring-ical-events. Rules are always iterated in *wall-clock* time (the crate's UTC zone
//! used as "no zone"): RFC 5545 defines recurrence on local time, and the caller maps each
//! local start to an instant with the event's own zone (IANA, a file's VTIMEZONE or custom),
//! which the crate could not represent.

use chrono::{Month, NaiveDateTime, TimeZone, Weekday};
use rrule::{Frequency, NWeekday, RRule, RRuleSet, Tz};

use super::value::{TimeValue, parse_time_value};

/// A recurrence rule as read from an `RRULE` value.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSpec {
    freq: Frequency,
    interval: u16,
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
    /// Parts that were skipped as harmless (`X-` extensions, `RSCALE=GREGORIAN`).
    pub ignored: Vec<String>,
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

impl RuleSpec {
    /// Parses an `RRULE` value such as `FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20261231T235959Z`.
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
        };
        let mut freq = None;
        for part in raw.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| invalid(format!("part {part:?} has no '='")))?;
            let key = key.trim().to_ascii_uppercase();
            let value = value.trim();
            match key.as_str() {
                "FREQ" => freq = Some(parse_freq(value)?),
                "INTERVAL" => spec.interval = parse_num(&key, value, 1, u16::MAX)?,
                "COUNT" => spec.count = Some(parse_num(&key, value, 0, u32::MAX)?),
                "UNTIL" => {
                    spec.until = Some(parse_time_value(value, None, false).ok_or_else(|| {
                        invalid(format!("UNTIL {value:?} is not a date or date-time"))
                    })?)
                }
                "WKST" => spec.week_start = Some(parse_weekday(value)?),
                "BYSETPOS" => spec.by_set_pos = parse_list(&key, value, -366, 366)?,
                "BYMONTH" => {
                    spec.by_month = parse_list::<u8>(&key, value, 1, 12)?
                        .into_iter()
                        .filter_map(|m| Month::try_from(m).ok())
                        .collect()
                }
                "BYMONTHDAY" => spec.by_month_day = parse_list(&key, value, -31, 31)?,
                "BYYEARDAY" => spec.by_year_day = parse_list(&key, value, -366, 366)?,
                "BYWEEKNO" => spec.by_week_no = parse_list(&key, value, -53, 53)?,
                "BYDAY" => spec.by_weekday = parse_by_day(value)?,
                "BYHOUR" => spec.by_hour = parse_list(&key, value, 0, 23)?,
                "BYMINUTE" => spec.by_minute = parse_list(&key, value, 0, 59)?,
                "BYSECOND" => spec.by_second = parse_list(&key, value, 0, 60)?,
                "RSCALE" if value.eq_ignore_ascii_case("GREGORIAN") => {
                    spec.ignored.push(part.to_string())
                }
                "RSCALE" => {
                    return Err(invalid(format!(
                        "RSCALE={value} (non-Gregorian calendars) is not supported"
                    )));
                }
                // RFC 7529: with the Gregorian scale, OMIT is what every engine does anyway.
                "SKIP" if value.eq_ignore_ascii_case("OMIT") => spec.ignored.push(part.to_string()),
                "SKIP" => return Err(invalid(format!("SKIP={value} (RFC 7529) is not supported"))),
                k if k.starts_with("X-") => spec.ignored.push(part.to_string()),
                _ => return Err(invalid(format!("part {key} is unknown"))),
            }
        }
        spec.freq = freq.ok_or_else(|| invalid("has no FREQ"))?;
        if spec.count.is_some() && spec.until.is_some() {
            return Err(invalid("has both COUNT and UNTIL"));
        }
        Ok(spec)
    }

    /// True when the rule repeats without end (no COUNT, no UNTIL).
    pub fn is_unbounded(&self) -> bool {
        self.count.is_none() && self.until.is_none()
    }

    /// Frequency name as in RFC 5545 (`WEEKLY`...).
    pub fn freq_name(&self) -> String {
        self.freq.to_string()
    }

    /// The INTERVAL (1 when absent).
    pub fn interval(&self) -> u16 {
        self.interval
    }

    /// How many week days BYDAY names (0 when absent).
    pub fn weekday_count(&self) -> usize {
        self.by_weekday.len()
    }

    /// An iterator over wall-clock starts generated by the rule from `start` (not including
    /// `start` itself unless the rule generates it). `until` is UNTIL already converted to the
    /// event's wall clock.
    ///
    /// COUNT includes `start` even when the rule does not match it (RFC 5545 3.3.10: "the
    /// DTSTART property value always counts as the first occurrence"), so the caller, which
    /// always adds `start`, gets COUNT occurrences in all. python-dateutil (and so
    /// recurring-ical-events) counts only the rule's own matches and gives one more.
    pub fn iter(
        &self,
        start: NaiveDateTime,
        until: Option<NaiveDateTime>,
    ) -> Result<impl Iterator<Item = NaiveDateTime> + use<>, RuleError> {
        self.iter_counting(start, until, true)
    }

    /// Like [`RuleSpec::iter`], but COUNT counts only the rule's own matches: for the second
    /// and later RRULEs of an event (RFC 2445 allowed several), whose DTSTART is already the
    /// first occurrence of the set through the first rule.
    pub fn iter_own_matches(
        &self,
        start: NaiveDateTime,
        until: Option<NaiveDateTime>,
    ) -> Result<impl Iterator<Item = NaiveDateTime> + use<>, RuleError> {
        self.iter_counting(start, until, false)
    }

    fn iter_counting(
        &self,
        start: NaiveDateTime,
        until: Option<NaiveDateTime>,
        start_counts: bool,
    ) -> Result<impl Iterator<Item = NaiveDateTime> + use<>, RuleError> {
        let dt_start = Tz::UTC.from_utc_datetime(&start);
        let rule = self.to_rrule(until)?;
        let set: RRuleSet = RRuleSet::new(dt_start)
            .rrule(
                rule.validate(dt_start)
                    .map_err(|e| RuleError::Unusable(e.to_string()))?,
            )
            .limit();
        let mut starts = set.into_iter().map(|dt| dt.naive_utc()).peekable();
        let start_generated = starts.peek() == Some(&start);
        let limit = match self.count {
            // The rule's matches all come after `start`: one of the COUNT is `start` itself.
            Some(count) if start_counts && !start_generated => count.saturating_sub(1) as usize,
            _ => usize::MAX,
        };
        Ok(starts.take(limit))
    }

    fn to_rrule(
        &self,
        until: Option<NaiveDateTime>,
    ) -> Result<RRule<rrule::Unvalidated>, RuleError> {
        let mut rule = RRule::new(self.freq).interval(self.interval);
        if let Some(count) = self.count {
            rule = rule.count(count);
        }
        if let Some(until) = until {
            rule = rule.until(Tz::UTC.from_utc_datetime(&until));
        }
        if let Some(wkst) = self.week_start {
            rule = rule.week_start(wkst);
        }
        // An ordinal on BYDAY only means something for MONTHLY and YEARLY rules; python-dateutil
        // ignores it elsewhere and so do we, rather than rejecting the event.
        let by_weekday = match self.freq {
            Frequency::Monthly | Frequency::Yearly => self.by_weekday.clone(),
            _ => self
                .by_weekday
                .iter()
                .map(|d| match d {
                    NWeekday::Nth(_, wd) => NWeekday::Every(*wd),
                    every => *every,
                })
                .collect(),
        };
        Ok(rule
            .by_set_pos(self.by_set_pos.clone())
            .by_month(&self.by_month)
            .by_month_day(self.by_month_day.clone())
            .by_year_day(self.by_year_day.clone())
            .by_week_no(self.by_week_no.clone())
            .by_weekday(by_weekday)
            .by_hour(self.by_hour.clone())
            .by_minute(self.by_minute.clone())
            .by_second(self.by_second.iter().map(|s| (*s).min(59)).collect()))
    }
}

fn parse_freq(value: &str) -> Result<Frequency, RuleError> {
    Ok(match value.to_ascii_uppercase().as_str() {
        "YEARLY" => Frequency::Yearly,
        "MONTHLY" => Frequency::Monthly,
        "WEEKLY" => Frequency::Weekly,
        "DAILY" => Frequency::Daily,
        "HOURLY" => Frequency::Hourly,
        "MINUTELY" => Frequency::Minutely,
        "SECONDLY" => Frequency::Secondly,
        _ => return Err(invalid(format!("FREQ={value} is not a frequency"))),
    })
}

fn parse_num<T>(key: &str, value: &str, min: T, max: T) -> Result<T, RuleError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let n: T = value
        .trim_start_matches('+')
        .parse()
        .map_err(|_| invalid(format!("{key}={value} is not a number")))?;
    if n < min || n > max {
        return Err(invalid(format!("{key}={value} is outside {min}..{max}")));
    }
    Ok(n)
}

fn parse_list<T>(key: &str, value: &str, min: T, max: T) -> Result<Vec<T>, RuleError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy + Default,
{
    value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            let n = parse_num(key, v, min, max)?;
            if n == T::default() && min < T::default() {
                return Err(invalid(format!("{key}=0 is not allowed")));
            }
            Ok(n)
        })
        .collect()
}

fn parse_weekday(value: &str) -> Result<Weekday, RuleError> {
    Ok(match value.trim().to_ascii_uppercase().as_str() {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return Err(invalid(format!("{value:?} is not a weekday (MO..SU)"))),
    })
}

/// `BYDAY=MO,-1FR,+2TU`.
fn parse_by_day(value: &str) -> Result<Vec<NWeekday>, RuleError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|item| {
            let split = item.len().saturating_sub(2);
            if !item.is_char_boundary(split) {
                return Err(invalid(format!("BYDAY={item} is not a weekday")));
            }
            let (ordinal, day) = item.split_at(split);
            let day = parse_weekday(day)?;
            if ordinal.is_empty() {
                return Ok(NWeekday::Every(day));
            }
            let n: i16 = parse_num("BYDAY", ordinal, -53, 53)?;
            if n == 0 {
                return Err(invalid(format!("BYDAY={item} has ordinal 0")));
            }
            Ok(NWeekday::Nth(n, day))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    #[test]
    fn lenient_spaces_and_case() {
        let spec = RuleSpec::parse("freq=weekly; BYDAY=MO, TU ;UNTIL=20150722T080000Z;").unwrap();
        let got: Vec<_> = spec
            .iter(at(2015, 7, 6, 8), Some(at(2015, 7, 14, 8)))
            .unwrap()
            .collect();
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
        let got: Vec<_> = spec.iter(at(2026, 1, 30, 9), None).unwrap().collect();
        assert_eq!(
            got,
            vec![at(2026, 1, 30, 9), at(2026, 2, 27, 9), at(2026, 3, 31, 9)]
        );
    }

    #[test]
    fn errors_are_specific() {
        assert!(
            matches!(RuleSpec::parse("FREQ=INVALID_TYPE"), Err(RuleError::Invalid(m)) if m.contains("FREQ=INVALID_TYPE"))
        );
        assert!(
            RuleSpec::parse("BYDAY=MO")
                .unwrap_err()
                .to_string()
                .contains("no FREQ")
        );
        assert!(RuleSpec::parse("FREQ=DAILY;BYDAY=XX").is_err());
        assert!(
            RuleSpec::parse("RSCALE=CHINESE;FREQ=YEARLY")
                .unwrap_err()
                .to_string()
                .contains("RSCALE")
        );
        assert!(RuleSpec::parse("FREQ=DAILY;FOO=1").is_err());
        assert_eq!(
            RuleSpec::parse("FREQ=DAILY;X-NAME=1").unwrap().ignored,
            vec!["X-NAME=1"]
        );
    }

    #[test]
    fn count_includes_a_start_the_rule_does_not_match() {
        // Wednesday 3 Jan 2024, rule on Mondays: 3 Jan counts as the first of COUNT=3.
        let spec = RuleSpec::parse("FREQ=WEEKLY;BYDAY=MO;COUNT=3").unwrap();
        let got: Vec<_> = spec.iter(at(2024, 1, 3, 9), None).unwrap().collect();
        assert_eq!(got, vec![at(2024, 1, 8, 9), at(2024, 1, 15, 9)]);
        // A start the rule matches is its first occurrence: COUNT rule matches in all.
        let got: Vec<_> = spec.iter(at(2024, 1, 1, 9), None).unwrap().collect();
        assert_eq!(
            got,
            vec![at(2024, 1, 1, 9), at(2024, 1, 8, 9), at(2024, 1, 15, 9)]
        );
    }

    #[test]
    fn ordinal_on_weekly_byday_is_ignored() {
        let spec = RuleSpec::parse("FREQ=WEEKLY;BYDAY=1MO;COUNT=2").unwrap();
        let got: Vec<_> = spec.iter(at(2026, 1, 5, 9), None).unwrap().collect();
        assert_eq!(got, vec![at(2026, 1, 5, 9), at(2026, 1, 12, 9)]);
    }
}
