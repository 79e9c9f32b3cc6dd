//! Writing into a calendar: creating it (MKCALENDAR, for private agendas), reading one
//! resource fresh (`GET`) and conditional `PUT`s whose new ETag is kept in the state file.

use reqwest::header::HeaderValue;
use reqwest::{Method, StatusCode, Url};

use super::client::RequestParts;
use super::discovery::percent_decode;
use super::store::StoredResource;
use super::{CaldavError, CaldavSource, xml};
use crate::http::{describe, display_url, origin};
use crate::sources::{Content, Precondition, Resource, Snapshot, SourceError};

impl CaldavSource {
    /// Syncs the calendar, creating it first (MKCALENDAR in the calendar home, named by its
    /// configured display name) when the account has none by that name.
    pub async fn fetch_or_create(&self) -> Result<Snapshot, SourceError> {
        self.fetch_or_create_for(&["VEVENT"]).await
    }

    /// [`CaldavSource::fetch_or_create`] for a calendar holding these components
    /// (`["VTODO"]` for a task list).
    pub async fn fetch_or_create_for(&self, components: &[&str]) -> Result<Snapshot, SourceError> {
        match self.sync().await {
            Err(CaldavError::CalendarNotFound { .. }) => {
                self.make_calendar(components).await?;
                self.fetch().await
            }
            other => Ok(other?.0),
        }
    }

    /// Creates the configured calendar in the account's calendar home.
    async fn make_calendar(&self, components: &[&str]) -> Result<(), CaldavError> {
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
                    body: Some(xml::mkcalendar(&name, components).into_bytes()),
                },
            )
            .await?;
        if !response.status.is_success() {
            return Err(CaldavError::Status {
                request: describe(&method, &url),
                status: response.status,
            });
        }
        tracing::info!(calendar = %name, url = %display_url(&url), components = %components.join(","), "created a calendar");
        Ok(())
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

/// Whether bytes look like iCalendar (a `BEGIN:VCALENDAR` or `BEGIN:VEVENT` line).
fn is_icalendar(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]).to_ascii_uppercase();
    text.contains("BEGIN:VCALENDAR") || text.contains("BEGIN:VEVENT")
}
