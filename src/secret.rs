//! Secrets: feed URLs, CalDAV and SMTP passwords, OAuth client secrets and tokens.
//!
//! A secret is given either inline or as a pointer to where it lives (an environment
//! variable, a file, a password-manager command, a systemd credential), so that a config file
//! can be shared or committed without its secrets. The configuration reads that TOML form
//! into a [`Secret`]; whoever needs the value resolves it when it is needed. Neither
//! [`Secret`] nor [`SecretValue`] ever shows the value in `Debug` or `Display`, and no
//! [`SecretError`] contains it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where a secret value comes from. Resolve it with [`Secret::resolve`] when it is needed.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// The value itself, written in the config file.
    Plain(String),
    /// An environment variable holding the value.
    Env(String),
    /// A file holding the value (surrounding whitespace is trimmed).
    File(PathBuf),
    /// A shell command (run with `sh -c`) printing the value on stdout, e.g. `pass show x`.
    Command(String),
    /// A systemd credential: the file `$CREDENTIALS_DIRECTORY/<name>`.
    Credential(String),
}

/// A resolved secret value. It is only reachable through [`SecretValue::expose`], so that
/// printing or logging it by mistake shows `<redacted>` instead.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

/// Why a secret could not be resolved. Never contains the value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The environment variable is not set.
    #[error("environment variable {var} is not set")]
    EnvMissing {
        /// The variable's name.
        var: String,
    },
    /// The environment variable is set but is not valid UTF-8.
    #[error("environment variable {var} is not valid UTF-8")]
    EnvNotUnicode {
        /// The variable's name.
        var: String,
    },
    /// The secret file (or credential file) could not be read.
    #[error("cannot read secret file {}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The secret command could not be started.
    #[error("cannot run secret command `{command}`")]
    CommandSpawn {
        /// The command line.
        command: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The secret command exited unsuccessfully (its stderr went to ours).
    #[error("secret command `{command}` failed ({status})")]
    CommandFailed {
        /// The command line.
        command: String,
        /// How it exited.
        status: std::process::ExitStatus,
    },
    /// `$CREDENTIALS_DIRECTORY` is not set: tete was not started by systemd with credentials.
    #[error(
        "systemd credential {name}: $CREDENTIALS_DIRECTORY is not set (use LoadCredential= in the unit)"
    )]
    NoCredentialsDirectory {
        /// The credential's name.
        name: String,
    },
    /// A credential name must be a plain file name.
    #[error("systemd credential name {name:?} must be a plain file name")]
    InvalidCredentialName {
        /// The credential's name.
        name: String,
    },
    /// The value is not valid UTF-8.
    #[error("the secret from {origin} is not valid UTF-8")]
    NotUtf8 {
        /// Where the secret comes from (see [`Secret`]'s `Display`), never the value.
        origin: String,
    },
    /// The value is empty.
    #[error("the secret from {origin} is empty")]
    Empty {
        /// Where the secret comes from (see [`Secret`]'s `Display`), never the value.
        origin: String,
    },
}

impl Secret {
    /// Fetches the value. Runs the command or reads the file each time it is called.
    pub fn resolve(&self) -> Result<SecretValue, SecretError> {
        let value = match self {
            Secret::Plain(value) => value.clone(),
            Secret::Env(var) => read_env(var)?,
            Secret::File(path) => self.decode(read_file(path)?)?,
            Secret::Command(command) => self.decode(run_command(command)?)?,
            Secret::Credential(name) => self.decode(read_file(&credential_path(name)?)?)?,
        };
        let value = match self {
            Secret::Plain(_) => value,
            // Files and command outputs end with a newline more often than not.
            _ => value.trim().to_string(),
        };
        if value.is_empty() {
            return Err(SecretError::Empty {
                origin: self.to_string(),
            });
        }
        Ok(SecretValue(value))
    }

    fn decode(&self, bytes: Vec<u8>) -> Result<String, SecretError> {
        String::from_utf8(bytes).map_err(|_| SecretError::NotUtf8 {
            origin: self.to_string(),
        })
    }
}

fn read_env(var: &str) -> Result<String, SecretError> {
    match std::env::var(var) {
        Ok(value) => Ok(value),
        Err(std::env::VarError::NotPresent) => Err(SecretError::EnvMissing {
            var: var.to_string(),
        }),
        Err(std::env::VarError::NotUnicode(_)) => Err(SecretError::EnvNotUnicode {
            var: var.to_string(),
        }),
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, SecretError> {
    std::fs::read(path).map_err(|source| SecretError::File {
        path: path.to_path_buf(),
        source,
    })
}

fn run_command(command: &str) -> Result<Vec<u8>, SecretError> {
    // stderr is inherited so that a password manager's own message reaches the person.
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::inherit())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|source| SecretError::CommandSpawn {
            command: command.to_string(),
            source,
        })?;
    if !output.status.success() {
        return Err(SecretError::CommandFailed {
            command: command.to_string(),
            status: output.status,
        });
    }
    Ok(output.stdout)
}

fn credential_path(name: &str) -> Result<PathBuf, SecretError> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(SecretError::InvalidCredentialName {
            name: name.to_string(),
        });
    }
    let dir = std::env::var_os("CREDENTIALS_DIRECTORY").ok_or_else(|| {
        SecretError::NoCredentialsDirectory {
            name: name.to_string(),
        }
    })?;
    Ok(PathBuf::from(dir).join(name))
}

impl SecretValue {
    /// Wraps a value obtained elsewhere (an OAuth2 token) so it is never shown by mistake.
    pub fn new(value: String) -> SecretValue {
        SecretValue(value)
    }

    /// The value itself. Do not log it, print it or put it in an error.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

/// Describes where the secret comes from, never its value.
impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Plain(_) => f.write_str("the config file (inline value)"),
            Secret::Env(var) => write!(f, "environment variable {var}"),
            Secret::File(path) => write!(f, "file {}", path.display()),
            Secret::Command(command) => write!(f, "command `{command}`"),
            Secret::Credential(name) => write!(f, "systemd credential {name}"),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Plain(_) => f.write_str("Secret::Plain(<redacted>)"),
            Secret::Env(var) => write!(f, "Secret::Env({var:?})"),
            Secret::File(path) => write!(f, "Secret::File({path:?})"),
            Secret::Command(command) => write!(f, "Secret::Command({command:?})"),
            Secret::Credential(name) => write!(f, "Secret::Credential({name:?})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "https://cal.example/private-TOKEN123/basic.ics";

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Secret::Plain(VALUE.to_string());
        assert!(!format!("{secret:?}").contains("TOKEN123"));
        assert!(!secret.to_string().contains("TOKEN123"));
        let value = secret.resolve().unwrap();
        assert_eq!(value.expose(), VALUE);
        assert!(!format!("{value:?}").contains("TOKEN123"));
    }

    #[test]
    fn command_output_is_trimmed() {
        let secret = Secret::Command(format!("printf '  {VALUE}\\n'"));
        assert_eq!(secret.resolve().unwrap().expose(), VALUE);
    }

    #[test]
    fn failing_command_error_names_command_not_output() {
        // The printed value (42TOKEN) does not appear in the command line itself.
        let secret = Secret::Command("echo $((6 * 7))TOKEN; exit 3".to_string());
        let err = secret.resolve().unwrap_err();
        assert!(matches!(err, SecretError::CommandFailed { .. }));
        let shown = err.to_string();
        assert!(
            shown.contains("exit 3") && !shown.contains("42TOKEN"),
            "{shown}"
        );
    }

    #[test]
    fn empty_command_output_is_an_error() {
        let err = Secret::Command("true".into()).resolve().unwrap_err();
        assert!(matches!(err, SecretError::Empty { .. }), "{err}");
    }

    #[test]
    fn file_secret_is_read_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("url"), format!("{VALUE}\n")).unwrap();
        let secret = Secret::File(dir.path().join("url"));
        assert_eq!(secret.resolve().unwrap().expose(), VALUE);
    }

    #[test]
    fn missing_file_error_names_the_file() {
        let err = Secret::File("/nonexistent/tete-secret".into())
            .resolve()
            .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/tete-secret"));
    }

    #[test]
    fn missing_env_var_is_named() {
        let err = Secret::Env("TETE_TEST_SURELY_UNSET_VAR".into())
            .resolve()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable TETE_TEST_SURELY_UNSET_VAR is not set"
        );
    }

    #[test]
    fn credential_name_must_be_plain() {
        let err = Secret::Credential("../etc/passwd".into())
            .resolve()
            .unwrap_err();
        assert!(matches!(err, SecretError::InvalidCredentialName { .. }));
    }
}
