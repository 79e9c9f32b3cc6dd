//! What can go wrong talking to a CalDAV server. Messages name the server and the request
//! (method and URL without user info), never a password or token.

use super::oauth::OAuthError;
use super::store::StoreError;
use super::xml::XmlError;

/// Why a CalDAV request, discovery or sync failed.
#[derive(Debug, thiserror::Error)]
pub enum CaldavError {
    /// The configured URL is not usable.
    #[error("the CalDAV URL is not usable: {reason}")]
    Url {
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client could not be set up.
    #[error(transparent)]
    Client(#[from] crate::http::ClientError),
    /// The password (or other secret) could not be resolved.
    #[error("cannot get the CalDAV password")]
    Secret(#[from] crate::secret::SecretError),
    /// No answer: DNS, connection refused, TLS, or the connection was cut. Retried first.
    #[error("{request}: no answer from the server (tried {attempts} times)")]
    Connection {
        /// `METHOD url`.
        request: String,
        /// How many times it was tried.
        attempts: u32,
        /// The last error, its URL removed.
        source: reqwest::Error,
    },
    /// The answer was larger than tete accepts (`max_response_mib`): reading stopped there.
    #[error("{request}: the answer is larger than {} MiB (max_response_mib)", limit >> 20)]
    ResponseTooLarge {
        /// `METHOD url`.
        request: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// No complete answer in time. Retried first.
    #[error("{request}: no complete answer in time (tried {attempts} times)")]
    Timeout {
        /// `METHOD url`.
        request: String,
        /// How many times it was tried.
        attempts: u32,
    },
    /// The server refused the credentials.
    #[error(
        "{request}: the server refused the credentials (HTTP {status}); check the user name and password (an app password for iCloud, Fastmail, Nextcloud)"
    )]
    Unauthorized {
        /// `METHOD url`.
        request: String,
        /// 401 or 403.
        status: u16,
    },
    /// Google refused a fresh access token (the CalDAV API is not enabled for the OAuth
    /// client's project, or the calendar is not shared with the account).
    #[error(
        "{request}: Google refused the access token even after a refresh; check that the CalDAV API is enabled in the Google Cloud project of your client_id, or run `tete auth google` again"
    )]
    GoogleUnauthorized {
        /// `METHOD url`.
        request: String,
    },
    /// The server answered with an unexpected status (after retries for 5xx and 429).
    #[error("{request}: the server answered {status}")]
    Status {
        /// `METHOD url`.
        request: String,
        /// The status, e.g. `500 Internal Server Error`.
        status: reqwest::StatusCode,
    },
    /// The sync token tete kept is no longer valid (RFC 6578 3.2: a 4xx with the
    /// `DAV:valid-sync-token` precondition): the calendar is synced again from scratch.
    #[error("{request}: the server no longer knows the sync token ({status})")]
    SyncTokenExpired {
        /// `METHOD url`.
        request: String,
        /// The status, e.g. `403 Forbidden`.
        status: reqwest::StatusCode,
    },
    /// The server keeps asking to wait longer than tete is willing to.
    #[error("{request}: the server asks to retry after {seconds}s (more than tete waits)")]
    RetryAfterTooLong {
        /// `METHOD url`.
        request: String,
        /// Its Retry-After, in seconds.
        seconds: u64,
    },
    /// Too many redirects, or a redirect without a usable Location.
    #[error("{request}: {reason}")]
    Redirect {
        /// `METHOD url`.
        request: String,
        /// What went wrong.
        reason: String,
    },
    /// The answer is not the XML expected.
    #[error("{request}: the server's answer cannot be read")]
    Xml {
        /// `METHOD url`.
        request: String,
        /// What is wrong with it.
        source: XmlError,
    },
    /// Discovery could not find what it needs (principal, calendar home).
    #[error("{server}: {reason}")]
    Discovery {
        /// The server's origin.
        server: String,
        /// What is missing.
        reason: String,
    },
    /// The calendar picked in the config is not in the account.
    #[error("{server}: no calendar {wanted:?} in this account; it has: {}", available.join(", "))]
    CalendarNotFound {
        /// The server's origin.
        server: String,
        /// The name or URL in the config.
        wanted: String,
        /// The display names (or paths) the account has.
        available: Vec<String>,
    },
    /// A resource's data is not iCalendar (an HTML page, an empty body).
    #[error("{request}: {href} is not iCalendar data")]
    NotCalendar {
        /// `METHOD url`.
        request: String,
        /// The resource.
        href: String,
    },
    /// A conditional write kept losing races.
    #[error("{href}: still changed by someone else after {attempts} attempts; giving up")]
    Contended {
        /// The resource.
        href: String,
        /// How many writes were tried.
        attempts: u32,
    },
    /// The sync state could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The source was built without a place for its sync state (only discovery works).
    #[error("no state file to keep the CalDAV sync state in")]
    NoSyncState,
    /// OAuth2 (Google) failed.
    #[error(transparent)]
    OAuth(#[from] OAuthError),
}
