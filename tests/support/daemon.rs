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
    (Utc::now().date_naive() - Days::days(56))
        .and_hms_opt(9, 0, 0)
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
