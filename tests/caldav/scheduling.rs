//! Who is told when tete writes an agenda as the organizer (issue 6, "no invitation
//! storms"): what Xandikos (which advertises calendar-auto-schedule and implements RFC 6638
//! implicit scheduling, with iMIP mail for attendees it does not host) and Radicale (no
//! scheduling) do with `[agenda] scheduling = "silent"` and `"server"`.
//!
//! Xandikos learns that the calendar's owner is Mia from `EMAIL`, and hands its iMIP mail
//! to a `sendmail` that is a script writing each message to a file: every email the server
//! would send is counted.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use crate::agenda::{NEXT, NOW, ann, event_at, get};
use crate::harness::{DavServer, Kind};
use crate::{Raw, caldav_config, run_once, tete_ok};

/// The messages the fake sendmail was given so far.
fn mails(log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.split("=== MAIL ===\n")
        .filter(|m| !m.is_empty())
        .map(str::to_string)
        .collect()
}

/// What one mode does on Xandikos.
#[derive(Debug)]
struct Observed {
    /// Mail sent when Mia's own app uploaded the series.
    on_upload: Vec<String>,
    /// Mail sent when tete wrote the agenda.
    on_agenda: Vec<String>,
    /// Mail sent by a second run (which writes nothing).
    on_second_run: Vec<String>,
    /// The stored override's ATTENDEE line.
    attendee: tete::calendar::Property,
    /// What tete printed.
    out: String,
}

async fn on_xandikos(scheduling: &str, imip: bool) -> Observed {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    let sendmail = dir.path().join("sendmail");
    std::fs::write(
        &sendmail,
        format!(
            "#!/bin/sh\n{{ echo '=== MAIL ==='; echo \"ARGS: $*\"; cat; }} >> '{}'\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&sendmail, std::fs::Permissions::from_mode(0o755)).unwrap();
    let server = DavServer::start_with_env(
        Kind::Xandikos,
        None,
        &[
            ("EMAIL", "Mia <mia@example.com>"),
            ("XANDIKOS_IMIP_SEND", if imip { "sendmail" } else { "off" }),
            ("XANDIKOS_SENDMAIL_BINARY", sendmail.to_str().unwrap()),
            ("XANDIKOS_SMTP_FROM", "calendar@example.com"),
        ],
    );
    let raw = Raw::new(&server);
    let cal = raw.mkcalendar(&server, "one-on-ones", "1:1s").await;
    let url = format!("{cal}ann.ics");
    raw.put(&url, &ann()).await;
    let on_upload = mails(&log);
    let config = caldav_config(
        dir.path(),
        &server,
        "1:1s",
        &format!("[agenda]\nscheduling = \"{scheduling}\"\n"),
    );
    let calendars = tete_ok(&[
        "--config".as_ref(),
        config.as_os_str(),
        "calendars".as_ref(),
    ]);
    let calendars = String::from_utf8_lossy(&calendars.stdout).to_string();
    assert!(
        calendars.contains("scheduling: this server emails attendees on its own"),
        "tete calendars warns about implicit scheduling:\n{calendars}"
    );
    let out = run_once(&config, NOW);
    let after = mails(&log);
    let on_agenda = after[on_upload.len()..].to_vec();
    run_once(&config, NOW);
    let on_second_run = mails(&log)[after.len()..].to_vec();
    let (text, _) = get(&raw, &url).await;
    let attendee = event_at(&text, NEXT).property("ATTENDEE").unwrap().clone();
    Observed {
        on_upload,
        on_agenda,
        on_second_run,
        attendee,
        out,
    }
}

/// The findings: on Xandikos 0.4.10 both modes email the attendee once per agenda write
/// (an iTIP REQUEST carrying the whole series, agenda included): it does not honour
/// `SCHEDULE-AGENT=CLIENT`, and marks every ATTENDEE `SCHEDULE-STATUS="1.1;Sent"`. A run
/// that writes nothing sends nothing. With iMIP off it sends nothing and marks the attendee
/// `SCHEDULE-STATUS=3.7`.
#[tokio::test]
async fn xandikos_emails_the_attendee_in_both_modes() {
    for mode in ["silent", "server"] {
        let seen = on_xandikos(mode, true).await;
        assert!(seen.out.contains("agendas written: 1"), "{mode}: {seen:?}");
        // Mia's own app creating the series invites Ann: the baseline.
        assert_eq!(seen.on_upload.len(), 1, "{mode}: {seen:?}");
        assert_eq!(seen.on_agenda.len(), 1, "{mode}: {seen:#?}");
        let mail = &seen.on_agenda[0];
        assert!(mail.contains("\nTo: ann@example.com\n"), "{mode}: {mail}");
        assert!(mail.contains("method=\"REQUEST\""), "{mode}: {mail}");
        assert!(mail.contains("tete agenda"), "the agenda goes out: {mail}");
        assert!(seen.on_second_run.is_empty(), "{mode}: {seen:?}");
        let agent = seen.attendee.param("SCHEDULE-AGENT");
        let status = seen.attendee.param("SCHEDULE-STATUS");
        match mode {
            "silent" => assert_eq!(agent.as_deref(), Some("CLIENT"), "{seen:?}"),
            _ => assert_eq!(agent, None, "{seen:?}"),
        }
        assert_eq!(status.as_deref(), Some("1.1;Sent"), "{mode}: {seen:?}");
    }
    // With iMIP off, nothing is sent and the attendee is marked "invalid calendar user".
    let seen = on_xandikos("silent", false).await;
    assert!(
        seen.on_upload.is_empty() && seen.on_agenda.is_empty(),
        "{seen:?}"
    );
    assert_eq!(
        seen.attendee.param("SCHEDULE-STATUS").as_deref(),
        Some("3.7;Invalid calendar user"),
        "{seen:?}"
    );
}

/// Answers SMTP on 127.0.0.1 and keeps every message it is given.
struct SmtpSink {
    port: u16,
    mails: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl SmtpSink {
    fn start() -> SmtpSink {
        use std::io::{BufRead as _, BufReader, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = mails.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut out) = stream else { return };
                let mut input = BufReader::new(out.try_clone().unwrap());
                let _ = out.write_all(b"220 sink\r\n");
                let mut line = String::new();
                loop {
                    line.clear();
                    if input.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    let command = line.trim_end().to_ascii_uppercase();
                    if command == "DATA" {
                        let _ = out.write_all(b"354 go on\r\n");
                        let mut message = String::new();
                        loop {
                            line.clear();
                            if input.read_line(&mut line).unwrap_or(0) == 0
                                || line.trim_end() == "."
                            {
                                break;
                            }
                            message.push_str(&line);
                        }
                        kept.lock().unwrap().push(message);
                        let _ = out.write_all(b"250 kept\r\n");
                    } else if command == "QUIT" {
                        let _ = out.write_all(b"221 bye\r\n");
                        break;
                    } else {
                        let _ = out.write_all(b"250 ok\r\n");
                    }
                }
            }
        });
        SmtpSink { port, mails }
    }

    fn count(&self) -> usize {
        self.mails.lock().unwrap().len()
    }
}

/// Radicale implements no scheduling: it advertises no calendar-auto-schedule, stores the
/// override as sent (SCHEDULE-AGENT=CLIENT kept, no SCHEDULE-STATUS) and tells no one.
/// Its opt-in email hook (`[hook] type = email`) mails attendees when the *first* VEVENT
/// of a resource changes (or is new): it ignores SCHEDULE-AGENT and never looks at
/// overrides, so an agenda written as an override sends nothing in either mode.
#[tokio::test]
async fn radicale_tells_no_one_in_either_mode() {
    let sink = SmtpSink::start();
    let server = DavServer::start_radicale_configured(&format!(
        "[hook]\ntype = email\nsmtp_server = 127.0.0.1\nsmtp_port = {}\nfrom_email = calendar@example.com\n",
        sink.port
    ));
    let raw = Raw::new(&server);
    let features = raw
        .dav_features(&format!("{}{}", server.url, "tete/"))
        .await;
    assert!(features.contains("calendar-access"), "{features}");
    assert!(!features.contains("calendar-auto-schedule"), "{features}");
    // The hook skips events that ended in the past, so this series starts tomorrow: its
    // first occurrence gets the agenda.
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Duration::days(1);
    let day = tomorrow.format("%Y%m%d").to_string();
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    for mode in ["silent", "server"] {
        let cal = raw.mkcalendar(&server, mode, mode).await;
        let url = format!("{cal}ann.ics");
        let body = ann().replace("20260302T10", &format!("{day}T10")).replace(
            "20260316T10",
            &format!(
                "{}T10",
                (tomorrow + chrono::Duration::weeks(2)).format("%Y%m%d")
            ),
        );
        let before = sink.count();
        raw.put(&url, &body).await;
        assert_eq!(sink.count(), before + 1, "a new event mails its attendee");
        let dir = tempfile::tempdir().unwrap();
        let config = caldav_config(
            dir.path(),
            &server,
            mode,
            &format!("[agenda]\nscheduling = \"{mode}\"\n"),
        );
        let calendars = tete_ok(&[
            "--config".as_ref(),
            config.as_os_str(),
            "calendars".as_ref(),
        ]);
        assert!(
            !String::from_utf8_lossy(&calendars.stdout).contains("scheduling:"),
            "Radicale does not schedule"
        );
        let out = run_once(&config, &now);
        assert!(out.contains("agendas written: 1"), "{mode}: {out}");
        assert_eq!(sink.count(), before + 1, "{mode}: the agenda mailed no one");
        let (text, _) = get(&raw, &url).await;
        let attendee = event_at(&text, &format!("{day}T100000"))
            .property("ATTENDEE")
            .unwrap()
            .clone();
        assert!(attendee.param("SCHEDULE-STATUS").is_none(), "{text}");
        let expected = (mode == "silent").then_some("CLIENT");
        assert_eq!(
            attendee.param("SCHEDULE-AGENT").as_deref(),
            expected,
            "{text}"
        );
        // Whereas a change to the master (Mia moves the series in her app) is mailed.
        let moved = text.replacen("LOCATION:Room 4", "LOCATION:Room 9", 1);
        raw.put(&url, &moved).await;
        assert_eq!(sink.count(), before + 2, "{mode}");
    }
}
