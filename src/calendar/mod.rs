//! The calendar core: a lossless iCalendar model, a streaming lenient reader, time zones and
//! exact recurrence expansion. It knows nothing of where calendars come from (see
//! [`crate::sources`]) nor of 1:1s.

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
