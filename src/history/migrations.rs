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
];
