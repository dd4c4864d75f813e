//! Operator and tenant commands on a data directory: plugin versions,
//! per-tenant limits, incidents.

use std::{path::PathBuf, process::ExitCode};

use anyhow::{Context, Result, bail};
use jiff::Timestamp;
use nudge_core::{PluginLimits, TenantId};
use nudge_scheduler::Scheduler;
use serde::Serialize;

/// Where the data lives and whose it is.
#[derive(Debug, Clone, clap::Args)]
pub struct Target {
    /// Data directory of the store.
    #[arg(long, default_value = "nudge-data")]
    pub data_dir: PathBuf,
    /// The tenant.
    #[arg(long, default_value = "acme")]
    pub tenant: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

impl Target {
    pub(crate) fn open(&self) -> Result<(Scheduler, TenantId)> {
        if !self.data_dir.join("store").exists() {
            bail!("{} holds no nudge store; run `nudge import` first or pass --data-dir", self.data_dir.display());
        }
        let scheduler = crate::runtime::scheduler(&self.data_dir)?;
        let tenant = TenantId::new(self.tenant.clone())?;
        if scheduler.store().tenant(&tenant)?.is_none() {
            bail!("tenant {tenant} does not exist in {}", self.data_dir.display());
        }
        Ok((scheduler, tenant))
    }
}

/// One plugin version, as listed.
#[derive(Debug, Serialize)]
struct VersionRow {
    version: u32,
    active: bool,
    name: String,
    declared_version: String,
    sha256: String,
    size: u64,
    uploaded_at: String,
    disabled_reason: Option<String>,
    dry_run_fuel: u64,
    dry_run_wall_us: u64,
    dry_run_peak_memory_bytes: u64,
}

/// `nudge plugin upload`.
pub fn upload(target: &Target, file: &std::path::Path, activate: bool) -> Result<ExitCode> {
    let (scheduler, tenant) = target.open()?;
    let bytes = crate::output::read_capped(file, nudge_runtime::MAX_COMPONENT_BYTES)?;
    let now = Timestamp::now();
    let record = scheduler.upload_plugin(&tenant, &bytes, now)?;
    if activate {
        scheduler.activate_plugin(&tenant, record.version, now)?;
    }
    scheduler.store().flush()?;
    if target.json {
        crate::outln!("{}", serde_json::to_string(&row(&record, activate))?);
    } else {
        crate::outln!(
            "uploaded {} {} as version {} of tenant {tenant}{} (dry runs: worst fuel {}, {} µs)",
            record.name,
            record.declared_version,
            record.version,
            if activate { ", active" } else { "; activate it with `nudge plugin activate`" },
            record.dry_run.fuel,
            record.dry_run.wall_us
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn row(p: &nudge_store::PluginRecord, active: bool) -> VersionRow {
    VersionRow {
        version: p.version,
        active,
        name: p.name.clone(),
        declared_version: p.declared_version.clone(),
        sha256: p.sha256.clone(),
        size: p.size,
        uploaded_at: p.uploaded_at.to_string(),
        disabled_reason: p.disabled_reason.clone(),
        dry_run_fuel: p.dry_run.fuel,
        dry_run_wall_us: p.dry_run.wall_us,
        dry_run_peak_memory_bytes: p.dry_run.peak_memory_bytes,
    }
}

/// `nudge plugin list`.
pub fn list(target: &Target) -> Result<ExitCode> {
    let (scheduler, tenant) = target.open()?;
    let active = scheduler.store().active_plugin_version(&tenant)?;
    let rows: Vec<VersionRow> =
        scheduler.store().plugins(&tenant)?.iter().map(|p| row(p, Some(p.version) == active)).collect();
    if target.json {
        crate::outln!("{}", serde_json::to_string(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        crate::outln!("tenant {tenant} has no plugin versions; the built-in default policy decides");
    }
    for r in rows {
        let state = match (&r.disabled_reason, r.active) {
            (Some(reason), _) => format!("switched off: {reason}"),
            (None, true) => "active".into(),
            (None, false) => "inactive".into(),
        };
        crate::outln!(
            "{:>3}  {} {}  sha256 {}  {} bytes  uploaded {}  {state}",
            r.version,
            r.name,
            r.declared_version,
            &r.sha256[..12.min(r.sha256.len())],
            r.size,
            r.uploaded_at
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `nudge plugin activate`.
pub fn activate(target: &Target, version: u32) -> Result<ExitCode> {
    let (scheduler, tenant) = target.open()?;
    scheduler.activate_plugin(&tenant, version, Timestamp::now())?;
    scheduler.store().flush()?;
    crate::outln!("version {version} is now active for tenant {tenant}");
    Ok(ExitCode::SUCCESS)
}

/// `nudge plugin rollback`.
pub fn rollback(target: &Target) -> Result<ExitCode> {
    let (scheduler, tenant) = target.open()?;
    let version = scheduler.rollback_plugin(&tenant, Timestamp::now())?;
    scheduler.store().flush()?;
    crate::outln!("rolled back: version {version} is now active for tenant {tenant}");
    Ok(ExitCode::SUCCESS)
}

/// `nudge incidents`.
pub fn incidents(target: &Target) -> Result<ExitCode> {
    let (scheduler, tenant) = target.open()?;
    let incidents = scheduler.store().incidents(&tenant)?;
    if target.json {
        let rows: Vec<serde_json::Value> = incidents
            .iter()
            .map(|i| {
                serde_json::json!({
                    "plugin_version": i.plugin_version, "invoice": i.invoice, "at": i.at.to_string(),
                    "kind": i.kind.as_str(), "message": i.message, "fuel_used": i.fuel_used,
                    "wall_us": i.wall_us, "peak_memory_bytes": i.peak_memory_bytes,
                    "output_bytes": i.output_bytes, "fallback": i.fallback,
                })
            })
            .collect();
        crate::outln!("{}", serde_json::to_string(&rows)?);
    } else {
        crate::outln!("{} incidents for tenant {tenant}", incidents.len());
        for i in incidents {
            crate::outln!(
                "  {}  version {}  invoice {}  {}: {}  (fuel {}, {} µs, peak memory {} bytes, output {} bytes; {} decided instead)",
                i.at,
                i.plugin_version,
                i.invoice,
                i.kind.as_str(),
                i.message.lines().take(2).collect::<Vec<_>>().join(" | "),
                i.fuel_used,
                i.wall_us,
                i.peak_memory_bytes,
                i.output_bytes,
                i.fallback
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Per-call plugin limits to set; unset fields keep their value.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LimitFlags {
    /// Fuel per call.
    #[arg(long)]
    pub fuel: Option<u64>,
    /// Wall-clock deadline per call, in milliseconds.
    #[arg(long)]
    pub deadline_ms: Option<u64>,
    /// Largest linear memory, in bytes.
    #[arg(long)]
    pub memory_bytes: Option<u64>,
    /// Largest table, in elements.
    #[arg(long)]
    pub table_elements: Option<u64>,
    /// Most bytes a decision may hand back.
    #[arg(long)]
    pub max_output_bytes: Option<u64>,
    /// Plugin log bytes kept per call.
    #[arg(long)]
    pub log_bytes: Option<u64>,
    /// Largest component accepted at upload, in bytes.
    #[arg(long)]
    pub max_component_bytes: Option<u64>,
    /// Core wasm instances one plugin instance may create.
    #[arg(long)]
    pub core_instances: Option<u64>,
    /// Longest the host spends compiling an upload, in milliseconds.
    #[arg(long)]
    pub compile_timeout_ms: Option<u64>,
}

impl LimitFlags {
    /// `limits` with every flag that is set applied.
    pub fn apply(&self, mut limits: PluginLimits) -> PluginLimits {
        let set = |field: &mut u64, value: Option<u64>| {
            if let Some(v) = value {
                *field = v;
            }
        };
        set(&mut limits.fuel, self.fuel);
        set(&mut limits.deadline_ms, self.deadline_ms);
        set(&mut limits.memory_bytes, self.memory_bytes);
        set(&mut limits.table_elements, self.table_elements);
        set(&mut limits.max_output_bytes, self.max_output_bytes);
        set(&mut limits.log_bytes, self.log_bytes);
        set(&mut limits.max_component_bytes, self.max_component_bytes);
        set(&mut limits.core_instances, self.core_instances);
        set(&mut limits.compile_timeout_ms, self.compile_timeout_ms);
        limits
    }
}

/// The host's tenant defaults with `flags` applied, checked against the host's ceilings.
pub fn checked_limits(flags: &LimitFlags) -> Result<PluginLimits> {
    let limits = flags.apply(crate::config::limits().plugin);
    crate::config::limits().check(&limits).map_err(|e| anyhow::anyhow!("invalid plugin limits: {e}"))?;
    Ok(limits)
}

/// Changes to a tenant's per-call limits; unset fields keep their value.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LimitChanges {
    /// The limits to set.
    #[command(flatten)]
    pub flags: LimitFlags,
    /// Reset every limit to the host default first.
    #[arg(long)]
    pub reset: bool,
}

/// `nudge tenant limits`: show, or change, a tenant's per-call limits.
pub fn limits(target: &Target, changes: &LimitChanges) -> Result<ExitCode> {
    let (scheduler, tenant_id) = target.open()?;
    let mut tenant = scheduler.store().tenant(&tenant_id)?.context("tenant vanished")?;
    let base = if changes.reset { crate::config::limits().plugin } else { tenant.settings.limits };
    let l = changes.flags.apply(base);
    if l != tenant.settings.limits {
        crate::config::limits().check(&l).map_err(|e| anyhow::anyhow!("invalid limits: {e}"))?;
        tenant.settings.limits = l;
        scheduler.put_tenant(&tenant)?;
        scheduler.store().flush()?;
    }
    if target.json {
        crate::outln!("{}", serde_json::to_string(&l)?);
    } else {
        crate::outln!(
            "tenant {tenant_id}: fuel {}, deadline {} ms, memory {} bytes, tables {} elements, output {} bytes, log {} bytes, component {} bytes, core instances {}, compile timeout {} ms",
            l.fuel,
            l.deadline_ms,
            l.memory_bytes,
            l.table_elements,
            l.max_output_bytes,
            l.log_bytes,
            l.max_component_bytes,
            l.core_instances,
            l.compile_timeout_ms
        );
    }
    Ok(ExitCode::SUCCESS)
}
