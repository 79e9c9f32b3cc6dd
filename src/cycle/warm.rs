//! What a long-running process keeps between its cycles ([`Warm`]).

use std::sync::Arc;
use std::time::Duration;

use super::agendas::{KeptNotes, NotesAhead};
use super::cache::KeptReading;
use crate::http::HttpClient;
use crate::sources::Kept;

/// What the daemon keeps in memory from one cycle to the next, so that a cycle in which
/// nothing changed decodes no memo, groups no relationships and parses no 1:1's notes
/// again.
///
/// Each kept thing carries what it was made from (the cycle cache's scope and fingerprint,
/// a resource's stamp) and is used only while that still holds, so it never changes a
/// result, whatever else writes the state file. A one-off command keeps nothing
/// ([`Warm::none`]): copying what it would never use again would only cost.
///
/// It watches the vdir folders (see [`crate::sources::FolderWatch`]): while the kernel
/// reports no change in one, a cycle lists it from memory, not with a `stat` per item. It
/// keeps the resources made of each CalDAV calendar's stored listing: while the sync
/// changed nothing, a cycle makes none again (see [`crate::sources::caldav::KeptResources`]).
///
/// It also keeps the HTTP clients (their TLS set-up, their open connections), which belong
/// to the async runtime that first used them: a `Warm` serves the cycles of one runtime, as
/// the daemon's.
#[derive(Default)]
pub struct Warm {
    keep: bool,
    /// The calendars as the last cycle read them (see [`KeptReading`]).
    pub(super) reading: Option<KeptReading>,
    /// The 1:1s' resources as the last cycle's planning parsed them.
    pub(super) notes: KeptNotes,
    /// What this cycle is reading for planning while it records (see [`NotesAhead`]).
    pub(super) notes_ahead: Option<NotesAhead>,
    /// The HTTP clients of the last cycle.
    http: Option<Arc<HttpClient>>,
    /// The vdir folders watched, with their last listings, and the resources made of
    /// CalDAV listings.
    sources: Kept,
}

impl Warm {
    /// What a daemon uses: every cycle keeps what the next one may reuse.
    pub fn kept() -> Warm {
        Warm {
            keep: true,
            ..Warm::default()
        }
    }

    /// What a one-off cycle uses: nothing is kept.
    pub fn none() -> Warm {
        Warm::default()
    }

    /// Whether this cycle should keep what it read for the next.
    pub(super) fn keeps(&self) -> bool {
        self.keep
    }

    /// What sources keep, for a cycle that keeps (a one-off cycle lists every calendar).
    pub(super) fn sources(&self) -> Option<&Kept> {
        self.keep.then_some(&self.sources)
    }

    /// The HTTP clients for requests of at most `timeout`: the last cycle's when kept and
    /// built for the same timeout.
    pub(super) fn http(&mut self, timeout: Duration) -> Arc<HttpClient> {
        match &self.http {
            Some(http) if http.timeout() == timeout => Arc::clone(http),
            _ => {
                let http = Arc::new(HttpClient::with_timeout(timeout));
                if self.keep {
                    self.http = Some(Arc::clone(&http));
                }
                http
            }
        }
    }
}
