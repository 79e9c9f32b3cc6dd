//! Microsoft 365 and Outlook.com calendars through Microsoft Graph.
//!
//! Exchange Online has no CalDAV, so a Graph calendar is its own source that yields what
//! every other source yields: iCalendar resources (one per series or single event, made by
//! [`ical`]), read by the same collector, detection, history, report and nudges. Its parts:
//!
//! - [`auth`]: the device-code sign-in (`tete auth microsoft`) and access tokens from the
//!   stored refresh token (the token file and form POST are `caldav::oauth`'s);
//! - [`client`]: requests with the bearer token, retried on `429`/`503` as Graph asks, a
//!   token refreshed once when Graph answers `401` mid-cycle;
//! - `sync`: `calendarView/delta` rounds, kept in the state file through the same
//!   [`SyncState`](super::caldav::SyncState) CalDAV uses (the delta link as the sync token,
//!   Graph's events as JSON bodies), and the series masters read once when they change;
//! - `write`: an agenda written into one occurrence with `PATCH` and `If-Match`, a
//!   private agenda as an event of tete's own calendar.

pub mod auth;
pub mod client;
pub mod ical;
pub mod model;
mod sync;
mod write;

pub use sync::GraphCalendar;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use reqwest::{StatusCode, Url};

use self::auth::{AuthError, MicrosoftAuth, Registration};
use self::client::GraphClient;
use super::caldav::SharedSyncState;
use super::{Resource, Snapshot, SourceError};
use crate::http::RetryPolicy;

/// The longest calendar view Graph serves, in days (past and future together).
pub const MAX_WINDOW_DAYS: u32 = 1825;

/// A Graph calendar as configured (`[[calendar]] graph = { ... }`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphLocation {
    /// The app registration's application (client) id.
    pub client_id: String,
    /// The tenant: `common` (the default), `organizations`, `consumers`, or a directory.
    pub tenant: String,
    /// Which calendar, by name; `None` for the account's default calendar.
    pub calendar: Option<String>,
    /// Where `tete auth microsoft` keeps the refresh token (created 0600).
    pub token_file: PathBuf,
    /// Days before today the calendar view starts (default 365).
    pub past_days: u32,
    /// Days after today it ends (default 365).
    pub future_days: u32,
    /// Graph's root: `https://graph.microsoft.com/v1.0/`, a national cloud's, or a test
    /// server's.
    pub api: String,
    /// The sign-in host: `https://login.microsoftonline.com/` or a national cloud's.
    pub authority: String,
}

impl GraphLocation {
    /// The app registration this calendar signs in with.
    pub fn registration(&self) -> Result<Registration, GraphError> {
        Ok(Registration {
            client_id: self.client_id.clone(),
            tenant: self.tenant.clone(),
            authority: Url::parse(&self.authority).map_err(|e| GraphError::Url {
                reason: format!("authority: {e}"),
            })?,
        })
    }

    /// The source, signing in through the account's shared token.
    pub fn source(
        &self,
        sync_state: Option<SharedSyncState>,
        retry: RetryPolicy,
    ) -> Result<GraphSource, GraphError> {
        let root = Url::parse(&self.api).map_err(|e| GraphError::Url {
            reason: format!("api: {e}"),
        })?;
        let auth = shared_auth(self.registration()?, self.token_file.clone());
        GraphSource::new(self.clone(), auth, root, sync_state, retry)
    }
}

/// Why a Graph calendar could not be read or written. Messages name the request (method
/// and URL without its query: delta links carry tokens) and never a token.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// Signing in failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A URL could not be made.
    #[error("a Graph URL is not usable: {reason}")]
    Url {
        /// Why.
        reason: String,
    },
    /// The request failed: DNS, connection, TLS, timeout.
    #[error("{what} failed")]
    Request {
        /// The request.
        what: String,
        /// Why.
        source: reqwest::Error,
    },
    /// Graph answered an error.
    #[error("{what}: Graph answered {status}{}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Status {
        /// The request.
        what: String,
        /// The status.
        status: StatusCode,
        /// Graph's error code.
        code: Option<String>,
    },
    /// Graph kept answering "later" (429, 503, ...).
    #[error("{what}: Graph answered {status} {attempts} times; tried again next cycle")]
    GaveUp {
        /// The request.
        what: String,
        /// The last status.
        status: StatusCode,
        /// Tries.
        attempts: u32,
    },
    /// Graph asked to wait longer than tete waits within a cycle.
    #[error("{what}: Graph is throttling and asked to wait {seconds} s; tried again next cycle")]
    Throttled {
        /// The request.
        what: String,
        /// How long Graph asked for.
        seconds: u64,
    },
    /// The answer is not what Graph documents.
    #[error("{what}: the answer is not Graph's JSON ({reason})")]
    Garbage {
        /// The request.
        what: String,
        /// Why.
        reason: String,
    },
    /// No calendar of that name.
    #[error("no calendar named {name:?} in this Microsoft account (calendars: {found})")]
    CalendarNotFound {
        /// The name asked for.
        name: String,
        /// The names there are.
        found: String,
    },
    /// The sync state could not be read or written.
    #[error(transparent)]
    Store(#[from] super::caldav::store::StoreError),
    /// A write could not be made into Graph's terms.
    #[error("{reason}")]
    Write {
        /// Why.
        reason: String,
    },
}

/// What is known of one series or event from the last read, for writing into it.
#[derive(Debug, Clone, Default)]
struct Index {
    /// Each occurrence by its original start as its `RECURRENCE-ID` says it, or the event
    /// itself under `None`.
    targets: HashMap<Option<ical::Moment>, Target>,
}

/// One Graph event a description can be written to.
#[derive(Debug, Clone)]
struct Target {
    id: String,
    etag: Option<String>,
    html: bool,
    description: String,
}

/// A Graph calendar.
#[derive(Debug, Clone)]
pub struct GraphSource {
    client: GraphClient,
    location: GraphLocation,
    sync_state: Option<SharedSyncState>,
    /// The key of this calendar in the sync state.
    key: String,
    /// What the last read of each resource found, for writing.
    index: Arc<Mutex<HashMap<String, Index>>>,
}

impl GraphSource {
    /// A source for `location`, signing in through `auth` (shared by the account's
    /// calendars); requests go to `root` (Graph's, or a test server's).
    pub fn new(
        location: GraphLocation,
        auth: Arc<MicrosoftAuth>,
        root: Url,
        sync_state: Option<SharedSyncState>,
        retry: RetryPolicy,
    ) -> Result<GraphSource, GraphError> {
        let http = crate::http::build(
            crate::http::builder(retry.connect_timeout, retry.request_timeout)
                .redirect(reqwest::redirect::Policy::none()),
        )
        .map_err(|e| GraphError::Url {
            reason: e.to_string(),
        })?;
        let key = format!(
            "graph:{}:{}:{}",
            auth.token_file.display(),
            location.client_id,
            location.calendar.as_deref().unwrap_or("")
        );
        Ok(GraphSource {
            client: GraphClient::new(http, root, auth, retry),
            location,
            sync_state,
            key,
            index: Arc::default(),
        })
    }

    /// The same account's calendar `name` (where private agendas go).
    pub fn sibling(&self, name: &str) -> GraphSource {
        let location = GraphLocation {
            calendar: Some(name.to_string()),
            ..self.location.clone()
        };
        let key = format!(
            "graph:{}:{}:{}",
            self.client_token_file().display(),
            location.client_id,
            name
        );
        GraphSource {
            client: self.client.clone(),
            location,
            sync_state: self.sync_state.clone(),
            key,
            index: Arc::default(),
        }
    }

    fn client_token_file(&self) -> PathBuf {
        self.location.token_file.clone()
    }

    /// The client (for tests: its request count).
    pub fn client(&self) -> &GraphClient {
        &self.client
    }

    /// What to call it in messages.
    pub fn label(&self) -> String {
        format!(
            "graph:{}",
            self.location
                .calendar
                .as_deref()
                .unwrap_or("default calendar")
        )
    }

    /// Reads the calendar: a delta round (one request when nothing changed), then every
    /// series and event as iCalendar.
    pub async fn fetch(&self) -> Result<Snapshot, SourceError> {
        Ok(self.sync(false).await?)
    }

    /// [`Self::fetch`], creating the calendar first when there is none of that name (the
    /// private agendas' calendar).
    pub async fn fetch_or_create(&self) -> Result<Snapshot, SourceError> {
        Ok(self.sync(true).await?)
    }

    /// Reads one resource fresh (before a write).
    pub async fn get(&self, href: &str) -> Result<Resource, SourceError> {
        Ok(self.read_fresh(href).await?)
    }
}

/// One [`MicrosoftAuth`] per token file and client in the process: the calendars of one
/// account share one access token.
pub fn shared_auth(registration: Registration, token_file: PathBuf) -> Arc<MicrosoftAuth> {
    type Registry = Mutex<HashMap<(PathBuf, String), Arc<MicrosoftAuth>>>;
    static SHARED: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
    let key = (token_file.clone(), registration.client_id.clone());
    let registry = SHARED.get_or_init(Default::default);
    match registry.lock() {
        Ok(mut shared) => shared
            .entry(key)
            .or_insert_with(|| Arc::new(MicrosoftAuth::new(registration, token_file)))
            .clone(),
        Err(_) => Arc::new(MicrosoftAuth::new(registration, token_file)),
    }
}
