//! `tete report`: detection, history and cadence analysis, printed as a table, JSON or a
//! self-contained HTML page.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use crate::report::{self, Report};
use crate::zone::Zone;

use super::expand::parse_instant;
use super::inputs;

/// Output formats of `tete report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for the terminal, then the suggestions.
    Text,
    /// A list with one object per relationship (see README.md).
    Json,
    /// One self-contained HTML page with a timeline per relationship.
    Html,
}

/// Arguments of `tete report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Count from this UTC date instead of the trailing window (`[cadence] window_weeks`).
    #[arg(long, value_name = "DATE", value_parser = parse_instant)]
    pub since: Option<DateTime<Utc>>,
    /// Write the report to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only the relationship with this person (part of a name or address, any case).
    #[arg(long, value_name = "NAME")]
    pub with: Option<String>,
    /// Where the calendars, identity and state come from.
    #[command(flatten)]
    pub inputs: inputs::InputArgs,
}

/// Runs `tete report`.
pub fn run(config: Option<&Path>, args: Args) -> anyhow::Result<ExitCode> {
    let mut job = inputs::resolve(config, &args.inputs)?;
    job.since = args.since;
    // The whole cycle, writing nothing: the open action items feed one suggestion rule.
    let (_, cycle) = inputs::plan_only(&job)?;
    // Every relationship as planned (not copied: 898 of them for a big calendar), or those
    // matching `--with`.
    let entries: std::borrow::Cow<[_]> = match args.with.as_deref().map(str::to_lowercase) {
        None => std::borrow::Cow::Borrowed(&cycle.outcome.entries),
        Some(wanted) => cycle
            .outcome
            .entries
            .iter()
            .filter(|e| {
                let c = &e.relationship.counterpart;
                c.display().to_lowercase().contains(&wanted)
                    || c.email.as_deref().is_some_and(|a| a.contains(&wanted))
            })
            .cloned()
            .collect(),
    };
    if let (Some(wanted), true) = (&args.with, entries.is_empty()) {
        anyhow::bail!("no 1:1 relationship matches {wanted:?}");
    }
    let notes = cycle.people_notes();
    let report = Report {
        now: job.now,
        entries: &entries,
        zone: job.zone(),
        notes: &notes,
    };
    let mut text = render(&report, args.format);
    if args.format == Format::Text {
        text.push_str(&agendas_placed(&cycle, job.zone()));
    }
    write_output(&text, args.output.as_deref())?;
    drop(entries);
    // The process ends here. Handing the cycle's data back piece by piece (every
    // relationship's stored history and notes: tens of thousands of small allocations for a
    // big calendar, 2% of its report) only costs time: the system takes it back whole. Only
    // plain data is left so; the rest (the calendars' readers) is closed as usual.
    let crate::cycle::CycleReport { outcome, plans, .. } = cycle;
    std::mem::forget((outcome, plans));
    Ok(ExitCode::SUCCESS)
}

/// Where the agenda of each 1:1 in the write-ahead window goes, for the text report.
fn agendas_placed(cycle: &crate::cycle::CycleReport, zone: Zone) -> String {
    let mut lines = Vec::new();
    for (entry, (_, plan)) in cycle.outcome.entries.iter().zip(&cycle.plans.plans) {
        for (start, place) in &plan.placed {
            let start = start.as_utc().and_utc();
            lines.push((
                start,
                format!(
                    "  {}, {}: {place}\n",
                    zone.show(start, "%a %-d %b %H:%M %Z"),
                    entry.relationship.counterpart.display()
                ),
            ));
        }
    }
    if lines.is_empty() {
        return String::new();
    }
    lines.sort();
    let mut out = String::from("\nAgendas of the coming 1:1s:\n");
    for (_, line) in lines {
        out.push_str(&line);
    }
    out
}

/// The report in a format.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Text => report::text(report),
        Format::Json => report::json(report),
        Format::Html => report::html(report),
    }
}

/// Writes to the file, or stdout when there is none.
pub fn write_output(text: &str, output: Option<&Path>) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            use std::io::Write as _;
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            Ok(())
        }
    }
}
