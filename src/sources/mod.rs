//! Calendar sources: where iCalendar resources come from, and for some, where tete may write.
//!
//! A [`Source`] is one configured calendar: a single `.ics` [`file`](mod@file), a [`vdir`] (one file
//! per event) or an HTTP(S) [`feed`]. Fetching yields [`Resource`]s; each one is opened as a
//! [`std::io::BufRead`] for the streaming [`crate::calendar::reader::Reader`], so a big file
//! or feed body stays on disk and is never held in memory whole.
//!
//! A [`caldav`] source is one calendar collection on a CalDAV server, synced incrementally
//! into the state file.
//!
//! Sources are an enum rather than trait objects: the set is closed, async methods on an enum need no boxing, and callers can match on the kind
//! when they must (a feed's 304, a read-only source). Writes are conditional, as in CalDAV:
//! [`Source::put`] replaces a resource only if its etag is still the one read, or creates it
//! only if it does not exist, and fails with [`SourceError::PreconditionFailed`] otherwise.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::http::{ClientError, HttpClient};
use crate::secret::SecretError;

pub mod caldav;
pub mod feed;
pub mod file;
mod folder_watch;
pub mod graph;
mod location;
mod resource;
pub mod vdir;
pub mod write;

pub use caldav::{CaldavError, CaldavSource};
pub use feed::FeedSource;
pub use file::FileSource;
pub use folder_watch::FolderWatch;

/// What sources keep between a long-running process's cycles, so that a cycle in which a
/// calendar did not change lists it from memory: the watched vdir folders with their
/// listings, and the resources made of CalDAV calendars' stored listings.
#[derive(Default)]
pub struct Kept {
    /// The watched vdir folders.
    pub folders: FolderWatch,
    /// The resources made of CalDAV listings.
    pub caldav: caldav::KeptResources,
}
pub use graph::{GraphError, GraphLocation, GraphSource};
pub use location::{CaldavAuth, CaldavLocation, CalendarSpec, GoogleClient, Location};
pub use resource::{Content, Resource, ResourceReader, StoredBody};
pub use vdir::VdirSource;

/// One calendar source.
#[derive(Debug, Clone)]
pub enum Source {
    /// One `.ics` file, read-only.
    File(FileSource),
    /// A folder of `.ics` files, writable.
    Vdir(VdirSource),
    /// An iCalendar feed over HTTP(S), read-only.
    Feed(FeedSource),
    /// A calendar collection on a CalDAV server, writable.
    Caldav(Box<CaldavSource>),
    /// A Microsoft 365 / Outlook.com calendar through Microsoft Graph, writable.
    Graph(Box<GraphSource>),
}

/// The kind of a source, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// See [`Source::File`].
    File,
    /// See [`Source::Vdir`].
    Vdir,
    /// See [`Source::Feed`].
    Feed,
    /// See [`Source::Caldav`].
    Caldav,
    /// See [`Source::Graph`].
    Graph,
}

/// What one fetch of a source found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Every resource, in a stable order (by name for a vdir).
    pub resources: std::sync::Arc<[Resource]>,
    /// True when an HTTP server answered 304 Not Modified and the cached copy is used.
    pub not_modified: bool,
}

/// The condition of a write, as HTTP's `If-Match` / `If-None-Match: *`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// Replace the resource only if its etag is still this one.
    IfMatch(String),
    /// Create the resource only if it does not exist yet.
    IfNoneMatch,
}

/// Why a source could not be read or written. Never contains a feed's full URL.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A local file or folder could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A local file could not be written (a vdir item, a feed's cache).
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A conditional write found the resource changed, deleted, or (when creating) present.
    #[error("{href} was changed by someone else since it was read (or already exists)")]
    PreconditionFailed {
        /// The resource.
        href: String,
    },
    /// A write was asked of a source tete does not write to.
    #[error("{label} is read-only: tete does not write there")]
    ReadOnly {
        /// The source's label.
        label: String,
    },
    /// A resource name that is not a plain `.ics` file name.
    #[error("{href:?} is not a valid resource name (a plain file name ending in .ics)")]
    InvalidHref {
        /// The name given.
        href: String,
    },
    /// The feed URL could not be used. The reason never quotes the URL.
    #[error("the feed URL is not usable: {reason}")]
    FeedUrl {
        /// What is wrong with it.
        reason: String,
    },
    /// The feed URL is a secret that could not be resolved.
    #[error("cannot get the feed URL")]
    Secret(#[from] SecretError),
    /// A CalDAV password or OAuth client secret could not be resolved.
    #[error("cannot get the CalDAV {what}")]
    CaldavSecret {
        /// "password" or "Google client secret".
        what: &'static str,
        /// Why.
        source: SecretError,
    },
    /// The HTTP client could not be set up (TLS configuration).
    #[error(transparent)]
    HttpClient(#[from] ClientError),
    /// The request failed: DNS, connection, TLS, or the body was cut short.
    #[error("cannot fetch {feed}")]
    Request {
        /// The feed's redacted label (`https://host/…`).
        feed: String,
        /// The underlying error, its URL removed.
        source: reqwest::Error,
    },
    /// The server did not answer (or finish answering) in time.
    #[error(
        "cannot fetch {feed}: no complete answer in time (limits: connect {}s, total {seconds}s; \
         `request_timeout` sets the total)",
        crate::http::CONNECT_TIMEOUT.as_secs()
    )]
    Timeout {
        /// The feed's redacted label.
        feed: String,
        /// The total time allowed, in seconds.
        seconds: u64,
    },
    /// The server answered with an error status.
    #[error("cannot fetch {feed}: the server answered {status}")]
    HttpStatus {
        /// The feed's redacted label.
        feed: String,
        /// The status, e.g. `404 Not Found`.
        status: reqwest::StatusCode,
    },
    /// The server answered 304 Not Modified but the cached copy has disappeared.
    #[error("{feed} answered 304 Not Modified but its cached copy is gone; fetch again")]
    CacheGone {
        /// The feed's redacted label.
        feed: String,
    },
    /// A background file operation was cancelled (the runtime is shutting down).
    #[error("a file operation was cancelled")]
    Cancelled,
    /// A CalDAV request, discovery or sync failed (the message names server and request).
    #[error(transparent)]
    Caldav(#[from] CaldavError),
    /// A Microsoft Graph request, sign-in or sync failed.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

impl SourceError {
    /// True for a conditional write that lost a race (someone else changed the resource):
    /// the caller should fetch again and redo its change, not give up.
    pub fn is_precondition_failed(&self) -> bool {
        matches!(self, SourceError::PreconditionFailed { .. })
    }
}

impl Source {
    /// The source of a configured calendar. Resolves a feed's URL secret now (running its
    /// command, if any) but does no I/O on the calendar itself. A CalDAV calendar keeps its
    /// sync state in `sync_state` (from the state file's owner).
    pub fn from_location(
        location: &Location,
        feed_cache_dir: &Path,
        http: &HttpClient,
        sync_state: Option<&caldav::SharedSyncState>,
    ) -> Result<Source, SourceError> {
        Ok(match location {
            Location::File(path) => Source::File(FileSource::new(path.clone())),
            Location::Vdir(path) => Source::Vdir(VdirSource::new(path.clone())),
            Location::Feed(secret) => {
                let url = secret.resolve()?;
                Source::Feed(FeedSource::new(url.expose(), feed_cache_dir, http)?)
            }
            Location::Caldav(caldav) => {
                Source::Caldav(Box::new(caldav_source(caldav, sync_state.cloned(), http)?))
            }
            Location::Graph(graph) => Source::Graph(Box::new(graph.source(
                sync_state.cloned(),
                crate::http::RetryPolicy {
                    request_timeout: http.timeout(),
                    ..crate::http::RetryPolicy::default()
                },
            )?)),
        })
    }

    /// Its kind.
    pub fn kind(&self) -> SourceKind {
        match self {
            Source::File(_) => SourceKind::File,
            Source::Vdir(_) => SourceKind::Vdir,
            Source::Feed(_) => SourceKind::Feed,
            Source::Caldav(_) => SourceKind::Caldav,
            Source::Graph(_) => SourceKind::Graph,
        }
    }

    /// Whether tete may write to it. Files and feeds belong to another program (an export,
    /// a server) that would overwrite or ignore tete's changes.
    pub fn is_writable(&self) -> bool {
        match self {
            Source::File(_) | Source::Feed(_) => false,
            Source::Vdir(_) | Source::Caldav(_) | Source::Graph(_) => true,
        }
    }

    /// What to call it in messages: a path, or a feed's `https://host/…` (never its secret).
    pub fn label(&self) -> String {
        match self {
            Source::File(file) => file.path().display().to_string(),
            Source::Vdir(vdir) => vdir.path().display().to_string(),
            Source::Feed(feed) => feed.label().to_string(),
            Source::Caldav(caldav) => caldav.label(),
            Source::Graph(graph) => graph.label(),
        }
    }

    /// What to call one of its resources in warnings, so a person can find it.
    pub fn resource_origin(&self, resource: &Resource) -> String {
        match self {
            Source::File(file) => file.path().display().to_string(),
            Source::Vdir(vdir) => vdir.item_origin(&resource.href),
            Source::Feed(feed) => feed.label().to_string(),
            Source::Caldav(caldav) => caldav.item_origin(&resource.href),
            Source::Graph(graph) => format!("{}/{}", graph.label(), resource.href),
        }
    }

    /// [`Source::fetch`], a vdir's listing taken from `kept` while its folder did not
    /// change (see [`FolderWatch`]), a CalDAV calendar's resources while its stored listing
    /// did not (see [`caldav::KeptResources`]).
    pub async fn fetch_kept(&self, kept: Option<&Kept>) -> Result<Snapshot, SourceError> {
        match self {
            Source::Vdir(vdir) => vdir.fetch_watched(kept.map(|k| &k.folders)).await,
            Source::Caldav(caldav) => caldav.fetch_kept(kept.map(|k| &k.caldav)).await,
            _ => self.fetch().await,
        }
    }

    /// Reads the list of resources (for a feed: downloads it, or learns it is unchanged).
    pub async fn fetch(&self) -> Result<Snapshot, SourceError> {
        match self {
            Source::File(file) => file.fetch().await,
            Source::Vdir(vdir) => vdir.fetch().await,
            Source::Feed(feed) => feed.fetch().await,
            Source::Caldav(caldav) => caldav.fetch().await,
            Source::Graph(graph) => graph.fetch().await,
        }
    }

    /// Writes `body` as resource `href` if `precondition` holds, returning the new etag.
    pub async fn put(
        &self,
        href: &str,
        precondition: Precondition,
        body: Vec<u8>,
    ) -> Result<String, SourceError> {
        match self {
            Source::Vdir(vdir) => vdir.put(href, precondition, body).await,
            Source::Caldav(caldav) => caldav.put(href, precondition, body).await,
            Source::Graph(graph) => graph.put(href, precondition, body).await,
            Source::File(_) | Source::Feed(_) => Err(SourceError::ReadOnly {
                label: self.label(),
            }),
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceKind::File => "file",
            SourceKind::Vdir => "vdir",
            SourceKind::Feed => "feed",
            SourceKind::Caldav => "caldav",
            SourceKind::Graph => "graph",
        })
    }
}

/// Builds a CalDAV source: resolves the password (running its command, if any) or sets up
/// Google OAuth2; no network I/O.
fn caldav_source(
    location: &CaldavLocation,
    sync_state: Option<caldav::SharedSyncState>,
    http: &HttpClient,
) -> Result<CaldavSource, SourceError> {
    let url = reqwest::Url::parse(&location.url).map_err(|err| CaldavError::Url {
        reason: err.to_string(),
    })?;
    let auth = match &location.auth {
        CaldavAuth::None => caldav::Auth::None,
        CaldavAuth::Basic { user, password } => caldav::Auth::Basic {
            user: user.clone(),
            password: password
                .resolve()
                .map_err(|source| SourceError::CaldavSecret {
                    what: "password",
                    source,
                })?,
        },
        CaldavAuth::Google(google) => {
            let client_secret = match &google.client_secret {
                Some(secret) => {
                    Some(
                        secret
                            .resolve()
                            .map_err(|source| SourceError::CaldavSecret {
                                what: "Google client secret",
                                source,
                            })?,
                    )
                }
                None => None,
            };
            let token_url =
                reqwest::Url::parse(caldav::oauth::GOOGLE_TOKEN_URL).map_err(|err| {
                    CaldavError::Url {
                        reason: err.to_string(),
                    }
                })?;
            caldav::Auth::Google(shared_google_auth(caldav::oauth::GoogleAuth::new(
                google.client_id.clone(),
                client_secret,
                google.token_file.clone(),
                token_url,
            )))
        }
    };
    let settings = caldav::CaldavSettings {
        url,
        calendar: location.calendar.clone(),
        sync_state,
        // The default policy's timeouts: those of `http`'s client.
        retry: crate::http::RetryPolicy {
            request_timeout: http.timeout(),
            ..crate::http::RetryPolicy::default()
        },
        limits: location.limits,
        first_sync_days: location.first_sync_days,
    };
    let client = http
        .no_redirect_client()
        .map_err(|e| SourceError::Caldav(e.into()))?;
    Ok(CaldavSource::with_http(settings, auth, client))
}

/// One [`caldav::oauth::GoogleAuth`] per refresh token file and client in the process, so
/// that several Google calendars share one access token (one refresh an hour, not one per
/// calendar).
fn shared_google_auth(
    auth: caldav::oauth::GoogleAuth,
) -> std::sync::Arc<caldav::oauth::GoogleAuth> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    type Registry = Mutex<HashMap<(PathBuf, String), Arc<caldav::oauth::GoogleAuth>>>;
    static SHARED: OnceLock<Registry> = OnceLock::new();
    let key = (auth.token_file.clone(), auth.client_id.clone());
    let registry = SHARED.get_or_init(Default::default);
    match registry.lock() {
        Ok(mut shared) => shared.entry(key).or_insert_with(|| Arc::new(auth)).clone(),
        Err(_) => Arc::new(auth),
    }
}

/// Runs blocking file work on tokio's blocking pool, so that a daemon's other tasks (HTTP
/// fetches, timers) keep running while a big folder is listed.
async fn run_blocking<T, F>(work: F) -> Result<T, SourceError>
where
    F: FnOnce() -> Result<T, SourceError> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(_) => Err(SourceError::Cancelled),
    }
}

/// The etag of a local file, as vdirsyncer computes it: modification time in nanoseconds
/// and inode. An atomic replacement (new file renamed over the old) always changes the inode,
/// so a change is seen even within the file system's time granularity.
/// `prefix` then `rest`, in one allocation: a cycle names each of thousands of resources.
fn joined(prefix: &str, rest: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + rest.len());
    out.push_str(prefix);
    out.push_str(rest);
    out
}

fn local_etag(metadata: &std::fs::Metadata) -> String {
    let mtime_ns = metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{mtime_ns};{}", file_identity(metadata))
}

#[cfg(unix)]
fn file_identity(metadata: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    metadata.ino()
}

#[cfg(not(unix))]
fn file_identity(metadata: &std::fs::Metadata) -> u64 {
    // No inode: the length at least tells apart most same-instant rewrites.
    metadata.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_password_command_names_the_password_not_a_feed() {
        let location = Location::Caldav(Box::new(CaldavLocation {
            url: "https://dav.example/".into(),
            auth: CaldavAuth::Basic {
                user: "me".into(),
                password: crate::secret::Secret::Command("exit 3".into()),
            },
            calendar: None,
            first_sync_days: None,
            limits: caldav::Limits::default(),
        }));
        let dir = tempfile::tempdir().unwrap();
        let err =
            Source::from_location(&location, dir.path(), &HttpClient::new(), None).unwrap_err();
        assert_eq!(err.to_string(), "cannot get the CalDAV password");
        let cause = std::error::Error::source(&err).map(ToString::to_string);
        assert!(cause.is_some_and(|c| c.contains("exit 3")), "{err:?}");
    }

    #[test]
    fn google_calendars_share_one_token_source() {
        let dir = tempfile::tempdir().unwrap();
        let google = GoogleClient {
            client_id: "id".into(),
            client_secret: None,
            token_file: dir.path().join("token"),
        };
        let location = |calendar: &str| {
            Location::Caldav(Box::new(CaldavLocation {
                url: "https://apidata.googleusercontent.com/caldav/v2/".into(),
                auth: CaldavAuth::Google(google.clone()),
                calendar: Some(calendar.into()),
                first_sync_days: None,
                limits: caldav::Limits::default(),
            }))
        };
        let http = HttpClient::new();
        let open = |name| match Source::from_location(&location(name), dir.path(), &http, None) {
            Ok(Source::Caldav(source)) => match source.client().auth() {
                caldav::Auth::Google(auth) => auth.clone(),
                other => panic!("{other:?}"),
            },
            _ => panic!("not caldav"),
        };
        assert!(std::sync::Arc::ptr_eq(&open("a"), &open("b")));
    }
}
