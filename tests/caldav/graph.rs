//! Microsoft Graph end to end against the wire-level fake (`graph_fake`): the same
//! calendar as on a real Radicale gives the same report and the same agendas; an idle
//! delta cycle is one request; what Graph does to clients (paging, expired delta links,
//! 429/503, a token refused mid-cycle, 412) is handled without losing text; the
//! device-code sign-in.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use tete::sources::{Content, GraphLocation, GraphSource, Snapshot};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::graph_fake::{ACCESS, GraphFake, REFRESH, data, events};
use crate::harness::{DavServer, Kind};
use crate::{Raw, caldav_config};

const NOW: &str = "2026-11-25T12:00:00Z";
const CLIENT: &str = "4a1aa1d5-c567-49d0-ad0b-cd957a47f842";

fn location(fake: &GraphFake, dir: &Path) -> GraphLocation {
    let token_file = dir.join("microsoft-token");
    tete::sources::caldav::oauth::write_refresh_token(
        &token_file,
        &tete::secret::SecretValue::new(REFRESH.into()),
    )
    .unwrap();
    GraphLocation {
        client_id: CLIENT.into(),
        tenant: "common".into(),
        calendar: Some("Calendar".into()),
        token_file,
        past_days: 365,
        future_days: 365,
        api: fake.api(),
        authority: format!("{}/", fake.uri()),
    }
}

fn source(fake: &GraphFake, dir: &Path) -> GraphSource {
    location(fake, dir)
        .source(
            crate::sync_state(&dir.join("state.sqlite")),
            crate::quick_retry(),
        )
        .unwrap()
}

fn text(snapshot: &Snapshot) -> String {
    snapshot
        .resources
        .iter()
        .map(|r| match &r.content {
            // Unfolded: long lines are folded at 75 octets.
            Content::Memory(bytes) => String::from_utf8_lossy(bytes).replace("\r\n ", ""),
            other => panic!("graph resources are in memory: {other:?}"),
        })
        .collect()
}

/// Runs the built `tete` off the async runtime (the fake answers on it meanwhile).
async fn tete(args: Vec<std::ffi::OsString>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_tete"))
            .args(&args)
            .env_remove("TETE_CONFIG")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

async fn tete_ok(args: &[&str]) -> String {
    let out = tete(args.iter().map(Into::into).collect()).await;
    assert!(
        out.status.success(),
        "tete {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The recorded calendar on a real Radicale, as a CalDAV client wrote it.
async fn radicale_twin() -> DavServer {
    let server = DavServer::start(Kind::Radicale);
    let raw = Raw::new(&server);
    let cal = raw.mkcalendar(&server, "work", "Calendar").await;
    for entry in std::fs::read_dir(data().join("caldav")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        raw.put(
            &format!("{cal}{name}"),
            &std::fs::read_to_string(&path).unwrap(),
        )
        .await;
    }
    server
}

fn graph_config(dir: &Path, fake: &GraphFake, extra: &str) -> std::path::PathBuf {
    let config = dir.join("graph.toml");
    std::fs::write(
        &config,
        format!(
            "cache_dir = \"{}\"\nstate_file = \"{}\"\n[me]\nemail = \"mia@example.com\"\n{}{extra}",
            dir.join("cache").display(),
            dir.join("graph.sqlite").display(),
            fake.calendar_toml(dir, "server"),
        ),
    )
    .unwrap();
    config
}

#[tokio::test]
async fn the_same_calendar_gives_the_same_report_through_caldav_and_graph() {
    let server = radicale_twin().await;
    let fake = GraphFake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let caldav = caldav_config(dir.path(), &server, "Calendar", "");
    let graph = graph_config(dir.path(), &fake, "");
    let report = |config: &Path| {
        let config = config.display().to_string();
        async move {
            tete_ok(&[
                "--config", &config, "report", "--format", "json", "--now", NOW,
            ])
            .await
        }
    };
    let through_caldav = report(&caldav).await;
    let through_graph = report(&graph).await;
    let relationships: Value = serde_json::from_str(&through_caldav).unwrap();
    let people: Vec<String> = relationships
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.to_string())
        .collect();
    // Ann, Ben, Cat, Fay, Eve's one-off, Gus; Dan's series was declined.
    assert!(people.len() >= 4, "{through_caldav}");
    assert_eq!(through_graph, through_caldav);
    // A second cycle on the stored delta state reads the same.
    assert_eq!(report(&graph).await, through_caldav);
}

#[tokio::test]
async fn an_idle_delta_cycle_is_one_request() {
    let fake = GraphFake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let first = source(&fake, dir.path()).fetch().await.unwrap();
    let requests = fake.graph_requests().await;
    // calendars, two delta pages, one GET per series master.
    let masters = crate::graph_fake::masters().len();
    assert_eq!(requests.len(), 3 + masters, "{requests:?}");
    assert!(
        requests
            .iter()
            .all(|r| r.headers.get("authorization").unwrap() == &format!("Bearer {ACCESS}")),
    );
    // A new process (a new source) on the same state file: one delta request.
    let second = source(&fake, dir.path()).fetch().await.unwrap();
    let after = fake.graph_requests().await;
    assert_eq!(after.len(), requests.len() + 1);
    let last = after.last().unwrap();
    assert_eq!(
        last.url.query(),
        Some("$deltatoken=round-1-R0usmcMb1cAqPZ"),
        "the stored delta link"
    );
    assert_eq!(text(&second), text(&first));
    assert_eq!(first.resources.len(), 11, "ten series and a single event");
}

#[tokio::test]
async fn windows_zones_rules_exceptions_and_cancellations_are_mapped() {
    let fake = GraphFake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let all = text(&source(&fake, dir.path()).fetch().await.unwrap());
    for expected in [
        // Ann: W. Europe Standard Time, the exception moved, 2 November deleted.
        "DTSTART;TZID=Europe/Berlin:20260907T100000",
        "RRULE:FREQ=WEEKLY;BYDAY=MO;WKST=MO",
        "EXDATE;TZID=Europe/Berlin:20261102T100000",
        "RECURRENCE-ID;TZID=Europe/Berlin:20261012T100000",
        "DTSTART;TZID=Europe/Berlin:20261013T110000",
        "X-MICROSOFT-SKYPETEAMSMEETINGURL:https://teams.microsoft.com/l/meetup-join/",
        // Ben: Pacific time, every other week until 30 June, one occurrence cancelled.
        "RRULE:FREQ=WEEKLY;BYDAY=TH;INTERVAL=2;WKST=SU;UNTIL=20270701T065959Z",
        "RECURRENCE-ID;TZID=America/Los_Angeles:20261015T070000",
        "STATUS:CANCELLED",
        // Cat, Fay, Gus, planning day, ops check: the other patterns.
        "RRULE:FREQ=MONTHLY;BYDAY=TU;BYSETPOS=1;COUNT=12",
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=15",
        "RRULE:FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=20",
        "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=TH;BYSETPOS=4",
        "RRULE:FREQ=DAILY;INTERVAL=3;COUNT=10",
        // The all-day series, with its deleted Friday.
        "DTSTART;VALUE=DATE:20260904",
        "EXDATE;VALUE=DATE:20261002",
        // Dan's series, declined; Fay's tentative; the room.
        "PARTSTAT=DECLINED:mailto:mia@example.com",
        "PARTSTAT=TENTATIVE:mailto:fay@example.com",
        "CUTYPE=RESOURCE",
    ] {
        assert!(all.contains(expected), "{expected} missing in\n{all}");
    }
}

#[tokio::test]
async fn a_removed_occurrence_and_a_changed_one_arrive_by_delta() {
    let fake = GraphFake::start().await;
    let dir = tempfile::tempdir().unwrap();
    source(&fake, dir.path()).fetch().await.unwrap();
    let ann: Vec<Value> = events()
        .into_iter()
        .filter(|e| e["subject"] == "Ann / Mia 1:1" && e["type"] == "occurrence")
        .collect();
    let removed = &ann[8];
    let mut moved = ann[9].clone();
    moved["type"] = "exception".into();
    moved["start"]["dateTime"] = "2026-11-24T15:00:00.0000000".into();
    moved["end"]["dateTime"] = "2026-11-24T15:30:00.0000000".into();
    moved["@odata.etag"] = "W/\"moved\"".into();
    fake.mount_change(
        "round-1-R0usmcMb1cAqPZ",
        vec![
            json!({"@odata.type": "#microsoft.graph.event", "id": removed["id"], "@removed": {"reason": "deleted"}}),
            moved.clone(),
        ],
        "round-2-x",
    )
    .await;
    let before = fake.graph_requests().await.len();
    let all = text(&source(&fake, dir.path()).fetch().await.unwrap());
    // The delta page and the master of the series it touched.
    assert_eq!(fake.graph_requests().await.len(), before + 2);
    let original = removed["originalStart"].as_str().unwrap();
    assert_eq!(original, "2026-11-16T09:00:00Z");
    assert!(
        all.contains("EXDATE;TZID=Europe/Berlin:20261116T100000"),
        "{all}"
    );
    assert!(
        all.contains("RECURRENCE-ID;TZID=Europe/Berlin:20261123T100000"),
        "{all}"
    );
    assert!(
        all.contains("DTSTART;TZID=Europe/Berlin:20261124T160000"),
        "{all}"
    );
    // And it stays so on the next, idle, cycle.
    let again = text(&source(&fake, dir.path()).fetch().await.unwrap());
    assert_eq!(again, all);
}

#[tokio::test]
async fn an_expired_delta_link_starts_a_new_round() {
    let fake = GraphFake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let first = text(&source(&fake, dir.path()).fetch().await.unwrap());
    // https://learn.microsoft.com/graph/delta-query-overview#synchronization-reset
    fake.next_delta(ResponseTemplate::new(410).set_body_json(json!({
            "error": {"code": "syncStateNotFound", "message": "The sync state generation is not found."}
        })), Some(1), 1)
        .await;
    let again = text(&source(&fake, dir.path()).fetch().await.unwrap());
    assert_eq!(again, first);
    let requests = fake.graph_requests().await;
    let starts = requests
        .iter()
        .filter(|r| r.url.query().is_some_and(|q| q.contains("startDateTime")))
        .count();
    assert_eq!(starts, 2, "the view was read again from its start");
}

#[tokio::test]
async fn throttling_and_unavailability_are_waited_out() {
    let fake = GraphFake::start().await;
    let dir = tempfile::tempdir().unwrap();
    source(&fake, dir.path()).fetch().await.unwrap();
    // https://learn.microsoft.com/graph/throttling: 429 with Retry-After, then 503.
    fake.next_delta(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"error": {"code": "TooManyRequests", "message": "Please retry again later."}})), Some(1), 1)
        .await;
    fake.next_delta(
        ResponseTemplate::new(503).insert_header("retry-after", "0"),
        Some(1),
        2,
    )
    .await;
    let started = std::time::Instant::now();
    source(&fake, dir.path()).fetch().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    let asked: Vec<_> = fake
        .graph_requests()
        .await
        .into_iter()
        .filter(|r| r.url.query() == Some("$deltatoken=round-1-R0usmcMb1cAqPZ"))
        .collect();
    assert_eq!(asked.len(), 3);

    // Asking for longer than tete waits: a clear error, the stored state untouched.
    fake.next_delta(
        ResponseTemplate::new(429).insert_header("retry-after", "3600"),
        None,
        1,
    )
    .await;
    let err = source(&fake, dir.path()).fetch().await.unwrap_err();
    let message = tete::errors::chain(&err);
    assert!(
        message.contains("throttling") && message.contains("3600"),
        "{message}"
    );
    assert!(
        !message.contains("deltatoken"),
        "no token in messages: {message}"
    );
}

#[tokio::test]
async fn a_token_refused_mid_cycle_is_refreshed_once() {
    let fake = GraphFake::start().await;
    let dir = tempfile::tempdir().unwrap();
    source(&fake, dir.path()).fetch().await.unwrap();
    fake.next_delta(ResponseTemplate::new(401).set_body_json(json!({
            "error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired or is not yet valid."}
        })), Some(1), 1)
        .await;
    let tokens_before = token_requests(&fake).await;
    // The same source (its access token cached), as in a daemon's next cycle.
    let graph = source(&fake, dir.path());
    graph.fetch().await.unwrap();
    assert_eq!(token_requests(&fake).await, tokens_before + 1);

    // Refused again after the refresh: an error, not a loop.
    fake.next_delta(ResponseTemplate::new(401), None, 1).await;
    let err = graph.fetch().await.unwrap_err();
    assert!(tete::errors::chain(&err).contains("401"), "{err}");
}

async fn token_requests(fake: &GraphFake) -> usize {
    fake.server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with("/oauth2/v2.0/token"))
        .count()
}

#[tokio::test]
async fn a_revoked_sign_in_says_to_sign_in_again() {
    let fake = GraphFake::start().await;
    Mock::given(method("POST"))
        .and(path("/common/oauth2/v2.0/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant",
            "error_description": "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.",
            "error_codes": [70008],
        })))
        .with_priority(1)
        .mount(&fake.server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let err = source(&fake, dir.path()).fetch().await.unwrap_err();
    let message = tete::errors::chain(&err);
    assert!(message.contains("tete auth microsoft"), "{message}");
    assert!(!message.contains(REFRESH), "{message}");
}

#[tokio::test]
async fn sign_in_with_a_device_code() {
    let fake = GraphFake::start().await;
    // v2-oauth2-device-code: the device authorization response.
    Mock::given(method("POST"))
        .and(path("/common/oauth2/v2.0/devicecode"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "user_code": "FHK7QBXNP",
            "device_code": "GMMhmHCXhWEzkobqIHGG_EnNYYsAkukHspeYUk9E8",
            "verification_uri": "https://microsoft.com/devicelogin",
            "expires_in": 900,
            "interval": 0,
            "message": "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code FHK7QBXNP to authenticate.",
        })))
        .mount(&fake.server)
        .await;
    // Twice "not yet", then the tokens.
    Mock::given(method("POST"))
        .and(path("/common/oauth2/v2.0/token"))
        .and(wiremock::matchers::body_string_contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "authorization_pending",
            "error_description": "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        })))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&fake.server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let config = graph_config(dir.path(), &fake, "");
    std::fs::remove_file(dir.path().join("microsoft-token")).unwrap();
    let out = tete_ok(&[
        "--config",
        &config.display().to_string(),
        "auth",
        "microsoft",
    ])
    .await;
    assert!(out.contains("https://microsoft.com/devicelogin"), "{out}");
    assert!(out.contains("FHK7QBXNP"), "{out}");
    assert!(
        !out.contains("GMMhmHCXhWEzkobqIHGG"),
        "the device code is not shown: {out}"
    );
    let token_file = dir.path().join("microsoft-token");
    assert_eq!(
        std::fs::read_to_string(&token_file).unwrap().trim(),
        REFRESH
    );
    crate::assert_private(&token_file);
    let polls = fake
        .server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains("device_code"))
        .count();
    assert_eq!(polls, 3);
}

/// A fake whose device-code endpoint answers, and whose token endpoint answers `error`
/// first (and tokens after).
async fn device_fake(error: &str) -> (GraphFake, tete::sources::graph::auth::Registration) {
    let fake = GraphFake::start().await;
    Mock::given(method("POST"))
        .and(path("/common/oauth2/v2.0/devicecode"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "user_code": "FHK7QBXNP", "device_code": "dc", "verification_uri": "https://microsoft.com/devicelogin",
            "expires_in": 900, "interval": 0,
        })))
        .mount(&fake.server)
        .await;
    Mock::given(method("POST"))
        .and(path("/common/oauth2/v2.0/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": error})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&fake.server)
        .await;
    let registration = tete::sources::graph::auth::Registration {
        client_id: CLIENT.into(),
        tenant: "common".into(),
        authority: reqwest::Url::parse(&format!("{}/", fake.uri())).unwrap(),
    };
    (fake, registration)
}

#[tokio::test]
async fn a_device_code_sign_in_that_ends_badly_says_why() {
    use tete::sources::graph::auth::{finish_device_flow, start_device_flow};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let dir = tempfile::tempdir().unwrap();
    for (error, says) in [
        ("authorization_declined", "declined"),
        ("expired_token", "expired"),
        ("bad_verification_code", "did not recognise"),
    ] {
        let (_fake, registration) = device_fake(error).await;
        let code = start_device_flow(&http, &registration).await.unwrap();
        let err = finish_device_flow(&http, &registration, &code, &dir.path().join("t"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains(says), "{error}: {err}");
        assert!(!dir.path().join("t").exists());
    }
    // The registration does not allow public client flows: the device-code request fails
    // with Microsoft's reason.
    let fake = GraphFake::start().await;
    Mock::given(method("POST"))
        .and(path("/common/oauth2/v2.0/devicecode"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.\r\nTrace ID: 0\r\n",
            "error_codes": [7000218],
        })))
        .mount(&fake.server)
        .await;
    let registration = tete::sources::graph::auth::Registration {
        client_id: CLIENT.into(),
        tenant: "common".into(),
        authority: reqwest::Url::parse(&format!("{}/", fake.uri())).unwrap(),
    };
    let err = start_device_flow(&http, &registration).await.unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("invalid_client") && message.contains("AADSTS7000218"),
        "{message}"
    );
    assert!(!message.contains("Trace ID"), "{message}");
    // slow_down: five seconds more between polls, then the answer.
    let (_fake, registration) = device_fake("slow_down").await;
    let code = start_device_flow(&http, &registration).await.unwrap();
    let started = std::time::Instant::now();
    finish_device_flow(&http, &registration, &code, &dir.path().join("t"))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(5));
    assert!(dir.path().join("t").exists());
}

/// The written agenda of each 1:1, as PATCH bodies sent to Graph: occurrence id to text.
async fn patched(fake: &GraphFake) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = fake
        .graph_requests()
        .await
        .into_iter()
        .filter(|r| r.method.as_str() == "PATCH")
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            (
                r.url.path().rsplit('/').next().unwrap().to_string(),
                body["body"]["contentType"].as_str().unwrap().to_string(),
                body["body"]["content"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn shared_agendas_are_patched_into_the_occurrence_with_if_match() {
    let fake = GraphFake::start().await;
    fake.accept_patches().await;
    let dir = tempfile::tempdir().unwrap();
    let config = graph_config(dir.path(), &fake, "[agenda]\ndelivery = \"shared\"\n");
    let config = config.display().to_string();
    let out = tete_ok(&["--config", &config, "run", "--once", "--now", NOW]).await;
    assert!(out.contains("agendas written"), "{out}");
    let patches = patched(&fake).await;
    // One occurrence of Ann's, Ben's and Cat's 1:1s each; Ann's moved occurrence (an
    // exception whose HTML has CRLF line ends) is not rewritten.
    assert_eq!(patches.len(), 3, "{patches:?}");
    let requests = fake.graph_requests().await;
    for request in requests.iter().filter(|r| r.method.as_str() == "PATCH") {
        let id = request.url.path().rsplit('/').next().unwrap();
        let event = events().into_iter().find(|e| e["id"] == id).unwrap();
        assert_eq!(
            request.headers.get("if-match").unwrap().to_str().unwrap(),
            event["@odata.etag"].as_str().unwrap(),
            "If-Match with the occurrence's etag"
        );
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(
            body.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["body"],
            "only the body changes"
        );
    }
    // Ann's body is HTML: the block went into the HTML, which is kept.
    let ann = patches
        .iter()
        .find(|(_, _, text)| text.contains("Standing 1:1"))
        .unwrap();
    assert_eq!(ann.1, "html");
    assert!(ann.2.contains("tete agenda"), "{}", ann.2);
    assert!(ann.2.contains("<p>Standing 1:1</p>"), "{}", ann.2);

    // Next cycle the delta lists the written occurrences (now exceptions): nothing to write.
    let changed: Vec<Value> = patches
        .iter()
        .map(|(id, kind, content)| {
            let mut event = events()
                .into_iter()
                .find(|e| e["id"] == id.as_str())
                .unwrap();
            event["body"] = json!({"contentType": kind, "content": content});
            event["type"] = "exception".into();
            event["@odata.etag"] = "W/\"after-patch\"".into();
            event
        })
        .collect();
    fake.mount_change("round-1-R0usmcMb1cAqPZ", changed, "round-2")
        .await;
    let before = fake.graph_requests().await.len();
    let out = tete_ok(&["--config", &config, "run", "--once", "--now", NOW]).await;
    assert!(out.contains("agendas written: 0"), "{out}");
    let after = fake.graph_requests().await;
    assert!(
        after[before..].iter().all(|r| r.method.as_str() == "GET"),
        "running again with nothing changed writes nothing"
    );
}

#[tokio::test]
async fn the_same_agendas_through_caldav_and_graph() {
    let server = radicale_twin().await;
    let fake = GraphFake::start().await;
    fake.accept_patches().await;
    let dir = tempfile::tempdir().unwrap();
    let extra = "[agenda]\ndelivery = \"shared\"\n";
    let caldav = caldav_config(dir.path(), &server, "Calendar", extra);
    let graph = graph_config(dir.path(), &fake, extra);
    let caldav_out = tete_ok(&[
        "--config",
        &caldav.display().to_string(),
        "run",
        "--once",
        "--now",
        NOW,
    ])
    .await;
    let graph_out = tete_ok(&[
        "--config",
        &graph.display().to_string(),
        "run",
        "--once",
        "--now",
        NOW,
    ])
    .await;
    let written = |out: &str| {
        out.lines()
            .find(|l| l.contains("agendas written"))
            .map(str::to_string)
    };
    assert_eq!(
        written(&graph_out),
        written(&caldav_out),
        "{caldav_out}\n{graph_out}"
    );
    // Each agenda block Graph got is the one Radicale got.
    let raw = Raw::new(&server);
    let cal = format!("{}{}work/", server.url.trim_end_matches('/'), server.home);
    let mut caldav_blocks = Vec::new();
    for member in raw.members(&cal).await {
        let text = raw
            .get(&format!("{}{member}", server.url.trim_end_matches('/')))
            .await;
        let (doc, _) = tete::calendar::Document::parse(&text, "twin").unwrap();
        for event in doc.events() {
            if let Some(description) = event.value("DESCRIPTION") {
                caldav_blocks.extend(blocks(&tete::calendar::value::unescape_text(description)));
            }
        }
    }
    let mut graph_blocks: Vec<String> = patched(&fake)
        .await
        .iter()
        .flat_map(|(_, _, text)| blocks(text))
        .collect();
    caldav_blocks.sort();
    graph_blocks.sort();
    assert!(!graph_blocks.is_empty());
    assert_eq!(graph_blocks, caldav_blocks);
}

/// The agenda blocks in a text, as plain lines (HTML tags and line folds taken out).
fn blocks(text: &str) -> Vec<String> {
    let plain = regex_lite_strip(text);
    let mut out = Vec::new();
    let mut rest = plain.as_str();
    while let Some(start) = rest.find("--- tete agenda") {
        let after = &rest[start..];
        let end = after
            .find("--- end tete agenda")
            .map_or(after.len(), |e| e + 19);
        out.push(
            after[..end]
                .split(['\n', '\r'])
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n"),
        );
        rest = &after[end..];
    }
    out
}

fn regex_lite_strip(text: &str) -> String {
    let unfolded = text.replace("\r\n ", "").replace("\n ", "");
    let mut out = String::new();
    let mut in_tag = false;
    for c in unfolded.replace("<br>", "\n").chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Answers Ann's instances as recorded the first time, and with someone's edit of the
/// 30 November occurrence (new text, new etag) after that.
struct EditedAfterFirstRead {
    calls: std::sync::atomic::AtomicUsize,
    occurrence: String,
}

impl wiremock::Respond for EditedAfterFirstRead {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let master = request.url.path().split('/').nth(4).unwrap().to_string();
        let mut instances: Vec<Value> = events()
            .into_iter()
            .filter(|e| e["seriesMasterId"] == master.as_str())
            .collect();
        if self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) > 0 {
            for event in instances
                .iter_mut()
                .filter(|e| e["id"] == self.occurrence.as_str())
            {
                event["body"]["content"] = "<html><body><p>Standing 1:1</p><p>Their note: bring the Q4 numbers</p></body></html>".into();
                event["@odata.etag"] = "W/\"theirs\"".into();
                event["type"] = "exception".into();
            }
        }
        ResponseTemplate::new(200).set_body_json(json!({"value": instances}))
    }
}

#[tokio::test]
async fn a_412_rereads_and_merges_and_keeps_their_text() {
    let fake = GraphFake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = graph_config(dir.path(), &fake, "[agenda]\ndelivery = \"shared\"\n");
    let ann = events()
        .into_iter()
        .find(|e| e["subject"] == "Ann / Mia 1:1" && e["originalStart"] == "2026-11-30T09:00:00Z")
        .unwrap();
    let id = ann["id"].as_str().unwrap().to_string();
    let master = ann["seriesMasterId"].as_str().unwrap().to_string();
    // Someone edits the occurrence between tete's read and its write: the PATCH gets 412
    // (https://learn.microsoft.com/graph/errors), the next read shows their text.
    Mock::given(method("PATCH"))
        .and(path(format!("/v1.0/me/events/{id}")))
        .respond_with(ResponseTemplate::new(412).set_body_json(json!({
            "error": {"code": "ErrorIrresolvableConflict", "message": "The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item."}
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&fake.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/me/events/{master}/instances")))
        .respond_with(EditedAfterFirstRead {
            calls: Default::default(),
            occurrence: id.clone(),
        })
        .with_priority(1)
        .mount(&fake.server)
        .await;
    fake.accept_patches().await;
    let out = tete_ok(&[
        "--config",
        &config.display().to_string(),
        "run",
        "--once",
        "--now",
        NOW,
    ])
    .await;
    assert!(out.contains("agendas written: 3"), "{out}");
    let tries: Vec<_> = fake
        .graph_requests()
        .await
        .into_iter()
        .filter(|r| r.method.as_str() == "PATCH" && r.url.path().ends_with(&id))
        .collect();
    assert_eq!(tries.len(), 2, "written again after the 412");
    assert_eq!(
        tries[0].headers.get("if-match").unwrap(),
        ann["@odata.etag"].as_str().unwrap()
    );
    assert_eq!(tries[1].headers.get("if-match").unwrap(), "W/\"theirs\"");
    let body: Value = serde_json::from_slice(&tries[1].body).unwrap();
    let content = body["body"]["content"].as_str().unwrap();
    assert!(
        content.contains("Their note: bring the Q4 numbers"),
        "{content}"
    );
    assert!(content.contains("tete agenda"), "{content}");
}

/// What a delta page would list of the events POSTed so far: each as Graph returns a
/// created event (calendar-post-events), a single instance in UTC.
async fn created_events(fake: &GraphFake) -> Vec<Value> {
    fake.graph_requests()
        .await
        .into_iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path().ends_with("/events"))
        .enumerate()
        .map(|(n, r)| {
            let mut event: Value = serde_json::from_slice(&r.body).unwrap();
            event["id"] = format!("AAMkAGVmMDEz-private-{n}").into();
            event["@odata.etag"] = format!("W/\"created-{n}\"").into();
            event["type"] = "singleInstance".into();
            event["originalStartTimeZone"] = "UTC".into();
            event["iCalUId"] = format!("040000008200E00074C5B7101A82E00800000000private{n}").into();
            // A calendar view does not expand extended properties.
            event
                .as_object_mut()
                .unwrap()
                .remove("singleValueExtendedProperties");
            event
        })
        .collect()
}

#[tokio::test]
async fn private_agendas_go_to_a_calendar_of_tetes_and_never_into_the_meeting() {
    let fake = GraphFake::start().await;
    // user-post-calendars: 201 with the new calendar.
    Mock::given(method("POST"))
        .and(path("/v1.0/me/calendars"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "AAMkAGVmMDEz-tete-agendas", "name": "tete agendas", "color": "auto",
            "changeKey": "DxYSthXJXEWwAQSYQnXvIgAAIxGttg==", "canEdit": true,
        })))
        .mount(&fake.server)
        .await;
    let private = "/v1.0/me/calendars/AAMkAGVmMDEz-tete-agendas";
    let private_delta = |token: &str| {
        format!(
            "{}{private}/calendarView/delta?$deltatoken={token}",
            fake.uri()
        )
    };
    Mock::given(method("GET"))
        .and(path(format!("{private}/calendarView/delta")))
        .and(wiremock::matchers::query_param_contains(
            "startDateTime",
            "T00:00:00Z",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [], "@odata.deltaLink": private_delta("p1"),
        })))
        .mount(&fake.server)
        .await;
    // calendar-post-events: 201 with the event.
    Mock::given(method("POST"))
        .and(path(format!("{private}/events")))
        .respond_with(Created(Default::default()))
        .mount(&fake.server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let config = graph_config(dir.path(), &fake, "");
    let config = config.display().to_string();
    let out = tete_ok(&["--config", &config, "run", "--once", "--now", NOW]).await;
    assert!(out.contains("agendas written: 3"), "{out}");
    let requests = fake.graph_requests().await;
    assert!(
        requests.iter().all(|r| r.method.as_str() != "PATCH"),
        "the meetings are not touched"
    );
    let created = created_events(&fake).await;
    assert_eq!(created.len(), 3);
    for event in &created {
        assert!(event.get("attendees").is_none(), "{event}");
        assert_eq!(event["showAs"], "free");
        assert_eq!(event["sensitivity"], "private");
        assert_eq!(event["start"]["timeZone"], "UTC");
        assert!(
            event["body"]["content"]
                .as_str()
                .unwrap()
                .contains("tete agenda"),
            "{event}"
        );
    }
    let ann = created
        .iter()
        .find(|e| e["body"]["content"].as_str().unwrap().contains("with Ann"))
        .unwrap();
    // Monday 30 November, 10:00 in Berlin.
    assert_eq!(ann["start"]["dateTime"], "2026-11-30T09:00:00");

    // Next cycle: the private calendar lists what tete made, Ann's moved by someone by an
    // hour: tete recognises its events (the link is in the state file) and moves only that
    // one back, with If-Match.
    let ann_id = created
        .iter()
        .find(|e| e["body"]["content"].as_str().unwrap().contains("with Ann"))
        .map(|e| e["id"].as_str().unwrap().to_string())
        .unwrap();
    let mut listed = created.clone();
    for event in listed.iter_mut().filter(|e| e["id"] == ann_id.as_str()) {
        event["start"]["dateTime"] = "2026-11-30T10:00:00".into();
        event["end"]["dateTime"] = "2026-11-30T10:30:00".into();
        event["@odata.etag"] = "W/\"moved\"".into();
    }
    let moved = listed
        .iter()
        .find(|e| e["id"] == ann_id.as_str())
        .cloned()
        .unwrap();
    let mut back = ann.clone();
    back["id"] = ann_id.clone().into();
    back["@odata.etag"] = "W/\"back\"".into();
    for (token, value, next) in [
        ("p1", listed, "p2"),
        ("p2", vec![back], "p3"),
        ("p3", vec![], "p3"),
    ] {
        Mock::given(method("GET"))
            .and(path(format!("{private}/calendarView/delta")))
            .and(query_param("$deltatoken", token))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "value": value, "@odata.deltaLink": private_delta(next),
            })))
            .mount(&fake.server)
            .await;
    }
    // event-get of the companion, read fresh before the write.
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/me/events/{ann_id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(moved))
        .mount(&fake.server)
        .await;
    fake.accept_patches().await;
    let before = fake.graph_requests().await.len();
    tete_ok(&["--config", &config, "run", "--once", "--now", NOW]).await;
    let new = fake.graph_requests().await.split_off(before);
    let writes: Vec<_> = new.iter().filter(|r| r.method.as_str() != "GET").collect();
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert_eq!(writes[0].method.as_str(), "PATCH");
    assert!(writes[0].url.path().ends_with(&ann_id));
    assert_eq!(writes[0].headers.get("if-match").unwrap(), "W/\"moved\"");
    let patch: Value = serde_json::from_slice(&writes[0].body).unwrap();
    assert_eq!(patch["start"]["dateTime"], "2026-11-30T09:00:00");
    // Then nothing more to write, and an idle cycle is one delta request per calendar.
    for _ in 0..2 {
        let before = fake.graph_requests().await.len();
        let out = tete_ok(&["--config", &config, "run", "--once", "--now", NOW]).await;
        assert!(out.contains("agendas written: 0"), "{out}");
        let new: Vec<_> = fake.graph_requests().await[before..]
            .iter()
            .map(|r| format!("{} {}", r.method, r.url.path()))
            .collect();
        assert!(
            new.iter()
                .all(|r| r.starts_with("GET ") && r.ends_with("/calendarView/delta")),
            "{new:?}"
        );
        assert_eq!(new.len(), 2, "{new:?}");
    }
}

/// Answers each POSTed event with a new id and etag, as `created_events` names them.
struct Created(std::sync::atomic::AtomicUsize);

impl wiremock::Respond for Created {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut event: Value = serde_json::from_slice(&request.body).unwrap();
        event["id"] = format!("AAMkAGVmMDEz-private-{n}").into();
        event["@odata.etag"] = format!("W/\"created-{n}\"").into();
        ResponseTemplate::new(201).set_body_json(event)
    }
}

#[tokio::test]
async fn garbage_answers_are_clear_errors_and_one_odd_event_does_not_stop_the_others() {
    let fake = GraphFake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let first = text(&source(&fake, dir.path()).fetch().await.unwrap());
    // Not JSON at all (a proxy's error page): the calendar fails this cycle, by name.
    fake.next_delta(
        ResponseTemplate::new(200).set_body_string("<html>Service Unavailable</html>"),
        Some(1),
        1,
    )
    .await;
    let err = source(&fake, dir.path()).fetch().await.unwrap_err();
    let message = tete::errors::chain(&err);
    assert!(
        message.contains("calendarView/delta") && message.contains("not Graph's JSON"),
        "{message}"
    );
    assert!(!message.contains("deltatoken"), "{message}");
    // Nothing was lost: the next cycle reads on from the stored link.
    let again = text(&source(&fake, dir.path()).fetch().await.unwrap());
    assert_eq!(again, first);

    // An event whose fields have the wrong types, and one without an id: skipped; the
    // event changed in the same page is read.
    let mut eve = events()
        .into_iter()
        .find(|e| e["type"] == "singleInstance")
        .unwrap();
    eve["subject"] = "Eve / Mia (moved)".into();
    fake.mount_change(
        "round-1-R0usmcMb1cAqPZ",
        vec![
            json!({"id": "AAMkAGVmMDEz-odd", "start": 5, "attendees": "everyone"}),
            json!({"subject": "no id"}),
            eve,
        ],
        "round-2",
    )
    .await;
    let after = text(&source(&fake, dir.path()).fetch().await.unwrap());
    assert!(after.contains("SUMMARY:Eve / Mia (moved)"), "{after}");
    assert!(!after.contains("AAMkAGVmMDEz-odd"));
}

#[tokio::test]
async fn a_dry_run_creates_no_calendar_and_writes_nothing() {
    let fake = GraphFake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = graph_config(dir.path(), &fake, "");
    let out = tete_ok(&[
        "--config",
        &config.display().to_string(),
        "run",
        "--once",
        "--dry-run",
        "--now",
        NOW,
    ])
    .await;
    assert!(
        out.contains("tete agenda"),
        "what would be written is shown: {out}"
    );
    let requests = fake.graph_requests().await;
    assert!(
        requests.iter().all(|r| r.method.as_str() == "GET"),
        "{:?}",
        requests
            .iter()
            .map(|r| format!("{} {}", r.method, r.url.path()))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn calendars_of_one_account_refresh_once_and_keep_the_rotated_token() {
    let fake = GraphFake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let location = location(&fake, dir.path());
    std::fs::write(&location.token_file, "0.AXoA-the-first-one\n").unwrap();
    let auth = std::sync::Arc::new(tete::sources::graph::auth::MicrosoftAuth::new(
        location.registration().unwrap(),
        location.token_file.clone(),
    ));
    let http = reqwest::Client::new();
    let (a, b) = tokio::join!(auth.access_token(&http), auth.access_token(&http));
    assert_eq!(a.unwrap().expose(), ACCESS);
    assert_eq!(b.unwrap().expose(), ACCESS);
    assert_eq!(token_requests(&fake).await, 1);
    // Microsoft rotated the refresh token: the new one is stored, still private.
    assert_eq!(
        std::fs::read_to_string(&location.token_file)
            .unwrap()
            .trim(),
        REFRESH
    );
    crate::assert_private(&location.token_file);
}

#[tokio::test]
async fn tete_calendars_lists_the_microsoft_accounts_calendars() {
    let fake = GraphFake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = graph_config(dir.path(), &fake, "");
    let out = tete_ok(&["--config", &config.display().to_string(), "calendars"]).await;
    assert!(out.contains("Microsoft Graph (server)"), "{out}");
    assert!(
        out.contains("- \"Calendar\" (default; used by server)"),
        "{out}"
    );
    assert!(out.contains("- \"Birthdays\" (read-only)"), "{out}");
    let json = tete_ok(&[
        "--config",
        &config.display().to_string(),
        "calendars",
        "--format",
        "json",
    ])
    .await;
    let listing: Value = serde_json::from_str(&json).unwrap();
    let calendars = &listing["microsoft"][0]["calendars"];
    assert_eq!(calendars[1]["name"], "Calendar");
    assert_eq!(calendars[1]["picked_by"], json!(["server"]));
    assert_eq!(calendars[0]["read_only"], true);
    // `tete check` reads it like any calendar.
    let out = tete_ok(&["--config", &config.display().to_string(), "check"]).await;
    assert!(out.contains("server (graph graph:Calendar)"), "{out}");
}
