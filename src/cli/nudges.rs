//! `tete nudges [--format text|json] [--with NAME]`: the nudges the rules give now (what
//! the daemon would send), and for each, the channels that already sent its streak. Sends
//! nothing. Reads the calendars and records the history like `report`; writes no calendar.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use crate::history::History;
use crate::nudge::Nudge;

use super::inputs;

/// Output formats of the commands that print data (`nudges`, `items`, `list`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For programs (see README.md for each command's shape).
    Json,
}

/// Arguments of `tete nudges`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Only the relationship with this person (part of a name or address, any case).
    #[arg(long, value_name = "NAME")]
    pub with: Option<String>,
    /// Where the calendars, identity and state come from.
    #[command(flatten)]
    pub inputs: inputs::InputArgs,
}

/// Runs `tete nudges`.
pub fn run(config: Option<&Path>, args: Args) -> anyhow::Result<ExitCode> {
    let job = inputs::resolve(config, &args.inputs)?;
    let (state, report) = inputs::plan_only(&job)?;
    let store = state.history();
    let mut nudges = report.nudges;
    if let Some(w) = args.with.as_deref().map(str::to_lowercase) {
        nudges.retain(|n| n.name.to_lowercase().contains(&w) || n.relationship.contains(&w));
    }
    let text = match args.format {
        Format::Text => text(&nudges, store)?,
        Format::Json => json(&nudges, store)?,
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// The channels that already sent a nudge's streak.
fn sent_by(store: &dyn History, nudge: &Nudge) -> anyhow::Result<Vec<&'static str>> {
    let mut out = Vec::new();
    for channel in ["journal", "desktop", "email", "webhook"] {
        if store.nudge_sent(nudge.streak.as_str(), channel)? {
            out.push(channel);
        }
    }
    Ok(out)
}

/// One block per relationship: each nudge's rule and message, and whether it was sent.
pub fn text(nudges: &[Nudge], store: &dyn History) -> anyhow::Result<String> {
    if nudges.is_empty() {
        // Not "all is well": a cadence suggestion (in the report) is no nudge, and a person
        // reading both must not see them disagree.
        return Ok(
            "No nudge is due now: no 1:1 is being cancelled or moved again and again, none is \
             overdue, and no action item has been open too long. Cadence suggestions are in \
             `tete report`.\n"
                .to_string(),
        );
    }
    let mut out = String::new();
    let mut last = None;
    for n in nudges {
        if last != Some(&n.relationship) {
            let _ = writeln!(out, "{} ({})", n.name, n.relationship);
            last = Some(&n.relationship);
        }
        let sent = sent_by(store, n)?;
        let status = if sent.is_empty() {
            "new".to_string()
        } else {
            format!("sent: {}", sent.join(", "))
        };
        let _ = writeln!(out, "  {:<12} {}  [{status}]", n.kind.as_str(), n.message);
    }
    Ok(out)
}

/// A list of `{relationship, name, kind, message, streak, dates, sent}`.
pub fn json(nudges: &[Nudge], store: &dyn History) -> anyhow::Result<String> {
    let mut list = Vec::new();
    for n in nudges {
        list.push(serde_json::json!({
            "relationship": n.relationship,
            "name": n.name,
            "kind": n.kind.as_str(),
            "message": n.message,
            "streak": n.streak,
            "dates": n.dates.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            "sent": sent_by(store, n)?,
        }));
    }
    Ok(format!("{}\n", serde_json::to_string_pretty(&list)?))
}
