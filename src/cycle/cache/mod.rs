//! The cycle's cache: a cycle parses only the resources that changed, and one where nothing
//! changed parses nothing.
//!
//! Three things, all in the state file (`history::cache` stores them, opaque to it):
//!
//! - per resource, a [`ResourceDigest`]: the [`EventMeta`] of its events (what detection
//!   reads), the UID of every event in it (overrides too), the names my addresses carry in
//!   it, its reading warnings, or why it could not be read; kept with the resource's stamp
//!   (etag and length, or file metadata) and the SHA-256 of its bytes;
//! - for the calendars as a whole, a [`Memo`]: a fingerprint of every resource's origin and
//!   stamp, the kept verdicts (1:1s and series), and the occurrences of the 1:1 events over
//!   the cycle's window and a week beyond ([`REACH`]), so that the next cycles, their
//!   windows a little later, find theirs;
//! - an [`Index`]: in how many resources each UID and each of my names is, which tells
//!   whether a change can be applied to the memo alone (below).
//!
//! A cycle whose resources have the memo's fingerprint and whose window the memo covers
//! parses nothing (the idle cycle). When a few resources changed, were added or removed,
//! [`incremental`] parses only those and applies the difference to the memo (in a daemon,
//! to the reading its last cycle kept in memory, with the stamps and index saved with it:
//! then neither is read from the state file): their verdicts replace the old ones, the
//! 1:1s among them are expanded again. It gives up (to
//! the full path) whenever the difference could reach other resources: a UID in more than
//! one resource, my names changing, a big file changing, the window past the memo's reach.
//! The full path ([`full`]) parses what changed, takes the other resources' digests,
//! detects over all events' meta and re-reads the resources holding a 1:1 to expand them.
//!
//! Every cached thing is keyed by a hash of what it depends on ([`scope`]: the cache
//! format, tete's version, who I am, the detection rules and people, the calendars, the
//! step limit): a change to any of them starts from nothing. The result is the full
//! cycle's, which a property test checks after random edits
//! (`tests::incremental_equals_full`).
//!
//! `TETE_NO_CACHE=1` turns the cache off (every cycle parses everything, and nothing is
//! read from or written to the cache): for the benchmark's side-by-side run and the tests.

mod full;
mod incremental;
mod records;

use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::sync::Arc;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::{Detection, Gathered, NotesAt, Outcome, analyse, observe};
use crate::calendar::expand::Expansion;
use crate::calendar::{Collector, EventMeta, Moment, Occurrence, Warning, Window};
use crate::detect::{self, Relationship};
use crate::history::cache::CachedResource;
use crate::history::{History, HistoryError};
use crate::sources::Resource;
use records::{MetaRec, MomentRec, OccurrenceRec, PlaceRec, VerdictRec, WarningRec};

/// Bumped whenever what is cached, or how it is read, changes; with tete's version it keys
/// the cache, so an upgrade that reads calendars differently starts from nothing.
const FORMAT: u32 = 6;

/// How far past the cycle's window the cached occurrences reach.
const REACH: Duration = Duration::days(7);

/// Whether a cycle uses the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// Parse only what changed (the default).
    On,
    /// Parse everything, read and write no cache (`TETE_NO_CACHE=1`).
    Off,
}

impl Caching {
    /// From the environment: `TETE_NO_CACHE` set (to anything but `0` or empty) turns it off.
    pub fn from_env() -> Caching {
        match std::env::var("TETE_NO_CACHE") {
            Ok(v) if !v.is_empty() && v != "0" => Caching::Off,
            _ => Caching::On,
        }
    }
}

/// What the cycle needs, wherever it came from (the memo, or this cycle's reading).
#[derive(Clone)]
struct FromCalendars {
    verdicts: super::Verdicts,
    /// The 1:1 events' occurrences over `reach`, sorted as expansion sorts them.
    occurrences: Vec<Occurrence>,
    /// Reading warnings, in reading order.
    warnings: Vec<Warning>,
    /// Warnings from expanding the 1:1s.
    expansion_warnings: Vec<Warning>,
    failures: Vec<Failure>,
    /// Where, in each big file or feed body holding a 1:1, its 1:1s and time zones are.
    notes_at: NotesAt,
}

/// The memo of a reading (see [`Memo`]), encoded as it is field for field without its
/// records made all at once: each is made, written and dropped in turn. Made together, the
/// records of a 100,000-event calendar took 8.9 MB, as much as the reading they copy.
struct MemoOf<'a> {
    read: &'a FromCalendars,
    fingerprint: &'a str,
    /// The window its occurrences reach over.
    reach: Window,
}

impl Serialize for MemoOf<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let read = self.read;
        let reach = (
            MomentRec::from(Moment::Utc(self.reach.start)),
            MomentRec::from(Moment::Utc(self.reach.end)),
        );
        let mut memo = serializer.serialize_struct("Memo", 8)?;
        memo.serialize_field("fingerprint", self.fingerprint)?;
        memo.serialize_field("reach", &Some(reach))?;
        memo.serialize_field(
            "verdicts",
            &Each(|| (read.verdicts.iter()).map(|(m, v)| (MetaRec::from(m), VerdictRec::from(v)))),
        )?;
        memo.serialize_field(
            "occurrences",
            &Each(|| read.occurrences.iter().map(OccurrenceRec::from)),
        )?;
        memo.serialize_field(
            "warnings",
            &Each(|| read.warnings.iter().map(WarningRec::from)),
        )?;
        memo.serialize_field(
            "expansion_warnings",
            &Each(|| read.expansion_warnings.iter().map(WarningRec::from)),
        )?;
        memo.serialize_field("failures", &read.failures)?;
        memo.serialize_field("notes_at", &NotesAtRec(&read.notes_at))?;
        memo.end()
    }
}

/// A sequence written from the records an iterator makes, each dropped once written.
struct Each<F>(F);

impl<F, I> Serialize for Each<F>
where
    F: Fn() -> I,
    I: ExactSizeIterator<Item: Serialize>,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq((self.0)())
    }
}

/// [`NotesAt`] written as [`Memo::notes_at`] is.
struct NotesAtRec<'a>(&'a NotesAt);

impl Serialize for NotesAtRec<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            (self.0.iter())
                .map(|(origin, places)| (origin, Each(|| places.iter().map(PlaceRec::from)))),
        )
    }
}

/// [`NotesAt`] of the resources `collector` read keeping spans, for the 1:1s in `ones`.
fn notes_at(collector: &Collector, ones: &foldhash::HashSet<&str>) -> NotesAt {
    collector
        .spans_of(|uid| ones.contains(uid))
        .into_iter()
        .map(|(origin, spans)| (origin.to_string(), spans))
        .collect()
}

/// Reads a resource again into `collector` (to expand its 1:1s), noting where its items
/// are when it is a big file; one that cannot be read was reported when first read.
fn read_again(collector: &mut Collector, resource: &Resource, origin: &str) {
    if let Ok(input) = resource.open() {
        collector.keep_spans(!resource.is_item());
        let _ = collector.read(input, origin);
        collector.keep_spans(false);
    }
}

/// A resource that could not be read: its origin, its calendar's name, why.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Failure {
    origin: String,
    calendar: String,
    error: String,
}

/// What a reading path gives back: what the cycle needs, and what to save.
struct Reading {
    read: FromCalendars,
    /// The relationships grouped from `read`'s verdicts (on the way to finding the 1:1s).
    relationships: Vec<Relationship>,
    /// The window the reading's occurrences reach over (what its memo says).
    reach: Window,
    index: Index,
    /// Resource digests to save (new or changed), and the origins no longer read.
    changed: Vec<CachedResource>,
    gone: Vec<String>,
}

/// Which way a cycle read the calendars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    /// Nothing changed, and this process read the calendars last: what it kept in memory.
    Kept,
    /// Nothing changed: the memo as it is.
    Memo,
    /// A few resources changed: the memo with their difference.
    Incremental,
    /// A few resources changed: what this process read last with their difference.
    IncrementalKept,
    /// Everything again, from the digests of what did not change.
    Full,
}

/// The calendars as a daemon's last cycle read them, with the relationships grouped from
/// them: valid while the cache's scope and the resources' fingerprint are the same and the
/// window is within its reach, as the memo it equals.
pub(crate) struct KeptReading {
    scope: String,
    fingerprint: String,
    reach: Window,
    read: FromCalendars,
    relationships: Vec<Relationship>,
    /// The calendars' resources `fingerprint` was made from (held, so that no other list
    /// can take their place in memory), and where the wanted ones among them are.
    resources: Vec<Arc<[Resource]>>,
    origins: HashMap<String, (usize, usize)>,
    /// Every resource's stamp by origin, and the index, as saved with the memo: what a
    /// change is applied to in the next cycle, which then reads neither from the state file.
    /// No index when the memo was taken as it was (a daemon's first cycle after a restart):
    /// the next change is then applied to the memo in the state file.
    stamps: HashMap<String, String>,
    index: Option<Index>,
}

impl KeptReading {
    fn holds_for(&self, scope: &str, fingerprint: &str, window: Window) -> bool {
        self.fingerprint == fingerprint && self.may_base(scope, window)
    }

    /// Whether a change of resources may be applied to it (see [`incremental::Base`]).
    fn may_base(&self, scope: &str, window: Window) -> bool {
        self.scope == scope && within(window, self.reach)
    }

    /// What a change is applied to, when it has an index.
    fn into_base(self) -> Option<incremental::Base> {
        Some(incremental::Base {
            reach: self.reach,
            read: self.read,
            relationships: Some(self.relationships),
            stamps: self.stamps,
            index: self.index?,
        })
    }

    /// True when every calendar's resources are the very ones this was made from (a
    /// CalDAV calendar or a watched folder in which nothing changed): their stamps, the
    /// fingerprint and the origins are then the same, and are not made again.
    fn made_from(&self, gathered: &Gathered) -> bool {
        self.resources.len() == gathered.calendars.len()
            && self
                .resources
                .iter()
                .zip(&gathered.calendars)
                .all(|(kept, c)| Arc::ptr_eq(kept, &c.snapshot.resources))
    }
}

/// Whether `window` is within `reach`.
fn within(window: Window, reach: Window) -> bool {
    reach.start <= window.start && window.end <= reach.end
}

/// Logs the way taken (and, in tests, remembers it).
fn took(path: Path) {
    tracing::debug!(?path, "calendars read");
    #[cfg(test)]
    tests::TAKEN.with(|taken| taken.borrow_mut().push(path));
}

/// Runs detection, history and cadence (as [`super::run`]) over the gathered calendars,
/// parsing only what changed since the cache was saved (nothing, in a daemon that read
/// them last and kept them in `warm`).
pub(super) fn run(
    gathered: &mut Gathered,
    job: &super::Job,
    store: &mut dyn History,
    warm: &mut super::Warm,
) -> Result<Outcome, HistoryError> {
    let window = super::window(job.now, job.since, &job.settings);
    let scope = scope(job, gathered);
    // Every resource's origin and stamp, unless the kept reading was made from these very
    // resources (8,720 of each for 10,000 events was a sixth of an idle daemon cycle).
    let known = warm
        .reading
        .as_ref()
        .filter(|kept| kept.made_from(gathered));
    let mut current = None;
    let fingerprint = match known {
        Some(kept) => kept.fingerprint.clone(),
        None => fingerprint(current.insert(stamps(gathered))),
    };
    let kept = warm
        .reading
        .as_mut()
        .filter(|kept| kept.holds_for(&scope, &fingerprint, window));
    let (mut read, relationships) = match kept {
        Some(kept) => {
            took(Path::Kept);
            match current {
                None => gathered.origins.clone_from(&kept.origins),
                Some(current) => {
                    index_origins(gathered, &current, &kept.read);
                    kept.resources = resources_of(gathered);
                    kept.origins.clone_from(&gathered.origins);
                }
            }
            (kept.read.clone(), kept.relationships.clone())
        }
        None => {
            let current = current.unwrap_or_else(|| stamps(gathered));
            // The last cycle's reading, when a change may be applied to it: then neither the
            // memo nor the stamps and index are read from the state file.
            let base = (warm.reading.take())
                .filter(|kept| kept.may_base(&scope, window))
                .and_then(KeptReading::into_base);
            let ReadCalendars {
                read,
                relationships,
                reach,
                index,
            } = read_calendars(
                gathered,
                job,
                store,
                &scope,
                window,
                &current,
                &fingerprint,
                base,
            )?;
            let relationships = relationships.unwrap_or_else(|| {
                detect::group_relationships(
                    read.verdicts.iter().map(|(m, v)| (m, v)),
                    &job.overrides.people,
                )
            });
            index_origins(gathered, &current, &read);
            warm.reading = match reach {
                Some(reach) if warm.keeps() => Some(KeptReading {
                    scope,
                    fingerprint,
                    reach,
                    read: read.clone(),
                    relationships: relationships.clone(),
                    resources: resources_of(gathered),
                    origins: gathered.origins.clone(),
                    stamps: current.into_iter().collect(),
                    index,
                }),
                _ => None,
            };
            (read, relationships)
        }
    };
    gathered.notes_at = std::mem::take(&mut read.notes_at);
    finish(read, relationships, gathered, job, store, window, warm)
}

/// Every calendar's resources, shared.
fn resources_of(gathered: &Gathered) -> Vec<Arc<[Resource]>> {
    gathered
        .calendars
        .iter()
        .map(|c| Arc::clone(&c.snapshot.resources))
        .collect()
}

/// What [`read_calendars`] gives back.
struct ReadCalendars {
    read: FromCalendars,
    /// The relationships of `read`'s verdicts, when reading grouped them.
    relationships: Option<Vec<Relationship>>,
    /// The window the result reaches.
    reach: Option<Window>,
    /// The index saved with it, when it was read from the calendars (not the memo as is).
    index: Option<Index>,
}

/// The calendars from the memo when nothing changed, else read the quickest way that gives
/// the full cycle's result (and the memo saved): a change applied to `base` (the last
/// cycle's reading, kept in memory) or to the memo, else the full path.
#[allow(clippy::too_many_arguments)]
fn read_calendars(
    gathered: &mut Gathered,
    job: &super::Job,
    store: &mut dyn History,
    scope: &str,
    window: Window,
    current: &[(String, String)],
    fingerprint: &str,
    base: Option<incremental::Base>,
) -> Result<ReadCalendars, HistoryError> {
    let from_memory = base.is_some();
    let base = match base {
        Some(base) => Some(base),
        None => {
            let memo = store
                .cached(scope)?
                .and_then(|body| decode_packed::<Memo>(&body));
            match memo {
                Some(memo) if memo.fingerprint == fingerprint && memo.covers(window) => {
                    took(Path::Memo);
                    let reach = memo.reach();
                    return Ok(ReadCalendars {
                        read: memo.into_read(),
                        relationships: None,
                        reach,
                        index: None,
                    });
                }
                Some(memo) if memo.covers(window) => {
                    incremental::Base::stored(&*store, scope, memo)?
                }
                _ => None,
            }
        }
    };
    let quick = match base {
        Some(base) => incremental::read(gathered, job, &*store, scope, current, base)?,
        None => None,
    };
    let reading = match quick {
        Some(reading) => {
            took(if from_memory {
                Path::IncrementalKept
            } else {
                Path::Incremental
            });
            reading
        }
        None => {
            took(Path::Full);
            full::read(gathered, job, &*store, scope, window, current)?
        }
    };
    let Reading {
        read,
        relationships,
        reach,
        index,
        changed,
        gone,
    } = reading;
    let body = encode_packed(&MemoOf {
        read: &read,
        fingerprint,
        reach,
    });
    store.save_cache(
        scope,
        &body,
        &encode_packed(&index),
        &changed,
        &gone,
        job.now,
    )?;
    Ok(ReadCalendars {
        read,
        relationships: Some(relationships),
        reach: Some(reach),
        index: Some(index),
    })
}

/// Where each resource holding a 1:1 or a series is, by origin (what planning looks up);
/// not the others, of which a big calendar has thousands.
fn index_origins(gathered: &mut Gathered, current: &[(String, String)], read: &FromCalendars) {
    let wanted: HashSet<&str> = read.verdicts.iter().map(|(m, _)| &*m.origin).collect();
    let failed: HashSet<&str> = read.failures.iter().map(|f| f.origin.as_str()).collect();
    let mut origins = current.iter().map(|(origin, _)| origin);
    for (c, calendar) in gathered.calendars.iter().enumerate() {
        for r in 0..calendar.snapshot.resources.len() {
            let Some(origin) = origins.next() else {
                return;
            };
            if wanted.contains(origin.as_str()) && !failed.contains(origin.as_str()) {
                gathered.origins.insert(origin.clone(), (c, r));
            }
        }
    }
}

/// The rest of a cycle from what was read: observe the window, record, analyse; while it
/// records, the big calendars' 1:1s are read for planning on a thread.
fn finish(
    read: FromCalendars,
    relationships: Vec<Relationship>,
    gathered: &mut Gathered,
    job: &super::Job,
    store: &mut dyn History,
    window: Window,
    warm: &mut super::Warm,
) -> Result<Outcome, HistoryError> {
    for failure in read.failures {
        gathered.failures.push((failure.calendar, failure.error));
    }
    let detection = Detection {
        verdicts: read.verdicts,
        relationships,
    };
    let mut warnings = read.warnings;
    warnings.extend(read.expansion_warnings);
    let expansion = Expansion {
        occurrences: read
            .occurrences
            .into_iter()
            .filter(|o| overlaps(window, o))
            .collect(),
        warnings: Vec::new(),
    };
    let (observations, adhoc) = observe(&expansion, &detection, window);
    warm.notes_ahead = super::agendas::read_notes_ahead(
        gathered,
        &detection.relationships,
        &observations,
        &*store,
        &warm.notes,
    );
    let recorded = store.record(&observations, job.now)?;
    let entries = analyse(store, &detection, &adhoc, job.now, job.since, &job.settings)?;
    Ok(Outcome {
        detection,
        entries,
        recorded,
        warnings,
        occurrences: expansion.occurrences,
    })
}

/// Whether an occurrence is in a window, as expansion decides it: it starts before the end
/// and ends after the start; one of no length when the start is in the window.
fn overlaps(window: Window, occ: &Occurrence) -> bool {
    let (s, e) = (occ.start.as_utc(), occ.end.as_utc());
    if s == e {
        window.start <= s && s < window.end
    } else {
        s < window.end && e > window.start
    }
}

/// The hash of everything cached results depend on besides the calendars' bytes: who the
/// manager is, the detection rules, the calendars and the expansion's step limit.
fn scope(job: &super::Job, gathered: &Gathered) -> String {
    let (me, overrides, steps) = (&job.me, &job.overrides, job.max_rule_steps);
    let calendars: Vec<(String, String)> = gathered
        .calendars
        .iter()
        .map(|c| (c.name.clone(), c.source.label()))
        .collect();
    let key = format!(
        "{FORMAT}\n{}\n{me:?}\n{overrides:?}\n{calendars:?}\n{steps}",
        env!("CARGO_PKG_VERSION")
    );
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Every resource's origin and stamp, in reading order (calendar, then resource).
fn stamps(gathered: &Gathered) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for calendar in &gathered.calendars {
        for resource in calendar.snapshot.resources.iter() {
            out.push((calendar.source.resource_origin(resource), resource.stamp()));
        }
    }
    out
}

/// One hash of every resource's origin and stamp, in reading order: equal to the memo's
/// when no resource was added, removed, replaced or touched.
fn fingerprint(current: &[(String, String)]) -> String {
    let mut hasher = Sha256::new();
    for (origin, stamp) in current {
        hasher.update(origin.as_bytes());
        hasher.update(b"\0");
        hasher.update(stamp.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// SHA-256 of a resource's bytes, hex; `None` when it cannot be read.
fn hash_of(resource: &Resource) -> Option<String> {
    let mut input = resource.open().ok()?;
    let mut hasher = Sha256::new();
    loop {
        let chunk = input.fill_buf().ok()?;
        if chunk.is_empty() {
            break;
        }
        hasher.update(chunk);
        let n = chunk.len();
        input.consume(n);
    }
    Some(hex::encode(hasher.finalize()))
}

/// A reader that hashes what passes through it (when it has a hasher), so a resource read
/// once is also hashed.
struct Hashing<R> {
    inner: R,
    hasher: Option<Sha256>,
}

impl<R: BufRead> std::io::Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(hasher) = &mut self.hasher {
            hasher.update(&buf[..n]);
        }
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Hashing<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if let Some(hasher) = &mut self.hasher
            && let Ok(buf) = self.inner.fill_buf()
        {
            let n = amount.min(buf.len());
            hasher.update(&buf[..n]);
        }
        self.inner.consume(amount);
    }
}

/// Everything a cycle needs from the calendars as a whole, valid while the resources have
/// the fingerprint and the window is within `reach`. Read from the cache's bytes; written
/// by [`MemoOf`], field for field.
#[derive(Debug, Default, Deserialize)]
struct Memo {
    /// [`fingerprint`] of the resources it was made from.
    fingerprint: String,
    /// The window the occurrences cover: `[start, end)`, UTC.
    reach: Option<(MomentRec, MomentRec)>,
    /// The 1:1s and the series, in reading order (each meta names its resource).
    verdicts: Vec<(MetaRec, VerdictRec)>,
    occurrences: Vec<OccurrenceRec>,
    /// Reading warnings, in reading order.
    warnings: Vec<WarningRec>,
    /// Warnings from expanding the 1:1s.
    expansion_warnings: Vec<WarningRec>,
    failures: Vec<Failure>,
    /// [`FromCalendars::notes_at`].
    notes_at: HashMap<String, Vec<PlaceRec>>,
}

impl Memo {
    /// Whether its occurrences cover `window`.
    fn covers(&self, window: Window) -> bool {
        self.reach().is_some_and(|reach| within(window, reach))
    }

    /// Its reach as a window.
    fn reach(&self) -> Option<Window> {
        self.reach.map(|(start, end)| Window {
            start: Moment::from(start).as_utc(),
            end: Moment::from(end).as_utc(),
        })
    }

    fn into_read(self) -> FromCalendars {
        FromCalendars {
            verdicts: std::sync::Arc::new(
                self.verdicts
                    .into_iter()
                    .map(|(m, v)| (m.into(), v.into()))
                    .collect(),
            ),
            occurrences: self.occurrences.into_iter().map(Into::into).collect(),
            warnings: self.warnings.into_iter().map(Warning::from).collect(),
            expansion_warnings: (self.expansion_warnings.into_iter())
                .map(Warning::from)
                .collect(),
            failures: self.failures,
            notes_at: (self.notes_at.into_iter())
                .map(|(origin, places)| (origin, places.into_iter().map(Into::into).collect()))
                .collect(),
        }
    }
}

/// In how many resources each UID and each of my names is (see [`incremental`]); hashed
/// with `foldhash` (every UID of the calendars is counted on a first cycle).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Index {
    uids: foldhash::HashMap<Arc<str>, u32>,
    names: foldhash::HashMap<String, u32>,
}

impl Index {
    fn add(&mut self, digest: &ResourceDigest) {
        for uid in &digest.uids {
            *self.uids.entry(uid.clone()).or_default() += 1;
        }
        for name in &digest.names {
            *self.names.entry(name.clone()).or_default() += 1;
        }
    }

    /// Takes a resource's counts away; false if it was not counted (a stale index).
    fn remove(&mut self, digest: &ResourceDigest) -> bool {
        fn take<K: std::borrow::Borrow<str> + std::hash::Hash + Eq>(
            counts: &mut foldhash::HashMap<K, u32>,
            key: &str,
        ) -> bool {
            match counts.get_mut(key) {
                Some(n) if *n > 1 => {
                    *n -= 1;
                    true
                }
                Some(_) => counts.remove(key).is_some(),
                None => false,
            }
        }
        let uids = digest.uids.iter().all(|u| take(&mut self.uids, u.as_ref()));
        let names = digest.names.iter().all(|n| take(&mut self.names, n));
        uids && names
    }
}

/// The cache's bytes of a record: postcard, a compact binary form (no field names, numbers
/// as varints), a quarter of the JSON it replaced and several times faster both ways; the
/// memo of a 100,000-event calendar is what a first cycle's peak memory was made of.
fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising plain data to a Vec cannot fail; an empty body would only be a miss.
    postcard::to_stdvec(value).unwrap_or_default()
}

/// [`encode`], compressed: the memo and the index take megabytes for a big calendar and
/// repeat themselves (a UID per occurrence); compressed (to about a third), saving them costs
/// SQLite a third of the memory (it copies what it is given, then holds its pages), and the
/// state file a third of the disk.
fn encode_packed<T: Serialize>(value: &T) -> Vec<u8> {
    lz4_flex::block::compress_prepend_size(&encode(value))
}

/// A record from [`encode_packed`] bytes; `None` (a cache miss) when they are not one.
fn decode_packed<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let (size, packed) = bytes.split_first_chunk::<4>()?;
    let size = usize::try_from(u32::from_le_bytes(*size)).ok()?;
    // LZ4 never expands more than 255-fold: a larger size was not written by tete, and
    // would only make it allocate for nothing.
    if size > packed.len().saturating_mul(255) {
        return None;
    }
    decode(&lz4_flex::block::decompress(packed, size).ok()?)
}

/// A record from the cache's bytes; `None` (a cache miss) when they are not one.
fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    postcard::from_bytes(bytes).ok()
}

/// What is kept of one resource.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ResourceDigest {
    metas: Vec<MetaRec>,
    /// Every UID in it, each once (shared with the collector's records: a big file has
    /// 100,000).
    uids: Vec<Arc<str>>,
    /// The names on my addresses in it (what detection learns my names from), each once.
    names: Vec<String>,
    warnings: Vec<WarningRec>,
    /// Why it could not be read, when it could not.
    failure: Option<String>,
}

/// Parses one resource into the cycle's collector, hashing its bytes on the way, and keeps
/// its digest; its events' meta are where the returned range says in the collector's, and
/// copied into the digest only for an item (a big file's digest is not saved).
fn digest_into(
    collector: &mut Collector,
    resource: &Resource,
    origin: &str,
    me: &detect::Identity,
) -> (String, ResourceDigest, std::ops::Range<usize>) {
    let (first_event, first_meta) = (collector.event_count(), collector.meta().len());
    // The collector's own warnings are not used: each resource's are kept in its digest.
    collector.take_warnings();
    let input = match resource.open() {
        Ok(input) => input,
        Err(e) => {
            let digest = ResourceDigest {
                failure: Some(crate::errors::chain(&e)),
                ..ResourceDigest::default()
            };
            return (String::new(), digest, first_meta..first_meta);
        }
    };
    // A big file or feed body is known by its stamp alone (it is parsed again whenever that
    // changes): hashing 100 MB would be spent for nothing.
    let mut hashing = Hashing {
        inner: input,
        hasher: resource.is_item().then(Sha256::new),
    };
    collector.keep_spans(!resource.is_item());
    let read = collector.read(&mut hashing, origin);
    collector.keep_spans(false);
    if hashing.hasher.is_some() {
        // Whatever the reader left unread is hashed too: the hash is of the whole item.
        let _ = std::io::copy(&mut hashing, &mut std::io::sink());
    }
    let hash = hashing
        .hasher
        .map(|h| hex::encode(h.finalize()))
        .unwrap_or_default();
    let own_warnings = collector.take_warnings();
    let metas = &collector.meta()[first_meta..];
    let digest = ResourceDigest {
        metas: if resource.is_item() {
            metas.iter().map(MetaRec::from).collect()
        } else {
            Vec::new()
        },
        names: names_of_me(metas, me),
        uids: uids_once(collector.event_uids(first_event)),
        warnings: own_warnings.iter().map(WarningRec::from).collect(),
        failure: read.err().map(|e| crate::errors::chain(&e)),
    };
    (hash, digest, first_meta..collector.meta().len())
}

/// `uids`, each once, in the order first met (an override repeats its series' UID): a big
/// file has 100,000, hashed with `foldhash`.
fn uids_once<'a>(uids: impl ExactSizeIterator<Item = &'a Arc<str>>) -> Vec<Arc<str>> {
    let mut seen = foldhash::HashSet::with_capacity_and_hasher(uids.len(), Default::default());
    let mut once = Vec::with_capacity(uids.len());
    once.extend(uids.filter(|uid| seen.insert(&***uid)).cloned());
    once
}

/// The names on my addresses in these events, each once, sorted.
fn names_of_me(metas: &[EventMeta], me: &detect::Identity) -> Vec<String> {
    let mut names: Vec<String> = metas
        .iter()
        .flat_map(|m| m.organizer.iter().chain(&m.attendees))
        .filter(|p| p.email.is_some() && me.is_me(p))
        .filter_map(|p| p.name.as_deref().map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Every resource with its calendar's name, in reading order.
fn resources(gathered: &Gathered) -> impl Iterator<Item = (&str, &Resource)> {
    gathered.calendars.iter().flat_map(|c| {
        c.snapshot
            .resources
            .iter()
            .map(move |r| (c.name.as_str(), r))
    })
}

/// The UIDs observing and planning read: the series and one-off 1:1s of the relationships
/// (a one-off 1:1 with someone who has no series is in no relationship).
/// Looked up for every event read and expanded: hashed with `foldhash`.
fn one_on_one_uids(relationships: &[Relationship]) -> foldhash::HashSet<&str> {
    relationships
        .iter()
        .flat_map(|r| r.series.iter().chain(&r.adhoc))
        .map(|s| &*s.uid)
        .collect()
}

/// Whether an occurrence sorts before another as expansion sorts them.
fn expansion_order(a: &Occurrence, b: &Occurrence) -> std::cmp::Ordering {
    (a.start.as_utc(), &a.uid, a.recurrence_id.as_utc()).cmp(&(
        b.start.as_utc(),
        &b.uid,
        b.recurrence_id.as_utc(),
    ))
}

#[cfg(test)]
mod tests;
