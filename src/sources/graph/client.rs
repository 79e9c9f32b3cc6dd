//! Requests to Microsoft Graph: the bearer token, and what Graph asks of a client that is
//! throttled or refused.
//!
//! From <https://learn.microsoft.com/graph/throttling>: a throttled request answers `429`
//! with `Retry-After` (seconds), and so may `503 Service Unavailable`; the client waits that
//! long and tries again. `502` and `504` and connection failures are retried with backoff.
//! A `401` means the access token expired or was revoked mid-cycle: tete refreshes it and
//! tries once more. Nothing else is retried: a `4xx` means the same request fails again.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};

use super::GraphError;
use super::auth::MicrosoftAuth;
use crate::http::RetryPolicy;

/// Graph's v1.0 root.
pub const GRAPH_ROOT: &str = "https://graph.microsoft.com/v1.0/";

/// An answer: status, headers, body.
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// Graph's error code (`{"error": {"code": ...}}`), when the body has one.
    pub fn error_code(&self) -> Option<String> {
        let value: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        value
            .get("error")?
            .get("code")?
            .as_str()
            .map(str::to_string)
    }
}

/// A signed-in client for one account.
#[derive(Debug, Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    /// Graph's root (`https://graph.microsoft.com/v1.0/`, or a test server).
    pub root: Url,
    auth: Arc<MicrosoftAuth>,
    retry: RetryPolicy,
    requests: Arc<std::sync::atomic::AtomicUsize>,
}

impl GraphClient {
    /// A client for `root` signing in through `auth`.
    pub fn new(
        http: reqwest::Client,
        root: Url,
        auth: Arc<MicrosoftAuth>,
        retry: RetryPolicy,
    ) -> GraphClient {
        GraphClient {
            http,
            root,
            auth,
            retry,
            requests: Arc::default(),
        }
    }

    /// How many requests reached Graph so far (retries included; the token endpoint not).
    pub fn requests(&self) -> usize {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A URL below the root.
    pub fn url(&self, path: &str) -> Result<Url, GraphError> {
        self.root.join(path).map_err(|e| GraphError::Url {
            reason: e.to_string(),
        })
    }

    /// Sends one request, retried as the module says. Returns any answer that is not
    /// retried (the caller reads its status); fails when retries run out.
    pub async fn send(
        &self,
        method: Method,
        url: &Url,
        headers: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, GraphError> {
        let what = crate::http::describe(&method, url);
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let token = self.auth.access_token(&self.http).await?;
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(token.expose())
                .timeout(self.retry.request_timeout);
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            if let Some(body) = body {
                request = request
                    .header("content-type", "application/json")
                    .body(body.to_string());
            }
            self.requests
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let wait = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let body = match response.bytes().await {
                        Ok(bytes) => bytes.to_vec(),
                        Err(e) if attempt < self.retry.attempts => {
                            tracing::debug!(request = %what, error = %e.without_url(), "retrying");
                            tokio::time::sleep(self.retry.backoff(attempt)).await;
                            continue;
                        }
                        Err(e) => {
                            return Err(GraphError::Request {
                                what,
                                source: e.without_url(),
                            });
                        }
                    };
                    let answer = Answer {
                        status,
                        headers,
                        body,
                    };
                    if status == StatusCode::UNAUTHORIZED && !refreshed {
                        // The token expired or was revoked mid-cycle: refresh, try once more.
                        refreshed = true;
                        self.auth.invalidate();
                        attempt -= 1;
                        continue;
                    }
                    if !retried(status) {
                        return Ok(answer);
                    }
                    if attempt >= self.retry.attempts {
                        return Err(GraphError::GaveUp {
                            what,
                            status,
                            attempts: attempt,
                        });
                    }
                    self.wait_for(&answer, attempt, &what)?
                }
                Err(e) if attempt < self.retry.attempts => {
                    tracing::debug!(request = %what, error = %e.without_url(), "retrying");
                    self.retry.backoff(attempt)
                }
                Err(e) => {
                    return Err(GraphError::Request {
                        what,
                        source: e.without_url(),
                    });
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// How long to wait before trying again: `Retry-After` when Graph gives one (and it is
    /// not longer than tete waits), else backoff.
    fn wait_for(&self, answer: &Answer, attempt: u32, what: &str) -> Result<Duration, GraphError> {
        let asked = answer
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(crate::http::parse_retry_after);
        match asked {
            Some(wait) if wait > self.retry.max_retry_after => Err(GraphError::Throttled {
                what: what.to_string(),
                seconds: wait.as_secs(),
            }),
            Some(wait) => {
                tracing::info!(request = %what, status = %answer.status, seconds = wait.as_secs(), "Graph asked to wait");
                Ok(wait)
            }
            None => Ok(self.retry.backoff(attempt)),
        }
    }

    /// GETs JSON; any status but 2xx is an error naming the request.
    pub async fn get_json(
        &self,
        url: &Url,
        headers: &[(&str, String)],
    ) -> Result<serde_json::Value, GraphError> {
        let answer = self.send(Method::GET, url, headers, None).await?;
        json_of(&crate::http::describe(&Method::GET, url), answer)
    }
}

/// The JSON body of a 2xx answer, or the error naming the request and Graph's code.
pub fn json_of(what: &str, answer: Answer) -> Result<serde_json::Value, GraphError> {
    if !answer.status.is_success() {
        return Err(GraphError::Status {
            what: what.to_string(),
            status: answer.status,
            code: answer.error_code(),
        });
    }
    serde_json::from_slice(&answer.body).map_err(|e| GraphError::Garbage {
        what: what.to_string(),
        reason: e.to_string(),
    })
}

/// Statuses Graph documents as "try again later".
fn retried(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}
