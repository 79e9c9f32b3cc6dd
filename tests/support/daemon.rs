//! What the daemon tests share (tests/daemon.rs on a vdir, tests/caldav/daemon.rs on
//! Radicale): a calendar dated from today (the daemon works on the real "now"), and the
//! test's side of `sd_notify` and signals.

#![allow(dead_code)]

use std::io::Read as _;
use std::os::unix::net::UnixDatagram;
use std::process::Child;
use std::time::{Duration, Instant};

use chrono::{Duration as Days, NaiveDateTime, Utc};

/// UTC, as iCalendar writes it.
pub fn ical(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The first occurrence of [`series`]: eight weeks ago, 09:00 UTC.
pub fn first_start() -> NaiveDateTime {
    // Three hours before now, on the hour: the latest occurrence is always well past (at a
    // fixed 09:00, a test run between 09:00 and 10:00 saw today's as not yet past).
    let anchor = Utc::now().naive_utc() - chrono::Duration::hours(3);
    let hour = chrono::Timelike::hour(&anchor);
    (anchor.date() - Days::days(56))
        .and_hms_opt(hour, 0, 0)
        .unwrap()
}

/// A weekly 1:1 (UID `ann@x`) that started eight weeks ago at 09:00 UTC, whose last past
/// occurrence has an open action item.
pub fn series() -> String {
    let start = first_start();
    let last_past = last_occurrence_before(start, Utc::now().naive_utc());
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
BEGIN:VEVENT\r\nUID:ann@x\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{s}\r\nDURATION:PT30M\r\nRRULE:FREQ=WEEKLY\r\n\
SUMMARY:Ann / Mia\r\nORGANIZER:mailto:mia@example.com\r\nATTENDEE;CN=Ann:mailto:ann@example.com\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:ann@x\r\nRECURRENCE-ID:{l}\r\nDTSTART:{l}\r\nDURATION:PT30M\r\nSUMMARY:Ann / Mia\r\n\
ORGANIZER:mailto:mia@example.com\r\nATTENDEE;CN=Ann:mailto:ann@example.com\r\n\
DESCRIPTION:- [ ] Ann: send the plan\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        s = ical(start),
        l = ical(last_past),
    )
}

pub fn last_occurrence_before(start: NaiveDateTime, now: NaiveDateTime) -> NaiveDateTime {
    let mut t = start;
    while t + Days::weeks(1) < now - Days::hours(1) {
        t += Days::weeks(1);
    }
    t
}

/// A datagram socket for `NOTIFY_SOCKET`, read with a timeout.
pub fn notify_socket(path: &std::path::Path) -> UnixDatagram {
    let socket = UnixDatagram::bind(path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    socket
}

/// Waits for a notification containing `wanted`; returns every message seen until then.
pub fn wait_for(socket: &UnixDatagram, wanted: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        let Ok(n) = socket.recv(&mut buf) else { break };
        let msg = String::from_utf8_lossy(&buf[..n]).to_string();
        let found = msg.contains(wanted);
        seen.push(msg);
        if found {
            return seen;
        }
    }
    panic!("no {wanted:?} within 30 s; saw {seen:?}");
}

pub fn signal(child: &Child, sig: &str) {
    let status = std::process::Command::new("kill")
        .args(["-s", sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for the child; its exit status and whole stderr.
pub fn stderr_of(mut child: Child) -> (std::process::ExitStatus, String) {
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status, err)
}

/// Starts `tete --config CONFIG daemon` `rounds` times and kills it (`kill -9`) at a random
/// point of its cycle each time, up to `max_ms` after the start. Returns the seed of the
/// points, for failure messages.
pub fn kill_daemon_at_random_points(config: &std::path::Path, rounds: usize, max_ms: u64) -> u64 {
    let seed = u64::from(Utc::now().timestamp_subsec_nanos());
    let mut rng = fastrand::Rng::with_seed(seed);
    for _ in 0..rounds {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tete"))
            .arg("--config")
            .arg(config)
            .arg("daemon")
            .env_remove("TETE_CONFIG")
            .env_remove("NOTIFY_SOCKET")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.u64(0..max_ms)));
        child.kill().unwrap();
        child.wait().unwrap();
    }
    seed
}

/// Runs `tete --config CONFIG run --once` and asserts it succeeds.
pub fn run_once_ok(config: &std::path::Path, seed: u64) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tete"))
        .arg("--config")
        .arg(config)
        .args(["run", "--once"])
        .env_remove("TETE_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "seed {seed}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Asserts that no description in the calendar text holds tete's block, or the series'
/// action item, twice.
pub fn assert_no_duplicate_text(text: &str, seed: u64) {
    let (doc, _) = tete::calendar::Document::parse(text, "ann.ics").unwrap();
    for event in doc.events() {
        let d = tete::calendar::value::unescape_text(event.value("DESCRIPTION").unwrap_or(""));
        assert!(
            d.matches("--- tete agenda").count() <= 1,
            "seed {seed}: duplicated block:\n{d}"
        );
        assert!(
            d.matches("send the plan").count() <= 1,
            "seed {seed}: duplicated item:\n{d}"
        );
    }
}

/// A feed server that accepts connections and never answers: a server slow enough to
/// outlast the watchdog and the unit's stop timeout.
pub fn silent_feed() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/cal.ics", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    url
}
