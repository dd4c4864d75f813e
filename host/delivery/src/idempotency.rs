//! Idempotency keys: the name a provider dedupes a send by.

use std::fmt;

use nudge_core::{Channel, InvoiceId, NoticeId, TenantId};

/// The key every request to a provider carries (`Idempotency-Key`), the
/// same on every retry of the same send, so a provider that honours it
/// delivers the message once however often the host retries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The key of a notice's send on `channel`: a notice that falls back to
    /// another channel is a different send and gets a different key.
    pub fn for_notice(notice: &NoticeId, channel: Channel) -> Self {
        Self(format!("nudge-{notice}-{channel}"))
    }

    /// The key of the escalation of an invoice: one ticket per invoice,
    /// however often it is retried or re-decided.
    pub fn for_escalation(tenant: &TenantId, invoice: &InvoiceId) -> Self {
        let hash = nudge_core::stable_hash(&[tenant.as_str(), invoice.as_str(), "escalation"]);
        Self(format!("nudge-escalation-{hash:016x}"))
    }

    /// A key chosen by the caller (tests, replays of a provider's own ids).
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_and_differ_by_channel_and_invoice() {
        let tenant = TenantId::new("acme").unwrap();
        let invoice = InvoiceId::new("inv-1").unwrap();
        let notice = NoticeId::derive(&tenant, &invoice, "overdue-1");
        let email = IdempotencyKey::for_notice(&notice, Channel::Email);
        assert_eq!(email, IdempotencyKey::for_notice(&notice, Channel::Email));
        assert_ne!(email, IdempotencyKey::for_notice(&notice, Channel::Sms));
        assert_eq!(email.as_str(), format!("nudge-{notice}-email"));
        let escalation = IdempotencyKey::for_escalation(&tenant, &invoice);
        assert_eq!(escalation, IdempotencyKey::for_escalation(&tenant, &invoice));
        assert_ne!(escalation, IdempotencyKey::for_escalation(&tenant, &InvoiceId::new("inv-2").unwrap()));
    }
}
