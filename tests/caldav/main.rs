//! CalDAV end to end: real Radicale and Xandikos servers started by the harness, and
//! wiremock for what a real server will not do (errors, timeouts, truncated XML, 429,
//! OAuth2's token endpoint).

// Test code: a panic (unwrap, expect) is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod agenda;
mod bench;
mod daemon;
mod demo;
mod engines;
mod faults;
mod graph;
mod graph_fake;
mod harness;
mod oauth;
mod scheduling;
mod servers;
#[path = "../support/state_rows.rs"]
mod state_rows;
#[path = "../support/daemon.rs"]
mod support;
mod tasks;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use harness::DavServer;
use reqwest::{Method, Url};
use tete::http::RetryPolicy;
use tete::secret::SecretValue;
use tete::sources::caldav::{Auth, CaldavSettings, CaldavSource};

/// Panics unless `path` is readable and writable by its owner only (a token file).
pub fn assert_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", path.display());
    }
}

/// Fast retries and short timeouts, so fault tests take milliseconds.
pub fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
    }
}

/// The CalDAV sync state in the state file at `path`.
pub fn sync_state(path: &Path) -> Option<tete::sources::caldav::SharedSyncState> {
    Some(tete::state::StateFile::open(path).unwrap().caldav_sync())
}

/// A source for a calendar on `server`, starting discovery at its root.
pub fn source(server: &DavServer, calendar: Option<&str>, state_file: &Path) -> CaldavSource {
    CaldavSource::new(
        CaldavSettings {
            first_sync_days: None,
            url: Url::parse(&server.url).unwrap(),
            calendar: calendar.map(str::to_string),
            sync_state: crate::sync_state(state_file),
            retry: RetryPolicy {
                request_timeout: Duration::from_secs(30),
                ..quick_retry()
            },
            limits: tete::sources::caldav::Limits::default(),
        },
        Auth::Basic {
            user: server.user.clone(),
            password: SecretValue::new(server.password.clone()),
        },
    )
    .unwrap()
}

/// Raw requests, as another client would make them.
pub struct Raw {
    http: reqwest::Client,
    user: String,
    password: String,
}

impl Raw {
    pub fn new(server: &DavServer) -> Raw {
        Raw::as_user(&server.user, &server.password)
    }

    /// Requests as this account.
    pub fn as_user(user: &str, password: &str) -> Raw {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Raw {
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            user: user.to_string(),
            password: password.to_string(),
        }
    }

    /// The `.ics` members of a collection (PROPFIND, Depth 1), as absolute paths.
    pub async fn members(&self, collection: &str) -> Vec<String> {
        let body =
            r#"<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>"#;
        let (status, _, text) = self
            .request(
                "PROPFIND",
                collection,
                &[("depth", "1"), ("content-type", "application/xml")],
                Some(body.to_string()),
            )
            .await;
        if status != 207 {
            return Vec::new();
        }
        text.split("href>")
            .filter_map(|part| part.split('<').next())
            .map(str::trim)
            .filter(|href| href.ends_with(".ics"))
            .map(str::to_string)
            .collect()
    }

    pub async fn request(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> (u16, Option<String>, String) {
        let mut request = self
            .http
            .request(Method::from_bytes(method.as_bytes()).unwrap(), url)
            .basic_auth(&self.user, Some(&self.password));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let etag = response
            .headers()
            .get("etag")
            .map(|v| v.to_str().unwrap().to_string());
        (status, etag, response.text().await.unwrap())
    }

    /// Creates a calendar collection `name` in the home, with a display name.
    pub async fn mkcalendar(&self, server: &DavServer, name: &str, display: &str) -> String {
        let url = format!("{}{}{name}/", server.url.trim_end_matches('/'), server.home);
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>{display}</D:displayname><C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"#
        );
        let (status, _, text) = self
            .request(
                "MKCALENDAR",
                &url,
                &[("content-type", "application/xml")],
                Some(body),
            )
            .await;
        assert_eq!(status, 201, "MKCALENDAR {url}: {text}");
        url
    }

    /// PUTs an event (unconditionally); returns its etag.
    pub async fn put(&self, url: &str, body: &str) -> Option<String> {
        let (status, etag, text) = self
            .request(
                "PUT",
                url,
                &[("content-type", "text/calendar; charset=utf-8")],
                Some(body.to_string()),
            )
            .await;
        assert!((200..300).contains(&status), "PUT {url}: {status} {text}");
        etag
    }

    /// The `DAV` header of an `OPTIONS` answer: the features a server advertises.
    pub async fn dav_features(&self, url: &str) -> String {
        let response = self
            .http
            .request(Method::OPTIONS, url)
            .basic_auth(&self.user, Some(&self.password))
            .send()
            .await
            .unwrap();
        response
            .headers()
            .get_all("dav")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub async fn delete(&self, url: &str) {
        let (status, _, text) = self.request("DELETE", url, &[], None).await;
        assert!(
            (200..300).contains(&status),
            "DELETE {url}: {status} {text}"
        );
    }

    pub async fn get(&self, url: &str) -> String {
        let (status, _, text) = self.request("GET", url, &[], None).await;
        assert_eq!(status, 200, "GET {url}");
        text
    }
}

/// One event as a calendar resource.
pub fn event(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tete tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T103000Z\r\nRRULE:FREQ=WEEKLY\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// A config file in `dir` naming one CalDAV calendar (`calendar`, by display name) on
/// `server`, the state file `dir/state.sqlite`, me as mia@example.com, and `extra` TOML
/// appended (say an `[agenda]` table).
pub fn caldav_config(dir: &Path, server: &DavServer, calendar: &str, extra: &str) -> PathBuf {
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "cache_dir = \"{cache}\"\nstate_file = \"{state}\"\n[me]\nemail = \"mia@example.com\"\n\
             [[calendar]]\nname = \"server\"\ncaldav = \"{url}\"\ncalendar = \"{calendar}\"\n\
             user = \"{user}\"\npassword = \"{password}\"\n{extra}",
            cache = dir.join("cache").display(),
            state = dir.join("state.sqlite").display(),
            url = server.url,
            user = server.user,
            password = server.password,
        ),
    )
    .unwrap();
    config
}

/// Runs the built `tete` with these arguments (and no `TETE_CONFIG` from outside); panics
/// with its stderr when it fails.
pub fn tete_ok(args: &[&std::ffi::OsStr]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_tete"))
        .args(args)
        .env_remove("TETE_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tete {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `tete --config CONFIG run --once --now NOW`; returns stdout.
pub fn run_once(config: &Path, now: &str) -> String {
    run_once_with(config, now, &[])
}

/// `tete --config CONFIG run --once --dry-run --now NOW`; returns stdout (the diff).
pub fn dry_run(config: &Path, now: &str) -> String {
    run_once_with(config, now, &["--dry-run"])
}

fn run_once_with(config: &Path, now: &str, extra: &[&str]) -> String {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "--config".as_ref(),
        config.as_os_str(),
        "run".as_ref(),
        "--once".as_ref(),
        "--now".as_ref(),
        now.as_ref(),
    ];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    String::from_utf8(tete_ok(&args).stdout).unwrap()
}
