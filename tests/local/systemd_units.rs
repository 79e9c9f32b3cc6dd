//! The units in systemd/ pass `systemd-analyze verify`, and the system unit's exposure
//! stays at or below 2.0. Needs systemd-analyze (Debian: systemd); where it is missing
//! (a container without systemd), the test says so and checks only what it can.

use std::path::{Path, PathBuf};
use std::process::Command;

fn unit(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("systemd")
            .join(name),
    )
    .unwrap()
}

/// The unit with its ExecStart pointed at the binary under test (verify checks it exists).
fn installed(dir: &Path, name: &str, file: &str) -> PathBuf {
    let text = unit(file)
        .replace("%h/.cargo/bin/tete", env!("CARGO_BIN_EXE_tete"))
        .replace("/usr/local/bin/tete", env!("CARGO_BIN_EXE_tete"));
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn analyze() -> Option<PathBuf> {
    ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

#[test]
fn units_verify_and_the_system_unit_is_hardened() {
    for file in ["tete.service", "tete-system.service"] {
        let text = unit(file);
        for needed in [
            "Type=notify",
            "WatchdogSec=",
            "Restart=on-failure",
            "ExecReload=",
            "NoNewPrivileges=yes",
        ] {
            assert!(text.contains(needed), "{file} lacks {needed}");
        }
    }
    for file in ["tete.service", "tete-once.service"] {
        assert!(unit(file).contains("UMask=0077"), "{file} lacks UMask=0077");
    }
    assert!(unit("tete-once.service").contains("run --once"));
    assert!(unit("tete.timer").contains("Unit=tete-once.service"));
    let system = unit("tete-system.service");
    for needed in [
        "DynamicUser=yes",
        "StateDirectory=tete",
        "ProtectSystem=strict",
        "RestrictAddressFamilies=",
        "SystemCallFilter=@system-service",
        "LoadCredentialEncrypted=",
    ] {
        assert!(system.contains(needed), "the system unit lacks {needed}");
    }
    let Some(analyze) = analyze() else {
        eprintln!("systemd-analyze not found: units checked by content only");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, file) in [
        ("tete.service", "tete-system.service"),
        ("tete-user.service", "tete.service"),
        ("tete-once.service", "tete-once.service"),
        // The timer, next to the service it starts.
        ("tete.timer", "tete.timer"),
    ] {
        let path = installed(dir.path(), name, file);
        let out = Command::new(&analyze)
            .arg("verify")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let path = installed(dir.path(), "tete.service", "tete-system.service");
    let out = Command::new(&analyze)
        .args(["security", "--offline=true"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let exposure: f64 = text
        .lines()
        .find_map(|l| l.split("exposure level for tete.service: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure figure in:\n{text}"));
    eprintln!("systemd-analyze security exposure: {exposure}");
    assert!(exposure <= 2.0, "exposure {exposure} > 2.0");
}
