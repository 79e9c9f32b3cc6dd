//! The manager's time zone: where "a day" and "this morning" are, for people.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// The manager's time zone, in which days are counted and times shown to people (report,
/// agendas, nudges, messages): the machine's by default, or an IANA zone from the config
/// (`[me] time_zone`, or `[nudges] time_zone`), which a server in UTC needs. JSON stays UTC.
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

    /// A UTC time as people read it here, in chrono's `format` (`%Z` is the zone's
    /// abbreviation, such as "CET", or the offset when the machine's zone has no name).
    pub fn show(&self, utc: DateTime<Utc>, format: &str) -> String {
        match self {
            Zone::Local => utc.with_timezone(&chrono::Local).format(format).to_string(),
            Zone::Named(tz) => utc.with_timezone(tz).format(format).to_string(),
        }
    }

    /// The machine's zone, by name when it has one: `TZ` (an IANA name), else the system's
    /// (`/etc/localtime`); else [`Zone::Local`], shown by its offset.
    pub fn machine() -> Zone {
        let named = std::env::var("TZ")
            .ok()
            .map(|tz| tz.trim_start_matches(':').to_string())
            .filter(|tz| !tz.is_empty())
            .or_else(|| iana_time_zone::get_timezone().ok());
        named
            .and_then(|name| name.parse::<chrono_tz::Tz>().ok())
            .map_or(Zone::Local, Zone::Named)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_the_zone_with_its_name() {
        let utc = DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let berlin = Zone::Named(chrono_tz::Europe::Berlin);
        assert_eq!(
            berlin.show(utc, "%a %-d %b %H:%M %Z"),
            "Tue 1 Dec 10:00 CET"
        );
        assert_eq!(
            Zone::Named(chrono_tz::UTC).show(utc, "%H:%M %Z"),
            "09:00 UTC"
        );
        // Just before midnight UTC is already tomorrow in Tokyo.
        let late = utc + chrono::Duration::hours(14);
        assert_eq!(
            Zone::Named(chrono_tz::Asia::Tokyo).date(late),
            NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
        );
    }
}
