//! Google OAuth2 against a wiremock token endpoint: `tete auth google` end to end (PKCE,
//! loopback redirect, token file 0600), access tokens refreshed when expired or refused,
//! and a revoked refresh token that says to run `tete auth google` again.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use reqwest::Url;
use tete::secret::SecretValue;
use tete::sources::caldav::oauth::{GoogleAuth, write_refresh_token};
use tete::sources::caldav::{Auth, CaldavSettings, CaldavSource};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const REFRESH: &str = "1//refresh-T0KEN-never-shown";

fn token_answer(access: &str, expires_in: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "access_token": access,
        "expires_in": expires_in,
        "token_type": "Bearer",
        "scope": "https://www.googleapis.com/auth/calendar",
    }))
}

fn google(token_server: &MockServer, dir: &std::path::Path) -> Arc<GoogleAuth> {
    let token_file = dir.join("google-token");
    write_refresh_token(&token_file, &SecretValue::new(REFRESH.into())).unwrap();
    Arc::new(GoogleAuth::new(
        "client-123.apps.googleusercontent.com".into(),
        Some(SecretValue::new("client-S3CRET".into())),
        token_file,
        Url::parse(&format!("{}/token", token_server.uri())).unwrap(),
    ))
}

#[tokio::test]
async fn access_tokens_are_cached_and_refreshed_before_expiry() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=1%2F%2Frefresh-T0KEN"))
        .respond_with(token_answer("at-short", 30))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(token_answer("at-long", 3600))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let auth = google(&server, dir.path());
    let http = reqwest::Client::new();
    // 30 s left is within the one-minute margin: the next call refreshes.
    assert_eq!(auth.access_token(&http).await.unwrap().expose(), "at-short");
    assert_eq!(auth.access_token(&http).await.unwrap().expose(), "at-long");
    assert_eq!(auth.access_token(&http).await.unwrap().expose(), "at-long");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_refused_access_token_is_refreshed_once() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tokens = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(token_answer("at-stale", 3600))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&tokens)
        .await;
    Mock::given(method("POST"))
        .respond_with(token_answer("at-fresh", 3600))
        .mount(&tokens)
        .await;
    // A calendar URL that accepts only the fresh token.
    let dav = MockServer::start().await;
    let calendar = r#"<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:response><d:href>/caldav/v2/me/events/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:displayname>me</d:displayname></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>"#;
    Mock::given(method("PROPFIND"))
        .and(header("authorization", "Bearer at-fresh"))
        .respond_with(ResponseTemplate::new(207).set_body_string(calendar))
        .with_priority(1)
        .mount(&dav)
        .await;
    Mock::given(method("PROPFIND"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&dav)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let source = CaldavSource::new(
        CaldavSettings {
            first_sync_days: None,
            url: Url::parse(&format!("{}/caldav/v2/me/events/", dav.uri())).unwrap(),
            calendar: None,
            sync_state: crate::sync_state(&dir.path().join("state.sqlite")),
            retry: crate::quick_retry(),
            limits: tete::sources::caldav::Limits::default(),
        },
        Auth::Google(google(&tokens, dir.path())),
    )
    .unwrap();
    let found = source.find_calendar().await.unwrap();
    assert!(found.url.path().ends_with("/events/"));
    assert_eq!(tokens.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_revoked_refresh_token_says_to_run_auth_again() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tokens = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_grant",
            "error_description": "Token has been expired or revoked."
        })))
        .mount(&tokens)
        .await;
    let dav = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let source = CaldavSource::new(
        CaldavSettings {
            first_sync_days: None,
            url: Url::parse(&format!("{}/caldav/v2/", dav.uri())).unwrap(),
            calendar: None,
            sync_state: crate::sync_state(&dir.path().join("state.sqlite")),
            retry: crate::quick_retry(),
            limits: tete::sources::caldav::Limits::default(),
        },
        Auth::Google(google(&tokens, dir.path())),
    )
    .unwrap();
    let err = source.sync().await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("run `tete auth google` again"), "{shown}");
    assert!(
        !shown.contains("T0KEN") && !shown.contains("client-S3CRET"),
        "{shown}"
    );
    // Nothing was sent to the CalDAV server without a token.
    assert!(dav.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn tete_auth_google_end_to_end() {
    let tokens = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains("code=c0de-from-google"))
        .and(body_string_contains("client_secret=client-S3CRET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "at-1",
            "expires_in": 3599,
            "refresh_token": REFRESH,
        })))
        .mount(&tokens)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("state/google-token");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[google]\nclient_id = \"client-123\"\nclient_secret = {{ env = \"TETE_TEST_GOOGLE_SECRET\" }}\n\
             token_file = \"{}\"\n\
             [[calendar]]\nname = \"g\"\ncaldav = \"https://apidata.googleusercontent.com/caldav/v2/\"\nauth = \"google\"\n",
            token_file.display()
        ),
    )
    .unwrap();
    let token_url = format!("{}/token", tokens.uri());
    let result = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tete"))
            .arg("--config")
            .arg(&config)
            .args(["auth", "google", "--no-browser", "--timeout", "30"])
            .args([
                "--auth-url",
                "https://accounts.example/auth",
                "--token-url",
                &token_url,
            ])
            .env("TETE_TEST_GOOGLE_SECRET", "client-S3CRET")
            .env_remove("TETE_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut printed = String::new();
        let consent = loop {
            let mut line = String::new();
            assert!(
                stdout.read_line(&mut line).unwrap() > 0,
                "no URL in {printed}"
            );
            printed.push_str(&line);
            if line.trim().starts_with("https://accounts.example/auth") {
                break Url::parse(line.trim()).unwrap();
            }
        };
        let query: std::collections::HashMap<String, String> =
            consent.query_pairs().into_owned().collect();
        assert_eq!(query["code_challenge_method"], "S256");
        assert_eq!(query["client_id"], "client-123");
        assert_eq!(query["access_type"], "offline");
        assert!(query["scope"].contains("auth/calendar"));
        assert_eq!(query["code_challenge"].len(), 43);
        // The browser comes back to the loopback redirect with the code.
        let redirect = format!(
            "{}?state={}&code=c0de-from-google&scope=x",
            query["redirect_uri"], query["state"]
        );
        assert!(redirect.starts_with("http://127.0.0.1:"));
        let page = reqwest::blocking_get(&redirect);
        let status = child.wait().unwrap();
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
        let mut errors = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut errors).unwrap();
        (
            status.success(),
            format!("{printed}{rest}{errors}"),
            page,
            query,
        )
    })
    .await
    .unwrap();
    let (ok, output, page, query) = result;
    assert!(ok, "{output}");
    assert!(page.contains("tete is authorized"), "{page}");
    assert!(output.contains("Authorized"), "{output}");
    assert!(
        !output.contains("T0KEN") && !output.contains("client-S3CRET"),
        "{output}"
    );
    assert_eq!(
        std::fs::read_to_string(&token_file).unwrap().trim(),
        REFRESH
    );
    crate::assert_private(&token_file);
    // PKCE: the verifier sent with the code hashes to the challenge sent to the browser.
    let exchange = &tokens.received_requests().await.unwrap()[0];
    let form: std::collections::HashMap<String, String> =
        url_form(&String::from_utf8_lossy(&exchange.body));
    use base64::Engine;
    let digest = ring::digest::digest(&ring::digest::SHA256, form["code_verifier"].as_bytes());
    assert_eq!(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest),
        query["code_challenge"]
    );
    assert_eq!(form["redirect_uri"], query["redirect_uri"]);
}

fn url_form(body: &str) -> std::collections::HashMap<String, String> {
    Url::parse(&format!("http://x/?{body}"))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// A GET from a plain thread (the test's async runtime is busy waiting on the child).
mod reqwest {
    pub use ::reqwest::*;

    pub fn blocking_get(url: &str) -> String {
        let url = url.to_string();
        std::thread::spawn(move || {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                ::reqwest::Client::builder()
                    .no_proxy()
                    .build()
                    .unwrap()
                    .get(&url)
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            })
        })
        .join()
        .unwrap()
    }
}
