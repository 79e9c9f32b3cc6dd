//! `tete items [--with NAME]`: the open action items of each 1:1 relationship, with owner,
//! due date and age. Reads the calendars and records the history like `report`; writes no
//! calendar.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use crate::agenda::plan::OpenItem;

use super::inputs;

/// Arguments of `tete items`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only the relationship with this person (part of a name or address, any case).
    #[arg(long, value_name = "NAME")]
    pub with: Option<String>,
    /// Text for people, or JSON for programs (see README.md).
    #[arg(long, value_enum, default_value = "text")]
    pub format: super::nudges::Format,
    /// Where the calendars, identity and state come from.
    #[command(flatten)]
    pub inputs: inputs::InputArgs,
}

/// Runs `tete items`.
pub fn run(config: Option<&Path>, args: Args) -> anyhow::Result<ExitCode> {
    let job = inputs::resolve(config, &args.inputs)?;
    let (_, report) = inputs::plan_only(&job)?;
    let (outcome, plans) = (&report.outcome, &report.plans);
    let wanted = args.with.as_deref().map(str::to_lowercase);
    let mut out = String::new();
    let mut json = Vec::new();
    for (entry, (_, plan)) in outcome.entries.iter().zip(&plans.plans) {
        let who = entry.relationship.counterpart.display();
        let address = entry
            .relationship
            .counterpart
            .email
            .clone()
            .unwrap_or_default();
        if let Some(w) = &wanted
            && !who.to_lowercase().contains(w)
            && !address.contains(w)
        {
            continue;
        }
        out.push_str(&render(&who, &plan.open));
        json.push(serde_json::json!({
            "counterpart": entry.relationship.counterpart.key().as_str(),
            "name": who,
            "open": plan.open.iter().map(|o| serde_json::json!({
                "owner": o.item.owner,
                "text": o.item.text,
                "due": o.item.due.map(|d| d.to_string()),
                "first_raised": o.first_raised.to_string(),
                "meetings_open": o.carried,
            })).collect::<Vec<_>>(),
        }));
    }
    if args.format == super::nudges::Format::Json {
        let doc = serde_json::json!({
            "as_of": super::json_time(job.now),
            "relationships": json,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(ExitCode::SUCCESS);
    }
    if out.is_empty() {
        out = match wanted {
            Some(w) => format!("No 1:1 relationship matches {w:?}.\n"),
            None => "No 1:1 relationships found.\n".to_string(),
        };
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// One relationship's open items: owner, what, due date, first raised, meetings open.
pub fn render(who: &str, open: &[OpenItem]) -> String {
    let mut out = format!("{who}: {} open\n", open.len());
    for o in open {
        let _ = writeln!(
            out,
            "  [ ] {}{}{}   (raised {}, open for {} meeting{})",
            o.item
                .owner
                .as_deref()
                .map(|w| format!("{w}: "))
                .unwrap_or_default(),
            o.item.text,
            o.item.due.map(|d| format!(", due {d}")).unwrap_or_default(),
            o.first_raised,
            o.carried,
            if o.carried == 1 { "" } else { "s" }
        );
    }
    out
}
