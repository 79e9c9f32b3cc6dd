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
    assert_eq!(stored[0].last_seen, at(20, 9));
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
