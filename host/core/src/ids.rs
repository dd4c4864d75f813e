//! Identifiers. Tenant-supplied ids are validated once, at the edge.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::{Error, Result};

/// Longest id we accept, in bytes.
pub const MAX_ID_LEN: usize = 128;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps an id: 1 to 128 bytes of printable ASCII, no `/` or NUL.
            pub fn new(value: impl Into<String>) -> Result<Self> {
                let value = value.into();
                validate($kind, &value)?;
                Ok(Self(value))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(value: String) -> Result<Self> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

string_id!(
    /// A tenant: one business that bills its customers through nudge.
    TenantId,
    "tenant"
);
string_id!(
    /// The tenant's own id for a customer.
    CustomerId,
    "customer"
);
string_id!(
    /// The tenant's own id for an invoice.
    InvoiceId,
    "invoice"
);
string_id!(
    /// The tenant's own id for a payment.
    PaymentId,
    "payment"
);

fn validate(kind: &'static str, value: &str) -> Result<()> {
    let reason = if value.is_empty() {
        Some("must not be empty")
    } else if value.len() > MAX_ID_LEN {
        Some("longer than 128 bytes")
    } else if !value.bytes().all(|b| b.is_ascii_graphic() && b != b'/') {
        Some("only printable ASCII without spaces or '/' is allowed")
    } else if value == "." || value == ".." {
        // Ids name directories and files (the outbox, per tenant).
        Some("'.' and '..' are not allowed")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::InvalidId { kind, value: value.chars().take(64).collect(), reason }),
        None => Ok(()),
    }
}

/// A notice: one message on one channel for one step of one invoice.
///
/// The id is derived from tenant, invoice and step, so the same step of the
/// same invoice can never produce two notices, and a delivery retried after a
/// crash carries the same id (the idempotency key of the send).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NoticeId(String);

impl NoticeId {
    /// The notice id for `step` of `invoice` at `tenant`.
    pub fn derive(tenant: &TenantId, invoice: &InvoiceId, step: &str) -> Self {
        // Stable across platforms and releases: outbox file names rely on it.
        let hash = crate::stable_hash(&[tenant.as_str(), invoice.as_str(), step]);
        Self(format!("n{hash:016x}"))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Reads an id as [`NoticeId::derive`] writes it (`n` and 16 hex
    /// digits); `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.strip_prefix('n')?;
        (hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
            .then(|| Self(text.to_string()))
    }
}

impl fmt::Display for NoticeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_reject_empty_slash_and_spaces() {
        assert!(TenantId::new("").is_err());
        assert!(TenantId::new("a/b").is_err());
        assert!(CustomerId::new("a b").is_err());
        assert!(InvoiceId::new("x".repeat(129)).is_err());
        assert_eq!(CustomerId::new("0379-NEVHP").unwrap().as_str(), "0379-NEVHP");
    }

    #[test]
    fn ids_that_would_name_a_parent_or_the_same_directory_are_refused() {
        for bad in [".", ".."] {
            let err = TenantId::new(bad).unwrap_err().to_string();
            assert!(err.contains("'.' and '..' are not allowed"), "{err}");
            assert!(InvoiceId::new(bad).is_err());
        }
        assert!(TenantId::new("...").is_ok() && TenantId::new(".acme").is_ok());
    }

    #[test]
    fn notice_ids_are_stable_and_distinct_per_step() {
        let t = TenantId::new("acme").unwrap();
        let i = InvoiceId::new("611365").unwrap();
        let a = NoticeId::derive(&t, &i, "overdue-1");
        assert_eq!(a, NoticeId::derive(&t, &i, "overdue-1"));
        assert_ne!(a, NoticeId::derive(&t, &i, "overdue-7"));
        assert_eq!(a.as_str().len(), 17);
    }
}
