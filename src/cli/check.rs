//! `tete check`: validate the configuration and read each source once.
//!
//! Prints, per calendar: its kind and where it is, whether tete may write there, what was
//! read (resources, events, recurring series) and every warning. A source that fails is
//! reported and the others are still checked. Exit code: 0 when every source was read, 1
//! when one failed, 2 when the configuration itself is missing or invalid.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use futures_util::future::join_all;
use serde::Serialize;

use super::nudges::Format;

use crate::calendar::Component;
use crate::calendar::Warning;
use crate::calendar::reader::{ReadEvent, Reader};
use crate::config::Config;
use crate::history::HeldWrite;
use crate::http::HttpClient;
use crate::nudge::ChannelKind;
use crate::sources::caldav::SharedSyncState;
use crate::sources::{CalendarSpec, Location, Resource, Snapshot, Source, SourceError, SourceKind};
use crate::zone::Zone;

/// Arguments of `tete check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// At most this many warnings are printed per calendar (all are counted): a broken export
/// can produce thousands, and the first ones are what a person fixes first.
const MAX_WARNINGS_SHOWN: usize = 100;

/// Runs `tete check`.
pub fn run(config: Option<&Path>, args: Args) -> anyhow::Result<ExitCode> {
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
    let calendars = config
        .calendars
        .iter()
        .zip(checked)
        .map(|(calendar, checked)| check_calendar(calendar, checked, &config.state_file))
        .collect();
    let report = CheckReport {
        as_of: super::json_time(chrono::Utc::now()),
        calendars,
        held_writes: held_writes(&config.state_file)?,
        nudges: runtime.block_on(check_nudges(&config.nudges)),
    };
    match args.format {
        Format::Text => print!("{}", report.render_text(config.zone)),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(if report.failures() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Everything one `tete check` found: printed for people, or as JSON for programs.
#[derive(Debug, Serialize)]
struct CheckReport {
    /// When the check ran (UTC, RFC 3339).
    as_of: String,
    calendars: Vec<CalendarCheck>,
    /// Agenda writes held back after failing for good.
    #[serde(serialize_with = "held_writes_json")]
    held_writes: Vec<HeldWrite>,
    nudges: NudgesCheck,
}

/// One calendar: where it is, what its fetch did, and what was read or why not.
#[derive(Debug, Serialize)]
struct CalendarCheck {
    name: String,
    kind: SourceKind,
    /// The path or URL (secrets hidden); absent when the source could not be set up.
    location: Option<String>,
    /// Whether tete may write there; absent when the source could not be set up.
    writable: Option<bool>,
    /// Plain-http credentials and similar: a person should act on them.
    warnings: Vec<String>,
    /// What fetching did (downloaded, synced, requests made), one line each.
    fetch: Vec<String>,
    /// What was read, when it was.
    read: Option<Tally>,
    /// Why it could not be read, causes included.
    error: Option<String>,
}

/// The nudge channels, each checked as far as possible without sending anything.
#[derive(Debug, Serialize)]
struct NudgesCheck {
    enabled: bool,
    channels: Vec<ChannelCheck>,
}

/// One nudge channel's state.
#[derive(Debug, Serialize)]
struct ChannelCheck {
    channel: ChannelKind,
    status: ChannelStatus,
    /// What was found (recipients, server) or why it cannot work.
    detail: String,
}

/// Whether a channel can work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum ChannelStatus {
    Ready,
    /// Not usable here, and that is not a fault (no session bus on a headless machine).
    Skipped,
    CannotWork,
}

impl CheckReport {
    /// How many things failed: calendars not read, held writes (one), channels that cannot work.
    fn failures(&self) -> usize {
        let calendars = self.calendars.iter().filter(|c| c.error.is_some()).count();
        let channels = self
            .nudges
            .channels
            .iter()
            .filter(|c| c.status == ChannelStatus::CannotWork)
            .count();
        calendars + usize::from(!self.held_writes.is_empty()) + channels
    }

    fn render_text(&self, zone: Zone) -> String {
        let mut out = String::new();
        for calendar in &self.calendars {
            calendar.render_text(&mut out);
        }
        let failed = self.calendars.iter().filter(|c| c.error.is_some()).count();
        let _ = match failed {
            0 => writeln!(
                out,
                "{} calendar(s) checked, all readable",
                self.calendars.len()
            ),
            _ => writeln!(
                out,
                "{} calendar(s) checked, {failed} failed",
                self.calendars.len()
            ),
        };
        for h in &self.held_writes {
            let _ = writeln!(
                out,
                "agenda write to {} held back: failed {} time(s), last: {}; next try after {}",
                h.resource,
                h.failures,
                h.last_error,
                zone.show(h.retry_at, "%a %-d %b %H:%M %Z")
            );
        }
        self.nudges.render_text(&mut out);
        out
    }
}

impl CalendarCheck {
    fn render_text(&self, out: &mut String) {
        match &self.location {
            Some(location) => writeln!(out, "{} ({} {location})", self.name, self.kind),
            None => writeln!(out, "{} ({})", self.name, self.kind),
        }
        .ok();
        for warning in &self.warnings {
            let _ = writeln!(out, "  warning: {warning}");
        }
        match self.writable {
            Some(true) => writeln!(out, "  writable: tete may update events here"),
            Some(false) => writeln!(out, "  read-only: tete will not write here"),
            None => Ok(()),
        }
        .ok();
        for line in &self.fetch {
            let _ = writeln!(out, "  {line}");
        }
        if let Some(tally) = &self.read {
            tally.render_text(out);
        }
        if let Some(error) = &self.error {
            let _ = writeln!(out, "  error: {error}");
        }
    }
}

impl NudgesCheck {
    fn render_text(&self, out: &mut String) {
        if !self.enabled {
            let _ = writeln!(out, "\nnudges: off");
            return;
        }
        let _ = writeln!(out, "\nnudges: journal (always)");
        for channel in &self.channels {
            let _ = match channel.status {
                ChannelStatus::Ready => writeln!(out, "  {}: {}", channel.channel, channel.detail),
                ChannelStatus::Skipped => writeln!(
                    out,
                    "  {}: skipped ({}); set [nudges.{}] enabled = false to silence this",
                    channel.channel, channel.detail, channel.channel
                ),
                ChannelStatus::CannotWork => writeln!(
                    out,
                    "  {}: cannot work: {}",
                    channel.channel, channel.detail
                ),
            };
        }
    }
}

/// Checks each configured nudge channel as far as it can without sending anything: its
/// secrets resolve (variable set, file readable, command succeeds), the desktop bus answers.
/// A desktop channel without a session bus is skipped, not a failure (a headless machine;
/// the daemon then skips it).
async fn check_nudges(nudges: &crate::nudge::Settings) -> NudgesCheck {
    let mut channels = Vec::new();
    if !nudges.enabled {
        return NudgesCheck {
            enabled: false,
            channels,
        };
    }
    let configured = &nudges.channels;
    if let Some(desktop) = &configured.desktop {
        channels.push(match desktop.connect().await {
            Ok(_) => ChannelCheck::ready(ChannelKind::Desktop, "the session bus answers".into()),
            Err(e) => ChannelCheck {
                channel: ChannelKind::Desktop,
                status: ChannelStatus::Skipped,
                detail: crate::errors::chain(&e),
            },
        });
    }
    if let Some(email) = &configured.email {
        channels.push(check_email(email));
    }
    if let Some(webhook) = &configured.webhook {
        channels.push(check_webhook(webhook));
    }
    NudgesCheck {
        enabled: true,
        channels,
    }
}

fn check_email(email: &crate::nudge::EmailChannel) -> ChannelCheck {
    let password = match &email.password {
        Some(secret) => secret
            .resolve()
            .map(|_| ", password found")
            .map_err(|e| format!("the password: {}", crate::errors::chain(&e))),
        None => Ok(""),
    };
    ChannelCheck::from_outcome(
        ChannelKind::Email,
        password.map(|found| {
            format!(
                "to {} through {}:{}{found} (nothing sent)",
                email.to.join(", "),
                email.server,
                email.port
            )
        }),
    )
}

fn check_webhook(webhook: &crate::nudge::WebhookChannel) -> ChannelCheck {
    let url = webhook
        .url
        .resolve()
        .map_err(|e| format!("the URL: {}", crate::errors::chain(&e)))
        .and_then(|url| {
            reqwest::Url::parse(url.expose().trim())
                .map(|u| format!("posts to {} (nothing sent)", u.host_str().unwrap_or("?")))
                .map_err(|_| "the URL is not a URL".to_string())
        });
    ChannelCheck::from_outcome(ChannelKind::Webhook, url)
}

impl ChannelCheck {
    fn ready(channel: ChannelKind, detail: String) -> Self {
        ChannelCheck {
            channel,
            status: ChannelStatus::Ready,
            detail,
        }
    }

    fn from_outcome(channel: ChannelKind, outcome: Result<String, String>) -> Self {
        match outcome {
            Ok(detail) => ChannelCheck::ready(channel, detail),
            Err(detail) => ChannelCheck {
                channel,
                status: ChannelStatus::CannotWork,
                detail,
            },
        }
    }
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

/// One calendar's check, from how far it got.
fn check_calendar(calendar: &CalendarSpec, checked: Checked, state_file: &Path) -> CalendarCheck {
    let mut check = CalendarCheck {
        name: calendar.name.clone(),
        kind: location_kind(&calendar.location),
        location: None,
        writable: None,
        warnings: Vec::new(),
        fetch: Vec::new(),
        read: None,
        error: None,
    };
    let outcome = match checked {
        Checked::NotOpened(err) => Err(err.into()),
        Checked::NotFetched(source, err) => {
            describe_source(&mut check, &source);
            Err(err.into())
        }
        Checked::Fetched(source, snapshot) => {
            describe_source(&mut check, &source);
            check.fetch = fetch_lines(&source, &snapshot, &calendar.location, state_file);
            match halted_writes(&calendar.name, &source) {
                Some(why) => Err(anyhow::anyhow!(why)),
                None => tally_snapshot(&source, &snapshot),
            }
        }
    };
    match outcome {
        Ok(tally) => check.read = Some(tally),
        // `{:#}` adds the causes: "cannot fetch https://host/…: connection refused".
        Err(err) => check.error = Some(format!("{err:#}")),
    }
    check
}

/// The agenda writes held back after failing for good. A state file that does not exist
/// yet holds none (and is not created by a check).
fn held_writes(state_file: &Path) -> anyhow::Result<Vec<HeldWrite>> {
    if !state_file.exists() {
        return Ok(Vec::new());
    }
    Ok(crate::state::StateFile::open(state_file)?
        .history()
        .held_writes()?)
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

fn describe_source(check: &mut CalendarCheck, source: &Source) {
    check.location = Some(source.label());
    check.writable = Some(source.is_writable());
    if let Source::Caldav(caldav) = source
        && caldav.sends_credentials_in_clear()
    {
        check
            .warnings
            .push("plain http:// to another machine: the password travels unencrypted".to_string());
    }
}

fn fetch_lines(
    source: &Source,
    snapshot: &Snapshot,
    location: &Location,
    state_file: &Path,
) -> Vec<String> {
    let mut lines = Vec::new();
    if let Source::Feed(feed) = source {
        lines.push(if snapshot.not_modified {
            "not modified since the last fetch (HTTP 304): cached copy used".to_string()
        } else {
            "downloaded".to_string()
        });
        lines.push(format!("cached copy: {}", feed.cache_path().display()));
    }
    if let Source::Caldav(caldav) = source {
        lines.push(match caldav.last_report() {
            Some(report) if snapshot.not_modified => {
                format!("synced ({}): no change since the last sync", report.method)
            }
            Some(report) => format!(
                "synced ({}{}): {} fetched, {} deleted",
                report.method,
                if report.full_resync {
                    ", full resync"
                } else {
                    ""
                },
                report.fetched,
                report.deleted
            ),
            None => "synced".to_string(),
        });
        for (href, why) in caldav.last_report().iter().flat_map(|r| &r.not_fetched) {
            lines.push(format!(
                "not fetched, asked again next cycle: {href}: {why}"
            ));
        }
        let stats = caldav.client().stats().snapshot();
        lines.push(format!(
            "requests: {} ({} bytes sent, {} received)",
            stats.requests, stats.bytes_sent, stats.bytes_received
        ));
        if let Location::Caldav(_) = location {
            lines.push(format!("sync state: {}", state_file.display()));
        }
    }
    lines
}

impl Tally {
    fn render_text(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "  resources: {}, events: {}, recurring series: {}, warnings: {}",
            self.resources,
            self.events,
            self.series.len(),
            self.warnings.len()
        );
        for warning in self.warnings.iter().take(MAX_WARNINGS_SHOWN) {
            let _ = writeln!(out, "  {warning}");
        }
        if self.warnings.len() > MAX_WARNINGS_SHOWN {
            let more = self.warnings.len() - MAX_WARNINGS_SHOWN;
            let _ = writeln!(out, "  … and {more} more warnings");
        }
    }
}

/// What was read from one source.
#[derive(Debug, Default, Serialize)]
struct Tally {
    resources: usize,
    events: usize,
    /// UIDs of events with an RRULE: one recurring series each.
    #[serde(rename = "recurring_series", serialize_with = "count")]
    series: HashSet<String>,
    #[serde(serialize_with = "warnings")]
    warnings: Vec<Warning>,
}

/// Each held write as `{resource, failures, last_error, retry_at}`, `retry_at` in UTC.
fn held_writes_json<S: serde::Serializer>(held: &[HeldWrite], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(held.iter().map(|h| {
        serde_json::json!({
            "resource": h.resource,
            "failures": h.failures,
            "last_error": h.last_error,
            "retry_at": super::json_time(h.retry_at),
        })
    }))
}

fn count<S: serde::Serializer>(series: &HashSet<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(series.len() as u64)
}

/// Each warning as `{origin, line, uid, message}`.
fn warnings<S: serde::Serializer>(warnings: &[Warning], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(warnings.iter().map(|w| {
        serde_json::json!({
            "origin": &*w.origin,
            "line": w.line,
            "uid": w.uid,
            "message": w.message,
        })
    }))
}

fn tally_snapshot(source: &Source, snapshot: &Snapshot) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    for resource in snapshot.resources.iter() {
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
            }]
            .into(),
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
