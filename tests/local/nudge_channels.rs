//! Nudge channels against real peers: email through a real SMTP server (aiosmtpd, installed
//! from PyPI into a venv under target/ by this test), a webhook through a local HTTP server,
//! desktop notifications through D-Bus with a fake notification server. Each streak is sent
//! once per channel; a failing channel is retried next cycle and never stops the others;
//! secrets never reach logs or errors.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use tete::history::Store;
use tete::nudge::{
    self, ChannelKind, Channels, DeliveryReport, DesktopChannel, EmailChannel, Kind, Nudge,
    Security, Settings, WebhookChannel, Zone,
};
use tete::secret::Secret;

const PASSWORD: &str = "s3cr3t-P4ss-42";
const WRONG_PASSWORD: &str = "wr0ng-P4ss-99";
const WEBHOOK_TOKEN: &str = "T0KEN-abc-123";

fn noon() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2026, 11, 25)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .unwrap()
        .and_utc()
}

fn nudge(streak: &str, name: &str) -> Nudge {
    Nudge {
        relationship: "chloe@example.com".into(),
        name: name.into(),
        kind: Kind::Moved,
        message: format!(
            "Your 1:1 with {name} was moved 3 of the last 5 times: 5 Nov, 12 Nov, 19 Nov."
        ),
        streak: streak.into(),
        dates: vec![],
        html: None,
    }
}

fn settings(channels: Channels) -> Settings {
    Settings {
        quiet_hours: None,
        zone: Zone::Named(chrono_tz::UTC),
        channels,
        ..Settings::default()
    }
}

fn sent_by<'a>(report: &'a DeliveryReport, channel: &str) -> Vec<&'a str> {
    report
        .sent
        .iter()
        .filter(|(_, c)| c.as_str() == channel)
        .map(|(s, _)| s.as_str())
        .collect()
}

/// Everything `tracing` logs while the guard lives (this thread only: the tests run their
/// runtime on the current thread).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

impl Logs {
    fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(logs.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::TRACE)
            .finish();
        (logs.clone(), tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

// ---- SMTP: a real aiosmtpd server ----

/// python3 of a venv under target/ with the pinned aiosmtpd, created on first use.
fn smtp_python() -> PathBuf {
    crate::python::venv_python("aiosmtpd", "smtp-requirements.txt")
}

struct SmtpServer {
    child: Child,
    port: u16,
    outdir: tempfile::TempDir,
}

/// A test CA and a certificate it signed for localhost and 127.0.0.1: `(ca, cert, key)`
/// PEM files in `dir`.
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "tete test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let paths = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&paths.0, ca.pem()).unwrap();
    std::fs::write(&paths.1, cert.pem()).unwrap();
    std::fs::write(&paths.2, key.serialize_pem()).unwrap();
    paths
}

impl SmtpServer {
    fn start(user: &str, password: &str) -> SmtpServer {
        SmtpServer::start_with(user, password, &[])
    }

    /// `mode`: none (plain), or `["starttls"|"tls", cert, key]`.
    fn start_with(user: &str, password: &str, mode: &[&std::ffi::OsStr]) -> SmtpServer {
        let outdir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_server.py");
        let mut child = Command::new(smtp_python())
            .arg(script)
            .arg(outdir.path())
            .args([user, password])
            .args(mode)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("the SMTP server did not start: {line:?}"));
        SmtpServer {
            child,
            port,
            outdir,
        }
    }

    /// The messages received so far, in order.
    fn received(&self) -> Vec<serde_json::Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.outdir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap())
            .collect()
    }

    /// Waits (bounded) until `n` messages arrived; the server writes each after its 250.
    fn wait_for(&self, n: usize) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.received();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn channel(&self, password_file: &Path) -> EmailChannel {
        EmailChannel {
            server: "127.0.0.1".into(),
            port: self.port,
            security: Security::Plain,
            username: Some("mia".into()),
            password: Some(Secret::File(password_file.to_path_buf())),
            from: "tete <tete@example.com>".into(),
            to: vec!["Mia Manager <mia@example.com>".into()],
            ca_file: None,
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Delivers the one nudge most tests send ("moved", for Chloé) at noon.
async fn deliver_moved(store: &mut Store, settings: &nudge::Settings) -> nudge::DeliveryReport {
    nudge::deliver(store, &[nudge("moved|a|1", "Chloé")], settings, noon())
        .await
        .unwrap()
}

#[tokio::test]
async fn email_through_a_real_smtp_server_once_per_streak_and_no_password_anywhere() {
    let (logs, _guard) = Logs::capture();
    let server = SmtpServer::start("mia", PASSWORD);
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("smtp-password");
    std::fs::write(&password, format!("{PASSWORD}\n")).unwrap();
    let mut store = tete::state::StateFile::open(&dir.path().join("state.sqlite"))
        .unwrap()
        .into_history();
    let settings = settings(Channels {
        email: Some(server.channel(&password)),
        ..Channels::default()
    });
    let nudges = [nudge("moved|a|1", "Chloé"), nudge("moved|b|1", "Ann")];

    let first = nudge::deliver(&mut store, &nudges, &settings, noon())
        .await
        .unwrap();
    assert_eq!(
        sent_by(&first, "email"),
        ["moved|a|1", "moved|b|1"],
        "{first:?}"
    );
    assert_eq!(sent_by(&first, "journal").len(), 2);
    let got = server.wait_for(2);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["login"], "mia");
    assert_eq!(got[0]["from"], "tete@example.com");
    assert_eq!(got[0]["to"], serde_json::json!(["mia@example.com"]));
    assert_eq!(got[0]["subject"], "tete: Your 1:1 with Chloé keeps moving");
    // SMTP lines end in CRLF.
    let body = got[0]["body"].as_str().unwrap().replace("\r\n", "\n");
    assert!(
        body.starts_with(
            "Your 1:1 with Chloé was moved 3 of the last 5 times: 5 Nov, 12 Nov, 19 Nov.\n"
        ),
        "{body}"
    );

    // The next cycle: nothing new is sent.
    let second = nudge::deliver(
        &mut store,
        &nudges,
        &settings,
        noon() + chrono::Duration::minutes(15),
    )
    .await
    .unwrap();
    assert!(second.sent.is_empty(), "{second:?}");
    assert_eq!(second.already_sent, 4);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(server.received().len(), 2);

    let all = logs.text();
    assert!(
        all.contains("nudge: Your 1:1 with Chloé was moved"),
        "{all}"
    );
    assert!(
        !all.contains(PASSWORD),
        "the password is in the logs:\n{all}"
    );
}

#[tokio::test]
async fn a_refused_login_is_retried_next_cycle_and_never_shows_the_password() {
    let (logs, _guard) = Logs::capture();
    let server = SmtpServer::start("mia", PASSWORD);
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("smtp-password");
    std::fs::write(&password, WRONG_PASSWORD).unwrap();
    let mut store = tete::state::StateFile::open(&dir.path().join("state.sqlite"))
        .unwrap()
        .into_history();
    let settings = settings(Channels {
        email: Some(server.channel(&password)),
        ..Channels::default()
    });
    let nudges = [nudge("moved|a|1", "Chloé")];

    let failed = nudge::deliver(&mut store, &nudges, &settings, noon())
        .await
        .unwrap();
    // The journal still got it; email failed and is not recorded.
    assert_eq!(sent_by(&failed, "journal"), ["moved|a|1"]);
    assert_eq!(failed.failed.len(), 1, "{failed:?}");
    let (_, channel, error) = &failed.failed[0];
    assert_eq!(*channel, ChannelKind::Email);
    assert!(error.contains("127.0.0.1"), "{error}");
    assert!(!error.contains(WRONG_PASSWORD), "{error}");
    assert!(!store.nudge_sent("moved|a|1", "email").unwrap());
    assert!(server.received().is_empty());

    // The password is fixed (the file changes); the next cycle sends it.
    std::fs::write(&password, PASSWORD).unwrap();
    let retried = nudge::deliver(
        &mut store,
        &nudges,
        &settings,
        noon() + chrono::Duration::minutes(15),
    )
    .await
    .unwrap();
    assert_eq!(sent_by(&retried, "email"), ["moved|a|1"], "{retried:?}");
    assert_eq!(server.wait_for(1).len(), 1);

    let all = logs.text();
    assert!(all.contains("will retry next cycle"), "{all}");
    assert!(
        !all.contains(WRONG_PASSWORD) && !all.contains(PASSWORD),
        "{all}"
    );
}

/// Sends one nudge through a server in `mode` with TLS, trusting (or not) the test CA.
async fn through_tls(mode: &str, security: Security, trust: bool) -> (DeliveryReport, usize) {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(dir.path());
    let server = SmtpServer::start_with(
        "mia",
        PASSWORD,
        &[mode.as_ref(), cert.as_os_str(), key.as_os_str()],
    );
    let password = dir.path().join("smtp-password");
    std::fs::write(&password, PASSWORD).unwrap();
    let mut store = tete::state::StateFile::open(&dir.path().join("state.sqlite"))
        .unwrap()
        .into_history();
    let email = EmailChannel {
        security,
        ca_file: trust.then_some(ca),
        ..server.channel(&password)
    };
    let settings = settings(Channels {
        email: Some(email),
        ..Channels::default()
    });
    let report = deliver_moved(&mut store, &settings).await;
    let received = if trust {
        server.wait_for(1).len()
    } else {
        server.received().len()
    };
    (report, received)
}

#[tokio::test]
async fn email_with_starttls_and_with_implicit_tls() {
    let (logs, _guard) = Logs::capture();
    for (mode, security) in [("starttls", Security::StartTls), ("tls", Security::Tls)] {
        let (report, received) = through_tls(mode, security, true).await;
        assert_eq!(
            sent_by(&report, "email"),
            ["moved|a|1"],
            "{mode}: {report:?}"
        );
        assert_eq!(received, 1, "{mode}");
        // An unknown CA is refused: nothing is sent, the error says why, it is retried.
        let (report, received) = through_tls(mode, security, false).await;
        assert!(sent_by(&report, "email").is_empty(), "{mode}: {report:?}");
        assert_eq!(report.failed.len(), 1, "{mode}: {report:?}");
        assert_eq!(received, 0, "{mode}");
    }
    // A server without STARTTLS gets neither mail nor password when STARTTLS is asked for.
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start("mia", PASSWORD);
    let password = dir.path().join("smtp-password");
    std::fs::write(&password, PASSWORD).unwrap();
    let mut store = tete::state::StateFile::open(&dir.path().join("state.sqlite"))
        .unwrap()
        .into_history();
    let settings = settings(Channels {
        email: Some(EmailChannel {
            security: Security::StartTls,
            ..server.channel(&password)
        }),
        ..Channels::default()
    });
    let report = deliver_moved(&mut store, &settings).await;
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert!(server.received().is_empty());
    assert!(!logs.text().contains(PASSWORD));
}

// ---- Webhook: a local HTTP server ----

use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn webhook_posts_slack_compatible_json_once_per_streak() {
    let server = MockServer::start().await;
    let nudges = [nudge("moved|a|1", "Chloé")];
    Mock::given(method("POST"))
        .and(path(format!("/hooks/{WEBHOOK_TOKEN}")))
        .and(header("content-type", "application/json"))
        .and(body_json(serde_json::json!({ "text": nudges[0].message })))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = tete::state::StateFile::open(&dir.path().join("state.sqlite"))
        .unwrap()
        .into_history();
    let settings = settings(Channels {
        webhook: Some(WebhookChannel {
            url: Secret::Plain(format!("{}/hooks/{WEBHOOK_TOKEN}", server.uri())),
        }),
        ..Channels::default()
    });
    let first = nudge::deliver(&mut store, &nudges, &settings, noon())
        .await
        .unwrap();
    assert_eq!(sent_by(&first, "webhook"), ["moved|a|1"], "{first:?}");
    let second = nudge::deliver(
        &mut store,
        &nudges,
        &settings,
        noon() + chrono::Duration::hours(1),
    )
    .await
    .unwrap();
    assert!(second.sent.is_empty(), "{second:?}");
    server.verify().await;
}

#[tokio::test]
async fn a_failing_channel_never_stops_the_others_and_is_retried() {
    let (logs, _guard) = Logs::capture();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = tete::state::StateFile::open(&dir.path().join("state.sqlite"))
        .unwrap()
        .into_history();
    let settings = settings(Channels {
        // No bus at this address: skipped with a log line.
        desktop: Some(DesktopChannel {
            bus: Some(format!("unix:path={}", dir.path().join("no-bus").display())),
        }),
        webhook: Some(WebhookChannel {
            url: Secret::Plain(format!("{}/hooks/{WEBHOOK_TOKEN}", server.uri())),
        }),
        ..Channels::default()
    });
    let nudges = [nudge("moved|a|1", "Chloé"), nudge("moved|b|1", "Ann")];
    let first = nudge::deliver(&mut store, &nudges, &settings, noon())
        .await
        .unwrap();
    assert_eq!(sent_by(&first, "journal").len(), 2, "{first:?}");
    assert_eq!(first.skipped.len(), 1);
    assert_eq!(first.skipped[0].0, ChannelKind::Desktop);
    assert_eq!(first.failed.len(), 2);
    for (_, channel, error) in &first.failed {
        assert_eq!(*channel, ChannelKind::Webhook);
        assert!(error.contains("500"), "{error}");
        assert!(error.contains("127.0.0.1"), "{error}");
        assert!(!error.contains(WEBHOOK_TOKEN), "{error}");
    }
    // The server recovers: the next cycle sends both, and only to the webhook.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let second = nudge::deliver(
        &mut store,
        &nudges,
        &settings,
        noon() + chrono::Duration::minutes(15),
    )
    .await
    .unwrap();
    assert_eq!(sent_by(&second, "webhook").len(), 2, "{second:?}");
    assert!(sent_by(&second, "journal").is_empty());
    let all = logs.text();
    // Said once per process, not every cycle (another test of this binary may have said it).
    assert!(
        all.matches("desktop notifications skipped").count() <= 1,
        "{all}"
    );
    assert_eq!(
        second.skipped.len(),
        1,
        "still skipped, and counted, each cycle"
    );
    assert!(!all.contains(WEBHOOK_TOKEN), "{all}");
}

/// A connected pair: our client and a fake bus peer.
async fn p2p_pair() -> (zbus::Connection, zbus::Connection) {
    let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
    let (server, client) = tokio::join!(
        zbus::connection::Builder::unix_stream(theirs)
            .server(zbus::Guid::generate())
            .p2p()
            .build(),
        zbus::connection::Builder::unix_stream(ours).p2p().build(),
    );
    (server.unwrap(), client.unwrap())
}

#[tokio::test]
async fn a_bus_without_a_notification_server_is_told_apart() {
    use futures_util::StreamExt as _;
    let (server, client) = p2p_pair().await;
    let bus = tokio::spawn(async move {
        let mut stream = zbus::MessageStream::from(&server);
        if let Some(Ok(msg)) = stream.next().await {
            let error = zbus::fdo::Error::ServiceUnknown("no such name".into());
            server.reply_dbus_error(&msg.header(), error).await.unwrap();
        }
    });
    let err = nudge::channel::notify(&client, &nudge("moved|a|1", "Chloé"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, nudge::ChannelError::NoNotificationServer(_)),
        "{err}"
    );
    bus.await.unwrap();
}

// ---- Desktop: org.freedesktop.Notifications over D-Bus ----

type NotifyArgs = (
    String,
    u32,
    String,
    String,
    String,
    Vec<String>,
    HashMap<String, zbus::OwnedVariant>,
    i32,
);

#[tokio::test]
async fn desktop_notification_reaches_the_notification_server() {
    use futures_util::StreamExt as _;
    // A peer-to-peer D-Bus connection to a fake notification server: the same calls as on
    // a session bus, without needing a bus daemon on the test machine.
    let (server, client) = p2p_pair().await;
    let notifications = tokio::spawn(async move {
        let mut stream = zbus::MessageStream::from(&server);
        while let Some(Ok(msg)) = stream.next().await {
            let header = msg.header();
            if header.member().map(|m| m.as_str()) == Some("Notify")
                && header.interface().map(|i| i.as_str()) == Some("org.freedesktop.Notifications")
            {
                let args: NotifyArgs = msg.body().deserialize().unwrap();
                server.reply(&header, &42u32).await.unwrap();
                return args;
            }
        }
        panic!("no Notify call");
    });
    let id = nudge::channel::notify(&client, &nudge("moved|a|1", "Chloé & <Co>"))
        .await
        .unwrap();
    assert_eq!(id, 42);
    let (app, replaces, _icon, summary, body, actions, _hints, timeout) =
        notifications.await.unwrap();
    assert_eq!((app.as_str(), replaces, timeout), ("tete", 0, -1));
    assert_eq!(summary, "Your 1:1 with Chloé & <Co> keeps moving");
    // The body may be read as markup: calendar text is escaped.
    assert!(
        body.starts_with("Your 1:1 with Chloé &amp; &lt;Co&gt; was moved 3 of the last 5"),
        "{body}"
    );
    assert!(actions.is_empty());
}

// ---- The weekly digest, end to end: `tete run --once` over simulated weeks ----

/// Runs one cycle of the built binary at `now` (UTC) with `config`.
fn run_once_at(config: &Path, now: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tete"))
        .arg("--config")
        .arg(config)
        .args(["run", "--once", "--now", now])
        .env("TZ", "Europe/Berlin")
        .env_remove("TETE_CONFIG")
        .output()
        .unwrap()
}

/// The digests among the messages received.
fn digests(server: &SmtpServer) -> Vec<serde_json::Value> {
    std::thread::sleep(Duration::from_millis(300));
    server
        .received()
        .into_iter()
        .filter(|m| {
            m["subject"]
                .as_str()
                .is_some_and(|s| s.starts_with("tete: Your 1:1s, week of"))
        })
        .collect()
}

#[test]
fn the_digest_arrives_once_each_week_never_in_quiet_hours_and_once_after_a_gap() {
    let server = SmtpServer::start("mia", PASSWORD);
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("smtp-password");
    std::fs::write(&password, PASSWORD).unwrap();
    let calendar = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/calendar.ics");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "state_file = \"{}\"\ncache_dir = \"{}\"\n\
             [me]\nemail = \"mia@example.com\"\ntime_zone = \"Europe/Berlin\"\n\
             [[calendar]]\nname = \"demo\"\nfile = \"{}\"\n\
             [digest]\nday = \"monday\"\ntime = \"06:30\"\n\
             [nudges]\nquiet_hours = \"22:00-07:00\"\n\
             [nudges.desktop]\nenabled = false\n\
             [nudges.email]\nserver = \"127.0.0.1\"\nport = {}\nsecurity = \"plain\"\n\
             username = \"mia\"\npassword = {{ file = \"{}\" }}\n\
             from = \"tete <tete@example.com>\"\nto = [\"mia@example.com\"]\n",
            dir.path().join("state.sqlite").display(),
            dir.path().join("cache").display(),
            calendar.display(),
            server.port,
            password.display(),
        ),
    )
    .unwrap();
    // Times in UTC; Berlin is UTC+1 in winter.
    let weeks = [
        ("2026-11-30T05:00:00Z", 0, "Monday 06:00: not due yet"),
        (
            "2026-11-30T05:45:00Z",
            0,
            "Monday 06:45: due, but quiet hours hold it",
        ),
        ("2026-11-30T06:15:00Z", 1, "Monday 07:15: sent"),
        ("2026-11-30T06:30:00Z", 1, "the next cycle: not again"),
        ("2026-12-03T12:00:00Z", 1, "Thursday: not again"),
        ("2026-12-07T06:15:00Z", 2, "the next Monday: the new week's"),
        (
            "2026-12-17T10:00:00Z",
            3,
            "back on Thursday after a week off: that week's, once",
        ),
        ("2026-12-18T10:00:00Z", 3, "Friday: not again"),
    ];
    for (now, expected, why) in weeks {
        let out = run_once_at(&config, now);
        assert!(
            out.status.success(),
            "{why}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(digests(&server).len(), expected, "{why} (at {now})");
    }

    let received = digests(&server);
    let subjects: Vec<&str> = received
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        [
            "tete: Your 1:1s, week of Mon 30 Nov",
            "tete: Your 1:1s, week of Mon 7 Dec",
            "tete: Your 1:1s, week of Mon 14 Dec",
        ]
    );
    let first = &received[0];
    assert_eq!(
        first["content_types"],
        serde_json::json!(["multipart/alternative", "text/plain", "text/html"])
    );
    let text = first["body"].as_str().unwrap().replace("\r\n", "\n");
    assert!(
        text.starts_with("Your 1:1s, week of Mon 30 Nov\n"),
        "{text}"
    );
    assert!(text.contains("Tue 1 Dec 10:00 CET  Ann Berger"), "{text}");
    assert!(text.contains("Ann: send the hiring plan draft"), "{text}");
    let html = first["html"].as_str().unwrap();
    assert!(
        html.contains("<h1>Your 1:1s, week of Mon 30 Nov</h1>"),
        "{html}"
    );
    assert!(html.contains("<svg"), "the hours chart is inline SVG");
    for external in ["src=", "href=", "url(", "@import"] {
        assert!(!html.contains(external), "nothing external: {external}");
    }
    assert!(!first["data"].as_str().unwrap().contains(PASSWORD));
}
