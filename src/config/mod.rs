//! The configuration file (TOML): where the calendars are and where tete may cache things.
//!
//! Loading is strict: an unknown key (a typo such as `calender`) or a value of the wrong type
//! is an error naming the file, line, column and key, rather than a setting silently ignored.
//! Paths may start with `~/`; relative paths are relative to the config file's directory, so
//! the daemon does not depend on the directory it was started from. See
//! `config.example.toml` for every key.

use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use toml::Spanned;

use crate::cycle::Job;

mod agenda;
mod cadence;
mod caldav;
mod calendars;
mod daemon;
mod detect;
mod digest;
mod error;
mod graph;
mod nudges;
mod secret;
mod tasks;

pub use caldav::{default_google_token_file, default_state_file};
pub use daemon::DaemonConfig;
pub use error::ConfigError;

use crate::secret::Secret;
use crate::sources::{CalendarSpec, GoogleClient};
use crate::zone::Zone;
use error::{invalid, key_before_value, last_key};

/// A loaded, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was loaded from.
    pub path: PathBuf,
    /// Where tete keeps cached data (`cache_dir`, default `$XDG_CACHE_HOME/tete`).
    pub cache_dir: PathBuf,
    /// The calendars, in the order of the file.
    pub calendars: Vec<CalendarSpec>,
    /// Who the manager is (`[me]`).
    pub me: MeConfig,
    /// The SQLite state file (`state_file`, default `$XDG_STATE_HOME/tete/state.sqlite`).
    pub state_file: PathBuf,
    /// 1:1 detection overrides (`[detect]`).
    pub detect: crate::detect::Overrides,
    /// Cadence analysis and suggestion thresholds (`[cadence]`).
    pub cadence: crate::cadence::Settings,
    /// The agenda writer (`[agenda]`).
    pub agenda: crate::agenda::plan::Settings,
    /// Nudges: rules, quiet hours, channels (`[nudges]`).
    pub nudges: crate::nudge::Settings,
    /// The service (`[daemon]`).
    pub daemon: DaemonConfig,
    /// The weekly digest (`[digest]`).
    pub digest: crate::report::digest::DigestSettings,
    /// Action items as tasks (`[tasks]`), when set.
    pub tasks: Option<crate::tasks::Settings>,
    /// The Google OAuth2 client (`[google]`), when configured.
    pub google: Option<GoogleClient>,
    /// Time allowed for one HTTP request, body included (`request_timeout`, default 60 s):
    /// raise it for a server slow to list thousands of events.
    pub request_timeout: std::time::Duration,
    /// The most steps one event's recurrence rules may take (`max_rule_steps`, default
    /// 1,000,000): a rule cut there is reported with a warning naming its event.
    pub max_rule_steps: u64,
    /// The manager's zone: `[me] time_zone`, else `[nudges] time_zone`, else the machine's.
    /// Every time shown to people is in it; cadence and nudges count days in it.
    pub zone: Zone,
}

/// `[me]`: the manager's addresses and name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeConfig {
    /// The main address.
    pub email: Option<String>,
    /// Other addresses (people have several).
    pub aliases: Vec<String>,
    /// The name, as titles write it ("Mia" or "Mia Manager").
    pub name: Option<String>,
}

impl MeConfig {
    /// The detection identity.
    pub fn identity(&self) -> crate::detect::Identity {
        crate::detect::Identity::new(
            self.email.iter().chain(&self.aliases).map(String::as_str),
            self.name.as_deref(),
        )
    }
}

/// `$XDG_CONFIG_HOME/tete/config.toml` (or the platform's equivalent).
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("tete").join("config.toml"))
}

/// `$XDG_CACHE_HOME/tete` (or the platform's equivalent).
pub fn default_cache_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|dir| dir.join("tete"))
}

impl Config {
    /// The cycle this config describes, at `now`.
    pub fn job(&self, now: DateTime<Utc>) -> Job {
        Job {
            calendars: self.calendars.clone(),
            me: self.me.identity(),
            overrides: self.detect.clone(),
            settings: self.cadence.clone(),
            agenda: self.agenda.clone(),
            nudges: self.nudges.clone(),
            digest: self.digest,
            tasks: self.tasks.clone(),
            state_file: self.state_file.clone(),
            feed_cache_dir: self.feed_cache_dir(),
            request_timeout: self.request_timeout,
            max_rule_steps: self.max_rule_steps,
            now,
            since: None,
        }
    }

    /// Loads `path`, or the [`default_path`] when `None`.
    pub fn load_or_default(path: Option<&Path>) -> Result<Config, ConfigError> {
        match path {
            Some(path) => Config::load(path),
            None => Config::load(&default_path().ok_or(ConfigError::NoDefaultPath)?),
        }
    }

    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                ConfigError::NotFound {
                    path: path.to_path_buf(),
                }
            } else {
                ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
        Config::parse(&text, path)
    }

    /// Validates `text`, the content of the file at `path` (used in errors and to resolve
    /// relative paths).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        Resolver { path, text }.config(raw_config(text, path)?)
    }

    /// The directory where feed bodies and their validators are cached.
    pub fn feed_cache_dir(&self) -> PathBuf {
        self.cache_dir.join("feeds")
    }
}

/// The file as written; turned into [`Config`] by [`Resolver`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    cache_dir: Option<Spanned<String>>,
    state_file: Option<Spanned<String>>,
    request_timeout: Option<Spanned<String>>,
    max_rule_steps: Option<Spanned<i64>>,
    google: Option<Spanned<caldav::RawGoogle>>,
    #[serde(default)]
    calendar: Vec<Spanned<calendars::RawCalendar>>,
    #[serde(default)]
    me: RawMe,
    #[serde(default)]
    detect: detect::RawDetect,
    #[serde(default)]
    people: Vec<Spanned<detect::RawPerson>>,
    #[serde(default)]
    cadence: cadence::RawCadence,
    #[serde(default)]
    agenda: agenda::RawAgenda,
    #[serde(default)]
    nudges: nudges::RawNudges,
    #[serde(default)]
    daemon: daemon::RawDaemon,
    #[serde(default)]
    digest: digest::RawDigest,
    tasks: Option<tasks::RawTasks>,
}

/// `[me]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMe {
    email: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    name: Option<String>,
    time_zone: Option<Spanned<String>>,
}

/// Validates a [`RawConfig`] and resolves its paths, pointing errors at the file's text.
struct Resolver<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Resolver<'_> {
    /// The whole configuration, checked in the order of the file's sections.
    fn config(&self, raw: RawConfig) -> Result<Config, ConfigError> {
        let cache_dir = match &raw.cache_dir {
            Some(dir) => self.resolve_path(dir, "cache_dir")?,
            None => default_cache_dir().ok_or_else(|| {
                self.error(
                    0..0,
                    Some("cache_dir"),
                    "no XDG cache directory; set cache_dir",
                )
            })?,
        };
        let state_file = match &raw.state_file {
            Some(file) => self.resolve_path(file, "state_file")?,
            None => default_state_file().ok_or_else(|| {
                self.error(
                    0..0,
                    Some("state_file"),
                    "no XDG state directory; set state_file",
                )
            })?,
        };
        let google = match raw.google {
            Some(google) => Some(self.google(google)?),
            None => None,
        };
        let calendars = self.calendars(raw.calendar, google.as_ref())?;
        // One overdue rule for the report and the nudges, with days counted in one zone.
        let mut cadence = self.cadence(raw.cadence)?;
        let mut nudges = self.nudges(raw.nudges)?;
        nudges.rules.overdue_intervals = cadence.overdue_intervals;
        let zone = match &raw.me.time_zone {
            Some(name) => self.zone(name, "time_zone")?,
            None if nudges.zone != Zone::Local => nudges.zone,
            None => Zone::machine(),
        };
        let mut agenda = self.agenda(raw.agenda)?;
        (cadence.zone, nudges.zone, agenda.zone) = (zone, zone, zone);
        let tasks = match raw.tasks {
            Some(tasks) => Some(self.tasks(tasks, &calendars)?),
            None => None,
        };
        Ok(Config {
            path: self.path.to_path_buf(),
            cache_dir,
            calendars,
            me: MeConfig {
                email: raw.me.email,
                aliases: raw.me.aliases,
                name: raw.me.name,
            },
            state_file,
            detect: self.detect(raw.detect, raw.people)?,
            cadence,
            agenda,
            nudges,
            daemon: self.daemon(raw.daemon)?,
            digest: self.digest(raw.digest)?,
            tasks,
            google,
            zone,
            request_timeout: self.request_timeout(raw.request_timeout.as_ref())?,
            max_rule_steps: self.max_rule_steps(raw.max_rule_steps.as_ref())?,
        })
    }

    /// `request_timeout`: a duration of 5 s or more (default 60 s).
    fn request_timeout(
        &self,
        raw: Option<&Spanned<String>>,
    ) -> Result<std::time::Duration, ConfigError> {
        let Some(raw) = raw else {
            return Ok(crate::http::TOTAL_TIMEOUT);
        };
        let timeout = humantime::parse_duration(raw.get_ref()).map_err(|e| {
            let message = format!("not a duration such as \"60s\" or \"2m\": {e}");
            self.error(raw.span(), Some("request_timeout"), message)
        })?;
        if timeout < std::time::Duration::from_secs(5) {
            return Err(self.error(raw.span(), Some("request_timeout"), "must be at least 5s"));
        }
        Ok(timeout)
    }

    /// `max_rule_steps`: at least 1,000 (a real weekly series over decades takes a few
    /// thousand steps), default [`crate::calendar::recur::DEFAULT_MAX_STEPS`].
    fn max_rule_steps(&self, raw: Option<&Spanned<i64>>) -> Result<u64, ConfigError> {
        let Some(raw) = raw else {
            return Ok(crate::calendar::recur::DEFAULT_MAX_STEPS);
        };
        u64::try_from(*raw.get_ref())
            .ok()
            .filter(|steps| *steps >= 1_000)
            .ok_or_else(|| self.error(raw.span(), Some("max_rule_steps"), "must be at least 1000"))
    }

    /// An IANA zone name (`"Europe/Paris"`).
    fn zone(&self, raw: &Spanned<String>, key: &str) -> Result<Zone, ConfigError> {
        raw.get_ref()
            .parse::<chrono_tz::Tz>()
            .map(Zone::Named)
            .map_err(|_| {
                let message = format!(
                    "{:?} is not an IANA time zone (such as \"Europe/Paris\")",
                    raw.get_ref()
                );
                self.error(raw.span(), Some(key), message)
            })
    }

    fn resolve_path(&self, raw: &Spanned<String>, key: &str) -> Result<PathBuf, ConfigError> {
        self.expand_path(raw.get_ref(), raw.span(), key)
    }

    /// Resolves the path of a `{ file = PATH }` secret like any other path; the value is
    /// not read here (that happens when the secret is used).
    fn resolve_secret(
        &self,
        secret: Secret,
        span: Range<usize>,
        key: &str,
    ) -> Result<Secret, ConfigError> {
        match secret {
            Secret::File(path) => {
                let path = self.expand_path(&path.to_string_lossy(), span, key)?;
                Ok(Secret::File(path))
            }
            other => Ok(other),
        }
    }

    /// `~/x` is in the home directory; a relative path is in the config file's directory.
    fn expand_path(
        &self,
        text: &str,
        span: Range<usize>,
        key: &str,
    ) -> Result<PathBuf, ConfigError> {
        if text.is_empty() {
            return Err(self.error(span, Some(key), "the path is empty"));
        }
        let home_relative = text == "~" || text.starts_with("~/");
        if !home_relative {
            return Ok(self.base_dir().join(text));
        }
        let home = dirs::home_dir().ok_or_else(|| {
            self.error(
                span,
                Some(key),
                "`~` is used but no home directory is known",
            )
        })?;
        Ok(home.join(text.trim_start_matches('~').trim_start_matches('/')))
    }

    /// The config file's directory, absolute when it can be made so.
    fn base_dir(&self) -> PathBuf {
        let absolute = std::path::absolute(self.path).unwrap_or_else(|_| self.path.into());
        absolute.parent().map(Path::to_path_buf).unwrap_or_default()
    }
}

/// The file as written. A TOML syntax error has no key path; its key is the one whose value
/// it is in, if any (`key = <error>`). A key, type or value error is named by its path
/// (`serde_path_to_error`), shown as its last key as people write it: `[[calendar]]`'s
/// `nmae`, not `calendar[0].nmae`. serde reports a missing key only once its table is read,
/// so there the path (and the key shown) is the table's; the message names the missing key.
fn raw_config(text: &str, path: &Path) -> Result<RawConfig, ConfigError> {
    let at = |err: toml::de::Error, key: Option<String>| {
        let span = err.span().unwrap_or(0..0);
        let key = key.or_else(|| key_before_value(text.get(..span.start)?));
        invalid(path, text, span, key, err.message().to_string())
    };
    let document = toml::Deserializer::parse(text).map_err(|err| at(err, None))?;
    serde_path_to_error::deserialize(document).map_err(|err| {
        let key = last_key(err.path());
        at(err.into_inner(), key)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `text` as if it were `/etc/tete/config.toml`.
    pub(super) fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/etc/tete/config.toml"))
    }

    /// Line, column, key and message of an [`ConfigError::Invalid`]; panics on another error.
    pub(super) fn invalid_parts(err: ConfigError) -> (usize, usize, Option<String>, String) {
        match err {
            ConfigError::Invalid {
                line,
                column,
                key,
                message,
                ..
            } => (line, column, key, message),
            other => panic!("not Invalid: {other}"),
        }
    }
}
