//! Action items as tasks on Radicale, both ways over CalDAV: with `create = true` tete
//! makes the task list (MKCALENDAR with VTODO), creates a task per item (`owner = "all"`),
//! writes nothing the second time; a task completed by another client closes its item
//! (gone from the next agenda), and an item checked in the notes completes its task.

use tete::calendar::Document;
use tete::calendar::value::unescape_text;

use crate::agenda::{NEXT, NOW, ann, description, event_at, get};
use crate::harness::{DavServer, Kind};
use crate::{Raw, caldav_config, run_once};

/// `text` with the item starting `item` checked in the notes of the occurrence whose
/// RECURRENCE-ID contains `day`.
fn checked(text: &str, day: &str, item: &str) -> String {
    let (mut doc, _) = Document::parse(text, "ann").unwrap();
    let mut done = false;
    for event in doc.events_mut() {
        if event
            .value("RECURRENCE-ID")
            .is_some_and(|r| r.contains(day))
        {
            let d = unescape_text(event.value("DESCRIPTION").unwrap());
            let checked = d.replacen(&format!("- [ ] {item}"), &format!("- [x] {item}"), 1);
            done |= checked != d;
            event.set_text("DESCRIPTION", &checked);
        }
    }
    assert!(done, "{item} not found on {day} in {text}");
    doc.to_ical()
}

#[tokio::test(flavor = "multi_thread")]
async fn tasks_round_trip_on_radicale() {
    let server = DavServer::start(Kind::Radicale);
    let raw = Raw::new(&server);
    let cal = raw.mkcalendar(&server, "one-on-ones", "1:1s").await;
    raw.put(&format!("{cal}ann.ics"), &ann()).await;
    let dir = tempfile::tempdir().unwrap();
    let extra = format!(
        "[[calendar]]\nname = \"tasks\"\ncaldav = \"{url}\"\ncalendar = \"Tasks\"\n\
         user = \"{user}\"\npassword = \"{password}\"\n\
         [tasks]\nlist = \"tasks\"\nowner = \"all\"\ncreate = true\n",
        url = server.url,
        user = server.user,
        password = server.password,
    );
    let config = caldav_config(dir.path(), &server, "1:1s", &extra);
    let list = format!("{}{}tasks/", server.url.trim_end_matches('/'), server.home);

    // A dry run creates nothing, and says what it would.
    let dry = crate::dry_run(&config, NOW);
    assert!(
        dry.contains("# the task list \"tasks\" is missing: it would be created"),
        "{dry}"
    );
    assert!(dry.contains("+SUMMARY:Ann: send the hiring plan"), "{dry}");
    let (status, _, _) = raw
        .request("PROPFIND", &list, &[("depth", "0")], None)
        .await;
    assert_eq!(status, 404, "not created by a dry run");

    let out = run_once(&config, NOW);
    assert!(out.contains("created the task list \"tasks\""), "{out}");
    assert!(out.contains("tasks in \"tasks\": 2 written"), "{out}");
    // Created by tete, for tasks.
    let members = raw.members(&list).await;
    assert_eq!(members.len(), 2, "{members:?}");
    let origin = server.url.trim_end_matches('/').to_string();
    let mut plan_href = String::new();
    for href in &members {
        let text = raw.get(&format!("{origin}{href}")).await;
        assert!(text.contains("BEGIN:VTODO"), "{text}");
        if text.contains("SUMMARY:Ann: send the hiring plan") {
            assert!(text.contains("DUE;VALUE=DATE:20260327"), "{text}");
            assert!(text.contains("RELATED-TO:ann-weekly@x"), "{text}");
            plan_href = format!("{origin}{href}");
        }
    }
    assert!(!plan_href.is_empty());

    // Nothing changed: nothing written.
    let again = run_once(&config, NOW);
    assert!(again.contains("tasks in \"tasks\": 0 written"), "{again}");

    // Another client (a phone) completes the hiring plan: the item leaves the agenda.
    let (block, _) = get(&raw, &format!("{cal}ann.ics")).await;
    assert!(description(&event_at(&block, NEXT)).contains("- [ ] Ann: send the hiring plan"));
    let task = raw.get(&plan_href).await;
    let done = task.replace("STATUS:NEEDS-ACTION", "STATUS:COMPLETED");
    assert_ne!(done, task);
    raw.put(&plan_href, &done).await;
    let out = run_once(&config, "2026-03-21T12:00:00Z");
    assert!(out.contains("1 item(s) closed from the task list"), "{out}");
    let (text, _) = get(&raw, &format!("{cal}ann.ics")).await;
    let agenda = description(&event_at(&text, NEXT));
    assert!(
        !agenda.contains("- [ ] Ann: send the hiring plan"),
        "{agenda}"
    );

    // The other item is checked in the notes: tete completes its task.
    let (mut doc, _) = Document::parse(&text, "ann").unwrap();
    for event in doc.events_mut() {
        if event
            .value("RECURRENCE-ID")
            .is_some_and(|r| r.contains(NEXT))
        {
            let d = unescape_text(event.value("DESCRIPTION").unwrap());
            let checked = d.replacen("- [ ] Ann: read", "- [x] Ann: read", 1);
            assert_ne!(checked, d);
            event.set_text("DESCRIPTION", &checked);
        }
    }
    raw.put(&format!("{cal}ann.ics"), &doc.to_ical()).await;
    let out = run_once(&config, "2026-03-22T12:00:00Z");
    assert!(out.contains("tasks in \"tasks\": 1 written"), "{out}");
    let mut completed = 0;
    for href in raw.members(&list).await {
        let text = raw.get(&format!("{origin}{href}")).await;
        if text.contains("SUMMARY:Ann: read") {
            assert!(text.contains("STATUS:COMPLETED"), "{text}");
            assert!(text.contains("PERCENT-COMPLETE:100"), "{text}");
            completed += 1;
        }
    }
    assert_eq!(completed, 1);
    let settled = run_once(&config, "2026-03-22T13:00:00Z");
    assert!(settled.contains("0 written"), "{settled}");
}

/// The same round trip on an engine of the matrix (Cyrus: Fastmail's), with the agendas
/// where that engine's default puts them: the task list created with MKCALENDAR (VTODO),
/// a task per item once, a task completed by another client closes its item (`tete items`
/// no longer lists it), an item checked in the notes completes its task.
async fn tasks_on(engine: crate::engines::Engine) {
    let Some(lab) = crate::engines::Running::start(engine).await else {
        return;
    };
    let origin = lab.origin();
    let (user, password) = lab.login("mia");
    let raw = Raw::as_user(&user, &password);
    let mia = lab.var("DAV_ADDRESS_mia");
    let series = ann()
        .replace("mailto:mia@example.com", &mia)
        .replace("mailto:ann@example.com", "mailto:ann@elsewhere.test");
    let cal = lab.var("DAV_CALENDAR_mia");
    raw.put(&format!("{origin}{cal}ann.ics"), &series).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "state_file = \"{state}\"\ncache_dir = \"{cache}\"\n[me]\nemail = \"{me}\"\n\
             [[calendar]]\nname = \"work\"\ncaldav = \"{url}\"\ncalendar = \"{cal}\"\n\
             user = \"{user}\"\npassword = \"{password}\"\n\
             [[calendar]]\nname = \"tasks\"\ncaldav = \"{url}\"\ncalendar = \"Tasks\"\n\
             user = \"{user}\"\npassword = \"{password}\"\n\
             [tasks]\nlist = \"tasks\"\nowner = \"all\"\ncreate = true\n",
            state = dir.path().join("state.sqlite").display(),
            cache = dir.path().join("cache").display(),
            me = mia.trim_start_matches("mailto:"),
            url = lab.var("DAV_URL"),
        ),
    )
    .unwrap();
    let name = engine.name();
    let out = run_once(&config, NOW);
    assert!(
        out.contains("tasks in \"tasks\": 2 written"),
        "{name}: {out}"
    );
    let list = format!("{origin}{}tasks/", lab.var("DAV_HOME_mia"));
    let members = raw.members(&list).await;
    assert_eq!(members.len(), 2, "{name}: {members:?}");
    let again = run_once(&config, NOW);
    assert!(
        again.contains("tasks in \"tasks\": 0 written"),
        "{name}: {again}"
    );

    let mut plan_href = String::new();
    for href in &members {
        if raw
            .get(&format!("{origin}{href}"))
            .await
            .contains("SUMMARY:Ann: send the hiring plan")
        {
            plan_href = format!("{origin}{href}");
        }
    }
    let task = raw.get(&plan_href).await;
    raw.put(
        &plan_href,
        &task.replace("STATUS:NEEDS-ACTION", "STATUS:COMPLETED"),
    )
    .await;
    let out = run_once(&config, "2026-03-21T12:00:00Z");
    assert!(out.contains("1 item(s) closed"), "{name}: {out}");
    let items = crate::tete_ok(&[
        "--config".as_ref(),
        config.as_os_str(),
        "items".as_ref(),
        "--now".as_ref(),
        "2026-03-21T12:30:00Z".as_ref(),
    ]);
    let items = String::from_utf8(items.stdout).unwrap();
    assert!(!items.contains("send the hiring plan"), "{name}: {items}");
    assert!(items.contains("Ann: read"), "{name}: {items}");

    // Checked in last week's notes: the task is completed.
    let text = raw.get(&format!("{origin}{cal}ann.ics")).await;
    raw.put(
        &format!("{origin}{cal}ann.ics"),
        &checked(&text, "20260316", "Ann: read"),
    )
    .await;
    let out = run_once(&config, "2026-03-22T12:00:00Z");
    assert!(
        out.contains("tasks in \"tasks\": 1 written"),
        "{name}: {out}"
    );
    let completed = raw
        .members(&list)
        .await
        .into_iter()
        .map(|href| format!("{origin}{href}"));
    let mut found = 0;
    for url in completed {
        let text = raw.get(&url).await;
        if text.contains("SUMMARY:Ann: read") {
            assert!(text.contains("STATUS:COMPLETED"), "{name}: {text}");
            found += 1;
        }
    }
    assert_eq!(found, 1, "{name}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tasks_round_trip_on_cyrus() {
    tasks_on(crate::engines::Engine::Cyrus).await;
}

/// A task list that holds only events (MKCALENDAR with VEVENT alone) takes no task: tete
/// says so and writes nothing there; the agendas are still written.
#[tokio::test(flavor = "multi_thread")]
async fn a_calendar_without_tasks_takes_none() {
    let server = DavServer::start(Kind::Radicale);
    let raw = Raw::new(&server);
    let cal = raw.mkcalendar(&server, "one-on-ones", "1:1s").await;
    raw.put(&format!("{cal}ann.ics"), &ann()).await;
    let events_only = raw.mkcalendar(&server, "events", "Events").await;
    let dir = tempfile::tempdir().unwrap();
    let extra = format!(
        "[[calendar]]\nname = \"events\"\ncaldav = \"{url}\"\ncalendar = \"Events\"\n\
         user = \"{user}\"\npassword = \"{password}\"\n\
         [tasks]\nlist = \"events\"\nowner = \"all\"\n",
        url = server.url,
        user = server.user,
        password = server.password,
    );
    let config = caldav_config(dir.path(), &server, "1:1s", &extra);
    let out = crate::tete_ok(&[
        "--config".as_ref(),
        config.as_os_str(),
        "run".as_ref(),
        "--once".as_ref(),
        "--now".as_ref(),
        NOW.as_ref(),
    ]);
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(
        stderr.contains("holds only VEVENT, not tasks (VTODO)"),
        "{stderr}"
    );
    assert!(stdout.contains("agendas written: 1"), "{stdout}");
    assert!(stdout.contains("0 written"), "{stdout}");
    assert!(raw.members(&events_only).await.is_empty());
}
