//! One sync cycle of a [`CaldavSource`]: which way changes are found (sync-collection with a
//! stored token, a full resync when it expired, calendar-query when the sync REPORT is
//! refused, ctag + etags without sync-collection), and storing what changed in one update.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use reqwest::{StatusCode, Url};

use super::store::{CalendarState, Listed, SharedSyncState, StoredResource, Update};
use super::{CaldavError, CaldavSource, Listing, SyncReport, SyncState};
use crate::http::display_url;
use crate::sources::{Content, Resource, Snapshot, SourceError, StoredBody};

impl CaldavSource {
    /// Syncs the calendar and returns every resource.
    pub async fn fetch(&self) -> Result<Snapshot, SourceError> {
        self.fetch_kept(None).await
    }

    /// [`CaldavSource::fetch`], the resources taken from `kept` while the calendar's stored
    /// listing is the one they were made from (a long-running process; see
    /// [`KeptResources`]).
    pub async fn fetch_kept(&self, kept: Option<&KeptResources>) -> Result<Snapshot, SourceError> {
        let (snapshot, _) = self.sync_kept(kept).await?;
        Ok(snapshot)
    }

    /// One sync cycle: finds what changed, fetches it, stores it, returns the whole calendar
    /// and what the cycle did.
    pub async fn sync(&self) -> Result<(Snapshot, SyncReport), CaldavError> {
        self.sync_kept(None).await
    }

    /// [`CaldavSource::sync`], with the resources kept in `kept`.
    async fn sync_kept(
        &self,
        kept: Option<&KeptResources>,
    ) -> Result<(Snapshot, SyncReport), CaldavError> {
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
        let resources = self.resources_of(store.listing(&self.key)?, &shared, kept);
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

    /// The snapshot's resources for `listing`: the ones the sync state kept while the
    /// listing is the one they were made from, so a daemon's idle cycle makes none.
    fn resources_of(
        &self,
        listing: Arc<[Listed]>,
        shared: &SharedSyncState,
        kept: Option<&KeptResources>,
    ) -> Arc<[Resource]> {
        if let Some(resources) = kept.and_then(|k| k.get(&self.key, &listing, shared)) {
            return resources;
        }
        let calendar: Arc<str> = self.key.as_str().into();
        let resources: Arc<[Resource]> = listing
            .iter()
            // An empty body is a member skipped as too large (see `store_changes`).
            .filter(|r| r.len > 0)
            .map(|r| Resource {
                href: r.href.clone(),
                etag: r.etag.clone(),
                content: Content::Stored(StoredBody {
                    store: shared.clone(),
                    calendar: Arc::clone(&calendar),
                    len: r.len,
                }),
            })
            .collect();
        if let Some(kept) = kept {
            kept.keep(
                &self.key,
                listing,
                Arc::clone(shared),
                Arc::clone(&resources),
            );
        }
        resources
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

/// The resources the last syncs made of each calendar's stored listing, with the listing
/// and sync state they were made from: while the store hands out the same listing, a
/// daemon's idle cycle makes none again (making 8,720 was a fifth of it). Kept by the
/// process between its cycles, not by the source (made anew each cycle) nor by the store
/// (the resources point back at it).
#[derive(Debug, Default)]
pub struct KeptResources(Mutex<HashMap<String, Made>>);

/// One calendar's resources as made, and from what.
#[derive(Debug)]
struct Made {
    listing: Arc<[Listed]>,
    store: SharedSyncState,
    resources: Arc<[Resource]>,
}

impl KeptResources {
    /// The resources made for `calendar` last, if made of this very listing and store.
    fn get(
        &self,
        calendar: &str,
        listing: &Arc<[Listed]>,
        store: &SharedSyncState,
    ) -> Option<Arc<[Resource]>> {
        let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let made = kept.get(calendar)?;
        (Arc::ptr_eq(&made.listing, listing) && Arc::ptr_eq(&made.store, store))
            .then(|| Arc::clone(&made.resources))
    }

    /// Keeps the resources made for `calendar` of `listing` in `store`.
    fn keep(
        &self,
        calendar: &str,
        listing: Arc<[Listed]>,
        store: SharedSyncState,
        resources: Arc<[Resource]>,
    ) {
        let made = Made {
            listing,
            store,
            resources,
        };
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        kept.insert(calendar.to_string(), made);
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

    #[test]
    fn kept_resources_serve_only_the_listing_and_store_they_were_made_of() {
        let dir = tempfile::tempdir().unwrap();
        let open = |name: &str| {
            crate::state::StateFile::open(&dir.path().join(name))
                .unwrap()
                .caldav_sync()
        };
        let (store, other_store) = (open("a.db"), open("b.db"));
        let listed = |etag: &str| -> Arc<[Listed]> {
            vec![Listed {
                href: "a.ics".into(),
                etag: Some(etag.into()),
                len: 10,
            }]
            .into()
        };
        let listing = listed("1");
        let resources: Arc<[Resource]> = Vec::new().into();
        let kept = KeptResources::default();
        assert!(kept.get("cal", &listing, &store).is_none());
        kept.keep(
            "cal",
            Arc::clone(&listing),
            Arc::clone(&store),
            Arc::clone(&resources),
        );
        let again = kept.get("cal", &listing, &store).unwrap();
        assert!(Arc::ptr_eq(&again, &resources));
        // An equal listing read again is not the same listing: the store read it anew
        // because something changed.
        assert!(kept.get("cal", &listed("1"), &store).is_none());
        assert!(kept.get("cal", &listing, &other_store).is_none());
        assert!(kept.get("other", &listing, &store).is_none());
    }
}
