//! Where a calendar's events are, as [`Source::from_location`](super::Source::from_location)
//! takes it: the settings a source is built from. The configuration reads them from its file
//! (and `--calendar` from the command line); nothing here knows TOML.

use std::path::PathBuf;

use crate::secret::Secret;

/// A calendar to read: the name it is known by and where its events are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarSpec {
    /// The name the person gave it; unique among the calendars of one run.
    pub name: String,
    /// Where its events are.
    pub location: Location,
}

/// Where a calendar's events are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// One `.ics` file.
    File(PathBuf),
    /// A folder with one `.ics` file per event, as vdirsyncer keeps them.
    Vdir(PathBuf),
    /// An iCalendar feed over HTTP(S). The URL is a secret: feed URLs usually carry an access
    /// token.
    Feed(Secret),
    /// A calendar on a CalDAV server.
    Caldav(Box<CaldavLocation>),
    /// A Microsoft 365 / Outlook.com calendar through Microsoft Graph.
    Graph(Box<super::graph::GraphLocation>),
}

/// A CalDAV calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaldavLocation {
    /// The account's CalDAV URL (or the calendar's own URL).
    pub url: String,
    /// How tete logs in.
    pub auth: CaldavAuth,
    /// Which of the account's calendars: display name, URL or path.
    pub calendar: Option<String>,
    /// Limits the first sync to events from this many days ago on.
    pub first_sync_days: Option<u32>,
    /// How big an answer is accepted.
    pub limits: super::caldav::Limits,
}

/// How tete logs in to a CalDAV server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaldavAuth {
    /// No authentication.
    None,
    /// HTTP Basic: `user` and `password` (an app password, usually).
    Basic {
        /// The user name.
        user: String,
        /// The password.
        password: Secret,
    },
    /// OAuth2 with a Google client and its stored refresh token.
    Google(GoogleClient),
}

/// The OAuth2 client for Google Calendar's CalDAV endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleClient {
    /// The OAuth client ID of a "Desktop app" client in the user's Google Cloud project.
    pub client_id: String,
    /// Its client secret.
    pub client_secret: Option<Secret>,
    /// Where `tete auth google` stores the refresh token (created 0600).
    pub token_file: PathBuf,
}
