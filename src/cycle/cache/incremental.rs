//! The incremental path: a few resources changed, were added or removed since the memo
//! (or the reading a daemon kept: a [`Base`] either way). Only those are parsed; their
//! verdicts replace theirs in the base, and the 1:1s among them (and any 1:1 that joined a
//! relationship because of them) are expanded again.
//!
//! Exact only while the change stays within those resources, so it gives up (`None`: the
//! full path runs) when it might not: a UID in more than one resource (which copy counts
//! depends on all of them), the names on my addresses changing (every verdict may), a big
//! file (no digest) changing, the index missing, or more than a few resources changed
//! (the full path is then as cheap).

use std::collections::{HashMap, HashSet};

use super::{
    Failure, FromCalendars, Index, Memo, Reading, ResourceDigest, decode, decode_packed,
    digest_into, encode, expansion_order, notes_at, one_on_one_uids, read_again, resources,
};
use crate::agenda;
use crate::calendar::{Collector, EventMeta, Occurrence, Warning, Window};
use crate::detect::{self, Relationship, Verdict};
use crate::history::cache::CachedResource;
use crate::history::{History, HistoryError};

/// Past this many changed resources (or a twentieth of them, if more), the full path runs.
const MOST_CHANGED: usize = 32;

/// A changed or added resource: its position in reading order, parsed now.
struct Fresh {
    position: usize,
    origin: String,
    calendar: String,
    stamp: String,
    hash: String,
    digest: ResourceDigest,
}

/// What the difference is applied to: the calendars as a cycle last read them and saved
/// them, with every resource's stamp then and the index of them.
pub(super) struct Base {
    /// The window the occurrences cover.
    pub(super) reach: Window,
    pub(super) read: FromCalendars,
    /// The relationships grouped from `read`'s verdicts, when at hand.
    pub(super) relationships: Option<Vec<Relationship>>,
    /// Every resource's stamp, by origin.
    pub(super) stamps: HashMap<String, String>,
    pub(super) index: Index,
}

impl Base {
    /// The base the state file holds under `scope`: the memo (given, decoded), the stamps
    /// of the digests saved with it and its index; `None` without an index.
    pub(super) fn stored(
        store: &dyn History,
        scope: &str,
        memo: Memo,
    ) -> Result<Option<Base>, HistoryError> {
        let Some(reach) = memo.reach() else {
            return Ok(None);
        };
        let Some(index) = store
            .cached_index(scope)?
            .and_then(|body| decode_packed::<Index>(&body))
        else {
            return Ok(None);
        };
        Ok(Some(Base {
            reach,
            read: memo.into_read(),
            relationships: None,
            stamps: store.cached_stamps(scope)?.into_iter().collect(),
            index,
        }))
    }
}

/// The base with the changed resources applied, or `None` when only the full path is exact.
///
/// The digests of what changed are read from the state file, so they must be the very
/// ones the base was made with: a digest saved since under another stamp (another process
/// read the calendars in between) sends it to the full path.
pub(super) fn read(
    gathered: &crate::cycle::Gathered,
    job: &crate::cycle::Job,
    store: &dyn History,
    scope: &str,
    current: &[(String, String)],
    base: Base,
) -> Result<Option<Reading>, HistoryError> {
    let Base {
        reach,
        read: old,
        relationships: old_relationships,
        stamps: stored,
        mut index,
    } = base;
    let position: HashMap<&str, usize> = current
        .iter()
        .enumerate()
        .map(|(i, (origin, _))| (origin.as_str(), i))
        .collect();
    let all: Vec<_> = resources(gathered).collect();
    let mut changed = Vec::new();
    // Stored origins read again, each counted once (two calendars may read one folder).
    let mut still_there = 0;
    for (i, ((_, resource), (origin, stamp))) in all.iter().zip(current).enumerate() {
        let before = stored.get(origin);
        if before.is_some() && position.get(origin.as_str()) == Some(&i) {
            still_there += 1;
        }
        if before == Some(stamp) {
            continue;
        }
        if !resource.is_item() {
            return Ok(None);
        }
        changed.push(i);
    }
    // Only when some stored origin is no longer read are they all looked up.
    let removed: Vec<String> = if still_there == stored.len() {
        Vec::new()
    } else {
        stored
            .keys()
            .filter(|o| !position.contains_key(o.as_str()))
            .cloned()
            .collect()
    };
    let count = changed.len() + removed.len();
    if count == 0 || count > MOST_CHANGED.max(current.len() / 20) {
        return Ok(None);
    }
    // What the changed and removed resources held before.
    let before_origins: Vec<String> = (changed.iter())
        .map(|&i| current[i].0.clone())
        .filter(|o| stored.contains_key(o))
        .chain(removed.iter().cloned())
        .collect();
    let mut before: Vec<ResourceDigest> = Vec::new();
    for row in store.cached_bodies(scope, &before_origins)? {
        if stored.get(&row.origin) != Some(&row.stamp) {
            return Ok(None);
        }
        match decode::<ResourceDigest>(&row.body) {
            Some(digest) if !row.body.is_empty() => before.push(digest),
            _ => return Ok(None),
        }
    }
    if before.len() != before_origins.len() {
        return Ok(None);
    }
    let names_before: HashSet<String> = index.names.keys().cloned().collect();
    for digest in &before {
        if shares_a_uid(digest, &index) || !index.remove(digest) {
            return Ok(None);
        }
    }
    let mut collector = Collector::with_meta();
    collector.set_max_rule_steps(job.max_rule_steps);
    let mut fresh = Vec::new();
    for &i in &changed {
        let ((calendar, resource), (origin, stamp)) = (all[i], &current[i]);
        let (hash, digest, _) = digest_into(&mut collector, resource, origin, &job.me);
        index.add(&digest);
        fresh.push(Fresh {
            position: i,
            origin: origin.clone(),
            calendar: calendar.to_string(),
            stamp: stamp.clone(),
            hash,
            digest,
        });
    }
    let names_after: HashSet<String> = index.names.keys().cloned().collect();
    if names_after != names_before || fresh.iter().any(|f| shares_a_uid(&f.digest, &index)) {
        return Ok(None);
    }
    let touched: HashSet<&str> = before_origins
        .iter()
        .map(String::as_str)
        .chain(fresh.iter().map(|f| f.origin.as_str()))
        .collect();
    let mut me = job.me.clone();
    for name in &names_after {
        me.learn_name(name);
    }

    // Verdicts: the memo's, but the touched resources' replaced, in reading order.
    let old_verdicts = old.verdicts;
    let old_relationships = old_relationships.unwrap_or_else(|| group(&old_verdicts, job));
    let old_ones = one_on_one_uids(&old_relationships);
    let verdicts: Vec<(EventMeta, Verdict)> = in_reading_order(
        old_verdicts.iter().cloned(),
        |(m, _)| &m.origin,
        fresh
            .iter()
            .flat_map(|f| classify(&f.digest, &me, job).map(|v| (f.position, v))),
        &touched,
        &position,
    );
    let relationships = group(&verdicts, job);
    let ones = one_on_one_uids(&relationships);

    // Occurrences: the memo's, but those of the touched resources' UIDs expanded again,
    // and those of events that just became part of a relationship.
    let touched_uids: HashSet<&str> = uids_of(before.iter().chain(fresh.iter().map(|f| &f.digest)));
    let fresh_uids = uids_of(fresh.iter().map(|f| &f.digest));
    let joined: HashSet<&str> = ones
        .iter()
        .copied()
        .filter(|u| !old_ones.contains(u) && !touched_uids.contains(u))
        .collect();
    let mut extra_origins: HashSet<&str> = HashSet::new();
    for (meta, _) in &verdicts {
        if joined.contains(&*meta.uid) && extra_origins.insert(&meta.origin) {
            let Some(&i) = position.get(&*meta.origin) else {
                continue;
            };
            read_again(&mut collector, all[i].1, &meta.origin);
        }
    }
    let expansion = collector.expand_with_excluded_where(reach, |uid| ones.contains(uid));
    // Big files are never touched on this way (a change sends it to the full way); one
    // read again for a 1:1 that joined has its places found again.
    let mut notes = old.notes_at;
    notes.retain(|origin, _| position.contains_key(origin.as_str()));
    notes.extend(notes_at(&collector, &ones));
    let mut occurrences: Vec<Occurrence> = old
        .occurrences
        .into_iter()
        .filter(|o| ones.contains(&*o.uid) && !touched_uids.contains(&*o.uid))
        .collect();
    occurrences.extend(expansion.occurrences.into_iter().filter(|o| {
        ones.contains(&*o.uid) && (fresh_uids.contains(&*o.uid) || joined.contains(&*o.uid))
    }));
    occurrences.sort_by(expansion_order);

    // Warnings and failures: the memo's, but the touched resources' replaced.
    let warnings = in_reading_order(
        old.warnings,
        |w| &w.origin,
        fresh.iter().flat_map(|f| {
            (f.digest.warnings.iter()).map(|w| (f.position, Warning::from(w.clone())))
        }),
        &touched,
        &position,
    );
    let mut expansion_warnings: Vec<Warning> = old
        .expansion_warnings
        .into_iter()
        .filter(|w| !touched.contains(&*w.origin) && !extra_origins.contains(&*w.origin))
        .collect();
    expansion_warnings.extend(expansion.warnings);
    let failures = in_reading_order(
        old.failures,
        |f| &f.origin,
        fresh.iter().filter_map(|f| {
            let error = f.digest.failure.clone()?;
            let failure = Failure {
                origin: f.origin.clone(),
                calendar: f.calendar.clone(),
                error,
            };
            Some((f.position, failure))
        }),
        &touched,
        &position,
    );

    let rows = fresh
        .into_iter()
        .map(|f| CachedResource {
            body: encode(&f.digest),
            origin: f.origin,
            stamp: f.stamp,
            hash: f.hash,
        })
        .collect();
    let read = FromCalendars {
        verdicts: verdicts.into(),
        occurrences,
        warnings,
        expansion_warnings,
        failures,
        notes_at: notes,
    };
    Ok(Some(Reading {
        reach,
        read,
        relationships,
        index,
        changed: rows,
        gone: removed,
    }))
}

/// The memo's entries of the untouched resources and the touched ones' new entries (each
/// with its resource's position), in reading order; within a resource, as they came.
fn in_reading_order<T>(
    memo: impl IntoIterator<Item = T>,
    origin: impl Fn(&T) -> &str,
    fresh: impl IntoIterator<Item = (usize, T)>,
    touched: &HashSet<&str>,
    position: &HashMap<&str, usize>,
) -> Vec<T> {
    let mut all: Vec<(usize, T)> = memo
        .into_iter()
        .filter(|entry| !touched.contains(origin(entry)))
        .filter_map(|entry| Some((*position.get(origin(&entry))?, entry)))
        .collect();
    all.extend(fresh);
    // Stable: entries of one resource keep their order.
    all.sort_by_key(|(p, _)| *p);
    all.into_iter().map(|(_, entry)| entry).collect()
}

/// Whether one of the digest's UIDs (or an event without one) is in another resource too.
fn shares_a_uid(digest: &ResourceDigest, index: &Index) -> bool {
    digest
        .uids
        .iter()
        .any(|u| u.is_empty() || index.uids.get(u).is_some_and(|&n| n > 1))
}

/// One resource's kept verdicts (1:1s and series), as detection judges them: the first
/// event of a UID counts (the resource's UIDs are in no other), tete's own companions are
/// skipped.
fn classify<'a>(
    digest: &'a ResourceDigest,
    me: &'a detect::Identity,
    job: &'a crate::cycle::Job,
) -> impl Iterator<Item = (EventMeta, Verdict)> + 'a {
    let mut seen = HashSet::new();
    digest
        .metas
        .iter()
        .map(|m| EventMeta::from(m.clone()))
        .filter(move |m| {
            seen.insert((m.uid.clone(), m.recurring))
                && !m.uid.starts_with(agenda::companion::UID_PREFIX)
        })
        .map(|m| {
            let verdict = detect::classify(&m, me, &job.overrides);
            (m, verdict)
        })
        .filter(|(m, v)| v.counterpart.is_some() || m.recurring)
}

fn group(verdicts: &[(EventMeta, Verdict)], job: &crate::cycle::Job) -> Vec<Relationship> {
    detect::group_relationships(verdicts.iter().map(|(m, v)| (m, v)), &job.overrides.people)
}

/// The UIDs of a set of digests.
fn uids_of<'a>(digests: impl IntoIterator<Item = &'a ResourceDigest>) -> HashSet<&'a str> {
    digests
        .into_iter()
        .flat_map(|d| d.uids.iter().map(|u| &**u))
        .collect()
}
