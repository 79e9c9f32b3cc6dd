//! `tete demo`, `tete report` and `tete list` end to end: the built binary on the bundled
//! demo calendar and on small hand-made ones, with a real SQLite state file.

use std::path::Path;
use std::process::{Command, Output};

fn tete(args: &[&str]) -> Output {
    tete_in("UTC", args)
}

/// `tete ARGS` on a machine whose zone is `tz`.
fn tete_in(tz: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tete"))
        .args(args)
        .env("TZ", tz)
        .env_remove("TETE_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent/tete-test-config")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "tete failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn demo_tells_the_same_story_every_time() {
    insta::assert_snapshot!("demo_text", stdout(&tete(&["demo"])));
}

#[test]
fn people_read_times_in_their_own_zone_and_json_stays_utc() {
    let berlin = stdout(&tete_in("Europe/Berlin", &["demo"]));
    // Ann's 1:1 is at 09:00 UTC: 10:00 in Berlin in winter.
    assert!(berlin.contains("Tue 1 Dec 10:00 CET"), "{berlin}");
    assert!(!berlin.contains(" UTC"), "{berlin}");
    assert!(berlin.contains("as of 2026-11-25 13:00 CET"), "{berlin}");
    let json = stdout(&tete_in("Europe/Berlin", &["demo", "--format", "json"]));
    assert!(json.contains("Z\""), "JSON keeps UTC: {json}");
    assert!(!json.contains("CET"), "{json}");
}

#[test]
fn demo_json_is_documented_shape() {
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&tete(&["demo", "--format", "json"]))).unwrap();
    let list = json.as_array().unwrap();
    assert_eq!(list.len(), 9);
    for entry in list {
        for key in [
            "counterpart",
            "name",
            "series",
            "configured_cadence",
            "held",
            "moved",
            "cancelled",
            "suggestion",
        ] {
            assert!(entry.get(key).is_some(), "{key} missing in {entry}");
        }
    }
    let chloe = list.iter().find(|e| e["name"] == "Chloé Dubois").unwrap();
    assert_eq!(chloe["suggestion"]["cadence"], "biweekly");
    let elif = list.iter().find(|e| e["name"] == "Elif Yılmaz").unwrap();
    assert_eq!(elif["series"].as_array().unwrap().len(), 2);
    assert_eq!(elif["configured_cadence"], "biweekly");
}

#[test]
fn html_report_is_one_self_contained_page() {
    let html = stdout(&tete(&["demo", "--format", "html"]));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<section>").count(), 9);
    assert!(html.matches("<svg").count() >= 9);
    for external in ["src=", "href=", "@import", "url("] {
        assert!(!html.contains(external), "external resource: {external}");
    }
}

const CALENDAR: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n\
BEGIN:VEVENT\r\nUID:ann-weekly\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T103000Z\r\n\
RRULE:FREQ=WEEKLY\r\nEXDATE:20260119T100000Z\r\nSUMMARY:Ann <script>alert(1)</script> / Mia\r\n\
ORGANIZER:mailto:mia@example.com\r\nATTENDEE;CN=Ann:mailto:ann@example.com\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:ann-weekly\r\nRECURRENCE-ID:20260112T100000Z\r\nDTSTART:20260113T150000Z\r\n\
DTEND:20260113T153000Z\r\nSUMMARY:Ann / Mia\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:team\r\nDTSTART:20260105T090000Z\r\nRRULE:FREQ=WEEKLY\r\nSUMMARY:Team\r\n\
ORGANIZER:mailto:mia@example.com\r\nATTENDEE:mailto:ann@example.com\r\nATTENDEE:mailto:bo@example.com\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

fn report(dir: &Path, calendar: &Path, format: &str) -> String {
    stdout(&report_run(dir, calendar, format))
}

/// `tete report` of `calendar` on 2026-02-04, its state in `dir`: the whole output.
fn report_run(dir: &Path, calendar: &Path, format: &str) -> Output {
    let state = dir.join("state/tete.sqlite");
    tete(&[
        "report",
        "--format",
        format,
        "--me",
        "MIA@example.com",
        "--calendar",
        calendar.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
        "--now",
        "2026-02-04T12:00:00Z",
        "--since",
        "2026-01-01",
    ])
}

#[test]
fn report_counts_and_remembers_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let calendar = dir.path().join("cal.ics");
    std::fs::write(&calendar, CALENDAR).unwrap();
    let first = report(dir.path(), &calendar, "json");
    let json: serde_json::Value = serde_json::from_str(&first).unwrap();
    let ann = &json[0];
    assert_eq!(ann["counterpart"], "ann@example.com");
    assert_eq!(ann["configured_cadence"], "weekly");
    // 5, 12 (moved to the 13th), 19 (EXDATE), 26 Jan, 2 Feb
    assert_eq!(
        (
            ann["held"].as_u64(),
            ann["moved"].as_u64(),
            ann["cancelled"].as_u64()
        ),
        (Some(3), Some(1), Some(1))
    );
    assert_eq!(
        json.as_array().unwrap().len(),
        1,
        "the team meeting is not a 1:1"
    );
    assert!(dir.path().join("state/tete.sqlite").exists());
    // A second run over the same state with nothing changed reports the same.
    assert_eq!(report(dir.path(), &calendar, "json"), first);
    // The occurrence deleted from the calendar is still known from the history.
    let without_2_feb = CALENDAR.replace(
        "RRULE:FREQ=WEEKLY\r\nEXDATE",
        "RRULE:FREQ=WEEKLY;UNTIL=20260201T000000Z\r\nEXDATE",
    );
    std::fs::write(&calendar, without_2_feb).unwrap();
    let later: serde_json::Value =
        serde_json::from_str(&report(dir.path(), &calendar, "json")).unwrap();
    assert_eq!(later[0]["held"], 3, "history keeps the 2 Feb meeting");
}

#[test]
fn calendar_text_never_becomes_markup() {
    let dir = tempfile::tempdir().unwrap();
    let calendar = dir.path().join("cal.ics");
    std::fs::write(&calendar, CALENDAR.replace("CN=Ann", "CN=\"<b>Ann</b>\"")).unwrap();
    let html = report(dir.path(), &calendar, "html");
    assert!(html.contains("&lt;b&gt;Ann&lt;/b&gt;"));
    assert!(!html.contains("<b>Ann"));
}

#[test]
fn list_explains_every_series() {
    let dir = tempfile::tempdir().unwrap();
    let calendar = dir.path().join("cal.ics");
    std::fs::write(&calendar, CALENDAR).unwrap();
    let out = stdout(&tete(&[
        "list",
        "--explain",
        "--me",
        "mia@example.com",
        "--calendar",
        calendar.to_str().unwrap(),
    ]));
    assert!(
        out.contains("because exactly two people: me and Ann"),
        "{out}"
    );
    assert!(out.contains("because 2 people besides me"), "{out}");
}

#[test]
fn without_me_or_config_the_error_says_what_to_do() {
    let out = tete(&["report", "--calendar", "demo/calendar.ics"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--me EMAIL"), "{err}");
    let out = tete(&["report"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--calendar"));
}

#[test]
fn when_no_calendar_can_be_read_the_first_line_names_each_cause() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.ics");
    let garbage = dir.path().join("gone.ics");
    let state = dir.path().join("state.sqlite");
    for command in ["report", "list"] {
        let out = tete(&[
            command,
            "--me",
            "mia@example.com",
            "--calendar",
            missing.to_str().unwrap(),
            "--calendar",
            garbage.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
        ]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().next().unwrap_or_default();
        assert!(
            first.contains("no calendar could be read")
                && first.contains("missing.ics")
                && first.contains("No such file")
                && first.contains("gone.ics"),
            "{command}: {err}"
        );
    }
}

#[test]
fn quick_tries_on_two_exports_keep_separate_histories() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.ics"), dir.path().join("b.ics"));
    std::fs::write(&a, CALENDAR).unwrap();
    // the same series in another export, where 2 Feb is not there (ended earlier)
    std::fs::write(
        &b,
        CALENDAR.replace(
            "RRULE:FREQ=WEEKLY\r\nEXDATE",
            "RRULE:FREQ=WEEKLY;COUNT=3\r\nEXDATE",
        ),
    )
    .unwrap();
    let run = |file: &Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_tete"))
            .args([
                "report",
                "--format",
                "json",
                "--me",
                "mia@example.com",
                "--calendar",
            ])
            .arg(file)
            .args(["--now", "2026-02-04T12:00:00Z", "--since", "2026-01-01"])
            .env_remove("TETE_CONFIG")
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&stdout(&out).into_bytes()).unwrap();
        (json[0]["held"].as_u64(), json[0]["cancelled"].as_u64())
    };
    assert_eq!(run(&a), (Some(3), Some(1)));
    // 5 Jan held, 12 Jan moved, 19 Jan EXDATE: nothing from a.ics leaks in
    assert_eq!(run(&b), (Some(1), Some(1)));
    let files: Vec<_> = std::fs::read_dir(dir.path().join("state/tete"))
        .unwrap()
        .collect();
    assert_eq!(
        files
            .iter()
            .filter(|f| f
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".sqlite"))
            .count(),
        2
    );
}

/// The state file holds people's action items: 0600 in a 0700 folder, whatever the sources
/// (here a plain `.ics` file) and with the usual umask 022.
#[test]
fn the_state_file_is_private_whatever_the_sources() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("new-folder/state.sqlite");
    let calendar = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/calendar.ics");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_tete"))
        .args(["report", "--me", "mia@example.com", "--now", "2026-11-25"])
        .arg("--calendar")
        .arg(&calendar)
        .arg("--state")
        .arg(&state)
        .env_remove("TETE_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&state), 0o600);
    assert_eq!(mode(&dir.path().join("new-folder")), 0o700);
    for sidecar in ["state.sqlite-wal", "state.sqlite-shm"] {
        let path = dir.path().join("new-folder").join(sidecar);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{sidecar}");
        }
    }
}

/// Declines, in the organizer's copy (everyone's answers) and in an attendee's own copy
/// (their own answer): a 1:1 either person declined did not take place.
#[test]
fn declined_1on1s_are_not_held() {
    let dir = tempfile::tempdir().unwrap();
    let attendee = |who: &str, partstat: &str| {
        format!("ATTENDEE;PARTSTAT={partstat}:mailto:{who}@example.com\r\n")
    };
    let event = |rid: Option<&str>, start: &str, answers: &str| {
        let rule = match rid {
            None => "RRULE:FREQ=WEEKLY;COUNT=6\r\n".to_string(),
            Some(rid) => format!("RECURRENCE-ID:{rid}\r\n"),
        };
        format!(
            "BEGIN:VEVENT\r\nUID:ann-weekly\r\n{rule}DTSTART:{start}\r\nDURATION:PT30M\r\n\
             SUMMARY:Ann / Mia\r\nORGANIZER:mailto:mia@example.com\r\n{answers}END:VEVENT\r\n"
        )
    };
    let accepted = format!(
        "{}{}",
        attendee("mia", "ACCEPTED"),
        attendee("ann", "ACCEPTED")
    );
    let ann_declined = format!(
        "{}{}",
        attendee("mia", "ACCEPTED"),
        attendee("ann", "DECLINED")
    );
    let mia_declined = format!(
        "{}{}",
        attendee("mia", "DECLINED"),
        attendee("ann", "ACCEPTED")
    );
    let calendar = format!(
        "BEGIN:VCALENDAR\r\n{}{}{}END:VCALENDAR\r\n",
        event(None, "20260302T100000Z", &accepted),
        event(Some("20260309T100000Z"), "20260309T100000Z", &ann_declined),
        event(Some("20260316T100000Z"), "20260316T100000Z", &mia_declined),
    );
    let file = dir.path().join("mia.ics");
    std::fs::write(&file, calendar).unwrap();
    let state = dir.path().join("state.sqlite");
    let report_as = |format: &str| {
        stdout(&tete(&[
            "report",
            "--format",
            format,
            "--me",
            "mia@example.com",
            "--calendar",
            file.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--now",
            "2026-04-10",
            "--since",
            "2026-03-01",
        ]))
    };
    let out = report_as("json");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ann = &report[0];
    assert_eq!(ann["counterpart"], "ann@example.com", "{report:#}");
    assert_eq!(
        (&ann["held"], &ann["cancelled"], &ann["declined"]),
        (&4.into(), &2.into(), &2.into()),
        "{ann:#}"
    );
    assert_eq!(ann["last_held"], "2026-04-06T10:00:00Z");
    // The timeline marks them as declined, with a legend.
    let html = report_as("html");
    assert_eq!(html.matches(" declined</title>").count(), 2, "{html}");
    assert!(html.contains("</svg> declined</span>"), "{html}");

    // Ann declines the whole series (her answer on the master): the report says the 1:1 is
    // not happening.
    let whole = format!(
        "BEGIN:VCALENDAR\r\n{}END:VCALENDAR\r\n",
        event(None, "20260302T100000Z", &ann_declined)
    );
    std::fs::write(&file, whole).unwrap();
    std::fs::remove_file(&state).unwrap();
    let report: serde_json::Value = serde_json::from_str(&report_as("json")).unwrap();
    let ann = &report[0];
    assert_eq!(ann["suggestion"]["rule"], "declined", "{ann:#}");
    assert_eq!(ann["held"], 0, "{ann:#}");
    let text = report_as("text");
    assert!(
        text.contains("declined as a whole: it is not happening"),
        "{text}"
    );
}

#[test]
fn list_and_items_speak_json_with_an_as_of() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.sqlite");
    let args = |command: &'static str| {
        vec![
            command,
            "--format",
            "json",
            "--me",
            "mia@example.com",
            "--calendar",
            "demo/calendar.ics",
            "--state",
            state.to_str().unwrap(),
            "--now",
            "2026-11-25T12:00:00Z",
        ]
    };
    let list: serde_json::Value = serde_json::from_str(&stdout(&tete(&args("list")))).unwrap();
    assert_eq!(list["as_of"], "2026-11-25T12:00:00Z");
    assert_eq!(
        list["relationships"].as_array().unwrap().len(),
        9,
        "{list:#}"
    );
    assert!(list["relationships"][0]["series"][0]["reason"].is_string());
    assert!(!list["other_series"].as_array().unwrap().is_empty());
    let items: serde_json::Value = serde_json::from_str(&stdout(&tete(&args("items")))).unwrap();
    assert_eq!(items["as_of"], "2026-11-25T12:00:00Z");
    let open: usize = items["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["open"].as_array().unwrap().len())
        .sum();
    assert!(open > 0, "{items:#}");
}

#[test]
fn report_with_one_person() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.sqlite");
    let report = |with: &str| {
        tete(&[
            "report",
            "--format",
            "json",
            "--with",
            with,
            "--me",
            "mia@example.com",
            "--calendar",
            "demo/calendar.ics",
            "--state",
            state.to_str().unwrap(),
            "--now",
            "2026-11-25T12:00:00Z",
        ])
    };
    let json: serde_json::Value = serde_json::from_str(&stdout(&report("chlo"))).unwrap();
    let list = json.as_array().unwrap();
    assert_eq!(list.len(), 1, "{json:#}");
    assert_eq!(list[0]["name"], "Chloé Dubois");
    let none = report("nobody-here");
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no 1:1 relationship matches"));
}

/// The HTML report leads with what needs attention, those people first, and every timeline
/// shares one time axis, so months line up down the page.
#[test]
fn the_html_report_leads_with_attention_on_one_time_axis() {
    let html = stdout(&tete(&["demo", "--format", "html"]));
    assert!(
        html.contains("2 of 9 need attention: Chloé, Grace."),
        "{html}"
    );
    let first = html.find("Chloé Dubois").unwrap();
    assert!(first < html.find("Ann Berger").unwrap(), "attention first");
    let months: Vec<Vec<&str>> = html
        .split("<svg ")
        .skip(1)
        .filter(|svg| svg.contains("aria-label=\"timeline\""))
        .map(|svg| {
            svg.split("<text x=\"")
                .skip(1)
                .filter(|t| t.contains("font-size=\"10\" fill=\"#5b6475\""))
                .filter_map(|t| t.split('"').next())
                .collect()
        })
        .collect();
    assert_eq!(months.len(), 9);
    assert!(!months[0].is_empty());
    assert!(months.iter().all(|m| *m == months[0]), "{months:?}");
    // A moved meeting differs from a held one in shape (a triangle), not only in colour.
    assert!(html.contains("Z\" fill=\"#f0a500\""), "{html}");
    assert!(!html.contains("r=\"5\" fill=\"#f0a500\""), "{html}");
}

/// `tete digest` on the demo calendar, Monday morning in Berlin: the text and JSON a person
/// and a program read.
#[test]
fn the_digest_of_the_demo_week_as_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.sqlite");
    // One history per date: a cycle never goes back in time.
    let run = |format, now: &str| demo_digest(format, &state.with_extension(&now[..10]), now);
    insta::assert_snapshot!("digest_text", run("text", "2026-11-30T06:30:00Z"));
    insta::assert_snapshot!("digest_json", run("json", "2026-11-30T06:30:00Z"));
    // In August Finn's 1:1 had been cancelled twice and was overdue: attention says so once.
    let august = run("text", "2026-08-17T06:30:00Z");
    insta::assert_snapshot!("digest_text_august", august);
}

/// `tete digest --format FORMAT` on the demo calendar as Mia at `now`, in Berlin: its output.
pub(crate) fn demo_digest(format: &str, state: &Path, now: &str) -> String {
    let calendar = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/calendar.ics");
    let (calendar, state) = (calendar.display().to_string(), state.display().to_string());
    stdout(&tete_in(
        "Europe/Berlin",
        &[
            "digest",
            "--format",
            format,
            "--me",
            "mia@example.com",
            "--calendar",
            &calendar,
            "--state",
            &state,
            "--now",
            now,
        ],
    ))
}

/// A reader of 1:1s drops a single meeting of four or more unparsed: a problem inside it
/// (a broken line, a zone nobody defines) is no concern of the report, but `tete check`,
/// which reads every line, still names it; the same problem in a 1:1 is still reported.
#[test]
fn problems_inside_group_meetings_are_for_check_not_for_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let group = "BEGIN:VEVENT\r\nUID:all-hands\r\nDTSTART;TZID=Nowhere/Land:20260120T100000\r\n\
        DTEND:20260120T110000Z\r\nSUMMARY:All hands\r\nORGANIZER:mailto:mia@example.com\r\n\
        ATTENDEE:mailto:a@example.com\r\nATTENDEE:mailto:b@example.com\r\n\
        ATTENDEE:mailto:c@example.com\r\nTHIS LINE IS BROKEN\r\nEND:VEVENT\r\n";
    let one_on_one = "BEGIN:VEVENT\r\nUID:weekly-ann\r\nDTSTART:20260105T100000Z\r\n\
        RRULE:FREQ=WEEKLY\r\nSUMMARY:Ann / Mia\r\nORGANIZER:mailto:mia@example.com\r\n\
        ATTENDEE:mailto:ann@example.com\r\nthis line is broken too\r\nEND:VEVENT\r\n";
    let calendar = dir.path().join("cal.ics");
    std::fs::write(
        &calendar,
        format!("BEGIN:VCALENDAR\r\n{group}{one_on_one}END:VCALENDAR\r\n"),
    )
    .unwrap();
    let out = report_run(dir.path(), &calendar, "text");
    let text = stdout(&out);
    assert!(text.contains("weekly"), "{text}");
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(warnings.contains("this line is broken too"), "{warnings}");
    assert!(!warnings.contains("THIS LINE IS BROKEN"), "{warnings}");
    assert!(!warnings.contains("Nowhere/Land"), "{warnings}");

    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "state_file = {:?}\n[me]\nemail = \"mia@example.com\"\n[[calendar]]\nname = \"export\"\nfile = {:?}\n",
            dir.path().join("state/tete.sqlite").to_str().unwrap(),
            calendar.to_str().unwrap()
        ),
    )
    .unwrap();
    let check = stdout(&tete(&["--config", config.to_str().unwrap(), "check"]));
    assert!(check.contains("warnings: 2"), "{check}");
    assert!(check.contains("THIS LINE IS BROKEN"), "{check}");
    assert!(check.contains("this line is broken too"), "{check}");
}
