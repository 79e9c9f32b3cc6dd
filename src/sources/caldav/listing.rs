//! What a collection holds, without sync-collection: its ctag (PROPFIND Depth 0), every
//! member's etag (PROPFIND Depth 1), or every event's etag by calendar-query (with a
//! time range for a limited first sync).

use reqwest::Url;

use super::href::{normalize_href, report_method, same_path};
use super::xml::{self, CS, DAV};
use super::{CaldavError, CaldavSource, Listing, discovery};
use discovery::expect_multistatus;

impl CaldavSource {
    /// The collection's ctag (PROPFIND Depth 0), if the server gives one.
    pub(super) async fn ctag(&self, url: &Url) -> Result<Option<String>, CaldavError> {
        let (_answered, ms) =
            discovery::propfind(&self.client, url, "0", xml::propfind_ctag()).await?;
        Ok(ms
            .responses
            .first()
            .and_then(|r| r.text(CS, "getctag"))
            .map(str::to_string))
    }

    /// Every member's etag, by PROPFIND Depth 1.
    pub(super) async fn list_etags(&self, url: &Url) -> Result<Listing, CaldavError> {
        let (answered, ms) =
            discovery::propfind(&self.client, url, "1", xml::propfind_etags()).await?;
        Ok(self.listing_of(&answered, url, &ms))
    }

    /// Every event's etag, by calendar-query (for servers whose sync REPORT fails).
    pub(super) async fn query_etags(
        &self,
        url: &Url,
        since: Option<&str>,
    ) -> Result<Listing, CaldavError> {
        let method = report_method();
        let response = self
            .client
            .xml("REPORT", url, Some("1"), xml::calendar_query_etags(since))
            .await?;
        let (answered, ms) = expect_multistatus(&method, url, response)?;
        Ok(self.listing_of(&answered, url, &ms))
    }

    fn listing_of(&self, answered: &Url, url: &Url, ms: &xml::Multistatus) -> Listing {
        let mut listing = Listing::new();
        for response in &ms.responses {
            let Some(raw) = response.href() else { continue };
            let href = normalize_href(answered, raw);
            if same_path(&href, url.path())
                || response.prop_has(DAV, "resourcetype", DAV, "collection")
                || response.status.is_some_and(|s| s >= 400)
            {
                continue;
            }
            let etag = response.text(DAV, "getetag").map(str::to_string);
            listing.insert(href, (raw.to_string(), etag));
        }
        listing
    }
}
