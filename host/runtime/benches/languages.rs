//! The standard policy in Rust, Python (componentize-py) and JavaScript
//! (componentize-js), side by side in the sandbox: component size, load
//! time, instantiation, a fresh instance plus one call, and a reused
//! instance's per-decision time. Results and method in `BENCHMARKS.md`.
//!
//! ```sh
//! cargo bench --workspace --bench languages
//! ```
//!
//! Plain std timing, no harness, the method of `benches/decide.rs`: every
//! policy decides on the fixture contexts round-robin under the tenant
//! limits its README documents; each measurement is repeated in several
//! trials, interleaved across languages, and the median trial is shown.
//! The Python and JavaScript components come from `plugins/polyglot-build.sh`,
//! which this bench runs first (a no-op when they are up to date).
//!
//! Environment (all optional):
//! - `NUDGE_BENCH_TRIALS=N`: trials per measurement (default 5);
//! - `NUDGE_BENCH_SECONDS=S`: time budget per trial of one measurement (default 0.4);
//! - `NUDGE_BENCH_LOAD_TRIALS=N`: compiles per language (default 1; a compile
//!   of the Python component takes most of a minute).

use std::{
    error::Error,
    hint::black_box,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use nudge_core::DecisionContext;
use nudge_runtime::{Limits, Outcome, Plugin, PluginLimits, Runtime, fixtures};

type BenchResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// A policy to measure, with the tenant limits its README documents.
struct Language {
    name: &'static str,
    bytes: Vec<u8>,
    limits: PluginLimits,
}

/// What was measured for one language, medians over the trials.
#[derive(Debug, Clone, Default)]
struct Measured {
    load: Vec<Load>,
    cached_load_ms: Vec<f64>,
    trials: Vec<Trial>,
    fresh_fuel: u64,
    reused_fuel: u64,
    peak_memory_bytes: u64,
}

/// One compile-and-load: wall time and the process's CPU time.
#[derive(Debug, Clone, Copy, Default)]
struct Load {
    wall_ms: f64,
    cpu_ms: f64,
}

/// One trial's figures, in microseconds unless named otherwise.
#[derive(Debug, Clone, Copy, Default)]
struct Trial {
    instantiate: Stats,
    fresh: Stats,
    fresh_cpu_us: f64,
    fresh_faults: f64,
    reused: Stats,
    reused_per_cpu_sec: f64,
    failures: usize,
}

fn main() -> BenchResult<()> {
    let trials: usize = env_parse("NUDGE_BENCH_TRIALS", 5).max(1);
    let load_trials: usize = env_parse("NUDGE_BENCH_LOAD_TRIALS", 1).max(1);
    let budget = Duration::from_secs_f64(env_parse("NUDGE_BENCH_SECONDS", 0.4_f64).max(0.05));
    let contexts: Vec<DecisionContext> = fixtures::contexts().into_iter().map(|(_, ctx)| ctx).collect();
    let started = Instant::now();
    let languages = languages()?;

    println!("# nudge policy languages benchmark\n");
    println!(
        "standard policy in {} on {} fixture contexts round-robin; {trials} trials per measurement, median shown; \
         {:.2} s per trial; {load_trials} compile(s) per language; load average at start: {}",
        languages.iter().map(|l| l.name).collect::<Vec<_>>().join(", "),
        contexts.len(),
        budget.as_secs_f64(),
        load_average(),
    );

    // Loading: compile (in-process, as without a compile worker), type-check,
    // describe; then the same bytes again from a warm artefact cache.
    let mut measured: Vec<Measured> = languages.iter().map(|_| Measured::default()).collect();
    let mut plugins = Vec::new();
    for (language, m) in languages.iter().zip(&mut measured) {
        let mut plugin = None;
        for _ in 0..load_trials {
            let cache = tempdir()?;
            let runtime = Runtime::with_artefact_cache(Limits::default(), &cache)?;
            let (wall, cpu) = (Instant::now(), process_cpu_ns());
            let loaded = runtime.load_with(&language.bytes, &language.limits)?;
            m.load.push(Load {
                wall_ms: wall.elapsed().as_secs_f64() * 1e3,
                cpu_ms: process_cpu_ns().saturating_sub(cpu) as f64 / 1e6,
            });
            let again = Runtime::with_artefact_cache(Limits::default(), &cache)?;
            let wall = Instant::now();
            black_box(again.load_with(&language.bytes, &language.limits)?);
            m.cached_load_ms.push(wall.elapsed().as_secs_f64() * 1e3);
            std::fs::remove_dir_all(&cache)?;
            plugin = Some(loaded);
        }
        let plugin = plugin.ok_or("no load trial ran")?;
        let mut instance = plugin.instance(&language.limits, contexts[0].now)?;
        let (mut fresh_fuel, mut reused_fuel) = (0, 0);
        for ctx in &contexts {
            let fresh = plugin.decide_with(ctx, &language.limits);
            fresh.result.as_ref().map_err(|e| format!("{}: failed on a fixture: {e}", language.name))?;
            fresh_fuel += fresh.metering.fuel;
            m.peak_memory_bytes = m.peak_memory_bytes.max(fresh.metering.peak_memory_bytes);
            reused_fuel += instance.decide(ctx).metering.fuel;
        }
        m.fresh_fuel = fresh_fuel / contexts.len() as u64;
        m.reused_fuel = reused_fuel / contexts.len() as u64;
        plugins.push(plugin);
    }

    for _ in 0..trials {
        for ((language, plugin), m) in languages.iter().zip(&plugins).zip(&mut measured) {
            m.trials.push(trial(plugin, &language.limits, &contexts, budget)?);
        }
    }

    report(&languages, &measured);
    println!("\nload average at end: {}; total {:.1} s", load_average(), started.elapsed().as_secs_f64());
    Ok(())
}

/// The three policies: the bundled Rust one and the two built by the script.
fn languages() -> BenchResult<Vec<Language>> {
    let polyglot = build_polyglot()?;
    Ok(vec![
        Language { name: "Rust", bytes: nudge_bundle::STANDARD_POLICY.to_vec(), limits: PluginLimits::default() },
        Language {
            name: "Python",
            bytes: std::fs::read(polyglot.join("python-standard.wasm"))?,
            // plugins/python-standard/README.md
            limits: PluginLimits {
                max_component_bytes: 24 << 20,
                core_instances: 48,
                compile_timeout_ms: 120_000,
                ..PluginLimits::default()
            },
        },
        Language {
            name: "JavaScript",
            bytes: std::fs::read(polyglot.join("js-standard.wasm"))?,
            // plugins/js-standard/README.md
            limits: PluginLimits {
                max_component_bytes: 16 << 20,
                compile_timeout_ms: 120_000,
                ..PluginLimits::default()
            },
        },
    ])
}

/// Runs `plugins/polyglot-build.sh` for this target directory; returns
/// where it put the components.
fn build_polyglot() -> BenchResult<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).ok_or("no workspace root")?.to_path_buf();
    // This binary is <target>/<profile>/deps/<name>.
    let exe = std::env::current_exe()?;
    let target = exe.ancestors().nth(3).ok_or("cannot tell the target directory")?;
    let script = root.join("plugins/polyglot-build.sh");
    let status = Command::new("bash")
        .arg(&script)
        .env("CARGO_TARGET_DIR", target)
        .current_dir(&root)
        .stdout(std::process::Stdio::null())
        .status()?;
    if !status.success() {
        return Err(format!(
            "building the Python and JavaScript plugins failed ({status}); run `CARGO_TARGET_DIR={} bash {}` \
             (needs python3 with venv, node >= 20.19 with npm, and PyPI and npm)",
            target.display(),
            script.display()
        )
        .into());
    }
    Ok(target.join("polyglot"))
}

/// One trial: instantiation alone, a fresh instance plus one call, and a
/// reused instance's calls, each for `budget`.
fn trial(plugin: &Plugin, limits: &PluginLimits, contexts: &[DecisionContext], budget: Duration) -> BenchResult<Trial> {
    let mut failures = 0;
    let mut tally = |outcome: Outcome| {
        failures += usize::from(outcome.result.is_err());
        black_box(outcome);
    };
    let mut errors = 0;
    let instantiate = sample(budget, |i| match plugin.instance(limits, contexts[i % contexts.len()].now) {
        Ok(instance) => drop(black_box(instance)),
        Err(_) => errors += 1,
    });

    for i in 0..20 {
        tally(plugin.decide_with(&contexts[i % contexts.len()], limits));
    }
    let (cpu, faults) = (thread_cpu_ns(), minor_faults());
    let fresh = sample(budget, |i| tally(plugin.decide_with(&contexts[i % contexts.len()], limits)));
    let fresh_cpu_us = thread_cpu_ns().saturating_sub(cpu) as f64 / 1e3 / fresh.count.max(1) as f64;
    let fresh_faults = minor_faults().saturating_sub(faults) as f64 / fresh.count.max(1) as f64;

    let mut instance = plugin.instance(limits, contexts[0].now)?;
    for i in 0..50 {
        tally(instance.decide(&contexts[i % contexts.len()]));
    }
    let cpu = thread_cpu_ns();
    let reused = sample(budget, |i| tally(instance.decide(&contexts[i % contexts.len()])));
    let reused_per_cpu_sec = reused.count as f64 * 1e9 / thread_cpu_ns().saturating_sub(cpu).max(1) as f64;
    Ok(Trial {
        instantiate,
        fresh,
        fresh_cpu_us,
        fresh_faults,
        reused,
        reused_per_cpu_sec,
        failures: failures + errors,
    })
}

fn report(languages: &[Language], measured: &[Measured]) {
    println!("\n## Size and loading\n");
    println!(
        "load = `runtime.load_with(bytes, limits)` on a fresh runtime: compile (cranelift, one thread), \
         import allow-list, type-check, `describe`; CPU = the process's user + system time meanwhile. \
         cached load = the same on a second runtime sharing the first one's artefact cache \
         (what a restarted host does).\n"
    );
    println!("| policy | component bytes | load ms (wall) | load ms (CPU) | cached load ms | tenant limits |");
    println!("| --- | ---: | ---: | ---: | ---: | --- |");
    for (language, m) in languages.iter().zip(measured) {
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.1} | {} |",
            language.name,
            language.bytes.len(),
            median(m.load.iter().map(|l| l.wall_ms)),
            median(m.load.iter().map(|l| l.cpu_ms)),
            median(m.cached_load_ms.iter().copied()),
            limits_text(&language.limits),
        );
    }

    println!("\n## Per decision\n");
    println!(
        "instantiate = `plugin.instance(..)` and drop, no call. fresh = `plugin.decide_with(&ctx, &limits)`: \
         a new store instantiated from the pre-instantiated handle, one `decide`, drop (what the scheduler \
         does for every decision). reused = `instance.decide(&ctx)` on one live instance. Times in µs; \
         on-CPU = the thread's own CPU time per call (`/proc/thread-self/schedstat`); faults = the \
         process's minor page faults per fresh call.\n"
    );
    println!(
        "| policy | instantiate p50 | fresh mean | fresh p50 | fresh p99 | fresh on-CPU | faults | fuel (fresh) | \
         reused p50 | reused p99 | reused per CPU-second | fuel (reused) | peak memory | failures |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (language, m) in languages.iter().zip(measured) {
        let t = &m.trials;
        let stat = |f: &dyn Fn(&Trial) -> f64| median(t.iter().map(f));
        println!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} | {} | {:.2} | {:.2} | {:.0} | {} | {:.1} MiB | {} |",
            language.name,
            stat(&|t| t.instantiate.p50),
            stat(&|t| t.fresh.mean),
            stat(&|t| t.fresh.p50),
            stat(&|t| t.fresh.p99),
            stat(&|t| t.fresh_cpu_us),
            stat(&|t| t.fresh_faults),
            m.fresh_fuel,
            stat(&|t| t.reused.p50),
            stat(&|t| t.reused.p99),
            stat(&|t| t.reused_per_cpu_sec),
            m.reused_fuel,
            m.peak_memory_bytes as f64 / f64::from(1 << 20),
            t.iter().map(|t| t.failures).sum::<usize>(),
        );
    }

    let (Some(rust_language), Some(rust)) = (languages.first(), measured.first()) else { return };
    println!("\n## Relative to Rust\n");
    println!("| policy | size | load (CPU) | instantiate | fresh instance + one call | reused decision |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let load_cpu = |m: &Measured| median(m.load.iter().map(|l| l.cpu_ms));
    let instantiate = |m: &Measured| median(m.trials.iter().map(|t| t.instantiate.p50));
    let fresh = |m: &Measured| median(m.trials.iter().map(|t| t.fresh.mean));
    let reused = |m: &Measured| median(m.trials.iter().map(|t| t.reused.p50));
    let ratio = |value: f64, base: f64| value / base.max(f64::MIN_POSITIVE);
    for (language, m) in languages.iter().zip(measured) {
        println!(
            "| {} | {:.1}x | {:.1}x | {:.1}x | {:.1}x | {:.1}x |",
            language.name,
            ratio(language.bytes.len() as f64, rust_language.bytes.len() as f64),
            ratio(load_cpu(m), load_cpu(rust)),
            ratio(instantiate(m), instantiate(rust)),
            ratio(fresh(m), fresh(rust)),
            ratio(reused(m), reused(rust)),
        );
    }
}

/// The limits that differ from the defaults, or "defaults".
fn limits_text(limits: &PluginLimits) -> String {
    let d = PluginLimits::default();
    let mut parts = Vec::new();
    if limits.max_component_bytes != d.max_component_bytes {
        parts.push(format!("max_component_bytes {} MiB", limits.max_component_bytes >> 20));
    }
    if limits.core_instances != d.core_instances {
        parts.push(format!("core_instances {}", limits.core_instances));
    }
    if limits.compile_timeout_ms != d.compile_timeout_ms {
        parts.push(format!("compile_timeout_ms {}", limits.compile_timeout_ms));
    }
    if parts.is_empty() { "defaults".into() } else { parts.join(", ") }
}

/// Latency statistics of one run, in microseconds.
#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    count: usize,
    mean: f64,
    p50: f64,
    p99: f64,
}

/// Times `f` call by call until `budget` is spent (at least 100 calls, at most 2 M).
fn sample(budget: Duration, mut f: impl FnMut(usize)) -> Stats {
    let mut samples = Vec::with_capacity(1 << 16);
    let started = Instant::now();
    let mut i = 0;
    while (i < 100 || started.elapsed() < budget) && i < 2_000_000 {
        let t = Instant::now();
        f(i);
        samples.push(t.elapsed());
        i += 1;
    }
    samples.sort_unstable();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let at = |q: f64| {
        let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len().max(1));
        samples.get(rank - 1).copied().map(us).unwrap_or(0.0)
    };
    let total: Duration = samples.iter().sum();
    Stats {
        count: samples.len(),
        mean: if samples.is_empty() { 0.0 } else { us(total) / samples.len() as f64 },
        p50: at(0.50),
        p99: at(0.99),
    }
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

/// A fresh directory under the system's temporary directory.
fn tempdir() -> BenchResult<PathBuf> {
    let dir = std::env::temp_dir().join(format!("nudge-bench-languages-{}-{}", std::process::id(), unique()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn unique() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

fn env_parse<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
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

/// Nanoseconds of user and system time of this process so far (from /proc), 0 if unknown.
fn process_cpu_ns() -> u64 {
    let ticks = std::fs::read_to_string("/proc/self/stat").ok().and_then(|s| {
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
        let rest = s[s.rfind(')')? + 2..].to_string();
        let fields: Vec<u64> = rest.split_whitespace().skip(11).take(2).filter_map(|n| n.parse().ok()).collect();
        Some(fields.iter().sum::<u64>())
    });
    // USER_HZ is 100 on Linux.
    ticks.unwrap_or(0) * 10_000_000
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
