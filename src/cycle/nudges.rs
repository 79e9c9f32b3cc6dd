//! The nudges of one cycle: the nudge rules over each relationship's history and open
//! items, and one nudge per calendar whose agenda writes tete stopped.

use chrono::{DateTime, Utc};

use super::{AgendaPlans, Gathered, Outcome, halt_message};
use crate::nudge::{Input, Kind, Nudge, Settings, StreakKey, evaluate, marks};

/// The nudges of every relationship of a cycle: the rules run over each relationship's whole
/// stored history (not only the report's window, so a long streak keeps its key) and the
/// open items of its agenda plan (`plans` from [`super::plan_agendas`]; relationships
/// without a plan have no item nudges).
pub fn current_nudges(
    outcome: &Outcome,
    plans: &AgendaPlans,
    now: DateTime<Utc>,
    settings: &Settings,
) -> Vec<Nudge> {
    let mut out = Vec::new();
    for entry in &outcome.entries {
        let rel = &entry.relationship;
        let key = rel.counterpart.key();
        let timeline = marks(&entry.occurrences, now);
        let open = plans
            .plans
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, plan)| plan.open.as_slice())
            .unwrap_or_default();
        let name = rel.counterpart.first_name();
        let input = Input {
            key: key.as_str(),
            name: &name,
            timeline: &timeline,
            configured: entry.analysis.configured,
            open_items: open,
        };
        out.extend(evaluate(&input, &settings.rules, &settings.zone, now));
    }
    out
}

/// One nudge per CalDAV calendar whose agenda writes tete stopped, sent once per halt
/// (the streak is the calendar and when it stopped).
pub fn writes_stopped(gathered: &Gathered) -> Vec<Nudge> {
    gathered
        .calendars
        .iter()
        .filter_map(|calendar| {
            let crate::sources::Source::Caldav(caldav) = &calendar.source else {
                return None;
            };
            let (why, since) = caldav.halted().ok()??;
            Some(Nudge {
                relationship: format!("calendar:{}", calendar.name),
                name: calendar.name.clone(),
                kind: Kind::WritesStopped,
                message: halt_message(&calendar.name, &why, &since),
                streak: StreakKey::writes_stopped(&calendar.name, &since),
                dates: Vec::new(),
                html: None,
            })
        })
        .collect()
}

/// This week's digest as a nudge to deliver, once it is due (`[digest] day` and `time`, in
/// the manager's zone) and when digests are on; the delivery ledger sends it once per
/// channel, so later cycles of the week, restarts and a machine that was off change nothing.
/// Once every channel has it, the digest is not even built again that week.
pub fn due_digest(
    report: &crate::cycle::CycleReport,
    job: &crate::cycle::Job,
    store: &dyn crate::history::History,
) -> Result<Option<Nudge>, crate::history::HistoryError> {
    if !job.digest.enabled {
        return Ok(None);
    }
    let zone = job.zone();
    let Some(monday) = job.digest.due(zone.local(job.now)) else {
        return Ok(None);
    };
    let streak = StreakKey::digest(monday);
    let mut sent_everywhere = true;
    for channel in crate::nudge::channel_kinds(&job.nudges) {
        sent_everywhere &= store.nudge_sent(streak.as_str(), channel.as_str())?;
    }
    if sent_everywhere {
        return Ok(None);
    }
    let notes = report.people_notes();
    let view = crate::report::Report {
        now: job.now,
        entries: &report.outcome.entries,
        zone,
        notes: &notes,
    };
    let digest = crate::report::digest::digest(&view, monday);
    Ok(Some(Nudge {
        relationship: "digest".to_string(),
        name: digest.title(),
        kind: Kind::Digest,
        message: digest.text(),
        streak,
        dates: vec![monday],
        html: Some(digest.html()),
    }))
}
