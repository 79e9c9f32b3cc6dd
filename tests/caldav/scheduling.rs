//! Who is told when tete writes an agenda: the scheduling matrix, on the engines providers
//! run (Cyrus, DAViCal, from Debian) and on Radicale and Xandikos.
//!
//! Per engine, delivery mode (`private`, `shared`), Mia's role in the 1:1 (organizer,
//! attendee) and the other person (an account on the same server, or an external address):
//! a weekly 1:1 is put on the server as a calendar app would, `tete run --once` writes the
//! next occurrence's agenda, runs again with nothing changed, then rewrites it (a new
//! template). Recorded: where the agenda went, the iMIP messages the server sent at each
//! step, and how the other person's own copy changed. `private` must tell no one and change
//! nothing of anyone else's; every engine must send nothing for a run that writes nothing.
//! The rows are printed and must match README.md's "Who is told" table.

use std::fmt::Write as _;
use std::process::Command;

use chrono::{Duration, Utc};

use crate::Raw;
use crate::engines::{Engine, Running};

const MARKER: &str = "tete agenda";

/// One 1:1 setup.
#[derive(Debug, Clone, Copy)]
struct Case {
    shared: bool,
    organizer: bool,
    local: bool,
}

impl Case {
    fn all() -> Vec<Case> {
        let mut out = Vec::new();
        for shared in [false, true] {
            for organizer in [true, false] {
                for local in [true, false] {
                    out.push(Case {
                        shared,
                        organizer,
                        local,
                    });
                }
            }
        }
        out
    }

    fn mode(self) -> &'static str {
        if self.shared { "shared" } else { "private" }
    }
}

/// What one case did.
#[derive(Debug)]
struct Row {
    case: Case,
    /// Where the agenda went ("1:1 event", "private calendar", or why not).
    landed: String,
    /// Messages sent because of tete's first write, its idle second run, its rewrite.
    told: [usize; 3],
    /// The other person's own copy after the rewrite (local accounts only).
    their_copy: String,
    /// Whether the second run held a failed write back instead of retrying it.
    held_back: bool,
}

impl Row {
    fn line(&self, engine: &str) -> String {
        let c = self.case;
        format!(
            "| {engine} | {} | {} | {} | {} | {} / {} / {} | {} |",
            c.mode(),
            if c.organizer { "organizer" } else { "attendee" },
            if c.local { "account here" } else { "external" },
            self.landed,
            self.told[0],
            self.told[1],
            self.told[2],
            self.their_copy
        )
    }
}

/// A weekly 1:1 that started three weeks ago on this weekday at 10:00 UTC, tomorrow's
/// occurrence in the write-ahead window.
fn series(uid: &str, organizer: &str, other: &str, mia: &str) -> String {
    let today = Utc::now().date_naive() + Duration::days(1);
    let start = (today - Duration::weeks(3)).and_hms_opt(10, 0, 0).unwrap();
    let end = start + Duration::minutes(30);
    let fmt = |t: chrono::NaiveDateTime| t.format("%Y%m%dT%H%M%SZ").to_string();
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tete tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:{stamp}\r\nDTSTART:{start}\r\nDTEND:{end}\r\nRRULE:FREQ=WEEKLY\r\n\
         SUMMARY:Mia / Other 1:1\r\nSEQUENCE:0\r\nORGANIZER:{organizer}\r\n\
         ATTENDEE;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:{mia}\r\n\
         ATTENDEE;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:{other}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        stamp = fmt(Utc::now().naive_utc()),
        start = fmt(start),
        end = fmt(end),
    )
}

/// Whether an event's descriptions (unfolded, unescaped) carry tete's block.
fn shows_agenda(text: &str) -> bool {
    let Ok((doc, _)) = tete::calendar::Document::parse(text, "copy") else {
        return false;
    };
    doc.events().iter().any(|e| {
        e.value("DESCRIPTION")
            .is_some_and(|d| tete::calendar::value::unescape_text(d).contains(MARKER))
    })
}

/// Who each message went to (the sendmail stand-in's envelope).
fn recipients(mails: &[String]) -> Vec<String> {
    mails
        .iter()
        .map(|m| {
            m.lines()
                .filter(|l| {
                    l.starts_with("X-Tete-Envelope-To")
                        || l.starts_with("Content-Type: text/calendar")
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// The resource of a calendar holding this UID, with its text.
async fn find(raw: &Raw, origin: &str, collection: &str, uid: &str) -> Option<(String, String)> {
    for href in raw.members(&format!("{origin}{collection}")).await {
        let url = if href.starts_with("http") {
            href.clone()
        } else {
            format!("{origin}{href}")
        };
        let (status, _, text) = raw.request("GET", &url, &[], None).await;
        if status == 200 && text.contains(&format!("UID:{uid}")) {
            return Some((url, text));
        }
    }
    None
}

/// Runs tete for Mia with this delivery mode and template version; returns its output.
fn run_tete(
    dir: &std::path::Path,
    lab: &Running,
    case: Case,
    version: u32,
    extra: &[&str],
) -> String {
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "state_file = \"{state}\"\ncache_dir = \"{cache}\"\n[me]\nemail = \"{me}\"\n\
             [agenda]\ndelivery = \"{mode}\"\n\
             template = \"Agenda v{version} for {{{{ date }}}} with {{{{ counterpart.first_name }}}}\"\n\
             [[calendar]]\nname = \"work\"\ncaldav = \"{url}\"\ncalendar = \"{calendar}\"\n\
             user = \"{user}\"\npassword = \"{password}\"\n",
            state = dir.join("state.sqlite").display(),
            cache = dir.join("cache").display(),
            me = lab.var("DAV_ADDRESS_mia").trim_start_matches("mailto:"),
            mode = case.mode(),
            url = lab.var("DAV_URL"),
            calendar = lab.var("DAV_CALENDAR_mia"),
            user = lab.login("mia").0,
            password = lab.login("mia").1,
        ),
    )
    .unwrap();
    let mut args = vec!["run", "--once"];
    args.extend_from_slice(extra);
    let (status, out) = tete(&config, &args);
    format!("exit {status:?}\n{out}")
}

/// Runs the built `tete` with this config: its exit code and what it printed (stdout, then
/// stderr).
fn tete(config: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tete"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("TETE_CONFIG")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// Waits until the engine's mail count is stable (delivery is synchronous on these
/// engines, but a forked sendmail may still be writing).
async fn settled_mails(lab: &Running) -> usize {
    let mut last = lab.mails().len();
    for _ in 0..10 {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        let now = lab.mails().len();
        if now == last {
            return now;
        }
        last = now;
    }
    last
}

async fn one_case(lab: &Running, case: Case, n: usize) -> Row {
    let origin = lab.origin();
    let (user, password) = lab.login("mia");
    let mia = Raw::as_user(&user, &password);
    let ann = Raw::as_user("ann", "pw");
    let mia_address = lab.var("DAV_ADDRESS_mia");
    let other = if case.local {
        lab.var("DAV_ADDRESS_ann")
    } else {
        lab.var("DAV_EXTERNAL_ADDRESS")
    };
    let uid = format!("matrix-{n}-{}@tete.test", lab.engine.name());
    let (organizer, attendee) = if case.organizer {
        (mia_address.clone(), other.clone())
    } else {
        (other.clone(), other.clone())
    };
    let body = series(&uid, &organizer, &attendee, &mia_address);
    let mia_cal = lab.var("DAV_CALENDAR_mia");
    let ann_cal = if case.local {
        lab.var("DAV_CALENDAR_ann")
    } else {
        String::new()
    };
    // Radicale does not schedule: agendas go into the 1:1 event in every mode.
    let schedules = lab.engine != Engine::Radicale;
    if !case.organizer && case.local {
        // Ann organizes in her own calendar; the server delivers Mia's copy.
        ann.put(&format!("{origin}{ann_cal}{n}.ics"), &body).await;
    }
    if find(&mia, &origin, &mia_cal, &uid).await.is_none() {
        mia.put(&format!("{origin}{mia_cal}{n}.ics"), &body).await;
    }
    let before_copy = match case.local {
        true => find(&ann, &origin, &ann_cal, &uid).await.map(|(_, t)| t),
        false => None,
    };
    let dir = tempfile::tempdir().unwrap();
    if n == 0 {
        // A dry run says where the agenda would go and creates nothing, not even the
        // private calendar.
        let out = run_tete(dir.path(), lab, case, 1, &["--dry-run"]);
        let expected = if schedules {
            "in a private event in your calendar"
        } else {
            "in the 1:1 event"
        };
        assert!(out.contains(expected), "{out}");
        let private_home = format!("{origin}{}tete-agendas/", lab.var("DAV_HOME_mia"));
        let (status, _, _) = mia
            .request("PROPFIND", &private_home, &[("depth", "0")], None)
            .await;
        assert_eq!(status, 404, "a dry run creates no calendar");
        std::fs::remove_file(dir.path().join("config.toml")).unwrap();
    }
    let mut told = [0; 3];
    let mut logs = String::new();
    let mut held_back = false;
    for (step, version) in [(0, 1), (1, 1), (2, 2)] {
        let before = settled_mails(lab).await;
        let out = run_tete(dir.path(), lab, case, version, &[]);
        held_back |= step == 1 && out.contains("held back after 1 failure");
        logs.push_str(&out);
        told[step] = settled_mails(lab).await - before;
        logs.push_str(&format!(
            "mails: {:?}\n",
            recipients(&lab.mails()[before..])
        ));
    }
    if n == 0 {
        let config = dir.path().join("config.toml");
        let (_, listed) = tete(&config, &["calendars"]);
        assert_eq!(
            listed.contains("scheduling: this server tells attendees"),
            schedules,
            "every DAV: line is read: {listed}"
        );
        let (_, report) = tete(&config, &["report"]);
        let place = if schedules {
            "in a private event in your calendar \"tete agendas\""
        } else {
            "in the 1:1 event"
        };
        assert!(
            report.contains("Agendas of the coming 1:1s:") && report.contains(place),
            "the report says where the agenda goes: {report}"
        );
        for inbox in ["/.in/", "/.out/", "/Inbox/", "/Outbox/"] {
            assert!(
                !listed.contains(inbox),
                "scheduling boxes are not calendars: {listed}"
            );
        }
    }
    let in_event = find(&mia, &origin, &mia_cal, &uid)
        .await
        .is_some_and(|(_, t)| shows_agenda(&t));
    let private_home = format!("{}tete-agendas/", lab.var("DAV_HOME_mia"));
    let mut private = false;
    for href in mia.members(&format!("{origin}{private_home}")).await {
        let url = format!("{origin}{href}");
        private |= mia.get(&url).await.replace("\r\n ", "").contains(&uid);
    }
    let landed = match (in_event, private) {
        (true, _) => "1:1 event".to_string(),
        (false, true) => "private calendar".to_string(),
        (false, false) if logs.contains("500 Internal Server Error") => {
            "not written: the server answers 500".to_string()
        }
        (false, false) if logs.contains("still changed by someone else") => {
            "not written: the server answers 412 to every write".to_string()
        }
        (false, false) => "not written".to_string(),
    };
    let their_copy = match before_copy {
        None if case.local => "none".to_string(),
        None => "-".to_string(),
        Some(before) => match find(&ann, &origin, &ann_cal, &uid).await {
            None => "deleted".to_string(),
            Some((_, after)) => {
                let mut changes = tete::agenda::write::unexpected_changes(
                    before.as_bytes(),
                    after.as_bytes(),
                    &uid,
                );
                let shows = shows_agenda(&after);
                // The agenda arriving as an override of that one occurrence is delivery,
                // not damage.
                if shows {
                    changes.retain(|c| !c.ends_with(" appeared"));
                }
                match (shows, changes.is_empty()) {
                    (false, true) => "unchanged".to_string(),
                    (true, true) => "shows the agenda".to_string(),
                    (_, false) => format!("changed: {}", changes.join(", ")),
                }
            }
        },
    };
    // Each case leaves the calendars as it found them: the next one's runs must not see
    // (and write to) this 1:1.
    for (raw, calendar) in [(&mia, &mia_cal), (&ann, &ann_cal)] {
        if calendar.is_empty() {
            continue;
        }
        if let Some((url, _)) = find(raw, &origin, calendar, &uid).await {
            raw.request("DELETE", &url, &[], None).await;
        }
    }
    settled_mails(lab).await;
    let row = Row {
        case,
        landed,
        told,
        their_copy,
        held_back,
    };
    eprintln!("{}\n{logs}", row.line(lab.engine.name()));
    row
}

/// The documented behaviour every engine must have.
fn check(engine: &str, row: &Row) {
    let line = row.line(engine);
    assert_eq!(
        row.told[1], 0,
        "a run that writes nothing tells no one: {line}"
    );
    if row.landed.starts_with("not written") {
        assert!(
            row.held_back,
            "a write that failed for good is held back, not retried every cycle: {line}"
        );
    }
    if !row.case.shared {
        assert_eq!(row.told, [0, 0, 0], "private tells no one: {line}");
        assert!(
            matches!(row.their_copy.as_str(), "unchanged" | "-"),
            "private changes no one else's copy: {line}"
        );
        assert!(
            !row.landed.starts_with("not written"),
            "private agenda written: {line}"
        );
    }
    assert!(
        !row.their_copy.starts_with("changed") && row.their_copy != "deleted",
        "no mode damages the other person's copy: {line}"
    );
}

async fn matrix(engine: Engine) {
    let mut table = String::new();
    let mut rows = Vec::new();
    for (n, case) in Case::all().into_iter().enumerate() {
        // A fresh server per case (about a second): no case sees another's 1:1s, and a
        // server that cannot delete a series (DAViCal) leaves nothing behind.
        if case.local && !engine.has_accounts() {
            continue;
        }
        let Some(lab) = Running::start(engine).await else {
            return;
        };
        let row = one_case(&lab, case, n).await;
        writeln!(table, "{}", row.line(engine.name())).unwrap();
        rows.push(row);
    }
    println!("{table}");
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("scheduling-matrix-{}.md", engine.name()));
    std::fs::write(&out, &table).unwrap();
    for row in &rows {
        check(engine.name(), row);
    }
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for line in table.lines() {
        assert!(
            readme.contains(line),
            "README.md's \"Who is told\" table lacks this measured row (the whole table is in {}):\n{line}",
            out.display()
        );
    }
}

#[tokio::test]
async fn scheduling_matrix_cyrus() {
    matrix(Engine::Cyrus).await;
}

#[tokio::test]
async fn scheduling_matrix_davical() {
    matrix(Engine::Davical).await;
}

#[tokio::test]
async fn scheduling_matrix_radicale() {
    matrix(Engine::Radicale).await;
}

#[tokio::test]
async fn scheduling_matrix_xandikos() {
    matrix(Engine::Xandikos).await;
}

/// Every resource of a calendar, by href.
async fn snapshot(
    raw: &Raw,
    origin: &str,
    collection: &str,
) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for href in raw.members(&format!("{origin}{collection}")).await {
        let (_, _, text) = raw
            .request("GET", &format!("{origin}{href}"), &[], None)
            .await;
        out.insert(href, text);
    }
    out
}

/// The demo calendar (Mia and her reports, 151 resources, Mia organizer of most 1:1s and
/// attendee of some) as Mia's calendar on the engine, Ann an account on the same server:
/// with the default config every coming 1:1 gets its agenda where Mia sees it, and no
/// message goes out and nothing of Ann's changes, in the first run and the next.
async fn realistic_private_by_default(engine: Engine) {
    let Some(lab) = Running::start(engine).await else {
        return;
    };
    let origin = lab.origin();
    let mia_address = lab.var("DAV_ADDRESS_mia");
    let ann_address = lab.var("DAV_ADDRESS_ann");
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/demo/calendar.ics"))
        .unwrap()
        .replace("mailto:mia@example.com", &mia_address)
        .replace("mailto:ann.berger@example.com", &ann_address);
    let mia = Raw::as_user("mia", "pw");
    let ann = Raw::as_user("ann", "pw");
    let mia_cal = lab.var("DAV_CALENDAR_mia");
    let mut refused = 0;
    for (name, body) in crate::demo::split_by_uid(&text) {
        let (status, _, _) = mia
            .request(
                "PUT",
                &format!("{origin}{mia_cal}{name}"),
                &[("content-type", "text/calendar; charset=utf-8")],
                Some(body),
            )
            .await;
        // DAViCal refuses some series with a local attendee (500, its own bug).
        refused += usize::from(!(200..300).contains(&status));
    }
    let ann_cal = lab.var("DAV_CALENDAR_ann");
    let ann_before = snapshot(&ann, &origin, &ann_cal).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "state_file = \"{state}\"\ncache_dir = \"{cache}\"\n[me]\nemail = \"{me}\"\n\
             [[calendar]]\nname = \"work\"\ncaldav = \"{url}\"\ncalendar = \"{mia_cal}\"\n\
             user = \"mia\"\npassword = \"pw\"\n",
            state = dir.path().join("state.sqlite").display(),
            cache = dir.path().join("cache").display(),
            me = mia_address.trim_start_matches("mailto:"),
            url = lab.var("DAV_URL"),
        ),
    )
    .unwrap();
    let run = || {
        let (status, text) = tete(&config, &["run", "--once", "--now", "2026-11-25T12:00:00Z"]);
        assert_eq!(status, Some(0), "{text}");
        text
    };
    let before = settled_mails(&lab).await;
    let first = run();
    let second = run();
    assert_eq!(
        settled_mails(&lab).await,
        before,
        "no message goes out:\n{first}"
    );
    let written: usize = first
        .split("agendas written: ")
        .nth(1)
        .and_then(|n| n.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    assert!(
        written >= 5,
        "every coming 1:1 gets its agenda ({refused} refused):\n{first}"
    );
    assert!(second.contains("agendas written: 0"), "{second}");
    let private = snapshot(
        &mia,
        &origin,
        &format!("{}tete-agendas/", lab.var("DAV_HOME_mia")),
    )
    .await;
    assert_eq!(
        private.len(),
        written,
        "each agenda in Mia's private calendar"
    );
    assert_eq!(
        snapshot(&ann, &origin, &ann_cal).await,
        ann_before,
        "nothing of Ann's changes"
    );
    eprintln!(
        "{}: {written} private agendas, 0 messages, Ann's {} resources unchanged ({refused} uploads refused)",
        engine.name(),
        ann_before.len()
    );
}

#[tokio::test]
async fn realistic_calendar_private_by_default_cyrus() {
    realistic_private_by_default(Engine::Cyrus).await;
}

#[tokio::test]
async fn realistic_calendar_private_by_default_davical() {
    realistic_private_by_default(Engine::Davical).await;
}

/// One weekly 1:1 Mia organizes on Xandikos (which schedules: agendas are private), and the
/// first run that wrote tomorrow's private agenda.
struct PrivateAgenda {
    lab: Running,
    mia: Raw,
    origin: String,
    uid: String,
    url: String,
    body: String,
    /// Tomorrow's occurrence (the one with the agenda).
    tomorrow: chrono::NaiveDateTime,
    dir: tempfile::TempDir,
}

impl PrivateAgenda {
    async fn start(name: &str) -> Option<PrivateAgenda> {
        let lab = Running::start(Engine::Xandikos).await?;
        let origin = lab.origin();
        let (user, password) = lab.login("mia");
        let mia = Raw::as_user(&user, &password);
        let mia_address = lab.var("DAV_ADDRESS_mia");
        let uid = format!("{name}@tete.test");
        let body = series(
            &uid,
            &mia_address,
            &lab.var("DAV_EXTERNAL_ADDRESS"),
            &mia_address,
        );
        let url = format!("{origin}{}{name}.ics", lab.var("DAV_CALENDAR_mia"));
        mia.put(&url, &body).await;
        let start_line = body.lines().find(|l| l.starts_with("DTSTART:")).unwrap();
        let start =
            chrono::NaiveDateTime::parse_from_str(&start_line[8..], "%Y%m%dT%H%M%SZ").unwrap();
        let setup = PrivateAgenda {
            lab,
            mia,
            origin,
            uid,
            url,
            body,
            tomorrow: start + Duration::weeks(3),
            dir: tempfile::tempdir().unwrap(),
        };
        setup.run_expecting(1);
        Some(setup)
    }

    /// Runs tete (private delivery) and checks how many agendas it wrote.
    fn run_expecting(&self, written: usize) {
        let case = Case {
            shared: false,
            organizer: true,
            local: false,
        };
        let out = run_tete(self.dir.path(), &self.lab, case, 1, &[]);
        assert!(
            out.contains(&format!("agendas written: {written}")),
            "{out}"
        );
    }

    /// The one private agenda, unfolded.
    async fn companion(&self) -> String {
        let private_cal = format!("{}tete-agendas/", self.lab.var("DAV_HOME_mia"));
        let all = snapshot(&self.mia, &self.origin, &private_cal).await;
        assert_eq!(all.len(), 1, "{all:?}");
        all.into_values().next().unwrap().replace("\r\n ", "")
    }
}

fn ical_time(t: chrono::NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A private agenda follows its 1:1 when the occurrence is moved, and a second run after
/// that writes nothing.
#[tokio::test]
async fn a_moved_occurrence_moves_its_private_agenda() {
    let Some(s) = PrivateAgenda::start("moved").await else {
        return;
    };
    let before = s.companion().await;
    // Tomorrow's occurrence moves two hours later.
    let later = s.tomorrow + Duration::hours(2);
    let moved = s.body.replace(
        "END:VCALENDAR",
        &format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nRECURRENCE-ID:{rid}\r\nDTSTART:{start}\r\nDTEND:{end}\r\n\
             SUMMARY:Mia / Other 1:1\r\nORGANIZER:{mia}\r\nEND:VEVENT\r\nEND:VCALENDAR",
            uid = s.uid,
            rid = ical_time(s.tomorrow),
            start = ical_time(later),
            end = ical_time(later + Duration::minutes(30)),
            mia = s.lab.var("DAV_ADDRESS_mia"),
        ),
    );
    s.mia.put(&s.url, &moved).await;
    s.run_expecting(1);
    let after = s.companion().await;
    assert!(
        after.contains(&format!("DTSTART:{}", ical_time(later))),
        "{before}\n---\n{after}"
    );
    s.run_expecting(0);
}

/// A private agenda whose 1:1 is then cancelled is marked cancelled (its words kept, a
/// person's notes included), once.
#[tokio::test]
async fn a_cancelled_occurrence_cancels_its_private_agenda() {
    let Some(s) = PrivateAgenda::start("cancelled").await else {
        return;
    };
    // Tomorrow's occurrence is removed from the series.
    let cancelled = s.body.replace(
        "RRULE:FREQ=WEEKLY\r\n",
        &format!("RRULE:FREQ=WEEKLY\r\nEXDATE:{}\r\n", ical_time(s.tomorrow)),
    );
    s.mia.put(&s.url, &cancelled).await;
    s.run_expecting(1);
    let text = s.companion().await;
    assert!(text.contains("STATUS:CANCELLED"), "{text}");
    assert!(text.contains("tete agenda"), "the words are kept: {text}");
    s.run_expecting(0);
}
