//! A loaded plugin and its metered calls.

use std::time::Instant;

use nudge_core::{Decision, DecisionContext, IncidentKind};
use wasmtime::{Store, Trap};

use crate::{
    CallError, LoadError,
    bindings::{self, PolicyPre},
    limits::LimitExceeded,
    runtime::{EPOCH_TICK, Runtime},
    state::State,
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Metering {
    /// Fuel consumed, instantiation included.
    pub fuel: u64,
    /// Wall time in microseconds, instantiation included.
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

/// A compiled, type-checked plugin ready to be called.
#[derive(Clone)]
pub struct Plugin {
    runtime: Runtime,
    pre: PolicyPre<State>,
    sha256: String,
    info: PolicyInfo,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin").field("sha256", &self.sha256).field("info", &self.info).finish_non_exhaustive()
    }
}

impl Plugin {
    pub(crate) fn new(runtime: Runtime, pre: PolicyPre<State>, sha256: String) -> Result<Self, LoadError> {
        let mut plugin = Self {
            runtime,
            pre,
            sha256,
            info: PolicyInfo { name: String::new(), version: String::new(), experiments: Vec::new() },
        };
        let (result, _, _) = plugin.call(jiff::Timestamp::UNIX_EPOCH, 0, |policy, store| policy.call_describe(store));
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

    /// What the plugin said about itself when loaded.
    pub fn info(&self) -> &PolicyInfo {
        &self.info
    }

    /// Asks the plugin to decide, under the runtime's limits.
    pub fn decide(&self, ctx: &DecisionContext) -> Outcome {
        let input = bindings::context(ctx);
        let (result, mut metering, log) =
            self.call(ctx.now, ctx.seed, |policy, store| policy.call_decide(store, &input));
        let result = result.and_then(|returned| match returned {
            Ok(decision) => {
                let bytes = validate::output_bytes(&decision);
                metering.output_bytes = bytes as u64;
                let cap = self.runtime.limits().max_output_bytes;
                if bytes > cap {
                    return Err(CallError::new(
                        IncidentKind::InvalidDecision,
                        format!("decision is {bytes} bytes, over the cap of {cap} bytes"),
                    ));
                }
                validate::decision(decision, ctx).map_err(|msg| CallError::new(IncidentKind::InvalidDecision, msg))
            }
            Err(e) => Err(CallError::new(IncidentKind::PolicyError, format!("{}: {}", e.code, e.message))),
        });
        Outcome { result, metering, log }
    }

    /// Runs `f` on a fresh instance in a fresh, limited store.
    fn call<R>(
        &self,
        now: jiff::Timestamp,
        seed: u64,
        f: impl FnOnce(&bindings::Policy, &mut Store<State>) -> wasmtime::Result<R>,
    ) -> (Result<R, CallError>, Metering, Vec<String>) {
        let limits = self.runtime.limits();
        let mut store = Store::new(&self.runtime.inner.engine, State::new(limits, now, seed));
        store.limiter(|state| &mut state.meter);
        let ticks = (limits.deadline.as_micros() / EPOCH_TICK.as_micros()).max(1) as u64;
        store.set_epoch_deadline(ticks);
        let started = Instant::now();
        let result = store
            .set_fuel(limits.fuel)
            .and_then(|()| self.pre.instantiate(&mut store))
            .and_then(|policy| f(&policy, &mut store));
        let metering = Metering {
            fuel: limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0)),
            wall_us: started.elapsed().as_micros() as u64,
            peak_memory_bytes: store.data().meter.peak_memory as u64,
            output_bytes: 0,
        };
        let log = store.data_mut().take_log();
        (result.map_err(classify), metering, log)
    }
}

/// Names the reason a call failed.
fn classify(err: wasmtime::Error) -> CallError {
    if let Some(trap) = err.downcast_ref::<Trap>() {
        match trap {
            Trap::OutOfFuel => return CallError::new(IncidentKind::OutOfFuel, "plugin used up its fuel budget"),
            Trap::Interrupt => {
                return CallError::new(IncidentKind::Deadline, "plugin ran past its wall-clock deadline");
            }
            _ => {}
        }
    }
    if let Some(limit) = err.downcast_ref::<LimitExceeded>() {
        return CallError::new(IncidentKind::ResourceLimit, limit.to_string());
    }
    CallError::new(IncidentKind::Trap, format!("{err:#}"))
}
