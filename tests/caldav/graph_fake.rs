//! A wire-level fake of Microsoft Graph and the Microsoft identity platform (wiremock):
//! Graph cannot run here, so this answers as the documentation shows, page by page.
//!
//! Documentation each answer follows:
//! - token endpoint, refresh and device code:
//!   <https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code> (the
//!   `devicecode` answer: `user_code`, `device_code`, `verification_uri`, `expires_in`,
//!   `interval`, `message`; polling errors `authorization_pending`, `slow_down`,
//!   `authorization_declined`, `expired_token`, `bad_verification_code`) and
//!   <https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token>
//!   (`token_type`, `scope`, `expires_in`, `access_token`, a rotated `refresh_token`;
//!   `invalid_grant` for a revoked one);
//! - `GET /me/calendars`: <https://learn.microsoft.com/graph/api/user-list-calendars>
//!   (`value` of calendar resources with `id` and `name`);
//! - `GET /me/calendars/{id}/calendarView/delta`:
//!   <https://learn.microsoft.com/graph/api/event-delta> and
//!   <https://learn.microsoft.com/graph/delta-query-events> (pages of events, never series
//!   masters, with `@odata.nextLink` carrying `$skiptoken`, the last one with
//!   `@odata.deltaLink` carrying `$deltatoken`; a removed event as `{"id", "@removed":
//!   {"reason": "deleted"}}`); an expired token: `410 Gone` with error code
//!   `syncStateNotFound` (<https://learn.microsoft.com/graph/delta-query-overview#synchronization-reset>);
//! - `GET /me/events/{id}`: <https://learn.microsoft.com/graph/api/event-get> (a series
//!   master with `recurrence`, <https://learn.microsoft.com/graph/api/resources/patternedrecurrence>);
//! - `GET /me/events/{id}/instances`: <https://learn.microsoft.com/graph/api/event-list-instances>;
//! - `PATCH /me/events/{id}`: <https://learn.microsoft.com/graph/api/event-update> (200
//!   with the updated event and its new `@odata.etag`; `412 Precondition Failed` when
//!   `If-Match` is stale, <https://learn.microsoft.com/graph/errors>);
//! - `POST /me/calendars`, `POST /me/calendars/{id}/events`:
//!   <https://learn.microsoft.com/graph/api/user-post-calendars>,
//!   <https://learn.microsoft.com/graph/api/calendar-post-events> (201 with the new resource);
//! - throttling: <https://learn.microsoft.com/graph/throttling> (`429` with `Retry-After` in
//!   seconds, also `503`).
//!
//! The events themselves are tests/data/graph (hand-authored, see its make.py).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const CALENDAR_ID: &str = "AAMkAGVmMDEzMTM4LTZmYWUtNDdkNC1hMDZiLTU1OGY5OTZhYmY4OABGAAAAAAAiQ8W967B7TKBjgx9rVEURBwAiIsqMbYjsT5e-T7KzowPTAAAAAAEGAAA=";
pub const REFRESH: &str = "0.AXoA-refresh-T0KEN-never-shown";
pub const ACCESS: &str = "eyJ0eXAiOiJKV1QiLCJub25jZSI6-access";

pub fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/graph")
}

/// The recorded calendar view: every event of the two delta pages.
pub fn events() -> Vec<Value> {
    (1..=2)
        .flat_map(|n| {
            let page: Value = serde_json::from_str(
                &std::fs::read_to_string(data().join(format!("delta-{n}.json"))).unwrap(),
            )
            .unwrap();
            page["value"].as_array().unwrap().clone()
        })
        .collect()
}

/// The series masters, by id.
pub fn masters() -> Vec<Value> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(data().join("masters")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        out.push(serde_json::from_str(&text).unwrap());
    }
    out
}

/// The fake: Graph at `{uri}/v1.0/`, the identity platform at `{uri}/` (tenant `common`).
pub struct GraphFake {
    pub server: MockServer,
}

impl GraphFake {
    pub async fn start() -> GraphFake {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let fake = GraphFake {
            server: MockServer::start().await,
        };
        fake.mount_token().await;
        fake.mount_calendars().await;
        fake.mount_delta().await;
        fake.mount_masters().await;
        fake
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn api(&self) -> String {
        format!("{}/v1.0/", self.uri())
    }

    fn delta_url(&self, query: &str) -> String {
        format!(
            "{}/v1.0/me/calendars/{CALENDAR_ID}/calendarView/delta?{query}",
            self.uri()
        )
    }

    /// A refresh answer (v2-oauth2-auth-code-flow, "Refresh the access token").
    async fn mount_token(&self) {
        Mock::given(method("POST"))
            .and(path("/common/oauth2/v2.0/token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "token_type": "Bearer",
                "scope": "https://graph.microsoft.com/Calendars.ReadWrite",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": ACCESS,
                "refresh_token": REFRESH,
            })))
            .with_priority(10)
            .mount(&self.server)
            .await;
    }

    /// `GET /me/calendars` (user-list-calendars).
    async fn mount_calendars(&self) {
        Mock::given(method("GET"))
            .and(path("/v1.0/me/calendars"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('mia')/calendars",
                "value": [
                    {"id": "AAMkAGVmMDEzMTM4LTZmYWUtNDdkNC1hMDZiLTU1OGY5OTZhYmY4OABGAAAAAAAiQ8W967B7TKBjgx9rVEURBwAiIsqMbYjsT5e-T7KzowPTAAAAAAEGAAB=", "name": "Birthdays", "color": "auto", "isDefaultCalendar": false, "canEdit": false, "owner": {"name": "Mia Rossi", "address": "mia@example.com"}},
                    {"id": CALENDAR_ID, "name": "Calendar", "color": "auto", "isDefaultCalendar": true, "changeKey": "nfZyf7VcrEKLNoU37KWlkQAAA0x0+w==", "canShare": true, "canViewPrivateItems": true, "canEdit": true, "owner": {"name": "Mia Rossi", "address": "mia@example.com"}},
                ]
            })))
            .with_priority(10)
            .mount(&self.server)
            .await;
    }

    /// The first round in two pages, then a delta link that reports no change.
    async fn mount_delta(&self) {
        let route = format!("/v1.0/me/calendars/{CALENDAR_ID}/calendarView/delta");
        let page = |n: u32| -> Value {
            serde_json::from_str(
                &std::fs::read_to_string(data().join(format!("delta-{n}.json"))).unwrap(),
            )
            .unwrap()
        };
        let mut first = page(1);
        first["@odata.nextLink"] = self
            .delta_url("$skiptoken=page-2-R0usmci39OQxqJrxK4")
            .into();
        let mut second = page(2);
        second["@odata.deltaLink"] = self.delta_url("$deltatoken=round-1-R0usmcMb1cAqPZ").into();
        Mock::given(method("GET"))
            .and(path(route.as_str()))
            .and(query_param("$skiptoken", "page-2-R0usmci39OQxqJrxK4"))
            .respond_with(ResponseTemplate::new(200).set_body_json(second))
            .with_priority(5)
            .mount(&self.server)
            .await;
        self.mount_no_change("round-1-R0usmcMb1cAqPZ", 10).await;
        // The start of a round names the window (and nothing else matched).
        Mock::given(method("GET"))
            .and(path(route.as_str()))
            .and(wiremock::matchers::query_param_contains(
                "startDateTime",
                "T00:00:00Z",
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(first))
            .with_priority(20)
            .mount(&self.server)
            .await;
    }

    /// `token` answers "nothing changed" and the same link again.
    pub async fn mount_no_change(&self, token: &str, priority: u8) {
        self.mount_delta_answer(token, Vec::new(), token, priority)
            .await;
    }

    /// `token` answers these items, then a new link `next` (which answers no change).
    pub async fn mount_change(&self, token: &str, items: Vec<Value>, next: &str) {
        self.mount_delta_answer(token, items, next, 1).await;
        self.mount_no_change(next, 2).await;
    }

    /// The last page of a delta round sent with `$deltatoken={token}`: `items` and the link
    /// of the next round.
    async fn mount_delta_answer(&self, token: &str, items: Vec<Value>, next: &str, priority: u8) {
        let route = format!("/v1.0/me/calendars/{CALENDAR_ID}/calendarView/delta");
        Mock::given(method("GET"))
            .and(path(route.as_str()))
            .and(query_param("$deltatoken", token))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(event)",
                "@odata.deltaLink": self.delta_url(&format!("$deltatoken={next}")),
                "value": items,
            })))
            .with_priority(priority)
            .mount(&self.server)
            .await;
    }

    /// The next `times` requests of the stored first round's delta link (every one when
    /// `None`) get `answer`: a fault, before the fake's normal answer.
    pub async fn next_delta(&self, answer: ResponseTemplate, times: Option<u64>, priority: u8) {
        let mock = Mock::given(method("GET"))
            .and(query_param("$deltatoken", "round-1-R0usmcMb1cAqPZ"))
            .respond_with(answer)
            .with_priority(priority);
        match times {
            Some(n) => mock.up_to_n_times(n).mount(&self.server).await,
            None => mock.mount(&self.server).await,
        }
    }

    /// `GET /me/events/{id}` of every master, and `/instances` of each series.
    async fn mount_masters(&self) {
        let events = events();
        for master in masters() {
            let id = master["id"].as_str().unwrap().to_string();
            Mock::given(method("GET"))
                .and(path(format!("/v1.0/me/events/{id}")))
                .respond_with(ResponseTemplate::new(200).set_body_json(master.clone()))
                .with_priority(10)
                .mount(&self.server)
                .await;
            let instances: Vec<Value> = events
                .iter()
                .filter(|e| e["seriesMasterId"].as_str() == Some(id.as_str()))
                .cloned()
                .collect();
            Mock::given(method("GET"))
                .and(path(format!("/v1.0/me/events/{id}/instances")))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(event)",
                    "value": instances,
                })))
                .with_priority(10)
                .mount(&self.server)
                .await;
        }
        for single in events.iter().filter(|e| e["type"] == "singleInstance") {
            let id = single["id"].as_str().unwrap();
            Mock::given(method("GET"))
                .and(path(format!("/v1.0/me/events/{id}")))
                .respond_with(ResponseTemplate::new(200).set_body_json(single.clone()))
                .with_priority(10)
                .mount(&self.server)
                .await;
        }
    }

    /// `PATCH /me/events/{id}` answers the event with a new etag (event-update).
    pub async fn accept_patches(&self) {
        Mock::given(method("PATCH"))
            .and(path_regex(r"^/v1\.0/me/events/[^/]+$"))
            .respond_with(PatchAnswer)
            .with_priority(10)
            .mount(&self.server)
            .await;
    }

    /// Graph requests received (the identity platform's left out).
    pub async fn graph_requests(&self) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path().starts_with("/v1.0/"))
            .collect()
    }

    /// A `[[calendar]]` of this fake (`graph = { ... }`) with its token file written.
    pub fn calendar_toml(&self, dir: &Path, name: &str) -> String {
        let token_file = dir.join("microsoft-token");
        tete::sources::caldav::oauth::write_refresh_token(
            &token_file,
            &tete::secret::SecretValue::new(REFRESH.into()),
        )
        .unwrap();
        format!(
            "[[calendar]]\nname = \"{name}\"\ngraph = {{ client_id = \"4a1aa1d5-c567-49d0-ad0b-cd957a47f842\", \
             tenant = \"common\", calendar = \"Calendar\", token_file = \"{}\", api = \"{}\", \
             authority = \"{}/\" }}\n",
            token_file.display(),
            self.api(),
            self.uri()
        )
    }
}

/// Answers a PATCH with the event it names, its body replaced and a new etag.
struct PatchAnswer;

impl Respond for PatchAnswer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let id = request.url.path().rsplit('/').next().unwrap_or_default();
        let patch: Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let mut event = events()
            .into_iter()
            .find(|e| e["id"] == id)
            .unwrap_or_else(|| json!({"id": id}));
        if let Some(body) = patch.get("body") {
            event["body"] = body.clone();
        }
        event["type"] = "exception".into();
        event["@odata.etag"] = "W/\"patched-etag\"".into();
        ResponseTemplate::new(200).set_body_json(event)
    }
}
