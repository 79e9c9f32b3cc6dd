//! `tete expand`: what tete sees in a calendar file.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::calendar::EventStatus;
use crate::calendar::{Collector, Moment, Occurrence, Window};

/// Arguments of `tete expand`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The iCalendar (.ics) file.
    pub file: PathBuf,
    /// Window start, UTC: `2026-01-01` or `2026-01-01T09:00:00Z`.
    #[arg(value_parser = parse_utc)]
    pub start: NaiveDateTime,
    /// Window end (exclusive), UTC, same forms as START.
    #[arg(value_parser = parse_utc)]
    pub end: NaiveDateTime,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// How many steps one event's RRULEs may take before they are cut short with a warning
    /// naming the event (the other events still expand).
    #[arg(long, default_value_t = crate::calendar::recur::DEFAULT_MAX_STEPS)]
    pub max_rule_steps: u64,
}

/// Output formats of `tete expand`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per occurrence, in local time, for people.
    Text,
    /// A JSON list for programs (see README.md).
    Json,
}

/// Reads a UTC date or date-time in the common spellings.
pub fn parse_utc(s: &str) -> Result<NaiveDateTime, String> {
    let trimmed = s.trim().trim_end_matches(['Z', 'z']);
    if let Ok(d) = NaiveDate::parse_from_str(trimmed, "%Y-%m-%d") {
        return Ok(d.and_time(NaiveTime::MIN));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y%m%dT%H%M%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(trimmed, format) {
            return Ok(t);
        }
    }
    crate::calendar::value::parse_date(trimmed)
        .map(|d| d.and_time(NaiveTime::MIN))
        .ok_or_else(|| {
            format!("{s:?} is not a UTC date (2026-01-31) or date-time (2026-01-31T09:00:00Z)")
        })
}

/// Reads a UTC instant (`--now`, `--since`) in the spellings of [`parse_utc`].
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    parse_utc(s).map(|t| t.and_utc())
}

/// Runs `tete expand`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.end <= args.start {
        anyhow::bail!(
            "the window is empty: END ({}) must be after START ({})",
            args.end,
            args.start
        );
    }
    let origin = args.file.display().to_string();
    let file = File::open(&args.file).with_context(|| format!("cannot open {origin}"))?;
    let mut collector = Collector::new();
    collector.set_max_rule_steps(args.max_rule_steps);
    collector.read(BufReader::with_capacity(256 * 1024, file), &origin)?;
    let expansion = collector.expand(Window {
        start: args.start,
        end: args.end,
    });
    for warning in collector.take_warnings().iter().chain(&expansion.warnings) {
        eprintln!("warning: {warning}");
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(256 * 1024, stdout.lock());
    match args.format {
        Format::Json => write_json(&expansion.occurrences, &mut out)?,
        Format::Text => write_text(&expansion.occurrences, &mut out)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn write_json(occurrences: &[Occurrence], out: &mut impl Write) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, occurrences)?;
    writeln!(out)?;
    Ok(())
}

fn write_text(occurrences: &[Occurrence], out: &mut impl Write) -> anyhow::Result<()> {
    for o in occurrences {
        let status = match &o.status {
            Some(s) if *s != EventStatus::Confirmed => format!("  [{s}]"),
            _ => String::new(),
        };
        let summary = o.summary.as_deref().unwrap_or("(no title)");
        writeln!(
            out,
            "{}  {}{}",
            when(o.start, o.end),
            summary.replace('\n', " "),
            status
        )?;
    }
    Ok(())
}

/// `Mon 2026-03-16 10:00-10:30` in the local zone, `Mon 2026-03-16 all day` for dates.
fn when(start: Moment, end: Moment) -> String {
    let local = |m: Moment| match m {
        Moment::Utc(t) => Local.from_utc_datetime(&t).naive_local(),
        Moment::Floating(t) => t,
        Moment::Date(d) => d.and_time(NaiveTime::MIN),
    };
    match (start, end) {
        (Moment::Date(s), Moment::Date(e)) if e > s + chrono::Duration::days(1) => {
            format!(
                "{} to {} all day",
                s.format("%a %Y-%m-%d"),
                (e - chrono::Duration::days(1)).format("%a %Y-%m-%d")
            )
        }
        (Moment::Date(s), _) => format!("{} all day      ", s.format("%a %Y-%m-%d")),
        _ => {
            let (s, e) = (local(start), local(end));
            let end_text = if e.date() == s.date() {
                e.format("%H:%M").to_string()
            } else {
                e.format("%Y-%m-%d %H:%M").to_string()
            };
            format!("{}-{end_text}", s.format("%a %Y-%m-%d %H:%M"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_arguments() {
        let t = |s| parse_utc(s).unwrap().to_string();
        assert_eq!(t("2026-01-31"), "2026-01-31 00:00:00");
        assert_eq!(t("2026-01-31T09:30:00Z"), "2026-01-31 09:30:00");
        assert_eq!(t("20260131T093000Z"), "2026-01-31 09:30:00");
        assert_eq!(t("20260131"), "2026-01-31 00:00:00");
        assert!(parse_utc("yesterday").is_err());
    }
}
