//! Plugin versions of a tenant: upload, activate, roll back, load.

use jiff::Timestamp;
use nudge_core::{Tenant, TenantId};
use nudge_runtime::{LoadError, Plugin};
use nudge_store::{DryRunReport, PluginRecord};

use crate::{Error, Result, Scheduler, scheduler::lock};

impl Scheduler {
    pub(crate) fn tenant_or_err(&self, tenant: &TenantId) -> Result<Tenant> {
        self.store.tenant(tenant)?.ok_or_else(|| Error::UnknownTenant(tenant.clone()))
    }

    /// Validates a component and stores it as the tenant's next version,
    /// not yet active: size cap, wasm validation, import allow-list, world
    /// type-check, then dry runs on every fixture under the tenant's limits.
    /// A component that fails any of these is not stored at all.
    pub fn upload_plugin(&self, tenant: &TenantId, bytes: &[u8], at: Timestamp) -> Result<PluginRecord> {
        let tenant = self.tenant_or_err(tenant)?;
        let limits = tenant.settings.limits;
        self.runtime.limits().check(&limits).map_err(LoadError::Limits)?;
        let plugin = self.runtime.load_with(bytes, &limits)?;
        let worst = plugin.dry_run_checked(&limits, |d| {
            crate::policy::check_host_values(d, |t| self.template_known(&tenant.id, t))
        })?;
        let draft = PluginRecord {
            tenant: tenant.id.clone(),
            version: 0,
            sha256: plugin.sha256().to_string(),
            size: bytes.len() as u64,
            name: plugin.info().name.clone(),
            declared_version: plugin.info().version.clone(),
            uploaded_at: at,
            disabled_reason: None,
            dry_run: DryRunReport {
                fixtures: nudge_runtime::fixtures::contexts().len() as u32,
                fuel: worst.fuel,
                wall_us: worst.wall_us,
                peak_memory_bytes: worst.peak_memory_bytes,
                output_bytes: worst.output_bytes,
            },
        };
        let record = self.store.transact(|tx| tx.add_plugin(draft.clone(), bytes))?;
        let plugin = self.shared(plugin);
        lock(&self.plugins).insert((tenant.id.clone(), record.version), plugin);
        Ok(record)
    }

    /// Makes an uploaded version the one that decides for the tenant.
    pub fn activate_plugin(&self, tenant: &TenantId, version: u32, at: Timestamp) -> Result<()> {
        self.tenant_or_err(tenant)?;
        self.store.transact(|tx| tx.activate_plugin(tenant, version, at))?;
        lock(&self.breaker).forget(tenant, version);
        Ok(())
    }

    /// Uploads and activates in one step.
    pub fn install_plugin(&self, tenant: &TenantId, bytes: &[u8], at: Timestamp) -> Result<PluginRecord> {
        let record = self.upload_plugin(tenant, bytes, at)?;
        self.activate_plugin(tenant, record.version, at)?;
        Ok(record)
    }

    /// Activates the newest version older than the active one that is not
    /// switched off; returns it.
    pub fn rollback_plugin(&self, tenant: &TenantId, at: Timestamp) -> Result<u32> {
        let active = self.store.active_plugin_version(tenant)?;
        let previous = self.previous_version(tenant, active.unwrap_or(u32::MAX))?.ok_or_else(|| {
            Error::Rollback(match active {
                Some(v) => format!("no version older than the active version {v} is available"),
                None => "the tenant has no active version and no earlier one to roll back to".into(),
            })
        })?;
        self.activate_plugin(tenant, previous, at)?;
        Ok(previous)
    }

    /// The newest version below `version` that is not switched off.
    pub(crate) fn previous_version(&self, tenant: &TenantId, version: u32) -> Result<Option<u32>> {
        Ok(self
            .store
            .plugins(tenant)?
            .into_iter()
            .filter(|p| p.version < version && p.disabled_reason.is_none())
            .map(|p| p.version)
            .max())
    }

    /// A stored version, compiled once and cached.
    pub(crate) fn plugin(&self, tenant: &Tenant, version: u32) -> Result<Plugin> {
        let key = (tenant.id.clone(), version);
        if let Some(plugin) = lock(&self.plugins).get(&key) {
            return Ok(plugin.clone());
        }
        let bytes = self.store.plugin_bytes(&tenant.id, version)?.ok_or_else(|| nudge_store::Error::NotFound {
            kind: "plugin version",
            id: format!("{}/{version}", tenant.id),
        })?;
        let plugin = self.shared(self.runtime.load_with(&bytes, &tenant.settings.limits)?);
        lock(&self.plugins).insert(key, plugin.clone());
        Ok(plugin)
    }

    /// The loaded plugin with the same component as `plugin`, if there is
    /// one, else `plugin`: a component several tenants uploaded is held in
    /// memory once (about 0.8 MiB of compiled code each; with a thousand
    /// tenants on the standard policy, most of the host's memory). Sharing
    /// is safe: a plugin holds nothing of a tenant's, and every call runs in
    /// a fresh instance under the caller's limits.
    fn shared(&self, plugin: Plugin) -> Plugin {
        let plugins = lock(&self.plugins);
        plugins.values().find(|p| p.sha256() == plugin.sha256()).cloned().unwrap_or(plugin)
    }
}
