//! Graph events as iCalendar: one resource per series (its master, `RRULE` from the
//! `patternedRecurrence`, an override per exception or cancelled occurrence, an `EXDATE` per
//! occurrence that vanished) and one per single event.
//!
//! Why iCalendar and not the calendar crate's records directly: every later step (the
//! collector's expansion and event meta, detection, history, agenda planning and the edit
//! of one occurrence's description) already reads iCalendar, so a Graph calendar then goes
//! through exactly the code a CalDAV calendar goes through, and the report is the same by
//! construction. Nothing tete uses is lost on the way: times become instants (the series'
//! wall-clock times in its own zone, Windows names mapped by the calendar crate's CLDR
//! table), participants keep their answers, and what iCalendar has no property for
//! (Graph's ids, the Teams link) travels in `X-` properties.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::model::{Attendee, DateTimeZone, Event, PatternedRecurrence};
use crate::calendar::{Component, Document, Param, Property};

/// The property carrying Graph's id of the event a `VEVENT` was made from.
pub const GRAPH_ID: &str = "X-TETE-GRAPH-ID";
/// The Teams (or Skype) link, as Outlook's own iCalendar export names it.
const ONLINE_MEETING: &str = "X-MICROSOFT-SKYPETEAMSMEETINGURL";
/// Where times are written when the event's zone cannot be read.
const UTC_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// One series as stored: its master and what the calendar view showed of it.
#[derive(Debug, Default)]
pub struct Series<'a> {
    /// The master (`GET /me/events/{id}`), with the rule.
    pub master: Option<&'a Event>,
    /// Its occurrences and exceptions in the window.
    pub instances: Vec<&'a Event>,
    /// Original starts of occurrences the calendar view reported removed.
    pub removed: Vec<String>,
    /// The calendar owner's address, when known.
    pub me: Option<&'a str>,
}

/// A single event as an iCalendar resource; `me` is the calendar owner's address.
pub fn single(event: &Event, me: Option<&str>) -> Vec<u8> {
    let zone = EventZone::of(event);
    let vevent = vevent(event, &zone, None, me);
    calendar(vec![vevent])
}

/// A series as one iCalendar resource: the master with its rule, then overrides.
/// `None` when the master is missing (it could not be read).
pub fn series(series: &Series<'_>) -> Option<Vec<u8>> {
    let master = series.master?;
    let zone = EventZone::of(master);
    let all_day = master.is_all_day == Some(true);
    let mut main = vevent(master, &zone, None, series.me);
    if let Some(rule) = master
        .recurrence
        .as_ref()
        .and_then(|r| rrule(r, &zone, all_day))
    {
        insert_after_dtend(&mut main, Property::new("RRULE", rule));
    }
    let mut overrides = Vec::new();
    let mut exdates = Vec::new();
    for instance in &series.instances {
        let Some(original) = instance.original_start.as_deref().and_then(parse_offset) else {
            continue;
        };
        let recurrence_id = zone.moment(original, all_day);
        let cancelled = instance.is_cancelled == Some(true);
        let exception = instance.kind.as_deref() == Some("exception");
        // An occurrence whose text differs from its master's is one someone changed (Graph
        // calls it an exception once saved; its text is what tete must edit either way).
        let own_text = body_text(instance) != body_text(master);
        if exception || cancelled || own_text {
            overrides.push(vevent(instance, &zone, Some(recurrence_id), series.me));
        }
    }
    for original in &series.removed {
        if let Some(original) = parse_offset(original) {
            exdates.push(zone.moment(original, all_day));
        }
    }
    let seen: Vec<Moment> = series
        .instances
        .iter()
        .filter_map(|i| i.original_start.as_deref().and_then(parse_offset))
        .map(|original| zone.moment(original, all_day))
        .collect();
    exdates.extend(vanished(&main, &seen, &zone));
    exdates.sort();
    exdates.dedup();
    for exdate in exdates {
        insert_after_dtend(&mut main, exdate.property("EXDATE"));
    }
    let mut events = vec![main];
    events.extend(overrides);
    Some(calendar(events))
}

/// Occurrences the master's rule gives between the first and the last occurrence the view
/// showed, which the view did not show: the organizer deleted them (Graph lists what is left
/// of a series, and says nothing of what was taken out before tete first looked). Outside
/// that span the view's edges, not a deletion, explain a missing occurrence.
fn vanished(master: &Component, seen: &[Moment], zone: &EventZone) -> Vec<Moment> {
    let (Some(first), Some(last)) = (seen.iter().min(), seen.iter().max()) else {
        return Vec::new();
    };
    let (first, last) = (first.to_utc(), last.to_utc());
    let seen_utc: std::collections::HashSet<DateTime<Utc>> =
        seen.iter().map(Moment::to_utc).collect();
    let body = calendar(vec![master.clone()]);
    let mut collector = crate::calendar::Collector::new();
    if collector.read(&body[..], "graph series").is_err() {
        return Vec::new();
    }
    let window = crate::calendar::Window {
        start: first.naive_utc(),
        end: last.naive_utc() + chrono::Duration::seconds(1),
    };
    collector
        .expand(window)
        .occurrences
        .into_iter()
        .filter_map(|o| {
            let at = match o.recurrence_id {
                crate::calendar::Moment::Date(d) => Moment::Date(d),
                crate::calendar::Moment::Utc(t) | crate::calendar::Moment::Floating(t) => {
                    zone.moment(t.and_utc(), false)
                }
            };
            let utc = at.to_utc();
            (utc >= first && utc <= last && !seen_utc.contains(&utc)).then_some(at)
        })
        .collect()
}

fn body_text(event: &Event) -> Option<&str> {
    event.body.as_ref().and_then(|b| b.content.as_deref())
}

fn calendar(events: Vec<Component>) -> Vec<u8> {
    let mut vcalendar = Component::new("VCALENDAR");
    vcalendar
        .properties
        .push(Property::new("PRODID", "-//tete//Microsoft Graph//EN"));
    vcalendar.properties.push(Property::new("VERSION", "2.0"));
    vcalendar.components = events;
    Document {
        components: vec![vcalendar],
    }
    .to_ical()
    .into_bytes()
}

fn insert_after_dtend(event: &mut Component, property: Property) {
    let at = event
        .properties
        .iter()
        .rposition(|p| matches!(p.name.as_str(), "DTEND" | "RRULE" | "EXDATE"))
        .map_or(event.properties.len(), |i| i + 1);
    event.properties.insert(at, property);
}

/// One `VEVENT` from one Graph event; `recurrence_id` for an override.
fn vevent(
    event: &Event,
    zone: &EventZone,
    recurrence_id: Option<Moment>,
    me: Option<&str>,
) -> Component {
    let mut c = Component::new("VEVENT");
    let uid = event.ical_uid.clone().unwrap_or_else(|| event.id.clone());
    c.properties.push(Property::new("UID", uid));
    let stamp = event
        .last_modified_date_time
        .as_deref()
        .and_then(parse_offset)
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    c.properties.push(Property::new(
        "DTSTAMP",
        stamp.format(UTC_FORMAT).to_string(),
    ));
    if let Some(rid) = recurrence_id {
        c.properties.push(rid.property("RECURRENCE-ID"));
    }
    let all_day = event.is_all_day == Some(true);
    if let Some(start) = event.start.as_ref().and_then(|s| zone.read(s, all_day)) {
        c.properties.push(start.property("DTSTART"));
    }
    if let Some(end) = event.end.as_ref().and_then(|e| zone.read(e, all_day)) {
        c.properties.push(end.property("DTEND"));
    }
    if let Some(subject) = &event.subject {
        c.set_text("SUMMARY", subject);
    }
    if let Some(body) = &event.body
        && let Some(content) = body.content.as_deref().filter(|t| !t.trim().is_empty())
    {
        // An HTML body stays HTML in DESCRIPTION, as Google's descriptions do: the agenda
        // block knows how to write into HTML, and the PATCH sends it back as HTML.
        c.set_text("DESCRIPTION", content);
    }
    if let Some(place) = event
        .location
        .as_ref()
        .and_then(|l| l.display_name.as_deref())
        .filter(|p| !p.is_empty())
    {
        c.set_text("LOCATION", place);
    }
    if event.is_cancelled == Some(true) {
        c.properties.push(Property::new("STATUS", "CANCELLED"));
    }
    if event.show_as.as_deref() == Some("free") {
        c.properties.push(Property::new("TRANSP", "TRANSPARENT"));
    }
    if matches!(
        event.sensitivity.as_deref(),
        Some("private" | "confidential")
    ) {
        c.properties.push(Property::new("CLASS", "PRIVATE"));
    }
    if let Some(organizer) = event
        .organizer
        .as_ref()
        .and_then(|o| o.email_address.as_ref())
        && let Some(address) = organizer.address.as_deref().filter(|a| !a.is_empty())
    {
        let mut p = Property::new("ORGANIZER", format!("mailto:{address}"));
        if let Some(name) = organizer.name.as_deref().filter(|n| !n.is_empty()) {
            p.params.push(param("CN", name));
        }
        c.properties.push(p);
    }
    for attendee in &event.attendees {
        if let Some(p) = attendee_property(attendee) {
            c.properties.push(p);
        }
    }
    if let Some(me) = me {
        own_answer(&mut c, event, me);
    }
    if let Some(url) = event
        .online_meeting
        .as_ref()
        .and_then(|m| m.join_url.as_deref())
    {
        c.properties.push(Property::new(ONLINE_MEETING, url));
    }
    c.properties.push(Property::new(GRAPH_ID, event.id.clone()));
    c
}

/// The owner's own answer (`responseStatus`) on their `ATTENDEE` line: an attendee's copy
/// of a meeting keeps the attendee list the organizer sent, so a series Mia declined may
/// still list her as not answered.
fn own_answer(c: &mut Component, event: &Event, me: &str) {
    if event.is_organizer == Some(true) {
        return;
    }
    let Some(partstat) = event
        .response_status
        .as_ref()
        .and_then(|s| s.response.as_deref())
        .and_then(|r| match r {
            "accepted" => Some("ACCEPTED"),
            "declined" => Some("DECLINED"),
            "tentativelyAccepted" => Some("TENTATIVE"),
            _ => None,
        })
    else {
        return;
    };
    let mine = |p: &Property| {
        p.name == "ATTENDEE"
            && p.value
                .trim()
                .strip_prefix("mailto:")
                .is_some_and(|a| a.eq_ignore_ascii_case(me))
    };
    match c.properties.iter_mut().find(|p| mine(p)) {
        Some(p) => {
            p.params.retain(|param| param.name != "PARTSTAT");
            p.params.push(param("PARTSTAT", partstat));
        }
        None => {
            let mut p = Property::new("ATTENDEE", format!("mailto:{me}"));
            p.params.push(param("PARTSTAT", partstat));
            let at = c
                .properties
                .iter()
                .position(|p| p.name == GRAPH_ID)
                .unwrap_or(c.properties.len());
            c.properties.insert(at, p);
        }
    }
}

fn attendee_property(attendee: &Attendee) -> Option<Property> {
    let email = attendee.email_address.as_ref()?;
    let address = email.address.as_deref().filter(|a| !a.is_empty())?;
    let mut p = Property::new("ATTENDEE", format!("mailto:{address}"));
    if let Some(name) = email.name.as_deref().filter(|n| !n.is_empty()) {
        p.params.push(param("CN", name));
    }
    let (role, cutype) = match attendee.kind.as_deref() {
        Some("optional") => ("OPT-PARTICIPANT", None),
        Some("resource") => ("NON-PARTICIPANT", Some("RESOURCE")),
        _ => ("REQ-PARTICIPANT", None),
    };
    if let Some(cutype) = cutype {
        p.params.push(param("CUTYPE", cutype));
    }
    p.params.push(param("ROLE", role));
    let partstat = match attendee.status.as_ref().and_then(|s| s.response.as_deref()) {
        Some("accepted" | "organizer") => "ACCEPTED",
        Some("declined") => "DECLINED",
        Some("tentativelyAccepted") => "TENTATIVE",
        _ => "NEEDS-ACTION",
    };
    p.params.push(param("PARTSTAT", partstat));
    Some(p)
}

fn param(name: &str, value: &str) -> Param {
    Param {
        name: name.into(),
        values: vec![value.into()],
    }
}

/// `patternedRecurrence` as an `RRULE` value; `None` for a pattern tete cannot read (the
/// series is then read as its first occurrence and its exceptions).
pub fn rrule(recurrence: &PatternedRecurrence, zone: &EventZone, all_day: bool) -> Option<String> {
    let pattern = recurrence.pattern.as_ref()?;
    let interval = pattern.interval.unwrap_or(1).max(1);
    let days = || -> Option<String> {
        let days: Option<Vec<&str>> = pattern.days_of_week.iter().map(|d| weekday(d)).collect();
        days.filter(|d| !d.is_empty()).map(|d| d.join(","))
    };
    let index = || match pattern.index.as_deref().unwrap_or("first") {
        "first" => Some(1),
        "second" => Some(2),
        "third" => Some(3),
        "fourth" => Some(4),
        "last" => Some(-1),
        _ => None,
    };
    let mut parts = match pattern.kind.as_deref()? {
        "daily" => vec!["FREQ=DAILY".to_string()],
        "weekly" => {
            let mut parts = vec!["FREQ=WEEKLY".to_string()];
            if let Some(days) = days() {
                parts.push(format!("BYDAY={days}"));
            }
            parts
        }
        "absoluteMonthly" => vec![
            "FREQ=MONTHLY".into(),
            format!("BYMONTHDAY={}", pattern.day_of_month?),
        ],
        "relativeMonthly" => vec![
            "FREQ=MONTHLY".into(),
            format!("BYDAY={}", days()?),
            format!("BYSETPOS={}", index()?),
        ],
        "absoluteYearly" => vec![
            "FREQ=YEARLY".into(),
            format!("BYMONTH={}", pattern.month?),
            format!("BYMONTHDAY={}", pattern.day_of_month?),
        ],
        "relativeYearly" => vec![
            "FREQ=YEARLY".into(),
            format!("BYMONTH={}", pattern.month?),
            format!("BYDAY={}", days()?),
            format!("BYSETPOS={}", index()?),
        ],
        _ => return None,
    };
    if interval > 1 {
        parts.push(format!("INTERVAL={interval}"));
    }
    // Graph gives every pattern a first day of the week; it changes only weekly ones
    // (which weeks count for an interval).
    if pattern.kind.as_deref() == Some("weekly")
        && let Some(wkst) = pattern.first_day_of_week.as_deref().and_then(weekday)
    {
        parts.push(format!("WKST={wkst}"));
    }
    if let Some(range) = &recurrence.range {
        match range.kind.as_deref() {
            Some("numbered") => {
                if let Some(count) = range.number_of_occurrences.filter(|n| *n > 0) {
                    parts.push(format!("COUNT={count}"));
                }
            }
            Some("endDate") => {
                let end = range
                    .end_date
                    .as_deref()
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())?;
                parts.push(format!("UNTIL={}", zone.until(end, all_day)));
            }
            _ => {}
        }
    }
    Some(parts.join(";"))
}

fn weekday(day: &str) -> Option<&'static str> {
    Some(match day.to_ascii_lowercase().as_str() {
        "monday" => "MO",
        "tuesday" => "TU",
        "wednesday" => "WE",
        "thursday" => "TH",
        "friday" => "FR",
        "saturday" => "SA",
        "sunday" => "SU",
        _ => return None,
    })
}

/// A time as written into iCalendar.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Moment {
    /// A whole day.
    Date(NaiveDate),
    /// Wall-clock time in a named zone.
    Zoned(NaiveDateTime, String),
    /// UTC.
    Utc(NaiveDateTime),
}

impl Moment {
    /// A `RECURRENCE-ID` (or other time property) as read back from iCalendar.
    pub fn of_property(p: &Property) -> Option<Moment> {
        let value = p.value.trim();
        if p.param_is("VALUE", "DATE") || value.len() == 8 {
            return NaiveDate::parse_from_str(value, "%Y%m%d")
                .ok()
                .map(Moment::Date);
        }
        if let Some(utc) = value.strip_suffix('Z') {
            return NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
                .ok()
                .map(Moment::Utc);
        }
        let local = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").ok()?;
        Some(match p.param("TZID") {
            Some(zone) => Moment::Zoned(local, zone),
            None => Moment::Utc(local),
        })
    }

    /// The instant, in UTC (a date is its midnight UTC; an unknown zone is read as UTC).
    pub fn to_utc(&self) -> DateTime<Utc> {
        match self {
            Moment::Date(d) => d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
            Moment::Utc(t) => t.and_utc(),
            Moment::Zoned(t, zone) => zone_named(zone)
                .and_then(|z| z.from_local_datetime(t).earliest())
                .map_or_else(|| t.and_utc(), |t| t.with_timezone(&Utc)),
        }
    }

    fn property(&self, name: &str) -> Property {
        match self {
            Moment::Date(d) => {
                let mut p = Property::new(name, d.format("%Y%m%d").to_string());
                p.params.push(param("VALUE", "DATE"));
                p
            }
            Moment::Zoned(t, zone) => {
                let mut p = Property::new(name, t.format("%Y%m%dT%H%M%S").to_string());
                p.params.push(param("TZID", zone));
                p
            }
            Moment::Utc(t) => Property::new(name, t.format(UTC_FORMAT).to_string()),
        }
    }
}

/// The zone a series' times are written in: the one its organizer made it in.
#[derive(Debug, Clone)]
pub struct EventZone {
    zone: Option<chrono_tz::Tz>,
}

impl EventZone {
    /// The master's zone: the rule's, else the one it was created in, else its start's.
    pub fn of(event: &Event) -> EventZone {
        let names = [
            event
                .recurrence
                .as_ref()
                .and_then(|r| r.range.as_ref())
                .and_then(|r| r.recurrence_time_zone.clone()),
            event.original_start_time_zone.clone(),
            event.start.as_ref().and_then(|s| s.time_zone.clone()),
        ];
        EventZone {
            zone: names.into_iter().flatten().find_map(|n| zone_named(&n)),
        }
    }

    /// A Graph time as an iCalendar time in this zone (or UTC when the zone is unknown).
    pub fn read(&self, time: &DateTimeZone, all_day: bool) -> Option<Moment> {
        let local = parse_local(&time.date_time)?;
        if all_day {
            return Some(Moment::Date(local.date()));
        }
        let given = time
            .time_zone
            .as_deref()
            .map_or(Some(chrono_tz::UTC), zone_named)?;
        let instant = given
            .from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&Utc))?;
        Some(self.moment(instant, false))
    }

    /// An instant as a time of this zone (a date for an all-day series).
    pub fn moment(&self, instant: DateTime<Utc>, all_day: bool) -> Moment {
        if all_day {
            // An all-day original start is midnight: in UTC as Graph writes it, or in the
            // event's zone converted to UTC.
            if instant.time() == chrono::NaiveTime::MIN {
                return Moment::Date(instant.date_naive());
            }
            let local = self.zone.map_or(instant.naive_utc(), |z| {
                instant.with_timezone(&z).naive_local()
            });
            return Moment::Date(local.date());
        }
        match self.zone {
            Some(zone) if zone != chrono_tz::UTC => Moment::Zoned(
                instant.with_timezone(&zone).naive_local(),
                zone.name().to_string(),
            ),
            _ => Moment::Utc(instant.naive_utc()),
        }
    }

    /// `UNTIL` for a rule ending on `end` (inclusive): the end of that day, in UTC for a
    /// timed series (RFC 5545 asks UTC when `DTSTART` has a zone).
    fn until(&self, end: NaiveDate, all_day: bool) -> String {
        if all_day {
            return end.format("%Y%m%d").to_string();
        }
        let last = end.and_hms_opt(23, 59, 59).unwrap_or_default();
        let utc = match self.zone {
            Some(zone) => zone
                .from_local_datetime(&last)
                .latest()
                .map_or(last, |t| t.naive_utc()),
            None => last,
        };
        utc.format(UTC_FORMAT).to_string()
    }
}

/// A zone by IANA or Windows name.
pub fn zone_named(name: &str) -> Option<chrono_tz::Tz> {
    let name = name.trim();
    if name.eq_ignore_ascii_case("UTC") || name.eq_ignore_ascii_case("tzone://Microsoft/Utc") {
        return Some(chrono_tz::UTC);
    }
    crate::calendar::tz::windows_to_iana(name)
        .and_then(crate::calendar::tz::iana)
        .or_else(|| crate::calendar::tz::iana(name))
}

/// `2026-01-05T10:00:00.0000000` (fractions of any length, or none).
fn parse_local(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S%.f").ok()
}

/// `2026-01-05T09:00:00Z` or with an offset; a time without either is read as UTC.
pub fn parse_offset(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| parse_local(text).map(|t| Utc.from_utc_datetime(&t)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::graph::model::{RecurrencePattern, RecurrenceRange};

    fn recurrence(pattern: serde_json::Value, range: serde_json::Value) -> PatternedRecurrence {
        PatternedRecurrence {
            pattern: Some(serde_json::from_value::<RecurrencePattern>(pattern).unwrap()),
            range: Some(serde_json::from_value::<RecurrenceRange>(range).unwrap()),
        }
    }

    fn berlin() -> EventZone {
        EventZone {
            zone: zone_named("W. Europe Standard Time"),
        }
    }

    #[test]
    fn every_pattern_and_range() {
        let zone = berlin();
        let cases = [
            (
                serde_json::json!({"type": "daily", "interval": 2}),
                serde_json::json!({"type": "numbered", "numberOfOccurrences": 10}),
                "FREQ=DAILY;INTERVAL=2;COUNT=10",
            ),
            (
                serde_json::json!({"type": "weekly", "interval": 1, "daysOfWeek": ["monday", "thursday"], "firstDayOfWeek": "sunday"}),
                serde_json::json!({"type": "noEnd", "startDate": "2026-01-05"}),
                "FREQ=WEEKLY;BYDAY=MO,TH;WKST=SU",
            ),
            (
                serde_json::json!({"type": "weekly", "interval": 2, "daysOfWeek": ["tuesday"], "firstDayOfWeek": "monday"}),
                serde_json::json!({"type": "endDate", "startDate": "2026-01-06", "endDate": "2026-06-30"}),
                "FREQ=WEEKLY;BYDAY=TU;INTERVAL=2;WKST=MO;UNTIL=20260630T215959Z",
            ),
            (
                serde_json::json!({"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 15}),
                serde_json::json!({"type": "noEnd"}),
                "FREQ=MONTHLY;BYMONTHDAY=15",
            ),
            (
                serde_json::json!({"type": "relativeMonthly", "interval": 1, "daysOfWeek": ["friday"], "index": "last"}),
                serde_json::json!({"type": "noEnd"}),
                "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1",
            ),
            (
                serde_json::json!({"type": "absoluteYearly", "interval": 1, "month": 3, "dayOfMonth": 9}),
                serde_json::json!({"type": "noEnd"}),
                "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=9",
            ),
            (
                serde_json::json!({"type": "relativeYearly", "interval": 1, "month": 11, "daysOfWeek": ["thursday"], "index": "fourth"}),
                serde_json::json!({"type": "noEnd"}),
                "FREQ=YEARLY;BYMONTH=11;BYDAY=TH;BYSETPOS=4",
            ),
        ];
        for (pattern, range, expected) in cases {
            assert_eq!(
                rrule(&recurrence(pattern, range), &zone, false).as_deref(),
                Some(expected)
            );
        }
        // An all-day series ends on the date itself.
        let all_day = recurrence(
            serde_json::json!({"type": "weekly", "daysOfWeek": ["friday"]}),
            serde_json::json!({"type": "endDate", "endDate": "2026-03-27"}),
        );
        assert_eq!(
            rrule(&all_day, &zone, true).as_deref(),
            Some("FREQ=WEEKLY;BYDAY=FR;UNTIL=20260327")
        );
        // What tete cannot read gives no rule, not a wrong one.
        let odd = recurrence(
            serde_json::json!({"type": "hourly"}),
            serde_json::json!({"type": "noEnd"}),
        );
        assert_eq!(rrule(&odd, &zone, false), None);
    }

    /// A weekly series, Mondays 10:00 Berlin time from 5 January 2026, as Graph gives it.
    fn master() -> Event {
        serde_json::from_value(serde_json::json!({
            "id": "M", "type": "seriesMaster", "iCalUId": "uid-1", "subject": "Ann / Mia",
            "isOrganizer": false, "responseStatus": {"response": "declined"},
            "originalStartTimeZone": "W. Europe Standard Time",
            "start": {"dateTime": "2026-01-05T09:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": "2026-01-05T09:30:00.0000000", "timeZone": "UTC"},
            "body": {"contentType": "text", "content": "Standing"},
            "organizer": {"emailAddress": {"name": "Ann", "address": "ann@example.com"}},
            "attendees": [{"type": "required", "status": {"response": "none"},
                           "emailAddress": {"name": "Mia", "address": "mia@example.com"}}],
            "recurrence": {
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"], "firstDayOfWeek": "monday"},
                "range": {"type": "noEnd", "startDate": "2026-01-05", "recurrenceTimeZone": "W. Europe Standard Time"}
            }
        }))
        .unwrap()
    }

    fn instance(day: u32, kind: &str, body: &str) -> Event {
        let mut event = master();
        event.id = format!("O{day}");
        event.kind = Some(kind.into());
        event.series_master_id = Some("M".into());
        event.original_start = Some(format!("2026-01-{day:02}T09:00:00Z"));
        event.recurrence = None;
        if let Some(b) = event.body.as_mut() {
            b.content = Some(body.into());
        }
        event
    }

    #[test]
    fn a_series_with_its_exceptions_cancellations_and_deletions() {
        let master = master();
        let (a, b, c) = (
            instance(5, "occurrence", "Standing"),
            instance(12, "occurrence", "Standing\nsomeone's note"),
            instance(26, "occurrence", "Standing"),
        );
        let mut cancelled = instance(2, "occurrence", "Standing");
        cancelled.original_start = Some("2026-02-02T09:00:00Z".into());
        cancelled.is_cancelled = Some(true);
        let series = Series {
            master: Some(&master),
            // 19 January is missing between 5 January and 2 February: deleted.
            instances: vec![&a, &b, &c, &cancelled],
            removed: vec!["2026-02-09T09:00:00Z".into()],
            me: Some("mia@example.com"),
        };
        let text = String::from_utf8(super::series(&series).unwrap())
            .unwrap()
            .replace("\r\n ", "");
        for expected in [
            "DTSTART;TZID=Europe/Berlin:20260105T100000",
            "RRULE:FREQ=WEEKLY;BYDAY=MO;WKST=MO",
            "EXDATE;TZID=Europe/Berlin:20260119T100000",
            "EXDATE;TZID=Europe/Berlin:20260209T100000",
            // Someone's text on 12 January: an override carrying it.
            "RECURRENCE-ID;TZID=Europe/Berlin:20260112T100000",
            "DESCRIPTION:Standing\\nsomeone's note",
            // The cancelled one: an override saying so.
            "RECURRENCE-ID;TZID=Europe/Berlin:20260202T100000",
            "STATUS:CANCELLED",
            // Mia declined: her line says so though Ann's list does not.
            "PARTSTAT=DECLINED:mailto:mia@example.com",
            "X-TETE-GRAPH-ID:O12",
        ] {
            assert!(text.contains(expected), "{expected} missing in\n{text}");
        }
        assert_eq!(text.matches("BEGIN:VEVENT").count(), 3, "{text}");
        assert!(
            !text.contains("20260126T100000"),
            "26 January is as the rule says"
        );
        assert!(
            super::series(&Series::default()).is_none(),
            "no master, no series"
        );
    }

    #[test]
    fn an_all_day_event_is_dates() {
        let mut event = master();
        event.recurrence = None;
        event.kind = Some("singleInstance".into());
        event.is_all_day = Some(true);
        event.start = Some(DateTimeZone {
            date_time: "2026-03-06T00:00:00.0000000".into(),
            time_zone: Some("W. Europe Standard Time".into()),
        });
        event.end = Some(DateTimeZone {
            date_time: "2026-03-07T00:00:00.0000000".into(),
            time_zone: Some("W. Europe Standard Time".into()),
        });
        let text = String::from_utf8(single(&event, None))
            .unwrap()
            .replace("\r\n ", "");
        assert!(text.contains("DTSTART;VALUE=DATE:20260306"), "{text}");
        assert!(text.contains("DTEND;VALUE=DATE:20260307"), "{text}");
        assert!(
            text.contains("PARTSTAT=NEEDS-ACTION:mailto:mia@example.com"),
            "without the owner's address the list is as sent: {text}"
        );
    }

    #[test]
    fn recurrence_ids_read_back() {
        for (line, utc) in [
            (
                "RECURRENCE-ID;TZID=Europe/Berlin:20260105T100000",
                "2026-01-05T09:00:00Z",
            ),
            ("RECURRENCE-ID:20260105T090000Z", "2026-01-05T09:00:00Z"),
            ("RECURRENCE-ID;VALUE=DATE:20260105", "2026-01-05T00:00:00Z"),
        ] {
            let (doc, _) = crate::calendar::Document::parse(
                &format!("BEGIN:VEVENT\r\n{line}\r\nEND:VEVENT\r\n"),
                "t",
            )
            .unwrap();
            let p = doc.components[0].property("RECURRENCE-ID").unwrap();
            let moment = Moment::of_property(p).unwrap();
            assert_eq!(moment.to_utc(), parse_offset(utc).unwrap(), "{line}");
        }
    }

    #[test]
    fn windows_and_iana_zones_and_utc() {
        assert_eq!(
            zone_named("Pacific Standard Time"),
            Some(chrono_tz::America::Los_Angeles)
        );
        assert_eq!(zone_named("Europe/Paris"), Some(chrono_tz::Europe::Paris));
        assert_eq!(zone_named("UTC"), Some(chrono_tz::UTC));
        assert_eq!(zone_named("Nowhere Standard Time"), None);
        let time = DateTimeZone {
            date_time: "2026-01-05T09:00:00.0000000".into(),
            time_zone: Some("UTC".into()),
        };
        assert_eq!(
            berlin().read(&time, false),
            Some(Moment::Zoned(
                NaiveDate::from_ymd_opt(2026, 1, 5)
                    .unwrap()
                    .and_hms_opt(10, 0, 0)
                    .unwrap(),
                "Europe/Berlin".into()
            ))
        );
        assert_eq!(
            parse_offset("2026-01-05T09:00:00Z"),
            Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single()
        );
    }
}
