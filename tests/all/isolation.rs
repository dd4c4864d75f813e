//! One tenant's plugin never sees another tenant's data, even in the pooled
//! memory slot the other just left.
//!
//! Tenant A's plugin fills 8 MiB of its linear memory with a canary (64 KiB
//! blocks of a recognisable pattern) and leaves it there; tenant B's plugin
//! grows its own memory past that and reads every word of it, counting
//! canary words. Both are `nudge-guest-hostile` (`canary-write`,
//! `canary-scan`). The tests arrange for B to run in the memory slot A has
//! just given back to the pool.

use nudge_bundle::test_guests;
use nudge_core::{Action, DecisionContext};
use nudge_runtime::{Instance, Limits, Plugin, PluginLimits, Runtime};

use crate::hostile_support::{fixture, while_neighbour_decides};

/// Room for writing and scanning 10 MiB of memory word by word.
fn limits() -> PluginLimits {
    PluginLimits { fuel: 200_000_000, deadline_ms: 5_000, ..PluginLimits::default() }
}

fn write() -> DecisionContext {
    fixture("due-in-3-days", r#"{"misbehave": "canary-write"}"#)
}

fn scan() -> DecisionContext {
    fixture("due-in-3-days", r#"{"misbehave": "canary-scan"}"#)
}

/// What a scan reported: (bytes scanned, canary words seen).
fn scanned(outcome: nudge_runtime::Outcome) -> (u64, u64) {
    let decision = outcome.result.unwrap_or_else(|e| panic!("the scan failed: {e}"));
    let Action::Stop { reason } = decision.action else { panic!("{decision:?}") };
    let report: serde_json::Value = serde_json::from_str(&reason).unwrap();
    (report["scanned_bytes"].as_u64().unwrap(), report["canary_words"].as_u64().unwrap())
}

fn tenant_plugin(runtime: &Runtime) -> Plugin {
    runtime.load(&std::fs::read(test_guests::HOSTILE).unwrap()).unwrap()
}

/// Writes, then scans, in one live instance: the scanner must find the canary there.
fn scan_after_write_in(instance: &mut Instance) -> (u64, u64) {
    assert!(instance.decide(&write()).result.is_ok());
    scanned(instance.decide(&scan()))
}

#[test]
fn the_scanner_finds_a_canary_in_its_own_memory() {
    // The control: an instance reused for one tenant keeps its memory, so
    // the scan sees the canary written by the call before it.
    let runtime = one_slot_runtime();
    let plugin = tenant_plugin(&runtime);
    let (bytes, canary_words) = while_neighbour_decides(|_| {
        let mut instance = plugin.instance(&limits(), write().now).unwrap();
        scan_after_write_in(&mut instance)
    });
    assert!(canary_words >= 128 * 8191, "the scanner saw only {canary_words} canary words in {bytes} bytes");
}

/// A runtime whose pool holds one instance (and two memory slots), so that
/// which slot a call gets is not left to chance.
fn one_slot_runtime() -> Runtime {
    Runtime::new(Limits { max_instances: 1, ..Limits::default() }).unwrap()
}

/// Tenant A writes, then tenant B scans, `rounds` times; `between` runs in
/// between; B must never see a word of A's canary.
fn b_never_sees_a(a: &Plugin, b: &Plugin, rounds: usize, between: impl Fn()) {
    for round in 0..rounds {
        let written = a.decide_with(&write(), &limits());
        assert!(written.result.is_ok(), "round {round}: {:?}", written.result);
        assert!(written.metering.peak_memory_bytes >= 8 << 20);
        between();
        let (bytes, canary_words) = scanned(b.decide_with(&scan(), &limits()));
        assert!(bytes >= written.metering.peak_memory_bytes, "round {round}: B scanned only {bytes} bytes");
        assert_eq!(canary_words, 0, "round {round}: tenant B saw {canary_words} words of tenant A's canary");
    }
}

#[test]
fn tenants_running_the_same_plugin_never_see_each_others_canary() {
    // Two tenants using the same plugin code share its compiled module, and
    // the pool hands a module the memory slot it used last: every call of
    // B runs in the very slot A's call has just given back.
    let runtime = one_slot_runtime();
    let plugin = tenant_plugin(&runtime);
    while_neighbour_decides(|_| b_never_sees_a(&plugin, &plugin, 40, || {}));
}

#[test]
fn tenants_running_different_plugins_never_see_each_others_canary() {
    // Separately compiled plugins. Left alone, the pool would keep A and B
    // in slots of their own (it prefers a module's last slot, then an
    // unused one). A third plugin run in between takes the other slot, so
    // B finds neither a slot of its own nor an unused one and is given the
    // least recently used: the one A has just given back.
    let runtime = one_slot_runtime();
    let (tenant_a, tenant_b, tenant_c) = (tenant_plugin(&runtime), tenant_plugin(&runtime), tenant_plugin(&runtime));
    let polite = fixture("due-in-3-days", "{}");
    while_neighbour_decides(|_| {
        b_never_sees_a(&tenant_a, &tenant_b, 30, || assert!(tenant_c.decide_with(&polite, &limits()).result.is_ok()));
    });
}

#[test]
fn a_tenant_never_sees_another_tenants_canary_in_a_busy_pool() {
    // The shared runtime, with its full pool and the neighbour deciding in
    // between: whichever slot B gets, it holds none of A's bytes.
    while_neighbour_decides(|runtime| {
        let (tenant_a, tenant_b) = (tenant_plugin(runtime), tenant_plugin(runtime));
        b_never_sees_a(&tenant_a, &tenant_b, 20, || {});
    });
}
