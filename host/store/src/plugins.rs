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
}
