//! The agenda writer end to end on Radicale and Xandikos: `tete run --once` against a
//! calendar on the server writes next week's agenda into a RECURRENCE-ID override in the
//! series' own resource, keeps every other property through the server's round trip,
//! writes nothing the second time, sees an item checked by another client, carries items
//! over a cancelled meeting, handles Google-style HTML, never evaluates calendar text as a
//! template, and keeps a person's edit made between its read and its write.

use tete::calendar::value::unescape_text;
use tete::calendar::{Component, Document};

use crate::harness::{DavServer, Kind};
use crate::{Raw, caldav_config, run_once};

/// "Now" for every run: a Friday; the next occurrence is Monday 23 March.
pub const NOW: &str = "2026-03-20T12:00:00Z";
/// The occurrence that gets the agenda, in the form of the masters' DTSTART.
pub const NEXT: &str = "20260323T100000";

const BERLIN: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\n\
TZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n\
END:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n\
DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

/// A weekly 1:1 of Mia (organizer) with one person, Mondays 10:00 Berlin time from
/// 2 March 2026, as Google writes it (attendee parameters, conference, alarm, `X-`
/// properties, SEQUENCE 2), with overrides `(YYYYMMDD, extra lines)`.
pub fn series(
    uid: &str,
    (name, cn, email): (&str, &str, &str),
    description: &str,
    overrides: &[(&str, &str)],
) -> String {
    let people = format!(
        "SUMMARY:{name} / Mia\r\nORGANIZER;CN=Mia:mailto:mia@example.com\r\n\
ATTENDEE;CN=\"{cn}\";PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT;X-NUM-GUESTS=0:mailto:{email}\r\n\
SEQUENCE:2\r\n"
    );
    let mut out = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n{BERLIN}\
BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20260302T100000\r\n\
DTEND;TZID=Europe/Berlin:20260302T103000\r\nRRULE:FREQ=WEEKLY\r\n{people}LOCATION:Room 4\r\n\
X-GOOGLE-CONFERENCE:https://meet.example/abc-defg\r\nX-TETE-TEST;X-PARAM=kept:custom value\r\n\
DESCRIPTION:{description}\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT10M\r\n\
DESCRIPTION:Reminder\r\nEND:VALARM\r\nEND:VEVENT\r\n"
    );
    for (day, extra) in overrides {
        out.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n\
RECURRENCE-ID;TZID=Europe/Berlin:{day}T100000\r\nDTSTART;TZID=Europe/Berlin:{day}T100000\r\n\
DTEND;TZID=Europe/Berlin:{day}T103000\r\n{people}{extra}\r\nEND:VEVENT\r\n"
        ));
    }
    out.push_str("END:VCALENDAR\r\n");
    out
}

pub const ANN: (&str, &str, &str) = ("Ann", "Berger, Ann", "ann@example.com");

/// Ann's 1:1: last week's notes hold an open item, a done one and template syntax.
pub fn ann() -> String {
    series(
        "ann-weekly@x",
        ANN,
        "Standing 1:1",
        &[(
            "20260316",
            "DESCRIPTION:Notes\\n- [ ] Ann: send the hiring plan (due 2026-03-27)\\n\
- [ ] Ann: read {{ 7*7 }} and {% if true %}this{% endif %}\\n- [x] Mia: book the offsite\\n\
{{ not a template }} {% for x in y %}",
        )],
    )
}

/// Ben's 1:1: the item is from 9 March; 16 March was cancelled.
fn ben() -> String {
    series(
        "ben-weekly@x",
        ("Ben", "Ben Okafor", "ben@example.com"),
        "Standing 1:1",
        &[
            ("20260309", "DESCRIPTION:- [ ] Ben: fix the build"),
            (
                "20260316",
                "STATUS:CANCELLED\r\nDESCRIPTION:- [ ] Ben: not held",
            ),
        ],
    )
}

/// Cat's 1:1, typed in Google Calendar's web UI: HTML descriptions.
fn cat() -> String {
    series(
        "cat-weekly@x",
        ("Cat", "Cat Lind", "cat@example.com"),
        "<b>Standing</b> 1:1<br>Doc: <a href=\"https://docs.example/x\">notes</a>",
        &[(
            "20260316",
            "DESCRIPTION:Notes<br><ul><li>[ ] Cat: draft the roadmap</li>\
<li>[x] Mia: share the budget</li></ul>",
        )],
    )
}

/// A GET of `url`: the body and its etag.
pub async fn get(raw: &Raw, url: &str) -> (String, String) {
    let (status, etag, body) = raw.request("GET", url, &[], None).await;
    assert_eq!(status, 200, "GET {url}: {body}");
    (body, etag.expect("an etag"))
}

/// The event with this RECURRENCE-ID value in `text`.
pub fn event_at(text: &str, recurrence_id: &str) -> Component {
    let (doc, _) = Document::parse(text, "server").unwrap();
    doc.events()
        .into_iter()
        .find(|e| e.value("RECURRENCE-ID") == Some(recurrence_id))
        .unwrap_or_else(|| panic!("no override {recurrence_id} in\n{text}"))
        .clone()
}

pub fn description(event: &Component) -> String {
    unescape_text(event.value("DESCRIPTION").unwrap_or("")).into_owned()
}

/// What a server must keep of the master in tete's new override, and what tete must not add.
fn check_override(kind: Kind, text: &str, attendee: &str, cn: &str) {
    let (doc, _) = Document::parse(text, "server").unwrap();
    let events = doc.events();
    let created = event_at(text, NEXT);
    let rid = created.property("RECURRENCE-ID").unwrap();
    assert_eq!(
        rid.param("TZID").as_deref(),
        Some("Europe/Berlin"),
        "{kind:?}: RECURRENCE-ID in DTSTART's form:\n{text}"
    );
    let start = created.property("DTSTART").unwrap();
    assert_eq!(
        (start.value.as_str(), start.param("TZID").as_deref()),
        (NEXT, Some("Europe/Berlin"))
    );
    assert_eq!(created.value("SEQUENCE"), Some("2"), "{kind:?}: not bumped");
    assert!(created.property("RRULE").is_none(), "{kind:?}");
    assert!(!text.contains("EXDATE"), "{kind:?}: no EXDATE:\n{text}");
    let a = created.property("ATTENDEE").unwrap();
    assert_eq!(a.value, format!("mailto:{attendee}"), "{kind:?}");
    for (param, value) in [
        ("CN", cn),
        ("PARTSTAT", "ACCEPTED"),
        ("ROLE", "REQ-PARTICIPANT"),
        ("X-NUM-GUESTS", "0"),
    ] {
        assert_eq!(a.param(param).as_deref(), Some(value), "{kind:?}: {param}");
    }
    assert_eq!(a.param("SCHEDULE-AGENT"), None, "{kind:?}");
    let organizer = created.property("ORGANIZER").unwrap();
    assert_eq!(organizer.param("CN").as_deref(), Some("Mia"));
    assert_eq!(created.value("LOCATION"), Some("Room 4"), "{kind:?}");
    assert_eq!(
        created.value("X-GOOGLE-CONFERENCE"),
        Some("https://meet.example/abc-defg"),
        "{kind:?}"
    );
    let x = created.property("X-TETE-TEST").unwrap();
    assert_eq!(
        (x.value.as_str(), x.param("X-PARAM").as_deref()),
        ("custom value", Some("kept")),
        "{kind:?}"
    );
    let alarm = &created.components[0];
    assert_eq!(
        (alarm.name.as_str(), alarm.value("TRIGGER")),
        ("VALARM", Some("-PT10M")),
        "{kind:?}"
    );
    // The master is untouched: its rule, its description, no SCHEDULE-AGENT.
    let master = events
        .iter()
        .find(|e| e.property("RECURRENCE-ID").is_none())
        .unwrap();
    assert!(master.property("RRULE").is_some());
    assert!(
        master
            .property("ATTENDEE")
            .unwrap()
            .param("SCHEDULE-AGENT")
            .is_none()
    );
}

async fn agendas_on(kind: Kind) {
    let server = DavServer::start(kind);
    let raw = Raw::new(&server);
    let cal = raw.mkcalendar(&server, "one-on-ones", "1:1s").await;
    for (name, body) in [("ann", ann()), ("ben", ben()), ("cat", cat())] {
        raw.put(&format!("{cal}{name}.ics"), &body).await;
    }
    let dir = tempfile::tempdir().unwrap();
    // Xandikos schedules on its own: by default agendas would go to a private calendar
    // (tested in `scheduling.rs`); here the in-event write is what is tested.
    let extra = match kind {
        Kind::Xandikos => "[agenda]\ndelivery = \"shared\"\n",
        Kind::Radicale => "",
    };
    let config = caldav_config(dir.path(), &server, "1:1s", extra);

    let out = run_once(&config, NOW);
    assert!(out.contains("agendas written: 3"), "{kind:?}: {out}");

    // Ann: the open items, verbatim; the done one not; the person's text below the block.
    let (text, _) = get(&raw, &format!("{cal}ann.ics")).await;
    assert_eq!(Document::parse(&text, "ann").unwrap().0.events().len(), 3);
    check_override(kind, &text, "ann@example.com", "Berger, Ann");
    let block = description(&event_at(&text, NEXT));
    assert!(block.contains("--- tete agenda"), "{kind:?}: {block}");
    assert!(
        block.contains("- [ ] Ann: send the hiring plan (due 2026-03-27)"),
        "{kind:?}: {block}"
    );
    assert!(
        block.contains("- [ ] Ann: read {{ 7*7 }} and {% if true %}this{% endif %}"),
        "template syntax in an item is data: {block}"
    );
    assert!(!block.contains("49"), "{block}");
    assert!(!block.contains("book the offsite"), "{kind:?}: {block}");
    assert!(block.ends_with("Standing 1:1"), "{kind:?}: {block}");
    // Last week's notes are as they were, template syntax and all.
    let last = description(&event_at(&text, "20260316T100000"));
    assert!(
        last.ends_with("- [x] Mia: book the offsite\n{{ not a template }} {% for x in y %}"),
        "{kind:?}: {last}"
    );

    // Ben: the item of the last meeting held is carried over the cancelled one.
    let (text, _) = get(&raw, &format!("{cal}ben.ics")).await;
    check_override(kind, &text, "ben@example.com", "Ben Okafor");
    let block = description(&event_at(&text, NEXT));
    assert!(
        block.contains("- [ ] Ben: fix the build"),
        "{kind:?}: {block}"
    );
    assert!(!block.contains("not held"), "{kind:?}: {block}");

    // Cat: HTML in, HTML block out, the open item only, her HTML kept below.
    let (text, _) = get(&raw, &format!("{cal}cat.ics")).await;
    check_override(kind, &text, "cat@example.com", "Cat Lind");
    let block = description(&event_at(&text, NEXT));
    assert!(
        block.contains("Cat: draft the roadmap"),
        "{kind:?}: {block}"
    );
    assert!(block.contains("<br>"), "an HTML block: {block}");
    assert!(!block.contains("share the budget"), "{kind:?}: {block}");
    assert!(
        block.ends_with("<b>Standing</b> 1:1<br>Doc: <a href=\"https://docs.example/x\">notes</a>"),
        "{kind:?}: {block}"
    );

    // Still three resources: overrides live with their series, never on their own.
    let state = tempfile::tempdir().unwrap();
    let source = crate::source(&server, Some("1:1s"), &state.path().join("s.sqlite"));
    let (snapshot, _) = source.sync().await.unwrap();
    assert_eq!(snapshot.resources.len(), 3, "{kind:?}");

    // A second run writes nothing: no PUT, every etag as it was.
    let mut etags = Vec::new();
    for name in ["ann", "ben", "cat"] {
        etags.push(get(&raw, &format!("{cal}{name}.ics")).await.1);
    }
    let out = run_once(&config, NOW);
    assert!(out.contains("agendas written: 0"), "{kind:?}: {out}");
    for (name, etag) in ["ann", "ben", "cat"].iter().zip(&etags) {
        assert_eq!(
            &get(&raw, &format!("{cal}{name}.ics")).await.1,
            etag,
            "{name}"
        );
    }
    // Nor does it write into the state file: an idle run an hour later changes no row (the
    // cycle cache's tables aside: their own tests say what they save).
    let state_file = dir.path().join("state.sqlite");
    let rows = crate::state_rows::state_rows(&state_file);
    let out = run_once(&config, "2026-03-20T13:00:00Z");
    assert!(
        out.contains("history: 0 new, 0 changed, 0 deleted"),
        "{kind:?}: {out}"
    );
    assert_eq!(crate::state_rows::state_rows(&state_file), rows, "{kind:?}");

    // Ann checks an item inside the block in another app: the next cycle shows it done.
    let url = format!("{cal}ann.ics");
    let (text, etag) = get(&raw, &url).await;
    let (mut doc, _) = Document::parse(&text, "ann").unwrap();
    for event in doc.events_mut() {
        if event.value("RECURRENCE-ID") == Some(NEXT) {
            let d = unescape_text(event.value("DESCRIPTION").unwrap());
            let checked = d.replacen(
                "- [ ] Ann: send the hiring plan",
                "- [x] Ann: send the hiring plan",
                1,
            );
            assert_ne!(checked, d);
            event.set_text("DESCRIPTION", &checked);
        }
    }
    let (status, _, body) = raw
        .request(
            "PUT",
            &url,
            &[
                ("content-type", "text/calendar; charset=utf-8"),
                ("if-match", &etag),
            ],
            Some(doc.to_ical()),
        )
        .await;
    assert!((200..300).contains(&status), "{status} {body}");
    let out = run_once(&config, NOW);
    assert!(out.contains("agendas written: 1"), "{kind:?}: {out}");
    let block = description(&event_at(&get(&raw, &url).await.0, NEXT));
    assert!(
        block.contains("Done since last time:\n- [x] Ann: send the hiring plan"),
        "{kind:?}: {block}"
    );
    assert!(
        !block.contains("- [ ] Ann: send the hiring plan"),
        "{kind:?}: {block}"
    );
    assert!(block.contains("- [ ] Ann: read {{ 7*7 }}"), "{block}");
}

#[tokio::test]
async fn agendas_radicale() {
    agendas_on(Kind::Radicale).await;
}

#[tokio::test]
async fn agendas_xandikos() {
    agendas_on(Kind::Xandikos).await;
}

/// Mia edits the series in another app after tete read the calendar and before it writes:
/// the write reads the resource fresh and re-applies the block to her version.
async fn edit_between_read_and_write_on(kind: Kind) {
    use tete::cycle;
    let server = DavServer::start(kind);
    let raw = Raw::new(&server);
    let cal = raw.mkcalendar(&server, "one-on-ones", "1:1s").await;
    let url = format!("{cal}ann.ics");
    raw.put(&url, &ann()).await;
    let dir = tempfile::tempdir().unwrap();
    let config =
        tete::config::Config::load(&caldav_config(dir.path(), &server, "1:1s", "")).unwrap();
    let now = chrono::NaiveDateTime::parse_from_str(NOW, "%Y-%m-%dT%H:%M:%SZ")
        .unwrap()
        .and_utc();
    let mut gathered = cycle::gather(
        &config.calendars,
        &config.feed_cache_dir(),
        crate::sync_state(&config.state_file).as_ref(),
        &tete::http::HttpClient::with_timeout(config.request_timeout),
    )
    .await;
    assert!(gathered.failures.is_empty(), "{:?}", gathered.failures);
    let mut store = tete::state::StateFile::open(&config.state_file)
        .unwrap()
        .into_history();
    let outcome = cycle::run(
        &mut gathered.collector,
        &config.me.identity(),
        &config.detect,
        &mut store,
        now,
        None,
        &config.cadence,
    )
    .unwrap();
    let plans = cycle::plan_agendas(&gathered, &outcome, &store, now, &config.agenda).unwrap();
    assert_eq!(plans.writes(&gathered).count(), 1);

    // Meanwhile, in another app: a new room and an edited description on the master.
    let edited = ann()
        .replacen("LOCATION:Room 4\r\n", "LOCATION:Room 7\r\n", 1)
        .replacen(
            "DESCRIPTION:Standing 1:1\r\n",
            "DESCRIPTION:Standing 1:1 (edited)\r\n",
            1,
        );
    raw.put(&url, &edited).await;

    let outcomes = tete::agenda::write::apply(plans.writes(&gathered).collect(), now).await;
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].result.as_ref().unwrap().len(), 1, "{kind:?}");
    let (text, _) = get(&raw, &url).await;
    let master = Document::parse(&text, "ann").unwrap().0;
    let master = master
        .events()
        .into_iter()
        .find(|e| e.property("RRULE").is_some())
        .unwrap()
        .clone();
    assert_eq!(master.value("LOCATION"), Some("Room 7"), "{kind:?}: {text}");
    assert_eq!(description(&master), "Standing 1:1 (edited)");
    let created = event_at(&text, NEXT);
    assert_eq!(
        created.value("LOCATION"),
        Some("Room 7"),
        "from her version"
    );
    let block = description(&created);
    assert!(block.contains("send the hiring plan"), "{kind:?}: {block}");
    assert!(
        block.ends_with("Standing 1:1 (edited)"),
        "re-merged on her text: {block}"
    );
}

#[tokio::test]
async fn an_edit_between_read_and_write_survives_radicale() {
    edit_between_read_and_write_on(Kind::Radicale).await;
}

#[tokio::test]
async fn an_edit_between_read_and_write_survives_xandikos() {
    edit_between_read_and_write_on(Kind::Xandikos).await;
}

/// `run --once --dry-run` on a CalDAV calendar prints the diff and changes nothing: not the
/// server's resource, and no state file (the sync state included).
#[tokio::test]
async fn dry_run_changes_nothing_radicale() {
    let server = DavServer::start(Kind::Radicale);
    let raw = Raw::new(&server);
    let cal = raw.mkcalendar(&server, "one-on-ones", "1:1s").await;
    let url = format!("{cal}ann.ics");
    raw.put(&url, &ann()).await;
    let etag = get(&raw, &url).await.1;
    let dir = tempfile::tempdir().unwrap();
    let config = caldav_config(dir.path(), &server, "1:1s", "");
    let out = crate::dry_run(&config, NOW);
    assert!(
        out.contains("+- [ ] Ann: send the hiring plan (due 2026-03-27)"),
        "{out}"
    );
    assert_eq!(get(&raw, &url).await.1, etag, "nothing written");
    assert!(
        !dir.path().join("state.sqlite").exists(),
        "the dry run made no state"
    );
}
