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

/// One `[[people]]` entry as written: one person under several addresses.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPerson {
    addresses: Vec<Spanned<String>>,
    name: Option<String>,
}

impl Resolver<'_> {
    /// `[detect]`: title patterns compiled (case-insensitive, size-limited), UIDs as given.
    pub(super) fn detect(
        &self,
        raw: RawDetect,
        people: Vec<Spanned<RawPerson>>,
    ) -> Result<crate::detect::Overrides, ConfigError> {
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
            people: self.people(people)?,
        })
    }

    /// `[[people]]`: each at least two addresses, each address in one entry only.
    fn people(
        &self,
        raw: Vec<Spanned<RawPerson>>,
    ) -> Result<Vec<crate::detect::SamePerson>, ConfigError> {
        let mut seen = std::collections::HashSet::new();
        let mut people = Vec::with_capacity(raw.len());
        for entry in raw {
            let span = entry.span();
            let entry = entry.into_inner();
            if entry.addresses.len() < 2 {
                return Err(self.error(
                    span,
                    Some("addresses"),
                    "list at least two addresses of the same person",
                ));
            }
            let mut addresses = Vec::with_capacity(entry.addresses.len());
            for address in entry.addresses {
                let normalized = address
                    .get_ref()
                    .trim()
                    .trim_start_matches("mailto:")
                    .to_lowercase();
                if !normalized.contains('@') {
                    let message = format!("{:?} is not an email address", address.get_ref());
                    return Err(self.error(address.span(), Some("addresses"), message));
                }
                if !seen.insert(normalized.clone()) {
                    let message = format!("{normalized} is listed for two people");
                    return Err(self.error(address.span(), Some("addresses"), message));
                }
                addresses.push(normalized);
            }
            people.push(crate::detect::SamePerson {
                addresses,
                name: entry.name,
            });
        }
        Ok(people)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::tests::invalid_parts;
    use crate::config::{Config, ConfigError};

    fn parse(people: &str) -> Result<Config, ConfigError> {
        crate::config::tests::parse(&format!(
            "[[calendar]]\nname = \"work\"\nfile = \"work.ics\"\n{people}"
        ))
    }

    #[test]
    fn people_under_several_addresses() {
        let config = parse(
            "[[people]]\naddresses = [\"Ann@Corp.example\", \"mailto:annie@mail.example\"]\n\
             name = \"Ann Okafor\"\n",
        )
        .unwrap();
        let ann = &config.detect.people[0];
        assert_eq!(ann.addresses, ["ann@corp.example", "annie@mail.example"]);
        assert_eq!(ann.name.as_deref(), Some("Ann Okafor"));
        let (_, _, key, message) =
            invalid_parts(parse("[[people]]\naddresses = [\"ann@corp.example\"]\n").unwrap_err());
        assert_eq!(key.as_deref(), Some("addresses"));
        assert!(message.contains("at least two"), "{message}");
        let twice = "[[people]]\naddresses = [\"a@x.example\", \"b@x.example\"]\n\
                     [[people]]\naddresses = [\"b@x.example\", \"c@x.example\"]\n";
        let (_, _, _, message) = invalid_parts(parse(twice).unwrap_err());
        assert!(message.contains("listed for two people"), "{message}");
    }
}
