//! One resource of a source: an `.ics` file, a vdir item, a feed body, a CalDAV object.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::SourceError;
use super::caldav::SharedSyncState;

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
    /// One small item, in hand (a CalDAV object just written, a Graph event).
    Memory(Vec<u8>),
    /// One small item in a file (a vdir item), read whole when asked for: listing a
    /// folder of thousands then costs one `stat` each, and a cycle that finds them
    /// unchanged reads none.
    Item {
        /// The file.
        path: PathBuf,
        /// Its length when listed.
        len: u64,
    },
    /// One small item the last CalDAV sync kept in the state file, read when asked for: a
    /// sync that finds nothing changed loads no body.
    Stored(StoredBody),
    /// Big resources (an `.ics` file, a cached feed body), read as a stream when opened so a
    /// 100 MB calendar is never held in memory.
    File(PathBuf),
}

/// Where a [`Content::Stored`] body is: the sync state, the calendar's key and the href.
#[derive(Debug, Clone)]
pub struct StoredBody {
    /// The sync state holding it.
    pub store: SharedSyncState,
    /// The calendar's key in the sync state (shared by its thousands of resources).
    pub calendar: std::sync::Arc<str>,
    /// Its length in the sync state.
    pub len: u64,
}

impl PartialEq for StoredBody {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.store, &other.store)
            && self.calendar == other.calendar
            && self.len == other.len
    }
}

impl Eq for StoredBody {}

/// A reader over a resource's bytes, from memory or from its file. Buffered: pass it to
/// [`crate::calendar::reader::Reader`] as is.
#[derive(Debug)]
pub enum ResourceReader<'a> {
    /// Bytes held by the [`Resource`].
    Memory(&'a [u8]),
    /// Bytes read for this reader (a stored body).
    Owned(io::Cursor<Vec<u8>>),
    /// The file the [`Resource`] points at.
    File(BufReader<File>),
}

impl Resource {
    /// Opens the content for reading.
    pub fn open(&self) -> Result<ResourceReader<'_>, SourceError> {
        match &self.content {
            Content::Memory(bytes) => Ok(ResourceReader::Memory(bytes)),
            Content::Stored(stored) => Ok(ResourceReader::Owned(io::Cursor::new(
                self.stored_bytes(stored)?,
            ))),
            // A buffer the item's size (up to the default 8 KiB): a vdir of thousands of
            // items of a few hundred bytes each allocated and freed 8 KiB per item.
            Content::Item { path, len } => Ok(ResourceReader::File(BufReader::with_capacity(
                usize::try_from(*len)
                    .unwrap_or(usize::MAX)
                    .clamp(256, 8 * 1024),
                open(path)?,
            ))),
            // Larger than the default 8 KiB: fewer system calls on big calendars.
            Content::File(path) => Ok(ResourceReader::File(BufReader::with_capacity(
                64 * 1024,
                open(path)?,
            ))),
        }
    }

    /// True for one small item (a vdir item, a CalDAV object), read whole; false for a big
    /// calendar in a file (an `.ics` file, a feed's body), read as a stream.
    pub fn is_item(&self) -> bool {
        !matches!(self.content, Content::File(_))
    }

    /// The bytes of one small item, read now if they are not in hand; `None` for a big
    /// calendar (read it as a stream with [`Resource::open`]).
    pub fn item_bytes(&self) -> Option<Result<Cow<'_, [u8]>, SourceError>> {
        match &self.content {
            Content::File(_) => None,
            _ => Some(self.bytes()),
        }
    }

    /// The bytes of a big calendar on disk at these ranges, one after the other, as a
    /// stream read one range at a time: its 1:1s and time zones read again without the rest,
    /// and without holding them all. Reading fails (`InvalidData`) at a range whose bytes
    /// `starts_well` refuses (the file changed since the ranges were found), and at one past
    /// the end. `None` for anything but a file.
    pub fn read_at<'a>(
        &self,
        ranges: &'a [std::ops::Range<u64>],
        starts_well: fn(&[u8]) -> bool,
    ) -> Option<Result<RangesReader<'a>, SourceError>> {
        match &self.content {
            Content::File(path) => Some(RangesReader::open(path, ranges, starts_well)),
            _ => None,
        }
    }

    /// All the bytes, whatever their size (for rewriting one resource).
    pub fn bytes(&self) -> Result<Cow<'_, [u8]>, SourceError> {
        match &self.content {
            Content::Memory(bytes) => Ok(Cow::Borrowed(bytes)),
            Content::Stored(stored) => self.stored_bytes(stored).map(Cow::Owned),
            Content::Item { path, .. } | Content::File(path) => std::fs::read(path)
                .map(Cow::Owned)
                .map_err(|source| SourceError::Read {
                    path: path.clone(),
                    source,
                }),
        }
    }

    /// What tells this resource changed without reading it: its etag and length; for a
    /// big file, its modification time, inode and length now.
    pub fn stamp(&self) -> String {
        let etag = self.etag.as_deref().unwrap_or("-");
        match &self.content {
            Content::Memory(bytes) => format!("{etag};{}", bytes.len()),
            Content::Item { len, .. } => format!("{etag};{len}"),
            Content::Stored(stored) => format!("{etag};{}", stored.len),
            Content::File(path) => match std::fs::metadata(path) {
                Ok(m) => format!("{};{}", super::local_etag(&m), m.len()),
                // Unreadable now: a stamp nothing has, so it is read (and its error told).
                Err(_) => String::from("?"),
            },
        }
    }

    fn stored_bytes(&self, stored: &StoredBody) -> Result<Vec<u8>, SourceError> {
        stored
            .store
            .body(&stored.calendar, &self.href)
            .map_err(|e| SourceError::Caldav(e.into()))?
            .ok_or_else(|| SourceError::PreconditionFailed {
                href: self.href.clone(),
            })
    }
}

/// A file's bytes at some ranges, one after the other ([`Resource::read_at`]): one run of
/// touching ranges in memory at a time.
///
/// Each run is read with one positioned read of exactly its bytes. Through a `BufReader`
/// every range cost a buffer fill: a 100 MB export's 1:1s (7,300 runs, 14 MB) were read as
/// 48 MB, most of it thrown away when the next range was further on.
pub struct RangesReader<'a> {
    file: File,
    len: u64,
    ranges: std::iter::Peekable<std::slice::Iter<'a, std::ops::Range<u64>>>,
    starts_well: fn(&[u8]) -> bool,
    /// The run being read, and how much of it was handed over.
    run: Vec<u8>,
    at: usize,
}

impl<'a> RangesReader<'a> {
    fn open(
        path: &Path,
        ranges: &'a [std::ops::Range<u64>],
        starts_well: fn(&[u8]) -> bool,
    ) -> Result<RangesReader<'a>, SourceError> {
        let file = open(path)?;
        let len = file
            .metadata()
            .map_err(|source| SourceError::Read {
                path: path.to_path_buf(),
                source,
            })?
            .len();
        Ok(RangesReader {
            file,
            len,
            ranges: ranges.iter().peekable(),
            starts_well,
            run: Vec::new(),
            at: 0,
        })
    }

    /// Reads `first` and the ranges right after it that begin where the one before ends,
    /// checked. The ranges come from the state file, which is not trusted to be sane: one
    /// past the end is refused before anything is allocated, and each range must start
    /// well.
    fn load(&mut self, first: &std::ops::Range<u64>) -> io::Result<()> {
        let in_file = |r: &std::ops::Range<u64>| r.start < r.end && r.end <= self.len;
        if !in_file(first) {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let mut starts = vec![0];
        let mut end = first.end;
        while let Some(next) = self.ranges.next_if(|r| r.start == end && in_file(r)) {
            starts.push(next.start - first.start);
            end = next.end;
        }
        let wanted = usize::try_from(end - first.start)
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        self.run.clear();
        self.run.resize(wanted, 0);
        read_exact_at(&self.file, &mut self.run, first.start)?;
        self.at = 0;
        let starts_well = |offset: u64| {
            usize::try_from(offset)
                .ok()
                .and_then(|offset| self.run.get(offset..))
                .is_some_and(self.starts_well)
        };
        if !starts.into_iter().all(starts_well) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the file changed since its parts were found",
            ));
        }
        Ok(())
    }
}

/// Fills `out` from `file` at `offset`, without moving a shared cursor.
#[cfg(unix)]
fn read_exact_at(file: &File, out: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, out, offset)
}

/// Fills `out` from `file` at `offset` (elsewhere than Unix: seek, then read).
#[cfg(not(unix))]
fn read_exact_at(file: &File, out: &mut [u8], offset: u64) -> io::Result<()> {
    use std::io::Seek as _;
    let mut file = file;
    file.seek(io::SeekFrom::Start(offset))?;
    file.read_exact(out)
}

impl Read for RangesReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.fill_buf()?.read(out)?;
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for RangesReader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.at >= self.run.len() {
            let Some(range) = self.ranges.next() else {
                return Ok(&[]);
            };
            self.load(range)?;
        }
        Ok(&self.run[self.at..])
    }

    fn consume(&mut self, amount: usize) {
        self.at = self.at.saturating_add(amount).min(self.run.len());
    }
}

fn open(path: &Path) -> Result<File, SourceError> {
    File::open(path).map_err(|source| SourceError::Read {
        path: path.to_path_buf(),
        source,
    })
}

impl Read for ResourceReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            ResourceReader::Memory(bytes) => bytes.read(buf),
            ResourceReader::Owned(bytes) => bytes.read(buf),
            ResourceReader::File(file) => file.read(buf),
        }
    }
}

impl BufRead for ResourceReader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            ResourceReader::Memory(bytes) => bytes.fill_buf(),
            ResourceReader::Owned(bytes) => bytes.fill_buf(),
            ResourceReader::File(file) => file.fill_buf(),
        }
    }

    fn consume(&mut self, amount: usize) {
        match self {
            ResourceReader::Memory(bytes) => bytes.consume(amount),
            ResourceReader::Owned(bytes) => bytes.consume(amount),
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
    fn parts_of_a_file_read_one_after_the_other_and_only_while_they_start_well() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ics");
        // A at 2..10, B right after it at 10..18, C at 20..28.
        std::fs::write(&path, "xxBEGIN:A\nBEGIN:B\nzzBEGIN:C\n").unwrap();
        let resource = Resource {
            href: "a.ics".into(),
            etag: None,
            content: Content::File(path),
        };
        let begins = |b: &[u8]| b.starts_with(b"BEGIN:");
        let read = |ranges: &[std::ops::Range<u64>]| {
            let mut text = String::new();
            let mut reader = resource.read_at(ranges, begins).unwrap().unwrap();
            reader.read_to_string(&mut text).map(|_| text)
        };
        assert_eq!(read(&[2..10, 20..28]).unwrap(), "BEGIN:A\nBEGIN:C\n");
        assert_eq!(
            read(&[2..10, 10..18, 20..28]).unwrap(),
            "BEGIN:A\nBEGIN:B\nBEGIN:C\n",
            "touching ranges, read as one run"
        );
        assert_eq!(
            read(&[20..28, 2..10]).unwrap(),
            "BEGIN:C\nBEGIN:A\n",
            "backwards too"
        );
        let moved = read(&[2..10, 19..27]).unwrap_err();
        assert_eq!(moved.kind(), io::ErrorKind::InvalidData);
        let moved_within_a_run = read(&[2..9, 9..18]).unwrap_err();
        assert_eq!(moved_within_a_run.kind(), io::ErrorKind::InvalidData);
        let past_the_end = read(&[2..10, 20..4000]).unwrap_err();
        assert_eq!(past_the_end.kind(), io::ErrorKind::UnexpectedEof);
        let run_past_the_end = read(&[2..10, 10..4000]).unwrap_err();
        assert_eq!(run_past_the_end.kind(), io::ErrorKind::UnexpectedEof);
        let memory = Resource {
            content: Content::Memory(Vec::new()),
            ..resource.clone()
        };
        let range = [0..1, 1..2];
        assert!(memory.read_at(&range, begins).is_none());
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
