//! The TOML form of a secret: a plain string (the value itself) or a one-key table naming
//! where the value lives. What a [`Secret`] is and how it is resolved is [`crate::secret`]'s.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::secret::Secret;

/// The table form: exactly one of `env`, `file`, `command`, `credential`.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum SecretTable {
    Env(String),
    File(PathBuf),
    Command(String),
    Credential(String),
}

/// Accepts a plain string or a one-key table. Written by hand rather than with
/// `#[serde(untagged)]`, whose only error is "data did not match any variant": this way a
/// typo such as `{ evn = "X" }` is reported as an unknown variant naming the accepted keys.
impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecretVisitor)
    }
}

struct SecretVisitor;

impl<'de> Visitor<'de> for SecretVisitor {
    type Value = Secret;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a table with one of `env`, `file`, `command`, `credential`")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Secret, E> {
        Ok(Secret::Plain(value.to_string()))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Secret, A::Error> {
        let table = SecretTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(match table {
            SecretTable::Env(var) => Secret::Env(var),
            SecretTable::File(path) => Secret::File(path),
            SecretTable::Command(command) => Secret::Command(command),
            SecretTable::Credential(name) => Secret::Credential(name),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Holder {
        url: Secret,
    }

    fn parse(text: &str) -> Result<Secret, toml::de::Error> {
        toml::from_str::<Holder>(text).map(|h| h.url)
    }

    #[test]
    fn deserializes_every_form() {
        assert_eq!(parse("url = \"x\"").unwrap(), Secret::Plain("x".into()));
        assert_eq!(
            parse("url = { env = \"V\" }").unwrap(),
            Secret::Env("V".into())
        );
        assert_eq!(
            parse("url = { file = \"f\" }").unwrap(),
            Secret::File("f".into())
        );
        assert_eq!(
            parse("url = { command = \"pass show x\" }").unwrap(),
            Secret::Command("pass show x".into())
        );
        assert_eq!(
            parse("url = { credential = \"c\" }").unwrap(),
            Secret::Credential("c".into())
        );
    }

    #[test]
    fn table_typo_names_accepted_keys() {
        let err = parse("url = { evn = \"V\" }").unwrap_err();
        assert!(err.message().contains("evn"), "{}", err.message());
        assert!(err.message().contains("`env`"), "{}", err.message());
    }
}
