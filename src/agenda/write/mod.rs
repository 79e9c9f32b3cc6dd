//! Applying planned agenda writes to the calendars: one conditional write per resource.
//!
//! Through [`crate::sources::write::update`]: the resource is read fresh, every planned
//! occurrence in it gets its new description (the block re-applied to the description as it
//! is *now*), and the text goes back with `If-Match`. When someone wrote in between (412, or
//! a vdir file changed), it is read again and the blocks re-applied to the new text, a
//! bounded number of times: their edit is kept.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;

use super::block::{self, Found};
use super::companion::{self, Link};
use super::plan::{Place, PlannedWrite};
use crate::calendar::edit::{self, Description, EditError, OccurrenceRef, occurrence_description};
use crate::calendar::{Component, Document};
use crate::sources::write::{self, UpdateOutcome};
use crate::sources::{Precondition, Resource, Source, SourceError};

/// Attempts per resource before giving up (the first read plus retries after a 412).
const MAX_ATTEMPTS: u32 = 4;

/// Why a resource could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The source refused or failed.
    #[error("{href}")]
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
                SourceError::Write { .. }
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

    /// `calendar/href (uid at rid)`, or where a private agenda goes, for people.
    pub fn describe(&self) -> String {
        let what = format!(
            "{} at {}",
            self.write.target.series_uid, self.write.target.recurrence_id
        );
        match &self.write.target.place {
            Place::Event => format!(
                "{}/{} ({what})",
                self.calendar.name,
                self.resource
                    .map_or("?", |r| r.href.as_str())
                    .trim_start_matches('/')
            ),
            Place::Private { calendar } => {
                let href = self
                    .resource
                    .map_or_else(|| self.link().href(), |r| r.href.clone());
                format!(
                    "{calendar} (private)/{} (agenda of {what})",
                    href.trim_start_matches('/')
                )
            }
        }
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
pub async fn apply(destinations: Vec<Destination<'_>>, now: NaiveDateTime) -> Vec<ResourceOutcome> {
    let (events, private): (Vec<_>, Vec<_>) = destinations
        .into_iter()
        .partition(|d| d.write.target.place == Place::Event);
    let mut out = Vec::new();
    let mut halted: BTreeSet<String> = BTreeSet::new();
    for (calendar, resource, writes) in group_by_resource(events) {
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
    let mut sent = Vec::new();
    let mut edit_error = None;
    // `update` reads the resource fresh, and again after a lost race: the blocks are
    // re-applied to whatever is there then.
    let result = write::update(calendar.source, &href, MAX_ATTEMPTS, |bytes| {
        match merged(&origin, bytes, writes) {
            Ok((body, now_written)) => {
                written = now_written;
                sent.clone_from(&body);
                (!written.is_empty()).then_some(body)
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

/// Reads a CalDAV resource back after a write and lists what the server changed in the
/// written series beyond the descriptions (an `EXDATE`, an occurrence gone, a `SEQUENCE`
/// bump, someone's answer). Servers that schedule do such things on their own; a vdir
/// has no server, so it is not read back.
async fn verify(source: &Source, href: &str, sent: &[u8], writes: &[&PlannedWrite]) -> Vec<String> {
    if !matches!(source, Source::Caldav(_)) {
        return Vec::new();
    }
    let now = match source.get(href).await {
        Ok(resource) => match resource.content {
            crate::sources::Content::Memory(bytes) => bytes,
            crate::sources::Content::File(_) => return Vec::new(),
        },
        Err(e) => {
            return vec![format!(
                "it could not be read back: {}",
                crate::errors::chain(&e)
            )];
        }
    };
    let uids: BTreeSet<&str> = writes
        .iter()
        .map(|w| w.target.series_uid.as_str())
        .collect();
    uids.into_iter()
        .flat_map(|uid| unexpected_changes(sent, &now, uid))
        .collect()
}

/// What differs between the series `uid` as sent and as the server now has it, beyond
/// descriptions and what servers stamp on every write (`DTSTAMP`, `LAST-MODIFIED`,
/// `SCHEDULE-STATUS`).
pub fn unexpected_changes(sent: &[u8], now: &[u8], uid: &str) -> Vec<String> {
    let (Some(sent), Some(now)) = (series_facts(sent, uid), series_facts(now, uid)) else {
        return vec![format!("the series {uid} is no longer readable")];
    };
    let mut changes = Vec::new();
    for (rid, before) in &sent {
        match now.get(rid) {
            None => changes.push(format!("{} is gone", name_of(rid))),
            Some(after) => {
                for (what, old) in before {
                    let new = after.get(what).cloned().unwrap_or_default();
                    if &new != old {
                        changes.push(format!("{what} of {} changed", name_of(rid)));
                    }
                }
                for what in after.keys().filter(|k| !before.contains_key(*k)) {
                    changes.push(format!("{what} was added to {}", name_of(rid)));
                }
            }
        }
    }
    for rid in now.keys().filter(|rid| !sent.contains_key(*rid)) {
        changes.push(format!("{} appeared", name_of(rid)));
    }
    changes
}

fn name_of(rid: &str) -> String {
    if rid.is_empty() {
        "the series".to_string()
    } else {
        format!("the occurrence {rid}")
    }
}

/// Per component of the series (by RECURRENCE-ID, "" for the master): the properties a
/// description change must leave alone, as sorted values.
type SeriesFacts = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// Properties whose change means a reschedule, a cancellation or an answer.
const WATCHED: &[&str] = &[
    "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "EXRULE", "STATUS", "SEQUENCE",
];

fn series_facts(bytes: &[u8], uid: &str) -> Option<SeriesFacts> {
    let (doc, _) = Document::read(bytes, "read back").ok()?;
    let mut out = SeriesFacts::new();
    for event in doc
        .events()
        .into_iter()
        .filter(|e| e.value("UID").map(str::trim) == Some(uid))
    {
        let rid = event
            .value("RECURRENCE-ID")
            .map(|v| v.trim().to_string())
            .unwrap_or_default();
        out.insert(rid, watched(event));
    }
    (!out.is_empty()).then_some(out)
}

fn watched(event: &Component) -> BTreeMap<String, Vec<String>> {
    let mut facts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in &event.properties {
        let name = p.name.to_ascii_uppercase();
        if WATCHED.contains(&name.as_str()) {
            // Values only: servers rewrite parameters (quoting, order, TZID spelling).
            facts.entry(name).or_default().extend(
                p.value
                    .split(',')
                    .map(|v| v.trim().to_ascii_uppercase())
                    .filter(|v| !v.is_empty()),
            );
        } else if name == "ATTENDEE" {
            let answer = p.param("PARTSTAT").unwrap_or_else(|| "NEEDS-ACTION".into());
            facts
                .entry(format!(
                    "PARTSTAT of {}",
                    p.value.trim().to_ascii_lowercase()
                ))
                .or_default()
                .push(answer.to_ascii_uppercase());
        }
    }
    for values in facts.values_mut() {
        values.sort();
    }
    facts
}

/// Writes one private agenda: its companion event is created (`If-None-Match: *`) or
/// updated (`If-Match`, re-read on a lost race), carrying the block and keeping whatever a
/// person added around it.
async fn write_private(
    source: &Source,
    existing: Option<&Resource>,
    w: &PlannedWrite,
    now: NaiveDateTime,
) -> ResourceOutcome {
    let companion = Companion {
        link: Link {
            series_uid: w.target.series_uid.clone(),
            recurrence_id: w.target.recurrence_id.to_string(),
        },
        summary: private_summary(w),
        w,
        now,
    };
    let href = existing.map_or_else(|| companion.link.href(), |r| r.href.clone());
    let created = match existing {
        None => companion.create(source, &href).await,
        Some(_) => None,
    };
    let result = match created {
        Some(result) => result,
        None => companion.update(source, &href).await,
    };
    ResourceOutcome {
        key: String::new(),
        href,
        result,
        retries: 0,
        unexpected: Vec::new(),
    }
}

/// One private agenda's companion event, as [`write_private`] writes it.
struct Companion<'a> {
    link: Link,
    summary: String,
    w: &'a PlannedWrite,
    now: NaiveDateTime,
}

impl Companion<'_> {
    /// The event's text with `description`, keeping what else `existing` holds.
    fn body(&self, existing: Option<&[u8]>, description: &str) -> Vec<u8> {
        let content = companion::Content {
            link: &self.link,
            summary: &self.summary,
            start: self.w.target.start,
            end: self.w.target.end,
            description,
            cancelled: self.w.target.retire,
        };
        companion::write(existing, &content, self.now)
    }

    /// What was written, for the state file.
    fn written(&self) -> Written {
        Written {
            series_uid: self.link.uid(),
            recurrence_id: self.link.recurrence_id.clone(),
            agenda: self.w.agenda.clone(),
        }
    }

    /// Creates the event (`If-None-Match: *`); `None` when it exists by now (another tete,
    /// a sync made it meanwhile) and is to be updated instead.
    async fn create(
        &self,
        source: &Source,
        href: &str,
    ) -> Option<Result<Vec<Written>, WriteError>> {
        match source
            .put(
                href,
                Precondition::IfNoneMatch,
                self.body(None, &self.w.new.text),
            )
            .await
        {
            Ok(_) => Some(Ok(vec![self.written()])),
            Err(e) if e.is_precondition_failed() => None,
            Err(source) => Some(Err(WriteError::Source {
                href: href.to_string(),
                source,
            })),
        }
    }

    /// Updates the event (`If-Match`, re-read and re-merged on a lost race).
    async fn update(&self, source: &Source, href: &str) -> Result<Vec<Written>, WriteError> {
        let w = self.w;
        let mut refused = None;
        let outcome = write::update(source, href, MAX_ATTEMPTS, |bytes| {
            let now = companion::read(bytes)
                .map(|f| f.description)
                .unwrap_or_default();
            if w.target.retire {
                // Keep every word; only the status changes.
                return Some(self.body(Some(bytes), &now.text));
            }
            if removed_since_planned(w, &now) {
                return None;
            }
            // Written even when the description reads the same: the time may have to
            // follow a moved 1:1 (`update` writes nothing when no byte means anything
            // new).
            match block::write(&now.text, &w.agenda) {
                Ok(text) => Some(self.body(Some(bytes), &text)),
                Err(e) => {
                    refused = Some(e.to_string());
                    None
                }
            }
        })
        .await;
        if let Some(reason) = refused {
            return Err(WriteError::Edit {
                href: href.to_string(),
                reason,
            });
        }
        match outcome {
            Ok(UpdateOutcome::Written { .. }) => Ok(vec![self.written()]),
            Ok(UpdateOutcome::Unchanged { .. }) => Ok(Vec::new()),
            Err(source) => Err(WriteError::Source {
                href: href.to_string(),
                source,
            }),
        }
    }
}

/// How a resource is named in the state file's write failures.
pub fn resource_key(calendar: &str, href: &str) -> String {
    format!("{calendar}/{href}")
}

/// The title of a private agenda: which 1:1 it belongs to.
fn private_summary(w: &PlannedWrite) -> String {
    let first_line = w.agenda.lines().next().unwrap_or_default().trim();
    if first_line.is_empty() {
        "Agenda of your 1:1".to_string()
    } else {
        format!("{first_line} (private)")
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
) -> Result<(Vec<u8>, Vec<Written>), String> {
    let (mut doc, _) = Document::read(bytes, origin).map_err(|e| crate::errors::chain(&e))?;
    let mut written = Vec::new();
    for w in writes {
        let occ = occurrence_of(w);
        let now = occurrence_description(&doc, &occ).map_err(|e: EditError| e.to_string())?;
        let Some(new) = remerge(w, &now)? else {
            continue;
        };
        if edit::set_occurrence_description(&mut doc, &occ, &new)
            .map_err(|e: EditError| e.to_string())?
        {
            written.push(Written {
                series_uid: w.target.series_uid.clone(),
                recurrence_id: w.target.recurrence_id.to_string(),
                agenda: w.agenda.clone(),
            });
        }
    }
    Ok((doc.to_ical_preserving(bytes), written))
}

/// The planned block applied to the description as it is now. `None` when a person
/// removed the block since tete planned (it is not added back).
fn remerge(w: &PlannedWrite, now: &Description) -> Result<Option<Description>, String> {
    if removed_since_planned(w, now) {
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

#[cfg(test)]
mod tests {
    use super::*;

    const SENT: &str = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:s\r\nDTSTART:20261201T090000Z\r\nRRULE:FREQ=WEEKLY\r\nSEQUENCE:2\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:mia@example.com\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:ann@example.com\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID:20261208T090000Z\r\nDTSTART:20261208T090000Z\r\nDESCRIPTION:agenda\r\nSEQUENCE:2\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:mia@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn a_server_restamping_and_reordering_changes_nothing_that_matters() {
        let now = SENT
            .replace(
                "SEQUENCE:2\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:mia",
                "ATTENDEE;PARTSTAT=ACCEPTED;SCHEDULE-STATUS=1.2:mailto:mia",
            )
            .replace(
                "UID:s\r\nDTSTART",
                "UID:s\r\nSEQUENCE:2\r\nDTSTAMP:20261201T000000Z\r\nDTSTART",
            );
        let now = now.replacen(
            "RECURRENCE-ID:20261208T090000Z\r\nDTSTART:20261208T090000Z\r\nDESCRIPTION:agenda\r\n",
            "RECURRENCE-ID:20261208T090000Z\r\nDTSTART:20261208T090000Z\r\nDESCRIPTION:agenda\r\nSEQUENCE:2\r\n",
            1,
        );
        let changes = unexpected_changes(SENT.as_bytes(), now.as_bytes(), "s");
        assert_eq!(changes, Vec::<String>::new());
    }

    #[test]
    fn an_exdate_a_decline_a_sequence_bump_and_a_lost_occurrence_are_seen() {
        let exdate = SENT.replace(
            "RRULE:FREQ=WEEKLY\r\n",
            "RRULE:FREQ=WEEKLY\r\nEXDATE:20261208T090000Z\r\n",
        );
        assert_eq!(
            unexpected_changes(SENT.as_bytes(), exdate.as_bytes(), "s"),
            ["EXDATE was added to the series"]
        );
        let declined = SENT.replacen(
            "PARTSTAT=ACCEPTED:mailto:mia",
            "PARTSTAT=DECLINED:mailto:mia",
            1,
        );
        assert_eq!(
            unexpected_changes(SENT.as_bytes(), declined.as_bytes(), "s"),
            ["PARTSTAT of mailto:mia@example.com of the series changed"]
        );
        let bumped = SENT.replacen("SEQUENCE:2", "SEQUENCE:3", 1);
        assert_eq!(
            unexpected_changes(SENT.as_bytes(), bumped.as_bytes(), "s"),
            ["SEQUENCE of the series changed"]
        );
        let cut = &SENT[..SENT.find("BEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID").unwrap()];
        let lost = format!("{cut}END:VCALENDAR\r\n");
        assert_eq!(
            unexpected_changes(SENT.as_bytes(), lost.as_bytes(), "s"),
            ["the occurrence 20261208T090000Z is gone"]
        );
    }
}
