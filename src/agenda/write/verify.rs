//! Reading a CalDAV resource back after a write: what the server changed in the written
//! series beyond the descriptions (`unexpected_changes`), which halts the calendar.

use std::collections::{BTreeMap, BTreeSet};

use super::super::plan::PlannedWrite;
use crate::calendar::{Component, Document};
use crate::sources::Source;

/// Reads a CalDAV resource back after a write and lists what the server changed in the
/// written series beyond the descriptions (an `EXDATE`, an occurrence gone, a `SEQUENCE`
/// bump, someone's answer). Servers that schedule do such things on their own; a vdir
/// has no server, so it is not read back.
pub(super) async fn verify(
    source: &Source,
    href: &str,
    sent: &[u8],
    writes: &[&PlannedWrite],
) -> Vec<String> {
    if !matches!(source, Source::Caldav(_)) {
        return Vec::new();
    }
    let now = match source.get(href).await {
        Ok(resource) => match resource.item_bytes() {
            Some(Ok(bytes)) => bytes.into_owned(),
            Some(Err(e)) => {
                return vec![format!(
                    "it could not be read back: {}",
                    crate::errors::chain(&e)
                )];
            }
            None => return Vec::new(),
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
        let name = str::to_ascii_uppercase(&p.name);
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
