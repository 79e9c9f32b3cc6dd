//! The CalDAV parts of the configuration: a `[[calendar]]` with `caldav = URL`, the
//! top-level `state_file`, and the `[google]` OAuth2 client.

use std::ops::Range;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;
use crate::secret::Secret;
use crate::sources::caldav::Limits;
use crate::sources::{CaldavAuth, CaldavLocation, GoogleClient};

/// `[google]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGoogle {
    pub client_id: Spanned<String>,
    pub client_secret: Option<Secret>,
    pub token_file: Option<Spanned<String>>,
}

/// `$XDG_STATE_HOME/tete` (or the platform's local data directory).
pub fn default_state_dir() -> Option<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|dir| dir.join("tete"))
}

/// `$XDG_STATE_HOME/tete/state.sqlite`.
pub fn default_state_file() -> Option<PathBuf> {
    default_state_dir().map(|dir| dir.join("state.sqlite"))
}

/// `$XDG_STATE_HOME/tete/google-refresh-token`.
pub fn default_google_token_file() -> Option<PathBuf> {
    default_state_dir().map(|dir| dir.join("google-refresh-token"))
}

/// The CalDAV keys of a `[[calendar]]` as written.
pub(super) struct RawCaldav {
    pub url: Spanned<String>,
    pub user: Option<Spanned<String>>,
    pub password: Option<Secret>,
    pub auth: Option<Spanned<String>>,
    pub pick: Option<Spanned<String>>,
    pub first_sync_days: Option<Spanned<u32>>,
    pub max_response_mib: Option<Spanned<u64>>,
    pub max_resource_mib: Option<Spanned<u64>>,
}

impl super::Resolver<'_> {
    /// The CalDAV keys of a `[[calendar]]` entry (at `entry_span` in the file).
    pub(super) fn caldav(
        &self,
        raw: RawCaldav,
        entry_span: Range<usize>,
        google: Option<&GoogleClient>,
    ) -> Result<CaldavLocation, ConfigError> {
        self.check_caldav_url(&raw.url)?;
        let defaults = Limits::default();
        let limits = Limits {
            max_response: self
                .mebibytes(raw.max_response_mib, "max_response_mib")?
                .unwrap_or(defaults.max_response),
            max_resource: self
                .mebibytes(raw.max_resource_mib, "max_resource_mib")?
                .unwrap_or(defaults.max_resource),
        };
        let auth = self.caldav_auth(raw.auth, raw.user, raw.password, entry_span, google)?;
        Ok(CaldavLocation {
            url: raw.url.get_ref().trim().to_string(),
            auth,
            calendar: raw.pick.map(Spanned::into_inner),
            first_sync_days: raw.first_sync_days.map(Spanned::into_inner),
            limits,
        })
    }

    /// A size in MiB, at least 1 and at most 4096, as bytes.
    fn mebibytes(&self, raw: Option<Spanned<u64>>, key: &str) -> Result<Option<u64>, ConfigError> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        if !(1..=4096).contains(raw.get_ref()) {
            return Err(self.error(raw.span(), Some(key), "must be between 1 and 4096 (MiB)"));
        }
        Ok(Some(*raw.get_ref() << 20))
    }

    /// `caldav = URL`: http or https, without credentials in it.
    fn check_caldav_url(&self, url: &Spanned<String>) -> Result<(), ConfigError> {
        match reqwest::Url::parse(url.get_ref().trim()) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {
                if !parsed.username().is_empty() || parsed.password().is_some() {
                    return Err(self.error(
                        url.span(),
                        Some("caldav"),
                        "put the user name in `user` and the password in `password`, not in the URL",
                    ));
                }
                Ok(())
            }
            _ => Err(self.error(
                url.span(),
                Some("caldav"),
                "expected an http:// or https:// URL",
            )),
        }
    }

    /// `auth` with `user` and `password`: Basic (the default when both are given), Google
    /// or none.
    fn caldav_auth(
        &self,
        auth: Option<Spanned<String>>,
        user: Option<Spanned<String>>,
        password: Option<Secret>,
        entry_span: Range<usize>,
        google: Option<&GoogleClient>,
    ) -> Result<CaldavAuth, ConfigError> {
        let auth_span = auth.as_ref().map(Spanned::span);
        let auth_kind = auth.as_ref().map(|a| a.get_ref().as_str());
        Ok(match (auth_kind, user, password) {
            (Some("google"), user, password) => {
                self.google_auth(user, password.is_some(), auth_span, entry_span, google)?
            }
            (Some("none"), None, None) => CaldavAuth::None,
            (Some("basic") | None, Some(user), Some(password)) => CaldavAuth::Basic {
                user: user.into_inner(),
                password: self.resolve_secret(password, entry_span, "password")?,
            },
            (None, None, None) => CaldavAuth::None,
            (Some("basic") | None, _, _) => {
                return Err(self.error(
                    entry_span,
                    Some("user"),
                    "Basic auth needs both `user` and `password`",
                ));
            }
            (Some("none"), _, _) => {
                return Err(self.error(
                    entry_span,
                    Some("auth"),
                    "auth = \"none\" takes no `user` or `password`",
                ));
            }
            (Some(other), _, _) => {
                let message =
                    format!("unknown auth {other:?}; expected \"basic\", \"google\" or \"none\"");
                return Err(self.error(auth_span.unwrap_or(entry_span), Some("auth"), message));
            }
        })
    }

    /// `auth = "google"`: no `user` or `password`, and a `[google]` client to use.
    fn google_auth(
        &self,
        user: Option<Spanned<String>>,
        has_password: bool,
        auth_span: Option<Range<usize>>,
        entry_span: Range<usize>,
        google: Option<&GoogleClient>,
    ) -> Result<CaldavAuth, ConfigError> {
        if let Some(user) = user {
            return Err(self.error(user.span(), Some("user"), "not used with auth = \"google\""));
        }
        if has_password {
            return Err(self.error(
                entry_span,
                Some("password"),
                "not used with auth = \"google\"",
            ));
        }
        let Some(google) = google else {
            return Err(self.error(
                auth_span.unwrap_or(entry_span),
                Some("auth"),
                "auth = \"google\" needs a [google] table with your OAuth client_id",
            ));
        };
        Ok(CaldavAuth::Google(google.clone()))
    }

    pub(super) fn google(&self, raw: Spanned<RawGoogle>) -> Result<GoogleClient, ConfigError> {
        let span = raw.span();
        let raw = raw.into_inner();
        let token_file = match &raw.token_file {
            Some(file) => self.resolve_path(file, "token_file")?,
            None => default_google_token_file().ok_or_else(|| {
                self.error(
                    span.clone(),
                    Some("token_file"),
                    "no XDG state directory; set token_file",
                )
            })?,
        };
        let client_secret = match raw.client_secret {
            Some(secret) => Some(self.resolve_secret(secret, span, "client_secret")?),
            None => None,
        };
        Ok(GoogleClient {
            client_id: raw.client_id.into_inner(),
            client_secret,
            token_file,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::parse;
    use crate::sources::Location;
    use std::path::Path;

    #[test]
    fn answer_limits_are_set_in_mebibytes_and_checked() {
        let caldav = |extra: &str| {
            parse(&format!(
                "[[calendar]]\nname = \"work\"\ncaldav = \"https://dav.example/\"\n{extra}"
            ))
        };
        let config = caldav("max_response_mib = 8\nmax_resource_mib = 2\n").unwrap();
        let Location::Caldav(location) = &config.calendars[0].location else {
            panic!("not caldav")
        };
        assert_eq!(
            (location.limits.max_response, location.limits.max_resource),
            (8 << 20, 2 << 20)
        );
        let config = caldav("").unwrap();
        let Location::Caldav(location) = &config.calendars[0].location else {
            panic!("not caldav")
        };
        assert_eq!(location.limits, Limits::default());
        let (_, _, key, message) =
            crate::config::tests::invalid_parts(caldav("max_resource_mib = 0\n").unwrap_err());
        assert_eq!(key.as_deref(), Some("max_resource_mib"));
        assert!(message.contains("between 1 and 4096"), "{message}");
    }

    #[test]
    fn caldav_with_basic_auth_and_state_file() {
        let config = parse(
            "state_file = \"state/tete.sqlite\"\n\
             [[calendar]]\nname = \"work\"\ncaldav = \"https://caldav.fastmail.com/dav/\"\n\
             user = \"me@fastmail.com\"\npassword = { file = \"pw\" }\ncalendar = \"Work\"\n\
             first_sync_days = 400\n",
        )
        .unwrap();
        assert_eq!(config.state_file, Path::new("/etc/tete/state/tete.sqlite"));
        let Location::Caldav(caldav) = &config.calendars[0].location else {
            panic!("not caldav")
        };
        assert_eq!(caldav.url, "https://caldav.fastmail.com/dav/");
        assert_eq!(caldav.calendar.as_deref(), Some("Work"));
        assert_eq!(caldav.first_sync_days, Some(400));
        assert_eq!(
            caldav.auth,
            CaldavAuth::Basic {
                user: "me@fastmail.com".into(),
                password: Secret::File("/etc/tete/pw".into())
            }
        );
    }

    #[test]
    fn caldav_with_google() {
        let config = parse(
            "[google]\nclient_id = \"123.apps.googleusercontent.com\"\nclient_secret = { env = \"G\" }\n\
             token_file = \"/var/lib/tete/google\"\n\
             [[calendar]]\nname = \"g\"\ncaldav = \"https://apidata.googleusercontent.com/caldav/v2/\"\nauth = \"google\"\n",
        )
        .unwrap();
        let Location::Caldav(caldav) = &config.calendars[0].location else {
            panic!("not caldav")
        };
        let CaldavAuth::Google(google) = &caldav.auth else {
            panic!("not google")
        };
        assert_eq!(google.token_file, Path::new("/var/lib/tete/google"));
        assert_eq!(google.client_secret, Some(Secret::Env("G".into())));
    }

    #[test]
    fn caldav_mistakes_are_named() {
        let cases = [
            ("caldav = \"ftp://x/\"", "http"),
            ("caldav = \"https://me:pw@x/\"", "not in the URL"),
            (
                "caldav = \"https://x/\"\nuser = \"me\"",
                "both `user` and `password`",
            ),
            ("caldav = \"https://x/\"\nauth = \"google\"", "[google]"),
            (
                "caldav = \"https://x/\"\nauth = \"kerberos\"",
                "unknown auth",
            ),
            ("file = \"x.ics\"\nuser = \"me\"", "only used with `caldav`"),
        ];
        for (body, expected) in cases {
            let err = parse(&format!("[[calendar]]\nname = \"a\"\n{body}\n")).unwrap_err();
            assert!(err.to_string().contains(expected), "{body}: {err}");
            assert!(!err.to_string().contains(":pw@"), "{err}");
        }
    }
}
