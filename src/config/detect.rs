//! `[detect]`: 1:1 detection overrides (title patterns, UIDs).

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, Resolver};

/// `[detect]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDetect {
    #[serde(default)]
    include_titles: Vec<Spanned<String>>,
    #[serde(default)]
    exclude_titles: Vec<Spanned<String>>,
    #[serde(default)]
    include_uids: Vec<String>,
    #[serde(default)]
    exclude_uids: Vec<String>,
}

impl Resolver<'_> {
    /// `[detect]`: title patterns compiled (case-insensitive, size-limited), UIDs as given.
    pub(super) fn detect(&self, raw: RawDetect) -> Result<crate::detect::Overrides, ConfigError> {
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
}
