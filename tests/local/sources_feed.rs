//! The HTTP feed source against a local server: conditional requests, cache, gzip, errors.

use std::io::{Read, Write};
use std::path::Path;

use tete::calendar::document::{Document, DocumentError};
use tete::http::HttpClient;
use tete::sources::{FeedSource, Resource, Snapshot, SourceError};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const FEED: &str =
    "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:1:1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
/// The part of the URL that is a secret and must never be shown.
const SECRET_PATH: &str = "/private-s3cret-token/basic.ics";

fn feed(server: &MockServer, cache: &Path) -> FeedSource {
    let url = format!("{}{SECRET_PATH}", server.uri());
    FeedSource::new(&url, cache, &HttpClient::new()).unwrap()
}

fn text_of(snapshot: &Snapshot) -> String {
    assert_eq!(snapshot.resources.len(), 1);
    let resource: &Resource = &snapshot.resources[0];
    let mut text = String::new();
    resource.open().unwrap().read_to_string(&mut text).unwrap();
    text
}

async fn mount_ok(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(SECRET_PATH))
        .respond_with(response)
        .mount(server)
        .await;
}

async fn mount_not_modified_when(server: &MockServer, name: &'static str, value: &'static str) {
    Mock::given(method("GET"))
        .and(path(SECRET_PATH))
        // Compared whole: wiremock's `header` matcher would split a date at its comma.
        .and(move |request: &Request| request.headers.get(name).is_some_and(|v| v == value))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .mount(server)
        .await;
}

/// Checks the error, all its causes and its Debug form for the secret part of the URL.
fn assert_no_secret(err: &SourceError) {
    let mut shown = format!("{err} / {err:?}");
    let mut cause = std::error::Error::source(err);
    while let Some(inner) = cause {
        shown.push_str(&format!(" / {inner}"));
        cause = inner.source();
    }
    assert!(!shown.contains("s3cret"), "{shown}");
}

#[tokio::test]
async fn unchanged_feed_costs_one_request_answered_304_even_after_a_restart() {
    let server = MockServer::start().await;
    let cache = tempfile::tempdir().unwrap();
    mount_not_modified_when(&server, "if-none-match", "\"v1\"").await;
    mount_ok(
        &server,
        ResponseTemplate::new(200)
            .insert_header("ETag", "\"v1\"")
            .set_body_string(FEED),
    )
    .await;

    let first = feed(&server, cache.path()).fetch().await.unwrap();
    // A new FeedSource, as after a restart: the validators come from the cache directory.
    let second = feed(&server, cache.path()).fetch().await.unwrap();

    assert!(!first.not_modified);
    assert!(second.not_modified);
    assert_eq!(text_of(&first), FEED);
    assert_eq!(text_of(&second), FEED);
    assert_eq!(second.resources[0].etag.as_deref(), Some("\"v1\""));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert!(!requests[0].headers.contains_key("if-none-match"));
    assert_eq!(requests[1].headers["if-none-match"], "\"v1\"");
}

#[tokio::test]
async fn last_modified_is_sent_back_as_if_modified_since() {
    let server = MockServer::start().await;
    let cache = tempfile::tempdir().unwrap();
    let date = "Wed, 21 Oct 2015 07:28:00 GMT";
    mount_not_modified_when(&server, "if-modified-since", date).await;
    mount_ok(
        &server,
        ResponseTemplate::new(200)
            .insert_header("Last-Modified", date)
            .set_body_string(FEED),
    )
    .await;
    let source = feed(&server, cache.path());

    let first = source.fetch().await.unwrap();
    let second = source.fetch().await.unwrap();

    assert!(!first.not_modified && second.not_modified);
    assert_eq!(text_of(&second), FEED);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn changed_feed_replaces_the_cached_copy() {
    let server = MockServer::start().await;
    let cache = tempfile::tempdir().unwrap();
    let source = feed(&server, cache.path());
    mount_ok(
        &server,
        ResponseTemplate::new(200)
            .insert_header("ETag", "\"v1\"")
            .set_body_string(FEED),
    )
    .await;
    source.fetch().await.unwrap();

    server.reset().await;
    let changed = FEED.replace("UID:1", "UID:2");
    mount_ok(
        &server,
        ResponseTemplate::new(200)
            .insert_header("ETag", "\"v2\"")
            .set_body_string(changed.clone()),
    )
    .await;
    let second = source.fetch().await.unwrap();

    assert!(!second.not_modified);
    assert_eq!(text_of(&second), changed);
    assert_eq!(second.resources[0].etag.as_deref(), Some("\"v2\""));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].headers["if-none-match"], "\"v1\"");
}

#[tokio::test]
async fn gzip_body_is_decompressed() {
    let server = MockServer::start().await;
    let cache = tempfile::tempdir().unwrap();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(FEED.as_bytes()).unwrap();
    let gzipped = encoder.finish().unwrap();
    mount_ok(
        &server,
        ResponseTemplate::new(200)
            .insert_header("Content-Encoding", "gzip")
            .set_body_raw(gzipped, "text/calendar"),
    )
    .await;

    let snapshot = feed(&server, cache.path()).fetch().await.unwrap();

    assert_eq!(text_of(&snapshot), FEED);
    let requests = server.received_requests().await.unwrap();
    let accepted = requests[0].headers["accept-encoding"].to_str().unwrap();
    assert!(accepted.contains("gzip"), "{accepted}");
}

#[tokio::test]
async fn not_found_is_a_clear_error_without_the_secret_path() {
    let server = MockServer::start().await;
    let cache = tempfile::tempdir().unwrap();
    mount_ok(&server, ResponseTemplate::new(404)).await;

    let err = feed(&server, cache.path()).fetch().await.unwrap_err();

    let shown = err.to_string();
    let host = server.address().to_string();
    assert!(
        shown.contains("404 Not Found") && shown.contains(&host),
        "{shown}"
    );
    assert_no_secret(&err);
}

#[tokio::test]
async fn server_error_is_a_clear_error_and_keeps_the_previous_copy() {
    let server = MockServer::start().await;
    let cache = tempfile::tempdir().unwrap();
    let source = feed(&server, cache.path());
    mount_ok(
        &server,
        ResponseTemplate::new(200)
            .insert_header("ETag", "\"v1\"")
            .set_body_string(FEED),
    )
    .await;
    let first = source.fetch().await.unwrap();
    server.reset().await;
    mount_ok(&server, ResponseTemplate::new(500)).await;

    let err = source.fetch().await.unwrap_err();

    assert!(
        err.to_string().contains("500 Internal Server Error"),
        "{err}"
    );
    assert_no_secret(&err);
    assert_eq!(text_of(&first), FEED, "the cached copy is still there");
}

#[tokio::test]
async fn unreachable_server_error_has_no_secret() {
    // A port nobody listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}{SECRET_PATH}");
    let cache = tempfile::tempdir().unwrap();
    let source = FeedSource::new(&url, cache.path(), &HttpClient::new()).unwrap();

    let err = source.fetch().await.unwrap_err();

    assert!(matches!(err, SourceError::Request { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    assert_no_secret(&err);
}

#[tokio::test]
async fn garbage_body_is_reported_as_not_icalendar() {
    let server = MockServer::start().await;
    let cache = tempfile::tempdir().unwrap();
    mount_ok(
        &server,
        ResponseTemplate::new(200).set_body_string("<html>Please log in</html>"),
    )
    .await;
    let source = feed(&server, cache.path());

    let snapshot = source.fetch().await.unwrap();

    let reader = snapshot.resources[0].open().unwrap();
    let err = Document::read(reader, source.label()).unwrap_err();
    assert!(matches!(err, DocumentError::NotICalendar { .. }), "{err}");
    assert!(!err.to_string().contains("s3cret"), "{err}");
}

#[tokio::test]
async fn cache_files_do_not_reveal_the_url() {
    let server = MockServer::start().await;
    let cache = tempfile::tempdir().unwrap();
    mount_ok(
        &server,
        ResponseTemplate::new(200)
            .insert_header("ETag", "\"v1\"")
            .set_body_string(FEED),
    )
    .await;
    let source = feed(&server, cache.path());
    source.fetch().await.unwrap();

    for entry in std::fs::read_dir(cache.path()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            !name.contains("s3cret") && !name.contains(".part"),
            "{name}"
        );
        let content = std::fs::read_to_string(entry.path()).unwrap();
        assert!(!content.contains("s3cret"), "{name}: {content}");
    }
    assert!(source.cache_path().starts_with(cache.path()));
}

#[cfg(unix)]
#[tokio::test]
async fn cache_folder_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let server = MockServer::start().await;
    let base = tempfile::tempdir().unwrap();
    let cache = base.path().join("tete").join("feeds");
    mount_ok(&server, ResponseTemplate::new(200).set_body_string(FEED)).await;

    feed(&server, &cache).fetch().await.unwrap();

    let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "{mode:o}");
}

/// The demo calendar as one `.ics` file, as a feed and as a vdir gives the same open items,
/// report and nudges: past meetings' notes are read from every kind of source (a file and a
/// feed's body are read for their 1:1 events only).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_source_gives_the_same_items_report_and_nudges() {
    let demo =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/demo/calendar.ics")).unwrap();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/demo.ics"))
        .respond_with(ResponseTemplate::new(200).set_body_string(demo.clone()))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let vdir = dir.path().join("vdir");
    std::fs::create_dir(&vdir).unwrap();
    let (doc, _) = Document::parse(&demo, "demo").unwrap();
    for (i, (_, part)) in doc.split_by_uid().into_iter().enumerate() {
        std::fs::write(vdir.join(format!("{i:03}.ics")), part.to_ical()).unwrap();
    }
    let sources = [
        (
            "file",
            format!("{}/demo/calendar.ics", env!("CARGO_MANIFEST_DIR")),
        ),
        ("feed", format!("{}/demo.ics", server.uri())),
        ("vdir", vdir.display().to_string()),
    ];
    let mut outputs = Vec::new();
    for (kind, calendar) in &sources {
        let mut per_command = Vec::new();
        for command in [
            &["items"][..],
            &["report", "--format", "json"],
            &["nudges", "--format", "json"],
        ] {
            let state = dir.path().join(format!("{kind}-{}.sqlite", command[0]));
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tete"));
            cmd.args(command)
                .args(["--me", "mia@example.com", "--now", "2026-11-25T12:00:00Z"])
                .arg("--calendar")
                .arg(calendar)
                .arg("--state")
                .arg(&state)
                .env_remove("TETE_CONFIG")
                .env("XDG_CACHE_HOME", dir.path().join("cache"));
            // The feed's server runs on this runtime: wait for tete on another thread.
            let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
                .await
                .unwrap();
            assert!(
                out.status.success(),
                "{kind} {command:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            per_command.push(String::from_utf8(out.stdout).unwrap());
        }
        outputs.push(per_command);
    }
    assert!(
        outputs[0][0].contains("2 open"),
        "the file shows open items:\n{}",
        outputs[0][0]
    );
    for (i, (kind, _)) in sources.iter().enumerate().skip(1) {
        for (c, name) in ["items", "report", "nudges"].iter().enumerate() {
            assert_eq!(
                outputs[i][c], outputs[0][c],
                "{name}: {kind} differs from the file"
            );
        }
    }
}
