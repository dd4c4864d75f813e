//! End-to-end tests: one binary for every area, to keep link time down.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod containment;
mod harness;
mod outbox_check;
mod quiet_hours;
mod replay;
