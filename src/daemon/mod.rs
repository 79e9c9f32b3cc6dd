//! The service: one cycle per interval, signals, `sd_notify`, and a lock so that only one
//! instance works on a state file.
//!
//! Between cycles the daemon sleeps on a single timer (plus a watchdog timer when systemd
//! asks for one): no polling. SIGTERM and SIGINT end it between cycles, so a cycle's
//! transaction and writes are never cut in half by a stop; SIGHUP reloads the config, and a
//! bad config keeps the old one. A calendar that fails backs off (its interval doubles, up
//! to `max_backoff`) while the others go on.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use sd_notify::NotifyState;
use tokio::signal::unix::{SignalKind, signal};
use tokio::time::Instant;

use crate::config::{Config, ConfigError, DaemonConfig};
use crate::state::{StateError, StateFile};

use crate::cycle::{Job, JobError, Stop, Warm, run_cycle_until};

/// Why the daemon stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The configuration could not be loaded at start.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Another instance holds the lock on this state file.
    #[error(
        "another tete is already running on {} (lock file {}); stop it first",
        state.display(),
        lock.display()
    )]
    AlreadyRunning {
        /// The state file.
        state: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// The lock file could not be created.
    #[error("cannot create the lock file {}", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The state file could not be opened.
    #[error(transparent)]
    State(#[from] StateError),
    /// Signal handlers could not be installed.
    #[error("cannot listen for signals")]
    Signals(#[source] std::io::Error),
}

/// Holds the exclusive lock on `<state file>.lock` for as long as it lives.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
}

/// Takes the lock next to the state file, or says that another instance has it.
pub fn lock(state_file: &Path) -> Result<InstanceLock, DaemonError> {
    let mut name = state_file.as_os_str().to_os_string();
    name.push(".lock");
    let path = PathBuf::from(name);
    let file =
        crate::private_file::open_for_writing(&path).map_err(|source| DaemonError::Lock {
            path: path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(InstanceLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(DaemonError::AlreadyRunning {
            state: state_file.to_path_buf(),
            lock: path,
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(DaemonError::Lock { path, source }),
    }
}

/// A calendar's failures: how many in a row, and when it may be tried again.
#[derive(Debug, Clone)]
struct Backoff {
    failures: u32,
    retry_at: Instant,
    /// Why the last try failed, for the status line.
    last_error: String,
}

/// The interval with up to ±`jitter` of it added, so that many daemons (or many calendars
/// on one server) do not all wake at the same second.
fn jittered(interval: Duration, jitter: f64) -> Duration {
    let spread = interval.as_secs_f64() * jitter.clamp(0.0, 0.5);
    let noise = fastrand::f64();
    Duration::from_secs_f64((interval.as_secs_f64() + spread * (2.0 * noise - 1.0)).max(1.0))
}

fn notify(states: &[NotifyState]) {
    // Not running under systemd (no NOTIFY_SOCKET) is normal; a broken socket is logged.
    if let Err(e) = sd_notify::notify(states) {
        tracing::debug!(error = %e, "sd_notify failed");
    }
}

/// Runs the daemon with the config at `config_path` until SIGTERM or SIGINT.
pub async fn run(config_path: PathBuf) -> Result<(), DaemonError> {
    let mut config = Config::load(&config_path)?;
    let _lock = lock(&config.state_file)?;
    let mut state = StateFile::open(&config.state_file)?;
    let mut term = signal(SignalKind::terminate()).map_err(DaemonError::Signals)?;
    let mut int = signal(SignalKind::interrupt()).map_err(DaemonError::Signals)?;
    let mut hup = signal(SignalKind::hangup()).map_err(DaemonError::Signals)?;
    let watchdog = sd_notify::watchdog_enabled();
    let mut backoff: HashMap<String, Backoff> = HashMap::new();
    // What one cycle read and parsed, for the next: an idle cycle redoes none of it.
    let mut warm = Warm::kept();
    tracing::info!(config = %config_path.display(), state = %config.state_file.display(), "tete daemon started");
    notify(&[
        NotifyState::Ready,
        NotifyState::Status("starting the first cycle"),
    ]);
    loop {
        let (status, stopping) = cycle_watched(
            &config,
            &mut state,
            &mut backoff,
            &mut warm,
            watchdog,
            &mut term,
            &mut int,
        )
        .await;
        notify(&[NotifyState::Status(&status)]);
        if let Some(signal) = stopping {
            return stop(signal);
        }
        let next = Instant::now() + jittered(config.daemon.interval, config.daemon.jitter);
        loop {
            let ping = watchdog.map(|w| Instant::now() + w / 2);
            tokio::select! {
                () = tokio::time::sleep_until(next) => break,
                () = sleep_until_opt(ping) => notify(&[NotifyState::Watchdog]),
                _ = term.recv() => return stop("SIGTERM"),
                _ = int.recv() => return stop("SIGINT"),
                _ = hup.recv() => reload(&config_path, &mut config),
            }
        }
    }
}

/// One cycle, with the watchdog pinged while it runs, SIGTERM and SIGINT asking it to stop
/// at its next safe point, and `[daemon] max_cycle` bounding it. Returns the status line and
/// the signal that asked the service to stop, if one did.
async fn cycle_watched(
    config: &Config,
    state: &mut StateFile,
    backoff: &mut HashMap<String, Backoff>,
    warm: &mut Warm,
    watchdog: Option<Duration>,
    term: &mut tokio::signal::unix::Signal,
    int: &mut tokio::signal::unix::Signal,
) -> (String, Option<&'static str>) {
    let stop_cycle = Stop::default();
    let work = cycle(config, state, backoff, warm, &stop_cycle);
    let bound = tokio::time::sleep(config.daemon.max_cycle);
    tokio::pin!(work, bound);
    let mut stopping = None;
    loop {
        let ping = watchdog.map(|w| Instant::now() + w / 2);
        tokio::select! {
            status = &mut work => return (status, stopping),
            () = sleep_until_opt(ping) => notify(&[NotifyState::Watchdog]),
            _ = term.recv(), if stopping.is_none() => {
                stopping = Some("SIGTERM");
                stop_cycle.request();
            }
            _ = int.recv(), if stopping.is_none() => {
                stopping = Some("SIGINT");
                stop_cycle.request();
            }
            () = &mut bound, if !stop_cycle.requested() => {
                tracing::warn!(
                    max_cycle = %humantime::format_duration(config.daemon.max_cycle),
                    "cycle took too long: stopping it at the next safe point"
                );
                stop_cycle.request();
            }
        }
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn stop(signal: &str) -> Result<(), DaemonError> {
    notify(&[NotifyState::Stopping]);
    tracing::info!("{signal} received: stopping");
    Ok(())
}

/// Loads the config again; a bad one is logged and the old one kept.
fn reload(path: &Path, config: &mut Config) {
    // systemd wants the monotonic time with RELOADING=1 (Type=notify-reload).
    match NotifyState::monotonic_usec_now() {
        Ok(now) => notify(&[NotifyState::Reloading, now]),
        Err(_) => notify(&[NotifyState::Reloading]),
    }
    match Config::load(path) {
        Ok(new) if new.state_file != config.state_file => {
            tracing::error!(
                "config reloaded but state_file changed ({} -> {}): restart tete to switch state files; keeping the old config",
                config.state_file.display(),
                new.state_file.display()
            );
        }
        Ok(new) => {
            *config = new;
            tracing::info!("config reloaded");
        }
        Err(e) => tracing::error!(
            "config not reloaded, keeping the old one: {}",
            crate::errors::chain(&e)
        ),
    }
    notify(&[NotifyState::Ready]);
}

/// One cycle with the calendars that are not backing off. Returns the status line.
async fn cycle(
    config: &Config,
    state: &mut StateFile,
    backoff: &mut HashMap<String, Backoff>,
    warm: &mut Warm,
    stop: &Stop,
) -> String {
    let now = Instant::now();
    let mut job = config.job(Utc::now());
    job.calendars
        .retain(|c| backoff.get(&c.name).is_none_or(|b| b.retry_at <= now));
    let skipped = config.calendars.len() - job.calendars.len();
    if job.calendars.is_empty() && skipped > 0 {
        // Nothing to read this time: say why, rather than "0 calendar(s) failed".
        let status = backing_off(backoff, now);
        tracing::info!("cycle skipped: {status}");
        return status;
    }
    let used_before = Usage::now();
    let status = match run_cycle_until(&job, state, false, stop, warm).await {
        Ok(report) => {
            update_backoff(backoff, &config.daemon, &job, &report.failures, now);
            let status = report.summary();
            let usage = Usage::now();
            tracing::info!(
                cpu_ms = %usage.cpu_ms_since(&used_before),
                peak_rss_mib = %usage.peak_rss_mib(),
                "cycle done: {status}"
            );
            status
        }
        // Stopped by a signal or `max_cycle` while reading: nobody failed.
        Err(JobError::Stopped) => "cycle stopped while reading the calendars".to_string(),
        Err(e) => {
            let e = crate::errors::chain(&e);
            let failures: Vec<(String, String)> = job
                .calendars
                .iter()
                .map(|c| (c.name.clone(), e.clone()))
                .collect();
            update_backoff(backoff, &config.daemon, &job, &failures, now);
            tracing::error!("cycle failed: {e}");
            format!("last cycle failed: {e}")
        }
    };
    if skipped > 0 {
        format!("{status}; {}", backing_off(backoff, now))
    } else {
        status
    }
}

/// The process's resource use so far (every thread's, those that ended included): what the
/// log says one cycle cost, so a daemon's cost per cycle can be measured where it runs
/// (`bench/cycle` reads it), without the start-up a `run --once` process pays.
struct Usage(Option<nix::sys::resource::Usage>);

impl Usage {
    fn now() -> Usage {
        Usage(nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF).ok())
    }

    /// CPU time (user + system) used since `before`, in milliseconds to a tenth (the kernel
    /// counts in microseconds).
    fn cpu_ms_since(&self, before: &Usage) -> String {
        match (&self.0, &before.0) {
            (Some(now), Some(before)) => {
                format!("{:.1}", (cpu_us(now) - cpu_us(before)) as f64 / 1000.0)
            }
            _ => "unknown".to_string(),
        }
    }

    /// The process's peak resident memory so far, MiB.
    fn peak_rss_mib(&self) -> String {
        self.0.as_ref().map_or_else(
            || "unknown".to_string(),
            // Linux counts it in KiB.
            |u| format!("{:.1}", u.max_rss() as f64 / 1024.0),
        )
    }
}

/// User plus system CPU time, in microseconds.
fn cpu_us(usage: &nix::sys::resource::Usage) -> i64 {
    let us = |t: nix::sys::time::TimeVal| t.tv_sec() * 1_000_000 + t.tv_usec();
    us(usage.user_time()) + us(usage.system_time())
}

/// "2 calendar(s) backing off: work (3 failures, next try in 30m: 401 Unauthorized); ..."
fn backing_off(backoff: &HashMap<String, Backoff>, now: Instant) -> String {
    let mut waiting: Vec<_> = backoff.iter().filter(|(_, b)| b.retry_at > now).collect();
    waiting.sort_by(|a, b| a.0.cmp(b.0));
    let each: Vec<String> = waiting
        .iter()
        .map(|(name, b)| {
            let wait = Duration::from_secs(b.retry_at.saturating_duration_since(now).as_secs());
            format!(
                "{name} ({} failure{}, next try in {}: {})",
                b.failures,
                if b.failures == 1 { "" } else { "s" },
                humantime::format_duration(wait),
                b.last_error
            )
        })
        .collect();
    format!(
        "{} calendar(s) backing off: {}",
        each.len(),
        each.join("; ")
    )
}

fn update_backoff(
    backoff: &mut HashMap<String, Backoff>,
    settings: &DaemonConfig,
    job: &Job,
    failures: &[(String, String)],
    now: Instant,
) {
    for calendar in &job.calendars {
        if let Some((_, error)) = failures.iter().find(|(name, _)| *name == calendar.name) {
            let last_error = error.clone();
            let failures = backoff.get(&calendar.name).map_or(1, |b| b.failures + 1);
            let wait = settings
                .interval
                .saturating_mul(1 << failures.min(16))
                .min(settings.max_backoff);
            tracing::warn!(calendar = %calendar.name, failures, wait = %humantime::format_duration(wait), "backing off");
            backoff.insert(
                calendar.name.clone(),
                Backoff {
                    failures,
                    retry_at: now + wait,
                    last_error,
                },
            );
        } else {
            backoff.remove(&calendar.name);
        }
    }
}

/// Sets up logging to stderr for the daemon: no timestamps under journald (it adds its
/// own), level from `TETE_LOG` (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TETE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(false);
    let result = if std::env::var_os("JOURNAL_STREAM").is_some() {
        builder.without_time().try_init()
    } else {
        builder.try_init()
    };
    // Already set (tests): keep the first.
    let _ = result;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cycles_cost_is_logged_as_plain_numbers() {
        // `bench/cycle` reads these two fields as numbers.
        let before = Usage::now();
        let spent: u64 = (0..200_000u64).map(|i| i % 7).sum();
        assert!(spent > 0);
        let after = Usage::now();
        let cpu: f64 = after.cpu_ms_since(&before).parse().unwrap();
        let rss: f64 = after.peak_rss_mib().parse().unwrap();
        assert!(cpu >= 0.0, "{cpu}");
        assert!(rss > 1.0, "{rss}");
    }

    #[test]
    fn jitter_stays_within_bounds() {
        let base = Duration::from_secs(900);
        for _ in 0..100 {
            let d = jittered(base, 0.1);
            assert!(
                d >= Duration::from_secs(810) && d <= Duration::from_secs(990),
                "{d:?}"
            );
        }
        assert_eq!(
            jittered(Duration::from_secs(10), 0.0),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn a_second_lock_on_the_same_state_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.sqlite");
        let first = lock(&state).unwrap();
        let err = lock(&state).unwrap_err();
        assert!(err.to_string().contains("already running"), "{err}");
        drop(first);
        assert!(lock(&state).is_ok());
    }

    #[test]
    fn the_status_says_which_calendars_back_off_and_why() {
        let now = Instant::now();
        let mut backoff = HashMap::new();
        backoff.insert(
            "work".to_string(),
            Backoff {
                failures: 3,
                retry_at: now + Duration::from_secs(1800),
                last_error: "PROPFIND https://dav.example/: the server answered 401".into(),
            },
        );
        backoff.insert(
            "done".to_string(),
            Backoff {
                failures: 1,
                retry_at: now,
                last_error: "gone".into(),
            },
        );
        assert_eq!(
            backing_off(&backoff, now),
            "1 calendar(s) backing off: work (3 failures, next try in 30m: PROPFIND \
             https://dav.example/: the server answered 401)"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_lock_is_private_like_the_state_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("new/state.sqlite");
        let _lock = lock(&state).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("new/state.sqlite.lock")), 0o600);
        assert_eq!(mode(&dir.path().join("new")), 0o700);
    }
}
