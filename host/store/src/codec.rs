//! Versioned record encoding and key layout.

use serde::{Serialize, de::DeserializeOwned};

use crate::{Error, Result};

/// A value stored in a tree: a one-byte format version, then JSON.
pub trait Record: Serialize + DeserializeOwned {
    /// The record's kind, for error messages.
    const KIND: &'static str;
    /// The format version this build writes. Bump it when the shape changes
    /// and teach [`decode`] to read the old one.
    const VERSION: u8;
}

pub(crate) fn encode<R: Record>(record: &R) -> Result<Vec<u8>> {
    let mut out = vec![R::VERSION];
    serde_json::to_writer(&mut out, record).map_err(|source| Error::Codec { kind: R::KIND, source })?;
    Ok(out)
}

pub(crate) fn decode<R: Record>(bytes: &[u8]) -> Result<R> {
    match bytes.split_first() {
        Some((&version, body)) if version == R::VERSION => {
            serde_json::from_slice(body).map_err(|source| Error::Codec { kind: R::KIND, source })
        }
        Some((&found, _)) => Err(Error::UnsupportedVersion { kind: R::KIND, found, supported: R::VERSION }),
        None => Err(Error::UnsupportedVersion { kind: R::KIND, found: 0, supported: R::VERSION }),
    }
}

/// Joins key parts with NUL, which validated ids never contain. A trailing
/// NUL makes every key a clean prefix boundary: `acme\0` never matches `acme2\0`.
pub(crate) fn key(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for part in parts {
        out.extend_from_slice(part);
        out.push(0);
    }
    out
}

macro_rules! record {
    ($ty:ty, $kind:literal, $version:literal) => {
        impl Record for $ty {
            const KIND: &'static str = $kind;
            const VERSION: u8 = $version;
        }
    };
}

record!(nudge_core::Tenant, "tenant", 1);
record!(nudge_core::Customer, "customer", 1);
record!(nudge_core::Invoice, "invoice", 1);
record!(nudge_core::Payment, "payment", 1);
record!(nudge_core::Notice, "notice", 1);
record!(nudge_core::Event, "event", 1);
record!(nudge_core::Incident, "incident", 1);
record!(crate::PluginRecord, "plugin", 1);
record!(crate::ScheduleEntry, "schedule entry", 1);
record!(crate::SendRecord, "send record", 1);
record!(crate::ApiKeyRecord, "api key", 1);
record!(crate::IdempotencyRecord, "idempotency", 1);
record!(crate::WebhookSecretsRecord, "webhook secrets", 1);
record!(crate::TemplateRecord, "template", 1);

#[cfg(test)]
mod tests {
    use super::*;
    use nudge_core::{InvoiceId, Payment, PaymentId, TenantId};

    fn payment() -> Payment {
        Payment {
            tenant: TenantId::new("t").unwrap(),
            id: PaymentId::new("p").unwrap(),
            invoice: InvoiceId::new("i").unwrap(),
            amount_minor: 5,
            received_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn records_carry_their_version_and_reject_unknown_ones() {
        let mut bytes = encode(&payment()).unwrap();
        assert_eq!(bytes[0], 1);
        assert_eq!(decode::<Payment>(&bytes).unwrap(), payment());
        bytes[0] = 9;
        let err = decode::<Payment>(&bytes).unwrap_err().to_string();
        assert!(err.contains("version 9") && err.contains("upgrade"), "{err}");
    }

    #[test]
    fn keys_do_not_run_into_each_other() {
        assert!(!key(&[b"acme2", b"x"]).starts_with(&key(&[b"acme"])));
        assert!(key(&[b"acme", b"x"]).starts_with(&key(&[b"acme"])));
    }
}
