//! Discovery (RFC 4791 section 7, RFC 5397, RFC 6764): from a base URL to the account's
//! calendars.
//!
//! 1. `PROPFIND` (Depth 0) the URL given for `current-user-principal` and
//!    `calendar-home-set`; when that gives nothing (or the URL is a bare host), the same on
//!    `/.well-known/caldav`. Redirects are followed by the client, wherever they go.
//! 2. `PROPFIND` the principal for `calendar-home-set` when step 1 did not give it.
//! 3. `PROPFIND` (Depth 1) the home for its calendars: display name, supported components,
//!    ctag, sync-token, whether `sync-collection` is supported.
//!
//! A URL that is itself a calendar collection (a Google `.../events/` URL, a calendar URL
//! copied from a web UI) is accepted as is.

use reqwest::Url;

use super::client::{DavClient, DavResponse};
use super::error::CaldavError;
use super::xml::{self, CALDAV, CS, DAV, Multistatus, Response};
use crate::http::{describe, origin};

/// One calendar collection of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarInfo {
    /// Its URL.
    pub url: Url,
    /// Its `displayname`, when it has one.
    pub display_name: Option<String>,
    /// Its supported components (`VEVENT`, `VTODO`, ...); empty when the server does not say
    /// (which means all).
    pub components: Vec<String>,
    /// Its `getctag`.
    pub ctag: Option<String>,
    /// Its `sync-token`.
    pub sync_token: Option<String>,
    /// Whether it supports the `sync-collection` REPORT (RFC 6578).
    pub supports_sync: bool,
}

impl CalendarInfo {
    /// Whether it can hold events (a server that lists no components allows all).
    pub fn has_events(&self) -> bool {
        self.holds("VEVENT")
    }

    /// Whether it can hold this component (`VTODO` for tasks; a server that lists no
    /// components allows all).
    pub fn holds(&self, component: &str) -> bool {
        self.components.is_empty()
            || self
                .components
                .iter()
                .any(|c| c.eq_ignore_ascii_case(component))
    }

    /// Its display name, or the last segment of its path.
    pub fn name(&self) -> String {
        if let Some(name) = &self.display_name {
            return name.clone();
        }
        let path = self.url.path().trim_end_matches('/');
        percent_decode(path.rsplit('/').next().unwrap_or(path))
    }

    /// Whether `wanted` (from the config) names it: its display name (case-insensitive),
    /// its full URL, its path (with or without the trailing slash), or the last segment
    /// of its path.
    pub fn matches(&self, wanted: &str) -> bool {
        let wanted = wanted.trim();
        if self
            .display_name
            .as_deref()
            .is_some_and(|n| n.trim().eq_ignore_ascii_case(wanted))
        {
            return true;
        }
        let strip = |s: &str| s.trim_end_matches('/').to_string();
        if let Ok(url) = Url::parse(wanted) {
            return strip(url.as_str()) == strip(self.url.as_str());
        }
        let path = percent_decode(self.url.path());
        let last = strip(&path)
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        strip(&path) == strip(&percent_decode(wanted))
            || strip(&self.name()) == strip(wanted)
            || last == strip(wanted)
    }
}

/// What discovery found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The principal's URL, when found.
    pub principal: Option<Url>,
    /// The calendar home's URL, when found.
    pub home: Option<Url>,
    /// The calendars, in the server's order.
    pub calendars: Vec<CalendarInfo>,
    /// True when the URL given was itself a calendar (then it is first in `calendars`).
    pub given_is_calendar: bool,
    /// True when the server says it schedules on its own (`calendar-auto-schedule` in its
    /// `DAV` header, RFC 6638): changing an event as its organizer may email the attendees.
    pub auto_schedule: bool,
}

/// Discovers the account at `start`.
pub async fn discover(client: &DavClient, start: &Url) -> Result<Account, CaldavError> {
    let server = origin(start);
    let mut found = probe_candidates(client, start).await?;
    if (found.home.is_none() || found.boxes.is_empty())
        && let Some(principal) = found.principal.clone()
    {
        ask_principal(client, &principal, &mut found).await?;
    }
    let calendars = list_calendars(client, &found).await?;
    if found.given_calendar.is_none() && found.home.is_none() {
        let reason = match found.last_error {
            Some(err) => format!(
                "no CalDAV principal or calendar home found ({}); give the account's CalDAV URL",
                crate::errors::chain(&err)
            ),
            None => "no CalDAV principal or calendar home found; give the account's CalDAV URL"
                .to_string(),
        };
        return Err(CaldavError::Discovery { server, reason });
    }
    let probe = found.given_calendar.as_ref().or(found.home.as_ref());
    let auto_schedule = match probe {
        Some(url) => schedules_on_its_own(client, url).await,
        None => false,
    };
    Ok(Account {
        principal: found.principal,
        home: found.home,
        calendars,
        given_is_calendar: found.given_calendar.is_some(),
        auto_schedule,
    })
}

/// What the PROPFINDs of discovery's first two steps found.
#[derive(Default)]
struct Found {
    /// The URL given, when it is itself a calendar.
    given_calendar: Option<Url>,
    /// The principal.
    principal: Option<Url>,
    /// The calendar home.
    home: Option<Url>,
    /// The principal's scheduling inbox and outbox (RFC 6638): DAViCal types them plain
    /// calendars, so they are known by these URLs.
    boxes: Vec<Url>,
    /// Why the last URL tried answered nothing usable.
    last_error: Option<CaldavError>,
}

impl Found {
    /// Takes what one response of a `PROPFIND` on `answered` says, keeping what is known.
    fn add(&mut self, answered: &Url, response: &Response) {
        if self.principal.is_none()
            && let Some(href) = response.href_in(DAV, "current-user-principal")
        {
            self.principal = answered.join(href).ok();
        }
        if self.home.is_none()
            && let Some(href) = response.href_in(CALDAV, "calendar-home-set")
        {
            self.home = answered.join(href).ok();
        }
        self.boxes.extend(scheduling_boxes(answered, response));
    }
}

/// Step 1: the URL given and `/.well-known/caldav` (the well-known one first for a bare
/// host), until one gives a principal, a home or is a calendar.
async fn probe_candidates(client: &DavClient, start: &Url) -> Result<Found, CaldavError> {
    let bare_host = start.path().trim_matches('/').is_empty();
    let well_known = start
        .join("/.well-known/caldav")
        .map_err(|e| CaldavError::Url {
            reason: e.to_string(),
        })?;
    let candidates: Vec<Url> = if bare_host {
        vec![well_known, start.clone()]
    } else {
        vec![start.clone(), well_known]
    };
    let mut found = Found::default();
    for candidate in &candidates {
        let (answered_url, ms) =
            match propfind(client, candidate, "0", xml::propfind_principal()).await {
                Ok(answer) => answer,
                // The server is unreachable or refuses us: another path on it will not help.
                Err(
                    err @ (CaldavError::Unauthorized { .. }
                    | CaldavError::GoogleUnauthorized { .. }
                    | CaldavError::OAuth(_)
                    | CaldavError::Connection { .. }
                    | CaldavError::Timeout { .. }
                    | CaldavError::RetryAfterTooLong { .. }),
                ) => {
                    return Err(err);
                }
                Err(err) => {
                    found.last_error = Some(err);
                    continue;
                }
            };
        for response in &ms.responses {
            if candidate == start
                && found.given_calendar.is_none()
                && response.prop_has(DAV, "resourcetype", CALDAV, "calendar")
            {
                found.given_calendar = Some(answered_url.clone());
            }
            found.add(&answered_url, response);
        }
        if found.principal.is_some() || found.home.is_some() || found.given_calendar.is_some() {
            break;
        }
    }
    Ok(found)
}

/// Step 2: the principal, for the home and the scheduling boxes step 1 did not give.
async fn ask_principal(
    client: &DavClient,
    principal: &Url,
    found: &mut Found,
) -> Result<(), CaldavError> {
    match propfind(client, principal, "0", xml::propfind_principal()).await {
        Ok((answered_url, ms)) => {
            for response in &ms.responses {
                found
                    .boxes
                    .extend(scheduling_boxes(&answered_url, response));
                if found.home.is_none()
                    && let Some(href) = response.href_in(CALDAV, "calendar-home-set")
                {
                    found.home = answered_url.join(href).ok();
                }
            }
            Ok(())
        }
        Err(err) if found.home.is_none() => Err(err),
        // The home is known; only the inbox and outbox are missing: not fatal.
        Err(_) => Ok(()),
    }
}

/// Step 3: the calendar given and those in the home, once each, without the scheduling
/// inbox and outbox.
async fn list_calendars(
    client: &DavClient,
    found: &Found,
) -> Result<Vec<CalendarInfo>, CaldavError> {
    let mut calendars = Vec::new();
    if let Some(url) = &found.given_calendar {
        calendars.extend(list(client, url, "0").await?);
    }
    if let Some(home_url) = &found.home {
        match list(client, home_url, "1").await {
            Ok(listed) => {
                for calendar in listed {
                    if !calendars
                        .iter()
                        .any(|c| same_collection(&c.url, &calendar.url))
                    {
                        calendars.push(calendar);
                    }
                }
            }
            // The calendar given works; a home we may not list is no reason to fail.
            Err(err) if found.given_calendar.is_none() => return Err(err),
            Err(_) => {}
        }
    }
    calendars.retain(|c| !found.boxes.iter().any(|b| same_collection(b, &c.url)));
    Ok(calendars)
}

/// Asks the server (`OPTIONS`) whether it does implicit scheduling. A server that does not
/// answer OPTIONS is taken not to: this only decides a warning.
pub(crate) async fn schedules_on_its_own(client: &DavClient, url: &Url) -> bool {
    match client
        .send(reqwest::Method::OPTIONS, url, Default::default())
        .await
    {
        Ok(answer) => answer
            .header_tokens("dav")
            .any(|f| f.eq_ignore_ascii_case("calendar-auto-schedule")),
        Err(_) => false,
    }
}

/// Reads one calendar's properties (Depth 0) or a home's calendars (Depth 1).
pub async fn list(
    client: &DavClient,
    url: &Url,
    depth: &str,
) -> Result<Vec<CalendarInfo>, CaldavError> {
    let (answered_url, ms) = propfind(client, url, depth, xml::propfind_calendars()).await?;
    Ok(ms
        .responses
        .iter()
        .filter(|r| is_calendar(r))
        .filter_map(|r| calendar_info(&answered_url, r))
        .collect())
}

/// The scheduling inbox and outbox a principal's answer names.
fn scheduling_boxes(base: &Url, response: &Response) -> Vec<Url> {
    ["schedule-inbox-URL", "schedule-outbox-URL"]
        .iter()
        .filter_map(|name| response.href_in(CALDAV, name))
        .filter_map(|href| base.join(href).ok())
        .collect()
}

/// A calendar collection people keep events in. A scheduling inbox or outbox (RFC 6638)
/// is not one, even where a server (DAViCal) also types it `calendar`.
fn is_calendar(response: &Response) -> bool {
    response.prop_has(DAV, "resourcetype", CALDAV, "calendar")
        && !response.prop_has(DAV, "resourcetype", CALDAV, "schedule-inbox")
        && !response.prop_has(DAV, "resourcetype", CALDAV, "schedule-outbox")
}

fn calendar_info(base: &Url, response: &Response) -> Option<CalendarInfo> {
    let url = base.join(response.href()?).ok()?;
    Some(CalendarInfo {
        url,
        display_name: response.text(DAV, "displayname").map(str::to_string),
        components: response
            .prop(CALDAV, "supported-calendar-component-set")
            .map(|p| p.comps.clone())
            .unwrap_or_default(),
        ctag: response.text(CS, "getctag").map(str::to_string),
        sync_token: response.text(DAV, "sync-token").map(str::to_string),
        supports_sync: response.prop_has(DAV, "supported-report-set", DAV, "sync-collection")
            || response.text(DAV, "sync-token").is_some(),
    })
}

/// A PROPFIND that must answer 207; returns the URL that answered (after redirects, to
/// resolve relative hrefs against) and the parsed multistatus.
pub async fn propfind(
    client: &DavClient,
    url: &Url,
    depth: &str,
    body: String,
) -> Result<(Url, Multistatus), CaldavError> {
    let response = client.xml("PROPFIND", url, Some(depth), body).await?;
    expect_multistatus(
        &reqwest::Method::from_bytes(b"PROPFIND").unwrap_or_default(),
        url,
        response,
    )
}

/// Checks for a 207 and parses it.
pub fn expect_multistatus(
    method: &reqwest::Method,
    url: &Url,
    response: DavResponse,
) -> Result<(Url, Multistatus), CaldavError> {
    if response.status.as_u16() != 207 {
        return Err(CaldavError::Status {
            request: describe(method, url),
            status: response.status,
        });
    }
    let ms = xml::parse_multistatus(&response.body).map_err(|source| CaldavError::Xml {
        request: describe(method, url),
        source,
    })?;
    Ok((response.url, ms))
}

/// Whether two URLs name the same collection (trailing slash aside).
pub fn same_collection(a: &Url, b: &Url) -> bool {
    a.as_str().trim_end_matches('/') == b.as_str().trim_end_matches('/')
}

/// Decodes `%XX` escapes (invalid ones are kept as they are).
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduling_inbox_and_outbox_are_not_calendars() {
        let body = br#"<?xml version="1.0"?>
<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
 <response><href>/caldav.php/mia/calendar/</href><propstat><prop>
  <resourcetype><collection/><C:calendar/></resourcetype></prop>
  <status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/caldav.php/mia/.in/</href><propstat><prop>
  <resourcetype><collection/><C:calendar/><C:schedule-inbox/></resourcetype></prop>
  <status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/caldav.php/mia/.out/</href><propstat><prop>
  <resourcetype><collection/><C:schedule-outbox/></resourcetype></prop>
  <status>HTTP/1.1 200 OK</status></propstat></response>
</multistatus>"#;
        let ms = xml::parse_multistatus(body).unwrap();
        let kept: Vec<_> = ms
            .responses
            .iter()
            .filter(|r| is_calendar(r))
            .filter_map(|r| r.href())
            .collect();
        assert_eq!(kept, ["/caldav.php/mia/calendar/"]);
    }

    #[test]
    fn every_dav_header_line_is_read() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.append("dav", "1, 2, 3, access-control".parse().unwrap());
        headers.append(
            "dav",
            "calendar-access, calendar-auto-schedule".parse().unwrap(),
        );
        let answer = DavResponse {
            status: reqwest::StatusCode::OK,
            headers,
            body: Vec::new(),
            url: Url::parse("http://127.0.0.1/").unwrap(),
        };
        assert!(
            answer
                .header_tokens("dav")
                .any(|t| t == "calendar-auto-schedule")
        );
        assert_eq!(answer.header_tokens("dav").count(), 6);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("/a%40b.com/x%20y/"), "/a@b.com/x y/");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn calendars_match_by_name_url_or_path() {
        let info = CalendarInfo {
            url: Url::parse("https://h.example/dav/u%40x/work/").unwrap(),
            display_name: Some("Work Calendar".into()),
            components: vec!["VEVENT".into()],
            ctag: None,
            sync_token: None,
            supports_sync: false,
        };
        assert!(info.matches("work calendar"));
        assert!(info.matches("https://h.example/dav/u%40x/work"));
        assert!(info.matches("/dav/u@x/work/"));
        assert!(info.matches("work"));
        assert!(!info.matches("home"));
        assert!(info.has_events());
    }
}
