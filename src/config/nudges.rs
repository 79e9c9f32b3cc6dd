//! `[nudges]`: the nudge rules' thresholds, quiet hours, their time zone, and the channels
//! (`[nudges.desktop]`, `[nudges.email]`, `[nudges.webhook]`). Kept apart from config.rs so
//! the section grows without touching the rest of the file.

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, Resolver};
use crate::nudge::{
    Channels, DesktopChannel, EmailChannel, QuietHours, Security, Settings, WebhookChannel,
};
use crate::secret::Secret;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNudges {
    enabled: Option<bool>,
    moved_at_least: Option<usize>,
    moved_of_last: Option<Spanned<usize>>,
    cancelled_in_a_row: Option<usize>,
    overdue_factor: Option<Spanned<f64>>,
    item_open_meetings: Option<u32>,
    item_overdue_days: Option<Spanned<i64>>,
    quiet_hours: Option<Spanned<String>>,
    time_zone: Option<Spanned<String>>,
    desktop: Option<RawDesktop>,
    email: Option<Spanned<RawEmail>>,
    webhook: Option<Spanned<RawWebhook>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDesktop {
    enabled: Option<bool>,
    bus: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEmail {
    server: Spanned<String>,
    port: Option<u16>,
    security: Option<Spanned<String>>,
    username: Option<String>,
    password: Option<Secret>,
    from: Spanned<String>,
    to: Spanned<Vec<Spanned<String>>>,
    ca_file: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    url: Secret,
}

impl Resolver<'_> {
    pub(super) fn nudges(&self, raw: RawNudges) -> Result<Settings, ConfigError> {
        let mut s = Settings::default();
        s.enabled = raw.enabled.unwrap_or(s.enabled);
        let r = &mut s.rules;
        r.moved_at_least = raw.moved_at_least.unwrap_or(r.moved_at_least);
        if let Some(n) = &raw.moved_of_last {
            r.moved_of_last = *n.get_ref();
        }
        if r.moved_at_least > r.moved_of_last {
            let span = raw.moved_of_last.as_ref().map_or(0..0, Spanned::span);
            return Err(self.error(
                span,
                Some("moved_of_last"),
                "must be at least moved_at_least",
            ));
        }
        r.cancelled_in_a_row = raw.cancelled_in_a_row.unwrap_or(r.cancelled_in_a_row);
        if let Some(f) = raw.overdue_factor {
            return Err(self.error(
                f.span(),
                Some("overdue_factor"),
                "moved: the report and the nudges share one overdue rule; set \
                 `overdue_intervals` in [cadence] instead",
            ));
        }
        r.item_open_meetings = raw.item_open_meetings.unwrap_or(r.item_open_meetings);
        if let Some(d) = raw.item_overdue_days {
            if *d.get_ref() < 0 {
                return Err(self.error(d.span(), Some("item_overdue_days"), "must be 0 or more"));
            }
            r.item_overdue_days = *d.get_ref();
        }
        if let Some(q) = raw.quiet_hours {
            s.quiet_hours = match q.get_ref().trim() {
                "" => None,
                text => Some(
                    text.parse::<QuietHours>()
                        .map_err(|e| self.error(q.span(), Some("quiet_hours"), e.to_string()))?,
                ),
            };
        }
        if let Some(z) = &raw.time_zone {
            s.zone = self.zone(z, "time_zone")?;
        }
        let desktop = raw.desktop.unwrap_or_default();
        s.channels = Channels {
            // On by default: a person running tete in their session wants to see nudges;
            // without a session bus they are skipped with a log line.
            desktop: desktop
                .enabled
                .unwrap_or(true)
                .then_some(DesktopChannel { bus: desktop.bus }),
            email: raw.email.map(|e| self.email(e)).transpose()?,
            webhook: raw
                .webhook
                .map(|w| {
                    let span = w.span();
                    self.resolve_secret(w.into_inner().url, span, "url")
                        .map(|url| WebhookChannel { url })
                })
                .transpose()?,
        };
        Ok(s)
    }

    fn email(&self, raw: Spanned<RawEmail>) -> Result<EmailChannel, ConfigError> {
        let span = raw.span();
        let raw = raw.into_inner();
        let security = match &raw.security {
            None => Security::StartTls,
            Some(sec) => match sec.get_ref().as_str() {
                "starttls" => Security::StartTls,
                "tls" => Security::Tls,
                "plain" => Security::Plain,
                other => {
                    let message = format!(
                        "{other:?} is not a security mode: use \"starttls\", \"tls\" or \"plain\""
                    );
                    return Err(self.error(sec.span(), Some("security"), message));
                }
            },
        };
        let server = raw.server.get_ref().trim().to_string();
        if server.is_empty() {
            return Err(self.error(raw.server.span(), Some("server"), "the server is empty"));
        }
        let local = matches!(server.as_str(), "localhost" | "127.0.0.1" | "::1" | "[::1]");
        if security == Security::Plain && !local {
            let span = raw.security.as_ref().map_or(span.clone(), Spanned::span);
            return Err(self.error(
                span,
                Some("security"),
                "\"plain\" sends mail and password unencrypted: only for a server on this machine (localhost)",
            ));
        }
        let address = |a: &Spanned<String>, key: &str| {
            a.get_ref()
                .parse::<lettre::message::Mailbox>()
                .map(|_| a.get_ref().clone())
                .map_err(|e| {
                    let message = format!("{:?} is not an email address: {e}", a.get_ref());
                    self.error(a.span(), Some(key), message)
                })
        };
        let from = address(&raw.from, "from")?;
        if raw.to.get_ref().is_empty() {
            return Err(self.error(raw.to.span(), Some("to"), "name at least one recipient"));
        }
        let to = raw
            .to
            .get_ref()
            .iter()
            .map(|t| address(t, "to"))
            .collect::<Result<Vec<_>, _>>()?;
        let password = raw
            .password
            .map(|p| self.resolve_secret(p, span.clone(), "password"))
            .transpose()?;
        if password.is_some() && raw.username.is_none() {
            return Err(self.error(span, Some("username"), "a password needs a username"));
        }
        Ok(EmailChannel {
            server,
            port: raw.port.unwrap_or(security.default_port()),
            security,
            username: raw.username,
            password,
            from,
            to,
            ca_file: raw
                .ca_file
                .as_ref()
                .map(|f| self.resolve_path(f, "ca_file"))
                .transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::{Config, ConfigError};
    use crate::nudge::{QuietHours, Security, Zone};

    const CALENDAR: &str = "[[calendar]]\nname = \"a\"\nfile = \"a.ics\"\n";

    fn parse(nudges: &str) -> Result<Config, ConfigError> {
        Config::parse(
            &format!("{CALENDAR}{nudges}"),
            Path::new("/etc/tete/config.toml"),
        )
    }

    #[test]
    fn defaults_without_a_section() {
        let c = parse("").unwrap();
        let n = &c.nudges;
        assert!(n.enabled);
        assert_eq!(n.rules, crate::nudge::Rules::default());
        assert_eq!(n.quiet_hours, Some(QuietHours::default()));
        // The machine's zone, by name when it has one (what people see on their clock).
        assert_eq!(n.zone, Zone::machine());
        assert!(n.channels.desktop.is_some());
        assert!(n.channels.email.is_none() && n.channels.webhook.is_none());
    }

    #[test]
    fn the_manager_s_zone_comes_from_me_then_nudges() {
        let both = parse(
            "[me]\nemail = \"mia@example.com\"\ntime_zone = \"Europe/Berlin\"\n\
             [nudges]\ntime_zone = \"Asia/Tokyo\"\n",
        )
        .unwrap();
        let berlin = Zone::Named(chrono_tz::Europe::Berlin);
        assert_eq!(both.zone, berlin);
        assert_eq!(
            (both.nudges.zone, both.cadence.zone, both.agenda.zone),
            (berlin, berlin, berlin)
        );
        let nudges_only = parse("[nudges]\ntime_zone = \"Asia/Tokyo\"\n").unwrap();
        assert_eq!(nudges_only.zone, Zone::Named(chrono_tz::Asia::Tokyo));
        let err = parse("[me]\ntime_zone = \"Mars/Olympus\"\n").unwrap_err();
        assert!(err.to_string().contains("time_zone"), "{err}");
    }

    #[test]
    fn one_overdue_rule_for_report_and_nudges() {
        let c = parse("[cadence]\noverdue_intervals = 3.5\n[nudges]\ntime_zone = \"Asia/Tokyo\"\n")
            .unwrap();
        assert_eq!(c.cadence.overdue_intervals, 3.5);
        assert_eq!(c.nudges.rules.overdue_intervals, 3.5);
        assert_eq!(c.cadence.zone, Zone::Named(chrono_tz::Asia::Tokyo));
        let err = parse("[nudges]\noverdue_factor = 2.5\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("overdue_factor") && err.contains("[cadence]"),
            "{err}"
        );
    }

    #[test]
    fn every_key() {
        let c = parse(
            "[nudges]\nenabled = true\nmoved_at_least = 2\nmoved_of_last = 4\n\
             cancelled_in_a_row = 3\nitem_open_meetings = 5\n\
             item_overdue_days = 3\nquiet_hours = \"21:30-08:00\"\ntime_zone = \"Europe/Paris\"\n\
             [nudges.desktop]\nenabled = false\n\
             [nudges.email]\nserver = \"smtp.example.com\"\nsecurity = \"tls\"\n\
             username = \"mia\"\npassword = { env = \"TETE_SMTP_PASSWORD\" }\n\
             from = \"tete <tete@example.com>\"\nto = [\"mia@example.com\"]\nca_file = \"ca.pem\"\n\
             [nudges.webhook]\nurl = { file = \"webhook-url\" }\n",
        )
        .unwrap();
        let n = &c.nudges;
        assert_eq!((n.rules.moved_at_least, n.rules.moved_of_last), (2, 4));
        assert_eq!(n.rules.cancelled_in_a_row, 3);
        assert_eq!(n.rules.item_open_meetings, 5);
        assert_eq!(n.rules.item_overdue_days, 3);
        assert_eq!(n.quiet_hours.unwrap().to_string(), "21:30-08:00");
        assert_eq!(n.zone, Zone::Named(chrono_tz::Europe::Paris));
        assert!(n.channels.desktop.is_none());
        let email = n.channels.email.as_ref().unwrap();
        assert_eq!((email.security, email.port), (Security::Tls, 465));
        assert_eq!(
            email.ca_file.as_deref(),
            Some(Path::new("/etc/tete/ca.pem"))
        );
        assert_eq!(
            n.channels.webhook.as_ref().unwrap().url,
            crate::secret::Secret::File("/etc/tete/webhook-url".into())
        );
    }

    #[test]
    fn no_quiet_hours() {
        assert_eq!(
            parse("[nudges]\nquiet_hours = \"\"\n")
                .unwrap()
                .nudges
                .quiet_hours,
            None
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        for (text, key) in [
            ("[nudges]\nquiet_hours = \"late\"\n", "quiet_hours"),
            ("[nudges]\ntime_zone = \"Mars/Olympus\"\n", "time_zone"),
            ("[nudges]\nmoved_at_least = 6\n", "moved_of_last"),
            ("[nudges]\nquiet = 1\n", "quiet"),
            (
                "[nudges.email]\nserver = \"smtp.example.com\"\nsecurity = \"plain\"\nfrom = \"a@b.c\"\nto = [\"d@e.f\"]\n",
                "security",
            ),
            (
                "[nudges.email]\nserver = \"localhost\"\nfrom = \"not an address\"\nto = [\"d@e.f\"]\n",
                "from",
            ),
        ] {
            match parse(text) {
                Err(ConfigError::Invalid { key: Some(k), .. }) => assert_eq!(k, key, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
