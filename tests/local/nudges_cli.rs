//! `tete nudges` end to end: the built binary on the demo calendar with a config file,
//! listing what would be sent without sending it.

use std::process::Command;

fn nudges(config: &std::path::Path, format: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tete"))
        .args(["--config"])
        .arg(config)
        .args([
            "nudges",
            "--now",
            "2026-10-16T12:00:00Z",
            "--format",
            format,
        ])
        .env_remove("TETE_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn lists_the_current_nudges_without_sending() {
    let dir = tempfile::tempdir().unwrap();
    let calendar = std::path::absolute("demo/calendar.ics").unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "state_file = \"state.sqlite\"\ncache_dir = \"cache\"\n\
             [me]\nemail = \"mia@example.com\"\n\
             [[calendar]]\nname = \"demo\"\nfile = {:?}\n\
             [nudges]\ntime_zone = \"UTC\"\n",
            calendar.display().to_string()
        ),
    )
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&nudges(&config, "json")).unwrap();
    let list = json.as_array().unwrap();
    let kinds: Vec<&str> = list.iter().map(|n| n["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["cancelled", "overdue"], "{json:#}");
    assert_eq!(
        list[0]["message"],
        "Your 1:1 with Chloé was cancelled 3 times in a row: 1 Oct, 8 Oct, 15 Oct."
    );
    assert_eq!(list[0]["relationship"], "chloe.dubois@example.com");
    assert_eq!(list[0]["dates"][0], "2026-10-01");
    assert_eq!(list[0]["sent"], serde_json::json!([]));
    // Listing twice sends nothing: still new.
    let text = nudges(&config, "text");
    assert!(
        text.starts_with("Chloé (chloe.dubois@example.com)\n"),
        "{text}"
    );
    assert_eq!(text.matches("[new]").count(), 2, "{text}");
}
