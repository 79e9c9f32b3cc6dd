//! One cycle of the main job, end to end: read, detect, record, plan and write the agendas.
//! `tete run --once` runs it once; the daemon runs it every interval.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::agenda;
use crate::cadence;
use crate::cadence::Settings;
use crate::cycle::{self, AgendaPlans, Caching, Gathered, Outcome, Stop, Warm};
use crate::detect::{Identity, Overrides};
use crate::history::{History, HistoryError, RecordSummary};
use crate::nudge;
use crate::sources::CalendarSpec;
use crate::state::StateFile;
use crate::zone::Zone;

/// Everything a cycle needs, resolved from the config (or the command line).
#[derive(Debug, Clone)]
pub struct Job {
    /// The calendars to read.
    pub calendars: Vec<CalendarSpec>,
    /// Who I am.
    pub me: Identity,
    /// Detection overrides.
    pub overrides: Overrides,
    /// Cadence settings.
    pub settings: Settings,
    /// Agenda settings.
    pub agenda: agenda::plan::Settings,
    /// Nudge rules and channels.
    pub nudges: nudge::Settings,
    /// The most steps one event's recurrence rules may take (`max_rule_steps`): a hostile
    /// or broken rule is cut there with a warning naming the event; the others expand.
    pub max_rule_steps: u64,
    /// The weekly digest: whether and when the daemon sends it.
    pub digest: crate::report::digest::DigestSettings,
    /// Action items as tasks in the manager's task list (`[tasks]`), when set.
    pub tasks: Option<crate::tasks::Settings>,
    /// The state file.
    pub state_file: PathBuf,
    /// Where feeds are cached.
    pub feed_cache_dir: PathBuf,
    /// Time allowed for one HTTP request (`request_timeout`, default 60 s).
    pub request_timeout: std::time::Duration,
    /// "Now".
    pub now: DateTime<Utc>,
    /// Count from this time instead of the trailing window (`report --since`).
    pub since: Option<DateTime<Utc>>,
}

impl Job {
    /// The job with every time shown and every day counted in `zone`.
    pub fn in_zone(mut self, zone: Zone) -> Job {
        self.settings.zone = zone;
        self.agenda.zone = zone;
        self.nudges.zone = zone;
        self
    }

    /// The zone times are shown in.
    pub fn zone(&self) -> Zone {
        self.agenda.zone
    }
}

/// Why a cycle could not run at all (one calendar failing is not such a reason).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The state file could not be used.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// Asked to stop (SIGTERM, the cycle's time bound) before anything was written.
    #[error("stopped before the calendars were read")]
    Stopped,
    /// Not a single calendar could be read.
    #[error("no calendar could be read: {0}")]
    NothingRead(ReadFailures),
}

/// Calendars that could not be read, each with its cause: `a.ics: cannot read ...; work:
/// 401 Unauthorized`. The first line a person sees then names every cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFailures(pub Vec<(String, String)>);

impl std::fmt::Display for ReadFailures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (name, cause)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{name}: {cause}")?;
        }
        Ok(())
    }
}

/// What one cycle did.
#[derive(Debug)]
pub struct CycleReport {
    /// Calendars that could not be read: `(name, error)`.
    pub failures: Vec<(String, String)>,
    /// The cycle's detection, history and analyses.
    pub outcome: Outcome,
    /// The agenda plans (what was, or in a dry run would be, written).
    pub plans: AgendaPlans,
    /// The calendars as read (for showing the plans).
    pub gathered: Gathered,
    /// Agendas written.
    pub written: usize,
    /// Resources whose write failed: `(href, error)`.
    pub write_failures: Vec<(String, String)>,
    /// Resources not written this cycle because their writes keep failing (backoff).
    pub held_writes: Vec<crate::history::HeldWrite>,
    /// The nudges due this cycle (sent or not).
    pub nudges: Vec<nudge::Nudge>,
    /// What was sent, held or failed (empty in a dry run: nothing is sent).
    pub delivery: nudge::DeliveryReport,
    /// The task list step (`[tasks]`).
    pub tasks: cycle::TaskReport,
}

impl CycleReport {
    /// Each person's open action items and current nudges, for the report.
    pub fn people_notes(&self) -> crate::report::PeopleNotes {
        let mut notes = crate::report::PeopleNotes::new();
        for (key, plan) in &self.plans.plans {
            let person = notes.entry(key.clone()).or_default();
            person.open_items = plan.open.clone();
            person.agendas = plan
                .placed
                .iter()
                .map(|(start, place)| (start.as_utc().and_utc(), place.to_string()))
                .collect();
        }
        for entry in &self.outcome.entries {
            let key = entry.relationship.counterpart.key();
            let messages = self
                .nudges
                .iter()
                .filter(|n| n.relationship == key.as_str())
                .map(|n| n.message.clone())
                .collect::<Vec<_>>();
            notes.entry(key).or_default().nudges.extend(messages);
        }
        notes
    }

    /// One line for logs and `sd_notify` STATUS.
    pub fn summary(&self) -> String {
        let RecordSummary {
            new,
            changed,
            deleted,
        } = self.outcome.recorded;
        format!(
            "{} 1:1s; history +{new} ~{changed} -{deleted}; {} agenda(s) written; {} task(s) written, {} closed; {} calendar(s) failed; {} write(s) held back; {} nudge(s): {}",
            self.outcome.entries.len(),
            self.written,
            self.tasks.written,
            self.tasks.closed.len(),
            self.failures.len() + self.write_failures.len(),
            self.held_writes.len(),
            self.nudges.len(),
            self.delivery
        )
    }
}

/// Runs one cycle of `job` over `state`. With `dry_run`, plans but writes no calendar (the
/// caller gives a scratch copy of the state).
pub async fn run_cycle(
    job: &Job,
    state: &mut StateFile,
    dry_run: bool,
) -> Result<CycleReport, JobError> {
    run_cycle_until(job, state, dry_run, &Stop::default(), &mut Warm::none()).await
}

/// [`run_cycle`], stopping at the first safe point after `stop` is requested: reading is
/// abandoned (nothing was written; the next cycle reads again), writes stop between
/// resources (a write started is finished and recorded), and no nudge is sent. What the
/// previous cycle kept in `warm` is reused where it still holds (see [`Warm`]).
pub async fn run_cycle_until(
    job: &Job,
    state: &mut StateFile,
    dry_run: bool,
    stop: &Stop,
    warm: &mut Warm,
) -> Result<CycleReport, JobError> {
    run_cycle_cached(job, state, dry_run, stop, Caching::from_env(), warm).await
}

/// [`run_cycle_until`], with the cache on or off (the tests compare the two).
pub(crate) async fn run_cycle_cached(
    job: &Job,
    state: &mut StateFile,
    dry_run: bool,
    stop: &Stop,
    caching: Caching,
    warm: &mut Warm,
) -> Result<CycleReport, JobError> {
    let mut steps = StepTimer::start();
    let sync_state = state.caldav_sync();
    let store = state.history_mut();
    let http = warm.http(job.request_timeout);
    let gather = cycle::gather::gather_with(
        &job.calendars,
        &job.feed_cache_dir,
        Some(&sync_state),
        &http,
        warm.sources(),
        caching == Caching::Off,
    );
    let mut gathered = tokio::select! {
        gathered = gather => gathered,
        () = stop.wait() => return Err(JobError::Stopped),
    };
    steps.done("gather");
    for (name, error) in &gathered.failures {
        tracing::warn!(calendar = %name, %error, "calendar not read");
    }
    if gathered.calendars.is_empty() && !job.calendars.is_empty() {
        return Err(JobError::NothingRead(ReadFailures(gathered.failures)));
    }
    gathered.collector.set_max_rule_steps(job.max_rule_steps);
    cycle::route_agendas(&mut gathered, &job.agenda, dry_run).await;
    steps.done("route agendas");
    let mut tasks = cycle::TaskReport::default();
    let task_list = match &job.tasks {
        Some(settings) => {
            tasks.list = Some(settings.list.name.clone());
            let access = cycle::ListAccess {
                cache_dir: &job.feed_cache_dir,
                http: &http,
                sync_state: Some(&sync_state),
            };
            match cycle::open_task_list(&mut gathered, settings, &access, dry_run).await {
                Ok(list) => {
                    tasks.created = list.created;
                    // Before planning: an item whose task was finished is not on this
                    // cycle's agendas.
                    cycle::close_finished_tasks(store, &list, job.now, &mut tasks)?;
                    Some((list, settings.owner))
                }
                Err(why) => {
                    tracing::warn!("tasks not synced: {why}");
                    tasks.problem = Some(why);
                    None
                }
            }
        }
        None => None,
    };
    let mut outcome = match caching {
        Caching::On => cycle::cache::run(&mut gathered, job, store, warm)?,
        Caching::Off => cycle::run(
            &mut gathered.collector,
            &job.me,
            &job.overrides,
            store,
            job.now,
            job.since,
            &job.settings,
        )?,
    };
    steps.done("detect, record, analyse");
    for w in outcome.warnings.iter().take(50) {
        tracing::warn!("{w}");
    }
    let plans =
        cycle::agendas::plan_agendas_kept(&gathered, &outcome, store, job.now, &job.agenda, warm)?;
    for (entry, (_, plan)) in outcome.entries.iter_mut().zip(&plans.plans) {
        let raised: Vec<_> = plan.open.iter().map(|o| o.first_raised).collect();
        let first_name = entry.relationship.counterpart.first_name();
        cadence::suggest_for_open_items(&mut entry.analysis, &first_name, &raised, &job.settings);
    }
    for (_, plan) in &plans.plans {
        for why in &plan.skipped {
            tracing::info!("agenda not written for {why}");
        }
    }
    steps.done("plan agendas");
    let nudges = cycle::current_nudges(&outcome, &plans, job.now, &job.nudges);
    let mut report = CycleReport {
        failures: std::mem::take(&mut gathered.failures),
        outcome,
        plans,
        gathered,
        written: 0,
        write_failures: Vec::new(),
        held_writes: Vec::new(),
        nudges,
        delivery: nudge::DeliveryReport::default(),
        tasks,
    };
    if !dry_run {
        write_agendas(job, store, &mut report, stop).await?;
    }
    steps.done("nudges, write agendas");
    if let Some((list, owners)) = &task_list {
        let items = cycle::item_tasks(
            &report.outcome,
            &report.plans,
            &job.me,
            *owners,
            &store.tasks()?,
        );
        let keep_going = || !stop.requested();
        cycle::sync_tasks(
            store,
            list,
            &items,
            job.now,
            dry_run,
            &keep_going,
            &mut report.tasks,
        )
        .await?;
    }
    report
        .nudges
        .extend(cycle::writes_stopped(&report.gathered));
    if !dry_run && !stop.requested() {
        // The digest goes with the nudges, not among them: `tete nudges` lists streaks.
        let digest = cycle::due_digest(&report, job, store)?;
        let to_send: Vec<nudge::Nudge> = report.nudges.iter().cloned().chain(digest).collect();
        report.delivery = nudge::deliver(store, &to_send, &job.nudges, job.now).await?;
    }
    steps.done("tasks, digest, deliver");
    Ok(report)
}

/// Logs how long each step of a cycle took (at debug level: `TETE_LOG=tete=debug`), so a
/// slow cycle shows where its time went.
struct StepTimer {
    last: std::time::Instant,
}

impl StepTimer {
    fn start() -> StepTimer {
        StepTimer {
            last: std::time::Instant::now(),
        }
    }

    fn done(&mut self, step: &str) {
        let now = std::time::Instant::now();
        let ms = (now - self.last).as_secs_f64() * 1000.0;
        tracing::debug!(step, ms = format!("{ms:.1}"), "cycle step done");
        self.last = now;
    }
}

async fn write_agendas(
    job: &Job,
    store: &mut dyn History,
    report: &mut CycleReport,
    stop: &Stop,
) -> Result<(), JobError> {
    let mut destinations = Vec::new();
    for d in report.plans.writes(&report.gathered) {
        match store.held_write(&d.resource_key(), job.now)? {
            Some(held) => report.held_writes.push(held),
            None => destinations.push(d),
        }
    }
    for held in &report.held_writes {
        tracing::info!(
            resource = %held.resource,
            failures = held.failures,
            retry_at = %held.retry_at,
            "agenda write held back after failures: {}",
            held.last_error
        );
    }
    let outcomes = agenda::write::apply_while(destinations, job.now, &|| !stop.requested()).await;
    for outcome in outcomes {
        match &outcome.result {
            Ok(_) => store.clear_write_failure(&outcome.key)?,
            Err(e) if e.is_permanent() => {
                let retry_at =
                    store.record_write_failure(&outcome.key, &crate::errors::chain(e), job.now)?;
                tracing::warn!(resource = %outcome.key, %retry_at, "write failed for good; not tried again before then");
            }
            Err(_) => {}
        }
        if !outcome.unexpected.is_empty() {
            report.write_failures.push((
                outcome.href.clone(),
                format!(
                    "the server changed what tete did not write ({}); writes into this calendar stopped",
                    outcome.unexpected.join("; ")
                ),
            ));
        }
        match outcome.result {
            Ok(written) => {
                for w in written {
                    store.record_written(&w.series_uid, &w.recurrence_id, &w.agenda, job.now)?;
                    report.written += 1;
                }
            }
            Err(e) => {
                let e = crate::errors::chain(&e);
                tracing::warn!(resource = %outcome.href, error = %e, "agenda not written");
                report.write_failures.push((outcome.href, e));
            }
        }
    }
    for (key, plan) in &report.plans.plans {
        store.record_items(key.as_str(), &plan.items_seen, job.now)?;
    }
    Ok(())
}
