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
