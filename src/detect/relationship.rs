//! Relationships: every 1:1 with the same person, whatever the series. A weekly series that
//! ends and a biweekly one that follows with the same person are one relationship whose
//! cadence changed, not two.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::{Counterpart, CounterpartKey, SamePerson, Verdict, first_name};
use crate::calendar::{EventMeta, RuleShape};

/// One 1:1 series (or single 1:1 event) of a relationship.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesRef {
    /// `UID`.
    pub uid: Arc<str>,
    /// `SUMMARY`.
    pub summary: Option<Arc<str>>,
    /// The shape of its `RRULE`, for the configured cadence.
    pub rule: Option<RuleShape>,
    /// Why it was detected.
    pub reason: String,
    /// True when one of the two declined the whole series (`PARTSTAT=DECLINED` on its
    /// master): it is not happening.
    pub declined: bool,
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
/// dropped: one-off meetings alone do not make a 1:1 relationship. `people` (the config's
/// `[[people]]`) says which addresses are one person, beyond what tete can tell.
pub fn group_relationships<'a>(
    detected: impl IntoIterator<Item = (&'a EventMeta, &'a Verdict)>,
    people: &[SamePerson],
) -> Vec<Relationship> {
    let mut by_key: BTreeMap<CounterpartKey, Relationship> = BTreeMap::new();
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
            declined: declined_by_either(ev),
        };
        if ev.recurring {
            entry.series.push(series);
        } else {
            entry.adhoc.push(series);
        }
    }
    merge_people_the_config_names(&mut by_key, people);
    merge_one_person_under_two_addresses(&mut by_key);
    merge_named_into_addressed(&mut by_key);
    explain_kept_apart(&mut by_key);
    by_key
        .into_values()
        .filter(|r| !r.series.is_empty())
        .collect()
}

/// Joins the relationships of the addresses each `[[people]]` entry lists into the first
/// address's (named as the entry says, when it does); `tete list --explain` says so.
fn merge_people_the_config_names(
    by_key: &mut BTreeMap<CounterpartKey, Relationship>,
    people: &[SamePerson],
) {
    for person in people {
        let Some(first) = person.addresses.first() else {
            continue;
        };
        let mut joined: Option<Relationship> = None;
        for address in &person.addresses {
            let Some(mut rel) = by_key.remove(address.as_str()) else {
                continue;
            };
            if address != first {
                for s in rel.series.iter_mut().chain(rel.adhoc.iter_mut()) {
                    s.reason.push_str(&format!(
                        " (joined with {first}: [[people]] lists {address} as the same person)"
                    ));
                }
            }
            match &mut joined {
                None => joined = Some(rel),
                Some(into) => {
                    into.series.extend(rel.series);
                    into.adhoc.extend(rel.adhoc);
                    if into.counterpart.name.is_none() {
                        into.counterpart.name = rel.counterpart.name;
                    }
                }
            }
        }
        if let Some(mut rel) = joined {
            rel.counterpart.email = Some(first.clone());
            if person.name.is_some() {
                rel.counterpart.name.clone_from(&person.name);
            }
            by_key.insert(rel.counterpart.key(), rel);
        }
    }
}

/// Says, in `--explain`, why two people who look alike stay two relationships: the same
/// first name only, or the same name on another domain (which `[[people]]` can join).
fn explain_kept_apart(by_key: &mut BTreeMap<CounterpartKey, Relationship>) {
    struct Named {
        key: CounterpartKey,
        name: String,
        email: String,
    }
    let people: Vec<Named> = by_key
        .iter()
        .filter_map(|(key, rel)| {
            let email = rel.counterpart.email.as_ref()?;
            rel.counterpart.name.as_ref()?;
            Some(Named {
                key: key.clone(),
                name: rel.counterpart.display().to_lowercase(),
                email: email.clone(),
            })
        })
        .collect();
    // Only people with the same first name can be look-alikes: compare within those groups,
    // not every pair (a big calendar has thousands of one-off counterparts).
    let mut by_first: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, person) in people.iter().enumerate() {
        by_first
            .entry(first_name(&person.name).to_lowercase())
            .or_default()
            .push(i);
    }
    let domain = |e: &str| e.rsplit_once('@').map(|(_, d)| d.to_string());
    // Named once each, at most: a big organisation has hundreds of people sharing a first
    // name, and listing every one in every one's reasons grew with the square of them.
    const FIRST_NAME_ONLY_SHOWN: usize = 3;
    for (i, person) in people.iter().enumerate() {
        let group = &by_first[&first_name(&person.name).to_lowercase()];
        let mut notes: Vec<String> = Vec::new();
        let mut first_name_only = 0;
        for other in group.iter().filter(|&&j| j != i).map(|&j| &people[j]) {
            if other.name == person.name {
                if domain(&other.email) != domain(&person.email) {
                    notes.push(format!(
                        " (kept apart from {}: the same name on another \
                         domain; [[people]] can join them)",
                        other.email
                    ));
                }
            } else {
                first_name_only += 1;
                if first_name_only <= FIRST_NAME_ONLY_SHOWN {
                    notes.push(format!(
                        " (kept apart from {}: only the first name is the same)",
                        other.email
                    ));
                }
            }
        }
        if first_name_only > FIRST_NAME_ONLY_SHOWN {
            notes.push(format!(
                " (and from {} more with only the first name the same)",
                first_name_only - FIRST_NAME_ONLY_SHOWN
            ));
        }
        if let Some(rel) = by_key.get_mut(&person.key) {
            for s in rel.series.iter_mut() {
                for note in &notes {
                    s.reason.push_str(note);
                }
            }
        }
    }
}

/// Whether one of the two declined the event as a whole: a 1:1's individuals are the
/// manager and the other person, so any individual's decline is one of theirs (rooms and
/// resources declining do not count).
fn declined_by_either(ev: &EventMeta) -> bool {
    ev.declined.iter().any(|p| !super::is_room_or_resource(p))
}

/// One person under two addresses (`ann@corp.example` from a Google-organized series,
/// `ann.okafor@corp.example` from an Outlook-organized one, both `CN=Ann Okafor`) is one
/// relationship: addresses on the same domain whose names are the same full name (two words
/// at least, "Okafor, Ann" read as "Ann Okafor", any case) are merged into the address with
/// the most series. A shared first name alone never merges two people. `tete list
/// --explain` says which series were joined and why.
fn merge_one_person_under_two_addresses(by_key: &mut BTreeMap<CounterpartKey, Relationship>) {
    let mut people: BTreeMap<(String, String), Vec<CounterpartKey>> = BTreeMap::new();
    for (key, rel) in by_key.iter() {
        let (Some(email), Some(_)) = (&rel.counterpart.email, &rel.counterpart.name) else {
            continue;
        };
        let Some((_, domain)) = email.rsplit_once('@') else {
            continue;
        };
        let full = rel.counterpart.display().to_lowercase();
        if full.split_whitespace().count() < 2 {
            continue;
        }
        people
            .entry((domain.to_string(), full))
            .or_default()
            .push(key.clone());
    }
    for keys in people.into_values().filter(|keys| keys.len() > 1) {
        let Some(target) = keys
            .iter()
            .max_by_key(|k| {
                (
                    by_key.get(*k).map_or(0, |r| r.series.len()),
                    std::cmp::Reverse(*k),
                )
            })
            .cloned()
        else {
            continue;
        };
        for key in keys.iter().filter(|k| **k != target) {
            let Some(mut from) = by_key.remove(key) else {
                continue;
            };
            for s in from.series.iter_mut().chain(from.adhoc.iter_mut()) {
                s.reason.push_str(&format!(
                    " (joined with {target}: {key} has the same name on the same domain)"
                ));
            }
            if let Some(into) = by_key.get_mut(&target) {
                into.series.extend(from.series);
                into.adhoc.extend(from.adhoc);
            }
        }
    }
}

fn merge_named_into_addressed(by_key: &mut BTreeMap<CounterpartKey, Relationship>) {
    let named: Vec<CounterpartKey> = by_key
        .keys()
        .filter(|k| k.is_name_only())
        .cloned()
        .collect();
    for key in named {
        let wanted = first_name(key.name_only().unwrap_or_default()).to_lowercase();
        let matches: Vec<CounterpartKey> = by_key
            .iter()
            .filter(|(k, r)| {
                !k.is_name_only()
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
            attendees: Box::default(),
            declined: Box::default(),
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
    fn the_config_joins_one_person_under_two_addresses_and_names_them() {
        let events = [ev("work", true), ev("private", true), ev("bo", true)];
        let verdicts = [
            yes(Some("ann@corp.example"), "Ann O."),
            yes(Some("annie@mail.example"), "Annie"),
            yes(Some("bo@corp.example"), "Bo"),
        ];
        let people = [SamePerson {
            addresses: vec!["ann@corp.example".into(), "annie@mail.example".into()],
            name: Some("Ann Okafor".into()),
        }];
        // Apart without the config: different names on different domains.
        assert_eq!(
            group_relationships(events.iter().zip(&verdicts), &[]).len(),
            3
        );
        let rels = group_relationships(events.iter().zip(&verdicts), &people);
        assert_eq!(rels.len(), 2);
        let ann = rels
            .iter()
            .find(|r| r.counterpart.email.as_deref() == Some("ann@corp.example"))
            .unwrap();
        assert_eq!(ann.counterpart.name.as_deref(), Some("Ann Okafor"));
        assert_eq!(ann.series.len(), 2);
        let joined = ann.series.iter().find(|s| &*s.uid == "private").unwrap();
        assert!(
            joined
                .reason
                .contains("[[people]] lists annie@mail.example"),
            "{}",
            joined.reason
        );
    }

    #[test]
    fn explain_says_why_look_alikes_stay_apart() {
        let events = [ev("a", true), ev("b", true), ev("c", true)];
        let verdicts = [
            yes(Some("ann@corp.example"), "Ann Berger"),
            yes(Some("ann@other.example"), "Ann Okafor"),
            yes(Some("ann.berger@home.example"), "Ann Berger"),
        ];
        let rels = group_relationships(events.iter().zip(&verdicts), &[]);
        assert_eq!(rels.len(), 3);
        let reason = |email: &str| {
            rels.iter()
                .find(|r| r.counterpart.email.as_deref() == Some(email))
                .unwrap()
                .series[0]
                .reason
                .clone()
        };
        let berger = reason("ann@corp.example");
        assert!(
            berger.contains("kept apart from ann@other.example: only the first name"),
            "{berger}"
        );
        assert!(
            berger.contains(
                "kept apart from ann.berger@home.example: the same name on another domain"
            ),
            "{berger}"
        );
    }

    #[test]
    fn many_people_sharing_a_first_name_are_counted_not_listed() {
        let names: Vec<(String, String)> = (0..50)
            .map(|i| (format!("ann{i}@corp.example"), format!("Ann Surname{i}")))
            .collect();
        let events: Vec<EventMeta> = (0..50).map(|i| ev(&format!("s{i}"), true)).collect();
        let verdicts: Vec<Verdict> = names.iter().map(|(e, n)| yes(Some(e), n)).collect();
        let rels = group_relationships(events.iter().zip(&verdicts), &[]);
        let reason = &rels[0].series[0].reason;
        assert_eq!(reason.matches("kept apart from").count(), 3, "{reason}");
        assert!(
            reason.ends_with("(and from 46 more with only the first name the same)"),
            "{reason}"
        );
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
        let rels = group_relationships(events.iter().zip(&verdicts), &[]);
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
        let rels = group_relationships(events.iter().zip(&verdicts), &[]);
        assert_eq!(rels.len(), 1);
        assert_eq!(rels[0].series.len(), 2);
    }

    #[test]
    fn one_person_under_two_addresses_is_one_relationship() {
        let events = [
            ev("google", true),
            ev("outlook", true),
            ev("outlook-2", true),
            ev("other-ann", true),
            ev("elsewhere", true),
        ];
        let verdicts = [
            yes(Some("ann@corp.example"), "Ann Okafor"),
            yes(Some("ann.okafor@corp.example"), "Okafor, Ann"),
            yes(Some("ann.okafor@corp.example"), "Okafor, Ann"),
            // Another Ann: a first name alone merges nothing.
            yes(Some("ann.lee@corp.example"), "Ann Lee"),
            // The same name at another company is another person.
            yes(Some("ann@partner.example"), "Ann Okafor"),
        ];
        let rels = group_relationships(events.iter().zip(&verdicts), &[]);
        assert_eq!(rels.len(), 3, "{rels:#?}");
        let okafor = rels
            .iter()
            .find(|r| r.counterpart.email.as_deref() == Some("ann.okafor@corp.example"))
            .unwrap();
        let uids: Vec<&str> = okafor.series.iter().map(|s| &*s.uid).collect();
        assert_eq!(uids, ["outlook", "outlook-2", "google"]);
        assert!(
            okafor.series[2]
                .reason
                .contains("joined with ann.okafor@corp.example"),
            "{}",
            okafor.series[2].reason
        );
    }

    #[test]
    fn one_off_meetings_alone_are_no_relationship() {
        let events = [ev("adhoc", false)];
        let verdicts = [yes(Some("x@example.com"), "X")];
        assert!(group_relationships(events.iter().zip(&verdicts), &[]).is_empty());
    }
}
