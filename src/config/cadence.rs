//! `[cadence]`: the analysis window and the suggestion thresholds.

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, Resolver};

/// `[cadence]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCadence {
    window_weeks: Option<Spanned<u32>>,
    min_occurrences: Option<usize>,
    slip_ratio: Option<Spanned<f64>>,
    adhoc_min: Option<usize>,
    young_days: Option<i64>,
    overdue_intervals: Option<Spanned<f64>>,
    items_pile: Option<usize>,
}

impl Resolver<'_> {
    /// `[cadence]`: builds [`crate::cadence::Settings`], checking each value.
    pub(super) fn cadence(&self, raw: RawCadence) -> Result<crate::cadence::Settings, ConfigError> {
        let mut s = crate::cadence::Settings::default();
        if let Some(w) = raw.window_weeks {
            if *w.get_ref() == 0 {
                return Err(self.error(w.span(), Some("window_weeks"), "must be at least 1"));
            }
            s.window_weeks = *w.get_ref();
        }
        if let Some(r) = raw.slip_ratio {
            if !(0.0..=1.0).contains(r.get_ref()) {
                return Err(self.error(r.span(), Some("slip_ratio"), "must be between 0 and 1"));
            }
            s.slip_ratio = *r.get_ref();
        }
        if let Some(o) = raw.overdue_intervals {
            if *o.get_ref() < 0.0 {
                return Err(self.error(
                    o.span(),
                    Some("overdue_intervals"),
                    "must be 0 (off) or more",
                ));
            }
            s.overdue_intervals = *o.get_ref();
        }
        s.min_occurrences = raw.min_occurrences.unwrap_or(s.min_occurrences);
        s.adhoc_min = raw.adhoc_min.unwrap_or(s.adhoc_min);
        s.young_days = raw.young_days.unwrap_or(s.young_days);
        s.items_pile = raw.items_pile.unwrap_or(s.items_pile);
        Ok(s)
    }
}
