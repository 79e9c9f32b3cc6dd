//! Recording one cycle: what is stored for the cycle's window is read in bulk (the series
//! table in one query, each observed series' occurrences over the window in one query),
//! compared in memory with what the calendars say now, and only what is new or changed is
//! written. A cycle in which nothing changed writes nothing at all: its transaction only
//! reads, so the state file is left as it was.
//!
//! `last_seen` (of a series and of an occurrence) therefore means *when tete last recorded
//! a change to the row* (its first sighting included): a new counterpart for a series; a new
//! start, end or cancellation for an occurrence, its deletion too. Rewriting it on every
//! cycle only to say "still there" cost a write per occurrence per cycle, and nothing reads
//! it (`first_seen` and the change log say what happened when).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::DateTime;
use chrono::Utc;
use rusqlite::{OptionalExtension, Transaction, params};

use super::{
    Cancellation, Observation, Observations, RETIMED_WITHIN, RecordSummary, StoredOccurrence, text,
    time,
};

/// What [`record`] did.
pub(super) struct Recording {
    pub(super) summary: RecordSummary,
    /// Everything now stored of each series seen for the first time, as the file would give
    /// it back: a first cycle over a big calendar stores tens of thousands of occurrences,
    /// and reading them back at once cost a fifth of recording them.
    pub(super) first_stored: FirstStored,
}

/// The stored occurrences of series seen for the first time, by series UID (see
/// [`Recording::first_stored`]).
pub(super) type FirstStored = foldhash::HashMap<String, Vec<StoredOccurrence>>;

/// One stored occurrence, as the text it is stored as (a cycle's observation is compared
/// with it as text, as it would be written).
#[derive(Debug, Clone)]
struct Row {
    scheduled: String,
    start: String,
    end: String,
    cancelled: Option<String>,
    first_seen: String,
    times_moved: i64,
}

/// The stored occurrences of one series that a cycle compares with, by recurrence id.
/// The per-cycle maps here are hashed with `foldhash`: a first cycle over a big calendar
/// fills them with every occurrence of its window.
type SeriesRows = foldhash::HashMap<String, Row>;

const ROW_COLUMNS: &str =
    "recurrence_id, scheduled, start, end, cancelled, first_seen, times_moved";

fn read_row(row: &rusqlite::Row) -> rusqlite::Result<(String, Row)> {
    Ok((
        row.get(0)?,
        Row {
            scheduled: row.get(1)?,
            start: row.get(2)?,
            end: row.get(3)?,
            cancelled: row.get(4)?,
            first_seen: row.get(5)?,
            times_moved: row.get(6)?,
        },
    ))
}

/// Records `seen` at `now` in `tx`: see the module's comment.
pub(super) fn record(
    tx: &Transaction,
    seen: &Observations,
    now: DateTime<Utc>,
) -> rusqlite::Result<Recording> {
    let now = text(now);
    let now_as_stored = time(&now);
    let (first_seen, ids) = record_series(tx, &seen.series, &now)?;
    let observed = by_series(&seen.occurrences);
    // Each observed series' number (a row is made for one the cycle did not name) and
    // what is stored of it.
    let mut stored: foldhash::HashMap<&str, (i64, SeriesRows)> = foldhash::HashMap::default();
    for (&uid, occurrences) in &observed {
        let id = match ids.get(uid) {
            Some(&id) => id,
            None => series_id(tx, uid, &now)?,
        };
        // A series seen for the first time has nothing stored: a first cycle over a big
        // calendar would otherwise look up each of its occurrences, one query each.
        let rows = match first_seen.contains(uid) {
            true => SeriesRows::default(),
            false => stored_rows(tx, id, occurrences, seen.window)?,
        };
        stored.insert(uid, (id, rows));
    }
    let mut summary = RecordSummary::default();
    let mut new = foldhash::HashSet::default();
    let mut first_stored = FirstStored::default();
    // New series with an occurrence seen twice (the same event in two calendars): what is
    // stored of them is read back from the file.
    let mut seen_twice: HashSet<&str> = HashSet::new();
    // Series by series (each one's in the order seen, so the later of two sightings is
    // what is stored): rows of one series are neighbours in both indexes, and a first
    // cycle's inserts in the order the calendar showed them spread over every page.
    for obs in observed.values().flatten().copied() {
        // Every observed series is in `stored`.
        let Some((id, rows)) = stored.get_mut(obs.series_uid.as_str()) else {
            continue;
        };
        // A series seen for the first time has nothing stored but what this cycle inserted
        // (an occurrence seen twice: the same event in two calendars), and no row of it is
        // kept to compare with: nothing of it can have gone.
        let new_series = first_seen.contains(obs.series_uid.as_str());
        let seen_before =
            new_series && new.contains(&(obs.series_uid.as_str(), obs.recurrence_id.as_str()));
        let lookup = Lookup {
            may_be_stored: !new_series || seen_before,
            keep_rows: !new_series,
        };
        if seen_before {
            seen_twice.insert(obs.series_uid.as_str());
        }
        match record_occurrence(tx, *id, rows, obs, lookup, &now)? {
            Recorded::New(as_stored) => {
                summary.new += 1;
                new.insert((obs.series_uid.as_str(), obs.recurrence_id.as_str()));
                if new_series {
                    first_stored
                        .entry(obs.series_uid.clone())
                        .or_default()
                        .push(as_first_stored(obs, as_stored, now_as_stored));
                }
            }
            Recorded::Changed => summary.changed += 1,
            Recorded::Same => {}
        }
    }
    for (uid, _) in &seen.series {
        // A series seen for the first time had nothing stored: nothing of it went.
        if first_seen.contains(uid.as_str()) {
            continue;
        }
        let (Some(current), Some(&(id, ref rows))) =
            (observed.get(uid.as_str()), stored.get(uid.as_str()))
        else {
            continue;
        };
        let series = (id, uid.as_str());
        let (deleted, retimed) = mark_deleted(tx, series, current, rows, seen.window, &new, &now)?;
        summary.deleted += deleted;
        summary.changed += retimed;
    }
    first_stored.retain(|uid, _| !seen_twice.contains(uid.as_str()));
    Ok(Recording {
        summary,
        first_stored,
    })
}

/// Occurrence `obs`, inserted at `now` (as stored) with `times`, as the file gives it back.
fn as_first_stored(obs: &Observation, times: StoredTimes, now: DateTime<Utc>) -> StoredOccurrence {
    StoredOccurrence {
        series_uid: obs.series_uid.clone(),
        recurrence_id: obs.recurrence_id.clone(),
        scheduled: times.scheduled,
        start: times.start,
        end: times.end,
        cancelled: obs.cancelled,
        times_moved: 0,
        first_seen: now,
        last_seen: now,
    }
}

/// The number each series' occurrences are stored under, by UID (see migration 6).
type SeriesIds<'s> = foldhash::HashMap<&'s str, i64>;

/// Inserts the series seen for the first time and updates those whose counterpart
/// changed; the others are not written. Gives back the series seen for the first time,
/// and the number of every series in `series`.
fn record_series<'s>(
    tx: &Transaction,
    series: &'s [(String, String)],
    now: &str,
) -> rusqlite::Result<(HashSet<&'s str>, SeriesIds<'s>)> {
    let known: HashMap<String, (String, i64)> = tx
        .prepare_cached("SELECT uid, counterpart, id FROM series")?
        .query_map([], |row| Ok((row.get(0)?, (row.get(1)?, row.get(2)?))))?
        .collect::<Result<_, _>>()?;
    let mut first_seen = HashSet::new();
    let mut ids = SeriesIds::default();
    for (uid, counterpart) in series {
        match known.get(uid) {
            Some((known, id)) if known == counterpart => {
                ids.insert(uid, *id);
                continue;
            }
            Some(_) => {}
            None => {
                first_seen.insert(uid.as_str());
            }
        }
        let id = tx
            .prepare_cached(
                "INSERT INTO series (uid, counterpart, first_seen, last_seen)
                 VALUES (?1, ?2, ?3, ?3)
                 ON CONFLICT (uid) DO UPDATE SET counterpart = ?2, last_seen = ?3
                 RETURNING id",
            )?
            .query_row(params![uid, counterpart, now], |row| row.get(0))?;
        ids.insert(uid, id);
    }
    Ok((first_seen, ids))
}

/// The number of series `uid`, which the cycle observed without naming its counterpart:
/// a row is made for it (with none) if it has none.
fn series_id(tx: &Transaction, uid: &str, now: &str) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO series (uid, counterpart, first_seen, last_seen) VALUES (?1, '', ?2, ?2)
         ON CONFLICT (uid) DO UPDATE SET uid = uid
         RETURNING id",
    )?
    .query_row(params![uid, now], |row| row.get(0))
}

/// The observations of each series, in the order seen.
fn by_series(occurrences: &[Observation]) -> BTreeMap<&str, Vec<&Observation>> {
    let mut out: BTreeMap<&str, Vec<&Observation>> = BTreeMap::new();
    for obs in occurrences {
        out.entry(obs.series_uid.as_str()).or_default().push(obs);
    }
    out
}

/// The stored occurrences of series `uid` whose original start is in the window or among
/// those observed (expansion also yields occurrences that started before the window and
/// overlap it): one query over the index on (series, original start).
fn stored_rows(
    tx: &Transaction,
    series: i64,
    observed: &[&Observation],
    window: (DateTime<Utc>, DateTime<Utc>),
) -> rusqlite::Result<SeriesRows> {
    let from = observed
        .iter()
        .map(|o| o.scheduled)
        .fold(window.0, DateTime::min);
    let to = observed
        .iter()
        .map(|o| o.scheduled)
        .fold(window.1, DateTime::max);
    let sql = format!(
        "SELECT {ROW_COLUMNS} FROM occurrence
         WHERE series = ?1 AND scheduled >= ?2 AND scheduled <= ?3"
    );
    tx.prepare_cached(&sql)?
        .query_map(params![series, text(from), text(to)], read_row)?
        .collect()
}

/// The stored row of one occurrence that the bulk read did not find (its stored original
/// start outside the range read: a row written under another reading of its time).
fn stored_row(tx: &Transaction, series: i64, obs: &Observation) -> rusqlite::Result<Option<Row>> {
    let sql =
        format!("SELECT {ROW_COLUMNS} FROM occurrence WHERE series = ?1 AND recurrence_id = ?2");
    tx.prepare_cached(&sql)?
        .query_row(params![series, obs.recurrence_id], read_row)
        .optional()
        .map(|found| found.map(|(_, row)| row))
}

/// Runs one statement through the connection's statement cache.
fn exec(tx: &Transaction, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    tx.prepare_cached(sql)?.execute(params)
}

/// An inserted occurrence's times as stored (see [`as_first_stored`]).
#[derive(Clone, Copy)]
struct StoredTimes {
    scheduled: DateTime<Utc>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

enum Recorded {
    New(StoredTimes),
    Changed,
    Same,
}

/// How [`record_occurrence`] finds what is stored of an occurrence.
#[derive(Clone, Copy)]
struct Lookup {
    /// Whether it may be stored but not among the rows read in bulk (looked up alone).
    may_be_stored: bool,
    /// Whether a row inserted now is kept among the rows (to find deleted occurrences).
    keep_rows: bool,
}

/// Inserts an occurrence (of the series numbered `series`) seen for the first time, or
/// updates (and logs) one whose start, end or cancellation changed; `rows` is kept as the
/// file now is, as far as `lookup` keeps rows.
fn record_occurrence(
    tx: &Transaction,
    series: i64,
    rows: &mut SeriesRows,
    obs: &Observation,
    lookup: Lookup,
    now: &str,
) -> rusqlite::Result<Recorded> {
    if lookup.may_be_stored
        && !rows.contains_key(&obs.recurrence_id)
        && let Some(row) = stored_row(tx, series, obs)?
    {
        rows.insert(obs.recurrence_id.clone(), row);
    }
    let (start, end) = (text(obs.start), text(obs.end));
    let cancelled = obs.cancelled.map(Cancellation::as_str);
    let Some(row) = rows.get_mut(&obs.recurrence_id) else {
        let scheduled = text(obs.scheduled);
        exec(
            tx,
            "INSERT INTO occurrence (series, recurrence_id, scheduled, start, end, cancelled,
                                     times_moved, first_seen, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?7)",
            params![
                series,
                obs.recurrence_id,
                scheduled,
                start,
                end,
                cancelled,
                now
            ],
        )?;
        // As the file gives them back: read from the text just written, not formatted again.
        let as_stored = StoredTimes {
            scheduled: time(&scheduled),
            start: time(&start),
            end: time(&end),
        };
        if lookup.keep_rows {
            let row = Row {
                scheduled,
                start,
                end,
                cancelled: cancelled.map(str::to_string),
                first_seen: now.to_string(),
                times_moved: 0,
            };
            rows.insert(obs.recurrence_id.clone(), row);
        }
        return Ok(Recorded::New(as_stored));
    };
    let moved = row.start != start;
    if !moved && row.end == end && row.cancelled.as_deref() == cancelled {
        return Ok(Recorded::Same);
    }
    exec(
        tx,
        "UPDATE occurrence SET start = ?3, end = ?4, cancelled = ?5, last_seen = ?6,
                times_moved = times_moved + ?7
         WHERE series = ?1 AND recurrence_id = ?2",
        params![
            series,
            obs.recurrence_id,
            start,
            end,
            cancelled,
            now,
            i64::from(moved)
        ],
    )?;
    let from = format!(
        "{}..{} {}",
        row.start,
        row.end,
        row.cancelled.as_deref().unwrap_or("-")
    );
    let to = format!("{start}..{end} {}", cancelled.unwrap_or("-"));
    log_change(tx, &obs.series_uid, &obs.recurrence_id, now, &from, &to)?;
    row.times_moved += i64::from(moved);
    (row.start, row.end) = (start, end);
    row.cancelled = cancelled.map(str::to_string);
    Ok(Recorded::Changed)
}

fn log_change(
    tx: &Transaction,
    series_uid: &str,
    recurrence_id: &str,
    now: &str,
    from: &str,
    to: &str,
) -> rusqlite::Result<()> {
    exec(
        tx,
        "INSERT INTO change (series_uid, recurrence_id, seen_at, old, new)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![series_uid, recurrence_id, now, from, to],
    )?;
    Ok(())
}

/// Occurrences of series `uid` stored earlier, inside this cycle's window, that the
/// calendar no longer shows (`current` is what it shows, never empty): deleted outright.
/// Not when the series merely ended earlier (after its last occurrence now). Nor when the
/// series was re-timed: an occurrence new this cycle (in `new`) within [`RETIMED_WITHIN`]
/// is the same meeting under its new RECURRENCE-ID, so the stale row is folded into it (its
/// first sighting and moves kept) rather than left to count the meeting twice. `rows` holds
/// the series' stored rows over the window as they are after this cycle's other writes.
/// The series is given by its number and its UID (`uid` above). Returns (deleted, re-timed).
fn mark_deleted(
    tx: &Transaction,
    (id, uid): (i64, &str),
    current: &[&Observation],
    rows: &SeriesRows,
    window: (DateTime<Utc>, DateTime<Utc>),
    new: &foldhash::HashSet<(&str, &str)>,
    now: &str,
) -> rusqlite::Result<(usize, usize)> {
    let Some(last) = current.iter().map(|o| o.scheduled).max() else {
        return Ok((0, 0));
    };
    let (from, to, last) = (text(window.0), text(window.1), text(last));
    let shown: HashSet<&str> = current.iter().map(|o| o.recurrence_id.as_str()).collect();
    let mut gone: Vec<(&String, &Row)> = rows
        .iter()
        .filter(|(rid, row)| {
            row.scheduled >= from
                && row.scheduled < to
                && row.scheduled <= last
                && row.cancelled.as_deref() != Some(Cancellation::Deleted.as_str())
                && !shown.contains(rid.as_str())
        })
        .collect();
    gone.sort_by(|a, b| (&a.1.scheduled, a.0).cmp(&(&b.1.scheduled, b.0)));
    let (mut deleted, mut retimed) = (0, 0);
    for (rid, row) in gone {
        let scheduled = time(&row.scheduled);
        let replacement = current
            .iter()
            .filter(|o| new.contains(&(uid, o.recurrence_id.as_str())))
            .filter(|o| (o.scheduled - scheduled).abs() < RETIMED_WITHIN)
            .min_by_key(|o| (o.scheduled - scheduled).abs());
        let was = format!("{}..{}", row.start, row.end);
        if let Some(to) = replacement {
            exec(
                tx,
                "UPDATE occurrence SET first_seen = min(first_seen, ?3),
                        times_moved = times_moved + ?4 + 1
                 WHERE series = ?1 AND recurrence_id = ?2",
                params![id, to.recurrence_id, row.first_seen, row.times_moved],
            )?;
            exec(
                tx,
                "DELETE FROM occurrence WHERE series = ?1 AND recurrence_id = ?2",
                params![id, rid],
            )?;
            let moved_to = format!("re-timed as {}", to.recurrence_id);
            log_change(tx, uid, rid, now, &was, &moved_to)?;
            retimed += 1;
            continue;
        }
        exec(
            tx,
            "UPDATE occurrence SET cancelled = 'deleted', last_seen = ?3
             WHERE series = ?1 AND recurrence_id = ?2",
            params![id, rid, now],
        )?;
        log_change(tx, uid, rid, now, &was, "deleted")?;
        deleted += 1;
    }
    Ok((deleted, retimed))
}
