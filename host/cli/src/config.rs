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
    /// `nudge serve`: where it listens, the operator token, request limits.
    #[serde(default)]
    pub server: Server,
}

/// `[server]`: settings of `nudge serve`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Server {
    /// Address to listen on; the environment variable `NUDGE_LISTEN` and
    /// `--listen` override it.
    pub listen: String,
    /// Token the operator sends on `/v1/admin/...` routes; `NUDGE_OPERATOR_TOKEN`
    /// overrides it. Without one, admin routes are switched off.
    pub operator_token: Option<String>,
    /// Largest JSON request body, in bytes.
    pub body_limit_bytes: usize,
    /// Requests each tenant may make per second, on average.
    pub rate_limit_per_second: u32,
    /// Requests a tenant may make at once above the average.
    pub rate_limit_burst: u32,
    /// Seconds shutdown waits for requests in flight.
    pub shutdown_grace_seconds: u64,
    /// The base URL customers reach the server at; tracking links in
    /// messages start with it. `NUDGE_PUBLIC_URL` overrides it; by default
    /// `http://` and the listening address.
    pub public_url: Option<String>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("Server")
            .field("listen", &self.listen)
            .field("operator_token", &self.operator_token.as_ref().map(|_| "[set]"))
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("rate_limit_per_second", &self.rate_limit_per_second)
            .field("rate_limit_burst", &self.rate_limit_burst)
            .field("shutdown_grace_seconds", &self.shutdown_grace_seconds)
            .field("public_url", &self.public_url)
            .finish()
    }
}

/// Where `nudge serve` listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

impl Default for Server {
    fn default() -> Self {
        let defaults = nudge_server::ServerConfig::default();
        Self {
            listen: DEFAULT_LISTEN.to_string(),
            operator_token: None,
            body_limit_bytes: defaults.body_limit_bytes,
            rate_limit_per_second: defaults.rate_limit_per_second,
            rate_limit_burst: defaults.rate_limit_burst,
            shutdown_grace_seconds: defaults.shutdown_grace.as_secs(),
            public_url: None,
        }
    }
}

impl Server {
    /// Checks the values, saying which is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(format!("listen {:?} is not an address such as 127.0.0.1:8080", self.listen));
        }
        if let Some(token) = &self.operator_token
            && token.len() < 16
        {
            return Err(format!("operator_token must be at least 16 characters, it has {}", token.len()));
        }
        if !(1024..=1 << 30).contains(&self.body_limit_bytes) {
            return Err(format!("body_limit_bytes {} is outside 1024 to 1073741824", self.body_limit_bytes));
        }
        if self.rate_limit_per_second == 0 || self.rate_limit_burst == 0 {
            return Err("rate_limit_per_second and rate_limit_burst must be at least 1".into());
        }
        if self.shutdown_grace_seconds > 3600 {
            return Err(format!("shutdown_grace_seconds {} is over an hour", self.shutdown_grace_seconds));
        }
        if let Some(url) = &self.public_url {
            check_public_url(url)?;
        }
        Ok(())
    }
}

/// Checks a public base URL as tracking links need it: http(s), a host,
/// no query or fragment.
pub fn check_public_url(url: &str) -> Result<(), String> {
    nudge_delivery::tracking::Tracker::new(url, [0; 32]).map(drop).map_err(|e| format!("public_url: {e}"))
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
/// The least address space a compile worker may be given: 1.5 GiB.
pub const MIN_COMPILE_MEMORY_BYTES: u64 = 1536 << 20;

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
        // Below about 1.5 GiB the worker's engine cannot even map its code.
        if !(MIN_COMPILE_MEMORY_BYTES..=64 << 30).contains(&memory) {
            return Err(format!(
                "compile_memory_bytes {memory} is outside the range this host allows, {} to {}",
                MIN_COMPILE_MEMORY_BYTES,
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
        config.server.validate().map_err(|e| anyhow::anyhow!("{}: [server] {e}", path.display()))?;
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
    fn the_readme_server_example_is_valid_and_spells_out_the_defaults() {
        let readme = include_str!("../../../README.md");
        let example = readme.split("```toml\n").find(|block| block.starts_with("[server]")).unwrap();
        let config = parse(example.split("```").next().unwrap()).unwrap();
        let defaults = Server::default();
        assert_eq!(config.server.listen, defaults.listen);
        assert_eq!(config.server.body_limit_bytes, defaults.body_limit_bytes);
        assert_eq!(config.server.rate_limit_per_second, defaults.rate_limit_per_second);
        assert_eq!(config.server.rate_limit_burst, defaults.rate_limit_burst);
        assert_eq!(config.server.shutdown_grace_seconds, defaults.shutdown_grace_seconds);
    }

    #[test]
    fn the_server_section_is_read_and_checked() {
        let config =
            parse("[server]\nlisten = \"0.0.0.0:9000\"\noperator_token = \"0123456789abcdef\"\nrate_limit_burst = 7\n")
                .unwrap();
        assert_eq!(config.server.listen, "0.0.0.0:9000");
        assert_eq!(config.server.rate_limit_burst, 7);
        assert_eq!(config.server.body_limit_bytes, nudge_server::DEFAULT_BODY_LIMIT_BYTES);
        assert!(!format!("{:?}", config.server).contains("0123456789abcdef"));
        let bad = parse("[server]\nlisten = \"localhost\"\n").unwrap_err();
        assert!(format!("{bad:#}").contains("[server] listen \"localhost\""), "{bad:#}");
        let url = parse("[server]\npublic_url = \"https://nudge.example.com\"\n").unwrap();
        assert_eq!(url.server.public_url.as_deref(), Some("https://nudge.example.com"));
        let bad_url = parse("[server]\npublic_url = \"nudge.example.com\"\n").unwrap_err();
        assert!(
            format!("{bad_url:#}").contains("public_url") && format!("{bad_url:#}").contains("http://"),
            "{bad_url:#}"
        );
        let short = parse("[server]\noperator_token = \"abc\"\n").unwrap_err();
        assert!(format!("{short:#}").contains("at least 16"), "{short:#}");
        let typo = parse("[server]\nlisten_addr = \"x\"\n").unwrap_err();
        assert!(format!("{typo:#}").contains("listen_addr"), "{typo:#}");
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
