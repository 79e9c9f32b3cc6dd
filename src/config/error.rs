//! Why a configuration cannot be loaded ([`ConfigError`]), and where: a byte span of the
//! file turned into line, column and the key concerned (the path serde walked, or the key
//! whose value a syntax error is in).

use std::ops::Range;
use std::path::{Path, PathBuf};

use super::Resolver;

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

impl Resolver<'_> {
    /// A [`ConfigError::Invalid`] at `span` of this file.
    pub(super) fn error(
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

/// A [`ConfigError::Invalid`] at `span` of `text`, the content of the file at `path`.
pub(super) fn invalid(
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

/// The innermost key of a path, skipping array indices and the keys `toml::Spanned` uses
/// inside (`$__serde_spanned_private_value`).
pub(super) fn last_key(path: &serde_path_to_error::Path) -> Option<String> {
    path.iter().rev().find_map(|segment| match segment {
        serde_path_to_error::Segment::Map { key } if !key.starts_with("$__") => Some(key.clone()),
        _ => None,
    })
}

/// The key of `key = ` at the end of `before`, if it ends like that.
pub(super) fn key_before_value(before: &str) -> Option<String> {
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
    use crate::config::tests::{invalid_parts, parse};

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
