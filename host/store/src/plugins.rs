//! Plugin versions as stored: metadata here, bytes in their own tree.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use nudge_core::TenantId;

/// One uploaded version of a tenant's policy plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginRecord {
    /// The tenant it belongs to.
    pub tenant: TenantId,
    /// Version number, 1, 2, 3... per tenant.
    pub version: u32,
    /// sha256 of the component bytes, hex.
    pub sha256: String,
    /// Size of the component in bytes.
    pub size: u64,
    /// The name the plugin gives itself (`describe`).
    pub name: String,
    /// The version the plugin gives itself (`describe`).
    pub declared_version: String,
    /// When it was uploaded.
    pub uploaded_at: Timestamp,
    /// Set when the host switched the version off, with why.
    pub disabled_reason: Option<String>,
    /// What the upload's dry runs on the fixtures used, at worst.
    #[serde(default)]
    pub dry_run: DryRunReport,
}

/// The worst metering over an upload's dry runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DryRunReport {
    /// Fixtures run.
    pub fixtures: u32,
    /// Most fuel one call used.
    pub fuel: u64,
    /// Longest call, in microseconds.
    pub wall_us: u64,
    /// Largest linear memory reached, in bytes.
    pub peak_memory_bytes: u64,
    /// Most bytes one decision handed back.
    pub output_bytes: u64,
}
