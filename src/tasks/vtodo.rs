//! A task as iCalendar: tete's fields of a VTODO, reading them, writing a new task, and
//! changing an existing one with a three-way merge that keeps a person's words.
//!
//! tete's fields are `SUMMARY`, `DUE`, `CATEGORIES`, `DESCRIPTION` and `RELATED-TO`, and the
//! completion (`STATUS`, `COMPLETED`, `PERCENT-COMPLETE`) when an item is checked in a
//! meeting's notes. Every other line of a task (an alarm, a priority, a person's own
//! properties) is written back byte for byte ([`Document::to_ical_preserving`]).

use chrono::{DateTime, NaiveDate, Utc};

use crate::calendar::value::{parse_date, unescape_text};
use crate::calendar::{Component, Document, Param, Property};

/// Every task tete creates has a UID starting so.
pub const UID_PREFIX: &str = "tete-task-";

/// tete's fields of a task, as text (unescaped); `due` as `YYYYMMDD`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fields {
    /// `SUMMARY`: the item.
    pub summary: String,
    /// `DUE` (`VALUE=DATE`), when the item has a due date.
    pub due: Option<String>,
    /// `CATEGORIES`: the other person's name.
    pub category: String,
    /// `DESCRIPTION`: where the item came from.
    pub description: String,
    /// `RELATED-TO`: the 1:1 series' UID.
    pub related_to: String,
}

/// A task's state as people's apps write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Still to do (`NEEDS-ACTION`, `IN-PROCESS`, or no status).
    Open,
    /// Done (`STATUS:COMPLETED`, or a `COMPLETED` time).
    Completed,
    /// `STATUS:CANCELLED`: nobody will do it; the item is closed too.
    Cancelled,
}

/// A task of tete's found in the task list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Its UID.
    pub uid: String,
    /// Its resource.
    pub href: String,
    /// Its etag, as read.
    pub etag: Option<String>,
    /// tete's fields as they are now.
    pub fields: Fields,
    /// Done or not.
    pub status: Status,
    /// The resource as read.
    pub bytes: Vec<u8>,
}

/// The due date as a `DUE;VALUE=DATE` value.
pub fn due_value(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

/// Every task of tete's in a resource (normally one).
pub fn read(href: &str, etag: Option<&str>, bytes: &[u8]) -> Vec<Found> {
    let Ok((doc, _)) = Document::read(bytes, href) else {
        return Vec::new();
    };
    todos(&doc)
        .filter_map(|todo| {
            let uid = todo.value("UID")?.trim();
            uid.starts_with(UID_PREFIX).then(|| Found {
                uid: uid.to_string(),
                href: href.to_string(),
                etag: etag.map(str::to_string),
                fields: fields_of(todo),
                status: status_of(todo),
                bytes: bytes.to_vec(),
            })
        })
        .collect()
}

fn todos(doc: &Document) -> impl Iterator<Item = &Component> {
    doc.components.iter().flat_map(|c| {
        std::iter::once(c)
            .filter(|c| c.name == "VTODO")
            .chain(c.components.iter().filter(|c| c.name == "VTODO"))
    })
}

fn todo_mut<'a>(doc: &'a mut Document, uid: &str) -> Option<&'a mut Component> {
    doc.components
        .iter_mut()
        .flat_map(|c| {
            if c.name == "VTODO" {
                vec![c]
            } else {
                c.components
                    .iter_mut()
                    .filter(|c| c.name == "VTODO")
                    .collect()
            }
        })
        .find(|c| c.value("UID").map(str::trim) == Some(uid))
}

fn text_of(todo: &Component, name: &str) -> String {
    todo.value(name)
        .map(|v| unescape_text(v).into_owned())
        .unwrap_or_default()
}

fn fields_of(todo: &Component) -> Fields {
    Fields {
        summary: text_of(todo, "SUMMARY"),
        due: todo.value("DUE").map(|raw| {
            // A date, or a date-time a person's app turned it into: compared as written.
            let raw = raw.trim();
            match parse_date(raw) {
                Some(d) if raw.len() == 8 => due_value(d),
                _ => raw.to_string(),
            }
        }),
        category: text_of(todo, "CATEGORIES"),
        description: text_of(todo, "DESCRIPTION"),
        related_to: todo
            .value("RELATED-TO")
            .map(|v| v.trim().to_string())
            .unwrap_or_default(),
    }
}

fn status_of(todo: &Component) -> Status {
    match todo.value("STATUS").map(|s| s.trim().to_ascii_uppercase()) {
        Some(s) if s == "COMPLETED" => Status::Completed,
        Some(s) if s == "CANCELLED" => Status::Cancelled,
        _ if todo.property("COMPLETED").is_some() => Status::Completed,
        _ => Status::Open,
    }
}

fn utc(now: DateTime<Utc>) -> String {
    now.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A new task's whole resource.
pub fn new_task(uid: &str, fields: &Fields, now: DateTime<Utc>) -> Vec<u8> {
    let mut calendar = Component::new("VCALENDAR");
    calendar.set_value("VERSION", "2.0");
    calendar.set_value("PRODID", "-//tete//tasks//EN");
    let mut todo = Component::new("VTODO");
    todo.set_value("UID", uid);
    todo.set_value("DTSTAMP", utc(now));
    todo.set_value("CREATED", utc(now));
    set_fields(&mut todo, fields, &Fields::default(), true);
    todo.set_value("STATUS", "NEEDS-ACTION");
    calendar.components.push(todo);
    Document {
        components: vec![calendar],
    }
    .to_ical()
    .into_bytes()
}

/// Writes `fields` into `todo` where they differ from `current` (all when `all`).
fn set_fields(todo: &mut Component, fields: &Fields, current: &Fields, all: bool) {
    if all || fields.summary != current.summary {
        todo.set_text("SUMMARY", &fields.summary);
    }
    if all || fields.due != current.due {
        set_due(todo, fields.due.as_deref());
    }
    if (all || fields.category != current.category) && !fields.category.is_empty() {
        todo.set_text("CATEGORIES", &fields.category);
    }
    if all || fields.description != current.description {
        todo.set_text("DESCRIPTION", &fields.description);
    }
    if (all || fields.related_to != current.related_to) && !fields.related_to.is_empty() {
        todo.set_value("RELATED-TO", fields.related_to.clone());
    }
}

/// Sets `DUE;VALUE=DATE`, in place of the old one, or removes it.
fn set_due(todo: &mut Component, due: Option<&str>) {
    let at = todo
        .properties
        .iter()
        .position(|p| !p.unparsed && p.name.eq_ignore_ascii_case("DUE"));
    let Some(due) = due else {
        if let Some(at) = at {
            todo.properties.remove(at);
        }
        return;
    };
    let mut property = Property::new("DUE", due);
    property.params.push(Param {
        name: "VALUE".into(),
        values: vec!["DATE".into()],
    });
    match at {
        Some(at) => todo.properties[at] = property,
        None => todo.properties.push(property),
    }
}

/// What a merge decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The task's new bytes; `None` when nothing changes.
    pub bytes: Option<Vec<u8>>,
    /// Fields both a person and the notes changed: the person's words are kept, and what
    /// the notes say now is added to the description.
    pub conflicts: Vec<String>,
}

/// One field's three-way merge: `base` is what tete wanted last time, `theirs` what the
/// task says now, `ours` what tete wants now. A field only a person changed keeps their
/// words; one only the notes changed takes tete's; when both changed, the person's words
/// stay and the caller is told (`Err`).
fn merge_field<T: PartialEq + Clone>(base: &T, theirs: &T, ours: &T) -> Result<T, T> {
    if theirs == base || theirs == ours {
        Ok(ours.clone())
    } else if ours == base {
        Ok(theirs.clone())
    } else {
        Err(theirs.clone())
    }
}

/// Changes task `uid` in `bytes`: tete's fields merged with a person's edits (`base` is
/// what tete wanted last time; `None` adopts the task as it is), and completed when
/// `complete`. Returns `None` bytes when nothing would change.
pub fn update(
    bytes: &[u8],
    uid: &str,
    base: Option<&Fields>,
    ours: &Fields,
    complete: bool,
    now: DateTime<Utc>,
) -> Merged {
    let unchanged = Merged {
        bytes: None,
        conflicts: Vec::new(),
    };
    let Ok((mut doc, _)) = Document::read(bytes, uid) else {
        return unchanged;
    };
    let Some(todo) = todo_mut(&mut doc, uid) else {
        return unchanged;
    };
    let theirs = fields_of(todo);
    let base = base.unwrap_or(&theirs);
    let mut conflicts = Vec::new();
    let mut field = |name: &str, b: &String, t: &String, o: &String| match merge_field(b, t, o) {
        Ok(v) => v,
        Err(kept) => {
            conflicts.push(name.to_string());
            kept
        }
    };
    let summary = field("SUMMARY", &base.summary, &theirs.summary, &ours.summary);
    let category = field(
        "CATEGORIES",
        &base.category,
        &theirs.category,
        &ours.category,
    );
    let description = field(
        "DESCRIPTION",
        &base.description,
        &theirs.description,
        &ours.description,
    );
    let related_to = field(
        "RELATED-TO",
        &base.related_to,
        &theirs.related_to,
        &ours.related_to,
    );
    let due = match merge_field(&base.due, &theirs.due, &ours.due) {
        Ok(v) => v,
        Err(kept) => {
            conflicts.push("DUE".to_string());
            kept
        }
    };
    let mut merged = Fields {
        summary,
        due,
        category,
        description,
        related_to,
    };
    if conflicts.iter().any(|c| c == "SUMMARY" || c == "DUE") {
        let note = conflict_note(ours);
        if !merged.description.contains(&note) {
            merged.description = format!("{}\n\n{note}", merged.description.trim_end());
        }
    }
    let completing = complete && status_of(todo) == Status::Open;
    if merged == theirs && !completing {
        return unchanged;
    }
    set_fields(todo, &merged, &theirs, false);
    if completing {
        todo.set_value("STATUS", "COMPLETED");
        todo.set_value("COMPLETED", utc(now));
        todo.set_value("PERCENT-COMPLETE", "100");
    }
    if todo.property("LAST-MODIFIED").is_some() {
        todo.set_value("LAST-MODIFIED", utc(now));
    }
    if todo.property("DTSTAMP").is_some() {
        todo.set_value("DTSTAMP", utc(now));
    }
    Merged {
        bytes: Some(doc.to_ical_preserving(bytes)),
        conflicts,
    }
}

/// What tete adds to a task's description when a person and the notes both changed it.
fn conflict_note(ours: &Fields) -> String {
    let due = ours
        .due
        .as_deref()
        .and_then(parse_date)
        .map(|d| format!(" (due {})", d.format("%Y-%m-%d")))
        .unwrap_or_default();
    format!(
        "tete: the meeting notes now say \u{201c}{}\u{201d}{due}; this task's own words are kept.",
        ours.summary
    )
}

#[cfg(test)]
mod tests;
