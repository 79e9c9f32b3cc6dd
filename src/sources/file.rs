//! A single `.ics` file: one resource, read as a stream, never written by tete.

use std::path::{Path, PathBuf};

use super::{Content, Resource, Snapshot, SourceError, local_etag, run_blocking};

/// One iCalendar file (an export, a file another program keeps up to date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSource {
    path: PathBuf,
}

impl FileSource {
    /// The source for the file at `path`.
    pub fn new(path: PathBuf) -> Self {
        FileSource { path }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks the file is there and returns it as one resource; its bytes are read only when
    /// the resource is opened.
    pub async fn fetch(&self) -> Result<Snapshot, SourceError> {
        let path = self.path.clone();
        let resource = run_blocking(move || file_resource(path)).await?;
        Ok(Snapshot {
            resources: vec![resource].into(),
            not_modified: false,
        })
    }
}

fn file_resource(path: PathBuf) -> Result<Resource, SourceError> {
    let metadata = std::fs::metadata(&path).map_err(|source| SourceError::Read {
        path: path.clone(),
        source,
    })?;
    if metadata.is_dir() {
        return Err(SourceError::Read {
            path,
            source: std::io::Error::other(
                "this is a folder; use `vdir =` for a folder of .ics files",
            ),
        });
    }
    let href = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Resource {
        href,
        etag: Some(local_etag(&metadata)),
        content: Content::File(path),
    })
}
