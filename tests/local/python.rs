//! Python tools the tests run (aiosmtpd, todoman), each installed from PyPI with pinned
//! versions into its own venv under target/, once.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// python3 of the venv `name` with the pins of `tests/support/<requirements>`, created on
/// first use (and again when the pins change).
pub fn venv_python(name: &str, requirements: &str) -> PathBuf {
    static ONCE: Mutex<()> = Mutex::new(());
    let _one_at_a_time = ONCE.lock().unwrap_or_else(|e| e.into_inner());
    let support = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support");
    let requirements = support.join(requirements);
    let pins = std::fs::read_to_string(&requirements).unwrap();
    // The venv's name follows the pins, so changing them makes a fresh one.
    let tag: u32 = pins
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b.into()));
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-venv-{tag:08x}"));
    let python = venv.join("bin/python3");
    let done = venv.join(".installed");
    if done.exists() {
        return python;
    }
    let run = |cmd: &mut Command| {
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("python3 is needed for {name}: {e}"));
        assert!(
            out.status.success(),
            "{cmd:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let _ = std::fs::remove_dir_all(&venv);
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(&requirements));
    std::fs::write(&done, pins).unwrap();
    python
}
