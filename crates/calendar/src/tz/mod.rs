//! Time zones: turning a wall-clock time with a TZID into an instant.
//!
//! A TZID is resolved, in this order (python icalendar does the same):
//! 1. an IANA name (`Europe/Berlin`), from the compiled-in tz database;
//! 2. a `VTIMEZONE` in the calendar with that TZID, used exactly as defined, including custom
//!    zones that are not IANA names (RRULE and RDATE transitions);
//! 3. a Windows name written by Outlook/Exchange (`W. Europe Standard Time`), through the
//!    CLDR mapping;
//! 4. an IANA name at the end of a longer id (`/mozilla.org/20070129_1/Europe/Berlin`);
//! 5. otherwise [`ZoneTable::resolve`] fails and the caller ([`crate::expand`])
//!    applies the documented fallback, with a warning that names the TZID: the calendar's
//!    `X-WR-TIMEZONE` when it names a zone, else no zone at all: the times are read as
//!    floating. python icalendar reads such a TZID as floating too, and recurring-ical-events
//!    then applies `X-WR-TIMEZONE` to it as to any floating time.
//!
//! Local times that do not exist (in a DST gap) or exist twice (in an overlap) are resolved as
//! RFC 5545 section 3.3.5 says: a time in a gap is read with the offset before the gap (02:30
//! on a spring-forward night becomes 03:30), an ambiguous time is the first of the two.

mod vtimezone;
mod windows;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Duration, NaiveDateTime, Offset, TimeZone};

pub use vtimezone::{CustomZone, ZoneDefinitionError};

use super::model::Component;
use super::value::add_saturating;

/// A zone that maps wall-clock times to instants.
#[derive(Debug, Clone)]
pub enum Zone {
    /// A zone from the IANA tz database.
    Iana(chrono_tz::Tz),
    /// A zone defined by a `VTIMEZONE` in the calendar.
    Custom(Arc<CustomZone>),
}

impl Zone {
    /// UTC.
    pub const UTC: Zone = Zone::Iana(chrono_tz::UTC);

    /// The offset from UTC, in seconds east, in effect at this UTC instant.
    pub fn offset_at_utc(&self, utc: NaiveDateTime) -> i32 {
        match self {
            Zone::Iana(tz) => {
                let within_table = equivalent_table_year(utc).unwrap_or(utc);
                tz.offset_from_utc_datetime(&within_table)
                    .fix()
                    .local_minus_utc()
            }
            Zone::Custom(zone) => zone.offset_at_utc(utc),
        }
    }

    /// The wall-clock time in this zone at a UTC instant.
    pub fn from_utc(&self, utc: NaiveDateTime) -> NaiveDateTime {
        add_saturating(utc, Duration::seconds(i64::from(self.offset_at_utc(utc))))
    }

    /// The UTC instant of a wall-clock time in this zone, resolving gaps and overlaps as
    /// RFC 5545 says (see the module documentation).
    pub fn to_utc(&self, local: NaiveDateTime) -> NaiveDateTime {
        use chrono::{Datelike as _, LocalResult};
        // Within the tz database's tables, chrono-tz reads a local time in one search (the
        // probes below take six); a gap, and the years around the tables' ends, go the long
        // way.
        if let Zone::Iana(tz) = self
            && (1801..LAST_TABLE_YEAR).contains(&local.year())
        {
            match tz.from_local_datetime(&local) {
                LocalResult::Single(t) => return t.naive_utc(),
                LocalResult::Ambiguous(a, b) => return a.naive_utc().min(b.naive_utc()),
                LocalResult::None => {}
            }
        }
        self.to_utc_by_probes(local)
    }

    /// [`Zone::to_utc`] for any zone: the offsets around the local time, tried.
    fn to_utc_by_probes(&self, local: NaiveDateTime) -> NaiveDateTime {
        // Offsets in effect around this local time: a transition closer than a day and a half
        // to it is seen by one of the probes (zones never change twice in three days).
        let probes = [
            self.offset_at_utc(add_saturating(local, -Duration::hours(36))),
            self.offset_at_utc(local),
            self.offset_at_utc(add_saturating(local, Duration::hours(36))),
        ];
        let valid = probes
            .iter()
            .map(|&off| add_saturating(local, -Duration::seconds(i64::from(off))))
            .filter(|&utc| self.from_utc(utc) == local)
            .min();
        match valid {
            // Several valid readings: an overlap, and the earliest instant is the first one.
            Some(utc) => utc,
            None => {
                // A gap: read it with the offset in effect before the transition, which is
                // the offset at the earliest candidate instant (before the transition).
                let largest = probes.iter().copied().max().unwrap_or(0);
                let before = self.offset_at_utc(add_saturating(
                    local,
                    -Duration::seconds(i64::from(largest)),
                ));
                add_saturating(local, -Duration::seconds(i64::from(before)))
            }
        }
    }

    /// A short name for messages.
    pub fn name(&self) -> &str {
        match self {
            Zone::Iana(tz) => tz.name(),
            Zone::Custom(zone) => zone.tzid(),
        }
    }
}

/// The last year chrono-tz has transitions for: its tables are computed for 1800..2100, and
/// after them a zone keeps the offset it had at the end (Berlin would stay on winter time).
const LAST_TABLE_YEAR: i32 = 2099;

/// For an instant after [`LAST_TABLE_YEAR`], the same date and time in a year of the tables'
/// last 28 that has the same calendar (leap or not, same weekday on 1 January). Today's DST
/// rules are all "the last Sunday of March"-style rules that the tz database projects
/// forever, so such a year has the same transitions on the same dates: this is the zone's
/// last rule extended, as a POSIX TZ string would. `None` within the tables.
fn equivalent_table_year(utc: NaiveDateTime) -> Option<NaiveDateTime> {
    use chrono::{Datelike, NaiveDate, Weekday};
    let year = utc.year();
    if year <= LAST_TABLE_YEAR {
        return None;
    }
    let calendar = |y: i32| -> Option<(bool, Weekday)> {
        let jan1 = NaiveDate::from_ymd_opt(y, 1, 1)?;
        Some((jan1.leap_year(), jan1.weekday()))
    };
    let wanted = calendar(year)?;
    let same = (LAST_TABLE_YEAR - 27..=LAST_TABLE_YEAR)
        .rev()
        .find(|y| calendar(*y) == Some(wanted))?;
    utc.with_year(same)
}

/// Looks up an IANA zone by name, accepting the case-insensitive spelling.
pub fn iana(name: &str) -> Option<chrono_tz::Tz> {
    let name = name.trim();
    name.parse::<chrono_tz::Tz>()
        .ok()
        .or_else(|| chrono_tz::Tz::from_str_insensitive(name).ok())
}

/// The IANA name CLDR gives for a Windows zone name.
pub fn windows_to_iana(name: &str) -> Option<&'static str> {
    let name = name.trim();
    windows::WINDOWS_TO_IANA
        .binary_search_by(|(win, _)| win.cmp(&name))
        .ok()
        .map(|i| windows::WINDOWS_TO_IANA[i].1)
}

/// How a TZID was resolved (for `--explain`-style messages and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// An IANA name.
    Iana,
    /// A `VTIMEZONE` in the calendar.
    Definition,
    /// A Windows name mapped through CLDR.
    Windows,
    /// An IANA name found at the end of a longer id.
    Suffix,
    /// Not resolved: the caller's fallback applies (`X-WR-TIMEZONE`, else floating).
    Fallback,
}

/// The zones one calendar can refer to: its `VTIMEZONE` definitions plus everything the tz
/// database knows.
#[derive(Debug, Default)]
pub struct ZoneTable {
    definitions: HashMap<String, Component>,
}

/// Why a `VTIMEZONE` was not added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("VTIMEZONE without a TZID")]
pub struct MissingTzid;

impl ZoneTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a `VTIMEZONE`; the first definition of a TZID wins.
    pub fn add_definition(&mut self, vtimezone: Component) -> Result<(), MissingTzid> {
        let tzid = vtimezone
            .value("TZID")
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .ok_or(MissingTzid)?;
        self.definitions.entry(tzid).or_insert(vtimezone);
        Ok(())
    }

    /// Resolves a TZID. `until` bounds how far custom-zone transitions are computed. `Err`
    /// carries the reason the definition could not be used; the caller falls back and warns.
    pub fn resolve(&self, tzid: &str, until: NaiveDateTime) -> Result<(Zone, Resolution), String> {
        let tzid = tzid.trim().trim_matches('"');
        if let Ok(tz) = tzid.parse::<chrono_tz::Tz>() {
            return Ok((Zone::Iana(tz), Resolution::Iana));
        }
        let mut definition_problem = None;
        if let Some(def) = self.definitions.get(tzid) {
            match CustomZone::from_vtimezone(def, until) {
                Ok(zone) => return Ok((Zone::Custom(Arc::new(zone)), Resolution::Definition)),
                Err(e) => definition_problem = Some(e.to_string()),
            }
        }
        if let Some(tz) = windows_to_iana(tzid).and_then(iana) {
            return Ok((Zone::Iana(tz), Resolution::Windows));
        }
        if let Some(tz) = iana(tzid) {
            return Ok((Zone::Iana(tz), Resolution::Iana));
        }
        if let Some(tz) = iana_suffix(tzid) {
            return Ok((Zone::Iana(tz), Resolution::Suffix));
        }
        Err(definition_problem
            .unwrap_or_else(|| "no VTIMEZONE defines it and it is not a known zone name".into()))
    }
}

/// `/mozilla.org/20070129_1/Europe/Berlin` -> `Europe/Berlin`.
fn iana_suffix(tzid: &str) -> Option<chrono_tz::Tz> {
    let parts: Vec<&str> = tzid.split('/').filter(|p| !p.is_empty()).collect();
    // Keep at least "Area/City": one segment alone would turn any word into a zone.
    (1..parts.len().saturating_sub(1)).find_map(|skip| parts[skip..].join("/").parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn iana_zones_read_local_times_as_the_probes_do() {
        // Every half hour of every day of 1970, 2011, 2026 and 2098 (each transition among
        // them), in zones with whole-hour, half-hour (Lord Howe) and southern DST, and zones
        // that changed their offset for good.
        let zones = [
            "Europe/Berlin",
            "America/New_York",
            "Australia/Sydney",
            "Australia/Lord_Howe",
            "Pacific/Chatham",
            "America/Sao_Paulo",
            "Asia/Kolkata",
            "Pacific/Apia",
            "Europe/Moscow",
        ];
        for name in zones {
            let zone = Zone::Iana(iana(name).unwrap());
            for year in [1970, 2011, 2026, 2098] {
                for day in 0..366 {
                    let Some(date) = NaiveDate::from_yo_opt(year, day + 1) else {
                        continue;
                    };
                    let mut t = date.and_hms_opt(0, 0, 0).unwrap();
                    for _ in 0..48 {
                        assert_eq!(zone.to_utc(t), zone.to_utc_by_probes(t), "{name} {t}");
                        t += Duration::minutes(30);
                    }
                }
            }
        }
    }

    fn t(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn gap_uses_offset_before_the_gap() {
        let berlin = Zone::Iana(chrono_tz::Europe::Berlin);
        // 2026-03-29 02:30 does not exist in Berlin; read with +01:00 it is 01:30Z (03:30 CEST).
        assert_eq!(berlin.to_utc(t(2026, 3, 29, 2, 30)), t(2026, 3, 29, 1, 30));
        let ny = Zone::Iana(chrono_tz::America::New_York);
        assert_eq!(ny.to_utc(t(2026, 3, 8, 2, 30)), t(2026, 3, 8, 7, 30));
    }

    #[test]
    fn overlap_uses_first_occurrence() {
        let berlin = Zone::Iana(chrono_tz::Europe::Berlin);
        // 2026-10-25 02:30 happens twice; the first is still CEST (+02:00) = 00:30Z.
        assert_eq!(
            berlin.to_utc(t(2026, 10, 25, 2, 30)),
            t(2026, 10, 25, 0, 30)
        );
        let ny = Zone::Iana(chrono_tz::America::New_York);
        assert_eq!(ny.to_utc(t(2026, 11, 1, 1, 30)), t(2026, 11, 1, 5, 30));
    }

    #[test]
    fn dst_continues_after_the_tz_tables_end() {
        let berlin = Zone::Iana(chrono_tz::Europe::Berlin);
        // 12:00 in July is CEST (+02:00) in 2106 as in 2026; in January CET (+01:00).
        assert_eq!(berlin.to_utc(t(2106, 7, 1, 12, 0)), t(2106, 7, 1, 10, 0));
        assert_eq!(berlin.to_utc(t(2106, 1, 1, 12, 0)), t(2106, 1, 1, 11, 0));
        // The last Sunday of March 2106 is the 28th: 02:30 is in the gap.
        assert_eq!(berlin.to_utc(t(2106, 3, 28, 2, 30)), t(2106, 3, 28, 1, 30));
        let ny = Zone::Iana(chrono_tz::America::New_York);
        assert_eq!(ny.to_utc(t(2200, 7, 4, 12, 0)), t(2200, 7, 4, 16, 0));
        // Leap day of a far year.
        assert_eq!(ny.to_utc(t(2104, 2, 29, 12, 0)), t(2104, 2, 29, 17, 0));
    }

    #[test]
    fn windows_names_and_suffixes() {
        let table = ZoneTable::new();
        let end = t(2030, 1, 1, 0, 0);
        let (zone, how) = table.resolve("W. Europe Standard Time", end).unwrap();
        assert_eq!((zone.name(), how), ("Europe/Berlin", Resolution::Windows));
        let (zone, how) = table
            .resolve("/mozilla.org/20070129_1/Europe/Berlin", end)
            .unwrap();
        assert_eq!((zone.name(), how), ("Europe/Berlin", Resolution::Suffix));
        assert!(table.resolve("Mars/Olympus_Mons", end).is_err());
    }
}
