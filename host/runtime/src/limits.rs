//! Per-call resource limits and the meter that enforces them.

use std::time::Duration;

/// Hard limits on one plugin call. The defaults are safe for untrusted code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Fuel (roughly, wasm instructions) per call, instantiation included.
    pub fuel: u64,
    /// Wall-clock deadline per call; a backstop behind fuel.
    pub deadline: Duration,
    /// Largest linear memory a plugin may grow to, in bytes.
    pub memory_bytes: usize,
    /// Largest table a plugin may grow to, in elements.
    pub table_elements: usize,
    /// Largest component we accept, in bytes.
    pub max_component_bytes: usize,
    /// Most bytes of strings and lists a decision may hand back.
    pub max_output_bytes: usize,
    /// Bytes of stdout/stderr and host logs kept per call.
    pub log_bytes: usize,
    /// Stack available to wasm, in bytes.
    pub wasm_stack_bytes: usize,
    /// Plugin instances that may be alive at once on this host (pool size).
    pub max_instances: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: 20_000_000,
            deadline: Duration::from_millis(250),
            memory_bytes: 32 << 20,
            table_elements: 20_000,
            max_component_bytes: 8 << 20,
            max_output_bytes: 64 << 10,
            log_bytes: 8 << 10,
            wasm_stack_bytes: 512 << 10,
            max_instances: 64,
        }
    }
}

/// A limit a plugin tried to exceed; the call traps with it.
#[derive(Debug, thiserror::Error)]
#[error("plugin tried to grow {what} to {desired} {unit}, over its limit of {limit}")]
pub(crate) struct LimitExceeded {
    pub what: &'static str,
    pub desired: usize,
    pub limit: usize,
    pub unit: &'static str,
}

/// Enforces memory and table limits and remembers the peak memory.
#[derive(Debug)]
pub(crate) struct Meter {
    memory_limit: usize,
    table_limit: usize,
    pub peak_memory: usize,
}

impl Meter {
    pub fn new(limits: &Limits) -> Self {
        Self { memory_limit: limits.memory_bytes, table_limit: limits.table_elements, peak_memory: 0 }
    }
}

impl wasmtime::ResourceLimiter for Meter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            return Err(wasmtime::Error::new(LimitExceeded {
                what: "linear memory",
                desired,
                limit: self.memory_limit,
                unit: "bytes",
            }));
        }
        self.peak_memory = self.peak_memory.max(desired);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.table_limit {
            return Err(wasmtime::Error::new(LimitExceeded {
                what: "a table",
                desired,
                limit: self.table_limit,
                unit: "elements",
            }));
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        // A Rust component instantiates a handful of core modules (main, shims).
        16
    }

    fn tables(&self) -> usize {
        16
    }

    fn memories(&self) -> usize {
        4
    }
}
