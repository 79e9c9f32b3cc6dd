//! Real CalDAV servers for the tests: Radicale and Xandikos from pinned PyPI packages.
//!
//! The first use of each server builds a virtualenv under `target/tmp/dav-venv/` (needs
//! `python3` with `venv` or `pip`, and PyPI the first time; about 15 s), keyed by Python
//! version and pin list, so later runs start in about a second. Each [`DavServer`] gets a
//! free port on 127.0.0.1 and a fresh storage folder, and is killed when dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Radicale 3.9.0 with its whole dependency closure.
const RADICALE_PINS: &[&str] = &[
    "Radicale==3.9.0",
    "vobject==0.9.9",
    "python-dateutil==2.9.0.post0",
    "six==1.17.0",
    "pytz==2026.6",
    "tzdata==2026.6",
    "defusedxml==0.7.1",
    "libpass==1.9.4",
    "pika==1.4.4",
    "requests==2.34.2",
    "certifi==2026.10.18",
    "charset-normalizer==3.5.2",
    "idna==3.20",
    "urllib3==2.8.0",
];

/// Xandikos 0.4.10 with its whole dependency closure.
const XANDIKOS_PINS: &[&str] = &[
    "xandikos==0.4.10",
    "dulwich==1.2.21",
    "icalendar==7.3.0",
    "vobject==0.9.9",
    "python-dateutil==2.9.0.post0",
    "six==1.17.0",
    "pytz==2026.6",
    "tzdata==2026.6",
    "typing_extensions==4.16.0",
    "defusedxml==0.7.1",
    "Jinja2==3.1.6",
    "MarkupSafe==3.0.4",
    "aiohttp==3.14.5",
    "aiohappyeyeballs==2.7.1",
    "aiosignal==1.4.0",
    "attrs==26.1.0",
    "frozenlist==1.8.0",
    "multidict==7.2.1",
    "propcache==0.5.4",
    "yarl==1.25.1",
    "idna==3.20",
    "urllib3==2.8.0",
];

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Radicale,
    Xandikos,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Radicale => "radicale",
            Kind::Xandikos => "xandikos",
        }
    }

    fn pins(self) -> &'static [&'static str] {
        match self {
            Kind::Radicale => RADICALE_PINS,
            Kind::Xandikos => XANDIKOS_PINS,
        }
    }
}

/// A running server, killed on drop.
pub struct DavServer {
    pub kind: Kind,
    /// `http://127.0.0.1:PORT/`
    pub url: String,
    pub user: String,
    pub password: String,
    /// The calendar home (`/tete/` on Radicale, `/tete/calendars/` on Xandikos).
    pub home: String,
    child: Child,
    storage: tempfile::TempDir,
}

impl Drop for DavServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

static INSTALL: Mutex<()> = Mutex::new(());

/// Runs `python -m MODULE ARGS...` (argv[1] is the module) and exits when its parent, the
/// test process, is gone: a test binary killed before its servers are dropped leaves none
/// running.
const WATCHDOG: &str = "import os, runpy, sys, threading, time
parent = os.getppid()
def watch():
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
module = sys.argv[1]
sys.argv = [module] + sys.argv[2:]
runpy.run_module(module, run_name='__main__', alter_sys=True)
";

/// The venv of a server, built if missing.
fn venv(kind: Kind) -> PathBuf {
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let python = std::env::var("TETE_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let version = Command::new(&python)
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .expect("python3 is needed for the CalDAV server tests");
    let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
    let hash = kind
        .pins()
        .join(" ")
        .bytes()
        .fold(0xcbf29ce484222325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
        });
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dav-venv");
    let dir = root.join(format!("{}-py{version}-{hash:016x}", kind.name()));
    if dir.join(".complete").exists() {
        return dir;
    }
    std::fs::create_dir_all(&root).unwrap();
    // Built aside and renamed into place, so a concurrent test process never sees half a venv.
    let tmp = root.join(format!("{}.tmp-{}", kind.name(), std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    eprintln!(
        "installing {} into {} (one-time, from PyPI)",
        kind.name(),
        dir.display()
    );
    let with_pip = Command::new(&python)
        .arg("-m")
        .arg("venv")
        .arg(&tmp)
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
        && Command::new(tmp.join("bin/python"))
            .args(["-m", "pip", "--version"])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    let mut pip = if with_pip {
        let mut c = Command::new(tmp.join("bin/python"));
        c.args(["-m", "pip", "install"]);
        c
    } else {
        // No ensurepip (Debian without python3-venv): an empty venv, filled by the system pip.
        let _ = std::fs::remove_dir_all(&tmp);
        let ok = Command::new(&python)
            .args(["-m", "venv", "--without-pip"])
            .arg(&tmp)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "`{python} -m venv` does not work here");
        let site = Command::new(tmp.join("bin/python"))
            .args([
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ])
            .output()
            .unwrap();
        let site = String::from_utf8_lossy(&site.stdout).trim().to_string();
        let mut c = Command::new(&python);
        c.args(["-m", "pip", "install", "--target", &site]);
        c
    };
    let status = pip
        .args(["--disable-pip-version-check", "--no-input", "-q"])
        .args(kind.pins())
        .env("PIP_ROOT_USER_ACTION", "ignore")
        .status()
        .expect("cannot run pip");
    assert!(status.success(), "pip install of {} failed", kind.name());
    std::fs::write(tmp.join(".complete"), "ok").unwrap();
    if std::fs::rename(&tmp, &dir).is_err() {
        // Another process finished first.
        let _ = std::fs::remove_dir_all(&tmp);
    }
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl DavServer {
    /// Starts a server without authentication (any user and password are accepted).
    pub fn start(kind: Kind) -> DavServer {
        DavServer::start_with(kind, None)
    }

    /// Starts a server; with a password, Radicale requires Basic auth (`tete:PASSWORD`).
    pub fn start_with(kind: Kind, password: Option<&str>) -> DavServer {
        DavServer::start_with_env(kind, password, &[])
    }

    /// [`DavServer::start_with`], with these environment variables set for the server
    /// (Xandikos reads its iMIP settings and the owner's address, `EMAIL`, from there).
    pub fn start_with_env(kind: Kind, password: Option<&str>, env: &[(&str, &str)]) -> DavServer {
        DavServer::start_full(kind, password, env, "")
    }

    /// Radicale with `sections` appended to its config (say a `[hook]`).
    pub fn start_radicale_configured(sections: &str) -> DavServer {
        DavServer::start_full(Kind::Radicale, None, &[], sections)
    }

    fn start_full(
        kind: Kind,
        password: Option<&str>,
        env: &[(&str, &str)],
        radicale_sections: &str,
    ) -> DavServer {
        let venv = venv(kind);
        let python = venv.join("bin/python");
        let user = "tete".to_string();
        for _ in 0..3 {
            let storage = tempfile::tempdir().unwrap();
            let port = free_port();
            let mut command = Command::new(&python);
            let home = match kind {
                Kind::Radicale => {
                    let mut conf =
                        format!("[server]\nhosts = 127.0.0.1:{port}\n[auth]\ndelay = 0\n");
                    match password {
                        Some(pw) => {
                            let htpasswd = storage.path().join("htpasswd");
                            std::fs::write(&htpasswd, format!("{user}:{pw}\n")).unwrap();
                            conf.push_str(&format!(
                                "type = htpasswd\nhtpasswd_filename = {}\nhtpasswd_encryption = plain\n",
                                htpasswd.display()
                            ));
                        }
                        None => conf.push_str("type = none\n"),
                    }
                    conf.push_str(&format!(
                        "[rights]\ntype = owner_only\n[storage]\nfilesystem_folder = {}\n[logging]\nlevel = warning\n",
                        storage.path().join("collections").display()
                    ));
                    conf.push_str(radicale_sections);
                    let conf_path = storage.path().join("radicale.conf");
                    std::fs::write(&conf_path, conf).unwrap();
                    command
                        .args(["-c", WATCHDOG, "radicale", "--config"])
                        .arg(&conf_path);
                    command.env_remove("RADICALE_CONFIG");
                    format!("/{user}/")
                }
                Kind::Xandikos => {
                    assert!(password.is_none(), "Xandikos does auth only over HTTPS");
                    command
                        .args(["-c", WATCHDOG, "xandikos", "serve", "-d"])
                        .arg(storage.path().join("data"))
                        .args(["--autocreate", "--current-user-principal"])
                        .arg(format!("/{user}/"))
                        .args(["-l", "127.0.0.1", "-p", &port.to_string()])
                        .arg("--no-detect-systemd")
                        .arg("--state-dir")
                        .arg(storage.path().join("state"));
                    format!("/{user}/calendars/")
                }
            };
            command.envs(env.iter().copied());
            let log = std::fs::File::create(storage.path().join("server.log")).unwrap();
            let child = command
                .current_dir(storage.path())
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("cannot start the server");
            let mut server = DavServer {
                kind,
                url: format!("http://127.0.0.1:{port}/"),
                user: user.clone(),
                password: password.unwrap_or("x").to_string(),
                home,
                child,
                storage,
            };
            if server.wait_ready() {
                return server;
            }
            let log = std::fs::read_to_string(server.storage.path().join("server.log"))
                .unwrap_or_default();
            eprintln!("{} did not start on port {port}; log:\n{log}", kind.name());
        }
        panic!("{} did not start", kind.name());
    }

    /// Waits until a PROPFIND on the principal answers 207 (or the server dies).
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        let port = self
            .url
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .unwrap()
            .to_string();
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(mut stream) = TcpStream::connect(format!("127.0.0.1:{port}")) {
                let auth = base64_basic(&self.user, &self.password);
                let body = r#"<?xml version="1.0"?><propfind xmlns="DAV:"><prop><resourcetype/></prop></propfind>"#;
                let request = format!(
                    "PROPFIND /{}/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nDepth: 0\r\nAuthorization: Basic {auth}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    self.user,
                    body.len()
                );
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                if stream.write_all(request.as_bytes()).is_ok() {
                    let mut answer = String::new();
                    let _ = stream.read_to_string(&mut answer);
                    if answer.starts_with("HTTP/1.1 207") || answer.starts_with("HTTP/1.0 207") {
                        return true;
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// The server's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.storage.path().join("server.log")).unwrap_or_default()
    }
}

fn base64_basic(user: &str, password: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}
