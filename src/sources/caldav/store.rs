//! Per-calendar CalDAV sync state: the collection URL found by discovery, the RFC 6578
//! sync token, the ctag, every resource's href, etag and body, and what is known of the
//! server's scheduling.
//!
//! [`SyncState`] is what sync needs; [`SyncStore`] keeps it in the SQLite state file, in
//! tables that all start with `caldav_sync`. The file's owner (`state::StateFile`) opens
//! it, applies [`MIGRATIONS`] (only ever added to) and hands out the [`Connect`] this store
//! draws its connections from: concurrent fetches of several calendars each take their own.
//! Each sync is applied in one transaction: a crash leaves the previous good state.

use std::collections::HashMap;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};

/// Schema changes, in order. Only ever append.
pub const MIGRATIONS: &[&str] = &[
    // 1: sync state and resources.
    "CREATE TABLE caldav_sync (
        calendar TEXT PRIMARY KEY,
        collection_url TEXT NOT NULL,
        sync_token TEXT,
        ctag TEXT,
        synced_at TEXT NOT NULL
    );
    CREATE TABLE caldav_sync_resource (
        calendar TEXT NOT NULL,
        href TEXT NOT NULL,
        etag TEXT,
        body BLOB NOT NULL,
        PRIMARY KEY (calendar, href)
    );",
    // 2: what tete knows of each calendar's scheduling, and writes it stopped.
    "CREATE TABLE caldav_sync_facts (
        calendar TEXT PRIMARY KEY,
        auto_schedule INTEGER,
        checked_at TEXT,
        halted TEXT,
        halted_at TEXT
    );",
    // 3: the listing every cycle makes (href, etag, body length) read from an index alone,
    // not from the table, whose pages hold every body.
    "CREATE INDEX caldav_sync_resource_listing
        ON caldav_sync_resource (calendar, href, etag, length(body));",
    // 4: a counter every change to the stored resources moves (whoever makes it), so that
    // a listing read before is known to be still true by reading one number. One counter
    // for all calendars: a per-calendar one would start again when a calendar is forgotten
    // and synced anew, and could then come back to a number a kept listing was read at.
    "CREATE TABLE caldav_sync_generation (n INTEGER NOT NULL);
    INSERT INTO caldav_sync_generation (n) VALUES (0);
    CREATE TRIGGER caldav_sync_resource_added AFTER INSERT ON caldav_sync_resource
        BEGIN UPDATE caldav_sync_generation SET n = n + 1; END;
    CREATE TRIGGER caldav_sync_resource_changed AFTER UPDATE ON caldav_sync_resource
        BEGIN UPDATE caldav_sync_generation SET n = n + 1; END;
    CREATE TRIGGER caldav_sync_resource_removed AFTER DELETE ON caldav_sync_resource
        BEGIN UPDATE caldav_sync_generation SET n = n + 1; END;",
];

/// Where the stored resources are: moved by every change to them (migration 4).
const GENERATION: &str = "SELECT n FROM caldav_sync_generation";

/// Every stored resource of calendar `?1` with its etag and body length, by href: answered
/// from the index of migration 3 alone.
pub(crate) const LISTING: &str = "SELECT href, etag, length(body) FROM caldav_sync_resource
    WHERE calendar = ?1 ORDER BY href";

/// How long the server's `calendar-auto-schedule` answer is trusted before asking again.
const FACTS_FRESH_FOR: chrono::Duration = chrono::Duration::days(7);

/// `caldav_sync_facts` as read: auto_schedule, checked_at, halted, halted_at.
type FactsRow = (Option<bool>, Option<String>, Option<String>, Option<String>);

/// What tete knows of how a calendar's server treats writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Whether the server announced implicit scheduling (`DAV: calendar-auto-schedule`),
    /// `None` when not asked recently.
    pub auto_schedule: Option<bool>,
    /// Why tete stopped writing into this calendar's events (a write changed something tete
    /// did not write), and since when.
    pub halted: Option<(String, String)>,
}

/// Why the sync state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (connect, read or write).
    #[error("state file {}", path.display())]
    Sqlite {
        /// The state file.
        path: PathBuf,
        /// The underlying error.
        source: rusqlite::Error,
    },
}

/// What is kept of one calendar between cycles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarState {
    /// The calendar collection's URL (discovery is not repeated while it works).
    pub collection_url: String,
    /// The last RFC 6578 sync token, when the server does sync-collection.
    pub sync_token: Option<String>,
    /// The last `getctag`, when the server has one.
    pub ctag: Option<String>,
}

impl CalendarState {
    /// What to keep when some changed members could not be fetched: the next cycle lists the
    /// whole collection again (a sync-collection from the start, or the ctag seen as moved),
    /// so those members are fetched then; the ones stored are not fetched again (their etags
    /// match).
    pub fn relist_next_time(self) -> CalendarState {
        CalendarState {
            sync_token: self.sync_token.map(|_| String::new()),
            ctag: None,
            ..self
        }
    }
}

/// One stored resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResource {
    /// Its href (path on the server).
    pub href: String,
    /// Its etag.
    pub etag: Option<String>,
    /// Its iCalendar data.
    pub body: Vec<u8>,
}

/// One stored resource without its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its href.
    pub href: String,
    /// Its etag.
    pub etag: Option<String>,
    /// Its body's length in bytes.
    pub len: u64,
}

/// The changes of one sync, applied together.
#[derive(Debug, Clone, Default)]
pub struct Update {
    /// The new state.
    pub state: CalendarState,
    /// When true, every stored resource not in `upserts` is removed (a full resync).
    pub replace_all: bool,
    /// Resources added or changed.
    pub upserts: Vec<StoredResource>,
    /// Resources removed.
    pub deletes: Vec<String>,
}

/// What a CalDAV sync keeps between cycles, per calendar (keyed by the source's key).
/// [`SyncStore`] is the SQLite implementation; another backend would implement this.
pub trait SyncState: Debug + Send + Sync {
    /// The state of a calendar, if it was synced before.
    fn state(&self, calendar: &str) -> Result<Option<CalendarState>, StoreError>;
    /// The etag of every stored resource of a calendar.
    fn etags(&self, calendar: &str) -> Result<HashMap<String, Option<String>>, StoreError>;
    /// The etags of these resources of a calendar, of those that are stored.
    fn etags_of(
        &self,
        calendar: &str,
        hrefs: &[&str],
    ) -> Result<HashMap<String, Option<String>>, StoreError>;
    /// Every stored resource of a calendar, by href.
    fn resources(&self, calendar: &str) -> Result<Vec<StoredResource>, StoreError>;
    /// Every stored resource of a calendar with its etag and its body's length, by href,
    /// without the bodies.
    fn listing(&self, calendar: &str) -> Result<Arc<[Listed]>, StoreError>;
    /// One stored body; `None` when the resource is no longer stored.
    fn body(&self, calendar: &str, href: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Applies one sync's changes at once.
    fn apply(&self, calendar: &str, update: &Update) -> Result<(), StoreError>;
    /// Stores one resource after tete wrote it, leaving the sync token alone.
    fn put_resource(&self, calendar: &str, resource: &StoredResource) -> Result<(), StoreError>;
    /// What is known of a calendar's scheduling; a stale answer reads as `None`.
    fn facts(&self, calendar: &str) -> Result<Facts, StoreError>;
    /// Records the server's answer about implicit scheduling.
    fn set_auto_schedule(&self, calendar: &str, announced: bool) -> Result<(), StoreError>;
    /// Stops tete's writes into this calendar's events, saying why; `None` resumes them.
    fn set_halted(&self, calendar: &str, why: Option<&str>) -> Result<(), StoreError>;
    /// Forgets a calendar (the next sync starts from scratch).
    fn forget(&self, calendar: &str) -> Result<(), StoreError>;
}

/// The sync state as sources hold it: shared by a calendar's source, its clones and its
/// siblings.
pub type SharedSyncState = Arc<dyn SyncState>;

/// Gives connections to a migrated state file, each set up alike (busy timeout).
pub trait Connect: Debug + Send + Sync {
    /// A new connection.
    fn connect(&self) -> rusqlite::Result<Connection>;
    /// The file (for messages).
    fn path(&self) -> &Path;
}

/// The CalDAV part of the SQLite state file: one connection per operation, drawn from the
/// file's owner, so that concurrent fetches do not share one.
/// Bodies are read one at a time, when a cycle parses a resource, through one connection
/// kept for that: opening one per body would cost more than the read.
///
/// A connection an operation is done with waits, open, for the next one (at most
/// [`IDLE_CONNECTIONS`]): opening one reads the schema again, which was a tenth of an idle
/// daemon cycle's CPU on CalDAV when every operation of every cycle opened its own.
///
/// Each calendar's listing is kept with the generation of the stored resources it was read
/// at, and given again while that number has not moved: an idle daemon cycle then reads one
/// number instead of thousands of index entries (a third of its CPU on a 10,000-event
/// calendar).
#[derive(Debug, Clone)]
pub struct SyncStore {
    connector: Arc<dyn Connect>,
    body_reader: Arc<Mutex<Option<Connection>>>,
    idle: Arc<Mutex<Vec<Connection>>>,
    listings: Arc<Mutex<HashMap<String, KeptListing>>>,
}

/// A calendar's listing and the generation of the stored resources it was read at.
#[derive(Debug)]
struct KeptListing {
    generation: i64,
    listing: Arc<[Listed]>,
}

/// How many connections wait, open, for the next operation: as many as fetches run at once.
const IDLE_CONNECTIONS: usize = 4;

/// A connection lent for one operation; it goes back to the idle ones when dropped.
struct Lent {
    conn: Option<Connection>,
    idle: Arc<Mutex<Vec<Connection>>>,
}

impl std::ops::Deref for Lent {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        // Taken only by `drop`.
        self.conn.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl std::ops::DerefMut for Lent {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        // A connection left inside a transaction (an error before its end) is closed.
        if !conn.is_autocommit() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < IDLE_CONNECTIONS {
            idle.push(conn);
        }
    }
}

impl SyncStore {
    /// The store over connections from `connector`, to a file already migrated.
    pub fn new(connector: Arc<dyn Connect>) -> SyncStore {
        SyncStore {
            connector,
            body_reader: Arc::default(),
            idle: Arc::default(),
            listings: Arc::default(),
        }
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        self.connector.path()
    }

    /// A connection for one operation: an idle one, else a new one.
    fn connect(&self) -> Result<Lent, StoreError> {
        let waiting = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match waiting {
            Some(conn) => conn,
            None => self.connector.connect().map_err(|e| self.err(e))?,
        };
        Ok(Lent {
            conn: Some(conn),
            idle: Arc::clone(&self.idle),
        })
    }

    /// Every stored resource of `calendar` without its body, from the index alone.
    fn read_listing(&self, conn: &Connection, calendar: &str) -> Result<Vec<Listed>, StoreError> {
        let mut stmt = conn.prepare_cached(LISTING).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([calendar], |row| {
                Ok(Listed {
                    href: row.get(0)?,
                    etag: row.get(1)?,
                    len: row.get(2)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path().to_path_buf(),
            source,
        }
    }
}

impl SyncState for SyncStore {
    /// The state of a calendar, if it was synced before.
    fn state(&self, calendar: &str) -> Result<Option<CalendarState>, StoreError> {
        let conn = self.connect()?;
        conn.query_row(
            "SELECT collection_url, sync_token, ctag FROM caldav_sync WHERE calendar = ?1",
            [calendar],
            |row| {
                Ok(CalendarState {
                    collection_url: row.get(0)?,
                    sync_token: row.get(1)?,
                    ctag: row.get(2)?,
                })
            },
        )
        .optional()
        .map_err(|e| self.err(e))
    }

    /// The etag of every stored resource of a calendar.
    fn etags(&self, calendar: &str) -> Result<HashMap<String, Option<String>>, StoreError> {
        let conn = self.connect()?;
        let mut stmt = conn
            .prepare("SELECT href, etag FROM caldav_sync_resource WHERE calendar = ?1")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([calendar], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    fn etags_of(
        &self,
        calendar: &str,
        hrefs: &[&str],
    ) -> Result<HashMap<String, Option<String>>, StoreError> {
        let conn = self.connect()?;
        let mut stmt = conn
            .prepare("SELECT etag FROM caldav_sync_resource WHERE calendar = ?1 AND href = ?2")
            .map_err(|e| self.err(e))?;
        let mut etags = HashMap::new();
        for &href in hrefs {
            let etag: Option<Option<String>> = stmt
                .query_row([calendar, href], |row| row.get(0))
                .optional()
                .map_err(|e| self.err(e))?;
            if let Some(etag) = etag {
                etags.insert(href.to_string(), etag);
            }
        }
        Ok(etags)
    }

    /// Every stored resource of a calendar, by href.
    fn resources(&self, calendar: &str) -> Result<Vec<StoredResource>, StoreError> {
        let conn = self.connect()?;
        let mut stmt = conn
            .prepare(
                "SELECT href, etag, body FROM caldav_sync_resource WHERE calendar = ?1 ORDER BY href",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([calendar], |row| {
                Ok(StoredResource {
                    href: row.get(0)?,
                    etag: row.get(1)?,
                    body: row.get(2)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The kept listing while the generation has not moved, else read anew. The generation
    /// is read first: a change made between the two reads makes the kept listing look old
    /// (read again next time), never an old listing look new.
    fn listing(&self, calendar: &str) -> Result<Arc<[Listed]>, StoreError> {
        let conn = self.connect()?;
        let generation: i64 = conn
            .prepare_cached(GENERATION)
            .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)))
            .map_err(|e| self.err(e))?;
        let mut kept = self.listings.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(known) = kept.get(calendar)
            && known.generation == generation
        {
            return Ok(Arc::clone(&known.listing));
        }
        let listing: Arc<[Listed]> = self.read_listing(&conn, calendar)?.into();
        kept.insert(
            calendar.to_string(),
            KeptListing {
                generation,
                listing: Arc::clone(&listing),
            },
        );
        Ok(listing)
    }

    fn body(&self, calendar: &str, href: &str) -> Result<Option<Vec<u8>>, StoreError> {
        // A poisoned lock only means another reader panicked: its connection is still good.
        let mut reader = self
            .body_reader
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let conn = match reader.as_mut() {
            Some(conn) => conn,
            None => reader.insert(self.connector.connect().map_err(|e| self.err(e))?),
        };
        conn.prepare_cached(
            "SELECT body FROM caldav_sync_resource WHERE calendar = ?1 AND href = ?2",
        )
        .and_then(|mut stmt| {
            stmt.query_row([calendar, href], |row| row.get(0))
                .optional()
        })
        .map_err(|e| self.err(e))
    }

    /// Applies one sync's changes in one transaction. The calendar's state is written only
    /// when it changed (`synced_at` is then when it last changed), so a sync that found
    /// nothing new writes nothing.
    fn apply(&self, calendar: &str, update: &Update) -> Result<(), StoreError> {
        let mut conn = self.connect()?;
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        tx.execute(
            "INSERT INTO caldav_sync (calendar, collection_url, sync_token, ctag, synced_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(calendar) DO UPDATE SET collection_url = ?2, sync_token = ?3,
                ctag = ?4, synced_at = ?5
             WHERE collection_url IS NOT ?2 OR sync_token IS NOT ?3 OR ctag IS NOT ?4",
            params![
                calendar,
                update.state.collection_url,
                update.state.sync_token,
                update.state.ctag,
                now()
            ],
        )
        .map_err(|e| self.err(e))?;
        if update.replace_all {
            tx.execute(
                "DELETE FROM caldav_sync_resource WHERE calendar = ?1",
                [calendar],
            )
            .map_err(|e| self.err(e))?;
        }
        {
            let mut delete = tx
                .prepare("DELETE FROM caldav_sync_resource WHERE calendar = ?1 AND href = ?2")
                .map_err(|e| self.err(e))?;
            for href in &update.deletes {
                delete
                    .execute(params![calendar, href])
                    .map_err(|e| self.err(e))?;
            }
            let mut upsert = tx
                .prepare(
                    "INSERT INTO caldav_sync_resource (calendar, href, etag, body)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(calendar, href) DO UPDATE SET etag = ?3, body = ?4",
                )
                .map_err(|e| self.err(e))?;
            for resource in &update.upserts {
                upsert
                    .execute(params![
                        calendar,
                        resource.href,
                        resource.etag,
                        resource.body
                    ])
                    .map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Stores one resource after tete wrote it (the server's new etag and what was sent),
    /// leaving the sync token alone: the next sync reports it with that same etag and does
    /// not fetch it again.
    fn put_resource(&self, calendar: &str, resource: &StoredResource) -> Result<(), StoreError> {
        let conn = self.connect()?;
        conn.execute(
            "INSERT INTO caldav_sync_resource (calendar, href, etag, body)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(calendar, href) DO UPDATE SET etag = ?3, body = ?4",
            params![calendar, resource.href, resource.etag, resource.body],
        )
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// What is known of a calendar's scheduling ([`Facts`]); a stale answer reads as `None`.
    fn facts(&self, calendar: &str) -> Result<Facts, StoreError> {
        let conn = self.connect()?;
        let row: Option<FactsRow> = conn
            .query_row(
                "SELECT auto_schedule, checked_at, halted, halted_at FROM caldav_sync_facts
                 WHERE calendar = ?1",
                [calendar],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((auto_schedule, checked_at, halted, halted_at)) = row else {
            return Ok(Facts::default());
        };
        let fresh = checked_at
            .and_then(|at| chrono::DateTime::parse_from_rfc3339(&at).ok())
            .is_some_and(|at| chrono::Utc::now() - at.to_utc() < FACTS_FRESH_FOR);
        Ok(Facts {
            auto_schedule: auto_schedule.filter(|_| fresh),
            halted: halted.map(|why| (why, halted_at.unwrap_or_default())),
        })
    }

    /// Records the server's answer about implicit scheduling.
    fn set_auto_schedule(&self, calendar: &str, announced: bool) -> Result<(), StoreError> {
        self.connect()?
            .execute(
                "INSERT INTO caldav_sync_facts (calendar, auto_schedule, checked_at)
                 VALUES (?1, ?2, ?3)
                 ON CONFLICT(calendar) DO UPDATE SET auto_schedule = ?2, checked_at = ?3",
                params![calendar, announced, now()],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Stops tete's writes into this calendar's events, saying why; `None` resumes them.
    fn set_halted(&self, calendar: &str, why: Option<&str>) -> Result<(), StoreError> {
        self.connect()?
            .execute(
                "INSERT INTO caldav_sync_facts (calendar, halted, halted_at)
                 VALUES (?1, ?2, ?3)
                 ON CONFLICT(calendar) DO UPDATE SET halted = ?2, halted_at = ?3",
                params![calendar, why, why.map(|_| now())],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Forgets a calendar (the next sync starts from scratch).
    fn forget(&self, calendar: &str) -> Result<(), StoreError> {
        let mut conn = self.connect()?;
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        tx.execute("DELETE FROM caldav_sync WHERE calendar = ?1", [calendar])
            .map_err(|e| self.err(e))?;
        tx.execute(
            "DELETE FROM caldav_sync_resource WHERE calendar = ?1",
            [calendar],
        )
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
