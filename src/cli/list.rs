//! `tete list [--explain]`: every recurring series and whether it is a 1:1.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use crate::cycle::{self, Detection};

use super::inputs;

/// Arguments of `tete list`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Say why each series is or is not a 1:1.
    #[arg(long)]
    pub explain: bool,
    /// Text for people, or JSON for programs (see README.md).
    #[arg(long, value_enum, default_value = "text")]
    pub format: super::nudges::Format,
    /// Where the calendars, identity and state come from.
    #[command(flatten)]
    pub inputs: inputs::InputArgs,
}

/// Runs `tete list`.
pub fn run(config: Option<&Path>, args: Args) -> anyhow::Result<ExitCode> {
    let resolved = inputs::resolve(config, &args.inputs)?;
    let mut collector = inputs::gather(&resolved)?;
    inputs::print_warnings(&collector.take_warnings(), 20);
    let detection = cycle::detect(&collector, &resolved.me, &resolved.overrides);
    match args.format {
        super::nudges::Format::Text => print!("{}", render(&detection, args.explain)),
        super::nudges::Format::Json => {
            let doc = json(&detection, resolved.now);
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The listing for programs: each relationship with its series and why, then every other
/// recurring series and why not.
fn json(detection: &Detection, now: chrono::DateTime<chrono::Utc>) -> serde_json::Value {
    let relationships: Vec<_> = detection
        .relationships
        .iter()
        .map(|rel| {
            serde_json::json!({
                "counterpart": rel.counterpart.key().as_str(),
                "name": rel.counterpart.display(),
                "series": rel.series.iter().map(|s| serde_json::json!({
                    "uid": &*s.uid,
                    "summary": s.summary,
                    "reason": s.reason,
                })).collect::<Vec<_>>(),
                "one_offs": rel.adhoc.len(),
            })
        })
        .collect();
    let others: Vec<_> = detection
        .series()
        .filter(|(m, _)| {
            !detection
                .relationships
                .iter()
                .any(|r| r.series.iter().any(|s| s.uid == m.uid))
        })
        .map(|(m, v)| {
            serde_json::json!({
                "uid": &*m.uid,
                "summary": m.summary,
                "reason": v.reason,
            })
        })
        .collect();
    serde_json::json!({
        "as_of": super::json_time(now),
        "relationships": relationships,
        "other_series": others,
    })
}

/// The listing: 1:1s first (grouped by person), then the other recurring series.
pub fn render(detection: &Detection, explain: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} 1:1 relationship(s):",
        detection.relationships.len()
    );
    for rel in &detection.relationships {
        let email = rel
            .counterpart
            .email
            .as_deref()
            .map(|e| format!(" <{e}>"))
            .unwrap_or_default();
        let _ = writeln!(out, "  {}{email}", rel.counterpart.display());
        for s in &rel.series {
            let _ = writeln!(
                out,
                "    ✓ {}  [{}]",
                s.summary.as_deref().unwrap_or("(no title)"),
                s.uid
            );
            if explain {
                let _ = writeln!(out, "      because {}", s.reason);
            }
            if let Some(title) = &s.summary
                && !crate::detect::reads_like_a_1on1(title, &rel.counterpart.first_name())
            {
                let _ = writeln!(
                    out,
                    "      note: the title does not read like a 1:1; if it is not one, add it \
                     to [detect] exclude_titles or exclude_uids"
                );
            }
        }
        if explain && !rel.adhoc.is_empty() {
            let _ = writeln!(out, "    + {} one-off 1:1(s) with them", rel.adhoc.len());
        }
    }
    let others: Vec<_> = detection
        .series()
        .filter(|(m, v)| {
            !v.is_one_on_one()
                || !detection
                    .relationships
                    .iter()
                    .any(|r| r.series.iter().any(|s| s.uid == m.uid))
        })
        .collect();
    let _ = writeln!(out, "\n{} other recurring series:", others.len());
    for (meta, verdict) in others {
        let _ = writeln!(
            out,
            "    ✗ {}  [{}]",
            meta.summary.as_deref().unwrap_or("(no title)"),
            meta.uid
        );
        if explain {
            let _ = writeln!(out, "      because {}", verdict.reason);
        }
    }
    out
}
