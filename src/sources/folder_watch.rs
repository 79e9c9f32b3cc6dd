//! Watching vdir folders between a long-running process's cycles, so that an idle cycle
//! lists a folder from memory instead of with one `stat` per item.
//!
//! The kernel queues an inotify event, as part of the very call that made the change, when
//! anything in a watched folder is created, written, renamed, deleted or has its attributes
//! changed, and when the folder itself goes; a cycle drains that queue before it decides,
//! so a change made before the cycle began is always seen (no thread, no delay). After
//! events that name at most [`MOST_NAMES`] files, only those files are looked at again;
//! the folder is listed whole from the disk after any other event (the folder itself, a
//! lost event), when its watch could not be set up (then always, as on other systems than
//! Linux), and every [`RELIST_AFTER`] whatever the watch says: a folder on a network file
//! system is not told of changes made on another machine. Opening and reading a file (as a
//! cycle does) is not watched.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::Resource;

/// How long a watched folder's listing is used at most before it is listed again anyway.
pub const RELIST_AFTER: Duration = Duration::from_secs(15 * 60);

/// The watched folders, each with its last listing (see the module's comment).
#[derive(Default)]
pub struct FolderWatch {
    folders: Mutex<HashMap<PathBuf, Watched>>,
    /// How many listings were taken from the disk and kept (the tests count them).
    listings: AtomicU64,
}

/// What a watched folder's kept listing is worth now.
#[derive(Debug)]
pub enum Since {
    /// Nothing in the folder changed: its listing.
    Unchanged(Arc<[Resource]>),
    /// Only the files with these names changed (created, written, renamed or deleted): the
    /// listing, to look at those again.
    Changed {
        /// The listing kept.
        listing: Vec<Resource>,
        /// The names of the files that changed.
        names: BTreeSet<String>,
    },
    /// Not known (no watch, no listing yet, too old, too many changes, the folder itself
    /// changed): list it all.
    Unknown,
}

/// What one drain of a folder's queue found.
enum Seen {
    Nothing,
    Names(BTreeSet<String>),
    Anything,
}

/// More changed files than this in one cycle (a sync tool's first run) and the folder is
/// listed whole: patching a sorted listing name by name costs more than a listing then.
const MOST_NAMES: usize = 64;

/// One watched folder.
struct Watched {
    changes: Changes,
    /// The last listing and when it was taken.
    listing: Option<(Instant, Arc<[Resource]>)>,
}

impl FolderWatch {
    /// What is known of `folder` since its listing was last kept (see [`Since`]). A folder
    /// not watched yet is watched from now on, so that the listing the caller takes next
    /// (and gives to [`FolderWatch::listed`]) misses no later change.
    pub fn since_listed(&self, folder: &Path) -> Since {
        let mut folders = self.folders.lock().unwrap_or_else(PoisonError::into_inner);
        match folders.get_mut(folder) {
            Some(watched) => {
                // Drained before the caller lists: a change made while it lists is in the
                // queue for the next cycle.
                let seen = watched.changes.since();
                match &watched.listing {
                    Some((at, resources)) if at.elapsed() < RELIST_AFTER => match seen {
                        Seen::Nothing => Since::Unchanged(Arc::clone(resources)),
                        Seen::Names(names) => Since::Changed {
                            listing: resources.to_vec(),
                            names,
                        },
                        Seen::Anything => Since::Unknown,
                    },
                    _ => Since::Unknown,
                }
            }
            None => {
                match Changes::watch(folder) {
                    Ok(changes) => {
                        let watched = Watched {
                            changes,
                            listing: None,
                        };
                        folders.insert(folder.to_path_buf(), watched);
                    }
                    // Listed from the disk every cycle, as without a watch.
                    Err(e) => tracing::debug!(folder = %folder.display(), "not watched: {e}"),
                }
                Since::Unknown
            }
        }
    }

    /// Keeps the listing of `folder` just taken from the disk, when the folder is watched.
    pub fn listed(&self, folder: &Path, resources: &Arc<[Resource]>) {
        let mut folders = self.folders.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(watched) = folders.get_mut(folder) {
            watched.listing = Some((Instant::now(), Arc::clone(resources)));
            self.listings.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// How many listings were taken from the disk and kept so far.
    pub fn listings(&self) -> u64 {
        self.listings.load(Ordering::Relaxed)
    }
}

/// The queue of changes in one folder (not its sub-folders: a vdir is flat).
#[cfg(target_os = "linux")]
struct Changes(inotify::Inotify);

#[cfg(target_os = "linux")]
impl Changes {
    fn watch(folder: &Path) -> std::io::Result<Changes> {
        use inotify::WatchMask;
        let inotify = inotify::Inotify::init()?;
        let changes = WatchMask::CREATE
            | WatchMask::MODIFY
            | WatchMask::CLOSE_WRITE
            | WatchMask::ATTRIB
            | WatchMask::MOVED_FROM
            | WatchMask::MOVED_TO
            | WatchMask::DELETE
            | WatchMask::DELETE_SELF
            | WatchMask::MOVE_SELF;
        inotify.watches().add(folder, changes)?;
        Ok(Changes(inotify))
    }

    /// What changed since the last call: drains the queue (non-blocking). Every event
    /// watched is a change; one without a file name (the folder itself), an overflowed
    /// queue, a failed read or too many names is "anything".
    fn since(&mut self) -> Seen {
        use inotify::EventMask;
        let whole = EventMask::Q_OVERFLOW
            | EventMask::IGNORED
            | EventMask::DELETE_SELF
            | EventMask::MOVE_SELF;
        let mut buffer = [0u8; 4096];
        let mut names = BTreeSet::new();
        let mut anything = false;
        // Drained to the end whatever it holds: what is left would be news next cycle.
        loop {
            let events = match self.0.read_events(&mut buffer) {
                Ok(events) => events,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => return Seen::Anything,
            };
            let mut read = 0;
            for event in events {
                read += 1;
                match event.name.map(|n| n.to_str()) {
                    _ if event.mask.intersects(whole) => anything = true,
                    Some(Some(name)) => {
                        names.insert(name.to_string());
                    }
                    // A name that is not UTF-8 is never an item (a listing skips it).
                    Some(None) => {}
                    None => anything = true,
                }
            }
            if read == 0 {
                break;
            }
        }
        if anything || names.len() > MOST_NAMES {
            Seen::Anything
        } else if names.is_empty() {
            Seen::Nothing
        } else {
            Seen::Names(names)
        }
    }
}

/// No watch on other systems: every cycle lists the folders.
#[cfg(not(target_os = "linux"))]
struct Changes;

#[cfg(not(target_os = "linux"))]
impl Changes {
    fn watch(_: &Path) -> std::io::Result<Changes> {
        Err(std::io::Error::other("folders are watched on Linux only"))
    }

    fn since(&mut self) -> Seen {
        Seen::Anything
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::VdirSource;

    const ITEM: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\n\
                        DTSTART:20260105T090000Z\r\nSUMMARY:Ann / Mia\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[tokio::test]
    async fn a_folder_is_listed_again_only_after_it_changed() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().to_path_buf();
        std::fs::write(folder.join("a.ics"), ITEM).unwrap();
        let vdir = VdirSource::new(folder.clone());
        let watch = FolderWatch::default();

        // Each watched listing is what listing the folder whole gives.
        let same_as_listed = async |watched: &crate::sources::Snapshot| {
            assert_eq!(watched, &vdir.fetch().await.unwrap());
        };
        let first = vdir.fetch_watched(Some(&watch)).await.unwrap();
        assert_eq!(first.resources.len(), 1);
        assert_eq!(watch.listings(), 1);

        // Reading the items (as a cycle does) changes nothing: the listing is kept.
        std::fs::read(folder.join("a.ics")).unwrap();
        let idle = vdir.fetch_watched(Some(&watch)).await.unwrap();
        assert_eq!(idle, first);
        assert_eq!(watch.listings(), 1, "listed again though nothing changed");

        // A new item and an edited one are seen by the very next cycle.
        std::fs::write(folder.join("b.ics"), ITEM.replace("UID:a", "UID:b")).unwrap();
        let grown = vdir.fetch_watched(Some(&watch)).await.unwrap();
        same_as_listed(&grown).await;
        assert_eq!(grown.resources.len(), 2);
        assert_eq!(watch.listings(), 2);

        // Written in place (no rename): seen at once, not when some thread gets to it.
        std::fs::write(folder.join("a.ics"), ITEM.replace("Ann", "Bo")).unwrap();
        let edited = vdir.fetch_watched(Some(&watch)).await.unwrap();
        same_as_listed(&edited).await;
        assert_eq!(watch.listings(), 3);
        assert_ne!(edited.resources[0].etag, grown.resources[0].etag);

        // Deleted too.
        std::fs::remove_file(folder.join("b.ics")).unwrap();
        let shrunk = vdir.fetch_watched(Some(&watch)).await.unwrap();
        same_as_listed(&shrunk).await;
        assert_eq!(shrunk.resources.len(), 1);

        // A sync tool's temporary file, renamed over an item: only the item counts.
        std::fs::write(folder.join(".a.ics.tmp"), ITEM.replace("Ann", "Cy")).unwrap();
        std::fs::rename(folder.join(".a.ics.tmp"), folder.join("a.ics")).unwrap();
        std::fs::write(folder.join("notes.txt"), "not an item").unwrap();
        let renamed = vdir.fetch_watched(Some(&watch)).await.unwrap();
        same_as_listed(&renamed).await;
        assert_eq!(renamed.resources.len(), 1);
        assert_eq!(watch.listings(), 5);

        // Touched only (attributes): listed again.
        let file = std::fs::File::options()
            .write(true)
            .open(folder.join("a.ics"))
            .unwrap();
        file.set_modified(std::time::SystemTime::now()).unwrap();
        same_as_listed(&vdir.fetch_watched(Some(&watch)).await.unwrap()).await;
        assert_eq!(watch.listings(), 6);
        vdir.fetch_watched(Some(&watch)).await.unwrap();
        assert_eq!(watch.listings(), 6);

        // More files than are worth patching one by one (a first sync): listed whole.
        for i in 0..=MOST_NAMES {
            let item = ITEM.replace("UID:a", &format!("UID:n{i}"));
            std::fs::write(folder.join(format!("n{i}.ics")), item).unwrap();
        }
        let many = vdir.fetch_watched(Some(&watch)).await.unwrap();
        same_as_listed(&many).await;
        assert_eq!(many.resources.len(), MOST_NAMES + 2);
    }

    /// A linked item's file lives elsewhere, where the watch does not look: such a folder
    /// is listed every cycle.
    #[cfg(unix)]
    #[tokio::test]
    async fn a_folder_with_a_linked_item_is_listed_every_cycle() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let target = elsewhere.path().join("a.ics");
        std::fs::write(&target, ITEM).unwrap();
        let folder = dir.path().join("cal");
        std::fs::create_dir(&folder).unwrap();
        std::os::unix::fs::symlink(&target, folder.join("a.ics")).unwrap();
        let vdir = VdirSource::new(folder.clone());
        let watch = FolderWatch::default();
        let first = vdir.fetch_watched(Some(&watch)).await.unwrap();
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&target, ITEM.replace("Ann", "Bo")).unwrap();
        let second = vdir.fetch_watched(Some(&watch)).await.unwrap();
        assert_ne!(first.resources[0].etag, second.resources[0].etag);
        assert_eq!(watch.listings(), 0);

        // Nor is a link that appears later trusted.
        let plain = tempfile::tempdir().unwrap();
        std::fs::write(plain.path().join("b.ics"), ITEM).unwrap();
        let vdir = VdirSource::new(plain.path().to_path_buf());
        vdir.fetch_watched(Some(&watch)).await.unwrap();
        assert_eq!(watch.listings(), 1);
        std::os::unix::fs::symlink(&target, plain.path().join("c.ics")).unwrap();
        let linked = vdir.fetch_watched(Some(&watch)).await.unwrap();
        assert_eq!(linked.resources.len(), 2);
        assert_eq!(watch.listings(), 1);
    }

    #[tokio::test]
    async fn without_a_watch_every_fetch_lists_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.ics"), ITEM).unwrap();
        let vdir = VdirSource::new(dir.path().to_path_buf());
        let first = vdir.fetch_watched(None).await.unwrap();
        std::fs::write(dir.path().join("b.ics"), ITEM).unwrap();
        let second = vdir.fetch_watched(None).await.unwrap();
        assert_eq!((first.resources.len(), second.resources.len()), (1, 2));
    }
}
