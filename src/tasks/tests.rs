use chrono::{NaiveDate, TimeZone};

use super::*;
use crate::sources::Content;
use crate::sources::Resource;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).unwrap()
}

fn item(text: &str, done: bool) -> ItemTask {
    ItemTask {
        relationship: "ann@x".into(),
        key: format!("mia: {text}"),
        line: format!("- [ ] Mia: {text}"),
        first_raised: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        fields: Fields {
            summary: text.into(),
            due: None,
            category: "Ann".into(),
            description: "From".into(),
            related_to: "s@x".into(),
        },
        done,
    }
}

fn resources(changes: &[Change]) -> Vec<Resource> {
    changes
        .iter()
        .map(|c| Resource {
            href: c.href.clone(),
            etag: Some("1".into()),
            content: Content::Memory(c.after.clone()),
        })
        .collect()
}

#[test]
fn uids_are_stable_and_distinct() {
    assert_eq!(uid_for("ann@x", "mia: plan"), uid_for("ann@x", "mia: plan"));
    assert_ne!(uid_for("ann@x", "mia: plan"), uid_for("bo@x", "mia: plan"));
    assert!(uid_for("a", "b").starts_with("tete-task-"));
}

#[test]
fn a_task_per_item_once_then_nothing_then_completed() {
    let items = [item("plan", false)];
    let first = plan("L", &items, &HashMap::new(), &[], now());
    assert_eq!(first.changes.len(), 1);
    assert_eq!(first.changes[0].kind, ChangeKind::Create);
    let stored: Vec<StoredTask> = first.changes.iter().map(Change::stored).collect();
    let found = found(&resources(&first.changes));
    assert!(plan("L", &items, &found, &stored, now()).changes.is_empty());
    assert!(finished("L", &stored, &found).is_empty());
    // Checked in the notes: completed.
    let done = plan("L", &[item("plan", true)], &found, &stored, now());
    assert_eq!(done.changes[0].kind, ChangeKind::Complete);
    assert!(done.changes[0].stored().done);
    // Gone from the list: finished; in another list: not this list's.
    assert_eq!(finished("L", &stored, &HashMap::new()).len(), 1);
    assert!(finished("M", &stored, &HashMap::new()).is_empty());
}

#[test]
fn a_task_found_but_not_remembered_is_adopted_unchanged() {
    let first = plan("L", &[item("plan", false)], &HashMap::new(), &[], now());
    let found = found(&resources(&first.changes));
    let mut changed = item("plan", false);
    changed.fields.description = "Other".into();
    let again = plan("L", &[changed], &found, &[], now());
    assert!(again.changes.is_empty());
    assert_eq!(again.adopted.len(), 1);
    assert_eq!(again.adopted[0].description, "From");
}
