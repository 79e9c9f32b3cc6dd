//! Where nudges go besides the journal: a desktop notification over D-Bus (freedesktop
//! Notifications), an email over SMTP, a JSON POST to a Slack / Mattermost incoming webhook.
//!
//! Each channel sends one nudge at a time and reports a typed error; [`super::deliver`]
//! decides what a failure means (log it, try again next cycle). Errors never contain a
//! secret: the SMTP password and the webhook URL (its path is the token) are never shown.

use std::collections::HashMap;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::Nudge;
use crate::http::HttpClient;
use crate::secret::{Secret, SecretError, SecretValue};

/// How long one channel may take to send one nudge: a hung server must not hold the cycle.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// The channels configured besides the journal (which is always on).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Channels {
    /// `[nudges.desktop]`: on unless `enabled = false`.
    pub desktop: Option<DesktopChannel>,
    /// `[nudges.email]`, when present.
    pub email: Option<EmailChannel>,
    /// `[nudges.webhook]`, when present.
    pub webhook: Option<WebhookChannel>,
}

/// Why a channel could not send a nudge. Never contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// There is no D-Bus session bus to reach (a system service, a headless machine).
    #[error("no D-Bus session bus: {0}")]
    NoSessionBus(String),
    /// The bus has no notification server (a session without a desktop).
    #[error("no desktop notification server on the bus: {0}")]
    NoNotificationServer(String),
    /// The notification server refused or failed.
    #[error("desktop notification failed: {0}")]
    Desktop(String),
    /// A secret (the SMTP password, the webhook URL) could not be read.
    #[error("{what}")]
    Secret {
        /// Which secret.
        what: &'static str,
        /// Why (never the value).
        source: SecretError,
    },
    /// The email could not be built or sent.
    #[error("email through {server}: {message}")]
    Email {
        /// The SMTP server (host and port).
        server: String,
        /// What went wrong (the password is never in it).
        message: String,
    },
    /// The webhook could not be reached or answered with an error.
    #[error("webhook at {host}: {message}")]
    Webhook {
        /// The webhook's host (its path carries the token and is never shown).
        host: String,
        /// What went wrong.
        message: String,
    },
}

/// Desktop notifications through `org.freedesktop.Notifications` on the session bus.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesktopChannel {
    /// A D-Bus address to use instead of the session bus (`bus`); by default the session
    /// bus of `$DBUS_SESSION_BUS_ADDRESS` (or `$XDG_RUNTIME_DIR/bus`).
    pub bus: Option<String>,
}

impl DesktopChannel {
    /// Connects to the bus. A missing bus is [`ChannelError::NoSessionBus`]: the caller logs
    /// that desktop notifications were skipped.
    pub async fn connect(&self) -> Result<zbus::Connection, ChannelError> {
        let connecting = async {
            match &self.bus {
                Some(address) => zbus::connection::Builder::address(address.as_str())
                    .build()
                    .await
                    .map_err(|e| ChannelError::NoSessionBus(e.to_string())),
                None => zbus::Connection::session()
                    .await
                    .map_err(|e| ChannelError::NoSessionBus(e.to_string())),
            }
        };
        tokio::time::timeout(SEND_TIMEOUT, connecting)
            .await
            .map_err(|_| ChannelError::NoSessionBus("timed out connecting".into()))?
    }
}

/// Shows one nudge as a desktop notification over `connection`; returns the server's id.
pub async fn notify(connection: &zbus::Connection, nudge: &Nudge) -> Result<u32, ChannelError> {
    // Notify(app_name, replaces_id, app_icon, summary, body, actions, hints, expire_timeout)
    let hints: HashMap<&str, zbus::Variant<'_>> = HashMap::new();
    let body = (
        "tete",
        0u32,
        "",
        nudge.title(),
        // Servers with the body-markup capability read a small HTML subset: names and
        // items come from calendars, so they are escaped to show as written.
        escape_markup(nudge.short_message()),
        Vec::<&str>::new(),
        hints,
        -1i32,
    );
    let call = connection.call_method(
        Some("org.freedesktop.Notifications"),
        "/org/freedesktop/Notifications",
        Some("org.freedesktop.Notifications"),
        "Notify",
        &body,
    );
    let reply = tokio::time::timeout(SEND_TIMEOUT, call)
        .await
        .map_err(|_| ChannelError::Desktop("the notification server did not answer".into()))?
        .map_err(|e| match e {
            zbus::Error::FDO(fdo) if matches!(*fdo, zbus::fdo::Error::ServiceUnknown(_)) => {
                ChannelError::NoNotificationServer(fdo.to_string())
            }
            e => ChannelError::Desktop(e.to_string()),
        })?;
    reply
        .body()
        .deserialize::<u32>()
        .map_err(|e| ChannelError::Desktop(e.to_string()))
}

/// Notification bodies are a small HTML subset: text is escaped as in HTML.
fn escape_markup(text: &str) -> String {
    html_escape::encode_text(text).into_owned()
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, which is required (default port 587).
    StartTls,
    /// TLS from the first byte, "implicit TLS" (default port 465).
    Tls,
    /// No encryption: only for a server on this machine (default port 25).
    Plain,
}

impl Security {
    /// The usual port.
    pub fn default_port(self) -> u16 {
        match self {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::Plain => 25,
        }
    }
}

/// Email over SMTP, one message per nudge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailChannel {
    /// The server's host name.
    pub server: String,
    /// The port (default from [`Security::default_port`]).
    pub port: u16,
    /// STARTTLS, TLS or plain.
    pub security: Security,
    /// The login, when the server needs one.
    pub username: Option<String>,
    /// The password (a secret: env, file, command or systemd credential).
    pub password: Option<Secret>,
    /// The sender, `Name <address>` or an address.
    pub from: String,
    /// The recipients.
    pub to: Vec<String>,
    /// A PEM root certificate to trust besides the system's, for a mail server with a
    /// private CA (`ca_file`).
    pub ca_file: Option<std::path::PathBuf>,
}

/// An SMTP transport for a cycle, with the password resolved once.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
    server: String,
    password: Option<SecretValue>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl EmailChannel {
    /// `host:port`, for messages.
    pub fn server_name(&self) -> String {
        format!("{}:{}", self.server, self.port)
    }

    /// Builds the transport: resolves the password and parses the addresses.
    pub fn mailer(&self) -> Result<Mailer, ChannelError> {
        let server = self.server_name();
        let fail = |message: String| ChannelError::Email {
            server: server.clone(),
            message,
        };
        let tls = || {
            let mut params = TlsParameters::builder(self.server.clone());
            if let Some(path) = &self.ca_file {
                let pem = std::fs::read(path)
                    .map_err(|e| fail(format!("cannot read ca_file {}: {e}", path.display())))?;
                let cert = Certificate::from_pem(&pem).map_err(|e| {
                    fail(format!(
                        "ca_file {} is not a PEM certificate: {e}",
                        path.display()
                    ))
                })?;
                params = params.add_root_certificate(cert);
            }
            params.build().map_err(|e| fail(e.to_string()))
        };
        let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.server);
        let builder = match self.security {
            // Required: a server that does not offer STARTTLS gets neither mail nor password.
            Security::StartTls => builder.tls(Tls::Required(tls()?)),
            Security::Tls => builder.tls(Tls::Wrapper(tls()?)),
            Security::Plain => builder,
        };
        let mut builder = builder.port(self.port).timeout(Some(SEND_TIMEOUT));
        let password = match &self.password {
            Some(secret) => Some(secret.resolve().map_err(|source| ChannelError::Secret {
                what: "the SMTP password",
                source,
            })?),
            None => None,
        };
        if let Some(user) = &self.username {
            let pass = password
                .as_ref()
                .map(|p| p.expose().to_string())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), pass));
        }
        let mailbox = |text: &str| {
            text.parse::<Mailbox>()
                .map_err(|e| fail(format!("{text:?} is not an address: {e}")))
        };
        Ok(Mailer {
            transport: builder.build(),
            from: mailbox(&self.from)?,
            to: self
                .to
                .iter()
                .map(|t| mailbox(t))
                .collect::<Result<_, _>>()?,
            server: server.clone(),
            password,
        })
    }
}

impl Mailer {
    /// Sends one nudge as a plain-text email.
    pub async fn send(&self, nudge: &Nudge) -> Result<(), ChannelError> {
        let fail = |message: String| ChannelError::Email {
            server: self.server.clone(),
            message: self.scrub(message),
        };
        let mut message = Message::builder()
            .from(self.from.clone())
            .subject(format!("tete: {}", nudge.title()));
        for to in &self.to {
            message = message.to(to.clone());
        }
        let footer = match nudge.kind {
            crate::nudge::Kind::Digest => "You get this once a week ([digest] in the config).",
            _ => "You get this once per streak.",
        };
        let text = format!(
            "{}\n\n-- \ntete, about your 1:1s. {footer}\n",
            nudge.message
        );
        let message = match &nudge.html {
            // Both parts: mail clients show the page, and the text where HTML is off.
            Some(html) => message.multipart(MultiPart::alternative_plain_html(text, html.clone())),
            None => message.header(ContentType::TEXT_PLAIN).body(text),
        }
        .map_err(|e| fail(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| fail(crate::errors::chain(&e)))
    }

    /// A server may echo what it was sent; the password never leaves through an error.
    fn scrub(&self, message: String) -> String {
        match &self.password {
            Some(p) if !p.expose().is_empty() => message.replace(p.expose(), "<redacted>"),
            _ => message,
        }
    }
}

/// A JSON POST of `{"text": message}`, which Slack and Mattermost incoming webhooks (and
/// many others) accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookChannel {
    /// The webhook URL: a secret, as its path is the token.
    pub url: Secret,
}

impl WebhookChannel {
    /// Posts one nudge.
    pub async fn send(&self, http: &HttpClient, nudge: &Nudge) -> Result<(), ChannelError> {
        let url = self.url.resolve().map_err(|source| ChannelError::Secret {
            what: "the webhook URL",
            source,
        })?;
        let parsed = reqwest::Url::parse(url.expose().trim());
        let host = parsed
            .as_ref()
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "an unreadable URL".to_string());
        let fail = |message: String| ChannelError::Webhook {
            host: host.clone(),
            message,
        };
        let parsed = parsed.map_err(|e| fail(format!("not a URL: {e}")))?;
        let client = http.client().map_err(|e| fail(e.to_string()))?;
        let body = serde_json::json!({ "text": nudge.message }).to_string();
        let response = client
            .post(parsed)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| fail(crate::errors::chain(&e.without_url())))?;
        let status = response.status();
        if !status.is_success() {
            return Err(fail(format!("answered {status}")));
        }
        Ok(())
    }
}
