//! The bundled demo calendar uploaded to a server as one resource per event reads the same
//! as the `.ics` file, through the library and through `tete check` / `tete calendars`.

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use tete::calendar::{Collector, Document, Window};

use crate::harness::{DavServer, Kind};
use crate::{Raw, caldav_config, source, tete_ok};

fn demo_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/calendar.ics")
}

/// One resource per UID (`Document::split_by_uid`: master and overrides together, with the
/// calendar's properties and its time zones), without `METHOD`: CalDAV objects must not
/// have one.
pub fn split_by_uid(text: &str) -> Vec<(String, String)> {
    let (doc, _) = Document::parse(text, "demo").unwrap();
    doc.split_by_uid()
        .into_iter()
        .enumerate()
        .map(|(i, (_, mut part))| {
            part.components[0]
                .properties
                .retain(|p| !p.name.eq_ignore_ascii_case("METHOD"));
            (format!("ev{i:03}.ics"), part.to_ical())
        })
        .collect()
}

/// Uploads the demo calendar to `cal` as one resource per event. Radicale takes the whole
/// calendar in one PUT on the collection and splits it by UID itself (150 single PUTs take it
/// about ten seconds); the display name, which that PUT resets, is set again.
pub async fn upload_demo(raw: &Raw, kind: Kind, cal: &str, display: &str) -> usize {
    let text = std::fs::read_to_string(demo_path()).unwrap();
    let resources = split_by_uid(&text);
    if kind == Kind::Radicale {
        let whole: String = text
            .lines()
            .filter(|l| !l.starts_with("METHOD:"))
            .map(|l| format!("{l}\r\n"))
            .collect();
        raw.put(cal, &whole).await;
        let body = format!(
            r#"<?xml version="1.0"?><d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>{display}</d:displayname></d:prop></d:set></d:propertyupdate>"#
        );
        let (status, _, text) = raw
            .request(
                "PROPPATCH",
                cal,
                &[("content-type", "application/xml")],
                Some(body),
            )
            .await;
        assert_eq!(status, 207, "{text}");
    } else {
        for (name, body) in &resources {
            raw.put(&format!("{cal}{name}"), body).await;
        }
    }
    resources.len()
}

fn expand(collector: &Collector) -> Vec<String> {
    let window = Window {
        start: NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap(),
        end: NaiveDate::from_ymd_opt(2027, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap(),
    };
    collector
        .expand(window)
        .occurrences
        .iter()
        .map(|o| {
            format!(
                "{} {:?} {:?} {:?} {:?} {:?}",
                o.uid, o.recurrence_id, o.start, o.end, o.summary, o.status
            )
        })
        .collect()
}

/// Checks that the calendar `Demo` on `server`, once synced, expands like the file.
async fn same_as_file(server: &DavServer, kind: Kind, count: usize) {
    let text = std::fs::read_to_string(demo_path()).unwrap();
    let mut from_file = Collector::new();
    from_file.read(text.as_bytes(), "demo").unwrap();
    let expected = expand(&from_file);
    assert!(expected.len() > 100);

    let state = tempfile::tempdir().unwrap();
    let source = source(server, Some("Demo"), &state.path().join("s.sqlite"));
    let (snapshot, _) = source.sync().await.unwrap();
    assert_eq!(snapshot.resources.len(), count, "{kind:?}");
    let mut from_server = Collector::new();
    for resource in snapshot.resources.iter() {
        let bytes = resource.bytes().unwrap();
        from_server.read(&bytes[..], &resource.href).unwrap();
    }
    assert_eq!(
        from_server.event_count(),
        from_file.event_count(),
        "{kind:?}"
    );
    assert_eq!(expand(&from_server), expected, "{kind:?}");
}

#[tokio::test]
async fn demo_calendar_reads_the_same_xandikos() {
    let server = DavServer::start(Kind::Xandikos);
    let raw = Raw::new(&server);
    let cal = raw.mkcalendar(&server, "demo", "Demo").await;
    let count = upload_demo(&raw, Kind::Xandikos, &cal, "Demo").await;
    same_as_file(&server, Kind::Xandikos, count).await;
    same_report_as_file(&server).await;
}

/// `tete report --format json` of the demo calendar on `server` (calendar `Demo`) is the
/// report of the `.ics` file, byte for byte: each run on a fresh state file.
async fn same_report_as_file(server: &DavServer) {
    let dir = tempfile::tempdir().unwrap();
    let config = caldav_config(dir.path(), server, "Demo", "");
    let report = |args: &[&std::ffi::OsStr]| {
        let mut all: Vec<&std::ffi::OsStr> = vec![
            "report".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            "--now".as_ref(),
            "2026-11-25T12:00:00Z".as_ref(),
        ];
        all.extend_from_slice(args);
        String::from_utf8(tete_ok(&all).stdout).unwrap()
    };
    let file_state = dir.path().join("file.sqlite");
    let from_file = report(&[
        "--me".as_ref(),
        "mia@example.com".as_ref(),
        "--calendar".as_ref(),
        demo_path().as_os_str(),
        "--state".as_ref(),
        file_state.as_os_str(),
    ]);
    // A fresh state file of its own, not the config's: the sync state goes there too.
    let server_state = dir.path().join("server.sqlite");
    let from_server = report(&[
        "--config".as_ref(),
        config.as_os_str(),
        "--state".as_ref(),
        server_state.as_os_str(),
    ]);
    let relationships: serde_json::Value = serde_json::from_str(&from_file).unwrap();
    assert!(relationships.as_array().unwrap().len() >= 9, "{from_file}");
    assert_eq!(from_server, from_file, "{:?}", server.kind);
    assert!(
        !dir.path().join("state.sqlite").exists(),
        "--state holds all"
    );
}

fn tete(config: &Path, command: &str, env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tete"));
    cmd.arg("--config")
        .arg(config)
        .args(command.split(' '))
        .env_remove("TETE_CONFIG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// The counts line of one calendar in `tete check`'s output.
fn counts_of<'a>(output: &'a str, name: &str) -> &'a str {
    let start = output
        .find(&format!("{name} ("))
        .unwrap_or_else(|| panic!("{name} not in {output}"));
    output[start..]
        .lines()
        .find(|l| l.trim_start().starts_with("resources:"))
        .unwrap()
        .split_once(", events")
        .unwrap()
        .1
}

/// On Radicale (with Basic auth): the demo calendar reads the same as the file through the
/// library and through `tete check`; `tete calendars` lists the account.
#[tokio::test]
async fn demo_calendar_check_and_calendars_on_radicale() {
    let password = "pw-D3MO-secret";
    let server = DavServer::start_with(Kind::Radicale, Some(password));
    let raw = Raw::new(&server);
    let cal = raw.mkcalendar(&server, "demo", "Demo").await;
    raw.mkcalendar(&server, "other", "Other").await;
    let count = upload_demo(&raw, Kind::Radicale, &cal, "Demo").await;
    same_as_file(&server, Kind::Radicale, count).await;
    same_report_as_file(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "cache_dir = \"cache\"\nstate_file = \"state/state.sqlite\"\n\
             [[calendar]]\nname = \"file\"\nfile = \"{}\"\n\
             [[calendar]]\nname = \"server\"\ncaldav = \"{}\"\ncalendar = \"Demo\"\n\
             user = \"tete\"\npassword = {{ env = \"TETE_TEST_DAV_PW\" }}\n",
            demo_path().display(),
            server.url
        ),
    )
    .unwrap();
    let env = [("TETE_TEST_DAV_PW", password)];
    let out = tokio::task::spawn_blocking({
        let config = config.clone();
        move || {
            let first = tete(&config, "check", &env);
            let second = tete(&config, "check", &env);
            let calendars = tete(&config, "calendars", &env);
            let json = tete(&config, "calendars --format json", &env);
            (first, second, (calendars, json))
        }
    })
    .await
    .unwrap();
    let ((ok1, first), (ok2, second), ((ok3, calendars), (ok4, json))) = out;
    assert!(ok1 && ok2, "{first}\n{second}");
    assert_eq!(
        counts_of(&first, "file"),
        counts_of(&first, "server"),
        "{first}"
    );
    assert!(first.contains("server (caldav "), "{first}");
    assert!(
        first.contains(&format!(
            "synced (sync-collection): {count} fetched, 0 deleted"
        )),
        "{first}"
    );
    assert!(
        second.contains("synced (sync-collection): no change"),
        "{second}"
    );
    assert!(second.contains("requests: 1 ("), "{second}");
    assert!(dir.path().join("state/state.sqlite").exists());
    assert!(ok3, "{calendars}");
    assert!(
        calendars.contains("\"Demo\"") && calendars.contains("<- server"),
        "{calendars}"
    );
    assert!(calendars.contains("\"Other\""), "{calendars}");
    assert!(ok4, "{json}");
    let listing: serde_json::Value = serde_json::Deserializer::from_str(&json)
        .into_iter()
        .next()
        .unwrap()
        .unwrap();
    let account = &listing["accounts"][0];
    assert_eq!(account["error"], serde_json::Value::Null, "{json}");
    let demo = account["calendars"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Demo")
        .unwrap();
    assert_eq!(demo["picked_by"], serde_json::json!(["server"]), "{json}");
    assert_eq!(demo["sync"], "sync-collection", "{json}");
    for output in [&first, &second, &calendars, &json] {
        assert!(!output.contains(password), "{output}");
    }

    // A wrong password: check fails for that calendar only, without showing the password.
    let env = [("TETE_TEST_DAV_PW", "wrong-PASSW0RD")];
    let (ok, output) = tokio::task::spawn_blocking(move || tete(&config, "check", &env))
        .await
        .unwrap();
    assert!(!ok);
    assert!(output.contains("401"), "{output}");
    assert!(output.contains("file (file"), "{output}");
    assert!(!output.contains("wrong-PASSW0RD"), "{output}");
}
