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
//! `Content-Type`; a `412` is [`SourceError::PreconditionFailed`]. The server's new ETag is
//! kept (servers re-serialise what they are sent, so its body is not compared byte-wise; see
//! [`super::write`]).

use reqwest::header::HeaderValue;
use reqwest::{Method, StatusCode, Url};
use std::collections::{HashMap, HashSet};

pub mod client;
pub mod discovery;
pub mod error;
pub mod oauth;
pub mod store;
pub mod xml;

pub use client::{Auth, DavClient, Stats, StatsSnapshot};
pub use discovery::{Account, CalendarInfo};
pub use error::CaldavError;
pub use store::{SharedSyncState, SyncState, SyncStore};

use super::{Content, Precondition, Resource, Snapshot, SourceError};
use crate::http::{RetryPolicy, describe, display_url, origin};
use client::RequestParts;
use discovery::{expect_multistatus, percent_decode};
use store::{CalendarState, StoredResource, Update};
use xml::{CALDAV, CS, DAV};

/// Members fetched per `calendar-multiget`.
pub const MULTIGET_BATCH: usize = 100;

/// Most pages of one truncated sync-collection answer followed in one cycle.
const MAX_SYNC_PAGES: usize = 100;

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
}

/// One CalDAV calendar collection.
#[derive(Debug, Clone)]
pub struct CaldavSource {
    settings: CaldavSettings,
    client: DavClient,
    /// The key of this calendar in the state file.
    key: String,
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
}

/// The members of a collection and their etags, as listed by the server.
type Listing = HashMap<String, (String, Option<String>)>;

impl CaldavSource {
    /// A source for the calendar; does no I/O.
    pub fn new(settings: CaldavSettings, auth: Auth) -> Result<CaldavSource, CaldavError> {
        let user = match &auth {
            Auth::Basic { user, .. } => user.clone(),
            Auth::Google(_) => "google".to_string(),
            Auth::None => String::new(),
        };
        let key = format!(
            "{user}@{}#{}",
            settings.url.as_str(),
            settings.calendar.as_deref().unwrap_or("")
        );
        let client = DavClient::new(settings.url.clone(), auth, settings.retry.clone())?;
        Ok(CaldavSource {
            settings,
            client,
            key,
            last_report: Default::default(),
        })
    }

    /// The HTTP client (its request counters).
    pub fn client(&self) -> &DavClient {
        &self.client
    }

    /// `caldav https://host/path/`: what to call it in messages (no user info, no query).
    pub fn label(&self) -> String {
        display_url(&self.settings.url)
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
        CaldavSource::new(
            CaldavSettings {
                calendar: Some(calendar.to_string()),
                first_sync_days: None,
                ..self.settings.clone()
            },
            self.client.auth().clone(),
        )
    }

    /// Syncs the calendar, creating it first (MKCALENDAR in the calendar home, named by its
    /// configured display name) when the account has none by that name.
    pub async fn fetch_or_create(&self) -> Result<Snapshot, SourceError> {
        match self.sync().await {
            Err(CaldavError::CalendarNotFound { .. }) => {
                self.make_calendar().await?;
                self.fetch().await
            }
            other => Ok(other?.0),
        }
    }

    /// Creates the configured calendar in the account's calendar home.
    async fn make_calendar(&self) -> Result<(), CaldavError> {
        let server = origin(&self.settings.url);
        let name = self.settings.calendar.clone().unwrap_or_default();
        if name.contains('/') {
            return Err(CaldavError::Discovery {
                server,
                reason: format!(
                    "no calendar at {name:?}; give an existing one, or a display name for tete to create"
                ),
            });
        }
        let account = self.discover().await?;
        let Some(home) = account.home else {
            return Err(CaldavError::Discovery {
                server,
                reason: format!("no calendar home to create {name:?} in"),
            });
        };
        let url = home
            .join(&format!("{}/", collection_slug(&name)))
            .map_err(|err| CaldavError::Url {
                reason: err.to_string(),
            })?;
        let method = Method::from_bytes(b"MKCALENDAR").unwrap_or(Method::PUT);
        let response = self
            .client
            .send(
                method.clone(),
                &url,
                RequestParts {
                    headers: vec![(
                        reqwest::header::CONTENT_TYPE,
                        HeaderValue::from_static("application/xml; charset=utf-8"),
                    )],
                    body: Some(xml::mkcalendar(&name).into_bytes()),
                },
            )
            .await?;
        if !response.status.is_success() {
            return Err(CaldavError::Status {
                request: describe(&method, &url),
                status: response.status,
            });
        }
        tracing::info!(calendar = %name, url = %display_url(&url), "created a calendar for private agendas");
        Ok(())
    }

    /// Syncs the calendar and returns every resource.
    pub async fn fetch(&self) -> Result<Snapshot, SourceError> {
        let (snapshot, _) = self.sync().await?;
        Ok(snapshot)
    }

    /// One sync cycle: finds what changed, fetches it, stores it, returns the whole calendar
    /// and what the cycle did.
    pub async fn sync(&self) -> Result<(Snapshot, SyncReport), CaldavError> {
        let store = self.sync_state()?;
        let report = match store.state(&self.key)? {
            Some(state) => match Url::parse(&state.collection_url) {
                Ok(url) => match self.sync_known(store, &url, &state).await {
                    // The calendar moved or was deleted: discover again, once.
                    Err(CaldavError::Status { status, .. })
                        if status == StatusCode::NOT_FOUND || status == StatusCode::GONE =>
                    {
                        store.forget(&self.key)?;
                        self.sync_new(store).await?
                    }
                    other => other?,
                },
                Err(_) => {
                    store.forget(&self.key)?;
                    self.sync_new(store).await?
                }
            },
            None => self.sync_new(store).await?,
        };
        let resources = store
            .resources(&self.key)?
            .into_iter()
            .map(|r| Resource {
                href: r.href,
                etag: r.etag,
                content: Content::Memory(r.body),
            })
            .collect();
        let not_modified = report.fetched == 0 && report.deleted == 0;
        if let Ok(mut last) = self.last_report.lock() {
            *last = Some(report.clone());
        }
        Ok((
            Snapshot {
                resources,
                not_modified,
            },
            report,
        ))
    }

    /// First sync of this calendar: discovery, then a full listing.
    async fn sync_new(&self, store: &dyn SyncState) -> Result<SyncReport, CaldavError> {
        let calendar = self.find_calendar().await?;
        let state = CalendarState {
            collection_url: calendar.url.to_string(),
            sync_token: None,
            ctag: calendar.ctag.clone(),
        };
        if let Some(days) = self.settings.first_sync_days {
            // The token read by discovery (before this listing) is where later syncs start:
            // whatever changes from now on is reported then, however old the event.
            let since = chrono::Utc::now() - chrono::Duration::days(i64::from(days));
            let since = since.format("%Y%m%dT%H%M%SZ").to_string();
            let listing = self.query_etags(&calendar.url, Some(&since)).await?;
            let state = CalendarState {
                sync_token: calendar
                    .sync_token
                    .clone()
                    .filter(|_| calendar.supports_sync),
                ..state
            };
            return self
                .apply_listing(
                    store,
                    &calendar.url,
                    state,
                    listing,
                    "calendar-query (time range)",
                )
                .await;
        }
        if calendar.supports_sync {
            match self.sync_collection(store, &calendar.url, &state, "").await {
                Ok(report) => return Ok(report),
                Err(err) if is_sync_refusal(&err) => {
                    tracing::info!(calendar = %display_url(&calendar.url), error = %err,
                        "sync-collection refused; using calendar-query");
                    let listing = self.query_etags(&calendar.url, None).await?;
                    return self
                        .apply_listing(store, &calendar.url, state, listing, "calendar-query")
                        .await;
                }
                Err(err) => return Err(err),
            }
        }
        let listing = self.list_etags(&calendar.url).await?;
        self.apply_listing(store, &calendar.url, state, listing, "etags")
            .await
    }

    /// A calendar synced before.
    async fn sync_known(
        &self,
        store: &dyn SyncState,
        url: &Url,
        state: &CalendarState,
    ) -> Result<SyncReport, CaldavError> {
        if let Some(token) = &state.sync_token {
            return match self.sync_collection(store, url, state, token).await {
                Err(err) if is_invalid_token(&err) => {
                    tracing::info!(calendar = %display_url(url), "sync token expired; full resync");
                    let mut report = self.sync_collection(store, url, state, "").await?;
                    report.full_resync = true;
                    Ok(report)
                }
                Err(err) if is_sync_refusal(&err) => {
                    tracing::info!(calendar = %display_url(url), error = %err,
                        "sync-collection refused; using calendar-query");
                    let listing = self.query_etags(url, None).await?;
                    let state = CalendarState {
                        sync_token: None,
                        ..state.clone()
                    };
                    self.apply_listing(store, url, state, listing, "calendar-query")
                        .await
                }
                other => other,
            };
        }
        // No sync-collection: has the ctag moved?
        let (answered, ms) =
            discovery::propfind(&self.client, url, "0", xml::propfind_ctag()).await?;
        let _ = answered;
        let ctag = ms
            .responses
            .first()
            .and_then(|r| r.text(CS, "getctag"))
            .map(str::to_string);
        if ctag.is_some() && ctag == state.ctag {
            return Ok(SyncReport {
                collection: display_url(url),
                method: "ctag",
                ..SyncReport::default()
            });
        }
        let listing = self.list_etags(url).await?;
        let state = CalendarState {
            ctag,
            ..state.clone()
        };
        self.apply_listing(store, url, state, listing, "ctag").await
    }

    /// A sync-collection REPORT from `token` (`""`: initial), then multiget of the changes.
    async fn sync_collection(
        &self,
        store: &dyn SyncState,
        url: &Url,
        state: &CalendarState,
        token: &str,
    ) -> Result<SyncReport, CaldavError> {
        let method = report_method();
        let mut listing = Listing::new();
        let mut deleted: Vec<String> = Vec::new();
        let mut page_token = token.to_string();
        let mut pages = 0;
        let new_token = loop {
            pages += 1;
            let response = self
                .client
                .xml("REPORT", url, Some("0"), xml::sync_collection(&page_token))
                .await?;
            if response.status.is_client_error()
                && xml::error_conditions(&response.body)
                    .iter()
                    .any(|c| c.is(xml::DAV, "valid-sync-token"))
            {
                return Err(CaldavError::SyncTokenExpired {
                    request: describe(&method, url),
                    status: response.status,
                });
            }
            let (answered, ms) = expect_multistatus(&method, url, response)?;
            // RFC 6578 3.6: a server may answer part of the changes, marking the collection
            // itself 507; the token then continues from there.
            let mut truncated = false;
            for response in &ms.responses {
                let Some(raw) = response.href() else { continue };
                let href = normalize_href(&answered, raw);
                if same_path(&href, url.path()) {
                    truncated |= response.status == Some(507);
                    continue;
                }
                if response.status == Some(404) {
                    listing.remove(&href);
                    deleted.push(href);
                } else {
                    deleted.retain(|d| *d != href);
                    let etag = response.text(DAV, "getetag").map(str::to_string);
                    listing.insert(href, (raw.to_string(), etag));
                }
            }
            match ms.sync_token {
                Some(next) if truncated && next != page_token && pages < MAX_SYNC_PAGES => {
                    page_token = next;
                }
                other => break other,
            }
        };
        let state = CalendarState {
            sync_token: new_token,
            ..state.clone()
        };
        if token.is_empty() {
            // Initial or full resync: the listing is the whole collection.
            return self
                .apply_listing(store, url, state, listing, "sync-collection")
                .await;
        }
        let stored = store.etags(&self.key)?;
        let deleted: Vec<String> = deleted
            .into_iter()
            .filter(|h| stored.contains_key(h))
            .collect();
        self.store_changes(
            store,
            url,
            state,
            &listing,
            &stored,
            deleted,
            "sync-collection",
        )
        .await
    }

    /// Stores a full listing: fetches members whose etag changed, deletes those gone.
    async fn apply_listing(
        &self,
        store: &dyn SyncState,
        url: &Url,
        state: CalendarState,
        listing: Listing,
        method: &'static str,
    ) -> Result<SyncReport, CaldavError> {
        let stored = store.etags(&self.key)?;
        let deleted: Vec<String> = stored
            .keys()
            .filter(|h| !listing.contains_key(*h))
            .cloned()
            .collect();
        self.store_changes(store, url, state, &listing, &stored, deleted, method)
            .await
    }

    /// Fetches (multiget) the listed members whose etag differs from the stored one, and
    /// stores them, the deletions and the new state in one update.
    #[allow(clippy::too_many_arguments)] // one call per sync method; a struct would only rename them
    async fn store_changes(
        &self,
        store: &dyn SyncState,
        url: &Url,
        state: CalendarState,
        listing: &Listing,
        stored: &HashMap<String, Option<String>>,
        deleted: Vec<String>,
        method: &'static str,
    ) -> Result<SyncReport, CaldavError> {
        let changed: Vec<(String, String)> = listing
            .iter()
            .filter(|(href, (_, etag))| etag.is_none() || stored.get(*href) != Some(etag))
            .map(|(href, (raw, _))| (href.clone(), raw.clone()))
            .collect();
        let fetched = self.multiget(url, &changed).await?;
        let report = SyncReport {
            collection: display_url(url),
            method,
            full_resync: false,
            fetched: fetched.len(),
            deleted: deleted.len(),
        };
        store.apply(
            &self.key,
            &Update {
                state,
                replace_all: false,
                upserts: fetched,
                deletes: deleted,
            },
        )?;
        Ok(report)
    }

    /// Every member's etag, by PROPFIND Depth 1.
    async fn list_etags(&self, url: &Url) -> Result<Listing, CaldavError> {
        let (answered, ms) =
            discovery::propfind(&self.client, url, "1", xml::propfind_etags()).await?;
        Ok(self.listing_of(&answered, url, &ms))
    }

    /// Every event's etag, by calendar-query (for servers whose sync REPORT fails).
    async fn query_etags(&self, url: &Url, since: Option<&str>) -> Result<Listing, CaldavError> {
        let method = report_method();
        let response = self
            .client
            .xml("REPORT", url, Some("1"), xml::calendar_query_etags(since))
            .await?;
        let (answered, ms) = expect_multistatus(&method, url, response)?;
        Ok(self.listing_of(&answered, url, &ms))
    }

    fn listing_of(&self, answered: &Url, url: &Url, ms: &xml::Multistatus) -> Listing {
        let mut listing = Listing::new();
        for response in &ms.responses {
            let Some(raw) = response.href() else { continue };
            let href = normalize_href(answered, raw);
            if same_path(&href, url.path())
                || response.prop_has(DAV, "resourcetype", DAV, "collection")
                || response.status.is_some_and(|s| s >= 400)
            {
                continue;
            }
            let etag = response.text(DAV, "getetag").map(str::to_string);
            listing.insert(href, (raw.to_string(), etag));
        }
        listing
    }

    /// Fetches members by calendar-multiget, in batches.
    async fn multiget(
        &self,
        url: &Url,
        hrefs: &[(String, String)],
    ) -> Result<Vec<StoredResource>, CaldavError> {
        let method = report_method();
        let mut out = Vec::with_capacity(hrefs.len());
        let wanted: HashSet<&str> = hrefs.iter().map(|(h, _)| h.as_str()).collect();
        for batch in hrefs.chunks(MULTIGET_BATCH) {
            let body = xml::calendar_multiget(batch.iter().map(|(_, raw)| raw.as_str()));
            let response = self.client.xml("REPORT", url, Some("1"), body).await?;
            let (answered, ms) = expect_multistatus(&method, url, response)?;
            for response in &ms.responses {
                let Some(raw) = response.href() else { continue };
                let href = normalize_href(&answered, raw);
                if !wanted.contains(href.as_str()) {
                    continue;
                }
                let Some(data) = response.prop(CALDAV, "calendar-data") else {
                    // Listed but gone by now (Google has been seen to do this): the next
                    // sync reports it deleted.
                    tracing::debug!(href, "multiget gave no calendar-data");
                    continue;
                };
                out.push(StoredResource {
                    href,
                    etag: response.text(DAV, "getetag").map(str::to_string),
                    body: data.text.clone().into_bytes(),
                });
            }
        }
        Ok(out)
    }

    /// The URL of a resource: an href from a snapshot (a path), or a new file name (in the
    /// collection).
    async fn resource_url(&self, href: &str) -> Result<Url, CaldavError> {
        let collection = self.collection_url().await?;
        let mut url = collection.clone();
        if href.starts_with('/') {
            url.set_path(href);
        } else {
            if href.is_empty() || href.contains('/') || href == "." || href == ".." {
                return Err(CaldavError::Url {
                    reason: format!("{href:?} is not a resource name"),
                });
            }
            let mut path = collection.path().to_string();
            if !path.ends_with('/') {
                path.push('/');
            }
            path.push_str(href);
            url.set_path(&path);
        }
        Ok(url)
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

    /// Reads one resource fresh from the server (before changing it).
    pub async fn get(&self, href: &str) -> Result<Resource, CaldavError> {
        let url = self.resource_url(href).await?;
        let response = self
            .client
            .send(Method::GET, &url, RequestParts::default())
            .await?;
        if !response.status.is_success() {
            return Err(CaldavError::Status {
                request: describe(&Method::GET, &url),
                status: response.status,
            });
        }
        let etag = response.header("etag").map(str::to_string);
        let href = percent_decode(url.path());
        if !is_icalendar(&response.body) {
            return Err(CaldavError::NotCalendar {
                request: describe(&Method::GET, &url),
                href,
            });
        }
        Ok(Resource {
            href,
            etag,
            content: Content::Memory(response.body),
        })
    }

    /// Writes `body` to `href` if `precondition` holds; returns the server's new ETag.
    pub async fn put(
        &self,
        href: &str,
        precondition: Precondition,
        body: Vec<u8>,
    ) -> Result<String, SourceError> {
        let url = self.resource_url(href).await?;
        let mut headers = vec![(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("text/calendar; charset=utf-8"),
        )];
        match &precondition {
            Precondition::IfMatch(etag) => {
                let value = HeaderValue::from_str(etag).map_err(|_| CaldavError::Url {
                    reason: "the etag is not a valid header value".into(),
                })?;
                headers.push((reqwest::header::IF_MATCH, value));
            }
            Precondition::IfNoneMatch => {
                headers.push((
                    reqwest::header::IF_NONE_MATCH,
                    HeaderValue::from_static("*"),
                ));
            }
        }
        let response = self
            .client
            .send(
                Method::PUT,
                &url,
                RequestParts {
                    headers,
                    body: Some(body.clone()),
                },
            )
            .await?;
        let href = percent_decode(url.path());
        if response.status == StatusCode::PRECONDITION_FAILED {
            return Err(SourceError::PreconditionFailed { href });
        }
        if !response.status.is_success() {
            return Err(CaldavError::Status {
                request: describe(&Method::PUT, &url),
                status: response.status,
            }
            .into());
        }
        let etag = match response.header("etag") {
            Some(etag) => etag.to_string(),
            // No ETag on the PUT answer: ask for it.
            None => self.get(&href).await?.etag.unwrap_or_default(),
        };
        let store = self.sync_state()?;
        store
            .put_resource(
                &self.key,
                &StoredResource {
                    href,
                    etag: Some(etag.clone()),
                    body,
                },
            )
            .map_err(CaldavError::from)?;
        Ok(etag)
    }
}

/// A path segment for a new calendar: letters and digits kept (lower case), the rest
/// folded into dashes ("tete agendas" becomes `tete-agendas`).
fn collection_slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-');
    if slug.is_empty() {
        "tete-agendas".to_string()
    } else {
        slug.to_string()
    }
}

fn report_method() -> Method {
    Method::from_bytes(b"REPORT").unwrap_or(Method::GET)
}

/// The token expired.
fn is_invalid_token(err: &CaldavError) -> bool {
    matches!(err, CaldavError::SyncTokenExpired { .. })
}

/// A sync REPORT failure that calendar-query may get around (Google's 507, a 403/501 from
/// a server that does not really do sync-collection, an unreadable answer).
fn is_sync_refusal(err: &CaldavError) -> bool {
    match err {
        CaldavError::Status { status, .. } => {
            *status != StatusCode::NOT_FOUND
                && *status != StatusCode::GONE
                && (status.is_client_error() || status.is_server_error())
        }
        _ => false,
    }
}

/// An href as stored: the percent-decoded path, resolved against the answering URL.
fn normalize_href(base: &Url, raw: &str) -> String {
    match base.join(raw.trim()) {
        Ok(url) => percent_decode(url.path()),
        Err(_) => percent_decode(raw.trim()),
    }
}

fn same_path(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == percent_decode(b).trim_end_matches('/')
}

/// Whether bytes look like iCalendar (a `BEGIN:VCALENDAR` or `BEGIN:VEVENT` line).
fn is_icalendar(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]).to_ascii_uppercase();
    text.contains("BEGIN:VCALENDAR") || text.contains("BEGIN:VEVENT")
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

    #[test]
    fn hrefs_are_normalized_paths() {
        let base = Url::parse("https://h.example/dav/cal/").unwrap();
        assert_eq!(
            normalize_href(&base, "/dav/cal/a%40b.ics"),
            "/dav/cal/a@b.ics"
        );
        assert_eq!(normalize_href(&base, "a.ics"), "/dav/cal/a.ics");
        assert_eq!(
            normalize_href(&base, "https://h.example/dav/cal/x.ics"),
            "/dav/cal/x.ics"
        );
        assert!(same_path("/dav/cal", "/dav/cal/"));
    }

    #[test]
    fn sync_errors_are_classified() {
        let status = |code: u16, request: &str| CaldavError::Status {
            request: request.into(),
            status: StatusCode::from_u16(code).unwrap(),
        };
        let expired = CaldavError::SyncTokenExpired {
            request: "REPORT x".into(),
            status: StatusCode::FORBIDDEN,
        };
        assert!(is_invalid_token(&expired));
        assert!(!is_invalid_token(&status(403, "REPORT x")));
        assert!(!is_sync_refusal(&expired));
        assert!(is_sync_refusal(&status(507, "REPORT x")));
        assert!(is_sync_refusal(&status(501, "REPORT x")));
        assert!(!is_sync_refusal(&status(404, "REPORT x")));
    }
}
