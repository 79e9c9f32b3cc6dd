//! HTTP for everything tete fetches or sends (feeds, CalDAV, OAuth2, webhooks): the shared
//! client, retry timing (backoff with jitter, `Retry-After`), timeouts, and how URLs are
//! shown in messages without the secrets they carry.
//!
//! What a status means for one protocol (which answers are worth another try, which are
//! errors) is left to its caller; here is only what any HTTP client does the same way.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use reqwest::{Method, Url};

/// Time allowed to open a connection (DNS, TCP, TLS).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for a whole request, body included.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(60);

/// The HTTP client could not be set up (its TLS configuration).
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the HTTP client")]
pub struct ClientError {
    /// The underlying error, its URL removed.
    #[source]
    pub(crate) source: reqwest::Error,
}

/// A lazily built HTTP client (rustls, gzip, timeouts), shared by every HTTP source.
///
/// Lazy because setting up TLS loads the system's root certificates, which a configuration
/// without any feed should not pay for; shared because a client keeps connections alive.
#[derive(Debug)]
pub struct HttpClient {
    client: OnceLock<reqwest::Client>,
    /// The same, following no redirect (CalDAV follows them itself).
    no_redirects: OnceLock<reqwest::Client>,
    /// Time allowed for one whole request (`request_timeout` in the config).
    timeout: Duration,
}

impl Default for HttpClient {
    fn default() -> Self {
        HttpClient::with_timeout(TOTAL_TIMEOUT)
    }
}

impl HttpClient {
    /// A client that will be built on first use.
    pub fn new() -> Self {
        HttpClient::default()
    }

    /// A client whose requests may take up to `timeout` each, body included.
    pub fn with_timeout(timeout: Duration) -> Self {
        HttpClient {
            client: OnceLock::new(),
            no_redirects: OnceLock::new(),
            timeout,
        }
    }

    /// Time allowed for one whole request.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The client, built on the first call. Cheap to clone (it is a handle).
    pub fn client(&self) -> Result<reqwest::Client, ClientError> {
        built_once(&self.client, || builder(CONNECT_TIMEOUT, self.timeout))
    }

    /// A client like [`HttpClient::client`] that follows no redirect (its caller does, as
    /// CalDAV keeps the method and the credentials' scope), built on the first call: every
    /// CalDAV calendar of a cycle, and of every cycle of a daemon, shares it, rather than
    /// loading the system's root certificates again for each.
    pub fn no_redirect_client(&self) -> Result<reqwest::Client, ClientError> {
        built_once(&self.no_redirects, || {
            builder(CONNECT_TIMEOUT, self.timeout).redirect(reqwest::redirect::Policy::none())
        })
    }
}

/// The client in `cell`, built from `make` on the first call (a failed build is not kept:
/// the next call tries again).
fn built_once(
    cell: &OnceLock<reqwest::Client>,
    make: impl FnOnce() -> reqwest::ClientBuilder,
) -> Result<reqwest::Client, ClientError> {
    if let Some(client) = cell.get() {
        return Ok(client.clone());
    }
    let built = build(make())?;
    Ok(cell.get_or_init(|| built).clone())
}

/// A client builder with what every request of tete has: TLS by rustls with ring, tete's
/// user agent, gzip, and the two timeouts. Callers add their own policies (redirects).
pub fn builder(connect_timeout: Duration, timeout: Duration) -> reqwest::ClientBuilder {
    // reqwest is built without a default crypto provider; installing ring fails only when
    // a provider is already installed, which is just as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("tete/", env!("CARGO_PKG_VERSION")))
        .gzip(true)
        .connect_timeout(connect_timeout)
        .timeout(timeout)
}

/// Builds the client of a [`builder`].
pub fn build(builder: reqwest::ClientBuilder) -> Result<reqwest::Client, ClientError> {
    builder.build().map_err(|source| ClientError {
        source: source.without_url(),
    })
}

/// How requests are retried and how long they may take.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Tries per request, the first included.
    pub attempts: u32,
    /// Delay before the first retry; doubled each time, with jitter (50-100 % of it).
    pub base_delay: Duration,
    /// Longest delay between tries.
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured; a server asking for more fails the request.
    pub max_retry_after: Duration,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for one whole request, body included.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
            connect_timeout: CONNECT_TIMEOUT,
            request_timeout: TOTAL_TIMEOUT,
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with jitter: 50-100 % of base * 2^(attempt-1), capped. The
    /// jitter keeps clients that failed together from all coming back at the same moment.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1 << attempt.saturating_sub(1).min(16))
            .min(self.max_delay);
        exp.mul_f64(0.5 + fastrand::f64() * 0.5)
    }
}

/// `Retry-After`: seconds, or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// `METHOD scheme://host[:port]/path`: names the request in messages, without user info,
/// query or fragment.
pub fn describe(method: &Method, url: &Url) -> String {
    format!("{method} {}", display_url(url))
}

/// A URL as shown in messages: without user info, query or fragment.
pub fn display_url(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}{}", url.scheme(), url.path()),
        None => format!("{}://{host}{}", url.scheme(), url.path()),
    }
}

/// `scheme://host[:port]`: the server, in messages.
pub fn origin(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// `scheme://host[:port]/…`: enough to tell feeds apart in messages, without the path,
/// query or user info where feeds keep their access tokens.
pub fn redacted(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}/…", url.scheme()),
        None => format!("{}://{host}/…", url.scheme()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_built_once() {
        let http = HttpClient::new();
        http.client().unwrap();
        http.client().unwrap();
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let c = RetryPolicy::default();
        for attempt in 1..20 {
            let d = c.backoff(attempt);
            let full = Duration::from_millis(500)
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(Duration::from_secs(30));
            assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
        }
    }

    #[test]
    fn shown_urls_have_no_user_info_or_query() {
        let url = Url::parse("https://me:pw@host.example:8443/dav/x/?token=t#f").unwrap();
        assert_eq!(
            describe(&Method::GET, &url),
            "GET https://host.example:8443/dav/x/"
        );
        assert_eq!(origin(&url), "https://host.example:8443");
    }
}
