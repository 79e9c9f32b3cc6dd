//! Relationships: every 1:1 with the same person, whatever the series. A weekly series that
//! ends and a biweekly one that follows with the same person are one relationship whose
//! cadence changed, not two.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Counterpart, Verdict, first_name};
use crate::calendar::{EventMeta, RuleShape};

/// One 1:1 series (or single 1:1 event) of a relationship.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesRef {
    /// `UID`.
    pub uid: Arc<str>,
    /// `SUMMARY`.
    pub summary: Option<String>,
    /// The shape of its `RRULE`, for the configured cadence.
    pub rule: Option<RuleShape>,
    /// Why it was detected.
    pub reason: String,
}

/// Every 1:1 with one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relationship {
    /// The other person.
    pub counterpart: Counterpart,
    /// Their recurring 1:1 series.
    pub series: Vec<SeriesRef>,
    /// Single (non-recurring) 1:1 events with them: ad-hoc meetings booked on the side.
    pub adhoc: Vec<SeriesRef>,
}

/// Groups detected 1:1s by counterpart (address, else name). A relationship known only by
/// a name from a title joins the one relationship with an address whose person has that
/// (first) name, when exactly one does. Relationships without any recurring series are
/// dropped: one-off meetings alone do not make a 1:1 relationship.
pub fn group_relationships<'a>(
    detected: impl IntoIterator<Item = (&'a EventMeta, &'a Verdict)>,
) -> Vec<Relationship> {
    let mut by_key: BTreeMap<String, Relationship> = BTreeMap::new();
    for (ev, verdict) in detected {
        let Some(counterpart) = &verdict.counterpart else {
            continue;
        };
        let entry = by_key
            .entry(counterpart.key())
            .or_insert_with(|| Relationship {
                counterpart: counterpart.clone(),
                series: Vec::new(),
                adhoc: Vec::new(),
            });
        if entry.counterpart.name.is_none() {
            entry.counterpart.name.clone_from(&counterpart.name);
        }
        let series = SeriesRef {
            uid: ev.uid.clone(),
            summary: ev.summary.clone(),
            rule: ev.rule.clone(),
            reason: verdict.reason.clone(),
        };
        if ev.recurring {
            entry.series.push(series);
        } else {
            entry.adhoc.push(series);
        }
    }
    merge_named_into_addressed(&mut by_key);
    by_key
        .into_values()
        .filter(|r| !r.series.is_empty())
        .collect()
}

fn merge_named_into_addressed(by_key: &mut BTreeMap<String, Relationship>) {
    let named: Vec<String> = by_key
        .keys()
        .filter(|k| k.starts_with("name:"))
        .cloned()
        .collect();
    for key in named {
        let wanted = first_name(key.trim_start_matches("name:")).to_lowercase();
        let matches: Vec<String> = by_key
            .iter()
            .filter(|(k, r)| {
                !k.starts_with("name:")
                    && r.counterpart
                        .name
                        .as_deref()
                        .is_some_and(|n| first_name(n).to_lowercase() == wanted)
            })
            .map(|(k, _)| k.clone())
            .collect();
        if let [target] = matches.as_slice()
            && let Some(from) = by_key.remove(&key)
            && let Some(into) = by_key.get_mut(target)
        {
            into.series.extend(from.series);
            into.adhoc.extend(from.adhoc);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(uid: &str, recurring: bool) -> EventMeta {
        EventMeta {
            uid: Arc::from(uid),
            origin: Arc::from("t"),
            summary: None,
            organizer: None,
            attendees: Vec::new(),
            recurring,
            rule: None,
        }
    }

    fn yes(email: Option<&str>, name: &str) -> Verdict {
        Verdict::yes(
            Counterpart {
                email: email.map(str::to_string),
                name: Some(name.to_string()),
            },
            "test",
        )
    }

    #[test]
    fn series_with_the_same_person_are_one_relationship() {
        let events = [
            ev("weekly", true),
            ev("biweekly", true),
            ev("adhoc", false),
            ev("old", true),
        ];
        let verdicts = [
            yes(Some("elif@example.com"), "Elif Yılmaz"),
            yes(Some("elif@example.com"), "Elif Yılmaz"),
            yes(Some("elif@example.com"), "Elif"),
            yes(None, "Elif"),
        ];
        let rels = group_relationships(events.iter().zip(&verdicts));
        assert_eq!(rels.len(), 1);
        let uids: Vec<&str> = rels[0].series.iter().map(|s| &*s.uid).collect();
        assert_eq!(uids, ["weekly", "biweekly", "old"]);
        assert_eq!(rels[0].adhoc.len(), 1);
    }

    #[test]
    fn a_title_only_series_joins_a_last_first_name() {
        let events = [ev("outlook", true), ev("private", true)];
        let verdicts = [
            yes(Some("ben@example.com"), "Okafor, Ben"),
            yes(None, "Ben"),
        ];
        let rels = group_relationships(events.iter().zip(&verdicts));
        assert_eq!(rels.len(), 1);
        assert_eq!(rels[0].series.len(), 2);
    }

    #[test]
    fn one_off_meetings_alone_are_no_relationship() {
        let events = [ev("adhoc", false)];
        let verdicts = [yes(Some("x@example.com"), "X")];
        assert!(group_relationships(events.iter().zip(&verdicts)).is_empty());
    }
}
