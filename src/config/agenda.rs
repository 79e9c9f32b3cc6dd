//! `[agenda]`: the agenda writer's settings (write-ahead window, delivery, private
//! calendar, templates checked against the sandbox), and what to say to the replaced
//! `scheduling` key.

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, Resolver};

/// `[agenda]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAgenda {
    enabled: Option<bool>,
    write_ahead_days: Option<Spanned<i64>>,
    career_every: Option<u32>,
    template: Option<Spanned<String>>,
    #[serde(default)]
    templates: std::collections::BTreeMap<String, Spanned<String>>,
    delivery: Option<Spanned<String>>,
    private_calendar: Option<Spanned<String>>,
    /// Replaced by `delivery`: read only to say so.
    scheduling: Option<Spanned<String>>,
}

impl Resolver<'_> {
    /// `[agenda]`: builds [`crate::agenda::plan::Settings`], checking each value.
    pub(super) fn agenda(
        &self,
        raw: RawAgenda,
    ) -> Result<crate::agenda::plan::Settings, ConfigError> {
        use crate::agenda::{plan::Delivery, template};
        let mut s = crate::agenda::plan::Settings::default();
        s.enabled = raw.enabled.unwrap_or(s.enabled);
        s.career_every = raw.career_every.unwrap_or(s.career_every);
        if let Some(days) = raw.write_ahead_days {
            if !(0..=90).contains(days.get_ref()) {
                return Err(self.error(
                    days.span(),
                    Some("write_ahead_days"),
                    "must be between 0 and 90",
                ));
            }
            s.write_ahead_days = *days.get_ref();
        }
        if let Some(mode) = raw.scheduling {
            return Err(self.error(
                mode.span(),
                Some("scheduling"),
                replaced_scheduling_mode(mode.get_ref()),
            ));
        }
        if let Some(mode) = raw.delivery {
            s.delivery = match mode.get_ref().as_str() {
                "private" => Delivery::Private,
                "shared" => Delivery::Shared,
                other => {
                    let message = format!(
                        "{other:?} is not a delivery mode: use \"private\" (the agenda reaches only you) or \"shared\" (the other person's copy gets it too)"
                    );
                    return Err(self.error(mode.span(), Some("delivery"), message));
                }
            };
        }
        if let Some(name) = raw.private_calendar {
            if name.get_ref().trim().is_empty() {
                return Err(self.error(
                    name.span(),
                    Some("private_calendar"),
                    "must name a calendar (display name or path)",
                ));
            }
            s.private_calendar = name.get_ref().trim().to_string();
        }
        let check = |t: &Spanned<String>, key: &str| {
            template::validate(t.get_ref())
                .map(|()| t.get_ref().clone())
                .map_err(|e| self.error(t.span(), Some(key), crate::errors::chain(&e)))
        };
        if let Some(t) = &raw.template {
            s.template = Some(check(t, "template")?);
        }
        for (who, t) in &raw.templates {
            s.templates
                .insert(who.to_lowercase(), check(t, "templates")?);
        }
        Ok(s)
    }
}

/// What to say to a config that still names the old `[agenda] scheduling` modes.
fn replaced_scheduling_mode(old: &str) -> String {
    let instead = match old {
        "server" => "delivery = \"shared\"",
        _ => "delivery = \"private\"",
    };
    format!(
        "`scheduling` is gone; write `{instead}` instead. \"silent\" marked the other person \
         SCHEDULE-AGENT=CLIENT, which some servers (Cyrus, Fastmail) answer by removing the 1:1 \
         from their calendar. `delivery = \"private\"` (the default) keeps the agenda where \
         only you see it; `delivery = \"shared\"` lets the server deliver it to them"
    )
}
