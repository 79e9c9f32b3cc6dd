//! Installing tete like a tool: `tete init` (a commented config to start from),
//! `tete completions SHELL` and `tete manpage`, generated from the command line's own
//! definition so they never drift from it.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::CommandFactory as _;

use crate::config;

/// The example config, commented, as shipped in the repository.
const EXAMPLE_CONFIG: &str = include_str!("../../config.example.toml");

/// Arguments of `tete init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Where to write it (default: the config path tete reads, usually
    /// ~/.config/tete/config.toml).
    pub path: Option<std::path::PathBuf>,
}

/// Arguments of `tete completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// Writes the commented example config, never over an existing file; private (`0600` in a
/// folder created `0700`): a config may hold secrets.
pub fn init(config_flag: Option<&Path>, args: InitArgs) -> anyhow::Result<ExitCode> {
    let path = match args.path.as_deref().or(config_flag) {
        Some(path) => path.to_path_buf(),
        None => config::default_path().context("no XDG config directory known; give a path")?,
    };
    if path.exists() {
        anyhow::bail!(
            "{} already exists; tete leaves it as it is (edit it, or give another path)",
            path.display()
        );
    }
    crate::private_file::ensure(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    std::fs::write(&path, EXAMPLE_CONFIG)
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "wrote {}: set [me] email and one [[calendar]], then `tete check`",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Prints the shell completion script.
pub fn completions(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut command = super::Cli::command();
    // Into memory first: the generator cannot report a failed write (a closed pipe).
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "tete", &mut out);
    std::io::stdout()
        .write_all(&out)
        .context("cannot write the completion script")?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the man page (roff).
pub fn manpage() -> anyhow::Result<ExitCode> {
    let mut out = Vec::new();
    clap_mangen::Man::new(super::Cli::command())
        .render(&mut out)
        .context("cannot render the man page")?;
    std::io::stdout()
        .write_all(&out)
        .context("cannot write the man page")?;
    Ok(ExitCode::SUCCESS)
}
