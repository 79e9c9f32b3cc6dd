//! Expanding over a window: [`Collector::expand`] resolves every TZID once, expands each
//! UID's events together and sorts the occurrences into an [`Expansion`].

use chrono::{Duration as Span, NaiveDateTime};

use super::context::Context;
use super::overrides::expand_group;
use super::record::EventRecord;
use super::{Collector, Occurrence, Window};
use crate::tz::Zone;
use crate::value;
use crate::warning::Warning;

/// The occurrences in a window and the warnings met on the way.
#[derive(Debug, Default)]
pub struct Expansion {
    /// Sorted by (start as UTC, uid, recurrence id).
    pub occurrences: Vec<Occurrence>,
    /// Problems met while expanding (unknown zones, unusable rules).
    pub warnings: Vec<Warning>,
}

impl Collector {
    /// Every occurrence overlapping `window`, sorted by (start as UTC, uid, recurrence id).
    pub fn expand(&self, window: Window) -> Expansion {
        self.expand_inner(window, false, |_| true)
    }

    /// Like [`Collector::expand`], plus the occurrences that `EXDATE` removes, marked
    /// `excluded`: a 1:1's history counts them as cancelled.
    pub fn expand_with_excluded(&self, window: Window) -> Expansion {
        self.expand_inner(window, true, |_| true)
    }

    /// Like [`Collector::expand_with_excluded`], of only the events whose UID `keep` wants
    /// (a big calendar's 1:1s are a few of its events). Every time zone used is still
    /// resolved, so an unknown one is still reported.
    pub fn expand_with_excluded_where(
        &self,
        window: Window,
        keep: impl Fn(&str) -> bool,
    ) -> Expansion {
        self.expand_inner(window, true, keep)
    }

    fn expand_inner(
        &self,
        window: Window,
        with_excluded: bool,
        keep: impl Fn(&str) -> bool,
    ) -> Expansion {
        let mut warnings = Vec::new();
        let zones = self.resolve_zones(window, &mut warnings);
        let ctx = Context {
            window,
            zones: &zones,
            resources: &self.resources,
            with_excluded,
            max_rule_steps: self
                .max_rule_steps
                .unwrap_or(crate::recur::DEFAULT_MAX_STEPS),
        };
        let mut occurrences = Vec::new();
        let (without_uid, mut with_uid): (Vec<&EventRecord>, Vec<&EventRecord>) = self
            .events
            .iter()
            .filter(|ev| keep(&ev.uid))
            .partition(|ev| ev.uid.is_empty());
        for ev in without_uid {
            // Events without a UID are unrelated to each other (recurring-ical-events gives
            // each an id of its own): none replaces or overrides another.
            expand_group(&ctx, &[ev], &mut occurrences, &mut warnings);
        }
        // A stable sort keeps the file order within one UID, which decides ties.
        with_uid.sort_by(|a, b| a.uid.cmp(&b.uid));
        for group in with_uid.chunk_by(|a, b| a.uid == b.uid) {
            expand_group(&ctx, group, &mut occurrences, &mut warnings);
        }
        occurrences.sort_by(|a, b| {
            (a.start.as_utc(), &a.uid, a.recurrence_id.as_utc()).cmp(&(
                b.start.as_utc(),
                &b.uid,
                b.recurrence_id.as_utc(),
            ))
        });
        Expansion {
            occurrences,
            warnings,
        }
    }

    /// Resolves every TZID used, once, by its index. `None` is a TZID whose times are read as
    /// floating: nothing defines it and its calendar has no usable `X-WR-TIMEZONE`.
    fn resolve_zones(&self, window: Window, warnings: &mut Vec<Warning>) -> Vec<Option<Zone>> {
        let horizon = value::add_saturating(window.end, Span::days(800));
        self.tzids
            .iter()
            .map(|used| match self.zones.resolve(&used.name, horizon) {
                Ok((zone, _)) => Some(zone),
                Err(reason) => {
                    let fallback = self.fallback_zone(used.resource, horizon);
                    let read_as = match &fallback {
                        Some(zone) => format!("in the calendar's X-WR-TIMEZONE {}", zone.name()),
                        None => "as floating times (no zone)".to_string(),
                    };
                    warnings.push(Warning {
                        origin: self.resources[used.resource as usize].origin.clone(),
                        line: used.line,
                        uid: (!used.uid.is_empty()).then(|| used.uid.to_string()),
                        message: format!(
                            "unknown time zone {:?} ({reason}); its times are read {read_as}",
                            used.name
                        ),
                    });
                    fallback
                }
            })
            .collect()
    }

    /// The zone for a TZID nothing defines: the calendar's X-WR-TIMEZONE when it names a
    /// zone, else none (floating). This is what recurring-ical-events does: icalendar reads
    /// such a time as floating, and X-WR-TIMEZONE then applies to it like to any floating time.
    fn fallback_zone(&self, resource: u32, horizon: NaiveDateTime) -> Option<Zone> {
        self.resources[resource as usize]
            .default_zone
            .and_then(|i| self.tzids.get(i as usize))
            .and_then(|used| self.zones.resolve(&used.name, horizon).ok())
            .map(|(zone, _)| zone)
    }
}
