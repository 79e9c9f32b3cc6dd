//! `tete check`: validate the configuration and read each source once.
//!
//! Prints, per calendar: its kind and where it is, whether tete may write there, what was
//! read (resources, events, recurring series) and every warning. A source that fails is
//! reported and the others are still checked. Exit code: 0 when every source was read, 1
//! when one failed, 2 when the configuration itself is missing or invalid.

use std::collections::HashSet;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use futures_util::future::join_all;

use crate::calendar::Component;
use crate::calendar::Warning;
use crate::calendar::reader::{ReadEvent, Reader};
use crate::config::Config;
use crate::http::HttpClient;
use crate::sources::caldav::SharedSyncState;
use crate::sources::{CalendarSpec, Location, Resource, Snapshot, Source, SourceError, SourceKind};
use crate::zone::Zone;

/// Arguments of `tete check`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// At most this many warnings are printed per calendar (all are counted): a broken export
/// can produce thousands, and the first ones are what a person fixes first.
const MAX_WARNINGS_SHOWN: usize = 100;

/// Runs `tete check`.
pub fn run(config: Option<&Path>, _args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::load_or_default(config)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let http = HttpClient::with_timeout(config.request_timeout);
    let cache_dir = config.feed_cache_dir();
    let sync_state = super::inputs::caldav_sync_state(&config.calendars, &config.state_file)?;
    // Fetched together (feeds are network-bound), then read and reported one by one.
    let checked =
        runtime.block_on(join_all(config.calendars.iter().map(|calendar| {
            open_and_fetch(calendar, &cache_dir, &http, sync_state.as_ref())
        })));
    let mut failures = 0;
    for (calendar, checked) in config.calendars.iter().zip(checked) {
        if !report_calendar(calendar, checked, &config.state_file) {
            failures += 1;
        }
    }
    print_total(config.calendars.len(), failures);
    if print_held_writes(&config.state_file, config.zone)? {
        failures += 1;
    }
    failures += runtime.block_on(check_channels(&config.nudges));
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Checks each configured nudge channel as far as it can without sending anything: its
/// secrets resolve (variable set, file readable, command succeeds), the desktop bus answers.
/// Returns how many channels cannot work. A desktop channel without a session bus is a note,
/// not a failure (a headless machine; the daemon then skips it).
async fn check_channels(nudges: &crate::nudge::Settings) -> usize {
    if !nudges.enabled {
        println!("\nnudges: off");
        return 0;
    }
    println!("\nnudges: journal (always)");
    let mut failures = 0;
    let mut say = |channel: &str, outcome: Result<String, String>| match outcome {
        Ok(what) => println!("  {channel}: {what}"),
        Err(why) => {
            failures += 1;
            println!("  {channel}: cannot work: {why}");
        }
    };
    let channels = &nudges.channels;
    if let Some(desktop) = &channels.desktop {
        match desktop.connect().await {
            Ok(_) => say("desktop", Ok("the session bus answers".into())),
            Err(e) => println!(
                "  desktop: skipped ({}); set [nudges.desktop] enabled = false to silence this",
                crate::errors::chain(&e)
            ),
        }
    }
    if let Some(email) = &channels.email {
        let password = match &email.password {
            Some(secret) => secret
                .resolve()
                .map(|_| ", password found")
                .map_err(|e| format!("the password: {}", crate::errors::chain(&e))),
            None => Ok(""),
        };
        say(
            "email",
            password.map(|found| {
                format!(
                    "to {} through {}:{}{found} (nothing sent)",
                    email.to.join(", "),
                    email.server,
                    email.port
                )
            }),
        );
    }
    if let Some(webhook) = &channels.webhook {
        let url = webhook
            .url
            .resolve()
            .map_err(|e| format!("the URL: {}", crate::errors::chain(&e)))
            .and_then(|url| {
                reqwest::Url::parse(url.expose().trim())
                    .map(|u| format!("posts to {} (nothing sent)", u.host_str().unwrap_or("?")))
                    .map_err(|_| "the URL is not a URL".to_string())
            });
        say("webhook", url);
    }
    failures
}

/// How far one calendar got.
enum Checked {
    /// Its source could not be set up (e.g. the feed URL's secret could not be resolved).
    NotOpened(SourceError),
    /// Its source could not be fetched.
    NotFetched(Source, SourceError),
    /// Its resources are ready to be read.
    Fetched(Source, Snapshot),
}

async fn open_and_fetch(
    calendar: &CalendarSpec,
    cache_dir: &Path,
    http: &HttpClient,
    sync_state: Option<&SharedSyncState>,
) -> Checked {
    let source = match Source::from_location(&calendar.location, cache_dir, http, sync_state) {
        Ok(source) => source,
        Err(err) => return Checked::NotOpened(err),
    };
    match source.fetch().await {
        Ok(snapshot) => Checked::Fetched(source, snapshot),
        Err(err) => Checked::NotFetched(source, err),
    }
}

/// Prints one calendar's report; false when it could not be read.
fn report_calendar(calendar: &CalendarSpec, checked: Checked, state_file: &Path) -> bool {
    let name = &calendar.name;
    let outcome = match checked {
        Checked::NotOpened(err) => {
            println!("{name} ({})", location_kind(&calendar.location));
            Err(err.into())
        }
        Checked::NotFetched(source, err) => {
            print_header(name, &source);
            Err(err.into())
        }
        Checked::Fetched(source, snapshot) => {
            print_header(name, &source);
            print_fetch(&source, &snapshot, &calendar.location, state_file);
            match halted_writes(name, &source) {
                Some(why) => Err(anyhow::anyhow!(why)),
                None => tally_snapshot(&source, &snapshot),
            }
        }
    };
    match outcome {
        Ok(tally) => {
            print_tally(&tally);
            true
        }
        Err(err) => {
            // `{:#}` adds the causes: "cannot fetch https://host/…: connection refused".
            println!("  error: {err:#}");
            false
        }
    }
}

/// Lists the agenda writes held back after failing for good; true when there are some. A
/// state file that does not exist yet holds none (and is not created by a check).
fn print_held_writes(state_file: &Path, zone: Zone) -> anyhow::Result<bool> {
    if !state_file.exists() {
        return Ok(false);
    }
    let held = crate::state::StateFile::open(state_file)?
        .history()
        .held_writes()?;
    for h in &held {
        println!(
            "agenda write to {} held back: failed {} time(s), last: {}; next try after {}",
            h.resource,
            h.failures,
            h.last_error,
            zone.show(h.retry_at, "%a %-d %b %H:%M %Z")
        );
    }
    Ok(!held.is_empty())
}

/// Why tete stopped writing into this calendar's events, when it did.
fn halted_writes(name: &str, source: &Source) -> Option<String> {
    let Source::Caldav(caldav) = source else {
        return None;
    };
    match caldav.halted() {
        Ok(Some((why, since))) => Some(crate::cycle::halt_message(name, &why, &since)),
        Ok(None) => None,
        Err(e) => Some(format!(
            "cannot read whether writes were stopped: {}",
            crate::errors::chain(&e)
        )),
    }
}

fn location_kind(location: &Location) -> SourceKind {
    match location {
        Location::File(_) => SourceKind::File,
        Location::Vdir(_) => SourceKind::Vdir,
        Location::Feed(_) => SourceKind::Feed,
        Location::Caldav(_) => SourceKind::Caldav,
        Location::Graph(_) => SourceKind::Graph,
    }
}

fn print_header(name: &str, source: &Source) {
    println!("{name} ({} {})", source.kind(), source.label());
    if let Source::Caldav(caldav) = source
        && caldav.sends_credentials_in_clear()
    {
        println!("  warning: plain http:// to another machine: the password travels unencrypted");
    }
    if source.is_writable() {
        println!("  writable: tete may update events here");
    } else {
        println!("  read-only: tete will not write here");
    }
}

fn print_fetch(source: &Source, snapshot: &Snapshot, location: &Location, state_file: &Path) {
    if let Source::Feed(feed) = source {
        if snapshot.not_modified {
            println!("  not modified since the last fetch (HTTP 304): cached copy used");
        } else {
            println!("  downloaded");
        }
        println!("  cached copy: {}", feed.cache_path().display());
    }
    if let Source::Caldav(caldav) = source {
        match caldav.last_report() {
            Some(report) if snapshot.not_modified => {
                println!(
                    "  synced ({}): no change since the last sync",
                    report.method
                );
            }
            Some(report) => println!(
                "  synced ({}{}): {} fetched, {} deleted",
                report.method,
                if report.full_resync {
                    ", full resync"
                } else {
                    ""
                },
                report.fetched,
                report.deleted
            ),
            None => println!("  synced"),
        }
        for (href, why) in caldav.last_report().iter().flat_map(|r| &r.not_fetched) {
            println!("  not fetched, asked again next cycle: {href}: {why}");
        }
        let stats = caldav.client().stats().snapshot();
        println!(
            "  requests: {} ({} bytes sent, {} received)",
            stats.requests, stats.bytes_sent, stats.bytes_received
        );
        if let Location::Caldav(_) = location {
            println!("  sync state: {}", state_file.display());
        }
    }
}

fn print_tally(tally: &Tally) {
    println!(
        "  resources: {}, events: {}, recurring series: {}, warnings: {}",
        tally.resources,
        tally.events,
        tally.series.len(),
        tally.warnings.len()
    );
    for warning in tally.warnings.iter().take(MAX_WARNINGS_SHOWN) {
        println!("  {warning}");
    }
    if tally.warnings.len() > MAX_WARNINGS_SHOWN {
        let more = tally.warnings.len() - MAX_WARNINGS_SHOWN;
        println!("  … and {more} more warnings");
    }
}

fn print_total(calendars: usize, failures: usize) {
    match failures {
        0 => println!("{calendars} calendar(s) checked, all readable"),
        _ => println!("{calendars} calendar(s) checked, {failures} failed"),
    }
}

/// What was read from one source.
#[derive(Debug, Default)]
struct Tally {
    resources: usize,
    events: usize,
    /// UIDs of events with an RRULE: one recurring series each.
    series: HashSet<String>,
    warnings: Vec<Warning>,
}

fn tally_snapshot(source: &Source, snapshot: &Snapshot) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    for resource in &snapshot.resources {
        let origin = source.resource_origin(resource);
        let is_icalendar = tally_resource(&mut tally, resource, &origin)?;
        if is_icalendar {
            continue;
        }
        // In a vdir one stray file is one warning; a single file or feed that is not
        // iCalendar (often an HTML login page) means the source is misconfigured.
        let message = "not iCalendar: no BEGIN:VCALENDAR or BEGIN:VEVENT line found";
        if !matches!(source.kind(), SourceKind::Vdir | SourceKind::Caldav) {
            anyhow::bail!("{origin} is {message}");
        }
        tally.warnings.push(Warning {
            origin: origin.as_str().into(),
            line: 0,
            uid: None,
            message: message.to_string(),
        });
    }
    Ok(tally)
}

/// Streams one resource into the tally; false when it held no iCalendar at all.
fn tally_resource(tally: &mut Tally, resource: &Resource, origin: &str) -> anyhow::Result<bool> {
    let input = resource.open()?;
    let mut reader = Reader::new(input, origin);
    while let Some(event) = reader
        .next_event()
        .with_context(|| format!("cannot read {origin}"))?
    {
        if let ReadEvent::Item(item) = event {
            tally_events(tally, &item);
        }
    }
    tally.resources += 1;
    let is_icalendar = reader.saw_structure();
    // Line-by-line complaints about a file that is not iCalendar at all would only hide
    // the one message that matters.
    if is_icalendar {
        tally.warnings.extend(reader.take_warnings());
    }
    Ok(is_icalendar)
}

/// Counts the `VEVENT`s in an item (itself, or inside an unknown wrapper component).
fn tally_events(tally: &mut Tally, component: &Component) {
    if component.name != "VEVENT" {
        for child in &component.components {
            tally_events(tally, child);
        }
        return;
    }
    tally.events += 1;
    if component.property("RRULE").is_some()
        && let Some(uid) = component.value("UID")
        && !tally.series.contains(uid)
    {
        tally.series.insert(uid.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::{Content, FileSource};

    fn tally_text(text: &str) -> anyhow::Result<Tally> {
        let source = Source::File(FileSource::new("cal.ics".into()));
        let snapshot = Snapshot {
            resources: vec![Resource {
                href: "cal.ics".into(),
                etag: None,
                content: Content::Memory(text.as_bytes().to_vec()),
            }],
            not_modified: false,
        };
        tally_snapshot(&source, &snapshot)
    }

    #[test]
    fn counts_events_and_distinct_recurring_uids() {
        let text = "BEGIN:VCALENDAR\n\
            BEGIN:VEVENT\nUID:weekly\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n\
            BEGIN:VEVENT\nUID:weekly\nRECURRENCE-ID:20260105T100000Z\nEND:VEVENT\n\
            BEGIN:VEVENT\nUID:monthly\nRRULE:FREQ=MONTHLY\nEND:VEVENT\n\
            BEGIN:VEVENT\nUID:once\nEND:VEVENT\n\
            BEGIN:VTODO\nUID:todo\nRRULE:FREQ=DAILY\nEND:VTODO\n\
            END:VCALENDAR\n";
        let tally = tally_text(text).unwrap();
        assert_eq!(
            (tally.resources, tally.events, tally.series.len()),
            (1, 4, 2)
        );
        assert!(tally.warnings.is_empty());
    }

    #[test]
    fn warnings_are_collected() {
        let tally = tally_text("BEGIN:VEVENT\nUID:u\nstray\nEND:VEVENT\n").unwrap();
        assert_eq!(tally.warnings.len(), 1);
        assert!(
            tally.warnings[0]
                .to_string()
                .starts_with("cal.ics:3 (UID u): ")
        );
    }

    #[test]
    fn a_file_that_is_not_icalendar_fails() {
        let err = tally_text("<html>log in</html>").unwrap_err();
        assert!(err.to_string().contains("not iCalendar"), "{err}");
    }
}
