//! `tete check`: validate the configuration and read each source once.

use std::path::Path;
use std::process::ExitCode;

/// Arguments of `tete check`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tete check`.
pub fn run(_config: Option<&Path>, _args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("tete check is not available yet")
}
