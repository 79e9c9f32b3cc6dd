//! What a cycle remembers of what it read, so that the next cycle reads only what changed:
//! opaque bodies the cycle writes and reads back (`cycle::cache` says what is in them), in
//! tables of their own (`cycle_cache*`). A cache never changes a result: anything missing,
//! unreadable or from another configuration is read again from the calendars.
//!
//! One *scope* (a hash of the configuration the cached results depend on) is kept: saving
//! under a new scope drops every other, so a changed config leaves no stale rows behind.

use rusqlite::{OptionalExtension, params};

use super::{HistoryError, Store, text};

/// Schema changes of the cache (the state file's component `cycle_cache`), in order. Only
/// ever append.
pub const MIGRATIONS: &[&str] = &[
    // 1: the whole calendars' digest, and one row per resource read.
    "CREATE TABLE cycle_cache (
        scope    TEXT PRIMARY KEY,
        body     BLOB NOT NULL,
        saved_at TEXT NOT NULL
     );
     CREATE TABLE cycle_cache_resource (
        scope  TEXT NOT NULL,
        origin TEXT NOT NULL,
        stamp  TEXT NOT NULL,
        hash   TEXT NOT NULL,
        body   BLOB NOT NULL,
        PRIMARY KEY (scope, origin)
     );",
    // 2: an index of the resources (what is in how many), read only when some changed.
    "ALTER TABLE cycle_cache ADD COLUMN idx BLOB;",
    // 3: every resource's stamp read from an index alone (not from rows with digests).
    "CREATE INDEX cycle_cache_resource_stamp ON cycle_cache_resource (scope, origin, stamp);",
];

/// One resource's cached digest: how it looked when read (`stamp`: etag or file metadata;
/// `hash`: of its bytes) and what was read from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedResource {
    /// Where it was read (as events and warnings name it).
    pub origin: String,
    /// Its etag, or its file's metadata, when read.
    pub stamp: String,
    /// SHA-256 of its bytes, hex; empty for a big file or feed body, known by its stamp.
    pub hash: String,
    /// What the cycle keeps of it.
    pub body: Vec<u8>,
}

impl Store {
    /// The calendars' digest saved under `scope`, if any.
    pub fn cached(&self, scope: &str) -> Result<Option<Vec<u8>>, HistoryError> {
        self.conn
            .query_row(
                "SELECT body FROM cycle_cache WHERE scope = ?1",
                [scope],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    /// The index saved with the calendars' digest under `scope`, if any.
    pub fn cached_index(&self, scope: &str) -> Result<Option<Vec<u8>>, HistoryError> {
        self.conn
            .query_row(
                "SELECT idx FROM cycle_cache WHERE scope = ?1",
                [scope],
                |row| row.get(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(|e| self.sqlite(e))
    }

    /// Every resource saved under `scope`: its origin and stamp (from an index: not its
    /// digest).
    pub fn cached_stamps(&self, scope: &str) -> Result<Vec<(String, String)>, HistoryError> {
        let read = || -> rusqlite::Result<Vec<(String, String)>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT origin, stamp FROM cycle_cache_resource WHERE scope = ?1",
            )?;
            let rows = stmt.query_map([scope], |row| Ok((row.get(0)?, row.get(1)?)))?;
            rows.collect()
        };
        read().map_err(|e| self.sqlite(e))
    }

    /// The digests saved under `scope` of these origins (those it has).
    pub fn cached_bodies(
        &self,
        scope: &str,
        origins: &[String],
    ) -> Result<Vec<CachedResource>, HistoryError> {
        let read = || -> rusqlite::Result<Vec<CachedResource>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT origin, stamp, hash, body FROM cycle_cache_resource
                 WHERE scope = ?1 AND origin = ?2",
            )?;
            let mut out = Vec::new();
            for origin in origins {
                let row = stmt
                    .query_row(params![scope, origin], |row| {
                        Ok(CachedResource {
                            origin: row.get(0)?,
                            stamp: row.get(1)?,
                            hash: row.get(2)?,
                            body: row.get(3)?,
                        })
                    })
                    .optional()?;
                out.extend(row);
            }
            Ok(out)
        };
        read().map_err(|e| self.sqlite(e))
    }

    /// Every resource digest saved under `scope`, by origin.
    pub fn cached_resources(&self, scope: &str) -> Result<Vec<CachedResource>, HistoryError> {
        let read = || -> rusqlite::Result<Vec<CachedResource>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT origin, stamp, hash, body FROM cycle_cache_resource WHERE scope = ?1",
            )?;
            let rows = stmt.query_map([scope], |row| {
                Ok(CachedResource {
                    origin: row.get(0)?,
                    stamp: row.get(1)?,
                    hash: row.get(2)?,
                    body: row.get(3)?,
                })
            })?;
            rows.collect()
        };
        read().map_err(|e| self.sqlite(e))
    }

    /// Saves the calendars' digest and index under `scope`, with the resources that
    /// changed since the last save (`changed`, replacing theirs) and without those no
    /// longer read (`gone`), in one transaction; other scopes are dropped.
    pub fn save_cache(
        &mut self,
        scope: &str,
        body: &[u8],
        index: &[u8],
        changed: &[CachedResource],
        gone: &[String],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), HistoryError> {
        let path = self.path.clone();
        let save = |conn: &mut rusqlite::Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            // Only when another scope is there: deleting by `!=` reads every row.
            let others: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM cycle_cache WHERE scope != ?1)",
                [scope],
                |row| row.get(0),
            )?;
            if others {
                tx.execute("DELETE FROM cycle_cache WHERE scope != ?1", [scope])?;
                tx.execute(
                    "DELETE FROM cycle_cache_resource WHERE scope != ?1",
                    [scope],
                )?;
            }
            tx.execute(
                "INSERT OR REPLACE INTO cycle_cache (scope, body, idx, saved_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![scope, body, index, text(now)],
            )?;
            {
                let mut put = tx.prepare_cached(
                    "INSERT OR REPLACE INTO cycle_cache_resource (scope, origin, stamp, hash, body)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for r in changed {
                    put.execute(params![scope, r.origin, r.stamp, r.hash, r.body])?;
                }
                let mut drop = tx.prepare_cached(
                    "DELETE FROM cycle_cache_resource WHERE scope = ?1 AND origin = ?2",
                )?;
                for origin in gone {
                    drop.execute(params![scope, origin])?;
                }
            }
            tx.commit()
        };
        save(&mut self.conn).map_err(|source| HistoryError::Sqlite { path, source })?;
        self.committed();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let conn = rusqlite::Connection::open(&path).unwrap();
        for sql in super::super::MIGRATIONS.iter().chain(MIGRATIONS) {
            conn.execute_batch(sql).unwrap();
        }
        (dir, Store::new(conn, path))
    }

    fn resource(origin: &str, body: &[u8]) -> CachedResource {
        CachedResource {
            origin: origin.into(),
            stamp: "1;2".into(),
            hash: "h".into(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn a_new_scope_drops_the_old_one() {
        let (_dir, mut store) = store();
        let now = chrono::Utc::now();
        store
            .save_cache("a", b"one", b"i", &[resource("x.ics", b"x")], &[], now)
            .unwrap();
        assert_eq!(store.cached("a").unwrap().as_deref(), Some(&b"one"[..]));
        store
            .save_cache("b", b"two", b"i", &[resource("y.ics", b"y")], &[], now)
            .unwrap();
        assert_eq!(store.cached("a").unwrap(), None);
        assert!(store.cached_resources("a").unwrap().is_empty());
        assert_eq!(
            store.cached_resources("b").unwrap(),
            [resource("y.ics", b"y")]
        );
    }

    #[test]
    fn only_changed_resources_are_written_and_gone_ones_dropped() {
        let (_dir, mut store) = store();
        let now = chrono::Utc::now();
        let (x, y) = (resource("x.ics", b"x"), resource("y.ics", b"y"));
        store
            .save_cache("a", b"1", b"i", &[x.clone(), y.clone()], &[], now)
            .unwrap();
        let y2 = resource("y.ics", b"y2");
        store
            .save_cache(
                "a",
                b"2",
                b"i",
                std::slice::from_ref(&y2),
                &["x.ics".into()],
                now,
            )
            .unwrap();
        assert_eq!(store.cached_resources("a").unwrap(), [y2]);
    }
}
