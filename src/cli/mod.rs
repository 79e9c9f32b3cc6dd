//! The command line: argument definitions and one module per command. This is the only
//! place that uses `anyhow`; library modules return typed errors.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod auth;
pub mod calendars;
pub mod check;
pub mod daemon;
pub mod demo;
pub mod digest;
pub mod expand;
pub mod inputs;
pub mod items;
pub mod list;
pub mod nudges;
pub mod report;
pub mod resume;
pub mod run;
pub mod setup;

/// tete keeps your 1:1 meetings healthy, straight from your calendar.
#[derive(Debug, Parser)]
#[command(name = "tete", version, about)]
pub struct Cli {
    /// Configuration file (default: $XDG_CONFIG_HOME/tete/config.toml).
    #[arg(long, global = true, env = "TETE_CONFIG")]
    pub config: Option<std::path::PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print every event occurrence of an iCalendar file that overlaps a time window.
    Expand(expand::Args),
    /// Run the whole job on the bundled demo calendar, offline.
    Demo(demo::Args),
    /// Show how often each 1:1 really happens, and what to change.
    Report(report::Args),
    /// List every recurring series and whether it is a 1:1 (--explain says why).
    List(list::Args),
    /// One whole cycle: read, detect, record, and write each upcoming 1:1's agenda.
    Run(run::Args),
    /// The service: a cycle every interval, until SIGTERM (SIGHUP reloads the config).
    Daemon(daemon::Args),
    /// The open action items of each 1:1, with owner, due date and age.
    Items(items::Args),
    /// The week ahead: its 1:1s, open items, who needs attention, suggestions, hours.
    Digest(digest::Args),
    /// Validate the configuration and read each calendar source once.
    Check(check::Args),
    /// The nudges the rules give now (what would be sent), without sending.
    Nudges(nudges::Args),
    /// List the calendars of each configured CalDAV account.
    Calendars(calendars::Args),
    /// Authorize tete with a calendar provider (Google).
    Auth(auth::Args),
    /// Write into a calendar again after tete stopped because its server changed more than
    /// tete wrote.
    Resume(resume::Args),
    /// Write a commented config to start from (never over an existing one).
    Init(setup::InitArgs),
    /// Print the completion script for a shell.
    Completions(setup::CompletionsArgs),
    /// Print the man page (roff).
    Manpage,
}

/// Parses the arguments, runs the command and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // The service always logs; any other command only when asked (`TETE_LOG=tete=debug`
    // shows each cycle step's time).
    if matches!(cli.command, Command::Daemon(_)) || std::env::var_os("TETE_LOG").is_some() {
        crate::daemon::init_logging();
    }
    let outcome = match cli.command {
        Command::Expand(args) => expand::run(args),
        Command::Check(args) => check::run(cli.config.as_deref(), args),
        Command::Digest(args) => digest::run(cli.config.as_deref(), args),
        Command::Demo(args) => demo::run(args),
        Command::Report(args) => report::run(cli.config.as_deref(), args),
        Command::List(args) => list::run(cli.config.as_deref(), args),
        Command::Run(args) => run::run(cli.config.as_deref(), args),
        Command::Daemon(args) => daemon::run(cli.config.as_deref(), args),
        Command::Items(args) => items::run(cli.config.as_deref(), args),
        Command::Nudges(args) => nudges::run(cli.config.as_deref(), args),
        Command::Calendars(args) => calendars::run(cli.config.as_deref(), args),
        Command::Auth(args) => auth::run(cli.config.as_deref(), args),
        Command::Resume(args) => resume::run(cli.config.as_deref(), args),
        Command::Init(args) => setup::init(cli.config.as_deref(), args),
        Command::Completions(args) => setup::completions(args),
        Command::Manpage => setup::manpage(),
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("tete: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// A moment as every JSON output shows it: UTC, RFC 3339, whole seconds.
fn json_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
