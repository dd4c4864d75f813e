//! The schedule index: what must happen when, across all tenants.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use nudge_core::{InvoiceId, TenantId};

use crate::codec::key;

/// What to do when a schedule entry comes due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ScheduleKind {
    /// Ask the policy about the invoice again.
    Evaluate,
    /// Send the notice for this step of the invoice.
    Send {
        /// The step.
        step: String,
    },
}

/// An entry of the schedule index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleEntry {
    /// When it is due.
    pub due: Timestamp,
    /// The tenant.
    pub tenant: TenantId,
    /// The invoice it concerns.
    pub invoice: InvoiceId,
    /// What to do.
    pub kind: ScheduleKind,
}

impl ScheduleEntry {
    /// The index key: due time first (big-endian, sign-flipped so it sorts),
    /// then tenant, invoice and what to do, so two entries never collide.
    pub(crate) fn key(&self) -> Vec<u8> {
        let mut out = time_prefix(self.due).to_vec();
        let what: &[u8] = match &self.kind {
            ScheduleKind::Evaluate => b"e",
            ScheduleKind::Send { step } => step.as_bytes(),
        };
        let tag: &[u8] = match self.kind {
            ScheduleKind::Evaluate => b"E",
            ScheduleKind::Send { .. } => b"S",
        };
        out.extend(key(&[self.tenant.as_str().as_bytes(), self.invoice.as_str().as_bytes(), tag, what]));
        out
    }
}

/// The first eight bytes of every key due at `at`.
pub(crate) fn time_prefix(at: Timestamp) -> [u8; 8] {
    // Flipping the sign bit makes negative times sort before positive ones.
    ((at.as_second() as u64) ^ (1 << 63)).to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_by_time_first() {
        let e = |s: i64, t: &str| ScheduleEntry {
            due: Timestamp::from_second(s).unwrap(),
            tenant: TenantId::new(t).unwrap(),
            invoice: InvoiceId::new("i").unwrap(),
            kind: ScheduleKind::Evaluate,
        };
        assert!(e(-5, "z").key() < e(3, "a").key());
        assert!(e(3, "z").key() < e(4, "a").key());
        assert!(e(3, "a").key() < e(3, "b").key());
    }
}
