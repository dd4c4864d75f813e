//! Per-call limits on a tenant's plugin, set per tenant by the operator.

use serde::{Deserialize, Serialize};

/// Hard limits on one call into a tenant's plugin. The defaults are safe for
/// untrusted code; an operator may change them per tenant, within the
/// host-wide ceilings of the runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PluginLimits {
    /// Fuel (about one unit per wasm instruction) per call, instantiation included. Default 20,000,000.
    pub fuel: u64,
    /// Wall-clock deadline per call in milliseconds, a backstop behind fuel. Default 250.
    pub deadline_ms: u64,
    /// Largest linear memory the plugin may grow to, in bytes. Default 32 MiB.
    pub memory_bytes: u64,
    /// Largest table the plugin may grow to, in elements. Default 20,000.
    pub table_elements: u64,
    /// Most bytes of strings and lists one decision may hand back. Default 64 KiB.
    pub max_output_bytes: u64,
    /// Bytes of plugin log (host `log`, stdout, stderr) kept per call. Default 8 KiB.
    pub log_bytes: u64,
    /// Largest component accepted at upload, in bytes. Default 8 MiB.
    pub max_component_bytes: u64,
    /// Core wasm instances one plugin instance may create (its modules,
    /// adapters and shims). Default 16: a Rust plugin needs a handful; an
    /// interpreter split into shared libraries (componentize-py) needs more.
    pub core_instances: u64,
    /// Longest the host spends compiling an upload, in milliseconds. Default
    /// 20,000. Components that embed an interpreter take longer.
    pub compile_timeout_ms: u64,
}

impl Default for PluginLimits {
    fn default() -> Self {
        Self {
            fuel: 20_000_000,
            deadline_ms: 250,
            memory_bytes: 32 << 20,
            table_elements: 20_000,
            max_output_bytes: 64 << 10,
            log_bytes: 8 << 10,
            max_component_bytes: 8 << 20,
            core_instances: 16,
            compile_timeout_ms: 20_000,
        }
    }
}
