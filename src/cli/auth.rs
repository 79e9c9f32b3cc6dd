//! `tete auth google`: authorize tete to read and write Google Calendar over CalDAV.
//! `tete auth microsoft`: sign in to Microsoft 365 / Outlook.com (the device-code flow).
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
    /// Microsoft 365 / Outlook.com (device code, with a `graph` calendar's app registration).
    Microsoft(MicrosoftArgs),
}

/// Arguments of `tete auth microsoft`.
#[derive(Debug, clap::Args)]
pub struct MicrosoftArgs {
    /// The `graph` calendar whose registration and token file to use (default: the first).
    #[arg(long)]
    pub calendar: Option<String>,
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
    let args = match args.provider {
        Provider::Google(args) => args,
        Provider::Microsoft(args) => return microsoft(config, &args),
    };
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

/// `tete auth microsoft`: asks Microsoft for a device code, prints where to enter it, and
/// polls until the person signed in; the refresh token goes to the calendar's
/// `token_file` (0600). Nothing secret is printed.
fn microsoft(config: Option<&Path>, args: &MicrosoftArgs) -> anyhow::Result<ExitCode> {
    use crate::sources::Location;
    use crate::sources::graph::auth;
    let config = Config::load_or_default(config)?;
    let graph = config
        .calendars
        .iter()
        .filter(|c| args.calendar.as_ref().is_none_or(|name| &c.name == name))
        .find_map(|c| match &c.location {
            Location::Graph(graph) => Some(graph.as_ref().clone()),
            _ => None,
        });
    let Some(graph) = graph else {
        bail!(
            "{}: no [[calendar]] with `graph = {{ client_id = ... }}`{} (see README: Microsoft 365)",
            config.path.display(),
            args.calendar
                .as_deref()
                .map(|n| format!(" named {n:?}"))
                .unwrap_or_default()
        );
    };
    let registration = graph.registration()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let http = crate::http::build(crate::http::builder(
        crate::http::CONNECT_TIMEOUT,
        Duration::from_secs(60),
    ))
    .context("cannot set up the HTTP client")?;
    let code = runtime.block_on(auth::start_device_flow(&http, &registration))?;
    println!(
        "To sign in, open {} and enter the code {}",
        code.verification_uri, code.user_code
    );
    println!(
        "Waiting for you to sign in (the code is valid {} minutes) ...",
        code.expires_in / 60
    );
    runtime.block_on(auth::finish_device_flow(
        &http,
        &registration,
        &code,
        &graph.token_file,
    ))?;
    println!(
        "Signed in. The refresh token is in {} (readable by you only).",
        graph.token_file.display()
    );
    Ok(ExitCode::SUCCESS)
}
