//! Applying planned agenda writes to the calendars: one conditional write per resource.
//!
//! Through [`crate::sources::write::update`]: the resource is read fresh, every planned
//! occurrence in it gets its new description (the block re-applied to the description as it
//! is *now*), and the text goes back with `If-Match`. When someone wrote in between (412, or
//! a vdir file changed), it is read again and the blocks re-applied to the new text, a
//! bounded number of times: their edit is kept.

use std::collections::BTreeMap;

use super::block::{self, Found};
use super::plan::{PlannedWrite, Scheduling};
use crate::calendar::Document;
use crate::calendar::edit::{
    self, Description, EditError, OccurrenceRef, ScheduleAgent, occurrence_description,
};
use crate::cycle::Fetched;
use crate::sources::write::{self, UpdateOutcome};
use crate::sources::{Resource, SourceError};

/// Attempts per resource before giving up (the first read plus retries after a 412).
const MAX_ATTEMPTS: u32 = 4;

/// Why a resource could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The source refused or failed.
    #[error("{href}: {source}")]
    Source {
        /// The resource.
        href: String,
        /// What went wrong.
        source: SourceError,
    },
    /// The resource is no longer iCalendar, or the occurrence cannot be edited.
    #[error("{href}: {reason}")]
    Edit {
        /// The resource.
        href: String,
        /// What went wrong.
        reason: String,
    },
    /// Someone kept writing between every read and write.
    #[error(
        "{href}: changed by someone else {MAX_ATTEMPTS} times in a row; tried again next cycle"
    )]
    Contended {
        /// The resource.
        href: String,
    },
}

/// One occurrence whose description was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The series' UID.
    pub series_uid: String,
    /// The occurrence's original start, as reported.
    pub recurrence_id: String,
    /// The agenda written into its block.
    pub agenda: String,
}

/// What happened to one resource's writes.
#[derive(Debug)]
pub struct ResourceOutcome {
    /// The resource.
    pub href: String,
    /// The occurrences written, or why none were.
    pub result: Result<Vec<Written>, WriteError>,
    /// How many times a concurrent change made tete read again.
    pub retries: usize,
}

/// Writes each resource's planned occurrences. `writes` are grouped by resource already:
/// `(calendar, resource, writes)`.
pub async fn apply(
    groups: Vec<(&Fetched, &Resource, Vec<&PlannedWrite>)>,
    scheduling: Scheduling,
) -> Vec<ResourceOutcome> {
    let agent = match scheduling {
        Scheduling::Silent => ScheduleAgent::Client,
        Scheduling::Server => ScheduleAgent::Server,
    };
    let mut out = Vec::new();
    for (calendar, resource, writes) in groups {
        out.push(write_resource(calendar, resource, &writes, agent).await);
    }
    out
}

async fn write_resource(
    calendar: &Fetched,
    resource: &Resource,
    writes: &[&PlannedWrite],
    agent: ScheduleAgent,
) -> ResourceOutcome {
    let href = resource.href.clone();
    let origin = calendar.source.resource_origin(resource);
    let mut written = Vec::new();
    let mut edit_error = None;
    // `update` reads the resource fresh, and again after a lost race: the blocks are
    // re-applied to whatever is there then.
    let result = write::update(&calendar.source, &href, MAX_ATTEMPTS, |bytes| match merged(
        &origin, bytes, writes, agent,
    ) {
        Ok((body, now_written)) => {
            written = now_written;
            (!written.is_empty()).then_some(body)
        }
        Err(reason) => {
            edit_error = Some(reason);
            None
        }
    })
    .await;
    let (result, retries) = match (result, edit_error) {
        (_, Some(reason)) => (
            Err(WriteError::Edit {
                href: href.clone(),
                reason,
            }),
            0,
        ),
        (Ok(UpdateOutcome::Written { attempts, .. }), None) => {
            (Ok(written), attempts.saturating_sub(1) as usize)
        }
        (Ok(UpdateOutcome::Unchanged { .. }), None) => (Ok(Vec::new()), 0),
        (Err(source), None) => (
            Err(WriteError::Source {
                href: href.clone(),
                source,
            }),
            0,
        ),
    };
    ResourceOutcome {
        href,
        result,
        retries,
    }
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
fn merged(
    origin: &str,
    bytes: &[u8],
    writes: &[&PlannedWrite],
    agent: ScheduleAgent,
) -> Result<(Vec<u8>, Vec<Written>), String> {
    let (mut doc, _) = Document::read(bytes, origin).map_err(|e| e.to_string())?;
    let mut written = Vec::new();
    for w in writes {
        let occ = occurrence_of(w);
        let now = occurrence_description(&doc, &occ).map_err(|e: EditError| e.to_string())?;
        let Some(new) = remerge(w, &now)? else {
            continue;
        };
        if edit::set_occurrence_description_with(&mut doc, &occ, &new, agent)
            .map_err(|e| e.to_string())?
        {
            written.push(Written {
                series_uid: w.target.series_uid.clone(),
                recurrence_id: w.target.recurrence_id.to_string(),
                agenda: w.agenda.clone(),
            });
        }
    }
    Ok((doc.to_ical().into_bytes(), written))
}

/// The planned block applied to the description as it is now. `None` when a person
/// removed the block since tete planned (it is not added back).
fn remerge(w: &PlannedWrite, now: &Description) -> Result<Option<Description>, String> {
    let had_block = !matches!(block::find(&w.target.description.text), Found::Absent);
    if had_block && matches!(block::find(&now.text), Found::Absent) {
        return Ok(None);
    }
    let text = block::write(&now.text, &w.agenda).map_err(|e| e.to_string())?;
    let html = match &now.html {
        Some(html) => Some(block::write(html, &w.agenda).map_err(|e| e.to_string())?),
        None => None,
    };
    let new = Description { text, html };
    Ok((new != *now).then_some(new))
}

/// Groups planned writes by the resource their series lives in; writes whose resource is
/// unknown are returned apart.
pub fn group_by_resource<'a>(
    writes: impl IntoIterator<Item = (&'a Fetched, &'a Resource, &'a PlannedWrite)>,
) -> Vec<(&'a Fetched, &'a Resource, Vec<&'a PlannedWrite>)> {
    let mut groups: BTreeMap<(String, String), (&Fetched, &Resource, Vec<&PlannedWrite>)> =
        BTreeMap::new();
    for (calendar, resource, write) in writes {
        groups
            .entry((calendar.name.clone(), resource.href.clone()))
            .or_insert_with(|| (calendar, resource, Vec::new()))
            .2
            .push(write);
    }
    groups.into_values().collect()
}
