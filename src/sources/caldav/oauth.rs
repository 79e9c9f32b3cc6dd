//! OAuth2 for Google's CalDAV endpoint: access tokens from a stored refresh token.
//!
//! `tete auth google` (see [`crate::cli`]) runs the authorization-code flow with PKCE and a
//! loopback redirect and stores the refresh token in a file created `0600`. Here that token
//! is exchanged for short-lived access tokens, refreshed a minute before they expire or when
//! the server answers 401. A revoked or expired refresh token (`invalid_grant`) gives a
//! message saying to run `tete auth google` again. No token ever appears in a message.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::Url;
use serde::Deserialize;

use crate::secret::SecretValue;

/// Google's authorization endpoint.
pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
/// Google's token endpoint.
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// The scope CalDAV needs.
pub const GOOGLE_CALENDAR_SCOPE: &str = "https://www.googleapis.com/auth/calendar";

/// Why no access token could be had.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// There is no refresh token yet.
    #[error(
        "no Google refresh token in {}: run `tete auth google` first",
        path.display()
    )]
    NotAuthorized {
        /// The refresh token file.
        path: PathBuf,
    },
    /// The refresh token file could not be read or written.
    #[error("cannot use the token file {}", path.display())]
    TokenFile {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Google no longer accepts the refresh token (revoked, expired, password changed).
    #[error(
        "Google refused the stored authorization ({reason}): it was revoked or has expired; run `tete auth google` again"
    )]
    Revoked {
        /// Google's error code, e.g. `invalid_grant`.
        reason: String,
    },
    /// The token endpoint could not be reached or answered something unusable.
    #[error("Google's token endpoint: {reason}")]
    Endpoint {
        /// What went wrong (never a token).
        reason: String,
    },
    /// The authorization flow failed (`tete auth google`).
    #[error("authorization failed: {reason}")]
    Flow {
        /// What went wrong.
        reason: String,
    },
}

/// The OAuth2 client and the stored refresh token for one Google account.
pub struct GoogleAuth {
    /// The OAuth client ID (a "desktop app" client of the user's Google Cloud project).
    pub client_id: String,
    /// The client secret (Google gives desktop clients one, which is not really secret).
    pub client_secret: Option<SecretValue>,
    /// The file holding the refresh token.
    pub token_file: PathBuf,
    /// The token endpoint (Google's, or a test server).
    pub token_url: Url,
    cached: Mutex<Option<(SecretValue, Instant)>>,
}

impl std::fmt::Debug for GoogleAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleAuth")
            .field("client_id", &self.client_id)
            .field("token_file", &self.token_file)
            .finish_non_exhaustive()
    }
}

/// A token endpoint's JSON answer (RFC 6749 5.1 and 5.2), as every provider sends it.
#[derive(Deserialize)]
pub(crate) struct TokenAnswer {
    /// The access token, on success.
    pub access_token: Option<String>,
    /// Its lifetime in seconds.
    pub expires_in: Option<u64>,
    /// A refresh token: the first one, or a rotated one (Microsoft rotates them).
    pub refresh_token: Option<String>,
    /// The error code, on failure (`invalid_grant`, `authorization_pending`, ...).
    pub error: Option<String>,
}

/// Tokens from an authorization-code exchange.
pub struct Tokens {
    /// The refresh token, to store.
    pub refresh_token: SecretValue,
    /// The access token, usable right away.
    pub access_token: SecretValue,
}

impl GoogleAuth {
    /// An account whose refresh token is (or will be) in `token_file`.
    pub fn new(
        client_id: String,
        client_secret: Option<SecretValue>,
        token_file: PathBuf,
        token_url: Url,
    ) -> GoogleAuth {
        GoogleAuth {
            client_id,
            client_secret,
            token_file,
            token_url,
            cached: Mutex::new(None),
        }
    }

    /// A valid access token, refreshed when it expires within a minute.
    pub async fn access_token(&self, http: &reqwest::Client) -> Result<SecretValue, OAuthError> {
        if let Ok(cached) = self.cached.lock()
            && let Some((token, expires)) = cached.as_ref()
            && *expires > Instant::now() + Duration::from_secs(60)
        {
            return Ok(token.clone());
        }
        let refresh = read_refresh_token(&self.token_file)?;
        let mut form = vec![
            ("grant_type", "refresh_token".to_string()),
            ("refresh_token", refresh.expose().to_string()),
            ("client_id", self.client_id.clone()),
        ];
        if let Some(secret) = &self.client_secret {
            form.push(("client_secret", secret.expose().to_string()));
        }
        let answer = post_token(http, &self.token_url, &form).await?;
        let token = answer.access_token.ok_or_else(|| OAuthError::Endpoint {
            reason: "the answer has no access_token".into(),
        })?;
        let token = SecretValue::new(token);
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600));
        if let Ok(mut cached) = self.cached.lock() {
            *cached = Some((token.clone(), Instant::now() + lifetime));
        }
        Ok(token)
    }

    /// Drops the cached access token (the server refused it): the next request refreshes.
    pub async fn invalidate(&self, _http: &reqwest::Client) {
        if let Ok(mut cached) = self.cached.lock() {
            *cached = None;
        }
    }
}

async fn post_token(
    http: &reqwest::Client,
    url: &Url,
    form: &[(&str, String)],
) -> Result<TokenAnswer, OAuthError> {
    let (status, answer): (_, TokenAnswer) = post_form(http, url, form).await?;
    if let Some(error) = &answer.error {
        // RFC 6749 5.2: invalid_grant = the refresh token (or code) is invalid, expired or
        // revoked; unauthorized_client likewise needs a new authorization.
        if matches!(error.as_str(), "invalid_grant" | "unauthorized_client") {
            return Err(OAuthError::Revoked {
                reason: error.clone(),
            });
        }
        return Err(OAuthError::Endpoint {
            reason: format!("answered {status}: {error}"),
        });
    }
    if !status.is_success() {
        return Err(OAuthError::Endpoint {
            reason: format!("answered {status}"),
        });
    }
    Ok(answer)
}

/// POSTs a form to a token endpoint and reads its JSON answer, error or not: the caller
/// decides what an error code means (a device-code poll waits on `authorization_pending`).
/// Fails only when the endpoint cannot be reached or its body is not JSON of type `T`
/// ([`TokenAnswer`], or a device-code answer).
pub(crate) async fn post_form<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &Url,
    form: &[(&str, String)],
) -> Result<(reqwest::StatusCode, T), OAuthError> {
    let body = form
        .iter()
        .map(|(k, v)| format!("{k}={}", form_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let response = http
        .post(url.clone())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|err| OAuthError::Endpoint {
            reason: err.without_url().to_string(),
        })?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(|err| OAuthError::Endpoint {
        reason: err.without_url().to_string(),
    })?;
    let answer: T = serde_json::from_slice(&bytes).map_err(|_| OAuthError::Endpoint {
        reason: format!("answered {status} with a body that is not a token answer"),
    })?;
    Ok((status, answer))
}

/// Exchanges an authorization code (with its PKCE verifier) for tokens.
pub async fn exchange_code(
    http: &reqwest::Client,
    token_url: &Url,
    client_id: &str,
    client_secret: Option<&SecretValue>,
    code: &str,
    verifier: &str,
    redirect_uri: &str,
) -> Result<Tokens, OAuthError> {
    let mut form = vec![
        ("grant_type", "authorization_code".to_string()),
        ("code", code.to_string()),
        ("code_verifier", verifier.to_string()),
        ("redirect_uri", redirect_uri.to_string()),
        ("client_id", client_id.to_string()),
    ];
    if let Some(secret) = client_secret {
        form.push(("client_secret", secret.expose().to_string()));
    }
    let answer = post_token(http, token_url, &form).await?;
    match (answer.refresh_token, answer.access_token) {
        (Some(refresh), Some(access)) => Ok(Tokens {
            refresh_token: SecretValue::new(refresh),
            access_token: SecretValue::new(access),
        }),
        _ => Err(OAuthError::Flow {
            reason: "Google gave no refresh token (revoke tete's access in your Google account and try again)".into(),
        }),
    }
}

/// Reads the refresh token file.
pub fn read_refresh_token(path: &Path) -> Result<SecretValue, OAuthError> {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => Ok(SecretValue::new(text.trim().to_string())),
        Ok(_) => Err(OAuthError::NotAuthorized {
            path: path.to_path_buf(),
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Err(OAuthError::NotAuthorized {
            path: path.to_path_buf(),
        }),
        Err(source) => Err(OAuthError::TokenFile {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Writes the refresh token to a file created `0600` (replacing any older one atomically).
pub fn write_refresh_token(path: &Path, token: &SecretValue) -> Result<(), OAuthError> {
    let err = |source| OAuthError::TokenFile {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp).map_err(err)?;
        file.write_all(token.expose().as_bytes()).map_err(err)?;
        file.write_all(b"\n").map_err(err)?;
        file.sync_all().map_err(err)?;
    }
    std::fs::rename(&tmp, path).map_err(err)
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_token_file_is_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("google/token");
        write_refresh_token(&path, &SecretValue::new("1//r3fresh".into())).unwrap();
        assert_eq!(read_refresh_token(&path).unwrap().expose(), "1//r3fresh");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let missing = read_refresh_token(&dir.path().join("none")).unwrap_err();
        assert!(missing.to_string().contains("tete auth google"));
    }

    #[test]
    fn form_encoding() {
        assert_eq!(form_encode("a b/c=d&e~"), "a%20b%2Fc%3Dd%26e~");
    }
}

/// One authorization attempt: the URL to open and what is needed to finish it.
#[derive(Debug)]
pub struct AuthorizationRequest {
    /// The consent page URL, to open in a browser.
    pub url: Url,
    /// The loopback redirect URI registered in the request.
    pub redirect_uri: String,
    /// The PKCE code verifier (RFC 7636), kept until the code is exchanged.
    pub verifier: String,
    /// The anti-forgery `state` value the answer must carry back.
    pub state: String,
}

/// Builds the authorization-code request with PKCE (S256) for a loopback redirect on `port`.
pub fn authorization_request(
    auth_url: &Url,
    client_id: &str,
    port: u16,
) -> Result<AuthorizationRequest, OAuthError> {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let verifier = engine.encode(random_bytes::<32>()?);
    let state = engine.encode(random_bytes::<16>()?);
    let challenge = engine.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ));
    let redirect_uri = format!("http://127.0.0.1:{port}/");
    let mut url = auth_url.clone();
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", GOOGLE_CALENDAR_SCOPE)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", &state)
        // A refresh token, every time (Google gives one only with offline access and,
        // for an account that already consented, only with a new consent).
        .append_pair("access_type", "offline")
        .append_pair("prompt", "consent");
    Ok(AuthorizationRequest {
        url,
        redirect_uri,
        verifier,
        state,
    })
}

fn random_bytes<const N: usize>() -> Result<[u8; N], OAuthError> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; N];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| OAuthError::Flow {
            reason: "the system's random number generator failed".into(),
        })?;
    Ok(bytes)
}

/// Waits for the browser to come back to the loopback listener with the authorization
/// code, answers it with a short page, and returns the code. Checks `state`.
pub fn wait_for_code(
    listener: &std::net::TcpListener,
    expected_state: &str,
    timeout: Duration,
) -> Result<String, OAuthError> {
    use std::io::{BufRead, BufReader, Write};
    let flow = |reason: &str| OAuthError::Flow {
        reason: reason.to_string(),
    };
    let deadline = Instant::now() + timeout;
    listener
        .set_nonblocking(true)
        .map_err(|_| flow("cannot wait on the loopback port"))?;
    loop {
        let (stream, _) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() > deadline {
                    return Err(flow(
                        "no answer from the browser in time; run `tete auth google` again",
                    ));
                }
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            Err(_) => return Err(flow("the loopback connection failed")),
        };
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let mut reader = BufReader::new(&stream);
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).is_err() {
            continue;
        }
        // GET /?state=...&code=... HTTP/1.1
        let target = request_line.split_whitespace().nth(1).unwrap_or("/");
        let Ok(url) = Url::parse(&format!("http://127.0.0.1{target}")) else {
            continue;
        };
        let params: std::collections::HashMap<String, String> =
            url.query_pairs().into_owned().collect();
        if params.is_empty() {
            // A browser's favicon request or similar.
            let _ = (&stream).write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            continue;
        }
        let (status, page, outcome) =
            if params.get("state").map(String::as_str) != Some(expected_state) {
                (
                    "400 Bad Request",
                    "This answer does not belong to the running `tete auth google`.",
                    Err(flow(
                        "the answer's state does not match (a stale or forged redirect)",
                    )),
                )
            } else if let Some(error) = params.get("error") {
                let reason = format!("Google answered {error}");
                (
                    "200 OK",
                    "tete was not authorized. You can close this tab.",
                    Err(OAuthError::Flow { reason }),
                )
            } else if let Some(code) = params.get("code") {
                (
                    "200 OK",
                    "tete is authorized. You can close this tab and go back to the terminal.",
                    Ok(code.clone()),
                )
            } else {
                (
                    "400 Bad Request",
                    "No authorization code in this answer.",
                    Err(flow("the answer has no code")),
                )
            };
        let body = format!("<!doctype html><meta charset=utf-8><title>tete</title><p>{page}</p>");
        let _ = (&stream).write_all(
            format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        );
        return outcome;
    }
}
