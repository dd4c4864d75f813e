//! Sleeping inside the sandbox takes no time.
//!
//! Both WASI clocks read the decision's `now` and never move (see
//! `state::FixedClock`), so a timer a plugin subscribes to is, in its own
//! time, already due. wasmtime-wasi's own `subscribe-duration` and
//! `subscribe-instant` would wait for the real duration on the host's
//! thread — and a plugin blocked in a host call runs no wasm, so neither
//! fuel nor the epoch deadline could stop it. These replacements return a
//! pollable that is ready at once: a plugin that sleeps goes on at once,
//! and one that sleeps in a loop is a busy loop, which fuel and the
//! deadline end.

use std::{future::Future, pin::Pin};

use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::{
    WasiView,
    p2::{DynPollable, Pollable, subscribe},
};

use crate::state::State;

/// The interface wasmtime-wasi 48 defines and this module overrides.
const MONOTONIC_CLOCK: &str = "wasi:clocks/monotonic-clock@0.2.12";

/// A timer that has already fired.
struct Elapsed;

impl Pollable for Elapsed {
    // What `#[async_trait]` would generate for `async fn ready(&mut self) {}`.
    fn ready<'a, 'b>(&'a mut self) -> Pin<Box<dyn Future<Output = ()> + Send + 'b>>
    where
        'a: 'b,
        Self: 'b,
    {
        Box::pin(std::future::ready(()))
    }
}

fn elapsed(state: &mut State) -> wasmtime::Result<Resource<DynPollable>> {
    let table = state.ctx().table;
    let timer = table.push(Elapsed)?;
    subscribe(table, timer)
}

/// Replaces the monotonic clock's timers in `linker`, which must already
/// hold wasmtime-wasi's definitions.
pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut clock = linker.instance(MONOTONIC_CLOCK)?;
    clock.func_wrap("subscribe-duration", |mut store, (_nanos,): (u64,)| Ok((elapsed(store.data_mut())?,)))?;
    clock.func_wrap("subscribe-instant", |mut store, (_when,): (u64,)| Ok((elapsed(store.data_mut())?,)))?;
    linker.allow_shadowing(false);
    Ok(())
}
