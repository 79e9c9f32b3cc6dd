//! Action items kept as tasks in the manager's task list: which item each task stands for,
//! and what tete last wrote into it (the base of the three-way merge in `tasks`), so a
//! person's edit is told from tete's, and a task completed or deleted closes its item.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::params;

use super::{HistoryError, Store, sqlite_error, text};

/// One task tete created, as it last wrote (or adopted) it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTask {
    /// The task's UID (derived from the item's identity).
    pub uid: String,
    /// The task list it is in (`[tasks] list`): a task missing from another list is not
    /// deleted.
    pub list: String,
    /// The relationship the item belongs to (counterpart key).
    pub relationship: String,
    /// The item's identity ([`super::StoredItem::key`]).
    pub key: String,
    /// The item as a checklist line (to close it with).
    pub line: String,
    /// The date of the meeting the item was first seen in.
    pub first_raised: NaiveDate,
    /// The task's resource in the list.
    pub href: String,
    /// What tete last wrote: `SUMMARY`, as text.
    pub summary: String,
    /// `DUE` as written (`YYYYMMDD`), if any.
    pub due: Option<String>,
    /// `CATEGORIES`, as text.
    pub category: String,
    /// `DESCRIPTION`, as text.
    pub description: String,
    /// `RELATED-TO`.
    pub related_to: String,
    /// tete is done with it: the task was completed (by a person or by tete) or deleted,
    /// and its item closed. It is never touched again.
    pub done: bool,
}

impl Store {
    /// Every task tete created, by UID.
    pub fn tasks(&self) -> Result<Vec<StoredTask>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT uid, relationship, key, line, first_raised, href, summary, due, category,
                        description, related_to, done, list
                 FROM task ORDER BY uid",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([], |row| {
                let first: String = row.get(4)?;
                Ok(StoredTask {
                    uid: row.get(0)?,
                    relationship: row.get(1)?,
                    key: row.get(2)?,
                    line: row.get(3)?,
                    first_raised: NaiveDate::parse_from_str(&first, "%Y-%m-%d").unwrap_or_default(),
                    href: row.get(5)?,
                    summary: row.get(6)?,
                    due: row.get(7)?,
                    category: row.get(8)?,
                    description: row.get(9)?,
                    related_to: row.get(10)?,
                    done: row.get(11)?,
                    list: row.get(12)?,
                })
            })
            .map_err(|e| self.sqlite(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sqlite(e))
    }

    /// Remembers what tete wrote into a task (or found in one it adopted).
    pub fn record_task(&self, task: &StoredTask, now: DateTime<Utc>) -> Result<(), HistoryError> {
        self.conn
            .execute(
                "INSERT INTO task (uid, relationship, key, line, first_raised, href, summary, due,
                                   category, description, related_to, done, synced_at, list)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
                 ON CONFLICT (uid) DO UPDATE SET
                    line = ?4, href = ?6, summary = ?7, due = ?8, category = ?9,
                    description = ?10, related_to = ?11, done = ?12, synced_at = ?13, list = ?14",
                params![
                    task.uid,
                    task.relationship,
                    task.key,
                    task.line,
                    task.first_raised.to_string(),
                    task.href,
                    task.summary,
                    task.due,
                    task.category,
                    task.description,
                    task.related_to,
                    task.done,
                    text(now),
                    task.list
                ],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// The task was completed or deleted in the task list: tete is done with it, and its
    /// item is closed (added closed when the history did not know it yet). One transaction.
    pub fn close_task(
        &mut self,
        task: &StoredTask,
        now: DateTime<Utc>,
    ) -> Result<(), HistoryError> {
        let sqlite = sqlite_error(&self.path.clone());
        let tx = self.conn.transaction().map_err(&sqlite)?;
        tx.execute(
            "UPDATE task SET done = 1, closed_in_list = 1, synced_at = ?2 WHERE uid = ?1",
            params![task.uid, text(now)],
        )
        .map_err(&sqlite)?;
        tx.execute(
            "INSERT INTO item (relationship, key, line, first_raised, closed_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (relationship, key) DO UPDATE SET closed_at = COALESCE(closed_at, ?5)",
            params![
                task.relationship,
                task.key,
                task.line,
                task.first_raised.to_string(),
                text(now)
            ],
        )
        .map_err(&sqlite)?;
        tx.commit().map_err(&sqlite)
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

    fn task() -> StoredTask {
        StoredTask {
            uid: "tete-task-1".into(),
            list: "Tasks".into(),
            relationship: "ann@x".into(),
            key: "mia: plan".into(),
            line: "- [ ] Mia: plan".into(),
            first_raised: at(2).date_naive(),
            href: "tete-task-1.ics".into(),
            summary: "plan".into(),
            due: Some("20260310".into()),
            category: "Ann".into(),
            description: "From your 1:1".into(),
            related_to: "weekly@x".into(),
            done: false,
        }
    }

    #[test]
    fn a_task_is_remembered_and_closing_it_closes_its_item_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::history::tests::open(&dir.path().join("s.db")).unwrap();
        store.record_task(&task(), at(3)).unwrap();
        let changed = StoredTask {
            summary: "plan it".into(),
            ..task()
        };
        store.record_task(&changed, at(4)).unwrap();
        assert_eq!(store.tasks().unwrap(), std::slice::from_ref(&changed));
        // An item the history never saw is added closed.
        store.close_task(&changed, at(5)).unwrap();
        assert!(store.tasks().unwrap()[0].done);
        let items = store.items("ann@x").unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].closed_at, Some(at(5)));
        // Closing again keeps the first closing time.
        store.close_task(&changed, at(6)).unwrap();
        assert_eq!(store.items("ann@x").unwrap()[0].closed_at, Some(at(5)));
    }
}
