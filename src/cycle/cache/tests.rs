//! The cache never changes a result: random edits to a vdir (and to one `.ics` file), each
//! followed by a cycle as a daemon runs it (keeping what it read in memory), one as a
//! one-off command runs it (the cache in the state file), one by either in turn on a state
//! file they share, and one without the cache, each on its own state file; after each, the
//! history rows, the report's JSON and the agendas planned are the same.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::Caching;
use crate::cycle::{CycleReport, Job, Stop, Warm};
use crate::detect::{Identity, Overrides};
use crate::sources::{CalendarSpec, Location};
use crate::state::StateFile;
use crate::zone::Zone;

const PEOPLE: &[&str] = &["ann", "bob", "cid"];

/// One event file of the model: a weekly 1:1 series (with its overrides and EXDATEs) or a
/// one-off 1:1.
#[derive(Debug, Clone)]
struct Item {
    uid: String,
    /// Its file's name in the vdir, without `.ics` (a copy has the UID of another).
    file: String,
    person: usize,
    start: DateTime<Utc>,
    /// `Some(count)` for a weekly series.
    count: Option<u32>,
    /// Occurrence index → (hours moved, cancelled).
    overrides: BTreeMap<u32, (i64, bool)>,
    exdates: Vec<u32>,
    title: u8,
}

impl Item {
    fn ics(&self) -> String {
        let t = |d: DateTime<Utc>| d.format("%Y%m%dT%H%M%SZ").to_string();
        let person = PEOPLE[self.person];
        let people = format!(
            "ORGANIZER;CN=Mia:mailto:mia@example.com\r\nATTENDEE;CN={person}:mailto:{person}@example.com\r\n"
        );
        let title = match self.title % 3 {
            0 => format!("{person} / Mia 1:1"),
            1 => format!("1:1 {person}"),
            _ => "Sync".to_string(),
        };
        let mut out = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tete test//EN\r\nBEGIN:VEVENT\r\nUID:{}\r\nDTSTART:{}\r\nDTEND:{}\r\nSUMMARY:{title}\r\n{people}",
            self.uid,
            t(self.start),
            t(self.start + Duration::minutes(30)),
        );
        if let Some(count) = self.count {
            out.push_str(&format!("RRULE:FREQ=WEEKLY;COUNT={count}\r\n"));
            for k in &self.exdates {
                out.push_str(&format!(
                    "EXDATE:{}\r\n",
                    t(self.start + Duration::weeks(i64::from(*k)))
                ));
            }
        }
        out.push_str("END:VEVENT\r\n");
        for (k, (hours, cancelled)) in &self.overrides {
            let rid = self.start + Duration::weeks(i64::from(*k));
            let at = rid + Duration::hours(*hours);
            out.push_str(&format!(
                "BEGIN:VEVENT\r\nUID:{}\r\nRECURRENCE-ID:{}\r\nDTSTART:{}\r\nDTEND:{}\r\nSUMMARY:{title}\r\n{people}{}END:VEVENT\r\n",
                self.uid,
                t(rid),
                t(at),
                t(at + Duration::minutes(30)),
                // A moved meeting has notes with an action item: the plans carry it, so
                // finding notes (in a file, at the places the cycle kept) is compared too.
                if *cancelled {
                    "STATUS:CANCELLED\r\n".to_string()
                } else {
                    format!("DESCRIPTION:- [ ] {person}: follow up on {k}\r\n")
                },
            ));
        }
        out.push_str("END:VCALENDAR\r\n");
        out
    }
}

/// One edit of the calendars, or time passing.
#[derive(Debug, Clone)]
enum Edit {
    AddSeries {
        person: usize,
        day: i64,
        hour: i64,
    },
    AddSingle {
        person: usize,
        day: i64,
        hour: i64,
    },
    Retime {
        item: usize,
        hours: i64,
    },
    Move {
        item: usize,
        k: u32,
        hours: i64,
    },
    Cancel {
        item: usize,
        k: u32,
        exdate: bool,
    },
    Retitle {
        item: usize,
    },
    Delete {
        item: usize,
    },
    Split {
        item: usize,
        k: u32,
    },
    /// The same event in a second file (as when two calendars are synced into one folder).
    Copy {
        item: usize,
    },
    /// Another event under the item's file name (as when a client deletes an event and
    /// creates one under the same name).
    Reuse {
        item: usize,
    },
    /// The same bytes written again (a new inode and time): nothing changed.
    Touch {
        item: usize,
    },
    Wait {
        days: i64,
    },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0..3usize, -40..20i64, 8..17i64).prop_map(|(person, day, hour)| Edit::AddSeries {
            person,
            day,
            hour
        }),
        (0..3usize, -40..20i64, 8..17i64).prop_map(|(person, day, hour)| Edit::AddSingle {
            person,
            day,
            hour
        }),
        (0..8usize, -3..3i64).prop_map(|(item, hours)| Edit::Retime { item, hours }),
        (0..8usize, 0..12u32, -30..30i64).prop_map(|(item, k, hours)| Edit::Move {
            item,
            k,
            hours
        }),
        (0..8usize, 0..12u32, any::<bool>()).prop_map(|(item, k, exdate)| Edit::Cancel {
            item,
            k,
            exdate
        }),
        (0..8usize).prop_map(|item| Edit::Retitle { item }),
        (0..8usize).prop_map(|item| Edit::Delete { item }),
        (0..8usize, 1..10u32).prop_map(|(item, k)| Edit::Split { item, k }),
        (0..8usize).prop_map(|item| Edit::Copy { item }),
        (0..8usize).prop_map(|item| Edit::Reuse { item }),
        (0..8usize).prop_map(|item| Edit::Touch { item }),
        (1..12i64).prop_map(|days| Edit::Wait { days }),
    ]
}

struct World {
    items: Vec<Item>,
    next_uid: u32,
    now: DateTime<Utc>,
}

impl World {
    fn new() -> World {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let mut world = World {
            items: Vec::new(),
            next_uid: 0,
            now,
        };
        world.add(0, -30, 10, Some(16));
        world.add(1, -20, 14, Some(16));
        world
    }

    fn add(&mut self, person: usize, day: i64, hour: i64, count: Option<u32>) {
        self.next_uid += 1;
        let base = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
        self.items.push(Item {
            uid: format!("uid-{}", self.next_uid),
            file: format!("uid-{}", self.next_uid),
            person,
            start: base + Duration::days(day) + Duration::hours(hour),
            count,
            overrides: BTreeMap::new(),
            exdates: Vec::new(),
            title: 0,
        });
    }

    /// Applies an edit; returns the item to rewrite unchanged (a touch), if any.
    fn apply(&mut self, edit: &Edit) -> Option<usize> {
        let n = self.items.len();
        let pick = |i: usize| (n > 0).then(|| i % n);
        match *edit {
            Edit::AddSeries { person, day, hour } => self.add(person, day, hour, Some(12)),
            Edit::AddSingle { person, day, hour } => self.add(person, day, hour, None),
            Edit::Retime { item, hours } => {
                if let Some(i) = pick(item) {
                    self.items[i].start += Duration::hours(hours);
                }
            }
            Edit::Move { item, k, hours } => {
                if let Some(i) = pick(item) {
                    self.items[i].overrides.insert(k, (hours, false));
                }
            }
            Edit::Cancel { item, k, exdate } => {
                if let Some(i) = pick(item) {
                    if exdate {
                        self.items[i].exdates.push(k);
                    } else {
                        self.items[i].overrides.insert(k, (0, true));
                    }
                }
            }
            Edit::Retitle { item } => {
                if let Some(i) = pick(item) {
                    self.items[i].title = self.items[i].title.wrapping_add(1);
                }
            }
            Edit::Delete { item } => {
                if let Some(i) = pick(item) {
                    self.items.remove(i);
                }
            }
            Edit::Split { item, k } => {
                if let Some(i) = pick(item)
                    && let Some(count) = self.items[i].count
                    && k < count
                {
                    let old = &mut self.items[i];
                    old.count = Some(k);
                    old.overrides.retain(|j, _| *j < k);
                    old.exdates.retain(|j| *j < k);
                    let mut new = old.clone();
                    self.next_uid += 1;
                    new.uid = format!("uid-{}", self.next_uid);
                    new.file.clone_from(&new.uid);
                    new.start = old.start + Duration::weeks(i64::from(k)) + Duration::hours(1);
                    new.count = Some(count - k);
                    new.overrides.clear();
                    new.exdates.clear();
                    self.items.push(new);
                }
            }
            Edit::Copy { item } => {
                if let Some(i) = pick(item) {
                    self.next_uid += 1;
                    let mut copy = self.items[i].clone();
                    copy.file = format!("copy-{}", self.next_uid);
                    self.items.push(copy);
                }
            }
            Edit::Reuse { item } => {
                if let Some(i) = pick(item) {
                    self.next_uid += 1;
                    self.items[i].uid = format!("uid-{}", self.next_uid);
                }
            }
            Edit::Touch { item } => return pick(item),
            Edit::Wait { days } => self.now += Duration::days(days),
        }
        None
    }

    /// Writes the model as a vdir (one file per item, replaced by rename as sync tools do)
    /// and as one `.ics` file; `touch` is rewritten even though its bytes are the same.
    fn write(&self, vdir: &Path, file: &Path, touch: Option<usize>) {
        let mut wanted = std::collections::BTreeSet::new();
        for (i, item) in self.items.iter().enumerate() {
            let name = format!("{}.ics", item.file);
            let path = vdir.join(&name);
            let body = item.ics();
            let same = std::fs::read(&path).is_ok_and(|old| old == body.as_bytes());
            if !same || touch == Some(i) {
                replace(&path, body.as_bytes());
            }
            wanted.insert(name);
        }
        for entry in std::fs::read_dir(vdir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().to_string();
            if !wanted.contains(&name) {
                std::fs::remove_file(vdir.join(name)).unwrap();
            }
        }
        let mut whole = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n");
        for item in &self.items {
            let ics = item.ics();
            let inner = ics
                .split_once("BEGIN:VEVENT")
                .map(|(_, rest)| format!("BEGIN:VEVENT{rest}"))
                .unwrap_or_default()
                .replace("END:VCALENDAR\r\n", "");
            whole.push_str(&inner);
        }
        whole.push_str("END:VCALENDAR\r\n");
        let same = std::fs::read(file).is_ok_and(|old| old == whole.as_bytes());
        if !same || touch.is_some() {
            replace(file, whole.as_bytes());
        }
    }
}

fn replace(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("tmp-write");
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn job(calendar: Location, state_file: PathBuf, cache_dir: &Path, now: DateTime<Utc>) -> Job {
    Job {
        calendars: vec![CalendarSpec {
            name: "work".into(),
            location: calendar,
        }],
        me: Identity::new(["mia@example.com"], []),
        overrides: Overrides::default(),
        settings: crate::cadence::Settings::default(),
        agenda: crate::agenda::plan::Settings::default(),
        nudges: crate::nudge::Settings::default(),
        digest: crate::report::digest::DigestSettings::default(),
        tasks: None,
        state_file,
        feed_cache_dir: cache_dir.to_path_buf(),
        request_timeout: std::time::Duration::from_secs(5),
        max_rule_steps: crate::calendar::recur::DEFAULT_MAX_STEPS,
        now,
        since: None,
    }
    .in_zone(Zone::Named(chrono_tz::Europe::Berlin))
}

/// What must not depend on the cache: every history row, the report, the plans.
fn results(
    report: &CycleReport,
    state: &Path,
    now: DateTime<Utc>,
) -> (Vec<String>, String, String) {
    let conn = rusqlite::Connection::open(state).unwrap();
    let mut rows = Vec::new();
    for table in ["series", "occurrence", "change", "item"] {
        let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let columns = stmt.column_count();
        let mut found: Vec<String> = stmt
            .query_map([], |row| {
                let mut line = table.to_string();
                for c in 0..columns {
                    line.push_str(&format!("|{:?}", row.get::<_, rusqlite::types::Value>(c)?));
                }
                Ok(line)
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        found.sort();
        rows.extend(found);
    }
    let json = crate::report::json(&crate::report::Report {
        now,
        entries: &report.outcome.entries,
        zone: Zone::Named(chrono_tz::Europe::Berlin),
        notes: &report.people_notes(),
    });
    let series: Vec<String> = report
        .outcome
        .detection
        .series()
        .map(|(m, v)| format!("{} {}", m.uid, v.reason))
        .collect();
    let plans = format!("{:?}\n{series:?}", report.plans.plans);
    (rows, json, plans)
}

fn cycle(job: &Job, state: &mut StateFile, caching: Caching, warm: &mut Warm) -> CycleReport {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(super::super::job::run_cycle_cached(
            job,
            state,
            true,
            &Stop::default(),
            caching,
            warm,
        ))
        .unwrap()
}

/// How a state's cycles run: as a daemon's (keeping what they read in memory), as one-off
/// commands' (the cache in the state file only), a daemon's and one-off commands' in turn
/// (each step's by the other: the daemon finds the state file changed under what it kept),
/// or without the cache (the reference, last).
#[derive(Debug, Clone, Copy)]
enum Run {
    Daemon,
    OneOff,
    Shared,
    Full,
}

/// How many ways a state's cycles run ([`Run`]).
const RUNS: usize = 4;

fn check(edits: &[Edit]) -> Result<(), TestCaseError> {
    check_from(World::new(), edits).map(drop)
}

/// [`check`] from `world`; gives back the plans after each step (the same every way).
fn check_from(mut world: World, edits: &[Edit]) -> Result<Vec<String>, TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let vdir = dir.path().join("vdir");
    std::fs::create_dir(&vdir).unwrap();
    let file = dir.path().join("export.ics");
    let mut plans = Vec::new();
    world.write(&vdir, &file, None);
    let mut states: Vec<(Location, Run, PathBuf)> = Vec::new();
    for (name, location) in [
        ("vdir", Location::Vdir(vdir.clone())),
        ("file", Location::File(file.clone())),
    ] {
        for run in [Run::Daemon, Run::OneOff, Run::Shared, Run::Full] {
            states.push((
                location.clone(),
                run,
                dir.path().join(format!("{name}-{run:?}.sqlite")),
            ));
        }
    }
    let mut opened: Vec<(StateFile, Warm)> = states
        .iter()
        .map(|(_, run, path)| {
            let warm = match run {
                Run::Daemon | Run::Shared => Warm::kept(),
                Run::OneOff | Run::Full => Warm::none(),
            };
            (StateFile::open(path).unwrap(), warm)
        })
        .collect();
    for (step, edit) in std::iter::once(None)
        .chain(edits.iter().map(Some))
        .enumerate()
    {
        if let Some(edit) = edit {
            let touch = world.apply(edit);
            world.write(&vdir, &file, touch);
        }
        let mut seen = Vec::new();
        for ((location, run, path), (state, warm)) in states.iter().zip(&mut opened) {
            let job = job(location.clone(), path.clone(), dir.path(), world.now);
            let caching = match run {
                Run::Daemon | Run::OneOff | Run::Shared => Caching::On,
                Run::Full => Caching::Off,
            };
            let report = match run {
                Run::Shared if step % 2 == 1 => cycle(&job, state, caching, &mut Warm::none()),
                _ => cycle(&job, state, caching, warm),
            };
            seen.push(results(&report, path, world.now));
        }
        // Per location: the daemon's and the one-off cycles' results against the full one's.
        for (ways, kinds) in seen.chunks(RUNS).zip(states.chunks(RUNS)) {
            let (full, cached_ways) = ways.split_last().unwrap();
            for (cached, (_, run, _)) in cached_ways.iter().zip(kinds) {
                prop_assert_eq!(
                    &cached.0,
                    &full.0,
                    "history rows after step {} ({:?}), {:?}",
                    step,
                    edit,
                    run
                );
                prop_assert_eq!(
                    &cached.1,
                    &full.1,
                    "report after step {} ({:?}), {:?}",
                    step,
                    edit,
                    run
                );
                prop_assert_eq!(
                    &cached.2,
                    &full.2,
                    "plans after step {} ({:?}), {:?}",
                    step,
                    edit,
                    run
                );
            }
            plans.push(full.2.clone());
        }
    }
    Ok(plans)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn incremental_equals_full(edits in proptest::collection::vec(edit(), 1..10)) {
        check(&edits)?;
    }
}

thread_local! {
    /// The ways the cycles of this thread read the calendars.
    pub(super) static TAKEN: std::cell::RefCell<Vec<super::Path>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[test]
fn a_touch_a_move_time_passing_and_a_split_give_the_full_results() {
    TAKEN.with(|taken| taken.borrow_mut().clear());
    // The memo is reused when nothing changed, also when a file was only rewritten.
    check(&[
        Edit::Wait { days: 1 },
        Edit::Touch { item: 0 },
        Edit::Move {
            item: 0,
            k: 5,
            hours: 2,
        },
        Edit::Wait { days: 9 },
        Edit::Split { item: 1, k: 3 },
        Edit::Delete { item: 0 },
    ])
    .unwrap();
    // The vdir's edits were applied to the memo, not read in full: every way was taken.
    let taken = TAKEN.with(|taken| taken.borrow().clone());
    for path in [
        super::Path::Kept,
        super::Path::Memo,
        super::Path::Incremental,
        super::Path::IncrementalKept,
        super::Path::Full,
    ] {
        assert!(taken.contains(&path), "{path:?} never taken: {taken:?}");
    }
}

#[test]
fn only_the_overrides_of_meetings_looked_at_are_read_again_and_none_is_missed() {
    // A weekly 1:1 over two and a half years around `now`, with notes on overrides long
    // before the window, in it, moved into it from a year before, past its end (in it,
    // then past, as time goes by) and long after it.
    let mut world = World {
        items: Vec::new(),
        next_uid: 0,
        now: Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
    };
    world.add(0, -7 * 60, 10, Some(130));
    let moved_in = i64::from(52 - 3) * 7 * 24;
    world.items[0].overrides = BTreeMap::from([
        (3, (1, false)),
        (3 + 52, (1, false)),
        (10, (moved_in, false)),
        (60 + 19, (1, false)),
        (120, (1, false)),
    ]);
    // Plans equal the full reading's every way, in a daemon's later cycles too (reusing
    // what it read while that holds the overrides they need).
    let waits = [40, 9, 110].map(|days| Edit::Wait { days });
    let plans = check_from(world, &waits).unwrap();
    let (first, last) = (&plans[0], &plans[plans.len() - 1]);
    for (k, seen) in [
        (3, false),
        (55, true),
        (10, true),
        (79, false),
        (120, false),
    ] {
        let item = format!("follow up on {k}\"");
        assert_eq!(first.contains(&item), seen, "{k}: {first}");
    }
    assert!(last.contains("follow up on 79\""), "{last}");
}

/// An export's 1:1s are read for planning while the history records, over the reach of
/// the meetings stored and observed: planning finds them read, the history a week on
/// included (it reaches before the window), and plans what a full cycle plans.
#[test]
fn an_exports_notes_are_read_ahead_and_planning_reads_nothing_itself() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.ics");
    let mut world = World {
        items: Vec::new(),
        next_uid: 0,
        now: Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
    };
    world.add(0, -7 * 60, 10, Some(130));
    world.items[0].overrides = BTreeMap::from([(55, (1, false)), (60, (1, false))]);
    let vdir = dir.path().join("unused");
    std::fs::create_dir(&vdir).unwrap();
    world.write(&vdir, &file, None);
    let read_by_planning = || {
        super::super::agendas::READ_BY_PLANNING.with(|read| std::mem::take(&mut *read.borrow_mut()))
    };
    for days in [0, 7] {
        let now = world.now + Duration::days(days);
        let plans = |caching, name: &str| {
            let path = dir.path().join(name);
            let job = job(Location::File(file.clone()), path.clone(), dir.path(), now);
            let mut state = StateFile::open(&path).unwrap();
            let report = cycle(&job, &mut state, caching, &mut Warm::none());
            results(&report, &path, now).2
        };
        read_by_planning();
        let ahead = plans(Caching::On, "ahead.sqlite");
        assert_eq!(read_by_planning(), Vec::<String>::new(), "{days} days on");
        assert!(ahead.contains("follow up on 55\""), "{ahead}");
        assert_eq!(ahead, plans(Caching::Off, "full.sqlite"), "{days} days on");
        assert_eq!(
            read_by_planning().len(),
            1,
            "the full cycle reads for itself"
        );
    }
}

#[test]
fn packed_records_come_back_whole_and_anything_else_is_a_miss() {
    let value: Vec<String> = (0..500).map(|i| format!("uid-{}", i % 7)).collect();
    let packed = super::encode_packed(&value);
    assert!(packed.len() < super::encode(&value).len() / 2, "compressed");
    assert_eq!(super::decode_packed::<Vec<String>>(&packed), Some(value));
    // An old, uncompressed body; a size no LZ4 body could have; too short; cut short.
    let plain = super::encode(&vec!["a".to_string()]);
    assert_eq!(super::decode_packed::<Vec<String>>(&plain), None);
    let mut huge = u32::MAX.to_le_bytes().to_vec();
    huge.extend_from_slice(&[0; 8]);
    assert_eq!(super::decode_packed::<Vec<String>>(&huge), None);
    assert_eq!(super::decode_packed::<Vec<String>>(&[1, 0]), None);
    assert_eq!(
        super::decode_packed::<Vec<String>>(&packed[..packed.len() / 2]),
        None
    );
}

#[test]
fn a_daemon_started_on_a_saved_state_keeps_what_it_read_and_applies_changes_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let vdir = dir.path().join("vdir");
    std::fs::create_dir(&vdir).unwrap();
    let file = dir.path().join("export.ics");
    let state_path = dir.path().join("state.sqlite");
    let mut world = World::new();
    world.write(&vdir, &file, None);
    let now = world.now;
    let job = || {
        job(
            Location::Vdir(vdir.clone()),
            state_path.clone(),
            dir.path(),
            now,
        )
    };
    let mut state = StateFile::open(&state_path).unwrap();
    // A one-off command saves the cache; a daemon started later takes the memo as it is,
    // keeps it, and its next idle cycle decodes nothing.
    cycle(&job(), &mut state, Caching::On, &mut Warm::none());
    let mut warm = Warm::kept();
    TAKEN.with(|taken| taken.borrow_mut().clear());
    cycle(&job(), &mut state, Caching::On, &mut warm);
    cycle(&job(), &mut state, Caching::On, &mut warm);
    // Its first change goes to the memo in the state file (it kept no index), the next to
    // what it kept.
    world.apply(&Edit::Retitle { item: 0 });
    world.write(&vdir, &file, None);
    cycle(&job(), &mut state, Caching::On, &mut warm);
    world.apply(&Edit::Retitle { item: 1 });
    world.write(&vdir, &file, None);
    cycle(&job(), &mut state, Caching::On, &mut warm);
    let taken = TAKEN.with(|taken| taken.borrow().clone());
    assert_eq!(
        taken,
        [
            super::Path::Memo,
            super::Path::Kept,
            super::Path::Incremental,
            super::Path::IncrementalKept
        ]
    );
}
