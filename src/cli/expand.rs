//! `tete expand`: what tete sees in a calendar file.

use std::process::ExitCode;

/// Arguments of `tete expand`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tete expand`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("tete expand is not available yet")
}
