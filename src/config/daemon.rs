//! `[daemon]`: the service's interval, jitter, longest backoff and longest cycle.

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, Resolver};

/// `[daemon]`: how often the service runs a cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct DaemonConfig {
    /// Time between cycles (`interval`, default 15 minutes).
    pub interval: std::time::Duration,
    /// Up to this share of the interval is added or taken at random (`jitter`, default 0.1).
    pub jitter: f64,
    /// The longest a failing calendar waits before it is tried again (`max_backoff`,
    /// default 6 hours).
    pub max_backoff: std::time::Duration,
    /// The longest one cycle may take (`max_cycle`, default 5 minutes): then it stops at its
    /// next safe point (between calendars read, between resources written), so a slow
    /// server cannot hold the service past its watchdog or its stop timeout.
    pub max_cycle: std::time::Duration,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            interval: std::time::Duration::from_secs(15 * 60),
            jitter: 0.1,
            max_backoff: std::time::Duration::from_secs(6 * 3600),
            max_cycle: std::time::Duration::from_secs(5 * 60),
        }
    }
}

/// `[daemon]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDaemon {
    interval: Option<Spanned<String>>,
    jitter: Option<Spanned<f64>>,
    max_backoff: Option<Spanned<String>>,
    max_cycle: Option<Spanned<String>>,
}

impl Resolver<'_> {
    /// `[daemon]`: durations as people write them (`"15m"`, `"1h 30m"`), checked.
    pub(super) fn daemon(&self, raw: RawDaemon) -> Result<DaemonConfig, ConfigError> {
        let mut d = DaemonConfig::default();
        let duration = |v: &Spanned<String>, key: &str| {
            humantime::parse_duration(v.get_ref()).map_err(|e| {
                self.error(
                    v.span(),
                    Some(key),
                    format!("not a duration such as \"15m\" or \"1h 30m\": {e}"),
                )
            })
        };
        if let Some(v) = &raw.interval {
            d.interval = duration(v, "interval")?;
            if d.interval < std::time::Duration::from_secs(1) {
                return Err(self.error(v.span(), Some("interval"), "must be at least 1s"));
            }
        }
        if let Some(v) = &raw.max_backoff {
            d.max_backoff = duration(v, "max_backoff")?;
        }
        if let Some(v) = &raw.max_cycle {
            d.max_cycle = duration(v, "max_cycle")?;
            if d.max_cycle < std::time::Duration::from_secs(10) {
                return Err(self.error(v.span(), Some("max_cycle"), "must be at least 10s"));
            }
        }
        if let Some(j) = raw.jitter {
            if !(0.0..=0.5).contains(j.get_ref()) {
                return Err(self.error(j.span(), Some("jitter"), "must be between 0 and 0.5"));
            }
            d.jitter = *j.get_ref();
        }
        Ok(d)
    }
}
