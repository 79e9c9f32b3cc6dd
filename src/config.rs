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

use serde::Deserialize;
use toml::Spanned;

mod caldav;
mod secret;

pub use caldav::{
    CaldavAuth, CaldavLocation, GoogleConfig, default_google_token_file, default_state_file,
};

pub use secret::{Secret, SecretError, SecretValue};

/// A loaded, validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The file it was loaded from.
    pub path: PathBuf,
    /// Where tete keeps cached data (`cache_dir`, default `$XDG_CACHE_HOME/tete`).
    pub cache_dir: PathBuf,
    /// The calendars, in the order of the file.
    pub calendars: Vec<CalendarConfig>,
    /// The SQLite state file (`state_file`, default `$XDG_STATE_HOME/tete/state.sqlite`).
    pub state_file: PathBuf,
    /// The Google OAuth2 client (`[google]`), when configured.
    pub google: Option<GoogleConfig>,
}

/// One `[[calendar]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarConfig {
    /// The name the person gave it; unique in the file.
    pub name: String,
    /// Where its events are.
    pub location: Location,
}

/// Where a calendar's events are: exactly one of the `file`, `vdir`, `url` keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// One `.ics` file (`file = PATH`).
    File(PathBuf),
    /// A folder with one `.ics` file per event, as vdirsyncer keeps them (`vdir = PATH`).
    Vdir(PathBuf),
    /// An iCalendar feed over HTTP(S) (`url = ...`). The URL is a secret: feed URLs usually
    /// carry an access token.
    Feed(Secret),
    /// A calendar on a CalDAV server (`caldav = URL`, with `user`, `password`, `auth`,
    /// `calendar`).
    Caldav(Box<CaldavLocation>),
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
        let raw: RawConfig = toml::from_str(text).map_err(|err| {
            let span = err.span().unwrap_or(0..0);
            let key = key_of_error(text, &span, err.message());
            invalid(path, text, span, key, err.message().to_string())
        })?;
        Resolver { path, text }.config(raw)
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
            calendars.push(self.calendar(entry, &state_file, google.as_ref())?);
        }
        Ok(Config {
            path: self.path.to_path_buf(),
            cache_dir,
            calendars,
            state_file,
            google,
        })
    }

    fn calendar(
        &self,
        entry: Spanned<RawCalendar>,
        state_file: &Path,
        google: Option<&GoogleConfig>,
    ) -> Result<CalendarConfig, ConfigError> {
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
                Location::Caldav(Box::new(self.caldav(caldav, span, state_file, google)?))
            }
            _ => {
                let message = format!(
                    "calendar {name:?} needs exactly one of `file`, `vdir`, `url` or `caldav`"
                );
                return Err(self.error(span, Some("calendar"), message));
            }
        };
        Ok(CalendarConfig { name, location })
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

/// The key a TOML error is about. serde names it in its messages for unknown and missing
/// keys; for a wrong type the error's span covers the value, so the key is what precedes the
/// `=` before it (toml keeps its key path private).
fn key_of_error(text: &str, span: &Range<usize>, message: &str) -> Option<String> {
    const NAMING: &[&str] = &[
        "unknown field `",
        "unknown variant `",
        "missing field `",
        "duplicate field `",
    ];
    if let Some(rest) = NAMING.iter().find_map(|p| message.strip_prefix(p)) {
        return rest.split('`').next().map(str::to_string);
    }
    key_before_value(text.get(..span.start)?)
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

    #[test]
    fn syntax_error_has_a_position() {
        let err = parse("[[calendar]]\nname = \"a\nfile = \"x\"\n").unwrap_err();
        let (line, ..) = invalid_parts(err);
        assert_eq!(line, 2);
    }
}
