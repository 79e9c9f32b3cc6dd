//! `tete run --once [--dry-run]`: one whole cycle: read the calendars, detect the 1:1s,
//! record the history, and write each upcoming 1:1's agenda.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use similar::TextDiff;

use crate::agenda::plan::which_meeting;
use crate::cycle::CycleReport;
use crate::cycle::run_cycle;
use crate::zone::Zone;

use super::inputs;

/// Arguments of `tete run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run one cycle and exit (for cron or a systemd timer).
    #[arg(long)]
    pub once: bool,
    /// Print a unified diff of every description tete would change, and change nothing
    /// (neither the calendars nor the state file).
    #[arg(long)]
    pub dry_run: bool,
    /// Where the calendars, identity and state come from.
    #[command(flatten)]
    pub inputs: inputs::InputArgs,
}

/// Exit status of a run whose cycle could not write an agenda it planned.
pub const WRITE_FAILED: u8 = 3;

/// Runs `tete run`.
pub fn run(config: Option<&Path>, args: Args) -> anyhow::Result<ExitCode> {
    if !args.once {
        anyhow::bail!("`tete run` needs --once (the long-running service is `tete daemon`)");
    }
    let mut job = inputs::resolve(config, &args.inputs)?;
    // A dry run works on a copy of the state, so that it changes nothing at all.
    let scratch = tempfile::tempdir().context("cannot create a temporary folder")?;
    let state_file = if args.dry_run {
        let copy = scratch.path().join("state.sqlite");
        if job.state_file.exists() {
            std::fs::copy(&job.state_file, &copy).with_context(|| {
                format!("cannot copy {} for the dry run", job.state_file.display())
            })?;
        }
        // The CalDAV sync state too: it lives in the state file.
        job.state_file.clone_from(&copy);
        copy
    } else {
        job.state_file.clone()
    };
    let mut state = crate::state::StateFile::open(&state_file)?;
    let report = inputs::with_progress(
        &inputs::runtime()?,
        "reading the calendars, writing the agendas",
        run_cycle(&job, &mut state, args.dry_run),
    )?;
    inputs::print_problems(&report, job.zone());
    if args.dry_run {
        print!("{}", dry_run_diff(&report, job.zone()));
        return Ok(ExitCode::SUCCESS);
    }
    let recorded = report.outcome.recorded;
    println!(
        "{} relationship(s); history: {} new, {} changed, {} deleted; agendas written: {}",
        report.outcome.entries.len(),
        recorded.new,
        recorded.changed,
        recorded.deleted,
        report.written,
    );
    if let Some(list) = &report.tasks.list {
        if report.tasks.created {
            println!("created the task list {list:?}");
        }
        println!(
            "tasks in {list:?}: {} written, {} item(s) closed from the task list",
            report.tasks.written,
            report.tasks.closed.len()
        );
    }
    // A write that failed is a failed run (cron and systemd should see it); the problems
    // were printed above.
    if report.write_failures.is_empty()
        && report.held_writes.is_empty()
        && report.tasks.failures.is_empty()
    {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(WRITE_FAILED))
    }
}

/// A unified diff of every description that would change, each under a line naming the
/// 1:1 (whose, when in the manager's zone) and where its agenda goes.
pub fn dry_run_diff(report: &CycleReport, zone: Zone) -> String {
    let mut out = String::new();
    for (key, d) in report.plans.writes_by_relationship(&report.gathered) {
        let w = d.write;
        // As diff tools expect: `a/` and `b/` before a relative path.
        let name = d.describe().trim_start_matches('/').to_string();
        let what = if w.target.retire {
            " (the 1:1 no longer takes place: marked cancelled, its text kept)"
        } else {
            ""
        };
        let meeting = report
            .outcome
            .entries
            .iter()
            .find(|e| e.relationship.counterpart.key() == *key)
            .map_or_else(
                || format!("{} at {}", w.target.series_uid, w.target.recurrence_id),
                |e| which_meeting(&e.relationship, w.target.start, &zone),
            );
        out.push_str(&format!(
            "# agenda of {meeting}: {}{what}\n",
            w.target.place
        ));
        let diff = TextDiff::from_lines(&w.target.description.text, &w.new.text);
        out.push_str(
            &diff
                .unified_diff()
                .header(&format!("a/{name}"), &format!("b/{name}"))
                .to_string(),
        );
    }
    out.push_str(&tasks_diff(&report.tasks));
    if out.is_empty() {
        out.push_str("Nothing to change.\n");
    }
    out
}

/// A unified diff of every task that would change, each under a line saying what and why.
fn tasks_diff(tasks: &crate::cycle::TaskReport) -> String {
    let mut out = String::new();
    let list = tasks.list.as_deref().unwrap_or_default();
    if tasks.created {
        out.push_str(&format!(
            "# the task list {list:?} is missing: it would be created (for tasks, VTODO)\n"
        ));
    }
    for line in &tasks.closed {
        out.push_str(&format!(
            "# item closed: its task was finished in the task list: {line}\n"
        ));
    }
    for change in &tasks.planned {
        // Shown with plain line ends: a person reads this, no app.
        let before = change
            .before
            .as_deref()
            .map(|b| String::from_utf8_lossy(b).replace("\r\n", "\n"))
            .unwrap_or_default();
        let after = String::from_utf8_lossy(&change.after).replace("\r\n", "\n");
        let conflict = if change.conflicts.is_empty() {
            String::new()
        } else {
            format!(
                " (changed in the task and in the notes: {} kept as the task says)",
                change.conflicts.join(", ")
            )
        };
        out.push_str(&format!(
            "# {} in {list:?}: {}{conflict}\n",
            change.kind, change.item.line
        ));
        let name = change.href.trim_start_matches('/');
        let old = if change.before.is_some() {
            format!("a/{name}")
        } else {
            "/dev/null".to_string()
        };
        out.push_str(
            &TextDiff::from_lines(&before, &after)
                .unified_diff()
                .header(&old, &format!("b/{name}"))
                .to_string(),
        );
    }
    out
}
