//! Iterating a [`RuleSpec`]: the `rrule` crate does the calendar work; this layer around it
//!
//! - **skips to the window** without walking the periods before it: when the rule has no
//!   COUNT, iteration starts at a whole number of the rule's periods (INTERVAL × FREQ) after
//!   DTSTART, with every part the crate would derive from DTSTART (the day of a monthly
//!   rule, the weekday of a weekly one, the time of day) written out. The periods before
//!   cost neither time nor memory (a secondly rule from 2000 asked for 2049 starts in 2049);
//! - **bounds** one rule's iteration ([`DEFAULT_MAX_STEPS`] times the crate yields a time),
//!   and tells the caller why it stopped ([`Stop`]) so the event can be named in a warning;
//!   the crate itself gives up after 100,000 periods in a row without a match (a rule that
//!   can never match, e.g. `BYMONTH=2;BYMONTHDAY=30`), which is reported too;
//! - applies COUNT itself, after its own filters and with DTSTART counted (RFC 5545);
//! - works around the crate where it differs from RFC 5545 and python-dateutil:
//!   - `BYHOUR` on a MINUTELY or SECONDLY rule, and `BYMINUTE` on a SECONDLY one, are
//!     filters applied here: the crate uses them to jump ahead and lands on the wrong
//!     minute (`MINUTELY;INTERVAL=7;BYHOUR=3` from 13:00 gave 03:03, not 03:00) or stops;
//!   - `BYDAY` mixing ordinal and plain days (`MONTHLY;BYDAY=3MO,WE,FR`) is the union of
//!     the two, as RFC 5545 reads a list; the crate (and dateutil) intersect them and give
//!     nothing;
//!   - ordinals the crate's validator refuses though RFC 5545 allows them (`-5WE` in a
//!     month, `-53WE` in a year) are rewritten to the days they name: the 5th-last Wednesday
//!     is a Wednesday among the month's last 29..31 days (`BYMONTHDAY=-29,-30,-31`), the
//!     53rd-last one of a year among its first two (`BYYEARDAY=-365,-366`);
//!   - INTERVAL above the crate's 65,535 is stepped here, for rules without BYxxx parts (a
//!     rule with both is refused with a clear error).

use std::iter::Peekable;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike};
use rrule::{Frequency, NWeekday, RRule, RRuleSet, Tz};

use super::{RuleError, RuleSpec};

/// How many times one event's rules may yield a time (matched or not, before the window
/// or in it) before it is stopped with [`Stop::Budget`]. A million covers a minutely rule
/// over a whole year of window, and a weekly series with a COUNT of a million, in well under
/// a second; a rule that needs more is hostile or broken. There is deliberately no time
/// limit: output would then depend on the machine's load. A step's own cost is bounded by
/// the crate, which gives up after 100,000 periods in a row without a match.
pub const DEFAULT_MAX_STEPS: u64 = 1_000_000;

/// Why an iteration ended before the rule's own end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// It yielded this many times, the limit.
    Budget(u64),
    /// The rule has no end but the crate found no further match (100,000 periods in a row
    /// without one): it may never match.
    Exhausted,
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Budget(n) => write!(f, "stopped after {n} steps (the expansion limit)"),
            Stop::Exhausted => write!(
                f,
                "stopped: no further occurrence in 100000 periods (the rule may never match)"
            ),
        }
    }
}

type Starts = Peekable<Box<dyn Iterator<Item = NaiveDateTime>>>;

/// Wall-clock starts of a rule, in order, from a given time on (see [`RuleSpec::iter`]).
pub struct Occurrences {
    /// One sorted stream per crate rule (several when a rule is split); merged here.
    heads: Vec<Starts>,
    /// BYHOUR and BYMINUTE applied here rather than by the crate (empty: no filter).
    hours: Vec<u8>,
    minutes: Vec<u8>,
    start: NaiveDateTime,
    from: NaiveDateTime,
    /// Matches still allowed by COUNT.
    remaining: Option<u64>,
    first_match_seen: bool,
    /// DTSTART counts as one of COUNT even when the rule does not generate it.
    start_counts: bool,
    steps: u64,
    max_steps: u64,
    last: Option<NaiveDateTime>,
    unbounded: bool,
    stop: Option<Stop>,
    done: bool,
}

impl Occurrences {
    /// Why the iteration ended early, if it did: the caller warns with the event's name.
    pub fn stopped(&self) -> Option<Stop> {
        self.stop
    }

    /// COUNT counts only the rule's own matches, not DTSTART: for the second and later
    /// RRULEs of an event (RFC 2445 allowed several), whose DTSTART is already the first
    /// occurrence of the set through the first rule.
    pub fn own_matches_only(mut self) -> Self {
        self.start_counts = false;
        self
    }

    /// How many times the engine yielded a time so far (the measure of the step limit).
    pub fn steps(&self) -> u64 {
        self.steps
    }

    fn passes_filters(&self, t: NaiveDateTime) -> bool {
        let hour_ok = self.hours.is_empty() || self.hours.iter().any(|h| u32::from(*h) == t.hour());
        let minute_ok =
            self.minutes.is_empty() || self.minutes.iter().any(|m| u32::from(*m) == t.minute());
        hour_ok && minute_ok
    }

    fn next_merged(&mut self) -> Option<NaiveDateTime> {
        let (t, i) = (0..self.heads.len())
            .filter_map(|i| self.heads[i].peek().map(|t| (*t, i)))
            .min()?;
        self.heads[i].next();
        Some(t)
    }

    fn end(&mut self, stop: Option<Stop>) -> Option<NaiveDateTime> {
        self.stop = stop;
        self.done = true;
        None
    }
}

impl Iterator for Occurrences {
    type Item = NaiveDateTime;

    fn next(&mut self) -> Option<NaiveDateTime> {
        loop {
            if self.done || self.remaining == Some(0) {
                return None;
            }
            let Some(t) = self.next_merged() else {
                let stop = self.unbounded.then_some(Stop::Exhausted);
                return self.end(stop);
            };
            self.steps += 1;
            if self.steps > self.max_steps {
                return self.end(Some(Stop::Budget(self.max_steps)));
            }
            // The streams of a split rule may give one time twice.
            if self.last == Some(t) || !self.passes_filters(t) {
                continue;
            }
            self.last = Some(t);
            if let Some(remaining) = &mut self.remaining {
                // A start the rule does not match still counts as its first occurrence.
                if self.start_counts && !self.first_match_seen && t != self.start {
                    *remaining = remaining.saturating_sub(1);
                }
                self.first_match_seen = true;
                if *remaining == 0 {
                    return self.end(None);
                }
                *remaining -= 1;
            }
            if t >= self.from {
                return Some(t);
            }
        }
    }
}

const SECONDS_PER: [(Frequency, i64); 5] = [
    (Frequency::Secondly, 1),
    (Frequency::Minutely, 60),
    (Frequency::Hourly, 3600),
    (Frequency::Daily, 86_400),
    (Frequency::Weekly, 604_800),
];

/// Seconds in one period of a fixed-length frequency (`None` for months and years).
fn period_seconds(freq: Frequency) -> Option<i64> {
    SECONDS_PER
        .iter()
        .find(|(f, _)| *f == freq)
        .map(|(_, s)| *s)
}

fn month_index(t: NaiveDateTime) -> i64 {
    i64::from(t.year()) * 12 + i64::from(t.month0())
}

fn first_of_month(index: i64) -> Option<NaiveDateTime> {
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = u32::try_from(index.rem_euclid(12)).ok()? + 1;
    Some(NaiveDate::from_ymd_opt(year, month, 1)?.and_time(NaiveTime::MIN))
}

/// How many whole rule periods (INTERVAL × FREQ) lie between `start` and `from`, and where
/// the last of them begins: the iteration may start there without changing which times
/// come at or after `from`.
fn whole_periods(
    freq: Frequency,
    interval: u32,
    start: NaiveDateTime,
    from: NaiveDateTime,
) -> Option<(i64, NaiveDateTime)> {
    let interval = i64::from(interval);
    if let Some(unit) = period_seconds(freq) {
        let step = unit.checked_mul(interval)?;
        let k = (from - start).num_seconds().div_euclid(step);
        let at = start.checked_add_signed(Duration::try_seconds(k.checked_mul(step)?)?)?;
        return (k > 0).then_some((k, at));
    }
    let months = if freq == Frequency::Yearly {
        interval.checked_mul(12)?
    } else {
        interval
    };
    let k = (month_index(from) - month_index(start)).div_euclid(months);
    // The first day of the period, at midnight: every time of it is at or after this, and
    // the time of day is written out in the rule (see `explicit_defaults`).
    let at = first_of_month(month_index(start).checked_add(k.checked_mul(months)?)?)?;
    (k > 0).then_some((k, at))
}

impl RuleSpec {
    /// The rule's wall-clock starts from `start` (DTSTART) on, with `until` (UNTIL already
    /// on the event's wall clock), skipping those before `from` cheaply (see the module
    /// documentation), and stopping after `max_steps` times yielded. `start` itself is only
    /// included if the rule generates it; COUNT counts it either way (RFC 5545 3.3.10: "the
    /// DTSTART property value always counts as the first occurrence"), so a caller that
    /// always adds `start` gets COUNT occurrences in all. (python-dateutil, and so
    /// recurring-ical-events, counts only the rule's own matches and gives one more.)
    pub fn iter(
        &self,
        start: NaiveDateTime,
        until: Option<NaiveDateTime>,
        from: NaiveDateTime,
        max_steps: u64,
    ) -> Result<Occurrences, RuleError> {
        let mut spec = self.clone();
        let (hours, minutes) = spec.take_time_filters();
        // With COUNT, every match from DTSTART on counts: no skipping.
        let skip = match spec.count {
            None => whole_periods(spec.freq, spec.interval, start, from),
            Some(_) => None,
        };
        let heads = match u16::try_from(spec.interval) {
            Ok(interval) => {
                spec.explicit_defaults(start);
                let origin = skip.map_or(start, |(_, at)| at);
                spec.split_for_crate()
                    .into_iter()
                    .map(|part| crate_starts(&part, interval, origin, until))
                    .collect::<Result<Vec<_>, _>>()?
            }
            Err(_) if self.has_by_parts() => {
                return Err(RuleError::Unusable(format!(
                    "INTERVAL={} above 65535 together with BYxxx parts is not supported",
                    self.interval
                )));
            }
            Err(_) => vec![stepped(
                spec.freq,
                spec.interval,
                start,
                skip.map_or(0, |(k, _)| k),
                until,
            )],
        };
        Ok(Occurrences {
            heads,
            hours,
            minutes,
            start,
            from,
            remaining: self.count.map(u64::from),
            first_match_seen: false,
            start_counts: true,
            steps: 0,
            max_steps,
            last: None,
            // A stepped rule ends only where the calendar does: not a sign it never matches.
            unbounded: self.is_unbounded() && u16::try_from(self.interval).is_ok(),
            stop: None,
            done: false,
        })
    }

    fn has_by_parts(&self) -> bool {
        !(self.by_set_pos.is_empty()
            && self.by_month.is_empty()
            && self.by_month_day.is_empty()
            && self.by_year_day.is_empty()
            && self.by_week_no.is_empty()
            && self.by_weekday.is_empty()
            && self.by_hour.is_empty()
            && self.by_minute.is_empty()
            && self.by_second.is_empty())
    }

    /// Takes BYHOUR (MINUTELY, SECONDLY) and BYMINUTE (SECONDLY) out of the rule, to be
    /// applied as filters: they only select whole periods of such a rule, so filtering gives
    /// what the RFC says, where the crate's jumping does not.
    fn take_time_filters(&mut self) -> (Vec<u8>, Vec<u8>) {
        match self.freq {
            Frequency::Minutely => (std::mem::take(&mut self.by_hour), Vec::new()),
            Frequency::Secondly => (
                std::mem::take(&mut self.by_hour),
                std::mem::take(&mut self.by_minute),
            ),
            _ => (Vec::new(), Vec::new()),
        }
    }

    /// Writes out what the crate (like dateutil) would take from DTSTART, so that iteration
    /// can start elsewhere: the month and day of a yearly rule, the day of a monthly one, the
    /// weekday of a weekly one (when no BYxxx part names days), and the time of day down to
    /// the rule's frequency.
    fn explicit_defaults(&mut self, start: NaiveDateTime) {
        let names_days = !(self.by_week_no.is_empty()
            && self.by_year_day.is_empty()
            && self.by_month_day.is_empty()
            && self.by_weekday.is_empty());
        if !names_days {
            let day = i8::try_from(start.day()).unwrap_or(1);
            match self.freq {
                Frequency::Yearly => {
                    if self.by_month.is_empty() {
                        self.by_month = chrono::Month::try_from(start.month() as u8)
                            .into_iter()
                            .collect();
                    }
                    self.by_month_day = vec![day];
                }
                Frequency::Monthly => self.by_month_day = vec![day],
                Frequency::Weekly => self.by_weekday = vec![NWeekday::Every(start.weekday())],
                _ => {}
            }
        }
        let time = [
            (Frequency::Hourly, &mut self.by_hour, start.hour()),
            (Frequency::Minutely, &mut self.by_minute, start.minute()),
            (Frequency::Secondly, &mut self.by_second, start.second()),
        ];
        for (finer, part, value) in time {
            if part.is_empty() && self.freq < finer {
                *part = vec![u8::try_from(value).unwrap_or(0)];
            }
        }
    }

    /// The rules the crate iterates for this one, whose union it is (see the module
    /// documentation): BYDAY split into plain days, ordinals, and ordinals the crate refuses.
    fn split_for_crate(&self) -> Vec<RuleSpec> {
        let ordinal_rule = matches!(self.freq, Frequency::Monthly | Frequency::Yearly);
        if !ordinal_rule || !self.by_set_pos.is_empty() {
            return vec![self.clone()];
        }
        let in_year = self.freq == Frequency::Yearly && self.by_month.is_empty();
        let refused = |d: &NWeekday| match d {
            NWeekday::Nth(n, _) if in_year => *n == -53,
            NWeekday::Nth(n, _) => *n == -5 && self.freq == Frequency::Monthly,
            NWeekday::Every(_) => false,
        };
        let plain: Vec<NWeekday> = self
            .by_weekday
            .iter()
            .filter(|d| matches!(d, NWeekday::Every(_)))
            .copied()
            .collect();
        let ordinals: Vec<NWeekday> = self
            .by_weekday
            .iter()
            .filter(|d| matches!(d, NWeekday::Nth(..)) && !refused(d))
            .copied()
            .collect();
        let mut parts = Vec::new();
        for days in [plain, ordinals] {
            if !days.is_empty() {
                parts.push(RuleSpec {
                    by_weekday: days,
                    ..self.clone()
                });
            }
        }
        for day in self.by_weekday.iter().filter(|d| refused(d)) {
            let NWeekday::Nth(_, weekday) = *day else {
                continue;
            };
            let mut part = RuleSpec {
                by_weekday: vec![NWeekday::Every(weekday)],
                ..self.clone()
            };
            // The last-but-n weekday of a period is that weekday among its last 7n days.
            if in_year && part.by_year_day.is_empty() {
                part.by_year_day = vec![-366, -365];
                parts.push(part);
            } else if !in_year && part.by_month_day.is_empty() {
                part.by_month_day = vec![-31, -30, -29];
                parts.push(part);
            }
        }
        if parts.is_empty() {
            parts.push(self.clone());
        }
        parts
    }

    fn to_rrule(&self, interval: u16, until: Option<NaiveDateTime>) -> RRule<rrule::Unvalidated> {
        let mut rule = RRule::new(self.freq).interval(interval);
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
        rule.by_set_pos(self.by_set_pos.clone())
            .by_month(&self.by_month)
            .by_month_day(self.by_month_day.clone())
            .by_year_day(self.by_year_day.clone())
            .by_week_no(self.by_week_no.clone())
            .by_weekday(by_weekday)
            .by_hour(self.by_hour.clone())
            .by_minute(self.by_minute.clone())
            .by_second(self.by_second.iter().map(|s| (*s).min(59)).collect())
    }
}

/// One crate rule's starts from `origin`, as wall-clock times.
fn crate_starts(
    spec: &RuleSpec,
    interval: u16,
    origin: NaiveDateTime,
    until: Option<NaiveDateTime>,
) -> Result<Starts, RuleError> {
    if until.is_some_and(|u| u < origin) {
        let none: Box<dyn Iterator<Item = NaiveDateTime>> = Box::new(std::iter::empty());
        return Ok(none.peekable());
    }
    let dt_start = Tz::UTC.from_utc_datetime(&origin);
    let rule = spec
        .to_rrule(interval, until)
        .validate(dt_start)
        .map_err(|e| RuleError::Unusable(e.to_string()))?;
    let set = RRuleSet::new(dt_start).rrule(rule).limit();
    let starts: Box<dyn Iterator<Item = NaiveDateTime>> =
        Box::new(set.into_iter().map(|dt| dt.naive_utc()));
    Ok(starts.peekable())
}

/// Starts of a rule without BYxxx parts whose INTERVAL the crate cannot hold: DTSTART plus
/// whole multiples of the period, from the `first`-th on; a monthly or yearly step that lands
/// on a day the month does not have is skipped, as dateutil does.
fn stepped(
    freq: Frequency,
    interval: u32,
    start: NaiveDateTime,
    first: i64,
    until: Option<NaiveDateTime>,
) -> Starts {
    let interval = i64::from(interval);
    let nth = move |k: i64| -> Option<Option<NaiveDateTime>> {
        let periods = k.checked_mul(interval)?;
        if let Some(unit) = period_seconds(freq) {
            let span = Duration::try_seconds(periods.checked_mul(unit)?)?;
            return Some(Some(start.checked_add_signed(span)?));
        }
        let months = if freq == Frequency::Yearly {
            periods.checked_mul(12)?
        } else {
            periods
        };
        let first_of = first_of_month(month_index(start).checked_add(months)?)?;
        if first_of.year() > 9999 {
            return None;
        }
        Some(
            NaiveDate::from_ymd_opt(first_of.year(), first_of.month(), start.day())
                .map(|d| d.and_time(start.time())),
        )
    };
    let starts: Box<dyn Iterator<Item = NaiveDateTime>> = Box::new(
        (first..)
            .map_while(nth)
            .flatten()
            .take_while(move |t| until.is_none_or(|u| *t <= u)),
    );
    starts.peekable()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    fn starts(rule: &str, start: NaiveDateTime, n: usize) -> Vec<NaiveDateTime> {
        RuleSpec::parse(rule)
            .unwrap()
            .iter(start, None, start, DEFAULT_MAX_STEPS)
            .unwrap()
            .take(n)
            .collect()
    }

    /// Skipping whole periods gives exactly the times an iteration from DTSTART gives from
    /// the same point on, for every shape of rule and many points.
    #[test]
    fn skipping_to_a_point_changes_nothing_after_it() {
        let rules = [
            "FREQ=SECONDLY;INTERVAL=7",
            "FREQ=MINUTELY;INTERVAL=13;BYSECOND=5,50",
            "FREQ=MINUTELY;INTERVAL=7;BYHOUR=3,4",
            "FREQ=HOURLY;INTERVAL=5;BYMINUTE=0,45",
            "FREQ=DAILY;INTERVAL=3;BYHOUR=8,20",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;WKST=SU",
            "FREQ=WEEKLY;INTERVAL=3",
            "FREQ=MONTHLY",
            "FREQ=MONTHLY;INTERVAL=5;BYDAY=-1FR,2TU",
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
            "FREQ=MONTHLY;BYDAY=-5WE,SU",
            "FREQ=YEARLY;INTERVAL=2",
            "FREQ=YEARLY;BYWEEKNO=1,53;BYDAY=MO",
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
            "FREQ=DAILY;INTERVAL=70000",
            "FREQ=MONTHLY;INTERVAL=70001",
        ];
        let start = at(2000, 1, 31, 13, 30);
        for rule in rules {
            let spec = RuleSpec::parse(rule).unwrap();
            let all: Vec<_> = spec
                .iter(start, None, start, DEFAULT_MAX_STEPS)
                .unwrap()
                .take(200)
                .collect();
            for i in [1, 7, 50, 150] {
                let Some(&from) = all.get(i) else { continue };
                for from in [
                    from,
                    from + Duration::seconds(1),
                    from - Duration::seconds(1),
                ] {
                    let skipped: Vec<_> = spec
                        .iter(start, None, from, DEFAULT_MAX_STEPS)
                        .unwrap()
                        .take_while(|t| t <= all.last().unwrap())
                        .collect();
                    let expected: Vec<_> = all.iter().copied().filter(|t| *t >= from).collect();
                    assert_eq!(skipped, expected, "{rule} from {from}");
                }
            }
        }
    }

    #[test]
    fn skipping_costs_no_steps_for_the_periods_before() {
        let spec = RuleSpec::parse("FREQ=SECONDLY").unwrap();
        let start = at(2000, 1, 1, 0, 0);
        let from = at(2049, 6, 1, 10, 0);
        let got: Vec<_> = spec.iter(start, None, from, 100).unwrap().take(3).collect();
        assert_eq!(got[0], from);
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn minutely_with_byhour_lands_on_the_grid() {
        // dateutil: 2024-01-02 03:00, 03:07, 03:14 (14 h after 13:00 is 120 steps of 7).
        assert_eq!(
            starts(
                "FREQ=MINUTELY;INTERVAL=7;BYHOUR=3",
                at(2024, 1, 1, 13, 0),
                3
            ),
            vec![
                at(2024, 1, 2, 3, 0),
                at(2024, 1, 2, 3, 7),
                at(2024, 1, 2, 3, 14)
            ]
        );
        // dateutil: Saturdays 03:01, 03:06 .. 03:56, the next Saturday 03:01.
        let got = starts(
            "FREQ=MINUTELY;INTERVAL=5;BYHOUR=3;BYDAY=SA",
            at(2024, 1, 1, 13, 1),
            14,
        );
        assert_eq!(got[0], at(2024, 1, 6, 3, 1));
        assert_eq!(got[11], at(2024, 1, 6, 3, 56));
        assert_eq!(got[12], at(2024, 1, 13, 3, 1));
    }

    #[test]
    fn mixed_ordinal_and_plain_byday_is_their_union() {
        let got = starts("FREQ=MONTHLY;BYDAY=3MO,FR", at(2024, 1, 1, 10, 0), 6);
        // January 2024: Fridays 5, 12, 15 (third Monday), 19, 26; then Feb 2.
        assert_eq!(
            got,
            vec![
                at(2024, 1, 5, 10, 0),
                at(2024, 1, 12, 10, 0),
                at(2024, 1, 15, 10, 0),
                at(2024, 1, 19, 10, 0),
                at(2024, 1, 26, 10, 0),
                at(2024, 2, 2, 10, 0)
            ]
        );
    }

    #[test]
    fn fifth_last_and_fifty_third_last_weekdays() {
        // Same as python-dateutil: months with five Wednesdays, their first one.
        assert_eq!(
            starts("FREQ=MONTHLY;BYDAY=-5WE", at(2024, 1, 1, 10, 0), 3),
            vec![
                at(2024, 1, 3, 10, 0),
                at(2024, 5, 1, 10, 0),
                at(2024, 7, 3, 10, 0)
            ]
        );
        assert_eq!(
            starts("FREQ=YEARLY;BYDAY=-53WE", at(2024, 1, 1, 10, 0), 3),
            vec![
                at(2025, 1, 1, 10, 0),
                at(2031, 1, 1, 10, 0),
                at(2036, 1, 2, 10, 0)
            ]
        );
    }

    #[test]
    fn interval_above_the_crates_limit_is_stepped() {
        let start = at(2024, 1, 1, 10, 0);
        assert_eq!(
            starts("FREQ=SECONDLY;INTERVAL=100000;COUNT=3", start, 5),
            vec![
                start,
                start + Duration::seconds(100_000),
                start + Duration::seconds(200_000)
            ]
        );
        let spec = RuleSpec::parse("FREQ=MINUTELY;INTERVAL=70000;BYHOUR=3").unwrap();
        assert!(matches!(
            spec.iter(start, None, start, 10),
            Err(RuleError::Unusable(m)) if m.contains("65535")
        ));
    }

    #[test]
    fn a_rule_that_never_matches_stops_quickly_and_says_so() {
        let spec = RuleSpec::parse("FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30").unwrap();
        let start = at(2024, 1, 1, 10, 0);
        let mut iter = spec.iter(start, None, start, DEFAULT_MAX_STEPS).unwrap();
        assert_eq!(iter.next(), None);
        assert_eq!(iter.stopped(), Some(Stop::Exhausted));
    }

    #[test]
    fn the_step_limit_stops_and_says_so() {
        let spec = RuleSpec::parse("FREQ=SECONDLY;COUNT=4000000000").unwrap();
        let start = at(2024, 1, 1, 10, 0);
        let mut iter = spec.iter(start, None, at(2030, 1, 1, 0, 0), 1000).unwrap();
        assert_eq!(iter.next(), None);
        assert_eq!(iter.stopped(), Some(Stop::Budget(1000)));
    }
}
