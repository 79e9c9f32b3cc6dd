//! Reading a Graph calendar: `calendarView/delta` rounds kept in the state file.
//!
//! From <https://learn.microsoft.com/graph/delta-query-events> and
//! <https://learn.microsoft.com/graph/api/event-delta>: the first request names the window
//! (`startDateTime`, `endDateTime`); Graph answers pages of occurrences, exceptions and
//! single events (never series masters) with an `@odata.nextLink` until the last page,
//! which carries an `@odata.deltaLink`. Sending that link later returns only what changed
//! since, events deleted or moved out of the window as `{"id": ..., "@removed": {...}}`.
//! A link Graph no longer knows answers `410 Gone` (`syncStateNotFound`, `resyncRequired`):
//! tete then starts a new round. Masters, with their `patternedRecurrence`, come from
//! `GET /me/events/{id}`, read when an occurrence of their series changed.
//!
//! What is kept, per calendar, in the state file's CalDAV sync tables (the same
//! [`SyncState`](crate::sources::caldav::SyncState)): the delta link as the sync token, the
//! window as the ctag, and as resources `e/{id}` each event of the view, `m/{id}` each
//! master, `x/{id}` an occurrence that was removed (its original start, read as a
//! cancelled occurrence: an `EXDATE`) and `l/{id}` what links a private agenda to its 1:1.
//! A cycle with nothing new is one request.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use reqwest::{Method, StatusCode, Url};

use super::client::json_of;
use super::ical::{self, Series};
use super::model::Event;
use super::{GraphError, GraphSource, Index, Target};
use crate::sources::caldav::store::{CalendarState, StoredResource, Update};
use crate::sources::{Content, Resource, Snapshot};

/// Events per page asked of Graph (`Prefer: odata.maxpagesize`).
const PAGE_SIZE: usize = 100;
/// A round is restarted when its window ends sooner than this: the view must keep
/// reaching the coming weeks tete writes agendas for.
const KEEP_AHEAD_DAYS: i64 = 60;
/// Pages followed in one round before giving up (a server that links in circles).
const MAX_PAGES: usize = 10_000;

/// Prefixes of the stored resources.
pub(super) const EVENT: &str = "e/";
pub(super) const MASTER: &str = "m/";
pub(super) const REMOVED: &str = "x/";
pub(super) const LINK: &str = "l/";
/// The calendar owner's address (from the calendar's `owner`).
const OWNER: &str = "owner";

impl GraphSource {
    /// A delta round (a new one when there is no link, it expired, or its window runs out),
    /// applied to the state file in one transaction; then the calendar as resources.
    pub(super) async fn sync(&self, create: bool) -> Result<Snapshot, GraphError> {
        let stored = self.stored()?;
        let state = match &self.sync_state {
            Some(store) => store.state(&self.key)?,
            None => None,
        };
        let now = Utc::now();
        let round = match state {
            Some(state)
                if state.sync_token.as_deref().is_some_and(|t| !t.is_empty())
                    && window_ok(state.ctag.as_deref(), now) =>
            {
                match self
                    .delta_round(&state, stored.clone(), false, BTreeMap::new())
                    .await
                {
                    Err(GraphError::Status { status, code, .. })
                        if expired(status, code.as_deref()) =>
                    {
                        tracing::info!(calendar = %self.label(), "the delta link expired; reading the whole view again");
                        None
                    }
                    other => Some(other?),
                }
            }
            _ => None,
        };
        let (update, all) = match round {
            Some(done) => done,
            None => {
                let (base, owner) = self.calendar_base(create).await?;
                let (start, end) = self.window(now);
                let state = CalendarState {
                    collection_url: base,
                    sync_token: None,
                    ctag: Some(format!("{}/{}", start.to_rfc3339(), end.to_rfc3339())),
                };
                // tete's own records: the private agendas' links, and the owner.
                let mut kept: BTreeMap<String, StoredResource> = stored
                    .iter()
                    .filter(|(href, _)| href.starts_with(LINK))
                    .map(|(href, r)| (href.clone(), r.clone()))
                    .collect();
                if let Some(address) = owner {
                    let record = StoredResource {
                        href: OWNER.into(),
                        etag: None,
                        body: serde_json::json!({ "address": address })
                            .to_string()
                            .into_bytes(),
                    };
                    kept.insert(OWNER.into(), record);
                }
                self.delta_round(&state, BTreeMap::new(), true, kept)
                    .await?
            }
        };
        if let Some(store) = &self.sync_state {
            store.apply(&self.key, &update)?;
        }
        Ok(Snapshot {
            resources: self.render(&all).into(),
            not_modified: false,
        })
    }

    /// Every stored resource of this calendar, by href.
    fn stored(&self) -> Result<BTreeMap<String, StoredResource>, GraphError> {
        Ok(match &self.sync_state {
            Some(store) => store
                .resources(&self.key)?
                .into_iter()
                .map(|r| (r.href.clone(), r))
                .collect(),
            None => BTreeMap::new(),
        })
    }

    /// The view's window from `now`.
    fn window(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let day = |t: DateTime<Utc>| {
            t.date_naive()
                .and_hms_opt(0, 0, 0)
                .map_or(t, |d| d.and_utc())
        };
        // Graph refuses a longer view; the configuration says so, this keeps it true for
        // settings made in code.
        let past = self.location.past_days.min(super::MAX_WINDOW_DAYS - 1);
        let future = self.location.future_days.min(super::MAX_WINDOW_DAYS - past);
        (
            day(now - Duration::days(i64::from(past))),
            day(now + Duration::days(i64::from(future))),
        )
    }

    /// One round: pages from the delta link (or the view's start), applied to `stored`.
    /// Returns the update to store and every resource after it.
    async fn delta_round(
        &self,
        state: &CalendarState,
        mut stored: BTreeMap<String, StoredResource>,
        replace_all: bool,
        kept: BTreeMap<String, StoredResource>,
    ) -> Result<(Update, BTreeMap<String, StoredResource>), GraphError> {
        let mut url = match state.sync_token.as_deref().filter(|t| !t.is_empty()) {
            Some(link) => self.same_origin(link)?,
            None => {
                let (start, end) =
                    window_of(state.ctag.as_deref()).ok_or_else(|| GraphError::Url {
                        reason: "no window for the calendar view".into(),
                    })?;
                let url = self
                    .client
                    .url(&format!("{}calendarView/delta", state.collection_url))?;
                with_window(url, start, end)
            }
        };
        let prefer = [("prefer", format!("odata.maxpagesize={PAGE_SIZE}"))];
        let mut upserts: BTreeMap<String, StoredResource> = BTreeMap::new();
        let mut deletes: BTreeSet<String> = BTreeSet::new();
        let mut touched: BTreeSet<String> = BTreeSet::new();
        let delta_link = 'pages: {
            for _ in 0..MAX_PAGES {
                let page = self.client.get_json(&url, &prefer).await?;
                let what = crate::http::describe(&Method::GET, &url);
                let items = page
                    .get("value")
                    .and_then(|v| v.as_array())
                    .ok_or_else(|| GraphError::Garbage {
                        what: what.clone(),
                        reason: "no `value` array".into(),
                    })?;
                for item in items {
                    self.apply_item(item, &mut stored, &mut upserts, &mut deletes, &mut touched);
                }
                if let Some(next) = link(&page, "@odata.nextLink") {
                    url = self.same_origin(next)?;
                    continue;
                }
                match link(&page, "@odata.deltaLink") {
                    Some(delta) => break 'pages delta.to_string(),
                    None => {
                        return Err(GraphError::Garbage {
                            what,
                            reason: "a page with neither @odata.nextLink nor @odata.deltaLink"
                                .into(),
                        });
                    }
                }
            }
            return Err(GraphError::Garbage {
                what: "calendarView/delta".into(),
                reason: format!("more than {MAX_PAGES} pages"),
            });
        };
        if replace_all {
            touched.extend(series_of(&stored));
        }
        // What links private agendas to their 1:1s is tete's own: a new round keeps it.
        for (href, link) in &kept {
            stored.insert(href.clone(), link.clone());
            upserts.insert(href.clone(), link.clone());
        }
        for series in touched {
            let href = format!("{MASTER}{series}");
            match self.master(&series).await? {
                Some(master) => {
                    stored.insert(href.clone(), master.clone());
                    upserts.insert(href.clone(), master);
                    deletes.remove(&href);
                }
                None => {
                    stored.remove(&href);
                    upserts.remove(&href);
                    deletes.insert(href);
                }
            }
        }
        // A series none of whose occurrences is left in the view is gone: its master and
        // removed occurrences are not kept.
        let live = series_of(&stored);
        let orphans: Vec<String> = stored
            .iter()
            .filter(|(href, r)| series_key(href, r).is_some_and(|series| !live.contains(&series)))
            .map(|(href, _)| href.clone())
            .collect();
        for href in orphans {
            stored.remove(&href);
            upserts.remove(&href);
            deletes.insert(href);
        }
        let update = Update {
            state: CalendarState {
                sync_token: Some(delta_link),
                ..state.clone()
            },
            replace_all,
            upserts: upserts.into_values().collect(),
            deletes: deletes.into_iter().collect(),
        };
        Ok((update, stored))
    }

    /// Applies one item of a delta page to what is stored.
    fn apply_item(
        &self,
        item: &serde_json::Value,
        stored: &mut BTreeMap<String, StoredResource>,
        upserts: &mut BTreeMap<String, StoredResource>,
        deletes: &mut BTreeSet<String>,
        touched: &mut BTreeSet<String>,
    ) {
        let Some(id) = item.get("id").and_then(|v| v.as_str()) else {
            tracing::warn!(calendar = %self.label(), "Graph listed an event without an id; skipped");
            return;
        };
        let href = format!("{EVENT}{id}");
        if item.get("@removed").is_some() {
            // An occurrence gone from its series is a cancelled occurrence: remembered by its
            // original start, so the series gets an EXDATE.
            if let Some(old) = stored.remove(&href)
                && let Ok(event) = serde_json::from_slice::<Event>(&old.body)
                && let (Some(series), Some(original)) =
                    (event.series(), event.original_start.as_deref())
            {
                let tombstone = StoredResource {
                    href: format!("{REMOVED}{id}"),
                    etag: None,
                    body: serde_json::json!({"seriesMasterId": series, "originalStart": original})
                        .to_string()
                        .into_bytes(),
                };
                touched.insert(series.to_string());
                stored.insert(tombstone.href.clone(), tombstone.clone());
                upserts.insert(tombstone.href.clone(), tombstone);
            }
            upserts.remove(&href);
            deletes.insert(href);
            return;
        }
        let event: Event = match serde_json::from_value(item.clone()) {
            Ok(event) => event,
            Err(e) => {
                tracing::warn!(calendar = %self.label(), error = %e, "an event Graph listed is not readable; skipped");
                return;
            }
        };
        if let Some(series) = event.series() {
            touched.insert(series.to_string());
        }
        let resource = StoredResource {
            href: href.clone(),
            etag: event.etag.clone(),
            body: item.to_string().into_bytes(),
        };
        deletes.remove(&href);
        stored.insert(href.clone(), resource.clone());
        upserts.insert(href, resource);
    }

    /// A series master, `None` when Graph no longer has it.
    async fn master(&self, id: &str) -> Result<Option<StoredResource>, GraphError> {
        let url = self.client.url(&format!("me/events/{id}"))?;
        let answer = self.client.send(Method::GET, &url, &[], None).await?;
        if matches!(answer.status, StatusCode::NOT_FOUND | StatusCode::GONE) {
            return Ok(None);
        }
        let json = json_of(&crate::http::describe(&Method::GET, &url), answer)?;
        let etag = json
            .get("@odata.etag")
            .and_then(|e| e.as_str())
            .map(str::to_string);
        Ok(Some(StoredResource {
            href: format!("{MASTER}{id}"),
            etag,
            body: json.to_string().into_bytes(),
        }))
    }

    /// A link Graph gave, refused when it points elsewhere (the bearer token goes with it).
    fn same_origin(&self, link: &str) -> Result<Url, GraphError> {
        let url = Url::parse(link).map_err(|e| GraphError::Url {
            reason: e.to_string(),
        })?;
        if url.origin() != self.client.root.origin() {
            return Err(GraphError::Url {
                reason: format!(
                    "Graph linked to another host ({}); not followed",
                    crate::http::origin(&url)
                ),
            });
        }
        Ok(url)
    }

    /// The path of the calendar below the root (`me/calendar/` or `me/calendars/{id}/`),
    /// creating a calendar of that name when asked, and its owner's address (a calendar
    /// resource's `owner`, <https://learn.microsoft.com/graph/api/resources/calendar>:
    /// `GET /me` would need another permission).
    async fn calendar_base(&self, create: bool) -> Result<(String, Option<String>), GraphError> {
        let Some(name) = &self.location.calendar else {
            let url = self.client.url("me/calendar")?;
            let calendar = GraphCalendar::of(&self.client.get_json(&url, &[]).await?);
            return Ok(("me/calendar/".into(), calendar.and_then(|c| c.owner)));
        };
        let calendars = self.calendars().await?;
        if let Some(found) = calendars.iter().find(|c| c.is(name)) {
            return Ok((format!("me/calendars/{}/", found.id), found.owner.clone()));
        }
        if create {
            return Ok((self.create_calendar(name).await?, None));
        }
        Err(GraphError::CalendarNotFound {
            name: name.clone(),
            found: calendars
                .iter()
                .map(|c| format!("{:?}", c.name))
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// Every calendar of the account (`GET /me/calendars`, every page).
    pub async fn calendars(&self) -> Result<Vec<GraphCalendar>, GraphError> {
        let mut url = self.client.url("me/calendars")?;
        let mut out = Vec::new();
        for _ in 0..MAX_PAGES {
            let page = self.client.get_json(&url, &[]).await?;
            out.extend(
                page.get("value")
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(GraphCalendar::of),
            );
            match link(&page, "@odata.nextLink") {
                Some(next) => url = self.same_origin(next)?,
                None => break,
            }
        }
        Ok(out)
    }

    /// `POST /me/calendars` (<https://learn.microsoft.com/graph/api/user-post-calendars>).
    async fn create_calendar(&self, name: &str) -> Result<String, GraphError> {
        let url = self.client.url("me/calendars")?;
        let body = serde_json::json!({ "name": name });
        let answer = self
            .client
            .send(Method::POST, &url, &[], Some(&body))
            .await?;
        let json = json_of(&crate::http::describe(&Method::POST, &url), answer)?;
        let id = json
            .get("id")
            .and_then(|i| i.as_str())
            .ok_or_else(|| GraphError::Garbage {
                what: "POST me/calendars".into(),
                reason: "the new calendar has no id".into(),
            })?;
        tracing::info!(calendar = %name, "created the calendar for private agendas");
        Ok(format!("me/calendars/{id}/"))
    }

    /// Every series and single event as iCalendar resources, in a stable order; remembers
    /// what each occurrence is for writing.
    pub(super) fn render(&self, stored: &BTreeMap<String, StoredResource>) -> Vec<Resource> {
        let (resources, index) = render(stored, &self.label());
        if let Ok(mut known) = self.index.lock() {
            *known = index;
        }
        resources
    }
}

/// Every series and single event of `stored` as iCalendar resources, in a stable order,
/// and what each occurrence is for writing.
fn render(
    stored: &BTreeMap<String, StoredResource>,
    label: &str,
) -> (Vec<Resource>, HashMap<String, Index>) {
    let parsed = Parsed::of(stored);
    let mut resources = Vec::new();
    let mut index = HashMap::new();
    for (id, event) in &parsed.singles {
        let mut body = ical::single(event, parsed.owner.as_deref());
        if let Some(link) = parsed.links.get(id) {
            body = super::write::as_companion(&body, link);
        }
        index.insert(
            id.to_string(),
            Index::of(std::iter::once(event), None, event),
        );
        resources.push(Resource {
            href: id.to_string(),
            etag: event.etag.clone(),
            content: Content::Memory(body),
        });
    }
    for (series_id, instances) in &parsed.series {
        let refs: Vec<&Event> = instances.iter().collect();
        let series = Series {
            master: parsed.masters.get(series_id),
            instances: refs.clone(),
            removed: parsed.removed.get(series_id).cloned().unwrap_or_default(),
            me: parsed.owner.as_deref(),
        };
        let Some(body) = ical::series(&series) else {
            tracing::warn!(calendar = %label, series = %series_id, "a series whose master Graph did not give; skipped");
            continue;
        };
        if let Some(master) = series.master {
            index.insert(
                series_id.to_string(),
                Index::of(instances.iter(), Some(master), master),
            );
        }
        resources.push(Resource {
            href: series_id.to_string(),
            etag: Some(combined_etag(series.master, &refs)),
            content: Content::Memory(body),
        });
    }
    (resources, index)
}

impl GraphSource {
    /// One series or event read fresh from Graph: a single event is one `GET`; a series its
    /// master and its instances in the window (`GET /me/events/{id}/instances`,
    /// <https://learn.microsoft.com/graph/api/event-list-instances>). Rendered with what
    /// tete keeps of it (removed occurrences, the owner, a private agenda's link).
    pub(super) async fn read_fresh(&self, href: &str) -> Result<Resource, GraphError> {
        let gone = || GraphError::Status {
            what: format!("GET me/events/{href}"),
            status: StatusCode::NOT_FOUND,
            code: None,
        };
        let fetched = self.master(href).await?.ok_or_else(gone)?;
        let event: Event = serde_json::from_slice(&fetched.body).unwrap_or_default();
        let mut stored = self.stored()?;
        stored.retain(|key, resource| {
            key == OWNER
                || key == &format!("{LINK}{href}")
                || (key.starts_with(REMOVED)
                    && series_key(key, resource).is_some_and(|series| series == href))
        });
        if event.is_master() {
            stored.insert(fetched.href.clone(), fetched);
            for instance in self.instances(href).await? {
                stored.insert(instance.href.clone(), instance);
            }
        } else {
            let key = format!("{EVENT}{href}");
            stored.insert(
                key.clone(),
                StoredResource {
                    href: key,
                    ..fetched
                },
            );
        }
        let (resources, mut index) = render(&stored, &self.label());
        let resource = resources
            .into_iter()
            .find(|r| r.href == href)
            .ok_or_else(gone)?;
        if let (Ok(mut known), Some(fresh)) = (self.index.lock(), index.remove(href)) {
            known.insert(href.to_string(), fresh);
        }
        Ok(resource)
    }

    /// The occurrences and exceptions of series `id` in the view's window, every page.
    async fn instances(&self, id: &str) -> Result<Vec<StoredResource>, GraphError> {
        let state = match &self.sync_state {
            Some(store) => store.state(&self.key)?,
            None => None,
        };
        let (start, end) = state
            .and_then(|s| window_of(s.ctag.as_deref()))
            .unwrap_or_else(|| self.window(Utc::now()));
        let mut url = with_window(
            self.client.url(&format!("me/events/{id}/instances"))?,
            start,
            end,
        );
        let mut out = Vec::new();
        for _ in 0..MAX_PAGES {
            let page = self.client.get_json(&url, &[]).await?;
            for item in page
                .get("value")
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
            {
                if let Some(id) = item.get("id").and_then(|i| i.as_str()) {
                    out.push(StoredResource {
                        href: format!("{EVENT}{id}"),
                        etag: item
                            .get("@odata.etag")
                            .and_then(|e| e.as_str())
                            .map(str::to_string),
                        body: item.to_string().into_bytes(),
                    });
                }
            }
            match link(&page, "@odata.nextLink") {
                Some(next) => url = self.same_origin(next)?,
                None => return Ok(out),
            }
        }
        Ok(out)
    }
}

/// One calendar of an account, as `GET /me/calendars` lists it
/// (<https://learn.microsoft.com/graph/api/resources/calendar>).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphCalendar {
    /// Graph's id.
    pub id: String,
    /// Its name, as Outlook shows it.
    pub name: String,
    /// Its owner's address.
    pub owner: Option<String>,
    /// Whether the account's default calendar.
    pub is_default: bool,
    /// Whether the signed-in user may write to it.
    pub can_edit: bool,
}

impl GraphCalendar {
    fn of(json: &serde_json::Value) -> Option<GraphCalendar> {
        let text = |key: &str| json.get(key).and_then(|v| v.as_str()).map(str::to_string);
        Some(GraphCalendar {
            id: text("id")?,
            name: text("name").unwrap_or_default(),
            owner: json
                .get("owner")
                .and_then(|o| o.get("address"))
                .and_then(|a| a.as_str())
                .filter(|a| !a.is_empty())
                .map(str::to_string),
            is_default: json.get("isDefaultCalendar").and_then(|v| v.as_bool()) == Some(true),
            can_edit: json.get("canEdit").and_then(|v| v.as_bool()) != Some(false),
        })
    }

    /// Whether `pick` (a `calendar` setting) names it: its name or its id.
    pub fn is(&self, pick: &str) -> bool {
        self.name == pick || self.id == pick
    }
}

/// `url` with the view's window as Graph takes it.
fn with_window(mut url: Url, start: DateTime<Utc>, end: DateTime<Utc>) -> Url {
    url.query_pairs_mut()
        .append_pair(
            "startDateTime",
            &start.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
        .append_pair("endDateTime", &end.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    url
}

/// The stored resources read as events, grouped.
#[derive(Default)]
struct Parsed {
    singles: BTreeMap<String, Event>,
    series: BTreeMap<String, Vec<Event>>,
    masters: BTreeMap<String, Event>,
    removed: BTreeMap<String, Vec<String>>,
    links: HashMap<String, super::write::LinkRecord>,
    owner: Option<String>,
}

impl Parsed {
    fn of(stored: &BTreeMap<String, StoredResource>) -> Parsed {
        let mut parsed = Parsed::default();
        for (href, resource) in stored {
            if let Some(id) = href.strip_prefix(EVENT) {
                let Ok(event) = serde_json::from_slice::<Event>(&resource.body) else {
                    continue;
                };
                match event.series().map(str::to_string) {
                    Some(series) => parsed.series.entry(series).or_default().push(event),
                    None if event.is_master() => {}
                    None => {
                        parsed.singles.insert(id.to_string(), event);
                    }
                }
            } else if let Some(id) = href.strip_prefix(MASTER) {
                if let Ok(event) = serde_json::from_slice::<Event>(&resource.body) {
                    parsed.masters.insert(id.to_string(), event);
                }
            } else if href.starts_with(REMOVED) {
                if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&resource.body)
                    && let (Some(series), Some(original)) = (
                        value.get("seriesMasterId").and_then(|s| s.as_str()),
                        value.get("originalStart").and_then(|s| s.as_str()),
                    )
                {
                    parsed
                        .removed
                        .entry(series.to_string())
                        .or_default()
                        .push(original.to_string());
                }
            } else if href == OWNER {
                parsed.owner = serde_json::from_slice::<serde_json::Value>(&resource.body)
                    .ok()
                    .and_then(|v| {
                        v.get("address")
                            .and_then(|a| a.as_str())
                            .map(str::to_string)
                    });
            } else if let Some(id) = href.strip_prefix(LINK)
                && let Ok(link) = serde_json::from_slice(&resource.body)
            {
                parsed.links.insert(id.to_string(), link);
            }
        }
        parsed
    }
}

impl Index {
    /// The writable targets of a series (its instances by original start) or an event.
    fn of<'a>(
        instances: impl Iterator<Item = &'a Event>,
        master: Option<&Event>,
        zone_of: &Event,
    ) -> Index {
        let zone = ical::EventZone::of(zone_of);
        let all_day = zone_of.is_all_day == Some(true);
        let mut targets = HashMap::new();
        for event in instances {
            let key = if event.series().is_some() {
                match event.original_start.as_deref().and_then(ical::parse_offset) {
                    Some(start) => Some(zone.moment(start, all_day)),
                    None => continue,
                }
            } else {
                None
            };
            targets.insert(key, Target::of(event));
        }
        if let Some(master) = master {
            targets.entry(None).or_insert_with(|| Target::of(master));
        }
        Index { targets }
    }
}

impl Target {
    fn of(event: &Event) -> Target {
        let body = event.body.clone().unwrap_or_default();
        Target {
            id: event.id.clone(),
            etag: event.etag.clone(),
            html: body
                .content_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("html")),
            // As iCalendar text carries it: without carriage returns (Graph's HTML bodies
            // have CRLF line ends), so a description tete did not change compares equal.
            description: body.content.unwrap_or_default().replace('\r', ""),
        }
    }
}

fn combined_etag(master: Option<&Event>, instances: &[&Event]) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for tag in master
        .into_iter()
        .chain(instances.iter().copied())
        .map(|e| e.etag.as_deref().unwrap_or(&e.id))
    {
        hash.update(tag.as_bytes());
        hash.update([0]);
    }
    hex::encode(&hash.finalize()[..12])
}

fn series_of(stored: &BTreeMap<String, StoredResource>) -> BTreeSet<String> {
    stored
        .iter()
        .filter(|(href, _)| href.starts_with(EVENT))
        .filter_map(|(_, r)| serde_json::from_slice::<Event>(&r.body).ok())
        .filter_map(|e| e.series().map(str::to_string))
        .collect()
}

/// The series a stored master (`m/{id}`) or removed occurrence (`x/{id}`) belongs to.
fn series_key(href: &str, resource: &StoredResource) -> Option<String> {
    if let Some(id) = href.strip_prefix(MASTER) {
        return Some(id.to_string());
    }
    if href.starts_with(REMOVED) {
        let value: serde_json::Value = serde_json::from_slice(&resource.body).ok()?;
        return value
            .get("seriesMasterId")
            .and_then(|s| s.as_str())
            .map(str::to_string);
    }
    None
}

fn link<'a>(page: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    page.get(name).and_then(|l| l.as_str())
}

/// Whether an error on a delta link means "start again".
fn expired(status: StatusCode, code: Option<&str>) -> bool {
    status == StatusCode::GONE
        || matches!(
            code,
            Some("syncStateNotFound" | "resyncRequired" | "SyncStateNotFound" | "SyncStateInvalid")
        )
}

fn window_of(ctag: Option<&str>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let (start, end) = ctag?.split_once('/')?;
    Some((
        DateTime::parse_from_rfc3339(start)
            .ok()?
            .with_timezone(&Utc),
        DateTime::parse_from_rfc3339(end).ok()?.with_timezone(&Utc),
    ))
}

/// Whether a round's window still reaches far enough ahead.
fn window_ok(ctag: Option<&str>, now: DateTime<Utc>) -> bool {
    window_of(ctag).is_some_and(|(_, end)| end > now + Duration::days(KEEP_AHEAD_DAYS))
}
