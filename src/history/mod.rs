//! History: what happened to every occurrence of every 1:1, kept across cycles in an
//! embedded SQLite file.
//!
//! Each cycle hands over what the calendars say now ([`Observations`]); [`Store::record`]
//! compares it with what was stored and writes the difference in one transaction, so a
//! crash leaves the last good state. Because history is kept, an occurrence that was
//! deleted outright, or moved and moved back, is still known.
//!
//! Times are stored as UTC text (`YYYY-MM-DDTHH:MM:SSZ`; dates and floating times as if
//! UTC), which sorts and compares correctly as text.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

mod agenda;
mod backoff;
pub mod cache;
mod migrations;
mod nudge;
mod task;

pub use migrations::MIGRATIONS;

pub use agenda::{StoredItem, block_hash};
pub use backoff::HeldWrite;
pub use nudge::SentNudge;
pub use task::StoredTask;

/// Why an occurrence did not (or will not) take place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancellation {
    /// The occurrence says `STATUS:CANCELLED`.
    Status,
    /// The series lists it in `EXDATE`.
    Exdate,
    /// It was in the calendar before and is gone now while its series is still there.
    Deleted,
    /// One of the two people declined it (`PARTSTAT=DECLINED`): it did not take place.
    Declined,
}

impl Cancellation {
    fn as_str(self) -> &'static str {
        match self {
            Cancellation::Status => "status",
            Cancellation::Exdate => "exdate",
            Cancellation::Deleted => "deleted",
            Cancellation::Declined => "declined",
        }
    }

    fn parse(s: &str) -> Option<Cancellation> {
        match s {
            "status" => Some(Cancellation::Status),
            "exdate" => Some(Cancellation::Exdate),
            "deleted" => Some(Cancellation::Deleted),
            "declined" => Some(Cancellation::Declined),
            _ => None,
        }
    }
}

/// One occurrence as the calendars show it this cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// The series' `UID`.
    pub series_uid: String,
    /// The occurrence's original start, as reported by expansion (its identity).
    pub recurrence_id: String,
    /// The original start as UTC (dates and floating times as if UTC).
    pub scheduled: DateTime<Utc>,
    /// When it starts now.
    pub start: DateTime<Utc>,
    /// When it ends now.
    pub end: DateTime<Utc>,
    /// Why it is cancelled, if it is.
    pub cancelled: Option<Cancellation>,
}

/// What the calendars say this cycle about the 1:1 series, over a window.
#[derive(Debug, Clone, Default)]
pub struct Observations {
    /// The series read successfully this cycle: `(uid, counterpart key)`. Occurrences of
    /// other series are left as they are (their source may just be unreachable).
    pub series: Vec<(String, String)>,
    /// Every occurrence of those series whose original start is in `window`.
    pub occurrences: Vec<Observation>,
    /// `[start, end)` of original starts that expansion covered.
    pub window: (DateTime<Utc>, DateTime<Utc>),
}

/// What one [`Store::record`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordSummary {
    /// Occurrences seen for the first time.
    pub new: usize,
    /// Occurrences whose start, end or cancellation changed.
    pub changed: usize,
    /// Occurrences found deleted outright.
    pub deleted: usize,
}

/// One occurrence as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOccurrence {
    /// The series' `UID`.
    pub series_uid: String,
    /// The original start as reported (identity).
    pub recurrence_id: String,
    /// The original start, UTC.
    pub scheduled: DateTime<Utc>,
    /// The latest known start.
    pub start: DateTime<Utc>,
    /// The latest known end.
    pub end: DateTime<Utc>,
    /// Why it is cancelled, if it is.
    pub cancelled: Option<Cancellation>,
    /// How many times tete saw its start change between cycles (a move and a move back
    /// count two).
    pub times_moved: u32,
    /// When tete first saw it.
    pub first_seen: DateTime<Utc>,
    /// When tete last saw it in a calendar.
    pub last_seen: DateTime<Utc>,
}

impl StoredOccurrence {
    /// How far it is from its original slot (zero when it is where it was planned).
    pub fn moved_by(&self) -> Duration {
        self.start - self.scheduled
    }
}

/// Why the history could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// SQLite failed (a corrupt file, a full disk).
    #[error("state file {}", path.display())]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: rusqlite::Error,
    },
}

/// Turns a SQLite error into a [`HistoryError`] naming the file.
fn sqlite_error(path: &Path) -> impl Fn(rusqlite::Error) -> HistoryError + use<> {
    let path = path.to_path_buf();
    move |source| HistoryError::Sqlite {
        path: path.clone(),
        source,
    }
}

/// What a cycle reads from and records into the history. [`Store`] is the SQLite
/// implementation; another backend would implement this.
pub trait History: Send {
    /// Records one cycle's observations at `now`, all at once.
    fn record(
        &mut self,
        seen: &Observations,
        now: DateTime<Utc>,
    ) -> Result<RecordSummary, HistoryError>;
    /// Every stored occurrence of these series, by original start.
    fn occurrences(&self, series: &[&str]) -> Result<Vec<StoredOccurrence>, HistoryError>;
    /// How many changes have been logged in all.
    fn change_count(&self) -> Result<u64, HistoryError>;
    /// A relationship's action items.
    fn items(&self, relationship: &str) -> Result<Vec<StoredItem>, HistoryError>;
    /// Records the items seen this cycle: `(key, line, date, done)`; returns how many changed.
    fn record_items(
        &mut self,
        relationship: &str,
        seen: &[(String, String, NaiveDate, bool)],
        now: DateTime<Utc>,
    ) -> Result<usize, HistoryError>;
    /// The hash of the block tete last wrote into an occurrence.
    fn written(
        &self,
        series_uid: &str,
        recurrence_id: &str,
    ) -> Result<Option<String>, HistoryError>;
    /// Remembers the block written into an occurrence.
    fn record_written(
        &self,
        series_uid: &str,
        recurrence_id: &str,
        block: &str,
        now: DateTime<Utc>,
    ) -> Result<(), HistoryError>;
    /// The write to `resource` held back at `now`, if it is.
    fn held_write(
        &self,
        resource: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<HeldWrite>, HistoryError>;
    /// Every write held back.
    fn held_writes(&self) -> Result<Vec<HeldWrite>, HistoryError>;
    /// Records a write that failed for good; returns when it is tried again.
    fn record_write_failure(
        &self,
        resource: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, HistoryError>;
    /// Forgets a resource's failures after a write succeeded.
    fn clear_write_failure(&self, resource: &str) -> Result<(), HistoryError>;
    /// Whether a streak's nudge was sent through a channel.
    fn nudge_sent(&self, streak: &str, channel: &str) -> Result<bool, HistoryError>;
    /// Records a nudge sent.
    fn record_nudge_sent(&mut self, sent: &SentNudge) -> Result<(), HistoryError>;
    /// Every nudge sent.
    fn sent_nudges(&self) -> Result<Vec<SentNudge>, HistoryError>;
    /// Every task tete created in the manager's task list.
    fn tasks(&self) -> Result<Vec<StoredTask>, HistoryError>;
    /// Remembers what tete wrote into a task.
    fn record_task(&self, task: &StoredTask, now: DateTime<Utc>) -> Result<(), HistoryError>;
    /// A task was completed or deleted: tete is done with it and its item is closed.
    fn close_task(&mut self, task: &StoredTask, now: DateTime<Utc>) -> Result<(), HistoryError>;
    /// The calendars' digest the last cycle saved under `scope` (see [`cache`]).
    fn cached(&self, scope: &str) -> Result<Option<Vec<u8>>, HistoryError>;
    /// Every resource digest saved under `scope`.
    fn cached_resources(&self, scope: &str) -> Result<Vec<cache::CachedResource>, HistoryError>;
    /// The index saved with the digest under `scope`.
    fn cached_index(&self, scope: &str) -> Result<Option<Vec<u8>>, HistoryError>;
    /// Every resource's origin, stamp and hash saved under `scope`, without the digests.
    fn cached_stamps(&self, scope: &str) -> Result<Vec<(String, String, String)>, HistoryError>;
    /// The resource digests saved under `scope` of these origins.
    fn cached_bodies(
        &self,
        scope: &str,
        origins: &[String],
    ) -> Result<Vec<cache::CachedResource>, HistoryError>;
    /// Saves the calendars' digest, its index and the resources that changed; drops other
    /// scopes.
    fn save_cache(
        &mut self,
        scope: &str,
        body: &[u8],
        index: &[u8],
        changed: &[cache::CachedResource],
        gone: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), HistoryError>;
}

/// The history in the SQLite state file.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

fn text(t: DateTime<Utc>) -> String {
    t.format(TIME_FORMAT).to_string()
}

fn time(s: &str) -> DateTime<Utc> {
    // Every time in the file was written by `text`; a foreign value reads as the epoch
    // rather than failing the whole report.
    NaiveDateTime::parse_from_str(s, TIME_FORMAT)
        .map(|t| t.and_utc())
        .unwrap_or_default()
}

/// Two starts of the same series this close are the same meeting re-timed (the series'
/// time was edited, which changes every RECURRENCE-ID), not one deleted and one added.
const RETIMED_WITHIN: Duration = Duration::hours(12);

impl Store {
    /// The history over `conn`, a connection to the state file at `path` whose schema is
    /// already up to date ([`MIGRATIONS`] applied by the file's owner, `state::StateFile`).
    pub fn new(conn: Connection, path: PathBuf) -> Store {
        Store { conn, path }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sqlite(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Records one cycle's observations at `now`, in one transaction.
    pub fn record(
        &mut self,
        seen: &Observations,
        now: DateTime<Utc>,
    ) -> Result<RecordSummary, HistoryError> {
        let sqlite = sqlite_error(&self.path.clone());
        let tx = self.conn.transaction().map_err(&sqlite)?;
        let mut summary = RecordSummary::default();
        for (uid, counterpart) in &seen.series {
            upsert_series(&tx, uid, counterpart, now).map_err(&sqlite)?;
        }
        let mut new = HashSet::new();
        for obs in &seen.occurrences {
            match upsert_occurrence(&tx, obs, now).map_err(&sqlite)? {
                Upsert::New => {
                    summary.new += 1;
                    new.insert((obs.series_uid.as_str(), obs.recurrence_id.as_str()));
                }
                Upsert::Changed => summary.changed += 1,
                Upsert::Same => {}
            }
        }
        let (deleted, retimed) = mark_deleted(&tx, seen, &new, now).map_err(&sqlite)?;
        summary.deleted = deleted;
        summary.changed += retimed;
        tx.commit().map_err(&sqlite)?;
        Ok(summary)
    }

    /// Every stored occurrence of these series, by original start.
    pub fn occurrences(&self, series: &[&str]) -> Result<Vec<StoredOccurrence>, HistoryError> {
        let mut out = Vec::new();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT series_uid, recurrence_id, scheduled, start, end, cancelled,
                        times_moved, first_seen, last_seen
                 FROM occurrence WHERE series_uid = ?1",
            )
            .map_err(|e| self.sqlite(e))?;
        for uid in series {
            let rows = stmt
                .query_map([uid], |row| {
                    Ok(StoredOccurrence {
                        series_uid: row.get(0)?,
                        recurrence_id: row.get(1)?,
                        scheduled: time(&row.get::<_, String>(2)?),
                        start: time(&row.get::<_, String>(3)?),
                        end: time(&row.get::<_, String>(4)?),
                        cancelled: row
                            .get::<_, Option<String>>(5)?
                            .as_deref()
                            .and_then(Cancellation::parse),
                        times_moved: row.get(6)?,
                        first_seen: time(&row.get::<_, String>(7)?),
                        last_seen: time(&row.get::<_, String>(8)?),
                    })
                })
                .map_err(|e| self.sqlite(e))?;
            for row in rows {
                out.push(row.map_err(|e| self.sqlite(e))?);
            }
        }
        out.sort_by(|a, b| (a.scheduled, &a.series_uid).cmp(&(b.scheduled, &b.series_uid)));
        Ok(out)
    }

    /// How many changes have been logged in all (for tests and `tete check`).
    pub fn change_count(&self) -> Result<u64, HistoryError> {
        self.conn
            .query_row("SELECT count(*) FROM change", [], |row| row.get(0))
            .map_err(|e| self.sqlite(e))
    }
}

fn upsert_series(
    tx: &Transaction,
    uid: &str,
    counterpart: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    exec(
        tx,
        "INSERT INTO series (uid, counterpart, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (uid) DO UPDATE SET counterpart = ?2, last_seen = ?3",
        params![uid, counterpart, text(now)],
    )?;
    Ok(())
}

/// Runs one statement through the connection's statement cache: a cycle runs the same few
/// statements for every occurrence it sees, and preparing each anew was most of recording.
fn exec(tx: &Transaction, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    tx.prepare_cached(sql)?.execute(params)
}

enum Upsert {
    New,
    Changed,
    Same,
}

fn upsert_occurrence(
    tx: &Transaction,
    obs: &Observation,
    now: DateTime<Utc>,
) -> rusqlite::Result<Upsert> {
    let before: Option<(String, String, Option<String>)> = tx
        .prepare_cached(
            "SELECT start, end, cancelled FROM occurrence
             WHERE series_uid = ?1 AND recurrence_id = ?2",
        )?
        .query_row(params![obs.series_uid, obs.recurrence_id], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()?;
    let (start, end) = (text(obs.start), text(obs.end));
    let cancelled = obs.cancelled.map(Cancellation::as_str);
    let Some((old_start, old_end, old_cancelled)) = before else {
        exec(
            tx,
            "INSERT INTO occurrence (series_uid, recurrence_id, scheduled, start, end, cancelled,
                                     times_moved, first_seen, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?7)",
            params![
                obs.series_uid,
                obs.recurrence_id,
                text(obs.scheduled),
                start,
                end,
                cancelled,
                text(now)
            ],
        )?;
        return Ok(Upsert::New);
    };
    let moved = old_start != start;
    let changed = moved || old_end != end || old_cancelled.as_deref() != cancelled;
    exec(
        tx,
        "UPDATE occurrence SET start = ?3, end = ?4, cancelled = ?5, last_seen = ?6,
                times_moved = times_moved + ?7
         WHERE series_uid = ?1 AND recurrence_id = ?2",
        params![
            obs.series_uid,
            obs.recurrence_id,
            start,
            end,
            cancelled,
            text(now),
            i64::from(moved)
        ],
    )?;
    if changed {
        log_change(
            tx,
            obs,
            now,
            &format!(
                "{old_start}..{old_end} {}",
                old_cancelled.as_deref().unwrap_or("-")
            ),
            &format!("{start}..{end} {}", cancelled.unwrap_or("-")),
        )?;
        return Ok(Upsert::Changed);
    }
    Ok(Upsert::Same)
}

fn log_change(
    tx: &Transaction,
    obs: &Observation,
    now: DateTime<Utc>,
    from: &str,
    to: &str,
) -> rusqlite::Result<()> {
    exec(
        tx,
        "INSERT INTO change (series_uid, recurrence_id, seen_at, old, new)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![obs.series_uid, obs.recurrence_id, text(now), from, to],
    )?;
    Ok(())
}

/// Occurrences stored earlier, inside this cycle's window, of a series still present, that
/// the calendar no longer shows: deleted outright. Not when the series merely ended earlier
/// (after its last occurrence now). Nor when the series was re-timed: an occurrence new
/// this cycle (in `new`) within [`RETIMED_WITHIN`] is the same meeting under its new
/// RECURRENCE-ID, so the stale row is folded into it (its first sighting and moves kept)
/// rather than left to count the meeting twice. Returns (deleted, re-timed).
fn mark_deleted(
    tx: &Transaction,
    seen: &Observations,
    new: &HashSet<(&str, &str)>,
    now: DateTime<Utc>,
) -> rusqlite::Result<(usize, usize)> {
    let (mut deleted, mut retimed) = (0, 0);
    for (uid, _) in &seen.series {
        let current: Vec<&Observation> = seen
            .occurrences
            .iter()
            .filter(|o| &o.series_uid == uid)
            .collect();
        let Some(last) = current.iter().map(|o| o.scheduled).max() else {
            continue;
        };
        let mut stmt = tx.prepare_cached(
            "SELECT recurrence_id, scheduled, start, end, first_seen, times_moved FROM occurrence
             WHERE series_uid = ?1 AND scheduled >= ?2 AND scheduled < ?3 AND scheduled <= ?4
               AND (cancelled IS NULL OR cancelled <> 'deleted')",
        )?;
        type Row = (String, String, String, String, String, i64);
        let stored: Vec<Row> = stmt
            .query_map(
                params![uid, text(seen.window.0), text(seen.window.1), text(last)],
                |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                        row.get(5)?,
                    ))
                },
            )?
            .collect::<Result<_, _>>()?;
        for (rid, scheduled, start, end, first_seen, times_moved) in stored {
            let scheduled = time(&scheduled);
            if current.iter().any(|o| o.recurrence_id == rid) {
                continue;
            }
            let replacement = current
                .iter()
                .filter(|o| new.contains(&(uid.as_str(), o.recurrence_id.as_str())))
                .filter(|o| (o.scheduled - scheduled).abs() < RETIMED_WITHIN)
                .min_by_key(|o| (o.scheduled - scheduled).abs());
            let obs = Observation {
                series_uid: uid.clone(),
                recurrence_id: rid.clone(),
                scheduled,
                start: time(&start),
                end: time(&end),
                cancelled: Some(Cancellation::Deleted),
            };
            if let Some(to) = replacement {
                exec(
                    tx,
                    "UPDATE occurrence SET first_seen = min(first_seen, ?3),
                            times_moved = times_moved + ?4 + 1
                     WHERE series_uid = ?1 AND recurrence_id = ?2",
                    params![uid, to.recurrence_id, first_seen, times_moved],
                )?;
                exec(
                    tx,
                    "DELETE FROM occurrence WHERE series_uid = ?1 AND recurrence_id = ?2",
                    params![uid, rid],
                )?;
                let moved_to = format!("re-timed as {}", to.recurrence_id);
                log_change(tx, &obs, now, &format!("{start}..{end}"), &moved_to)?;
                retimed += 1;
                continue;
            }
            exec(
                tx,
                "UPDATE occurrence SET cancelled = 'deleted' WHERE series_uid = ?1 AND recurrence_id = ?2",
                params![uid, rid],
            )?;
            log_change(tx, &obs, now, &format!("{start}..{end}"), "deleted")?;
            deleted += 1;
        }
    }
    Ok((deleted, retimed))
}

impl History for Store {
    fn record(
        &mut self,
        seen: &Observations,
        now: DateTime<Utc>,
    ) -> Result<RecordSummary, HistoryError> {
        Store::record(self, seen, now)
    }
    fn occurrences(&self, series: &[&str]) -> Result<Vec<StoredOccurrence>, HistoryError> {
        Store::occurrences(self, series)
    }
    fn change_count(&self) -> Result<u64, HistoryError> {
        Store::change_count(self)
    }
    fn items(&self, relationship: &str) -> Result<Vec<StoredItem>, HistoryError> {
        Store::items(self, relationship)
    }
    fn record_items(
        &mut self,
        relationship: &str,
        seen: &[(String, String, NaiveDate, bool)],
        now: DateTime<Utc>,
    ) -> Result<usize, HistoryError> {
        Store::record_items(self, relationship, seen, now)
    }
    fn written(
        &self,
        series_uid: &str,
        recurrence_id: &str,
    ) -> Result<Option<String>, HistoryError> {
        Store::written(self, series_uid, recurrence_id)
    }
    fn record_written(
        &self,
        series_uid: &str,
        recurrence_id: &str,
        block: &str,
        now: DateTime<Utc>,
    ) -> Result<(), HistoryError> {
        Store::record_written(self, series_uid, recurrence_id, block, now)
    }
    fn held_write(
        &self,
        resource: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<HeldWrite>, HistoryError> {
        Store::held_write(self, resource, now)
    }
    fn held_writes(&self) -> Result<Vec<HeldWrite>, HistoryError> {
        Store::held_writes(self)
    }
    fn record_write_failure(
        &self,
        resource: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, HistoryError> {
        Store::record_write_failure(self, resource, error, now)
    }
    fn clear_write_failure(&self, resource: &str) -> Result<(), HistoryError> {
        Store::clear_write_failure(self, resource)
    }
    fn nudge_sent(&self, streak: &str, channel: &str) -> Result<bool, HistoryError> {
        Store::nudge_sent(self, streak, channel)
    }
    fn record_nudge_sent(&mut self, sent: &SentNudge) -> Result<(), HistoryError> {
        Store::record_nudge_sent(self, sent)
    }
    fn sent_nudges(&self) -> Result<Vec<SentNudge>, HistoryError> {
        Store::sent_nudges(self)
    }
    fn tasks(&self) -> Result<Vec<StoredTask>, HistoryError> {
        Store::tasks(self)
    }
    fn record_task(&self, task: &StoredTask, now: DateTime<Utc>) -> Result<(), HistoryError> {
        Store::record_task(self, task, now)
    }
    fn close_task(&mut self, task: &StoredTask, now: DateTime<Utc>) -> Result<(), HistoryError> {
        Store::close_task(self, task, now)
    }
    fn cached(&self, scope: &str) -> Result<Option<Vec<u8>>, HistoryError> {
        Store::cached(self, scope)
    }
    fn cached_resources(&self, scope: &str) -> Result<Vec<cache::CachedResource>, HistoryError> {
        Store::cached_resources(self, scope)
    }
    fn cached_index(&self, scope: &str) -> Result<Option<Vec<u8>>, HistoryError> {
        Store::cached_index(self, scope)
    }
    fn cached_stamps(&self, scope: &str) -> Result<Vec<(String, String, String)>, HistoryError> {
        Store::cached_stamps(self, scope)
    }
    fn cached_bodies(
        &self,
        scope: &str,
        origins: &[String],
    ) -> Result<Vec<cache::CachedResource>, HistoryError> {
        Store::cached_bodies(self, scope, origins)
    }
    fn save_cache(
        &mut self,
        scope: &str,
        body: &[u8],
        index: &[u8],
        changed: &[cache::CachedResource],
        gone: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), HistoryError> {
        Store::save_cache(self, scope, body, index, changed, gone, now)
    }
}

#[cfg(test)]
mod tests;
