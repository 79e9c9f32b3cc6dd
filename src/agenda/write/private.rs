//! Private agendas: the companion event of one occurrence, created with
//! `If-None-Match: *` or updated with `If-Match`, re-read and re-merged on a lost race.

use chrono::{DateTime, Utc};

use super::super::block;
use super::super::companion::{self, Link};
use super::super::plan::PlannedWrite;
use super::{MAX_ATTEMPTS, ResourceOutcome, WriteError, Written, removed_since_planned};
use crate::sources::write::{self, UpdateOutcome};
use crate::sources::{Precondition, Resource, Source};

/// Writes one private agenda: its companion event is created (`If-None-Match: *`) or
/// updated (`If-Match`, re-read on a lost race), carrying the block and keeping whatever a
/// person added around it.
pub(super) async fn write_private(
    source: &Source,
    existing: Option<&Resource>,
    w: &PlannedWrite,
    now: DateTime<Utc>,
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
    now: DateTime<Utc>,
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

/// The title of a private agenda: which 1:1 it belongs to.
fn private_summary(w: &PlannedWrite) -> String {
    let first_line = w.agenda.lines().next().unwrap_or_default().trim();
    if first_line.is_empty() {
        "Agenda of your 1:1".to_string()
    } else {
        format!("{first_line} (private)")
    }
}
