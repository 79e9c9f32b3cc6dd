//! The history's write-ahead log checkpointed on a thread of its own.
//!
//! SQLite checkpoints inline: the commit that takes the log past 1,000 pages (its default)
//! copies the log into the database file and syncs both before it returns. A first cycle over 100,000 events commits about 1,800 pages at once, and that
//! checkpoint was 17 ms of the cycle (two fsyncs and 1,800 page copies), while the cycle
//! waited. Here the history's connection only tells [`Checkpoints`] that it committed; one
//! worker thread, with a connection of its own, runs a passive checkpoint while the cycle
//! goes on (planning the agendas only reads). Passive checkpoints never block a writer or a
//! reader, sync as the inline ones did (`synchronous = NORMAL`), and a checkpoint by
//! another connection leaves the history's `PRAGMA data_version` alone (tested), so what a
//! daemon's history remembers between cycles still holds.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use rusqlite::Connection;

use crate::history::CommitListener;
use crate::sources::caldav::store::Connect;

/// How many pages the log of the history's connection may hold before that connection
/// checkpoints inline after all: a bound for when the worker cannot run (a thread that
/// could not start, a connection that could not open). Ten times SQLite's default, so a
/// first cycle of a big calendar is left to the worker.
pub(super) const INLINE_CHECKPOINT_PAGES: i64 = 10_000;

/// Runs the log's checkpoints on a worker thread, one after each commit it is told of;
/// commits told while one is waiting to run share it. The worker starts at the first
/// commit (a run that writes nothing starts no thread) and is joined when this is dropped,
/// so the process never exits in the middle of a checkpoint it started.
#[derive(Debug)]
pub(super) struct Checkpoints {
    connector: Arc<dyn Connect>,
    worker: Mutex<Option<Worker>>,
}

#[derive(Debug)]
struct Worker {
    /// One pending request at most: the next checkpoint covers every commit before it.
    wake: SyncSender<()>,
    thread: JoinHandle<()>,
}

impl Checkpoints {
    /// Checkpoints over connections from `connector`.
    pub(super) fn new(connector: Arc<dyn Connect>) -> Checkpoints {
        Checkpoints {
            connector,
            worker: Mutex::new(None),
        }
    }

    /// Waits for every checkpoint asked for so far: the worker runs them and ends (the next
    /// commit starts another).
    pub(super) fn settle(&self) {
        let worker = self
            .worker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(Worker { wake, thread }) = worker {
            // The worker runs what is waiting, sees the channel closed and ends.
            drop(wake);
            if thread.join().is_err() {
                tracing::debug!("the checkpoint thread panicked");
            }
        }
    }

    /// A worker with one checkpoint to run; `None` when no thread could start (then the
    /// connection's inline checkpoint bounds the log).
    fn start(&self) -> Option<Worker> {
        let (wake, requests) = sync_channel(1);
        wake.try_send(()).ok()?;
        let connector = Arc::clone(&self.connector);
        let thread = std::thread::Builder::new()
            .name("tete-checkpoint".into())
            .spawn(move || work(connector.as_ref(), &requests));
        match thread {
            Ok(thread) => Some(Worker { wake, thread }),
            Err(error) => {
                tracing::debug!(%error, "no checkpoint thread; the history checkpoints inline");
                None
            }
        }
    }
}

impl CommitListener for Checkpoints {
    /// Asks for a checkpoint and returns at once.
    fn committed(&self) {
        let mut worker = self.worker.lock().unwrap_or_else(PoisonError::into_inner);
        match worker.as_ref().map(|w| w.wake.try_send(())) {
            // One is already waiting to run: it covers this commit too.
            Some(Ok(()) | Err(TrySendError::Full(()))) => {}
            // No worker yet, or it is gone (short of a panic, it cannot be).
            None | Some(Err(TrySendError::Disconnected(()))) => *worker = self.start(),
        }
    }
}

impl Drop for Checkpoints {
    fn drop(&mut self) {
        self.settle();
    }
}

/// The worker: a checkpoint per request, over one connection opened at the first.
fn work(connector: &dyn Connect, requests: &Receiver<()>) {
    let mut conn: Option<Connection> = None;
    while let Ok(()) = requests.recv() {
        if conn.is_none() {
            conn = connector
                .connect()
                .map_err(|error| tracing::debug!(%error, "no connection to checkpoint with"))
                .ok();
        }
        if let Some(conn) = &conn {
            checkpoint(conn);
        }
    }
}

/// One passive checkpoint: as much of the log as no reader still needs goes into the file.
/// A failure is left for the next one (or the last connection's close) to make up.
fn checkpoint(conn: &Connection) {
    let started = std::time::Instant::now();
    let pages = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
    });
    match pages {
        Ok((log, copied)) => tracing::debug!(
            log,
            copied,
            ms = format!("{:.1}", started.elapsed().as_secs_f64() * 1000.0),
            "log checkpointed"
        ),
        Err(error) => tracing::debug!(%error, "log not checkpointed"),
    }
}
