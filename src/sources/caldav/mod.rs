//! A CalDAV calendar: discovery, incremental sync into the state file, conditional writes.
//!
//! One [`CaldavSource`] is one calendar collection of an account, picked in the config by
//! display name or URL. A fetch is one sync cycle:
//!
//! - **RFC 6578 `sync-collection`** with the stored token when the server supports it: an
//!   unchanged calendar costs that one request. Changed members are fetched with
//!   `calendar-multiget` in batches; members reported `404` are deleted. A `4xx` carrying
//!   `valid-sync-token` (the token expired) means a full resync from an empty token. Any other
//!   failure of the sync REPORT (Google has answered `507`) falls back to `calendar-query`.
//! - **ctag + etags** otherwise: `PROPFIND` Depth 0 for `getctag` (unchanged: one request),
//!   then Depth 1 for every member's etag, and a multiget of those that changed.
//!
//! What was synced (collection URL, token, ctag, each resource's href, etag and body) is kept
//! in the SQLite state file ([`store`]), so a restart does not mean a full download, and the
//! snapshot returned always holds the whole calendar.
//!
//! Writes ([`CaldavSource::put`]) are `PUT`s with `If-Match` or `If-None-Match: *` and a
//! `Content-Type`; a `412` is
//! [`SourceError::PreconditionFailed`](super::SourceError::PreconditionFailed). The server's
//! new ETag is kept (servers re-serialise what they are sent, so its body is not compared
//! byte-wise; see [`super::write`]).
//!
//! The parts: the source and its public API here; one sync cycle and which way changes are
//! found (`sync`); sync-collection pages (`collection`); ctag, etag and calendar-query
//! listings (`listing`); multiget batches (`multiget`); MKCALENDAR, GET and PUT (`write`);
//! hrefs as stored (`href`).

use reqwest::Url;
use std::collections::HashMap;

pub mod client;
pub mod discovery;
pub mod error;
pub mod oauth;
pub mod store;
pub mod xml;

mod collection;
mod href;
mod listing;
mod multiget;
mod sync;
mod write;

pub use client::{Auth, DavClient, Stats, StatsSnapshot};
pub use discovery::{Account, CalendarInfo};
pub use error::CaldavError;
pub use multiget::MULTIGET_BATCH;
pub use store::{SharedSyncState, SyncState, SyncStore};
pub use sync::KeptResources;

use crate::http::{RetryPolicy, display_url, origin};

/// How one calendar is reached.
#[derive(Debug, Clone)]
pub struct CaldavSettings {
    /// The account's base URL, or the calendar's own URL.
    pub url: Url,
    /// Which calendar: display name, URL or path; `None` when `url` is the calendar or the
    /// account has only one calendar with events.
    pub calendar: Option<String>,
    /// Where the sync state is kept, handed over by the state file's owner; `None` allows
    /// only discovery (`tete calendars`), a sync then fails.
    pub sync_state: Option<SharedSyncState>,
    /// Retries and timeouts.
    pub retry: RetryPolicy,
    /// Limits the first sync to events with occurrences in the last this many days and
    /// later (calendar-query with a time-range), for huge calendars. Later cycles get every
    /// change through sync-collection, whatever its date.
    pub first_sync_days: Option<u32>,
    /// How big an answer is accepted.
    pub limits: Limits,
}

/// How big an answer tete accepts from a CalDAV server (`[[calendar]]`
/// `max_response_mib`, `max_resource_mib`): a server answering more is not believed, and
/// nothing of that size reaches memory or the state file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes one answer may have; reading stops there.
    pub max_response: u64,
    /// The most bytes one event (a resource's calendar data) may have; a larger one is
    /// skipped, and not asked for again until it changes.
    pub max_resource: u64,
}

impl Limits {
    /// 64 MiB per answer (a multiget of 100 ordinary events is well under 1 MiB).
    pub const DEFAULT_MAX_RESPONSE: u64 = 64 << 20;
    /// 16 MiB per event (room for attachments stored inline).
    pub const DEFAULT_MAX_RESOURCE: u64 = 16 << 20;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_response: Self::DEFAULT_MAX_RESPONSE,
            max_resource: Self::DEFAULT_MAX_RESOURCE,
        }
    }
}

/// One CalDAV calendar collection.
#[derive(Debug, Clone)]
pub struct CaldavSource {
    settings: CaldavSettings,
    client: DavClient,
    /// The key of this calendar in the state file.
    key: String,
    /// [`CaldavSource::label`], made once: every resource's origin begins with it.
    label: String,
    /// What the last sync did.
    last_report: std::sync::Arc<std::sync::Mutex<Option<SyncReport>>>,
}

/// How a sync went, for `tete check` and the benchmark.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// The calendar collection.
    pub collection: String,
    /// How changes were found: `sync-collection`, `ctag`, `etags`, `calendar-query`.
    pub method: &'static str,
    /// True when the stored token had expired (or was refused) and a full resync was made.
    pub full_resync: bool,
    /// Resources fetched.
    pub fetched: usize,
    /// Resources removed.
    pub deleted: usize,
    /// Members that changed but could not be fetched (missing from the server's answer, or
    /// an answer that is not iCalendar), with why: not stored, and asked again next cycle.
    pub not_fetched: Vec<(String, String)>,
}

/// The members of a collection and their etags, as listed by the server.
type Listing = HashMap<String, (String, Option<String>)>;

impl CaldavSource {
    /// A source for the calendar; does no I/O.
    pub fn new(settings: CaldavSettings, auth: Auth) -> Result<CaldavSource, CaldavError> {
        let client = DavClient::new(settings.url.clone(), auth, settings.retry.clone())?;
        Ok(CaldavSource::with_client(settings, client))
    }

    /// A source sending through `http` (see [`DavClient::with_http`]); does no I/O.
    pub fn with_http(settings: CaldavSettings, auth: Auth, http: reqwest::Client) -> CaldavSource {
        let client = DavClient::with_http(settings.url.clone(), auth, settings.retry.clone(), http);
        CaldavSource::with_client(settings, client)
    }

    fn with_client(settings: CaldavSettings, client: DavClient) -> CaldavSource {
        let user = match client.auth() {
            Auth::Basic { user, .. } => user.clone(),
            Auth::Google(_) => "google".to_string(),
            Auth::None => String::new(),
        };
        let key = format!(
            "{user}@{}#{}",
            settings.url.as_str(),
            settings.calendar.as_deref().unwrap_or("")
        );
        let client = client.with_max_response(settings.limits.max_response);
        CaldavSource {
            label: display_url(&settings.url),
            settings,
            client,
            key,
            last_report: Default::default(),
        }
    }

    /// The HTTP client (its request counters).
    pub fn client(&self) -> &DavClient {
        &self.client
    }

    /// `caldav https://host/path/`: what to call it in messages (no user info, no query).
    pub fn label(&self) -> String {
        self.label.clone()
    }

    /// The origin of the resource `href` (what its events name): the label, then the href.
    pub fn item_origin(&self, href: &str) -> String {
        super::joined(&self.label, href)
    }

    /// True when a password or token would cross the network unencrypted: plain `http://`
    /// to a host other than this machine.
    pub fn sends_credentials_in_clear(&self) -> bool {
        let url = &self.settings.url;
        let host = url.host_str().unwrap_or_default();
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        url.scheme() == "http" && !loopback && !matches!(self.client.auth(), Auth::None)
    }

    /// What the last sync of this source did, if it ran.
    pub fn last_report(&self) -> Option<SyncReport> {
        self.last_report.lock().ok().and_then(|r| r.clone())
    }

    /// Where the sync state is kept.
    fn sync_state(&self) -> Result<&dyn SyncState, CaldavError> {
        self.settings
            .sync_state
            .as_deref()
            .ok_or(CaldavError::NoSyncState)
    }

    /// Runs discovery and lists the account's calendars.
    pub async fn discover(&self) -> Result<Account, CaldavError> {
        discovery::discover(&self.client, &self.settings.url).await
    }

    /// Discovers the account and picks the configured calendar.
    pub async fn find_calendar(&self) -> Result<CalendarInfo, CaldavError> {
        let account = self.discover().await?;
        let with_events: Vec<&CalendarInfo> = account
            .calendars
            .iter()
            .filter(|c| c.has_events())
            .collect();
        let picked = match &self.settings.calendar {
            Some(wanted) => account.calendars.iter().find(|c| c.matches(wanted)),
            None if account.given_is_calendar => account.calendars.first(),
            None if with_events.len() == 1 => with_events.first().copied(),
            None => None,
        };
        picked
            .cloned()
            .ok_or_else(|| CaldavError::CalendarNotFound {
                server: origin(&self.settings.url),
                wanted: self
                    .settings
                    .calendar
                    .clone()
                    .unwrap_or_else(|| "(none given: set `calendar`)".into()),
                available: with_events.iter().map(|c| c.name()).collect(),
            })
    }

    /// Whether the server schedules on its own (RFC 6638 `calendar-auto-schedule`): asked
    /// with one `OPTIONS` on the collection, then remembered in the state file for a week,
    /// so a cycle with nothing to write costs no request for it.
    pub async fn announces_scheduling(&self) -> Result<bool, CaldavError> {
        let store = self.sync_state()?;
        if let Some(known) = store.facts(&self.key)?.auto_schedule {
            return Ok(known);
        }
        let url = self.collection_url().await?;
        let announced = discovery::schedules_on_its_own(&self.client, &url).await;
        store.set_auto_schedule(&self.key, announced)?;
        Ok(announced)
    }

    /// Why tete stopped writing into this calendar's events, and since when (UTC), if it did.
    pub fn halted(&self) -> Result<Option<(String, String)>, CaldavError> {
        Ok(self.sync_state()?.facts(&self.key)?.halted)
    }

    /// Stops tete's writes into this calendar's events (`Some(why)`), or resumes them.
    pub fn set_halted(&self, why: Option<&str>) -> Result<(), CaldavError> {
        Ok(self.sync_state()?.set_halted(&self.key, why)?)
    }

    /// Another calendar of the same account (same server, credentials and state file),
    /// picked by display name or path: where private agendas go.
    pub fn sibling(&self, calendar: &str) -> Result<CaldavSource, CaldavError> {
        Ok(CaldavSource::with_http(
            CaldavSettings {
                calendar: Some(calendar.to_string()),
                first_sync_days: None,
                ..self.settings.clone()
            },
            self.client.auth().clone(),
            self.client.http().clone(),
        ))
    }

    async fn collection_url(&self) -> Result<Url, CaldavError> {
        let store = self.sync_state()?;
        if let Some(state) = store.state(&self.key)?
            && let Ok(url) = Url::parse(&state.collection_url)
        {
            return Ok(url);
        }
        Ok(self.find_calendar().await?.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretValue;

    #[test]
    fn debug_never_shows_the_password() {
        let source = CaldavSource::new(
            CaldavSettings {
                url: Url::parse("https://caldav.example.com/dav/").unwrap(),
                calendar: Some("Work".into()),
                sync_state: None,
                retry: RetryPolicy::default(),
                limits: Limits::default(),
                first_sync_days: None,
            },
            Auth::Basic {
                user: "me".into(),
                password: SecretValue::new("hunter2-S3CRET".into()),
            },
        )
        .unwrap();
        let shown = format!("{source:?} {}", source.label());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("caldav.example.com"));
    }

    #[test]
    fn plain_http_to_another_machine_is_flagged() {
        let source = |url: &str, auth: Auth| {
            CaldavSource::new(
                CaldavSettings {
                    url: Url::parse(url).unwrap(),
                    calendar: None,
                    sync_state: None,
                    retry: RetryPolicy::default(),
                    limits: Limits::default(),
                    first_sync_days: None,
                },
                auth,
            )
            .unwrap()
        };
        let basic = || Auth::Basic {
            user: "me".into(),
            password: SecretValue::new("pw".into()),
        };
        assert!(source("http://nas.lan:5232/", basic()).sends_credentials_in_clear());
        assert!(!source("http://127.0.0.1:5232/", basic()).sends_credentials_in_clear());
        assert!(!source("http://[::1]:5232/", basic()).sends_credentials_in_clear());
        assert!(!source("https://nas.lan/", basic()).sends_credentials_in_clear());
        assert!(!source("http://nas.lan/", Auth::None).sends_credentials_in_clear());
    }
}
