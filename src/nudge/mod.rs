//! Nudges: telling the manager when a 1:1 keeps slipping or an action item is forgotten.
//!
//! Three parts, kept apart so each can be tested alone:
//!
//! - [`rules`] is pure: a relationship's timeline and open items in, [`Nudge`]s out, each
//!   with a plain-words message and a *streak key*;
//! - `crate::cycle::current_nudges` runs the rules over one cycle's outcome (the whole
//!   stored history of each relationship, and the open items the agenda planner found);
//! - [`deliver`] sends each streak not sent yet through every configured channel, once per
//!   channel, outside quiet hours, and records what was sent in the state file. A channel
//!   that fails is logged and tried again at the next cycle; it never stops the others.
//!
//! The rules, their defaults, the channels and quiet hours are documented in README.md
//! ("Nudges") and `config.example.toml` (`[nudges]`).

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

use crate::cadence::Mark;

pub mod channel;
mod deliver;
pub mod quiet;
pub mod rules;

pub use channel::{ChannelError, Channels, DesktopChannel, EmailChannel, Security, WebhookChannel};
pub use deliver::{ChannelKind, DeliveryReport, channel_kinds, deliver};
pub use quiet::{QuietHours, Zone};
pub use rules::{Input, Rules, evaluate};

/// Which rule a nudge comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// At least k of the last n past occurrences were moved.
    Moved,
    /// The last past occurrences were cancelled, enough of them in a row.
    Cancelled,
    /// No 1:1 took place for more than the configured factor of the planned interval.
    Overdue,
    /// An action item has been open for too many meetings.
    ItemOpen,
    /// An action item is too far past its due date.
    ItemOverdue,
    /// tete stopped writing agendas into a calendar: a write made its server change
    /// something tete did not write (not a relationship's nudge: `relationship` is
    /// `calendar:NAME`).
    WritesStopped,
    /// The weekly digest (not a relationship's nudge: `relationship` is `digest`, `name`
    /// its title, `message` its text and `html` its page).
    Digest,
}

impl Kind {
    /// The name used in streak keys, the state file and `tete nudges`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Moved => "moved",
            Kind::Cancelled => "cancelled",
            Kind::Overdue => "overdue",
            Kind::ItemOpen => "item-open",
            Kind::ItemOverdue => "item-overdue",
            Kind::WritesStopped => "writes-stopped",
            Kind::Digest => "digest",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What identifies a streak, so it is sent once per channel however many cycles it lasts:
/// the rule, whom it is about, and where the streak began (`overdue|ann@x|2026-11-05T09:00:00Z`).
/// Stored as text in the state file; a key once sent must keep its form, or the streak
/// would be sent again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct StreakKey(String);

impl StreakKey {
    /// The key of a relationship's streak of `kind` that began at `anchor`.
    pub fn new(kind: Kind, relationship: &str, anchor: &str) -> StreakKey {
        StreakKey(format!("{}|{relationship}|{anchor}", kind.as_str()))
    }

    /// The key of the halt of a calendar's writes since `since`.
    pub fn writes_stopped(calendar: &str, since: &str) -> StreakKey {
        StreakKey(format!(
            "{}:{calendar}:{since}",
            Kind::WritesStopped.as_str()
        ))
    }

    /// The key of the digest of the week starting on `monday`: one per week, so a restart
    /// or a machine that was off sends each week's digest once.
    pub fn digest(monday: NaiveDate) -> StreakKey {
        StreakKey(format!("{}|{monday}", Kind::Digest.as_str()))
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for StreakKey {
    /// A key read back from the state file.
    fn from(stored: &str) -> StreakKey {
        StreakKey(stored.to_string())
    }
}

impl PartialEq<&str> for StreakKey {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for StreakKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One nudge: what to tell the manager about one relationship.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nudge {
    /// The relationship's key (`Counterpart::key`: the address, or `name:...`).
    pub relationship: String,
    /// The other person's name as the message uses it.
    pub name: String,
    /// The rule.
    pub kind: Kind,
    /// What happened, in plain words with the dates.
    pub message: String,
    /// Identifies the streak: the rule, the relationship and where the streak began (the
    /// first occurrence of it, or the item and its date). The same streak keeps its key
    /// from cycle to cycle; a new streak after the pattern broke gets a new one.
    pub streak: StreakKey,
    /// The dates the message names (in the configured zone).
    pub dates: Vec<NaiveDate>,
    /// The message as an HTML page, for an email's HTML part (the digest has one).
    pub html: Option<String>,
}

impl Nudge {
    /// A short title for a notification or an email subject.
    pub fn title(&self) -> String {
        match self.kind {
            Kind::Moved => format!("Your 1:1 with {} keeps moving", self.name),
            Kind::Cancelled => format!("Your 1:1 with {} keeps being cancelled", self.name),
            Kind::Overdue => format!("No 1:1 with {} for a while", self.name),
            Kind::ItemOpen => format!("An action item with {} stays open", self.name),
            Kind::ItemOverdue => format!("An action item with {} is overdue", self.name),
            Kind::WritesStopped => format!("tete stopped writing agendas into {}", self.name),
            Kind::Digest => self.name.clone(),
        }
    }

    /// The message for a short channel (a desktop notification, the journal): the digest's
    /// one-line summary (its second line), any other nudge's whole message.
    pub fn short_message(&self) -> &str {
        match self.kind {
            Kind::Digest => self.message.lines().nth(1).unwrap_or(&self.message),
            _ => &self.message,
        }
    }
}

/// Config `[nudges]`: the rules' thresholds, when not to send, and where to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Send nudges at all (`enabled`, default true). `tete nudges` lists them regardless.
    pub enabled: bool,
    /// The rules' thresholds.
    pub rules: Rules,
    /// When nothing is sent (`quiet_hours`, default 22:00-07:00; `""` for none).
    pub quiet_hours: Option<QuietHours>,
    /// The zone quiet hours and dates are read in (`time_zone`, default the machine's).
    pub zone: Zone,
    /// Where to send besides the journal. `Settings::default()` has none; a config file
    /// without `[nudges.desktop] enabled = false` turns desktop notifications on.
    pub channels: Channels,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            rules: Rules::default(),
            quiet_hours: Some(QuietHours::default()),
            zone: Zone::Local,
            channels: Channels::default(),
        }
    }
}

/// The timeline of every stored occurrence, as of `now`.
pub fn marks(occurrences: &[crate::history::StoredOccurrence], now: DateTime<Utc>) -> Vec<Mark> {
    occurrences.iter().map(|o| Mark::of(o, now)).collect()
}

#[cfg(test)]
mod tests;
