//! The manager's time zone: where "a day" and "this morning" are, for people.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// The manager's time zone, in which days are counted and nudges timed and dated: the
/// machine's local zone by default, or an IANA zone from the config (`[nudges] time_zone`),
/// which a server in UTC needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    /// The machine's local zone.
    #[default]
    Local,
    /// An IANA zone.
    Named(chrono_tz::Tz),
}

impl Zone {
    /// The wall-clock time in this zone of a UTC time.
    pub fn local(&self, utc: DateTime<Utc>) -> NaiveDateTime {
        match self {
            Zone::Local => utc.with_timezone(&chrono::Local).naive_local(),
            Zone::Named(tz) => utc.with_timezone(tz).naive_local(),
        }
    }

    /// The calendar day in this zone of a UTC time.
    pub fn date(&self, utc: DateTime<Utc>) -> NaiveDate {
        self.local(utc).date()
    }
}
