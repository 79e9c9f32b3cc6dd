//! The sync benchmark (`bench/caldav`): requests and bytes per cycle against real servers.
//! Ignored in the normal test run; run with `--ignored --nocapture`.

use std::time::Instant;

use tete::sources::caldav::{CaldavSource, StatsSnapshot};

use crate::demo::split_by_uid;
use crate::harness::{DavServer, Kind};
use crate::{Raw, event, source};

struct Row {
    server: &'static str,
    calendar: String,
    cycle: &'static str,
    stats: StatsSnapshot,
    fetched: usize,
    millis: u128,
}

async fn cycle(
    source: &CaldavSource,
    rows: &mut Vec<Row>,
    server: &'static str,
    calendar: &str,
    name: &'static str,
) {
    let before = source.client().stats().snapshot();
    let started = Instant::now();
    let (_, report) = source.sync().await.unwrap();
    rows.push(Row {
        server,
        calendar: calendar.to_string(),
        cycle: name,
        stats: source.client().stats().snapshot() - before,
        fetched: report.fetched + report.deleted,
        millis: started.elapsed().as_millis(),
    });
}

async fn bench_server(kind: Kind, rows: &mut Vec<Row>) {
    let name = match kind {
        Kind::Radicale => "Radicale 3.9.0",
        Kind::Xandikos => "Xandikos 0.4.10",
    };
    let server = DavServer::start(kind);
    let raw = Raw::new(&server);
    let cal = raw.mkcalendar(&server, "demo", "Demo").await;
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/calendar.ics"),
    )
    .unwrap();
    let _ = split_by_uid(&text);
    crate::demo::upload_demo(&raw, kind, &cal, "Demo").await;
    // The hrefs the server gave them (Radicale names what it splits itself).
    let scratch = tempfile::tempdir().unwrap();
    let listed = crate::source(&server, Some("Demo"), &scratch.path().join("list.sqlite"))
        .sync()
        .await
        .unwrap()
        .0;
    let resources: Vec<(String, String)> = listed
        .resources
        .iter()
        .map(|r| {
            let name = r.href.rsplit('/').next().unwrap().to_string();
            let tete::sources::Content::Memory(bytes) = &r.content else {
                unreachable!()
            };
            (name, String::from_utf8_lossy(bytes).into_owned())
        })
        .collect();
    let count = resources.len();
    let label = format!("demo, {count} resources");
    let state = tempfile::tempdir().unwrap();
    let state_file = state.path().join("state.sqlite");
    let source = source(&server, Some("Demo"), &state_file);
    cycle(&source, rows, name, &label, "first sync (with discovery)").await;
    cycle(&source, rows, name, &label, "no change").await;
    let (href, body) = &resources[count / 2];
    let changed = body.replacen("SUMMARY:", "SUMMARY:(moved) ", 1);
    raw.put(&format!("{cal}{href}"), &changed).await;
    cycle(&source, rows, name, &label, "one event changed").await;
    raw.delete(&format!("{cal}{}", resources[0].0)).await;
    cycle(&source, rows, name, &label, "one event deleted").await;
    let restarted = crate::source(&server, Some("Demo"), &state_file);
    cycle(&restarted, rows, name, &label, "no change, after a restart").await;

    if kind == Kind::Radicale {
        let big = raw.mkcalendar(&server, "big", "Big").await;
        let mut whole =
            String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tete bench//EN\r\n");
        for i in 0..1000 {
            let one = event(&format!("ev{i:04}"), &format!("meeting {i}"));
            let start = one.find("BEGIN:VEVENT").unwrap();
            let end = one.find("END:VCALENDAR").unwrap();
            whole.push_str(&one[start..end]);
        }
        whole.push_str("END:VCALENDAR\r\n");
        raw.put(&big, &whole).await;
        let label = "1,000 events".to_string();
        let source = crate::source(&server, Some("big"), &state.path().join("big.sqlite"));
        cycle(&source, rows, name, &label, "first sync (with discovery)").await;
        cycle(&source, rows, name, &label, "no change").await;
        raw.put(&format!("{big}ev0500.ics"), &event("ev0500", "changed"))
            .await;
        cycle(&source, rows, name, &label, "one event changed").await;
    }
}

#[tokio::test]
#[ignore = "benchmark: bench/caldav runs it"]
async fn bench_sync_cycles() {
    let mut rows = Vec::new();
    bench_server(Kind::Radicale, &mut rows).await;
    bench_server(Kind::Xandikos, &mut rows).await;
    println!();
    println!(
        "| server | calendar | cycle | requests | bytes sent | bytes received | resources fetched/deleted | ms |"
    );
    println!("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |");
    for row in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            row.server,
            row.calendar,
            row.cycle,
            row.stats.requests,
            row.stats.bytes_sent,
            row.stats.bytes_received,
            row.fetched,
            row.millis
        );
    }
}
