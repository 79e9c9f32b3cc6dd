//! `tete demo`: the whole main job on the bundled demo calendar, offline, in a temporary
//! state folder. The calendar is built into the binary, so `cargo install` users have it too.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::NaiveDateTime;

use crate::calendar::Collector;
use crate::cycle;
use crate::detect::{Identity, Overrides};
use crate::history::Store;
use crate::report::Report;

use super::expand::parse_utc;
use super::report::{Format, render, write_output};

/// The demo calendar (bench/gen_calendar.py --demo writes it).
const DEMO_CALENDAR: &[u8] = include_bytes!("../../demo/calendar.ics");

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
    #[arg(long, value_name = "DATE", value_parser = parse_utc)]
    pub now: Option<NaiveDateTime>,
}

/// Runs `tete demo`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let now = match args.now {
        Some(now) => now,
        None => parse_utc(DEMO_NOW).map_err(anyhow::Error::msg)?,
    };
    let state = tempfile::tempdir().context("cannot create a temporary state folder")?;
    let mut store = Store::open(&state.path().join("state.sqlite"))?;
    let mut collector = Collector::with_meta();
    collector.read(DEMO_CALENDAR, "demo/calendar.ics")?;
    let outcome = cycle::run(
        &mut collector,
        &Identity::new([DEMO_ME], []),
        &Overrides::default(),
        &mut store,
        now,
        None,
        &Default::default(),
    )?;
    let report = Report {
        now,
        entries: &outcome.entries,
    };
    if args.format == Format::Text && args.output.is_none() {
        println!(
            "tete demo: Mia Manager <{DEMO_ME}>'s calendar (demo/calendar.ics), as of {DEMO_NOW}.\n\
             Nothing is written outside a temporary folder.\n"
        );
        print!("{}", super::list::render(&outcome.detection, false));
        println!();
    }
    write_output(&render(&report, args.format), args.output.as_deref())?;
    Ok(ExitCode::SUCCESS)
}
