//! The calendar core: a lossless iCalendar model, a streaming lenient reader, time zones and
//! exact recurrence expansion. It knows nothing of where calendars come from (see
//! [`crate::sources`]) nor of 1:1s.

pub mod document;
pub mod model;
pub mod reader;
pub mod value;
pub mod warning;

pub use document::Document;
pub use model::{Component, Param, Property};
pub use warning::Warning;
