//! Override matching: which `VEVENT` of a UID is the master, which override of each
//! RECURRENCE-ID counts, which occurrence each replaces, the THISANDFUTURE override that
//! governs a later occurrence, and overrides without a master.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use super::context::{Context, Names};
use super::record::{EventRecord, Form, Stamp};
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
    /// It names no occurrence of the master and is older (lower SEQUENCE) than the master:
    /// the series was changed after it, and it is not reported.
    Stale,
}

/// Expands all `VEVENT`s sharing one UID: the master, its overrides, and orphan overrides.
pub(super) fn expand_group(
    ctx: &Context,
    group: &[&EventRecord],
    out: &mut Vec<Occurrence>,
    warnings: &mut Vec<Warning>,
) {
    let master = master_of(group);
    // Without a master, RECURRENCE-IDs are compared as instants (a date as its day).
    let frame = master.map_or(Form::Utc, |m| ctx.series_start(m).form);
    let (overrides, names) = latest_overrides(ctx, group, frame);
    let mut fates = vec![Fate::Unmatched; overrides.len()];
    if let Some(master) = master {
        expand_master(ctx, master, &overrides, &names, &mut fates, out, warnings);
    }
    for (ov, fate) in overrides.iter().zip(fates) {
        let rid = match fate {
            Fate::Excluded | Fate::Stale => continue,
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

fn rid_moment(ctx: &Context, ov: &EventRecord) -> Moment {
    let rid = rid_stamp(ov);
    ctx.moment(rid.t, rid.form)
}

/// The RECURRENCE-ID of an override (its DTSTART for an event without one).
fn rid_stamp(ov: &EventRecord) -> Stamp {
    ov.recurrence_id.unwrap_or(ov.start)
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

/// One override per occurrence named (in the series' `frame`), the one that counts (see
/// [`EventRecord::supersedes`]), with what each names.
fn latest_overrides<'a>(
    ctx: &Context,
    group: &[&'a EventRecord],
    frame: Form,
) -> (Vec<&'a EventRecord>, Vec<Names>) {
    let mut by_name: BTreeMap<Names, &EventRecord> = BTreeMap::new();
    for ev in group.iter().copied().filter(|e| e.recurrence_id.is_some()) {
        let kept = by_name.entry(ctx.names(rid_stamp(ev), frame)).or_insert(ev);
        if ev.supersedes(kept) {
            *kept = ev;
        }
    }
    by_name.into_iter().map(|(name, ev)| (ev, name)).unzip()
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

/// The latest THISANDFUTURE override (with what it names) whose range holds the occurrence
/// originally at wall-clock `t`: it names an earlier occurrence.
pub(super) fn this_and_future_for<'a>(
    future: &[(&'a EventRecord, Names)],
    t: NaiveDateTime,
) -> Option<(&'a EventRecord, Names)> {
    future
        .iter()
        .copied()
        .filter(|(_, name)| name.wall_clock() < t)
        .max_by_key(|(_, name)| name.wall_clock())
}
