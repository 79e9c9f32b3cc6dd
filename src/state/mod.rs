//! The state file: the one SQLite file holding everything tete remembers (the history, the
//! CalDAV sync state). [`StateFile`] is its only owner: it creates the file private to the
//! user, sets it up (WAL, one busy timeout), brings every component's schema up to date
//! with one migration runner ([`migrate`]), and hands out each component's store.
//!
//! Components keep their SQL beside their code (`history::MIGRATIONS`,
//! `sources::caldav::store::MIGRATIONS`) and never open the file themselves; this module
//! depends on them, never the other way round.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::history::{self, History};
use crate::sources::caldav::store::{Connect, SharedSyncState, SyncStore};
use checkpoint::Checkpoints;

mod checkpoint;
mod migrate;

pub use migrate::{COMPONENTS, Component};

/// How long a connection waits for another (the daemon, a `tete report`) to finish writing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the state file could not be opened or brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The file, its folder or its side files could not be created or made private.
    #[error("cannot create the state file {} (or its folder)", path.display())]
    Create {
        /// The state file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// SQLite failed (a corrupt file, a full disk, a file that is not a database).
    #[error("state file {}", path.display())]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: rusqlite::Error,
    },
    /// The file was written by a newer tete whose schema this one does not know.
    #[error(
        "state file {} has {component} schema version {found}, newer than this tete knows ({known}); upgrade tete",
        path.display()
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// The component whose schema is newer.
        component: &'static str,
        /// How many of its migrations the file has.
        found: i64,
        /// How many this build knows.
        known: i64,
    },
}

/// The opened, up-to-date state file, and the stores over it.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    history: history::Store,
    /// The CalDAV sync state, one for the file's lifetime: its idle connections serve
    /// every cycle of a daemon.
    sync: SharedSyncState,
    /// What checkpoints the history's log (the history holds it too, and waits for it when
    /// dropped), for tests to wait on.
    #[cfg(test)]
    checkpoints: Arc<Checkpoints>,
}

impl StateFile {
    /// Opens the state file at `path`, creating it (and its folder) private to the user on
    /// first use, and brings every component's schema up to date.
    pub fn open(path: &Path) -> Result<StateFile, StateError> {
        let create = |source| StateError::Create {
            path: path.to_path_buf(),
            source,
        };
        let sqlite = |source| StateError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        crate::private_file::ensure(path).map_err(create)?;
        let connector = Arc::new(Connector {
            path: path.to_path_buf(),
        });
        let mut conn = connector.connect().map_err(sqlite)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sqlite)?;
        migrate::run(&mut conn, COMPONENTS, path)?;
        private_side_files(path).map_err(create)?;
        conn.pragma_update(
            None,
            "wal_autocheckpoint",
            checkpoint::INLINE_CHECKPOINT_PAGES,
        )
        .map_err(sqlite)?;
        let checkpoints = Arc::new(Checkpoints::new(connector.clone()));
        let history = history::Store::new(conn, path.to_path_buf())
            .telling(Arc::clone(&checkpoints) as Arc<dyn history::CommitListener>);
        Ok(StateFile {
            path: path.to_path_buf(),
            history,
            sync: Arc::new(SyncStore::new(connector)),
            #[cfg(test)]
            checkpoints,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The history.
    pub fn history(&self) -> &dyn History {
        &self.history
    }

    /// The history, to record into.
    pub fn history_mut(&mut self) -> &mut dyn History {
        &mut self.history
    }

    /// The history alone, for a caller done with the rest.
    pub fn into_history(self) -> history::Store {
        self.history
    }

    /// The CalDAV sync state, for the sources to share: each operation takes its own
    /// connection (same setup), so concurrent fetches do not wait on one.
    pub fn caldav_sync(&self) -> SharedSyncState {
        Arc::clone(&self.sync)
    }
}

/// The most SQLite's page cache takes, in KiB (a negative `cache_size`).
const CACHE_KIB: i64 = 8 * 1024;

/// Connections to the opened file, all set up alike. It never creates the file: only
/// [`StateFile::open`] does, private.
#[derive(Debug)]
struct Connector {
    path: PathBuf,
}

impl Connect for Connector {
    fn connect(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // In WAL mode NORMAL syncs at checkpoints, not at every commit (SQLite's advice for
        // WAL): a power cut or OS crash, never a crash of tete, can lose the last commits
        // (the next cycle records their occurrences again from the calendars), and the file
        // is never corrupted; FULL cost an fsync in every cycle that wrote.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Room for a first cycle's history of a big calendar in one transaction: with
        // SQLite's 2 MiB, pages were spilled to the log and read back before the commit.
        // Taken only as pages are used.
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        Ok(conn)
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

/// Makes SQLite's `-wal` and `-shm` files `0600`: the write-ahead log holds calendar bodies
/// too. SQLite gives new ones the database's mode, but ones left by an older tete (or made
/// while the file was not yet private) keep theirs. Only the mode is set: opening them here
/// would drop this process's locks on the database.
#[cfg(unix)]
fn private_side_files(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_os_string();
        side.push(suffix);
        match std::fs::set_permissions(&side, std::fs::Permissions::from_mode(0o600)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn private_side_files(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests;
