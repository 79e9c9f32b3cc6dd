//! tete keeps a manager's 1:1 meetings healthy, straight from their calendar.
//!
//! The crate is a library with a thin binary (`src/main.rs`); see ARCHITECTURE.md for the
//! data flow of one cycle and what each module owns.

pub mod agenda;
pub mod cadence;
pub use tete_calendar as calendar;
pub mod cli;
pub mod config;
pub mod cycle;
pub mod daemon;
pub mod detect;
pub mod errors;
pub mod history;
pub mod http;
pub mod nudge;
pub mod private_file;
pub mod report;
pub mod secret;
pub mod sources;
pub mod state;
pub mod tasks;
pub mod zone;
