//! `tete calendars`: what each configured CalDAV account has.
//!
//! Runs discovery for every CalDAV account in the configuration (once per account, however
//! many `[[calendar]]` entries use it) and lists its calendars: display name, URL, supported
//! components, whether it supports sync-collection, and which config entry picks it. Exit
//! code: 0 when every account answered, 1 when one failed, 2 on a bad configuration.

use std::path::Path;
use std::process::ExitCode;

use std::fmt::Write as _;

use anyhow::Context;
use serde::Serialize;

use super::nudges::Format;

use crate::config::Config;
use crate::http::HttpClient;
use crate::sources::caldav::{Account, CalendarInfo};
use crate::sources::{CalendarSpec, Location, Source};

/// Arguments of `tete calendars`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Runs `tete calendars`.
pub fn run(config: Option<&Path>, args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::load_or_default(config)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let http = HttpClient::with_timeout(config.request_timeout);
    let listing = Listing {
        as_of: super::json_time(chrono::Utc::now()),
        accounts: accounts(&config.calendars)
            .into_iter()
            .filter_map(|(first, users)| {
                runtime.block_on(list_account(first, &users, &config.feed_cache_dir(), &http))
            })
            .collect(),
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&listing)?),
        Format::Text if listing.accounts.is_empty() => {
            println!("no CalDAV calendar in {}", config.path.display());
        }
        Format::Text => print!("{}", listing.render_text()),
    }
    let failures = listing
        .accounts
        .iter()
        .filter(|a| a.error.is_some())
        .count();
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What every CalDAV account has: printed for people, or as JSON for programs.
#[derive(Debug, Serialize)]
struct Listing {
    /// When the listing was made (UTC, RFC 3339).
    as_of: String,
    accounts: Vec<AccountListing>,
}

/// One account: what discovery found, or why it failed.
#[derive(Debug, Default, Serialize)]
struct AccountListing {
    /// The configured URL (secrets hidden).
    url: String,
    principal: Option<String>,
    home: Option<String>,
    /// The server tells attendees on its own when an event changes (RFC 6638).
    auto_schedule: bool,
    calendars: Vec<CalendarListing>,
    /// Entries whose pick is not among the calendars.
    warnings: Vec<String>,
    /// Why discovery failed, causes included.
    error: Option<String>,
}

/// One calendar of an account.
#[derive(Debug, Serialize)]
struct CalendarListing {
    name: String,
    /// Its path on the server.
    path: String,
    /// Supported components; empty means the server allows any.
    components: Vec<String>,
    /// How tete notices changes: `sync-collection`, `ctag` or `etags`.
    sync: &'static str,
    /// The `[[calendar]]` entries that pick it.
    picked_by: Vec<String>,
}

/// Discovers one account; `None` for an entry that is not CalDAV after all.
async fn list_account(
    first: &CalendarSpec,
    users: &[&CalendarSpec],
    cache_dir: &Path,
    http: &HttpClient,
) -> Option<AccountListing> {
    let Location::Caldav(location) = &first.location else {
        return None;
    };
    let mut listing = AccountListing {
        url: location.url.to_string(),
        ..AccountListing::default()
    };
    let discovered = match Source::from_location(&first.location, cache_dir, http, None) {
        Ok(Source::Caldav(source)) => source.discover().await.map_err(anyhow::Error::from),
        Ok(_) => return None,
        Err(err) => Err(anyhow::Error::from(err)),
    };
    match discovered {
        Ok(account) => describe_account(&mut listing, &account, users),
        Err(err) => listing.error = Some(format!("{err:#}")),
    }
    Some(listing)
}

impl Listing {
    fn render_text(&self) -> String {
        let mut out = String::new();
        for account in &self.accounts {
            account.render_text(&mut out);
        }
        out
    }
}

impl AccountListing {
    fn render_text(&self, out: &mut String) {
        let _ = writeln!(out, "{}", self.url);
        if let Some(error) = &self.error {
            let _ = writeln!(out, "  error: {error}");
            return;
        }
        if let Some(principal) = &self.principal {
            let _ = writeln!(out, "  principal: {principal}");
        }
        if let Some(home) = &self.home {
            let _ = writeln!(out, "  calendar home: {home}");
        }
        if self.auto_schedule {
            let _ = writeln!(
                out,
                "  scheduling: this server tells attendees on its own when an event \
                 changes (calendar-auto-schedule), so with delivery = \"private\" \
                 agendas go to your private calendar ([agenda] private_calendar), and \
                 with \"shared\" the other person gets each one (see README, \"Who is \
                 told\")"
            );
        }
        if self.calendars.is_empty() {
            let _ = writeln!(out, "  no calendars");
        }
        for calendar in &self.calendars {
            let components = if calendar.components.is_empty() {
                "any".to_string()
            } else {
                calendar.components.join(",")
            };
            let _ = write!(
                out,
                "  - {:?}  {}  [{components}; {}]",
                calendar.name, calendar.path, calendar.sync
            );
            let _ = match calendar.picked_by.is_empty() {
                true => writeln!(out),
                false => writeln!(out, "  <- {}", calendar.picked_by.join(", ")),
            };
        }
        for warning in &self.warnings {
            let _ = writeln!(out, "  warning: {warning}");
        }
    }
}

/// The CalDAV entries grouped by account, in the order of the file: one discovery per
/// account, as entries with the same URL and auth share it. Each group is its first entry
/// and every entry using the account.
fn accounts(calendars: &[CalendarSpec]) -> Vec<(&CalendarSpec, Vec<&CalendarSpec>)> {
    let mut accounts: Vec<(&CalendarSpec, Vec<&CalendarSpec>)> = Vec::new();
    for calendar in calendars {
        let Location::Caldav(location) = &calendar.location else {
            continue;
        };
        let same = accounts
            .iter_mut()
            .find(|(first, _)| match &first.location {
                Location::Caldav(other) => other.url == location.url && other.auth == location.auth,
                _ => false,
            });
        match same {
            Some((_, users)) => users.push(calendar),
            None => accounts.push((calendar, vec![calendar])),
        }
    }
    accounts
}

/// What discovery found for one account, and the entries whose pick is not there.
fn describe_account(listing: &mut AccountListing, account: &Account, users: &[&CalendarSpec]) {
    listing.principal = account.principal.as_ref().map(|p| p.path().to_string());
    listing.home = account.home.as_ref().map(|h| h.path().to_string());
    listing.auto_schedule = account.auto_schedule;
    listing.calendars = account
        .calendars
        .iter()
        .map(|calendar| describe_calendar(calendar, users))
        .collect();
    for user in users {
        let Location::Caldav(wanted) = &user.location else {
            continue;
        };
        if let Some(pick) = &wanted.calendar
            && !account.calendars.iter().any(|c| c.matches(pick))
        {
            listing.warnings.push(format!(
                "[[calendar]] {:?} picks {pick:?}, which is not here",
                user.name
            ));
        }
    }
}

fn describe_calendar(calendar: &CalendarInfo, users: &[&CalendarSpec]) -> CalendarListing {
    let picked_by = users
        .iter()
        .filter(|user| match &user.location {
            Location::Caldav(location) => location
                .calendar
                .as_deref()
                .is_some_and(|pick| calendar.matches(pick)),
            _ => false,
        })
        .map(|user| user.name.clone())
        .collect();
    let sync = if calendar.supports_sync {
        "sync-collection"
    } else if calendar.ctag.is_some() {
        "ctag"
    } else {
        "etags"
    };
    CalendarListing {
        name: calendar.name().to_string(),
        path: calendar.url.path().to_string(),
        components: calendar.components.clone(),
        sync,
        picked_by,
    }
}
