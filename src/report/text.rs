//! The terminal report: one table row per relationship, then what to change and why.

use std::fmt::Write as _;

use super::Report;
use crate::cadence::Analysis;

fn cadence_cell(a: &Analysis) -> String {
    // The series before the current one, when the cadence changed from it.
    let configured = match a.series.iter().rev().nth(1) {
        Some(prev) if prev.cadence != a.configured => {
            format!("{} → {}", prev.cadence, a.configured)
        }
        _ => a.configured.to_string(),
    };
    match a.actual {
        Some(actual) if actual != a.configured => format!("{configured} (held {actual})"),
        Some(_) => configured,
        None => format!("{configured} (not yet)"),
    }
}

fn gap_cell(a: &Analysis) -> String {
    a.longest_gap
        .map_or_else(|| "-".to_string(), |(d, _, _)| format!("{} d", d.round()))
}

/// Pads every column to its widest cell (widths in characters; names are often not ASCII).
fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell}{}", " ".repeat(w - cell.chars().count())))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
            let _ = writeln!(out, "{}", rule.join("  "));
        }
    }
    out
}

/// The report as text for a terminal.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    if report.entries.is_empty() {
        return "No recurring 1:1s found. `tete list --explain` shows every recurring series \
                and why it is or is not a 1:1.\n"
            .to_string();
    }
    let since = report.entries[0].analysis.window_start;
    let _ = writeln!(
        out,
        "1:1s since {} (as of {})",
        report.day(since),
        report.as_of()
    );
    // What needs attention first: a line that says how much, then those people first.
    let entries = report.attention_first();
    let _ = writeln!(out, "{}", report.attention_line());
    if let Some(hours) = report.hours_line() {
        let _ = writeln!(out, "{hours}");
    }
    out.push('\n');
    let mut rows = vec![
        [
            "With",
            "Cadence",
            "Held",
            "Moved",
            "Cancelled",
            "Took place",
            "Hours",
            "Median gap",
            "Longest gap",
            "Last held",
            "Next",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for e in &entries {
        let a = &e.analysis;
        rows.push(vec![
            e.relationship.counterpart.display(),
            cadence_cell(a),
            a.held.to_string(),
            a.moved.to_string(),
            a.cancelled.to_string(),
            a.attendance().map_or_else(|| "-".into(), super::percent),
            super::one_decimal(a.hours_together),
            a.median_gap_days
                .map_or_else(|| "-".to_string(), |d| format!("{} d", d.round())),
            gap_cell(a),
            a.last_held.map_or_else(|| "-".into(), |t| report.day(t)),
            a.next.map_or_else(|| "-".into(), |t| report.day(t)),
        ]);
    }
    out.push_str(&table(&rows));
    out.push('\n');
    for e in &entries {
        let who = e.relationship.counterpart.display();
        match (
            e.analysis.advice.suggestion(),
            e.analysis.advice.keep_reason(),
        ) {
            (Some(s), _) if s.cadence != e.analysis.configured => {
                let _ = writeln!(
                    out,
                    "• {who}: make it {}. {}",
                    super::words(s.cadence),
                    s.reason
                );
            }
            (Some(s), _) => {
                let _ = writeln!(out, "• {who}: {}", s.reason);
            }
            (None, Some(why)) => {
                let _ = writeln!(out, "  {who}: no change ({why}).");
            }
            (None, None) => {}
        }
    }
    out
}
