//! Which nudges were sent through which channel: one row per streak and channel, so a
//! streak is sent once per channel however many cycles it lasts, and a channel that failed
//! is tried again at the next cycle.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{HistoryError, Store, text};

/// One nudge sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentNudge {
    /// The streak key.
    pub streak: String,
    /// The channel's name (`journal`, `desktop`, `email`, `webhook`).
    pub channel: String,
    /// The relationship's key.
    pub relationship: String,
    /// The rule (`moved`, `cancelled`, ...).
    pub kind: String,
    /// When it was sent (UTC).
    pub sent_at: DateTime<Utc>,
}

impl Store {
    /// True when this streak was already sent through this channel.
    pub fn nudge_sent(&self, streak: &str, channel: &str) -> Result<bool, HistoryError> {
        self.conn
            .query_row(
                "SELECT 1 FROM nudge_sent WHERE streak = ?1 AND channel = ?2",
                params![streak, channel],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(|e| self.sqlite(e))
    }

    /// Records that a streak was sent through a channel. Recording it twice keeps the first.
    pub fn record_nudge_sent(&mut self, sent: &SentNudge) -> Result<(), HistoryError> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO nudge_sent (streak, channel, relationship, kind, sent_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    sent.streak,
                    sent.channel,
                    sent.relationship,
                    sent.kind,
                    text(sent.sent_at)
                ],
            )
            .map(|_| ())
            .map_err(|e| self.sqlite(e))
    }

    /// Every nudge sent, oldest first.
    pub fn sent_nudges(&self) -> Result<Vec<SentNudge>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT streak, channel, relationship, kind, sent_at FROM nudge_sent
                 ORDER BY sent_at, rowid",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([], |row| {
                Ok(SentNudge {
                    streak: row.get(0)?,
                    channel: row.get(1)?,
                    relationship: row.get(2)?,
                    kind: row.get(3)?,
                    sent_at: super::time(&row.get::<_, String>(4)?),
                })
            })
            .map_err(|e| self.sqlite(e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sqlite(e))
    }
}
