//! Hostile plugins at decision time: each call fails with the kind and a
//! message naming the reason (or, for the legal-but-heavy cases, succeeds),
//! the host keeps serving, and another tenant decides meanwhile.
//!
//! Rust guests that misbehave on configuration (`nudge-guest-hostile`)
//! stand for plugins that passed their upload and went bad; hand-encoded
//! components (see `encode`) do what is naturally WAT: loops, recursion,
//! `memory.grow`, `table.grow`. What a decision hands back is in
//! `hostile_output`.

use std::time::Duration;

use nudge_bundle::test_guests;
use nudge_core::IncidentKind;
use nudge_runtime::{Plugin, PluginLimits};

use crate::{
    encode::{Code, I32, canned_describe, canned_stop, layout, policy_component, policy_module},
    hostile_support::{
        DUE, assert_fails, encoded, encoded_with, fixture, guest, hostile, hostile_with, limits,
        while_neighbour_decides,
    },
};

// ---- endless and deep ----

#[test]
fn an_infinite_loop_runs_out_of_fuel() {
    let plugin = guest(test_guests::SPIN);
    let outcome = while_neighbour_decides(|_| plugin.decide(&fixture(DUE, "{}")));
    assert_fails(&outcome, IncidentKind::OutOfFuel, "plugin used up its fuel budget");
    assert_eq!(outcome.metering.fuel, limits().fuel);
}

#[test]
fn an_infinite_loop_in_core_wasm_runs_out_of_fuel() {
    // (loop (br 0)) unreachable
    let outcome = encoded(Code::new().loop_().br(0).end().unreachable().end());
    assert_fails(&outcome, IncidentKind::OutOfFuel, "plugin used up its fuel budget");
}

#[test]
fn nan_results_are_canonical_so_decisions_are_deterministic() {
    // 0.0 / 0.0 from a runtime zero (the context pointer masked to 0, so
    // nothing folds it at compile time). x86 hardware answers with the
    // negative default NaN 0xffc00000; with NaN canonicalisation on, the
    // plugin sees the canonical 0x7fc00000 on every host, and decides;
    // otherwise it traps.
    let decide = Code::new()
        .local_get(0)
        .i32_const(0)
        .i32_and()
        .f32_convert_i32_s()
        .local_get(0)
        .i32_const(0)
        .i32_and()
        .f32_convert_i32_s()
        .f32_div()
        .i32_reinterpret_f32()
        .i32_const(0x7fc0_0000)
        .i32_eq()
        .i32_eqz()
        .if_()
        .unreachable()
        .end();
    let outcome = encoded(decide.i32_const(layout::STOP).end());
    assert!(outcome.result.is_ok(), "a non-canonical NaN reached the plugin: {:?}", outcome.result);
}

#[test]
fn an_infinite_loop_with_fuel_to_spare_hits_the_deadline() {
    let generous = PluginLimits { fuel: 1 << 50, deadline_ms: 50, ..limits() };
    let module = policy_module(Code::new().loop_().br(0).end().unreachable().end(), canned_describe(), Vec::new());
    let outcome = encoded_with(&module, &generous);
    assert_fails(&outcome, IncidentKind::Deadline, "plugin ran past its wall-clock deadline");
    let wall = Duration::from_micros(outcome.metering.wall_us);
    assert!(wall >= Duration::from_millis(45) && wall < Duration::from_secs(2), "stopped after {wall:?}");
}

#[test]
fn sleeping_takes_no_time_in_the_sandbox() {
    // An hour's sleep returns at once: the plugin's clocks never move, so
    // its timer is already due; the host never blocks on it.
    let outcome = hostile(DUE, r#"{"misbehave": "sleep", "count": 3600}"#);
    let decision = outcome.result.as_ref().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(decision.segment, "hostile");
    let wall = Duration::from_micros(outcome.metering.wall_us);
    assert!(wall < Duration::from_secs(1), "slept {wall:?}");
}

#[test]
fn sleeping_forever_is_a_busy_loop_that_fuel_or_the_deadline_ends() {
    for limits in [limits(), PluginLimits { fuel: 1 << 50, deadline_ms: 50, ..limits() }] {
        let outcome = hostile_with(DUE, r#"{"misbehave": "sleep-forever"}"#, &limits);
        let kind = outcome.result.as_ref().err().map(|e| e.kind);
        assert!(matches!(kind, Some(IncidentKind::OutOfFuel | IncidentKind::Deadline)), "{:?}", outcome.result);
        let wall = Duration::from_micros(outcome.metering.wall_us);
        assert!(wall < Duration::from_secs(2), "stopped after {wall:?} under {limits:?}");
    }
}

#[test]
fn deep_recursion_overflows_the_stack() {
    // (func $down (param i32) (result i32) (call $down (i32.add (local.get 0) (i32.const 1))))
    let down = Code::new().local_get(0).i32_const(1).i32_add().call(3).end();
    let decide = Code::new().i32_const(0).call(3).end();
    let module = policy_module(decide, canned_describe(), vec![(vec![I32], vec![I32], down)]);
    let outcome = encoded_with(&module, &limits());
    assert_fails(&outcome, IncidentKind::Trap, "plugin overflowed its stack");
}

#[test]
fn deep_recursion_in_rust_overflows_the_stack() {
    let outcome = hostile(DUE, r#"{"misbehave": "recurse"}"#);
    assert_fails(&outcome, IncidentKind::Trap, "plugin overflowed its stack");
}

#[test]
fn a_panic_is_a_trap_and_its_message_reaches_the_log() {
    let outcome = hostile(DUE, r#"{"misbehave": "panic"}"#);
    assert_fails(&outcome, IncidentKind::Trap, "unreachable");
    assert!(
        outcome.log.iter().any(|line| line.contains("deliberate panic deciding invoice inv-1")),
        "{:?}",
        outcome.log
    );
}

#[test]
fn a_reused_instance_that_trapped_fails_cleanly() {
    // Traps on its first call and would decide on the next, if it were let in:
    // (if (i32.eqz (global.get $calls)) (then (global.set $calls (i32.const 1)) unreachable))
    let mut module = policy_module(Code::new(), canned_describe(), Vec::new());
    let calls = module.global(0);
    let decide = Code::new()
        .global_get(calls)
        .i32_eqz()
        .if_()
        .i32_const(1)
        .global_set(calls)
        .unreachable()
        .end()
        .i32_const(layout::STOP)
        .end();
    module.set_func(1, decide);
    let bytes = policy_component(&module);
    let ctx = fixture(DUE, "{}");
    let (first, second, fresh) = while_neighbour_decides(|runtime| {
        let plugin = runtime.load(&bytes).unwrap();
        let mut instance = plugin.instance(&limits(), ctx.now).unwrap();
        (instance.decide(&ctx), instance.decide(&ctx), plugin.decide(&ctx))
    });
    assert_fails(&first, IncidentKind::Trap, "unreachable");
    // The trap left the instance half-way through its work: it must not decide again.
    assert!(second.result.is_err(), "a trapped instance decided again: {:?}", second.result);
    // A fresh instance starts over (and traps on its first call again).
    assert_fails(&fresh, IncidentKind::Trap, "unreachable");
}

#[test]
fn hundreds_of_failed_calls_do_not_leak_instance_slots() {
    // The pool has 64 slots; a slot leaked per trap would run out long before 200.
    let module = policy_module(Code::new().unreachable().end(), canned_describe(), Vec::new());
    let bytes = policy_component(&module);
    let ctx = fixture(DUE, "{}");
    while_neighbour_decides(|runtime| {
        let plugin = runtime.load(&bytes).unwrap();
        for _ in 0..200 {
            assert_fails(&plugin.decide(&ctx), IncidentKind::Trap, "unreachable");
        }
    });
}

#[test]
fn an_exhausted_instance_pool_is_an_instantiation_failure_not_a_trap() {
    // When every pooled slot is busy the call cannot start. That is the
    // host's capacity, not the plugin's fault: it must not be recorded as
    // the plugin trapping (which counts towards switching it off).
    let runtime =
        nudge_runtime::Runtime::new(nudge_runtime::Limits { max_instances: 1, ..Default::default() }).unwrap();
    let plugin = runtime.load(&policy_component(&policy_module(canned_stop(), canned_describe(), Vec::new()))).unwrap();
    let ctx = fixture(DUE, "{}");
    let (outcome, after) = while_neighbour_decides(|_| {
        let busy = plugin.instance(&limits(), ctx.now).unwrap();
        let outcome = plugin.decide(&ctx);
        drop(busy);
        (outcome, plugin.decide(&ctx))
    });
    assert!(after.result.is_ok(), "the slot is free again: {:?}", after.result);
    assert_fails(&outcome, IncidentKind::Instantiation, "component instances");
}

// ---- memory and tables ----

#[test]
fn a_memory_grow_bomb_hits_the_memory_limit() {
    // (drop (memory.grow (i32.const 65535)))  ;; 4 GiB
    let outcome = encoded(Code::new().i32_const(65_535).memory_grow().drop_().i32_const(layout::STOP).end());
    assert_fails(&outcome, IncidentKind::ResourceLimit, "plugin tried to grow linear memory to 4294967296 bytes");
    assert!(outcome.metering.peak_memory_bytes <= limits().memory_bytes);
}

#[test]
fn a_memory_grow_bomb_in_rust_hits_the_memory_limit() {
    let outcome = hostile(DUE, r#"{"misbehave": "grow-memory", "count": 1024}"#);
    assert_fails(&outcome, IncidentKind::ResourceLimit, "over its limit of 33554432");
}

#[test]
fn a_huge_table_hits_the_table_limit() {
    // (drop (table.grow 0 (ref.null func) (i32.const 1000000)))
    let decide = Code::new().ref_null_func().i32_const(1_000_000).table_grow(0).drop_().i32_const(layout::STOP).end();
    let outcome = encoded(decide);
    assert_fails(
        &outcome,
        IncidentKind::ResourceLimit,
        "plugin tried to grow a table to 1000001 elements, over its limit of 20000",
    );
}

// ---- heavy but legal ----

#[test]
fn bulk_memory_fills_pay_fuel_per_byte() {
    // 24 fills of 16 MiB: 384 MiB written by a few hundred instructions.
    // Fuel counts the bytes, not the instructions, so this is no way
    // around the budget. Locals: 0 the context, 1 the rounds left.
    let decide = Code::new()
        .locals(1, I32)
        .i32_const(256)
        .memory_grow()
        .drop_()
        .i32_const(24)
        .local_set(1)
        .loop_()
        .i32_const(layout::GROWN)
        .local_get(1)
        .i32_const(16 << 20)
        .memory_fill()
        .local_get(1)
        .i32_const(1)
        .i32_sub()
        .local_tee(1)
        .br_if(0)
        .end()
        .i32_const(layout::STOP)
        .end();
    let outcome = encoded(decide);
    assert_fails(&outcome, IncidentKind::OutOfFuel, "plugin used up its fuel budget");
}

/// Rounds of the hostile guest's `burn` that use about `fuel`, measured.
fn burn_rounds_for(fuel: u64) -> u64 {
    let plugin = guest(test_guests::HOSTILE);
    let fuel_for = |rounds: u64| {
        let ctx = fixture(DUE, &format!(r#"{{"misbehave": "burn", "count": {rounds}}}"#));
        let outcome = plugin.decide(&ctx);
        assert!(outcome.result.is_ok(), "{:?}", outcome.result);
        outcome.metering.fuel
    };
    let (small, large) = (fuel_for(10_000), fuel_for(20_000));
    let per_round = (large - small) / 10_000;
    (fuel - small) / per_round + 10_000
}

#[test]
fn a_slow_but_legal_plugin_succeeds() {
    // A tenant whose operator granted a long budget: 5,000 M fuel and 5 s.
    // A plugin using 1,000 M of it computes for a long while (about a
    // hundred times the standard policy) and must neither be cut short nor
    // stall the neighbour meanwhile.
    let generous = PluginLimits { fuel: 5_000_000_000, deadline_ms: 5_000, ..limits() };
    let rounds = burn_rounds_for(1_000_000_000);
    let outcome = hostile_with(DUE, &format!(r#"{{"misbehave": "burn", "count": {rounds}}}"#), &generous);
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    let wall = Duration::from_micros(outcome.metering.wall_us);
    assert!(wall >= Duration::from_millis(40), "the plugin was not slow: {wall:?}");
    assert!(outcome.metering.fuel > 900_000_000, "fuel {}", outcome.metering.fuel);
}

#[test]
fn a_fuel_heavy_but_legal_plugin_succeeds() {
    // About 80% of the default budget.
    let budget = limits().fuel;
    let rounds = burn_rounds_for(budget * 8 / 10);
    let outcome = hostile(DUE, &format!(r#"{{"misbehave": "burn", "count": {rounds}}}"#));
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    let used = outcome.metering.fuel;
    assert!(used > budget * 7 / 10 && used < budget, "used {used} of {budget}");
}

#[test]
fn a_log_flood_is_bounded() {
    let outcome = hostile(DUE, r#"{"misbehave": "log-flood", "count": 10000}"#);
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    let bytes: usize = outcome.log.iter().map(String::len).sum();
    assert!(bytes <= limits().log_bytes as usize + 64, "{bytes} bytes of log");
    assert!(outcome.log.iter().any(|line| line == "[log truncated]"), "{:?}", outcome.log.last());
}

#[test]
fn a_stdout_flood_is_captured_and_bounded() {
    // Printing is ordinary for a language runtime; too much of it must be
    // cut, not turned into a failed decision.
    let outcome = hostile(DUE, r#"{"misbehave": "print-flood", "count": 1000}"#);
    assert!(
        outcome.result.is_ok(),
        "printing 1 MB to stdout failed the decision: {:?}\n{:?}",
        outcome.result,
        outcome.log
    );
    let stdout = outcome.log.iter().find(|line| line.starts_with("stdout: ")).expect("stdout is captured");
    assert!(stdout.len() <= limits().log_bytes as usize + 64 && stdout.ends_with("[truncated]"), "{}", stdout.len());
}

// ---- what the sandbox lets a plugin see ----

/// What the hostile guest saw in `peek` mode on `ctx`.
fn peek(plugin: &Plugin, ctx: &nudge_core::DecisionContext) -> (serde_json::Value, Vec<String>) {
    let outcome = plugin.decide(ctx);
    let decision = outcome.result.unwrap_or_else(|e| panic!("peek failed: {e}"));
    let nudge_core::Action::Stop { reason } = decision.action else { panic!("{decision:?}") };
    (serde_json::from_str(&reason).unwrap(), outcome.log)
}

#[test]
fn the_sandbox_has_no_environment_and_its_clock_reads_the_decisions_now() {
    // Network access cannot be attempted at decision time at all: a
    // component that imports wasi:sockets is refused at upload
    // (`hostile_load::a_socket_import_is_refused_by_name`).
    let plugin = guest(test_guests::HOSTILE);
    let ctx = fixture(DUE, r#"{"misbehave": "peek"}"#);
    let (seen, log) = while_neighbour_decides(|_| peek(&plugin, &ctx));
    assert_eq!(seen["env_vars"], 0, "{seen}");
    assert_eq!(seen["args"], 0, "{seen}");
    assert_eq!(seen["home"], false, "{seen}");
    assert_eq!(seen["wall_clock"], ctx.now.as_second(), "the wall clock reads the decision's now: {seen}");
    assert_eq!(seen["monotonic_elapsed_ns"], 0, "time does not pass inside a decision: {seen}");
    assert!(log.iter().any(|l| l == "info: hostile: peeked at the world"), "{log:?}");
    assert!(log.iter().any(|l| l == "stdout: hostile: peeked at the world"), "{log:?}");
    // A decision at another time sees that time.
    let mut later = ctx.clone();
    later.now += jiff::SignedDuration::from_hours(24 * 400);
    assert_eq!(peek(&plugin, &later).0["wall_clock"], later.now.as_second());
}

#[test]
fn randomness_is_deterministic() {
    let plugin = guest(test_guests::HOSTILE);
    let ctx = fixture(DUE, r#"{"misbehave": "peek"}"#);
    let (first, second) = while_neighbour_decides(|_| (peek(&plugin, &ctx).0, peek(&plugin, &ctx).0));
    assert_eq!(first["random"], second["random"], "the same decision sees the same randomness");
}

#[test]
fn randomness_is_seeded_per_decision() {
    // The context's `seed` is "a random seed for this decision"; the
    // sandbox's random sources must follow it, so two decisions with
    // different seeds do not see the very same "random" numbers.
    let plugin = guest(test_guests::HOSTILE);
    let ctx = fixture(DUE, r#"{"misbehave": "peek"}"#);
    let mut other = ctx.clone();
    other.seed = ctx.seed.wrapping_add(1);
    let (first, second) = while_neighbour_decides(|_| (peek(&plugin, &ctx).0, peek(&plugin, &other).0));
    assert_ne!(first["random"], second["random"], "seeds {} and {} gave the same randomness", ctx.seed, other.seed);
}
