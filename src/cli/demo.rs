//! `tete demo`: the whole main job on the bundled demo calendar, offline, in a temporary
//! folder: the calendar is unpacked there as a vdir (one file per event), so tete reads it,
//! detects the 1:1s, reports their cadence and writes the next agendas into it for real.
//! The calendar is built into the binary, so `cargo install` users have it too.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use crate::calendar::Document;
use crate::cycle::{AgendaPlans, Gathered};
use crate::cycle::{Job, run_cycle};
use crate::detect::{Identity, Overrides};
use crate::history::History;
use crate::report::Report;
use crate::sources::{CalendarSpec, Location};
use crate::state::StateFile;
use crate::zone::Zone;

use super::expand::parse_instant;
use super::inputs;
use super::report::{Format, render, write_output};

/// The demo calendar (bench/gen_calendar.py --demo writes it).
const DEMO_CALENDAR: &str = include_str!("../../demo/calendar.ics");

/// The demo's manager.
pub const DEMO_ME: &str = "mia@example.com";

/// The demo's "now": the day its story is told from, so it reads the same every time.
pub const DEMO_NOW: &str = "2026-11-25T12:00:00Z";

/// Arguments of `tete demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format of the report.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Tell the story from another UTC date than the demo's own (2026-11-25).
    #[arg(long, value_name = "DATE", value_parser = parse_instant)]
    pub now: Option<DateTime<Utc>>,
}

/// A vdir file name for a UID: the characters a file name can safely hold.
fn file_name(uid: &str, index: usize) -> String {
    let safe: String = uid
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.is_empty() {
        format!("event-{index}.ics")
    } else {
        format!("{safe}.ics")
    }
}

/// Unpacks the demo calendar into `dir` as a vdir.
fn unpack(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let (doc, _) = Document::parse(DEMO_CALENDAR, "demo/calendar.ics")?;
    for (i, (uid, part)) in doc.split_by_uid().into_iter().enumerate() {
        let path = dir.join(file_name(&uid, i));
        std::fs::write(&path, part.to_ical())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Runs `tete demo`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let now = match args.now {
        Some(now) => now,
        None => parse_instant(DEMO_NOW).map_err(anyhow::Error::msg)?,
    };
    let scratch = tempfile::tempdir().context("cannot create a temporary folder")?;
    let vdir = scratch.path().join("calendar");
    unpack(&vdir)?;
    let job = Job {
        calendars: vec![CalendarSpec {
            name: "demo".into(),
            location: Location::Vdir(vdir),
        }],
        me: Identity::new([DEMO_ME], []),
        overrides: Overrides::default(),
        settings: Default::default(),
        agenda: Default::default(),
        // No channels: the demo shows its nudges below instead of sending them.
        nudges: Default::default(),
        // Nor is a digest sent: `tete digest` prints one.
        digest: crate::report::digest::DigestSettings {
            enabled: false,
            ..Default::default()
        },
        tasks: None,
        state_file: scratch.path().join("state.sqlite"),
        feed_cache_dir: scratch.path().join("feeds"),
        request_timeout: crate::http::TOTAL_TIMEOUT,
        max_rule_steps: crate::calendar::recur::DEFAULT_MAX_STEPS,
        now,
        since: None,
    }
    .in_zone(Zone::machine());
    let zone = job.zone();
    let mut state = StateFile::open(&job.state_file)?;
    let cycle = inputs::runtime()?.block_on(run_cycle(&job, &mut state, false))?;
    let (outcome, plans, gathered, written) =
        (&cycle.outcome, &cycle.plans, &cycle.gathered, cycle.written);
    let notes = cycle.people_notes();
    let report = Report {
        now,
        entries: &outcome.entries,
        zone,
        notes: &notes,
    };
    if args.format == Format::Text && args.output.is_none() {
        println!(
            "tete demo: Mia Manager <{DEMO_ME}>'s calendar (demo/calendar.ics), as of {}.\n\
             It is unpacked into a temporary folder, which is removed afterwards.\n",
            zone.show(now, "%Y-%m-%d %H:%M %Z")
        );
        print!("{}", super::list::render(&outcome.detection, false));
        println!();
        print!("{}", render(&report, args.format));
        println!();
        print!("{}", agendas_written(plans, gathered, written, zone));
        println!();
        print!(
            "{}",
            nudges_triggered(state.history(), outcome, plans, now, zone)?
        );
        return Ok(ExitCode::SUCCESS);
    }
    write_output(&render(&report, args.format), args.output.as_deref())?;
    Ok(ExitCode::SUCCESS)
}

/// The nudges the demo calendar triggers with the default rules: replayed day by day over
/// the report's window (each streak once, on the day the daemon would have sent it), then
/// those current now, as `tete nudges` lists them, in the manager's zone.
fn nudges_triggered(
    store: &dyn History,
    outcome: &crate::cycle::Outcome,
    plans: &AgendaPlans,
    now: DateTime<Utc>,
    zone: Zone,
) -> anyhow::Result<String> {
    use crate::nudge::{self, Input};
    let settings = nudge::Settings {
        zone,
        ..Default::default()
    };
    let mut replayed: Vec<(DateTime<Utc>, nudge::Nudge)> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for entry in &outcome.entries {
        let rel = &entry.relationship;
        let (key, name) = (rel.counterpart.key(), rel.counterpart.first_name());
        let mut day = entry.analysis.window_start;
        while day < now {
            let timeline = nudge::marks(&entry.occurrences, day);
            let input = Input {
                key: key.as_str(),
                name: &name,
                timeline: &timeline,
                configured: entry.analysis.configured,
                open_items: &[],
            };
            for n in nudge::evaluate(&input, &settings.rules, &settings.zone, day) {
                if seen.insert(n.streak.clone()) {
                    replayed.push((day, n));
                }
            }
            day += chrono::Duration::days(1);
        }
    }
    replayed.sort_by_key(|(day, n)| (*day, n.streak.clone()));
    let mut out = String::from(
        "Nudges the daemon would have sent over these weeks, each streak once, on the day it began:\n",
    );
    for (day, n) in &replayed {
        out.push_str(&format!(
            "  {}  {}\n",
            zone.show(*day, "%a %-d %b"),
            n.message
        ));
    }
    if replayed.is_empty() {
        out.push_str("  none\n");
    }
    let current = crate::cycle::current_nudges(outcome, plans, now, &settings);
    out.push_str(&format!(
        "\nNudges now (`tete nudges` lists them):\n{}",
        super::nudges::text(&current, store)?
    ));
    Ok(out)
}

/// The agendas written, each under a line naming the meeting.
fn agendas_written(plans: &AgendaPlans, gathered: &Gathered, written: usize, zone: Zone) -> String {
    let mut out = format!(
        "Agendas written into the next 7 days' 1:1s ({written}), between tete's markers; \
         everything else in each event is untouched:\n"
    );
    // In the order the meetings come, as the week reads.
    let mut writes: Vec<_> = plans.writes(gathered).collect();
    writes.sort_by_key(|d| d.write.target.start.as_utc());
    for d in writes {
        let w = d.write;
        out.push_str(&format!(
            "\n── {}, {}, {} ──\n{}\n",
            zone.show(w.target.start.as_utc().and_utc(), "%a %-d %b %H:%M %Z"),
            d.resource.map_or("", |r| r.href.as_str()),
            w.target.place,
            w.agenda
        ));
    }
    out
}
