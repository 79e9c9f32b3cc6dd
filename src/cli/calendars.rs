//! `tete calendars`: what each configured CalDAV account (and Microsoft account) has.
//!
//! Runs discovery for every CalDAV account in the configuration (once per account, however
//! many `[[calendar]]` entries use it) and lists its calendars: display name, URL, supported
//! components, whether it supports sync-collection, and which config entry picks it. Exit
//! code: 0 when every account answered, 1 when one failed, 2 on a bad configuration.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;
use crate::http::HttpClient;
use crate::sources::caldav::{Account, CalendarInfo};
use crate::sources::{CalendarSpec, Location, Source};

/// Arguments of `tete calendars`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tete calendars`.
pub fn run(config: Option<&Path>, _args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::load_or_default(config)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let accounts = accounts(&config.calendars);
    let microsoft = microsoft_accounts(&config.calendars);
    if accounts.is_empty() && microsoft.is_empty() {
        println!(
            "no CalDAV or Microsoft calendar in {}",
            config.path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let http = HttpClient::with_timeout(config.request_timeout);
    let mut failures = 0;
    for (first, users) in microsoft {
        if !print_microsoft(&runtime, first, &users, &config, &http) {
            failures += 1;
        }
    }
    for (first, users) in accounts {
        let Location::Caldav(location) = &first.location else {
            continue;
        };
        println!("{}", location.url);
        let source =
            match Source::from_location(&first.location, &config.feed_cache_dir(), &http, None) {
                Ok(Source::Caldav(source)) => source,
                Ok(_) => continue,
                Err(err) => {
                    println!("  error: {:#}", anyhow::Error::from(err));
                    failures += 1;
                    continue;
                }
            };
        match runtime.block_on(source.discover()) {
            Ok(account) => print_account(&account, &users),
            Err(err) => {
                println!("  error: {:#}", anyhow::Error::from(err));
                failures += 1;
            }
        }
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The `graph` entries grouped by account (token file and app registration).
fn microsoft_accounts(calendars: &[CalendarSpec]) -> Vec<(&CalendarSpec, Vec<&CalendarSpec>)> {
    let mut accounts: Vec<(&CalendarSpec, Vec<&CalendarSpec>)> = Vec::new();
    for calendar in calendars {
        let Location::Graph(location) = &calendar.location else {
            continue;
        };
        let same = accounts
            .iter_mut()
            .find(|(first, _)| match &first.location {
                Location::Graph(other) => {
                    (
                        &other.token_file,
                        &other.client_id,
                        &other.tenant,
                        &other.api,
                    ) == (
                        &location.token_file,
                        &location.client_id,
                        &location.tenant,
                        &location.api,
                    )
                }
                _ => false,
            });
        match same {
            Some((_, users)) => users.push(calendar),
            None => accounts.push((calendar, vec![calendar])),
        }
    }
    accounts
}

/// Lists a Microsoft account's calendars and which entry picks each; false when the
/// account could not be asked.
fn print_microsoft(
    runtime: &tokio::runtime::Runtime,
    first: &CalendarSpec,
    users: &[&CalendarSpec],
    config: &Config,
    http: &HttpClient,
) -> bool {
    println!("Microsoft Graph ({})", first.name);
    let source = match Source::from_location(&first.location, &config.feed_cache_dir(), http, None)
    {
        Ok(Source::Graph(source)) => source,
        Ok(_) => return true,
        Err(err) => {
            println!("  error: {:#}", anyhow::Error::from(err));
            return false;
        }
    };
    let calendars = match runtime.block_on(source.calendars()) {
        Ok(calendars) => calendars,
        Err(err) => {
            println!("  error: {:#}", anyhow::Error::from(err));
            return false;
        }
    };
    let pick = |user: &&CalendarSpec| match &user.location {
        Location::Graph(graph) => graph.calendar.clone(),
        _ => None,
    };
    for calendar in &calendars {
        let picked_by: Vec<&str> = users
            .iter()
            .filter(|user| match pick(user) {
                Some(name) => calendar.is(&name),
                None => calendar.is_default,
            })
            .map(|user| user.name.as_str())
            .collect();
        let mut notes = Vec::new();
        if calendar.is_default {
            notes.push("default".to_string());
        }
        if !calendar.can_edit {
            notes.push("read-only".to_string());
        }
        if !picked_by.is_empty() {
            notes.push(format!("used by {}", picked_by.join(", ")));
        }
        println!(
            "  {:?}{}",
            calendar.name,
            if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join("; "))
            }
        );
    }
    for user in users {
        if let Some(name) = pick(user)
            && !calendars.iter().any(|c| c.is(&name))
        {
            println!(
                "  warning: [[calendar]] {:?} picks {name:?}, which is not here",
                user.name
            );
        }
    }
    true
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
fn print_account(account: &Account, users: &[&CalendarSpec]) {
    if let Some(principal) = &account.principal {
        println!("  principal: {}", principal.path());
    }
    if let Some(home) = &account.home {
        println!("  calendar home: {}", home.path());
    }
    if account.auto_schedule {
        println!(
            "  scheduling: this server tells attendees on its own when an event \
             changes (calendar-auto-schedule), so with delivery = \"private\" \
             agendas go to your private calendar ([agenda] private_calendar), and \
             with \"shared\" the other person gets each one (see README, \"Who is \
             told\")"
        );
    }
    if account.calendars.is_empty() {
        println!("  no calendars");
    }
    for calendar in &account.calendars {
        print_calendar(calendar, users);
    }
    for user in users {
        let Location::Caldav(wanted) = &user.location else {
            continue;
        };
        if let Some(pick) = &wanted.calendar
            && !account.calendars.iter().any(|c| c.matches(pick))
        {
            println!(
                "  warning: [[calendar]] {:?} picks {pick:?}, which is not here",
                user.name
            );
        }
    }
}

fn print_calendar(calendar: &CalendarInfo, users: &[&CalendarSpec]) {
    let picked_by: Vec<&str> = users
        .iter()
        .filter(|user| match &user.location {
            Location::Caldav(location) => location
                .calendar
                .as_deref()
                .is_some_and(|pick| calendar.matches(pick)),
            _ => false,
        })
        .map(|user| user.name.as_str())
        .collect();
    let components = if calendar.components.is_empty() {
        "any".to_string()
    } else {
        calendar.components.join(",")
    };
    let sync = if calendar.supports_sync {
        "sync-collection"
    } else if calendar.ctag.is_some() {
        "ctag"
    } else {
        "etags"
    };
    print!(
        "  - {:?}  {}  [{components}; {sync}]",
        calendar.name(),
        calendar.url.path()
    );
    if picked_by.is_empty() {
        println!();
    } else {
        println!("  <- {}", picked_by.join(", "));
    }
}
