//! An iCalendar feed over HTTP(S), cached on disk.
//!
//! The body is streamed to a cache file, never held in memory, and read from there like a
//! local `.ics` file. Its validators (`ETag`, `Last-Modified`) are kept beside it, so the next
//! fetch, even after a restart, is conditional: an unchanged feed costs one request answered
//! 304 Not Modified. Providers rate-limit clients that download a big feed every few minutes.
//!
//! The URL is a secret (feed URLs carry access tokens): it is never shown, logged or used as
//! a file name; messages use [`FeedSource::label`] (`https://host/…`) instead.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::StreamExt;
use reqwest::header::{ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use super::{Content, Resource, Snapshot, SourceError};
use crate::http::{HttpClient, redacted};

/// An HTTP(S) feed and its cache files.
#[derive(Clone)]
pub struct FeedSource {
    url: Url,
    label: String,
    cache: FeedCache,
    client: reqwest::Client,
    /// Time allowed for the request, for messages.
    timeout: std::time::Duration,
}

/// The validators of the cached body, sent back as `If-None-Match` / `If-Modified-Since`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Validators {
    etag: Option<String>,
    last_modified: Option<String>,
}

/// Where a feed's body and validators are cached: `<cache_dir>/<hash of URL>.ics` and
/// `.validators.toml`. Named by a hash so the file names do not reveal the URL, and so a
/// changed URL starts from an empty cache.
#[derive(Debug, Clone)]
struct FeedCache {
    dir: PathBuf,
    body: PathBuf,
    validators: PathBuf,
}

impl FeedSource {
    /// A feed at `url` (`http`, `https`, `webcal`), cached under `cache_dir` (typically
    /// the configuration's feed cache folder). No request is made yet.
    pub fn new(url: &str, cache_dir: &Path, http: &HttpClient) -> Result<Self, SourceError> {
        let url = parse_feed_url(url)?;
        Ok(FeedSource {
            label: redacted(&url),
            cache: FeedCache::new(cache_dir, &url),
            client: http.client()?,
            timeout: http.timeout(),
            url,
        })
    }

    /// `https://host/…`: how the feed is named in messages and logs.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The cached body (present after a successful fetch).
    pub fn cache_path(&self) -> &Path {
        &self.cache.body
    }

    /// Fetches the feed, conditionally when a cached copy exists. The one resource is the
    /// cached body file; [`Snapshot::not_modified`] tells whether the server answered 304.
    pub async fn fetch(&self) -> Result<Snapshot, SourceError> {
        let cached = self.cache.load_validators().await;
        let response = self
            .conditional_get(cached.as_ref())
            .send()
            .await
            .map_err(|err| self.request_error(err))?;
        let status = response.status();
        tracing::debug!(feed = %self.label, %status, "feed answered");
        let (validators, not_modified) = if status == StatusCode::NOT_MODIFIED {
            (self.reuse_cache(cached).await?, true)
        } else if status.is_success() {
            (self.download(response).await?, false)
        } else {
            return Err(SourceError::HttpStatus {
                feed: self.label.clone(),
                status,
            });
        };
        Ok(Snapshot {
            resources: vec![Resource {
                href: self.label.clone(),
                etag: validators.etag,
                content: Content::File(self.cache.body.clone()),
            }]
            .into(),
            not_modified,
        })
    }

    fn conditional_get(&self, cached: Option<&Validators>) -> reqwest::RequestBuilder {
        let mut request = self.client.get(self.url.clone());
        if let Some(cached) = cached {
            if let Some(etag) = &cached.etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(date) = &cached.last_modified {
                request = request.header(IF_MODIFIED_SINCE, date);
            }
        }
        request
    }

    async fn reuse_cache(&self, cached: Option<Validators>) -> Result<Validators, SourceError> {
        let present = tokio::fs::try_exists(&self.cache.body)
            .await
            .unwrap_or(false);
        match cached {
            Some(validators) if present => Ok(validators),
            _ => Err(SourceError::CacheGone {
                feed: self.label.clone(),
            }),
        }
    }

    async fn download(&self, response: reqwest::Response) -> Result<Validators, SourceError> {
        let validators = Validators::from_headers(response.headers());
        self.cache.create_dir().await?;
        let part = self.cache.part_path();
        let written = self.stream_body(response, &part).await;
        if let Err(err) = written {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(err);
        }
        self.cache.replace_body(&part, &validators).await?;
        Ok(validators)
    }

    async fn stream_body(
        &self,
        response: reqwest::Response,
        part: &Path,
    ) -> Result<(), SourceError> {
        let write_error = |source| SourceError::Write {
            path: part.to_path_buf(),
            source,
        };
        let mut file = tokio::fs::File::create(part).await.map_err(write_error)?;
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|err| self.request_error(err))?;
            file.write_all(&chunk).await.map_err(write_error)?;
        }
        file.flush().await.map_err(write_error)?;
        file.sync_all().await.map_err(write_error)
    }

    fn request_error(&self, err: reqwest::Error) -> SourceError {
        let feed = self.label.clone();
        if err.is_timeout() {
            SourceError::Timeout {
                feed,
                seconds: self.timeout.as_secs(),
            }
        } else {
            // reqwest's messages quote the URL unless told not to.
            SourceError::Request {
                feed,
                source: err.without_url(),
            }
        }
    }
}

/// Shows the label only: the URL is a secret.
impl fmt::Debug for FeedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FeedSource")
            .field("label", &self.label)
            .field("cache", &self.cache.body)
            .finish_non_exhaustive()
    }
}

impl Validators {
    fn from_headers(headers: &HeaderMap) -> Validators {
        let text = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        Validators {
            etag: text(ETAG),
            // A date the server cannot have meant would only make every request conditional
            // on garbage.
            last_modified: text(LAST_MODIFIED).filter(|d| httpdate::parse_http_date(d).is_ok()),
        }
    }

    fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

impl FeedCache {
    fn new(dir: &Path, url: &Url) -> FeedCache {
        let key = format!("{:016x}", fnv1a_64(url.as_str().as_bytes()));
        FeedCache {
            dir: dir.to_path_buf(),
            body: dir.join(format!("{key}.ics")),
            validators: dir.join(format!("{key}.validators.toml")),
        }
    }

    /// The validators of the cached body, if there is a body to revalidate.
    async fn load_validators(&self) -> Option<Validators> {
        if !tokio::fs::try_exists(&self.body).await.unwrap_or(false) {
            return None;
        }
        let text = tokio::fs::read_to_string(&self.validators).await.ok()?;
        match toml::from_str::<Validators>(&text) {
            Ok(validators) if !validators.is_empty() => Some(validators),
            Ok(_) => None,
            Err(err) => {
                tracing::debug!(file = %self.validators.display(), %err, "ignoring unreadable feed validators");
                None
            }
        }
    }

    /// Creates the cache folder, private to the user on Unix: cached bodies hold the
    /// person's calendar.
    async fn create_dir(&self) -> Result<(), SourceError> {
        let mut builder = tokio::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        builder.mode(0o700);
        builder
            .create(&self.dir)
            .await
            .map_err(|source| SourceError::Write {
                path: self.dir.clone(),
                source,
            })
    }

    /// A unique temporary name, so that two tete processes never write the same file.
    fn part_path(&self) -> PathBuf {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut name = self.body.clone().into_os_string();
        name.push(format!(".{}-{unique}.part", std::process::id()));
        PathBuf::from(name)
    }

    /// Puts the downloaded body in place, then its validators. The old validators go first:
    /// a crash in between leaves a body without validators (next fetch unconditional), never
    /// a new body with the old validators (a 304 would then stand for the wrong content).
    async fn replace_body(&self, part: &Path, validators: &Validators) -> Result<(), SourceError> {
        remove_if_present(&self.validators).await?;
        tokio::fs::rename(part, &self.body)
            .await
            .map_err(|source| SourceError::Write {
                path: self.body.clone(),
                source,
            })?;
        if validators.is_empty() {
            return Ok(());
        }
        self.write_validators(validators).await
    }

    async fn write_validators(&self, validators: &Validators) -> Result<(), SourceError> {
        let write_error = |source| SourceError::Write {
            path: self.validators.clone(),
            source,
        };
        let text = toml::to_string(validators)
            .map_err(|err| write_error(std::io::Error::other(err.to_string())))?;
        let mut temp = self.validators.clone().into_os_string();
        temp.push(".part");
        tokio::fs::write(&temp, text).await.map_err(write_error)?;
        tokio::fs::rename(&temp, &self.validators)
            .await
            .map_err(write_error)
    }
}

async fn remove_if_present(path: &Path) -> Result<(), SourceError> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(SourceError::Write {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// FNV-1a: a hash that, unlike std's `DefaultHasher`, is the same in every Rust release, so
/// cache file names survive a tete upgrade.
fn fnv1a_64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(PRIME))
}

/// Parses a feed URL: `http`, `https`, or `webcal`/`webcals` (fetched as `https`, as every
/// calendar client does). Errors never quote the URL: it usually carries a secret token.
fn parse_feed_url(text: &str) -> Result<Url, SourceError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_is_stable() {
        // Reference values of FNV-1a 64.
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn cache_names_do_not_reveal_the_url() {
        let url = Url::parse("https://cal.example.com/s3cret/basic.ics").unwrap();
        let cache = FeedCache::new(Path::new("/c"), &url);
        for path in [&cache.body, &cache.validators, &cache.part_path()] {
            assert!(!path.to_string_lossy().contains("s3cret"), "{path:?}");
            assert!(path.starts_with("/c"));
        }
    }

    #[test]
    fn debug_hides_the_url() {
        let feed = FeedSource::new(
            "https://cal.example.com/s3cret/basic.ics",
            Path::new("/c"),
            &HttpClient::new(),
        )
        .unwrap();
        assert!(!format!("{feed:?}").contains("s3cret"));
    }

    #[test]
    fn invalid_last_modified_is_dropped() {
        let mut headers = HeaderMap::new();
        headers.insert(LAST_MODIFIED, "yesterday".parse().unwrap());
        headers.insert(ETAG, "\"v1\"".parse().unwrap());
        let validators = Validators::from_headers(&headers);
        assert_eq!(validators.etag.as_deref(), Some("\"v1\""));
        assert_eq!(validators.last_modified, None);
    }

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
}
