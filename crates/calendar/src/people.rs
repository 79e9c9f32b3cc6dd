//! Who takes part in an event, and what kind of event it is: the facts 1:1 detection needs
//! beyond times.
//!
//! [`EventMeta`] is read from one `VEVENT` (a series master or a single event, not an
//! override). It is opt-in on the [`super::Collector`] (`with_meta`), so a plain expansion
//! of a 100 MB file does not pay for attendee lists it never reads.

use std::sync::Arc;

use super::model::{Component, Property};
use super::reader::{PropertyView, views_named};
use super::recur::{RuleFrequency, RuleSpec};
use super::value;

/// What kind of calendar user a participant is (`CUTYPE`, RFC 5545 3.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonKind {
    /// A person (`INDIVIDUAL`, or no `CUTYPE`).
    Individual,
    /// A group or mailing list.
    Group,
    /// A room.
    Room,
    /// Equipment or another resource.
    Resource,
    /// Another value (`UNKNOWN`, an `X-` value).
    Unknown,
}

/// The most participants (organizer and attendees, rooms included) an event that may be a
/// 1:1 has: the two people and a room.
pub const MOST_PARTICIPANTS_OF_A_ONE_ON_ONE: usize = 3;

/// True for the name of an `ORGANIZER` or `ATTENDEE` property (any case).
pub fn is_participant(name: &str) -> bool {
    name.eq_ignore_ascii_case("ATTENDEE") || name.eq_ignore_ascii_case("ORGANIZER")
}

/// One `ORGANIZER` or `ATTENDEE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The address, `mailto:` stripped and lower-cased; `None` when the value is not an
    /// address (some exports write a bare name).
    pub email: Option<Arc<str>>,
    /// `CN`, when given.
    pub name: Option<Arc<str>>,
    /// `CUTYPE`.
    pub kind: PersonKind,
}

impl Person {
    /// Reads an `ORGANIZER` or `ATTENDEE` property.
    pub fn from_property(p: &Property) -> Person {
        Self::read(p, &mut Interner::default())
    }

    /// [`Person::from_property`], sharing the address and name with the same ones read
    /// before through `shared`.
    pub fn read(p: &Property, shared: &mut Interner) -> Person {
        Self::read_view(&PropertyView::Parsed(p), shared)
    }

    /// [`Person::read`] of a property parsed or deferred by its reader.
    pub fn read_view(p: &PropertyView, shared: &mut Interner) -> Person {
        Self::read_with_reply(p, shared).0
    }

    /// [`Person::read_view`], and whether the person declined (`PARTSTAT=DECLINED`): the
    /// parameters are looked through once.
    fn read_with_reply(p: &PropertyView, shared: &mut Interner) -> (Person, bool) {
        let [cutype, cn, partstat] = p.params(["CUTYPE", "CN", "PARTSTAT"]);
        let declined = partstat.is_some_and(|v| v.trim().eq_ignore_ascii_case("DECLINED"));
        let raw = p.value().trim();
        let address = raw
            .get(..7)
            .filter(|scheme| scheme.eq_ignore_ascii_case("mailto:"))
            .map_or(raw, |_| &raw[7..])
            .trim();
        let is_address = address.contains('@') && !address.contains(char::is_whitespace);
        let email = is_address.then(|| shared.lowercase(address));
        let kind = match cutype {
            None => PersonKind::Individual,
            Some(c) if c.eq_ignore_ascii_case("INDIVIDUAL") => PersonKind::Individual,
            Some(c) if c.eq_ignore_ascii_case("GROUP") => PersonKind::Group,
            Some(c) if c.eq_ignore_ascii_case("ROOM") => PersonKind::Room,
            Some(c) if c.eq_ignore_ascii_case("RESOURCE") => PersonKind::Resource,
            Some(_) => PersonKind::Unknown,
        };
        let name = cn
            .filter(|cn| !cn.trim().is_empty())
            .map(|cn| shared.get(cn.trim()))
            .or_else(|| (!is_address && !address.is_empty()).then(|| shared.get(address)));
        (Person { email, name, kind }, declined)
    }

    /// The name to show: `CN`, else the part of the address before `@`.
    pub fn display_name(&self) -> String {
        match &self.name {
            Some(name) => name.to_string(),
            None => self
                .email
                .as_deref()
                .and_then(|e| e.split('@').next())
                .unwrap_or("someone")
                .to_string(),
        }
    }
}

/// One shared copy of each text that repeats across a calendar's events (addresses, names,
/// titles): a big calendar names the same few hundred people in tens of thousands of events,
/// and a copy per mention was a sixth of reading's memory.
///
/// Hashed with `foldhash` (seeded per process), not SipHash: every address, name and title
/// of a calendar is looked up here, and SipHash was most of the lookup's time.
#[derive(Debug, Default)]
pub struct Interner(foldhash::HashSet<Arc<str>>);

impl Interner {
    /// The shared copy of `text`.
    pub fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(known) = self.0.get(text) {
            return Arc::clone(known);
        }
        let new: Arc<str> = Arc::from(text);
        self.0.insert(Arc::clone(&new));
        new
    }

    /// The shared copy of `text` in lower case.
    fn lowercase(&mut self, text: &str) -> Arc<str> {
        if text.bytes().any(|b| b.is_ascii_uppercase()) || !text.is_ascii() {
            self.get(&text.to_lowercase())
        } else {
            self.get(text)
        }
    }
}

/// The shape of a series' first `RRULE`, for cadence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleShape {
    /// `DAILY`, `WEEKLY`, `MONTHLY`...
    pub freq: RuleFrequency,
    /// `INTERVAL` (1 when absent).
    pub interval: u16,
    /// How many week days `BYDAY` names (0 when absent).
    pub weekdays: usize,
}

impl From<&RuleSpec> for RuleShape {
    fn from(rule: &RuleSpec) -> Self {
        RuleShape {
            freq: rule.frequency(),
            interval: rule.interval(),
            weekdays: rule.weekday_count(),
        }
    }
}

/// The facts about one series master or single event that are not times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMeta {
    /// `UID` (`""` when none).
    pub uid: Arc<str>,
    /// Where it was read (file, feed, resource), for messages.
    pub origin: Arc<str>,
    /// `SUMMARY`, unescaped.
    pub summary: Option<Arc<str>>,
    /// `ORGANIZER`.
    pub organizer: Option<Person>,
    /// Every `ATTENDEE`, in order (a boxed slice, not a `Vec`: a big calendar holds tens of
    /// thousands of these, and a `Vec` grown by pushing kept room for a person more).
    pub attendees: Box<[Person]>,
    /// The attendees who declined the event itself (`PARTSTAT=DECLINED` on a series' master:
    /// the whole series).
    pub declined: Box<[Person]>,
    /// True when it has an `RRULE` or an `RDATE`.
    pub recurring: bool,
    /// The first usable `RRULE`.
    pub rule: Option<RuleShape>,
}

impl EventMeta {
    /// False for an event with more than three participants (organizer and attendees,
    /// rooms included): it cannot be a 1:1, and a big calendar's group meetings need not
    /// be kept in memory.
    pub fn may_be_one_on_one(ev: &Component) -> bool {
        ev.properties
            .iter()
            // Counted parsed or not (see `Reader::deferring`); a broken line has no name.
            .filter(|p| is_participant(&p.name))
            .take(MOST_PARTICIPANTS_OF_A_ONE_ON_ONE + 1)
            .count()
            <= MOST_PARTICIPANTS_OF_A_ONE_ON_ONE
    }

    /// Reads the meta of a `VEVENT` read from `origin`, whose UID is `uid` (shared with
    /// the event's other records) and whose first usable `RRULE` is `rule` (as the caller
    /// already read it: a big calendar's rules are parsed once), sharing its text with
    /// other events' through `shared`.
    pub fn from_event(
        ev: &Component,
        origin: &Arc<str>,
        uid: &Arc<str>,
        rule: Option<&RuleSpec>,
        shared: &mut Interner,
    ) -> EventMeta {
        let rule = rule.map(RuleShape::from);
        // Malformed lines are counted too: room for them is given back when boxed.
        let count = ev.properties_named("ATTENDEE").count();
        let (mut attendees, mut declined) = (Vec::with_capacity(count), Vec::new());
        for p in views_named(ev, "ATTENDEE") {
            let (person, said_no) = Person::read_with_reply(&p, shared);
            if said_no {
                declined.push(person.clone());
            }
            attendees.push(person);
        }
        EventMeta {
            uid: Arc::clone(uid),
            origin: origin.clone(),
            summary: ev
                .value("SUMMARY")
                .map(|s| shared.get(value::unescape_text(s).trim())),
            organizer: views_named(ev, "ORGANIZER")
                .next()
                .map(|p| Person::read_view(&p, shared)),
            attendees: attendees.into_boxed_slice(),
            declined: declined.into_boxed_slice(),
            recurring: ev.property("RRULE").is_some() || ev.property("RDATE").is_some(),
            rule,
        }
    }
}

/// The attendees of `ev` who declined it (`PARTSTAT=DECLINED`), in order.
pub fn declined(ev: &Component, shared: &mut Interner) -> Vec<Person> {
    views_named(ev, "ATTENDEE")
        .filter_map(|p| match Person::read_with_reply(&p, shared) {
            (person, true) => Some(person),
            (_, false) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::parse_content_line;

    fn person(line: &str) -> Person {
        Person::from_property(&parse_content_line(line, 1).unwrap())
    }

    #[test]
    fn reads_address_name_and_kind() {
        let p = person("ATTENDEE;CUTYPE=ROOM;CN=\"Room Fjord (8)\":MAILTO:Room-Fjord@Example.com");
        assert_eq!(p.email.as_deref(), Some("room-fjord@example.com"));
        assert_eq!(p.name.as_deref(), Some("Room Fjord (8)"));
        assert_eq!(p.kind, PersonKind::Room);
        let p = person("ATTENDEE:mailto:ann@example.com");
        assert_eq!(p.kind, PersonKind::Individual);
        assert_eq!(p.display_name(), "ann");
    }

    #[test]
    fn big_meetings_are_not_one_on_one_candidates() {
        let event = |n: usize| {
            let mut text = String::from("BEGIN:VEVENT\nUID:u\nORGANIZER:mailto:me@x\n");
            for i in 0..n {
                text.push_str(&format!("ATTENDEE:mailto:p{i}@x\n"));
            }
            text.push_str("END:VEVENT\n");
            let (doc, _) = crate::Document::parse(&text, "t").unwrap();
            doc.events()[0].clone()
        };
        assert!(EventMeta::may_be_one_on_one(&event(0)));
        assert!(
            EventMeta::may_be_one_on_one(&event(2)),
            "me, the other, a room"
        );
        assert!(!EventMeta::may_be_one_on_one(&event(3)));
    }

    #[test]
    fn participants_read_alike_parsed_or_deferred() {
        let text = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:u\nDTSTART:20260105T090000Z\n\
                    ORGANIZER;CN=\"Me, Myself\":mailto:Me@X.org\n\
                    attendee;PARTSTAT=DECLINED;CN=Ann ^'A^' B;CUTYPE=individual:mailto:ann@x.org\n\
                    ATTENDEE;CUTYPE=ROOM;CN=Fjord:mailto:fjord@x.org\n\
                    END:VEVENT\nEND:VCALENDAR\n";
        let read = |defer: bool| {
            let mut reader = crate::reader::Reader::new(text.as_bytes(), "t.ics");
            if defer {
                reader = reader.deferring(is_participant);
            }
            loop {
                match reader.next_event().unwrap() {
                    Some(crate::reader::ReadEvent::Item(item)) => break item,
                    Some(_) => {}
                    None => panic!("no event"),
                }
            }
        };
        let meta = |ev: &Component| {
            EventMeta::from_event(
                ev,
                &Arc::from("t"),
                &Arc::from("u"),
                None,
                &mut Interner::default(),
            )
        };
        let (parsed, deferred) = (read(false), read(true));
        assert!(deferred.properties.iter().any(|p| p.unparsed));
        let m = meta(&deferred);
        assert_eq!(m, meta(&parsed));
        let organizer = m.organizer.unwrap();
        assert_eq!(organizer.email.as_deref(), Some("me@x.org"));
        assert_eq!(organizer.name.as_deref(), Some("Me, Myself"));
        assert_eq!(m.attendees[0].name.as_deref(), Some("Ann \"A\" B"));
        assert_eq!(m.attendees[1].kind, PersonKind::Room);
        assert_eq!(*m.declined, [m.attendees[0].clone()]);
    }

    #[test]
    fn a_bare_name_is_a_name_not_an_address() {
        let p = person("ATTENDEE:Ann Berger");
        assert_eq!(p.email, None);
        assert_eq!(p.name.as_deref(), Some("Ann Berger"));
    }
}
