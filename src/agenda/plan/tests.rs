use std::sync::Arc;

use chrono::NaiveDate;

use super::*;
use crate::cadence::{Cadence, Settings as CadenceSettings, analyse};
use crate::detect::{Counterpart, SeriesRef};
use crate::history::block_hash;

fn at(month: u32, day: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2026, month, day)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap()
        .and_utc()
}

fn rel() -> Relationship {
    Relationship {
        counterpart: Counterpart {
            email: Some("ann@example.com".into()),
            name: Some("Ann Berger".into()),
        },
        series: vec![SeriesRef {
            uid: Arc::from("ann"),
            summary: None,
            rule: None,
            reason: String::new(),
            declined: false,
        }],
        adhoc: Vec::new(),
    }
}

fn analysis() -> Analysis {
    let mut a = analyse(
        &rel(),
        &[],
        &[],
        at(3, 20),
        None,
        &CadenceSettings::default(),
    );
    a.configured = Cadence::Weekly;
    a
}

fn meeting(day: u32, outcome: Outcome, text: &str) -> Meeting {
    Meeting {
        scheduled: at(3, day),
        start: at(3, day),
        outcome,
        notes: Some(std::sync::Arc::new(MeetingNotes::read(
            Description {
                text: text.into(),
                html: None,
            },
            at(3, day),
        ))),
    }
}

fn target(day: u32, text: &str, written: Option<&str>) -> Target {
    Target {
        series_uid: "ann".into(),
        recurrence_id: Moment::Utc(at(3, day).naive_utc()),
        start: Moment::Utc(at(3, day).naive_utc()),
        end: Moment::Utc(at(3, day).naive_utc()),
        description: Description {
            text: text.into(),
            html: None,
        },
        written: written.map(block_hash),
        place: Place::Event,
        refresh: false,
        retire: false,
        own_topics: false,
    }
}

fn run(meetings: Vec<Meeting>, targets: Vec<Target>, stored: &[StoredItem]) -> Plan {
    let r = rel();
    let a = analysis();
    let input = Input {
        relationship: &r,
        analysis: &a,
        meetings,
        targets,
        stored_items: stored,
    };
    // Times in messages are shown in the manager's zone: UTC here.
    let settings = Settings {
        zone: crate::zone::Zone::Named(chrono_tz::UTC),
        ..Settings::default()
    };
    plan(&input, at(3, 20), &settings)
}

const LAST_WEEK: &str = "Notes from Ann\n- [ ] Ann: send the hiring plan (due 2026-03-27)\n- [x] Mia: book the offsite\nTODO: review the budget";

#[test]
fn last_weeks_open_items_go_into_the_next_block() {
    let plan = run(
        vec![
            meeting(9, Outcome::Held, "- [ ] old item"),
            meeting(16, Outcome::Held, LAST_WEEK),
        ],
        vec![target(23, "Person's own notes", None)],
        &[],
    );
    assert_eq!(plan.writes.len(), 1, "{plan:?}");
    let new = &plan.writes[0].new.text;
    assert!(
        new.contains("- [ ] Ann: send the hiring plan (due 2026-03-27)"),
        "{new}"
    );
    assert!(new.contains("review the budget"), "{new}");
    assert!(
        !new.contains("book the offsite"),
        "a checked item is not carried"
    );
    assert!(
        new.contains("- [ ] old item"),
        "an item nobody checked stays open, even if the last meeting's notes lost it: {new}"
    );
    assert!(new.ends_with("Person's own notes"), "{new}");
    assert_eq!(plan.open.len(), 3);
}

#[test]
fn meetings_without_notes_in_between_close_nothing() {
    // tete did not run for two weeks: the two meetings held meanwhile have no block and no
    // notes. The items of 2 March are still open on 23 March.
    let plan = run(
        vec![
            meeting(2, Outcome::Held, LAST_WEEK),
            meeting(9, Outcome::Held, ""),
            meeting(16, Outcome::Held, ""),
        ],
        vec![target(23, "", None)],
        &[],
    );
    assert_eq!(plan.open.len(), 2, "{:?}", plan.open);
    let new = &plan.writes[0].new.text;
    assert!(new.contains("- [ ] Ann: send the hiring plan"), "{new}");
    assert!(!new.contains("(nothing open)"), "{new}");
    // Carried through the three meetings held since it was raised.
    assert!(plan.open.iter().all(|o| o.carried == 3), "{:?}", plan.open);
}

#[test]
fn a_cancelled_meeting_in_between_does_not_lose_items() {
    let plan = run(
        vec![
            meeting(9, Outcome::Held, LAST_WEEK),
            meeting(16, Outcome::Cancelled, ""),
        ],
        vec![target(23, "", None)],
        &[],
    );
    let new = &plan.writes[0].new.text;
    assert!(new.contains("send the hiring plan"), "{new}");
    // raised on the 9th, one meeting held since (the 9th itself)
    assert_eq!(plan.open[0].first_raised, at(3, 9).date_naive());
}

#[test]
fn an_item_checked_later_or_closed_in_the_history_is_dropped() {
    let checked_in_target = "- [x] Ann: send the hiring plan";
    let plan = run(
        vec![meeting(16, Outcome::Held, LAST_WEEK)],
        vec![target(23, checked_in_target, None)],
        &[],
    );
    let new = &plan.writes[0].new.text;
    assert!(
        new.contains("- [x] Ann: send the hiring plan"),
        "shown as done: {new}"
    );
    assert!(!new.contains("- [ ] Ann: send the hiring plan"), "{new}");
    let stored = [StoredItem {
        key: "todo".into(),
        line: String::new(),
        first_raised: at(3, 1).date_naive(),
        closed_at: Some(at(3, 17)),
        closed_in_list: false,
    }];
    let key =
        crate::agenda::items::extract("TODO: review the budget", at(3, 1).date_naive())[0].key();
    let stored = [StoredItem {
        key,
        ..stored[0].clone()
    }];
    let plan = run(
        vec![meeting(16, Outcome::Held, LAST_WEEK)],
        vec![target(23, "", None)],
        &stored,
    );
    assert!(!plan.writes[0].new.text.contains("review the budget"));
}

#[test]
fn running_again_on_what_was_written_changes_nothing() {
    let first = run(
        vec![meeting(16, Outcome::Held, LAST_WEEK)],
        vec![target(23, "Own notes", None)],
        &[],
    );
    let w = &first.writes[0];
    let second = run(
        vec![meeting(16, Outcome::Held, LAST_WEEK)],
        vec![target(23, &w.new.text, Some(&w.agenda))],
        &[],
    );
    assert!(second.writes.is_empty(), "{:?}", second.writes);
}

/// The state file's hash of the block tete wrote only says that tete wrote there (so a
/// removed block stays removed): a block whose inside a person edited, or one tete has no
/// record of, is rewritten whole (README: edits inside the block other than check marks are
/// replaced), the text around it kept.
#[test]
fn an_intact_block_is_rewritten_whoever_edited_inside_it() {
    let first = run(
        vec![meeting(16, Outcome::Held, LAST_WEEK)],
        vec![target(23, "Own notes", None)],
        &[],
    );
    let w = &first.writes[0];
    let begin = crate::agenda::block::BEGIN_MARKER;
    let edited = w
        .new
        .text
        .replacen(begin, &format!("{begin}\nmy words inside"), 1);
    assert_ne!(edited, w.new.text);
    for written in [Some(w.agenda.as_str()), None] {
        let again = run(
            vec![meeting(16, Outcome::Held, LAST_WEEK)],
            vec![target(23, &edited, written)],
            &[],
        );
        assert!(again.skipped.is_empty(), "{:?}", again.skipped);
        assert_eq!(again.writes.len(), 1, "{written:?}");
        assert_eq!(again.writes[0].new.text, w.new.text, "{written:?}");
    }
}

#[test]
fn a_removed_block_is_not_added_back_and_broken_markers_are_left_alone() {
    let plan = run(
        vec![meeting(16, Outcome::Held, LAST_WEEK)],
        vec![target(23, "I deleted it", Some("old agenda"))],
        &[],
    );
    assert!(plan.writes.is_empty());
    assert!(plan.skipped[0].contains("removed"), "{:?}", plan.skipped);
    // Whose 1:1 and when, in words, not an instant.
    assert!(
        plan.skipped[0].starts_with("your 1:1 with Ann Berger on Mon 23 Mar 2026 09:00 UTC: "),
        "{:?}",
        plan.skipped
    );
    let broken = format!("{}\nhalf a block", crate::agenda::block::BEGIN_MARKER);
    let plan = run(
        vec![meeting(16, Outcome::Held, LAST_WEEK)],
        vec![target(23, &broken, None)],
        &[],
    );
    assert!(plan.writes.is_empty());
    assert!(plan.skipped[0].contains("broken"), "{:?}", plan.skipped);
}

#[test]
fn only_occurrences_inside_the_write_ahead_window_get_an_agenda() {
    let plan = run(
        vec![meeting(16, Outcome::Held, LAST_WEEK)],
        vec![target(23, "", None), target(30, "", None)],
        &[],
    );
    assert_eq!(plan.writes.len(), 1);
}

#[test]
fn template_syntax_in_descriptions_comes_out_verbatim() {
    let sneaky = "- [ ] Ann: check {{ 7 * 7 }} and {% if true %}x{% endif %}";
    let plan = run(
        vec![meeting(16, Outcome::Held, sneaky)],
        vec![target(23, "", None)],
        &[],
    );
    let new = &plan.writes[0].new.text;
    assert!(
        new.contains("{{ 7 * 7 }} and {% if true %}x{% endif %}"),
        "{new}"
    );
    assert!(!new.contains("49"));
}

#[test]
fn an_item_ticked_inside_the_block_is_shown_done_once() {
    // Ann ticked the item inside tete's block during the 16 March meeting.
    let ticked = "--- tete agenda ---\n- [x] Ann: send the hiring plan\n--- end of tete agenda ---";
    let plan = run(
        vec![
            meeting(9, Outcome::Held, "- [ ] Ann: send the hiring plan"),
            meeting(16, Outcome::Held, ticked),
        ],
        vec![target(23, "", None)],
        &[],
    );
    let new = &plan.writes[0].new.text;
    assert!(
        new.contains("[x] Ann: send the hiring plan"),
        "shown done: {new}"
    );
    assert!(plan.open.is_empty(), "{:?}", plan.open);
    // The same a week on: the meeting whose block showed it done is the last one held (the
    // dates moved a week back to keep "now"): it is not shown again.
    let plan = run(
        vec![
            meeting(2, Outcome::Held, "- [ ] Ann: send the hiring plan"),
            meeting(9, Outcome::Held, ticked),
            meeting(16, Outcome::Held, new),
        ],
        vec![target(23, "", None)],
        &[],
    );
    let next = &plan.writes[0].new.text;
    assert!(!next.contains("send the hiring plan"), "once: {next}");
}

/// The agenda as people read it, plain and in an HTML description: the last 1:1 cancelled,
/// topics already in the event first, an overdue item marked, a long list grouped by owner
/// (written one way whatever case people typed), the other person's text below, untouched.
#[test]
fn the_agenda_reads_like_a_good_1on1_in_plain_text_and_html() {
    let notes = "- [ ] Ann: send the hiring plan (due 2026-03-13)\n\
                 - [ ] @mia book the offsite\n\
                 - [ ] ann: draft the Q2 goals\n\
                 - [ ] MIA: ask finance about the budget (due 2026-04-30)\n\
                 - [ ] Bo: share the on-call rota\n\
                 - [ ] review the interview loop";
    let meetings = vec![
        meeting(9, Outcome::Held, notes),
        meeting(16, Outcome::Cancelled, ""),
    ];
    let mut own = target(
        23,
        "Ann: I'd like to talk about the conference first.",
        None,
    );
    own.own_topics = true;
    let plan = run(meetings.clone(), vec![own], &[]);
    insta::assert_snapshot!("agenda_plain", plan.writes[0].new.text);

    let mut html = target(23, "", None);
    html.description.html = Some(
        "<html><body><p>Ann's topics:</p>\n<ul>\n  <li>the conference</li>\n</ul></body></html>"
            .into(),
    );
    html.own_topics = true;
    let plan = run(meetings, vec![html], &[]);
    let new_html = plan.writes[0].new.html.clone().unwrap_or_default();
    insta::assert_snapshot!("agenda_html", new_html);
    assert!(
        new_html.contains("<ul>\n  <li>the conference</li>\n</ul>"),
        "their HTML, indentation included, is untouched: {new_html}"
    );
}

#[test]
fn an_item_finished_in_the_task_list_shows_as_done_once() {
    let key = crate::agenda::items::extract(LAST_WEEK, at(3, 16).date_naive())[0].key();
    let stored = [StoredItem {
        key,
        line: "- [ ] Ann: send the hiring plan (due 2026-03-27)".into(),
        first_raised: at(3, 16).date_naive(),
        closed_at: Some(at(3, 18)),
        closed_in_list: true,
    }];
    // Finished on the 18th, after the meeting of the 16th: done in the agenda of the 23rd.
    let first = run(
        vec![meeting(16, Outcome::Held, LAST_WEEK)],
        vec![target(23, "", None)],
        &stored,
    );
    let new = &first.writes[0].new.text;
    assert!(new.contains("- [x] Ann: send the hiring plan"), "{new}");
    assert!(!new.contains("- [ ] Ann: send the hiring plan"), "{new}");
    assert!(first.open.iter().all(|o| !o.item.text.contains("hiring")));
    // The meeting of the 23rd held with that agenda: not shown again on the 30th.
    let held = meeting(23, Outcome::Held, new);
    let r = rel();
    let a = analysis();
    let input = Input {
        relationship: &r,
        analysis: &a,
        meetings: vec![meeting(16, Outcome::Held, LAST_WEEK), held],
        targets: vec![target(30, "", None)],
        stored_items: &stored,
    };
    let settings = Settings {
        zone: crate::zone::Zone::Named(chrono_tz::UTC),
        ..Settings::default()
    };
    let later = plan(&input, at(3, 27), &settings);
    let text = &later.writes[0].new.text;
    assert!(!text.contains("send the hiring plan"), "{text}");
}
