//! End-to-end tests of the calendar core: real-world fixtures, round trips, expansion cases,
//! and arbitrary input. One test binary (modules below) keeps link time down.

// Test code: a panic (unwrap, expect) is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod differential;
mod expand_cases;
mod fixtures;
mod never_panics;
mod roundtrip;
mod rrule_vectors;

use std::path::{Path, PathBuf};

/// The project's test data folder.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Every `.ics` file under a folder, sorted.
pub fn ics_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "ics") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
