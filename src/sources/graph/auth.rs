//! Signing in to Microsoft: the OAuth2 device authorization grant (`tete auth microsoft`)
//! and access tokens from the stored refresh token.
//!
//! The flow and its answers follow
//! <https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code>: a POST to
//! `{tenant}/oauth2/v2.0/devicecode` gives a user code and a page to enter it on; tete then
//! polls `{tenant}/oauth2/v2.0/token` every `interval` seconds, waiting on
//! `authorization_pending`, slowing down by five seconds on `slow_down`, and stopping on
//! `authorization_declined`, `expired_token` or `bad_verification_code`.
//!
//! Written by hand, like Google's flow (ARCHITECTURE.md says why not the `oauth2` crate):
//! the form POST and its answer are `caldav::oauth`'s (`post_form`), and the refresh
//! token lives in a file written by the same `write_refresh_token` (0600, atomic). Microsoft
//! rotates refresh tokens: a new one in a refresh answer replaces the stored one. No token
//! ever appears in a message.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::Url;
use serde::Deserialize;

use crate::secret::SecretValue;
use crate::sources::caldav::oauth::{self, OAuthError};

/// Microsoft's sign-in host (the authority), followed by the tenant.
pub const MICROSOFT_AUTHORITY: &str = "https://login.microsoftonline.com/";
/// What tete asks for: read and write the user's calendars, and a refresh token.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/Calendars.ReadWrite offline_access";

/// Why signing in, or getting an access token, failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No refresh token stored yet.
    #[error("no Microsoft sign-in in {}: run `tete auth microsoft` first", path.display())]
    NotAuthorized {
        /// The token file.
        path: PathBuf,
    },
    /// Microsoft no longer accepts the stored sign-in.
    #[error(
        "Microsoft refused the stored sign-in ({reason}): it was revoked or has expired; run `tete auth microsoft` again"
    )]
    Revoked {
        /// The error code (`invalid_grant`, `interaction_required`).
        reason: String,
    },
    /// The token file could not be read or written.
    #[error("cannot use the token file {}", path.display())]
    TokenFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The sign-in endpoint could not be reached or answered something unusable.
    #[error("Microsoft's sign-in endpoint: {reason}")]
    Endpoint {
        /// What went wrong (never a token).
        reason: String,
    },
    /// The device-code sign-in ended without a token.
    #[error("sign-in failed: {reason}")]
    Flow {
        /// Why, and what to do.
        reason: String,
    },
}

impl From<OAuthError> for AuthError {
    fn from(err: OAuthError) -> Self {
        match err {
            OAuthError::NotAuthorized { path } => AuthError::NotAuthorized { path },
            OAuthError::TokenFile { path, source } => AuthError::TokenFile { path, source },
            OAuthError::Revoked { reason } => AuthError::Revoked { reason },
            OAuthError::Endpoint { reason } => AuthError::Endpoint { reason },
            OAuthError::Flow { reason } => AuthError::Flow { reason },
        }
    }
}

/// Where and as whom tete signs in to Microsoft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The application (client) id of the user's own app registration.
    pub client_id: String,
    /// The tenant: a directory id or domain, `common`, `organizations` or `consumers`.
    pub tenant: String,
    /// The sign-in host, `https://login.microsoftonline.com/` (a test server in tests).
    pub authority: Url,
}

impl Registration {
    fn endpoint(&self, what: &str) -> Result<Url, AuthError> {
        self.authority
            .join(&format!(
                "{}/oauth2/v2.0/{what}",
                self.tenant.trim_matches('/')
            ))
            .map_err(|e| AuthError::Endpoint {
                reason: format!("the authority URL does not take the tenant: {e}"),
            })
    }
}

/// One Microsoft account: its registration, the refresh token file and the access token
/// of the moment (shared by every calendar of the account).
pub struct MicrosoftAuth {
    /// The app registration.
    pub registration: Registration,
    /// The file holding the refresh token.
    pub token_file: PathBuf,
    cached: Mutex<Option<(SecretValue, Instant)>>,
    /// Held while refreshing: calendars of one account fetched together refresh once, and
    /// the rotated refresh token is written by one of them at a time.
    refreshing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for MicrosoftAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MicrosoftAuth")
            .field("registration", &self.registration)
            .field("token_file", &self.token_file)
            .finish_non_exhaustive()
    }
}

impl MicrosoftAuth {
    /// An account whose refresh token is (or will be) in `token_file`.
    pub fn new(registration: Registration, token_file: PathBuf) -> MicrosoftAuth {
        MicrosoftAuth {
            registration,
            token_file,
            cached: Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// A valid access token, refreshed when it expires within a minute.
    pub async fn access_token(&self, http: &reqwest::Client) -> Result<SecretValue, AuthError> {
        if let Some(token) = self.cached_token() {
            return Ok(token);
        }
        let _refreshing = self.refreshing.lock().await;
        // Another calendar may have refreshed while this one waited.
        if let Some(token) = self.cached_token() {
            return Ok(token);
        }
        let refresh = oauth::read_refresh_token(&self.token_file).map_err(|e| match e {
            OAuthError::NotAuthorized { path } => AuthError::NotAuthorized { path },
            other => other.into(),
        })?;
        let form = [
            ("grant_type", "refresh_token".to_string()),
            ("client_id", self.registration.client_id.clone()),
            ("refresh_token", refresh.expose().to_string()),
            ("scope", GRAPH_SCOPE.to_string()),
        ];
        let url = self.registration.endpoint("token")?;
        let (status, answer): (_, oauth::TokenAnswer) = oauth::post_form(http, &url, &form).await?;
        if let Some(error) = answer.error {
            // invalid_grant: revoked, expired, password changed; interaction_required:
            // the tenant now asks for something only a person can do (MFA, consent).
            return Err(
                if matches!(error.as_str(), "invalid_grant" | "interaction_required") {
                    AuthError::Revoked { reason: error }
                } else {
                    AuthError::Endpoint {
                        reason: format!("answered {status}: {error}"),
                    }
                },
            );
        }
        let token = answer.access_token.ok_or_else(|| AuthError::Endpoint {
            reason: format!("answered {status} without an access_token"),
        })?;
        if let Some(rotated) = answer.refresh_token {
            oauth::write_refresh_token(&self.token_file, &SecretValue::new(rotated))?;
        }
        let token = SecretValue::new(token);
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600));
        if let Ok(mut cached) = self.cached.lock() {
            *cached = Some((token.clone(), Instant::now() + lifetime));
        }
        Ok(token)
    }

    /// The access token of the moment, unless it expires within a minute.
    fn cached_token(&self) -> Option<SecretValue> {
        let cached = self.cached.lock().ok()?;
        let (token, expires) = cached.as_ref()?;
        (*expires > Instant::now() + Duration::from_secs(60)).then(|| token.clone())
    }

    /// Forgets the access token (Graph refused it): the next request refreshes.
    pub fn invalidate(&self) {
        if let Ok(mut cached) = self.cached.lock() {
            *cached = None;
        }
    }
}

/// What `devicecode` answers: what to show the person, and what to poll with.
#[derive(Debug, Deserialize)]
pub struct DeviceCode {
    /// Sent back while polling; never shown.
    device_code: String,
    /// The code the person types.
    pub user_code: String,
    /// The page they type it on.
    pub verification_uri: String,
    /// Seconds until the code expires (15 minutes by default).
    #[serde(default = "default_expiry")]
    pub expires_in: u64,
    /// Seconds between polls.
    #[serde(default = "default_interval")]
    pub interval: u64,
    /// Microsoft's own sentence saying what to do.
    #[serde(default)]
    pub message: Option<String>,
}

fn default_expiry() -> u64 {
    900
}

fn default_interval() -> u64 {
    5
}

/// A `devicecode` answer, success or error (`error`, `error_description`).
#[derive(Deserialize)]
struct DeviceAnswer {
    #[serde(flatten)]
    code: Option<DeviceCode>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Asks for a device code (the first step of `tete auth microsoft`).
pub async fn start_device_flow(
    http: &reqwest::Client,
    registration: &Registration,
) -> Result<DeviceCode, AuthError> {
    let url = registration.endpoint("devicecode")?;
    let form = [
        ("client_id", registration.client_id.clone()),
        ("scope", GRAPH_SCOPE.to_string()),
    ];
    let (status, answer): (_, DeviceAnswer) = oauth::post_form(http, &url, &form).await?;
    match (answer.code, answer.error) {
        (Some(code), None) if status.is_success() => Ok(code),
        (_, Some(error)) => {
            // AADSTS codes explain a misconfigured registration ("AADSTS7000218: ... must
            // contain client_assertion or client_secret" = public client flows are off).
            let first = answer
                .error_description
                .as_deref()
                .and_then(|d| d.lines().next())
                .unwrap_or_default();
            Err(AuthError::Endpoint {
                reason: format!("answered {status}: {error} {first}")
                    .trim()
                    .to_string(),
            })
        }
        _ => Err(AuthError::Endpoint {
            reason: format!("answered {status} with a body that is not a device code"),
        }),
    }
}

/// Polls the token endpoint until the person signed in (the refresh token is then
/// stored in `token_file`), declined, or the code expired.
pub async fn finish_device_flow(
    http: &reqwest::Client,
    registration: &Registration,
    code: &DeviceCode,
    token_file: &std::path::Path,
) -> Result<(), AuthError> {
    let url = registration.endpoint("token")?;
    let form = [
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:device_code".to_string(),
        ),
        ("client_id", registration.client_id.clone()),
        ("device_code", code.device_code.clone()),
    ];
    let deadline = Instant::now() + Duration::from_secs(code.expires_in);
    // At least a second between polls, whatever the answer said: a zero would poll in a
    // busy loop for the quarter of an hour the code lives.
    let mut interval = Duration::from_secs(code.interval.max(1));
    loop {
        tokio::time::sleep(interval).await;
        let (status, answer): (_, oauth::TokenAnswer) = oauth::post_form(http, &url, &form).await?;
        match answer.error.as_deref() {
            None => {
                let refresh = answer.refresh_token.ok_or_else(|| AuthError::Flow {
                    reason: "Microsoft gave no refresh token: the app registration must allow \
                             the offline_access permission"
                        .into(),
                })?;
                oauth::write_refresh_token(token_file, &SecretValue::new(refresh))?;
                return Ok(());
            }
            Some("authorization_pending") => {}
            Some("slow_down") => interval += Duration::from_secs(5),
            Some("authorization_declined" | "access_denied") => {
                return Err(AuthError::Flow {
                    reason: "the sign-in was declined".into(),
                });
            }
            Some("expired_token") => {
                return Err(AuthError::Flow {
                    reason: "the code expired before it was entered; run `tete auth microsoft` \
                             again"
                        .into(),
                });
            }
            Some("bad_verification_code") => {
                return Err(AuthError::Flow {
                    reason: "Microsoft did not recognise the device code".into(),
                });
            }
            Some(other) => {
                return Err(AuthError::Endpoint {
                    reason: format!("answered {status}: {other}"),
                });
            }
        }
        if Instant::now() > deadline {
            return Err(AuthError::Flow {
                reason: "the code expired before it was entered; run `tete auth microsoft` again"
                    .into(),
            });
        }
    }
}
