//! The calendar core: a lossless iCalendar model, a streaming lenient reader, time zones and
//! exact recurrence expansion. It knows nothing of where calendars come from
//! (tete's `sources`) nor of 1:1s, and imports nothing of tete: it is its own crate so that
//! the compiler keeps it that way.

pub mod by_uid;
pub mod document;
pub mod edit;
pub mod expand;
pub mod model;
pub mod people;
pub mod reader;
pub mod recur;
pub mod tz;
pub mod value;
pub mod warning;

pub use document::Document;
pub use expand::{Collector, Moment, Occurrence, Window};
pub use model::{Component, Param, Property};
pub use people::{EventMeta, Person, PersonKind, RuleShape};
pub use value::EventStatus;
pub use warning::Warning;
