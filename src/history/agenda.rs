//! What the agenda writer keeps: every action item of a relationship (so an item keeps its
//! identity and age as it travels) and a hash of each block tete wrote (so it can tell its
//! own text from a person's, and never re-add a block someone removed).

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::{HistoryError, Store, sqlite_error, text};

/// One action item as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredItem {
    /// Its identity (normalised text and owner).
    pub key: String,
    /// The item as last seen, as a checklist line.
    pub line: String,
    /// The date of the meeting it was first seen in.
    pub first_raised: NaiveDate,
    /// When it was seen checked, if it was.
    pub closed_at: Option<DateTime<Utc>>,
    /// Closed because a person finished its task in the task list (not in the notes).
    pub closed_in_list: bool,
}

/// A short, stable fingerprint of a block's text.
pub fn block_hash(block: &str) -> String {
    let digest = Sha256::digest(block.as_bytes());
    hex::encode(&digest[..16])
}

impl Store {
    /// Every item of a relationship, oldest first.
    pub fn items(&self, relationship: &str) -> Result<Vec<StoredItem>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT key, line, first_raised, closed_at,
                        EXISTS (SELECT 1 FROM task WHERE task.relationship = item.relationship
                                AND task.key = item.key AND task.closed_in_list = 1)
                 FROM item WHERE relationship = ?1 ORDER BY first_raised, rowid",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([relationship], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<String>>(3)?,
                    row.get::<_, bool>(4)?,
                ))
            })
            .map_err(|e| self.sqlite(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (key, line, first, closed, closed_in_list) = row.map_err(|e| self.sqlite(e))?;
            out.push(StoredItem {
                key,
                line,
                first_raised: NaiveDate::parse_from_str(&first, "%Y-%m-%d").unwrap_or_default(),
                closed_at: closed.as_deref().map(super::time),
                closed_in_list,
            });
        }
        Ok(out)
    }

    /// Records items seen in a relationship's meetings: new ones are added with the date of
    /// the meeting they were seen in; an item seen checked is closed; an open item keeps its
    /// first date. Returns how many items changed.
    pub fn record_items(
        &mut self,
        relationship: &str,
        seen: &[(String, String, NaiveDate, bool)],
        now: DateTime<Utc>,
    ) -> Result<usize, HistoryError> {
        let sqlite = sqlite_error(&self.path.clone());
        let tx = self.conn.transaction().map_err(&sqlite)?;
        let mut changed = 0;
        for (key, line, raised, done) in seen {
            let before: Option<(String, Option<String>)> = tx
                .query_row(
                    "SELECT line, closed_at FROM item WHERE relationship = ?1 AND key = ?2",
                    params![relationship, key],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(&sqlite)?;
            let closed_at = done.then(|| text(now));
            match before {
                None => {
                    tx.execute(
                        "INSERT INTO item (relationship, key, line, first_raised, closed_at)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![relationship, key, line, raised.to_string(), closed_at],
                    )
                    .map_err(&sqlite)?;
                    changed += 1;
                }
                Some((_, None)) if *done => {
                    tx.execute(
                        "UPDATE item SET closed_at = ?3, line = ?4 WHERE relationship = ?1 AND key = ?2",
                        params![relationship, key, closed_at, line],
                    )
                    .map_err(&sqlite)?;
                    changed += 1;
                }
                Some(_) => {}
            }
        }
        tx.commit().map_err(&sqlite)?;
        Ok(changed)
    }

    /// The hash of the block tete last wrote into this occurrence, if it wrote one.
    pub fn written(
        &self,
        series_uid: &str,
        recurrence_id: &str,
    ) -> Result<Option<String>, HistoryError> {
        self.conn
            .query_row(
                "SELECT block_hash FROM written WHERE series_uid = ?1 AND recurrence_id = ?2",
                params![series_uid, recurrence_id],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    /// Remembers that tete wrote `block` into this occurrence.
    pub fn record_written(
        &self,
        series_uid: &str,
        recurrence_id: &str,
        block: &str,
        now: DateTime<Utc>,
    ) -> Result<(), HistoryError> {
        self.conn
            .execute(
                "INSERT INTO written (series_uid, recurrence_id, block_hash, written_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (series_uid, recurrence_id) DO UPDATE SET block_hash = ?3, written_at = ?4",
                params![series_uid, recurrence_id, block_hash(block), text(now)],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(d: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(2026, 3, d)
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap()
            .and_utc()
    }

    #[test]
    fn items_keep_their_first_date_and_close_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::history::tests::open(&dir.path().join("s.db")).unwrap();
        let d2 = at(2).date_naive();
        let d9 = at(9).date_naive();
        let open = (
            "ann: plan".to_string(),
            "- [ ] Ann: plan".to_string(),
            d2,
            false,
        );
        assert_eq!(
            store
                .record_items("ann@x", std::slice::from_ref(&open), at(3))
                .unwrap(),
            1
        );
        // carried to the next meeting: still first raised on the 2nd
        let carried = (
            "ann: plan".to_string(),
            "- [ ] Ann: plan".to_string(),
            d9,
            false,
        );
        assert_eq!(store.record_items("ann@x", &[carried], at(10)).unwrap(), 0);
        let done = (
            "ann: plan".to_string(),
            "- [x] Ann: plan".to_string(),
            d9,
            true,
        );
        assert_eq!(
            store
                .record_items("ann@x", std::slice::from_ref(&done), at(11))
                .unwrap(),
            1
        );
        assert_eq!(store.record_items("ann@x", &[done], at(12)).unwrap(), 0);
        let items = store.items("ann@x").unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].first_raised, d2);
        assert_eq!(items[0].closed_at, Some(at(11)));
        assert!(store.items("bo@x").unwrap().is_empty());
    }

    #[test]
    fn written_blocks_are_remembered_by_hash() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::history::tests::open(&dir.path().join("s.db")).unwrap();
        assert_eq!(store.written("s", "r").unwrap(), None);
        store.record_written("s", "r", "agenda", at(1)).unwrap();
        assert_eq!(store.written("s", "r").unwrap(), Some(block_hash("agenda")));
        assert_ne!(block_hash("agenda"), block_hash("agenda "));
    }
}
