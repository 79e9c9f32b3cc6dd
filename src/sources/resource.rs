//! One resource of a source: an `.ics` file, a vdir item, a feed body, a CalDAV object.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::PathBuf;

use super::SourceError;

/// One iCalendar resource as a source holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// Its name within the source: the file name in a vdir (what [`super::Source::put`]
    /// takes), the file name of a single `.ics` file, the feed's redacted label.
    pub href: String,
    /// Opaque version tag: given back to [`super::Source::put`] so that a write only happens
    /// when nobody changed the resource since it was read. `None` when the source has none.
    pub etag: Option<String>,
    /// The bytes, or where they are.
    pub content: Content,
}

/// Where a resource's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Small resources (one vdir item, one CalDAV object), read whole.
    Memory(Vec<u8>),
    /// Big resources (an `.ics` file, a cached feed body), read as a stream when opened so a
    /// 100 MB calendar is never held in memory.
    File(PathBuf),
}

/// A reader over a resource's bytes, from memory or from its file. Buffered: pass it to
/// [`crate::calendar::reader::Reader`] as is.
#[derive(Debug)]
pub enum ResourceReader<'a> {
    /// Bytes held by the [`Resource`].
    Memory(&'a [u8]),
    /// The file the [`Resource`] points at.
    File(BufReader<File>),
}

impl Resource {
    /// Opens the content for reading.
    pub fn open(&self) -> Result<ResourceReader<'_>, SourceError> {
        match &self.content {
            Content::Memory(bytes) => Ok(ResourceReader::Memory(bytes)),
            Content::File(path) => {
                let file = File::open(path).map_err(|source| SourceError::Read {
                    path: path.clone(),
                    source,
                })?;
                // Larger than the default 8 KiB: fewer system calls on big calendars.
                Ok(ResourceReader::File(BufReader::with_capacity(
                    64 * 1024,
                    file,
                )))
            }
        }
    }
}

impl Read for ResourceReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            ResourceReader::Memory(bytes) => bytes.read(buf),
            ResourceReader::File(file) => file.read(buf),
        }
    }
}

impl BufRead for ResourceReader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            ResourceReader::Memory(bytes) => bytes.fill_buf(),
            ResourceReader::File(file) => file.fill_buf(),
        }
    }

    fn consume(&mut self, amount: usize) {
        match self {
            ResourceReader::Memory(bytes) => bytes.consume(amount),
            ResourceReader::File(file) => file.consume(amount),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(resource: &Resource) -> String {
        let mut text = String::new();
        resource.open().unwrap().read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn memory_and_file_content_read_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ics");
        std::fs::write(&path, "BEGIN:VCALENDAR\r\n").unwrap();
        let in_memory = Resource {
            href: "a.ics".into(),
            etag: None,
            content: Content::Memory(b"BEGIN:VCALENDAR\r\n".to_vec()),
        };
        let on_disk = Resource {
            content: Content::File(path),
            ..in_memory.clone()
        };
        assert_eq!(read_all(&in_memory), read_all(&on_disk));
    }

    #[test]
    fn missing_file_error_names_it() {
        let resource = Resource {
            href: "gone.ics".into(),
            etag: None,
            content: Content::File("/nonexistent/gone.ics".into()),
        };
        let err = resource.open().unwrap_err();
        assert!(err.to_string().contains("/nonexistent/gone.ics"), "{err}");
    }
}
