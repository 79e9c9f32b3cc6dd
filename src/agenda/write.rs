//! Applying planned agenda writes to the calendars: one conditional write per resource.
//!
//! A resource is read, every planned occurrence in it gets its new description (the block
//! re-applied to the description as it is *now*), and the text goes back with `If-Match`.
//! When someone wrote in between (412, or a vdir file changed), the resource is read again
//! and the block re-applied to the new text, a bounded number of times: their edit is kept.

use std::collections::BTreeMap;

use super::block::{self, Found};
use super::plan::{PlannedWrite, Scheduling};
use crate::calendar::Document;
use crate::calendar::edit::{
    self, Description, EditError, OccurrenceRef, ScheduleAgent, occurrence_description,
};
use crate::cycle::Fetched;
use crate::sources::{Precondition, Resource, SourceError};

/// Attempts per resource before giving up (the first read plus retries after a 412).
const MAX_ATTEMPTS: usize = 4;

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
    let mut current = resource.clone();
    let mut retries = 0;
    let result = loop {
        if retries == MAX_ATTEMPTS {
            break Err(WriteError::Contended { href: href.clone() });
        }
        let (body, written) = match merged(calendar, &current, writes, agent) {
            Ok(merged) => merged,
            Err(e) => break Err(e),
        };
        if written.is_empty() {
            break Ok(written);
        }
        let precondition = match &current.etag {
            Some(etag) => Precondition::IfMatch(etag.clone()),
            None => Precondition::IfNoneMatch,
        };
        match calendar.source.put(&href, precondition, body).await {
            Ok(_) => break Ok(written),
            Err(e) if e.is_precondition_failed() => {
                retries += 1;
                match reread(calendar, &href).await {
                    Ok(Some(fresh)) => current = fresh,
                    Ok(None) => break Ok(Vec::new()),
                    Err(source) => {
                        break Err(WriteError::Source {
                            href: href.clone(),
                            source,
                        });
                    }
                }
            }
            Err(source) => {
                break Err(WriteError::Source {
                    href: href.clone(),
                    source,
                });
            }
        }
    };
    ResourceOutcome {
        href,
        result,
        retries,
    }
}

/// The resource as it is now, `None` when it was deleted meanwhile.
async fn reread(calendar: &Fetched, href: &str) -> Result<Option<Resource>, SourceError> {
    let snapshot = calendar.source.fetch().await?;
    Ok(snapshot.resources.into_iter().find(|r| r.href == href))
}

fn occurrence_of(w: &PlannedWrite) -> OccurrenceRef<'_> {
    OccurrenceRef {
        uid: &w.target.series_uid,
        recurrence_id: w.target.recurrence_id,
        start: w.target.start,
        end: w.target.end,
    }
}

/// Re-applies every planned block to the resource as it is now. Returns the new body and
/// the occurrences that change (empty: nothing to write).
fn merged(
    calendar: &Fetched,
    resource: &Resource,
    writes: &[&PlannedWrite],
    agent: ScheduleAgent,
) -> Result<(Vec<u8>, Vec<Written>), WriteError> {
    let href = resource.href.clone();
    let edit_error = |reason: String| WriteError::Edit {
        href: href.clone(),
        reason,
    };
    let origin = calendar.source.resource_origin(resource);
    let input = resource.open().map_err(|source| WriteError::Source {
        href: href.clone(),
        source,
    })?;
    let (mut doc, _) = Document::read(input, &origin).map_err(|e| edit_error(e.to_string()))?;
    let mut written = Vec::new();
    for w in writes {
        let occ = occurrence_of(w);
        let now =
            occurrence_description(&doc, &occ).map_err(|e: EditError| edit_error(e.to_string()))?;
        let Some(new) = remerge(w, &now).map_err(edit_error)? else {
            continue;
        };
        if edit::set_occurrence_description_with(&mut doc, &occ, &new, agent)
            .map_err(|e| edit_error(e.to_string()))?
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
