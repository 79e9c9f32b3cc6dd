//! One migration runner for every component of the state file. Each component lists its
//! migrations (append-only) beside its SQL; `state_migration` records, per component, which
//! were applied. All run in one immediate transaction: two processes starting at once
//! migrate one after the other, and a failure leaves the file as it was.
//!
//! Files from before this runner recorded the history's migrations in `PRAGMA
//! user_version` and the CalDAV sync's in `caldav_sync_migrations`; both are carried over
//! the first time. `user_version` is then set to [`OWNED`], which an older tete reads as a
//! schema newer than it knows and refuses, rather than using a file it does not understand.

use std::path::Path;

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::StateError;
use crate::history;
use crate::sources::caldav::store as caldav_sync;

/// One part of the state file with its own tables and migrations.
#[derive(Debug, Clone, Copy)]
pub struct Component {
    /// Its name in `state_migration`.
    pub name: &'static str,
    /// Its migrations, in order; only ever appended to.
    pub migrations: &'static [&'static str],
}

/// Every component, in the order their migrations run.
pub const COMPONENTS: &[Component] = &[
    Component {
        name: "history",
        migrations: history::MIGRATIONS,
    },
    Component {
        name: "caldav_sync",
        migrations: caldav_sync::MIGRATIONS,
    },
    Component {
        name: "cycle_cache",
        migrations: history::cache::MIGRATIONS,
    },
];

/// `PRAGMA user_version` of a file whose migrations are recorded in `state_migration`
/// ("tete" in ASCII); any other value is a count of history migrations from before.
pub const OWNED: i64 = 0x7465_7465;

const TABLE: &str = "CREATE TABLE IF NOT EXISTS state_migration (
    component  TEXT NOT NULL,
    version    INTEGER NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (component, version)
)";

/// Brings every component of the file up to date, in one transaction.
pub fn run(
    conn: &mut rusqlite::Connection,
    components: &[Component],
    path: &Path,
) -> Result<(), StateError> {
    let sqlite = |source| StateError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite)?;
    tx.execute_batch(TABLE).map_err(sqlite)?;
    carry_over(&tx).map_err(sqlite)?;
    for component in components {
        let found = applied(&tx, component.name).map_err(sqlite)?;
        let known = component.migrations.len() as i64;
        if found > known {
            return Err(StateError::TooNew {
                path: path.to_path_buf(),
                component: component.name,
                found,
                known,
            });
        }
        for (version, sql) in (1..)
            .zip(component.migrations)
            .skip_while(|(v, _)| *v <= found)
        {
            tx.execute_batch(sql).map_err(sqlite)?;
            record(&tx, component.name, version, &now()).map_err(sqlite)?;
        }
    }
    // Setting `user_version` rewrites the file's first page even to the same value: only
    // when it differs, so opening an up-to-date file writes nothing.
    let marked: i64 = tx
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(sqlite)?;
    if marked != OWNED {
        tx.pragma_update(None, "user_version", OWNED)
            .map_err(sqlite)?;
    }
    tx.commit().map_err(sqlite)
}

/// How many of a component's migrations the file has.
fn applied(tx: &Transaction, component: &str) -> rusqlite::Result<i64> {
    tx.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM state_migration WHERE component = ?1",
        [component],
        |row| row.get(0),
    )
}

fn record(tx: &Transaction, component: &str, version: i64, at: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO state_migration (component, version, applied_at)
         VALUES (?1, ?2, ?3)",
        params![component, version, at],
    )?;
    Ok(())
}

/// Records migrations counted the old ways as applied: the history's in `user_version`
/// (unless it is [`OWNED`]), the CalDAV sync's in `caldav_sync_migrations` (then dropped).
fn carry_over(tx: &Transaction) -> rusqlite::Result<()> {
    let user_version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if user_version != OWNED {
        carry(tx, "history", user_version)?;
    }
    let old_caldav: Option<String> = tx
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'caldav_sync_migrations'",
            [],
            |row| row.get(0),
        )
        .optional()?;
    if old_caldav.is_some() {
        let count: i64 = tx.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM caldav_sync_migrations",
            [],
            |row| row.get(0),
        )?;
        carry(tx, "caldav_sync", count)?;
        tx.execute_batch("DROP TABLE caldav_sync_migrations")?;
    }
    Ok(())
}

/// Records versions `1..=count` of a component as applied (before this runner); a count
/// far beyond any real schema (a foreign `user_version`) only as its last version.
fn carry(tx: &Transaction, component: &str, count: i64) -> rusqlite::Result<()> {
    if count <= 0 {
        return Ok(());
    }
    for version in (1..count.min(1000)).chain([count]) {
        record(tx, component, version, "carried over")?;
    }
    Ok(())
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
