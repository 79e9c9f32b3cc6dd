//! The cycle's cache: a cycle parses only the resources that changed.
//!
//! Two levels, both in the state file (`history::cache` stores them, opaque to it):
//!
//! - per resource, a [`ResourceDigest`]: the [`EventMeta`] of its events (what detection
//!   reads), the UID of every event in it (overrides too), its reading warnings, or why it
//!   could not be read; kept with the resource's stamp (etag, or file metadata) and the
//!   SHA-256 of its bytes;
//! - for the calendars as a whole, a [`Memo`]: every resource's stamp and hash, the 1:1
//!   verdicts, and the occurrences of the 1:1 events over the cycle's window and a week
//!   beyond ([`REACH`]), so that the next cycles, their windows a little later, find theirs.
//!
//! A cycle whose resources all have the memo's stamps (or, where a stamp differs, the same
//! bytes) and whose window the memo covers parses nothing. Otherwise it parses the changed
//! resources, takes the others' digests, detects over all events' meta, and re-reads only
//! the resources holding a 1:1 event (a few small files in a vdir) to expand them. Every
//! cached thing is keyed by a hash of what it depends on ([`scope`]: the cache format, tete's
//! version, who I am, the detection rules and people, the calendars): a change to any of them
//! starts from nothing. The result is the full cycle's, which a property test checks after
//! random edits (`tests::incremental_equals_full`).
//!
//! `TETE_NO_CACHE=1` turns the cache off (every cycle parses everything, and nothing is
//! read from or written to the cache): for the benchmark's side-by-side run and the tests.

use std::collections::{HashMap, HashSet};
use std::io::BufRead;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::{Detection, Gathered, Outcome, analyse, observe};
use crate::calendar::expand::Expansion;
use crate::calendar::{
    Collector, EventMeta, EventStatus, Moment, Occurrence, Person, PersonKind, RuleShape, Warning,
    Window,
};
use crate::detect::{self, Counterpart, Verdict};
use crate::history::cache::CachedResource;
use crate::history::{History, HistoryError};
use crate::sources::Resource;

/// Bumped whenever what is cached, or how it is read, changes; with tete's version it keys
/// the cache, so an upgrade that reads calendars differently starts from nothing.
const FORMAT: u32 = 1;

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
struct FromCalendars {
    verdicts: Vec<(EventMeta, Verdict)>,
    /// The 1:1 events' occurrences over `reach`, sorted as expansion sorts them.
    occurrences: Vec<Occurrence>,
    warnings: Vec<Warning>,
    failures: Vec<Failure>,
}

/// A resource that could not be read: its origin, its calendar's name, why.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Failure {
    origin: String,
    calendar: String,
    error: String,
}

/// Runs detection, history and cadence (as [`super::run`]) over the gathered calendars,
/// parsing only what changed since the cache was saved.
pub(super) fn run(
    gathered: &mut Gathered,
    job: &super::Job,
    store: &mut dyn History,
) -> Result<Outcome, HistoryError> {
    let window = super::window(job.now, job.since, &job.settings);
    let scope = scope(job, gathered);
    let current = stamps(gathered);
    let memo = store
        .cached(&scope)?
        .and_then(|body| serde_json::from_slice::<Memo>(&body).ok());
    let read = match memo.and_then(|m| m.reusable(window, &current, gathered)) {
        Some((memo, restamped)) => {
            if restamped {
                store.save_cache(&scope, &encode(&memo), &[], &[], job.now)?;
            }
            memo.into_read()
        }
        None => {
            let (read, memo, changed, gone) =
                read_changed(gathered, job, store, &scope, window, &current)?;
            store.save_cache(&scope, &encode(&memo), &changed, &gone, job.now)?;
            read
        }
    };
    for (c, calendar) in gathered.calendars.iter().enumerate() {
        for (r, resource) in calendar.snapshot.resources.iter().enumerate() {
            let origin = calendar.source.resource_origin(resource);
            gathered.origins.insert(origin, (c, r));
        }
    }
    for failure in &read.failures {
        gathered.origins.remove(&failure.origin);
    }
    finish(read, gathered, job, store, window)
}

/// The rest of a cycle from what was read: observe the window, record, analyse.
fn finish(
    read: FromCalendars,
    gathered: &mut Gathered,
    job: &super::Job,
    store: &mut dyn History,
    window: Window,
) -> Result<Outcome, HistoryError> {
    for failure in read.failures {
        gathered.failures.push((failure.calendar, failure.error));
    }
    let relationships = detect::group_relationships(
        read.verdicts.iter().map(|(m, v)| (m, v)),
        &job.overrides.people,
    );
    let detection = Detection {
        verdicts: read.verdicts,
        relationships,
    };
    let expansion = Expansion {
        occurrences: read
            .occurrences
            .into_iter()
            .filter(|o| overlaps(window, o))
            .collect(),
        warnings: Vec::new(),
    };
    let (observations, adhoc) = observe(&expansion, &detection, window);
    let recorded = store.record(&observations, job.now)?;
    let entries = analyse(store, &detection, &adhoc, job.now, job.since, &job.settings)?;
    Ok(Outcome {
        detection,
        entries,
        recorded,
        warnings: read.warnings,
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
    hex(&Sha256::digest(key.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A resource as this cycle sees it: where it is, and its stamp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Seen {
    origin: String,
    stamp: String,
    hash: String,
}

/// Every resource's origin and stamp, in reading order (calendar, then resource).
fn stamps(gathered: &Gathered) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for calendar in &gathered.calendars {
        for resource in &calendar.snapshot.resources {
            out.push((calendar.source.resource_origin(resource), resource.stamp()));
        }
    }
    out
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
    Some(hex(&hasher.finalize()))
}

/// A reader that hashes what passes through it, so a resource read once is also hashed.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: BufRead> std::io::Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Hashing<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = amount.min(buf.len());
            self.hasher.update(&buf[..n]);
        }
        self.inner.consume(amount);
    }
}

/// Everything a cycle needs from the calendars as a whole, valid while every resource is
/// as it was and the window is within `reach`.
#[derive(Debug, Serialize, Deserialize)]
struct Memo {
    resources: Vec<Seen>,
    /// The window the occurrences cover: `[start, end)`, UTC.
    reach: (MomentRec, MomentRec),
    verdicts: Vec<(MetaRec, VerdictRec)>,
    occurrences: Vec<OccurrenceRec>,
    warnings: Vec<WarningRec>,
    failures: Vec<Failure>,
}

impl Memo {
    /// The memo, if it serves this cycle: its reach covers `window` and every resource is
    /// the one it was made from (the same stamp, or the same bytes). The flag says stamps
    /// were updated (a file touched, not changed), so it should be saved again.
    fn reusable(
        mut self,
        window: Window,
        current: &[(String, String)],
        gathered: &Gathered,
    ) -> Option<(Memo, bool)> {
        let (start, end) = (
            Moment::from(self.reach.0).as_utc(),
            Moment::from(self.reach.1).as_utc(),
        );
        if window.start < start || window.end > end || self.resources.len() != current.len() {
            return None;
        }
        let mut restamped = false;
        for (i, (seen, (origin, stamp))) in self.resources.iter_mut().zip(current).enumerate() {
            if seen.origin != *origin {
                return None;
            }
            if seen.stamp != *stamp {
                let resource = nth_resource(gathered, i)?;
                if hash_of(resource)? != seen.hash {
                    return None;
                }
                seen.stamp.clone_from(stamp);
                restamped = true;
            }
        }
        Some((self, restamped))
    }

    fn into_read(self) -> FromCalendars {
        FromCalendars {
            verdicts: self
                .verdicts
                .into_iter()
                .map(|(m, v)| (m.into(), v.into()))
                .collect(),
            occurrences: self.occurrences.into_iter().map(Into::into).collect(),
            warnings: self.warnings.into_iter().map(Into::into).collect(),
            failures: self.failures,
        }
    }
}

/// The `i`-th resource in reading order.
fn nth_resource(gathered: &Gathered, i: usize) -> Option<&Resource> {
    gathered
        .calendars
        .iter()
        .flat_map(|c| c.snapshot.resources.iter())
        .nth(i)
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising plain data to a Vec cannot fail; an empty body would only be a miss.
    serde_json::to_vec(value).unwrap_or_default()
}

/// What is kept of one resource.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ResourceDigest {
    metas: Vec<MetaRec>,
    uids: Vec<String>,
    warnings: Vec<WarningRec>,
    /// Why it could not be read, when it could not.
    failure: Option<String>,
}

/// One resource of this cycle: its digest, and whether it was parsed now (into the
/// cycle's collector) or taken from the cache.
struct Digested {
    origin: String,
    calendar: String,
    digest: ResourceDigest,
    fresh: bool,
}

/// Reads what changed, takes the rest from the resource digests, detects, and expands the
/// 1:1 events. Returns what the cycle needs, the new memo, the changed digests and the
/// origins no longer read.
fn read_changed(
    gathered: &Gathered,
    job: &super::Job,
    store: &dyn History,
    scope: &str,
    window: Window,
    current: &[(String, String)],
) -> Result<(FromCalendars, Memo, Vec<CachedResource>, Vec<String>), HistoryError> {
    let mut cached: HashMap<String, CachedResource> = store
        .cached_resources(scope)?
        .into_iter()
        .map(|c| (c.origin.clone(), c))
        .collect();
    let mut collector = Collector::with_meta();
    collector.set_max_rule_steps(job.max_rule_steps);
    let mut digested = Vec::new();
    let mut seen = Vec::new();
    let mut changed = Vec::new();
    let mut i = 0;
    for calendar in &gathered.calendars {
        for resource in &calendar.snapshot.resources {
            let (origin, stamp) = &current[i];
            i += 1;
            // A big file or feed body (on disk) has no digest: it holds 1:1s, so it would
            // be parsed again to expand them anyway; only the memo spares its parse.
            let on_disk = !resource.is_item();
            let reuse = cached.remove(origin).filter(|_| !on_disk).and_then(|c| {
                let same = c.stamp == *stamp || hash_of(resource).is_some_and(|h| h == c.hash);
                let digest = serde_json::from_slice::<ResourceDigest>(&c.body).ok()?;
                same.then_some((c.hash, digest))
            });
            let (hash, digest, fresh) = match reuse {
                Some((hash, digest)) => (hash, digest, false),
                None => {
                    let (hash, digest) = digest_into(&mut collector, resource, origin);
                    if !on_disk {
                        changed.push(CachedResource {
                            origin: origin.clone(),
                            stamp: stamp.clone(),
                            hash: hash.clone(),
                            body: encode(&digest),
                        });
                    }
                    (hash, digest, true)
                }
            };
            seen.push(Seen {
                origin: origin.clone(),
                stamp: stamp.clone(),
                hash,
            });
            digested.push(Digested {
                origin: origin.clone(),
                calendar: calendar.name.clone(),
                digest,
                fresh,
            });
        }
    }
    let gone: Vec<String> = cached.into_keys().collect();
    let metas: Vec<EventMeta> = digested
        .iter()
        .flat_map(|d| d.digest.metas.iter().cloned().map(EventMeta::from))
        .collect();
    let detection = super::detect_metas(&metas, &job.me, &job.overrides);
    let verdicts: Vec<(EventMeta, Verdict)> = detection
        .verdicts
        .iter()
        // The 1:1s, and every series (what `demo` and `list` show, 1:1 or not).
        .filter(|(m, v)| v.counterpart.is_some() || m.recurring)
        .cloned()
        .collect();
    // What observing and planning read: the series and one-off 1:1s of the relationships
    // (a one-off 1:1 with someone who has no series is in no relationship).
    let ones: HashSet<&str> = detection
        .relationships
        .iter()
        .flat_map(|r| r.series.iter().chain(&r.adhoc))
        .map(|s| &*s.uid)
        .collect();
    let holds_a_1on1 = |d: &Digested| d.digest.uids.iter().any(|u| ones.contains(u.as_str()));
    let reach = Window {
        start: window.start,
        end: window.end + REACH,
    };
    let expansion = if digested.iter().all(|d| d.fresh || !holds_a_1on1(d)) {
        // Every resource with a 1:1 was just read into the collector, in order.
        collector.expand_with_excluded(reach)
    } else {
        let mut again = Collector::with_meta();
        again.set_max_rule_steps(job.max_rule_steps);
        for (d, resource) in digested.iter().zip(all_resources(gathered)) {
            if holds_a_1on1(d)
                && let Ok(input) = resource.open()
            {
                let _ = again.read(input, &d.origin);
            }
        }
        again.expand_with_excluded(reach)
    };
    let occurrences: Vec<Occurrence> = expansion
        .occurrences
        .into_iter()
        .filter(|o| ones.contains(&*o.uid))
        .collect();
    let mut warnings: Vec<Warning> = digested
        .iter()
        .flat_map(|d| d.digest.warnings.iter().cloned().map(Warning::from))
        .collect();
    warnings.extend(expansion.warnings);
    let failures: Vec<Failure> = digested
        .iter()
        .filter_map(|d| {
            d.digest.failure.clone().map(|error| Failure {
                origin: d.origin.clone(),
                calendar: d.calendar.clone(),
                error,
            })
        })
        .collect();
    let memo = Memo {
        resources: seen,
        reach: (
            Moment::Utc(reach.start).into(),
            Moment::Utc(reach.end).into(),
        ),
        verdicts: verdicts
            .iter()
            .map(|(m, v)| (MetaRec::from(m), VerdictRec::from(v)))
            .collect(),
        occurrences: occurrences.iter().map(OccurrenceRec::from).collect(),
        warnings: warnings.iter().map(WarningRec::from).collect(),
        failures: failures.clone(),
    };
    let read = FromCalendars {
        verdicts,
        occurrences,
        warnings,
        failures,
    };
    Ok((read, memo, changed, gone))
}

fn all_resources(gathered: &Gathered) -> impl Iterator<Item = &Resource> {
    gathered
        .calendars
        .iter()
        .flat_map(|c| c.snapshot.resources.iter())
}

/// Parses one resource into the cycle's collector, hashing its bytes on the way, and keeps
/// its digest.
fn digest_into(
    collector: &mut Collector,
    resource: &Resource,
    origin: &str,
) -> (String, ResourceDigest) {
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
            return (String::new(), digest);
        }
    };
    let mut hashing = Hashing {
        inner: input,
        hasher: Sha256::new(),
    };
    let read = collector.read(&mut hashing, origin);
    // Whatever the reader left unread is hashed too, so the hash is of the whole resource.
    let _ = std::io::copy(&mut hashing, &mut std::io::sink());
    let hash = hex(&hashing.hasher.finalize());
    let own_warnings = collector.take_warnings();
    let digest = ResourceDigest {
        metas: collector.meta()[first_meta..]
            .iter()
            .map(MetaRec::from)
            .collect(),
        uids: collector
            .event_uids(first_event)
            .map(str::to_string)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect(),
        warnings: own_warnings.iter().map(WarningRec::from).collect(),
        failure: read.err().map(|e| crate::errors::chain(&e)),
    };
    (hash, digest)
}

// --- Plain records of the calendar crate's types, for the cache's JSON ----------------

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PersonRec {
    email: Option<String>,
    name: Option<String>,
    kind: u8,
}

impl From<&Person> for PersonRec {
    fn from(p: &Person) -> Self {
        PersonRec {
            email: p.email.clone(),
            name: p.name.clone(),
            kind: match p.kind {
                PersonKind::Individual => 0,
                PersonKind::Group => 1,
                PersonKind::Room => 2,
                PersonKind::Resource => 3,
                PersonKind::Unknown => 4,
            },
        }
    }
}

impl From<PersonRec> for Person {
    fn from(p: PersonRec) -> Self {
        Person {
            email: p.email,
            name: p.name,
            kind: match p.kind {
                0 => PersonKind::Individual,
                1 => PersonKind::Group,
                2 => PersonKind::Room,
                3 => PersonKind::Resource,
                _ => PersonKind::Unknown,
            },
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct MetaRec {
    uid: String,
    origin: String,
    summary: Option<String>,
    organizer: Option<PersonRec>,
    attendees: Vec<PersonRec>,
    declined: Vec<PersonRec>,
    recurring: bool,
    rule: Option<(String, u16, usize)>,
}

impl From<&EventMeta> for MetaRec {
    fn from(m: &EventMeta) -> Self {
        MetaRec {
            uid: m.uid.to_string(),
            origin: m.origin.to_string(),
            summary: m.summary.clone(),
            organizer: m.organizer.as_ref().map(PersonRec::from),
            attendees: m.attendees.iter().map(PersonRec::from).collect(),
            declined: m.declined.iter().map(PersonRec::from).collect(),
            recurring: m.recurring,
            rule: m
                .rule
                .as_ref()
                .map(|r| (r.freq.clone(), r.interval, r.weekdays)),
        }
    }
}

impl From<MetaRec> for EventMeta {
    fn from(m: MetaRec) -> Self {
        EventMeta {
            uid: m.uid.into(),
            origin: m.origin.into(),
            summary: m.summary,
            organizer: m.organizer.map(Person::from),
            attendees: m.attendees.into_iter().map(Person::from).collect(),
            declined: m.declined.into_iter().map(Person::from).collect(),
            recurring: m.recurring,
            rule: m.rule.map(|(freq, interval, weekdays)| RuleShape {
                freq,
                interval,
                weekdays,
            }),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct VerdictRec {
    counterpart: Option<(Option<String>, Option<String>)>,
    reason: String,
}

impl From<&Verdict> for VerdictRec {
    fn from(v: &Verdict) -> Self {
        VerdictRec {
            counterpart: v
                .counterpart
                .as_ref()
                .map(|c| (c.email.clone(), c.name.clone())),
            reason: v.reason.clone(),
        }
    }
}

impl From<VerdictRec> for Verdict {
    fn from(v: VerdictRec) -> Self {
        Verdict {
            counterpart: v
                .counterpart
                .map(|(email, name)| Counterpart { email, name }),
            reason: v.reason,
        }
    }
}

/// A time exactly: its form, seconds since the epoch (as if UTC) and nanoseconds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct MomentRec(u8, i64, u32);

impl From<Moment> for MomentRec {
    fn from(m: Moment) -> Self {
        let (form, t) = match m {
            Moment::Date(d) => (0, d.and_time(chrono::NaiveTime::MIN)),
            Moment::Floating(t) => (1, t),
            Moment::Utc(t) => (2, t),
        };
        let t = t.and_utc();
        MomentRec(form, t.timestamp(), t.timestamp_subsec_nanos())
    }
}

impl From<MomentRec> for Moment {
    fn from(MomentRec(form, secs, nanos): MomentRec) -> Self {
        let t = DateTime::<Utc>::from_timestamp(secs, nanos)
            .unwrap_or_default()
            .naive_utc();
        match form {
            0 => Moment::Date(t.date()),
            1 => Moment::Floating(t),
            _ => Moment::Utc(t),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct OccurrenceRec {
    uid: String,
    recurrence_id: MomentRec,
    start: MomentRec,
    end: MomentRec,
    summary: Option<String>,
    status: Option<String>,
    excluded: bool,
    declined: Option<Vec<PersonRec>>,
}

impl From<&Occurrence> for OccurrenceRec {
    fn from(o: &Occurrence) -> Self {
        OccurrenceRec {
            uid: o.uid.to_string(),
            recurrence_id: o.recurrence_id.into(),
            start: o.start.into(),
            end: o.end.into(),
            summary: o.summary.as_deref().map(str::to_string),
            status: o.status.as_ref().map(|s| s.as_str().to_string()),
            excluded: o.excluded,
            declined: o
                .declined
                .as_ref()
                .map(|people| people.iter().map(PersonRec::from).collect()),
        }
    }
}

impl From<OccurrenceRec> for Occurrence {
    fn from(o: OccurrenceRec) -> Self {
        Occurrence {
            uid: o.uid.into(),
            recurrence_id: o.recurrence_id.into(),
            start: o.start.into(),
            end: o.end.into(),
            summary: o.summary.map(Into::into),
            status: o.status.as_deref().map(EventStatus::parse),
            excluded: o.excluded,
            declined: o
                .declined
                .map(|people| people.into_iter().map(Person::from).collect()),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct WarningRec {
    origin: String,
    line: usize,
    uid: Option<String>,
    message: String,
}

impl From<&Warning> for WarningRec {
    fn from(w: &Warning) -> Self {
        WarningRec {
            origin: w.origin.to_string(),
            line: w.line,
            uid: w.uid.clone(),
            message: w.message.clone(),
        }
    }
}

impl From<WarningRec> for Warning {
    fn from(w: WarningRec) -> Self {
        Warning {
            origin: w.origin.into(),
            line: w.line,
            uid: w.uid,
            message: w.message,
        }
    }
}

#[cfg(test)]
mod tests;
