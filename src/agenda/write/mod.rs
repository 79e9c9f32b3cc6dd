//! Applying planned agenda writes to the calendars: one conditional write per resource.
//!
//! Through [`crate::sources::write::update`]: the resource is read fresh, every planned
//! occurrence in it gets its new description (the block re-applied to the description as it
//! is *now*), and the text goes back with `If-Match`. When someone wrote in between (412, or
//! a vdir file changed), it is read again and the blocks re-applied to the new text, a
//! bounded number of times: their edit is kept.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::block::{self, Found};
use super::companion::Link;
use super::plan::{Place, PlannedWrite};

mod private;
mod verify;

use crate::calendar::Document;
use crate::calendar::edit::{self, Description, EditError, OccurrenceRef, occurrence_description};
use crate::sources::write::{self, UpdateOutcome};
use crate::sources::{Resource, Source, SourceError};
use private::write_private;
pub use verify::unexpected_changes;
use verify::verify;

/// Attempts per resource before giving up (the first read plus retries after a 412).
const MAX_ATTEMPTS: u32 = 4;

/// Why a resource could not be written. The messages leave the resource out: whoever shows
/// one names it once, and a source's own error already names its request.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The source refused or failed.
    #[error("the write failed")]
    Source {
        /// The resource.
        href: String,
        /// What went wrong.
        source: SourceError,
    },
    /// The resource is no longer iCalendar, or the occurrence cannot be edited.
    #[error("the event cannot be edited: {reason}")]
    Edit {
        /// The resource.
        href: String,
        /// What went wrong.
        reason: String,
    },
    /// Someone kept writing between every read and write.
    #[error("changed by someone else {MAX_ATTEMPTS} times in a row; tried again next cycle")]
    Contended {
        /// The resource.
        href: String,
    },
}

impl WriteError {
    /// True when trying again next cycle would fail the same way: the server refused the
    /// write (a 4xx other than 409 and 412, which mean someone else wrote; or a 412 after
    /// every fresh read) or failed inside (a 5xx, after the client's own retries), or the
    /// event cannot be edited. Connection problems are not.
    pub fn is_permanent(&self) -> bool {
        match self {
            // Four fresh reads and four refusals in one cycle: the server refuses this write
            // (Xandikos answers an attendee's change with 412 every time), not a race.
            WriteError::Edit { .. } | WriteError::Contended { .. } => true,
            WriteError::Source { source, .. } => match source {
                SourceError::Caldav(crate::sources::CaldavError::Status { status, .. })
                | SourceError::HttpStatus { status, .. } => {
                    status.is_server_error()
                        || (status.is_client_error() && !matches!(status.as_u16(), 409 | 412))
                }
                SourceError::Graph(crate::sources::GraphError::Status { status, .. }) => {
                    status.is_server_error()
                        || (status.is_client_error() && !matches!(status.as_u16(), 409 | 412))
                }
                SourceError::Graph(crate::sources::GraphError::Write { .. })
                | SourceError::Write { .. }
                | SourceError::InvalidHref { .. }
                | SourceError::Caldav(crate::sources::CaldavError::Contended { .. }) => true,
                _ => false,
            },
        }
    }
}

/// One occurrence whose description was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The UID of the event that holds the block: the series', or its private companion's.
    pub series_uid: String,
    /// The occurrence's original start, as reported.
    pub recurrence_id: String,
    /// The agenda written into its block.
    pub agenda: String,
}

/// What happened to one resource's writes.
#[derive(Debug)]
pub struct ResourceOutcome {
    /// The resource: `calendar/href` (the 1:1's calendar, for a private agenda too).
    pub key: String,
    /// The resource.
    pub href: String,
    /// The occurrences written, or why none were.
    pub result: Result<Vec<Written>, WriteError>,
    /// How many times a concurrent change made tete read again.
    pub retries: usize,
    /// What the server changed that tete did not write, seen when the write was read back
    /// (empty when nothing). tete then stops writing into that calendar.
    pub unexpected: Vec<String>,
}

/// The calendar a planned write goes to.
#[derive(Debug, Clone, Copy)]
pub struct Calendar<'a> {
    /// Its name as configured.
    pub name: &'a str,
    /// Where it is.
    pub source: &'a Source,
    /// The calendar holding its private agendas, when they go there (the server schedules
    /// and the manager chose `delivery = "private"`).
    pub private: Option<&'a Source>,
}

/// One planned write with where it goes.
#[derive(Debug, Clone, Copy)]
pub struct Destination<'a> {
    /// The 1:1's calendar.
    pub calendar: Calendar<'a>,
    /// The resource written: the 1:1's own, or its companion's (`None` when new).
    pub resource: Option<&'a Resource>,
    /// The write.
    pub write: &'a PlannedWrite,
}

impl Destination<'_> {
    /// The resource written, as [`resource_key`] names it.
    pub fn resource_key(&self) -> String {
        let href = match self.resource {
            Some(resource) => resource.href.clone(),
            None => self.link().href(),
        };
        resource_key(self.calendar.name, &href)
    }

    /// The resource written, as a path people can follow: `calendar/href`, the private
    /// calendar's for a private agenda.
    pub fn describe(&self) -> String {
        let (calendar, href) = match &self.write.target.place {
            Place::Event => (
                self.calendar.name,
                self.resource
                    .map_or_else(|| "?".to_string(), |r| r.href.clone()),
            ),
            Place::Private { calendar } => (
                calendar.as_str(),
                self.resource
                    .map_or_else(|| self.link().href(), |r| r.href.clone()),
            ),
        };
        format!("{calendar}/{}", href.trim_start_matches('/'))
    }

    /// The occurrence written, as its private agenda links to it.
    fn link(&self) -> Link {
        Link {
            series_uid: self.write.target.series_uid.clone(),
            recurrence_id: self.write.target.recurrence_id.to_string(),
        }
    }
}

/// Writes every planned agenda: the 1:1 events' own descriptions (one conditional write
/// per resource, read back on CalDAV to verify the server changed nothing else) and the
/// private companions. A calendar whose server changed something tete did not write is
/// halted at once: none of its other events is written this cycle or later.
pub async fn apply(destinations: Vec<Destination<'_>>, now: DateTime<Utc>) -> Vec<ResourceOutcome> {
    apply_while(destinations, now, &|| true).await
}

/// [`apply`], asking `keep_going` before each resource: when it says no (the daemon is
/// stopping, the cycle ran out of time), the rest is left for the next cycle. A write
/// already started is always finished and its outcome returned.
pub async fn apply_while(
    destinations: Vec<Destination<'_>>,
    now: DateTime<Utc>,
    keep_going: &(dyn Fn() -> bool + Sync),
) -> Vec<ResourceOutcome> {
    let (events, private): (Vec<_>, Vec<_>) = destinations
        .into_iter()
        .partition(|d| d.write.target.place == Place::Event);
    let mut out = Vec::new();
    let mut halted: BTreeSet<String> = BTreeSet::new();
    for (calendar, resource, writes) in group_by_resource(events) {
        if !keep_going() {
            return out;
        }
        if halted.contains(calendar.name) {
            continue;
        }
        let outcome = write_resource(calendar, resource, &writes).await;
        if !outcome.unexpected.is_empty() {
            halted.insert(calendar.name.to_string());
        }
        out.push(outcome);
    }
    for d in private {
        if !keep_going() {
            return out;
        }
        if let Some(private) = d.calendar.private {
            let mut outcome = write_private(private, d.resource, d.write, now).await;
            outcome.key = resource_key(d.calendar.name, &outcome.href);
            out.push(outcome);
        }
    }
    out
}

async fn write_resource(
    calendar: Calendar<'_>,
    resource: &Resource,
    writes: &[&PlannedWrite],
) -> ResourceOutcome {
    let href = resource.href.clone();
    let origin = calendar.source.resource_origin(resource);
    let mut written = Vec::new();
    let mut already = Vec::new();
    let mut sent = Vec::new();
    let mut edit_error = None;
    // `update` reads the resource fresh, and again after a lost race: the blocks are
    // re-applied to whatever is there then.
    let result = write::update(calendar.source, &href, MAX_ATTEMPTS, |bytes| {
        match merged(&origin, bytes, writes) {
            Ok(merge) => {
                written = merge.changed;
                already = merge.already;
                sent.clone_from(&merge.body);
                (!written.is_empty()).then_some(merge.body)
            }
            Err(reason) => {
                edit_error = Some(reason);
                None
            }
        }
    })
    .await;
    let mut unexpected = Vec::new();
    let (result, retries) = match (result, edit_error) {
        (_, Some(reason)) => (
            Err(WriteError::Edit {
                href: href.clone(),
                reason,
            }),
            0,
        ),
        (Ok(UpdateOutcome::Written { attempts, .. }), None) => {
            unexpected = verify(calendar.source, &href, &sent, writes).await;
            written.extend(already);
            (Ok(written), attempts.saturating_sub(1) as usize)
        }
        // Nothing left to write, but blocks already there as planned are tete's own (a
        // write whose answer was lost, then a 412): remembered, so that a person removing
        // them later is respected and they are not added back.
        (Ok(UpdateOutcome::Unchanged { .. }), None) => (Ok(already), 0),
        (Err(source), None) => (
            Err(WriteError::Source {
                href: href.clone(),
                source,
            }),
            0,
        ),
    };
    if !unexpected.is_empty()
        && let Source::Caldav(caldav) = calendar.source
    {
        let why = format!(
            "writing the agenda into {href} made the server change what tete did not write ({})",
            unexpected.join("; ")
        );
        tracing::error!(calendar = %calendar.name, "{why}; no more writes into this calendar");
        if let Err(e) = caldav.set_halted(Some(&why)) {
            let e = crate::errors::chain(&e);
            tracing::error!(calendar = %calendar.name, error = %e, "cannot record the halt");
        }
    }
    ResourceOutcome {
        key: resource_key(calendar.name, &href),
        href,
        result,
        retries,
        unexpected,
    }
}

/// How a resource is named in the state file's write failures.
pub fn resource_key(calendar: &str, href: &str) -> String {
    format!("{calendar}/{href}")
}

fn occurrence_of(w: &PlannedWrite) -> OccurrenceRef<'_> {
    OccurrenceRef {
        uid: &w.target.series_uid,
        recurrence_id: w.target.recurrence_id,
        start: w.target.start,
        end: w.target.end,
    }
}

/// Re-applies every planned block to the resource's bytes as they are now. Returns the new
/// body and the occurrences that change (empty: nothing to write).
/// A resource with the planned blocks re-applied to it as it is now.
struct Merge {
    /// The resource's new text.
    body: Vec<u8>,
    /// The writes that changed it.
    changed: Vec<Written>,
    /// The writes whose block was already there exactly as planned.
    already: Vec<Written>,
}

fn merged(origin: &str, bytes: &[u8], writes: &[&PlannedWrite]) -> Result<Merge, String> {
    let (mut doc, _) = Document::read(bytes, origin).map_err(|e| crate::errors::chain(&e))?;
    let (mut changed, mut already) = (Vec::new(), Vec::new());
    for w in writes {
        let occ = occurrence_of(w);
        let now = occurrence_description(&doc, &occ).map_err(|e: EditError| e.to_string())?;
        let done = Written {
            series_uid: w.target.series_uid.clone(),
            recurrence_id: w.target.recurrence_id.to_string(),
            agenda: w.agenda.clone(),
        };
        match remerge(w, &now)? {
            Remerged::Removed => {}
            Remerged::Already => already.push(done),
            Remerged::New(new) => {
                if edit::set_occurrence_description(&mut doc, &occ, &new)
                    .map_err(|e: EditError| e.to_string())?
                {
                    changed.push(done);
                }
            }
        }
    }
    Ok(Merge {
        body: doc.to_ical_preserving(bytes),
        changed,
        already,
    })
}

/// A planned block applied to a description as it is now.
enum Remerged {
    /// A person removed the block since tete planned: it is not added back.
    Removed,
    /// The block is already there as planned.
    Already,
    /// The new description.
    New(Description),
}

fn remerge(w: &PlannedWrite, now: &Description) -> Result<Remerged, String> {
    if removed_since_planned(w, now) {
        return Ok(Remerged::Removed);
    }
    let text = block::write(&now.text, &w.agenda).map_err(|e| e.to_string())?;
    let html = match &now.html {
        Some(html) => Some(block::write(html, &w.agenda).map_err(|e| e.to_string())?),
        None => None,
    };
    let new = Description { text, html };
    Ok(if new == *now {
        Remerged::Already
    } else {
        Remerged::New(new)
    })
}

/// True when a person removed the block after tete planned to rewrite it: it is not added
/// back.
fn removed_since_planned(w: &PlannedWrite, now: &Description) -> bool {
    let had_block = !matches!(block::find(&w.target.description.text), Found::Absent);
    had_block && matches!(block::find(&now.text), Found::Absent)
}

/// Groups planned event writes by the resource their series lives in.
fn group_by_resource<'a>(
    writes: impl IntoIterator<Item = Destination<'a>>,
) -> Vec<(Calendar<'a>, &'a Resource, Vec<&'a PlannedWrite>)> {
    let mut groups: BTreeMap<(String, String), (Calendar<'a>, &Resource, Vec<&PlannedWrite>)> =
        BTreeMap::new();
    for d in writes {
        let Some(resource) = d.resource else {
            continue;
        };
        groups
            .entry((d.calendar.name.to_string(), resource.href.clone()))
            .or_insert_with(|| (d.calendar, resource, Vec::new()))
            .2
            .push(d.write);
    }
    groups.into_values().collect()
}
