//! Per-call resource limits and the meter that enforces them.

pub use nudge_core::PluginLimits;

/// Host-wide limits of the runtime: the defaults for every tenant's calls,
/// and ceilings no tenant's own limits may exceed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Per-call limits for tenants without limits of their own.
    pub plugin: PluginLimits,
    /// Ceiling on any tenant's `memory_bytes`: the size of a pooled memory slot. Default 64 MiB.
    pub max_memory_bytes: u64,
    /// Ceiling on any tenant's `table_elements`: the size of a pooled table slot. Default 100,000.
    pub max_table_elements: u64,
    /// Stack available to wasm, in bytes, for every plugin. Default 512 KiB, at most 1 MiB.
    pub wasm_stack_bytes: usize,
    /// Ceiling on any tenant's `core_instances`: core instances one plugin
    /// instance may take from the pool (`max_instances * 8` in all). Default 64.
    pub max_core_instances: u64,
    /// Plugin instances that may be alive at once on this host (pool size). Default 64.
    pub max_instances: u32,
    /// Bytes of each pooled memory slot kept mapped between instances and
    /// reset in place; the rest is returned to the kernel. Default 2 MiB,
    /// which covers a typical Rust policy's whole memory.
    pub keep_resident_bytes: usize,
    /// Ceiling on any tenant's `compile_timeout_ms`. Default 120,000 (two
    /// minutes: a component embedding CPython compiles in about 20 s of CPU).
    pub max_compile_timeout_ms: u64,
    /// Count fuel. Only benchmarks measuring its cost turn this off; without
    /// it a plugin is bounded by its deadline alone.
    pub fuel_metering: bool,
    /// Enforce wall-clock deadlines with epoch interruption. Only benchmarks
    /// measuring its cost turn this off.
    pub epoch_deadlines: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            plugin: PluginLimits::default(),
            max_memory_bytes: 64 << 20,
            max_table_elements: 100_000,
            wasm_stack_bytes: 512 << 10,
            max_core_instances: 64,
            max_instances: 64,
            keep_resident_bytes: 2 << 20,
            max_compile_timeout_ms: 120_000,
            fuel_metering: true,
            epoch_deadlines: true,
        }
    }
}

impl Limits {
    /// Checks the host-wide settings, then the default tenant limits against them.
    pub fn validate(&self) -> Result<(), String> {
        let ranges: [(&str, u64, u64, u64); 7] = [
            ("max_memory_bytes", self.max_memory_bytes, 1 << 20, 4 << 30),
            ("max_table_elements", self.max_table_elements, 1_000, 10_000_000),
            // Plugins run on the calling thread's stack; 1 MiB leaves room
            // on a 2 MiB thread stack for the host frames around the call.
            ("wasm_stack_bytes", self.wasm_stack_bytes as u64, 64 << 10, 1 << 20),
            ("max_instances", u64::from(self.max_instances), 1, 10_000),
            ("keep_resident_bytes", self.keep_resident_bytes as u64, 0, self.max_memory_bytes),
            ("max_core_instances", self.max_core_instances, 1, 1_000),
            ("max_compile_timeout_ms", self.max_compile_timeout_ms, 100, 600_000),
        ];
        for (name, value, min, max) in ranges {
            if !(min..=max).contains(&value) {
                return Err(format!("{name} {value} is outside the range this host allows, {min} to {max}"));
            }
        }
        self.check(&self.plugin).map_err(|e| format!("tenant_defaults: {e}"))
    }

    /// Checks that a tenant's limits are usable and fit under the host-wide ceilings.
    pub fn check(&self, limits: &PluginLimits) -> Result<(), String> {
        let ranges: [(&str, u64, u64, u64); 9] = [
            ("fuel", limits.fuel, 10_000, MAX_FUEL),
            ("deadline_ms", limits.deadline_ms, 1, MAX_DEADLINE_MS),
            ("memory_bytes", limits.memory_bytes, 64 << 10, self.max_memory_bytes),
            ("table_elements", limits.table_elements, 1, self.max_table_elements),
            ("max_output_bytes", limits.max_output_bytes, 1 << 10, 16 << 20),
            ("log_bytes", limits.log_bytes, 0, 1 << 20),
            ("max_component_bytes", limits.max_component_bytes, 1 << 10, MAX_COMPONENT_BYTES),
            ("core_instances", limits.core_instances, 1, self.max_core_instances),
            ("compile_timeout_ms", limits.compile_timeout_ms, 100, self.max_compile_timeout_ms),
        ];
        for (name, value, min, max) in ranges {
            if !(min..=max).contains(&value) {
                return Err(format!("{name} {value} is outside the range this host allows, {min} to {max}"));
            }
        }
        Ok(())
    }
}

/// Most fuel any tenant's call may get: about a second of compute.
pub const MAX_FUEL: u64 = 2_000_000_000;
/// Longest deadline any tenant's call may get, in milliseconds.
pub const MAX_DEADLINE_MS: u64 = 5_000;
/// Largest component any tenant may upload, in bytes.
pub const MAX_COMPONENT_BYTES: u64 = 64 << 20;

/// Tables one plugin instance may create, over all its core instances (the
/// pool allows one per core module).
pub const MAX_TABLES: usize = 16;
/// Memories one plugin instance may create, over all its core instances
/// (the pool allows one per core module).
pub const MAX_MEMORIES: usize = 4;

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
    instance_limit: usize,
    pub peak_memory: usize,
}

impl Meter {
    pub fn new(limits: &PluginLimits) -> Self {
        Self {
            memory_limit: usize::try_from(limits.memory_bytes).unwrap_or(usize::MAX),
            table_limit: usize::try_from(limits.table_elements).unwrap_or(usize::MAX),
            instance_limit: usize::try_from(limits.core_instances).unwrap_or(usize::MAX),
            peak_memory: 0,
        }
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
        self.instance_limit
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}
