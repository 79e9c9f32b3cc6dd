//! `tete run --once [--dry-run]`: one whole cycle: read the calendars, detect the 1:1s,
//! record the history, and write each upcoming 1:1's agenda.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use similar::TextDiff;

use crate::agenda;
use crate::cycle::{self, AgendaPlans, Gathered};

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
    #[command(flatten)]
    pub inputs: inputs::InputArgs,
}

/// Runs `tete run`.
pub fn run(config: Option<&Path>, args: Args) -> anyhow::Result<ExitCode> {
    if !args.once {
        anyhow::bail!("`tete run` needs --once (the long-running service is `tete daemon`)");
    }
    let resolved = inputs::resolve(config, &args.inputs)?;
    let runtime = inputs::runtime()?;
    let mut gathered = inputs::gather_all(&runtime, &resolved)?;
    // A dry run works on a copy of the state, so that it changes nothing at all.
    let scratch = tempfile::tempdir().context("cannot create a temporary folder")?;
    let state_file = if args.dry_run {
        let copy = scratch.path().join("state.sqlite");
        if resolved.state_file.exists() {
            std::fs::copy(&resolved.state_file, &copy).with_context(|| {
                format!(
                    "cannot copy {} for the dry run",
                    resolved.state_file.display()
                )
            })?;
        }
        copy
    } else {
        resolved.state_file.clone()
    };
    let mut store = crate::history::Store::open(&state_file)?;
    let outcome = cycle::run(
        &mut gathered.collector,
        &resolved.me,
        &resolved.overrides,
        &mut store,
        resolved.now,
        None,
        &resolved.settings,
    )?;
    inputs::print_warnings(&outcome.warnings, 20);
    let plans = cycle::plan_agendas(&gathered, &outcome, &store, resolved.now, &resolved.agenda)?;
    for (_, plan) in &plans.plans {
        for why in &plan.skipped {
            eprintln!("tete: agenda not written for {why}");
        }
    }
    if args.dry_run {
        print!("{}", dry_run_diff(&plans, &gathered));
        return Ok(ExitCode::SUCCESS);
    }
    let written = write(
        &runtime,
        &gathered,
        &plans,
        resolved.agenda.scheduling,
        resolved.now,
        &mut store,
    )?;
    println!(
        "{} relationship(s); history: {} new, {} changed, {} deleted; agendas written: {written}",
        outcome.entries.len(),
        outcome.recorded.new,
        outcome.recorded.changed,
        outcome.recorded.deleted,
    );
    Ok(ExitCode::SUCCESS)
}

/// Applies the plans and records what was written and the items seen.
pub fn write(
    runtime: &tokio::runtime::Runtime,
    gathered: &Gathered,
    plans: &AgendaPlans,
    scheduling: agenda::plan::Scheduling,
    now: chrono::NaiveDateTime,
    store: &mut crate::history::Store,
) -> anyhow::Result<usize> {
    let groups = agenda::write::group_by_resource(plans.writes(gathered));
    let outcomes = runtime.block_on(agenda::write::apply(groups, scheduling));
    let mut count = 0;
    for outcome in outcomes {
        match outcome.result {
            Ok(written) => {
                for w in written {
                    store.record_written(&w.series_uid, &w.recurrence_id, &w.agenda, now)?;
                    count += 1;
                }
            }
            Err(e) => eprintln!("tete: agenda not written: {e}"),
        }
    }
    for (key, plan) in &plans.plans {
        store.record_items(key, &plan.items_seen, now)?;
    }
    Ok(count)
}

/// A unified diff of every description that would change.
pub fn dry_run_diff(plans: &AgendaPlans, gathered: &Gathered) -> String {
    let mut out = String::new();
    for (calendar, resource, w) in plans.writes(gathered) {
        let name = format!(
            "{}/{} ({} at {})",
            calendar.name, resource.href, w.target.series_uid, w.target.recurrence_id
        );
        let diff = TextDiff::from_lines(&w.target.description.text, &w.new.text);
        out.push_str(
            &diff
                .unified_diff()
                .header(&format!("a/{name}"), &format!("b/{name}"))
                .to_string(),
        );
    }
    if out.is_empty() {
        out.push_str("Nothing to change.\n");
    }
    out
}
