//! RFC 6578 `sync-collection`: the REPORT from a token, followed over truncated pages
//! (a collection marked `507`), and what it reports changed or deleted.

use reqwest::Url;

use super::discovery::expect_multistatus;
use super::href::{normalize_href, report_method, same_path};
use super::store::CalendarState;
use super::xml::{self, DAV};
use super::{CaldavError, CaldavSource, Listing, SyncReport, SyncState};
use crate::http::describe;

/// Most pages of one truncated sync-collection answer followed in one cycle.
const MAX_SYNC_PAGES: usize = 100;

/// What the pages of one sync-collection answer reported.
#[derive(Default)]
struct Changes {
    /// Members added or changed, with their etags.
    listing: Listing,
    /// Members reported `404`.
    deleted: Vec<String>,
}

impl Changes {
    /// Folds in one page's answers; true when the collection itself is marked `507`: the
    /// answer is partial and its token continues from there (RFC 6578 3.6).
    fn add_page(&mut self, answered: &Url, url: &Url, ms: &xml::Multistatus) -> bool {
        let mut truncated = false;
        for response in &ms.responses {
            let Some(raw) = response.href() else { continue };
            let href = normalize_href(answered, raw);
            if same_path(&href, url.path()) {
                truncated |= response.status == Some(507);
                continue;
            }
            if response.status == Some(404) {
                self.listing.remove(&href);
                self.deleted.push(href);
            } else {
                self.deleted.retain(|d| *d != href);
                let etag = response.text(DAV, "getetag").map(str::to_string);
                self.listing.insert(href, (raw.to_string(), etag));
            }
        }
        truncated
    }
}

impl CaldavSource {
    /// A sync-collection REPORT from `token` (`""`: initial), then multiget of the changes.
    pub(super) async fn sync_collection(
        &self,
        store: &dyn SyncState,
        url: &Url,
        state: &CalendarState,
        token: &str,
    ) -> Result<SyncReport, CaldavError> {
        let (changes, new_token) = self.collect_changes(url, token).await?;
        let state = CalendarState {
            sync_token: new_token,
            ..state.clone()
        };
        if token.is_empty() {
            // Initial or full resync: the listing is the whole collection.
            return self
                .apply_listing(store, url, state, changes.listing, "sync-collection")
                .await;
        }
        // Only what the changes name: an idle sync reads no etag at all.
        let named: Vec<&str> = changes
            .listing
            .keys()
            .chain(&changes.deleted)
            .map(String::as_str)
            .collect();
        let stored = store.etags_of(&self.key, &named)?;
        let deleted: Vec<String> = changes
            .deleted
            .into_iter()
            .filter(|h| stored.contains_key(h))
            .collect();
        self.store_changes(
            store,
            url,
            state,
            &changes.listing,
            &stored,
            deleted,
            "sync-collection",
        )
        .await
    }

    /// The changes since `token`, over every page of a truncated answer (up to
    /// [`MAX_SYNC_PAGES`]), and the token to start from next time.
    async fn collect_changes(
        &self,
        url: &Url,
        token: &str,
    ) -> Result<(Changes, Option<String>), CaldavError> {
        let mut changes = Changes::default();
        let mut page_token = token.to_string();
        let mut pages = 0;
        loop {
            pages += 1;
            let (answered, ms) = self.sync_collection_page(url, &page_token).await?;
            let truncated = changes.add_page(&answered, url, &ms);
            match ms.sync_token {
                Some(next) if truncated && next != page_token && pages < MAX_SYNC_PAGES => {
                    page_token = next;
                }
                other => return Ok((changes, other)),
            }
        }
    }

    /// One sync-collection REPORT; a `4xx` carrying `valid-sync-token` is
    /// [`CaldavError::SyncTokenExpired`].
    async fn sync_collection_page(
        &self,
        url: &Url,
        token: &str,
    ) -> Result<(Url, xml::Multistatus), CaldavError> {
        let method = report_method();
        let response = self
            .client
            .xml("REPORT", url, Some("0"), xml::sync_collection(token))
            .await?;
        if response.status.is_client_error()
            && xml::error_conditions(&response.body)
                .iter()
                .any(|c| c.is(xml::DAV, "valid-sync-token"))
        {
            return Err(CaldavError::SyncTokenExpired {
                request: describe(&method, url),
                status: response.status,
            });
        }
        expect_multistatus(&method, url, response)
    }
}
