//! Writing into a Graph calendar: an agenda into one occurrence, a private agenda as an
//! event of tete's own calendar.
//!
//! tete's writer edits iCalendar (the resource [`GraphSource::get`] gave) and hands the
//! result to [`GraphSource::put`]; here the difference becomes Graph requests:
//!
//! - an occurrence whose description changed: `PATCH /me/events/{occurrence id}` with
//!   `If-Match` and its `@odata.etag` and only `body` (the occurrence becomes an exception,
//!   <https://learn.microsoft.com/graph/api/event-update>); the body keeps its content type
//!   (an HTML body gets the HTML the agenda block wrote into it). Graph answers `412` when
//!   someone changed the occurrence since it was read: the writer reads again and
//!   re-applies its block to their text;
//! - a new private agenda: `POST /me/calendars/{id}/events` with no attendees
//!   (`showAs: free`, `sensitivity: private`); which 1:1 it belongs to is kept in the state
//!   file (`l/{id}`) and in an extended property on the event.
//!
//! Graph sends an update to the attendees when the organizer changes a meeting, which is
//! why `delivery = "private"` (the default) never writes into the meeting itself.

use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};

use super::ical::Moment;
use super::sync::LINK;
use super::{GraphError, GraphSource, Target};
use crate::calendar::{Component, Document, value};
use crate::sources::caldav::store::StoredResource;
use crate::sources::{Precondition, SourceError};

/// The extended property naming a private agenda's 1:1 on the event itself (a named
/// property in tete's own property set, <https://learn.microsoft.com/graph/api/resources/extended-properties-overview>).
const LINK_PROPERTY: &str = "String {8d1f54b6-6bbf-4f8b-9a47-0d7c5a3f6e21} Name tete-agenda-link";

/// What links a private agenda's event to its 1:1 (kept as `l/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRecord {
    /// The companion's UID (`tete-agenda-...`).
    pub uid: String,
    /// The 1:1 series' UID.
    pub series: String,
    /// The occurrence, as `X-TETE-RECURRENCE-ID` says it.
    pub recurrence_id: String,
    /// True once tete marked it cancelled.
    #[serde(default)]
    pub cancelled: bool,
}

/// A private agenda's event read back from Graph as the companion tete wrote.
pub fn as_companion(body: &[u8], link: &LinkRecord) -> Vec<u8> {
    let Ok((mut doc, _)) = Document::read(body, "private agenda") else {
        return body.to_vec();
    };
    for event in doc.events_mut() {
        event.set_value("UID", link.uid.clone());
        event.set_text("RELATED-TO", &link.series);
        event.set_text("X-TETE-RECURRENCE-ID", &link.recurrence_id);
        event
            .properties
            .retain(|p| !matches!(p.name.as_str(), "TRANSP" | "CLASS" | "STATUS"));
        event.set_value("TRANSP", "TRANSPARENT");
        event.set_value("CLASS", "PRIVATE");
        if link.cancelled {
            event.set_value("STATUS", "CANCELLED");
        }
    }
    doc.to_ical().into_bytes()
}

impl GraphSource {
    /// Writes `body` (the resource as tete edited it) back: see the module.
    pub async fn put(
        &self,
        href: &str,
        precondition: Precondition,
        body: Vec<u8>,
    ) -> Result<String, SourceError> {
        let (doc, _) = Document::read(&body[..], href).map_err(|e| GraphError::Write {
            reason: crate::errors::chain(&e),
        })?;
        match precondition {
            Precondition::IfNoneMatch => Ok(self.create_companion(&doc).await?),
            Precondition::IfMatch(etag) => self.patch_changed(href, &doc, etag).await,
        }
    }

    /// PATCHes every occurrence whose description differs from what Graph has.
    async fn patch_changed(
        &self,
        href: &str,
        doc: &Document,
        etag: String,
    ) -> Result<String, SourceError> {
        let index = self
            .index
            .lock()
            .ok()
            .and_then(|i| i.get(href).cloned())
            .ok_or_else(|| GraphError::Write {
                reason: format!("{href} was not read before writing"),
            })?;
        let link = self.link_record(href)?;
        let mut last = etag;
        for event in doc.events() {
            let key = event
                .property("RECURRENCE-ID")
                .and_then(Moment::of_property);
            let Some(target) = index.targets.get(&key) else {
                return Err(GraphError::Write {
                    reason: format!(
                        "the occurrence {} of {href} is not in the calendar view",
                        event.value("RECURRENCE-ID").unwrap_or("?")
                    ),
                }
                .into());
            };
            let description = event
                .value("DESCRIPTION")
                .map(|v| value::unescape_text(v).into_owned())
                .unwrap_or_default();
            let companion = link.is_some();
            if description == target.description && !companion {
                continue;
            }
            let patch = patch_body(event, target, &description, companion);
            last = self.patch(href, target, &patch).await?;
            if let Some(mut link) = link.clone() {
                let cancelled = event
                    .value("STATUS")
                    .is_some_and(|s| s.eq_ignore_ascii_case("CANCELLED"));
                if link.cancelled != cancelled {
                    link.cancelled = cancelled;
                    self.store_link(&target.id, &link)?;
                }
            }
        }
        Ok(last)
    }

    /// One `PATCH` with `If-Match`; `412` is a lost race.
    async fn patch(
        &self,
        href: &str,
        target: &Target,
        patch: &serde_json::Value,
    ) -> Result<String, SourceError> {
        let url = self
            .client
            .url(&format!("me/events/{}", target.id))
            .map_err(SourceError::from)?;
        let mut headers = Vec::new();
        if let Some(etag) = &target.etag {
            headers.push(("if-match", etag.clone()));
        }
        let answer = self
            .client
            .send(Method::PATCH, &url, &headers, Some(patch))
            .await?;
        if answer.status == StatusCode::PRECONDITION_FAILED {
            return Err(SourceError::PreconditionFailed {
                href: href.to_string(),
            });
        }
        let json = super::client::json_of(&crate::http::describe(&Method::PATCH, &url), answer)?;
        Ok(json
            .get("@odata.etag")
            .and_then(|e| e.as_str())
            .unwrap_or_default()
            .to_string())
    }

    /// Creates a private agenda's event in this calendar.
    async fn create_companion(&self, doc: &Document) -> Result<String, GraphError> {
        let event = doc
            .events()
            .into_iter()
            .next()
            .ok_or_else(|| GraphError::Write {
                reason: "a private agenda without an event".into(),
            })?;
        let text = |name: &str| {
            event
                .value(name)
                .map(|v| value::unescape_text(v).into_owned())
                .unwrap_or_default()
        };
        let link = LinkRecord {
            uid: text("UID"),
            series: text("RELATED-TO"),
            recurrence_id: text("X-TETE-RECURRENCE-ID"),
            cancelled: false,
        };
        let mut body = serde_json::json!({
            "subject": text("SUMMARY"),
            "body": {"contentType": "text", "content": text("DESCRIPTION")},
            "showAs": "free",
            "sensitivity": "private",
            "isReminderOn": false,
            "singleValueExtendedProperties": [{
                "id": LINK_PROPERTY,
                "value": serde_json::to_string(&link).unwrap_or_default(),
            }],
        });
        add_times(&mut body, event);
        let base = self.base_path()?;
        let url = self.client.url(&format!("{base}events"))?;
        let answer = self
            .client
            .send(Method::POST, &url, &[], Some(&body))
            .await?;
        let json = super::client::json_of(&crate::http::describe(&Method::POST, &url), answer)?;
        let id = json
            .get("id")
            .and_then(|i| i.as_str())
            .ok_or_else(|| GraphError::Garbage {
                what: crate::http::describe(&Method::POST, &url),
                reason: "the new event has no id".into(),
            })?;
        self.store_link(id, &link)?;
        Ok(json
            .get("@odata.etag")
            .and_then(|e| e.as_str())
            .unwrap_or_default()
            .to_string())
    }

    fn base_path(&self) -> Result<String, GraphError> {
        let state = match &self.sync_state {
            Some(store) => store.state(&self.key)?,
            None => None,
        };
        state
            .map(|s| s.collection_url)
            .ok_or_else(|| GraphError::Write {
                reason: "the private calendar was not read before writing".into(),
            })
    }

    fn link_record(&self, id: &str) -> Result<Option<LinkRecord>, GraphError> {
        let Some(store) = &self.sync_state else {
            return Ok(None);
        };
        let href = format!("{LINK}{id}");
        Ok(store
            .resources(&self.key)?
            .into_iter()
            .find(|r| r.href == href)
            .and_then(|r| serde_json::from_slice(&r.body).ok()))
    }

    fn store_link(&self, id: &str, link: &LinkRecord) -> Result<(), GraphError> {
        if let Some(store) = &self.sync_state {
            store.put_resource(
                &self.key,
                &StoredResource {
                    href: format!("{LINK}{id}"),
                    etag: None,
                    body: serde_json::to_vec(link).unwrap_or_default(),
                },
            )?;
        }
        Ok(())
    }
}

/// What a `PATCH` sends: the body in its content type; for a private agenda's own event
/// also its title and time (a moved 1:1 moves its agenda).
fn patch_body(
    event: &Component,
    target: &Target,
    description: &str,
    companion: bool,
) -> serde_json::Value {
    let mut patch = serde_json::json!({
        "body": {
            "contentType": if target.html { "html" } else { "text" },
            "content": description,
        }
    });
    if companion {
        if let Some(summary) = event.value("SUMMARY") {
            patch["subject"] = value::unescape_text(summary).into();
        }
        add_times(&mut patch, event);
    }
    patch
}

/// `start` and `end` as Graph takes them (`dateTimeTimeZone` in UTC, or a whole day).
fn add_times(json: &mut serde_json::Value, event: &Component) {
    let mut all_day = false;
    for (property, key) in [("DTSTART", "start"), ("DTEND", "end")] {
        let Some(moment) = event.property(property).and_then(Moment::of_property) else {
            continue;
        };
        all_day |= matches!(moment, Moment::Date(_));
        json[key] = serde_json::json!({
            "dateTime": moment.to_utc().format("%Y-%m-%dT%H:%M:%S").to_string(),
            "timeZone": "UTC",
        });
    }
    if all_day {
        json["isAllDay"] = true.into();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(lines: &str) -> Component {
        let text = format!("BEGIN:VEVENT\r\n{lines}END:VEVENT\r\n");
        let (doc, _) = Document::parse(&text, "t").unwrap();
        doc.components[0].clone()
    }

    fn target(html: bool) -> Target {
        Target {
            id: "O1".into(),
            etag: Some("W/\"1\"".into()),
            html,
            description: String::new(),
        }
    }

    #[test]
    fn a_patch_into_a_meeting_sends_only_its_body_in_its_type() {
        let e = event("SUMMARY:Ann\r\nDTSTART:20260105T090000Z\r\n");
        let patch = patch_body(&e, &target(true), "<p>x</p>", false);
        assert_eq!(
            patch,
            serde_json::json!({"body": {"contentType": "html", "content": "<p>x</p>"}})
        );
        let patch = patch_body(&e, &target(false), "x", false);
        assert_eq!(patch["body"]["contentType"], "text");
    }

    #[test]
    fn a_private_agenda_moves_with_its_meeting() {
        let e = event(
            "SUMMARY:Ann (private)\r\nDTSTART;TZID=Europe/Berlin:20260105T100000\r\n\
             DTEND;TZID=Europe/Berlin:20260105T103000\r\n",
        );
        let patch = patch_body(&e, &target(false), "agenda", true);
        assert_eq!(patch["subject"], "Ann (private)");
        assert_eq!(
            patch["start"],
            serde_json::json!({"dateTime": "2026-01-05T09:00:00", "timeZone": "UTC"})
        );
        assert_eq!(patch["end"]["dateTime"], "2026-01-05T09:30:00");
        assert!(patch.get("isAllDay").is_none());
        let mut whole_day = serde_json::json!({});
        add_times(
            &mut whole_day,
            &event("DTSTART;VALUE=DATE:20260106\r\nDTEND;VALUE=DATE:20260107\r\n"),
        );
        assert_eq!(whole_day["isAllDay"], true);
        assert_eq!(whole_day["start"]["dateTime"], "2026-01-06T00:00:00");
    }

    #[test]
    fn a_private_agenda_read_back_is_tetes_companion() {
        let body = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:0400\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let link = LinkRecord {
            uid: "tete-agenda-abc".into(),
            series: "uid-1".into(),
            recurrence_id: "2026-01-05 09:00:00 UTC".into(),
            cancelled: true,
        };
        let text = String::from_utf8(as_companion(body, &link)).unwrap();
        for expected in [
            "UID:tete-agenda-abc",
            "RELATED-TO:uid-1",
            "X-TETE-RECURRENCE-ID:2026-01-05 09:00:00 UTC",
            "TRANSP:TRANSPARENT",
            "CLASS:PRIVATE",
            "STATUS:CANCELLED",
        ] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
        let found = crate::agenda::companion::read(text.as_bytes());
        assert!(found.is_some_and(|f| f.link.series_uid == "uid-1" && f.cancelled));
    }
}
