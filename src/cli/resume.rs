//! `tete resume NAME`: writes into a CalDAV calendar again after tete stopped them because
//! the server changed something tete did not write (see `agenda::write`).

use std::path::Path;
use std::process::ExitCode;

use crate::config::Config;
use crate::http::HttpClient;
use crate::sources::{Location, Source};
use crate::state::StateFile;

/// Arguments of `tete resume`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The calendar's `name` in the config.
    pub calendar: String,
}

/// Runs `tete resume`.
pub fn run(config: Option<&Path>, args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::load_or_default(config)?;
    let Some(calendar) = config.calendars.iter().find(|c| c.name == args.calendar) else {
        let names: Vec<&str> = config.calendars.iter().map(|c| c.name.as_str()).collect();
        anyhow::bail!(
            "no calendar named {:?} in the config; it has: {}",
            args.calendar,
            names.join(", ")
        );
    };
    if !matches!(calendar.location, Location::Caldav(_)) {
        println!(
            "{}: tete never stops writing there (only CalDAV calendars are verified)",
            calendar.name
        );
        return Ok(ExitCode::SUCCESS);
    }
    let sync_state = StateFile::open(&config.state_file)?.caldav_sync();
    let source = Source::from_location(
        &calendar.location,
        &config.feed_cache_dir(),
        &HttpClient::with_timeout(config.request_timeout),
        Some(&sync_state),
    )?;
    let Source::Caldav(caldav) = source else {
        return Ok(ExitCode::SUCCESS);
    };
    match caldav.halted()? {
        Some((why, since)) => {
            caldav.set_halted(None)?;
            println!(
                "{}: writes resumed (stopped on {since}: {why})",
                calendar.name
            );
        }
        None => println!("{}: writes were not stopped", calendar.name),
    }
    Ok(ExitCode::SUCCESS)
}
