//! 1:1 detection: which events are meetings between me and exactly one other person.
//!
//! People decide first: the organizer and attendees, rooms and resources left out, must be
//! exactly me and one other person. Only when an event lists nobody but me (a private
//! calendar, a feed without attendees) do title conventions decide ("Ann / Mia 1:1"). The
//! config can force a series in or out by title pattern or UID. Every verdict carries its
//! reason in plain words, for `tete list --explain`.
//!
//! Pure: event metadata in, verdicts out.

use std::collections::BTreeSet;

use regex::Regex;

use crate::calendar::{EventMeta, Person, PersonKind};

mod relationship;
mod title;

pub use relationship::{Relationship, SeriesRef, group_relationships};
pub use title::TitleSays;
pub use title::reads_like_a_1on1;

/// Who "me" is: the manager's addresses and names.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    emails: BTreeSet<String>,
    names: BTreeSet<String>,
}

impl Identity {
    /// An identity from addresses (any case, `mailto:` allowed) and display names.
    pub fn new<'a>(
        emails: impl IntoIterator<Item = &'a str>,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Identity {
        let emails = emails
            .into_iter()
            .map(|e| e.trim().trim_start_matches("mailto:").to_lowercase())
            .filter(|e| !e.is_empty())
            .collect();
        let names = names.into_iter().flat_map(name_keys).collect();
        Identity { emails, names }
    }

    /// True when there is at least one address.
    pub fn is_known(&self) -> bool {
        !self.emails.is_empty()
    }

    /// Adds the `CN` given to my addresses in these events: calendars know my name better
    /// than the config does.
    pub fn learn_names<'a>(&mut self, events: impl IntoIterator<Item = &'a EventMeta>) {
        // My name is on most of a big calendar's events, written the same few ways: each
        // way is learned once.
        let mut learned: foldhash::HashSet<&str> = foldhash::HashSet::default();
        for ev in events {
            for p in ev.organizer.iter().chain(&ev.attendees) {
                if let Some(name) = &p.name
                    && !learned.contains(&**name)
                    && self.is_me(p)
                {
                    learned.insert(name);
                    self.learn_name(name);
                }
            }
        }
    }

    /// Learns one of my names (as written on one of my addresses).
    pub fn learn_name(&mut self, name: &str) {
        self.names.extend(name_keys(name));
    }

    /// True when this participant is me: one of my addresses, or, for a participant
    /// without an address (Outlook writes `invalid:nomail` when it cannot resolve one), my
    /// full name.
    pub fn is_me(&self, p: &Person) -> bool {
        match (&p.email, &p.name) {
            (Some(e), _) => self.emails.contains(&**e),
            (None, Some(name)) => {
                let full = name.trim().to_lowercase();
                full.split_whitespace().count() >= 2 && self.names.contains(&full)
            }
            (None, None) => false,
        }
    }

    /// True when a name written in a title is mine (full name or first name).
    pub fn is_my_name(&self, name: &str) -> bool {
        name_keys(name).iter().any(|k| self.names.contains(k))
    }

    /// True when an action item's owner (`Mia`, `@mia`, `me`) is me: my name or first
    /// name, the part before `@` of one of my addresses, or "me".
    pub fn owns(&self, owner: &str) -> bool {
        let owner = owner.trim().trim_start_matches('@').to_lowercase();
        owner == "me"
            || self.is_my_name(&owner)
            || self
                .emails
                .iter()
                .any(|e| e.split('@').next().is_some_and(|local| local == owner))
    }
}

/// The lower-cased full name (as written, and in "First Last" order) and first name:
/// titles often use first names only.
fn name_keys(name: &str) -> Vec<String> {
    let full = name.trim().to_lowercase();
    let (given, family) = given_and_family(&full);
    let natural = format!("{given} {family}").trim().to_string();
    let first = first_name(&full);
    [full, natural, first]
        .into_iter()
        .filter(|k| !k.is_empty())
        .collect()
}

/// "Berger, Ann" (how Exchange writes names) is ("Ann", "Berger"); "Ann Berger, PhD" and
/// "Ann Berger" are ("Ann Berger", "").
fn given_and_family(name: &str) -> (&str, &str) {
    const SUFFIXES: [&str; 8] = ["jr", "jr.", "sr", "sr.", "phd", "md", "ii", "iii"];
    match name.split_once(',') {
        Some((family, given))
            if !given.trim().is_empty()
                && !SUFFIXES.contains(&given.trim().to_lowercase().as_str()) =>
        {
            (given.trim(), family.trim())
        }
        _ => (name.trim(), ""),
    }
}

/// The first name: "Ann Berger" and "Berger, Ann" (Exchange's order) give "Ann".
pub fn first_name(name: &str) -> String {
    let (given, _) = given_and_family(name);
    given
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_end_matches(',')
        .to_string()
}

/// Config overrides: title patterns and UIDs forced in or out.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Titles matching any of these are 1:1s.
    pub include_titles: Vec<Regex>,
    /// Titles matching any of these are not.
    pub exclude_titles: Vec<Regex>,
    /// UIDs that are 1:1s.
    pub include_uids: BTreeSet<String>,
    /// UIDs that are not.
    pub exclude_uids: BTreeSet<String>,
    /// People known under several addresses (config `[[people]]`).
    pub people: Vec<SamePerson>,
}

/// One person under several addresses, as the config says (`[[people]]`): their 1:1s are one
/// relationship, under the first address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SamePerson {
    /// Their addresses, lower-cased, the first one the relationship's.
    pub addresses: Vec<String>,
    /// How to name them, when the config says.
    pub name: Option<String>,
}

/// Who a relationship is with, as tete keys it (and the state file stores it): the address,
/// else `name:` and the lower-cased name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CounterpartKey(String);

impl CounterpartKey {
    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for a person known only by a name (from a title), with no address.
    pub fn is_name_only(&self) -> bool {
        self.0.starts_with(NAME_ONLY)
    }

    /// The lower-cased name of a person known only by a name.
    pub fn name_only(&self) -> Option<&str> {
        self.0.strip_prefix(NAME_ONLY)
    }
}

/// How a key marks a person known only by a name.
const NAME_ONLY: &str = "name:";

impl PartialEq<&str> for CounterpartKey {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl std::borrow::Borrow<str> for CounterpartKey {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CounterpartKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The other person of a 1:1.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Counterpart {
    /// Their address, lower-cased, when the event lists them.
    pub email: Option<String>,
    /// Their name, when known.
    pub name: Option<String>,
}

impl Counterpart {
    fn from_person(p: &Person) -> Counterpart {
        Counterpart {
            email: p.email.as_deref().map(str::to_string),
            name: p.name.as_deref().map(str::to_string),
        }
    }

    /// The key relationships are grouped by: the address, else `name:` and the lower-cased
    /// name.
    pub fn key(&self) -> CounterpartKey {
        CounterpartKey(match (&self.email, &self.name) {
            (Some(e), _) => e.clone(),
            (None, Some(n)) => format!("{NAME_ONLY}{}", n.to_lowercase()),
            (None, None) => "unknown".to_string(),
        })
    }

    /// The first name, for sentences: "Ann" from "Ann Berger" and from "Berger, Ann"
    /// (the form Exchange directories use).
    pub fn first_name(&self) -> String {
        first_name(&self.display())
    }

    /// The name to show, as people read it: "Dana Whitfield" also when Exchange's directory
    /// writes `CN="Whitfield, Dana"`.
    pub fn display(&self) -> String {
        match (&self.name, &self.email) {
            (Some(n), _) => match given_and_family(n) {
                (given, "") => given.to_string(),
                (given, family) => format!("{given} {family}"),
            },
            (None, Some(e)) => e.split('@').next().unwrap_or(e).to_string(),
            (None, None) => "someone".to_string(),
        }
    }
}

/// What detection decided about one event, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The other person, when it is a 1:1.
    pub counterpart: Option<Counterpart>,
    /// Why, in plain words.
    pub reason: String,
}

impl Verdict {
    fn yes(counterpart: Counterpart, reason: impl Into<String>) -> Verdict {
        Verdict {
            counterpart: Some(counterpart),
            reason: reason.into(),
        }
    }

    fn no(reason: impl Into<String>) -> Verdict {
        Verdict {
            counterpart: None,
            reason: reason.into(),
        }
    }

    /// True for a 1:1.
    pub fn is_one_on_one(&self) -> bool {
        self.counterpart.is_some()
    }
}

/// Decides whether `ev` is a 1:1 of `me`.
pub fn classify(ev: &EventMeta, me: &Identity, overrides: &Overrides) -> Verdict {
    let title = ev.summary.as_deref().unwrap_or("");
    if overrides.exclude_uids.contains(&*ev.uid) {
        return Verdict::no("excluded by UID in the config");
    }
    if let Some(re) = overrides
        .exclude_titles
        .iter()
        .find(|re| re.is_match(title))
    {
        return Verdict::no(format!("excluded by the config's title pattern /{re}/"));
    }
    let by_people = by_people(ev, me);
    let forced = if overrides.include_uids.contains(&*ev.uid) {
        Some("included by UID in the config".to_string())
    } else {
        overrides
            .include_titles
            .iter()
            .find(|re| re.is_match(title))
            .map(|re| format!("included by the config's title pattern /{re}/"))
    };
    match (forced, by_people) {
        (None, verdict) if verdict.is_one_on_one() => match title::slot_word(title) {
            Some(word) => Verdict::no(format!(
                "a recurring slot, not a 1:1: the title says {word:?} (a default exclusion; \
                 [detect] include_titles makes it a 1:1)"
            )),
            None => verdict,
        },
        (None, verdict) => verdict,
        (Some(why), verdict) if verdict.is_one_on_one() => Verdict {
            reason: why,
            ..verdict
        },
        (Some(why), _) => {
            let others = other_people(ev, me);
            let counterpart = match others.as_slice() {
                [one] => Counterpart::from_person(one),
                _ => Counterpart {
                    email: None,
                    name: Some(title.to_string()),
                },
            };
            Verdict::yes(counterpart, why)
        }
    }
}

/// Everyone taking part who is not me, not a room or resource; one entry per address.
/// Someone listed once with an address and once without, under the same name (Outlook's
/// `invalid:nomail`), is one person.
fn other_people<'a>(ev: &'a EventMeta, me: &Identity) -> Vec<&'a Person> {
    let people: Vec<&Person> = ev
        .organizer
        .iter()
        .chain(&ev.attendees)
        .filter(|p| !me.is_me(p) && !is_room_or_resource(p) && !is_calendar(p))
        .collect();
    let key = |name: &str| name.trim().to_lowercase();
    // Only someone without an address is looked up by name: most events have no such
    // participant, and build no set.
    let addressed: BTreeSet<String> = match people.iter().any(|p| p.email.is_none()) {
        true => people
            .iter()
            .filter(|p| p.email.is_some())
            .filter_map(|p| p.name.as_deref().map(key))
            .collect(),
        false => BTreeSet::new(),
    };
    // A handful of people: a list searched beats a set built.
    let mut seen: Vec<&Option<std::sync::Arc<str>>> = Vec::with_capacity(people.len());
    people
        .into_iter()
        .filter(|p| {
            p.email.is_some()
                || !p
                    .name
                    .as_deref()
                    .is_some_and(|n| addressed.contains(&key(n)))
        })
        .filter(|p| {
            let id = if p.email.is_some() { &p.email } else { &p.name };
            let new = !seen.contains(&id);
            if new {
                seen.push(id);
            }
            new
        })
        .collect()
}

fn by_people(ev: &EventMeta, me: &Identity) -> Verdict {
    let everyone = || ev.organizer.iter().chain(&ev.attendees);
    let rooms = everyone().filter(|p| is_room_or_resource(p)).count();
    let includes_me = everyone().any(|p| me.is_me(p));
    let others = other_people(ev, me);
    if others.iter().any(|p| p.kind == PersonKind::Group) {
        return Verdict::no("a group or mailing list is invited");
    }
    match others.len() {
        0 => by_title(ev, me, rooms),
        1 if includes_me => Verdict::yes(
            Counterpart::from_person(others[0]),
            format!(
                "exactly two people: me and {}{}",
                others[0].display_name(),
                rooms_note(rooms)
            ),
        ),
        1 if ev.attendees.is_empty() => by_title(ev, me, rooms),
        1 => Verdict::no(format!(
            "I am not among the participants (only {})",
            others[0].display_name()
        )),
        n => Verdict::no(format!("{} people besides me", n)),
    }
}

fn rooms_note(rooms: usize) -> &'static str {
    match rooms {
        0 => "",
        1 => " (plus a room, which does not count)",
        _ => " (plus rooms, which do not count)",
    }
}

fn by_title(ev: &EventMeta, me: &Identity, rooms: usize) -> Verdict {
    let title = ev.summary.as_deref().unwrap_or("");
    let nobody = if rooms > 0 {
        "nobody but me and a room"
    } else {
        "nobody but me"
    };
    match title::read(title) {
        TitleSays::Block(what) => Verdict::no(format!("{nobody}, and the title is {what}")),
        TitleSays::Nothing => Verdict::no(format!("{nobody}, and the title is not a 1:1 title")),
        TitleSays::OneOnOne { names, convention } => {
            let others: Vec<&String> = names.iter().filter(|n| !me.is_my_name(n)).collect();
            match (names.len(), others.as_slice()) {
                (1, [other]) | (2, [other]) => Verdict::yes(
                    Counterpart {
                        email: None,
                        name: Some((*other).clone()),
                    },
                    format!("{nobody} is invited; {convention} ({other})"),
                ),
                (2, [_, _]) => Verdict::no(format!(
                    "{nobody}; the title names two people and neither is me (set [me] name)"
                )),
                _ => Verdict::no(format!("{nobody}; the title names only me")),
            }
        }
    }
}

/// Calendars, not people: an event created on a secondary Google calendar has that
/// calendar (`…@group.calendar.google.com`; imported ones `…@import.calendar.google.com`)
/// as its organizer.
fn is_calendar(p: &Person) -> bool {
    p.email
        .as_deref()
        .and_then(|e| e.split_once('@'))
        .is_some_and(|(_, domain)| {
            domain.ends_with(".calendar.google.com") && domain != "resource.calendar.google.com"
        })
}

/// Rooms and resources by `CUTYPE`, and by the addresses calendar systems give them
/// (Google's `@resource.calendar.google.com`, Exchange's `room-…`/`conf-…` mailboxes).
pub fn is_room_or_resource(p: &Person) -> bool {
    if matches!(p.kind, PersonKind::Room | PersonKind::Resource) {
        return true;
    }
    let Some(email) = &p.email else {
        return false;
    };
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    domain.starts_with("resource.")
        || domain.contains(".resource.")
        || domain == "resource.calendar.google.com"
        || [
            "room",
            "rooms",
            "conf",
            "confroom",
            "meetingroom",
            "resource",
        ]
        .iter()
        .any(|prefix| {
            local
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '.', '_']))
        })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::calendar::reader::parse_content_line;

    fn meta(summary: &str, lines: &[&str]) -> EventMeta {
        let people: Vec<Person> = lines
            .iter()
            .map(|l| Person::from_property(&parse_content_line(l, 1).unwrap()))
            .collect();
        let (organizer, attendees) = match lines.first() {
            Some(l) if l.starts_with("ORGANIZER") => (Some(people[0].clone()), people[1..].into()),
            _ => (None, people.into_boxed_slice()),
        };
        EventMeta {
            uid: Arc::from("u"),
            origin: Arc::from("t.ics"),
            summary: Some(summary.into()),
            organizer,
            attendees,
            declined: Box::default(),
            recurring: true,
            rule: None,
        }
    }

    fn mia() -> Identity {
        Identity::new(
            ["mia@example.com", "mia.manager@corp.example"],
            ["Mia Manager"],
        )
    }

    fn check(ev: &EventMeta) -> Verdict {
        classify(ev, &mia(), &Overrides::default())
    }

    const MIA: &str = "ORGANIZER;CN=Mia Manager:mailto:mia@example.com";
    const ANN: &str = "ATTENDEE;CN=Ann Berger:mailto:ann@example.com";
    const BEN: &str = "ATTENDEE;CN=Ben:mailto:ben@example.com";
    const MIA_ATTENDEE: &str = "ATTENDEE:mailto:mia@example.com";
    const ROOM: &str = "ATTENDEE;CUTYPE=ROOM;CN=Fjord:mailto:room-fjord@example.com";

    #[test]
    fn an_item_owner_is_me_by_name_address_or_me() {
        let me = Identity::new(["Mia.Manager@example.com"], ["Mia Manager"]);
        for owner in ["Mia", "mia", "@mia.manager", "Mia Manager", "me", " @Me "] {
            assert!(me.owns(owner), "{owner}");
        }
        for owner in ["Ann", "@ann", "manager", "mi"] {
            assert!(!me.owns(owner), "{owner}");
        }
    }

    #[test]
    fn me_and_one_person_is_a_one_on_one_whatever_the_title() {
        let v = check(&meta(
            "Weekly sync",
            &[MIA, ANN, "ATTENDEE:mailto:MIA@example.com"],
        ));
        assert_eq!(
            v.counterpart.unwrap().email.as_deref(),
            Some("ann@example.com")
        );
        let v = check(&meta("Ann / Mia", &[MIA, ANN, ROOM]));
        assert!(v.reason.contains("room"), "{}", v.reason);
    }

    #[test]
    fn interview_slots_and_office_hours_are_not_1on1s_unless_the_config_says_so() {
        for title in [
            "Interview: backend candidate",
            "Office hours",
            "Phone screening",
        ] {
            let v = check(&meta(title, &[MIA, ANN]));
            assert!(!v.is_one_on_one(), "{title}: {}", v.reason);
            assert!(v.reason.contains("recurring slot"), "{title}: {}", v.reason);
        }
        // A 1:1 marker wins, and the config can include such a slot.
        assert!(check(&meta("1:1 Ann / Mia (interview prep)", &[MIA, ANN])).is_one_on_one());
        let overrides = Overrides {
            include_titles: vec![Regex::new("(?i)office hours").unwrap()],
            ..Overrides::default()
        };
        assert!(classify(&meta("Office hours", &[MIA, ANN]), &mia(), &overrides).is_one_on_one());
    }

    #[test]
    fn decoys_are_not() {
        assert!(!check(&meta("Ann / Mia 1:1", &[MIA, ANN, BEN])).is_one_on_one());
        assert!(!check(&meta("Planning", &[MIA, ROOM])).is_one_on_one());
        assert!(!check(&meta("1:1 prep", &[])).is_one_on_one());
        let google_room = "ATTENDEE;CN=Big Room:mailto:c_1889@resource.calendar.google.com";
        assert!(!check(&meta("Hold", &[MIA, google_room])).is_one_on_one());
        // someone else's 1:1 on a shared calendar
        let v = check(&meta(
            "Ann / Ben",
            &["ORGANIZER:mailto:ben@example.com", ANN],
        ));
        assert!(!v.is_one_on_one(), "{}", v.reason);
    }

    #[test]
    fn a_secondary_calendar_as_organizer_is_not_a_person() {
        let calendar = "ORGANIZER;CN=Mia's 1:1s:mailto:c_7f3e@group.calendar.google.com";
        let v = check(&meta(
            "Ann / Mia",
            &[calendar, "ATTENDEE:mailto:mia@example.com", ANN],
        ));
        assert_eq!(
            v.counterpart.unwrap().email.as_deref(),
            Some("ann@example.com")
        );
        // …and with only me besides it, the title decides.
        let v = check(&meta(
            "1:1 prep",
            &[calendar, "ATTENDEE:mailto:mia@example.com"],
        ));
        assert!(!v.is_one_on_one(), "{}", v.reason);
    }

    #[test]
    fn my_full_name_without_an_address_is_me() {
        // Outlook could not resolve my address.
        let nomail = "ATTENDEE;CN=Mia Manager;RSVP=TRUE:invalid:nomail";
        let organizer = "ORGANIZER;CN=Ann Berger:mailto:ann@example.com";
        let v = check(&meta("Sync", &[organizer, nomail]));
        assert_eq!(
            v.counterpart.unwrap().email.as_deref(),
            Some("ann@example.com")
        );
        // A first name alone is not enough.
        let mia = "ATTENDEE;CN=Mia:invalid:nomail";
        assert!(!check(&meta("Sync", &[organizer, mia])).is_one_on_one());
    }

    #[test]
    fn the_other_person_listed_again_without_an_address_is_one_person() {
        let organizer = "ORGANIZER;CN=Ann Berger:mailto:ann@example.com";
        let ann_nomail = "ATTENDEE;CN=Ann Berger:invalid:nomail";
        let v = check(&meta("Sync", &[organizer, ann_nomail, MIA_ATTENDEE]));
        assert_eq!(
            v.counterpart.unwrap().email.as_deref(),
            Some("ann@example.com")
        );
        // Two different people without addresses are still two.
        let bo = "ATTENDEE;CN=Bo Chen:invalid:nomail";
        assert!(!check(&meta("Sync", &[organizer, ann_nomail, bo, MIA_ATTENDEE])).is_one_on_one());
    }

    #[test]
    fn titles_decide_when_nobody_else_is_listed() {
        let v = check(&meta("Chloé / Mia weekly 1:1", &[]));
        assert_eq!(v.counterpart.unwrap().name.as_deref(), Some("Chloé"));
        let v = check(&meta("1:1 with Dev", &[MIA]));
        assert_eq!(v.counterpart.unwrap().key(), "name:dev");
        assert!(!check(&meta("Intro", &[])).is_one_on_one());
    }

    #[test]
    fn overrides_win() {
        let mut o = Overrides::default();
        o.exclude_titles.push(Regex::new("(?i)ann").unwrap());
        assert!(!classify(&meta("Ann / Mia", &[MIA, ANN]), &mia(), &o).is_one_on_one());
        let mut o = Overrides::default();
        o.include_uids.insert("u".into());
        let v = classify(&meta("Mentoring circle", &[MIA, ANN, BEN]), &mia(), &o);
        assert_eq!(
            v.counterpart.unwrap().name.as_deref(),
            Some("Mentoring circle")
        );
    }

    #[test]
    fn last_first_names_are_understood() {
        assert_eq!(first_name("Okafor, Ben"), "Ben");
        assert_eq!(first_name("Ann Berger, PhD"), "Ann");
        assert_eq!(first_name("Chloé"), "Chloé");
        // Exchange writes my name "Manager, Mia": "Ann / Mia 1:1" is still mine.
        let mut me = Identity::new(["mia@example.com"], []);
        me.learn_names([&meta(
            "x",
            &["ORGANIZER;CN=\"Manager, Mia\":mailto:mia@example.com"],
        )]);
        assert!(me.is_my_name("Mia") && me.is_my_name("Mia Manager"));
        let v = classify(&meta("Ann / Mia 1:1", &[]), &me, &Overrides::default());
        assert_eq!(v.counterpart.unwrap().key(), "name:ann");
    }

    #[test]
    fn exchange_names_are_shown_as_people_read_them() {
        let c = |name: &str| Counterpart {
            email: Some("d@x".into()),
            name: Some(name.into()),
        };
        assert_eq!(c("Whitfield, Dana").display(), "Dana Whitfield");
        assert_eq!(c("Whitfield, Dana").first_name(), "Dana");
        assert_eq!(c("Dana Whitfield").display(), "Dana Whitfield");
        assert_eq!(c("Dana Whitfield, PhD").display(), "Dana Whitfield, PhD");
    }

    #[test]
    fn first_names_from_both_orders() {
        assert_eq!(first_name("Ann Berger"), "Ann");
        assert_eq!(first_name("Berger, Ann Marie"), "Ann");
        assert_eq!(first_name("Chloé"), "Chloé");
        assert_eq!(first_name(","), "");
    }

    #[test]
    fn names_are_learned_from_the_calendar() {
        let mut me = Identity::new(["mia@example.com"], []);
        assert!(!me.is_my_name("Mia"));
        me.learn_names([&meta("x", &[MIA])]);
        assert!(me.is_my_name("Mia"));
    }
}
