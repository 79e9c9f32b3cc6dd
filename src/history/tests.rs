use chrono::NaiveDate;

use super::*;

/// The history in a file holding just its tables (opening and migrating the state file is
/// `state::StateFile`'s, tested there); reopening applies only what is missing.
pub(crate) fn open(path: &Path) -> rusqlite::Result<Store> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    let conn = Connection::open(path)?;
    let applied: usize = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    for sql in &MIGRATIONS[applied..] {
        conn.execute_batch(sql)?;
    }
    conn.pragma_update(None, "user_version", MIGRATIONS.len())?;
    Ok(Store::new(conn, path.to_path_buf()))
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2026, 3, day)
        .and_then(|d| d.and_hms_opt(hour, 0, 0))
        .unwrap()
        .and_utc()
}

fn obs(day: u32, start_hour: u32, cancelled: Option<Cancellation>) -> Observation {
    Observation {
        series_uid: "s".into(),
        recurrence_id: format!("2026-03-{day:02}T10:00:00Z"),
        scheduled: at(day, 10),
        start: at(day, start_hour),
        end: at(day, start_hour) + Duration::minutes(30),
        cancelled,
    }
}

fn seen(occurrences: Vec<Observation>) -> Observations {
    Observations {
        series: vec![("s".into(), "ann@example.com".into())],
        occurrences,
        window: (at(1, 0), at(31, 0)),
    }
}

#[test]
fn second_cycle_with_nothing_changed_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep/state.sqlite");
    let week = seen(vec![
        obs(2, 10, None),
        obs(9, 11, None),
        obs(16, 10, Some(Cancellation::Status)),
    ]);
    let mut store = open(&path).unwrap();
    let first = store.record(&week, at(20, 8)).unwrap();
    assert_eq!(first.new, 3);
    drop(store);
    let mut store = open(&path).unwrap();
    let second = store.record(&week, at(20, 9)).unwrap();
    assert_eq!(second, RecordSummary::default());
    assert_eq!(store.change_count().unwrap(), 0);
    let stored = store.occurrences(&["s"]).unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[1].moved_by(), Duration::hours(1));
    assert_eq!(stored[0].first_seen, at(20, 8));
    // Not rewritten by a cycle that found it unchanged.
    assert_eq!(stored[0].last_seen, at(20, 8));
}

/// The same occurrence seen twice in one cycle (one event in two calendars) of a series seen
/// for the first time: stored once, and the second sighting compared with the first.
#[test]
fn an_occurrence_seen_twice_in_a_new_series_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("state.sqlite")).unwrap();
    let twice = seen(vec![obs(2, 10, None), obs(9, 10, None), obs(2, 10, None)]);
    let summary = store.record(&twice, at(20, 8)).unwrap();
    assert_eq!((summary.new, summary.changed), (2, 0));
    assert_eq!(store.occurrences(&["s"]).unwrap().len(), 2);
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("state.sqlite")).unwrap();
    let moved_in_one = seen(vec![obs(2, 10, None), obs(2, 11, None)]);
    let summary = store.record(&moved_in_one, at(20, 8)).unwrap();
    assert_eq!((summary.new, summary.changed), (1, 1));
    let stored = store.occurrences(&["s"]).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].start,
        at(2, 11),
        "the later sighting is what is stored"
    );
}

#[test]
fn what_a_first_record_stores_is_given_back_as_the_file_would() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    let mut store = open(&path).unwrap();
    // Known series "s" (recorded before), new series "t" (once each, sub-second times and
    // every cancellation) and "u" (one occurrence seen twice, moved in between).
    store
        .record(&seen(vec![obs(2, 10, None)]), at(1, 8))
        .unwrap();
    let in_series = |uid: &str, day, hour, cancelled| Observation {
        series_uid: uid.into(),
        ..obs(day, hour, cancelled)
    };
    let mut uneven = in_series("t", 4, 9, None);
    uneven.start += Duration::milliseconds(250);
    let mut cycle = seen(vec![
        obs(2, 10, None),
        obs(9, 11, Some(Cancellation::Declined)),
        uneven,
        in_series("t", 5, 9, Some(Cancellation::Status)),
        in_series("t", 6, 9, Some(Cancellation::Exdate)),
        in_series("t", 7, 9, Some(Cancellation::Deleted)),
        in_series("u", 3, 10, None),
        in_series("u", 3, 12, None),
    ]);
    cycle.series.push(("t".into(), "bo@example.com".into()));
    cycle.series.push(("u".into(), "cy@example.com".into()));
    let now = at(20, 8) + Duration::nanoseconds(123_456_789);
    store.record(&cycle, now).unwrap();
    let groups = [vec!["t"], vec!["s", "u"], vec!["u", "t"]];
    let given = store.occurrences_of_each(&groups).unwrap();
    let from_file = open(&path).unwrap().occurrences_of_each(&groups).unwrap();
    assert_eq!(given, from_file);
    assert_eq!(given[0].len(), 4, "every occurrence of the new series");
}

/// Whether anything was committed to the file at `path` since `watcher` last asked: SQLite
/// changes `data_version` for a connection when another one committed a change.
fn data_version(watcher: &Connection) -> i64 {
    watcher
        .query_row("PRAGMA data_version", [], |row| row.get(0))
        .unwrap()
}

/// Every row of the history's tables, as text, to compare a file before and after.
fn rows(conn: &Connection) -> Vec<String> {
    let mut out = Vec::new();
    for table in ["series", "occurrence", "change"] {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
            .unwrap();
        let columns = stmt.column_count();
        let mut found = stmt.query([]).unwrap();
        while let Some(row) = found.next().unwrap() {
            let values: Vec<String> = (0..columns)
                .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                .collect();
            out.push(format!("{table}: {}", values.join(" | ")));
        }
    }
    out
}

#[test]
fn a_cycle_with_nothing_changed_writes_nothing_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    // Two series; one occurrence moved, one cancelled, one deleted outright and one
    // re-timed before, so every kind of stored row is there.
    let other = |day: u32| Observation {
        series_uid: "t".into(),
        ..obs(day, 15, None)
    };
    let mut week = seen(vec![
        obs(2, 10, None),
        obs(9, 11, None),
        obs(16, 10, Some(Cancellation::Status)),
        obs(23, 10, None),
        other(3),
        other(10),
    ]);
    week.series.push(("t".into(), "bo@example.com".into()));
    let mut store = open(&path).unwrap();
    store.record(&week, at(1, 8)).unwrap();
    week.occurrences.remove(2);
    week.occurrences[1].start = at(9, 12);
    store.record(&week, at(1, 9)).unwrap();
    assert_eq!(store.change_count().unwrap(), 2);

    let watcher = Connection::open(&path).unwrap();
    let before = (data_version(&watcher), rows(&watcher));
    let writes = store.conn.total_changes();
    let again = store.record(&week, at(2, 9)).unwrap();
    assert_eq!(again, RecordSummary::default());
    assert_eq!(store.conn.total_changes(), writes, "rows written");
    assert_eq!((data_version(&watcher), rows(&watcher)), before);

    // A change is still recorded and logged as before, and only it is written.
    week.occurrences[0].start = at(2, 13);
    week.occurrences[0].end = at(2, 14);
    let summary = store.record(&week, at(3, 9)).unwrap();
    assert_eq!((summary.new, summary.changed, summary.deleted), (0, 1, 0));
    // The row and its change log entry.
    assert_eq!(store.conn.total_changes(), writes + 2);
    assert_ne!(data_version(&watcher), before.0);
    let logged: (String, String, String) = watcher
        .query_row(
            "SELECT seen_at, old, new FROM change ORDER BY id DESC LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        logged,
        (
            "2026-03-03T09:00:00Z".to_string(),
            "2026-03-02T10:00:00Z..2026-03-02T10:30:00Z -".to_string(),
            "2026-03-02T13:00:00Z..2026-03-02T14:00:00Z -".to_string()
        )
    );
    let stored = store.occurrences(&["s"]).unwrap();
    assert_eq!(stored[0].times_moved, 1);
    assert_eq!(stored[0].last_seen, at(3, 9));
    assert_eq!(stored[1].last_seen, at(1, 9));
    assert_eq!(stored[2].cancelled, Some(Cancellation::Deleted));
}

#[test]
fn a_new_counterpart_is_written_and_the_same_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("s.db")).unwrap();
    let mut week = seen(vec![obs(2, 10, None)]);
    store.record(&week, at(1, 8)).unwrap();
    let writes = store.conn.total_changes();
    store.record(&week, at(1, 9)).unwrap();
    assert_eq!(store.conn.total_changes(), writes);
    week.series[0].1 = "ann@example.org".into();
    store.record(&week, at(1, 10)).unwrap();
    assert_eq!(store.conn.total_changes(), writes + 1);
    let (counterpart, first, last): (String, String, String) = store
        .conn
        .query_row(
            "SELECT counterpart, first_seen, last_seen FROM series WHERE uid = 's'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (counterpart.as_str(), first.as_str(), last.as_str()),
        (
            "ann@example.org",
            "2026-03-01T08:00:00Z",
            "2026-03-01T10:00:00Z"
        )
    );
}

/// A history holding series `s` at 10:00 and `t` at 15:00 on these days of March.
fn two_series(s_days: &[u32], t_days: &[u32]) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("s.db")).unwrap();
    let other = |day: u32| Observation {
        series_uid: "t".into(),
        ..obs(day, 15, None)
    };
    let s = s_days.iter().map(|&day| obs(day, 10, None));
    let mut month = seen(s.chain(t_days.iter().map(|&day| other(day))).collect());
    month.series.push(("t".into(), "bo@example.com".into()));
    store.record(&month, at(1, 8)).unwrap();
    (dir, store)
}

#[test]
fn occurrences_of_each_group_are_those_of_its_series() {
    let (_dir, store) = two_series(&[9, 2], &[3]);
    let each = store
        .occurrences_of_each(&[vec!["t"], vec!["s", "t"], vec![], vec!["gone"], vec!["s"]])
        .unwrap();
    let days = |occurrences: &[StoredOccurrence]| -> Vec<(String, u32)> {
        occurrences
            .iter()
            .map(|o| (o.series_uid.clone(), chrono::Datelike::day(&o.scheduled)))
            .collect()
    };
    let t = |d| ("t".to_string(), d);
    let s = |d| ("s".to_string(), d);
    assert_eq!(days(&each[0]), [t(3)]);
    assert_eq!(days(&each[1]), [s(2), t(3), s(9)]);
    assert!(each[2].is_empty() && each[3].is_empty());
    assert_eq!(each[4].to_vec(), store.occurrences(&["s"]).unwrap());
    assert_eq!(each[1].to_vec(), store.occurrences(&["s", "t"]).unwrap());
}

#[test]
fn the_scheduled_span_is_that_of_the_series_asked_for() {
    let (_dir, store) = two_series(&[9, 12], &[3, 28]);
    let span = |first, last| Some(Span { first, last });
    assert_eq!(
        store.scheduled_span(&["s"]).unwrap(),
        span(at(9, 10), at(12, 10))
    );
    assert_eq!(
        store.scheduled_span(&["t", "s"]).unwrap(),
        span(at(3, 10), at(28, 10))
    );
    assert_eq!(store.scheduled_span(&["gone"]).unwrap(), None);
    assert_eq!(store.scheduled_span(&[]).unwrap(), None);
}

#[test]
fn moved_and_moved_back_is_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("s.db")).unwrap();
    store
        .record(&seen(vec![obs(2, 10, None)]), at(1, 8))
        .unwrap();
    store
        .record(&seen(vec![obs(2, 14, None)]), at(1, 9))
        .unwrap();
    let summary = store
        .record(&seen(vec![obs(2, 10, None)]), at(1, 10))
        .unwrap();
    assert_eq!(summary.changed, 1);
    let stored = &store.occurrences(&["s"]).unwrap()[0];
    assert_eq!(stored.times_moved, 2);
    assert_eq!(stored.moved_by(), Duration::zero());
    assert_eq!(store.change_count().unwrap(), 2);
}

#[test]
fn deleted_outright_is_still_known_but_a_shortened_series_is_not_a_deletion() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("s.db")).unwrap();
    store
        .record(
            &seen(vec![
                obs(2, 10, None),
                obs(9, 10, None),
                obs(16, 10, None),
                obs(23, 10, None),
            ]),
            at(1, 8),
        )
        .unwrap();
    // the 9th deleted; the series now ends on the 16th (the 23rd is not a deletion)
    let summary = store
        .record(&seen(vec![obs(2, 10, None), obs(16, 10, None)]), at(1, 9))
        .unwrap();
    assert_eq!(summary.deleted, 1);
    let stored = store.occurrences(&["s"]).unwrap();
    assert_eq!(stored[1].cancelled, Some(Cancellation::Deleted));
    assert_eq!(stored[3].cancelled, None);
    // a series missing from this cycle (its source failed) is left alone
    let other = Observations {
        series: vec![],
        occurrences: vec![],
        window: (at(1, 0), at(31, 0)),
    };
    assert_eq!(
        store.record(&other, at(1, 10)).unwrap(),
        RecordSummary::default()
    );
}

#[test]
fn a_series_retimed_as_a_whole_keeps_one_row_per_meeting() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("s.db")).unwrap();
    store
        .record(
            &seen(vec![
                obs(2, 10, None),
                obs(9, 10, Some(Cancellation::Exdate)),
            ]),
            at(1, 8),
        )
        .unwrap();
    // The whole series moved an hour later: every RECURRENCE-ID changed with it.
    let retimed = |day: u32, cancelled| Observation {
        recurrence_id: format!("2026-03-{day:02}T11:00:00Z"),
        scheduled: at(day, 11),
        start: at(day, 11),
        end: at(day, 11) + Duration::minutes(30),
        ..obs(day, 11, cancelled)
    };
    let summary = store
        .record(
            &seen(vec![
                retimed(2, None),
                retimed(9, Some(Cancellation::Exdate)),
            ]),
            at(1, 9),
        )
        .unwrap();
    assert_eq!((summary.new, summary.changed, summary.deleted), (2, 2, 0));
    let stored = store.occurrences(&["s"]).unwrap();
    let slots: Vec<_> = stored.iter().map(|o| (o.scheduled, o.cancelled)).collect();
    assert_eq!(
        slots,
        [(at(2, 11), None), (at(9, 11), Some(Cancellation::Exdate))]
    );
    assert_eq!(stored[0].first_seen, at(1, 8));
    assert_eq!(stored[0].times_moved, 1);
    // Nothing new the next cycle.
    let again = store
        .record(
            &seen(vec![
                retimed(2, None),
                retimed(9, Some(Cancellation::Exdate)),
            ]),
            at(1, 10),
        )
        .unwrap();
    assert_eq!(again, RecordSummary::default());
}

#[test]
fn an_occurrence_deleted_next_to_another_that_stays_is_a_deletion() {
    // Twice a day: the 10:00 one deleted outright, the 16:00 one (known before) remains.
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("s.db")).unwrap();
    let afternoon = Observation {
        recurrence_id: "2026-03-02T16:00:00Z".into(),
        scheduled: at(2, 16),
        start: at(2, 16),
        end: at(2, 16) + Duration::minutes(30),
        ..obs(2, 16, None)
    };
    store
        .record(&seen(vec![obs(2, 10, None), afternoon.clone()]), at(1, 8))
        .unwrap();
    let summary = store.record(&seen(vec![afternoon]), at(1, 9)).unwrap();
    assert_eq!(summary.deleted, 1);
}

#[test]
fn stored_times_read_and_write_as_chrono_would() {
    let chrono_text = |t: DateTime<Utc>| t.format(TIME_FORMAT).to_string();
    let chrono_time = |s: &str| {
        chrono::NaiveDateTime::parse_from_str(s, TIME_FORMAT)
            .map(|t| t.and_utc())
            .unwrap_or_default()
    };
    let times = [
        at(2, 10),
        DateTime::<Utc>::UNIX_EPOCH,
        NaiveDate::from_ymd_opt(0, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc(),
        NaiveDate::from_ymd_opt(9999, 12, 31)
            .unwrap()
            .and_hms_opt(23, 59, 59)
            .unwrap()
            .and_utc(),
        NaiveDate::from_ymd_opt(10000, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc(),
        NaiveDate::from_ymd_opt(-1, 6, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc(),
        DateTime::<Utc>::MAX_UTC,
    ];
    // And a time every 7,919 minutes (a prime: every hour, minute and day comes round) over
    // 1990 to 2110.
    let spread =
        (0..8_000).map(|i| at(1, 0) - Duration::days(365 * 36) + Duration::minutes(i * 7_919));
    for t in times.into_iter().chain(spread) {
        assert_eq!(text(t), chrono_text(t));
        assert_eq!(time(&text(t)), chrono_time(&chrono_text(t)), "{t}");
    }
    for s in [
        "2026-03-02T10:00:00Z",
        "2026-02-30T10:00:00Z",
        "2026-03-02T24:00:00Z",
        "2026-03-02T10:00:60Z",
        "2026-03-02 10:00:00Z",
        "2026-03-02T10:00:00",
        "+10000-01-01T00:00:00Z",
        "2026-3-02T10:00:00ZZ",
        "２026-03-02T10:00:0Z",
        "",
        "garbage",
    ] {
        assert_eq!(time(s), chrono_time(s), "{s}");
    }
}

/// A long-running process records the same observations once: the next cycle that sees
/// them reads nothing; what another connection writes meanwhile is seen again.
#[test]
fn the_same_observations_are_recorded_once_until_another_connection_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    let week = seen(vec![obs(2, 10, None), obs(9, 10, None)]);
    let mut store = open(&path).unwrap();
    assert_eq!(store.record(&week, at(20, 8)).unwrap().new, 2);
    assert_eq!(store.occurrences(&["s"]).unwrap().len(), 2);

    // Proof that the second record reads nothing: a row removed behind its back through its
    // own connection (which tete never does) is not noticed.
    store
        .conn
        .execute(
            "DELETE FROM occurrence WHERE recurrence_id LIKE '2026-03-09%'",
            [],
        )
        .unwrap();
    assert_eq!(
        store.record(&week, at(20, 9)).unwrap(),
        RecordSummary::default()
    );
    assert_eq!(store.occurrences(&["s"]).unwrap().len(), 2, "read again");

    // Another connection's commit (another tete, `tete resume`) drops what was known: the
    // row is recorded again and read back.
    let other = Connection::open(&path).unwrap();
    other
        .execute("UPDATE series SET last_seen = '2026-03-20T10:00:00Z'", [])
        .unwrap();
    assert_eq!(store.record(&week, at(20, 10)).unwrap().new, 1);
    assert_eq!(store.occurrences(&["s"]).unwrap().len(), 2);

    // An observation that differs is recorded.
    let moved = seen(vec![obs(2, 10, None), obs(9, 12, None)]);
    assert_eq!(store.record(&moved, at(20, 11)).unwrap().changed, 1);
    let stored = store.occurrences(&["s"]).unwrap();
    assert_eq!(stored[1].start, at(9, 12));
}

/// A window that begins earlier than the last record's (the clock was set back) is
/// recorded even when the observations are the same: it reaches stored occurrences the
/// last record did not look at.
#[test]
fn a_window_that_begins_earlier_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    let mut store = open(&path).unwrap();
    let mut week = seen(vec![obs(2, 10, None), obs(9, 10, None)]);
    store.record(&week, at(20, 8)).unwrap();
    // Later: the window begins after the 2nd.
    week.window.0 = at(5, 0);
    week.occurrences.remove(0);
    store.record(&week, at(25, 8)).unwrap();
    // The clock set back, and the meeting of the 2nd deleted meanwhile: the same
    // observations as the last record, over a window that reaches the 2nd again.
    week.window.0 = at(1, 0);
    let summary = store.record(&week, at(20, 9)).unwrap();
    assert_eq!(summary.deleted, 1);
}

#[test]
fn occurrences_of_a_series_not_named_are_kept_under_a_series_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("state.sqlite")).unwrap();
    let nameless = Observations {
        series: Vec::new(),
        ..seen(vec![obs(2, 10, None), obs(9, 10, None)])
    };
    assert_eq!(store.record(&nameless, at(20, 8)).unwrap().new, 2);
    // Seen again, then with its counterpart: nothing new, one series all along.
    assert_eq!(store.record(&nameless, at(20, 9)).unwrap().new, 0);
    assert_eq!(
        store
            .record(&seen(vec![obs(2, 10, None)]), at(20, 10))
            .unwrap()
            .new,
        0
    );
    let stored = store.occurrences_of_each(&[vec!["s"]]).unwrap();
    assert_eq!(stored[0].len(), 2);
}
