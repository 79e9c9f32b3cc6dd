use chrono::TimeZone;

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).unwrap()
}

fn fields(summary: &str, due: Option<&str>) -> Fields {
    Fields {
        summary: summary.into(),
        due: due.map(str::to_string),
        category: "Ann Berger".into(),
        description: "From your 1:1 with Ann Berger".into(),
        related_to: "ann-weekly@x".into(),
    }
}

const UID: &str = "tete-task-1";

fn task(summary: &str, due: Option<&str>) -> Vec<u8> {
    new_task(UID, &fields(summary, due), now())
}

#[test]
fn a_new_task_reads_back_as_written() {
    let bytes = task("send the plan, today", Some("20261204"));
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains("DUE;VALUE=DATE:20261204\r\n"), "{text}");
    assert!(
        text.contains("SUMMARY:send the plan\\, today\r\n"),
        "{text}"
    );
    let found = read("a.ics", Some("e1"), &bytes);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].fields,
        fields("send the plan, today", Some("20261204"))
    );
    assert_eq!(found[0].status, Status::Open);
}

#[test]
fn tasks_not_of_tetes_are_not_read() {
    let other = String::from_utf8(task("x", None))
        .unwrap()
        .replace(UID, "someone-else");
    assert!(read("b.ics", None, other.as_bytes()).is_empty());
}

#[test]
fn nothing_changes_when_nothing_changed() {
    let bytes = task("plan", None);
    let f = fields("plan", None);
    assert_eq!(update(&bytes, UID, Some(&f), &f, false, now()).bytes, None);
}

#[test]
fn the_notes_change_reaches_the_task_and_a_persons_lines_survive() {
    let person = String::from_utf8(task("plan", None)).unwrap().replace(
        "STATUS:NEEDS-ACTION\r\n",
        "STATUS:NEEDS-ACTION\r\nPRIORITY:1\r\nX-PERSON;X-A=b:mine\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT1H\r\nEND:VALARM\r\n",
    );
    let base = fields("plan", None);
    let ours = fields("Plan the offsite", Some("20261210"));
    let merged = update(person.as_bytes(), UID, Some(&base), &ours, false, now());
    assert!(merged.conflicts.is_empty());
    let after = String::from_utf8(merged.bytes.unwrap()).unwrap();
    for line in [
        "PRIORITY:1\r\n",
        "X-PERSON;X-A=b:mine\r\n",
        "TRIGGER:-PT1H\r\n",
    ] {
        assert!(after.contains(line), "{line} kept in {after}");
    }
    assert_eq!(read("a", None, after.as_bytes())[0].fields, ours);
}

#[test]
fn a_persons_edit_is_kept_and_a_conflict_keeps_both() {
    let base = fields("plan", None);
    let edited = String::from_utf8(task("plan", None))
        .unwrap()
        .replace("SUMMARY:plan", "SUMMARY:plan (ask Bob)");
    // Only the person changed it: nothing to write.
    assert_eq!(
        update(edited.as_bytes(), UID, Some(&base), &base, false, now()).bytes,
        None
    );
    // Both changed: the person's summary stays, tete's words go into the description.
    let ours = fields("plan the offsite", None);
    let merged = update(edited.as_bytes(), UID, Some(&base), &ours, false, now());
    assert_eq!(merged.conflicts, ["SUMMARY"]);
    let found = read("a", None, &merged.bytes.unwrap()).remove(0);
    assert_eq!(found.fields.summary, "plan (ask Bob)");
    assert!(
        found
            .fields
            .description
            .contains("the meeting notes now say \u{201c}plan the offsite\u{201d}"),
        "{}",
        found.fields.description
    );
    // Written once: the next cycle changes nothing (tete remembers what it wanted).
    let again = update(&new_bytes(&found), UID, Some(&ours), &ours, false, now());
    assert_eq!(again.bytes, None);
}

fn new_bytes(found: &Found) -> Vec<u8> {
    found.bytes.clone()
}

#[test]
fn completing_sets_status_time_and_percent_once() {
    let bytes = task("plan", None);
    let f = fields("plan", None);
    let done = update(&bytes, UID, Some(&f), &f, true, now())
        .bytes
        .unwrap();
    let text = String::from_utf8(done.clone()).unwrap();
    assert!(text.contains("STATUS:COMPLETED\r\n"), "{text}");
    assert!(text.contains("COMPLETED:20261202T080000Z\r\n"), "{text}");
    assert!(text.contains("PERCENT-COMPLETE:100\r\n"), "{text}");
    assert_eq!(read("a", None, &done)[0].status, Status::Completed);
    assert_eq!(update(&done, UID, Some(&f), &f, true, now()).bytes, None);
}

#[test]
fn garbage_is_no_task_and_no_panic() {
    assert!(read("a", None, b"\xff\xfe not a calendar").is_empty());
    let f = fields("x", None);
    assert_eq!(
        update(b"BEGIN:VTODO\r\nUID", UID, Some(&f), &f, true, now()).bytes,
        None
    );
}

#[test]
fn a_field_a_person_removed_is_not_added_back() {
    let base = fields("plan", Some("20261204"));
    let stripped = String::from_utf8(task("plan", Some("20261204")))
        .unwrap()
        .replace("CATEGORIES:Ann Berger\r\n", "")
        .replace("DUE;VALUE=DATE:20261204\r\n", "");
    assert_eq!(
        update(stripped.as_bytes(), UID, Some(&base), &base, false, now()).bytes,
        None
    );
}
