//! Plugins that pass their upload checks and then fail in production are
//! contained: the incident is recorded, the default policy stands in, the
//! circuit breaker switches the plugin off, and the replay completes with
//! every guardrail intact.

use nudge_core::{EventKind, TenantSettings};

use crate::{
    harness::replay,
    outbox_check::{read_outbox, settlements, violations},
};

fn replay_misbehaving(mode: &str, expected_kinds: &[&str]) {
    let plugin = std::fs::read(nudge_bundle::test_guests::SLEEPER).unwrap();
    let settings =
        TenantSettings { plugin_config: format!(r#"{{"misbehave":"{mode}"}}"#), ..TenantSettings::default() };
    let run = replay(150, settings, &plugin);
    let s = &run.summary;
    assert_eq!(s.invoices, 150);
    assert_eq!(s.incidents, 10, "the breaker switches the plugin off after 10 failures: {s:?}");
    for kind in s.incidents_by_kind.keys() {
        assert!(expected_kinds.contains(&kind.as_str()), "unexpected incident kind {kind}");
    }
    assert!(s.notices_sent > 0, "the default policy keeps reminding");
    assert_eq!((s.sent_after_payment, s.sent_in_quiet_hours, s.duplicate_step_notices), (0, 0, 0));
    let problems = violations(&read_outbox(&run.dir.path().join("outbox")), &settlements(&run.csv));
    assert!(problems.is_empty(), "{problems:#?}");

    let store = run.scheduler.store();
    let incidents = store.incidents(&run.tenant).unwrap();
    assert!(incidents.iter().all(|i| i.plugin_version == 1 && i.fallback == "default-policy" && !i.message.is_empty()));
    assert!(
        incidents.iter().all(|i| i.fuel_used > 0 && i.wall_us > 0 && i.peak_memory_bytes > 0),
        "calls are metered even when they fail"
    );
    let plugin = store.plugin(&run.tenant, 1).unwrap().unwrap();
    let reason = plugin.disabled_reason.expect("the breaker records why it switched the plugin off");
    assert!(reason.contains("circuit breaker"), "{reason}");
    assert_eq!(store.active_plugin_version(&run.tenant).unwrap(), None);
    let events = store.events(&run.tenant).unwrap();
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::PluginDisabled { version: 1, .. })));
}

#[test]
fn a_plugin_that_traps_in_production_is_contained() {
    replay_misbehaving("trap", &["trap"]);
    // The incident carries the plugin's own last words, not only a backtrace.
    let plugin = std::fs::read(nudge_bundle::test_guests::SLEEPER).unwrap();
    let settings = TenantSettings { plugin_config: r#"{"misbehave":"trap"}"#.into(), ..TenantSettings::default() };
    let run = replay(20, settings, &plugin);
    let incidents = run.scheduler.store().incidents(&run.tenant).unwrap();
    assert!(!incidents.is_empty());
    for i in incidents {
        let head: String = i.message.lines().take(2).collect::<Vec<_>>().join("\n");
        assert!(head.contains("unreachable") && head.contains("deliberate trap"), "{}", i.message);
    }
}

#[test]
fn a_plugin_that_loops_forever_in_production_is_contained() {
    replay_misbehaving("spin", &["out-of-fuel", "deadline"]);
}

#[test]
fn plugins_that_fail_their_dry_runs_are_never_installed() {
    for guest in [nudge_bundle::test_guests::TRAP, nudge_bundle::test_guests::SPIN] {
        let dir = tempfile::tempdir().unwrap();
        let options = nudge_cli::demo::Options {
            data_dir: dir.path().join("demo"),
            csv: None,
            plugin: Some(guest.into()),
            json: true,
            metrics: None,
            limits: Default::default(),
        };
        let err = nudge_cli::demo::run(&options).unwrap_err().to_string();
        assert!(err.contains("dry run on fixture"), "{err}");
    }
}
