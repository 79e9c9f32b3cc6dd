//! The history's schema, as a list of migrations that are only ever added to: a released
//! migration is never edited, so any older file can be brought up to date. The state
//! file's owner applies them (as the component `history`) and records how many were;
//! files from before it counted them in `PRAGMA user_version`.

/// Every migration, in order. Append; never edit or remove one.
pub const MIGRATIONS: &[&str] = &[
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
    // 5: action items tete keeps as tasks (VTODO) in the manager's task list: the item each
    // task stands for and what tete last wrote into it (the base of a three-way merge), so
    // a person's edit is told from tete's and a task completed or deleted closes its item.
    "CREATE TABLE task (
        uid          TEXT PRIMARY KEY,
        list         TEXT NOT NULL,
        relationship TEXT NOT NULL,
        key          TEXT NOT NULL,
        line         TEXT NOT NULL,
        first_raised TEXT NOT NULL,
        href         TEXT NOT NULL,
        summary      TEXT NOT NULL,
        due          TEXT,
        category     TEXT NOT NULL,
        description  TEXT NOT NULL,
        related_to   TEXT NOT NULL,
        done         INTEGER NOT NULL DEFAULT 0,
        closed_in_list INTEGER NOT NULL DEFAULT 0,
        synced_at    TEXT NOT NULL
     );",
    // 6: occurrences name their series by a number, not its UID: an Exchange UID is over
    // 100 bytes, and it was stored three times per occurrence (the row and both indexes:
    // 5.5 of the 9.9 MB of a first cycle over the 100,000-event bench calendar). The id is
    // an INTEGER PRIMARY KEY, which VACUUM keeps. An occurrence whose series has no row
    // (none is written so) gets one, with no counterpart until its series is seen again.
    "CREATE TABLE series_by_id (
        id          INTEGER PRIMARY KEY,
        uid         TEXT NOT NULL UNIQUE,
        counterpart TEXT NOT NULL,
        first_seen  TEXT NOT NULL,
        last_seen   TEXT NOT NULL
     );
     INSERT INTO series_by_id (uid, counterpart, first_seen, last_seen)
        SELECT uid, counterpart, first_seen, last_seen FROM series ORDER BY rowid;
     INSERT INTO series_by_id (uid, counterpart, first_seen, last_seen)
        SELECT series_uid, '', min(first_seen), max(last_seen) FROM occurrence
        WHERE series_uid NOT IN (SELECT uid FROM series)
        GROUP BY series_uid;
     CREATE TABLE occurrence_by_series (
        series        INTEGER NOT NULL,
        recurrence_id TEXT NOT NULL,
        scheduled     TEXT NOT NULL,
        start         TEXT NOT NULL,
        end           TEXT NOT NULL,
        cancelled     TEXT,
        times_moved   INTEGER NOT NULL DEFAULT 0,
        first_seen    TEXT NOT NULL,
        last_seen     TEXT NOT NULL,
        PRIMARY KEY (series, recurrence_id)
     );
     INSERT INTO occurrence_by_series
        SELECT s.id, o.recurrence_id, o.scheduled, o.start, o.end, o.cancelled,
               o.times_moved, o.first_seen, o.last_seen
        FROM occurrence o JOIN series_by_id s ON s.uid = o.series_uid;
     DROP TABLE occurrence;
     DROP TABLE series;
     ALTER TABLE series_by_id RENAME TO series;
     ALTER TABLE occurrence_by_series RENAME TO occurrence;
     CREATE INDEX occurrence_by_time ON occurrence (series, scheduled);",
];
