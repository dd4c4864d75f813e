//! Throughput and latency of the plugin sandbox; results and method in
//! `BENCHMARKS.md` at the repository root.
//!
//! ```sh
//! cargo bench --workspace --bench decide
//! ```
//!
//! Plain std timing, no harness. Every measurement runs the bundled standard
//! policy on the fixture contexts (`nudge_runtime::fixtures::contexts()`, used
//! round-robin) under `Limits::default()` and the default `PluginLimits`,
//! unless a row says otherwise. Each measurement is repeated in several
//! trials, interleaved across configurations, and the median trial is shown,
//! so a burst of load from elsewhere on the machine skews one trial, not the
//! table. The whole run takes about a minute.
//!
//! Environment (all optional):
//! - `NUDGE_BENCH_ONLY=sandbox|neighbour`: run one part only;
//! - `NUDGE_BENCH_TRIALS=N`: trials per measurement (default 5);
//! - `NUDGE_BENCH_SECONDS=S`: time budget per trial of one measurement (default 0.4);
//! - `NUDGE_BENCH_LOOP=reused|fresh|instantiate`: no tables; run that loop for
//!   `NUDGE_BENCH_SECONDS` under default limits, to profile it (`perf record`).

use std::{
    error::Error,
    hint::black_box,
    sync::{
        Mutex,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use nudge_core::DecisionContext;
use nudge_runtime::{Limits, Outcome, Plugin, PluginLimits, Runtime, fixtures};

/// The allocator the `nudge` binary uses (host/cli/src/main.rs), so the host side
/// of each call is measured as it runs in production.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

type BenchResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Decisions per second a reused instance must sustain on one core.
const TARGET_REUSED_PER_SEC: f64 = 200_000.0;
/// Most a fresh instance plus one call may take, in microseconds.
const TARGET_FRESH_US: f64 = 30.0;
/// Largest acceptable ratio of tenant B's p99 with a hostile neighbour to its p99 alone.
const TARGET_NEIGHBOUR_RATIO: f64 = 2.0;

/// A memory-heavy hostile guest (core module, componentised at startup):
/// every `decide` grows its linear memory to the default per-call cap of
/// 32 MiB (512 pages), writes one byte to every 4 KiB page, then returns a
/// valid `stop` decision. `describe` and `decide` return static data.
const MEMORY_HOG_WAT: &str = r#"
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 64) "memory-hog")
  (data (i32.const 80) "0.1.0")
  (data (i32.const 96) "hog")
  (data (i32.const 112) "grew")
  ;; policy-info: name (ptr, len), version (ptr, len), experiments (ptr, len)
  (data (i32.const 256) "\40\00\00\00\0a\00\00\00\50\00\00\00\05\00\00\00\00\00\00\00\00\00\00\00")
  ;; result<decision, policy-error>: tag 0 (ok) at 0; decision at 8: segment (ptr, len),
  ;; action tag 2 (stop) at 16, its reason (ptr, len) at 24
  (data (i32.const 512) "\00\00\00\00\00\00\00\00\60\00\00\00\03\00\00\00\02\00\00\00\00\00\00\00\70\00\00\00\04\00\00\00")
  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr
      (i32.and (i32.sub (i32.add (global.get $heap) (local.get $align)) (i32.const 1))
               (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
    (local.get $ptr))
  (func (export "describe") (result i32) (i32.const 256))
  ;; after each call: free everything the host allocated for the arguments
  (func (export "cabi_post_decide") (param i32) (global.set $heap (i32.const 4096)))
  (func (export "decide") (param i32) (result i32)
    (local $addr i32)
    (local $end i32)
    (drop (memory.grow (i32.sub (i32.const 512) (memory.size))))
    (local.set $addr (i32.const 65536))
    (local.set $end (i32.shl (memory.size) (i32.const 16)))
    (block $done
      (loop $touch
        (br_if $done (i32.ge_u (local.get $addr) (local.get $end)))
        (i32.store8 (local.get $addr) (i32.const 1))
        (local.set $addr (i32.add (local.get $addr) (i32.const 4096)))
        (br $touch)))
    (i32.const 512))
)
"#;

fn main() -> BenchResult<()> {
    let trials: usize = env_parse("NUDGE_BENCH_TRIALS", 5).max(1);
    let budget = Duration::from_secs_f64(env_parse("NUDGE_BENCH_SECONDS", 0.4_f64).max(0.05));
    let only = std::env::var("NUDGE_BENCH_ONLY").unwrap_or_default();
    let contexts: Vec<DecisionContext> = fixtures::contexts().into_iter().map(|(_, ctx)| ctx).collect();
    let names: Vec<&str> = fixtures::contexts().into_iter().map(|(name, _)| name).collect();

    if let Ok(which) = std::env::var("NUDGE_BENCH_LOOP") {
        return profile_loop(&which, &contexts, budget);
    }

    let started = Instant::now();
    println!("# nudge `decide` benchmark\n");
    println!(
        "standard policy ({} bytes) on {} fixture contexts round-robin ({}); {trials} trials per measurement, \
         median trial shown; {:.2} s per trial; load average at start: {}",
        nudge_bundle::STANDARD_POLICY.len(),
        contexts.len(),
        names.join(", "),
        budget.as_secs_f64(),
        load_average(),
    );

    let mut summary = Vec::new();
    if only.is_empty() || only == "sandbox" {
        sandbox(&contexts, trials, budget, &mut summary)?;
    }
    if only.is_empty() || only == "neighbour" {
        neighbour(&contexts, trials, budget, &mut summary)?;
    }

    println!("\n## Targets\n");
    println!("| target | measured | met |");
    println!("| --- | --- | --- |");
    for (target, measured, met) in &summary {
        println!("| {target} | {measured} | {} |", if *met { "yes" } else { "**no**" });
    }
    println!("\nload average at end: {}; total {:.1} s", load_average(), started.elapsed().as_secs_f64());
    Ok(())
}

/// Parts 1 to 3: a reused instance, a fresh instance per call, and
/// instantiation alone, with fuel and epochs each on and off.
fn sandbox(
    contexts: &[DecisionContext],
    trials: usize,
    budget: Duration,
    summary: &mut Vec<(String, String, bool)>,
) -> BenchResult<()> {
    let configs = [
        ("fuel + epochs (default)", true, true),
        ("fuel only", true, false),
        ("epochs only", false, true),
        ("neither", false, false),
    ];
    let minimal = component(&minimal_wat())?;
    let mut setups = Vec::new();
    for (label, fuel_metering, epoch_deadlines) in configs {
        setups.push(Setup::new(label, nudge_bundle::STANDARD_POLICY, fuel_metering, epoch_deadlines, contexts)?);
    }
    setups.push(Setup::new(MINIMAL_LABEL, &minimal, true, true, contexts)?);

    let mut rows: Vec<Vec<SandboxTrial>> = setups.iter().map(|_| Vec::new()).collect();
    for _ in 0..trials {
        for (setup, row) in setups.iter().zip(&mut rows) {
            row.push(sandbox_trial(setup, contexts, budget)?);
        }
    }

    let medians: Vec<SandboxTrial> = rows.iter().map(|row| SandboxTrial::median(row)).collect();
    let failures = |i: usize| rows[i].iter().map(|t| t.failures).sum::<usize>();
    println!("\n## 1-3. Standard policy: reused instance, fresh instance per call, cost of fuel and epochs\n");
    println!(
        "Reused instance: `plugin.instance(..)` once, then `instance.decide(&ctx)` in a loop on one thread. \
         decisions/s = calls / wall time; per CPU-second = calls / the thread's own on-CPU time \
         (`/proc/thread-self/schedstat`), which time stolen by other processes does not inflate. \
         Latencies in µs, from a separate loop timing each call.\n"
    );
    println!(
        "| limits | decisions/s | decisions per CPU-second | best trial | p50 | p99 | p99.9 | mean fuel per call | failures |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (i, (setup, m)) in setups.iter().zip(&medians).enumerate() {
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {} |",
            setup.label,
            m.reused_per_sec,
            m.reused_per_cpu_sec,
            m.best_reused_per_cpu_sec,
            m.reused.p50,
            m.reused.p99,
            m.reused.p999,
            setup.reused_fuel,
            failures(i),
        );
    }
    println!(
        "\nFresh instance per call: `plugin.decide_with(&ctx, &limits)` = instantiate from the pre-instantiated \
         handle in a new store + one `decide` + drop (memory slot returned to the pool). on-CPU and page faults \
         are per call. instantiate = `plugin.instance(..)` and drop, no call. Latencies in µs.\n"
    );
    println!(
        "| limits | mean | best trial's mean | p50 | p99 | p99.9 | calls/s | on-CPU µs | minor page faults | instantiate p50 | mean fuel per call |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (setup, m) in setups.iter().zip(&medians) {
        println!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} | {:.1} | {:.1} | {:.1} | {} |",
            setup.label,
            m.fresh.mean,
            m.best_fresh_mean,
            m.fresh.p50,
            m.fresh.p99,
            m.fresh.p999,
            1e6 / m.fresh.mean,
            m.fresh_cpu_us,
            m.fresh_faults,
            m.instantiate.p50,
            setup.fresh_fuel,
        );
    }

    println!("\nRelative to \"neither\" (same run):\n");
    println!(
        "| limits | reused decisions per CPU-second | fresh mean | fresh on-CPU | instantiate p50 | load + dry run ms |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let base = setups.iter().zip(&medians).find(|(s, _)| s.label == "neither").map(|(_, m)| *m).unwrap_or_default();
    for (setup, m) in setups.iter().zip(&medians).filter(|(s, _)| s.label != MINIMAL_LABEL) {
        println!(
            "| {} | {:+.1}% | {:+.1}% | {:+.1}% | {:+.1}% | {:.0} |",
            setup.label,
            pct(m.reused_per_cpu_sec, base.reused_per_cpu_sec),
            pct(m.fresh.mean, base.fresh.mean),
            pct(m.fresh_cpu_us, base.fresh_cpu_us),
            pct(m.instantiate.p50, base.instantiate.p50),
            setup.load_ms,
        );
    }

    let default = medians.first().copied().unwrap_or_default();
    summary.push((
        format!(">= {TARGET_REUSED_PER_SEC:.0} decisions/s per core, reused instance"),
        format!(
            "{:.0} per CPU-second (best trial {:.0}), {:.0}/s wall, p50 {:.2} µs",
            default.reused_per_cpu_sec, default.best_reused_per_cpu_sec, default.reused_per_sec, default.reused.p50
        ),
        default.reused_per_cpu_sec >= TARGET_REUSED_PER_SEC,
    ));
    summary.push((
        format!("<= {TARGET_FRESH_US:.0} µs fresh instance + one call"),
        format!(
            "mean {:.1} µs (best trial {:.1}), p50 {:.1} µs, p99 {:.1} µs",
            default.fresh.mean, default.best_fresh_mean, default.fresh.p50, default.fresh.p99
        ),
        default.fresh.mean <= TARGET_FRESH_US,
    ));
    Ok(())
}

/// The row of the minimal guest, the sandbox's floor.
const MINIMAL_LABEL: &str = "minimal WAT guest, fuel + epochs (floor)";

struct Setup {
    label: &'static str,
    plugin: Plugin,
    limits: PluginLimits,
    load_ms: f64,
    fresh_fuel: u64,
    reused_fuel: u64,
}

impl Setup {
    fn new(
        label: &'static str,
        bytes: &[u8],
        fuel_metering: bool,
        epoch_deadlines: bool,
        contexts: &[DecisionContext],
    ) -> BenchResult<Setup> {
        let runtime = Runtime::new(Limits { fuel_metering, epoch_deadlines, ..Limits::default() })?;
        let loading = Instant::now();
        let plugin = runtime.load(bytes)?;
        let load_ms = loading.elapsed().as_secs_f64() * 1e3;
        let limits = runtime.limits().plugin;
        // Fuel differs by fixture (7.5 k to 12.7 k for the standard policy): the mean over them.
        let mut instance = plugin.instance(&limits, contexts[0].now)?;
        let (mut fresh_fuel, mut reused_fuel) = (0, 0);
        for ctx in contexts {
            let fresh = plugin.decide_with(ctx, &limits);
            fresh.result.as_ref().map_err(|e| format!("{label}: the policy failed on a fixture: {e}"))?;
            fresh_fuel += fresh.metering.fuel;
            reused_fuel += instance.decide(ctx).metering.fuel;
        }
        let n = contexts.len().max(1) as u64;
        Ok(Setup { label, plugin, limits, load_ms, fresh_fuel: fresh_fuel / n, reused_fuel: reused_fuel / n })
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct SandboxTrial {
    /// Best trial's reused decisions per CPU-second (set on medians only).
    best_reused_per_cpu_sec: f64,
    /// Best trial's fresh mean, µs (set on medians only).
    best_fresh_mean: f64,
    reused_per_sec: f64,
    reused_per_cpu_sec: f64,
    fresh_cpu_us: f64,
    fresh_faults: f64,
    reused: Summary,
    fresh: Summary,
    instantiate: Summary,
    failures: usize,
}

impl SandboxTrial {
    /// The median of each figure over the trials.
    fn median(trials: &[SandboxTrial]) -> SandboxTrial {
        SandboxTrial {
            best_reused_per_cpu_sec: trials.iter().map(|t| t.reused_per_cpu_sec).fold(0.0, f64::max),
            best_fresh_mean: trials.iter().map(|t| t.fresh.mean).fold(f64::INFINITY, f64::min),
            reused_per_sec: median(trials.iter().map(|t| t.reused_per_sec)),
            reused_per_cpu_sec: median(trials.iter().map(|t| t.reused_per_cpu_sec)),
            fresh_cpu_us: median(trials.iter().map(|t| t.fresh_cpu_us)),
            fresh_faults: median(trials.iter().map(|t| t.fresh_faults)),
            reused: Summary::median(trials.iter().map(|t| t.reused)),
            fresh: Summary::median(trials.iter().map(|t| t.fresh)),
            instantiate: Summary::median(trials.iter().map(|t| t.instantiate)),
            failures: trials.iter().map(|t| t.failures).sum(),
        }
    }
}

fn sandbox_trial(setup: &Setup, contexts: &[DecisionContext], budget: Duration) -> BenchResult<SandboxTrial> {
    let (plugin, limits) = (&setup.plugin, &setup.limits);
    let mut failures = 0;
    let mut tally = |outcome: Outcome| {
        failures += usize::from(outcome.result.is_err());
        black_box(outcome);
    };

    // Reused instance: throughput without per-call timing, then latency.
    let mut instance = plugin.instance(limits, contexts[0].now)?;
    for i in 0..2_000 {
        tally(instance.decide(&contexts[i % contexts.len()]));
    }
    let mut calls = 0;
    let (started, cpu) = (Instant::now(), thread_cpu_ns());
    while started.elapsed() < budget {
        for _ in 0..1_000 {
            tally(instance.decide(&contexts[calls % contexts.len()]));
            calls += 1;
        }
    }
    let reused_per_sec = calls as f64 / started.elapsed().as_secs_f64();
    let reused_per_cpu_sec = calls as f64 * 1e9 / thread_cpu_ns().saturating_sub(cpu).max(1) as f64;
    let reused = sample(budget, |i| tally(instance.decide(&contexts[i % contexts.len()])));
    drop(instance);

    // Fresh instance per call.
    for i in 0..300 {
        tally(plugin.decide_with(&contexts[i % contexts.len()], limits));
    }
    let (cpu, faults) = (thread_cpu_ns(), minor_faults());
    let fresh = sample(budget, |i| tally(plugin.decide_with(&contexts[i % contexts.len()], limits)));
    let fresh_cpu_us = thread_cpu_ns().saturating_sub(cpu) as f64 / 1e3 / fresh.count.max(1) as f64;
    let fresh_faults = minor_faults().saturating_sub(faults) as f64 / fresh.count.max(1) as f64;

    // Instantiation alone.
    let mut errors = 0;
    let instantiate = sample(budget / 2, |i| match plugin.instance(limits, contexts[i % contexts.len()].now) {
        Ok(instance) => drop(black_box(instance)),
        Err(_) => errors += 1,
    });
    Ok(SandboxTrial {
        reused_per_sec,
        reused_per_cpu_sec,
        reused,
        fresh,
        fresh_cpu_us,
        fresh_faults,
        instantiate,
        failures: failures + errors,
        ..SandboxTrial::default()
    })
}

/// The smallest possible policy, for the sandbox's own floor: the memory
/// hog's module with a `decide` that returns its static `stop` decision at
/// once (no WASI, no allocator beyond a bump pointer, one 64 KiB page).
fn minimal_wat() -> String {
    let body_start = MEMORY_HOG_WAT.find("    (local $addr i32)").unwrap_or(0);
    let body_end = MEMORY_HOG_WAT.rfind("    (i32.const 512))").unwrap_or(0);
    format!("{}{}", &MEMORY_HOG_WAT[..body_start], &MEMORY_HOG_WAT[body_end..])
}

/// The neighbours tenant A may be.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Neighbour {
    Alone,
    Standard,
    SpinFuel,
    SpinDeadline,
    MemoryHog,
}

impl Neighbour {
    const ALL: [Neighbour; 5] =
        [Neighbour::Alone, Neighbour::Standard, Neighbour::SpinFuel, Neighbour::SpinDeadline, Neighbour::MemoryHog];

    fn label(self) -> &'static str {
        match self {
            Neighbour::Alone => "none (B alone)",
            Neighbour::Standard => "standard policy, fresh instance per call (busy, not hostile)",
            Neighbour::SpinFuel => "SPIN guest, default limits: burns all 20 M fuel every call",
            Neighbour::SpinDeadline => {
                "SPIN guest, fuel beyond any tenant's limit (2^50): stopped by the 250 ms epoch deadline every call"
            }
            Neighbour::MemoryHog => "memory hog: grows to 32 MiB and touches every page every call",
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct NeighbourTrial {
    b: Summary,
    b_failures: usize,
    b_preempted: f64,
    b_waited_ms: f64,
    a_calls_per_sec: f64,
    a_mean_ms: f64,
}

/// Part 4: tenant B's latency alone and beside a hostile tenant A, on one runtime.
fn neighbour(
    contexts: &[DecisionContext],
    trials: usize,
    budget: Duration,
    summary: &mut Vec<(String, String, bool)>,
) -> BenchResult<()> {
    let runtime = Runtime::new(Limits::default())?;
    let standard_b = runtime.load(nudge_bundle::STANDARD_POLICY)?;
    let standard_a = runtime.load(nudge_bundle::STANDARD_POLICY)?;
    let defaults = runtime.limits().plugin;
    let spin = runtime.load_with(&std::fs::read(nudge_bundle::test_guests::SPIN)?, &defaults)?;
    let hog = runtime.load_with(&component(MEMORY_HOG_WAT)?, &defaults)?;
    // More fuel than `Limits::check` lets any tenant have, so only the deadline stops it.
    let unlimited_fuel = PluginLimits { fuel: 1 << 50, ..defaults };

    let a_plugin = |n: Neighbour| -> Option<(&Plugin, PluginLimits)> {
        match n {
            Neighbour::Alone => None,
            Neighbour::Standard => Some((&standard_a, defaults)),
            Neighbour::SpinFuel => Some((&spin, defaults)),
            Neighbour::SpinDeadline => Some((&spin, unlimited_fuel)),
            Neighbour::MemoryHog => Some((&hog, defaults)),
        }
    };

    // What each neighbour's calls end in, once, for the table.
    let mut a_outcomes = Vec::new();
    for n in Neighbour::ALL {
        a_outcomes.push(match a_plugin(n) {
            None => "-".to_string(),
            Some((plugin, limits)) => describe_outcome(&plugin.decide_with(&contexts[0], &limits)),
        });
    }

    let b_budget = budget * 2;
    let mut rows: Vec<Vec<NeighbourTrial>> = Neighbour::ALL.iter().map(|_| Vec::new()).collect();
    for _ in 0..trials {
        for (n, row) in Neighbour::ALL.into_iter().zip(&mut rows) {
            row.push(neighbour_trial(&standard_b, &defaults, a_plugin(n), contexts, b_budget));
        }
    }

    println!("\n## 4. Noisy neighbour\n");
    println!(
        "Tenant B: standard policy, fresh instance per call (`decide_with`), one thread, {:.1} s per trial. \
         Tenant A: loops `decide_with` on another thread of the same `Runtime` (one engine, pool and epoch \
         ticker), started before B's warm-up. Latencies in µs; ratio = B's p99 / B's p99 alone. \
         B preempted = times the kernel descheduled B's thread, B waited = time it was runnable without a CPU, \
         both during its timed calls (from /proc: CPU contention, not interference through the sandbox).\n",
        b_budget.as_secs_f64()
    );
    println!(
        "| tenant A | A's calls end in | A calls/s | A ms/call | B calls | B p50 | B p99 | B p99.9 | B max | p99 ratio | B preempted | B waited for a CPU, ms | B failures |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let alone = Summary::median(rows[0].iter().map(|t| t.b));
    let mut worst: (f64, &str) = (0.0, "");
    for ((n, row), outcome) in Neighbour::ALL.into_iter().zip(&rows).zip(&a_outcomes) {
        let b = Summary::median(row.iter().map(|t| t.b));
        let ratio = b.p99 / alone.p99;
        if n != Neighbour::Alone && n != Neighbour::Standard && ratio > worst.0 {
            worst = (ratio, n.label());
        }
        let (a_rate, a_ms) = if n == Neighbour::Alone {
            ("-".to_string(), "-".to_string())
        } else {
            (
                format!("{:.1}", median(row.iter().map(|t| t.a_calls_per_sec))),
                format!("{:.2}", median(row.iter().map(|t| t.a_mean_ms))),
            )
        };
        println!(
            "| {} | {outcome} | {a_rate} | {a_ms} | {} | {:.1} | {:.1} | {:.1} | {:.0} | {ratio:.2}x | {:.0} | {:.1} | {} |",
            n.label(),
            b.count,
            b.p50,
            b.p99,
            b.p999,
            b.max,
            median(row.iter().map(|t| t.b_preempted)),
            median(row.iter().map(|t| t.b_waited_ms)),
            row.iter().map(|t| t.b_failures).sum::<usize>(),
        );
    }
    summary.push((
        format!("noisy neighbour: B's p99 with a hostile A < {TARGET_NEIGHBOUR_RATIO}x B's p99 alone"),
        format!("worst {:.2}x ({})", worst.0, worst.1),
        worst.0 < TARGET_NEIGHBOUR_RATIO,
    ));
    Ok(())
}

fn neighbour_trial(
    b: &Plugin,
    limits: &PluginLimits,
    a: Option<(&Plugin, PluginLimits)>,
    contexts: &[DecisionContext],
    budget: Duration,
) -> NeighbourTrial {
    let stop = AtomicBool::new(false);
    let a_stats = Mutex::new((0_u64, Duration::ZERO));
    let (b_summary, b_failures, (b_preempted, b_waited_ns)) = thread::scope(|scope| {
        if let Some((plugin, a_limits)) = a {
            let (stop, a_stats) = (&stop, &a_stats);
            scope.spawn(move || {
                let (mut calls, mut busy) = (0_u64, Duration::ZERO);
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    black_box(plugin.decide_with(&contexts[calls as usize % contexts.len()], &a_limits));
                    busy += started.elapsed();
                    calls += 1;
                }
                if let Ok(mut stats) = a_stats.lock() {
                    *stats = (calls, busy);
                }
            });
            // Let A get going before B warms up.
            thread::sleep(Duration::from_millis(20));
        }
        let mut b_failures = 0;
        let mut tally = |outcome: Outcome| {
            b_failures += usize::from(outcome.result.is_err());
            black_box(outcome);
        };
        for i in 0..300 {
            tally(b.decide_with(&contexts[i % contexts.len()], limits));
        }
        let (preempted, waited) = (involuntary_switches(), runqueue_wait_ns());
        let b_summary = sample(budget, |i| tally(b.decide_with(&contexts[i % contexts.len()], limits)));
        let preempted = involuntary_switches().saturating_sub(preempted);
        let waited = runqueue_wait_ns().saturating_sub(waited);
        stop.store(true, Ordering::Relaxed);
        (b_summary, b_failures, (preempted, waited))
    });
    // A's figures cover its whole run (B's warm-up and A's last call included).
    let (calls, busy) = a_stats.lock().map(|s| *s).unwrap_or_default();
    NeighbourTrial {
        b: b_summary,
        b_failures,
        b_preempted: b_preempted as f64,
        b_waited_ms: b_waited_ns as f64 / 1e6,
        a_calls_per_sec: if busy.is_zero() { 0.0 } else { calls as f64 / busy.as_secs_f64() },
        a_mean_ms: if calls == 0 { 0.0 } else { busy.as_secs_f64() * 1e3 / calls as f64 },
    }
}

/// "ok", or the failure kind of a call, with its wall time.
fn describe_outcome(outcome: &Outcome) -> String {
    let what = match &outcome.result {
        Ok(_) => "ok".to_string(),
        Err(e) => e.kind.as_str().to_string(),
    };
    format!(
        "{what} ({:.1} ms, peak memory {} MiB)",
        outcome.metering.wall_us as f64 / 1e3,
        outcome.metering.peak_memory_bytes >> 20
    )
}

/// A core module in WAT as a component of the `nudge:policy` world.
fn component(wat: &str) -> BenchResult<Vec<u8>> {
    let mut module = wat::parse_str(wat)?;
    let mut resolve = wit_parser::Resolve::default();
    let wit = concat!(env!("CARGO_MANIFEST_DIR"), "/../../wit");
    let (package, _) = resolve.push_path(wit).map_err(|e| format!("{e:#}"))?;
    let world = resolve.select_world(&[package], Some("policy")).map_err(|e| format!("{e:#}"))?;
    wit_component::embed_component_metadata(&mut module, &resolve, world, wit_component::StringEncoding::UTF8)
        .map_err(|e| format!("{e:#}"))?;
    let component = wit_component::ComponentEncoder::default()
        .module(&module)
        .and_then(|encoder| encoder.validate(true).encode())
        .map_err(|e| format!("{e:#}"))?;
    Ok(component)
}

/// Runs one loop under default limits for `budget`, for a profiler.
fn profile_loop(which: &str, contexts: &[DecisionContext], budget: Duration) -> BenchResult<()> {
    let runtime = Runtime::new(Limits::default())?;
    let plugin = runtime.load(nudge_bundle::STANDARD_POLICY)?;
    let limits = runtime.limits().plugin;
    let mut instance = plugin.instance(&limits, contexts[0].now)?;
    let started = Instant::now();
    let cpu_started = thread_cpu_ns();
    let mut calls = 0_usize;
    // One line per window: its cost per call and what the last call used.
    let window = Duration::from_millis(500);
    let (mut window_start, mut window_calls, mut last) = (Instant::now(), 0_usize, None);
    while started.elapsed() < budget {
        for _ in 0..100 {
            let ctx = &contexts[calls % contexts.len()];
            let outcome = match which {
                "reused" => instance.decide(ctx),
                "fresh" => plugin.decide_with(ctx, &limits),
                "instantiate" => {
                    drop(black_box(plugin.instance(&limits, ctx.now)?));
                    calls += 1;
                    continue;
                }
                other => return Err(format!("NUDGE_BENCH_LOOP={other}: expected reused, fresh or instantiate").into()),
            };
            last = Some(black_box(outcome).metering);
            calls += 1;
        }
        window_calls += 100;
        if window_start.elapsed() >= window {
            let us = window_start.elapsed().as_secs_f64() * 1e6 / window_calls as f64;
            let (fuel, peak) = last.map(|m| (m.fuel, m.peak_memory_bytes)).unwrap_or_default();
            println!("  {us:.2} µs per call; last call: fuel {fuel}, peak memory {peak} bytes");
            (window_start, window_calls) = (Instant::now(), 0);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu_us = (thread_cpu_ns() - cpu_started) as f64 / 1e3;
    println!(
        "{which}: {calls} calls in {secs:.2} s, {:.2} µs per call, {:.2} µs on-CPU per call",
        secs * 1e6 / calls as f64,
        cpu_us / calls as f64
    );
    Ok(())
}

/// Latency statistics of one run, in microseconds.
#[derive(Debug, Clone, Copy, Default)]
struct Summary {
    count: usize,
    mean: f64,
    p50: f64,
    p99: f64,
    p999: f64,
    max: f64,
}

impl Summary {
    fn of(samples: &mut [Duration]) -> Summary {
        samples.sort_unstable();
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        let at = |q: f64| {
            let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len().max(1));
            samples.get(rank - 1).copied().map(us).unwrap_or(0.0)
        };
        let total: Duration = samples.iter().sum();
        Summary {
            count: samples.len(),
            mean: if samples.is_empty() { 0.0 } else { us(total) / samples.len() as f64 },
            p50: at(0.50),
            p99: at(0.99),
            p999: at(0.999),
            max: samples.last().copied().map(us).unwrap_or(0.0),
        }
    }

    fn median(trials: impl Iterator<Item = Summary> + Clone) -> Summary {
        Summary {
            count: median(trials.clone().map(|t| t.count as f64)) as usize,
            mean: median(trials.clone().map(|t| t.mean)),
            p50: median(trials.clone().map(|t| t.p50)),
            p99: median(trials.clone().map(|t| t.p99)),
            p999: median(trials.clone().map(|t| t.p999)),
            max: median(trials.map(|t| t.max)),
        }
    }
}

/// Times `f` call by call until `budget` is spent (at least 200 calls, at most 2 M).
fn sample(budget: Duration, mut f: impl FnMut(usize)) -> Summary {
    let mut samples = Vec::with_capacity(1 << 16);
    let started = Instant::now();
    let mut i = 0;
    while (i < 200 || started.elapsed() < budget) && i < 2_000_000 {
        let t = Instant::now();
        f(i);
        samples.push(t.elapsed());
        i += 1;
    }
    Summary::of(&mut samples)
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn pct(value: f64, base: f64) -> f64 {
    if base == 0.0 { 0.0 } else { (value / base - 1.0) * 100.0 }
}

fn env_parse<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Times the kernel has preempted this thread so far (from /proc), 0 if unknown.
fn involuntary_switches() -> u64 {
    std::fs::read_to_string("/proc/thread-self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("nonvoluntary_ctxt_switches:").map(|n| n.trim().parse().ok()))
        })
        .flatten()
        .unwrap_or(0)
}

/// Nanoseconds this thread has spent runnable but waiting for a CPU (from /proc), 0 if unknown.
fn runqueue_wait_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// Nanoseconds this thread has spent on a CPU (from /proc), 0 if unknown.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// Minor page faults of this process so far (from /proc), 0 if unknown.
fn minor_faults() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the parenthesised command name; minflt is field 10.
            let rest = &s[s.rfind(')')? + 2..];
            rest.split_whitespace().nth(7).and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
