//! Fetching members' bodies by `calendar-multiget`, [`MULTIGET_BATCH`] at a time.

use std::collections::HashSet;

use reqwest::Url;

use super::discovery::expect_multistatus;
use super::href::{normalize_href, report_method};
use super::store::StoredResource;
use super::xml::{self, CALDAV, DAV};
use super::{CaldavError, CaldavSource};

/// Members fetched per `calendar-multiget`.
pub const MULTIGET_BATCH: usize = 100;

impl CaldavSource {
    /// Fetches members by calendar-multiget, in batches.
    pub(super) async fn multiget(
        &self,
        url: &Url,
        hrefs: &[(String, String)],
    ) -> Result<Vec<StoredResource>, CaldavError> {
        let method = report_method();
        let mut out = Vec::with_capacity(hrefs.len());
        let wanted: HashSet<&str> = hrefs.iter().map(|(h, _)| h.as_str()).collect();
        for batch in hrefs.chunks(MULTIGET_BATCH) {
            let body = xml::calendar_multiget(batch.iter().map(|(_, raw)| raw.as_str()));
            let response = self.client.xml("REPORT", url, Some("1"), body).await?;
            let (answered, ms) = expect_multistatus(&method, url, response)?;
            for response in &ms.responses {
                let Some(raw) = response.href() else { continue };
                let href = normalize_href(&answered, raw);
                if !wanted.contains(href.as_str()) {
                    continue;
                }
                let Some(data) = response.prop(CALDAV, "calendar-data") else {
                    // Listed but gone by now (Google has been seen to do this): the next
                    // sync reports it deleted.
                    tracing::debug!(href, "multiget gave no calendar-data");
                    continue;
                };
                out.push(StoredResource {
                    href,
                    etag: response.text(DAV, "getetag").map(str::to_string),
                    body: data.text.clone().into_bytes(),
                });
            }
        }
        Ok(out)
    }
}
