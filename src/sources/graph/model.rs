//! The parts of Microsoft Graph's `event` resource tete reads, as Graph sends them.
//!
//! Shapes from <https://learn.microsoft.com/graph/api/resources/event> (event),
//! <https://learn.microsoft.com/graph/api/resources/patternedrecurrence>,
//! <https://learn.microsoft.com/graph/api/resources/recurrencepattern>,
//! <https://learn.microsoft.com/graph/api/resources/recurrencerange>,
//! <https://learn.microsoft.com/graph/api/resources/datetimetimezone> and
//! <https://learn.microsoft.com/graph/api/resources/attendee>. Every field is optional and
//! unknown ones are ignored: one odd event must not stop the others.

use serde::Deserialize;

/// One event: a single instance, a series master, an occurrence or an exception.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Event {
    /// Graph's id of this event (of this occurrence, for an occurrence).
    pub id: String,
    /// Its version, for `If-Match`.
    #[serde(rename = "@odata.etag")]
    pub etag: Option<String>,
    /// `singleInstance`, `occurrence`, `exception` or `seriesMaster`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The series master of an occurrence or exception.
    pub series_master_id: Option<String>,
    /// The start an occurrence or exception had in its series (UTC, ISO 8601).
    pub original_start: Option<String>,
    /// The zone the organizer created the event in (Windows or IANA name).
    pub original_start_time_zone: Option<String>,
    /// The iCalendar UID, shared by every copy of the meeting (and every occurrence).
    #[serde(rename = "iCalUId")]
    pub ical_uid: Option<String>,
    /// The title.
    pub subject: Option<String>,
    /// The description.
    pub body: Option<Body>,
    /// Start, in the zone of `timeZone` (UTC unless `Prefer: outlook.timezone` asked
    /// otherwise).
    pub start: Option<DateTimeZone>,
    /// End.
    pub end: Option<DateTimeZone>,
    /// A whole-day event.
    pub is_all_day: Option<bool>,
    /// Cancelled by its organizer (still shown to attendees until they remove it).
    pub is_cancelled: Option<bool>,
    /// `free`, `tentative`, `busy`, `oof`, `workingElsewhere`, `unknown`.
    pub show_as: Option<String>,
    /// `normal`, `personal`, `private`, `confidential`.
    pub sensitivity: Option<String>,
    /// Where.
    pub location: Option<Location>,
    /// Who.
    pub attendees: Vec<Attendee>,
    /// Who organizes it.
    pub organizer: Option<Recipient>,
    /// Whether the calendar's owner organizes it.
    pub is_organizer: Option<bool>,
    /// The calendar owner's own answer (their copy's attendee list may not show it).
    pub response_status: Option<ResponseStatus>,
    /// The series' rule (series masters only).
    pub recurrence: Option<PatternedRecurrence>,
    /// The online meeting, when there is one.
    pub online_meeting: Option<OnlineMeeting>,
    /// `teamsForBusiness`, `skypeForBusiness`, `skypeForConsumer`, `unknown`.
    pub online_meeting_provider: Option<String>,
    /// When it was last changed.
    pub last_modified_date_time: Option<String>,
}

/// `itemBody`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Body {
    /// `text` or `html`.
    pub content_type: Option<String>,
    /// The text.
    pub content: Option<String>,
}

/// `dateTimeTimeZone`: a wall-clock time and the zone it is in.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DateTimeZone {
    /// `2026-01-05T10:00:00.0000000`.
    pub date_time: String,
    /// `UTC`, a Windows name (`W. Europe Standard Time`) or an IANA name.
    pub time_zone: Option<String>,
}

/// `location`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Location {
    /// Its name.
    pub display_name: Option<String>,
}

/// `attendee`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Attendee {
    /// `required`, `optional` or `resource`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Their answer.
    pub status: Option<ResponseStatus>,
    /// Who.
    pub email_address: Option<EmailAddress>,
}

/// `responseStatus`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResponseStatus {
    /// `none`, `organizer`, `tentativelyAccepted`, `accepted`, `declined`, `notResponded`.
    pub response: Option<String>,
}

/// `recipient`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Recipient {
    /// Who.
    pub email_address: Option<EmailAddress>,
}

/// `emailAddress`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EmailAddress {
    /// Display name.
    pub name: Option<String>,
    /// Address.
    pub address: Option<String>,
}

/// `onlineMeetingInfo`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OnlineMeeting {
    /// The link people join by.
    pub join_url: Option<String>,
}

/// `patternedRecurrence`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PatternedRecurrence {
    /// How often.
    pub pattern: Option<RecurrencePattern>,
    /// How long.
    pub range: Option<RecurrenceRange>,
}

/// `recurrencePattern`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RecurrencePattern {
    /// `daily`, `weekly`, `absoluteMonthly`, `relativeMonthly`, `absoluteYearly`,
    /// `relativeYearly`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Every how many units.
    pub interval: Option<u32>,
    /// The month (1-12) of a yearly pattern.
    pub month: Option<u32>,
    /// The day of the month of an absolute pattern.
    pub day_of_month: Option<u32>,
    /// `monday` ... `sunday`.
    pub days_of_week: Vec<String>,
    /// The first day of the week (weekly patterns).
    pub first_day_of_week: Option<String>,
    /// `first`, `second`, `third`, `fourth`, `last` (relative patterns).
    pub index: Option<String>,
}

/// `recurrenceRange`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RecurrenceRange {
    /// `endDate`, `noEnd` or `numbered`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The first day (`2026-01-05`).
    pub start_date: Option<String>,
    /// The last day, inclusive (`endDate`).
    pub end_date: Option<String>,
    /// The zone the series is defined in.
    pub recurrence_time_zone: Option<String>,
    /// How many occurrences (`numbered`).
    pub number_of_occurrences: Option<u32>,
}

impl Event {
    /// True for a series master.
    pub fn is_master(&self) -> bool {
        self.kind.as_deref() == Some("seriesMaster")
    }

    /// The series this occurrence or exception belongs to.
    pub fn series(&self) -> Option<&str> {
        match self.kind.as_deref() {
            Some("occurrence" | "exception") => self.series_master_id.as_deref(),
            _ => None,
        }
    }
}
