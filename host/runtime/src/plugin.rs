//! A loaded plugin and its metered calls.

use std::time::Instant;

use nudge_core::{Decision, DecisionContext, IncidentKind};
use wasmtime::{Store, Trap};

use crate::{
    CallError, LoadError, PluginLimits,
    bindings::{self, Bound, Pre},
    fixtures,
    limits::{LimitExceeded, MAX_MEMORIES, MAX_TABLES},
    runtime::{EPOCH_TICK, Runtime},
    state::{FixedClock, State},
    validate,
};

/// What a plugin says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyInfo {
    /// The policy's name.
    pub name: String,
    /// The policy's own version.
    pub version: String,
    /// Experiments it runs: (name, arms).
    pub experiments: Vec<(String, Vec<String>)>,
}

/// What one call used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Metering {
    /// Fuel consumed (instantiation included for a fresh instance).
    pub fuel: u64,
    /// Wall time in microseconds (instantiation included for a fresh instance).
    pub wall_us: u64,
    /// Largest linear memory reached, in bytes.
    pub peak_memory_bytes: u64,
    /// Bytes of strings and lists handed back to the host.
    pub output_bytes: u64,
}

/// The result of one `decide` call with its metering and the plugin's log.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The validated decision, or why there is none.
    pub result: Result<Decision, CallError>,
    /// What the call used.
    pub metering: Metering,
    /// The plugin's log lines and captured output, bounded.
    pub log: Vec<String>,
}

/// An [`Outcome`] with what the conformance kit needs to name a failure.
#[derive(Debug, Clone)]
pub(crate) struct Traced {
    /// The outcome, exactly as [`Plugin::decide_with`] returns it.
    pub outcome: Outcome,
    /// The rule of `validate` a returned decision broke, if it broke one.
    pub broken_rule: Option<validate::Rule>,
    /// True when the plugin returned a notice, valid or not.
    pub returned_notify: bool,
}

/// A compiled, type-checked plugin ready to be called.
#[derive(Clone)]
pub struct Plugin {
    runtime: Runtime,
    pre: Pre,
    sha256: String,
    info: PolicyInfo,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin").field("sha256", &self.sha256).field("info", &self.info).finish_non_exhaustive()
    }
}

impl Plugin {
    pub(crate) fn new(runtime: Runtime, pre: Pre, sha256: String, limits: &PluginLimits) -> Result<Self, LoadError> {
        let mut plugin = Self {
            runtime,
            pre,
            sha256,
            info: PolicyInfo { name: String::new(), version: String::new(), experiments: Vec::new() },
        };
        let mut instance =
            plugin.instance(limits, jiff::Timestamp::UNIX_EPOCH).map_err(|e| LoadError::Describe(e.to_string()))?;
        let (result, _) = instance.call(jiff::Timestamp::UNIX_EPOCH, |policy, store| policy.call_describe(store));
        let info = result.map_err(|e| LoadError::Describe(e.to_string()))?;
        plugin.info = PolicyInfo {
            name: info.name,
            version: info.version,
            experiments: info.experiments.into_iter().map(|e| (e.name, e.arms)).collect(),
        };
        Ok(plugin)
    }

    /// sha256 of the component bytes, hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The version of the `nudge:policy` WIT package the plugin was built
    /// against (`"0.2.0"` or `"0.1.0"`); only 0.2 plugins see predictive signals.
    pub fn wit_version(&self) -> &'static str {
        self.pre.world_version()
    }

    /// What the plugin said about itself when loaded.
    pub fn info(&self) -> &PolicyInfo {
        &self.info
    }

    /// Asks the plugin to decide in a fresh instance, under the runtime's default limits.
    pub fn decide(&self, ctx: &DecisionContext) -> Outcome {
        self.decide_with(ctx, &self.runtime.limits().plugin)
    }

    /// Asks the plugin to decide in a fresh instance, under `limits`.
    ///
    /// Instantiation counts towards the call's fuel, deadline and wall time.
    pub fn decide_with(&self, ctx: &DecisionContext, limits: &PluginLimits) -> Outcome {
        self.decide_traced(ctx, limits).outcome
    }

    /// Like [`Plugin::decide_with`], also saying which rule a rejected
    /// decision broke and what the plugin returned before validation.
    pub(crate) fn decide_traced(&self, ctx: &DecisionContext, limits: &PluginLimits) -> Traced {
        let started = Instant::now();
        let traced = match self.instance_seeded(limits, ctx.now, ctx.seed) {
            Ok(mut instance) => {
                let mut traced = instance.decide_traced(ctx);
                if instance.metered {
                    traced.outcome.metering.fuel = limits.fuel.saturating_sub(instance.store.get_fuel().unwrap_or(0));
                }
                traced.outcome.metering.wall_us = started.elapsed().as_micros() as u64;
                traced
            }
            Err(error) => Traced {
                outcome: Outcome {
                    result: Err(error),
                    metering: Metering { wall_us: started.elapsed().as_micros() as u64, ..Metering::default() },
                    log: Vec::new(),
                },
                broken_rule: None,
                returned_notify: false,
            },
        };
        self.runtime.metrics().record(&traced.outcome);
        traced
    }

    /// Runs `decide` on every fixture; the first failure rejects the plugin.
    /// Returns the worst metering over all fixtures.
    pub fn dry_run(&self, limits: &PluginLimits) -> Result<Metering, LoadError> {
        self.dry_run_checked(limits, |_| Ok(()))
    }

    /// Like [`Plugin::dry_run`], with each decision also put to `check`:
    /// the checks only the embedder can make (templates the tenant has),
    /// so that a plugin whose decisions production would refuse is refused
    /// at upload.
    pub fn dry_run_checked(
        &self,
        limits: &PluginLimits,
        check: impl Fn(&Decision) -> Result<(), CallError>,
    ) -> Result<Metering, LoadError> {
        let mut worst = Metering::default();
        for (name, ctx) in fixtures::contexts() {
            let outcome = self.decide_with(&ctx, limits);
            worst = worst.max(outcome.metering);
            if let Err(error) = outcome.result.and_then(|decision| check(&decision)) {
                return Err(LoadError::DryRun { fixture: name.to_string(), error });
            }
        }
        Ok(worst)
    }

    /// A live instance for many calls: each call gets a fresh fuel budget
    /// and deadline, but memory persists between calls, so only use it for
    /// calls of one tenant.
    /// Its randomness is seeded with 0; see [`Plugin::instance_seeded`].
    pub fn instance(&self, limits: &PluginLimits, now: jiff::Timestamp) -> Result<Instance, CallError> {
        self.instance_seeded(limits, now, 0)
    }

    /// Like [`Plugin::instance`], with randomness seeded from `seed` (a decision's `ctx.seed`).
    pub fn instance_seeded(
        &self,
        limits: &PluginLimits,
        now: jiff::Timestamp,
        seed: u64,
    ) -> Result<Instance, CallError> {
        let clock = FixedClock::new(now);
        let mut store = Store::new(&self.runtime.inner.engine, State::new(limits, &clock, seed));
        // Bounds what the host copies out of the plugin in one call (a
        // decision, a log line): without it, strings aliasing one buffer
        // could make the host allocate far more than the plugin's memory.
        store.set_hostcall_fuel(hostcall_budget(limits));
        store.limiter(|state| &mut state.meter);
        let ticks = (limits.deadline_ms.saturating_mul(1000) / EPOCH_TICK.as_micros() as u64).max(1);
        let metered = self.runtime.limits().fuel_metering;
        store.set_epoch_deadline(ticks);
        if metered {
            store.set_fuel(limits.fuel).map_err(|e| classify(e, limits))?;
        }
        let policy = self.pre.instantiate(&mut store).map_err(|err| {
            if err.downcast_ref::<Trap>().is_some() || err.downcast_ref::<LimitExceeded>().is_some() {
                classify(err, limits)
            } else if let Some(what) = count_exceeded(&format!("{err:#}")) {
                let message = match what {
                    "instance" => format!(
                        "plugin creates more core wasm instances than its limit of {} (`core_instances`)",
                        limits.core_instances
                    ),
                    "table" => {
                        format!("plugin creates more than {MAX_TABLES} tables, the host's limit per plugin instance")
                    }
                    _ => format!(
                        "plugin creates more than {MAX_MEMORIES} memories, the host's limit per plugin instance"
                    ),
                };
                CallError::new(IncidentKind::ResourceLimit, message)
            } else {
                // No slot free, or another host-side reason: not the plugin's fault.
                CallError::new(IncidentKind::Instantiation, format!("{err:#}"))
            }
        })?;
        Ok(Instance { runtime: self.runtime.clone(), store, policy, clock, limits: *limits, ticks, metered })
    }
}

/// A live plugin instance, reused across calls of one tenant.
pub struct Instance {
    runtime: Runtime,
    store: Store<State>,
    policy: Bound,
    clock: FixedClock,
    limits: PluginLimits,
    ticks: u64,
    metered: bool,
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl Instance {
    /// Asks this instance to decide, with a fresh fuel budget and deadline.
    pub fn decide(&mut self, ctx: &DecisionContext) -> Outcome {
        let outcome = self.decide_unrecorded(ctx);
        self.runtime.metrics().record(&outcome);
        outcome
    }

    fn decide_unrecorded(&mut self, ctx: &DecisionContext) -> Outcome {
        self.decide_traced(ctx).outcome
    }

    fn decide_traced(&mut self, ctx: &DecisionContext) -> Traced {
        let (result, mut metering) = self.call(ctx.now, |policy, store| policy.call_decide(store, ctx));
        let log = self.store.data_mut().take_log();
        let result = result.map_err(|mut error| {
            if error.kind == IncidentKind::Trap && !log.is_empty() {
                // The plugin's last words (a panic message on stderr) say more
                // than the backtrace: put them right after the cause.
                let (cause, rest) = error.message.split_once('\n').unwrap_or((&error.message, ""));
                error =
                    CallError::new(IncidentKind::Trap, format!("{cause}\nplugin output: {}\n{rest}", one_line(&log)));
            }
            error
        });
        let cap = self.limits.max_output_bytes;
        let mut broken_rule = None;
        let mut returned_notify = false;
        let result = result.and_then(|returned| match returned {
            Ok(decision) => {
                returned_notify = matches!(decision.action, bindings::wit::Action::Notify(_));
                metering.output_bytes = validate::output_bytes(&decision) as u64;
                if metering.output_bytes > cap {
                    return Err(CallError::new(
                        IncidentKind::InvalidDecision,
                        format!("decision is {} bytes, over the cap of {cap} bytes", metering.output_bytes),
                    ));
                }
                validate::decision(decision, ctx).map_err(|rejection| {
                    broken_rule = Some(rejection.rule);
                    CallError::new(IncidentKind::InvalidDecision, rejection.message)
                })
            }
            Err(e) => Err(CallError::new(IncidentKind::PolicyError, format!("{}: {}", e.code, e.message))),
        });
        Traced { outcome: Outcome { result, metering, log }, broken_rule, returned_notify }
    }

    /// Runs `f` with a fresh budget; meters fuel, time and memory.
    fn call<R>(
        &mut self,
        now: jiff::Timestamp,
        f: impl FnOnce(&Bound, &mut Store<State>) -> wasmtime::Result<R>,
    ) -> (Result<R, CallError>, Metering) {
        self.clock.set(now);
        self.store.set_epoch_deadline(self.ticks);
        let refuel = if self.metered { self.store.set_fuel(self.limits.fuel) } else { Ok(()) };
        let started = Instant::now();
        let result = refuel.and_then(|()| f(&self.policy, &mut self.store));
        let fuel_left = if self.metered { self.store.get_fuel().unwrap_or(0) } else { self.limits.fuel };
        let mut metering = Metering {
            fuel: self.limits.fuel.saturating_sub(fuel_left),
            wall_us: started.elapsed().as_micros() as u64,
            peak_memory_bytes: self.store.data().meter.peak_memory as u64,
            output_bytes: 0,
        };
        let result = result.map_err(|e| {
            if format!("{e:#}").contains(HOSTCALL_FUEL_EXHAUSTED) {
                // At least this much was on its way out when the copy stopped.
                metering.output_bytes = hostcall_budget(&self.limits) as u64;
            }
            classify(e, &self.limits)
        });
        (result, metering)
    }
}

impl Metering {
    /// The larger of each figure.
    pub fn max(self, other: Metering) -> Metering {
        Metering {
            fuel: self.fuel.max(other.fuel),
            wall_us: self.wall_us.max(other.wall_us),
            peak_memory_bytes: self.peak_memory_bytes.max(other.peak_memory_bytes),
            output_bytes: self.output_bytes.max(other.output_bytes),
        }
    }
}

/// Log lines as one line: incident listings show one line per incident.
fn one_line(log: &[String]) -> String {
    log.iter().flat_map(|l| l.lines()).map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" | ")
}

/// Which count a store went past (`instance`, `table` or `memory`), from
/// wasmtime's message "resource limit exceeded: {what} count too high at
/// {n}" when instantiating beyond `ResourceLimiter::{instances, tables,
/// memories}`: the plugin's doing, unlike a pool with no free slot.
fn count_exceeded(message: &str) -> Option<&'static str> {
    ["instance", "table", "memory"].into_iter().find(|what| message.contains(&format!("{what} count too high")))
}

/// How wasmtime says a copy out of the guest ran past the hostcall budget.
const HOSTCALL_FUEL_EXHAUSTED: &str = "fuel allocated for hostcalls has been exhausted";

/// Bytes the host copies out of a plugin in one call, at most.
fn hostcall_budget(limits: &PluginLimits) -> usize {
    let bytes = limits.max_output_bytes.saturating_mul(2).saturating_add(limits.log_bytes).saturating_add(64 << 10);
    usize::try_from(bytes).unwrap_or(usize::MAX)
}

/// Names the reason a call failed, the cause first (a trap's backtrace,
/// if any, comes after it and is the part that gets truncated).
fn classify(err: wasmtime::Error, limits: &PluginLimits) -> CallError {
    let text = format!("{err:#}");
    if text.contains(HOSTCALL_FUEL_EXHAUSTED) {
        return CallError::new(
            IncidentKind::InvalidDecision,
            format!(
                "plugin tried to hand the host more than {} bytes in one call, over the cap of {} bytes on its output",
                hostcall_budget(limits),
                limits.max_output_bytes
            ),
        );
    }
    if let Some(trap) = err.downcast_ref::<Trap>() {
        match trap {
            Trap::OutOfFuel => return CallError::new(IncidentKind::OutOfFuel, "plugin used up its fuel budget"),
            Trap::Interrupt => {
                return CallError::new(IncidentKind::Deadline, "plugin ran past its wall-clock deadline");
            }
            Trap::StackOverflow => return CallError::new(IncidentKind::Trap, "plugin overflowed its stack"),
            _ => {}
        }
    }
    if let Some(limit) = err.downcast_ref::<LimitExceeded>() {
        return CallError::new(IncidentKind::ResourceLimit, limit.to_string());
    }
    let cause = match err.downcast_ref::<Trap>() {
        Some(trap) => trap.to_string(),
        None => err.root_cause().to_string(),
    };
    CallError::new(IncidentKind::Trap, format!("{cause}\n{text}"))
}
