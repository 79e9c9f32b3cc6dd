//! Plain records of the calendar crate's types, for the cache's bytes (postcard): the calendar crate
//! does not depend on serde, and a record keeps the cache's format apart from its types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::expand::ItemPlace;
use crate::calendar::recur::RuleFrequency;
use crate::calendar::{
    EventMeta, EventStatus, Moment, Occurrence, Person, PersonKind, RuleShape, Warning,
};
use crate::detect::{Counterpart, Verdict};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct PersonRec {
    // Shared text as in `Person`; encoded as a string all the same.
    pub(super) email: Option<std::sync::Arc<str>>,
    pub(super) name: Option<std::sync::Arc<str>>,
    pub(super) kind: u8,
}

impl From<&Person> for PersonRec {
    fn from(p: &Person) -> Self {
        PersonRec {
            email: p.email.clone(),
            name: p.name.clone(),
            kind: match p.kind {
                PersonKind::Individual => 0,
                PersonKind::Group => 1,
                PersonKind::Room => 2,
                PersonKind::Resource => 3,
                PersonKind::Unknown => 4,
            },
        }
    }
}

impl From<PersonRec> for Person {
    fn from(p: PersonRec) -> Self {
        Person {
            email: p.email,
            name: p.name,
            kind: match p.kind {
                0 => PersonKind::Individual,
                1 => PersonKind::Group,
                2 => PersonKind::Room,
                3 => PersonKind::Resource,
                _ => PersonKind::Unknown,
            },
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct MetaRec {
    pub(super) uid: String,
    pub(super) origin: String,
    pub(super) summary: Option<std::sync::Arc<str>>,
    pub(super) organizer: Option<PersonRec>,
    pub(super) attendees: Vec<PersonRec>,
    pub(super) declined: Vec<PersonRec>,
    pub(super) recurring: bool,
    pub(super) rule: Option<(String, u16, usize)>,
}

impl From<&EventMeta> for MetaRec {
    fn from(m: &EventMeta) -> Self {
        MetaRec {
            uid: m.uid.to_string(),
            origin: m.origin.to_string(),
            summary: m.summary.clone(),
            organizer: m.organizer.as_ref().map(PersonRec::from),
            attendees: m.attendees.iter().map(PersonRec::from).collect(),
            declined: m.declined.iter().map(PersonRec::from).collect(),
            recurring: m.recurring,
            rule: m
                .rule
                .as_ref()
                .map(|r| (r.freq.name().to_string(), r.interval, r.weekdays)),
        }
    }
}

impl From<MetaRec> for EventMeta {
    fn from(m: MetaRec) -> Self {
        EventMeta {
            uid: m.uid.into(),
            origin: m.origin.into(),
            summary: m.summary,
            organizer: m.organizer.map(Person::from),
            attendees: m.attendees.into_iter().map(Person::from).collect(),
            declined: m.declined.into_iter().map(Person::from).collect(),
            recurring: m.recurring,
            // A name no frequency has was not written by tete: no rule, as for an RRULE
            // that does not parse.
            rule: m.rule.and_then(|(freq, interval, weekdays)| {
                Some(RuleShape {
                    freq: RuleFrequency::from_name(&freq)?,
                    interval,
                    weekdays,
                })
            }),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct VerdictRec {
    pub(super) counterpart: Option<(Option<String>, Option<String>)>,
    pub(super) reason: String,
}

impl From<&Verdict> for VerdictRec {
    fn from(v: &Verdict) -> Self {
        VerdictRec {
            counterpart: v
                .counterpart
                .as_ref()
                .map(|c| (c.email.clone(), c.name.clone())),
            reason: v.reason.clone(),
        }
    }
}

impl From<VerdictRec> for Verdict {
    fn from(v: VerdictRec) -> Self {
        Verdict {
            counterpart: v
                .counterpart
                .map(|(email, name)| Counterpart { email, name }),
            reason: v.reason,
        }
    }
}

/// A time exactly: its form, seconds since the epoch (as if UTC) and nanoseconds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(super) struct MomentRec(u8, i64, u32);

impl From<Moment> for MomentRec {
    fn from(m: Moment) -> Self {
        let (form, t) = match m {
            Moment::Date(d) => (0, d.and_time(chrono::NaiveTime::MIN)),
            Moment::Floating(t) => (1, t),
            Moment::Utc(t) => (2, t),
        };
        let t = t.and_utc();
        MomentRec(form, t.timestamp(), t.timestamp_subsec_nanos())
    }
}

impl From<MomentRec> for Moment {
    fn from(MomentRec(form, secs, nanos): MomentRec) -> Self {
        let t = DateTime::<Utc>::from_timestamp(secs, nanos)
            .unwrap_or_default()
            .naive_utc();
        match form {
            0 => Moment::Date(t.date()),
            1 => Moment::Floating(t),
            _ => Moment::Utc(t),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct OccurrenceRec {
    pub(super) uid: String,
    pub(super) recurrence_id: MomentRec,
    pub(super) start: MomentRec,
    pub(super) end: MomentRec,
    pub(super) summary: Option<String>,
    pub(super) status: Option<String>,
    pub(super) excluded: bool,
    pub(super) declined: Option<Vec<PersonRec>>,
}

impl From<&Occurrence> for OccurrenceRec {
    fn from(o: &Occurrence) -> Self {
        OccurrenceRec {
            uid: o.uid.to_string(),
            recurrence_id: o.recurrence_id.into(),
            start: o.start.into(),
            end: o.end.into(),
            summary: o.summary.as_deref().map(str::to_string),
            status: o.status.as_ref().map(|s| s.as_str().to_string()),
            excluded: o.excluded,
            declined: o
                .declined
                .as_ref()
                .map(|people| people.iter().map(PersonRec::from).collect()),
        }
    }
}

impl From<OccurrenceRec> for Occurrence {
    fn from(o: OccurrenceRec) -> Self {
        Occurrence {
            uid: o.uid.into(),
            recurrence_id: o.recurrence_id.into(),
            start: o.start.into(),
            end: o.end.into(),
            summary: o.summary.map(Into::into),
            status: o.status.as_deref().map(EventStatus::parse),
            excluded: o.excluded,
            declined: o
                .declined
                .map(|people| people.into_iter().map(Person::from).collect()),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct WarningRec {
    pub(super) origin: String,
    pub(super) line: usize,
    pub(super) uid: Option<String>,
    pub(super) message: String,
}

impl From<&Warning> for WarningRec {
    fn from(w: &Warning) -> Self {
        WarningRec {
            origin: w.origin.to_string(),
            line: w.line,
            uid: w.uid.clone(),
            message: w.message.clone(),
        }
    }
}

impl From<WarningRec> for Warning {
    fn from(w: WarningRec) -> Self {
        Warning {
            origin: w.origin.into(),
            line: w.line,
            uid: w.uid,
            message: w.message,
        }
    }
}

/// An [`ItemPlace`]: its bytes, and the occurrence it overrides in whole seconds (what
/// planning compares it with, a day's margin apart, needs no more).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct PlaceRec(u64, u64, Option<i64>);

impl From<&ItemPlace> for PlaceRec {
    fn from(p: &ItemPlace) -> Self {
        PlaceRec(
            p.bytes.start,
            p.bytes.end,
            p.overrides.map(|t| t.and_utc().timestamp()),
        )
    }
}

impl From<PlaceRec> for ItemPlace {
    fn from(PlaceRec(start, end, overrides): PlaceRec) -> Self {
        ItemPlace {
            bytes: start..end,
            // Out of chrono's range (not written by tete): needed by any occurrence.
            overrides: overrides
                .and_then(|secs| DateTime::from_timestamp(secs, 0))
                .map(|t| t.naive_utc()),
        }
    }
}
