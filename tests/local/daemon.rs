//! `tete daemon` end to end on a vdir: READY and STATUS on a NOTIFY_SOCKET the test owns, a
//! change on disk picked up by the next cycle, SIGHUP with a good and a bad config, SIGTERM,
//! a second instance refused, and kill -9 at random points of a cycle.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::support::{
    assert_no_duplicate_text, first_start, kill_daemon_at_random_points, last_occurrence_before,
    notify_socket, run_once_ok, series, signal, silent_feed, stderr_of, wait_for,
};
use chrono::{Duration as Days, Utc};

struct Setup {
    dir: tempfile::TempDir,
    vdir: PathBuf,
    config: PathBuf,
    socket: UnixDatagram,
    socket_path: PathBuf,
}

fn config_text(dir: &Path, interval: &str) -> String {
    format!(
        "state_file = \"{state}\"\ncache_dir = \"{cache}\"\n[me]\nemail = \"mia@example.com\"\n\
         [daemon]\ninterval = \"{interval}\"\njitter = 0.0\n\
         [[calendar]]\nname = \"work\"\nvdir = \"{vdir}\"\n",
        state = dir.join("state.sqlite").display(),
        cache = dir.join("cache").display(),
        vdir = dir.join("cal").display(),
    )
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let vdir = dir.path().join("cal");
    std::fs::create_dir(&vdir).unwrap();
    std::fs::write(vdir.join("ann.ics"), series()).unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, config_text(dir.path(), "1s")).unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = notify_socket(&socket_path);
    Setup {
        dir,
        vdir,
        config,
        socket,
        socket_path,
    }
}

fn start(s: &Setup) -> Child {
    daemon(&s.config, &s.socket_path, &[])
}

/// `tete --config CONFIG daemon`, telling systemd things on `socket`, with `env` set too.
fn daemon(config: &Path, socket: &Path, env: &[(&str, &str)]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tete"))
        .arg("--config")
        .arg(config)
        .arg("daemon")
        .env("NOTIFY_SOCKET", socket)
        .env("TETE_LOG", "info")
        .env_remove("JOURNAL_STREAM")
        .env_remove("WATCHDOG_PID")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The occurrences the state file knows, read through tete's own store.
fn stored(dir: &Path) -> Vec<tete::history::StoredOccurrence> {
    let store = tete::state::StateFile::open(&dir.join("state.sqlite"))
        .unwrap()
        .into_history();
    store.occurrences(&["ann@x"]).unwrap()
}

fn cancelled(dir: &Path) -> usize {
    stored(dir).iter().filter(|o| o.cancelled.is_some()).count()
}

#[test]
fn ready_status_change_reload_and_clean_stop() {
    let s = setup();
    let child = start(&s);
    wait_for(&s.socket, "READY=1");
    let first = wait_for(&s.socket, "STATUS=1 1:1s");
    assert!(
        first.last().unwrap().contains("1 agenda(s) written"),
        "{first:?}"
    );
    // While it runs, every file of its state is private (the test runs under umask 022).
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let path = s.dir.path().join(format!("state.sqlite{suffix}"));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
    // the next occurrence got its agenda
    let text = std::fs::read_to_string(s.vdir.join("ann.ics")).unwrap();
    assert!(text.contains("tete agenda"), "{text}");
    assert_eq!(cancelled(s.dir.path()), 0);

    // a change on disk (a past occurrence removed by EXDATE) shows in the next cycle
    let past = first_start() + Days::weeks(2);
    let exdate = format!(
        "EXDATE:{}\r\nSUMMARY:Ann / Mia\r\nORGANIZER",
        past.format("%Y%m%dT%H%M%SZ")
    );
    let changed = text.replacen("SUMMARY:Ann / Mia\r\nORGANIZER", &exdate, 1);
    std::fs::write(s.vdir.join("ann.ics"), changed).unwrap();
    wait_for(&s.socket, "STATUS=1 1:1s; history +0 ~1");
    assert_eq!(cancelled(s.dir.path()), 1);

    // a bad config is refused and the old one kept; a good one is taken
    std::fs::write(&s.config, "this is = not [valid toml").unwrap();
    signal(&child, "HUP");
    wait_for(&s.socket, "READY=1");
    wait_for(&s.socket, "STATUS=1 1:1s");
    std::fs::write(&s.config, config_text(s.dir.path(), "2s")).unwrap();
    signal(&child, "HUP");
    wait_for(&s.socket, "RELOADING=1");
    wait_for(&s.socket, "STATUS=1 1:1s");

    signal(&child, "TERM");
    wait_for(&s.socket, "STOPPING=1");
    let (status, err) = stderr_of(child);
    assert!(status.success(), "{status}: {err}");
    assert!(
        err.contains("config not reloaded, keeping the old one"),
        "{err}"
    );
    assert!(err.contains("config reloaded"), "{err}");
    assert!(err.contains("SIGTERM received: stopping"), "{err}");
    assert!(
        !err.contains("mailto:"),
        "nothing personal needs logging: {err}"
    );
}

#[test]
fn a_second_instance_on_the_same_state_refuses_to_start() {
    let s = setup();
    let child = start(&s);
    wait_for(&s.socket, "READY=1");
    let second = Command::new(env!("CARGO_BIN_EXE_tete"))
        .arg("--config")
        .arg(&s.config)
        .arg("daemon")
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&second.stderr).contains("already running"));
    signal(&child, "TERM");
    assert!(stderr_of(child).0.success());
}

#[test]
fn kill_9_at_random_points_never_corrupts_state_or_duplicates_text() {
    let s = setup();
    let seed = kill_daemon_at_random_points(&s.config, 20, 400);
    // the state opens, and a clean run leaves exactly one block in the description
    run_once_ok(&s.config, seed);
    let text = std::fs::read_to_string(s.vdir.join("ann.ics")).unwrap();
    assert_no_duplicate_text(&text, seed);
    assert!(stored(s.dir.path()).len() >= 8);
}

/// A tiny HTTP server counting the webhook POSTs it gets (the nudge channel under test).
fn webhook_counter() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead as _, BufReader, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = std::io::Read::read_exact(&mut reader, &mut body);
            seen.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&body).to_string());
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    (url, bodies)
}

#[test]
fn a_nudge_is_sent_once_not_every_cycle() {
    let s = setup();
    // the last two past occurrences cancelled (the higher SEQUENCE wins over the override
    // with the checklist): "cancelled twice in a row"
    let now = Utc::now().naive_utc();
    let first = first_start();
    let last = last_occurrence_before(first, now);
    let mut text = series();
    for t in [last, last - Days::weeks(1)] {
        let rid = t.format("%Y%m%dT%H%M%SZ");
        text = text.replace(
            "END:VCALENDAR\r\n",
            &format!(
                "BEGIN:VEVENT\r\nUID:ann@x\r\nRECURRENCE-ID:{rid}\r\nDTSTART:{rid}\r\nDURATION:PT30M\r\n\
                 SUMMARY:Ann / Mia\r\nSTATUS:CANCELLED\r\nSEQUENCE:1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            ),
        );
    }
    std::fs::write(s.vdir.join("ann.ics"), text).unwrap();
    let (url, posts) = webhook_counter();
    let config = format!(
        // The weekly digest would be one more post (its own test is in nudge_channels.rs).
        "{}[nudges]\nquiet_hours = \"\"\ntime_zone = \"UTC\"\n[nudges.desktop]\nenabled = false\n[nudges.webhook]\nurl = \"{url}\"\n[digest]\nenabled = false\n",
        config_text(s.dir.path(), "1s")
    );
    // tables must come before [[calendar]]: put the nudges first
    let (calendars, rest) = config.split_once("[[calendar]]").unwrap();
    let (cal, nudges) = rest.split_once("[nudges]").unwrap();
    std::fs::write(
        &s.config,
        format!("{calendars}[nudges]{nudges}[[calendar]]{cal}"),
    )
    .unwrap();
    let child = start(&s);
    for _ in 0..4 {
        wait_for(&s.socket, "STATUS=1 1:1s");
    }
    signal(&child, "TERM");
    let (status, err) = stderr_of(child);
    assert!(status.success(), "{err}");
    let posts = posts.lock().unwrap();
    // Depending on the hour the test runs, "overdue" may hold too (its own streak, sent
    // once as well): count the cancelled streak, and that no streak was sent twice.
    let cancelled: Vec<_> = posts.iter().filter(|p| p.contains("cancelled")).collect();
    assert_eq!(
        cancelled.len(),
        1,
        "one POST for the streak, not one per cycle: {posts:?}\n{err}"
    );
    assert!(cancelled[0].contains("\"text\""), "{}", cancelled[0]);
    let distinct: std::collections::BTreeSet<_> = posts.iter().collect();
    assert_eq!(
        distinct.len(),
        posts.len(),
        "a streak sent twice: {posts:?}"
    );
}

#[test]
fn a_server_that_never_answers_starves_neither_the_watchdog_nor_stop() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "state_file = \"{state}\"\ncache_dir = \"{cache}\"\n[me]\nemail = \"mia@example.com\"\n\
             [daemon]\ninterval = \"1s\"\njitter = 0.0\nmax_cycle = \"10s\"\n\
             [[calendar]]\nname = \"slow\"\nurl = \"{url}\"\n",
            state = dir.path().join("state.sqlite").display(),
            cache = dir.path().join("cache").display(),
            url = silent_feed(),
        ),
    )
    .unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = notify_socket(&socket_path);
    let child = daemon(&config, &socket_path, &[("WATCHDOG_USEC", "1000000")]);
    wait_for(&socket, "READY=1");
    // The first cycle hangs on the feed: the watchdog is still pinged...
    let seen = wait_for(&socket, "WATCHDOG=1");
    assert!(!seen.iter().any(|m| m.contains("STATUS=1")), "{seen:?}");
    // ...and max_cycle ends it (the feed's own timeout is a minute).
    let started = std::time::Instant::now();
    wait_for(&socket, "STATUS=cycle stopped while reading");
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    // The next cycle (a second later) hangs too; SIGTERM stops it at once, not after the
    // request times out.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let asked = std::time::Instant::now();
    signal(&child, "TERM");
    wait_for(&socket, "STOPPING=1");
    let (status, err) = stderr_of(child);
    assert!(status.success(), "{status}: {err}");
    assert!(
        asked.elapsed() < std::time::Duration::from_secs(5),
        "stopping took {:?}: {err}",
        asked.elapsed()
    );
    assert!(err.contains("cycle took too long"), "{err}");
}
