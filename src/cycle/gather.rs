//! The first steps of a cycle: read every calendar into one collector, and decide where
//! each calendar's agendas go (its [`Route`]).

use std::collections::HashMap;
use std::path::Path;

use futures_util::StreamExt as _;

use crate::agenda;
use crate::calendar::Collector;
use crate::http::HttpClient;
use crate::sources::caldav::SharedSyncState;
use crate::sources::{CalendarSpec, Kept, Resource, Snapshot, Source, SourceError};

/// One calendar that could be fetched: its source and what it holds.
#[derive(Debug)]
pub struct Fetched {
    /// The calendar's name.
    pub name: String,
    /// Where it is (and where tete may write).
    pub source: Source,
    /// Its resources as fetched.
    pub snapshot: Snapshot,
    /// Where the agendas of its 1:1s go this cycle (see [`route_agendas`]).
    pub route: Route,
}

impl Fetched {
    /// The calendar as agenda writes see it.
    pub fn write_calendar(&self) -> agenda::write::Calendar<'_> {
        agenda::write::Calendar {
            name: &self.name,
            source: &self.source,
            private: match &self.route {
                Route::Private(companion) => Some(&companion.source),
                Route::Event | Route::Stopped(_) => None,
            },
        }
    }
}

/// Where the agendas of one calendar's 1:1s go this cycle.
#[derive(Debug, Default)]
pub enum Route {
    /// Into the 1:1 events themselves: the server tells no one (a vdir, a server that does
    /// not schedule), or the manager chose `delivery = "shared"`.
    #[default]
    Event,
    /// The server schedules and the manager chose `delivery = "private"`: agendas of events
    /// with participants go into private companion events in another calendar; events with
    /// nobody to tell stay in place.
    Private(Box<Companion>),
    /// Nowhere this cycle; the reason says why and what to do.
    Stopped(String),
}

/// The calendar holding private agendas, as fetched.
#[derive(Debug)]
pub struct Companion {
    /// Its name as configured (`[agenda] private_calendar`).
    pub name: String,
    /// Where it is.
    pub source: Source,
    /// Its resources (empty when a dry run found it missing: it would be created).
    pub snapshot: Snapshot,
    /// Each companion event found, by occurrence, with its resource index.
    pub found: HashMap<agenda::companion::Link, (usize, agenda::companion::Found)>,
}

impl Companion {
    fn new(name: &str, source: Source, snapshot: Snapshot) -> Companion {
        let found = snapshot
            .resources
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let bytes = r.item_bytes()?.ok()?;
                agenda::companion::read(&bytes).map(|f| (f.link.clone(), (i, f)))
            })
            .collect();
        Companion {
            name: name.to_string(),
            source,
            snapshot,
            found,
        }
    }

    /// The companion of an occurrence, when there is one.
    pub fn of(
        &self,
        link: &agenda::companion::Link,
    ) -> Option<(&Resource, &agenda::companion::Found)> {
        let (i, found) = self.found.get(link)?;
        Some((self.snapshot.resources.get(*i)?, found))
    }
}

/// Every calendar read into one collector, with what went wrong on the way.
#[derive(Debug, Default)]
pub struct Gathered {
    /// The events of every calendar that could be read.
    pub collector: Collector,
    /// Calendars that could not be read: `(name, error)`. The others are still used.
    pub failures: Vec<(String, String)>,
    /// The calendars that were fetched.
    pub calendars: Vec<Fetched>,
    /// Where each resource is: its origin (as events name it) to (calendar, resource).
    pub origins: HashMap<String, (usize, usize)>,
    /// Where, in each big file or feed body holding a 1:1, its 1:1 events and time zones
    /// are (set by the cycle cache): planning reads only those again, not the whole file.
    pub notes_at: NotesAt,
}

/// By origin, where a big calendar's 1:1 events and time zones are, each with the
/// occurrence it overrides (planning reads only the overrides of the meetings it looks at).
pub type NotesAt = HashMap<String, Vec<crate::calendar::expand::ItemPlace>>;

impl Gathered {
    /// The calendar and resource an event read from `origin` lives in.
    pub fn resource(&self, origin: &str) -> Option<(&Fetched, &Resource)> {
        let (c, r) = *self.origins.get(origin)?;
        let calendar = self.calendars.get(c)?;
        Some((calendar, calendar.snapshot.resources.get(r)?))
    }

    /// The resources shared by the calendar that `origin` lives in, and its place among
    /// them: for a thread that reads it while the cycle goes on.
    pub fn shared_resource(&self, origin: &str) -> Option<(&std::sync::Arc<[Resource]>, usize)> {
        let (c, r) = *self.origins.get(origin)?;
        let resources = &self.calendars.get(c)?.snapshot.resources;
        resources.get(r)?;
        Some((resources, r))
    }
}

/// How many calendars are fetched at the same time.
pub const MAX_CONCURRENT_FETCHES: usize = 4;

/// Reads every calendar (fetched concurrently) into one collector that keeps event meta.
/// CalDAV calendars keep their sync state in `sync_state`; requests go through `http` (its
/// timeout is the config's `request_timeout`).
pub async fn gather(
    calendars: &[CalendarSpec],
    cache_dir: &Path,
    sync_state: Option<&SharedSyncState>,
    http: &HttpClient,
) -> Gathered {
    gather_with(calendars, cache_dir, sync_state, http, None, true).await
}

/// [`gather`], listing a calendar from `kept` while it did not change (a daemon),
/// and reading the resources into the collector only when `read` (else the cycle's cache
/// reads what changed).
pub(super) async fn gather_with(
    calendars: &[CalendarSpec],
    cache_dir: &Path,
    sync_state: Option<&SharedSyncState>,
    http: &HttpClient,
    kept: Option<&Kept>,
    read: bool,
) -> Gathered {
    // Concurrently, but a bounded number at a time: a manager with twenty calendars on one
    // server should not open twenty connections to it at once. `buffered` keeps the order.
    let fetched: Vec<_> = futures_util::stream::iter(calendars.iter().map(|c| async move {
        let source = Source::from_location(&c.location, cache_dir, http, sync_state)?;
        let snapshot = source.fetch_kept(kept).await?;
        Ok::<_, SourceError>((source, snapshot))
    }))
    .buffered(MAX_CONCURRENT_FETCHES)
    .collect()
    .await;
    let mut gathered = Gathered {
        collector: Collector::with_meta(),
        ..Gathered::default()
    };
    for (calendar, outcome) in calendars.iter().zip(fetched) {
        match outcome {
            Ok((source, snapshot)) => {
                let index = gathered.calendars.len();
                if read {
                    read_snapshot(&mut gathered, index, &calendar.name, &source, &snapshot);
                }
                gathered.calendars.push(Fetched {
                    name: calendar.name.clone(),
                    source,
                    snapshot,
                    route: Route::Event,
                });
            }
            Err(e) => gathered
                .failures
                .push((calendar.name.clone(), crate::errors::chain(&e))),
        }
    }
    gathered
}

/// Decides where each writable calendar's agendas go ([`Route`]), fetching (and, unless
/// `dry_run`, creating) the private calendar where one is needed. Costs nothing for a vdir;
/// for CalDAV, the server's scheduling answer is remembered for a week, and the private
/// calendar is one sync per cycle.
pub async fn route_agendas(
    gathered: &mut Gathered,
    settings: &agenda::plan::Settings,
    dry_run: bool,
) {
    if !settings.enabled {
        return;
    }
    for calendar in &mut gathered.calendars {
        calendar.route = route(calendar, settings, dry_run).await;
        if let Route::Stopped(why) = &calendar.route {
            tracing::warn!(calendar = %calendar.name, "agendas not written: {why}");
        }
    }
}

async fn route(calendar: &Fetched, settings: &agenda::plan::Settings, dry_run: bool) -> Route {
    use agenda::plan::Delivery;
    if let Source::Graph(graph) = &calendar.source {
        return graph_route(graph, settings, dry_run).await;
    }
    let Source::Caldav(caldav) = &calendar.source else {
        return Route::Event;
    };
    let halted = match caldav.halted() {
        Ok(halted) => halted,
        Err(e) => return Route::Stopped(crate::errors::chain(&e)),
    };
    let announced = match settings.delivery {
        Delivery::Shared => false,
        Delivery::Private => match caldav.announces_scheduling().await {
            Ok(announced) => announced,
            Err(e) => {
                return Route::Stopped(format!(
                    "cannot tell whether the server schedules on its own, so nothing is written \
                     where it could reach someone: {}",
                    crate::errors::chain(&e)
                ));
            }
        },
    };
    match (settings.delivery, halted) {
        (Delivery::Shared, Some((why, since))) => {
            Route::Stopped(halt_message(&calendar.name, &why, &since))
        }
        (Delivery::Shared, None) => Route::Event,
        (Delivery::Private, halted) if announced || halted.is_some() => {
            match private_calendar(caldav, &settings.private_calendar, dry_run).await {
                Ok(companion) => Route::Private(Box::new(companion)),
                Err(e) => Route::Stopped(format!(
                    "this server schedules, so agendas go to your private calendar {:?}, which \
                     cannot be used: {}; name one you own in [agenda] private_calendar",
                    settings.private_calendar,
                    crate::errors::chain(&e)
                )),
            }
        }
        (Delivery::Private, _) => Route::Event,
    }
}

/// Where a Graph calendar's agendas go: Graph tells the attendees of every change the
/// organizer makes, so a private agenda always goes to the private calendar (created in
/// the same account when missing).
async fn graph_route(
    graph: &crate::sources::GraphSource,
    settings: &agenda::plan::Settings,
    dry_run: bool,
) -> Route {
    if settings.delivery == agenda::plan::Delivery::Shared {
        return Route::Event;
    }
    let name = &settings.private_calendar;
    let sibling = graph.sibling(name);
    let snapshot = if dry_run {
        match sibling.fetch().await {
            Ok(snapshot) => Ok(snapshot),
            Err(SourceError::Graph(crate::sources::GraphError::CalendarNotFound { .. })) => {
                Ok(Snapshot {
                    resources: Default::default(),
                    not_modified: false,
                })
            }
            Err(e) => Err(e),
        }
    } else {
        sibling.fetch_or_create().await
    };
    match snapshot {
        Ok(snapshot) => Route::Private(Box::new(Companion::new(
            name,
            Source::Graph(Box::new(sibling)),
            snapshot,
        ))),
        Err(e) => Route::Stopped(format!(
            "Microsoft tells attendees of every change, so agendas go to your private calendar \
             {name:?}, which cannot be used: {}",
            crate::errors::chain(&e)
        )),
    }
}

/// What to say about a calendar whose event writes tete stopped.
pub fn halt_message(calendar: &str, why: &str, since: &str) -> String {
    format!(
        "tete stopped writing into {calendar:?} on {since}: {why}. Check the 1:1s there, then \
         `tete resume {calendar}` to write again"
    )
}

async fn private_calendar(
    caldav: &crate::sources::CaldavSource,
    name: &str,
    dry_run: bool,
) -> Result<Companion, SourceError> {
    let sibling = caldav.sibling(name)?;
    let snapshot = if dry_run {
        match sibling.sync().await {
            Ok((snapshot, _)) => snapshot,
            // A dry run creates nothing: the calendar would be created, empty.
            Err(crate::sources::CaldavError::CalendarNotFound { .. }) => Snapshot {
                resources: Default::default(),
                not_modified: false,
            },
            Err(e) => return Err(e.into()),
        }
    } else {
        sibling.fetch_or_create().await?
    };
    Ok(Companion::new(
        name,
        Source::Caldav(Box::new(sibling)),
        snapshot,
    ))
}

fn read_snapshot(
    gathered: &mut Gathered,
    index: usize,
    name: &str,
    source: &Source,
    snapshot: &Snapshot,
) {
    for (r, resource) in snapshot.resources.iter().enumerate() {
        let origin = source.resource_origin(resource);
        let read = resource
            .open()
            .map_err(|e| crate::errors::chain(&e))
            .and_then(|input| {
                gathered
                    .collector
                    .read(input, &origin)
                    .map_err(|e| crate::errors::chain(&e))
            });
        match read {
            Ok(_) => {
                gathered.origins.insert(origin, (index, r));
            }
            // One unreadable resource is reported; the rest of the calendar is read.
            Err(e) => gathered.failures.push((name.to_string(), e)),
        }
    }
}
