//! Hostile plugins are contained: the incident is recorded, the default
//! policy stands in, the circuit breaker switches the plugin off, and the
//! replay completes with every guardrail intact.

use std::path::{Path, PathBuf};

use nudge_cli::demo::{self, Options, TENANT};
use nudge_core::{EventKind, TenantId};
use nudge_store::Store;

use crate::outbox_check::{read_outbox, settlements, violations};

const CSV: &[u8] = include_bytes!("../../examples/data/accounts-receivable.csv");
const ROWS: usize = 150;

/// The header and the first `ROWS` invoices of the real data.
fn subset(dir: &Path) -> (PathBuf, Vec<u8>) {
    let text = std::str::from_utf8(CSV).unwrap();
    let lines: Vec<&str> = text.split_inclusive('\n').take(ROWS + 1).collect();
    let bytes = lines.concat().into_bytes();
    let path = dir.join("subset.csv");
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

fn replay_with(guest: &str, expected_kinds: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let (csv, csv_bytes) = subset(dir.path());
    let data_dir = dir.path().join("demo");
    let options = Options { data_dir: data_dir.clone(), csv: Some(csv), plugin: Some(guest.into()), json: true };
    let report = demo::run(&options).expect("the replay completes despite the plugin");
    let s = &report.summary;
    assert_eq!(s.invoices, ROWS);
    assert_eq!(s.incidents, 10, "the breaker switches the plugin off after 10 failures: {s:?}");
    for kind in s.incidents_by_kind.keys() {
        assert!(expected_kinds.contains(&kind.as_str()), "unexpected incident kind {kind}");
    }
    assert!(s.notices_sent > 0, "the default policy keeps reminding");
    assert_eq!((s.sent_after_payment, s.sent_in_quiet_hours, s.duplicate_step_notices), (0, 0, 0));
    let problems = violations(&read_outbox(&data_dir.join("outbox")), &settlements(&csv_bytes));
    assert!(problems.is_empty(), "{problems:#?}");

    let store = Store::open(data_dir.join("store")).unwrap();
    let tenant = TenantId::new(TENANT).unwrap();
    let incidents = store.incidents(&tenant).unwrap();
    assert!(incidents.iter().all(|i| i.plugin_version == 1 && i.fallback == "default-policy" && !i.message.is_empty()));
    assert!(incidents.iter().all(|i| i.fuel_used > 0), "fuel is metered even on failure");
    let plugin = store.plugin(&tenant, 1).unwrap().unwrap();
    let reason = plugin.disabled_reason.expect("the breaker records why it switched the plugin off");
    assert!(reason.contains("circuit breaker"), "{reason}");
    assert_eq!(store.active_plugin_version(&tenant).unwrap(), None);
    let events = store.events(&tenant).unwrap();
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::PluginDisabled { version: 1, .. })));
}

#[test]
fn a_plugin_that_traps_is_contained() {
    replay_with(nudge_bundle::test_guests::TRAP, &["trap"]);
}

#[test]
fn a_plugin_that_loops_forever_is_contained() {
    replay_with(nudge_bundle::test_guests::SPIN, &["out-of-fuel", "deadline"]);
}
