//! End-to-end tests: one binary for every area, to keep link time down.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alloc_meter;
mod analytics;
mod conformance;
mod containment;
mod crash;
mod dashboard;
mod encode;
mod experiments;
mod fallback;
mod frequency_caps;
mod harness;
mod hostile_decide;
mod hostile_load;
mod hostile_output;
mod hostile_support;
mod hostile_tenants;
mod isolation;
mod notices;
mod outbox_check;
mod polyglot;
mod privacy;
mod quiet_hours;
mod races;
mod replay;
mod scale;
mod signals;
mod stripe_events;
mod stripe_support;
mod templates;
mod time_zones;
