//! A deterministic, realistic manager calendar, and its ground truth.
//!
//! Mia Manager (`mia@corp.example`, alias `mia.manager@corp.example`) has 22 reports (one
//! gone since August, one starting next week).
//! Their 1:1s come in Google style (IANA zones, `STATUS:CANCELLED` overrides, one EXDATE a
//! line, `_R<date>` UIDs when a series is split) and in Exchange/Outlook style
//! (`W. Europe Standard Time` with an Outlook `VTIMEZONE`, `X-MICROSOFT-CDO-*`, several
//! EXDATEs a line, the report as organizer), plus private title-only series. Decoys (team
//! series, three people, me and a room, "1:1 prep", other people's 1:1s, a mailing list)
//! and one-off meetings surround them.
//!
//! The truth is computed from the generator's own data, never by tete: its own recurrence
//! enumeration, its own EU/US daylight-saving rules, and the documented definitions (an
//! occurrence counts when its original start is in `[since, now)`; cancelled = STATUS
//! CANCELLED or EXDATE; moved = not cancelled and starting other than its original start;
//! held = the rest).

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};

/// Start of the counting window (`--since`).
pub const SINCE: &str = "2026-06-01";
/// My addresses.
pub const ME: &str = "mia@corp.example";
/// My alias.
pub const ALIAS: &str = "mia.manager@corp.example";

/// "Now" of every run (a Wednesday, noon UTC: that morning's meetings are past, the
/// afternoon's upcoming).
pub fn now() -> NaiveDateTime {
    date(2026, 11, 25).and_hms_opt(12, 0, 0).unwrap()
}

pub fn since() -> NaiveDateTime {
    date(2026, 6, 1).and_hms_opt(0, 0, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The first `weekday` on or after the date, at `h:mm`.
fn first(weekday: Weekday, y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    let mut day = date(y, m, d);
    while day.weekday() != weekday {
        day = day.succ_opt().unwrap();
    }
    day.and_hms_opt(h, min, 0).unwrap()
}

/// The generator's seeded randomness (fastrand, as the crate uses), with the two questions
/// it asks.
pub struct Rng(fastrand::Rng);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(fastrand::Rng::with_seed(seed))
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0.u64(0..n)
    }

    fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }
}

/// The zone a series is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// `DTSTART:...Z`.
    Utc,
    /// `TZID=Europe/Berlin` (Google).
    Berlin,
    /// `TZID=W. Europe Standard Time` (Outlook; same rules as Berlin).
    Windows,
    /// `TZID=America/New_York`, no VTIMEZONE in the file.
    NewYork,
}

fn last_sunday(y: i32, m: u32) -> NaiveDate {
    let mut d = if m == 12 {
        date(y + 1, 1, 1)
    } else {
        date(y, m + 1, 1)
    }
    .pred_opt()
    .unwrap();
    while d.weekday() != Weekday::Sun {
        d = d.pred_opt().unwrap();
    }
    d
}

fn nth_weekday(y: i32, m: u32, weekday: Weekday, nth: u32) -> NaiveDate {
    let mut d = date(y, m, 1);
    while d.weekday() != weekday {
        d = d.succ_opt().unwrap();
    }
    d + Duration::weeks(i64::from(nth) - 1)
}

impl Zone {
    /// Local wall-clock time to UTC (meetings are never in the ambiguous night hours).
    fn to_utc(self, local: NaiveDateTime) -> NaiveDateTime {
        let y = local.year();
        let hours = match self {
            Zone::Utc => 0,
            Zone::Berlin | Zone::Windows => {
                let summer = last_sunday(y, 3).and_hms_opt(2, 0, 0).unwrap()
                    ..last_sunday(y, 10).and_hms_opt(3, 0, 0).unwrap();
                if summer.contains(&local) { 2 } else { 1 }
            }
            Zone::NewYork => {
                let summer = nth_weekday(y, 3, Weekday::Sun, 2)
                    .and_hms_opt(2, 0, 0)
                    .unwrap()
                    ..nth_weekday(y, 11, Weekday::Sun, 1)
                        .and_hms_opt(2, 0, 0)
                        .unwrap();
                if summer.contains(&local) { -4 } else { -5 }
            }
        };
        local - Duration::hours(hours)
    }

    fn tzid(self) -> &'static str {
        match self {
            Zone::Utc => "UTC",
            Zone::Berlin => "Europe/Berlin",
            Zone::Windows => "W. Europe Standard Time",
            Zone::NewYork => "America/New_York",
        }
    }

    /// A date-time property in this zone.
    fn prop(self, name: &str, local: NaiveDateTime) -> String {
        match self {
            Zone::Utc => format!("{name}:{}Z", ical(local)),
            z => format!("{name};TZID={}:{}", z.tzid(), ical(local)),
        }
    }
}

fn ical(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

/// How a series repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Every N weeks on the weekday of DTSTART.
    Weekly(u32),
    /// The Nth weekday (of DTSTART's weekday) of every month, `BYDAY=1TU`.
    MonthlyNth(u32),
    /// The same, written `BYDAY=TH;BYSETPOS=N`.
    MonthlySetPos(u32),
}

impl Rule {
    /// The configured cadence tete should report.
    fn cadence(self) -> String {
        match self {
            Rule::Weekly(1) => "weekly".into(),
            Rule::Weekly(2) => "biweekly".into(),
            Rule::Weekly(n) => format!("every-{n}-weeks"),
            Rule::MonthlyNth(_) | Rule::MonthlySetPos(_) => "monthly".into(),
        }
    }
}

/// How a calendar system writes the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Google,
    Outlook,
    /// A private calendar or a feed: no attendees, the title decides.
    Private,
}

/// What happened to one occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A `STATUS:CANCELLED` override.
    Status,
    /// An `EXDATE` on the master.
    Exdate,
    /// An override starting this much later (or earlier).
    Move(Duration),
    /// An override at the same instant (a description edit), written in UTC.
    Touch,
    /// An override where the other person declined (`PARTSTAT=DECLINED` on their attendee
    /// line): it did not take place.
    Decline,
}

/// One recurring series.
#[derive(Debug, Clone)]
pub struct Series {
    pub uid: String,
    pub summary: String,
    pub style: Style,
    pub zone: Zone,
    /// First occurrence, local wall-clock time.
    pub start: NaiveDateTime,
    pub minutes: i64,
    pub rule: Rule,
    /// The date of the last occurrence, when the rule has an UNTIL.
    pub until: Option<NaiveDate>,
    /// ORGANIZER / ATTENDEE lines, ready to write.
    pub people: Vec<String>,
    /// By original local start.
    pub changes: BTreeMap<NaiveDateTime, Change>,
}

impl Series {
    /// Local original starts up to (and including) `horizon`, or the UNTIL date.
    pub fn occurrences(&self, horizon: NaiveDate) -> Vec<NaiveDateTime> {
        let end = self.until.map_or(horizon, |u| u.min(horizon));
        let mut out = Vec::new();
        match self.rule {
            Rule::Weekly(n) => {
                let mut t = self.start;
                while t.date() <= end {
                    out.push(t);
                    t += Duration::weeks(i64::from(n));
                }
            }
            Rule::MonthlyNth(nth) | Rule::MonthlySetPos(nth) => {
                let (mut y, mut m) = (self.start.year(), self.start.month());
                loop {
                    let t =
                        nth_weekday(y, m, self.start.weekday(), nth).and_time(self.start.time());
                    if t.date() > end {
                        break;
                    }
                    if t >= self.start {
                        out.push(t);
                    }
                    (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                }
            }
        }
        out
    }

    /// The last occurrence on or before `day`, as the UNTIL of a series that ends there.
    fn last_on_or_before(&self, day: NaiveDate) -> NaiveDate {
        self.occurrences(day).last().unwrap().date()
    }

    fn byday(&self) -> &'static str {
        match self.start.weekday() {
            Weekday::Mon => "MO",
            Weekday::Tue => "TU",
            Weekday::Wed => "WE",
            Weekday::Thu => "TH",
            Weekday::Fri => "FR",
            Weekday::Sat => "SA",
            Weekday::Sun => "SU",
        }
    }

    fn rrule(&self) -> String {
        let until = self.until.map(|d| {
            let utc = match (self.style, self.zone) {
                // Outlook: the UTC start of the last occurrence, exactly.
                (Style::Outlook, z) => z.to_utc(d.and_time(self.start.time())),
                // Google: the end of the last day, local, in UTC.
                (_, z) => z.to_utc(d.and_hms_opt(23, 59, 59).unwrap()),
            };
            format!("UNTIL={}Z", ical(utc))
        });
        let byday = self.byday();
        let mut parts: Vec<String> = Vec::new();
        match (self.style, self.rule) {
            (Style::Outlook, Rule::Weekly(n)) => {
                parts.push("FREQ=WEEKLY".into());
                parts.extend(until);
                parts.push(format!("INTERVAL={n}"));
                parts.push(format!("BYDAY={byday}"));
                parts.push("WKST=MO".into());
            }
            (Style::Outlook, Rule::MonthlyNth(nth)) => {
                parts.push("FREQ=MONTHLY".into());
                parts.extend(until);
                parts.push("INTERVAL=1".into());
                parts.push(format!("BYDAY={nth}{byday}"));
                parts.push("WKST=MO".into());
            }
            (_, Rule::Weekly(n)) => {
                parts.push("FREQ=WEEKLY".into());
                if until.is_some() {
                    parts.push("WKST=MO".into());
                }
                parts.extend(until);
                if n > 1 {
                    parts.push(format!("INTERVAL={n}"));
                }
                parts.push(format!("BYDAY={byday}"));
            }
            (_, Rule::MonthlyNth(nth)) => {
                parts.push("FREQ=MONTHLY".into());
                parts.extend(until);
                parts.push(format!("BYDAY={nth}{byday}"));
            }
            (_, Rule::MonthlySetPos(nth)) => {
                parts.push("FREQ=MONTHLY".into());
                parts.extend(until);
                parts.push(format!("BYDAY={byday}"));
                parts.push(format!("BYSETPOS={nth}"));
            }
        }
        format!("RRULE:{}", parts.join(";"))
    }

    /// Picks cancellations and moves among occurrences from the first to a few weeks ahead.
    fn shake(&mut self, rng: &mut Rng, cancel_pct: u64, move_pct: u64) {
        let horizon = (now() + Duration::weeks(6)).date();
        for t in self.occurrences(horizon) {
            if self.changes.contains_key(&t) {
                continue;
            }
            let roll = rng.below(100);
            let change = if roll < cancel_pct {
                match self.style {
                    Style::Outlook => Change::Exdate,
                    _ if rng.percent(50) => Change::Exdate,
                    _ => Change::Status,
                }
            } else if roll < cancel_pct + move_pct + 3 && self.people.iter().any(|l| theirs(l)) {
                Change::Decline
            } else if roll < cancel_pct + move_pct {
                let shifts = [
                    Duration::days(1),
                    Duration::days(-1),
                    Duration::hours(2),
                    Duration::minutes(-30),
                    Duration::hours(5),
                    Duration::days(2),
                ];
                Change::Move(shifts[rng.below(shifts.len() as u64) as usize])
            } else if self.style == Style::Google && self.zone == Zone::Berlin && rng.percent(5) {
                Change::Touch
            } else {
                continue;
            };
            self.changes.insert(t, change);
        }
    }

    /// Every occurrence up to `horizon` as UTC (original start, start, cancelled).
    fn as_utc(&self, horizon: NaiveDate) -> Vec<(NaiveDateTime, NaiveDateTime, bool)> {
        self.occurrences(horizon)
            .into_iter()
            .map(|t| {
                let original = self.zone.to_utc(t);
                match self.changes.get(&t) {
                    Some(Change::Status | Change::Exdate | Change::Decline) => {
                        (original, original, true)
                    }
                    Some(Change::Move(d)) => (original, self.zone.to_utc(t + *d), false),
                    _ => (original, original, false),
                }
            })
            .collect()
    }

    fn write(&self, out: &mut Vec<String>) {
        let end = |t: NaiveDateTime| t + Duration::minutes(self.minutes);
        let exdates: Vec<NaiveDateTime> = self
            .changes
            .iter()
            .filter(|(_, c)| **c == Change::Exdate)
            .map(|(t, _)| *t)
            .collect();
        let mut master = vec!["BEGIN:VEVENT".to_string()];
        match self.style {
            Style::Outlook => {
                master.push("DESCRIPTION:\\n".into());
                master.push(self.rrule());
                for chunk in exdates.chunks(3) {
                    let dates: Vec<String> = chunk.iter().map(|t| ical(*t)).collect();
                    master.push(format!(
                        "EXDATE;TZID={}:{}",
                        self.zone.tzid(),
                        dates.join(",")
                    ));
                }
                master.push(format!("UID:{}", self.uid));
                master.push(format!("SUMMARY;LANGUAGE=en-US:{}", self.summary));
                master.push(self.zone.prop("DTSTART", self.start));
                master.push(self.zone.prop("DTEND", end(self.start)));
                master.extend(outlook_tail(0, 1));
                master.extend(self.people.iter().cloned());
            }
            Style::Google | Style::Private => {
                master.push(self.zone.prop("DTSTART", self.start));
                master.push(self.zone.prop("DTEND", end(self.start)));
                master.push(self.rrule());
                for t in &exdates {
                    master.push(self.zone.prop("EXDATE", *t));
                }
                master.push("DTSTAMP:20261120T101500Z".into());
                master.extend(self.people.iter().take(1).cloned());
                master.push(format!("UID:{}", self.uid));
                master.extend(self.people.iter().skip(1).cloned());
                master.push("CREATED:20251201T090000Z".into());
                master.push(
                    "DESCRIPTION:Shared notes: https://docs.example.com/d/1on1-notes-kept-here-for-every-meeting-we-have"
                        .into(),
                );
                master.push("LAST-MODIFIED:20261101T120000Z".into());
                master.push("SEQUENCE:0".into());
                master.push("STATUS:CONFIRMED".into());
                master.push(format!("SUMMARY:{}", self.summary));
                master.push("TRANSP:OPAQUE".into());
            }
        }
        master.push("END:VEVENT".into());
        out.extend(master);
        for (t, change) in &self.changes {
            let (start, status) = match change {
                Change::Exdate => continue,
                Change::Status => (self.zone.prop("DTSTART", *t), "CANCELLED"),
                Change::Decline => (self.zone.prop("DTSTART", *t), "CONFIRMED"),
                Change::Move(d) => (self.zone.prop("DTSTART", *t + *d), "CONFIRMED"),
                Change::Touch => (
                    format!("DTSTART:{}Z", ical(self.zone.to_utc(*t))),
                    "CONFIRMED",
                ),
            };
            let moved_to = match change {
                Change::Move(d) => *t + *d,
                _ => *t,
            };
            let end = match change {
                Change::Touch => format!("DTEND:{}Z", ical(self.zone.to_utc(end(*t)))),
                _ => self.zone.prop("DTEND", end(moved_to)),
            };
            out.push("BEGIN:VEVENT".into());
            match self.style {
                Style::Outlook => {
                    out.push("DESCRIPTION:Moved\\, sorry!\\n".into());
                    out.push(format!("UID:{}", self.uid));
                    out.push(self.zone.prop("RECURRENCE-ID", *t));
                    out.push(format!("SUMMARY;LANGUAGE=en-US:{}", self.summary));
                    out.push(start);
                    out.push(end);
                    out.extend(outlook_tail(1, 3));
                    out.extend(self.people_answering(*change));
                }
                Style::Google | Style::Private => {
                    out.push(start);
                    out.push(end);
                    out.push("DTSTAMP:20261120T101500Z".into());
                    let people = self.people_answering(*change);
                    out.extend(people.iter().take(1).cloned());
                    out.push(format!("UID:{}", self.uid));
                    out.extend(people.iter().skip(1).cloned());
                    out.push(self.zone.prop("RECURRENCE-ID", *t));
                    out.push("SEQUENCE:1".into());
                    out.push(format!("STATUS:{status}"));
                    out.push(format!("SUMMARY:{}", self.summary));
                }
            }
            out.push("END:VEVENT".into());
        }
    }
}

impl Series {
    /// The participant lines of an override: as the series has them, except that for a
    /// decline the other person's answer is `DECLINED` (never mine, never a room's).
    fn people_answering(&self, change: Change) -> Vec<String> {
        self.people
            .iter()
            .map(|line| {
                if change == Change::Decline && theirs(line) {
                    line.replace("PARTSTAT=ACCEPTED", "PARTSTAT=DECLINED")
                        .replace("PARTSTAT=NEEDS-ACTION", "PARTSTAT=DECLINED")
                } else {
                    line.clone()
                }
            })
            .collect()
    }
}

/// Whether a participant line is the other person's attendee line (not mine, not a room's).
fn theirs(line: &str) -> bool {
    line.starts_with("ATTENDEE")
        && !line.to_lowercase().contains(ME)
        && !line.to_lowercase().contains(ALIAS)
        && !line.contains("CUTYPE=ROOM")
        && !line.contains("@resource.calendar.google.com")
}

fn outlook_tail(sequence: u32, insttype: u32) -> Vec<String> {
    [
        "CLASS:PUBLIC".to_string(),
        "PRIORITY:5".into(),
        "DTSTAMP:20261120T101500Z".into(),
        "TRANSP:OPAQUE".into(),
        "STATUS:CONFIRMED".into(),
        format!("SEQUENCE:{sequence}"),
        "LOCATION;LANGUAGE=en-US:Microsoft Teams Meeting".into(),
        format!("X-MICROSOFT-CDO-APPT-SEQUENCE:{sequence}"),
        "X-MICROSOFT-CDO-OWNERAPPTID:2118419561".into(),
        "X-MICROSOFT-CDO-BUSYSTATUS:BUSY".into(),
        "X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY".into(),
        "X-MICROSOFT-CDO-ALLDAYEVENT:FALSE".into(),
        "X-MICROSOFT-CDO-IMPORTANCE:1".into(),
        format!("X-MICROSOFT-CDO-INSTTYPE:{insttype}"),
        "X-MICROSOFT-DONOTFORWARDMEETING:FALSE".into(),
        "X-MICROSOFT-DISALLOW-COUNTER:FALSE".into(),
        "X-MICROSOFT-LOCATIONS:[{\"DisplayName\":\"Microsoft Teams Meeting\"}]".into(),
    ]
    .into()
}

/// A person: name (CN) and address.
#[derive(Debug, Clone, Copy)]
pub struct P {
    pub cn: &'static str,
    pub email: &'static str,
}

const MIA: P = P {
    cn: "Mia Manager",
    email: ME,
};

fn quoted(cn: &str) -> String {
    if cn.contains([',', ';', ':']) {
        format!("\"{cn}\"")
    } else {
        cn.to_string()
    }
}

fn g_organizer(p: P) -> String {
    format!("ORGANIZER;CN={}:mailto:{}", quoted(p.cn), p.email)
}

fn g_attendee(p: P) -> String {
    format!(
        "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN={};X-NUM-GUESTS=0:mailto:{}",
        quoted(p.cn),
        p.email
    )
}

/// Google: the organizer is also listed as an attendee.
fn google_people(organizer: P, others: &[P]) -> Vec<String> {
    let mut v = vec![g_organizer(organizer), g_attendee(organizer)];
    v.extend(others.iter().map(|p| g_attendee(*p)));
    v
}

fn o_organizer(p: P) -> String {
    format!("ORGANIZER;CN={}:mailto:{}", quoted(p.cn), p.email)
}

fn o_attendee(cn: &str, address: &str) -> String {
    format!(
        "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN={}:{address}",
        quoted(cn)
    )
}

const ROOM_FJORD: &str = "ATTENDEE;CUTYPE=ROOM;ROLE=NON-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Fjord (4):mailto:room-fjord@corp.example";
const GOOGLE_ROOM: &str = "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Berlin-3-Kiez (6) [Zoom];X-NUM-GUESTS=0:mailto:c_1889a8b4kg1f2ibhjc1t4lh5c7t2o@resource.calendar.google.com";

/// What a relationship should look like in the report.
#[derive(Debug, Clone)]
pub struct TruthRel {
    /// Lower-cased address, or `None` for a title-only relationship.
    pub email: Option<String>,
    /// The name tete shows (CN, or the name in the title).
    pub name: String,
    /// Every series UID.
    pub series: Vec<String>,
    /// The cadence of the current (last) series.
    pub cadence: String,
    /// Every occurrence up to tomorrow: (original start, start, cancelled), UTC.
    pub occurrences: Vec<(NaiveDateTime, NaiveDateTime, bool)>,
    /// The last meeting that took place (UTC start).
    pub last_held: Option<NaiveDateTime>,
    /// The next meeting to come (UTC start).
    pub next: Option<NaiveDateTime>,
    /// What makes it interesting, for messages.
    pub note: &'static str,
}

impl TruthRel {
    /// Held / moved / cancelled counting from `since` instead of [`SINCE`].
    pub fn counts(&self, since: NaiveDateTime) -> (usize, usize, usize) {
        counts(&self.occurrences, since)
    }
}

/// Held / moved / cancelled by the documented definitions: an occurrence counts when its
/// original start is in `[since, now)`; cancelled = STATUS:CANCELLED or EXDATE; moved = not
/// cancelled and starting other than its original start; held = the rest.
fn counts(
    occurrences: &[(NaiveDateTime, NaiveDateTime, bool)],
    since: NaiveDateTime,
) -> (usize, usize, usize) {
    let now = now();
    let (mut held, mut moved, mut cancelled) = (0, 0, 0);
    for (original, start, gone) in occurrences {
        if *original < since || *original >= now {
            continue;
        }
        match (gone, start != original) {
            (true, _) => cancelled += 1,
            (false, true) => moved += 1,
            (false, false) => held += 1,
        }
    }
    (held, moved, cancelled)
}

/// A recurring series that is not a 1:1 of mine.
#[derive(Debug, Clone)]
pub struct Decoy {
    pub uid: String,
    pub summary: String,
    pub why: &'static str,
    /// What `tete list --explain` must say about it.
    pub reason: &'static str,
}

/// The calendar and what tete should find in it.
pub struct Generated {
    pub ics: String,
    pub truth: Vec<TruthRel>,
    pub decoys: Vec<Decoy>,
    /// One-off events (not series); none may appear among series.
    pub one_offs: Vec<String>,
}

struct Builder<'a> {
    rng: Rng,
    series: Vec<Series>,
    truth: Vec<TruthRel>,
    decoys: Vec<Decoy>,
    singles: Vec<Vec<String>>,
    one_offs: Vec<String>,
    edit: &'a dyn Fn(&mut Series),
}

fn series(
    uid: &str,
    summary: &str,
    style: Style,
    zone: Zone,
    start: NaiveDateTime,
    rule: Rule,
    people: Vec<String>,
) -> Series {
    Series {
        uid: uid.to_string(),
        summary: summary.to_string(),
        style,
        zone,
        start,
        minutes: 30,
        rule,
        until: None,
        people,
        changes: BTreeMap::new(),
    }
}

impl Builder<'_> {
    /// Adds the series of one relationship (oldest first) and its truth.
    fn relationship(
        &mut self,
        who: Option<P>,
        name: &str,
        mut list: Vec<Series>,
        note: &'static str,
    ) {
        list.iter_mut().for_each(self.edit);
        let now = now();
        let occurrences: Vec<_> = list
            .iter()
            .flat_map(|s| s.as_utc(now.date() + Duration::days(1)))
            .collect();
        let starts: Vec<NaiveDateTime> = list
            .iter()
            .flat_map(|s| s.as_utc((now + Duration::weeks(12)).date()))
            .filter(|(_, _, gone)| !gone)
            .map(|(_, start, _)| start)
            .collect();
        self.truth.push(TruthRel {
            last_held: starts.iter().filter(|t| **t < now).max().copied(),
            next: starts.iter().filter(|t| **t >= now).min().copied(),
            email: who.map(|p| p.email.to_lowercase()),
            name: name.to_string(),
            series: list.iter().map(|s| s.uid.clone()).collect(),
            cadence: list.last().unwrap().rule.cadence(),
            occurrences,
            note,
        });
        self.series.extend(list);
    }

    fn decoy(&mut self, s: Series, why: &'static str, reason: &'static str) {
        self.decoys.push(Decoy {
            uid: s.uid.clone(),
            summary: s.summary.clone(),
            why,
            reason,
        });
        self.series.push(s);
    }

    fn single(&mut self, uid: &str, summary: &str, start_utc: NaiveDateTime, people: Vec<String>) {
        let mut v = vec![
            "BEGIN:VEVENT".to_string(),
            format!("DTSTART:{}Z", ical(start_utc)),
            format!("DTEND:{}Z", ical(start_utc + Duration::minutes(30))),
            "DTSTAMP:20261120T101500Z".into(),
            format!("UID:{uid}"),
        ];
        v.extend(people);
        v.push(format!("SUMMARY:{summary}"));
        v.push("STATUS:CONFIRMED".into());
        v.push("END:VEVENT".into());
        self.singles.push(v);
        self.one_offs.push(uid.to_string());
    }
}

/// Splits a Google series at `day`: the first part ends (UNTIL) on its last occurrence
/// before `day`; the rest continues as a new series with the given rule and start.
fn split(
    mut old: Series,
    new_uid: &str,
    new_start: NaiveDateTime,
    new_rule: Rule,
) -> (Series, Series) {
    old.until = Some(old.last_on_or_before(new_start.date() - Duration::days(1)));
    let mut new = old.clone();
    new.uid = new_uid.to_string();
    new.start = new_start;
    new.rule = new_rule;
    new.until = None;
    new.changes.clear();
    (old, new)
}

#[rustfmt::skip]
const REPORTS: [P; 20] = [
    P { cn: "Ann Berger", email: "ann.berger@corp.example" },
    P { cn: "Okafor, Ben", email: "ben.okafor@corp.example" },
    P { cn: "Carla Díaz", email: "carla.diaz@corp.example" },
    P { cn: "Dev Patel", email: "dev.patel@corp.example" },
    P { cn: "Elif Yılmaz", email: "elif.yilmaz@corp.example" },
    P { cn: "Finn Larsen", email: "finn.larsen@corp.example" },
    P { cn: "Grace Lee", email: "grace.lee@corp.example" },
    P { cn: "Hana Sato", email: "hana.sato@corp.example" },
    P { cn: "Ivan Petrov", email: "ivan.petrov@corp.example" },
    P { cn: "Jonas Weber", email: "jonas.weber@corp.example" },
    P { cn: "Kofi Mensah", email: "kofi.mensah@corp.example" },
    P { cn: "Lena Fischer", email: "lena.fischer@corp.example" },
    P { cn: "Marco Rossi", email: "marco.rossi@corp.example" },
    P { cn: "Nora Kim", email: "nora.kim@corp.example" },
    P { cn: "Omar Haddad", email: "omar.haddad@corp.example" },
    P { cn: "Priya Nair", email: "priya.nair@corp.example" },
    P { cn: "Quinn Adeyemi", email: "quinn.adeyemi@corp.example" },
    P { cn: "Rosa Lima", email: "rosa.lima@corp.example" },
    P { cn: "Sam Taylor", email: "sam.taylor@corp.example" },
    P { cn: "Tess Novak", email: "tess.novak@corp.example" },
];

const OLGA: P = P {
    cn: "Olga Ivanova (HR)",
    email: "olga.ivanova@corp.example",
};
const ZOE: P = P {
    cn: "Zoe Recruiter",
    email: "zoe@talent.example",
};

/// The calendar for `seed` (cancellations and moves vary with it; the people and series do
/// not).
pub fn generate(seed: u64) -> Generated {
    generate_edited(seed, &|_| {})
}

/// The calendar for `seed`, with every 1:1 series passed through `edit` (to change what
/// happened to some occurrences, as between two cycles) before the truth is counted.
pub fn generate_edited(seed: u64, edit: &dyn Fn(&mut Series)) -> Generated {
    let mut b = Builder {
        edit,
        rng: Rng::new(seed),
        series: Vec::new(),
        truth: Vec::new(),
        decoys: Vec::new(),
        singles: Vec::new(),
        one_offs: Vec::new(),
    };
    let [
        ann,
        ben,
        carla,
        dev,
        elif,
        finn,
        grace,
        hana,
        ivan,
        jonas,
        kofi,
        lena,
        marco,
        nora,
        omar,
        priya,
        quinn,
        rosa,
        sam,
        tess,
    ] = REPORTS;
    use Rule::*;
    use Style::*;
    use Zone::*;

    // Ann: Google weekly on Mondays, me organizing, a room (CUTYPE=ROOM) that must not count.
    let mut people = google_people(MIA, &[ann]);
    people.push(ROOM_FJORD.into());
    let mut s = series(
        "3k1l8e0v2c4h6m5a@google.com",
        "Ann / Mia 1:1",
        Google,
        Berlin,
        first(Weekday::Mon, 2026, 1, 5, 10, 0),
        Weekly(1),
        people,
    );
    s.shake(&mut b.rng, 10, 12);
    b.relationship(
        Some(ann),
        ann.cn,
        vec![s],
        "Google weekly, room with CUTYPE=ROOM",
    );

    // Ben: Outlook biweekly, Ben organizes, I am an attendee under my alias in capitals.
    let people = vec![
        o_organizer(ben),
        // Outlook could not resolve the organizer's own attendee line.
        o_attendee("Okafor, Ben", "invalid:nomail"),
        o_attendee("Mia Manager", "MAILTO:Mia.Manager@Corp.Example"),
    ];
    let mut s = series(
        "040000008200E00074C5B7101A82E00800000000B0E4C1D2A3F4DA01000000000000000010000000A1B2C3D4E5F60718293A4B5C6D7E8F90",
        "Ben / Mia",
        Outlook,
        Windows,
        first(Weekday::Thu, 2026, 2, 5, 15, 0),
        Weekly(2),
        people,
    );
    s.shake(&mut b.rng, 18, 15);
    // Before that, a private title-only series; Exchange names him "Okafor, Ben".
    let mut private = series(
        "ben-private@example.net",
        "Ben / Mia 1:1",
        Private,
        Berlin,
        first(Weekday::Thu, 2026, 1, 8, 15, 0),
        Weekly(1),
        Vec::new(),
    );
    private.until = Some(private.last_on_or_before(date(2026, 1, 31)));
    b.relationship(
        Some(ben),
        ben.cn,
        vec![private, s],
        "Outlook biweekly, report organizes, alias attendee, \"Last, First\" name",
    );

    // Dana: one person under two addresses on one domain. A Google weekly under
    // dana@corp.example ("Dana Whitfield") until March, then an Outlook biweekly she organizes
    // under dana.whitfield@corp.example ("Whitfield, Dana"): one relationship, under the
    // address tete keeps (each has one series: the first in order).
    let dana_google = P {
        cn: "Dana Whitfield",
        email: "dana@corp.example",
    };
    let dana_outlook = P {
        cn: "Whitfield, Dana",
        email: "dana.whitfield@corp.example",
    };
    let mut before = series(
        "d4n4w33kly@google.com",
        "Dana / Mia",
        Google,
        Berlin,
        first(Weekday::Mon, 2026, 1, 5, 16, 0),
        Weekly(1),
        google_people(MIA, &[dana_google]),
    );
    before.until = Some(before.last_on_or_before(date(2026, 3, 2)));
    before.shake(&mut b.rng, 10, 10);
    let mut after = series(
        "040000008200E00074C5B7101A82E00800000000D4A4D4A4D4A4DA01000000000000000010000000D4A4D4A4D4A4D4A4",
        "Dana / Mia 1:1",
        Outlook,
        Windows,
        first(Weekday::Thu, 2026, 3, 12, 10, 0),
        Weekly(2),
        vec![
            o_organizer(dana_outlook),
            o_attendee("Mia Manager", "mailto:mia@corp.example"),
        ],
    );
    after.shake(&mut b.rng, 10, 10);
    b.relationship(
        Some(dana_outlook),
        dana_outlook.cn,
        vec![before, after],
        "one person under two addresses and two names (Google, then Exchange)",
    );

    // Carla: a Google weekly split into a biweekly ("this and following" gives a _R UID).
    let mut people = google_people(MIA, &[carla]);
    people[2] = people[2].replace(
        "mailto:carla.diaz@corp.example",
        "MAILTO:Carla.Diaz@Corp.Example",
    );
    let old = series(
        "7q2p0s9d8f6g5h4j@google.com",
        "Carla <> Mia weekly",
        Google,
        Berlin,
        first(Weekday::Tue, 2026, 1, 6, 11, 0),
        Weekly(1),
        people,
    );
    let (mut old, mut new) = split(
        old,
        "7q2p0s9d8f6g5h4j_R20260818T090000@google.com",
        first(Weekday::Tue, 2026, 8, 18, 11, 0),
        Weekly(2),
    );
    new.summary = "Carla <> Mia".into();
    new.people[2] = g_attendee(carla);
    old.shake(&mut b.rng, 10, 10);
    new.shake(&mut b.rng, 10, 10);
    b.relationship(
        Some(carla),
        carla.cn,
        vec![old, new],
        "weekly -> biweekly, address case differs",
    );

    // Dev: monthly on the first Tuesday (BYDAY=1TU), Google.
    let mut s = series(
        "0a9s8d7f6g5h4j3k@google.com",
        "Dev / Mia monthly",
        Google,
        Berlin,
        first(Weekday::Tue, 2026, 1, 6, 14, 0),
        MonthlyNth(1),
        google_people(MIA, &[dev]),
    );
    s.shake(&mut b.rng, 10, 20);
    b.relationship(Some(dev), dev.cn, vec![s], "monthly BYDAY=1TU");

    // Elif: Outlook every three weeks, me organizing, Outlook's VTIMEZONE.
    let people = vec![
        o_organizer(MIA),
        o_attendee("Elif Yılmaz", "MAILTO:elif.yilmaz@corp.example"),
    ];
    let mut s = series(
        "040000008200E00074C5B7101A82E0080000000070C3A5F1D2F4DA01000000000000000010000000E1F2A3B4C5D6E7F8091A2B3C4D5E6F70",
        "1:1 Elif",
        Outlook,
        Windows,
        first(Weekday::Wed, 2026, 3, 4, 9, 30),
        Weekly(3),
        people,
    );
    s.shake(&mut b.rng, 12, 12);
    b.relationship(Some(elif), elif.cn, vec![s], "Outlook every 3 weeks");

    // Finn: Google weekly with a Google resource room without CUTYPE.
    let mut people = google_people(MIA, &[finn]);
    people.push(GOOGLE_ROOM.into());
    let mut s = series(
        "f1nnl4rs3n0w33kly@google.com",
        "Finn weekly sync",
        Google,
        Berlin,
        first(Weekday::Fri, 2026, 2, 6, 13, 0),
        Weekly(1),
        people,
    );
    s.shake(&mut b.rng, 10, 10);
    b.relationship(
        Some(finn),
        finn.cn,
        vec![s],
        "Google resource room without CUTYPE",
    );

    // Grace organizes (Google), her address in capitals on her side.
    let people = vec![
        "ORGANIZER;CN=Grace Lee:MAILTO:Grace.Lee@Corp.Example".to_string(),
        "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Grace Lee;X-NUM-GUESTS=0:MAILTO:Grace.Lee@Corp.Example".into(),
        g_attendee(MIA),
    ];
    let mut s = series(
        "gr4c3l33@google.com",
        "Grace & Mia",
        Google,
        Berlin,
        first(Weekday::Wed, 2026, 4, 1, 16, 0),
        Weekly(1),
        people,
    );
    s.shake(&mut b.rng, 8, 10);
    b.relationship(
        Some(grace),
        grace.cn,
        vec![s],
        "report organizes, address in capitals",
    );

    // Hana: an Outlook biweekly that ended (UNTIL) and a monthly that followed (new UID).
    let people = vec![
        o_organizer(hana),
        o_attendee("Hana Sato", "mailto:hana.sato@corp.example"),
        o_attendee("Mia Manager", "mailto:mia@corp.example"),
    ];
    let old = series(
        "040000008200E00074C5B7101A82E00800000000D0A1B2C3E4F5DA01000000000000000010000000AABBCCDDEEFF00112233445566778899",
        "Hana / Mia",
        Outlook,
        Windows,
        first(Weekday::Mon, 2026, 2, 2, 14, 0),
        Weekly(2),
        people,
    );
    let (mut old, mut new) = split(
        old,
        "040000008200E00074C5B7101A82E0080000000011223344556677880000000000000000100000009988776655443322110011223344556677",
        first(Weekday::Thu, 2026, 9, 8, 14, 0),
        MonthlyNth(2),
    );
    // Outlook could not resolve my address on this one: "invalid:nomail", my name only.
    new.people[2] = o_attendee("Mia Manager", "invalid:nomail");
    old.shake(&mut b.rng, 15, 10);
    new.shake(&mut b.rng, 15, 10);
    b.relationship(
        Some(hana),
        hana.cn,
        vec![old, new],
        "Outlook biweekly -> monthly BYDAY=2TH, me as invalid:nomail",
    );

    // Ivan: remote, America/New_York (a zone with other DST dates), weekly.
    let mut s = series(
        "1v4np3tr0v@google.com",
        "Ivan:Mia",
        Google,
        NewYork,
        first(Weekday::Tue, 2026, 3, 3, 9, 0),
        Weekly(1),
        google_people(MIA, &[ivan]),
    );
    s.shake(&mut b.rng, 10, 15);
    b.relationship(Some(ivan), ivan.cn, vec![s], "America/New_York");

    // Jonas: biweekly that keeps slipping, plus one-off 1:1s booked between.
    let mut s = series(
        "j0n4sw3b3r@google.com",
        "Jonas / Mia",
        Google,
        Berlin,
        first(Weekday::Thu, 2026, 1, 8, 10, 0),
        Weekly(2),
        google_people(MIA, &[jonas]),
    );
    s.shake(&mut b.rng, 35, 20);
    b.relationship(
        Some(jonas),
        jonas.cn,
        vec![s],
        "biweekly slipping, with one-offs",
    );
    b.single(
        "adhoc-jonas-1@google.com",
        "Jonas / Mia (extra)",
        date(2026, 10, 14).and_hms_opt(13, 0, 0).unwrap(),
        google_people(MIA, &[jonas]),
    );
    b.single(
        "adhoc-jonas-2@google.com",
        "Quick chat Jonas",
        date(2026, 11, 4).and_hms_opt(13, 0, 0).unwrap(),
        google_people(jonas, &[MIA]),
    );

    // Kofi: UTC-only export, weekly.
    let mut s = series(
        "k0f1-m3nsah-utc",
        "Kofi 1on1",
        Google,
        Utc,
        first(Weekday::Mon, 2026, 3, 2, 14, 0),
        Weekly(1),
        google_people(MIA, &[kofi]),
    );
    s.shake(&mut b.rng, 10, 10);
    b.relationship(Some(kofi), kofi.cn, vec![s], "times in UTC");

    // Lena: monthly on the third Thursday, written BYDAY=TH;BYSETPOS=3.
    let mut s = series(
        "l3n4-f1sch3r-monthly@corp.example",
        "Lena / Mia",
        Google,
        Berlin,
        first(Weekday::Thu, 2026, 1, 15, 15, 0),
        MonthlySetPos(3),
        google_people(lena, &[MIA]),
    );
    s.shake(&mut b.rng, 10, 15);
    b.relationship(Some(lena), lena.cn, vec![s], "monthly BYSETPOS");

    // Marco: weekly; next week's is cancelled already, and one from next week was pulled
    // forward into the past: neither counts (original start not in [since, now)).
    let mut s = series(
        "m4rc0r0ss1@google.com",
        "Marco / Mia 1:1",
        Google,
        Berlin,
        first(Weekday::Tue, 2026, 4, 7, 9, 0),
        Weekly(1),
        google_people(MIA, &[marco]),
    );
    s.changes.insert(
        first(Weekday::Tue, 2026, 12, 1, 9, 0),
        Change::Move(Duration::days(-8)),
    );
    s.changes
        .insert(first(Weekday::Tue, 2026, 12, 8, 9, 0), Change::Status);
    s.changes
        .insert(first(Weekday::Tue, 2026, 12, 15, 9, 0), Change::Exdate);
    s.shake(&mut b.rng, 10, 10);
    b.relationship(
        Some(marco),
        marco.cn,
        vec![s],
        "future cancellations, pulled forward",
    );

    // Nora: a young biweekly (October), created on my secondary Google calendar, which is
    // then the organizer (a calendar, not a person).
    let mut people = google_people(MIA, &[nora]);
    people[0] =
        "ORGANIZER;CN=Mia's 1:1s:mailto:c_7f3e2d1b0a9c8e7f6d5c4b3a2918@group.calendar.google.com"
            .into();
    let mut s = series(
        "n0r4k1m@google.com",
        "Nora / Mia",
        Google,
        Berlin,
        first(Weekday::Wed, 2026, 10, 7, 11, 0),
        Weekly(2),
        people,
    );
    s.shake(&mut b.rng, 10, 10);
    b.relationship(
        Some(nora),
        nora.cn,
        vec![s],
        "young, organized by a secondary calendar",
    );

    // Omar: Outlook weekly, me organizing, EXDATEs several a line, one this morning.
    let people = vec![
        o_organizer(P {
            cn: "Mia Manager",
            email: ALIAS,
        }),
        o_attendee("Omar Haddad", "MAILTO:Omar.Haddad@corp.example"),
        o_attendee("Fjord (4)", "mailto:room-fjord@corp.example")
            .replace("ATTENDEE;", "ATTENDEE;CUTYPE=ROOM;"),
    ];
    let mut s = series(
        "040000008200E00074C5B7101A82E008000000005F3C2B1A0E9DDA01000000000000000010000000123456789ABCDEF0123456789ABCDEF0",
        "Omar <> Mia 1:1",
        Outlook,
        Windows,
        first(Weekday::Wed, 2026, 1, 7, 9, 0),
        Weekly(1),
        people,
    );
    s.shake(&mut b.rng, 20, 10);
    b.relationship(Some(omar), omar.cn, vec![s], "Outlook weekly, many EXDATEs");

    // Priya: Google every three weeks.
    let mut s = series(
        "pr1y4n41r@google.com",
        "Priya x Mia",
        Google,
        Berlin,
        first(Weekday::Mon, 2026, 2, 16, 15, 30),
        Weekly(3),
        google_people(MIA, &[priya]),
    );
    s.shake(&mut b.rng, 10, 10);
    b.relationship(Some(priya), priya.cn, vec![s], "Google every 3 weeks");

    // Quinn: first a private title-only series, then a real one with an address.
    let mut old = series(
        "quinn-private-1on1@example.net",
        "Quinn / Mia 1:1",
        Private,
        Berlin,
        first(Weekday::Fri, 2026, 1, 9, 9, 0),
        Weekly(1),
        Vec::new(),
    );
    old.until = Some(old.last_on_or_before(date(2026, 5, 8)));
    old.shake(&mut b.rng, 10, 10);
    let mut new = series(
        "qu1nn4d3y3m1@google.com",
        "Quinn / Mia",
        Google,
        Berlin,
        first(Weekday::Fri, 2026, 5, 15, 9, 0),
        Weekly(1),
        google_people(MIA, &[quinn]),
    );
    new.shake(&mut b.rng, 10, 10);
    b.relationship(
        Some(quinn),
        quinn.cn,
        vec![old, new],
        "title-only series joins the addressed one",
    );

    // Rosa: weekly on Fridays; the one before the window was moved into it (does not count).
    let mut s = series(
        "r0s4l1m4@google.com",
        "Rosa / Mia",
        Google,
        Berlin,
        first(Weekday::Fri, 2026, 3, 6, 10, 0),
        Weekly(1),
        google_people(rosa, &[MIA]),
    );
    s.changes.insert(
        first(Weekday::Fri, 2026, 5, 29, 10, 0),
        Change::Move(Duration::days(3)),
    );
    s.shake(&mut b.rng, 10, 10);
    b.relationship(
        Some(rosa),
        rosa.cn,
        vec![s],
        "moved into the window from before it",
    );

    // Sam left in August: the series ended (UNTIL), nothing follows.
    let mut s = series(
        "s4mt4yl0r@google.com",
        "Sam / Mia",
        Google,
        Berlin,
        first(Weekday::Thu, 2026, 2, 5, 9, 0),
        Weekly(1),
        google_people(MIA, &[sam]),
    );
    s.until = Some(s.last_on_or_before(date(2026, 8, 14)));
    s.shake(&mut b.rng, 10, 10);
    b.relationship(Some(sam), sam.cn, vec![s], "ended in August, nothing next");

    // Tess starts next week: nothing in the past yet.
    let mut s = series(
        "t3ssn0v4k@google.com",
        "Tess / Mia 1:1",
        Google,
        Berlin,
        first(Weekday::Tue, 2026, 12, 1, 10, 0),
        Weekly(1),
        google_people(MIA, &[tess]),
    );
    s.shake(&mut b.rng, 10, 10);
    b.relationship(Some(tess), tess.cn, vec![s], "starts next week");

    // Tomás: a private calendar, no attendees: "1-1 Tomás <> Mia".
    let mut s = series(
        "tomas-private@example.net",
        "1-1 Tomás <> Mia",
        Private,
        Berlin,
        first(Weekday::Mon, 2026, 4, 6, 16, 0),
        Weekly(1),
        Vec::new(),
    );
    s.shake(&mut b.rng, 10, 10);
    b.relationship(None, "Tomás", vec![s], "title-only, no attendees");

    // Uma: only me as organizer: "Uma / Mia 1:1", biweekly.
    let mut s = series(
        "uma-1on1@example.net",
        "Uma / Mia 1:1",
        Private,
        Berlin,
        first(Weekday::Tue, 2026, 5, 5, 16, 0),
        Weekly(2),
        vec![g_organizer(MIA)],
    );
    s.shake(&mut b.rng, 10, 10);
    b.relationship(None, "Uma", vec![s], "title-only, me as organizer");

    // Decoys.
    let mut team = vec![g_organizer(MIA), g_attendee(MIA)];
    team.extend(
        [ann, carla, finn, jonas, marco, nora]
            .iter()
            .map(|p| g_attendee(*p)),
    );
    team.push(ROOM_FJORD.into());
    b.decoy(
        series(
            "t34mw33kly@google.com",
            "Team weekly",
            Google,
            Berlin,
            first(Weekday::Mon, 2026, 1, 5, 11, 0),
            Weekly(1),
            team,
        ),
        "team series",
        "6 people besides me",
    );
    b.decoy(
        series(
            "ann-mia-ben@google.com",
            "Ann / Mia 1:1",
            Google,
            Berlin,
            first(Weekday::Thu, 2026, 3, 5, 12, 0),
            Weekly(2),
            google_people(MIA, &[ann, ben]),
        ),
        "three people with a 1:1 title",
        "2 people besides me",
    );
    // A recruiter-style weekly slot with one other person: two people, but not a 1:1.
    b.decoy(
        series(
            "interview-slot@google.com",
            "Interview: backend loop",
            Google,
            Berlin,
            first(Weekday::Tue, 2026, 1, 6, 15, 0),
            Weekly(1),
            google_people(MIA, &[jonas]),
        ),
        "a recurring interview slot",
        "recurring slot",
    );
    b.decoy(
        series(
            "room-hold@google.com",
            "Planning (room hold)",
            Google,
            Berlin,
            first(Weekday::Wed, 2026, 1, 7, 14, 0),
            Weekly(1),
            vec![g_organizer(MIA), g_attendee(MIA), ROOM_FJORD.into()],
        ),
        "me and a room",
        "nobody but me and a room",
    );
    b.decoy(
        series(
            "google-room-only@google.com",
            "Hiring debrief slot",
            Google,
            Berlin,
            first(Weekday::Fri, 2026, 1, 9, 15, 0),
            Weekly(1),
            vec![g_organizer(MIA), g_attendee(MIA), GOOGLE_ROOM.into()],
        ),
        "me and a Google resource",
        "nobody but me and a room",
    );
    b.decoy(
        series(
            "prep-block@google.com",
            "1:1 prep",
            Google,
            Berlin,
            first(Weekday::Mon, 2026, 1, 5, 9, 0),
            Weekly(1),
            vec![g_organizer(MIA)],
        ),
        "prep block",
        "preparation",
    );
    b.decoy(
        series(
            "ben-carla@google.com",
            "Ben / Carla 1:1",
            Google,
            Berlin,
            first(Weekday::Tue, 2026, 2, 3, 15, 0),
            Weekly(2),
            vec![g_organizer(ben), g_attendee(ben), g_attendee(carla)],
        ),
        "someone else's 1:1",
        "2 people besides me",
    );
    b.decoy(
        series(
            "wen-xavier@example.net",
            "Wen / Xavier 1:1",
            Private,
            Berlin,
            first(Weekday::Wed, 2026, 2, 4, 10, 0),
            Weekly(1),
            Vec::new(),
        ),
        "someone else's 1:1, title only",
        "neither is me",
    );
    b.decoy(series("leads-sync@google.com", "Leads sync", Google, Berlin,
        first(Weekday::Thu, 2026, 1, 8, 16, 0), Weekly(1), vec![
            g_organizer(MIA),
            g_attendee(MIA),
            "ATTENDEE;CUTYPE=GROUP;ROLE=REQ-PARTICIPANT;CN=Eng leads:mailto:eng-leads@corp.example".into(),
        ]), "a mailing list", "group or mailing list");
    b.decoy(series(
        "040000008200E00074C5B7101A82E00800000000ABCDEF0123456789DA01000000000000000010000000FEDCBA9876543210FEDCBA9876543210",
        "Hana / Mia 1:1 (with HR)", Outlook, Windows, first(Weekday::Fri, 2026, 3, 6, 11, 0), MonthlyNth(1),
        vec![
            o_organizer(hana),
            o_attendee("Mia Manager", "MAILTO:mia@corp.example"),
            o_attendee(OLGA.cn, &format!("mailto:{}", OLGA.email)),
        ]), "three people, Outlook", "2 people besides me");

    // One-off meetings: a 1:1 with someone who is no report, a team offsite.
    b.single(
        "zoe-intro@google.com",
        "Intro: Zoe / Mia",
        date(2026, 9, 9).and_hms_opt(8, 0, 0).unwrap(),
        google_people(ZOE, &[MIA]),
    );
    b.single(
        "offsite@google.com",
        "Team offsite",
        date(2026, 10, 1).and_hms_opt(7, 0, 0).unwrap(),
        google_people(MIA, &[ann, ben, carla, dev]),
    );

    let mut lines: Vec<String> = HEADER.lines().map(str::to_string).collect();
    // Interleave masters, overrides and singles roughly as exports do: by series, singles last.
    for s in &b.series {
        s.write(&mut lines);
    }
    for single in &b.singles {
        lines.extend(single.iter().cloned());
    }
    lines.push("END:VCALENDAR".into());
    let mut ics = String::new();
    for line in &lines {
        fold(line, &mut ics);
    }
    Generated {
        ics,
        truth: b.truth,
        decoys: b.decoys,
        one_offs: b.one_offs,
    }
}

/// Writes a content line folded at 75 octets (RFC 5545 3.1), never inside a character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// A Google-style header, without X-WR-TIMEZONE: with it, a UTC series recurs on that
/// zone's wall clock (recurring-ical-events' reading, which tete follows), while the UTC-only
/// series here, with overrides at fixed UTC times, is meant in UTC.
const HEADER: &str = "BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:mia@corp.example
BEGIN:VTIMEZONE
TZID:Europe/Berlin
X-LIC-LOCATION:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE";
