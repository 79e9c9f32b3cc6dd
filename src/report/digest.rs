//! The weekly digest: the manager's week ahead in one message. Each 1:1 of the week (day,
//! local time, person, where its agenda goes), each person's open action items (overdue
//! first), the relationships that need attention and why, the cadence suggestions, and the
//! hours the week's 1:1s take against the hours a week they took lately.
//!
//! Pure, like the report: the cycle's analyses and notes in, text, HTML or JSON out. The
//! daemon sends it once a week through the nudge channels (`cycle::due_digest`).

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use serde::Serialize;

use super::{Entry, Report, one_decimal};
use crate::cadence::{hours, short_date};

/// How many past weeks the hours trend shows.
const TREND_WEEKS: i64 = 8;

/// Config `[digest]`: whether and when the daemon sends the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestSettings {
    /// Send it at all (`enabled`, default true). `tete digest` prints it regardless.
    pub enabled: bool,
    /// The day it is due (`day`, default Monday), in the manager's zone.
    pub day: Weekday,
    /// The time it is due (`time`, default 07:30), in the manager's zone.
    pub time: NaiveTime,
}

impl Default for DigestSettings {
    fn default() -> Self {
        DigestSettings {
            enabled: true,
            day: Weekday::Mon,
            time: NaiveTime::from_hms_opt(7, 30, 0).unwrap_or(NaiveTime::MIN),
        }
    }
}

impl DigestSettings {
    /// The moment (local wall clock) this week's digest is due, for the week holding
    /// `local_now`; `None` when it is not due yet. The week runs Monday to Sunday, so a
    /// machine that was off on Monday sends that week's digest once when it is back.
    pub fn due(&self, local_now: NaiveDateTime) -> Option<NaiveDate> {
        let monday = week_of(local_now.date());
        let due_day = monday + Duration::days(i64::from(self.day.num_days_from_monday()));
        (local_now >= due_day.and_time(self.time)).then_some(monday)
    }
}

/// The Monday of the week holding `day`.
pub fn week_of(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// The week ahead, as the digest shows it. JSON keys are documented in README.md.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Digest {
    /// When it was made (UTC, RFC 3339).
    pub as_of: String,
    /// The week's Monday, in the manager's zone.
    pub week: NaiveDate,
    /// The week's 1:1s in time order (cancelled ones left out).
    pub meetings: Vec<Meeting>,
    /// People with open action items: overdue items first, then by age.
    pub open_items: Vec<PersonItems>,
    /// Relationships that need attention, and why.
    pub attention: Vec<Attention>,
    /// The cadence changes the report suggests.
    pub suggestions: Vec<Attention>,
    /// Hours of 1:1s planned this week.
    pub hours_this_week: f64,
    /// Hours of 1:1s that took place in each of the weeks before, oldest first.
    pub hours_by_week: Vec<WeekHours>,
}

/// One 1:1 of the week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Meeting {
    /// Its start (UTC, RFC 3339).
    pub start: String,
    /// Day and time as the manager reads them: "Tue 8 Dec 10:00 CET".
    pub local: String,
    /// The other person.
    pub with: String,
    /// Where its agenda goes, when tete writes one ("in the 1:1 event").
    pub agenda: Option<String>,
}

/// One person's open action items.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonItems {
    /// The other person.
    pub with: String,
    /// Their open items.
    pub items: Vec<Item>,
}

/// One open action item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// Who does it, when the line says.
    pub owner: Option<String>,
    /// What is to be done.
    pub text: String,
    /// When it is due, when known.
    pub due: Option<NaiveDate>,
    /// Due before today.
    pub overdue: bool,
    /// Days since the meeting it was raised in.
    pub age_days: i64,
}

/// A relationship and what is wrong with it (or what to change).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attention {
    /// The other person.
    pub with: String,
    /// Why, one sentence each.
    pub reasons: Vec<String>,
}

/// The hours of 1:1s of one past week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekHours {
    /// The week's Monday.
    pub week: NaiveDate,
    /// Hours of 1:1s that took place.
    pub hours: f64,
}

/// The digest of the week starting on `monday` (in the report's zone).
pub fn digest(report: &Report, monday: NaiveDate) -> Digest {
    let zone = report.zone;
    let in_week = |t: DateTime<Utc>, first: NaiveDate, days: i64| {
        let day = zone.date(t);
        day >= first && day < first + Duration::days(days)
    };
    let mut meetings = Vec::new();
    let mut hours_this_week = 0.0;
    for entry in report.entries {
        for o in entry.occurrences.iter() {
            if o.cancelled.is_some() || !in_week(o.start, monday, 7) {
                continue;
            }
            hours_this_week += hours(o.start, o.end);
            meetings.push((o.start, meeting(report, entry, o.start)));
        }
    }
    meetings.sort_by(|a, b| (a.0, &a.1.with).cmp(&(b.0, &b.1.with)));
    let trend_start = monday - Duration::weeks(TREND_WEEKS);
    let hours_by_week = (0..TREND_WEEKS)
        .map(|w| {
            let week = trend_start + Duration::weeks(w);
            let hours = report
                .entries
                .iter()
                .flat_map(|e| e.occurrences.iter())
                .filter(|o| o.cancelled.is_none() && o.start < report.now)
                .filter(|o| in_week(o.start, week, 7))
                .map(|o| hours(o.start, o.end))
                .sum();
            WeekHours { week, hours }
        })
        .collect();
    Digest {
        as_of: super::utc(report.now),
        week: monday,
        meetings: meetings.into_iter().map(|(_, m)| m).collect(),
        open_items: open_items(report),
        attention: report
            .entries
            .iter()
            .filter_map(|e| attention(report, e))
            .collect(),
        suggestions: report
            .entries
            .iter()
            .filter_map(|e| {
                let s = e.analysis.advice.suggestion()?;
                let reason = if s.cadence == e.analysis.configured {
                    s.reason.clone()
                } else {
                    format!("make it {}. {}", super::words(s.cadence), s.reason)
                };
                Some(Attention {
                    with: e.relationship.counterpart.display(),
                    reasons: vec![reason],
                })
            })
            .collect(),
        hours_this_week,
        hours_by_week,
    }
}

fn meeting(report: &Report, entry: &Entry, start: DateTime<Utc>) -> Meeting {
    let agenda = report.notes_of(entry).and_then(|notes| {
        notes
            .agendas
            .iter()
            .find(|(at, _)| *at == start)
            .map(|(_, place)| place.clone())
    });
    Meeting {
        start: super::utc(start),
        local: report.zone.show(start, "%a %-d %b %H:%M %Z"),
        with: entry.relationship.counterpart.display(),
        agenda,
    }
}

/// Every person's open items, overdue first, then the oldest; people in report order.
fn open_items(report: &Report) -> Vec<PersonItems> {
    let today = report.zone.date(report.now);
    report
        .entries
        .iter()
        .filter_map(|entry| {
            let notes = report.notes_of(entry)?;
            let mut items: Vec<Item> = notes
                .open_items
                .iter()
                .map(|open| Item {
                    owner: open.item.owner.clone(),
                    text: open.item.text.clone(),
                    due: open.item.due,
                    overdue: open.item.due.is_some_and(|due| due < today),
                    age_days: (today - open.first_raised).num_days(),
                })
                .collect();
            items.sort_by_key(|i| (!i.overdue, std::cmp::Reverse(i.age_days)));
            (!items.is_empty()).then(|| PersonItems {
                with: entry.relationship.counterpart.display(),
                items,
            })
        })
        .collect()
}

/// Why a relationship needs attention: overdue, the nudges due now (slipping, items open
/// too long), a recent decline, a long gap, or an ended 1:1 nobody replaced.
fn attention(report: &Report, entry: &Entry) -> Option<Attention> {
    let a = &entry.analysis;
    let mut reasons = Vec::new();
    let nudges = report
        .notes_of(entry)
        .map(|notes| notes.nudges.as_slice())
        .unwrap_or_default();
    reasons.extend(nudges.iter().cloned());
    // The overdue nudge says it in its own words; without nudges (rules off), say it here.
    if let Some(overdue) = a.overdue.as_ref().filter(|_| nudges.is_empty()) {
        reasons.push(format!(
            "No 1:1 for {} days, since {}.",
            overdue.days,
            short_date(report.zone.date(overdue.since))
        ));
    }
    // The report counts a suggested change as needing attention: so does the digest, so the
    // two agree on who needs it.
    if let Some(s) = a.advice.suggestion() {
        reasons.push(match s.cadence == a.configured {
            true => "See the cadence suggestion below.".to_string(),
            false => format!("Make it {} (see below).", super::words(s.cadence)),
        });
    }
    let recent = report.now - Duration::weeks(4);
    let declined: Vec<String> = a
        .timeline
        .iter()
        .filter(|m| m.declined && m.scheduled >= recent && m.scheduled < report.now)
        .map(|m| short_date(report.zone.date(m.scheduled)))
        .collect();
    if !declined.is_empty() {
        reasons.push(format!("Declined lately: {}.", declined.join(", ")));
    }
    if a.next.is_none() && a.last_held.is_some() && a.overdue.is_none() {
        reasons.push("No 1:1 planned any more: the series ended and none replaced it.".into());
    }
    // A gap that ended lately and was twice the planned interval or more: the overdue
    // nudge is over, but the manager may want to know it happened.
    if let (Some((days, from, to)), Some(interval)) = (a.longest_gap, a.configured.interval_days())
        && to >= report.now - Duration::weeks(4)
        && days >= 2.0 * interval
    {
        reasons.push(format!(
            "A gap of {} days lately ({} to {}).",
            days.round(),
            short_date(report.zone.date(from)),
            short_date(report.zone.date(to))
        ));
    }
    (!reasons.is_empty()).then(|| Attention {
        with: entry.relationship.counterpart.display(),
        reasons,
    })
}

impl Digest {
    /// The one-line summary: a desktop notification's body, the email's first line.
    pub fn summary(&self) -> String {
        let mut parts = vec![format!(
            "{} 1:1{} this week ({} h)",
            self.meetings.len(),
            if self.meetings.len() == 1 { "" } else { "s" },
            one_decimal(self.hours_this_week)
        )];
        let overdue: usize = self
            .open_items
            .iter()
            .map(|p| p.items.iter().filter(|i| i.overdue).count())
            .sum();
        if overdue > 0 {
            parts.push(format!("{overdue} action item(s) overdue"));
        }
        if !self.attention.is_empty() {
            let names: Vec<&str> = self.attention.iter().map(|a| a.with.as_str()).collect();
            parts.push(format!("needs attention: {}", names.join(", ")));
        }
        parts.join("; ") + "."
    }

    /// "Week of Mon 7 Dec": the digest's title.
    pub fn title(&self) -> String {
        format!("Your 1:1s, week of {}", short_date(self.week))
    }

    /// The digest as plain text (terminal, email text part, webhook).
    pub fn text(&self) -> String {
        let mut out = format!("{}\n{}\n", self.title(), self.summary());
        out.push_str("\nThis week:\n");
        if self.meetings.is_empty() {
            out.push_str("  no 1:1 planned\n");
        }
        for m in &self.meetings {
            let _ = write!(out, "  {}  {}", m.local, m.with);
            match &m.agenda {
                Some(place) => {
                    let _ = writeln!(out, " (agenda {place})");
                }
                None => out.push('\n'),
            }
        }
        if !self.open_items.is_empty() {
            out.push_str("\nOpen action items:\n");
            for person in &self.open_items {
                let _ = writeln!(out, "  {}:", person.with);
                for item in &person.items {
                    let _ = writeln!(out, "    - {}", item_words(item));
                }
            }
        }
        for (heading, list) in [
            ("Needs attention", &self.attention),
            ("Cadence suggestions", &self.suggestions),
        ] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{heading}:");
            for a in list {
                let _ = writeln!(out, "  {}: {}", a.with, a.reasons.join(" "));
            }
        }
        let _ = writeln!(out, "\n{}", self.hours_words());
        out
    }

    /// "This week 4.5 h of 1:1s; the 8 weeks before: 3, 4.5, … (3.6 a week)."
    fn hours_words(&self) -> String {
        let hours: Vec<String> = self
            .hours_by_week
            .iter()
            .map(|w| one_decimal(w.hours))
            .collect();
        let average = self.hours_by_week.iter().map(|w| w.hours).sum::<f64>() / TREND_WEEKS as f64;
        format!(
            "Hours in 1:1s: {} this week; the {} weeks before: {} ({} a week).",
            one_decimal(self.hours_this_week),
            TREND_WEEKS,
            hours.join(", "),
            one_decimal(average)
        )
    }

    /// The digest as one self-contained HTML page (inline CSS and SVG, nothing external),
    /// for the email's HTML part.
    pub fn html(&self) -> String {
        let esc = |s: &str| html_escape::encode_quoted_attribute(s).into_owned();
        let mut out = format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n<p class=\"meta\">{}</p>\n",
            esc(&self.title()),
            esc(&self.title()),
            esc(&self.summary())
        );
        out.push_str("<h2>This week</h2>\n");
        if self.meetings.is_empty() {
            out.push_str("<p>No 1:1 planned.</p>\n");
        } else {
            out.push_str("<table>");
            for m in &self.meetings {
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td><strong>{}</strong></td><td class=\"meta\">{}</td></tr>",
                    esc(&m.local),
                    esc(&m.with),
                    esc(&m
                        .agenda
                        .as_deref()
                        .map(|p| format!("agenda {p}"))
                        .unwrap_or_default())
                );
            }
            out.push_str("</table>\n");
        }
        if !self.open_items.is_empty() {
            out.push_str("<h2>Open action items</h2>\n");
            for person in &self.open_items {
                let _ = write!(out, "<h3>{}</h3><ul>", esc(&person.with));
                for item in &person.items {
                    let class = if item.overdue { " class=\"late\"" } else { "" };
                    let _ = write!(out, "<li{class}>{}</li>", esc(&item_words(item)));
                }
                out.push_str("</ul>\n");
            }
        }
        for (heading, list) in [
            ("Needs attention", &self.attention),
            ("Cadence suggestions", &self.suggestions),
        ] {
            if list.is_empty() {
                continue;
            }
            let _ = write!(out, "<h2>{heading}</h2><ul>");
            for a in list {
                let _ = write!(
                    out,
                    "<li><strong>{}</strong>: {}</li>",
                    esc(&a.with),
                    esc(&a.reasons.join(" "))
                );
            }
            out.push_str("</ul>\n");
        }
        let _ = write!(
            out,
            "<h2>Hours in 1:1s</h2>\n{}<p class=\"meta\">{}</p>\n</body></html>\n",
            self.hours_chart(),
            esc(&self.hours_words())
        );
        out
    }

    /// Bars of hours per week, the past weeks grey and this week blue, as inline SVG.
    fn hours_chart(&self) -> String {
        const BAR: f64 = 40.0;
        const HEIGHT: f64 = 90.0;
        let bars: Vec<(String, f64, &str)> = self
            .hours_by_week
            .iter()
            .map(|w| (short_date(w.week), w.hours, "#aab2bf"))
            .chain([(short_date(self.week), self.hours_this_week, "#2f6fd6")])
            .collect();
        let top = bars.iter().map(|b| b.1).fold(1.0, f64::max);
        let width = bars.len() as f64 * (BAR + 16.0);
        let mut svg = format!(
            "<svg viewBox=\"0 0 {width} {}\" width=\"{width}\" height=\"{}\" role=\"img\" aria-label=\"hours per week\">",
            HEIGHT + 30.0,
            HEIGHT + 30.0
        );
        for (i, (label, hours, colour)) in bars.iter().enumerate() {
            let x = i as f64 * (BAR + 16.0) + 8.0;
            let h = (hours / top * (HEIGHT - 14.0)).max(1.0);
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{BAR}\" height=\"{h:.1}\" fill=\"{colour}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"middle\" fill=\"#5b6475\">{}</text>",
                HEIGHT - h,
                x + BAR / 2.0,
                HEIGHT - h - 3.0,
                one_decimal(*hours),
                x + BAR / 2.0,
                HEIGHT + 14.0,
                label.split_once(' ').map_or(label.as_str(), |(_, day)| day)
            );
        }
        svg.push_str("</svg>\n");
        svg
    }
}

/// "Ann: send the plan (due Fri 4 Dec, overdue; raised 12 days ago)".
fn item_words(item: &Item) -> String {
    let owner = item
        .owner
        .as_deref()
        .map(|o| format!("{o}: "))
        .unwrap_or_default();
    let due = match (item.due, item.overdue) {
        (Some(due), true) => format!("due {}, overdue; ", short_date(due)),
        (Some(due), false) => format!("due {}; ", short_date(due)),
        (None, _) => String::new(),
    };
    format!(
        "{owner}{} ({due}raised {} days ago)",
        item.text, item.age_days
    )
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:760px;color:#1d2430;padding:0 1rem}\
h1{font-size:1.4rem;margin-bottom:.2rem}h2{font-size:1.1rem;margin:1.2rem 0 .3rem}h3{font-size:.95rem;margin:.6rem 0 .2rem}\
.meta{color:#5b6475}td{padding:.15rem .8rem .15rem 0}ul{margin:.2rem 0;padding-left:1.3rem}\
.late{color:#a32020}svg{display:block;max-width:100%;height:auto}";

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32, hour: u32, minute: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, day)
            .and_then(|d| d.and_hms_opt(hour, minute, 0))
            .unwrap()
    }

    #[test]
    fn due_from_its_day_and_time_until_the_week_ends() {
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let settings = DigestSettings::default();
        assert_eq!(settings.due(at(23, 7, 29)), None);
        assert_eq!(settings.due(at(23, 7, 30)), Some(monday));
        assert_eq!(settings.due(at(26, 18, 0)), Some(monday), "caught up later");
        assert_eq!(settings.due(at(29, 23, 59)), Some(monday));
        assert_eq!(
            settings.due(at(30, 7, 29)),
            None,
            "the next week's is not due before its time"
        );
        let friday = DigestSettings {
            day: Weekday::Fri,
            ..settings
        };
        assert_eq!(friday.due(at(26, 12, 0)), None);
        assert_eq!(friday.due(at(27, 7, 30)), Some(monday));
    }

    #[test]
    fn a_week_starts_on_monday() {
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(week_of(monday), monday);
        assert_eq!(
            week_of(NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()),
            monday
        );
        assert_eq!(
            week_of(NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()),
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
        );
    }
}
