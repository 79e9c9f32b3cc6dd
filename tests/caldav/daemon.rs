//! `tete daemon` against Radicale: READY on a NOTIFY_SOCKET the test owns, the agenda
//! written in the first cycle, a change another client makes on the server (a cancelled
//! occurrence) in the state file within one cycle, and a clean stop on SIGTERM.

use std::process::{Command, Stdio};

use chrono::Duration as Days;

use crate::agenda::get;
use crate::harness::{DavServer, Kind};
use crate::support::{
    assert_no_duplicate_text, first_start, ical, kill_daemon_at_random_points, notify_socket,
    run_once_ok, series, signal, stderr_of, wait_for,
};
use crate::{Raw, caldav_config};

#[tokio::test]
async fn daemon_on_radicale() {
    let (server, raw, url) = radicale_with_series().await;
    let dir = tempfile::tempdir().unwrap();
    let config = caldav_config(dir.path(), &server, "Work", EVERY_SECOND);
    let socket_path = dir.path().join("notify.sock");
    let socket = notify_socket(&socket_path);
    let child = Command::new(env!("CARGO_BIN_EXE_tete"))
        .arg("--config")
        .arg(&config)
        .arg("daemon")
        .env("NOTIFY_SOCKET", &socket_path)
        .env("TETE_LOG", "info")
        .env_remove("JOURNAL_STREAM")
        .env_remove("TETE_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(&socket, "READY=1");
    let first = wait_for(&socket, "STATUS=1 1:1s");
    let status = first.last().unwrap();
    assert!(status.contains("1 agenda(s) written"), "{first:?}");
    assert!(status.contains("0 calendar(s) failed"), "{first:?}");
    let (text, etag) = get(&raw, &url).await;
    assert!(text.contains("tete agenda"), "{text}");
    let cancelled = |dir: &std::path::Path| {
        let store = tete::state::StateFile::open(&dir.join("state.sqlite"))
            .unwrap()
            .into_history();
        let stored = store.occurrences(&["ann@x"]).unwrap();
        assert!(stored.len() >= 8, "{stored:?}");
        stored.iter().filter(|o| o.cancelled.is_some()).count()
    };
    assert_eq!(cancelled(dir.path()), 0);

    // Another client cancels the third occurrence (keeping tete's override).
    let third = ical(first_start() + Days::weeks(2));
    let override_ = format!(
        "BEGIN:VEVENT\r\nUID:ann@x\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:{third}\r\n\
DTSTART:{third}\r\nDURATION:PT30M\r\nSUMMARY:Ann / Mia\r\nORGANIZER:mailto:mia@example.com\r\n\
ATTENDEE;CN=Ann:mailto:ann@example.com\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\nEND:VCALENDAR"
    );
    let changed = text.replacen("END:VCALENDAR", &override_, 1);
    let (status, _, body) = raw
        .request(
            "PUT",
            &url,
            &[("content-type", "text/calendar"), ("if-match", &etag)],
            Some(changed),
        )
        .await;
    assert!((200..300).contains(&status), "{status} {body}");
    // The cycle under way may have synced before the PUT; the one after it sees it.
    let seen = wait_for(&socket, "STATUS=1 1:1s; history +0 ~1");
    let statuses = seen.iter().filter(|m| m.contains("STATUS=")).count();
    assert!(statuses <= 2, "not within one cycle: {seen:?}");
    assert_eq!(cancelled(dir.path()), 1);

    signal(&child, "TERM");
    wait_for(&socket, "STOPPING=1");
    let (status, err) = stderr_of(child);
    assert!(status.success(), "{status}: {err}");
    assert!(err.contains("SIGTERM received: stopping"), "{err}");
    // The agenda was written once, not every second.
    let text = get(&raw, &url).await.0;
    assert_eq!(text.matches("--- tete agenda").count(), 1, "{text}");
}

/// kill -9 at 20 random points of cycles against Radicale: the state file still opens and
/// answers, and the description holds one block with one copy of each item.
#[tokio::test]
async fn kill_9_against_radicale_never_corrupts_or_duplicates() {
    let (server, raw, url) = radicale_with_series().await;
    let dir = tempfile::tempdir().unwrap();
    let config = caldav_config(dir.path(), &server, "Work", EVERY_SECOND);
    let seed = tokio::task::spawn_blocking({
        let config = config.clone();
        move || {
            let seed = kill_daemon_at_random_points(&config, 20, 600);
            run_once_ok(&config, seed);
            seed
        }
    })
    .await
    .unwrap();
    let store = tete::state::StateFile::open(&dir.path().join("state.sqlite"))
        .unwrap()
        .into_history();
    assert!(store.occurrences(&["ann@x"]).unwrap().len() >= 8);
    let text = get(&raw, &url).await.0;
    assert_no_duplicate_text(&text, seed);
    assert_eq!(
        text.matches("--- tete agenda").count(),
        1,
        "seed {seed}: {text}"
    );
}

/// Radicale with the weekly 1:1 of [`series`] in a calendar named "Work": the server, a
/// client for it, and the series' URL.
async fn radicale_with_series() -> (DavServer, Raw, String) {
    let server = DavServer::start(Kind::Radicale);
    let raw = Raw::new(&server);
    let cal = raw.mkcalendar(&server, "work", "Work").await;
    let url = format!("{cal}ann.ics");
    raw.put(&url, &series()).await;
    (server, raw, url)
}

/// A daemon cycle every second, on time.
const EVERY_SECOND: &str = "[daemon]\ninterval = \"1s\"\njitter = 0.0\n";
