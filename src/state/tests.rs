use rusqlite::{Connection, params};

use super::*;
use crate::sources::caldav::store::{CalendarState, StoredResource, SyncState, Update};

fn resource(href: &str, etag: &str) -> StoredResource {
    StoredResource {
        href: href.into(),
        etag: Some(etag.into()),
        body: format!("BEGIN:VCALENDAR {href}").into_bytes(),
    }
}

/// The CalDAV sync store of the state file at `path`, opened anew.
fn sync_store(path: &Path) -> SharedSyncState {
    StateFile::open(path).unwrap().caldav_sync()
}

/// A state file made and migrated by tete in `dir`, and a plain connection to it.
fn migrated_file(dir: &Path) -> (PathBuf, Connection) {
    let path = dir.join("s.db");
    drop(StateFile::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    (path, conn)
}

#[test]
fn a_newer_schema_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (path, conn) = migrated_file(dir.path());
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = StateFile::open(&path).unwrap_err().to_string();
    assert!(err.contains("newer than this tete knows"), "{err}");
}

#[test]
fn garbage_file_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    std::fs::write(
        &path,
        b"this is not a database, just text that is long enough to look like a header..........",
    )
    .unwrap();
    let err = StateFile::open(&path).unwrap_err().to_string();
    assert!(err.contains("s.db"), "{err}");
}

#[test]
fn migrates_once_and_keeps_state_across_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/state.sqlite");
    let store = sync_store(&path);
    assert_eq!(store.state("c").unwrap(), None);
    let state = CalendarState {
        collection_url: "http://h/c/".into(),
        sync_token: Some("t1".into()),
        ctag: None,
    };
    store
        .apply(
            "c",
            &Update {
                state: state.clone(),
                replace_all: true,
                upserts: vec![resource("/c/a.ics", "1"), resource("/c/b.ics", "1")],
                deletes: vec![],
            },
        )
        .unwrap();
    let store = sync_store(&path);
    assert_eq!(store.state("c").unwrap(), Some(state.clone()));
    store
        .apply(
            "c",
            &Update {
                state,
                replace_all: false,
                upserts: vec![resource("/c/a.ics", "2")],
                deletes: vec!["/c/b.ics".into()],
            },
        )
        .unwrap();
    let all = store.resources("c").unwrap();
    assert_eq!(all, [resource("/c/a.ics", "2")]);
    assert_eq!(store.etags("c").unwrap()["/c/a.ics"].as_deref(), Some("2"));
    let named = store.etags_of("c", &["/c/a.ics", "/c/b.ics"]).unwrap();
    assert_eq!(named.len(), 1, "{named:?}");
    assert_eq!(named["/c/a.ics"].as_deref(), Some("2"));
    store.forget("c").unwrap();
    assert!(store.resources("c").unwrap().is_empty());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn the_listing_of_a_calendar_reads_an_index_not_the_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let (_, conn) = migrated_file(dir.path());
    let sql = format!(
        "EXPLAIN QUERY PLAN {}",
        crate::sources::caldav::store::LISTING
    );
    let plan: Vec<String> = conn
        .prepare(&sql)
        .unwrap()
        .query_map(["c"], |row| row.get(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        plan.iter()
            .any(|step| step.contains("COVERING INDEX caldav_sync_resource_listing")),
        "{plan:?}"
    );
}

/// Whether anything was committed to the file since `watcher` last asked.
fn data_version(watcher: &Connection) -> i64 {
    watcher
        .query_row("PRAGMA data_version", [], |row| row.get(0))
        .unwrap()
}

#[test]
fn opening_an_up_to_date_file_and_an_idle_sync_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    let update = Update {
        state: CalendarState {
            collection_url: "http://h/c/".into(),
            sync_token: Some("t1".into()),
            ctag: None,
        },
        replace_all: false,
        upserts: vec![resource("/c/a.ics", "1")],
        deletes: vec![],
    };
    sync_store(&path).apply("c", &update).unwrap();
    let watcher = Connection::open(&path).unwrap();
    // Synced long ago: a rewrite within the same second would leave the same bytes.
    let long_ago = "2000-01-01T00:00:00Z";
    watcher
        .execute("UPDATE caldav_sync SET synced_at = ?1", [long_ago])
        .unwrap();
    let synced_at = || -> String {
        watcher
            .query_row("SELECT synced_at FROM caldav_sync", [], |row| row.get(0))
            .unwrap()
    };
    let before = data_version(&watcher);
    let store = sync_store(&path);
    assert_eq!(data_version(&watcher), before, "opening wrote");
    // The same token, nothing fetched: nothing to write.
    let idle = Update {
        upserts: vec![],
        ..update.clone()
    };
    store.apply("c", &idle).unwrap();
    assert_eq!(data_version(&watcher), before, "an idle sync wrote");
    assert_eq!(synced_at(), long_ago);
    let moved = Update {
        state: CalendarState {
            sync_token: Some("t2".into()),
            ..idle.state.clone()
        },
        ..idle
    };
    store.apply("c", &moved).unwrap();
    assert_ne!(data_version(&watcher), before);
    assert_ne!(synced_at(), long_ago);
    assert_eq!(store.state("c").unwrap(), Some(moved.state));
}

/// How many history migrations there were when files counted them in `user_version`.
const LEGACY_HISTORY: usize = 5;

/// A state file as tete wrote it before [`StateFile`]: the history's migrations counted in
/// `user_version` (history's old `migrations::apply`), the CalDAV sync's recorded in
/// `caldav_sync_migrations` (the old `SyncStore::open`), some data in each: a series with
/// an occurrence, and an occurrence whose series has no row.
fn legacy_file(path: &Path) {
    let mut conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    let tx = conn.transaction().unwrap();
    for sql in &history::MIGRATIONS[..LEGACY_HISTORY] {
        tx.execute_batch(sql).unwrap();
    }
    tx.pragma_update(None, "user_version", LEGACY_HISTORY)
        .unwrap();
    tx.commit().unwrap();
    let tx = conn.transaction().unwrap();
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS caldav_sync_migrations (
            version INTEGER PRIMARY KEY,
            applied_at TEXT NOT NULL
        );",
    )
    .unwrap();
    for (index, sql) in crate::sources::caldav::store::MIGRATIONS.iter().enumerate() {
        tx.execute_batch(sql).unwrap();
        tx.execute(
            "INSERT INTO caldav_sync_migrations (version, applied_at) VALUES (?1, ?2)",
            params![index as i64 + 1, "2026-01-01T00:00:00Z"],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    conn.execute_batch(
        "INSERT INTO series VALUES ('s', 'ann@example.com', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
         INSERT INTO occurrence VALUES ('s', '20260105T100000Z', '2026-01-05T10:00:00Z',
            '2026-01-05T11:00:00Z', '2026-01-05T11:30:00Z', NULL, 1,
            '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z');
         INSERT INTO occurrence VALUES ('x', '20260106T100000Z', '2026-01-06T10:00:00Z',
            '2026-01-06T10:00:00Z', '2026-01-06T10:30:00Z', 'status', 0,
            '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
         INSERT INTO nudge_sent VALUES ('moved|s|1', 'journal', 'ann', 'moved', '2026-01-02T00:00:00Z');
         INSERT INTO caldav_sync VALUES ('c', 'http://h/c/', 't1', NULL, '2026-01-01T00:00:00Z');
         INSERT INTO caldav_sync_resource VALUES ('c', '/c/a.ics', '1', x'41');",
    )
    .unwrap();
}

fn migrations_recorded(path: &Path) -> Vec<(String, i64)> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT component, MAX(version) FROM state_migration GROUP BY component ORDER BY component")
        .unwrap();
    stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_file_from_before_is_carried_over_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    legacy_file(&path);
    let state = StateFile::open(&path).unwrap();
    assert!(state.history().nudge_sent("moved|s|1", "journal").unwrap());
    // The occurrences, now stored under their series' numbers, every field as it was.
    let stored = state.history().occurrences_of_each(&[vec!["s"], vec!["x"]]);
    let shown: Vec<String> = (stored.unwrap().iter().flat_map(|s| s.iter()))
        .map(|o| {
            format!(
                "{} {} {} {}..{} {:?} {} {}",
                o.series_uid,
                o.recurrence_id,
                o.scheduled,
                o.start,
                o.end,
                o.cancelled,
                o.times_moved,
                o.last_seen
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            "s 20260105T100000Z 2026-01-05 10:00:00 UTC 2026-01-05 11:00:00 UTC..2026-01-05 11:30:00 UTC None 1 2026-01-02 00:00:00 UTC",
            "x 20260106T100000Z 2026-01-06 10:00:00 UTC 2026-01-06 10:00:00 UTC..2026-01-06 10:30:00 UTC Some(Status) 0 2026-01-01 00:00:00 UTC",
        ]
    );
    let sync = state.caldav_sync();
    assert_eq!(
        sync.state("c").unwrap().unwrap().sync_token.as_deref(),
        Some("t1")
    );
    assert_eq!(sync.resources("c").unwrap().len(), 1);
    drop((state, sync));
    let history_known = history::MIGRATIONS.len() as i64;
    let caldav_known = crate::sources::caldav::store::MIGRATIONS.len() as i64;
    let expected = vec![
        ("caldav_sync".to_string(), caldav_known),
        (
            "cycle_cache".to_string(),
            history::cache::MIGRATIONS.len() as i64,
        ),
        ("history".to_string(), history_known),
    ];
    assert_eq!(migrations_recorded(&path), expected);
    // The old records are gone; `user_version` now tells an older tete to keep off.
    let conn = Connection::open(&path).unwrap();
    let old_table: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'caldav_sync_migrations'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(old_table, 0);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, migrate::OWNED);
    drop(conn);
    // Opening again changes nothing and keeps the data.
    let state = StateFile::open(&path).unwrap();
    assert!(state.history().nudge_sent("moved|s|1", "journal").unwrap());
    drop(state);
    assert_eq!(migrations_recorded(&path), expected);
}

#[test]
fn a_file_half_migrated_the_old_way_gets_the_rest() {
    // An old file from before the CalDAV tables and the last history migration.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    let conn = Connection::open(&path).unwrap();
    for sql in &history::MIGRATIONS[..3] {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", 3).unwrap();
    drop(conn);
    let state = StateFile::open(&path).unwrap();
    assert!(state.history().held_writes().unwrap().is_empty());
    assert_eq!(state.caldav_sync().state("c").unwrap(), None);
}

#[test]
fn a_newer_caldav_schema_is_refused_too() {
    let dir = tempfile::tempdir().unwrap();
    let (path, conn) = migrated_file(dir.path());
    conn.execute(
        "INSERT INTO state_migration VALUES ('caldav_sync', 99, 'later')",
        [],
    )
    .unwrap();
    drop(conn);
    let err = crate::errors::chain(&StateFile::open(&path).unwrap_err());
    assert!(
        err.contains("caldav_sync schema version 99, newer than this tete knows"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn the_file_and_its_wal_and_shm_are_private_whatever_they_were() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    // A file left readable by others (as a umask of 022 makes them), with a WAL open: its
    // `-wal` and `-shm` readable by others too.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    legacy_file(&path);
    let holder = Connection::open(&path).unwrap();
    holder
        .execute_batch("INSERT INTO change VALUES (1, 's', 'r', 'now', 'a', 'b')")
        .unwrap();
    let wal = dir.path().join("state.sqlite-wal");
    let shm = dir.path().join("state.sqlite-shm");
    for file in [&path, &wal, &shm] {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let state = StateFile::open(&path).unwrap();
    for file in [&path, &wal, &shm] {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    drop((state, holder));
    // A new file in a new folder.
    let fresh = dir.path().join("new/state.sqlite");
    let state = StateFile::open(&fresh).unwrap();
    assert_eq!(mode(&fresh), 0o600);
    assert_eq!(mode(&dir.path().join("new")), 0o700);
    for suffix in ["-wal", "-shm"] {
        let side = dir.path().join(format!("new/state.sqlite{suffix}"));
        assert!(side.exists(), "{}", side.display());
        assert_eq!(mode(&side), 0o600, "{}", side.display());
    }
    drop(state);
}

/// Connections to a file, counted.
#[derive(Debug)]
struct Counting {
    inner: Connector,
    opened: std::sync::atomic::AtomicUsize,
}

impl crate::sources::caldav::store::Connect for Counting {
    fn connect(&self) -> rusqlite::Result<Connection> {
        self.opened
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.connect()
    }

    fn path(&self) -> &Path {
        self.inner.path()
    }
}

/// The sync store opens a connection once and lends it to each later operation (a daemon's
/// cycles open none); two operations at once each get their own.
#[test]
fn the_sync_store_reuses_its_connections() {
    use crate::sources::caldav::store::SyncStore;
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = migrated_file(dir.path());
    let counting = Arc::new(Counting {
        inner: Connector { path: path.clone() },
        opened: Default::default(),
    });
    let store = SyncStore::new(counting.clone());
    let state = CalendarState {
        collection_url: "https://dav.example.com/cal/".into(),
        sync_token: Some("t1".into()),
        ctag: None,
    };
    let update = Update {
        state: state.clone(),
        replace_all: true,
        upserts: vec![resource("a.ics", "1")],
        deletes: Vec::new(),
    };
    store.apply("c", &update).unwrap();
    for _ in 0..5 {
        assert_eq!(store.state("c").unwrap(), Some(state.clone()));
        assert_eq!(store.listing("c").unwrap().len(), 1);
    }
    assert_eq!(counting.opened.load(Ordering::SeqCst), 1);
    // What one connection wrote, the next operation on another one reads.
    let other = SyncStore::new(counting.clone());
    other.forget("c").unwrap();
    assert_eq!(store.state("c").unwrap(), None);
}

/// Hrefs and etags of a calendar's listing.
fn listed(store: &dyn SyncState, calendar: &str) -> Vec<(String, Option<String>)> {
    store
        .listing(calendar)
        .unwrap()
        .iter()
        .map(|r| (r.href.clone(), r.etag.clone()))
        .collect()
}

fn pair(href: &str, etag: &str) -> (String, Option<String>) {
    (href.to_string(), Some(etag.to_string()))
}

/// A listing is kept while the stored resources' generation stays, and whatever changes the
/// stored resources (this store, another store, plain SQL through another connection) moves
/// it.
#[test]
fn the_sync_store_keeps_a_listing_until_the_stored_resources_change() {
    let dir = tempfile::tempdir().unwrap();
    let (path, conn) = migrated_file(dir.path());
    let store = sync_store(&path);
    let update = Update {
        state: CalendarState {
            collection_url: "https://dav.example.com/cal/".into(),
            sync_token: Some("t1".into()),
            ctag: None,
        },
        replace_all: true,
        upserts: vec![resource("a.ics", "1"), resource("b.ics", "1")],
        deletes: Vec::new(),
    };
    store.apply("c", &update).unwrap();
    assert_eq!(
        listed(&*store, "c"),
        [pair("a.ics", "1"), pair("b.ics", "1")]
    );

    // Every change is seen: plain SQL from another connection, another store, this store.
    conn.execute(
        "UPDATE caldav_sync_resource SET etag = '2' WHERE href = 'a.ics'",
        [],
    )
    .unwrap();
    assert_eq!(
        listed(&*store, "c"),
        [pair("a.ics", "2"), pair("b.ics", "1")]
    );
    conn.execute("DELETE FROM caldav_sync_resource WHERE href = 'b.ics'", [])
        .unwrap();
    assert_eq!(listed(&*store, "c"), [pair("a.ics", "2")]);
    let other = sync_store(&path);
    other.put_resource("c", &resource("d.ics", "1")).unwrap();
    assert_eq!(
        listed(&*store, "c"),
        [pair("a.ics", "2"), pair("d.ics", "1")]
    );
    store.put_resource("c", &resource("a.ics", "3")).unwrap();
    assert_eq!(
        listed(&*store, "c"),
        [pair("a.ics", "3"), pair("d.ics", "1")]
    );
    other.forget("c").unwrap();
    assert_eq!(listed(&*store, "c"), []);
    // Synced anew after being forgotten, with as many changes as before: still seen.
    other.apply("c", &update).unwrap();
    assert_eq!(
        listed(&*store, "c"),
        [pair("a.ics", "1"), pair("b.ics", "1")]
    );

    // Proof that the listing is kept: a row removed without moving the generation (the
    // triggers dropped) is not noticed.
    conn.execute_batch(
        "DROP TRIGGER caldav_sync_resource_removed;
         DELETE FROM caldav_sync_resource WHERE href = 'b.ics';",
    )
    .unwrap();
    assert_eq!(
        listed(&*store, "c"),
        [pair("a.ics", "1"), pair("b.ics", "1")]
    );
}

/// The size of the database file itself, without its log.
fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

/// A cycle's big commit reaches the database file through the checkpoint worker while the
/// history goes on: the history's own connection never checkpoints it (500 pages, under
/// SQLite's inline threshold too, which this test would not see).
#[test]
fn the_historys_big_commits_are_checkpointed_by_the_worker() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    let mut state = StateFile::open(&path).unwrap();
    let before = file_len(&path);
    let body = vec![7u8; 2 << 20];
    let now = chrono::Utc::now();
    (state.history_mut())
        .save_cache("s", &body, b"", &[], &[], now)
        .unwrap();
    state.checkpoints.settle();
    assert!(
        file_len(&path) >= before + (2 << 20),
        "{before} → {}",
        file_len(&path)
    );
    let saved = state.history().cached_index("s").unwrap();
    assert_eq!(saved.as_deref(), Some(&b""[..]));
}

/// What a daemon's history knows between cycles holds while the file's `data_version` does
/// not move: a checkpoint by the worker's connection must not move it; a commit by
/// another connection does.
#[test]
fn a_checkpoint_by_the_worker_leaves_the_data_version_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (path, conn) = migrated_file(dir.path());
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    conn.execute(
        "INSERT INTO cycle_cache (scope, body, idx, saved_at) VALUES ('s', ?1, x'', 'now')",
        [vec![1u8; 1 << 20]],
    )
    .unwrap();
    let before = (data_version(&conn), file_len(&path));
    let checkpoints = Checkpoints::new(Arc::new(Connector { path: path.clone() }));
    history::CommitListener::committed(&checkpoints);
    checkpoints.settle();
    assert_eq!(data_version(&conn), before.0);
    assert!(
        file_len(&path) >= before.1 + (1 << 20),
        "{} → {}",
        before.1,
        file_len(&path)
    );
    let other = Connection::open(&path).unwrap();
    other.execute("DELETE FROM cycle_cache", []).unwrap();
    assert_ne!(data_version(&conn), before.0);
}
