//! The CalDAV engines providers run, from Debian's packages: Cyrus IMAP with CalDAV (what
//! Fastmail runs) and DAViCal. `tests/servers/<engine>` installs (`apt-get`, once) and
//! starts one on 127.0.0.1 with three accounts (mia, ann, bob; password `pw`), implicit
//! scheduling on, and a `sendmail` that keeps every outgoing iMIP message as a file.
//!
//! In CI (`CI` set) they must run. Elsewhere a test skips, saying why, only when the script
//! answers 77: the packages are missing and cannot be installed here (no apt, not root).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Which engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Cyrus,
    Davical,
    /// From PyPI, through [`crate::harness`]: one account, so no "other person" with an
    /// account there.
    Radicale,
    Xandikos,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Cyrus => "cyrus",
            Engine::Davical => "davical",
            Engine::Radicale => "radicale",
            Engine::Xandikos => "xandikos",
        }
    }

    /// Whether the other person can have an account on the same server.
    pub fn has_accounts(self) -> bool {
        matches!(self, Engine::Cyrus | Engine::Davical)
    }

    fn script(self) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/servers")
            .join(self.name())
    }
}

/// One running engine, stopped on drop.
pub struct Running {
    pub engine: Engine,
    /// What the script printed: `DAV_URL`, `DAV_CALENDAR_mia`, `DAV_ADDRESS_ann`...
    vars: HashMap<String, String>,
    dir: tempfile::TempDir,
    /// Radicale or Xandikos, killed on drop.
    python: Option<crate::harness::DavServer>,
}

static INSTALL: Mutex<()> = Mutex::new(());

impl Running {
    /// Installs (once) and starts the engine; `None` (with a message) where it cannot run.
    pub async fn start(engine: Engine) -> Option<Running> {
        match engine {
            Engine::Radicale | Engine::Xandikos => Some(Running::start_python(engine).await),
            Engine::Cyrus | Engine::Davical => Running::start_scripted(engine),
        }
    }

    /// Radicale or Xandikos with Mia's calendar "Work"; Xandikos knows Mia as the owner
    /// (`EMAIL`) and hands iMIP to a `sendmail` writing files like the Debian engines'.
    async fn start_python(engine: Engine) -> Running {
        use crate::harness::{DavServer, Kind};
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("mail");
        std::fs::create_dir_all(&maildir).unwrap();
        let sendmail = dir.path().join("sendmail");
        std::fs::write(
            &sendmail,
            format!(
                "#!/bin/sh
f='{}'/$(date +%s%N)-$$.eml
{{ echo \"X-Tete-Envelope-To: $*\"; cat; }} > \"$f.tmp\" && mv \"$f.tmp\" \"$f\"
",
                maildir.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&sendmail, std::fs::Permissions::from_mode(0o755)).unwrap();
        let server = match engine {
            Engine::Xandikos => DavServer::start_with_env(
                Kind::Xandikos,
                None,
                &[
                    ("EMAIL", "Mia <mia@example.com>"),
                    ("XANDIKOS_IMIP_SEND", "sendmail"),
                    ("XANDIKOS_SENDMAIL_BINARY", sendmail.to_str().unwrap()),
                    ("XANDIKOS_SMTP_FROM", "calendar@example.com"),
                ],
            ),
            _ => DavServer::start(Kind::Radicale),
        };
        let raw = crate::Raw::new(&server);
        let calendar = raw.mkcalendar(&server, "work", "Work").await;
        let origin = server.url.trim_end_matches('/').to_string();
        let vars = [
            ("DAV_URL", server.url.clone()),
            ("DAV_MAILDIR", maildir.display().to_string()),
            ("DAV_LOGIN_mia", server.user.clone()),
            ("DAV_PASSWORD", server.password.clone()),
            ("DAV_HOME_mia", server.home.clone()),
            (
                "DAV_CALENDAR_mia",
                calendar.trim_start_matches(&origin).to_string(),
            ),
            ("DAV_ADDRESS_mia", "mailto:mia@example.com".to_string()),
            (
                "DAV_EXTERNAL_ADDRESS",
                "mailto:zoe@elsewhere.test".to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Running {
            engine,
            vars,
            dir,
            python: Some(server),
        }
    }

    /// The user name and password of an account.
    pub fn login(&self, who: &str) -> (String, String) {
        (
            self.vars
                .get(&format!("DAV_LOGIN_{who}"))
                .cloned()
                .unwrap_or_else(|| who.to_string()),
            self.vars
                .get("DAV_PASSWORD")
                .cloned()
                .unwrap_or_else(|| "pw".into()),
        )
    }

    fn start_scripted(engine: Engine) -> Option<Running> {
        let script = engine.script();
        {
            let _one_at_a_time = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
            let out = Command::new(&script).arg("install").output().unwrap();
            if out.status.code() == Some(77) {
                let why = String::from_utf8_lossy(&out.stderr);
                assert!(
                    std::env::var_os("CI").is_none(),
                    "{} must run in CI: {why}",
                    engine.name()
                );
                eprintln!("skipping the {} tests: {why}", engine.name());
                return None;
            }
            assert!(
                out.status.success(),
                "installing {}: {}",
                engine.name(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..3 {
            let port = free_port();
            let out = Command::new(&script)
                .arg("start")
                .arg("--dir")
                .arg(dir.path())
                .args(["--port", &port.to_string()])
                .args(["--parent", &std::process::id().to_string()])
                .output()
                .unwrap();
            if out.status.success() {
                let vars = String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter_map(|l| l.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                return Some(Running {
                    engine,
                    vars,
                    dir,
                    python: None,
                });
            }
            eprintln!(
                "{} did not start on port {port}: {}",
                engine.name(),
                String::from_utf8_lossy(&out.stderr)
            );
            let _ = Command::new(&script)
                .arg("stop")
                .arg("--dir")
                .arg(dir.path())
                .status();
            for entry in std::fs::read_dir(dir.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let _ = std::fs::remove_dir_all(entry.path());
                let _ = std::fs::remove_file(entry.path());
            }
        }
        panic!("{} did not start", engine.name());
    }

    /// A value the start script printed.
    pub fn var(&self, key: &str) -> String {
        self.vars
            .get(key)
            .unwrap_or_else(|| panic!("{} printed no {key}", self.engine.name()))
            .clone()
    }

    /// `http://127.0.0.1:PORT` (no trailing slash), to prefix the paths with.
    pub fn origin(&self) -> String {
        let url = self.var("DAV_URL");
        let after_scheme = url.find("//").map_or(0, |i| i + 2);
        match url[after_scheme..].find('/') {
            Some(i) => url[..after_scheme + i].to_string(),
            None => url,
        }
    }

    /// Every message the engine handed to `sendmail` so far, oldest first.
    pub fn mails(&self) -> Vec<String> {
        let dir = PathBuf::from(self.var("DAV_MAILDIR"));
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned())
            .collect()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.python.is_some() {
            return;
        }
        let _ = Command::new(self.engine.script())
            .arg("stop")
            .arg("--dir")
            .arg(self.dir.path())
            .status();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
