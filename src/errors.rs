//! Showing an error to a person: its message and every cause, once each, on one line
//! ("cannot read cal.ics: permission denied"). Library errors name only their own part in
//! their message and leave the cause to [`std::error::Error::source`], so printing the chain
//! never says a cause twice.

use std::error::Error;

/// The error and its causes, joined by ": ". A cause whose text the line already holds
/// (some foreign errors repeat their source) is not added again.
pub fn chain(err: &dyn Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read cal.ics")]
    struct Outer {
        source: std::io::Error,
    }

    #[test]
    fn each_cause_once() {
        let err = Outer {
            source: std::io::Error::other("disk on fire"),
        };
        assert_eq!(chain(&err), "cannot read cal.ics: disk on fire");
    }
}

#[cfg(test)]
mod library_errors {
    use std::io::BufRead;

    /// A reader that fails, as a disk can.
    struct Failing;

    impl std::io::Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }

    impl BufRead for Failing {
        fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
            Err(std::io::Error::other("disk on fire"))
        }
        fn consume(&mut self, _: usize) {}
    }

    #[test]
    fn a_library_error_says_its_cause_once() {
        let err = crate::calendar::Document::read(Failing, "cal.ics").unwrap_err();
        assert_eq!(super::chain(&err), "cannot read cal.ics: disk on fire");
        let err = crate::state::StateFile::open(std::path::Path::new("/proc/tete-none/s.sqlite"))
            .unwrap_err();
        let shown = super::chain(&err);
        assert_eq!(shown.matches("No such file").count(), 1, "{shown}");
    }
}

/// Every library error that carries a cause, built by hand: its own message must not
/// repeat the cause, so `chain` and anyhow's `{:#}` (which does not deduplicate) say it once.
#[cfg(test)]
mod each_cause_once {
    use std::error::Error;
    use std::path::PathBuf;

    use crate::agenda::template::TemplateError;
    use crate::agenda::write::WriteError;
    use crate::calendar::document::DocumentError;
    use crate::config::ConfigError;
    use crate::daemon::DaemonError;
    use crate::history::HistoryError;
    use crate::nudge::ChannelError;
    use crate::secret::SecretError;
    use crate::sources::SourceError;
    use crate::sources::caldav::CaldavError;
    use crate::sources::caldav::oauth::OAuthError;
    use crate::sources::caldav::store::StoreError;
    use crate::sources::caldav::xml::XmlError;
    use crate::state::StateError;

    const CAUSE: &str = "disk on fire";

    fn io() -> std::io::Error {
        std::io::Error::other(CAUSE)
    }

    fn sqlite() -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR),
            Some(CAUSE.into()),
        )
    }

    fn path() -> PathBuf {
        PathBuf::from("/tmp/state.sqlite")
    }

    fn secret() -> SecretError {
        SecretError::File {
            path: PathBuf::from("/run/pw"),
            source: io(),
        }
    }

    fn source_error() -> SourceError {
        SourceError::Read {
            path: PathBuf::from("/tmp/cal.ics"),
            source: io(),
        }
    }

    /// A reqwest error whose cause is a URL parse error (reqwest errors cannot be built
    /// otherwise).
    fn reqwest_error() -> reqwest::Error {
        let _ = rustls::crypto::ring::default_provider().install_default();
        match reqwest::Client::builder()
            .build()
            .and_then(|c| c.get("http://[::1").build())
        {
            Err(err) => err,
            Ok(_) => panic!("a URL with a broken IPv6 host was accepted"),
        }
    }

    /// No message in the chain contains its direct cause's; the innermost cause is said
    /// once by `chain` and by anyhow's alternate form.
    fn says_each_cause_once<E: Error + Send + Sync + 'static>(err: E) {
        let mut current: &dyn Error = &err;
        let mut innermost = current.to_string();
        while let Some(cause) = current.source() {
            let (outer, inner) = (current.to_string(), cause.to_string());
            assert!(
                !outer.contains(&inner),
                "{outer:?} repeats its cause {inner:?}"
            );
            innermost = inner;
            current = cause;
        }
        assert_ne!(innermost, err.to_string(), "no cause: {err:?}");
        let shown = super::chain(&err);
        assert_eq!(shown.matches(&innermost).count(), 1, "{shown}");
        let shown = format!("{:#}", anyhow::Error::new(err));
        assert_eq!(shown.matches(&innermost).count(), 1, "{shown}");
    }

    #[test]
    fn a_failed_write_leaves_naming_the_resource_to_its_request() {
        let href = "/dav/calendars/mia/work/ann.ics";
        let err = WriteError::Source {
            href: href.into(),
            source: SourceError::Caldav(CaldavError::Status {
                request: format!("PUT https://dav.example:443{href}"),
                status: reqwest::StatusCode::INTERNAL_SERVER_ERROR,
            }),
        };
        // What `run --once` prints: the resource, then why.
        let shown = format!("agenda not written to {href}: {}", super::chain(&err));
        assert_eq!(shown.matches(href).count(), 2, "{shown}");
        let edit = WriteError::Edit {
            href: href.into(),
            reason: "not iCalendar".into(),
        };
        assert!(
            !super::chain(&edit).contains(href),
            "{}",
            super::chain(&edit)
        );
    }

    #[test]
    fn the_seven_that_said_it_twice() {
        says_each_cause_once(TemplateError::Render {
            name: "default".into(),
            source: minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, CAUSE),
        });
        says_each_cause_once(WriteError::Source {
            href: "a.ics".into(),
            source: source_error(),
        });
        says_each_cause_once(DocumentError::Io {
            origin: "cal.ics".into(),
            source: io(),
        });
        says_each_cause_once(HistoryError::Sqlite {
            path: path(),
            source: sqlite(),
        });
        says_each_cause_once(ChannelError::Secret {
            what: "SMTP password",
            source: secret(),
        });
        says_each_cause_once(CaldavError::Xml {
            request: "REPORT https://dav.example:443/cal/".into(),
            source: XmlError::Malformed(CAUSE.into()),
        });
        says_each_cause_once(StoreError::Sqlite {
            path: path(),
            source: sqlite(),
        });
    }

    #[test]
    fn every_other_error_with_a_cause() {
        says_each_cause_once(StateError::Create {
            path: path(),
            source: io(),
        });
        says_each_cause_once(secret());
        says_each_cause_once(SecretError::CommandSpawn {
            command: "pass show x".into(),
            source: io(),
        });
        says_each_cause_once(ConfigError::Read {
            path: path(),
            source: io(),
        });
        says_each_cause_once(DaemonError::Lock {
            path: path(),
            source: io(),
        });
        says_each_cause_once(DaemonError::Signals(io()));
        says_each_cause_once(DaemonError::State(StateError::Sqlite {
            path: path(),
            source: sqlite(),
        }));
        says_each_cause_once(source_error());
        says_each_cause_once(SourceError::Write {
            path: path(),
            source: io(),
        });
        says_each_cause_once(SourceError::Secret(secret()));
        says_each_cause_once(SourceError::CaldavSecret {
            what: "password",
            source: secret(),
        });
        says_each_cause_once(SourceError::HttpClient(crate::http::ClientError {
            source: reqwest_error(),
        }));
        says_each_cause_once(SourceError::Request {
            feed: "https://feeds.example/…".into(),
            source: reqwest_error(),
        });
        says_each_cause_once(SourceError::Caldav(CaldavError::Secret(secret())));
        says_each_cause_once(CaldavError::Client(crate::http::ClientError {
            source: reqwest_error(),
        }));
        says_each_cause_once(CaldavError::Connection {
            request: "PROPFIND https://dav.example:443/".into(),
            attempts: 3,
            source: reqwest_error(),
        });
        says_each_cause_once(CaldavError::Store(StoreError::Sqlite {
            path: path(),
            source: sqlite(),
        }));
        says_each_cause_once(CaldavError::OAuth(OAuthError::TokenFile {
            path: path(),
            source: io(),
        }));
    }
}
