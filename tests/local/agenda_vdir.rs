//! The agenda writer end to end on a vdir: `tete run --once` reads a folder of .ics files,
//! writes the next 1:1's agenda into a new override, keeps every other property, writes
//! nothing the second time, and `--dry-run` changes nothing at all.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SERIES: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n\
BEGIN:VEVENT\r\nUID:ann-weekly@x\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260302T090000Z\r\nDTEND:20260302T093000Z\r\n\
RRULE:FREQ=WEEKLY\r\nSUMMARY:Ann / Mia\r\nORGANIZER;CN=Mia:mailto:mia@example.com\r\n\
ATTENDEE;CN=\"Berger, Ann\";PARTSTAT=ACCEPTED;X-NUM-GUESTS=0:mailto:ann@example.com\r\n\
X-GOOGLE-CONFERENCE:https://meet.example/abc-defg\r\nDESCRIPTION:Standing 1:1\r\nSEQUENCE:2\r\n\
BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT10M\r\nDESCRIPTION:Reminder\r\nEND:VALARM\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:ann-weekly@x\r\nRECURRENCE-ID:20260316T090000Z\r\nDTSTART:20260316T090000Z\r\nDTEND:20260316T093000Z\r\n\
SUMMARY:Ann / Mia\r\nORGANIZER;CN=Mia:mailto:mia@example.com\r\nATTENDEE;CN=\"Berger, Ann\":mailto:ann@example.com\r\n\
DESCRIPTION:Notes\\n- [ ] Ann: send the hiring plan (due 2026-03-27)\\n- [x] Mia: book the offsite\\n{{ not a template }}\r\n\
END:VEVENT\r\nEND:VCALENDAR\r\n";

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let vdir = dir.path().join("cal");
    std::fs::create_dir(&vdir).unwrap();
    std::fs::write(vdir.join("ann.ics"), SERIES).unwrap();
    (dir, vdir)
}

fn run(dir: &Path, vdir: &Path, extra: &[&str]) -> Output {
    run_at(dir, vdir, "2026-03-20T12:00:00Z", extra)
}

fn run_at(dir: &Path, vdir: &Path, now: &str, extra: &[&str]) -> Output {
    let state = dir.join("state.sqlite");
    let mut args = vec![
        "run",
        "--once",
        "--me",
        "mia@example.com",
        "--calendar",
        vdir.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
        "--now",
        now,
    ];
    args.extend_from_slice(extra);
    let out = Command::new(env!("CARGO_BIN_EXE_tete"))
        .args(&args)
        .env_remove("TETE_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The unescaped DESCRIPTION of the event with this RECURRENCE-ID in the vdir item.
fn description_at(file: &Path, recurrence_id: &str) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let (doc, _) = tete::calendar::Document::parse(&text, "ann.ics").unwrap();
    let event = doc
        .events()
        .into_iter()
        .find(|e| e.value("RECURRENCE-ID") == Some(recurrence_id))
        .unwrap_or_else(|| panic!("no override {recurrence_id} in\n{text}"));
    tete::calendar::value::unescape_text(event.value("DESCRIPTION").unwrap_or("")).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn next_weeks_override_gets_the_open_items_and_keeps_everything_else() {
    let (dir, vdir) = setup();
    let out = stdout(&run(dir.path(), &vdir, &[]));
    assert!(out.contains("agendas written: 1"), "{out}");
    let after = std::fs::read_to_string(vdir.join("ann.ics")).unwrap();
    let (doc, _) = tete::calendar::Document::parse(&after, "ann.ics").unwrap();
    let events = doc.events();
    assert_eq!(events.len(), 3, "{after}");
    let created = events
        .iter()
        .find(|e| e.value("RECURRENCE-ID") == Some("20260323T090000Z"))
        .expect("an override for 23 March");
    let description = description_at(&vdir.join("ann.ics"), "20260323T090000Z");
    assert!(
        description.contains("- [ ] Ann: send the hiring plan (due 2026-03-27)"),
        "{description}"
    );
    assert!(!description.contains("book the offsite"), "{description}");
    assert!(
        description.ends_with("Standing 1:1"),
        "the person's text stays below: {description}"
    );
    // every other property of the master, with its parameters
    let attendee = created.property("ATTENDEE").unwrap();
    assert_eq!(attendee.value, "mailto:ann@example.com");
    for (param, value) in [
        ("CN", "Berger, Ann"),
        ("PARTSTAT", "ACCEPTED"),
        ("X-NUM-GUESTS", "0"),
    ] {
        assert_eq!(attendee.param(param).as_deref(), Some(value), "{param}");
    }
    assert_eq!(
        attendee.param("SCHEDULE-AGENT"),
        None,
        "no marking, on a vdir or anywhere"
    );
    assert_eq!(
        created.value("X-GOOGLE-CONFERENCE"),
        Some("https://meet.example/abc-defg")
    );
    assert_eq!(created.value("SEQUENCE"), Some("2"), "not bumped");
    assert_eq!(created.components[0].value("TRIGGER"), Some("-PT10M"));
    assert!(created.property("RRULE").is_none());
    // the master and last week's override are as they were
    assert!(after.contains("RRULE:FREQ=WEEKLY\r\n"));
    assert!(after.contains("{{ not a template }}"));
    assert!(!after.contains("EXDATE"));
}

#[test]
fn a_second_run_writes_nothing_and_a_check_closes_the_item() {
    let (dir, vdir) = setup();
    run(dir.path(), &vdir, &[]);
    let written = std::fs::read(vdir.join("ann.ics")).unwrap();
    let out = stdout(&run(dir.path(), &vdir, &[]));
    assert!(out.contains("agendas written: 0"), "{out}");
    assert_eq!(
        std::fs::read(vdir.join("ann.ics")).unwrap(),
        written,
        "not a byte changed"
    );
    // Ann checks the item inside the new block: the next cycle shows it done, no longer open
    let file = vdir.join("ann.ics");
    let text = String::from_utf8(written).unwrap();
    let (mut doc, _) = tete::calendar::Document::parse(&text, "ann.ics").unwrap();
    for event in doc.events_mut() {
        if event.value("RECURRENCE-ID") == Some("20260323T090000Z") {
            let d = tete::calendar::value::unescape_text(event.value("DESCRIPTION").unwrap());
            let checked = d.replacen(
                "- [ ] Ann: send the hiring plan",
                "- [x] Ann: send the hiring plan",
                1,
            );
            assert_ne!(checked, d);
            event.set_text("DESCRIPTION", &checked);
        }
    }
    std::fs::write(&file, doc.to_ical()).unwrap();
    run(dir.path(), &vdir, &[]);
    let block = description_at(&file, "20260323T090000Z");
    assert!(
        block.contains("Done since last time:\n- [x] Ann: send the hiring plan"),
        "{block}"
    );
    assert!(
        !block.contains("- [ ] Ann: send the hiring plan"),
        "{block}"
    );
}

#[test]
fn an_idle_run_changes_no_row_of_the_state_file() {
    let (dir, vdir) = setup();
    let state = dir.path().join("state.sqlite");
    run(dir.path(), &vdir, &[]);
    // The second run reads back what the first wrote.
    run(dir.path(), &vdir, &[]);
    let before = crate::state_rows::state_rows(&state);
    assert!(before.iter().any(|r| r.starts_with("occurrence: ")));
    // An hour later, nothing changed: no row is written, not even to say "still there".
    let out = stdout(&run_at(dir.path(), &vdir, "2026-03-20T13:00:00Z", &[]));
    assert!(
        out.contains("history: 0 new, 0 changed, 0 deleted"),
        "{out}"
    );
    assert_eq!(crate::state_rows::state_rows(&state), before);
}

#[test]
fn dry_run_shows_a_diff_and_changes_nothing() {
    let (dir, vdir) = setup();
    let out = stdout(&run(dir.path(), &vdir, &["--dry-run"]));
    assert!(
        out.contains("+- [ ] Ann: send the hiring plan (due 2026-03-27)"),
        "{out}"
    );
    assert!(out.contains("--- a/"), "{out}");
    // Whose 1:1 and when, in words; the path once, without a doubled slash.
    let heading = out.lines().find(|l| l.starts_with("# agenda of")).unwrap();
    assert!(
        heading.starts_with("# agenda of your 1:1 with Ann") && heading.contains(" on "),
        "{heading}"
    );
    assert!(!out.contains("//"), "{out}");
    assert_eq!(
        std::fs::read_to_string(vdir.join("ann.ics")).unwrap(),
        SERIES
    );
    assert!(
        !dir.path().join("state.sqlite").exists(),
        "the dry run made no state"
    );
}

/// A person edits the file between the cycle's read and the write: the write reads the
/// item fresh and re-applies its block to the person's version, so their edit is kept (a
/// race inside the write itself is a refused `If-Match` and a retry, tested against real
/// servers in tests/caldav).
#[test]
fn an_edit_made_between_read_and_write_survives() {
    use tete::cycle;
    use tete::sources::{CalendarSpec, Location};
    let (dir, vdir) = setup();
    let now = chrono::NaiveDate::from_ymd_opt(2026, 3, 20)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let calendars = [CalendarSpec {
        name: "cal".into(),
        location: Location::Vdir(vdir.clone()),
    }];
    let mut gathered = runtime.block_on(cycle::gather(
        &calendars,
        dir.path(),
        None,
        &tete::http::HttpClient::new(),
    ));
    let mut store = tete::state::StateFile::open(&dir.path().join("state.sqlite"))
        .unwrap()
        .into_history();
    let me = tete::detect::Identity::new(["mia@example.com"], []);
    let outcome = cycle::run(
        &mut gathered.collector,
        &me,
        &Default::default(),
        &mut store,
        now,
        None,
        &Default::default(),
    )
    .unwrap();
    let settings = tete::agenda::plan::Settings::default();
    let plans = cycle::plan_agendas(&gathered, &outcome, &store, now, &settings).unwrap();
    assert_eq!(plans.writes(&gathered).count(), 1);
    // meanwhile, in another app, Mia adds a location and a line to the master
    let file = vdir.join("ann.ics");
    let edited = SERIES.replacen(
        "DESCRIPTION:Standing 1:1",
        "LOCATION:Room 4\r\nDESCRIPTION:Standing 1:1 (edited)",
        1,
    );
    std::fs::write(&file, &edited).unwrap();
    let outcomes = runtime.block_on(tete::agenda::write::apply(
        plans.writes(&gathered).collect(),
        now,
    ));
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].result.as_ref().unwrap().len(), 1);
    let after = std::fs::read_to_string(&file).unwrap();
    assert!(
        after.contains("LOCATION:Room 4"),
        "the person's edit is kept:\n{after}"
    );
    let block = description_at(&file, "20260323T090000Z");
    assert!(block.contains("send the hiring plan"), "{block}");
    assert!(
        block.ends_with("Standing 1:1 (edited)"),
        "re-merged on the new text: {block}"
    );
}

#[test]
fn items_lists_open_items_with_owner_due_and_age() {
    let (dir, vdir) = setup();
    let state = dir.path().join("state.sqlite");
    let out = Command::new(env!("CARGO_BIN_EXE_tete"))
        .args([
            "items",
            "--with",
            "ann",
            "--me",
            "mia@example.com",
            "--calendar",
        ])
        .arg(&vdir)
        .args([
            "--state",
            state.to_str().unwrap(),
            "--now",
            "2026-03-20T12:00:00Z",
        ])
        .env_remove("TETE_CONFIG")
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(text.starts_with("Ann Berger: 1 open\n"), "{text}");
    assert!(text.contains("[ ] Ann: send the hiring plan, due 2026-03-27   (raised 2026-03-16, open for 1 meeting)"), "{text}");
    assert_eq!(
        std::fs::read_to_string(vdir.join("ann.ics")).unwrap(),
        SERIES,
        "no calendar write"
    );
}

/// Writing an agenda into a vdir item changes no byte it does not own: the series and its
/// other override come back exactly as the app wrote them (quoted `CN`, a folded line, LF
/// line endings), and only the new override is added.
#[test]
fn every_byte_outside_the_new_override_survives() {
    let (dir, vdir) = setup();
    let as_written = SERIES.replace("\r\n", "\n").replace(
        "SUMMARY:Ann / Mia\nORGANIZER",
        "SUMMARY:Ann / Mia with a title long enough that its app folded it\n  here\nORGANIZER",
    );
    std::fs::write(vdir.join("ann.ics"), &as_written).unwrap();
    run(dir.path(), &vdir, &[]);
    let after = std::fs::read_to_string(vdir.join("ann.ics")).unwrap();
    let master_end = as_written.find("END:VEVENT\n").unwrap() + "END:VEVENT\n".len();
    assert!(after.starts_with(&as_written[..master_end]), "{after}");
    assert!(after.ends_with(&as_written[master_end..]), "{after}");
    let added = &after[master_end..after.len() - (as_written.len() - master_end)];
    assert!(
        added.starts_with("BEGIN:VEVENT\r\n") && added.contains("RECURRENCE-ID:20260323T090000Z"),
        "{added}"
    );
}
