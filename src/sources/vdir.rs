//! A vdir: a folder with one `.ics` file per item, as vdirsyncer, pimsync and khal keep them.
//!
//! Items are small, so they are read whole, but only when a cycle parses them: listing the
//! folder takes one `stat` per item (its etag and length), so a cycle that finds thousands
//! of items unchanged reads none. Etags are vdirsyncer's (`mtime_ns;inode`), and
//! writes follow its rules: an item is written to a hidden temporary file in the same folder
//! and renamed over the old one, so a reader (or a sync tool) sees the old or the new file,
//! never half of one.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Content, Precondition, Resource, Snapshot, SourceError, local_etag, run_blocking};

/// A folder of `.ics` files, one resource each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VdirSource {
    path: PathBuf,
    /// The folder as shown, ending in a separator: every item's origin begins with it (a
    /// cycle names each of thousands of items).
    shown: String,
}

impl VdirSource {
    /// The source for the folder at `path`.
    pub fn new(path: PathBuf) -> Self {
        let mut shown = path.display().to_string();
        if !shown.ends_with(std::path::MAIN_SEPARATOR) {
            shown.push(std::path::MAIN_SEPARATOR);
        }
        VdirSource { path, shown }
    }

    /// The item `href`'s path as shown (`path.join(href)`, displayed), built in one go.
    pub fn item_origin(&self, href: &str) -> String {
        super::joined(&self.shown, href)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Lists every `.ics` file, sorted by name, each read when opened. Hidden files (a sync
    /// tool's or tete's own temporary files among them), sub-folders and other extensions
    /// are skipped.
    pub async fn fetch(&self) -> Result<Snapshot, SourceError> {
        let dir = self.path.clone();
        let listed = run_blocking(move || read_items(&dir)).await?;
        Ok(Snapshot {
            resources: listed.items.into(),
            not_modified: false,
        })
    }

    /// [`VdirSource::fetch`], taken from `watch` while the folder did not change since it
    /// was last listed (a long-running process; see [`super::FolderWatch`]).
    pub async fn fetch_watched(
        &self,
        watch: Option<&super::FolderWatch>,
    ) -> Result<Snapshot, SourceError> {
        let Some(watch) = watch else {
            return self.fetch().await;
        };
        let dir = self.path.clone();
        let patched = match watch.since_listed(&self.path) {
            super::folder_watch::Since::Unchanged(resources) => {
                return Ok(Snapshot {
                    resources,
                    not_modified: false,
                });
            }
            super::folder_watch::Since::Changed { listing, names } => {
                run_blocking(move || Ok(relisted(&dir, listing, &names))).await?
            }
            super::folder_watch::Since::Unknown => None,
        };
        let resources: Arc<[Resource]> = match patched {
            Some(resources) => resources.into(),
            None => {
                let dir = self.path.clone();
                let listed = run_blocking(move || read_items(&dir)).await?;
                let resources: Arc<[Resource]> = listed.items.into();
                if !listed.links {
                    watch.listed(&self.path, &resources);
                }
                return Ok(Snapshot {
                    resources,
                    not_modified: false,
                });
            }
        };
        watch.listed(&self.path, &resources);
        Ok(Snapshot {
            resources,
            not_modified: false,
        })
    }

    /// Reads the one item `href` as it is now; a missing item is
    /// [`SourceError::PreconditionFailed`] (it changed since it was read: it went away).
    pub async fn get(&self, href: &str) -> Result<Resource, SourceError> {
        check_href(href)?;
        let dir = self.path.clone();
        let name = href.to_string();
        run_blocking(move || {
            if !dir.join(&name).is_file() {
                return Err(SourceError::PreconditionFailed { href: name });
            }
            read_item(&dir, name)
        })
        .await
    }

    /// Writes `body` as the item `href` (a plain `.ics` file name) if `precondition` holds:
    /// [`Precondition::IfMatch`] replaces the item only if its etag is unchanged,
    /// [`Precondition::IfNoneMatch`] creates it only if no such item exists. Returns the
    /// new etag; a failed precondition is [`SourceError::PreconditionFailed`].
    ///
    /// Between the etag check and the rename another program could still replace the item;
    /// the body is written first so that this window is as short as a file system allows.
    /// Creation has no such window: it uses a hard link, which fails if the name is taken.
    pub async fn put(
        &self,
        href: &str,
        precondition: Precondition,
        body: Vec<u8>,
    ) -> Result<String, SourceError> {
        check_href(href)?;
        let dir = self.path.clone();
        let href = href.to_string();
        run_blocking(move || write_item(&dir, &href, &precondition, &body)).await
    }
}

fn read_items(dir: &Path) -> Result<Listed, SourceError> {
    let entries = fs::read_dir(dir).map_err(|source| read_error(dir, source))?;
    let mut listed = Listed::default();
    for entry in entries {
        let entry = entry.map_err(|source| read_error(dir, source))?;
        if let Some((item, link)) = listed_item(&entry) {
            listed.items.push(item);
            listed.links |= link;
        }
    }
    listed.items.sort_by(|a, b| a.href.cmp(&b.href));
    Ok(listed)
}

/// A folder's items, and whether any is a symbolic link.
#[derive(Default)]
struct Listed {
    items: Vec<Resource>,
    /// A linked item's file is elsewhere: a watch on the folder would not see it change,
    /// so such a folder is listed every cycle.
    links: bool,
}

/// `listing` (sorted by name) with the files `names` looked at again: each one listed as
/// [`read_items`] would, or dropped when it is gone or no longer an item. `None` when one of
/// them is now a symbolic link (the folder is then listed whole, every cycle).
fn relisted(
    dir: &Path,
    mut listing: Vec<Resource>,
    names: &std::collections::BTreeSet<String>,
) -> Option<Vec<Resource>> {
    for name in names {
        let at = listing.binary_search_by(|r| r.href.as_str().cmp(name));
        let path = dir.join(name);
        if is_item_name(name)
            && fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink())
        {
            return None;
        }
        let now = is_item_name(name)
            .then(|| fs::metadata(&path).ok())
            .flatten()
            .filter(fs::Metadata::is_file)
            .map(|metadata| item(path, name, &metadata));
        match (at, now) {
            (Ok(i), Some(resource)) => listing[i] = resource,
            (Ok(i), None) => {
                listing.remove(i);
            }
            (Err(i), Some(resource)) => listing.insert(i, resource),
            (Err(_), None) => {}
        }
    }
    Some(listing)
}

/// Whether a file of this name is an item: a visible `.ics` file.
fn is_item_name(name: &str) -> bool {
    let is_ics = Path::new(name)
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("ics"));
    !name.starts_with('.') && is_ics
}

/// The item at `path`, named `name`, as listed (not read yet).
fn item(path: PathBuf, name: &str, metadata: &fs::Metadata) -> Resource {
    Resource {
        href: name.to_string(),
        etag: Some(local_etag(metadata)),
        content: Content::Item {
            path,
            len: metadata.len(),
        },
    }
}

/// The entry as a resource (not read yet) if it is a visible `.ics` file, following
/// symbolic links (and whether it is one). One that vanished since the folder was listed
/// is skipped.
fn listed_item(entry: &fs::DirEntry) -> Option<(Resource, bool)> {
    let name = entry.file_name();
    let Some(name) = name.to_str() else {
        tracing::warn!(file = ?entry.path(), "skipping a file whose name is not UTF-8");
        return None;
    };
    if !is_item_name(name) {
        return None;
    }
    // The entry's own metadata is a `stat` relative to the open folder (cheaper than by
    // path); a symbolic link is followed by path.
    let link = entry.file_type().is_ok_and(|t| t.is_symlink());
    let metadata = match link {
        true => fs::metadata(entry.path()).ok()?,
        false => entry.metadata().ok()?,
    };
    metadata
        .is_file()
        .then(|| (item(entry.path(), name, &metadata), link))
}

fn read_item(dir: &Path, href: String) -> Result<Resource, SourceError> {
    let path = dir.join(&href);
    let mut file = File::open(&path).map_err(|source| read_error(&path, source))?;
    // The etag comes from the open file, so it describes the bytes read even if the item is
    // replaced meanwhile (replacement is a rename: this handle keeps the old file).
    let metadata = file
        .metadata()
        .map_err(|source| read_error(&path, source))?;
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)
        .map_err(|source| read_error(&path, source))?;
    Ok(Resource {
        href,
        etag: Some(local_etag(&metadata)),
        content: Content::Memory(bytes),
    })
}

/// An item name must stay inside the folder and be seen by [`read_items`].
fn check_href(href: &str) -> Result<(), SourceError> {
    let plain = !href.contains(['/', '\\', '\0']) && is_item_name(href);
    if plain {
        Ok(())
    } else {
        Err(SourceError::InvalidHref {
            href: href.to_string(),
        })
    }
}

fn write_item(
    dir: &Path,
    href: &str,
    precondition: &Precondition,
    body: &[u8],
) -> Result<String, SourceError> {
    let target = dir.join(href);
    let temp = TempFile::create(dir, href, body)?;
    match precondition {
        Precondition::IfMatch(expected) => {
            check_etag(&target, href, expected)?;
            temp.rename_to(&target)?;
        }
        Precondition::IfNoneMatch => temp.link_as_new(&target, href)?,
    }
    sync_dir(dir);
    let metadata = fs::metadata(&target).map_err(|source| read_error(&target, source))?;
    Ok(local_etag(&metadata))
}

fn check_etag(target: &Path, href: &str, expected: &str) -> Result<(), SourceError> {
    let precondition_failed = || SourceError::PreconditionFailed {
        href: href.to_string(),
    };
    match fs::metadata(target) {
        Ok(metadata) if local_etag(&metadata) == expected => Ok(()),
        Ok(_) => Err(precondition_failed()),
        // Deleted since it was read: also someone else's change.
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Err(precondition_failed()),
        Err(source) => Err(read_error(target, source)),
    }
}

/// A hidden, fully written and flushed temporary file in the vdir, removed when dropped
/// unless it was renamed into place.
struct TempFile {
    path: PathBuf,
    renamed: bool,
}

impl TempFile {
    fn create(dir: &Path, href: &str, body: &[u8]) -> Result<TempFile, SourceError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
        // Starts with a dot: readers of the vdir (tete's and sync tools') skip hidden files.
        let name = format!(".{href}.tete-{}-{unique}.tmp", std::process::id());
        let temp = TempFile {
            path: dir.join(name),
            renamed: false,
        };
        let write_error = |source| SourceError::Write {
            path: temp.path.clone(),
            source,
        };
        let mut file = File::options()
            .write(true)
            .create_new(true)
            .open(&temp.path)
            .map_err(write_error)?;
        file.write_all(body).map_err(write_error)?;
        // On disk before the rename, so a crash never leaves an empty item in its place.
        file.sync_all().map_err(write_error)?;
        Ok(temp)
    }

    fn rename_to(mut self, target: &Path) -> Result<(), SourceError> {
        fs::rename(&self.path, target).map_err(|source| SourceError::Write {
            path: target.to_path_buf(),
            source,
        })?;
        self.renamed = true;
        Ok(())
    }

    /// Gives the file the name `target` only if that name is free.
    fn link_as_new(self, target: &Path, href: &str) -> Result<(), SourceError> {
        match fs::hard_link(&self.path, target) {
            // The temporary name is removed on drop; the item keeps the content.
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(SourceError::PreconditionFailed {
                    href: href.to_string(),
                })
            }
            // Some file systems (FUSE, some network mounts) have no hard links: check, then
            // rename, accepting the short window between the two.
            Err(_) if target.exists() => Err(SourceError::PreconditionFailed {
                href: href.to_string(),
            }),
            Err(_) => self.rename_to(target),
        }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.renamed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Makes the rename durable. Best effort: not every platform can sync a folder, and the
/// item is already written either way.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

fn read_error(path: &Path, source: std::io::Error) -> SourceError {
    SourceError::Read {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_items_origin_is_its_path_shown() {
        for folder in ["/home/mia/cal", "/home/mia/cal/", "relative/cal", "/"] {
            let vdir = VdirSource::new(PathBuf::from(folder));
            assert_eq!(
                vdir.item_origin("a.ics"),
                Path::new(folder).join("a.ics").display().to_string()
            );
        }
    }

    #[test]
    fn hrefs_must_be_plain_ics_names() {
        for good in ["a.ics", "uid@example.com.ics", "X.ICS"] {
            assert!(check_href(good).is_ok(), "{good}");
        }
        for bad in ["", ".hidden.ics", "../a.ics", "a/b.ics", "a.txt", "a"] {
            assert!(check_href(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn temp_file_is_removed_when_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let temp = TempFile::create(dir.path(), "a.ics", b"x").unwrap();
        assert!(temp.path.exists());
        drop(temp);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
