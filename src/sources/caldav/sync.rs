//! One sync cycle of a [`CaldavSource`]: which way changes are found (sync-collection with a
//! stored token, a full resync when it expired, calendar-query when the sync REPORT is
//! refused, ctag + etags without sync-collection), and storing what changed in one update.

use std::collections::HashMap;

use reqwest::{StatusCode, Url};

use super::store::{CalendarState, StoredResource, Update};
use super::{CaldavError, CaldavSource, Listing, SyncReport, SyncState};
use crate::http::display_url;
use crate::sources::{Content, Resource, Snapshot, SourceError, StoredBody};

impl CaldavSource {
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
        // The bodies stay in the state file until a cycle parses them: most cycles find
        // most resources unchanged and parse none.
        let shared = self
            .settings
            .sync_state
            .clone()
            .ok_or(CaldavError::NoSyncState)?;
        let calendar: std::sync::Arc<str> = self.key.as_str().into();
        let resources = store
            .listing(&self.key)?
            .iter()
            // An empty body is a member skipped as too large (see `store_changes`).
            .filter(|r| r.len > 0)
            .map(|r| Resource {
                href: r.href.clone(),
                etag: r.etag.clone(),
                content: Content::Stored(StoredBody {
                    store: shared.clone(),
                    calendar: std::sync::Arc::clone(&calendar),
                    len: r.len,
                }),
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
                        "sync-collection refused; using calendar-query this cycle");
                    let listing = self.query_etags(&calendar.url, None).await?;
                    // The next cycle tries sync-collection again, from the start.
                    let state = CalendarState {
                        sync_token: Some(String::new()),
                        ..state
                    };
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
                // For this cycle only: the token is kept, and sync-collection is tried again
                // next cycle (a bad burst must not cost a full listing for ever).
                Err(err) if is_sync_refusal(&err) => {
                    tracing::info!(calendar = %display_url(url), error = %err,
                        "sync-collection refused; using calendar-query this cycle");
                    let listing = self.query_etags(url, None).await?;
                    self.apply_listing(store, url, state.clone(), listing, "calendar-query")
                        .await
                }
                other => other,
            };
        }
        // No sync-collection: has the ctag moved?
        let ctag = self.ctag(url).await?;
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

    /// Stores a full listing: fetches members whose etag changed, deletes those gone.
    pub(super) async fn apply_listing(
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
    pub(super) async fn store_changes(
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
        let mut fetched = self.multiget(url, &changed).await?;
        let mut not_fetched = std::mem::take(&mut fetched.failed);
        let state = if not_fetched.is_empty() {
            state
        } else {
            for (href, why) in &not_fetched {
                tracing::warn!(calendar = %display_url(url), href, "not fetched, asked again next cycle: {why}");
            }
            state.relist_next_time()
        };
        // Too large: kept as an empty body under its listed etag, so it is not asked for
        // again (nor shown) until it changes.
        let limits = self.settings.limits;
        for href in fetched.too_large {
            let why = format!(
                "larger than the {} MiB an event may be, or than the {} MiB an answer may be \
                 (max_resource_mib, max_response_mib): skipped until it changes",
                limits.max_resource >> 20,
                limits.max_response >> 20
            );
            tracing::warn!(calendar = %display_url(url), href, "{why}");
            let etag = listing.get(&href).and_then(|(_, etag)| etag.clone());
            fetched.resources.push(StoredResource {
                href: href.clone(),
                etag,
                body: Vec::new(),
            });
            not_fetched.push((href, why));
        }
        let report = SyncReport {
            collection: display_url(url),
            method,
            full_resync: false,
            fetched: fetched
                .resources
                .iter()
                .filter(|r| !r.body.is_empty())
                .count(),
            deleted: deleted.len(),
            not_fetched,
        };
        store.apply(
            &self.key,
            &Update {
                state,
                replace_all: false,
                upserts: fetched.resources,
                deletes: deleted,
            },
        )?;
        Ok(report)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
