//! `tete auth google`: authorize tete to read and write Google Calendar over CalDAV.
//!
//! OAuth2 authorization code with PKCE and a loopback redirect, as Google advises for
//! command-line tools: tete listens on a free port of 127.0.0.1, prints (and tries to open)
//! Google's consent page, receives the code when the browser comes back, exchanges it, and
//! stores the refresh token in the `[google]` `token_file` (created 0600). Nothing secret is
//! printed.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use reqwest::Url;

use crate::config::Config;
use crate::sources::caldav::oauth::{self, GOOGLE_AUTH_URL, GOOGLE_TOKEN_URL};

/// Arguments of `tete auth`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The provider.
    #[command(subcommand)]
    pub provider: Provider,
}

/// Providers tete can be authorized with.
#[derive(Debug, clap::Subcommand)]
pub enum Provider {
    /// Google Calendar (OAuth2, with the `[google]` client of the configuration).
    Google(GoogleArgs),
}

/// Arguments of `tete auth google`.
#[derive(Debug, clap::Args)]
pub struct GoogleArgs {
    /// Do not try to open a browser; only print the URL.
    #[arg(long)]
    pub no_browser: bool,
    /// Seconds to wait for the browser to come back.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    /// Authorization endpoint (for tests).
    #[arg(long, hide = true, default_value = GOOGLE_AUTH_URL)]
    pub auth_url: String,
    /// Token endpoint (for tests).
    #[arg(long, hide = true, default_value = GOOGLE_TOKEN_URL)]
    pub token_url: String,
}

/// Runs `tete auth ...`.
pub fn run(config: Option<&Path>, args: Args) -> anyhow::Result<ExitCode> {
    let Provider::Google(args) = args.provider;
    let config = Config::load_or_default(config)?;
    let Some(google) = &config.google else {
        bail!(
            "{}: no [google] table; add your OAuth client_id (see config.example.toml)",
            config.path.display()
        );
    };
    let client_secret = match &google.client_secret {
        Some(secret) => Some(
            secret
                .resolve()
                .context("cannot get the Google client_secret")?,
        ),
        None => None,
    };
    let auth_url = Url::parse(&args.auth_url).context("--auth-url is not a URL")?;
    let token_url = Url::parse(&args.token_url).context("--token-url is not a URL")?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .context("cannot listen on a loopback port for Google's answer")?;
    let port = listener.local_addr().context("no loopback port")?.port();
    let request = oauth::authorization_request(&auth_url, &google.client_id, port)?;
    println!("Open this page, sign in and allow tete access to your calendars:");
    println!();
    println!("  {}", request.url);
    println!();
    println!("Waiting for the browser on {} ...", request.redirect_uri);
    if !args.no_browser {
        // Best effort: the URL is printed anyway.
        let _ = std::process::Command::new("xdg-open")
            .arg(request.url.as_str())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }
    let code = oauth::wait_for_code(&listener, &request.state, Duration::from_secs(args.timeout))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .user_agent(concat!("tete/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_secs(60))
        .build()
        .context("cannot set up the HTTP client")?;
    let tokens = runtime.block_on(oauth::exchange_code(
        &http,
        &token_url,
        &google.client_id,
        client_secret.as_ref(),
        &code,
        &request.verifier,
        &request.redirect_uri,
    ))?;
    oauth::write_refresh_token(&google.token_file, &tokens.refresh_token)?;
    println!(
        "Authorized. The refresh token is in {} (readable by you only).",
        google.token_file.display()
    );
    Ok(ExitCode::SUCCESS)
}
