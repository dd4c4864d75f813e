//! Escalation: opening a ticket in the tenant's support system.
//!
//! When a policy escalates an invoice, the host POSTs the JSON of an
//! [`EscalationRequest`] (tenant, customer, invoice, the notices so far and
//! the policy's reason) to the tenant's escalation URL, signed with
//! `Nudge-Signature` exactly as the webhook channel is, under an
//! `Idempotency-Key` derived from tenant and invoice: the support system
//! opens one ticket per invoice however often the request is retried or
//! the invoice re-escalated. Failures are classified as for every other
//! send (429 and 5xx transient, other 4xx permanent), so the same
//! [`RetryPolicy`](crate::RetryPolicy) applies. The ticket's reference is
//! read from the answer's `id`, `ticket_id` or `reference`.
//!
//! Not yet wired in: the scheduler is to call [`Escalation::open`] for an
//! `escalate` decision and store the [`Ticket`] reference with the invoice.

use jiff::Timestamp;
use nudge_core::{Channel, CustomerId, InvoiceId, Notice, NoticeId, TenantId};
use serde::Serialize;

use crate::{
    IdempotencyKey, SendError,
    retry::{Delivered, GaveUp, Jitter, RetryPolicy, Sleeper, retry},
    transport::{WebhookConfig, webhook::SignedPoster},
};

/// One notice sent (or tried) before the escalation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoticeSoFar {
    /// The notice.
    pub notice: NoticeId,
    /// Its step.
    pub step: String,
    /// Its channel (the one it went out on, when sent).
    pub channel: Channel,
    /// scheduled, sending, sent, suppressed or failed.
    pub state: &'static str,
    /// When it was sent, suppressed or given up on.
    pub at: Option<Timestamp>,
}

impl From<&Notice> for NoticeSoFar {
    fn from(notice: &Notice) -> Self {
        use nudge_core::NoticeState::*;
        let (channel, at) = match &notice.state {
            Sent { at, channel } => (*channel, Some(*at)),
            Suppressed { at, .. } | Failed { at, .. } => (notice.channel, Some(*at)),
            Scheduled | Sending => (notice.channel, None),
        };
        Self { notice: notice.id.clone(), step: notice.step.clone(), channel, state: notice.state.as_str(), at }
    }
}

/// What the support system receives.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EscalationRequest {
    /// The tenant.
    pub tenant: TenantId,
    /// The customer.
    pub customer: CustomerId,
    /// The invoice.
    pub invoice: InvoiceId,
    /// The invoice's notices so far, oldest first.
    pub notices: Vec<NoticeSoFar>,
    /// Why the policy escalated.
    pub reason: String,
}

impl EscalationRequest {
    /// The key that makes it one ticket per invoice.
    pub fn key(&self) -> IdempotencyKey {
        IdempotencyKey::for_escalation(&self.tenant, &self.invoice)
    }
}

/// The ticket the support system opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// Its reference (`id`, `ticket_id` or `reference` in the answer);
    /// `None` when the answer named none.
    pub reference: Option<String>,
}

/// Opens tickets through the tenant's escalation webhook.
#[derive(Debug)]
pub struct Escalation {
    poster: SignedPoster,
}

impl Escalation {
    /// A client for `config`.
    pub fn new(config: &WebhookConfig) -> Self {
        Self { poster: SignedPoster::new(config) }
    }

    /// One attempt to open the ticket for `request`.
    pub fn open(&self, request: &EscalationRequest) -> Result<Ticket, SendError> {
        // Serializing ids, strings and timestamps cannot fail.
        let json = serde_json::to_string(request).unwrap_or_default();
        let body = self.poster.post("the escalation webhook", &json, &request.key())?;
        Ok(Ticket { reference: reference(&body) })
    }

    /// Opens the ticket, retrying transient failures as `policy` says.
    pub fn open_with_retries(
        &self,
        request: &EscalationRequest,
        policy: &RetryPolicy,
        sleeper: &mut dyn Sleeper,
        jitter: &mut Jitter,
    ) -> Result<Delivered<Ticket>, GaveUp> {
        retry(policy, sleeper, jitter, || self.open(request))
    }
}

/// The ticket reference in a support system's answer: the first of `id`,
/// `ticket_id` and `reference` that is a string or a number.
fn reference(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    ["id", "ticket_id", "reference"].iter().find_map(|field| match value.get(field)? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_read_from_id_ticket_id_or_reference() {
        assert_eq!(reference(r#"{"id": "T-1"}"#).as_deref(), Some("T-1"));
        assert_eq!(reference(r#"{"ticket_id": 4242}"#).as_deref(), Some("4242"));
        assert_eq!(reference(r#"{"reference": "SUP-9", "status": "open"}"#).as_deref(), Some("SUP-9"));
        assert_eq!(reference(r#"{"id": "", "reference": "R"}"#).as_deref(), Some("R"));
        assert_eq!(reference(r#"{"status": "open"}"#), None);
        assert_eq!(reference("not json"), None);
    }
}
