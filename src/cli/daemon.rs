//! `tete daemon`: the long-running service (see `systemd/` and README.md, "Install").

use std::process::ExitCode;

use anyhow::Context as _;

/// Arguments of `tete daemon`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tete daemon` with the config at `config` (or the default path) until SIGTERM.
pub fn run(config: Option<&std::path::Path>, _args: Args) -> anyhow::Result<ExitCode> {
    let path = match config {
        Some(path) => path.to_path_buf(),
        None => crate::config::default_path()
            .context("no config path given and no XDG config directory; use --config")?,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(crate::daemon::run(path))?;
    Ok(ExitCode::SUCCESS)
}
