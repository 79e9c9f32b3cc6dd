//! The HTTP client shared by feeds (and CalDAV next), and how URLs are shown.

use std::sync::OnceLock;
use std::time::Duration;

use reqwest::Url;

use super::SourceError;

/// Time allowed to open a connection (DNS, TCP, TLS).
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for a whole request, body included.
pub(crate) const TOTAL_TIMEOUT: Duration = Duration::from_secs(60);

/// A lazily built HTTP client (rustls, gzip, timeouts), shared by every HTTP source.
///
/// Lazy because setting up TLS loads the system's root certificates, which a configuration
/// without any feed should not pay for; shared because a client keeps connections alive.
#[derive(Debug, Default)]
pub struct HttpClient {
    client: OnceLock<reqwest::Client>,
}

impl HttpClient {
    /// A client that will be built on first use.
    pub fn new() -> Self {
        HttpClient::default()
    }

    /// The client, built on the first call. Cheap to clone (it is a handle).
    pub fn client(&self) -> Result<reqwest::Client, SourceError> {
        if let Some(client) = self.client.get() {
            return Ok(client.clone());
        }
        let built = build_client()?;
        Ok(self.client.get_or_init(|| built).clone())
    }
}

fn build_client() -> Result<reqwest::Client, SourceError> {
    // reqwest is built without a default crypto provider; installing ring fails only when
    // a provider is already installed, which is just as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("tete/", env!("CARGO_PKG_VERSION")))
        .gzip(true)
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TOTAL_TIMEOUT)
        .build()
        .map_err(|source| SourceError::HttpClient {
            source: source.without_url(),
        })
}

/// Parses a feed URL: `http`, `https`, or `webcal`/`webcals` (fetched as `https`, as every
/// calendar client does). Errors never quote the URL: it usually carries a secret token.
pub(crate) fn parse_feed_url(text: &str) -> Result<Url, SourceError> {
    let text = text.trim();
    let normalized = match text.split_once("://") {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("webcal") || scheme.eq_ignore_ascii_case("webcals") =>
        {
            format!("https://{rest}")
        }
        _ => text.to_string(),
    };
    let url = Url::parse(&normalized).map_err(|err| SourceError::FeedUrl {
        reason: err.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(SourceError::FeedUrl {
            // The scheme is not quoted either: "s3cret:x" parses with scheme "s3cret".
            reason: "only https, http and webcal URLs are supported".to_string(),
        });
    }
    if url.host_str().is_none() {
        return Err(SourceError::FeedUrl {
            reason: "it has no host".to_string(),
        });
    }
    Ok(url)
}

/// `scheme://host[:port]/…`: enough to tell feeds apart in messages, without the path,
/// query or user info where feeds keep their access tokens.
pub(crate) fn redacted(url: &Url) -> String {
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
    fn webcal_is_https() {
        let url = parse_feed_url("webcal://cal.example.com/s3cret/basic.ics").unwrap();
        assert_eq!(url.as_str(), "https://cal.example.com/s3cret/basic.ics");
        let url = parse_feed_url("WEBCALS://cal.example.com/x").unwrap();
        assert_eq!(url.scheme(), "https");
    }

    #[test]
    fn redacted_keeps_only_scheme_host_and_port() {
        let url = parse_feed_url("https://user:pw@cal.example.com:8443/s3cret?token=t0k").unwrap();
        assert_eq!(redacted(&url), "https://cal.example.com:8443/…");
        let url = parse_feed_url("http://cal.example.com/s3cret").unwrap();
        assert_eq!(redacted(&url), "http://cal.example.com/…");
    }

    #[test]
    fn bad_urls_are_rejected_without_quoting_them() {
        for text in ["ftp://cal.example.com/s3cret", "s3cret", "file:///s3cret"] {
            let err = parse_feed_url(text).unwrap_err();
            assert!(!err.to_string().contains("s3cret"), "{err}");
        }
    }

    #[test]
    fn client_is_built_once() {
        let http = HttpClient::new();
        http.client().unwrap();
        http.client().unwrap();
    }
}
