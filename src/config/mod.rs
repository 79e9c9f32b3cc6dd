//! The configuration file (TOML): where the calendars are and where tete may cache things.
//!
//! Loading is strict: an unknown key (a typo such as `calender`) or a value of the wrong type
//! is an error naming the file, line, column and key, rather than a setting silently ignored.
//! Paths may start with `~/`; relative paths are relative to the config file's directory, so
//! the daemon does not depend on the directory it was started from. See
//! `config.example.toml` for every key.

use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use serde::Deserialize;
use toml::Spanned;

use crate::cycle::Job;

mod caldav;
mod nudges;
mod secret;

pub use caldav::{default_google_token_file, default_state_file};

use crate::secret::Secret;
use crate::sources::{CalendarSpec, GoogleClient, Location};

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
    /// The Google OAuth2 client (`[google]`), when configured.
    pub google: Option<GoogleClient>,
}

/// `[daemon]`: how often the service runs a cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct DaemonConfig {
    /// Time between cycles (`interval`, default 15 minutes).
    pub interval: std::time::Duration,
    /// Up to this share of the interval is added or taken at random (`jitter`, default 0.1).
    pub jitter: f64,
    /// The longest a failing calendar waits before it is tried again (`max_backoff`,
    /// default 6 hours).
    pub max_backoff: std::time::Duration,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            interval: std::time::Duration::from_secs(15 * 60),
            jitter: 0.1,
            max_backoff: std::time::Duration::from_secs(6 * 3600),
        }
    }
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

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// There is no file at the path.
    #[error(
        "no configuration file at {} (see config.example.toml for a starting point)",
        path.display()
    )]
    NotFound {
        /// The path that was tried.
        path: PathBuf,
    },
    /// The file exists but could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not valid TOML, has an unknown key, a wrong type or an invalid value.
    #[error("{}, line {line}, column {column}{}: {message}", path.display(), key_suffix(key))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column (in characters) of the problem.
        column: usize,
        /// The key concerned, when known.
        key: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// The file has no `[[calendar]]` entry.
    #[error("{}: no [[calendar]] entry; add at least one", path.display())]
    NoCalendars {
        /// The file.
        path: PathBuf,
    },
    /// No path was given and the default location cannot be found (no home directory).
    #[error("no configuration path given and no XDG config directory found; use --config")]
    NoDefaultPath,
}

fn key_suffix(key: &Option<String>) -> String {
    key.as_ref()
        .map(|k| format!(", key `{k}`"))
        .unwrap_or_default()
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
    pub fn job(&self, now: NaiveDateTime) -> Job {
        Job {
            calendars: self.calendars.clone(),
            me: self.me.identity(),
            overrides: self.detect.clone(),
            settings: self.cadence.clone(),
            agenda: self.agenda.clone(),
            nudges: self.nudges.clone(),
            state_file: self.state_file.clone(),
            feed_cache_dir: self.feed_cache_dir(),
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
    google: Option<Spanned<caldav::RawGoogle>>,
    #[serde(default)]
    calendar: Vec<Spanned<RawCalendar>>,
    #[serde(default)]
    me: RawMe,
    #[serde(default)]
    detect: RawDetect,
    #[serde(default)]
    cadence: RawCadence,
    #[serde(default)]
    agenda: RawAgenda,
    #[serde(default)]
    nudges: nudges::RawNudges,
    #[serde(default)]
    daemon: RawDaemon,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDaemon {
    interval: Option<Spanned<String>>,
    jitter: Option<Spanned<f64>>,
    max_backoff: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAgenda {
    enabled: Option<bool>,
    write_ahead_days: Option<Spanned<i64>>,
    career_every: Option<u32>,
    template: Option<Spanned<String>>,
    #[serde(default)]
    templates: std::collections::BTreeMap<String, Spanned<String>>,
    delivery: Option<Spanned<String>>,
    private_calendar: Option<Spanned<String>>,
    /// Replaced by `delivery`: read only to say so.
    scheduling: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMe {
    email: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDetect {
    #[serde(default)]
    include_titles: Vec<Spanned<String>>,
    #[serde(default)]
    exclude_titles: Vec<Spanned<String>>,
    #[serde(default)]
    include_uids: Vec<String>,
    #[serde(default)]
    exclude_uids: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCadence {
    window_weeks: Option<Spanned<u32>>,
    min_occurrences: Option<usize>,
    slip_ratio: Option<Spanned<f64>>,
    adhoc_min: Option<usize>,
    young_days: Option<i64>,
    overdue_intervals: Option<Spanned<f64>>,
    items_pile: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    name: Spanned<String>,
    file: Option<Spanned<String>>,
    vdir: Option<Spanned<String>>,
    url: Option<Secret>,
    caldav: Option<Spanned<String>>,
    user: Option<Spanned<String>>,
    password: Option<Secret>,
    auth: Option<Spanned<String>>,
    #[serde(rename = "calendar")]
    pick: Option<Spanned<String>>,
    first_sync_days: Option<Spanned<u32>>,
}

/// Validates a [`RawConfig`] and resolves its paths, pointing errors at the file's text.
struct Resolver<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Resolver<'_> {
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
        if raw.calendar.is_empty() {
            return Err(ConfigError::NoCalendars {
                path: self.path.to_path_buf(),
            });
        }
        let mut names = HashSet::new();
        let mut calendars = Vec::with_capacity(raw.calendar.len());
        for entry in raw.calendar {
            let name = &entry.get_ref().name;
            if !names.insert(name.get_ref().clone()) {
                let message = format!("two calendars are named {:?}", name.get_ref());
                return Err(self.error(name.span(), Some("name"), message));
            }
            calendars.push(self.calendar(entry, google.as_ref())?);
        }
        // One overdue rule for the report and the nudges, with days counted in the zone
        // nudges are dated in.
        let mut cadence = self.cadence(raw.cadence)?;
        let mut nudges = self.nudges(raw.nudges)?;
        cadence.zone = nudges.zone;
        nudges.rules.overdue_intervals = cadence.overdue_intervals;
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
            detect: self.detect(raw.detect)?,
            cadence,
            agenda: self.agenda(raw.agenda)?,
            nudges,
            daemon: self.daemon(raw.daemon)?,
            google,
        })
    }

    fn detect(&self, raw: RawDetect) -> Result<crate::detect::Overrides, ConfigError> {
        let patterns = |list: Vec<Spanned<String>>, key: &str| {
            list.into_iter()
                .map(|p| {
                    regex::RegexBuilder::new(p.get_ref())
                        .case_insensitive(true)
                        .size_limit(1 << 20)
                        .build()
                        .map_err(|e| {
                            self.error(p.span(), Some(key), format!("not a valid pattern: {e}"))
                        })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(crate::detect::Overrides {
            include_titles: patterns(raw.include_titles, "include_titles")?,
            exclude_titles: patterns(raw.exclude_titles, "exclude_titles")?,
            include_uids: raw.include_uids.into_iter().collect(),
            exclude_uids: raw.exclude_uids.into_iter().collect(),
        })
    }

    fn daemon(&self, raw: RawDaemon) -> Result<DaemonConfig, ConfigError> {
        let mut d = DaemonConfig::default();
        let duration = |v: &Spanned<String>, key: &str| {
            humantime::parse_duration(v.get_ref()).map_err(|e| {
                self.error(
                    v.span(),
                    Some(key),
                    format!("not a duration such as \"15m\" or \"1h 30m\": {e}"),
                )
            })
        };
        if let Some(v) = &raw.interval {
            d.interval = duration(v, "interval")?;
            if d.interval < std::time::Duration::from_secs(1) {
                return Err(self.error(v.span(), Some("interval"), "must be at least 1s"));
            }
        }
        if let Some(v) = &raw.max_backoff {
            d.max_backoff = duration(v, "max_backoff")?;
        }
        if let Some(j) = raw.jitter {
            if !(0.0..=0.5).contains(j.get_ref()) {
                return Err(self.error(j.span(), Some("jitter"), "must be between 0 and 0.5"));
            }
            d.jitter = *j.get_ref();
        }
        Ok(d)
    }

    fn agenda(&self, raw: RawAgenda) -> Result<crate::agenda::plan::Settings, ConfigError> {
        use crate::agenda::{plan::Delivery, template};
        let mut s = crate::agenda::plan::Settings::default();
        s.enabled = raw.enabled.unwrap_or(s.enabled);
        s.career_every = raw.career_every.unwrap_or(s.career_every);
        if let Some(days) = raw.write_ahead_days {
            if !(0..=90).contains(days.get_ref()) {
                return Err(self.error(
                    days.span(),
                    Some("write_ahead_days"),
                    "must be between 0 and 90",
                ));
            }
            s.write_ahead_days = *days.get_ref();
        }
        if let Some(mode) = raw.scheduling {
            return Err(self.error(
                mode.span(),
                Some("scheduling"),
                replaced_scheduling_mode(mode.get_ref()),
            ));
        }
        if let Some(mode) = raw.delivery {
            s.delivery = match mode.get_ref().as_str() {
                "private" => Delivery::Private,
                "shared" => Delivery::Shared,
                other => {
                    let message = format!(
                        "{other:?} is not a delivery mode: use \"private\" (the agenda reaches only you) or \"shared\" (the other person's copy gets it too)"
                    );
                    return Err(self.error(mode.span(), Some("delivery"), message));
                }
            };
        }
        if let Some(name) = raw.private_calendar {
            if name.get_ref().trim().is_empty() {
                return Err(self.error(
                    name.span(),
                    Some("private_calendar"),
                    "must name a calendar (display name or path)",
                ));
            }
            s.private_calendar = name.get_ref().trim().to_string();
        }
        let check = |t: &Spanned<String>, key: &str| {
            template::validate(t.get_ref())
                .map(|()| t.get_ref().clone())
                .map_err(|e| self.error(t.span(), Some(key), crate::errors::chain(&e)))
        };
        if let Some(t) = &raw.template {
            s.template = Some(check(t, "template")?);
        }
        for (who, t) in &raw.templates {
            s.templates
                .insert(who.to_lowercase(), check(t, "templates")?);
        }
        Ok(s)
    }

    fn cadence(&self, raw: RawCadence) -> Result<crate::cadence::Settings, ConfigError> {
        let mut s = crate::cadence::Settings::default();
        if let Some(w) = raw.window_weeks {
            if *w.get_ref() == 0 {
                return Err(self.error(w.span(), Some("window_weeks"), "must be at least 1"));
            }
            s.window_weeks = *w.get_ref();
        }
        if let Some(r) = raw.slip_ratio {
            if !(0.0..=1.0).contains(r.get_ref()) {
                return Err(self.error(r.span(), Some("slip_ratio"), "must be between 0 and 1"));
            }
            s.slip_ratio = *r.get_ref();
        }
        if let Some(o) = raw.overdue_intervals {
            if *o.get_ref() < 0.0 {
                return Err(self.error(
                    o.span(),
                    Some("overdue_intervals"),
                    "must be 0 (off) or more",
                ));
            }
            s.overdue_intervals = *o.get_ref();
        }
        s.min_occurrences = raw.min_occurrences.unwrap_or(s.min_occurrences);
        s.adhoc_min = raw.adhoc_min.unwrap_or(s.adhoc_min);
        s.young_days = raw.young_days.unwrap_or(s.young_days);
        s.items_pile = raw.items_pile.unwrap_or(s.items_pile);
        Ok(s)
    }

    /// One `[[calendar]]` entry: a `name` and exactly one of `file = PATH`, `vdir = PATH`,
    /// `url = SECRET` (a feed) or `caldav = URL` (with `user`, `password`, `auth`,
    /// `calendar`, `first_sync_days`).
    fn calendar(
        &self,
        entry: Spanned<RawCalendar>,
        google: Option<&GoogleClient>,
    ) -> Result<CalendarSpec, ConfigError> {
        let span = entry.span();
        let raw = entry.into_inner();
        let name_span = raw.name.span();
        let name = raw.name.into_inner();
        if name.trim().is_empty() {
            return Err(self.error(name_span, Some("name"), "the name is empty"));
        }
        if raw.caldav.is_none() {
            let caldav_only = [
                ("user", raw.user.as_ref().map(Spanned::span)),
                ("auth", raw.auth.as_ref().map(Spanned::span)),
                ("calendar", raw.pick.as_ref().map(Spanned::span)),
                (
                    "first_sync_days",
                    raw.first_sync_days.as_ref().map(Spanned::span),
                ),
                ("password", raw.password.as_ref().map(|_| span.clone())),
            ];
            if let Some((key, Some(at))) = caldav_only.into_iter().find(|(_, s)| s.is_some()) {
                let message = format!("`{key}` is only used with `caldav`");
                return Err(self.error(at, Some(key), message));
            }
        }
        let location = match (raw.file, raw.vdir, raw.url, raw.caldav) {
            (Some(file), None, None, None) => Location::File(self.resolve_path(&file, "file")?),
            (None, Some(vdir), None, None) => Location::Vdir(self.resolve_path(&vdir, "vdir")?),
            (None, None, Some(url), None) => Location::Feed(self.resolve_secret(url, span, "url")?),
            (None, None, None, Some(url)) => {
                let caldav = caldav::RawCaldav {
                    url,
                    user: raw.user,
                    password: raw.password,
                    auth: raw.auth,
                    pick: raw.pick,
                    first_sync_days: raw.first_sync_days,
                };
                Location::Caldav(Box::new(self.caldav(caldav, span, google)?))
            }
            _ => {
                let message = format!(
                    "calendar {name:?} needs exactly one of `file`, `vdir`, `url` or `caldav`"
                );
                return Err(self.error(span, Some("calendar"), message));
            }
        };
        Ok(CalendarSpec { name, location })
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

    fn error(
        &self,
        span: Range<usize>,
        key: Option<&str>,
        message: impl Into<String>,
    ) -> ConfigError {
        invalid(
            self.path,
            self.text,
            span,
            key.map(str::to_string),
            message.into(),
        )
    }
}

fn invalid(
    path: &Path,
    text: &str,
    span: Range<usize>,
    key: Option<String>,
    message: String,
) -> ConfigError {
    let (line, column) = line_and_column(text, span.start);
    ConfigError::Invalid {
        path: path.to_path_buf(),
        line,
        column,
        key,
        message,
    }
}

/// 1-based line and column (in characters) of the byte `offset` in `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |nl| nl + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
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

/// The innermost key of a path, skipping array indices and the keys `toml::Spanned` uses
/// inside (`$__serde_spanned_private_value`).
fn last_key(path: &serde_path_to_error::Path) -> Option<String> {
    path.iter().rev().find_map(|segment| match segment {
        serde_path_to_error::Segment::Map { key } if !key.starts_with("$__") => Some(key.clone()),
        _ => None,
    })
}

/// The key of `key = ` at the end of `before`, if it ends like that.
fn key_before_value(before: &str) -> Option<String> {
    let before = before.trim_end_matches([' ', '\t']).strip_suffix('=')?;
    let before = before.trim_end_matches([' ', '\t']);
    let is_key_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    let start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_key_char(c))
        .last()
        .map(|(i, _)| i)?;
    Some(before[start..].to_string())
}

/// What to say to a config that still names the old `[agenda] scheduling` modes.
fn replaced_scheduling_mode(old: &str) -> String {
    let instead = match old {
        "server" => "delivery = \"shared\"",
        _ => "delivery = \"private\"",
    };
    format!(
        "`scheduling` is gone; write `{instead}` instead. \"silent\" marked the other person \
         SCHEDULE-AGENT=CLIENT, which some servers (Cyrus, Fastmail) answer by removing the 1:1 \
         from their calendar. `delivery = \"private\"` (the default) keeps the agenda where \
         only you see it; `delivery = \"shared\"` lets the server deliver it to them"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/etc/tete/config.toml"))
    }

    fn invalid_parts(err: ConfigError) -> (usize, usize, Option<String>, String) {
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

    #[test]
    fn line_and_column_count_characters() {
        let text = "a\nbé c\n";
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, 2), (2, 1));
        assert_eq!(line_and_column(text, 5), (2, 3));
        assert_eq!(line_and_column(text, 99), (3, 1));
    }

    #[test]
    fn key_before_value_handles_inline_tables() {
        assert_eq!(key_before_value("name = ").as_deref(), Some("name"));
        assert_eq!(key_before_value("url = { env =  ").as_deref(), Some("env"));
        assert_eq!(key_before_value("x"), None);
    }

    #[test]
    fn every_location_kind_and_relative_paths() {
        let config = parse(
            "cache_dir = \"cache\"\n\
             [[calendar]]\nname = \"a\"\nfile = \"a.ics\"\n\
             [[calendar]]\nname = \"b\"\nvdir = \"/v\"\n\
             [[calendar]]\nname = \"c\"\nurl = { file = \"secret\" }\n",
        )
        .unwrap();
        assert_eq!(config.cache_dir, Path::new("/etc/tete/cache"));
        assert_eq!(config.feed_cache_dir(), Path::new("/etc/tete/cache/feeds"));
        let locations: Vec<_> = config.calendars.iter().map(|c| &c.location).collect();
        assert_eq!(
            locations,
            [
                &Location::File("/etc/tete/a.ics".into()),
                &Location::Vdir("/v".into()),
                &Location::Feed(Secret::File("/etc/tete/secret".into())),
            ]
        );
    }

    #[test]
    fn tilde_is_the_home_directory() {
        let Some(home) = dirs::home_dir() else { return };
        let config = parse(
            "[[calendar]]\nname = \"a\"\nvdir = \"~/cal\"\n\
             [[calendar]]\nname = \"b\"\nurl = { file = \"~/.config/feed\" }\n",
        )
        .unwrap();
        assert_eq!(
            config.calendars[0].location,
            Location::Vdir(home.join("cal"))
        );
        assert_eq!(
            config.calendars[1].location,
            Location::Feed(Secret::File(home.join(".config/feed")))
        );
    }

    #[test]
    fn two_locations_is_an_error_at_the_entry() {
        let err = parse("[[calendar]]\nname = \"a\"\nfile = \"x\"\nvdir = \"y\"\n").unwrap_err();
        let (line, _, key, message) = invalid_parts(err);
        assert!(line <= 2, "line {line}");
        assert_eq!(key.as_deref(), Some("calendar"));
        assert!(message.contains("exactly one"), "{message}");
    }

    #[test]
    fn no_location_is_an_error() {
        let err = parse("[[calendar]]\nname = \"a\"\n").unwrap_err();
        assert!(err.to_string().contains("exactly one"), "{err}");
    }

    #[test]
    fn duplicate_names_are_an_error() {
        let text =
            "[[calendar]]\nname = \"a\"\nfile = \"x\"\n[[calendar]]\nname = \"a\"\nfile = \"y\"\n";
        assert!(
            parse(text)
                .unwrap_err()
                .to_string()
                .contains("two calendars")
        );
    }

    #[test]
    fn no_calendar_is_an_error() {
        assert!(matches!(
            parse("cache_dir = \"/c\"\n"),
            Err(ConfigError::NoCalendars { .. })
        ));
    }

    #[test]
    fn wrong_type_names_key_line_and_column() {
        let err = parse("[[calendar]]\nname = 5\nfile = \"x\"\n").unwrap_err();
        let (line, column, key, message) = invalid_parts(err);
        assert_eq!((line, column, key.as_deref()), (2, 8, Some("name")));
        assert!(message.contains("expected a string"), "{message}");
    }

    /// The key comes from the path serde walked, not from the text before the value: a
    /// wrong value inside a list or an inline table is named too, and a missing key is
    /// named by its table (serde says which key only in the message).
    #[test]
    fn keys_come_from_the_path() {
        let cal = "[[calendar]]\nname = \"a\"\nfile = \"a.ics\"\n";
        for (text, want) in [
            (
                format!("{cal}[detect]\nexclude_titles = [1]\n"),
                (5, 19, "exclude_titles"),
            ),
            (
                format!("{cal}[agenda]\ntemplates = {{ \"a@b\" = 3 }}\n"),
                (5, 23, "a@b"),
            ),
            (format!("{cal}cache_dir = nope\n"), (4, 13, "cache_dir")),
            (
                "[[calendar]]\nurl = { evn = \"X\" }\n".to_string(),
                (2, 9, "evn"),
            ),
            (
                "[[calendar]]\nfile = \"a.ics\"\n".to_string(),
                (1, 1, "calendar"),
            ),
        ] {
            let (line, column, key, message) = invalid_parts(parse(&text).unwrap_err());
            assert_eq!(
                (line, column, key.as_deref()),
                (want.0, want.1, Some(want.2)),
                "{message}"
            );
        }
    }

    #[test]
    fn syntax_error_has_a_position() {
        let err = parse("[[calendar]]\nname = \"a\nfile = \"x\"\n").unwrap_err();
        let (line, ..) = invalid_parts(err);
        assert_eq!(line, 2);
    }
}
