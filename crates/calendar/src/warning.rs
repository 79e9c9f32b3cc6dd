//! Warnings: problems in one event or line that never stop the rest of a calendar.

use std::fmt;
use std::sync::Arc;

/// Something tete could not read as written. It names where (origin, line) and which event
/// (UID) so a person can find and fix it; the rest of the calendar is still read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The file, URL or resource the text came from.
    pub origin: Arc<str>,
    /// 1-based line number in that text (0 when not tied to a line).
    pub line: usize,
    /// UID of the event concerned, when known.
    pub uid: Option<String>,
    /// What is wrong and what tete did about it, in plain words.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if let Some(uid) = &self.uid {
            write!(f, " (UID {uid})")?;
        }
        write!(f, ": {}", self.message)
    }
}
