//! What `list`, `report` and the daemon need before a cycle: the calendars, who I am, the
//! detection overrides, the cadence settings and the state file, from the config file or,
//! for a quick try, from the command line alone (`--me`, `--calendar`).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use crate::calendar::Collector;
use crate::config::{self, Config};
use crate::cycle;
use crate::cycle::{CycleReport, run_cycle};
use crate::secret::Secret;
use crate::sources::caldav::SharedSyncState;
use crate::sources::{CalendarSpec, Location};
use crate::state::StateFile;
use crate::zone::Zone;

use super::expand::parse_instant;

/// Arguments shared by the commands that run the main job.
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// My email address (repeatable, for aliases). Adds to `[me]` of the config.
    #[arg(long = "me", value_name = "EMAIL")]
    pub me: Vec<String>,
    /// A calendar: an .ics file, a vdir folder or an ICS feed URL (repeatable). When given,
    /// the config file is only read if --config (or TETE_CONFIG) names one, and its
    /// calendars are replaced by these.
    #[arg(long = "calendar", value_name = "PATH_OR_URL")]
    pub calendars: Vec<String>,
    /// The SQLite state file (default: `state_file` of the config, else
    /// $XDG_STATE_HOME/tete/state.sqlite).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Pretend it is this UTC date or date-time (for reproducible reports).
    #[arg(long, value_name = "DATE", value_parser = parse_instant)]
    pub now: Option<DateTime<Utc>>,
}

/// Everything a cycle needs, resolved.
pub use crate::cycle::Job as Resolved;

/// A `--calendar` value as a calendar entry: a URL is a feed, a folder a vdir, else a file.
fn calendar_from_arg(arg: &str) -> CalendarSpec {
    let lower = arg.to_ascii_lowercase();
    let location = if ["http://", "https://", "webcal://"]
        .iter()
        .any(|s| lower.starts_with(s))
    {
        Location::Feed(Secret::Plain(arg.to_string()))
    } else if Path::new(arg).is_dir() {
        Location::Vdir(PathBuf::from(arg))
    } else {
        Location::File(PathBuf::from(arg))
    };
    let name = match &location {
        Location::Feed(_) => "feed given with --calendar".to_string(),
        _ => arg.to_string(),
    };
    CalendarSpec { name, location }
}

/// The state file of a quick try (`--calendar` without a config): one per set of calendars
/// and addresses, next to the configured default, so that trying tete on one export never
/// mixes its history with another's (an occurrence missing from the second would otherwise
/// count as deleted).
fn quick_try_state_file(calendars: &[String], me: &[String]) -> anyhow::Result<PathBuf> {
    use sha2::{Digest, Sha256};
    let mut key: Vec<String> = calendars
        .iter()
        .map(|c| {
            let is_url = c.contains("://");
            match std::path::absolute(c) {
                Ok(path) if !is_url => path.display().to_string(),
                _ => c.clone(),
            }
        })
        .chain(me.iter().map(|m| m.to_lowercase()))
        .collect();
    key.sort();
    let digest = Sha256::digest(key.join("\n").as_bytes());
    let name = hex::encode(&digest[..8]);
    let default =
        config::default_state_file().context("no XDG state directory known; pass --state PATH")?;
    Ok(default.with_file_name(format!("try-{name}.sqlite")))
}

/// Resolves the inputs: `config_path` is `--config` / `TETE_CONFIG`.
pub fn resolve(config_path: Option<&Path>, args: &InputArgs) -> anyhow::Result<Resolved> {
    let config = if args.calendars.is_empty() || config_path.is_some() {
        Some(Config::load_or_default(config_path).with_context(|| {
            "no usable configuration; for a quick try without one, pass --me EMAIL --calendar FILE"
        })?)
    } else {
        None
    };
    let config_zone = config.as_ref().map(|c| c.zone);
    let config_timeout = config.as_ref().map(|c| c.request_timeout);
    let config_steps = config.as_ref().map(|c| c.max_rule_steps);
    let mut me = config.as_ref().map(|c| c.me.clone()).unwrap_or_default();
    me.aliases.extend(args.me.iter().cloned());
    if me.email.is_none() && me.aliases.is_empty() {
        anyhow::bail!(
            "tete does not know who you are: set `email` under [me] in the config, or pass --me EMAIL"
        );
    }
    let calendars = if args.calendars.is_empty() {
        config
            .as_ref()
            .map(|c| c.calendars.clone())
            .unwrap_or_default()
    } else {
        args.calendars
            .iter()
            .map(|a| calendar_from_arg(a))
            .collect()
    };
    let state_file = match (&args.state, &config) {
        (Some(path), _) => path.clone(),
        (None, Some(c)) => c.state_file.clone(),
        (None, None) => quick_try_state_file(&args.calendars, &args.me)?,
    };
    let feed_cache_dir = match &config {
        Some(c) => c.feed_cache_dir(),
        None => config::default_cache_dir()
            .context("no XDG cache directory known")?
            .join("feeds"),
    };
    let mut job = Resolved {
        calendars,
        me: me.identity(),
        overrides: config
            .as_ref()
            .map(|c| c.detect.clone())
            .unwrap_or_default(),
        agenda: config
            .as_ref()
            .map(|c| c.agenda.clone())
            .unwrap_or_default(),
        nudges: config
            .as_ref()
            .map(|c| c.nudges.clone())
            .unwrap_or_default(),
        digest: config.as_ref().map(|c| c.digest).unwrap_or_default(),
        tasks: config.as_ref().and_then(|c| c.tasks.clone()),
        settings: config.map(|c| c.cadence).unwrap_or_default(),
        state_file: state_file.clone(),
        feed_cache_dir,
        request_timeout: config_timeout.unwrap_or(crate::http::TOTAL_TIMEOUT),
        max_rule_steps: config_steps.unwrap_or(crate::calendar::recur::DEFAULT_MAX_STEPS),
        now: args.now.unwrap_or_else(Utc::now),
        since: None,
    };
    // `--state` holds all state, the CalDAV sync state included.
    job.state_file = state_file;
    Ok(job.in_zone(config_zone.unwrap_or_else(Zone::machine)))
}

/// Runs `work` to its end with a spinner on stderr, when stderr is a terminal: a first sync
/// of thousands of events, a big file or a slow server can take minutes, and silence then
/// looks like a hang. The spinner says what and for how long, and is cleared at the end; in
/// logs and pipes nothing is added.
pub fn with_progress<T>(
    runtime: &tokio::runtime::Runtime,
    what: &str,
    work: impl std::future::Future<Output = T>,
) -> T {
    use std::io::IsTerminal as _;
    if !std::io::stderr().is_terminal() {
        return runtime.block_on(work);
    }
    let spinner = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        spinner.set_style(style);
    }
    spinner.set_message(what.to_string());
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let out = runtime.block_on(work);
    spinner.finish_and_clear();
    out
}

/// A single-threaded async runtime for the sources.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Reads the calendars (for `list`, which needs only the events); a calendar that cannot be
/// read is reported on stderr and the others are still used. Fails only when none could be
/// read.
pub fn gather(resolved: &Resolved) -> anyhow::Result<Collector> {
    let sync_state = caldav_sync_state(&resolved.calendars, &resolved.state_file)?;
    let gathered = with_progress(
        &runtime()?,
        "reading the calendars",
        cycle::gather(
            &resolved.calendars,
            &resolved.feed_cache_dir,
            sync_state.as_ref(),
            &crate::http::HttpClient::with_timeout(resolved.request_timeout),
        ),
    );
    if gathered.collector.event_count() == 0 && !gathered.failures.is_empty() {
        anyhow::bail!(cycle::JobError::NothingRead(cycle::ReadFailures(
            gathered.failures
        )));
    }
    print_failures(&gathered.failures);
    Ok(gathered.collector)
}

/// The CalDAV sync state in `state_file`, when one of `calendars` is on CalDAV: files,
/// folders and feeds alone do not create the state file.
pub fn caldav_sync_state(
    calendars: &[CalendarSpec],
    state_file: &Path,
) -> anyhow::Result<Option<SharedSyncState>> {
    if !calendars
        .iter()
        .any(|c| matches!(c.location, Location::Caldav(_)))
    {
        return Ok(None);
    }
    Ok(Some(StateFile::open(state_file)?.caldav_sync()))
}

/// Prints the calendars that could not be read.
fn print_failures(failures: &[(String, String)]) {
    for (name, error) in failures {
        eprintln!("tete: calendar {name}: {error}");
    }
}

/// Prints what a cycle could not do: unreadable calendars, reading warnings, agendas left
/// alone and why, failed writes.
pub fn print_problems(report: &CycleReport, zone: Zone) {
    print_failures(&report.failures);
    print_warnings(&report.outcome.warnings, 20);
    for (_, plan) in &report.plans.plans {
        for why in &plan.skipped {
            eprintln!("tete: agenda not written for {why}");
        }
    }
    for (href, error) in &report.write_failures {
        eprintln!("tete: agenda not written to {href}: {error}");
    }
    for held in &report.held_writes {
        eprintln!(
            "tete: agenda not written to {}: held back after {} failure(s) (last: {}); next try after {}",
            held.resource,
            held.failures,
            held.last_error,
            zone.show(held.retry_at, "%a %-d %b %H:%M %Z")
        );
    }
    if let Some(why) = &report.tasks.problem {
        eprintln!("tete: tasks not synced: {why}");
    }
    for (href, error) in &report.tasks.failures {
        eprintln!("tete: task not written to {href}: {error}");
    }
    for change in report
        .tasks
        .planned
        .iter()
        .filter(|c| !c.conflicts.is_empty())
    {
        eprintln!(
            "tete: the task \"{}\" and the meeting notes both changed ({}): the task's words are kept, the notes' added to its description",
            change.item.fields.summary,
            change.conflicts.join(", ")
        );
    }
}

/// Runs a cycle that reads and plans but writes no calendar and sends nothing (for the
/// commands that only show: `report`, `items`, `nudges`). Prints what went wrong.
pub fn plan_only(job: &Resolved) -> anyhow::Result<(StateFile, CycleReport)> {
    let mut state = open_store(job)?;
    let report = with_progress(
        &runtime()?,
        "reading the calendars and planning",
        run_cycle(job, &mut state, true),
    )?;
    print_problems(&report, job.zone());
    Ok((state, report))
}

/// Opens the state file.
pub fn open_store(resolved: &Resolved) -> anyhow::Result<StateFile> {
    Ok(StateFile::open(&resolved.state_file)?)
}

/// Prints reading and expansion warnings to stderr, at most `limit` of them.
pub fn print_warnings(warnings: &[crate::calendar::Warning], limit: usize) {
    for w in warnings.iter().take(limit) {
        eprintln!("warning: {w}");
    }
    if warnings.len() > limit {
        eprintln!("… and {} more warnings", warnings.len() - limit);
    }
}
