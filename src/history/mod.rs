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

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::format::{Item, Parsed};
use chrono::{DateTime, Datelike as _, Duration, NaiveDate, Timelike as _, Utc};
use rusqlite::Connection;

mod agenda;
mod backoff;
pub mod cache;
mod migrations;
mod nudge;
mod record;
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

/// The earliest and latest original start of some stored occurrences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The earliest.
    pub first: DateTime<Utc>,
    /// The latest.
    pub last: DateTime<Utc>,
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
    /// When tete last recorded a change to it (a new start, end or cancellation, its
    /// deletion), or first saw it: a cycle that finds it unchanged does not write it.
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
    /// For each group of series, every stored occurrence of them by original start (as
    /// [`History::occurrences`]), all read at once.
    fn occurrences_of_each(
        &self,
        groups: &[Vec<&str>],
    ) -> Result<Vec<Arc<[StoredOccurrence]>>, HistoryError>;
    /// The earliest and latest original start stored of these series; `None` when none
    /// is stored.
    fn scheduled_span(&self, series: &[&str]) -> Result<Option<Span>, HistoryError>;
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
    /// Every resource's origin and stamp saved under `scope`, without the digests.
    fn cached_stamps(&self, scope: &str) -> Result<Vec<(String, String)>, HistoryError>;
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

/// Told when the history committed one of a cycle's big writes (the occurrences it
/// recorded, the cycle cache), so that the state file's owner can checkpoint the
/// write-ahead log off the cycle's thread (`state::StateFile`).
pub trait CommitListener: std::fmt::Debug + Send + Sync {
    /// Called right after such a commit; returns at once.
    fn committed(&self);
}

/// The history in the SQLite state file.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// What this connection last recorded and read back (see [`Known`]).
    known: std::sync::Mutex<Known>,
    /// Told after the big commits.
    listener: Option<std::sync::Arc<dyn CommitListener>>,
}

/// What a long-running process knows the history holds, so that a cycle that sees what the
/// last one recorded neither records it again nor reads the stored occurrences again.
///
/// It holds only while no other connection has committed to the file since: it is taken
/// with the file's `PRAGMA data_version` (read before the work it describes, so it is never
/// newer than what was seen), and a different version later drops it. This connection
/// writes occurrences and series only in [`Store::record`], which renews it.
#[derive(Debug, Default)]
struct Known {
    data_version: Option<i64>,
    recorded: Option<Recorded>,
    /// The last [`Store::occurrences_of_each`] question and answer.
    stored: Option<StoredAnswer>,
    /// What the last record stored of series it saw for the first time, until
    /// [`Store::occurrences_of_each`] takes it.
    first_stored: Option<record::FirstStored>,
}

/// One [`Store::occurrences_of_each`]: the series asked for, in groups, and what was stored.
#[derive(Debug)]
struct StoredAnswer {
    asked: Vec<Vec<String>>,
    answer: Vec<Arc<[StoredOccurrence]>>,
}

/// The last observations recorded.
#[derive(Debug)]
struct Recorded {
    series: Vec<(String, String)>,
    occurrences: Vec<Observation>,
    window: (DateTime<Utc>, DateTime<Utc>),
}

impl Known {
    /// Whether recording `seen` would change nothing: the same series and occurrences as the
    /// last record, over a window that does not begin earlier. A stored occurrence the
    /// calendar no longer shows is marked deleted only up to the last one it shows, so with
    /// the same occurrences the last record already marked every one there was; a window
    /// beginning earlier reaches stored ones it did not look at.
    fn would_record_nothing(&self, seen: &Observations, data_version: i64) -> bool {
        let Some(last) = &self.recorded else {
            return false;
        };
        self.data_version == Some(data_version)
            && seen.window.0 >= last.window.0
            && last.series == seen.series
            && last.occurrences == seen.occurrences
    }
}

/// How times are stored, as a pattern (the tests check [`STORED_TIME`] against it).
#[cfg(test)]
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// How times are stored (`2026-03-02T10:00:00Z`) as chrono's items, read once: `format` and
/// `parse_from_str` read their pattern anew on each call, and a cycle formats and reads a
/// few thousand times (that was half of analysing every relationship and a third of
/// recording). The same items show a UTC moment.
const STORED_TIME: &[Item<'static>] = crate::calendar::expand::shown::UTC;

/// A time as stored ([`STORED_TIME`]).
fn text(t: DateTime<Utc>) -> String {
    use std::fmt::Write as _;
    let (date, clock) = (t.date_naive(), t.time());
    let mut out = String::with_capacity(20);
    match u32::try_from(date.year()) {
        // `2026-03-02T10:00:00Z` digit by digit: a first cycle over a big calendar stores
        // and reads back tens of thousands, and chrono's items went through its general
        // formatter for each field (a fifth of recording them).
        Ok(year) if year <= 9999 => {
            for (value, width, then) in [
                (year, 4, '-'),
                (date.month(), 2, '-'),
                (date.day(), 2, 'T'),
                (clock.hour(), 2, ':'),
                (clock.minute(), 2, ':'),
                (clock.second(), 2, 'Z'),
            ] {
                push_digits(&mut out, value, width);
                out.push(then);
            }
        }
        _ => {
            let _ = write!(out, "{}", t.format_with_items(STORED_TIME.iter()));
        }
    }
    out
}

/// Appends the last `width` decimal digits of `value`, zero-padded.
fn push_digits(out: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = value / 10u32.pow(place) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

fn time(s: &str) -> DateTime<Utc> {
    if let Some(t) = stored_time(s.as_bytes()) {
        return t;
    }
    // Every time in the file was written by `text`; a foreign value reads as the epoch
    // rather than failing the whole report.
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, s, STORED_TIME.iter())
        .ok()
        .and_then(|()| parsed.to_naive_datetime_with_offset(0).ok())
        .map(|t| t.and_utc())
        .unwrap_or_default()
}

/// `2026-03-02T10:00:00Z` read by position, when it is exactly that shape and a valid time:
/// what `text` writes for years 0 to 9999; anything else is left to chrono's parser.
fn stored_time(s: &[u8]) -> Option<DateTime<Utc>> {
    let [
        y0,
        y1,
        y2,
        y3,
        b'-',
        m0,
        m1,
        b'-',
        d0,
        d1,
        b'T',
        h0,
        h1,
        b':',
        i0,
        i1,
        b':',
        s0,
        s1,
        b'Z',
    ] = *s
    else {
        return None;
    };
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    let year = i32::try_from(number(&[y0, y1, y2, y3])?).ok()?;
    NaiveDate::from_ymd_opt(year, number(&[m0, m1])?, number(&[d0, d1])?)?
        .and_hms_opt(number(&[h0, h1])?, number(&[i0, i1])?, number(&[s0, s1])?)
        .map(|t| t.and_utc())
}

/// Two starts of the same series this close are the same meeting re-timed (the series'
/// time was edited, which changes every RECURRENCE-ID), not one deleted and one added.
const RETIMED_WITHIN: Duration = Duration::hours(12);

/// How many series one query of [`Store::occurrences_of_each`] names (SQLite allows 32,766
/// parameters; a query this size stays short).
const SERIES_PER_QUERY: usize = 500;

fn stored_occurrence(row: &rusqlite::Row) -> rusqlite::Result<StoredOccurrence> {
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
}

impl Store {
    /// The history over `conn`, a connection to the state file at `path` whose schema is
    /// already up to date ([`MIGRATIONS`] applied by the file's owner, `state::StateFile`).
    pub fn new(conn: Connection, path: PathBuf) -> Store {
        Store {
            conn,
            path,
            known: std::sync::Mutex::default(),
            listener: None,
        }
    }

    /// The same history, telling `listener` of its big commits.
    pub fn telling(self, listener: std::sync::Arc<dyn CommitListener>) -> Store {
        Store {
            listener: Some(listener),
            ..self
        }
    }

    /// Tells the listener, if any, that a big write was committed.
    fn committed(&self) {
        if let Some(listener) = &self.listener {
            listener.committed();
        }
    }

    /// `PRAGMA data_version`: changes when another connection commits to the file.
    fn data_version(&self) -> Result<i64, HistoryError> {
        self.conn
            .query_row("PRAGMA data_version", [], |row| row.get(0))
            .map_err(|e| self.sqlite(e))
    }

    /// What is known of the history, dropped if another connection wrote since.
    fn known_at(&self, data_version: i64) -> std::sync::MutexGuard<'_, Known> {
        let mut known = self
            .known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if known.data_version != Some(data_version) {
            *known = Known {
                data_version: Some(data_version),
                ..Known::default()
            };
        }
        known
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

    /// Records one cycle's observations at `now`, in one transaction that writes only what
    /// is new or changed (see `record`): with nothing changed, nothing is written.
    pub fn record(
        &mut self,
        seen: &Observations,
        now: DateTime<Utc>,
    ) -> Result<RecordSummary, HistoryError> {
        let started = std::time::Instant::now();
        let data_version = self.data_version()?;
        if self
            .known_at(data_version)
            .would_record_nothing(seen, data_version)
        {
            tracing::debug!("history recorded: the same as the last cycle, nothing read");
            return Ok(RecordSummary::default());
        }
        let sqlite = sqlite_error(&self.path.clone());
        let tx = self.conn.transaction().map_err(&sqlite)?;
        let record::Recording {
            summary,
            first_stored,
        } = record::record(&tx, seen, now).map_err(&sqlite)?;
        tx.commit().map_err(&sqlite)?;
        self.committed();
        // This connection's own commit leaves `data_version` as it was.
        *self.known_at(data_version) = Known {
            data_version: Some(data_version),
            recorded: Some(Recorded {
                series: seen.series.clone(),
                occurrences: seen.occurrences.clone(),
                window: seen.window,
            }),
            stored: None,
            first_stored: Some(first_stored),
        };
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        tracing::debug!(
            occurrences = seen.occurrences.len(),
            ms = format!("{ms:.1}"),
            "history recorded"
        );
        Ok(summary)
    }

    /// Every stored occurrence of these series, by original start.
    pub fn occurrences(&self, series: &[&str]) -> Result<Vec<StoredOccurrence>, HistoryError> {
        let mut each = self.occurrences_of_each(&[series.to_vec()])?;
        Ok(each.pop().map(|rows| rows.to_vec()).unwrap_or_default())
    }

    /// For each group of series (a relationship's), every stored occurrence of its series
    /// by original start, as [`Store::occurrences`] gives it; read in one query for all
    /// groups (in chunks of [`SERIES_PER_QUERY`]) rather than one per group.
    pub fn occurrences_of_each(
        &self,
        groups: &[Vec<&str>],
    ) -> Result<Vec<Arc<[StoredOccurrence]>>, HistoryError> {
        let data_version = self.data_version()?;
        if let Some(stored) = &self.known_at(data_version).stored
            && stored.asked.len() == groups.len()
            && stored.asked.iter().zip(groups).all(|(a, g)| a == g)
        {
            return Ok(stored.answer.clone());
        }
        let first_stored = self.known_at(data_version).first_stored.take();
        let answer = self.read_occurrences_of_each(groups, first_stored.unwrap_or_default())?;
        let asked = groups
            .iter()
            .map(|g| g.iter().map(|uid| uid.to_string()).collect())
            .collect();
        self.known_at(data_version).stored = Some(StoredAnswer {
            asked,
            answer: answer.clone(),
        });
        Ok(answer)
    }

    /// The earliest and latest original start stored of these series (in chunks of
    /// [`SERIES_PER_QUERY`]), from the index by series and start alone.
    pub fn scheduled_span(&self, series: &[&str]) -> Result<Option<Span>, HistoryError> {
        let mut span: Option<Span> = None;
        for chunk in series.chunks(SERIES_PER_QUERY) {
            // Stored times are all `text`'s fixed-width UTC form: they sort as text.
            let sql = format!(
                "SELECT MIN(o.scheduled), MAX(o.scheduled)
                 FROM series s JOIN occurrence o ON o.series = s.id WHERE s.uid IN ({})",
                vec!["?"; chunk.len()].join(", ")
            );
            let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.sqlite(e))?;
            let (min, max): (Option<String>, Option<String>) = stmt
                .query_row(rusqlite::params_from_iter(chunk), |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .map_err(|e| self.sqlite(e))?;
            if let (Some(min), Some(max)) = (min, max) {
                let (min, max) = (time(&min), time(&max));
                span = Some(match span {
                    None => Span {
                        first: min,
                        last: max,
                    },
                    Some(span) => Span {
                        first: span.first.min(min),
                        last: span.last.max(max),
                    },
                });
            }
        }
        Ok(span)
    }

    /// [`Store::occurrences_of_each`], read from the file but for the series in `known`
    /// (all that is stored of them).
    fn read_occurrences_of_each(
        &self,
        groups: &[Vec<&str>],
        mut known: record::FirstStored,
    ) -> Result<Vec<Arc<[StoredOccurrence]>>, HistoryError> {
        let mut wanted: Vec<&str> = groups.iter().flatten().copied().collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut by_series: HashMap<String, Vec<StoredOccurrence>> = HashMap::new();
        wanted.retain(|uid| match known.remove_entry(*uid) {
            Some((uid, rows)) => {
                by_series.insert(uid, rows);
                false
            }
            None => true,
        });
        for chunk in wanted.chunks(SERIES_PER_QUERY) {
            let sql = format!(
                "SELECT s.uid, o.recurrence_id, o.scheduled, o.start, o.end, o.cancelled,
                        o.times_moved, o.first_seen, o.last_seen
                 FROM series s JOIN occurrence o ON o.series = s.id WHERE s.uid IN ({})",
                vec!["?"; chunk.len()].join(", ")
            );
            let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.sqlite(e))?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(chunk), stored_occurrence)
                .map_err(|e| self.sqlite(e))?;
            for row in rows {
                let row = row.map_err(|e| self.sqlite(e))?;
                by_series
                    .entry(row.series_uid.clone())
                    .or_default()
                    .push(row);
            }
        }
        // A series' rows are moved into the last group asking for it (most are asked for
        // once), copied into the others.
        let mut asked: HashMap<&str, usize> = HashMap::new();
        for uid in groups.iter().flatten() {
            *asked.entry(uid).or_default() += 1;
        }
        let mut rows_of = |uid: &str| -> Vec<StoredOccurrence> {
            match asked.get_mut(uid) {
                Some(left) if *left > 1 => {
                    *left -= 1;
                    by_series.get(uid).cloned().unwrap_or_default()
                }
                _ => by_series.remove(uid).unwrap_or_default(),
            }
        };
        let mut answer = Vec::with_capacity(groups.len());
        for series in groups {
            let mut out: Vec<StoredOccurrence> = Vec::new();
            for uid in series {
                out.extend(rows_of(uid));
            }
            out.sort_by(|a, b| {
                (a.scheduled, &a.series_uid, &a.recurrence_id).cmp(&(
                    b.scheduled,
                    &b.series_uid,
                    &b.recurrence_id,
                ))
            });
            answer.push(Arc::from(out));
        }
        Ok(answer)
    }

    /// How many changes have been logged in all (for tests and `tete check`).
    pub fn change_count(&self) -> Result<u64, HistoryError> {
        self.conn
            .query_row("SELECT count(*) FROM change", [], |row| row.get(0))
            .map_err(|e| self.sqlite(e))
    }
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
    fn occurrences_of_each(
        &self,
        groups: &[Vec<&str>],
    ) -> Result<Vec<Arc<[StoredOccurrence]>>, HistoryError> {
        Store::occurrences_of_each(self, groups)
    }
    fn scheduled_span(&self, series: &[&str]) -> Result<Option<Span>, HistoryError> {
        Store::scheduled_span(self, series)
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
    fn cached_stamps(&self, scope: &str) -> Result<Vec<(String, String)>, HistoryError> {
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
