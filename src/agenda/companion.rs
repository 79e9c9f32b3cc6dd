//! Private agendas: a companion event that only the manager owns, next to a 1:1 on a server
//! that schedules.
//!
//! On a server that does implicit scheduling (RFC 6638: Cyrus/Fastmail, DAViCal, Xandikos,
//! Nextcloud), any change to the shared 1:1 event is delivered to the other person or, with
//! `SCHEDULE-AGENT=CLIENT`, damages their copy (Cyrus adds an `EXDATE` for it). So with
//! `delivery = "private"` the agenda goes into its own event instead: same time as the
//! occurrence, in a calendar of the manager's, with no `ORGANIZER` or `ATTENDEE` (so nothing
//! can be scheduled), `TRANSP:TRANSPARENT` (it does not make the manager look busy twice) and
//! `CLASS:PRIVATE`, linked to the 1:1 by `RELATED-TO` (the series' UID) and
//! `X-TETE-RECURRENCE-ID` (the occurrence). tete owns the event; a person's notes in its
//! description outside the block are kept like anywhere else.
//!
//! Pure: bytes and plain values in, bytes out.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::calendar::EventStatus;
use crate::calendar::edit::Description;
use crate::calendar::{Component, Document, Moment, Property};

/// Every companion UID starts so: detection skips these events, and they never clash with
/// the 1:1's own UID (some servers allow a UID once per account).
pub const UID_PREFIX: &str = "tete-agenda-";

/// The property naming the 1:1 series.
const SERIES: &str = "RELATED-TO";
/// The property naming the occurrence (its original start, as reported).
const OCCURRENCE: &str = "X-TETE-RECURRENCE-ID";

/// The occurrence a companion belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Link {
    /// The 1:1 series' UID.
    pub series_uid: String,
    /// The occurrence's original start, as [`Moment`]'s `Display` writes it.
    pub recurrence_id: String,
}

impl Link {
    /// The companion's UID: stable for the occurrence, and unique to it.
    pub fn uid(&self) -> String {
        let digest = Sha256::digest(format!("{}\0{}", self.series_uid, self.recurrence_id));
        let hex = hex::encode(&digest[..12]);
        format!("{UID_PREFIX}{hex}")
    }

    /// The resource name tete gives a new companion.
    pub fn href(&self) -> String {
        format!("{}.ics", self.uid())
    }
}

/// A companion event read back: which occurrence, and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The occurrence.
    pub link: Link,
    /// Its description.
    pub description: Description,
    /// Whether its time is still `start`-`end` (a moved 1:1 moves its agenda along).
    pub times: (Option<String>, Option<String>),
    /// True once tete marked it cancelled (its 1:1 no longer takes place).
    pub cancelled: bool,
}

impl Found {
    /// True when the companion is not at this time any more.
    pub fn is_at(&self, start: Moment, end: Moment) -> bool {
        self.times == (Some(time_value(start)), Some(time_value(end)))
    }
}

/// Reads a resource as a companion, `None` when it is not one of tete's.
pub fn read(bytes: &[u8]) -> Option<Found> {
    let (doc, _) = Document::read(bytes, "private agenda").ok()?;
    let event = doc.events().into_iter().find(|e| is_companion(e))?;
    let link = Link {
        series_uid: text(event, SERIES)?,
        recurrence_id: text(event, OCCURRENCE)?,
    };
    Some(Found {
        link,
        description: Description {
            text: text(event, "DESCRIPTION").unwrap_or_default(),
            html: None,
        },
        times: (
            event.value("DTSTART").map(|v| v.trim().to_string()),
            event.value("DTEND").map(|v| v.trim().to_string()),
        ),
        cancelled: event
            .value("STATUS")
            .is_some_and(|s| EventStatus::parse(s) == EventStatus::Cancelled),
    })
}

fn is_companion(event: &Component) -> bool {
    event
        .value("UID")
        .is_some_and(|uid| uid.trim().starts_with(UID_PREFIX))
}

fn text(event: &Component, name: &str) -> Option<String> {
    event
        .value(name)
        .map(|v| crate::calendar::value::unescape_text(v).into_owned())
}

/// What a companion says about its 1:1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content<'a> {
    /// The occurrence.
    pub link: &'a Link,
    /// Its title, e.g. "Agenda: 1:1 with Ann".
    pub summary: &'a str,
    /// When the occurrence starts and ends now (a moved 1:1 moves its agenda along).
    pub start: Moment,
    /// See `start`.
    pub end: Moment,
    /// The whole description (block and whatever a person added around it).
    pub description: &'a str,
    /// The 1:1 no longer takes place: the companion says `STATUS:CANCELLED`.
    pub cancelled: bool,
}

/// The companion's text: `existing` (its current bytes) with the time, title and
/// description set, every other line kept; or a new event when there is none.
pub fn write(existing: Option<&[u8]>, content: &Content, now: DateTime<Utc>) -> Vec<u8> {
    let parsed = existing
        .and_then(|bytes| Document::read(bytes, "private agenda").ok())
        .map(|(doc, _)| doc)
        .filter(|doc| doc.events().into_iter().any(is_companion));
    let mut doc = parsed.unwrap_or_else(|| new_document(content.link, now));
    if let Some(event) = doc.events_mut().into_iter().find(|e| is_companion(e)) {
        // A cancelled 1:1's agenda keeps its time and title: only its status says so.
        if !content.cancelled {
            set_time(event, "DTSTART", content.start);
            set_time(event, "DTEND", content.end);
            event.set_text("SUMMARY", content.summary);
        }
        event.set_text("DESCRIPTION", content.description);
        event
            .properties
            .retain(|p| !p.name.eq_ignore_ascii_case("STATUS"));
        if content.cancelled {
            event.set_value("STATUS", EventStatus::Cancelled.as_str());
        }
    }
    match existing {
        // What a person added to the companion keeps its bytes too.
        Some(bytes) => doc.to_ical_preserving(bytes),
        None => doc.to_ical().into_bytes(),
    }
}

fn new_document(link: &Link, now: DateTime<Utc>) -> Document {
    let mut calendar = Component::new("VCALENDAR");
    calendar.set_value("VERSION", "2.0");
    calendar.set_value("PRODID", "-//tete//private agenda//EN");
    let mut event = Component::new("VEVENT");
    event.set_value("UID", link.uid());
    event.set_value("DTSTAMP", now.format("%Y%m%dT%H%M%SZ").to_string());
    event.set_value("DTSTART", "");
    event.set_value("DTEND", "");
    event.set_value("SUMMARY", "");
    event.set_value("DESCRIPTION", "");
    event.set_value("TRANSP", "TRANSPARENT");
    event.set_value("CLASS", "PRIVATE");
    event.set_text(SERIES, &link.series_uid);
    event.set_text(OCCURRENCE, &link.recurrence_id);
    calendar.components.push(event);
    Document {
        components: vec![calendar],
    }
}

/// A time as a companion writes it: UTC, a floating time or a date.
fn time_value(at: Moment) -> String {
    match at {
        Moment::Utc(t) => t.format("%Y%m%dT%H%M%SZ").to_string(),
        Moment::Floating(t) => t.format("%Y%m%dT%H%M%S").to_string(),
        Moment::Date(d) => d.format("%Y%m%d").to_string(),
    }
}

/// Writes a time as UTC, a floating time or a date, replacing the property whole (its old
/// `TZID` or `VALUE` would no longer fit).
fn set_time(event: &mut Component, name: &str, at: Moment) {
    let mut property = Property::new(name, time_value(at));
    if matches!(at, Moment::Date(_)) {
        property.params.push(crate::calendar::Param {
            name: "VALUE".into(),
            values: vec!["DATE".into()],
        });
    }
    match event
        .properties
        .iter_mut()
        .find(|p| p.name.eq_ignore_ascii_case(name))
    {
        Some(slot) => {
            property.line = slot.line;
            *slot = property;
        }
        None => event.properties.push(property),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn at(h: u32) -> Moment {
        Moment::Utc(
            NaiveDate::from_ymd_opt(2026, 12, 1)
                .and_then(|d| d.and_hms_opt(h, 0, 0))
                .unwrap(),
        )
    }

    fn link() -> Link {
        Link {
            series_uid: "weekly-ann@example.com".into(),
            recurrence_id: "2026-12-01T09:00:00Z".into(),
        }
    }

    #[test]
    fn a_new_companion_is_private_transparent_and_names_its_occurrence() {
        let link = link();
        let content = Content {
            link: &link,
            summary: "Agenda: 1:1 with Ann",
            start: at(9),
            end: at(10),
            description: "line one\nline, two",
            cancelled: false,
        };
        let bytes = write(None, &content, DateTime::<Utc>::default());
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("DTSTART:20261201T090000Z\r\n"), "{text}");
        assert!(text.contains("TRANSP:TRANSPARENT\r\n"), "{text}");
        assert!(text.contains("CLASS:PRIVATE\r\n"), "{text}");
        assert!(
            !text.contains("ORGANIZER") && !text.contains("ATTENDEE"),
            "{text}"
        );
        assert!(text.contains(&format!("UID:{}\r\n", link.uid())), "{text}");
        let found = read(&bytes).unwrap();
        assert_eq!(found.link, link);
        assert_eq!(found.description.text, "line one\nline, two");
        assert!(found.is_at(at(9), at(10)));
        assert!(!found.is_at(at(14), at(15)));
    }

    #[test]
    fn a_rewrite_keeps_what_a_person_added_and_follows_a_move() {
        let link = link();
        let first = write(
            None,
            &Content {
                link: &link,
                summary: "Agenda",
                start: at(9),
                end: at(10),
                description: "v1",
                cancelled: false,
            },
            DateTime::<Utc>::default(),
        );
        let touched = String::from_utf8(first)
            .unwrap()
            .replace("END:VEVENT", "X-PERSON:kept\r\nEND:VEVENT");
        let second = write(
            Some(touched.as_bytes()),
            &Content {
                link: &link,
                summary: "Agenda",
                start: at(14),
                end: at(15),
                description: "v2",
                cancelled: true,
            },
            DateTime::<Utc>::default(),
        );
        let text = String::from_utf8(second).unwrap();
        assert!(text.contains("X-PERSON:kept"), "{text}");
        // Cancelled: the time stays where the 1:1 was.
        assert!(text.contains("DTSTART:20261201T090000Z"), "{text}");
        assert_eq!(text.matches("DTSTART").count(), 1, "{text}");
        assert!(text.contains("DESCRIPTION:v2"), "{text}");
        assert!(text.contains("STATUS:CANCELLED"), "{text}");
        assert!(read(text.as_bytes()).unwrap().cancelled);
    }

    #[test]
    fn other_events_are_not_companions() {
        let other = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nRELATED-TO:y\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert_eq!(read(other), None);
        assert_ne!(
            link().uid(),
            Link {
                recurrence_id: "2026-12-08T09:00:00Z".into(),
                ..link()
            }
            .uid()
        );
    }
}
