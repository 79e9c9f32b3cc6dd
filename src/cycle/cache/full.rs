//! The full path: every resource's digest (parsed now if it changed, else from the cache),
//! detection over all events' meta, and the resources holding a 1:1 read again to expand.

use std::collections::HashMap;

use super::{
    Failure, FromCalendars, Index, REACH, Reading, ResourceDigest, decode, digest_into, encode,
    hash_of, notes_at, one_on_one_uids, read_again, resources,
};
use crate::calendar::{Collector, EventMeta, Occurrence, Warning, Window};
use crate::cycle::Gathered;
use crate::history::cache::CachedResource;
use crate::history::{History, HistoryError};

/// One resource of this cycle: its digest, and whether it was parsed now (into the
/// cycle's collector) or taken from the cache.
struct Digested {
    origin: String,
    calendar: String,
    digest: ResourceDigest,
    /// Where its events' meta are in the collector, when it was parsed now.
    fresh: Option<std::ops::Range<usize>>,
}

/// Reads what changed, takes the rest from the resource digests, detects, and expands the
/// 1:1 events.
pub(super) fn read(
    gathered: &Gathered,
    job: &crate::cycle::Job,
    store: &dyn History,
    scope: &str,
    window: Window,
    current: &[(String, String)],
) -> Result<Reading, HistoryError> {
    let mut cached: HashMap<String, CachedResource> = store
        .cached_resources(scope)?
        .into_iter()
        .map(|c| (c.origin.clone(), c))
        .collect();
    let mut collector = Collector::with_meta();
    collector.set_max_rule_steps(job.max_rule_steps);
    let mut digested = Vec::new();
    let mut changed = Vec::new();
    let mut index = Index::default();
    for ((calendar, resource), (origin, stamp)) in resources(gathered).zip(current) {
        let reuse = cached.remove(origin).and_then(|c| {
            // A big file or feed body keeps only its stamp: it holds 1:1s, so it would be
            // parsed again to expand them anyway; only the memo spares its parse.
            if !resource.is_item() {
                return None;
            }
            let same = c.stamp == *stamp || hash_of(resource).is_some_and(|h| h == c.hash);
            let digest = decode::<ResourceDigest>(&c.body)?;
            same.then_some((c, digest))
        });
        let digest = match reuse {
            Some((mut row, digest)) => {
                if row.stamp != *stamp {
                    // Touched, not changed: saved again under its new stamp.
                    row.stamp.clone_from(stamp);
                    changed.push(row);
                }
                digested.push(Digested {
                    origin: origin.clone(),
                    calendar: calendar.to_string(),
                    digest,
                    fresh: None,
                });
                continue;
            }
            None => {
                let (hash, digest, metas) = digest_into(&mut collector, resource, origin, &job.me);
                changed.push(CachedResource {
                    origin: origin.clone(),
                    stamp: stamp.clone(),
                    hash,
                    body: if resource.is_item() {
                        encode(&digest)
                    } else {
                        Vec::new()
                    },
                });
                (digest, metas)
            }
        };
        digested.push(Digested {
            origin: origin.clone(),
            calendar: calendar.to_string(),
            digest: digest.0,
            fresh: Some(digest.1),
        });
    }
    for d in &digested {
        index.add(&d.digest);
    }
    let gone: Vec<String> = cached.into_keys().collect();
    // Parsed now: the collector's meta (taken, not copied); else the digest's.
    let fresh_metas = collector.take_meta();
    let metas: Vec<EventMeta> = if digested.iter().all(|d| d.fresh.is_some()) {
        // A first cycle: everything was parsed now, in reading order.
        fresh_metas
    } else {
        let mut metas = Vec::new();
        for d in &digested {
            match &d.fresh {
                Some(range) => {
                    metas.extend_from_slice(fresh_metas.get(range.clone()).unwrap_or_default());
                }
                None => metas.extend(d.digest.metas.iter().cloned().map(EventMeta::from)),
            }
        }
        metas
    };
    let detection = crate::cycle::detect_metas(metas, &job.me, &job.overrides);
    // The 1:1s, and every series (what `demo` and `list` show, 1:1 or not): detection keeps
    // only those.
    let verdicts = detection.verdicts;
    let ones = one_on_one_uids(&detection.relationships);
    let holds_a_1on1 = |d: &Digested| d.digest.uids.iter().any(|u| ones.contains(&**u));
    let reach = Window {
        start: window.start,
        end: window.end + REACH,
    };
    let (expansion, notes_at) = if digested
        .iter()
        .all(|d| d.fresh.is_some() || !holds_a_1on1(d))
    {
        // Every resource with a 1:1 was just read into the collector, in order.
        (
            collector.expand_with_excluded_where(reach, |uid| ones.contains(uid)),
            notes_at(&collector, &ones),
        )
    } else {
        let mut again = Collector::with_meta();
        again.set_max_rule_steps(job.max_rule_steps);
        for (d, (_, resource)) in digested.iter().zip(resources(gathered)) {
            if holds_a_1on1(d) {
                read_again(&mut again, resource, &d.origin);
            }
        }
        (
            again.expand_with_excluded_where(reach, |uid| ones.contains(uid)),
            notes_at(&again, &ones),
        )
    };
    // Its records (every event that may be a 1:1, a fifth of the peak for 100,000 events)
    // are not needed past here: gone before the memo is built.
    drop(collector);
    let occurrences: Vec<Occurrence> = expansion
        .occurrences
        .into_iter()
        .filter(|o| ones.contains(&*o.uid))
        .collect();
    let warnings: Vec<Warning> = digested
        .iter()
        .flat_map(|d| d.digest.warnings.iter().cloned().map(Warning::from))
        .collect();
    let failures = digested
        .iter()
        .filter_map(|d| {
            d.digest.failure.clone().map(|error| Failure {
                origin: d.origin.clone(),
                calendar: d.calendar.clone(),
                error,
            })
        })
        .collect();
    let read = FromCalendars {
        verdicts,
        occurrences,
        warnings,
        expansion_warnings: expansion.warnings,
        failures,
        notes_at,
    };
    Ok(Reading {
        reach,
        read,
        relationships: detection.relationships,
        index,
        changed,
        gone,
    })
}
