//! The HTML report: one self-contained page (inline CSS and SVG, no script, no external
//! resource) with a timeline per relationship: a mark per occurrence, by week.
//!
//! Everything taken from calendars (names, reasons quoting them) is HTML-escaped.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, Utc};

use super::Entry;
use super::Report;
use crate::agenda::plan::OpenItem;
use crate::cadence::{Analysis, Outcome, days};

const WIDTH: f64 = 860.0;
const HEIGHT: f64 = 64.0;
const LEFT: f64 = 10.0;
const AXIS_Y: f64 = 34.0;

/// Escapes text for HTML content and (quoted) attribute values.
fn esc(s: &str) -> String {
    html_escape::encode_quoted_attribute(s).into_owned()
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:900px;color:#1d2430;padding:0 1rem}\
h1{font-size:1.5rem;margin-bottom:.2rem}.meta{color:#5b6475;margin-top:0}\
section{border-top:1px solid #e3e6eb;padding:1rem 0}h2{font-size:1.15rem;margin:.2rem 0}\
.facts{color:#3b4352;margin:.2rem 0 .5rem}.suggest{background:#fff6e0;border-left:4px solid #f0a500;padding:.5rem .8rem;margin:.5rem 0}\
.calm{color:#5b6475;margin:.5rem 0}svg{display:block;max-width:100%;height:auto}\
.legend span{margin-right:1.2rem;white-space:nowrap}.legend svg{display:inline;vertical-align:middle}\
h3{font-size:.95rem;margin:.6rem 0 .2rem}ul{margin:.2rem 0;padding-left:1.3rem}\
.late{color:#a32020;font-weight:600}.age{color:#5b6475}.nudge{border-left:4px solid #c0392b;padding-left:.6rem}";

/// The report as one HTML page.
pub fn html(report: &Report) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>tete: 1:1 report</title><style>{STYLE}</style></head><body>\n\
         <h1>Your 1:1s</h1><p class=\"meta\">As of {}. {} relationship{}. {} {}</p>\n{}",
        esc(&report.as_of()),
        report.entries.len(),
        if report.entries.len() == 1 { "" } else { "s" },
        esc(&report.attention_line()),
        esc(&report.hours_line().unwrap_or_default()),
        legend()
    );
    for entry in report.attention_first() {
        section(&mut out, entry, report);
    }
    out.push_str("</body></html>\n");
    out
}

fn legend() -> String {
    let item = |shape: &str, label: &str| {
        format!(
            "<span><svg width=\"16\" height=\"16\" viewBox=\"-8 -8 16 16\">{shape}</svg> {label}</span>"
        )
    };
    format!(
        "<p class=\"legend\">{}{}{}{}{}{}</p>\n",
        item(&held(0.0, 0.0), "held"),
        item(&moved(0.0, 0.0), "moved"),
        item(&cancelled(0.0, 0.0), "cancelled"),
        item(&declined(0.0, 0.0), "declined"),
        item(&upcoming(0.0, 0.0), "upcoming"),
        item(&adhoc(0.0, 0.0), "one-off 1:1"),
    )
}

fn held(x: f64, y: f64) -> String {
    format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"5\" fill=\"#2e8b57\"/>")
}

/// A meeting that took place at another time: a triangle pointing onward, so it differs from
/// a held one in shape, not only in colour.
fn moved(x: f64, y: f64) -> String {
    format!(
        "<path d=\"M{:.1} {:.1}L{:.1} {y:.1}L{:.1} {:.1}Z\" fill=\"#f0a500\"/>",
        x - 5.0,
        y - 5.5,
        x + 6.0,
        x - 5.0,
        y + 5.5
    )
}

fn cancelled(x: f64, y: f64) -> String {
    format!(
        "<path d=\"M{a:.1} {b:.1}L{c:.1} {d:.1}M{a:.1} {d:.1}L{c:.1} {b:.1}\" stroke=\"#c0392b\" stroke-width=\"2.5\"/>",
        a = x - 5.0,
        b = y - 5.0,
        c = x + 5.0,
        d = y + 5.0
    )
}

/// A decline: the cancelled cross in a ring (someone said no, rather than the slot going).
fn declined(x: f64, y: f64) -> String {
    format!(
        "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"6.5\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"1.5\"/>{}",
        cancelled(x, y)
    )
}

fn upcoming(x: f64, y: f64) -> String {
    format!(
        "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4.5\" fill=\"none\" stroke=\"#8a94a6\" stroke-width=\"2\"/>"
    )
}

fn adhoc(x: f64, y: f64) -> String {
    format!(
        "<path d=\"M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z\" fill=\"#3b6fd8\"/>",
        y - 5.0,
        x + 5.0,
        y + 5.0,
        x - 5.0
    )
}

fn section(out: &mut String, entry: &Entry, report: &Report) {
    let a = &entry.analysis;
    let c = &entry.relationship.counterpart;
    let email = c.email.as_deref().map(|e| format!(" &lt;{}&gt;", esc(e)));
    let _ = write!(
        out,
        "<section><h2>{}{}</h2>\n<p class=\"facts\">{}: held {}, moved {}, cancelled {}{}; \
         {} hours together{}{}</p>\n",
        esc(&c.display()),
        email.unwrap_or_default(),
        esc(&cadence_words(a)),
        a.held,
        a.moved,
        a.cancelled,
        a.attendance()
            .map(|share| format!(" ({} took place)", super::percent(share)))
            .unwrap_or_default(),
        super::one_decimal(a.hours_together),
        a.longest_gap
            .map(|(d, _, _)| format!("; longest gap {} days", d.round()))
            .unwrap_or_default(),
        a.next
            .map(|n| format!("; next {}", esc(&report.day(n))))
            .unwrap_or_default()
    );
    timeline(out, a, report);
    match (a.advice.suggestion(), a.advice.keep_reason()) {
        (Some(s), _) => {
            let _ = writeln!(
                out,
                "<p class=\"suggest\"><strong>Suggestion ({}):</strong> {}</p>",
                s.cadence,
                esc(&s.reason)
            );
        }
        (None, Some(why)) => {
            let _ = writeln!(out, "<p class=\"calm\">No change: {}.</p>", esc(why));
        }
        (None, None) => {}
    }
    if let Some(notes) = report.notes_of(entry) {
        nudges(out, &notes.nudges);
        open_items(out, &notes.open_items, report);
    }
    out.push_str("</section>\n");
}

/// The nudges due now for this person, worded as they are sent.
fn nudges(out: &mut String, nudges: &[String]) {
    if nudges.is_empty() {
        return;
    }
    out.push_str("<h3>Nudges now</h3><ul class=\"nudge\">");
    for message in nudges {
        let _ = write!(out, "<li>{}</li>", esc(message));
    }
    out.push_str("</ul>\n");
}

/// The open action items: owner, what, due date (late ones marked) and age.
fn open_items(out: &mut String, items: &[OpenItem], report: &Report) {
    if items.is_empty() {
        out.push_str("<h3>Open action items</h3><p class=\"calm\">None open.</p>\n");
        return;
    }
    let _ = write!(out, "<h3>Open action items ({})</h3><ul>", items.len());
    let today = report.zone.date(report.now);
    for open in items {
        let item = &open.item;
        let owner = item
            .owner
            .as_deref()
            .map(|o| format!("<strong>{}</strong>: ", esc(o)))
            .unwrap_or_default();
        let due = match item.due {
            Some(due) if due < today => format!(
                " <span class=\"late\">due {}, {} days late</span>",
                esc(&crate::cadence::short_date(due)),
                (today - due).num_days()
            ),
            Some(due) => format!(" (due {})", esc(&crate::cadence::short_date(due))),
            None => String::new(),
        };
        let _ = write!(
            out,
            "<li>{owner}{}{due} <span class=\"age\">raised {}, open for {} meeting{}</span></li>",
            esc(&item.text),
            esc(&crate::cadence::short_date(open.first_raised)),
            open.carried,
            if open.carried == 1 { "" } else { "s" }
        );
    }
    out.push_str("</ul>\n");
}

fn cadence_words(a: &Analysis) -> String {
    let history: Vec<String> = a.series.iter().map(|s| s.cadence.to_string()).collect();
    let configured = if history.len() > 1 {
        history.join(" → ")
    } else {
        a.configured.to_string()
    };
    // What the calendar says, then what happened, in days: "planned weekly; met every 14
    // days (median)" reads plainly where "weekly, really biweekly" did not.
    match a.median_gap_days {
        Some(days) => format!(
            "Planned {configured}; met every {} days (median)",
            days.round()
        ),
        None => format!("Planned {configured}; not met twice yet"),
    }
}

/// The timeline: the window's weeks left to right, "now" as a line, one mark per
/// occurrence at its (actual) start.
fn timeline(out: &mut String, a: &Analysis, report: &Report) {
    let now = report.now;
    let (start, end) = report.axis();
    let scale = Scale {
        start,
        span: days(end - start).max(1.0),
    };
    let _ = write!(
        out,
        "<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-label=\"timeline\">\
         <line x1=\"{LEFT}\" y1=\"{AXIS_Y}\" x2=\"{:.1}\" y2=\"{AXIS_Y}\" stroke=\"#c9ced6\"/>",
        WIDTH - LEFT
    );
    weeks(out, &scale, end);
    let _ = write!(
        out,
        "<line x1=\"{0:.1}\" y1=\"6\" x2=\"{0:.1}\" y2=\"{1}\" stroke=\"#1d2430\" stroke-dasharray=\"3 3\"/>\
         <text x=\"{2:.1}\" y=\"12\" font-size=\"10\">now</text>",
        scale.x(now),
        HEIGHT - 14.0,
        scale.x(now) + 3.0
    );
    marks(out, a, &scale, report);
    out.push_str("</svg>\n");
}

/// Where a time goes on a timeline's x axis: from `start`, `span` days wide.
struct Scale {
    start: DateTime<Utc>,
    span: f64,
}

impl Scale {
    fn x(&self, t: DateTime<Utc>) -> f64 {
        LEFT + (WIDTH - 2.0 * LEFT) * (days(t - self.start) / self.span).clamp(0.0, 1.0)
    }
}

/// A tick per week up to `end`, the month's name under the first week of each month.
fn weeks(out: &mut String, scale: &Scale, end: DateTime<Utc>) {
    let mut week = scale.start;
    while week <= end {
        let _ = write!(
            out,
            "<line x1=\"{0:.1}\" y1=\"{1}\" x2=\"{0:.1}\" y2=\"{2}\" stroke=\"#e3e6eb\"/>",
            scale.x(week),
            AXIS_Y - 12.0,
            AXIS_Y + 12.0
        );
        if week.day() <= 7 {
            // The baseline sits above the bottom edge so that descenders ("g", "p") are not
            // cut off, and a label never starts past the last pixel that can hold it.
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#5b6475\">{}</text>",
                scale.x(week).min(WIDTH - 24.0),
                HEIGHT - 4.0,
                week.format("%b")
            );
        }
        week += Duration::weeks(1);
    }
}

/// One mark per occurrence (a moved one with a line from where it was) and per one-off
/// 1:1, each titled with its date and what happened.
fn marks(out: &mut String, a: &Analysis, scale: &Scale, report: &Report) {
    let x = |t: DateTime<Utc>| scale.x(t);
    for m in &a.timeline {
        let shape = match m.outcome {
            Outcome::Held => held(x(m.start), AXIS_Y),
            Outcome::Moved => format!(
                "<line x1=\"{:.1}\" y1=\"{AXIS_Y}\" x2=\"{:.1}\" y2=\"{AXIS_Y}\" stroke=\"#f0a500\" stroke-width=\"2\"/>{}",
                x(m.scheduled),
                x(m.start),
                moved(x(m.start), AXIS_Y)
            ),
            Outcome::Cancelled if m.declined => declined(x(m.scheduled), AXIS_Y),
            Outcome::Cancelled => cancelled(x(m.scheduled), AXIS_Y),
            Outcome::Upcoming => upcoming(x(m.start), AXIS_Y),
        };
        let word = if m.declined {
            "declined"
        } else {
            outcome_word(m.outcome)
        };
        let _ = write!(
            out,
            "<g><title>{} {word}</title>{shape}</g>",
            esc(&report.day(m.scheduled)),
        );
    }
    for t in &a.adhoc {
        let _ = write!(
            out,
            "<g><title>{} one-off 1:1</title>{}</g>",
            esc(&report.day(*t)),
            adhoc(x(*t), AXIS_Y - 16.0)
        );
    }
}

fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Held => "held",
        Outcome::Moved => "moved",
        Outcome::Cancelled => "cancelled",
        Outcome::Upcoming => "upcoming",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agenda::items::ActionItem;
    use crate::report::PeopleNotes;
    use crate::zone::Zone;
    use chrono::{NaiveDate, TimeZone};

    #[test]
    fn open_items_show_owner_due_date_lateness_and_age_escaped() {
        let notes = PeopleNotes::new();
        let report = Report {
            now: Utc.with_ymd_and_hms(2026, 12, 10, 9, 0, 0).unwrap(),
            entries: &[],
            zone: Zone::Named(chrono_tz::UTC),
            notes: &notes,
        };
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let item = |text: &str, owner: &str, due| OpenItem {
            item: ActionItem {
                text: text.into(),
                owner: Some(owner.into()),
                due,
                done: false,
            },
            first_raised: day(1),
            carried: 2,
        };
        let mut out = String::new();
        open_items(
            &mut out,
            &[
                item("send <b>plan</b>", "Ann", Some(day(4))),
                item("book room", "Mia", Some(day(20))),
            ],
            &report,
        );
        assert!(
            out.contains("<strong>Ann</strong>: send &lt;b&gt;plan&lt;/b&gt;"),
            "{out}"
        );
        assert!(out.contains("due Fri 4 Dec, 6 days late"), "{out}");
        assert!(out.contains("book room (due Sun 20 Dec)"), "{out}");
        assert!(
            out.contains("raised Tue 1 Dec, open for 2 meetings"),
            "{out}"
        );

        let mut out = String::new();
        nudges(&mut out, &["Your 1:1 with <Ann> was cancelled".to_string()]);
        assert!(
            out.contains("Your 1:1 with &lt;Ann&gt; was cancelled"),
            "{out}"
        );
    }

    #[test]
    fn calendar_text_is_escaped() {
        assert_eq!(
            esc("<script>\"x\" & 'y'"),
            "&lt;script&gt;&quot;x&quot; &amp; &#x27;y&#x27;"
        );
    }
}
