//! `graph = { ... }` in a `[[calendar]]`: a Microsoft 365 / Outlook.com calendar through
//! Microsoft Graph.

use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;
use crate::sources::GraphLocation;
use crate::sources::graph::auth::MICROSOFT_AUTHORITY;
use crate::sources::graph::client::GRAPH_ROOT;

/// `graph = { ... }` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGraph {
    client_id: Spanned<String>,
    tenant: Option<Spanned<String>>,
    calendar: Option<Spanned<String>>,
    token_file: Option<Spanned<String>>,
    past_days: Option<Spanned<u32>>,
    future_days: Option<Spanned<u32>>,
    api: Option<Spanned<String>>,
    authority: Option<Spanned<String>>,
}

/// `$XDG_STATE_HOME/tete/microsoft-refresh-token`.
pub fn default_microsoft_token_file() -> Option<std::path::PathBuf> {
    super::caldav::default_state_dir().map(|dir| dir.join("microsoft-refresh-token"))
}

/// Longest calendar view Graph serves: "The range between the start and end dates is
/// greater than the allowed range. Maximum number of days: 1825"
/// (microsoftgraph/microsoft-graph-docs-contrib#6321).
const MAX_DAYS: u32 = crate::sources::graph::MAX_WINDOW_DAYS;

impl super::Resolver<'_> {
    /// The `graph` table of a `[[calendar]]` (at `span` in the file).
    pub(super) fn graph(
        &self,
        raw: RawGraph,
        span: std::ops::Range<usize>,
    ) -> Result<GraphLocation, ConfigError> {
        let client_id = raw.client_id.get_ref().trim().to_string();
        if client_id.is_empty() {
            return Err(self.error(
                raw.client_id.span(),
                Some("client_id"),
                "empty: give the application (client) id of your app registration",
            ));
        }
        let token_file = match &raw.token_file {
            Some(file) => self.resolve_path(file, "token_file")?,
            None => default_microsoft_token_file().ok_or_else(|| {
                self.error(
                    span.clone(),
                    Some("token_file"),
                    "no XDG state directory; set token_file",
                )
            })?,
        };
        let days = |raw: &Option<Spanned<u32>>, key: &str| -> Result<u32, ConfigError> {
            match raw {
                None => Ok(365),
                Some(days) if (1..=MAX_DAYS).contains(days.get_ref()) => Ok(*days.get_ref()),
                Some(days) => Err(self.error(
                    days.span(),
                    Some(key),
                    format!("must be between 1 and {MAX_DAYS} days"),
                )),
            }
        };
        let url = |raw: &Option<Spanned<String>>, key: &str, default: &str| {
            let Some(raw) = raw else {
                return Ok(default.to_string());
            };
            let mut text = raw.get_ref().trim().to_string();
            if !text.ends_with('/') {
                text.push('/');
            }
            match reqwest::Url::parse(&text) {
                Ok(url) if matches!(url.scheme(), "https" | "http") => Ok(text),
                _ => Err(self.error(raw.span(), Some(key), "not an http(s) URL")),
            }
        };
        let (past_days, future_days) = (
            days(&raw.past_days, "past_days")?,
            days(&raw.future_days, "future_days")?,
        );
        if past_days + future_days > MAX_DAYS {
            let at = raw
                .future_days
                .as_ref()
                .or(raw.past_days.as_ref())
                .map_or(span, Spanned::span);
            return Err(self.error(
                at,
                Some("future_days"),
                format!(
                    "past_days + future_days is {}: Graph's calendar view spans at most {MAX_DAYS} days",
                    past_days + future_days
                ),
            ));
        }
        Ok(GraphLocation {
            client_id,
            tenant: raw.tenant.map_or_else(
                || "common".to_string(),
                |t| t.into_inner().trim().to_string(),
            ),
            calendar: raw
                .calendar
                .map(|c| c.into_inner().trim().to_string())
                .filter(|c| !c.is_empty()),
            token_file,
            past_days,
            future_days,
            api: url(&raw.api, "api", GRAPH_ROOT)?,
            authority: url(&raw.authority, "authority", MICROSOFT_AUTHORITY)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::tests::{invalid_parts, parse};
    use crate::sources::Location;

    #[test]
    fn a_graph_calendar_with_defaults() {
        let config = parse(
            "[[calendar]]\nname = \"work\"\ngraph = { client_id = \"11111111-2222\", token_file = \"/t\" }\n",
        )
        .unwrap();
        let Location::Graph(graph) = &config.calendars[0].location else {
            panic!("not graph");
        };
        assert_eq!(graph.tenant, "common");
        assert_eq!(graph.calendar, None);
        assert_eq!(graph.api, "https://graph.microsoft.com/v1.0/");
        assert_eq!(graph.past_days, 365);
    }

    #[test]
    fn typos_and_bad_values_are_named() {
        let err = parse(
            "[[calendar]]\nname = \"work\"\ngraph = { client_id = \"x\", tenatn = \"common\" }\n",
        )
        .unwrap_err();
        let (line, _, _, message) = invalid_parts(err);
        assert_eq!(line, 3);
        assert!(message.contains("tenatn"), "{message}");
        let err =
            parse("[[calendar]]\nname = \"work\"\ngraph = { client_id = \"x\", past_days = 0 }\n")
                .unwrap_err();
        let (_, _, key, _) = invalid_parts(err);
        assert_eq!(key.as_deref(), Some("past_days"));
        let err = parse(
            "[[calendar]]\nname = \"work\"\ngraph = { client_id = \"x\", past_days = 1000, future_days = 1000 }\n",
        )
        .unwrap_err();
        let (_, _, key, message) = invalid_parts(err);
        assert_eq!(key.as_deref(), Some("future_days"));
        assert!(message.contains("1825"), "{message}");
    }
}
