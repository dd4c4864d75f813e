//! The operator's host configuration: a TOML file named by `--config FILE`
//! or the `NUDGE_CONFIG` environment variable. Without one, every setting
//! has its documented default (README, "Operator configuration").

use std::{
    path::{Path, PathBuf},
    sync::OnceLock,
};

use anyhow::{Context, Result};
use nudge_runtime::{Limits, PluginLimits};
use serde::Deserialize;

/// Environment variable naming the configuration file when `--config` is not given.
pub const CONFIG_ENV: &str = "NUDGE_CONFIG";

/// Everything an operator sets for the whole host.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    /// The plugin sandbox: host-wide limits and the tenants' default limits.
    #[serde(default)]
    pub sandbox: Sandbox,
}

/// `[sandbox]`: limits wasmtime applies to the whole engine, the ceilings
/// of every tenant's own limits, and `[sandbox.tenant_defaults]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sandbox {
    /// Ceiling on any tenant's linear memory, in bytes (the pool's slot size).
    pub max_memory_bytes: u64,
    /// Ceiling on any tenant's table size, in elements.
    pub max_table_elements: u64,
    /// Stack available to wasm code, in bytes, for every plugin.
    pub wasm_stack_bytes: usize,
    /// Plugin instances alive at once on this host (the pool's size).
    pub max_instances: u32,
    /// Bytes of each memory slot reset in place rather than returned to the kernel.
    pub keep_resident_bytes: usize,
    /// Ceiling on any tenant's `core_instances`.
    pub max_core_instances: u64,
    /// Ceiling on any tenant's `compile_timeout_ms`.
    pub max_compile_timeout_ms: u64,
    /// Address space of the compile worker process, in bytes.
    pub compile_memory_bytes: u64,
    /// Per-call limits of tenants that have none of their own.
    pub tenant_defaults: TenantDefaults,
}

/// `[sandbox.tenant_defaults]`: unset keys keep the built-in default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // The fields are those of `PluginLimits`, documented there.
pub struct TenantDefaults {
    pub fuel: Option<u64>,
    pub deadline_ms: Option<u64>,
    pub memory_bytes: Option<u64>,
    pub table_elements: Option<u64>,
    pub max_output_bytes: Option<u64>,
    pub log_bytes: Option<u64>,
    pub max_component_bytes: Option<u64>,
    pub core_instances: Option<u64>,
    pub compile_timeout_ms: Option<u64>,
}

/// Address space a compile worker may use by default: 2 GiB.
pub const DEFAULT_COMPILE_MEMORY_BYTES: u64 = 2 << 30;

impl Default for Sandbox {
    fn default() -> Self {
        let limits = Limits::default();
        Self {
            max_memory_bytes: limits.max_memory_bytes,
            max_table_elements: limits.max_table_elements,
            wasm_stack_bytes: limits.wasm_stack_bytes,
            max_instances: limits.max_instances,
            keep_resident_bytes: limits.keep_resident_bytes,
            max_core_instances: limits.max_core_instances,
            max_compile_timeout_ms: limits.max_compile_timeout_ms,
            compile_memory_bytes: DEFAULT_COMPILE_MEMORY_BYTES,
            tenant_defaults: TenantDefaults::default(),
        }
    }
}

impl Sandbox {
    /// The runtime limits these settings describe, checked.
    pub fn limits(&self) -> Result<Limits, String> {
        let d = &self.tenant_defaults;
        let base = PluginLimits::default();
        let plugin = PluginLimits {
            fuel: d.fuel.unwrap_or(base.fuel),
            deadline_ms: d.deadline_ms.unwrap_or(base.deadline_ms),
            memory_bytes: d.memory_bytes.unwrap_or(base.memory_bytes),
            table_elements: d.table_elements.unwrap_or(base.table_elements),
            max_output_bytes: d.max_output_bytes.unwrap_or(base.max_output_bytes),
            log_bytes: d.log_bytes.unwrap_or(base.log_bytes),
            max_component_bytes: d.max_component_bytes.unwrap_or(base.max_component_bytes),
            core_instances: d.core_instances.unwrap_or(base.core_instances),
            compile_timeout_ms: d.compile_timeout_ms.unwrap_or(base.compile_timeout_ms),
        };
        let limits = Limits {
            plugin,
            max_memory_bytes: self.max_memory_bytes,
            max_table_elements: self.max_table_elements,
            wasm_stack_bytes: self.wasm_stack_bytes,
            max_instances: self.max_instances,
            keep_resident_bytes: self.keep_resident_bytes,
            max_core_instances: self.max_core_instances,
            max_compile_timeout_ms: self.max_compile_timeout_ms,
            ..Limits::default()
        };
        limits.validate()?;
        let memory = self.compile_memory_bytes;
        if !(256 << 20..=64 << 30).contains(&memory) {
            return Err(format!(
                "compile_memory_bytes {memory} is outside the range this host allows, {} to {}",
                256 << 20,
                64_u64 << 30
            ));
        }
        Ok(limits)
    }
}

impl HostConfig {
    /// Reads and checks a configuration file; errors name the file, and the
    /// line and key at fault.
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::output::read_capped(path, 1 << 20)?;
        let text = String::from_utf8(text).with_context(|| format!("{} is not UTF-8 text", path.display()))?;
        let config: HostConfig = toml::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
        config.sandbox.limits().map_err(|e| anyhow::anyhow!("{}: [sandbox] {e}", path.display()))?;
        Ok(config)
    }
}

static CONFIG: OnceLock<HostConfig> = OnceLock::new();
static CONFIG_PATH: OnceLock<PathBuf> = OnceLock::new();

/// Loads the configuration for this process from `path`, else from the file
/// `NUDGE_CONFIG` names, else the defaults. Call once, before any command runs.
pub fn init(path: Option<&Path>) -> Result<()> {
    let from_env = std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty());
    let config = match path.map(Path::to_path_buf).or(from_env.map(Into::into)) {
        Some(path) => {
            let config = HostConfig::load(&path)?;
            let _ = CONFIG_PATH.set(std::path::absolute(&path).unwrap_or(path));
            config
        }
        None => HostConfig::default(),
    };
    // A second call keeps the first configuration; only tests call it twice.
    let _ = CONFIG.set(config);
    Ok(())
}

/// The file this process's configuration came from, if any: child
/// processes (the compile worker) must read the same one.
pub fn path() -> Option<&'static Path> {
    CONFIG_PATH.get().map(PathBuf::as_path)
}

/// This process's configuration (the defaults if [`init`] was not called).
pub fn get() -> &'static HostConfig {
    CONFIG.get_or_init(HostConfig::default)
}

/// Settings of a tenant created now: the defaults, with this host's
/// configured per-call limits.
pub fn new_tenant_settings() -> nudge_core::TenantSettings {
    nudge_core::TenantSettings { limits: limits().plugin, ..nudge_core::TenantSettings::default() }
}

/// The runtime limits of this host.
pub fn limits() -> Limits {
    // `init` checked them; the defaults are valid by construction.
    get().sandbox.limits().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<HostConfig> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("nudge.toml");
        std::fs::write(&path, text)?;
        HostConfig::load(&path)
    }

    #[test]
    fn an_empty_file_means_the_defaults() {
        let config = parse("").unwrap();
        assert_eq!(config.sandbox.limits().unwrap(), Limits::default());
    }

    #[test]
    fn settings_reach_the_runtime_limits() {
        let config = parse(
            "[sandbox]\nmax_instances = 8\nwasm_stack_bytes = 262144\nmax_compile_timeout_ms = 30000\n\
             [sandbox.tenant_defaults]\nfuel = 5000000\ndeadline_ms = 100\ncompile_timeout_ms = 5000\n",
        )
        .unwrap();
        let limits = config.sandbox.limits().unwrap();
        assert_eq!(limits.max_instances, 8);
        assert_eq!(limits.wasm_stack_bytes, 256 << 10);
        assert_eq!(limits.max_compile_timeout_ms, 30_000);
        assert_eq!(limits.plugin.compile_timeout_ms, 5_000);
        assert_eq!(limits.plugin.fuel, 5_000_000);
        assert_eq!(limits.plugin.deadline_ms, 100);
        assert_eq!(limits.plugin.memory_bytes, PluginLimits::default().memory_bytes);
    }

    #[test]
    fn the_readme_example_is_valid_and_spells_out_the_defaults() {
        let readme = include_str!("../../../README.md");
        let example = readme.split("```toml\n").nth(1).and_then(|rest| rest.split("```").next()).unwrap();
        let config = parse(example).unwrap();
        assert_eq!(config.sandbox.limits().unwrap(), Limits::default());
        assert_eq!(config.sandbox.compile_memory_bytes, DEFAULT_COMPILE_MEMORY_BYTES);
    }

    #[test]
    fn typos_and_bad_values_are_named() {
        let typo = parse("[sandbox]\nmax_instance = 8\n").unwrap_err();
        assert!(format!("{typo:#}").contains("max_instance"), "{typo:#}");
        let typo = parse("[sandbox.tenant_defaults]\nfuell = 8\n").unwrap_err();
        assert!(format!("{typo:#}").contains("fuell"), "{typo:#}");
        let zero = parse("[sandbox]\nmax_instances = 0\n").unwrap_err();
        assert!(format!("{zero:#}").contains("max_instances 0"), "{zero:#}");
        let over = parse("[sandbox]\nmax_memory_bytes = 1048576\nkeep_resident_bytes = 0\n").unwrap_err();
        assert!(format!("{over:#}").contains("tenant_defaults: memory_bytes 33554432"), "{over:#}");
        let slow =
            parse("[sandbox]\nmax_compile_timeout_ms = 10000\n[sandbox.tenant_defaults]\ncompile_timeout_ms = 20000\n")
                .unwrap_err();
        assert!(format!("{slow:#}").contains("tenant_defaults: compile_timeout_ms 20000"), "{slow:#}");
        let negative = parse("[sandbox]\nmax_instances = -1\n").unwrap_err();
        assert!(format!("{negative:#}").contains("line 2"), "{negative:#}");
    }
}
