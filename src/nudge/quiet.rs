//! Quiet hours and the time zone they are read in.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveTime;

pub use crate::zone::Zone;

/// A daily span of wall-clock time when no nudge is sent, such as 22:00-07:00 (it may wrap
/// past midnight). Nudges due then are held and sent at the first cycle after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    /// When quiet begins (inclusive).
    pub start: NaiveTime,
    /// When quiet ends (exclusive).
    pub end: NaiveTime,
}

impl QuietHours {
    /// True when the wall-clock time `t` is inside the quiet hours. A span whose start and
    /// end are equal is empty.
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.start <= self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }
}

impl Default for QuietHours {
    fn default() -> Self {
        QuietHours {
            start: NaiveTime::from_hms_opt(22, 0, 0).unwrap_or_default(),
            end: NaiveTime::from_hms_opt(7, 0, 0).unwrap_or_default(),
        }
    }
}

/// Why a quiet-hours span could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a span of hours: write it as \"22:00-07:00\"")]
pub struct QuietHoursError(pub String);

impl FromStr for QuietHours {
    type Err = QuietHoursError;

    /// `HH:MM-HH:MM`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || QuietHoursError(s.to_string());
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let time = |x: &str| NaiveTime::parse_from_str(x.trim(), "%H:%M").map_err(|_| bad());
        Ok(QuietHours {
            start: time(a)?,
            end: time(b)?,
        })
    }
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn quiet_hours_wrap_past_midnight() {
        let q: QuietHours = "22:00-07:00".parse().unwrap();
        assert_eq!(q, QuietHours::default());
        assert!(q.contains(t(22, 0)));
        assert!(q.contains(t(23, 59)));
        assert!(q.contains(t(0, 0)));
        assert!(q.contains(t(6, 59)));
        assert!(!q.contains(t(7, 0)));
        assert!(!q.contains(t(12, 0)));
        assert!(!q.contains(t(21, 59)));
        assert_eq!(q.to_string(), "22:00-07:00");
    }

    #[test]
    fn quiet_hours_within_a_day_and_empty() {
        let q: QuietHours = "12:00-13:30".parse().unwrap();
        assert!(q.contains(t(12, 0)) && q.contains(t(13, 29)));
        assert!(!q.contains(t(13, 30)) && !q.contains(t(11, 59)));
        let empty: QuietHours = "08:00-08:00".parse().unwrap();
        assert!(!empty.contains(t(8, 0)));
    }

    #[test]
    fn bad_spans_are_errors() {
        for bad in ["", "22:00", "22-07", "25:00-07:00", "22:00/07:00"] {
            assert!(bad.parse::<QuietHours>().is_err(), "{bad}");
        }
    }

    #[test]
    fn named_zone_converts_from_utc() {
        let zone = Zone::Named(chrono_tz::Europe::Paris);
        let utc = chrono::NaiveDate::from_ymd_opt(2026, 11, 25)
            .unwrap()
            .and_hms_opt(21, 30, 0)
            .unwrap()
            .and_utc();
        assert_eq!(zone.local(utc).time(), t(22, 30));
    }
}
