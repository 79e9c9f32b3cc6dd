//! The command line: argument definitions and one module per command. This is the only
//! place that uses `anyhow`; library modules return typed errors.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod auth;
pub mod calendars;
pub mod check;
pub mod expand;

/// tete keeps your 1:1 meetings healthy, straight from your calendar.
#[derive(Debug, Parser)]
#[command(name = "tete", version, about)]
pub struct Cli {
    /// Configuration file (default: $XDG_CONFIG_HOME/tete/config.toml).
    #[arg(long, global = true, env = "TETE_CONFIG")]
    pub config: Option<std::path::PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print every event occurrence of an iCalendar file that overlaps a time window.
    Expand(expand::Args),
    /// Validate the configuration and read each calendar source once.
    Check(check::Args),
    /// List the calendars of each configured CalDAV account.
    Calendars(calendars::Args),
    /// Authorize tete with a calendar provider (Google).
    Auth(auth::Args),
}

/// Parses the arguments, runs the command and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Expand(args) => expand::run(args),
        Command::Check(args) => check::run(cli.config.as_deref(), args),
        Command::Calendars(args) => calendars::run(cli.config.as_deref(), args),
        Command::Auth(args) => auth::run(cli.config.as_deref(), args),
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("tete: {err:#}");
            ExitCode::from(2)
        }
    }
}
