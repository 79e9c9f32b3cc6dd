//! `tete digest`: the week ahead in one page (see [`crate::report::digest`]): the 1:1s,
//! open action items, who needs attention, the cadence suggestions, the hours.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;

use crate::report::Report;
use crate::report::digest::{digest, week_of};

use super::inputs;

/// Output formats of `tete digest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Plain text, as the email's text part and the webhook carry it.
    Text,
    /// One self-contained HTML page, as the email's HTML part.
    Html,
    /// For programs (see README.md).
    Json,
}

/// Arguments of `tete digest`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The week holding this day (YYYY-MM-DD; default: today, in your zone).
    #[arg(long, value_name = "DATE")]
    pub week: Option<NaiveDate>,
    /// Write to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Where the calendars and state are (as for `report`).
    #[command(flatten)]
    pub inputs: inputs::InputArgs,
}

/// Runs `tete digest`.
pub fn run(config: Option<&Path>, args: Args) -> anyhow::Result<ExitCode> {
    let job = inputs::resolve(config, &args.inputs)?;
    let (_, cycle) = inputs::plan_only(&job)?;
    let notes = cycle.people_notes();
    let report = Report {
        now: job.now,
        entries: &cycle.outcome.entries,
        zone: job.zone(),
        notes: &notes,
    };
    let monday = week_of(args.week.unwrap_or_else(|| job.zone().date(job.now)));
    let digest = digest(&report, monday);
    let text = match args.format {
        Format::Text => digest.text(),
        Format::Html => digest.html(),
        Format::Json => serde_json::to_string_pretty(&digest)? + "\n",
    };
    super::report::write_output(&text, args.output.as_deref())?;
    Ok(ExitCode::SUCCESS)
}
