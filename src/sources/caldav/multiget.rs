//! Fetching members' bodies by `calendar-multiget`, [`MULTIGET_BATCH`] at a time.

use std::collections::HashSet;

use reqwest::Url;

use super::discovery::expect_multistatus;
use super::href::{normalize_href, report_method};
use super::store::StoredResource;
use super::xml::{self, CALDAV, DAV};
use super::{CaldavError, CaldavSource};

/// Members fetched per `calendar-multiget`.
pub const MULTIGET_BATCH: usize = 100;

impl CaldavSource {
    /// Fetches members by calendar-multiget, in batches. Members the answer leaves out, or
    /// gives something other than an iCalendar object for, come back apart with why: they
    /// are a failed fetch, never stored. Members larger than the limits come back apart too.
    pub(super) async fn multiget(
        &self,
        url: &Url,
        hrefs: &[(String, String)],
    ) -> Result<Fetched, CaldavError> {
        let mut out = Fetched::default();
        for batch in hrefs.chunks(MULTIGET_BATCH) {
            self.multiget_batch(url, batch, &mut out).await?;
        }
        Ok(out)
    }

    /// One batch; an answer over `max_response` is asked again in halves, down to the one
    /// member that is too large (a plain stack of slices: no recursion).
    async fn multiget_batch(
        &self,
        url: &Url,
        batch: &[(String, String)],
        out: &mut Fetched,
    ) -> Result<(), CaldavError> {
        let mut pending = vec![batch];
        while let Some(part) = pending.pop() {
            match self.multiget_once(url, part, out).await {
                Err(CaldavError::ResponseTooLarge { .. }) if part.len() > 1 => {
                    let (first, second) = part.split_at(part.len() / 2);
                    pending.push(second);
                    pending.push(first);
                }
                Err(CaldavError::ResponseTooLarge { .. }) => {
                    out.too_large
                        .extend(part.iter().map(|(href, _)| href.clone()));
                }
                other => other?,
            }
        }
        Ok(())
    }

    async fn multiget_once(
        &self,
        url: &Url,
        batch: &[(String, String)],
        out: &mut Fetched,
    ) -> Result<(), CaldavError> {
        let method = report_method();
        let mut wanted: HashSet<&str> = batch.iter().map(|(h, _)| h.as_str()).collect();
        let body = xml::calendar_multiget(batch.iter().map(|(_, raw)| raw.as_str()));
        let response = self.client.xml("REPORT", url, Some("1"), body).await?;
        let (answered, ms) = expect_multistatus(&method, url, response)?;
        for response in &ms.responses {
            let Some(raw) = response.href() else { continue };
            let href = normalize_href(&answered, raw);
            if !wanted.remove(href.as_str()) {
                continue;
            }
            // No data: listed but gone by now (Google has been seen to do this), or a
            // server failing for this one member. Asked again next cycle either way.
            let Some(data) = response.prop(CALDAV, "calendar-data") else {
                out.failed
                    .push((href, "the server gave no calendar data".into()));
                continue;
            };
            if data.text.len() as u64 > self.settings.limits.max_resource {
                out.too_large.push(href);
                continue;
            }
            if !is_icalendar(data.text.as_bytes()) {
                out.failed
                    .push((href, "the server's answer is not iCalendar".into()));
                continue;
            }
            out.resources.push(StoredResource {
                href,
                etag: response.text(DAV, "getetag").map(str::to_string),
                body: data.text.clone().into_bytes(),
            });
        }
        for (href, _) in batch.iter().filter(|(h, _)| wanted.contains(h.as_str())) {
            out.failed
                .push((href.clone(), "missing from the server's answer".into()));
        }
        Ok(())
    }
}

/// What one multiget brought.
#[derive(Debug, Default)]
pub(super) struct Fetched {
    /// Members fetched.
    pub(super) resources: Vec<StoredResource>,
    /// Members not fetched, with why: asked again next cycle.
    pub(super) failed: Vec<(String, String)>,
    /// Members over the limits: skipped until they change.
    pub(super) too_large: Vec<String>,
}

/// Whether a body is framed as one iCalendar object: `BEGIN:VCALENDAR` first and
/// `END:VCALENDAR` last (byte order mark, whitespace and case aside). Not a parse: the
/// reader judges the rest, leniently; this only tells a calendar from an error page, an
/// empty answer or one cut short, none of which may be stored as the member.
pub(super) fn is_icalendar(body: &[u8]) -> bool {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let body = body.trim_ascii();
    let (begin, end) = (b"BEGIN:VCALENDAR", b"END:VCALENDAR");
    body.len() >= begin.len() + end.len()
        && body[..begin.len()].eq_ignore_ascii_case(begin)
        && body[body.len() - end.len()..].eq_ignore_ascii_case(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_calendars_are_taken() {
        assert!(is_icalendar(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"));
        assert!(is_icalendar(
            b"\xEF\xBB\xBF begin:vcalendar\nX\nend:vcalendar"
        ));
        assert!(!is_icalendar(b"<html>502 Bad Gateway</html>"));
        assert!(!is_icalendar(b""));
        assert!(!is_icalendar(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:cut"));
    }
}
