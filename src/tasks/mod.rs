//! Action items as tasks (VTODO) in the manager's own task list (`[tasks]`), both ways.
//!
//! Each open item that qualifies (owned by the manager, or every item with `owner = "all"`)
//! is a task whose UID is derived from the item's identity ([`uid_for`]), so running again
//! never makes a second one. A task completed (or cancelled, or deleted) in any app closes
//! its item ([`finished`]); an item checked in a meeting's notes completes its task
//! ([`plan`]). A task's fields a person edited are kept ([`vtodo::update`]). Tasks whose
//! UID tete did not make are never read for more than their UID, nor written.
//!
//! Pure: items, tasks found and tasks remembered in, planned changes out. The cycle reads
//! the list and writes the changes.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};

use crate::history::StoredTask;
use crate::sources::{CalendarSpec, Resource};

pub mod vtodo;

pub use vtodo::{Fields, Found, Status};

/// Config `[tasks]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The task list: a `[[calendar]]` entry (vdir or CalDAV) named by `list`.
    pub list: CalendarSpec,
    /// Whose items become tasks.
    pub owner: Owners,
    /// Create the CalDAV calendar (MKCALENDAR, VTODO) when it is missing.
    pub create: bool,
}

/// Whose items become tasks (`[tasks] owner`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Owners {
    /// Items owned by the manager (`"me"`, the default): the owner written is the
    /// manager's name or first name, the local part of one of their addresses, or "me".
    #[default]
    Me,
    /// Every item of every 1:1 (`"all"`).
    All,
}

/// The UID of the task of item `key` of relationship `relationship`: stable for the item,
/// unique to it.
pub fn uid_for(relationship: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{relationship}\0{key}"));
    let hex = hex::encode(&digest[..12]);
    format!("{}{hex}", vtodo::UID_PREFIX)
}

/// The resource name of a new task.
pub fn href_for(uid: &str) -> String {
    format!("{uid}.ics")
}

/// An item that has (or gets) a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemTask {
    /// The relationship (counterpart key).
    pub relationship: String,
    /// The item's identity.
    pub key: String,
    /// The item as a checklist line.
    pub line: String,
    /// The date of the meeting it was first seen in.
    pub first_raised: NaiveDate,
    /// What its task should say.
    pub fields: Fields,
    /// Checked in a meeting's notes: its task is completed.
    pub done: bool,
}

impl ItemTask {
    /// Its task's UID.
    pub fn uid(&self) -> String {
        uid_for(&self.relationship, &self.key)
    }

    /// What tete remembers after writing its task at `href` in `list`.
    fn stored(&self, list: &str, href: &str, fields: &Fields, done: bool) -> StoredTask {
        StoredTask {
            uid: self.uid(),
            list: list.to_string(),
            relationship: self.relationship.clone(),
            key: self.key.clone(),
            line: self.line.clone(),
            first_raised: self.first_raised,
            href: href.to_string(),
            summary: fields.summary.clone(),
            due: fields.due.clone(),
            category: fields.category.clone(),
            description: fields.description.clone(),
            related_to: fields.related_to.clone(),
            done,
        }
    }
}

/// tete's fields as it last wanted them for a remembered task.
pub fn fields_of(task: &StoredTask) -> Fields {
    Fields {
        summary: task.summary.clone(),
        due: task.due.clone(),
        category: task.category.clone(),
        description: task.description.clone(),
        related_to: task.related_to.clone(),
    }
}

/// Every task of tete's in the list, by UID (a resource tete cannot read is skipped).
pub fn found(resources: &[Resource]) -> HashMap<String, Found> {
    let mut out = HashMap::new();
    for resource in resources {
        let Some(Ok(bytes)) = resource.item_bytes() else {
            continue;
        };
        // Most of a shared list is other tasks: only resources naming a UID of tete's are
        // parsed.
        if !bytes
            .windows(vtodo::UID_PREFIX.len())
            .any(|w| w == vtodo::UID_PREFIX.as_bytes())
        {
            continue;
        }
        for task in vtodo::read(&resource.href, resource.etag.as_deref(), &bytes) {
            out.insert(task.uid.clone(), task);
        }
    }
    out
}

/// The tasks of `list` a person finished since: completed, cancelled or deleted. Their
/// items are closed.
pub fn finished<'a>(
    list: &str,
    stored: &'a [StoredTask],
    found: &HashMap<String, Found>,
) -> Vec<&'a StoredTask> {
    stored
        .iter()
        .filter(|s| !s.done && s.list == list)
        .filter(|s| match found.get(&s.uid) {
            None => true,
            Some(f) => f.status != Status::Open,
        })
        .collect()
}

/// What a change does to a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A new task (`If-None-Match: *`).
    Create,
    /// tete's fields change (`If-Match`).
    Update,
    /// The item was checked in a meeting's notes: the task is completed (`If-Match`).
    Complete,
}

impl std::fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ChangeKind::Create => "new task",
            ChangeKind::Update => "task updated",
            ChangeKind::Complete => "task completed (checked in the notes)",
        })
    }
}

/// One planned change of one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What it does.
    pub kind: ChangeKind,
    /// The task list.
    pub list: String,
    /// The item.
    pub item: ItemTask,
    /// The task's resource.
    pub href: String,
    /// The task as read (`None` for a new one).
    pub before: Option<Vec<u8>>,
    /// The task as it will be written.
    pub after: Vec<u8>,
    /// What tete wanted last time (the merge's base; `None` for a new or adopted task).
    pub base: Option<Fields>,
    /// Fields a person and the notes both changed: the person's words are kept.
    pub conflicts: Vec<String>,
}

impl Change {
    /// The task's bytes after this change applied to `bytes` (read again after someone
    /// else wrote in between), `None` when nothing changes there any more.
    pub fn reapply(&self, bytes: &[u8], now: DateTime<Utc>) -> Option<Vec<u8>> {
        vtodo::update(
            bytes,
            &self.item.uid(),
            self.base.as_ref(),
            &self.item.fields,
            self.kind == ChangeKind::Complete,
            now,
        )
        .bytes
    }

    /// What tete remembers once it is written.
    pub fn stored(&self) -> StoredTask {
        self.item.stored(
            &self.list,
            &self.href,
            &self.item.fields,
            self.kind == ChangeKind::Complete,
        )
    }
}

/// What [`plan`] decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Tasks to write.
    pub changes: Vec<Change>,
    /// Tasks of tete's found that it did not remember (a state file started afresh): taken
    /// as they are, nothing written.
    pub adopted: Vec<StoredTask>,
}

/// The changes that bring the task list in line with `items` at `now`: a new task per item
/// without one, tete's fields updated (three-way, against what tete wanted last time), a
/// task completed for an item checked in the notes. Tasks tete is done with (completed,
/// deleted) are left alone, and so is every task not of tete's.
pub fn plan(
    list: &str,
    items: &[ItemTask],
    found: &HashMap<String, Found>,
    stored: &[StoredTask],
    now: DateTime<Utc>,
) -> Plan {
    // Tasks remembered in another list (the config named another since) are not this
    // list's: its tasks are made anew here.
    let stored: HashMap<&str, &StoredTask> = stored
        .iter()
        .filter(|s| s.list == list)
        .map(|s| (s.uid.as_str(), s))
        .collect();
    let mut plan = Plan::default();
    for item in items {
        let uid = item.uid();
        let remembered = stored.get(uid.as_str()).copied();
        if remembered.is_some_and(|s| s.done) {
            continue;
        }
        match (found.get(&uid), remembered) {
            (None, None) if !item.done => {
                let href = href_for(&uid);
                plan.changes.push(Change {
                    kind: ChangeKind::Create,
                    list: list.to_string(),
                    item: item.clone(),
                    href,
                    before: None,
                    after: vtodo::new_task(&uid, &item.fields, now),
                    base: None,
                    conflicts: Vec::new(),
                });
            }
            // Deleted by a person (its item is closed by `finished`), or never made.
            (None, _) => {}
            (Some(task), _) if task.status != Status::Open => {}
            (Some(task), None) if !item.done => {
                plan.adopted
                    .push(item.stored(list, &task.href, &task.fields, false));
            }
            (Some(task), remembered) => {
                let base = remembered
                    .map(fields_of)
                    .unwrap_or_else(|| task.fields.clone());
                let merged =
                    vtodo::update(&task.bytes, &uid, Some(&base), &item.fields, item.done, now);
                let Some(after) = merged.bytes else {
                    continue;
                };
                if crate::sources::write::same_calendar_data(&task.bytes, &after) {
                    continue;
                }
                plan.changes.push(Change {
                    kind: if item.done {
                        ChangeKind::Complete
                    } else {
                        ChangeKind::Update
                    },
                    list: list.to_string(),
                    item: item.clone(),
                    href: task.href.clone(),
                    before: Some(task.bytes.clone()),
                    after,
                    base: Some(base),
                    conflicts: merged.conflicts,
                });
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests;
