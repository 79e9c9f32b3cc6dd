//! Action items as tasks on a vdir task list, both ways, with the real `todoman` CLI
//! (PyPI, pinned in tests/support/todoman-requirements.txt): tete creates the manager's
//! tasks, todoman lists them with their due dates, a task done in todoman closes its item
//! (gone from the next agenda), an item checked in the notes completes its task (todoman
//! shows it done), a person's own lines in a task survive, a second run writes nothing and
//! `--dry-run` writes nothing and shows the diff.

use std::path::PathBuf;
use std::process::{Command, Output};

use tete::calendar::Document;
use tete::calendar::value::unescape_text;

const SERIES: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
BEGIN:VEVENT\r\nUID:ann-weekly@x\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260302T090000Z\r\nDTEND:20260302T093000Z\r\n\
RRULE:FREQ=WEEKLY\r\nSUMMARY:Ann / Mia\r\nORGANIZER;CN=Mia:mailto:mia@example.com\r\n\
ATTENDEE;CN=\"Berger, Ann\":mailto:ann@example.com\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:ann-weekly@x\r\nRECURRENCE-ID:20260316T090000Z\r\nDTSTART:20260316T090000Z\r\nDTEND:20260316T093000Z\r\n\
SUMMARY:Ann / Mia\r\nORGANIZER;CN=Mia:mailto:mia@example.com\r\nATTENDEE;CN=\"Berger, Ann\":mailto:ann@example.com\r\n\
DESCRIPTION:Notes\\n- [ ] Mia: send the hiring plan (due 2026-03-27)\\n- [ ] Mia: book the offsite\\n- [ ] Ann: draft the roadmap\r\n\
END:VEVENT\r\nEND:VCALENDAR\r\n";

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let cal = dir.path().join("cal");
        std::fs::create_dir(&cal).unwrap();
        std::fs::write(cal.join("ann.ics"), SERIES).unwrap();
        std::fs::create_dir_all(dir.path().join("lists/tasks")).unwrap();
        let d = dir.path().display();
        std::fs::write(
            dir.path().join("config.toml"),
            format!(
                "state_file = \"{d}/state.sqlite\"\ncache_dir = \"{d}/cache\"\n\
                 [me]\nemail = \"mia@example.com\"\nname = \"Mia\"\n\
                 [[calendar]]\nname = \"work\"\nvdir = \"{d}/cal\"\n\
                 [[calendar]]\nname = \"Tasks\"\nvdir = \"{d}/lists/tasks\"\n\
                 [tasks]\nlist = \"Tasks\"\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("todoman.py"),
            format!(
                "path = \"{d}/lists/*\"\ndate_format = \"%Y-%m-%d\"\ntime_format = \"%H:%M\"\n\
                 default_list = \"tasks\"\ncache_path = \"{d}/todoman-cache.sqlite3\"\n"
            ),
        )
        .unwrap();
        Setup { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn tete(&self, now: &str, extra: &[&str]) -> String {
        self.tete_with_stderr(now, extra).0
    }

    /// `tete run --once` at `now`: stdout and stderr.
    fn tete_with_stderr(&self, now: &str, extra: &[&str]) -> (String, String) {
        let config = self.path("config.toml");
        let mut args = vec![
            "--config",
            config.to_str().unwrap(),
            "run",
            "--once",
            "--now",
            now,
        ];
        args.extend_from_slice(extra);
        let out = Command::new(env!("CARGO_BIN_EXE_tete"))
            .args(&args)
            .env_remove("TETE_CONFIG")
            .output()
            .unwrap();
        ok(&out);
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    fn todo(&self, args: &[&str]) -> String {
        let python = crate::python::venv_python("todoman", "todoman-requirements.txt");
        let todo = python.with_file_name("todo");
        let out = Command::new(todo)
            .arg("--config")
            .arg(self.path("todoman.py"))
            .args(args)
            .env("TZ", "UTC")
            .output()
            .unwrap();
        ok(&out);
        String::from_utf8(out.stdout).unwrap()
    }

    /// todoman's tasks, done ones too, as JSON.
    fn tasks(&self) -> Vec<serde_json::Value> {
        let json = self.todo(&["--porcelain", "list", "--status", "ANY"]);
        serde_json::from_str(&json).unwrap()
    }

    /// Every file of the task list and its bytes, by name.
    fn list_files(&self) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<_> = std::fs::read_dir(self.path("lists/tasks"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().to_string(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    }

    /// The unescaped DESCRIPTION of the 1:1 on `recurrence_id`.
    fn agenda(&self, recurrence_id: &str) -> String {
        let text = std::fs::read_to_string(self.path("cal/ann.ics")).unwrap();
        let (doc, _) = Document::parse(&text, "ann.ics").unwrap();
        let event = doc
            .events()
            .into_iter()
            .find(|e| e.value("RECURRENCE-ID") == Some(recurrence_id))
            .unwrap_or_else(|| panic!("no {recurrence_id} in\n{text}"));
        unescape_text(event.value("DESCRIPTION").unwrap_or("")).into_owned()
    }

    /// Checks `line` in the notes of the 1:1 on `recurrence_id`, as a person would.
    fn check_in_notes(&self, recurrence_id: &str, line: &str) {
        self.edit_notes(
            recurrence_id,
            &format!("- [ ] {line}"),
            &format!("- [x] {line}"),
        );
    }

    /// Replaces `from` by `to` in the notes of the 1:1 on `recurrence_id`.
    fn edit_notes(&self, recurrence_id: &str, from: &str, to: &str) {
        let file = self.path("cal/ann.ics");
        let text = std::fs::read_to_string(&file).unwrap();
        let (mut doc, _) = Document::parse(&text, "ann.ics").unwrap();
        for event in doc.events_mut() {
            if event.value("RECURRENCE-ID") == Some(recurrence_id) {
                let d = unescape_text(event.value("DESCRIPTION").unwrap());
                let checked = d.replacen(from, to, 1);
                assert_ne!(checked, d, "{from} not in {d}");
                event.set_text("DESCRIPTION", &checked);
            }
        }
        std::fs::write(&file, doc.to_ical()).unwrap();
    }
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn summary(task: &serde_json::Value) -> &str {
    task["summary"].as_str().unwrap()
}

fn find<'a>(tasks: &'a [serde_json::Value], text: &str) -> &'a serde_json::Value {
    tasks
        .iter()
        .find(|t| summary(t) == text)
        .unwrap_or_else(|| panic!("no task {text:?} in {tasks:?}"))
}

#[test]
fn tasks_in_todoman_both_ways() {
    let s = Setup::new();
    // A dry run shows the new tasks as a diff and writes nothing.
    let dry = s.tete("2026-03-20T12:00:00Z", &["--dry-run"]);
    assert!(
        dry.contains("# new task in \"Tasks\": - [ ] Mia: book the offsite"),
        "{dry}"
    );
    assert!(dry.contains("+SUMMARY:send the hiring plan"), "{dry}");
    assert!(dry.contains("+++ b/tete-task-"), "{dry}");
    assert!(s.list_files().is_empty());
    let tasks_part = &dry[dry.find("# new task").unwrap()..];
    insta::assert_snapshot!("tasks_dry_run", tasks_part);

    // The manager's two items become tasks; Ann's does not.
    let out = s.tete("2026-03-20T12:00:00Z", &[]);
    assert!(out.contains("tasks in \"Tasks\": 2 written"), "{out}");
    let tasks = s.tasks();
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    let plan = find(&tasks, "send the hiring plan");
    // 2026-03-27 00:00 UTC (todoman shows a date as midnight in TZ).
    assert_eq!(plan["due"].as_i64(), Some(1_774_569_600), "{plan}");
    assert_eq!(plan["categories"][0].as_str(), Some("Ann Berger"));
    assert!(
        plan["description"]
            .as_str()
            .unwrap()
            .contains("1:1 with Ann Berger on Mon 16 Mar 2026"),
        "{plan}"
    );
    assert_eq!(find(&tasks, "book the offsite")["completed"], false);

    // Nothing changed: nothing written, not a byte.
    let files = s.list_files();
    let again = s.tete("2026-03-20T12:30:00Z", &[]);
    assert!(again.contains("0 written"), "{again}");
    assert_eq!(s.list_files(), files);
    assert!(
        s.tete("2026-03-20T12:30:00Z", &["--dry-run"])
            .contains("Nothing to change.")
    );

    // Done in todoman on Saturday: the item leaves Monday's agenda.
    assert!(
        s.agenda("20260323T090000Z")
            .contains("- [ ] Mia: send the hiring plan")
    );
    let id = plan["id"].as_i64().unwrap().to_string();
    s.todo(&["done", &id]);
    let out = s.tete("2026-03-21T12:00:00Z", &[]);
    assert!(out.contains("1 item(s) closed from the task list"), "{out}");
    let agenda = s.agenda("20260323T090000Z");
    assert!(
        !agenda.contains("- [ ] Mia: send the hiring plan"),
        "{agenda}"
    );
    assert!(agenda.contains("- [ ] Mia: book the offsite"), "{agenda}");

    // A person adds an alarm and a priority to the other task; then the offsite is checked
    // in the notes: tete completes the task, and the person's lines stay.
    let (name, bytes) = s
        .list_files()
        .into_iter()
        .find(|(_, b)| String::from_utf8_lossy(b).contains("SUMMARY:book the offsite"))
        .unwrap();
    let edited = String::from_utf8(bytes).unwrap().replace(
        "END:VTODO",
        "PRIORITY:1\r\nX-MINE;X-P=1:kept\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT1H\r\nDESCRIPTION:go\r\nEND:VALARM\r\nEND:VTODO",
    );
    std::fs::write(s.path("lists/tasks").join(&name), &edited).unwrap();
    s.check_in_notes("20260323T090000Z", "Mia: book the offsite");
    let dry = s.tete("2026-03-22T12:00:00Z", &["--dry-run"]);
    assert!(
        dry.contains("# task completed (checked in the notes)"),
        "{dry}"
    );
    assert!(dry.contains("+STATUS:COMPLETED"), "{dry}");
    s.tete("2026-03-22T12:00:00Z", &[]);
    let after = std::fs::read_to_string(s.path("lists/tasks").join(&name)).unwrap();
    for line in [
        "PRIORITY:1\r\n",
        "X-MINE;X-P=1:kept\r\n",
        "TRIGGER:-PT1H\r\n",
        "PERCENT-COMPLETE:100\r\n",
    ] {
        assert!(after.contains(line), "{line:?} in {after}");
    }
    let tasks = s.tasks();
    let done = find(&tasks, "book the offsite");
    assert_eq!(done["completed"], true, "{done}");
    assert_eq!(done["percent"], 100, "{done}");
    // Settled: a further run writes nothing.
    let files = s.list_files();
    s.tete("2026-03-22T13:00:00Z", &[]);
    assert_eq!(s.list_files(), files);
}

/// The task file whose SUMMARY starts with `summary`: its name and text.
fn task_file(s: &Setup, summary: &str) -> (String, String) {
    s.list_files()
        .into_iter()
        .map(|(name, bytes)| (name, String::from_utf8(bytes).unwrap()))
        .find(|(_, text)| text.contains(&format!("SUMMARY:{summary}")))
        .unwrap_or_else(|| panic!("no task {summary:?}"))
}

#[test]
fn a_conflict_keeps_both_words_and_a_deleted_task_closes_its_item() {
    let s = Setup::new();
    s.tete("2026-03-20T12:00:00Z", &[]);
    // In the task app, the manager rewords the offsite task...
    let (name, text) = task_file(&s, "book the offsite");
    let edited = text.replace(
        "SUMMARY:book the offsite",
        "SUMMARY:book the offsite (ask Bob)",
    );
    std::fs::write(s.path("lists/tasks").join(&name), &edited).unwrap();
    // ...while in the notes the item gets new words (the same item) and a due date.
    s.edit_notes(
        "20260316T090000Z",
        "- [ ] Mia: book the offsite",
        "- [ ] Mia: Book the offsite. (due 2026-04-01)",
    );
    let (out, err) = s.tete_with_stderr("2026-03-20T13:00:00Z", &[]);
    assert!(out.contains("1 written"), "{out}");
    assert!(err.contains("both changed (SUMMARY)"), "{err}");
    let (_, after) = task_file(&s, "book the offsite");
    let (doc, _) = Document::parse(&after, "task").unwrap();
    let todo = doc.components[0].components_named("VTODO").next().unwrap();
    assert_eq!(
        todo.value("SUMMARY"),
        Some("book the offsite (ask Bob)"),
        "the person's words"
    );
    assert_eq!(
        todo.value("DUE"),
        Some("20260401"),
        "only the notes changed the date"
    );
    let description = unescape_text(todo.value("DESCRIPTION").unwrap());
    assert!(
        description.contains(
            "tete: the meeting notes now say \u{201c}Book the offsite.\u{201d} (due 2026-04-01)"
        ),
        "{description}"
    );
    // Settled: nothing more to write.
    let files = s.list_files();
    s.tete("2026-03-20T14:00:00Z", &[]);
    assert_eq!(s.list_files(), files);

    // The hiring plan's task deleted in the app: the item is closed.
    let (plan, _) = task_file(&s, "send the hiring plan");
    std::fs::remove_file(s.path("lists/tasks").join(plan)).unwrap();
    let out = s.tete("2026-03-21T12:00:00Z", &[]);
    assert!(out.contains("1 item(s) closed"), "{out}");
    assert!(
        !s.agenda("20260323T090000Z")
            .contains("- [ ] Mia: send the hiring plan")
    );
    // Never made again.
    assert!(
        s.list_files()
            .iter()
            .all(|(_, b)| !String::from_utf8_lossy(b).contains("hiring"))
    );
}
