//! What every hostile-plugin test checks besides its own case.
//!
//! [`while_neighbour_decides`] runs the hostile load or call while another
//! tenant — the bundled standard policy — keeps deciding on every fixture
//! in a second thread on the same [`Runtime`] (same engine, instance pool
//! and epoch ticker). It asserts that every one of the neighbour's calls
//! succeeded with the same decision it makes when alone, and that the host
//! still serves once the hostile case is over.

use std::{
    collections::HashMap,
    sync::{
        Mutex, OnceLock,
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    thread,
};

use nudge_bundle::test_guests;
use nudge_core::{Decision, DecisionContext, IncidentKind};
use nudge_runtime::{CallError, Limits, Outcome, Plugin, PluginLimits, Runtime, fixtures};

use crate::encode::{Code, CoreModule, canned_describe, policy_component, policy_module};

/// The runtime every hostile test shares, and the neighbour's plugin on it.
pub struct Host {
    /// The shared runtime, with default limits.
    pub runtime: Runtime,
    standard: Plugin,
    baseline: Vec<(&'static str, DecisionContext, Decision)>,
    guests: Mutex<HashMap<&'static str, Plugin>>,
}

/// The shared host, set up once per test binary: compiling the standard
/// policy once keeps every hostile test fast.
pub fn host() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| {
        let runtime = Runtime::new(Limits::default()).unwrap();
        let standard = runtime.load(nudge_bundle::STANDARD_POLICY).unwrap();
        let baseline = fixtures::contexts()
            .into_iter()
            .map(|(name, ctx)| {
                let decision = standard.decide(&ctx).result.unwrap();
                (name, ctx, decision)
            })
            .collect();
        Host { runtime, standard, baseline, guests: Mutex::new(HashMap::new()) }
    })
}

/// A test guest from `nudge_bundle::test_guests`, loaded once on the shared runtime.
pub fn guest(path: &'static str) -> Plugin {
    let host = host();
    if let Some(plugin) = host.guests.lock().unwrap().get(path) {
        return plugin.clone();
    }
    let bytes = std::fs::read(path).unwrap();
    let plugin = host.runtime.load(&bytes).unwrap_or_else(|e| panic!("{path} does not load: {e}"));
    host.guests.lock().unwrap().insert(path, plugin.clone());
    plugin
}

/// The fixture context called `name`, with the tenant configuration `config`.
pub fn fixture(name: &str, config: &str) -> DecisionContext {
    let (_, mut ctx) = fixtures::contexts().into_iter().find(|(n, _)| *n == name).unwrap();
    ctx.config = config.to_string();
    ctx
}

/// Default per-call limits.
pub fn limits() -> PluginLimits {
    PluginLimits::default()
}

/// The neighbour tenant's limits: the defaults, with the longest deadline
/// the host allows. These tests check that the neighbour's calls still
/// succeed beside a hostile plugin, not how fast they are (the benchmark
/// does): on a loaded 2-core machine a debug build can lose the CPU for
/// longer than the default 250 ms, which is not the hostile plugin's doing.
fn neighbour_limits() -> PluginLimits {
    PluginLimits { deadline_ms: nudge_runtime::MAX_DEADLINE_MS, ..PluginLimits::default() }
}

/// Tells the neighbour to stop, even when the hostile case panics.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Runs `hostile` while another tenant decides on every fixture in a second
/// thread; returns what `hostile` returned.
///
/// Asserts that (1) the host keeps serving: the neighbour decides again
/// afterwards, and (3) the neighbour's calls meanwhile all succeeded with
/// the decisions it makes alone. The hostile case asserts (2) itself.
pub fn while_neighbour_decides<T>(hostile: impl FnOnce(&Runtime) -> T) -> T {
    let host = host();
    let stop = AtomicBool::new(false);
    let (started_tx, started_rx) = mpsc::channel();
    let (value, decided) = thread::scope(|scope| {
        let neighbour = scope.spawn(|| {
            let mut decided = 0usize;
            while decided == 0 || !stop.load(Ordering::SeqCst) {
                for (name, ctx, expected) in &host.baseline {
                    let outcome = host.standard.decide_with(ctx, &neighbour_limits());
                    check_neighbour(name, &outcome, expected);
                    decided += 1;
                    if decided == 1 {
                        let _ = started_tx.send(());
                    }
                }
            }
            decided
        });
        // Start the hostile case only once the neighbour is deciding.
        started_rx.recv().unwrap();
        let guard = StopOnDrop(&stop);
        let value = hostile(&host.runtime);
        drop(guard);
        (value, neighbour.join().expect("the neighbour tenant's calls failed"))
    });
    assert!(decided >= host.baseline.len(), "the neighbour decided {decided} times");
    for (name, ctx, expected) in &host.baseline {
        check_neighbour(name, &host.standard.decide_with(ctx, &neighbour_limits()), expected);
    }
    value
}

fn check_neighbour(fixture: &str, outcome: &Outcome, expected: &Decision) {
    match &outcome.result {
        Ok(decision) => assert_eq!(decision, expected, "the neighbour decided differently on {fixture}"),
        Err(error) => panic!("the neighbour's call on {fixture} failed while a hostile plugin ran: {error}"),
    }
}

/// Asserts that `outcome` failed with `kind` and a message containing `needle`.
pub fn assert_fails(outcome: &Outcome, kind: IncidentKind, needle: &str) -> CallError {
    let error = match &outcome.result {
        Ok(decision) => panic!("expected a {} failure, got the decision {decision:?}", kind.as_str()),
        Err(error) => error.clone(),
    };
    assert_eq!(error.kind, kind, "{error}");
    assert!(error.message.contains(needle), "expected {needle:?} in: {error}");
    error
}

/// The fixture with an email address and a phone number.
pub const DUE: &str = "due-in-3-days";
/// The fixture reachable by SMS only, opted out of email.
pub const SMS_ONLY: &str = "habitual-late-sms-only";

/// The hostile guest decides on `fixture_name` with `config`, under
/// `limits`, twice (the second call shows a failed call leaves nothing
/// behind), while the neighbour decides; the first outcome.
pub fn hostile_with(fixture_name: &str, config: &str, limits: &PluginLimits) -> Outcome {
    let plugin = guest(test_guests::HOSTILE);
    let ctx = fixture(fixture_name, config);
    let (first, second) =
        while_neighbour_decides(|_| (plugin.decide_with(&ctx, limits), plugin.decide_with(&ctx, limits)));
    assert_eq!(first.result.as_ref().err().map(|e| e.kind), second.result.as_ref().err().map(|e| e.kind));
    first
}

/// [`hostile_with`] under default limits.
pub fn hostile(fixture_name: &str, config: &str) -> Outcome {
    hostile_with(fixture_name, config, &limits())
}

/// Loads a hand-encoded plugin and has it decide on the `due-in-3-days`
/// fixture under `limits`, while the neighbour decides.
pub fn encoded_with(module: &CoreModule, limits: &PluginLimits) -> Outcome {
    let bytes = policy_component(module);
    while_neighbour_decides(|runtime| {
        let plugin = runtime.load(&bytes).unwrap();
        plugin.decide_with(&fixture(DUE, "{}"), limits)
    })
}

/// A hand-encoded plugin whose `decide` runs `decide`.
pub fn encoded(decide: Code) -> Outcome {
    encoded_with(&policy_module(decide, canned_describe(), Vec::new()), &limits())
}
