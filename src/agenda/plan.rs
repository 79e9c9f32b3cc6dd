//! Planning the agenda writes of one relationship: which upcoming occurrences get a block,
//! which action items are still open, and the new description of each. Pure: meetings and
//! their descriptions in, planned writes out.
//!
//! Open items are the unchecked items of every meeting that took place (cancelled ones are
//! skipped), whether tete carried them or a person typed them, minus every item seen checked,
//! in any meeting, or closed in the history: a meeting without notes closes nothing. An item is known by
//! [`ActionItem::key`], so carrying it again never duplicates it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::block::{self, Found};
use super::items::{self, ActionItem};
use super::template::{self, AgendaContext, LastMeeting, OwnerGroup, TemplateItem, TemplatePerson};
use crate::cadence::{Analysis, Outcome};
use crate::calendar::Moment;
use crate::calendar::edit::Description;
use crate::detect::Relationship;
use crate::history::StoredItem;
use crate::zone::Zone;

/// Config `[agenda]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Write agendas at all (`enabled`, default true).
    pub enabled: bool,
    /// How many days ahead an upcoming occurrence gets its agenda (default 7).
    pub write_ahead_days: i64,
    /// Every how many meetings the growth question comes up (default 4).
    pub career_every: u32,
    /// A template replacing the default for everyone.
    pub template: Option<String>,
    /// Templates per person, by address (lower case) or name.
    pub templates: BTreeMap<String, String>,
    /// Who the agenda reaches.
    pub delivery: Delivery,
    /// The calendar that holds private agendas where the 1:1 event itself cannot (display
    /// name or path on the same account; created when missing).
    pub private_calendar: String,
    /// The manager's zone: agenda dates and the times in messages are shown there.
    pub zone: Zone,
}

/// The display name of the calendar tete creates for private agendas.
pub const DEFAULT_PRIVATE_CALENDAR: &str = "tete agendas";

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            write_ahead_days: 7,
            career_every: 4,
            template: None,
            templates: BTreeMap::new(),
            delivery: Delivery::Private,
            private_calendar: DEFAULT_PRIVATE_CALENDAR.to_string(),
            zone: Zone::Local,
        }
    }
}

/// Who an agenda reaches (`[agenda] delivery`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The default: only the manager. The agenda goes into the 1:1 event where the server
    /// does not schedule (nothing can reach anyone), and into a private companion event in a
    /// calendar of the manager's own where it does (writing into the shared event would
    /// tell or change the other person's copy).
    Private,
    /// The agenda goes into the 1:1 event and the server delivers it to the other person:
    /// one update per occurrence, and another only when the agenda changed.
    Shared,
}

impl std::fmt::Display for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Delivery::Private => "private",
            Delivery::Shared => "shared",
        })
    }
}

/// One meeting of the relationship and, when its resource is readable, its notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    /// Original start (UTC).
    pub scheduled: DateTime<Utc>,
    /// Actual start (UTC).
    pub start: DateTime<Utc>,
    /// What happened, as of now.
    pub outcome: Outcome,
    /// What it says, when known (shared: a daemon keeps a past meeting's notes from one
    /// cycle to the next).
    pub notes: Option<Arc<MeetingNotes>>,
}

/// What a meeting's description says: its text and the action items in it, read once
/// (reading every past meeting's items again each cycle was a tenth of an idle cycle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingNotes {
    /// The description.
    pub description: Description,
    /// The action items in it, dated from the meeting's day.
    pub items: Vec<ActionItem>,
}

impl MeetingNotes {
    /// The notes of a meeting scheduled at `scheduled` with this description.
    pub fn read(description: Description, scheduled: DateTime<Utc>) -> MeetingNotes {
        MeetingNotes {
            items: items::extract(&description.text, date(scheduled)),
            description,
        }
    }
}

/// An upcoming occurrence that may get an agenda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The series' UID.
    pub series_uid: String,
    /// The occurrence's original start as reported (its identity).
    pub recurrence_id: Moment,
    /// When it starts.
    pub start: Moment,
    /// When it ends.
    pub end: Moment,
    /// Its description now.
    pub description: Description,
    /// The hash of the block tete last wrote here, if it wrote one.
    pub written: Option<String>,
    /// Where its agenda goes.
    pub place: Place,
    /// The place is out of date apart from the description (a private agenda at the time the
    /// 1:1 had before it moved): write it even when the description stays the same.
    pub refresh: bool,
    /// The 1:1 no longer takes place (cancelled, declined, removed): its private agenda is
    /// marked cancelled, its text kept.
    pub retire: bool,
    /// True when this occurrence's own description holds text of its own, outside tete's
    /// block and beyond what the whole series says (an invite's video link is not a topic):
    /// someone put topics there, and the agenda says they come first.
    pub own_topics: bool,
}

/// Where an occurrence's agenda goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// Into the 1:1 event's own description.
    Event,
    /// Into a private companion event (see [`super::companion`]) in the manager's calendar
    /// of this display name.
    Private {
        /// The calendar's name, as configured (`[agenda] private_calendar`).
        calendar: String,
    },
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Event => f.write_str("in the 1:1 event"),
            Place::Private { calendar } => {
                write!(f, "in a private event in your calendar {calendar:?}")
            }
        }
    }
}

/// One description to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedWrite {
    /// The occurrence.
    pub target: Target,
    /// Its new description.
    pub new: Description,
    /// The agenda inside the block.
    pub agenda: String,
}

/// Everything planned for one relationship.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Descriptions to change.
    pub writes: Vec<PlannedWrite>,
    /// Items seen: `(key, line, date of the meeting, done)`, for the history.
    pub items_seen: Vec<(String, String, NaiveDate, bool)>,
    /// Open items after this cycle (what `tete items` lists).
    pub open: Vec<OpenItem>,
    /// Occurrences left alone, and why.
    pub skipped: Vec<String>,
    /// Every upcoming occurrence in the write-ahead window and where its agenda goes (written
    /// this cycle or already up to date).
    pub placed: Vec<(Moment, Place)>,
}

/// An open action item and its age.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenItem {
    /// The item.
    pub item: ActionItem,
    /// The meeting it was first seen in.
    pub first_raised: NaiveDate,
    /// Meetings held since it was raised (1 = raised at the last one).
    pub carried: u32,
}

/// Everything the planner needs about one relationship.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    /// The relationship.
    pub relationship: &'a Relationship,
    /// Its analysis (cadence, suggestion).
    pub analysis: &'a Analysis,
    /// Every known meeting, by start.
    pub meetings: Vec<Meeting>,
    /// Upcoming occurrences in the write-ahead window, by start.
    pub targets: Vec<Target>,
    /// The items the history knows.
    pub stored_items: &'a [StoredItem],
}

fn date(t: DateTime<Utc>) -> NaiveDate {
    t.date_naive()
}

fn happened(o: Outcome) -> bool {
    matches!(o, Outcome::Held | Outcome::Moved)
}

/// Plans the relationship's agenda writes at `now`.
pub fn plan(input: &Input, now: DateTime<Utc>, settings: &Settings) -> Plan {
    let mut plan = Plan::default();
    let notes = Notes::of(input);
    let seen = items_seen(input, &notes);
    plan.items_seen = seen
        .iter()
        .map(|(item, day)| (item.key(), item.to_line(), *day, item.done))
        .collect();
    let closed: BTreeSet<String> = input
        .stored_items
        .iter()
        .filter(|i| i.closed_at.is_some())
        .map(|i| i.key.clone())
        .chain(seen.iter().filter(|(i, _)| i.done).map(|(i, _)| i.key()))
        .collect();
    let first_raised = first_dates(input.stored_items, &seen);
    // Items a person finished in the task list, and when: they count as done from then.
    let in_list: BTreeMap<String, DateTime<Utc>> = input
        .stored_items
        .iter()
        .filter(|i| i.closed_in_list)
        .filter_map(|i| Some((i.key.clone(), i.closed_at?)))
        .collect();
    let spellings = owners::Spellings::of(&seen, &input.relationship.counterpart.first_name());
    let spelled = |mut items: Vec<OpenItem>| {
        for open in &mut items {
            spellings.apply(&mut open.item);
        }
        items
    };
    plan.open = spelled(open_before(&notes, now, &closed, &first_raised));
    if !settings.enabled {
        return plan;
    }
    let horizon = now + Duration::days(settings.write_ahead_days);
    for target in &input.targets {
        if target.start.as_utc().and_utc() > horizon {
            continue;
        }
        plan.placed.push((target.start, target.place.clone()));
        let start = target.start.as_utc().and_utc();
        let open = spelled(open_before(&notes, start, &closed, &first_raised));
        let mut done_since = LastHeld::before(&notes, start)
            .map(|last| last.done_since(&seen, &in_list))
            .unwrap_or_default();
        let finished = Finished {
            closed: &closed,
            in_list: &in_list,
            first_raised: &first_raised,
        };
        let in_list_since = finished.since_last_meeting(&notes, start, &done_since);
        done_since.extend(in_list_since);
        for item in &mut done_since {
            spellings.apply(item);
        }
        let ctx = context(input, target, &open, &done_since, settings);
        let source = template_for(input.relationship, settings);
        let agenda = match template::render(source, &ctx) {
            Ok(text) => text,
            Err(e) => {
                plan.skipped.push(format!(
                    "{}: {}",
                    which_meeting(input.relationship, target.start, &settings.zone),
                    crate::errors::chain(&e)
                ));
                continue;
            }
        };
        match planned_description(target, &agenda) {
            Ok(Some(new)) => plan.writes.push(PlannedWrite {
                target: target.clone(),
                new,
                agenda,
            }),
            Ok(None) if target.refresh => plan.writes.push(PlannedWrite {
                target: target.clone(),
                new: target.description.clone(),
                agenda,
            }),
            Ok(None) => {}
            Err(why) => plan.skipped.push(format!(
                "{}: {why}",
                which_meeting(input.relationship, target.start, &settings.zone)
            )),
        }
    }
    plan
}

/// A meeting as a person names it, in their zone: "your 1:1 with Ann on Tue 8 Dec 2026 10:00
/// CET".
pub fn which_meeting(relationship: &Relationship, start: Moment, zone: &Zone) -> String {
    let when = match start {
        Moment::Date(d) => d.format("%a %-d %b %Y").to_string(),
        other => zone.show(other.as_utc().and_utc(), "%a %-d %b %Y %H:%M %Z"),
    };
    format!(
        "your 1:1 with {} on {when}",
        relationship.counterpart.display()
    )
}

/// The items of each meeting's notes: every upcoming occurrence's agenda looks at them.
struct Notes<'a> {
    input: &'a Input<'a>,
    /// Per meeting (as in `input.meetings`): its items, `None` when its description is
    /// unknown.
    items: Vec<Option<&'a [ActionItem]>>,
}

impl<'a> Notes<'a> {
    fn of(input: &'a Input<'a>) -> Notes<'a> {
        let items = (input.meetings.iter())
            .map(|m| m.notes.as_deref().map(|n| n.items.as_slice()))
            .collect();
        Notes { input, items }
    }

    /// The meetings that took place before `before`, by index, in their order.
    fn held_before(&self, before: DateTime<Utc>) -> impl Iterator<Item = usize> + use<'_> {
        let meetings = &self.input.meetings;
        (0..meetings.len())
            .filter(move |&i| happened(meetings[i].outcome) && meetings[i].start < before)
    }
}

/// Every item in every known description, with the date of its meeting, oldest first.
fn items_seen(input: &Input, notes: &Notes) -> Vec<(ActionItem, NaiveDate)> {
    let mut out = Vec::new();
    for (meeting, items) in input.meetings.iter().zip(&notes.items) {
        let day = date(meeting.scheduled);
        for item in items.iter().copied().flatten() {
            out.push((item.clone(), day));
        }
    }
    for target in &input.targets {
        let day = date(target.recurrence_id.as_utc().and_utc());
        for item in items::extract(&target.description.text, day) {
            out.push((item, day));
        }
    }
    out
}

fn first_dates(
    stored: &[StoredItem],
    seen: &[(ActionItem, NaiveDate)],
) -> BTreeMap<String, NaiveDate> {
    let mut first: BTreeMap<String, NaiveDate> = stored
        .iter()
        .map(|i| (i.key.clone(), i.first_raised))
        .collect();
    for (item, day) in seen {
        let entry = first.entry(item.key()).or_insert(*day);
        *entry = (*entry).min(*day);
    }
    first
}

/// The items open before `before`: every unchecked item of every meeting that took place
/// before it (not only the last: a meeting without notes, because tete was not running and
/// nobody carried the items, closes nothing), minus those closed anywhere (checked in any
/// meeting, or closed in the history), each once (as last written), oldest first. Items of
/// cancelled or declined meetings are not open: those meetings did not take place.
fn open_before(
    notes: &Notes,
    before: DateTime<Utc>,
    closed: &BTreeSet<String>,
    first_raised: &BTreeMap<String, NaiveDate>,
) -> Vec<OpenItem> {
    let input = notes.input;
    let mut latest: BTreeMap<String, ActionItem> = BTreeMap::new();
    let mut held: Vec<usize> = notes.held_before(before).collect();
    held.sort_by_key(|&i| input.meetings[i].start);
    for i in held {
        let Some(items) = notes.items[i] else {
            continue;
        };
        for item in items {
            if !item.done {
                latest.insert(item.key(), item.clone());
            }
        }
    }
    let mut open: Vec<OpenItem> = latest
        .into_iter()
        .filter(|(key, _)| !closed.contains(key))
        .map(|(key, item)| {
            let first = first_raised
                .get(&key)
                .copied()
                .unwrap_or_else(|| before.date_naive());
            let carried = input
                .meetings
                .iter()
                .filter(|m| happened(m.outcome) && date(m.scheduled) >= first && m.start < before)
                .count();
            OpenItem {
                item,
                first_raised: first,
                carried: u32::try_from(carried.max(1)).unwrap_or(u32::MAX),
            }
        })
        .collect();
    open.sort_by_key(|o| (o.first_raised, o.item.key()));
    open
}

/// The last meeting that took place before `before`.
fn last_held<'a>(input: &'a Input, before: DateTime<Utc>) -> Option<&'a Meeting> {
    input
        .meetings
        .iter()
        .filter(|m| happened(m.outcome) && m.start < before)
        .max_by_key(|m| m.start)
}

/// The last meeting held before `before`, when its description is known, with the items
/// it holds (read once for the open and the done ones).
struct LastHeld<'a> {
    meeting: &'a Meeting,
    items: &'a [ActionItem],
}

impl<'a> LastHeld<'a> {
    fn before(notes: &'a Notes, before: DateTime<Utc>) -> Option<LastHeld<'a>> {
        // As `last_held`: the last of the latest.
        let i = notes
            .held_before(before)
            .max_by_key(|&i| notes.input.meetings[i].start)?;
        let meeting = &notes.input.meetings[i];
        let items = notes.items[i]?;
        Some(LastHeld { meeting, items })
    }

    /// Its unchecked items that were checked since (shown as done, once).
    ///
    /// An item counts from the first meeting it was seen checked in: ticked inside the block
    /// during the last meeting, or on a line of its own, it is shown once, and not again a
    /// week later from the "done" lines of the block that showed it.
    ///
    /// An item finished in the task list counts from then (`in_list`), so the "done" line
    /// tete wrote into the next meeting's block does not show it a second time.
    fn done_since(
        &self,
        seen: &[(ActionItem, NaiveDate)],
        in_list: &BTreeMap<String, DateTime<Utc>>,
    ) -> Vec<ActionItem> {
        let held_on = date(self.meeting.scheduled);
        let mut first_done: BTreeMap<String, NaiveDate> = BTreeMap::new();
        for (item, day) in seen.iter().filter(|(i, _)| i.done) {
            let first = first_done.entry(item.key()).or_insert(*day);
            *first = (*first).min(*day);
        }
        for (key, at) in in_list {
            if let Some(first) = first_done.get_mut(key) {
                *first = (*first).min(at.date_naive());
            }
        }
        // Only items that were open at some point: one typed already checked was never
        // waiting for anyone.
        let was_open: BTreeSet<String> = seen
            .iter()
            .filter(|(i, _)| !i.done)
            .map(|(i, _)| i.key())
            .collect();
        let mut keys = BTreeSet::new();
        self.items
            .iter()
            .filter(|i| {
                first_done.get(&i.key()).is_some_and(|d| *d >= held_on)
                    && was_open.contains(&i.key())
                    && keys.insert(i.key())
            })
            .map(|i| ActionItem {
                done: true,
                ..i.clone()
            })
            .collect()
    }
}

/// What finding the items finished in the task list needs.
struct Finished<'a> {
    /// Every closed item (in the notes, the history or the task list).
    closed: &'a BTreeSet<String>,
    /// Items finished in the task list, and when.
    in_list: &'a BTreeMap<String, DateTime<Utc>>,
    first_raised: &'a BTreeMap<String, NaiveDate>,
}

impl Finished<'_> {
    /// The items a person finished in the task list since the last meeting held before
    /// `before` (open in the notes until then): shown as done once, like items checked in
    /// the notes; `already` are those shown from the notes.
    fn since_last_meeting(
        &self,
        notes: &Notes,
        before: DateTime<Utc>,
        already: &[ActionItem],
    ) -> Vec<ActionItem> {
        if self.in_list.is_empty() {
            return Vec::new();
        }
        let since = last_held(notes.input, before).map(|m| m.start);
        let not_in_list: BTreeSet<String> = self
            .closed
            .iter()
            .filter(|k| !self.in_list.contains_key(*k))
            .cloned()
            .collect();
        let shown: BTreeSet<String> = already.iter().map(ActionItem::key).collect();
        open_before(notes, before, &not_in_list, self.first_raised)
            .into_iter()
            .filter(|o| {
                let key = o.item.key();
                !shown.contains(&key)
                    && self
                        .in_list
                        .get(&key)
                        .is_some_and(|at| since.is_none_or(|s| *at >= s))
            })
            .map(|o| ActionItem {
                done: true,
                ..o.item
            })
            .collect()
    }
}

fn template_for<'a>(rel: &Relationship, settings: &'a Settings) -> Option<&'a str> {
    let c = &rel.counterpart;
    c.email
        .as_deref()
        .and_then(|e| settings.templates.get(e))
        .or_else(|| {
            c.name
                .as_deref()
                .and_then(|n| settings.templates.get(&n.to_lowercase()))
        })
        .or(settings.template.as_ref())
        .map(String::as_str)
}

fn context(
    input: &Input,
    target: &Target,
    open: &[OpenItem],
    done: &[ActionItem],
    settings: &Settings,
) -> AgendaContext {
    let start = target.start.as_utc().and_utc();
    let held_before = input
        .meetings
        .iter()
        .filter(|m| happened(m.outcome) && m.start < start)
        .count();
    let meeting_number = u32::try_from(held_before + 1).unwrap_or(u32::MAX);
    // The day the manager meets on: an all-day 1:1's own date, else the day in their zone.
    let day = match target.start {
        Moment::Date(d) => d,
        _ => settings.zone.date(start),
    };
    let name = input.relationship.counterpart.display();
    let open_items: Vec<TemplateItem> = open.iter().map(|o| template_item(o, day)).collect();
    let done_items: Vec<TemplateItem> = done
        .iter()
        .map(|i| TemplateItem {
            line: i.to_line(),
            text: i.text.clone(),
            owner: i.owner.clone(),
            due: i.due.map(|d| d.to_string()),
            carried: 0,
            first_raised: String::new(),
            overdue: false,
        })
        .collect();
    AgendaContext {
        counterpart: TemplatePerson {
            first_name: input.relationship.counterpart.first_name(),
            name: name.clone(),
            email: input.relationship.counterpart.email.clone(),
        },
        date: day.format("%a %-d %b %Y").to_string(),
        date_iso: day.format("%Y-%m-%d").to_string(),
        meeting_number,
        days_since_last_held: last_held(input, start).map(|m| (start - m.start).num_days()),
        open_by_owner: by_owner(&open_items),
        open_items,
        done_items,
        last_meeting: last_planned(input, start, &settings.zone),
        their_topics: target.own_topics,
        cadence: input.analysis.configured.to_string(),
        actual_cadence: input.analysis.actual.map(|c| c.to_string()),
        suggestion: input.analysis.advice.suggestion().map(|s| s.reason.clone()),
        prompt: template::PROMPTS[meeting_number as usize % template::PROMPTS.len()].to_string(),
        career: settings.career_every > 0 && meeting_number % settings.career_every == 0,
    }
}

/// The last 1:1 planned before `before`, held or not.
fn last_planned(input: &Input, before: DateTime<Utc>, zone: &Zone) -> Option<LastMeeting> {
    let last = input
        .meetings
        .iter()
        .filter(|m| m.outcome != Outcome::Upcoming && m.scheduled < before)
        .max_by_key(|m| m.scheduled)?;
    let outcome = match last.outcome {
        Outcome::Held | Outcome::Upcoming => "held",
        Outcome::Moved => "moved",
        Outcome::Cancelled => "cancelled",
    };
    Some(LastMeeting {
        date: crate::cadence::short_date(zone.date(last.scheduled)),
        outcome: outcome.to_string(),
    })
}

/// Open items by owner: owners in name order, items nobody owns last.
fn by_owner(items: &[TemplateItem]) -> Vec<OwnerGroup> {
    let mut groups: BTreeMap<(bool, String), OwnerGroup> = BTreeMap::new();
    for item in items {
        let key = (
            item.owner.is_none(),
            item.owner.as_deref().unwrap_or_default().to_lowercase(),
        );
        groups
            .entry(key)
            .or_insert_with(|| OwnerGroup {
                owner: item.owner.clone(),
                items: Vec::new(),
            })
            .items
            .push(item.clone());
    }
    groups.into_values().collect()
}

fn template_item(o: &OpenItem, day: NaiveDate) -> TemplateItem {
    TemplateItem {
        overdue: o.item.due.is_some_and(|due| due < day),
        line: o.item.to_line(),
        text: o.item.text.clone(),
        owner: o.item.owner.clone(),
        due: o.item.due.map(|d| d.to_string()),
        carried: o.carried,
        first_raised: o.first_raised.to_string(),
    }
}

/// The target's new description, `None` when nothing changes, `Err` when tete must not
/// write (the block was removed by a person, or its markers are broken).
fn planned_description(target: &Target, agenda: &str) -> Result<Option<Description>, String> {
    match block::find(&target.description.text) {
        Found::Broken { reason } => {
            return Err(format!(
                "the agenda markers are broken ({reason}); fix or delete them and tete writes again"
            ));
        }
        Found::Absent if target.written.is_some() => {
            return Err("someone removed the agenda block; tete does not add it again".into());
        }
        // An intact block is rewritten whoever last touched it: edits inside the block other
        // than check marks (read before, as items) are tete's to replace.
        Found::Absent | Found::Intact { .. } => {}
    }
    let text = block::write(&target.description.text, agenda).map_err(|e| e.to_string())?;
    let html = match &target.description.html {
        Some(html) => Some(block::write(html, agenda).map_err(|e| e.to_string())?),
        None => None,
    };
    let new = Description { text, html };
    Ok((new != target.description).then_some(new))
}

mod owners;

#[cfg(test)]
mod tests;
