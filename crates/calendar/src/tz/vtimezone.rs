//! Zones defined by a calendar's own `VTIMEZONE`, used exactly as written.

use chrono::{Duration, NaiveDateTime};

use crate::model::Component;
use crate::recur::{DEFAULT_MAX_STEPS, RuleSpec};
use crate::value::{TimeValue, add_saturating, date_list, parse_time_value};

/// A zone built from the `STANDARD` and `DAYLIGHT` observances of a `VTIMEZONE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomZone {
    tzid: String,
    /// The offset before the first transition.
    initial_offset: i32,
    /// `(UTC instant, offset from then on)`, sorted by instant.
    transitions: Vec<(NaiveDateTime, i32)>,
}

/// Why a `VTIMEZONE` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneDefinitionError {
    /// It has no usable `STANDARD` or `DAYLIGHT` observance.
    #[error("its VTIMEZONE has no STANDARD or DAYLIGHT observance")]
    NoObservance,
    /// An observance property is missing or wrong.
    #[error("its VTIMEZONE {observance} at line {line}: {problem}")]
    BadObservance {
        /// `STANDARD` or `DAYLIGHT`.
        observance: String,
        /// Line of the observance.
        line: usize,
        /// What is wrong.
        problem: String,
    },
}

impl CustomZone {
    /// Builds the zone, computing transitions up to `until` (wall clock).
    pub fn from_vtimezone(
        vtimezone: &Component,
        until: NaiveDateTime,
    ) -> Result<Self, ZoneDefinitionError> {
        let tzid = vtimezone
            .value("TZID")
            .unwrap_or_default()
            .trim()
            .to_string();
        let mut transitions: Vec<(NaiveDateTime, i32, i32)> = Vec::new();
        for observance in &vtimezone.components {
            if observance.name != "STANDARD" && observance.name != "DAYLIGHT" {
                continue;
            }
            let bad = |problem: String| ZoneDefinitionError::BadObservance {
                observance: observance.name.to_string(),
                line: observance.line,
                problem,
            };
            let from = offset_property(observance, "TZOFFSETFROM").map_err(&bad)?;
            let to = offset_property(observance, "TZOFFSETTO").map_err(&bad)?;
            for onset in onsets(observance, from, until).map_err(&bad)? {
                transitions.push((
                    add_saturating(onset, -Duration::seconds(i64::from(from))),
                    from,
                    to,
                ));
            }
        }
        transitions.sort_by_key(|(utc, _, _)| *utc);
        let initial_offset = transitions
            .first()
            .map(|(_, from, _)| *from)
            .ok_or(ZoneDefinitionError::NoObservance)?;
        Ok(CustomZone {
            tzid,
            initial_offset,
            transitions: transitions
                .into_iter()
                .map(|(utc, _, to)| (utc, to))
                .collect(),
        })
    }

    /// The TZID it was defined with.
    pub fn tzid(&self) -> &str {
        &self.tzid
    }

    /// Offset (seconds east of UTC) in effect at a UTC instant.
    pub fn offset_at_utc(&self, utc: NaiveDateTime) -> i32 {
        match self.transitions.partition_point(|(at, _)| *at <= utc) {
            0 => self.initial_offset,
            n => self.transitions[n - 1].1,
        }
    }
}

/// Wall-clock onsets of one observance: DTSTART, its RRULE up to `until`, and RDATEs.
fn onsets(
    observance: &Component,
    from: i32,
    until: NaiveDateTime,
) -> Result<Vec<NaiveDateTime>, String> {
    let start = observance
        .value("DTSTART")
        .and_then(|v| parse_time_value(v, None, false))
        .ok_or("DTSTART is missing or not a date-time")?
        .naive();
    let mut out = vec![start];
    if let Some(rule) = observance.value("RRULE") {
        let spec = RuleSpec::parse(rule).map_err(|e| e.to_string())?;
        // UNTIL in a VTIMEZONE is UTC; onsets are wall-clock times before the change.
        let rule_until = spec.until.as_ref().map(|u| match u {
            TimeValue::Utc(t) => add_saturating(*t, Duration::seconds(i64::from(from))),
            other => other.naive(),
        });
        let iter = spec
            .iter(start, rule_until, start, DEFAULT_MAX_STEPS)
            .map_err(|e| e.to_string())?;
        out.extend(iter.skip_while(|t| *t <= start).take_while(|t| *t <= until));
    }
    for rdate in observance.properties_named("RDATE") {
        let entries = date_list(rdate).map_err(|e| e.to_string())?;
        out.extend(entries.into_iter().map(|e| e.start.naive()));
    }
    Ok(out)
}

/// Reads `+HHMM` / `-HHMMSS` as seconds east of UTC.
fn offset_property(observance: &Component, name: &str) -> Result<i32, String> {
    let raw = observance
        .value(name)
        .ok_or_else(|| format!("{name} is missing"))?
        .trim();
    parse_utc_offset(raw).ok_or_else(|| format!("{name}:{raw} is not a UTC offset under 24 hours"))
}

fn parse_utc_offset(raw: &str) -> Option<i32> {
    let (sign, digits) = match raw.as_bytes().first()? {
        b'+' => (1, &raw[1..]),
        b'-' => (-1, &raw[1..]),
        _ => (1, raw),
    };
    if !(digits.len() == 4 || digits.len() == 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = digits[0..2].parse().ok()?;
    let m: i32 = digits[2..4].parse().ok()?;
    let s: i32 = if digits.len() == 6 {
        digits[4..6].parse().ok()?
    } else {
        0
    };
    (h < 24 && m < 60 && s < 60).then_some(sign * (h * 3600 + m * 60 + s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Document;
    use crate::tz::Zone;
    use chrono::NaiveDate;
    use std::sync::Arc;

    const CUSTOM: &str = "BEGIN:VTIMEZONE\r\nTZID:Custom/Zone\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n\
        RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n\
        BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n\
        TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";

    fn t(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn rrule_transitions_match_berlin() {
        let (doc, _) = Document::parse(CUSTOM, "t").unwrap();
        let zone = Zone::Custom(Arc::new(
            CustomZone::from_vtimezone(&doc.components[0], t(2030, 1, 1, 0, 0)).unwrap(),
        ));
        let berlin = Zone::Iana(chrono_tz::Europe::Berlin);
        for local in [
            t(2026, 1, 5, 10, 0),
            t(2026, 7, 1, 10, 0),
            t(2026, 3, 29, 2, 30),
            t(2026, 10, 25, 2, 30),
        ] {
            assert_eq!(zone.to_utc(local), berlin.to_utc(local), "{local}");
        }
    }

    #[test]
    fn offsets() {
        assert_eq!(parse_utc_offset("+0530"), Some(19800));
        assert_eq!(parse_utc_offset("-0800"), Some(-28800));
        assert_eq!(parse_utc_offset("+5328"), None);
        assert_eq!(parse_utc_offset("0100"), Some(3600));
    }
}
