//! Incidents: a plugin that failed to decide, and what the host did instead.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{InvoiceId, TenantId};

/// Why a plugin call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IncidentKind {
    /// The plugin trapped (panic, unreachable, out-of-bounds access...).
    Trap,
    /// The plugin used up its fuel budget.
    OutOfFuel,
    /// The plugin ran past its wall-clock deadline.
    Deadline,
    /// The plugin tried to grow memory or tables past its limit.
    ResourceLimit,
    /// The plugin returned a decision the host cannot honour.
    InvalidDecision,
    /// The plugin returned an error value instead of a decision.
    PolicyError,
    /// The plugin could not be instantiated.
    Instantiation,
}

impl IncidentKind {
    /// The kind's name in the API and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::Trap => "trap",
            IncidentKind::OutOfFuel => "out-of-fuel",
            IncidentKind::Deadline => "deadline",
            IncidentKind::ResourceLimit => "resource-limit",
            IncidentKind::InvalidDecision => "invalid-decision",
            IncidentKind::PolicyError => "policy-error",
            IncidentKind::Instantiation => "instantiation",
        }
    }

    /// Whether the failure is the plugin's doing, and so counts towards the
    /// circuit breaker. An instantiation failure is the host's (no pooled
    /// slot free, a cache or store error): it is recorded, but never switches
    /// the version off. A plugin that creates too many instances is a
    /// `ResourceLimit`, not an `Instantiation`.
    pub fn is_plugin_fault(self) -> bool {
        !matches!(self, IncidentKind::Instantiation)
    }
}

/// One failed plugin call, recorded against the plugin version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// The tenant whose plugin failed.
    pub tenant: TenantId,
    /// The plugin version that failed.
    pub plugin_version: u32,
    /// The invoice being decided.
    pub invoice: InvoiceId,
    /// When it happened (host time of the decision).
    pub at: Timestamp,
    /// What kind of failure.
    pub kind: IncidentKind,
    /// Details for the tenant, bounded in length.
    pub message: String,
    /// Fuel the call consumed.
    pub fuel_used: u64,
    /// Wall time of the call in microseconds.
    pub wall_us: u64,
    /// Largest linear memory the call reached, in bytes.
    #[serde(default)]
    pub peak_memory_bytes: u64,
    /// Bytes the call handed back (at least this many when it was cut off).
    #[serde(default)]
    pub output_bytes: u64,
    /// What the host did instead ("default-policy", ...).
    pub fallback: String,
}
