//! Files that hold people's data or tokens (the state file: action items, calendars, sync
//! state): created `0600` in a folder tete creates `0700`, whatever the umask, before SQLite
//! opens them (SQLite gives its `-wal` and `-shm` files the database file's mode).
//!
//! A folder that already exists keeps its mode: `--state /tmp/x.sqlite` must not lock
//! others out of `/tmp`.

use std::io;
use std::path::Path;

/// Creates `path`'s folder (`0700`, for the folders created) and the file itself (`0600`)
/// when missing; an existing file is made `0600`.
pub fn ensure(path: &Path) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir(dir)?;
    }
    create_file(path)
}

/// Opens (creating it `0600` when missing, in folders created `0700`) a file tete keeps open
/// for writing, such as the instance lock next to the state file. Not for SQLite files (see
/// [`ensure`]).
pub fn open_for_writing(path: &Path) -> io::Result<std::fs::File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}

#[cfg(unix)]
fn create_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// An existing file is never opened here: closing any descriptor of a SQLite file drops
/// every POSIX lock this process holds on it (another connection's included), so only a
/// file that does not exist yet (which nobody can have locked) is created and closed.
#[cfg(unix)]
fn create_file(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if !path.exists() {
        match std::fs::OpenOptions::new()
            .create_new(true)
            .write(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            // Created meanwhile by another process: fine, its mode is set below.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn create_file(_path: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn new_folders_are_0700_the_file_0600_and_an_existing_folder_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let file = dir.path().join("a/b/state.sqlite");
        ensure(&file).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&dir.path().join("a/b")), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(dir.path()), 0o755);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        ensure(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
    }
}
