//! `[[calendar]]` entries: a unique name and exactly one location (a file, a vdir, a feed
//! URL or a CalDAV account, whose keys [`super::caldav`] reads).

use std::collections::HashSet;

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, Resolver, caldav};
use crate::secret::Secret;
use crate::sources::{CalendarSpec, GoogleClient, Location};

/// A `[[calendar]]` entry as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCalendar {
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
    max_response_mib: Option<Spanned<u64>>,
    max_resource_mib: Option<Spanned<u64>>,
    graph: Option<super::graph::RawGraph>,
}

impl Resolver<'_> {
    /// Every `[[calendar]]` entry, in the order of the file: at least one, each name once.
    pub(super) fn calendars(
        &self,
        entries: Vec<Spanned<RawCalendar>>,
        google: Option<&GoogleClient>,
    ) -> Result<Vec<CalendarSpec>, ConfigError> {
        if entries.is_empty() {
            return Err(ConfigError::NoCalendars {
                path: self.path.to_path_buf(),
            });
        }
        let mut names = HashSet::new();
        let mut calendars = Vec::with_capacity(entries.len());
        for entry in entries {
            let name = &entry.get_ref().name;
            if !names.insert(name.get_ref().clone()) {
                let message = format!("two calendars are named {:?}", name.get_ref());
                return Err(self.error(name.span(), Some("name"), message));
            }
            calendars.push(self.calendar(entry, google)?);
        }
        Ok(calendars)
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
                (
                    "max_response_mib",
                    raw.max_response_mib.as_ref().map(Spanned::span),
                ),
                (
                    "max_resource_mib",
                    raw.max_resource_mib.as_ref().map(Spanned::span),
                ),
            ];
            if let Some((key, Some(at))) = caldav_only.into_iter().find(|(_, s)| s.is_some()) {
                let message = format!("`{key}` is only used with `caldav`");
                return Err(self.error(at, Some(key), message));
            }
        }
        if let Some(graph) = raw.graph {
            if raw.file.is_some() || raw.vdir.is_some() || raw.url.is_some() || raw.caldav.is_some()
            {
                let message = format!(
                    "calendar {name:?} needs exactly one of `file`, `vdir`, `url`, `caldav` or `graph`"
                );
                return Err(self.error(span, Some("graph"), message));
            }
            let location = Location::Graph(Box::new(self.graph(graph, span)?));
            return Ok(CalendarSpec { name, location });
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
                    max_response_mib: raw.max_response_mib,
                    max_resource_mib: raw.max_resource_mib,
                };
                Location::Caldav(Box::new(self.caldav(caldav, span, google)?))
            }
            _ => {
                let message = format!(
                    "calendar {name:?} needs exactly one of `file`, `vdir`, `url`, `caldav` or `graph`"
                );
                return Err(self.error(span, Some("calendar"), message));
            }
        };
        Ok(CalendarSpec { name, location })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::tests::{invalid_parts, parse};

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
}
