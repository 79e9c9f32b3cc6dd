//! The state file's schema, as a list of migrations that are only ever added to: a
//! released migration is never edited, so any older file can be brought up to date.
//! `PRAGMA user_version` records how many have been applied.

use std::path::Path;

use rusqlite::Connection;

use super::HistoryError;

/// Every migration, in order. Append; never edit or remove one.
const MIGRATIONS: &[&str] = &[
    // 1: 1:1 series and their occurrences, and a log of every change seen.
    "CREATE TABLE series (
        uid         TEXT PRIMARY KEY,
        counterpart TEXT NOT NULL,
        first_seen  TEXT NOT NULL,
        last_seen   TEXT NOT NULL
     );
     CREATE TABLE occurrence (
        series_uid    TEXT NOT NULL,
        recurrence_id TEXT NOT NULL,
        scheduled     TEXT NOT NULL,
        start         TEXT NOT NULL,
        end           TEXT NOT NULL,
        cancelled     TEXT,
        times_moved   INTEGER NOT NULL DEFAULT 0,
        first_seen    TEXT NOT NULL,
        last_seen     TEXT NOT NULL,
        PRIMARY KEY (series_uid, recurrence_id)
     );
     CREATE INDEX occurrence_by_time ON occurrence (series_uid, scheduled);
     CREATE TABLE change (
        id            INTEGER PRIMARY KEY,
        series_uid    TEXT NOT NULL,
        recurrence_id TEXT NOT NULL,
        seen_at       TEXT NOT NULL,
        old           TEXT NOT NULL,
        new           TEXT NOT NULL
     );",
    // 2: action items per relationship, and what tete wrote into each occurrence.
    "CREATE TABLE item (
        relationship TEXT NOT NULL,
        key          TEXT NOT NULL,
        line         TEXT NOT NULL,
        first_raised TEXT NOT NULL,
        closed_at    TEXT,
        PRIMARY KEY (relationship, key)
     );
     CREATE TABLE written (
        series_uid    TEXT NOT NULL,
        recurrence_id TEXT NOT NULL,
        block_hash    TEXT NOT NULL,
        written_at    TEXT NOT NULL,
        PRIMARY KEY (series_uid, recurrence_id)
     );",
    // 3: nudges sent, one row per streak and channel, so each streak is sent once per
    // channel however many cycles it lasts.
    "CREATE TABLE nudge_sent (
        streak       TEXT NOT NULL,
        channel      TEXT NOT NULL,
        relationship TEXT NOT NULL,
        kind         TEXT NOT NULL,
        sent_at      TEXT NOT NULL,
        PRIMARY KEY (streak, channel)
     );",
    // 4: writes that failed for good (a 4xx, a 5xx after retries, an uneditable event),
    // retried only after a growing wait instead of every cycle.
    "CREATE TABLE write_failure (
        resource   TEXT PRIMARY KEY,
        failures   INTEGER NOT NULL,
        last_error TEXT NOT NULL,
        retry_at   TEXT NOT NULL
     );",
];

/// Applies the migrations the file does not have yet, all in one transaction.
pub fn apply(conn: &mut Connection, path: &Path) -> Result<(), HistoryError> {
    let sqlite = super::sqlite_error(path);
    let known = MIGRATIONS.len() as i64;
    let tx = conn.transaction().map_err(&sqlite)?;
    let found: i64 = tx
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(&sqlite)?;
    if found > known {
        return Err(HistoryError::TooNew {
            path: path.to_path_buf(),
            found,
            known,
        });
    }
    for sql in MIGRATIONS.iter().skip(usize::try_from(found).unwrap_or(0)) {
        tx.execute_batch(sql).map_err(&sqlite)?;
    }
    tx.pragma_update(None, "user_version", known)
        .map_err(&sqlite)?;
    tx.commit().map_err(&sqlite)
}
