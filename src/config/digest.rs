//! `[digest]`: whether and when the daemon sends the weekly digest.

use chrono::{NaiveTime, Weekday};
use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, Resolver};
use crate::report::digest::DigestSettings;

/// `[digest]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDigest {
    enabled: Option<bool>,
    day: Option<Spanned<String>>,
    time: Option<Spanned<String>>,
}

impl Resolver<'_> {
    /// `[digest]`: a weekday by name (`"monday"`, `"Mon"`) and a time (`"07:30"`).
    pub(super) fn digest(&self, raw: RawDigest) -> Result<DigestSettings, ConfigError> {
        let mut digest = DigestSettings::default();
        if let Some(enabled) = raw.enabled {
            digest.enabled = enabled;
        }
        if let Some(day) = &raw.day {
            digest.day = day.get_ref().parse::<Weekday>().map_err(|_| {
                let message = format!("{:?} is not a day of the week (\"monday\")", day.get_ref());
                self.error(day.span(), Some("day"), message)
            })?;
        }
        if let Some(time) = &raw.time {
            digest.time = NaiveTime::parse_from_str(time.get_ref(), "%H:%M").map_err(|_| {
                let message = format!("{:?} is not a time such as \"07:30\"", time.get_ref());
                self.error(time.span(), Some("time"), message)
            })?;
        }
        Ok(digest)
    }
}
