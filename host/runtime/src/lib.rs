//! The sandbox that runs tenants' policy plugins on wasmtime.
//!
//! A [`Runtime`] owns one engine configured for untrusted code (fuel,
//! epoch deadlines, pooled and limited memories, no threads/GC/exceptions).
//! [`Runtime::load`] compiles and type-checks a component against the
//! `nudge:policy@0.2.0` world, else the frozen `@0.1.0` one, and returns a [`Plugin`] holding a
//! pre-instantiated handle; every [`Plugin::decide`] runs in a fresh store
//! with its own fuel budget, deadline and memory limit, and reports what it
//! used ([`Metering`]). A trap, an exhausted budget or a malformed decision
//! comes back as a [`CallError`] naming the reason, never as a panic.
//!
//! ```no_run
//! use nudge_runtime::{Limits, Runtime};
//!
//! let runtime = Runtime::new(Limits::default()).unwrap();
//! let bytes = std::fs::read("policy.wasm").unwrap();
//! let plugin = runtime.load(&bytes).unwrap();
//! println!("{} {}", plugin.info().name, plugin.info().version);
//! ```

mod bindings;
mod cache;
pub mod conformance;
mod error;
pub mod fixtures;
mod imports;
mod limits;
mod metrics;
mod pipe;
mod plugin;
mod runtime;
mod sleep;
mod state;
mod validate;
mod worker;

pub use error::{CallError, LoadError};
pub use imports::ALLOWED_TEXT as ALLOWED_IMPORTS;
pub use limits::{Limits, MAX_COMPONENT_BYTES, MAX_DEADLINE_MS, MAX_FUEL, MAX_MEMORIES, MAX_TABLES, PluginLimits};
pub use metrics::Metrics;
pub use plugin::{Instance, Metering, Outcome, Plugin, PolicyInfo};
pub use runtime::{Runtime, RuntimeOptions};
pub use validate::{MAX_FIELDS, MAX_HORIZON_DAYS, MAX_LABEL_LEN};
pub use worker::{CompileWorker, worker_main};
