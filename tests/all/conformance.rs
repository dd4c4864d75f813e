//! The conformance kit (`nudge_runtime::conformance`) on real plugins: every
//! reference policy passes it, and guests that break an invariant fail it
//! with that invariant named.

use nudge_bundle::{REFERENCE_POLICIES, test_guests};
use nudge_runtime::conformance::{self, Invariant, Report};
use nudge_runtime::{Limits, Plugin, Runtime};

fn load(bytes: &[u8]) -> Plugin {
    Runtime::new(Limits::default()).unwrap().load(bytes).unwrap()
}

fn run(bytes: &[u8]) -> Report {
    conformance::run(&load(bytes), &Limits::default().plugin)
}

/// Every failure of a report, one per line, for assertion messages.
fn failures(report: &Report) -> String {
    report.failures().map(|(case, failure)| format!("{case}: {} ({})\n", failure.invariant, failure.detail)).collect()
}

#[test]
fn every_reference_policy_conforms() {
    for (name, bytes) in REFERENCE_POLICIES {
        let report = run(bytes);
        assert!(report.passed, "{name} broke invariants:\n{}", failures(&report));
        assert_eq!(report.name, name);
        assert!(report.cases.len() >= 20, "{name}: only {} cases", report.cases.len());
        assert!(report.cases.iter().all(|case| case.passed && case.failures.is_empty()));
        assert!(report.worst.fuel > 0 && report.worst.peak_memory_bytes > 0, "{name}: metering {:?}", report.worst);
        // Every decision is summarised, never left blank.
        assert!(report.cases.iter().all(|case| !case.decision.is_empty()));
    }
}

#[test]
fn the_kit_runs_each_arm_a_plugin_declares() {
    let report = run(nudge_bundle::AB_TIMING_POLICY);
    let arms: Vec<&str> =
        report.cases.iter().filter_map(|case| case.name.strip_prefix("experiment:first-reminder-timing=")).collect();
    assert_eq!(arms, ["control", "early"]);
    let early = report.cases.iter().find(|case| case.name.ends_with("=early")).unwrap();
    assert!(early.decision.starts_with("notify pre-due"), "{}", early.decision);
    let control = report.cases.iter().find(|case| case.name.ends_with("=control")).unwrap();
    assert!(control.decision.starts_with("notify overdue-1"), "{}", control.decision);
}

/// `tests/guests/careless` returns a well-formed SMS notice for everything:
/// the upload's dry runs accept it, the kit does not.
#[test]
fn a_careless_guest_passes_the_dry_runs_but_not_the_kit() {
    let bytes = std::fs::read(test_guests::CARELESS).unwrap();
    let plugin = load(&bytes);
    plugin.dry_run(&Limits::default().plugin).expect("careless decisions are well-formed");
    let report = conformance::run(&plugin, &Limits::default().plugin);
    assert!(!report.passed);
    let listed = failures(&report);
    for (case, invariant) in [
        ("paid", Invariant::NoNoticeWhenNothingOwed),
        ("void", Invariant::NoNoticeWhenNothingOwed),
        ("uncollectible", Invariant::NoNoticeWhenNothingOwed),
        ("nothing-remaining", Invariant::NoNoticeWhenNothingOwed),
        ("disputed", Invariant::NoNoticeWhenDisputed),
        ("every-channel-opted-out", Invariant::ChannelNotOptedOut),
        ("preferred-channel-opted-out", Invariant::ChannelNotOptedOut),
        ("only-email-reachable", Invariant::ChannelReachable),
    ] {
        assert!(report.broke(case, invariant), "{case} must break {invariant}:\n{listed}");
    }
    // What it gets right is not blamed: SMS is fine when SMS is reachable.
    for case in ["overdue-2-days", "only-sms-reachable", "utc-plus-14", "long-history"] {
        assert!(report.cases.iter().any(|c| c.name == case && c.passed), "{case}:\n{listed}");
    }
    let opted_out = report.cases.iter().find(|case| case.name == "every-channel-opted-out").unwrap();
    assert!(opted_out.failures[0].detail.contains("opted out"), "{:?}", opted_out.failures);
    // Only the invariants above, nothing spurious.
    let named: std::collections::BTreeSet<Invariant> = report.failures().map(|(_, f)| f.invariant).collect();
    assert_eq!(
        named.into_iter().collect::<Vec<_>>(),
        [
            Invariant::ChannelNotOptedOut,
            Invariant::ChannelReachable,
            Invariant::NoNoticeWhenNothingOwed,
            Invariant::NoNoticeWhenDisputed,
        ]
    );
}

#[test]
fn a_trapping_guest_fails_within_limits_on_every_case() {
    let report = run(&std::fs::read(test_guests::TRAP).unwrap());
    assert!(report.cases[0].passed, "describe works for the trap guest");
    for case in &report.cases[1..] {
        assert_eq!(case.failures.len(), 1, "{}: {:?}", case.name, case.failures);
        assert_eq!(case.failures[0].invariant, Invariant::WithinLimits, "{}", case.name);
        assert!(case.failures[0].detail.starts_with("trap: "), "{}", case.failures[0].detail);
    }
}
