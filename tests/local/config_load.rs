//! Loading configuration files: the example, typos and wrong types.

use std::path::{Path, PathBuf};

use tete::config::{Config, ConfigError};
use tete::secret::Secret;
use tete::sources::Location;

fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn load_error(text: &str) -> (PathBuf, ConfigError) {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), text);
    (path.clone(), Config::load(&path).unwrap_err())
}

#[test]
fn example_config_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let config = Config::load(&path).unwrap();
    assert!(!config.calendars.is_empty());
    let kinds: Vec<_> = config
        .calendars
        .iter()
        .map(|c| match c.location {
            Location::File(_) => "file",
            Location::Vdir(_) => "vdir",
            Location::Feed(_) => "feed",
            Location::Caldav(_) => "caldav",
            Location::Graph(_) => "graph",
        })
        .collect();
    for kind in ["file", "vdir", "feed", "caldav", "graph"] {
        assert!(
            kinds.contains(&kind),
            "the example shows no {kind}: {kinds:?}"
        );
    }
}

#[test]
fn top_level_typo_names_key_line_column_and_file() {
    let (path, err) = load_error("cache_dir = \"/tmp/c\"\n\n[[calender]]\nname = \"work\"\n");
    let shown = err.to_string();
    assert!(
        matches!(&err, ConfigError::Invalid { line: 3, key: Some(k), .. } if k == "calender"),
        "{shown}"
    );
    assert!(shown.contains(&path.display().to_string()), "{shown}");
    assert!(shown.contains("line 3"), "{shown}");
    assert!(shown.contains("`calender`"), "{shown}");
}

#[test]
fn key_typo_in_a_calendar_names_key_line_and_column() {
    let (path, err) =
        load_error("[[calendar]]\nname = \"a\"\nfile = \"a.ics\"\n\n[[calendar]]\nnmae = \"b\"\n");
    let shown = err.to_string();
    assert!(
        matches!(&err, ConfigError::Invalid { line: 6, column: 1, key: Some(k), .. } if k == "nmae"),
        "{shown}"
    );
    assert!(shown.contains(&path.display().to_string()), "{shown}");
    assert!(shown.contains("expected"), "{shown}");
}

#[test]
fn wrong_type_names_key_line_and_column() {
    let (_, err) = load_error("cache_dir = 42\n[[calendar]]\nname = \"a\"\nfile = \"a.ics\"\n");
    let shown = err.to_string();
    assert!(
        matches!(&err, ConfigError::Invalid { line: 1, column: 13, key: Some(k), .. } if k == "cache_dir"),
        "{shown}"
    );
    assert!(
        shown.contains("line 1, column 13, key `cache_dir`"),
        "{shown}"
    );
}

#[test]
fn secret_table_typo_is_reported() {
    let (_, err) = load_error("[[calendar]]\nname = \"a\"\nurl = { evn = \"X\" }\n");
    let shown = err.to_string();
    assert!(
        matches!(&err, ConfigError::Invalid { line: 3, key: Some(k), .. } if k == "evn"),
        "{shown}"
    );
}

#[test]
fn missing_file_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let err = Config::load(&dir.path().join("nope.toml")).unwrap_err();
    assert!(matches!(err, ConfigError::NotFound { .. }), "{err}");
}

#[test]
fn feed_url_forms() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(
        dir.path(),
        "[[calendar]]\nname = \"a\"\nurl = \"webcal://example.com/x.ics\"\n\
         [[calendar]]\nname = \"b\"\nurl = { env = \"WORK_FEED\" }\n\
         [[calendar]]\nname = \"c\"\nurl = { command = \"pass show cal/work\" }\n\
         [[calendar]]\nname = \"d\"\nurl = { credential = \"work-feed\" }\n",
    );
    let config = Config::load(&path).unwrap();
    let secrets: Vec<_> = config
        .calendars
        .iter()
        .map(|c| match &c.location {
            Location::Feed(secret) => secret.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        secrets,
        [
            Secret::Plain("webcal://example.com/x.ics".into()),
            Secret::Env("WORK_FEED".into()),
            Secret::Command("pass show cal/work".into()),
            Secret::Credential("work-feed".into()),
        ]
    );
    assert!(!format!("{config:?}").contains("example.com"));
}

#[test]
fn example_config_sets_me_detect_and_cadence() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let config = Config::load(&path).unwrap();
    assert_eq!(config.me.email.as_deref(), Some("mia@example.com"));
    assert_eq!(config.detect.exclude_titles.len(), 2);
    // The defaults, days counted in the manager's zone (the machine's here).
    let defaults = tete::cadence::Settings {
        zone: tete::zone::Zone::machine(),
        ..tete::cadence::Settings::default()
    };
    assert_eq!(config.cadence, defaults);
    assert!(config.state_file.ends_with("state.sqlite"));
}

#[test]
fn a_bad_title_pattern_is_named_with_its_line() {
    let (_, err) = load_error(
        "[[calendar]]\nname = \"a\"\nfile = \"a.ics\"\n[detect]\nexclude_titles = [\"(unclosed\"]\n",
    );
    assert!(
        matches!(&err, ConfigError::Invalid { line: 5, key: Some(k), .. } if k == "exclude_titles"),
        "{err}"
    );
}

#[test]
fn a_typo_in_a_cadence_key_is_named() {
    let (_, err) =
        load_error("[[calendar]]\nname = \"a\"\nfile = \"a.ics\"\n[cadence]\nwindow_week = 3\n");
    assert!(
        matches!(&err, ConfigError::Invalid { line: 5, key: Some(k), .. } if k == "window_week"),
        "{err}"
    );
}

#[test]
fn example_config_has_agenda_templates_that_render() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let config = Config::load(&path).unwrap();
    assert_eq!(config.agenda.write_ahead_days, 7);
    assert!(config.agenda.templates.contains_key("ann@example.com"));
}

#[test]
fn a_broken_agenda_template_is_named_with_its_line() {
    let (_, err) = load_error(
        "[[calendar]]\nname = \"a\"\nfile = \"a.ics\"\n[agenda]\ntemplate = \"{{ counterpart.nmae }}\"\n",
    );
    assert!(
        matches!(&err, ConfigError::Invalid { line: 5, key: Some(k), .. } if k == "template"),
        "{err}"
    );
    let (_, err) =
        load_error("[[calendar]]\nname = \"a\"\nfile = \"a.ics\"\n[agenda]\ndelivery = \"loud\"\n");
    assert!(
        matches!(&err, ConfigError::Invalid { line: 5, key: Some(k), .. } if k == "delivery"),
        "{err}"
    );
    assert!(err.to_string().contains("\"private\""), "{err}");
}

#[test]
fn the_old_scheduling_modes_name_the_delivery_that_replaces_them() {
    for (old, new) in [
        ("silent", "delivery = \"private\""),
        ("server", "delivery = \"shared\""),
    ] {
        let (_, err) = load_error(&format!(
            "[[calendar]]\nname = \"a\"\nfile = \"a.ics\"\n[agenda]\nscheduling = \"{old}\"\n"
        ));
        assert!(
            matches!(&err, ConfigError::Invalid { line: 5, key: Some(k), .. } if k == "scheduling"),
            "{err}"
        );
        assert!(err.to_string().contains(new), "{old}: {err}");
    }
}

#[test]
fn the_digest_day_and_time_are_checked_and_named() {
    const CALENDAR: &str = "[[calendar]]\nname = \"a\"\nfile = \"a.ics\"\n";
    let (_, err) = load_error(&format!(
        "{CALENDAR}[digest]\nenabled = true\nday = \"mondy\"\n"
    ));
    assert!(
        matches!(&err, ConfigError::Invalid { line: 6, key: Some(k), .. } if k == "day"),
        "{err}"
    );
    assert!(err.to_string().contains("not a day of the week"), "{err}");
    let (_, err) = load_error(&format!("{CALENDAR}[digest]\ntime = \"7.30\"\n"));
    assert!(
        matches!(&err, ConfigError::Invalid { line: 5, key: Some(k), .. } if k == "time"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(
        dir.path(),
        &format!("{CALENDAR}[digest]\nday = \"Fri\"\ntime = \"16:00\"\n"),
    );
    let digest = Config::load(&path).unwrap().digest;
    assert_eq!(digest.day, chrono::Weekday::Fri);
    assert_eq!(
        digest.time,
        chrono::NaiveTime::from_hms_opt(16, 0, 0).unwrap()
    );
}

/// `max_rule_steps` bounds one event's recurrence: the cut rule is named on stderr, and a
/// limit too small for real series is refused with file, line and key.
#[test]
fn max_rule_steps_bounds_a_hostile_rule_and_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cal.ics"),
        // A 1:1 (only 1:1s are expanded by a cycle), with a rule of 50,000 steps.
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:hostile\nDTSTART:20260105T100000Z\n\
         RRULE:FREQ=MINUTELY;COUNT=50000\nSUMMARY:x\nORGANIZER:mailto:mia@example.com\n\
         ATTENDEE:mailto:bo@example.com\nEND:VEVENT\nEND:VCALENDAR\n",
    )
    .unwrap();
    let config = |steps: &str| {
        write_config(
            dir.path(),
            &format!(
                "max_rule_steps = {steps}\nstate_file = \"{0}/state.sqlite\"\n\
                 cache_dir = \"{0}/cache\"\n[me]\nemail = \"mia@example.com\"\n\
                 [[calendar]]\nname = \"w\"\nfile = \"{0}/cal.ics\"\n",
                dir.path().display()
            ),
        )
    };
    let report = |path: &Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tete"))
            .arg("--config")
            .arg(path)
            .args(["report", "--now", "2026-03-01T00:00:00Z"])
            .env_remove("TETE_CONFIG")
            .output()
            .unwrap()
    };
    let out = report(&config("1000"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("(UID hostile): RRULE stopped after 1000 steps"),
        "{stderr}"
    );
    let path = config("10");
    let err = Config::load(&path).unwrap_err();
    assert!(
        matches!(&err, ConfigError::Invalid { line: 1, key: Some(k), .. } if k == "max_rule_steps"),
        "{err}"
    );
}
