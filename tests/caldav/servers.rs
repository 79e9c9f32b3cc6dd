//! Against real servers: discovery, sync (initial, steady, delta, deletion, invalid token),
//! multiget, conditional writes that lose a race, Basic auth, a 1,000-event calendar.

use tete::sources::write::{UpdateOutcome, same_calendar_data, update};
use tete::sources::{Content, Precondition, Resource, Source, SourceError};

use crate::harness::{DavServer, Kind};
use crate::{Raw, event, source};

/// Each resource's href, etag and bytes.
fn contents(resources: &[Resource]) -> Vec<(String, Option<String>, String)> {
    (resources.iter())
        .map(|r| (r.href.clone(), r.etag.clone(), body_of(r)))
        .collect()
}

fn body_of(resource: &Resource) -> String {
    String::from_utf8_lossy(&resource.bytes().unwrap()).into_owned()
}

async fn discovery_on(kind: Kind) {
    let server = DavServer::start(kind);
    let raw = Raw::new(&server);
    let work = raw.mkcalendar(&server, "work", "Work").await;
    raw.mkcalendar(&server, "home", "Home").await;
    let state = tempfile::tempdir().unwrap();
    let source = source(&server, Some("work"), &state.path().join("s.sqlite"));
    let account = source.discover().await.unwrap();
    assert_eq!(
        account.principal.as_ref().map(|u| u.path().to_string()),
        Some("/tete/".to_string()),
        "{kind:?}"
    );
    assert_eq!(
        account.home.as_ref().map(|u| u.path()),
        Some(server.home.as_str())
    );
    let mut names: Vec<String> = account.calendars.iter().map(|c| c.name()).collect();
    names.sort();
    assert_eq!(names, ["Home", "Work"], "{kind:?}");
    for calendar in &account.calendars {
        assert!(calendar.supports_sync, "{kind:?}: {calendar:?}");
        assert_eq!(calendar.components, ["VEVENT"], "{kind:?}");
    }
    // Picked by display name (any case), by path or by URL.
    for pick in ["work", &work, "/tete/"] {
        let picked = super::source(&server, Some(pick), &state.path().join("x.sqlite"));
        match picked.find_calendar().await {
            Ok(found) if pick != "/tete/" => {
                assert_eq!(found.url.as_str(), work, "{kind:?} {pick}")
            }
            Ok(found) => panic!("{pick} picked {found:?}"),
            Err(err) => {
                assert_eq!(pick, "/tete/", "{err}");
                let shown = err.to_string();
                assert!(shown.contains("Work") && shown.contains("Home"), "{shown}");
            }
        }
    }
    // Starting from the calendar's own URL works too.
    let direct = tete::sources::caldav::CaldavSource::new(
        tete::sources::caldav::CaldavSettings {
            first_sync_days: None,
            url: reqwest::Url::parse(&work).unwrap(),
            calendar: None,
            sync_state: crate::sync_state(&state.path().join("d.sqlite")),
            retry: crate::quick_retry(),
            limits: tete::sources::caldav::Limits::default(),
        },
        tete::sources::caldav::Auth::Basic {
            user: server.user.clone(),
            password: tete::secret::SecretValue::new(server.password.clone()),
        },
    )
    .unwrap();
    assert_eq!(direct.find_calendar().await.unwrap().url.as_str(), work);
}

#[tokio::test]
async fn discovery_radicale() {
    discovery_on(Kind::Radicale).await;
}

#[tokio::test]
async fn discovery_xandikos() {
    discovery_on(Kind::Xandikos).await;
}

async fn sync_cycle_on(kind: Kind) {
    let server = DavServer::start(kind);
    let raw = Raw::new(&server);
    let cal = raw.mkcalendar(&server, "work", "Work").await;
    for i in 0..5 {
        raw.put(
            &format!("{cal}e{i}.ics"),
            &event(&format!("e{i}"), &format!("1:1 #{i}")),
        )
        .await;
    }
    let state = tempfile::tempdir().unwrap();
    let state_file = state.path().join("state.sqlite");
    let source = source(&server, Some("Work"), &state_file);
    let stats = source.client().stats().clone();

    // Initial: discovery, one sync REPORT, one multiget.
    let (snapshot, report) = source.sync().await.unwrap();
    assert_eq!(snapshot.resources.len(), 5, "{kind:?}");
    assert_eq!((report.method, report.fetched), ("sync-collection", 5));
    assert!(snapshot.resources.iter().all(|r| r.etag.is_some()));
    // The bodies stay in the state file until read.
    assert!(
        (snapshot.resources.iter()).all(|r| matches!(r.content, Content::Stored(_))),
        "{kind:?}"
    );
    assert!(body_of(&snapshot.resources[0]).contains("BEGIN:VEVENT"));

    // Steady state: one request.
    let before = stats.snapshot();
    let (snapshot, report) = source.sync().await.unwrap();
    assert_eq!((snapshot.resources.len(), report.fetched), (5, 0));
    assert!(snapshot.not_modified);
    assert_eq!((stats.snapshot() - before).requests, 1, "{kind:?}");

    // A fresh source on the same state file (a restart) also needs one request.
    let restarted = crate::source(&server, Some("Work"), &state_file);
    let (snapshot, _) = restarted.sync().await.unwrap();
    assert_eq!(snapshot.resources.len(), 5);
    assert_eq!(restarted.client().stats().snapshot().requests, 1);

    // One change: the sync REPORT and one multiget fetching only it.
    raw.put(&format!("{cal}e2.ics"), &event("e2", "1:1 moved"))
        .await;
    let before = stats.snapshot();
    let (snapshot, report) = source.sync().await.unwrap();
    assert_eq!((report.fetched, report.deleted), (1, 0), "{kind:?}");
    assert_eq!((stats.snapshot() - before).requests, 2);
    let changed = snapshot
        .resources
        .iter()
        .find(|r| r.href.ends_with("/e2.ics"))
        .unwrap();
    assert!(body_of(changed).contains("1:1 moved"));

    // A deletion and an addition.
    raw.delete(&format!("{cal}e0.ics")).await;
    raw.put(&format!("{cal}new.ics"), &event("new", "new"))
        .await;
    let (snapshot, report) = source.sync().await.unwrap();
    assert_eq!((report.fetched, report.deleted), (1, 1), "{kind:?}");
    let mut hrefs: Vec<&str> = snapshot.resources.iter().map(|r| r.href.as_str()).collect();
    hrefs.sort();
    let prefix = reqwest::Url::parse(&cal).unwrap().path().to_string();
    let expected: Vec<String> = ["e1", "e2", "e3", "e4", "new"]
        .iter()
        .map(|n| format!("{prefix}{n}.ics"))
        .collect();
    assert_eq!(hrefs, expected, "{kind:?}");

    // An invalid token (expired on the server): a full resync, nothing lost.
    {
        let conn = rusqlite::Connection::open(&state_file).unwrap();
        conn.execute(
            "UPDATE caldav_sync SET sync_token = 'http://radicale.org/ns/sync/0000bogus'",
            [],
        )
        .unwrap();
    }
    raw.delete(&format!("{cal}e1.ics")).await;
    let (snapshot, report) = source.sync().await.unwrap();
    assert!(report.full_resync, "{kind:?}: {report:?}");
    assert_eq!(report.deleted, 1);
    assert_eq!(report.fetched, 0, "unchanged etags are not fetched again");
    assert_eq!(snapshot.resources.len(), 4);
    let (_, report) = source.sync().await.unwrap();
    assert!(!report.full_resync && report.fetched == 0);

    // The state file holds what was synced.
    let store = crate::sync_state(&state_file).unwrap();
    assert_eq!(store.etags(&store_key(&state_file)).unwrap().len(), 4);
}

fn store_key(state_file: &std::path::Path) -> String {
    // The only calendar in the file.
    let conn = rusqlite::Connection::open(state_file).unwrap();
    conn.query_row("SELECT calendar FROM caldav_sync", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test]
async fn sync_cycle_radicale() {
    sync_cycle_on(Kind::Radicale).await;
}

#[tokio::test]
async fn sync_cycle_xandikos() {
    sync_cycle_on(Kind::Xandikos).await;
}

async fn writes_on(kind: Kind) {
    let server = DavServer::start(kind);
    let raw = Raw::new(&server);
    let cal = raw.mkcalendar(&server, "work", "Work").await;
    let state = tempfile::tempdir().unwrap();
    let caldav = source(&server, Some("Work"), &state.path().join("s.sqlite"));
    caldav.sync().await.unwrap();
    let source = Source::Caldav(Box::new(caldav));

    // Create: If-None-Match: *, then the same again loses.
    let etag = source
        .put(
            "a.ics",
            Precondition::IfNoneMatch,
            event("a", "1:1 Ann").into_bytes(),
        )
        .await
        .unwrap();
    assert!(!etag.is_empty());
    let again = source
        .put(
            "a.ics",
            Precondition::IfNoneMatch,
            event("a", "1:1 Ann").into_bytes(),
        )
        .await
        .unwrap_err();
    assert!(again.is_precondition_failed(), "{kind:?}: {again}");

    // The server re-serialises: the body differs byte-wise but means the same.
    let stored = raw.get(&format!("{cal}a.ics")).await;
    assert!(same_calendar_data(
        stored.as_bytes(),
        event("a", "1:1 Ann").as_bytes()
    ));

    // The kept etag is the server's: the next sync fetches nothing.
    let Source::Caldav(caldav) = &source else {
        unreachable!()
    };
    let (snapshot, report) = caldav.sync().await.unwrap();
    assert_eq!(
        (snapshot.resources.len(), report.fetched),
        (1, 0),
        "{kind:?}"
    );

    // A stale If-Match loses.
    raw.put(
        &format!("{cal}a.ics"),
        &event("a", "1:1 Ann (edited elsewhere)"),
    )
    .await;
    let stale = source
        .put(
            &snapshot.resources[0].href,
            Precondition::IfMatch(etag.clone()),
            event("a", "tete's").into_bytes(),
        )
        .await
        .unwrap_err();
    assert!(matches!(stale, SourceError::PreconditionFailed { .. }));

    // A read-modify-write that loses a race re-reads and keeps the other writer's change.
    let href = snapshot.resources[0].href.clone();
    let other_url = format!("{cal}a.ics");
    let mut calls = 0;
    let outcome = update(&source, &href, 4, |current| {
        calls += 1;
        if calls == 1 {
            // Someone else writes between tete's read and its write.
            let url = other_url.clone();
            let user = server.user.clone();
            let password = server.password.clone();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    let body = event("a", "1:1 Ann").replace(
                        "SUMMARY:1:1 Ann\r\n",
                        "SUMMARY:1:1 Ann\r\nLOCATION:Room 4\r\n",
                    );
                    let status = reqwest::Client::builder()
                        .no_proxy()
                        .build()
                        .unwrap()
                        .put(&url)
                        .basic_auth(user, Some(password))
                        .header("content-type", "text/calendar")
                        .body(body)
                        .send()
                        .await
                        .unwrap()
                        .status();
                    assert!(status.is_success());
                });
            })
            .join()
            .unwrap();
        }
        let text = String::from_utf8_lossy(current).into_owned();
        Some(
            text.replace("END:VEVENT", "DESCRIPTION:agenda from tete\r\nEND:VEVENT")
                .into_bytes(),
        )
    })
    .await
    .unwrap();
    assert!(
        matches!(outcome, UpdateOutcome::Written { attempts: 2, .. }),
        "{kind:?}: {outcome:?}"
    );
    let final_body = raw.get(&other_url).await;
    assert!(final_body.contains("Room 4"), "{kind:?}: {final_body}");
    assert!(
        final_body.contains("agenda from tete"),
        "{kind:?}: {final_body}"
    );

    // A change that makes no difference is not written.
    let outcome = update(&source, &href, 4, |current| Some(current.to_vec()))
        .await
        .unwrap();
    assert!(matches!(outcome, UpdateOutcome::Unchanged { .. }));
}

#[tokio::test]
async fn writes_radicale() {
    writes_on(Kind::Radicale).await;
}

#[tokio::test]
async fn writes_xandikos() {
    writes_on(Kind::Xandikos).await;
}

#[tokio::test]
async fn basic_auth_on_radicale() {
    let password = "app-pa55word-XYZ";
    let server = DavServer::start_with(Kind::Radicale, Some(password));
    let raw = Raw::new(&server);
    let cal = raw.mkcalendar(&server, "work", "Work").await;
    raw.put(&format!("{cal}a.ics"), &event("a", "x")).await;
    let state = tempfile::tempdir().unwrap();
    let good = source(&server, Some("Work"), &state.path().join("s.sqlite"));
    assert_eq!(good.fetch().await.unwrap().resources.len(), 1);

    let bad = tete::sources::caldav::CaldavSource::new(
        tete::sources::caldav::CaldavSettings {
            first_sync_days: None,
            url: reqwest::Url::parse(&server.url).unwrap(),
            calendar: Some("Work".into()),
            sync_state: crate::sync_state(&state.path().join("b.sqlite")),
            retry: crate::quick_retry(),
            limits: tete::sources::caldav::Limits::default(),
        },
        tete::sources::caldav::Auth::Basic {
            user: "tete".into(),
            password: tete::secret::SecretValue::new("wrong-S3CRET".into()),
        },
    )
    .unwrap();
    let err = bad.fetch().await.unwrap_err();
    let plain = format!("{err} {err:?}");
    let shown = format!("{plain} {:#}", anyhow::Error::from(err));
    assert!(shown.contains("401"), "{shown}");
    assert!(!shown.contains("wrong-S3CRET"), "{shown}");
    assert!(!shown.contains(password), "{shown}");
}

/// A thousand events, one resource each, synced in multiget batches. On Radicale only:
/// Xandikos commits every PUT to git (a thousand take a minute to upload), and its 151-resource
/// demo calendar already syncs in two multiget batches (`demo.rs`).
async fn thousand_on(kind: Kind) {
    let server = DavServer::start(kind);
    let raw = std::sync::Arc::new(Raw::new(&server));
    let cal = raw.mkcalendar(&server, "big", "Big").await;
    if kind == Kind::Radicale {
        // Radicale takes a whole calendar PUT on the collection and splits it into one
        // resource per UID: much faster than a thousand PUTs.
        let mut whole =
            String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tete tests//EN\r\n");
        for i in 0..1000 {
            let one = event(&format!("ev{i:04}"), &format!("meeting {i}"));
            let start = one.find("BEGIN:VEVENT").unwrap();
            let end = one.find("END:VCALENDAR").unwrap();
            whole.push_str(&one[start..end]);
        }
        whole.push_str("END:VCALENDAR\r\n");
        raw.put(&cal, &whole).await;
    }
    // Xandikos commits each PUT to git (about 60 ms each): 1,000 would make this test a
    // minute long, so it gets 300 (and Radicale the full thousand).
    let total = if kind == Kind::Radicale { 1000 } else { 300 };
    let count = if kind == Kind::Radicale { 0 } else { total };
    let uploads = (0..count).map(|i| {
        let raw = raw.clone();
        let url = format!("{cal}ev{i:04}.ics");
        async move {
            raw.put(&url, &event(&format!("ev{i:04}"), &format!("meeting {i}")))
                .await;
        }
    });
    // A few at a time: the servers are single-process Python.
    let uploads: Vec<_> = uploads.collect();
    let mut pending = uploads.into_iter();
    loop {
        let batch: Vec<_> = pending.by_ref().take(8).collect();
        if batch.is_empty() {
            break;
        }
        futures_util::future::join_all(batch).await;
    }
    let state = tempfile::tempdir().unwrap();
    let source = source(&server, Some("big"), &state.path().join("s.sqlite"));
    let started = std::time::Instant::now();
    let (snapshot, report) = source.sync().await.unwrap();
    let first = source.client().stats().snapshot();
    assert_eq!(snapshot.resources.len(), total, "{kind:?}");
    assert_eq!(report.fetched, total);
    // Discovery (a few PROPFINDs), one sync REPORT and multigets of 100.
    assert!(first.requests <= 16, "{kind:?}: {first:?}");
    eprintln!(
        "{kind:?}: {total} events, first sync {:?}, {first:?}",
        started.elapsed()
    );
    let (_, report) = source.sync().await.unwrap();
    assert_eq!(report.fetched, 0);
    assert_eq!((source.client().stats().snapshot() - first).requests, 1);
}

#[tokio::test]
async fn thousand_events_radicale() {
    thousand_on(Kind::Radicale).await;
}

/// A first sync limited to recent events (calendar-query with a time-range); later changes
/// arrive through sync-collection whatever their date.
async fn first_sync_window_on(kind: Kind) {
    let server = DavServer::start(kind);
    let raw = Raw::new(&server);
    let cal = raw.mkcalendar(&server, "work", "Work").await;
    let old = |uid: &str| {
        event(uid, "long ago")
            .replace("DTSTART:20260105T100000Z", "DTSTART:20200106T100000Z")
            .replace("DTEND:20260105T103000Z", "DTEND:20200106T103000Z")
            .replace("RRULE:FREQ=WEEKLY\r\n", "")
    };
    raw.put(&format!("{cal}old.ics"), &old("old")).await;
    raw.put(&format!("{cal}weekly.ics"), &event("weekly", "1:1"))
        .await;
    let state = tempfile::tempdir().unwrap();
    let mut source = crate::source(&server, Some("Work"), &state.path().join("s.sqlite"));
    source = tete::sources::caldav::CaldavSource::new(
        tete::sources::caldav::CaldavSettings {
            first_sync_days: Some(30),
            url: reqwest::Url::parse(&server.url).unwrap(),
            calendar: Some("Work".into()),
            sync_state: crate::sync_state(&state.path().join("s.sqlite")),
            retry: crate::quick_retry(),
            limits: tete::sources::caldav::Limits::default(),
        },
        source.client().auth().clone(),
    )
    .unwrap();
    let (snapshot, report) = source.sync().await.unwrap();
    assert_eq!(report.method, "calendar-query (time range)", "{kind:?}");
    let hrefs: Vec<&str> = snapshot.resources.iter().map(|r| r.href.as_str()).collect();
    assert_eq!(hrefs.len(), 1, "{kind:?}: {hrefs:?}");
    assert!(hrefs[0].ends_with("/weekly.ics"));
    // Then sync-collection, from the token read before the listing.
    raw.put(&format!("{cal}old2.ics"), &old("old2")).await;
    let (snapshot, report) = source.sync().await.unwrap();
    assert_eq!(
        (report.method, report.fetched),
        ("sync-collection", 1),
        "{kind:?}"
    );
    assert_eq!(snapshot.resources.len(), 2);
}

#[tokio::test]
async fn first_sync_window_radicale() {
    first_sync_window_on(Kind::Radicale).await;
}

#[tokio::test]
async fn first_sync_window_xandikos() {
    first_sync_window_on(Kind::Xandikos).await;
}

/// Random creates, updates and deletes by another client between syncs (and now and then an
/// expired token): after every cycle, tete's copy equals what a fresh full sync sees.
async fn random_edits_on(kind: Kind) {
    let server = DavServer::start(kind);
    let raw = Raw::new(&server);
    let cal = raw.mkcalendar(&server, "work", "Work").await;
    let state = tempfile::tempdir().unwrap();
    let state_file = state.path().join("s.sqlite");
    let source = source(&server, Some("Work"), &state_file);
    let mut rng = fastrand::Rng::with_seed(5);
    let mut live: Vec<u32> = Vec::new();
    let mut next = 0;
    for round in 0..12 {
        for _ in 0..rng.usize(0..4) {
            match rng.u8(0..3) {
                0 | 1 if !live.is_empty() && rng.bool() => {
                    let id = live[rng.usize(0..live.len())];
                    let summary = format!("edit {round} {}", rng.u32(..));
                    raw.put(
                        &format!("{cal}e{id}.ics"),
                        &event(&format!("e{id}"), &summary),
                    )
                    .await;
                }
                2 if !live.is_empty() => {
                    let id = live.swap_remove(rng.usize(0..live.len()));
                    raw.delete(&format!("{cal}e{id}.ics")).await;
                }
                _ => {
                    next += 1;
                    live.push(next);
                    raw.put(
                        &format!("{cal}e{next}.ics"),
                        &event(&format!("e{next}"), "new"),
                    )
                    .await;
                }
            }
        }
        if round % 5 == 4 {
            let conn = rusqlite::Connection::open(&state_file).unwrap();
            conn.execute("UPDATE caldav_sync SET sync_token = sync_token || 'x'", [])
                .unwrap();
        }
        let (mine, _) = source.sync().await.unwrap();
        let fresh_state = tempfile::tempdir().unwrap();
        let fresh = crate::source(&server, Some("Work"), &fresh_state.path().join("f.sqlite"));
        let (truth, _) = fresh.sync().await.unwrap();
        assert_eq!(
            contents(&mine.resources),
            contents(&truth.resources),
            "{kind:?} round {round}"
        );
        assert_eq!(mine.resources.len(), live.len(), "{kind:?} round {round}");
    }
}

#[tokio::test]
async fn random_edits_radicale() {
    random_edits_on(Kind::Radicale).await;
}

#[tokio::test]
async fn random_edits_xandikos() {
    random_edits_on(Kind::Xandikos).await;
}
