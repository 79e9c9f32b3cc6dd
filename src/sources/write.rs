//! Safe read-modify-write of one resource, for any writable source.
//!
//! [`update`] reads the resource fresh, applies the caller's change, and writes it back only
//! if nobody changed it meanwhile (`If-Match`). When someone did (`412`), it reads again and
//! applies the change again to *their* version, a bounded number of times, so the other
//! writer's edit is kept. A change that makes no semantic difference is not written at all.
//!
//! Servers re-serialise what they are sent (property order, line folding, `VTIMEZONE`
//! order), so [`same_calendar_data`] compares events by meaning, never byte-wise.

use std::collections::BTreeMap;

use super::{Precondition, Resource, Source, SourceError};
use crate::calendar::{Component, Document};

/// How many writes [`update`] tries before giving up.
pub const DEFAULT_ATTEMPTS: u32 = 4;

/// What [`update`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateOutcome {
    /// The change made no difference (or the edit declined): nothing was written.
    Unchanged {
        /// The resource's current etag.
        etag: Option<String>,
    },
    /// The change was written.
    Written {
        /// The server's new etag.
        etag: String,
        /// Writes tried (1 when nobody else wrote in between).
        attempts: u32,
    },
}

impl Source {
    /// Reads one resource fresh (not from a snapshot): a CalDAV `GET`, a vdir file.
    pub async fn get(&self, href: &str) -> Result<Resource, SourceError> {
        match self {
            Source::Caldav(caldav) => Ok(caldav.get(href).await?),
            Source::Vdir(vdir) => vdir.get(href).await,
            Source::Graph(graph) => graph.get(href).await,
            Source::File(_) | Source::Feed(_) => Err(SourceError::ReadOnly {
                label: self.label(),
            }),
        }
    }
}

/// Changes resource `href` with `edit` (given the current bytes; `None` = nothing to do),
/// retrying on lost races up to `attempts` writes.
pub async fn update<F>(
    source: &Source,
    href: &str,
    attempts: u32,
    mut edit: F,
) -> Result<UpdateOutcome, SourceError>
where
    F: FnMut(&[u8]) -> Option<Vec<u8>>,
{
    let attempts = attempts.max(1);
    for attempt in 1..=attempts {
        let current = source.get(href).await?;
        let bytes = current.bytes()?.into_owned();
        let Some(changed) = edit(&bytes) else {
            return Ok(UpdateOutcome::Unchanged { etag: current.etag });
        };
        if same_calendar_data(&bytes, &changed) {
            return Ok(UpdateOutcome::Unchanged { etag: current.etag });
        }
        let precondition = match &current.etag {
            Some(etag) => Precondition::IfMatch(etag.clone()),
            None => Precondition::IfNoneMatch,
        };
        match source.put(&current.href, precondition, changed).await {
            Ok(etag) => {
                return Ok(UpdateOutcome::Written {
                    etag,
                    attempts: attempt,
                });
            }
            Err(err) if err.is_precondition_failed() && attempt < attempts => {
                tracing::info!(href, attempt, "someone else wrote in between; re-reading");
            }
            Err(err) if err.is_precondition_failed() => {
                return Err(super::caldav::CaldavError::Contended {
                    href: href.to_string(),
                    attempts,
                }
                .into());
            }
            Err(err) => return Err(err),
        }
    }
    Err(super::caldav::CaldavError::Contended {
        href: href.to_string(),
        attempts,
    }
    .into())
}

/// Whether two iCalendar bodies mean the same: the same components with the same
/// properties (name, parameters, value), whatever their order, folding, line endings or
/// letter case of names. `DTSTAMP` and `PRODID` are ignored (servers and clients restamp
/// them).
pub fn same_calendar_data(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    match (canonical(a), canonical(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// A component as a sorted tree of strings.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Canonical {
    name: String,
    properties: Vec<(String, BTreeMap<String, Vec<String>>, String)>,
    components: Vec<Canonical>,
}

fn canonical(bytes: &[u8]) -> Option<Vec<Canonical>> {
    let (doc, _) = Document::read(bytes, "comparison").ok()?;
    let mut out: Vec<Canonical> = doc.components.iter().map(canonical_component).collect();
    out.sort();
    Some(out)
}

fn canonical_component(c: &Component) -> Canonical {
    let mut properties: Vec<_> = c
        .properties
        .iter()
        .filter(|p| {
            !p.name.eq_ignore_ascii_case("DTSTAMP") && !p.name.eq_ignore_ascii_case("PRODID")
        })
        .map(|p| {
            let params = p
                .params
                .iter()
                .map(|param| {
                    let values = param.values.iter().map(ToString::to_string).collect();
                    (str::to_ascii_uppercase(&param.name), values)
                })
                .collect();
            (
                str::to_ascii_uppercase(&p.name),
                params,
                p.value.to_string(),
            )
        })
        .collect();
    properties.sort();
    let mut components: Vec<_> = c.components.iter().map(canonical_component).collect();
    components.sort();
    Canonical {
        name: str::to_ascii_uppercase(&c.name),
        properties,
        components,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserialised_events_are_the_same() {
        let a = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tete//EN\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:A long summary that will be folded by someone somewhere along the way, surely\r\nDTSTART;TZID=Europe/Berlin:20260105T100000\r\nDTSTAMP:20260101T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let b = "BEGIN:VCALENDAR\nPRODID:-//Radicale//NONSGML//EN\nVERSION:2.0\nBEGIN:VEVENT\nDTSTART;tzid=Europe/Berlin:20260105T100000\nUID:1\nDTSTAMP:20260102T000000Z\nSUMMARY:A long summary that will be folded by someone somewhere along t\n he way, surely\nEND:VEVENT\nEND:VCALENDAR\n";
        assert!(same_calendar_data(a.as_bytes(), b.as_bytes()));
        let c = a.replace("SUMMARY:A long", "SUMMARY:A short");
        assert!(!same_calendar_data(a.as_bytes(), c.as_bytes()));
        assert!(!same_calendar_data(a.as_bytes(), b"not a calendar"));
    }
}
