//! Writes that keep failing: a resource whose write failed for good (the server refused it,
//! or failed inside even after the client's retries) is tried again only after a wait that
//! doubles with each failure, from an hour up to a week, so a broken event costs one request
//! a week instead of one every cycle. A success forgets it.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, params};

use super::{HistoryError, Store, text, time};

/// The first wait after a failure.
const FIRST_WAIT: Duration = Duration::hours(1);
/// The longest wait.
const LONGEST_WAIT: Duration = Duration::days(7);

/// A resource whose writes are held back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldWrite {
    /// The resource (`calendar/href`).
    pub resource: String,
    /// Failures in a row.
    pub failures: u32,
    /// The last error.
    pub last_error: String,
    /// Not tried again before this time (UTC).
    pub retry_at: DateTime<Utc>,
}

impl Store {
    /// The hold on a resource, when its writes are held back at `now`.
    pub fn held_write(
        &self,
        resource: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<HeldWrite>, HistoryError> {
        Ok(self
            .write_failure(resource)?
            .filter(|held| held.retry_at > now))
    }

    /// Every resource whose writes failed for good, oldest retry first.
    pub fn held_writes(&self) -> Result<Vec<HeldWrite>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT resource, failures, last_error, retry_at FROM write_failure
                 ORDER BY retry_at",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([], |row| {
                Ok(HeldWrite {
                    resource: row.get(0)?,
                    failures: row.get(1)?,
                    last_error: row.get(2)?,
                    retry_at: time(&row.get::<_, String>(3)?),
                })
            })
            .map_err(|e| self.sqlite(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sqlite(e))
    }

    fn write_failure(&self, resource: &str) -> Result<Option<HeldWrite>, HistoryError> {
        self.conn
            .query_row(
                "SELECT failures, last_error, retry_at FROM write_failure WHERE resource = ?1",
                [resource],
                |row| {
                    Ok(HeldWrite {
                        resource: resource.to_string(),
                        failures: row.get(0)?,
                        last_error: row.get(1)?,
                        retry_at: time(&row.get::<_, String>(2)?),
                    })
                },
            )
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    /// Records a write that failed for good; returns when it will be tried again.
    pub fn record_write_failure(
        &self,
        resource: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, HistoryError> {
        let failures = self
            .write_failure(resource)?
            .map_or(1, |held| held.failures.saturating_add(1));
        let wait = FIRST_WAIT
            .checked_mul(1 << (failures - 1).min(10))
            .unwrap_or(LONGEST_WAIT)
            .min(LONGEST_WAIT);
        let retry_at = now + wait;
        self.conn
            .execute(
                "INSERT INTO write_failure (resource, failures, last_error, retry_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (resource) DO UPDATE SET failures = ?2, last_error = ?3, retry_at = ?4",
                params![resource, failures, error, text(retry_at)],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(retry_at)
    }

    /// Forgets a resource's failures (it was written).
    pub fn clear_write_failure(&self, resource: &str) -> Result<(), HistoryError> {
        self.conn
            .execute("DELETE FROM write_failure WHERE resource = ?1", [resource])
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn the_wait_doubles_up_to_a_week_and_a_success_forgets() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::history::tests::open(&dir.path().join("s.db")).unwrap();
        let now = NaiveDate::from_ymd_opt(2026, 12, 1)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap()
            .and_utc();
        let r = "work//cal/a.ics";
        assert_eq!(store.held_write(r, now).unwrap(), None);
        let waits: Vec<i64> = (0..10)
            .map(|_| (store.record_write_failure(r, "500", now).unwrap() - now).num_hours())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 168, 168]);
        let held = store.held_write(r, now).unwrap().unwrap();
        assert_eq!((held.failures, held.last_error.as_str()), (10, "500"));
        assert_eq!(store.held_write(r, now + Duration::days(8)).unwrap(), None);
        assert_eq!(store.held_writes().unwrap().len(), 1);
        store.clear_write_failure(r).unwrap();
        assert_eq!(store.held_writes().unwrap(), Vec::new());
    }
}
