//! `tete check` end to end: the built binary, a temporary config, a file, a vdir and a feed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A weekly 1:1 with one moved occurrence, a one-off meeting, and a stray line (a warning).
const EXPORT: &str = "BEGIN:VCALENDAR\r\n\
    BEGIN:VEVENT\r\nUID:weekly-alice\r\nDTSTART:20260105T100000Z\r\nRRULE:FREQ=WEEKLY\r\nSUMMARY:1:1 Alice\r\nEND:VEVENT\r\n\
    BEGIN:VEVENT\r\nUID:weekly-alice\r\nRECURRENCE-ID:20260112T100000Z\r\nDTSTART:20260113T100000Z\r\nEND:VEVENT\r\n\
    BEGIN:VEVENT\r\nUID:offsite\r\nDTSTART:20260201T090000Z\r\nthis line is broken\r\nEND:VEVENT\r\n\
    END:VCALENDAR\r\n";
const ITEM: &str = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:UIDX\r\nDTSTART:20260105T100000Z\r\nRRULE:FREQ=MONTHLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
const FEED: &str = "BEGIN:VCALENDAR\r\n\
    BEGIN:VEVENT\r\nUID:f1\r\nDTSTART:20260105T100000Z\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n\
    BEGIN:VEVENT\r\nUID:f2\r\nDTSTART:20260105T110000Z\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n\
    BEGIN:VEVENT\r\nUID:f3\r\nDTSTART:20260105T120000Z\r\nEND:VEVENT\r\n\
    END:VCALENDAR\r\n";
const SECRET_PATH: &str = "/feeds/s3cret-token/work.ics";
const FEED_ENV: &str = "TETE_TEST_WORK_FEED";

/// Runs the binary off the async runtime, so the mock server keeps answering meanwhile.
async fn tete_check(config: &Path, feed_url: &str) -> Output {
    let config = config.to_path_buf();
    let feed_url = feed_url.to_string();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_tete"))
            .arg("--config")
            .arg(config)
            .arg("check")
            .env(FEED_ENV, feed_url)
            .env_remove("TETE_CONFIG")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A temporary setup: `export.ics`, a vdir `personal/` and a config naming them and the feed.
fn write_setup(dir: &Path) -> PathBuf {
    std::fs::write(dir.join("export.ics"), EXPORT).unwrap();
    let vdir = dir.join("personal");
    std::fs::create_dir(&vdir).unwrap();
    std::fs::write(vdir.join("one.ics"), ITEM).unwrap();
    std::fs::write(vdir.join("two.ics"), ITEM.replace("UIDX", "UIDY")).unwrap();
    std::fs::write(vdir.join(".hidden.ics"), "junk").unwrap();
    std::fs::write(vdir.join("README"), "junk").unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "cache_dir = \"cache\"\n\n\
             [[calendar]]\nname = \"export\"\nfile = \"export.ics\"\n\n\
             [[calendar]]\nname = \"personal\"\nvdir = \"personal\"\n\n\
             [[calendar]]\nname = \"work\"\nurl = {{ env = \"{FEED_ENV}\" }}\n"
        ),
    )
    .unwrap();
    config
}

async fn feed_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(SECRET_PATH))
        .and(header("if-none-match", "\"w1\""))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(SECRET_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("ETag", "\"w1\"")
                .set_body_string(FEED),
        )
        .mount(&server)
        .await;
    server
}

/// The lines of one calendar's section of the report.
fn section<'a>(report: &'a str, name: &str) -> Vec<&'a str> {
    let mut lines = report
        .lines()
        .skip_while(|l| !l.starts_with(&format!("{name} (")));
    let header = lines.next().into_iter();
    header
        .chain(lines.take_while(|l| l.starts_with("  ")))
        .collect()
}

#[tokio::test]
async fn check_reports_every_source_and_a_304_on_the_second_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_setup(dir.path());
    let server = feed_server().await;
    let url = format!("{}{SECRET_PATH}", server.uri());

    let first = tete_check(&config, &url).await;
    let second = tete_check(&config, &url).await;

    let report = stdout(&first);
    assert_eq!(first.status.code(), Some(0), "{report}{}", stderr(&first));
    let export = section(&report, "export").join("\n");
    assert!(export.contains("(file "), "{export}");
    assert!(
        export.contains("read-only: tete will not write here"),
        "{export}"
    );
    assert!(
        export.contains("resources: 1, events: 3, recurring series: 1, warnings: 1"),
        "{export}"
    );
    let export_path = dir.path().join("export.ics").display().to_string();
    assert!(
        export.contains(&format!("{export_path}:16 (UID offsite): ")),
        "{export}"
    );
    let personal = section(&report, "personal").join("\n");
    assert!(personal.contains("(vdir "), "{personal}");
    assert!(personal.contains("writable"), "{personal}");
    assert!(
        personal.contains("resources: 2, events: 2, recurring series: 2, warnings: 0"),
        "{personal}"
    );
    let work = section(&report, "work").join("\n");
    assert!(work.contains("(feed http://127.0.0.1:"), "{work}");
    assert!(
        work.contains("read-only: tete will not write here"),
        "{work}"
    );
    assert!(work.contains("downloaded"), "{work}");
    assert!(
        work.contains("resources: 1, events: 3, recurring series: 2, warnings: 0"),
        "{work}"
    );

    let report = stdout(&second);
    assert_eq!(second.status.code(), Some(0), "{report}");
    let work = section(&report, "work").join("\n");
    assert!(work.contains("HTTP 304"), "{work}");
    assert!(work.contains("events: 3"), "{work}");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    for output in [&first, &second] {
        let all = stdout(output) + &stderr(output);
        assert!(!all.contains("s3cret"), "{all}");
    }
}

/// `--format json`: the same facts as the text, for programs, with the failures in place.
#[tokio::test]
async fn check_as_json_lists_every_calendar_with_what_was_read_or_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_setup(dir.path());
    std::fs::remove_file(dir.path().join("personal/two.ics")).unwrap();
    let server = feed_server().await;
    let url = format!("{}{SECRET_PATH}", server.uri());
    let (config_path, feed_url) = (config.clone(), url.clone());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_tete"))
            .arg("--config")
            .arg(config_path)
            .args(["check", "--format", "json"])
            .env(FEED_ENV, feed_url)
            .env_remove("TETE_CONFIG")
            .output()
            .unwrap()
    })
    .await
    .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(json["as_of"].as_str().unwrap().ends_with('Z'), "{json}");
    let calendars = json["calendars"].as_array().unwrap();
    let names: Vec<&str> = calendars
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["export", "personal", "work"]);
    let export = &calendars[0];
    assert_eq!(export["kind"], "file");
    assert_eq!(export["writable"], false);
    assert_eq!(export["read"]["events"], 3);
    assert_eq!(export["read"]["recurring_series"], 1);
    assert_eq!(export["read"]["warnings"][0]["line"], 16);
    assert_eq!(export["read"]["warnings"][0]["uid"], "offsite");
    assert_eq!(export["error"], serde_json::Value::Null);
    assert_eq!(calendars[1]["kind"], "vdir");
    assert_eq!(calendars[1]["read"]["resources"], 1);
    assert_eq!(calendars[2]["kind"], "feed");
    assert_eq!(calendars[2]["fetch"][0], "downloaded");
    assert_eq!(json["held_writes"], serde_json::json!([]));
    assert_eq!(json["nudges"]["enabled"], true);
    assert!(!stdout(&output).contains("s3cret"));
}

#[tokio::test]
async fn one_failing_source_exits_1_and_the_others_are_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_setup(dir.path());
    std::fs::remove_file(dir.path().join("export.ics")).unwrap();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let url = format!("{}{SECRET_PATH}", server.uri());

    let output = tete_check(&config, &url).await;

    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    let export = section(&report, "export").join("\n");
    assert!(export.contains("error: cannot read"), "{export}");
    let work = section(&report, "work").join("\n");
    assert!(
        work.contains("error: ") && work.contains("404 Not Found"),
        "{work}"
    );
    let personal = section(&report, "personal").join("\n");
    assert!(personal.contains("resources: 2"), "{personal}");
    assert!(report.contains("2 failed"), "{report}");
    assert!(!(report + &stderr(&output)).contains("s3cret"));
}

#[tokio::test]
async fn feed_that_is_not_icalendar_fails() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_setup(dir.path());
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>Sign in</html>"))
        .mount(&server)
        .await;
    let url = format!("{}{SECRET_PATH}", server.uri());

    let output = tete_check(&config, &url).await;

    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    let work = section(&report, "work").join("\n");
    assert!(work.contains("not iCalendar"), "{work}");
    assert!(!work.contains("s3cret"), "{work}");
}

#[tokio::test]
async fn config_typo_exits_2_naming_key_line_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[[calendar]]\nname = \"a\"\nfile = \"a.ics\"\n\n[[calender]]\nname = \"b\"\n",
    )
    .unwrap();

    let output = tete_check(&config, "").await;

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains(&config.display().to_string()), "{message}");
    assert!(message.contains("line 5"), "{message}");
    assert!(message.contains("`calender`"), "{message}");
    assert!(stdout(&output).is_empty());
}

#[tokio::test]
async fn missing_config_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("absent.toml");

    let output = tete_check(&config, "").await;

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("no configuration file"), "{message}");
    assert!(message.contains(&config.display().to_string()), "{message}");
}

/// `tete init` writes the commented example config (private, never over an existing file),
/// and that config loads; completions and the man page come from the command line itself.
#[test]
fn init_completions_and_manpage_install_tete_like_a_tool() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tete/config.toml");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tete"))
            .args(args)
            .env_remove("TETE_CONFIG")
            .output()
            .unwrap()
    };
    let out = run(&["init", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&dir.path().join("tete")), 0o700);
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        written.contains("[me]") && written.contains("# "),
        "commented"
    );
    tete::config::Config::load(&path).expect("the written config loads");
    std::fs::write(&path, "mine").unwrap();
    let again = run(&["init", path.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "mine",
        "left as it was"
    );

    for (shell, start) in [
        ("bash", "_tete()"),
        ("zsh", "#compdef tete"),
        ("fish", "complete"),
    ] {
        let out = run(&["completions", shell]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains(start),
            "{shell}: {text}"
        );
        assert!(text.contains("report"), "{shell} completes the commands");
    }
    let man = run(&["manpage"]);
    let text = String::from_utf8_lossy(&man.stdout);
    assert!(
        man.status.success() && text.contains(".TH tete 1"),
        "{text}"
    );
    assert!(text.contains("report"), "{text}");
}

/// `tete check` tells which nudge channels cannot work (an unset variable for the SMTP
/// password), names them and fails, and shows the webhook's host only (its path is a secret).
#[test]
fn check_names_nudge_channels_that_cannot_work() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("export.ics"), EXPORT).unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "state_file = \"{}\"\n[me]\nemail = \"mia@example.com\"\n\
             [[calendar]]\nname = \"export\"\nfile = \"export.ics\"\n\
             [nudges.desktop]\nenabled = false\n\
             [nudges.email]\nserver = \"smtp.example.com\"\nusername = \"mia\"\n\
             password = {{ env = \"TETE_TEST_UNSET_SMTP_PASSWORD\" }}\n\
             from = \"tete <tete@example.com>\"\nto = [\"mia@example.com\"]\n\
             [nudges.webhook]\nurl = {{ env = \"TETE_TEST_WEBHOOK\" }}\n",
            dir.path().join("state.sqlite").display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tete"))
        .arg("--config")
        .arg(&config)
        .arg("check")
        .env_remove("TETE_TEST_UNSET_SMTP_PASSWORD")
        .env("TETE_TEST_WEBHOOK", "https://hooks.example.com/s3cret-path")
        .env_remove("TETE_CONFIG")
        .output()
        .unwrap();
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{report}{}", stderr(&out));
    let email = report
        .lines()
        .find(|l| l.trim_start().starts_with("email:"))
        .unwrap();
    assert!(
        email.contains("cannot work") && email.contains("TETE_TEST_UNSET_SMTP_PASSWORD"),
        "{report}"
    );
    let webhook = report
        .lines()
        .find(|l| l.trim_start().starts_with("webhook:"))
        .unwrap();
    assert!(webhook.contains("hooks.example.com"), "{webhook}");
    assert!(
        !report.contains("s3cret"),
        "the webhook's path is a secret: {report}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_tete"))
        .arg("--config")
        .arg(&config)
        .args(["check", "--format", "json"])
        .env_remove("TETE_TEST_UNSET_SMTP_PASSWORD")
        .env("TETE_TEST_WEBHOOK", "https://hooks.example.com/s3cret-path")
        .env_remove("TETE_CONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let channels = json["nudges"]["channels"].as_array().unwrap();
    let status = |name: &str| {
        channels
            .iter()
            .find(|c| c["channel"] == name)
            .map(|c| c["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status("email").as_deref(), Some("cannot_work"), "{json}");
    assert_eq!(status("webhook").as_deref(), Some("ready"), "{json}");
    assert_eq!(status("desktop"), None, "desktop is off: {json}");
    assert!(!stdout(&out).contains("s3cret"));
}

/// `request_timeout` bounds a request to a server that never answers, and the message says
/// which limit was hit and how to raise it.
#[test]
fn request_timeout_bounds_a_silent_server() {
    let url = crate::support::silent_feed();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "request_timeout = \"5s\"\nstate_file = \"{}\"\ncache_dir = \"{}\"\n\
             [me]\nemail = \"mia@example.com\"\n\
             [nudges.desktop]\nenabled = false\n\
             [[calendar]]\nname = \"slow\"\nurl = \"{url}\"\n",
            dir.path().join("state.sqlite").display(),
            dir.path().join("cache").display(),
        ),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_tete"))
        .arg("--config")
        .arg(&config)
        .arg("check")
        .env_remove("TETE_CONFIG")
        .output()
        .unwrap();
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{report}{}", stderr(&out));
    assert!(
        report.contains("total 5s") && report.contains("request_timeout"),
        "{report}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

/// On a terminal, a long read shows a spinner on stderr (cleared at the end); in a pipe,
/// nothing is added. The terminal is `script`'s pseudo-terminal (util-linux).
#[test]
fn a_slow_read_shows_progress_on_a_terminal_only() {
    let script = std::path::Path::new("/usr/bin/script");
    if !script.exists() {
        eprintln!("script (util-linux) not found: progress not checked");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "request_timeout = \"5s\"\nstate_file = \"{}\"\ncache_dir = \"{}\"\n\
             [me]\nemail = \"mia@example.com\"\n[[calendar]]\nname = \"slow\"\nurl = \"{}\"\n",
            dir.path().join("state.sqlite").display(),
            dir.path().join("cache").display(),
            crate::support::silent_feed(),
        ),
    )
    .unwrap();
    let tete = env!("CARGO_BIN_EXE_tete");
    let command = format!("{tete} --config {} report", config.display());
    let on_terminal = Command::new(script)
        .args(["-qec", &command, "/dev/null"])
        .env_remove("TETE_CONFIG")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&on_terminal.stdout);
    assert!(shown.contains("reading the calendars"), "{shown}");
    let piped = Command::new(tete)
        .args(["--config", config.to_str().unwrap(), "report"])
        .env_remove("TETE_CONFIG")
        .output()
        .unwrap();
    assert!(
        !stderr(&piped).contains("reading the calendars"),
        "{}",
        stderr(&piped)
    );
}
