//! The task list step of a cycle (`[tasks]`): open the list, close the items whose task a
//! person finished (before planning, so the agendas already leave them out), then bring the
//! tasks in line with the open items (after the agendas are written).
//!
//! The task list is a `[[calendar]]` entry and is read with the others: its tasks are not
//! events, so detection never sees them, and a list that also holds events (a server's
//! default calendar) is still read for 1:1s.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::{AgendaPlans, Gathered, Outcome};
use crate::detect::Identity;
use crate::history::{History, HistoryError, StoredTask};
use crate::http::HttpClient;
use crate::sources::caldav::SharedSyncState;
use crate::sources::write::{DEFAULT_ATTEMPTS, UpdateOutcome, update};
use crate::sources::{Precondition, Snapshot, Source};
use crate::tasks::{self, Change, ChangeKind, ItemTask, Owners};

/// The task list as read this cycle.
#[derive(Debug)]
pub struct TaskList {
    /// Its name (`[tasks] list`).
    pub name: String,
    /// Where it is.
    pub source: Source,
    /// tete's tasks in it, by UID.
    pub found: HashMap<String, tasks::Found>,
    /// It was missing and tete created it this cycle (in a dry run: would create it).
    pub created: bool,
}

/// What the task step did (or, in a dry run, would do).
#[derive(Debug, Default)]
pub struct TaskReport {
    /// The list's name, when `[tasks]` is set.
    pub list: Option<String>,
    /// Why the list could not be used this cycle.
    pub problem: Option<String>,
    /// The list was missing and was (in a dry run: would be) created.
    pub created: bool,
    /// The changes planned (written unless a dry run).
    pub planned: Vec<Change>,
    /// Tasks written.
    pub written: usize,
    /// Items closed because a person finished their task: the item's line.
    pub closed: Vec<String>,
    /// Tasks whose write failed: `(href, error)`.
    pub failures: Vec<(String, String)>,
}

/// What opening the list needs besides the calendars read.
pub struct ListAccess<'a> {
    /// Where feeds are cached (unused by a task list, needed to build a source).
    pub cache_dir: &'a Path,
    /// The HTTP client.
    pub http: &'a HttpClient,
    /// CalDAV sync state.
    pub sync_state: Option<&'a SharedSyncState>,
}

/// Opens the task list: as read with the calendars, else (it could not be read) fetched
/// here, and created first when `create` allows and this is no dry run: a CalDAV calendar
/// with MKCALENDAR (VTODO), a vdir folder made `0700`. A list created here is no longer
/// among the calendars that failed.
pub async fn open_task_list(
    gathered: &mut Gathered,
    settings: &tasks::Settings,
    access: &ListAccess<'_>,
    dry_run: bool,
) -> Result<TaskList, String> {
    let name = &settings.list.name;
    if let Some(read) = gathered.calendars.iter().find(|c| &c.name == name) {
        if !read.source.is_writable() {
            return Err(format!(
                "the task list {name:?} is read-only (a file or a feed): name a vdir or CalDAV calendar"
            ));
        }
        return Ok(list(name, read.source.clone(), &read.snapshot));
    }
    // Not among the calendars read: it failed (missing, perhaps), or the calendars came
    // from the command line.
    let source = Source::from_location(
        &settings.list.location,
        access.cache_dir,
        access.http,
        access.sync_state,
    )
    .map_err(|e| crate::errors::chain(&e))?;
    let (snapshot, created) = if settings.create {
        fetch_or_create(&source, dry_run)
            .await
            .map_err(|e| format!("the task list {name:?} cannot be created: {e}"))?
    } else {
        let snapshot = source.fetch().await.map_err(|e| {
            format!(
                "the task list {name:?} cannot be read ({}); create it, or set `create = true` in [tasks]",
                crate::errors::chain(&e)
            )
        })?;
        (snapshot, false)
    };
    gathered.failures.retain(|(n, _)| n != name);
    if created && !dry_run {
        tracing::info!(list = %name, "created the task list");
    }
    let mut list = list(name, source, &snapshot);
    list.created = created;
    Ok(list)
}

fn list(name: &str, source: Source, snapshot: &Snapshot) -> TaskList {
    TaskList {
        name: name.to_string(),
        source,
        found: tasks::found(&snapshot.resources),
        created: false,
    }
}

/// The list's resources, the list created first when missing unless `dry_run` (then it is
/// empty: it would be created); true when it was (or would be) created.
async fn fetch_or_create(source: &Source, dry_run: bool) -> Result<(Snapshot, bool), String> {
    let empty = Snapshot {
        resources: Default::default(),
        not_modified: false,
    };
    match source {
        Source::Caldav(caldav) => match caldav.sync().await {
            Ok((snapshot, _)) => Ok((snapshot, false)),
            Err(crate::sources::CaldavError::CalendarNotFound { .. }) if dry_run => {
                Ok((empty, true))
            }
            Err(crate::sources::CaldavError::CalendarNotFound { .. }) => caldav
                .fetch_or_create_for(&["VTODO"])
                .await
                .map(|snapshot| (snapshot, true))
                .map_err(|e| crate::errors::chain(&e)),
            Err(e) => Err(crate::errors::chain(&e)),
        },
        Source::Vdir(vdir) => {
            let missing = !vdir.path().exists();
            if dry_run && missing {
                return Ok((empty, true));
            }
            create_private_dir(vdir.path())?;
            let snapshot = source.fetch().await.map_err(|e| crate::errors::chain(&e))?;
            Ok((snapshot, missing))
        }
        Source::File(_) | Source::Feed(_) => {
            Err("a file or a feed is read-only: name a vdir or CalDAV calendar".into())
        }
        Source::Graph(_) => Err(
            "a Microsoft calendar holds no tasks (Microsoft To Do is another service): name a \
             vdir or CalDAV calendar"
                .into(),
        ),
    }
}

fn create_private_dir(path: &Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))
}

/// Closes the items whose task a person completed, cancelled or deleted since the last
/// cycle, so this cycle's agendas, items, digest and nudges leave them out.
pub fn close_finished_tasks(
    store: &mut dyn History,
    list: &TaskList,
    now: DateTime<Utc>,
    report: &mut TaskReport,
) -> Result<(), HistoryError> {
    let stored = store.tasks()?;
    for task in tasks::finished(&list.name, &stored, &list.found) {
        tracing::info!(item = %task.line, "the item's task was finished in the task list; item closed");
        store.close_task(task, now)?;
        report.closed.push(task.line.clone());
    }
    Ok(())
}

/// The items that have (or get) a task: every open item that qualifies, and every item
/// checked in the notes whose task tete still keeps (it is completed).
pub fn item_tasks(
    outcome: &Outcome,
    plans: &AgendaPlans,
    me: &Identity,
    owners: Owners,
    stored: &[StoredTask],
) -> Vec<ItemTask> {
    let mut me = me.clone();
    me.learn_names(outcome.detection.verdicts.iter().map(|(m, _)| m));
    let kept: HashMap<(&str, &str), &StoredTask> = stored
        .iter()
        .filter(|s| !s.done)
        .map(|s| ((s.relationship.as_str(), s.key.as_str()), s))
        .collect();
    let mut out = Vec::new();
    for (entry, (key, plan)) in outcome.entries.iter().zip(&plans.plans) {
        let relationship = key.as_str();
        let person = entry.relationship.counterpart.display();
        for open in &plan.open {
            let owner = open.item.owner.as_deref();
            let mine = owner.is_some_and(|o| me.owns(o));
            if owners == Owners::Me && !mine {
                continue;
            }
            let summary = match owner {
                Some(o) if !mine => format!("{}: {}", o.trim_start_matches('@'), open.item.text),
                _ => open.item.text.clone(),
            };
            let series = entry
                .occurrences
                .iter()
                .find(|o| o.scheduled.date_naive() == open.first_raised)
                .map(|o| o.series_uid.clone())
                .or_else(|| entry.relationship.series.first().map(|s| s.uid.to_string()))
                .unwrap_or_default();
            out.push(ItemTask {
                relationship: relationship.to_string(),
                key: open.item.key(),
                line: open.item.to_line(),
                first_raised: open.first_raised,
                fields: tasks::Fields {
                    summary,
                    due: open.item.due.map(tasks::vtodo::due_value),
                    category: person.clone(),
                    description: format!(
                        "An action item from your 1:1 with {person} on {}. Complete this task \
                         and tete closes the item in the next agenda.",
                        open.first_raised.format("%a %-d %b %Y")
                    ),
                    related_to: series,
                },
                done: false,
            });
        }
        for (item_key, _, _, done) in &plan.items_seen {
            if !done {
                continue;
            }
            if let Some(task) = kept.get(&(relationship, item_key.as_str())) {
                out.push(ItemTask {
                    relationship: task.relationship.clone(),
                    key: task.key.clone(),
                    line: task.line.clone(),
                    first_raised: task.first_raised,
                    fields: tasks::fields_of(task),
                    done: true,
                });
            }
        }
    }
    out.sort_by(|a, b| (&a.relationship, &a.key).cmp(&(&b.relationship, &b.key)));
    out.dedup_by(|a, b| a.relationship == b.relationship && a.key == b.key);
    out
}

/// Plans the task changes for `items` and, unless `dry_run`, writes them while
/// `keep_going` says so (checked between tasks): new tasks with `If-None-Match: *`, changes
/// with `If-Match` (read again and re-merged when someone wrote in between).
pub async fn sync_tasks(
    store: &mut dyn History,
    list: &TaskList,
    items: &[ItemTask],
    now: DateTime<Utc>,
    dry_run: bool,
    keep_going: &dyn Fn() -> bool,
    report: &mut TaskReport,
) -> Result<(), HistoryError> {
    let stored = store.tasks()?;
    let plan = tasks::plan(&list.name, items, &list.found, &stored, now);
    for adopted in &plan.adopted {
        store.record_task(adopted, now)?;
    }
    for change in &plan.changes {
        if !change.conflicts.is_empty() {
            tracing::warn!(
                task = %change.item.fields.summary,
                fields = %change.conflicts.join(", "),
                "the task and the meeting notes both changed: the task's own words are kept, the notes' added to its description"
            );
        }
    }
    report.planned = plan.changes;
    if dry_run {
        return Ok(());
    }
    if let Some(why) = refuses_tasks(&list.source, &report.planned).await {
        report.problem = Some(why);
        report.planned.retain(|c| c.kind != ChangeKind::Create);
    }
    for change in &report.planned {
        if !keep_going() {
            break;
        }
        match write(&list.source, change, now).await {
            Ok(written) => {
                store.record_task(&change.stored(), now)?;
                report.written += usize::from(written);
            }
            Err(e) => {
                tracing::warn!(task = %change.href, error = %e, "task not written");
                report.failures.push((change.href.clone(), e));
            }
        }
    }
    Ok(())
}

/// Why a CalDAV list cannot take new tasks (its calendar does not hold VTODO), asked of
/// the server only when there is a task to create.
async fn refuses_tasks(source: &Source, planned: &[Change]) -> Option<String> {
    let Source::Caldav(caldav) = source else {
        return None;
    };
    if !planned.iter().any(|c| c.kind == ChangeKind::Create) {
        return None;
    }
    match caldav.find_calendar().await {
        Ok(info) if !info.holds("VTODO") => Some(format!(
            "the task list {:?} holds only {}, not tasks (VTODO): name a task list in [tasks] list",
            info.name(),
            info.components.join(", ")
        )),
        Ok(_) => None,
        Err(e) => Some(crate::errors::chain(&e)),
    }
}

/// Writes one change; `Ok(false)` when, read again, nothing was left to change.
async fn write(source: &Source, change: &Change, now: DateTime<Utc>) -> Result<bool, String> {
    match change.kind {
        ChangeKind::Create => source
            .put(
                &change.href,
                Precondition::IfNoneMatch,
                change.after.clone(),
            )
            .await
            .map(|_| true)
            .map_err(|e| crate::errors::chain(&e)),
        ChangeKind::Update | ChangeKind::Complete => {
            update(source, &change.href, DEFAULT_ATTEMPTS, |bytes| {
                change.reapply(bytes, now)
            })
            .await
            .map(|outcome| matches!(outcome, UpdateOutcome::Written { .. }))
            .map_err(|e| crate::errors::chain(&e))
        }
    }
}
