//! The `nudge` command: the demo replay, imports, plugin checks and the
//! plugin developer workflow (new, build, simulate).
//!
//! `main.rs` only parses arguments; each command lives in its own module
//! with a `run` function that tests call directly.

pub mod admin;
pub mod config;
pub mod conformance;
pub mod demo;
pub mod history;
pub mod import;
pub mod output;
pub mod plugin_check;
pub mod plugin_dev;
pub mod report;
pub mod runtime;
pub mod serve;
pub mod simulate;
pub mod simulate_text;
pub mod template;
