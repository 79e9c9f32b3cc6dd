//! Override matching: which `VEVENT` of a UID is the master, which override of each
//! RECURRENCE-ID counts, which occurrence each replaces, the THISANDFUTURE override that
//! governs a later occurrence, and overrides without a master.

use std::collections::BTreeMap;

use super::context::Context;
use super::record::EventRecord;
use super::series::expand_master;
use super::{Moment, Occurrence};
use crate::warning::Warning;

/// What became of an override once its master was expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fate {
    /// It names no occurrence of a master: it is an occurrence of its own.
    Unmatched,
    /// It replaces the master's occurrence with this original start.
    Replaces(Moment),
    /// The master's EXDATE removes the occurrence it names, and so it is not reported.
    Excluded,
}

/// Expands all `VEVENT`s sharing one UID: the master, its overrides, and orphan overrides.
pub(super) fn expand_group(
    ctx: &Context,
    group: &[&EventRecord],
    out: &mut Vec<Occurrence>,
    warnings: &mut Vec<Warning>,
) {
    let overrides = latest_overrides(ctx, group);
    let mut fates = vec![Fate::Unmatched; overrides.len()];
    if let Some(master) = master_of(group) {
        expand_master(ctx, master, &overrides, &mut fates, out, warnings);
    }
    for (ov, fate) in overrides.iter().zip(fates) {
        let rid = match fate {
            Fate::Excluded => continue,
            // As the master reports that occurrence, in its value type: a DATE series'
            // override may name its day with a midnight DATE-TIME.
            Fate::Replaces(rid) => rid,
            Fate::Unmatched => rid_moment(ctx, ov),
        };
        let start = ctx.moment(ov.start.t, ov.start.form);
        let end = ctx.end_of(ov.start.t, ov.start.form, ov.start, ov.end);
        if ctx.overlaps(start, end) {
            out.push(occurrence(ov, rid, start, end, ov));
        }
    }
}

pub(super) fn rid_moment(ctx: &Context, ov: &EventRecord) -> Moment {
    ov.recurrence_id.map_or_else(
        || ctx.moment(ov.start.t, ov.start.form),
        |r| ctx.moment(r.t, r.form),
    )
}

/// The master of a UID: of its events without RECURRENCE-ID, the one that counts (see
/// [`EventRecord::supersedes`]); the others are earlier versions of it.
fn master_of<'a>(group: &[&'a EventRecord]) -> Option<&'a EventRecord> {
    group
        .iter()
        .copied()
        .filter(|e| e.recurrence_id.is_none())
        .reduce(|kept, e| if e.supersedes(kept) { e } else { kept })
}

/// One override per RECURRENCE-ID, the one that counts (see [`EventRecord::supersedes`]).
fn latest_overrides<'a>(ctx: &Context, group: &[&'a EventRecord]) -> Vec<&'a EventRecord> {
    let mut by_rid: BTreeMap<Moment, &EventRecord> = BTreeMap::new();
    for ev in group.iter().copied().filter(|e| e.recurrence_id.is_some()) {
        let kept = by_rid.entry(rid_moment(ctx, ev)).or_insert(ev);
        if ev.supersedes(kept) {
            *kept = ev;
        }
    }
    by_rid.into_values().collect()
}

pub(super) fn occurrence(
    ev: &EventRecord,
    rid: Moment,
    start: Moment,
    end: Moment,
    props: &EventRecord,
) -> Occurrence {
    Occurrence {
        uid: ev.uid.clone(),
        recurrence_id: rid,
        start,
        end,
        summary: props.summary.clone(),
        status: props.status.clone(),
        excluded: false,
        declined: props.declined.clone(),
    }
}

/// The latest THISANDFUTURE override that starts before this occurrence.
pub(super) fn this_and_future_for<'a>(
    ctx: &Context,
    future: &[&'a EventRecord],
    occ: Moment,
) -> Option<&'a EventRecord> {
    future
        .iter()
        .copied()
        .filter(|o| rid_moment(ctx, o).as_utc() < occ.as_utc())
        .max_by_key(|o| rid_moment(ctx, o).as_utc())
}
