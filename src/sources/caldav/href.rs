//! Hrefs as stored: percent-decoded paths resolved against the answering URL, and the
//! REPORT method.

use reqwest::{Method, Url};

use super::discovery::percent_decode;

/// The `REPORT` method (not one of `reqwest`'s constants).
pub(super) fn report_method() -> Method {
    Method::from_bytes(b"REPORT").unwrap_or(Method::GET)
}

/// An href as stored: the percent-decoded path, resolved against the answering URL.
pub(super) fn normalize_href(base: &Url, raw: &str) -> String {
    match base.join(raw.trim()) {
        Ok(url) => percent_decode(url.path()),
        Err(_) => percent_decode(raw.trim()),
    }
}

/// Whether an href (stored form) and a URL path name the same collection, trailing `/` aside.
pub(super) fn same_path(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == percent_decode(b).trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrefs_are_normalized_paths() {
        let base = Url::parse("https://h.example/dav/cal/").unwrap();
        assert_eq!(
            normalize_href(&base, "/dav/cal/a%40b.ics"),
            "/dav/cal/a@b.ics"
        );
        assert_eq!(normalize_href(&base, "a.ics"), "/dav/cal/a.ics");
        assert_eq!(
            normalize_href(&base, "https://h.example/dav/cal/x.ics"),
            "/dav/cal/x.ics"
        );
        assert!(same_path("/dav/cal", "/dav/cal/"));
    }
}
