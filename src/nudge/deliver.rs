//! Sending nudges: each streak once per channel, never in quiet hours, remembered in the
//! state file. A channel that fails is logged and tried again next cycle (its nudges are not
//! recorded as sent); it never stops the other channels.

use std::fmt;

use chrono::{DateTime, Utc};

use super::channel::{self, ChannelError, DesktopChannel, EmailChannel};
use super::{Nudge, Settings};
use crate::history::{History, HistoryError, SentNudge};
use crate::http::HttpClient;

/// A way a nudge reaches the manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// The log (journald under systemd): always on.
    Journal,
    /// A desktop notification over D-Bus.
    Desktop,
    /// An email through SMTP.
    Email,
    /// A POST to a webhook.
    Webhook,
}

impl ChannelKind {
    /// The name, as the state file stores it and messages show it.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Journal => "journal",
            ChannelKind::Desktop => "desktop",
            ChannelKind::Email => "email",
            ChannelKind::Webhook => "webhook",
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one [`deliver`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Sent now: `(streak, channel)`.
    pub sent: Vec<(String, ChannelKind)>,
    /// `(nudge, channel)` pairs sent at an earlier cycle, so not sent again.
    pub already_sent: usize,
    /// Nudges held because it is quiet hours; they go out at the first cycle after.
    pub held: usize,
    /// Channels skipped this cycle, and why (no session bus for desktop notifications).
    pub skipped: Vec<(ChannelKind, String)>,
    /// Failed, to be tried again next cycle: `(streak, channel, error)`.
    pub failed: Vec<(String, ChannelKind, String)>,
}

/// One line, for the daemon's status: "2 sent, 1 already sent, 0 held, 1 failed".
impl fmt::Display for DeliveryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} sent, {} already sent, {} held for quiet hours, {} failed",
            self.sent.len(),
            self.already_sent,
            self.held,
            self.failed.len()
        )?;
        for (channel, why) in &self.skipped {
            write!(f, ", {channel} skipped ({why})")?;
        }
        Ok(())
    }
}

/// Sends every nudge whose streak was not sent yet through each channel: the journal
/// (always), then the configured desktop, email and webhook channels, recording each
/// successful send at `now` (UTC). In quiet hours nothing is sent and the nudges are
/// counted as held. Only the state file failing is an error; channel failures are in the
/// report (and the journal).
pub async fn deliver(
    store: &mut dyn History,
    nudges: &[Nudge],
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<DeliveryReport, HistoryError> {
    let mut report = DeliveryReport::default();
    if !settings.enabled {
        return Ok(report);
    }
    let channels = &settings.channels;
    let names = channel_kinds(settings);
    let pending = pending(store, nudges, &names, &mut report)?;
    if held_in_quiet_hours(settings, now, &pending, &mut report) {
        return Ok(report);
    }

    let http = HttpClient::new();
    for (name, todo) in pending {
        if todo.is_empty() {
            continue;
        }
        match name {
            ChannelKind::Journal => to_journal(store, &mut report, &todo, now)?,
            ChannelKind::Desktop => {
                if let Some(desktop) = &channels.desktop {
                    to_desktop(desktop, store, &mut report, &todo, now).await?;
                }
            }
            ChannelKind::Email => {
                if let Some(email) = &channels.email {
                    to_email(email, store, &mut report, &todo, now).await?;
                }
            }
            ChannelKind::Webhook => {
                if let Some(webhook) = &channels.webhook {
                    for nudge in todo {
                        let sent = webhook.send(&http, nudge).await;
                        outcome(store, &mut report, nudge, name, now, sent)?;
                    }
                }
            }
        }
    }
    Ok(report)
}

/// The channels a nudge goes through: the journal, then each configured one.
pub fn channel_kinds(settings: &Settings) -> Vec<ChannelKind> {
    let channels = &settings.channels;
    let mut names = vec![ChannelKind::Journal];
    names.extend(channels.desktop.as_ref().map(|_| ChannelKind::Desktop));
    names.extend(channels.email.as_ref().map(|_| ChannelKind::Email));
    names.extend(channels.webhook.as_ref().map(|_| ChannelKind::Webhook));
    names
}

/// Per channel (in `names`' order), the nudges not sent through it yet, one per streak;
/// those already sent are counted in `report`.
fn pending<'n>(
    store: &dyn History,
    nudges: &'n [Nudge],
    names: &[ChannelKind],
    report: &mut DeliveryReport,
) -> Result<Vec<(ChannelKind, Vec<&'n Nudge>)>, HistoryError> {
    let mut pending: Vec<(ChannelKind, Vec<&Nudge>)> = Vec::new();
    for &name in names {
        let mut todo = Vec::new();
        for nudge in nudges {
            if todo.iter().any(|n: &&Nudge| n.streak == nudge.streak) {
                continue;
            }
            if store.nudge_sent(nudge.streak.as_str(), name.as_str())? {
                report.already_sent += 1;
            } else {
                todo.push(nudge);
            }
        }
        pending.push((name, todo));
    }
    Ok(pending)
}

/// True when `now` is in quiet hours: the pending streaks are then counted as held in
/// `report` (and logged), and nothing is sent.
fn held_in_quiet_hours(
    settings: &Settings,
    now: DateTime<Utc>,
    pending: &[(ChannelKind, Vec<&Nudge>)],
    report: &mut DeliveryReport,
) -> bool {
    let local = settings.zone.local(now);
    let Some(quiet) = settings.quiet_hours.filter(|q| q.contains(local.time())) else {
        return false;
    };
    let mut held: Vec<&str> = pending
        .iter()
        .flat_map(|(_, todo)| todo.iter().map(|n| n.streak.as_str()))
        .collect();
    held.sort_unstable();
    held.dedup();
    report.held = held.len();
    if report.held > 0 {
        tracing::info!(
            "{} nudge(s) held: quiet hours ({quiet}) until {}",
            report.held,
            quiet.end.format("%H:%M")
        );
    }
    true
}

/// The journal: a log line per nudge, always sent.
fn to_journal(
    store: &mut dyn History,
    report: &mut DeliveryReport,
    todo: &[&Nudge],
    now: DateTime<Utc>,
) -> Result<(), HistoryError> {
    for nudge in todo {
        tracing::info!(
            relationship = %nudge.relationship,
            kind = %nudge.kind,
            "nudge: {}",
            nudge.short_message()
        );
        record(store, report, nudge, ChannelKind::Journal, now)?;
    }
    Ok(())
}

/// Desktop notifications over the session bus; without one (or without a notification
/// server on it) the channel is skipped.
async fn to_desktop(
    desktop: &DesktopChannel,
    store: &mut dyn History,
    report: &mut DeliveryReport,
    todo: &[&Nudge],
    now: DateTime<Utc>,
) -> Result<(), HistoryError> {
    let connection = match desktop.connect().await {
        Ok(c) => c,
        Err(e) => {
            skip_or_fail(report, ChannelKind::Desktop, todo, e);
            return Ok(());
        }
    };
    for (i, nudge) in todo.iter().enumerate() {
        match channel::notify(&connection, nudge).await {
            // A bus without a notification server: like no bus at all.
            Err(e @ ChannelError::NoNotificationServer(_)) => {
                skip_or_fail(report, ChannelKind::Desktop, &todo[i..], e);
                break;
            }
            sent => outcome(
                store,
                report,
                nudge,
                ChannelKind::Desktop,
                now,
                sent.map(|_| ()),
            )?,
        }
    }
    Ok(())
}

/// Email over SMTP, one message per nudge.
async fn to_email(
    email: &EmailChannel,
    store: &mut dyn History,
    report: &mut DeliveryReport,
    todo: &[&Nudge],
    now: DateTime<Utc>,
) -> Result<(), HistoryError> {
    let mailer = match email.mailer() {
        Ok(m) => m,
        Err(e) => {
            skip_or_fail(report, ChannelKind::Email, todo, e);
            return Ok(());
        }
    };
    for nudge in todo {
        let sent = mailer.send(nudge).await;
        outcome(store, report, nudge, ChannelKind::Email, now, sent)?;
    }
    Ok(())
}

fn record(
    store: &mut dyn History,
    report: &mut DeliveryReport,
    nudge: &Nudge,
    channel: ChannelKind,
    now: DateTime<Utc>,
) -> Result<(), HistoryError> {
    store.record_nudge_sent(&SentNudge {
        streak: nudge.streak.to_string(),
        channel: channel.as_str().to_string(),
        relationship: nudge.relationship.clone(),
        kind: nudge.kind.as_str().to_string(),
        sent_at: now,
    })?;
    report.sent.push((nudge.streak.to_string(), channel));
    Ok(())
}

fn outcome(
    store: &mut dyn History,
    report: &mut DeliveryReport,
    nudge: &Nudge,
    channel: ChannelKind,
    now: DateTime<Utc>,
    sent: Result<(), ChannelError>,
) -> Result<(), HistoryError> {
    match sent {
        Ok(()) => record(store, report, nudge, channel, now),
        Err(e) => {
            let e = crate::errors::chain(&e);
            tracing::warn!(
                relationship = %nudge.relationship,
                kind = %nudge.kind,
                "nudge not sent by {channel}, will retry next cycle: {e}"
            );
            report.failed.push((nudge.streak.to_string(), channel, e));
            Ok(())
        }
    }
}

/// A channel that could not even start: with no session bus (or no notification server on
/// it), desktop notifications are skipped (a log line, not an error, and tried again next
/// cycle); anything else fails its nudges, to retry.
fn skip_or_fail(
    report: &mut DeliveryReport,
    channel: ChannelKind,
    todo: &[&Nudge],
    error: ChannelError,
) {
    let skipped = matches!(
        error,
        ChannelError::NoSessionBus(_) | ChannelError::NoNotificationServer(_)
    );
    let error = crate::errors::chain(&error);
    if skipped {
        // A headless machine has no session bus every cycle: said once per process, not
        // every fifteen minutes; `report.skipped` still counts it each time.
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| {
            tracing::info!(
                "desktop notifications skipped: {error} (said once; set [nudges.desktop] \
                 enabled = false to stop trying)"
            );
        });
        report.skipped.push((channel, error));
        return;
    }
    tracing::warn!(
        "{channel}: {} nudge(s) not sent, will retry next cycle: {error}",
        todo.len()
    );
    for nudge in todo {
        report
            .failed
            .push((nudge.streak.to_string(), channel, error.clone()));
    }
}
