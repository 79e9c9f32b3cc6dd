//! End to end without a CalDAV server: the built `tete` and the library on files, vdirs,
//! feeds, a local SMTP server and systemd units. One test binary (linking one per file cost
//! ~200 MB and seconds each); `tests/caldav` and `tests/calendar` are the other two.

// Test code: a panic (unwrap, expect) is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod agenda_vdir;
mod architecture;
mod check_cli;
mod config_load;
mod daemon;
mod detect_truth;
mod html_report;
mod nudge_channels;
mod nudges_cli;
mod python;
mod report_cli;
mod sources_feed;
mod sources_local;
#[path = "../support/state_rows.rs"]
mod state_rows;
#[path = "../support/daemon.rs"]
mod support;
mod systemd_units;
mod tasks_todoman;
#[path = "../truth_gen/mod.rs"]
mod truth_gen;
