//! What real servers will not do on demand, from wiremock: redirects across hosts, servers
//! without sync-collection (ctag + etags), Google's 507, 5xx, timeouts, 429 with
//! Retry-After, truncated XML, HTML instead of XML. Also: secrets never in logs.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Url;
use tete::http::RetryPolicy;
use tete::secret::SecretValue;
use tete::sources::caldav::{Auth, CaldavError, CaldavSettings, CaldavSource};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PASSWORD: &str = "app-PASSW0RD-never-shown";

fn multistatus(inner: &str) -> ResponseTemplate {
    ResponseTemplate::new(207)
        .insert_header("content-type", "application/xml; charset=utf-8")
        .set_body_string(format!(
            r#"<?xml version="1.0" encoding="utf-8"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/">{inner}</d:multistatus>"#
        ))
}

/// A listing of the members a.ics and b@x.ics with their etags, then `tail` (a sync token).
fn a_and_b_listed(tail: &str) -> ResponseTemplate {
    multistatus(&format!(
        "{}{}{tail}",
        etag_response("/dav/calendars/me/work/a.ics", "a1"),
        etag_response("/dav/calendars/me/work/b%40x.ics", "b1"),
    ))
}

fn ok_response(href: &str, props: &str) -> String {
    format!(
        "<d:response><d:href>{href}</d:href><d:propstat><d:prop>{props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
    )
}

fn event(uid: &str) -> String {
    format!(
        "BEGIN:VCALENDAR&#13;\nVERSION:2.0&#13;\nBEGIN:VEVENT&#13;\nUID:{uid}&#13;\nDTSTART:20260105T100000Z&#13;\nSUMMARY:1:1 {uid}&#13;\nEND:VEVENT&#13;\nEND:VCALENDAR&#13;\n"
    )
}

/// The source for the "Work" calendar of the mock server's `/dav/` account, retrying fast.
fn work_source(server: &MockServer, state: &std::path::Path) -> CaldavSource {
    source_for(
        &format!("{}/dav/", server.uri()),
        Some("Work"),
        state,
        crate::quick_retry(),
    )
}

/// A 200 response for `href` with just its etag.
fn etag_response(href: &str, etag: &str) -> String {
    ok_response(href, &format!("<d:getetag>\"{etag}\"</d:getetag>"))
}

fn source_for(
    base: &str,
    calendar: Option<&str>,
    state: &std::path::Path,
    retry: RetryPolicy,
) -> CaldavSource {
    CaldavSource::new(
        CaldavSettings {
            first_sync_days: None,
            url: Url::parse(base).unwrap(),
            calendar: calendar.map(str::to_string),
            sync_state: crate::sync_state(&state.join("state.sqlite")),
            retry,
            limits: tete::sources::caldav::Limits::default(),
        },
        Auth::Basic {
            user: "me".into(),
            password: SecretValue::new(PASSWORD.into()),
        },
    )
    .unwrap()
}

/// Principal, home and one calendar `work` at `/dav/...`; `sync` says whether the calendar
/// advertises sync-collection.
async fn mount_account(server: &MockServer, sync: bool) {
    Mock::given(method("PROPFIND"))
        .and(path("/dav/"))
        .respond_with(multistatus(&ok_response(
            "/dav/",
            "<d:current-user-principal><d:href>/dav/principals/me/</d:href></d:current-user-principal>",
        )))
        .mount(server)
        .await;
    Mock::given(method("PROPFIND"))
        .and(path("/dav/principals/me/"))
        .respond_with(multistatus(&ok_response(
            "/dav/principals/me/",
            "<c:calendar-home-set><d:href>/dav/calendars/me/</d:href></c:calendar-home-set>",
        )))
        .mount(server)
        .await;
    let sync_props = if sync {
        "<d:sync-token>tok-1</d:sync-token><d:supported-report-set><d:supported-report><d:report><d:sync-collection/></d:report></d:supported-report></d:supported-report-set>"
    } else {
        ""
    };
    Mock::given(method("PROPFIND"))
        .and(path("/dav/calendars/me/"))
        .respond_with(multistatus(&format!(
            "{}{}",
            ok_response("/dav/calendars/me/", "<d:resourcetype><d:collection/></d:resourcetype>"),
            ok_response(
                "/dav/calendars/me/work/",
                &format!("<d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:displayname>Work</d:displayname><cs:getctag>ctag-1</cs:getctag>{sync_props}"),
            )
        )))
        .mount(server)
        .await;
}

/// The calendar's members (Depth 1 listing), its ctag (Depth 0) and a multiget.
async fn mount_calendar_ctag(server: &MockServer) {
    Mock::given(method("PROPFIND"))
        .and(path("/dav/calendars/me/work/"))
        .and(header("depth", "1"))
        .respond_with(multistatus(&format!(
            "{}{}{}",
            ok_response(
                "/dav/calendars/me/work/",
                "<d:resourcetype><d:collection/><c:calendar/></d:resourcetype>"
            ),
            ok_response(
                "/dav/calendars/me/work/a.ics",
                "<d:getetag>\"a1\"</d:getetag><d:resourcetype/>"
            ),
            ok_response(
                "/dav/calendars/me/work/b%40x.ics",
                "<d:getetag>\"b1\"</d:getetag><d:resourcetype/>"
            ),
        )))
        .mount(server)
        .await;
    Mock::given(method("PROPFIND"))
        .and(path("/dav/calendars/me/work/"))
        .and(header("depth", "0"))
        .respond_with(multistatus(&ok_response(
            "/dav/calendars/me/work/",
            "<cs:getctag>ctag-1</cs:getctag>",
        )))
        .mount(server)
        .await;
    mount_multiget(server).await;
}

async fn mount_multiget(server: &MockServer) {
    Mock::given(method("REPORT"))
        .and(path("/dav/calendars/me/work/"))
        .and(body_string_contains("calendar-multiget"))
        .respond_with(multistatus(&format!(
            "{}{}",
            ok_response(
                "/dav/calendars/me/work/a.ics",
                &format!(
                    "<d:getetag>\"a1\"</d:getetag><c:calendar-data>{}</c:calendar-data>",
                    event("a")
                )
            ),
            ok_response(
                "/dav/calendars/me/work/b@x.ics",
                &format!(
                    "<d:getetag>\"b1\"</d:getetag><c:calendar-data>{}</c:calendar-data>",
                    event("b")
                )
            ),
        )))
        .mount(server)
        .await;
}

#[tokio::test]
async fn well_known_redirect_and_ctag_sync_without_sync_collection() {
    let server = MockServer::start().await;
    Mock::given(method("PROPFIND"))
        .and(path("/.well-known/caldav"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", "/dav/"))
        .mount(&server)
        .await;
    mount_account(&server, false).await;
    mount_calendar_ctag(&server).await;
    let state = tempfile::tempdir().unwrap();
    let source = source_for(
        &server.uri(),
        Some("Work"),
        state.path(),
        crate::quick_retry(),
    );

    let (snapshot, report) = source.sync().await.unwrap();
    assert_eq!(report.method, "etags");
    let hrefs: Vec<&str> = snapshot.resources.iter().map(|r| r.href.as_str()).collect();
    assert_eq!(
        hrefs,
        [
            "/dav/calendars/me/work/a.ics",
            "/dav/calendars/me/work/b@x.ics"
        ]
    );
    // The redirected PROPFIND stayed a PROPFIND, with its body and credentials.
    let requests = server.received_requests().await.unwrap();
    let to_dav: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path() == "/dav/")
        .collect();
    assert_eq!(to_dav.len(), 1);
    assert_eq!(to_dav[0].method.as_str(), "PROPFIND");
    assert!(!to_dav[0].body.is_empty());
    assert!(to_dav[0].headers.contains_key("authorization"));

    // Steady state without sync-collection: one PROPFIND Depth 0 for the ctag.
    let before = source.client().stats().snapshot();
    let (snapshot, report) = source.sync().await.unwrap();
    assert_eq!(
        (report.method, report.fetched, snapshot.resources.len()),
        ("ctag", 0, 2)
    );
    assert_eq!((source.client().stats().snapshot() - before).requests, 1);
}

#[tokio::test]
async fn credentials_are_not_sent_to_another_host() {
    let first = MockServer::start().await;
    let other = MockServer::start().await;
    Mock::given(method("PROPFIND"))
        .and(path("/.well-known/caldav"))
        .respond_with(
            ResponseTemplate::new(308).insert_header("location", format!("{}/dav/", other.uri())),
        )
        .mount(&first)
        .await;
    mount_account(&other, false).await;
    mount_calendar_ctag(&other).await;
    let state = tempfile::tempdir().unwrap();
    let source = source_for(
        &first.uri(),
        Some("Work"),
        state.path(),
        crate::quick_retry(),
    );
    // It follows the redirect (another port is another origin) but sends no password there.
    let account = source.discover().await.unwrap();
    assert_eq!(account.calendars.len(), 1);
    for request in other.received_requests().await.unwrap() {
        assert!(
            !request.headers.contains_key("authorization"),
            "{request:?}"
        );
    }
}

#[tokio::test]
async fn sync_report_507_falls_back_to_calendar_query() {
    let server = MockServer::start().await;
    mount_account(&server, true).await;
    Mock::given(method("REPORT"))
        .and(body_string_contains("sync-collection"))
        .respond_with(ResponseTemplate::new(507))
        .mount(&server)
        .await;
    Mock::given(method("REPORT"))
        .and(body_string_contains("calendar-query"))
        .respond_with(a_and_b_listed(""))
        .mount(&server)
        .await;
    mount_multiget(&server).await;
    let state = tempfile::tempdir().unwrap();
    let source = work_source(&server, state.path());
    let (snapshot, report) = source.sync().await.unwrap();
    assert_eq!(snapshot.resources.len(), 2);
    assert_eq!(report.method, "calendar-query");
    // 507 is not retried: it is an answer, not a hiccup.
    let reports = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains("sync-collection"))
        .count();
    assert_eq!(reports, 1);
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let server = MockServer::start().await;
    Mock::given(method("PROPFIND"))
        .and(path("/dav/"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_account(&server, false).await;
    mount_calendar_ctag(&server).await;
    let state = tempfile::tempdir().unwrap();
    let source = work_source(&server, state.path());
    let (snapshot, _) = source.sync().await.unwrap();
    assert_eq!(snapshot.resources.len(), 2);
}

/// What every test of this binary logs, at every level, from its first use on. A global
/// subscriber rather than a thread-local one: tracing caches whether a log line is wanted
/// per call site, and a test running at the same time without a subscriber could make it
/// "never" before the thread-local one is set (the old form of the test failed 1 run in 4).
fn global_logs() -> &'static LogBuffer {
    static LOGS: std::sync::OnceLock<LogBuffer> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = LogBuffer::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in the caldav tests");
        tracing::callsite::rebuild_interest_cache();
        logs
    })
}

/// Collects what tracing writes, to check that no secret is logged.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn persistent_500_names_server_and_request_and_logs_no_secret() {
    let server = MockServer::start().await;
    Mock::given(method("PROPFIND"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let state = tempfile::tempdir().unwrap();
    let source = source_for(
        &format!("{}/dav/", server.uri()),
        None,
        state.path(),
        crate::quick_retry(),
    );
    let logs = global_logs();
    let err = source.sync().await.unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains(&format!("PROPFIND {}/", server.uri())),
        "{shown}"
    );
    assert!(shown.contains("500"), "{shown}");
    // Three tries per request, two discovery candidates (the URL, then the well-known one).
    assert_eq!(server.received_requests().await.unwrap().len(), 6);
    let all = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    // Other tests log into the same buffer: this server's lines are those naming its port.
    let logs: String = all
        .lines()
        .filter(|l| l.contains(&server.uri()))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(logs.contains("retrying"), "{all}");
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("me:{PASSWORD}"));
    // Nothing any test of this binary logged so far carries the secret.
    for text in [&shown, &format!("{err:?}"), &all] {
        assert!(!text.contains(PASSWORD) && !text.contains(&basic), "{text}");
    }
}

#[tokio::test]
async fn timeouts_are_retried_then_reported() {
    let server = MockServer::start().await;
    Mock::given(method("PROPFIND"))
        .respond_with(multistatus("").set_delay(Duration::from_secs(2)))
        .mount(&server)
        .await;
    let state = tempfile::tempdir().unwrap();
    let retry = RetryPolicy {
        attempts: 2,
        request_timeout: Duration::from_millis(200),
        ..crate::quick_retry()
    };
    let source = source_for(
        &format!("{}/dav/x/", server.uri()),
        None,
        state.path(),
        retry,
    );
    let started = Instant::now();
    let err = source.discover().await.unwrap_err();
    assert!(
        matches!(err, CaldavError::Timeout { attempts: 2, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("no complete answer in time"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("PROPFIND"))
        .and(path("/dav/"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_account(&server, false).await;
    let state = tempfile::tempdir().unwrap();
    let source = source_for(
        &format!("{}/dav/", server.uri()),
        None,
        state.path(),
        crate::quick_retry(),
    );
    let started = Instant::now();
    let account = source.discover().await.unwrap();
    assert_eq!(account.calendars.len(), 1);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );

    // A Retry-After longer than tete waits fails at once, saying so.
    let server = MockServer::start().await;
    Mock::given(method("PROPFIND"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .mount(&server)
        .await;
    let source = source_for(
        &format!("{}/dav/", server.uri()),
        None,
        state.path(),
        crate::quick_retry(),
    );
    let err = source.discover().await.unwrap_err();
    assert!(err.to_string().contains("retry after 3600s"), "{err}");
}

#[tokio::test]
async fn truncated_and_non_xml_answers_are_clear_errors() {
    let server = MockServer::start().await;
    mount_account(&server, false).await;
    let full = format!(
        r#"<?xml version="1.0"?><d:multistatus xmlns:d="DAV:">{}"#,
        etag_response("/dav/calendars/me/work/a.ics", "a1")
    );
    Mock::given(method("PROPFIND"))
        .and(path("/dav/calendars/me/work/"))
        .and(header("depth", "1"))
        .respond_with(ResponseTemplate::new(207).set_body_string(&full[..full.len() - 20]))
        .mount(&server)
        .await;
    let state = tempfile::tempdir().unwrap();
    let source = work_source(&server, state.path());
    let err = source.sync().await.unwrap_err();
    // The message names the request; the cause (the XML problem) follows in the chain.
    let shown = tete::errors::chain(&err);
    assert!(
        shown.contains("PROPFIND") && shown.contains("/dav/calendars/me/work/"),
        "{shown}"
    );
    assert!(
        shown.contains("truncated XML") || shown.contains("malformed XML"),
        "{shown}"
    );

    // A login page where a multistatus should be.
    let server = MockServer::start().await;
    Mock::given(method("PROPFIND"))
        .respond_with(
            ResponseTemplate::new(207)
                .insert_header("content-type", "text/html")
                .set_body_string("<html><body>Please log in</body></html>"),
        )
        .mount(&server)
        .await;
    let source = source_for(
        &format!("{}/dav/", server.uri()),
        None,
        state.path(),
        crate::quick_retry(),
    );
    let err = source.discover().await.unwrap_err();
    assert!(
        err.to_string().contains("not a WebDAV multistatus"),
        "{err}"
    );
}

#[tokio::test]
async fn truncated_sync_answers_are_followed_page_by_page() {
    let server = MockServer::start().await;
    mount_account(&server, true).await;
    let truncated = "<d:response><d:href>/dav/calendars/me/work/</d:href><d:status>HTTP/1.1 507 Insufficient Storage</d:status></d:response>";
    Mock::given(method("REPORT"))
        .and(body_string_contains("<d:sync-token></d:sync-token>"))
        .respond_with(multistatus(&format!(
            "{}{truncated}<d:sync-token>page-2</d:sync-token>",
            etag_response("/dav/calendars/me/work/a.ics", "a1")
        )))
        .mount(&server)
        .await;
    Mock::given(method("REPORT"))
        .and(body_string_contains("<d:sync-token>page-2</d:sync-token>"))
        .respond_with(multistatus(&format!(
            "{}<d:sync-token>done</d:sync-token>",
            etag_response("/dav/calendars/me/work/b%40x.ics", "b1")
        )))
        .mount(&server)
        .await;
    mount_multiget(&server).await;
    let state = tempfile::tempdir().unwrap();
    let source = work_source(&server, state.path());
    let (snapshot, report) = source.sync().await.unwrap();
    assert_eq!(
        (report.method, snapshot.resources.len()),
        ("sync-collection", 2)
    );
    let conn = rusqlite::Connection::open(state.path().join("state.sqlite")).unwrap();
    let token: String = conn
        .query_row("SELECT sync_token FROM caldav_sync", [], |r| r.get(0))
        .unwrap();
    assert_eq!(token, "done");
}

#[tokio::test]
async fn connection_refused_is_retried_then_named() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let state = tempfile::tempdir().unwrap();
    let source = source_for(
        &format!("http://127.0.0.1:{port}/dav/"),
        None,
        state.path(),
        crate::quick_retry(),
    );
    let err = source.sync().await.unwrap_err();
    assert!(
        matches!(err, CaldavError::Connection { attempts: 3, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains(&format!("PROPFIND http://127.0.0.1:{port}/dav/: no answer")),
        "{err}"
    );
}

/// A server that, answering an agenda write, changes what tete did not write (Cyrus adds an
/// `EXDATE` when a participant is marked `SCHEDULE-AGENT=CLIENT`): tete sees it when it reads
/// the event back, stops writing into that calendar (remembered in the state file), and
/// writes nothing else there in the same cycle.
#[tokio::test]
async fn a_write_the_server_answers_with_an_exdate_halts_the_calendar() {
    use tete::agenda::plan::{Place, PlannedWrite, Target};
    use tete::agenda::write::Destination;
    use tete::calendar::Moment;
    use tete::calendar::edit::Description;
    use tete::cycle::{Fetched, Route};
    use tete::sources::{Content, Resource, Snapshot, Source};

    let server = MockServer::start().await;
    mount_account(&server, false).await;
    let series = |extra: &str| {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:s@x\r\nDTSTART:20261201T090000Z\r\n\
             RRULE:FREQ=WEEKLY\r\n{extra}ORGANIZER:mailto:mia@x\r\nATTENDEE:mailto:ann@x\r\n\
             END:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    };
    let at = |d: u32| {
        Moment::Utc(
            chrono::NaiveDate::from_ymd_opt(2026, 12, d)
                .and_then(|d| d.and_hms_opt(9, 0, 0))
                .unwrap(),
        )
    };
    for (href, uid) in [("a.ics", "s@x"), ("b.ics", "t@x")] {
        let body = series("").replace("s@x", uid);
        // Read before the write: the series as it was.
        Mock::given(method("GET"))
            .and(path(format!("/dav/calendars/me/work/{href}")))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("etag", "\"e1\"")
                    .set_body_string(body.clone()),
            )
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        // Read back after the write: the server added an EXDATE for the occurrence.
        Mock::given(method("GET"))
            .and(path(format!("/dav/calendars/me/work/{href}")))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("etag", "\"e2\"")
                    .set_body_string(series("EXDATE:20261208T090000Z\r\n").replace("s@x", uid)),
            )
            .with_priority(2)
            .mount(&server)
            .await;
    }
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(204).insert_header("etag", "\"e2\""))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let source = work_source(&server, dir.path());
    let fetched = Fetched {
        name: "work".into(),
        source: Source::Caldav(Box::new(source.clone())),
        snapshot: Snapshot {
            resources: Default::default(),
            not_modified: false,
        },
        route: Route::Event,
    };
    let resources: Vec<Resource> = ["a.ics", "b.ics"]
        .iter()
        .map(|href| Resource {
            href: format!("/dav/calendars/me/work/{href}"),
            etag: Some("\"e1\"".into()),
            content: Content::Memory(Vec::new()),
        })
        .collect();
    let writes: Vec<PlannedWrite> = ["s@x", "t@x"]
        .iter()
        .map(|uid| PlannedWrite {
            target: Target {
                series_uid: uid.to_string(),
                recurrence_id: at(8),
                start: at(8),
                end: at(8),
                description: Description::default(),
                written: None,
                place: Place::Event,
                refresh: false,
                retire: false,
                own_topics: false,
            },
            new: Description::default(),
            agenda: "Agenda for Tue 8 Dec".into(),
        })
        .collect();
    let destinations = resources
        .iter()
        .zip(&writes)
        .map(|(resource, write)| Destination {
            calendar: fetched.write_calendar(),
            resource: Some(resource),
            write,
        })
        .collect();
    let now = at(1).as_utc().and_utc();
    let outcomes = tete::agenda::write::apply(destinations, now).await;
    assert_eq!(outcomes.len(), 1, "the second resource is not written");
    // The mock also dropped the override tete wrote: both are seen.
    assert_eq!(
        outcomes[0].unexpected,
        [
            "EXDATE was added to the series",
            "the occurrence 20261208T090000Z is gone"
        ]
    );
    let (why, _) = source.halted().unwrap().expect("the calendar is halted");
    assert!(why.contains("EXDATE"), "{why}");
    server.verify().await;
    // The manager is told once, as a nudge, with what to do.
    let gathered = tete::cycle::Gathered {
        calendars: vec![fetched],
        ..Default::default()
    };
    let nudges = tete::cycle::writes_stopped(&gathered);
    assert_eq!(nudges.len(), 1);
    assert_eq!(nudges[0].kind, tete::nudge::Kind::WritesStopped);
    assert!(
        nudges[0].message.contains("`tete resume work`"),
        "{}",
        nudges[0].message
    );
    assert_eq!(
        tete::cycle::writes_stopped(&gathered)[0].streak,
        nudges[0].streak
    );
    // Resumed: no nudge, and routing writes into the events again.
    source.set_halted(None).unwrap();
    assert!(tete::cycle::writes_stopped(&gathered).is_empty());
}

/// The server applied an agenda write but its answer was lost (here a 502, which tete
/// retries); the retry meets 412, the re-read finds tete's own block: that block is recorded
/// as written, so when the person later removes it, it is not added back.
#[tokio::test]
async fn a_lost_acknowledgement_records_the_block_as_tetes_own() {
    use tete::agenda::plan::{Place, PlannedWrite, Target};
    use tete::agenda::write::Destination;
    use tete::calendar::Moment;
    use tete::calendar::edit::Description;
    use tete::cycle::{Fetched, Route};
    use tete::sources::{Content, Resource, Snapshot, Source};
    use wiremock::{Request, Respond};

    /// The event as the server holds it: what the last PUT sent, once one was applied.
    #[derive(Clone)]
    struct Event {
        body: Arc<Mutex<String>>,
        puts: Arc<Mutex<u32>>,
    }
    impl Respond for Event {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            if request.method.as_str() == "PUT" {
                let mut puts = self.puts.lock().unwrap();
                *puts += 1;
                if *puts == 1 {
                    // Applied, but the answer never reached tete.
                    *self.body.lock().unwrap() = String::from_utf8_lossy(&request.body).into();
                    return ResponseTemplate::new(502);
                }
                return ResponseTemplate::new(412);
            }
            let etag = if *self.puts.lock().unwrap() == 0 {
                "\"e1\""
            } else {
                "\"e2\""
            };
            ResponseTemplate::new(200)
                .insert_header("etag", etag)
                .set_body_string(self.body.lock().unwrap().clone())
        }
    }

    let server = MockServer::start().await;
    mount_account(&server, false).await;
    let event = Event {
        body: Arc::new(Mutex::new(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:s@x\r\n\
             DTSTART:20261201T090000Z\r\nRRULE:FREQ=WEEKLY\r\nSUMMARY:Ann / Mia\r\n\
             END:VEVENT\r\nEND:VCALENDAR\r\n"
                .into(),
        )),
        puts: Arc::new(Mutex::new(0)),
    };
    Mock::given(path("/dav/calendars/me/work/a.ics"))
        .respond_with(event.clone())
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let source = work_source(&server, dir.path());
    let fetched = Fetched {
        name: "work".into(),
        source: Source::Caldav(Box::new(source)),
        snapshot: Snapshot {
            resources: Default::default(),
            not_modified: false,
        },
        route: Route::Event,
    };
    let resource = Resource {
        href: "/dav/calendars/me/work/a.ics".into(),
        etag: Some("\"e1\"".into()),
        content: Content::Memory(Vec::new()),
    };
    let at = Moment::Utc(
        chrono::NaiveDate::from_ymd_opt(2026, 12, 8)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap(),
    );
    let write = PlannedWrite {
        target: Target {
            series_uid: "s@x".into(),
            recurrence_id: at,
            start: at,
            end: at,
            description: Description::default(),
            written: None,
            place: Place::Event,
            refresh: false,
            retire: false,
            own_topics: false,
        },
        new: Description::default(),
        agenda: "Agenda for Tue 8 Dec".into(),
    };
    let destinations = vec![Destination {
        calendar: fetched.write_calendar(),
        resource: Some(&resource),
        write: &write,
    }];
    let outcomes = tete::agenda::write::apply(destinations, at.as_utc().and_utc()).await;
    assert_eq!(outcomes.len(), 1);
    let written = outcomes[0].result.as_ref().expect("no error");
    assert_eq!(written.len(), 1, "the block found is recorded as tete's");
    assert_eq!(written[0].recurrence_id, "2026-12-08T09:00:00Z");
    let stored = event.body.lock().unwrap().replace("\r\n ", "");
    assert!(stored.contains("Agenda for Tue 8 Dec"), "{stored}");
    assert_eq!(*event.puts.lock().unwrap(), 2);
}

/// The stored sync token of the only calendar.
fn stored_token(state: &std::path::Path) -> Option<String> {
    let conn = rusqlite::Connection::open(state.join("state.sqlite")).unwrap();
    conn.query_row("SELECT sync_token FROM caldav_sync", [], |r| r.get(0))
        .unwrap()
}

/// A member a multiget leaves out, then one it answers with something that is not iCalendar:
/// neither is stored, the token does not move past them, and the next cycles fetch them
/// (only them) until the server answers.
#[tokio::test]
async fn members_missing_or_garbled_in_a_multiget_are_fetched_again() {
    let server = MockServer::start().await;
    mount_account(&server, true).await;
    Mock::given(method("REPORT"))
        .and(body_string_contains("sync-collection"))
        .respond_with(a_and_b_listed("<d:sync-token>t1</d:sync-token>"))
        .mount(&server)
        .await;
    let answer = |b: &str| {
        multistatus(&format!(
            "{}{b}",
            ok_response(
                "/dav/calendars/me/work/a.ics",
                &format!(
                    "<d:getetag>\"a1\"</d:getetag><c:calendar-data>{}</c:calendar-data>",
                    event("a")
                )
            ),
        ))
    };
    // First multiget: b is missing; second: b is an error page.
    Mock::given(method("REPORT"))
        .and(body_string_contains("calendar-multiget"))
        .respond_with(answer(""))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("REPORT"))
        .and(body_string_contains("calendar-multiget"))
        .respond_with(answer(&ok_response(
            "/dav/calendars/me/work/b@x.ics",
            "<d:getetag>\"b1\"</d:getetag><c:calendar-data>&lt;html&gt;502 Bad Gateway&lt;/html&gt;</c:calendar-data>",
        )))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    mount_multiget(&server).await;
    let state = tempfile::tempdir().unwrap();
    let source = work_source(&server, state.path());

    let (snapshot, report) = source.sync().await.unwrap();
    assert_eq!(snapshot.resources.len(), 1);
    assert_eq!(
        report.not_fetched,
        [(
            "/dav/calendars/me/work/b@x.ics".to_string(),
            "missing from the server's answer".to_string()
        )]
    );
    assert_eq!(stored_token(state.path()).as_deref(), Some(""));

    let (snapshot, report) = source.sync().await.unwrap();
    assert_eq!(snapshot.resources.len(), 1, "the error page is not stored");
    assert_eq!(
        report.not_fetched[0].1,
        "the server's answer is not iCalendar"
    );
    assert_eq!(report.fetched, 0);

    let (snapshot, report) = source.sync().await.unwrap();
    assert_eq!((snapshot.resources.len(), report.fetched), (2, 1));
    assert!(report.not_fetched.is_empty());
    assert_eq!(stored_token(state.path()).as_deref(), Some("t1"));
    // Only b was asked for again: a's body came once.
    let multigets: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .filter(|b| b.contains("calendar-multiget"))
        .collect();
    assert_eq!(multigets.len(), 3);
    assert!(
        multigets[1..].iter().all(|b| !b.contains("a.ics")),
        "{multigets:?}"
    );
}

/// A sync REPORT refused once (a bad burst) falls back to calendar-query for that cycle
/// only: the next cycle uses sync-collection again.
#[tokio::test]
async fn a_refused_sync_report_falls_back_for_one_cycle_only() {
    let server = MockServer::start().await;
    mount_account(&server, true).await;
    Mock::given(method("REPORT"))
        .and(body_string_contains("sync-collection"))
        .respond_with(ResponseTemplate::new(507))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("REPORT"))
        .and(body_string_contains("sync-collection"))
        .respond_with(a_and_b_listed("<d:sync-token>t2</d:sync-token>"))
        .mount(&server)
        .await;
    Mock::given(method("REPORT"))
        .and(body_string_contains("calendar-query"))
        .respond_with(a_and_b_listed(""))
        .mount(&server)
        .await;
    mount_multiget(&server).await;
    let state = tempfile::tempdir().unwrap();
    let source = work_source(&server, state.path());
    let (_, first) = source.sync().await.unwrap();
    assert_eq!(first.method, "calendar-query");
    let (snapshot, second) = source.sync().await.unwrap();
    assert_eq!(second.method, "sync-collection");
    assert_eq!((snapshot.resources.len(), second.fetched), (2, 0));
    assert_eq!(stored_token(state.path()).as_deref(), Some("t2"));
}

/// A member far larger than an event should be (here 2 MiB of description): with a small
/// answer limit, the multiget is asked again in halves until only that member is left; with
/// a small event limit, it is dropped from the answer. Either way the others are stored, it
/// is not, the report says why, and it is not asked for again until it changes.
#[tokio::test]
async fn members_over_the_limits_are_skipped_until_they_change() {
    use tete::sources::caldav::Limits;
    use wiremock::{Request, Respond};

    /// Answers a multiget with exactly the members it asks for.
    struct Members;
    impl Respond for Members {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            let asked = String::from_utf8_lossy(&request.body);
            let mut inner = String::new();
            for (href, uid, etag) in [
                ("a.ics", "a", "a1"),
                ("b@x.ics", "b", "b1"),
                ("big.ics", "big", "g1"),
            ] {
                if !asked.contains(&href.replace('@', "%40")) && !asked.contains(href) {
                    continue;
                }
                let mut data = event(uid);
                if uid == "big" {
                    let long = "x".repeat(2 << 20);
                    data = data.replace("SUMMARY:", &format!("DESCRIPTION:{long}&#13;\nSUMMARY:"));
                }
                inner.push_str(&ok_response(
                    &format!("/dav/calendars/me/work/{href}"),
                    &format!(
                        "<d:getetag>\"{etag}\"</d:getetag><c:calendar-data>{data}</c:calendar-data>"
                    ),
                ));
            }
            multistatus(&inner)
        }
    }

    let server = MockServer::start().await;
    mount_account(&server, true).await;
    Mock::given(method("REPORT"))
        .and(body_string_contains("sync-collection"))
        .respond_with(multistatus(&format!(
            "{}{}{}<d:sync-token>t1</d:sync-token>",
            etag_response("/dav/calendars/me/work/a.ics", "a1"),
            etag_response("/dav/calendars/me/work/b%40x.ics", "b1"),
            etag_response("/dav/calendars/me/work/big.ics", "g1"),
        )))
        .mount(&server)
        .await;
    Mock::given(method("REPORT"))
        .and(body_string_contains("calendar-multiget"))
        .respond_with(Members)
        .mount(&server)
        .await;
    for limits in [
        Limits {
            max_response: 1 << 20,
            ..Limits::default()
        },
        Limits {
            max_resource: 1 << 20,
            ..Limits::default()
        },
    ] {
        let state = tempfile::tempdir().unwrap();
        let source = CaldavSource::new(
            CaldavSettings {
                first_sync_days: None,
                url: Url::parse(&format!("{}/dav/", server.uri())).unwrap(),
                calendar: Some("Work".into()),
                sync_state: crate::sync_state(&state.path().join("state.sqlite")),
                retry: crate::quick_retry(),
                limits,
            },
            tete::sources::caldav::Auth::None,
        )
        .unwrap();
        let before = server.received_requests().await.unwrap().len();
        let (snapshot, report) = source.sync().await.unwrap();
        assert_eq!(snapshot.resources.len(), 2, "{limits:?}");
        assert_eq!(report.not_fetched.len(), 1, "{limits:?}");
        assert_eq!(report.not_fetched[0].0, "/dav/calendars/me/work/big.ics");
        assert!(
            report.not_fetched[0].1.contains("skipped until it changes"),
            "{}",
            report.not_fetched[0].1
        );
        // Nothing changed: nothing is fetched again, the big one included.
        let (snapshot, report) = source.sync().await.unwrap();
        assert_eq!((snapshot.resources.len(), report.fetched), (2, 0));
        assert!(report.not_fetched.is_empty());
        let requests = server.received_requests().await.unwrap();
        let multigets = requests[before..]
            .iter()
            .filter(|r| String::from_utf8_lossy(&r.body).contains("calendar-multiget"))
            .count();
        // One multiget and, with the small answer limit, the halves down to the big one
        // (at most 2n - 1 for n members).
        assert!((1..=5).contains(&multigets), "{multigets}");
    }
}
