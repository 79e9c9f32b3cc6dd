//! The HTTP side of CalDAV: one request with authentication, redirects, retries, and a
//! count of requests and bytes.
//!
//! Redirects are followed here rather than by reqwest, because reqwest turns a redirected
//! `PROPFIND` or `REPORT` into a `GET` and drops the credentials on another host. Here the
//! method and body are kept (`303` becomes a `GET`), and credentials are sent to the
//! configured host and to hosts of the same parent domain over HTTPS (iCloud's
//! `caldav.icloud.com` sends accounts to `pNN-caldav.icloud.com`), never to another site and
//! never from HTTPS down to HTTP.
//!
//! Connection errors, timeouts, `5xx` and `429` are retried with exponential backoff and
//! jitter; `Retry-After` (seconds or an HTTP date) is honoured up to a limit. The timing is
//! [`crate::http`]'s; which answers are worth another try is decided here.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};

use super::error::CaldavError;
use super::oauth::GoogleAuth;
use crate::http::{RetryPolicy, describe, display_url, parse_retry_after};
use crate::secret::SecretValue;

/// How tete proves who it is.
#[derive(Clone)]
pub enum Auth {
    /// Nothing (a server without authentication).
    None,
    /// HTTP Basic with a user name and (app) password.
    Basic {
        /// The user name.
        user: String,
        /// The password.
        password: SecretValue,
    },
    /// OAuth2 bearer tokens (Google), refreshed as needed.
    Google(Arc<GoogleAuth>),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("Auth::None"),
            Auth::Basic { user, .. } => write!(f, "Auth::Basic({user:?}, <redacted>)"),
            Auth::Google(_) => f.write_str("Auth::Google(<redacted>)"),
        }
    }
}

/// Requests and bytes sent and received, for the benchmark and for `tete check`.
#[derive(Debug, Default)]
pub struct Stats {
    requests: AtomicU64,
    bytes_sent: AtomicU64,
    bytes_received: AtomicU64,
}

/// A copy of [`Stats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// HTTP requests made (each retry and redirect counts).
    pub requests: u64,
    /// Request body bytes.
    pub bytes_sent: u64,
    /// Response body bytes (after decompression).
    pub bytes_received: u64,
}

impl Stats {
    /// The counts so far.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            bytes_sent: self.bytes_sent.load(Ordering::Relaxed),
            bytes_received: self.bytes_received.load(Ordering::Relaxed),
        }
    }
}

impl std::ops::Sub for StatsSnapshot {
    type Output = StatsSnapshot;
    fn sub(self, earlier: StatsSnapshot) -> StatsSnapshot {
        StatsSnapshot {
            requests: self.requests - earlier.requests,
            bytes_sent: self.bytes_sent - earlier.bytes_sent,
            bytes_received: self.bytes_received - earlier.bytes_received,
        }
    }
}

/// A complete answer.
#[derive(Debug)]
pub struct DavResponse {
    /// Its status.
    pub status: StatusCode,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: Vec<u8>,
    /// The URL that answered (after redirects).
    pub url: Url,
}

impl DavResponse {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every comma-separated token of a header that may be sent on several lines (`DAV:`):
    /// Cyrus and DAViCal announce `calendar-auto-schedule` on a second `DAV:` line.
    pub fn header_tokens<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|line| line.split(','))
            .map(str::trim)
            .filter(|token| !token.is_empty())
    }
}

/// An HTTP client for one CalDAV account.
#[derive(Debug, Clone)]
pub struct DavClient {
    http: reqwest::Client,
    auth: Auth,
    /// Credentials go only to URLs in this scope (see the module doc).
    base: Url,
    retry: RetryPolicy,
    stats: Arc<Stats>,
    /// The most bytes read of one answer.
    max_response: u64,
}

/// Why one try got no usable answer.
#[derive(Debug)]
enum SendError {
    /// No answer (connection, timeout, TLS).
    Http(reqwest::Error),
    /// An answer larger than the limit.
    TooLarge,
}

impl From<reqwest::Error> for SendError {
    fn from(err: reqwest::Error) -> Self {
        SendError::Http(err)
    }
}

/// Body and extra headers of a request.
#[derive(Debug, Clone, Default)]
pub struct RequestParts {
    /// Extra headers.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body.
    pub body: Option<Vec<u8>>,
}

const MAX_REDIRECTS: usize = 8;

impl DavClient {
    /// A client for the account at `base`.
    pub fn new(base: Url, auth: Auth, retry: RetryPolicy) -> Result<DavClient, CaldavError> {
        // Redirects are followed by `send`, which keeps the method and the credentials' scope.
        let http = crate::http::build(
            crate::http::builder(retry.connect_timeout, retry.request_timeout)
                .redirect(reqwest::redirect::Policy::none()),
        )?;
        Ok(DavClient::with_http(base, auth, retry, http))
    }

    /// A client sending through `http`, which must follow no redirect and have `retry`'s
    /// timeouts (as [`crate::http::HttpClient::no_redirect_client`] for the default policy).
    pub fn with_http(
        base: Url,
        auth: Auth,
        retry: RetryPolicy,
        http: reqwest::Client,
    ) -> DavClient {
        DavClient {
            http,
            auth,
            base,
            retry,
            stats: Arc::new(Stats::default()),
            max_response: super::Limits::DEFAULT_MAX_RESPONSE,
        }
    }

    /// The same client, reading at most `bytes` of one answer.
    pub fn with_max_response(self, bytes: u64) -> DavClient {
        DavClient {
            max_response: bytes,
            ..self
        }
    }

    /// The account's base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// The request counters.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// The authentication in use.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// The HTTP client requests go through (a handle: cloning it shares its connections).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// A DAV request with an XML body (`Content-Type: application/xml`) and a `Depth`.
    pub async fn xml(
        &self,
        method: &str,
        url: &Url,
        depth: Option<&str>,
        body: String,
    ) -> Result<DavResponse, CaldavError> {
        let mut headers = vec![(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml; charset=utf-8"),
        )];
        if let Some(depth) = depth {
            headers.push((
                HeaderName::from_static("depth"),
                HeaderValue::from_str(depth).unwrap_or(HeaderValue::from_static("0")),
            ));
        }
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
        self.send(
            method,
            url,
            RequestParts {
                headers,
                body: Some(body.into_bytes()),
            },
        )
        .await
    }

    /// Sends a request, following redirects and retrying transient failures. Any status
    /// that is not retried (2xx, 3xx without Location, 4xx) is returned; 401 is an error.
    pub async fn send(
        &self,
        method: Method,
        url: &Url,
        parts: RequestParts,
    ) -> Result<DavResponse, CaldavError> {
        let mut method = method;
        let mut url = url.clone();
        let mut parts = parts;
        let mut refreshed = false;
        let mut redirects = 0;
        loop {
            // A Google access token is fetched (or refreshed) before the request; a revoked
            // authorization fails here with a message that says to run `tete auth google`.
            let bearer = match &self.auth {
                Auth::Google(google) if self.in_credential_scope(&url) => {
                    Some(google.access_token(&self.http).await?)
                }
                _ => None,
            };
            let response = self
                .send_with_retries(&method, &url, &parts, bearer.as_ref())
                .await?;
            let status = response.status;
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                redirects += 1;
                let request = describe(&method, &url);
                if redirects > MAX_REDIRECTS {
                    return Err(CaldavError::Redirect {
                        request,
                        reason: format!("more than {MAX_REDIRECTS} redirects"),
                    });
                }
                let Some(next) = response
                    .header("location")
                    .and_then(|location| url.join(location).ok())
                else {
                    return Err(CaldavError::Redirect {
                        request,
                        reason: format!("redirect {status} without a usable Location"),
                    });
                };
                if url.scheme() == "https" && next.scheme() != "https" {
                    return Err(CaldavError::Redirect {
                        request,
                        reason: "redirected from HTTPS to plain HTTP; not followed".into(),
                    });
                }
                tracing::debug!(from = %display_url(&url), to = %display_url(&next), "redirect");
                if status == StatusCode::SEE_OTHER {
                    method = Method::GET;
                    parts.body = None;
                }
                url = next;
                continue;
            }
            if status == StatusCode::UNAUTHORIZED {
                // An access token can expire between two requests: refresh it once.
                if let Auth::Google(google) = &self.auth
                    && !refreshed
                {
                    refreshed = true;
                    google.invalidate(&self.http).await;
                    continue;
                }
                if let Auth::Google(_) = &self.auth {
                    return Err(CaldavError::GoogleUnauthorized {
                        request: describe(&method, &url),
                    });
                }
                return Err(CaldavError::Unauthorized {
                    request: describe(&method, &url),
                    status: status.as_u16(),
                });
            }
            return Ok(response);
        }
    }

    async fn send_with_retries(
        &self,
        method: &Method,
        url: &Url,
        parts: &RequestParts,
        bearer: Option<&SecretValue>,
    ) -> Result<DavResponse, CaldavError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= self.retry.attempts;
            let outcome = self.send_once(method, url, parts, bearer).await;
            let wait = match outcome {
                Ok(response) => {
                    let status = response.status;
                    // 507 on a sync REPORT is Google's way to say "use calendar-query":
                    // not transient; the caller handles it.
                    // A write that failed inside the server (500: DAViCal's answer to
                    // some overrides) fails the same way again: only a gateway or an
                    // overloaded server (502-504) is worth asking again at once.
                    let server_error = if *method == reqwest::Method::PUT {
                        matches!(status.as_u16(), 502..=504)
                    } else {
                        status.is_server_error()
                    };
                    let retryable = (server_error && status != StatusCode::INSUFFICIENT_STORAGE)
                        || status == StatusCode::TOO_MANY_REQUESTS;
                    if !retryable || last {
                        return Ok(response);
                    }
                    let retry_after = response.header("retry-after").and_then(parse_retry_after);
                    if let Some(after) = retry_after
                        && after > self.retry.max_retry_after
                    {
                        return Err(CaldavError::RetryAfterTooLong {
                            request: describe(method, url),
                            seconds: after.as_secs(),
                        });
                    }
                    tracing::warn!(
                        request = %describe(method, url),
                        %status,
                        attempt,
                        "server error; retrying"
                    );
                    retry_after.unwrap_or_else(|| self.retry.backoff(attempt))
                }
                Err(SendError::TooLarge) => {
                    return Err(CaldavError::ResponseTooLarge {
                        request: describe(method, url),
                        limit: self.max_response,
                    });
                }
                Err(SendError::Http(err)) => {
                    if last {
                        return Err(if err.is_timeout() {
                            CaldavError::Timeout {
                                request: describe(method, url),
                                attempts: attempt,
                            }
                        } else {
                            CaldavError::Connection {
                                request: describe(method, url),
                                attempts: attempt,
                                source: err.without_url(),
                            }
                        });
                    }
                    tracing::warn!(
                        request = %describe(method, url),
                        error = %err.without_url(),
                        attempt,
                        "request failed; retrying"
                    );
                    self.retry.backoff(attempt)
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        parts: &RequestParts,
        bearer: Option<&SecretValue>,
    ) -> Result<DavResponse, SendError> {
        let mut request = self.http.request(method.clone(), url.clone());
        for (name, value) in &parts.headers {
            request = request.header(name, value);
        }
        if self.in_credential_scope(url) {
            request = match &self.auth {
                Auth::None => request,
                Auth::Basic { user, password } => request.basic_auth(user, Some(password.expose())),
                Auth::Google(_) => match bearer {
                    Some(token) => request.bearer_auth(token.expose()),
                    None => request,
                },
            };
        }
        let sent = parts.body.as_ref().map_or(0, Vec::len) as u64;
        if let Some(body) = &parts.body {
            request = request.body(body.clone());
        }
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        self.stats.bytes_sent.fetch_add(sent, Ordering::Relaxed);
        let mut response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let final_url = response.url().clone();
        // Read in chunks up to the limit: a server sending 200 MB is not believed, and never
        // held in memory.
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if (body.len() + chunk.len()) as u64 > self.max_response {
                return Err(SendError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        self.stats
            .bytes_received
            .fetch_add(body.len() as u64, Ordering::Relaxed);
        tracing::debug!(request = %describe(method, url), %status, bytes = body.len(), "caldav");
        Ok(DavResponse {
            status,
            headers,
            body,
            url: final_url,
        })
    }

    /// Whether credentials may be sent to `url`.
    pub fn in_credential_scope(&self, url: &Url) -> bool {
        let base = &self.base;
        if url.scheme() == "http" && base.scheme() == "https" {
            return false;
        }
        let (Some(host), Some(base_host)) = (url.host_str(), base.host_str()) else {
            return false;
        };
        if host.eq_ignore_ascii_case(base_host) {
            return url.port_or_known_default() == base.port_or_known_default();
        }
        // Same parent domain, HTTPS only: caldav.icloud.com -> p42-caldav.icloud.com.
        if url.scheme() != "https" {
            return false;
        }
        match base_host.split_once('.') {
            Some((_, parent)) if parent.contains('.') => host
                .to_ascii_lowercase()
                .ends_with(&format!(".{}", parent.to_ascii_lowercase())),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> DavClient {
        DavClient::new(
            Url::parse(base).unwrap(),
            Auth::None,
            RetryPolicy::default(),
        )
        .unwrap()
    }

    #[test]
    fn credentials_stay_within_the_account_domain() {
        let c = client("https://caldav.icloud.com/");
        let ok = |u: &str| c.in_credential_scope(&Url::parse(u).unwrap());
        assert!(ok("https://caldav.icloud.com/123/principal/"));
        assert!(ok("https://p42-caldav.icloud.com/123/calendars/"));
        assert!(!ok("http://p42-caldav.icloud.com/"));
        assert!(!ok("https://evil.example/"));
        assert!(!ok("https://icloud.com.evil.example/"));
        assert!(!ok("https://caldav.icloud.com:8443/"));
        let local = client("http://127.0.0.1:5232/");
        assert!(local.in_credential_scope(&Url::parse("http://127.0.0.1:5232/x/").unwrap()));
        assert!(!local.in_credential_scope(&Url::parse("http://127.0.0.2:5232/").unwrap()));
    }
}
