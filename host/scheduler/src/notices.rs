//! A tenant's own hand on its notices: cancel one still scheduled, or send
//! one now.
//!
//! A manual send is an ordinary notice due now, sent through the same path
//! as the policy's: it re-verifies the invoice, waits out quiet hours, is
//! held by the customer's frequency caps, skips opted-out and unverified
//! channels, and counts towards the caps like any other message.

use jiff::Timestamp;
use nudge_core::{Channel, EventKind, InvoiceId, Notice, NoticeId, NoticeState, TenantId, Tone};
use nudge_store::Error as StoreError;

use crate::{
    Error, MAX_NOTICES_PER_INVOICE, Result, Scheduler,
    scheduler::lock,
    send::{intent, send_entry},
};

/// The reason a cancelled notice is suppressed with.
pub const CANCELLED: &str = "cancelled by tenant";
/// The segment recorded on manually sent notices.
pub const MANUAL_SEGMENT: &str = "manual";
/// Longest step name a manual send may give.
const MAX_STEP_CHARS: usize = 64;

/// What a tenant asks of a manual send; every field may be left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManualSend {
    /// The channel; by default the customer's preferred reachable channel
    /// (else the first reachable one), with the other reachable ones as
    /// fallbacks. A channel given is tried alone.
    pub channel: Option<Channel>,
    /// The tone; friendly by default.
    pub tone: Option<Tone>,
    /// The step name; by default `manual-1`, `manual-2`, ... (the first
    /// the invoice has no notice for).
    pub step: Option<String>,
}

fn check_step(step: &str) -> Result<()> {
    let ok = (1..=MAX_STEP_CHARS).contains(&step.len())
        && step.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "step: {:?} must be 1 to {MAX_STEP_CHARS} letters, digits, '-', '_' or '.'",
            step.chars().take(80).collect::<String>()
        )))
    }
}

impl Scheduler {
    /// Cancels a scheduled notice: it is suppressed ("cancelled by
    /// tenant"), its send is taken off the schedule, and the policy is
    /// asked about the invoice's next step. A notice being sent, sent,
    /// suppressed or failed cannot be cancelled ([`Error::NotCancellable`]).
    pub fn cancel_notice(&self, tenant: &TenantId, id: &NoticeId, now: Timestamp) -> Result<Notice> {
        let found = self.notice_by_id(tenant, id)?.ok_or_else(|| Error::NoSuchNotice(id.clone()))?;
        let outcome = {
            // Not while a send is under way: it could be this notice's.
            let _sending = lock(&self.sending);
            self.store.transact(|tx| {
                let Some(mut notice) = tx.notice(tenant, &found.invoice, &found.step)? else {
                    return tx.fail(StoreError::NotFound { kind: "notice", id: id.to_string() });
                };
                if notice.state != NoticeState::Scheduled {
                    return Ok(Err(notice.state.as_str()));
                }
                tx.unschedule(&send_entry(&notice))?;
                notice.state = NoticeState::Suppressed { at: now, reason: CANCELLED.into() };
                tx.put_notice(&notice)?;
                let event = EventKind::NoticeSuppressed {
                    notice: Some(notice.id.clone()),
                    invoice: notice.invoice.clone(),
                    step: notice.step.clone(),
                    reason: CANCELLED.into(),
                };
                tx.append_event(tenant, now, event)?;
                tx.schedule(&intent(tenant, &notice.invoice, now))?;
                Ok(Ok(notice))
            })?
        };
        let cancelled = outcome.map_err(|state| Error::NotCancellable { notice: id.clone(), state })?;
        tracing::info!(tenant = %tenant, notice = %id, "notice cancelled by the tenant");
        self.evaluate(tenant, &cancelled.invoice, now, Some(&intent(tenant, &cancelled.invoice, now)))?;
        Ok(cancelled)
    }

    /// Sends a notice for `invoice` now, through the normal send path (see
    /// the module docs), and returns it as it stands afterwards: sent,
    /// suppressed (no reachable channel), or still scheduled (moved out of
    /// quiet hours, or held by a frequency cap, until it may go).
    pub fn send_now(
        &self,
        tenant_id: &TenantId,
        invoice_id: &InvoiceId,
        manual: &ManualSend,
        now: Timestamp,
    ) -> Result<Notice> {
        let invoice =
            self.store.invoice(tenant_id, invoice_id)?.ok_or_else(|| Error::UnknownInvoice(invoice_id.clone()))?;
        if let Some(reason) = invoice.blocked_reason() {
            return Err(Error::InvoiceNotOpen { invoice: invoice.id, reason: reason.into() });
        }
        if let Some(reason) = invoice.closed_reason.clone() {
            return Err(Error::InvoiceNotOpen { invoice: invoice.id, reason });
        }
        let (tenant, customer) = self.parties(&invoice)?;
        let existing = self.store.notices_for_invoice(tenant_id, invoice_id)?;
        if existing.len() >= MAX_NOTICES_PER_INVOICE {
            return Err(Error::NoticeLimit(invoice.id));
        }
        let taken = |step: &str| existing.iter().any(|n| n.step == step);
        let step = match &manual.step {
            Some(step) => {
                check_step(step)?;
                if taken(step) {
                    return Err(Error::StepTaken { invoice: invoice.id, step: step.clone() });
                }
                step.clone()
            }
            None => (1..=MAX_NOTICES_PER_INVOICE + 1)
                .map(|n| format!("manual-{n}"))
                .find(|s| !taken(s))
                .unwrap_or_else(|| format!("manual-{}", now.as_second())),
        };
        let reachable = customer.reachable_channels();
        let (channel, fallbacks) = match manual.channel {
            Some(channel) => (channel, Vec::new()),
            None => {
                let first = customer
                    .preferred_channel
                    .filter(|c| reachable.contains(c))
                    .or_else(|| reachable.first().copied())
                    .unwrap_or(Channel::Email);
                (first, reachable.iter().copied().filter(|c| *c != first).collect())
            }
        };
        let notice = Notice {
            id: NoticeId::derive(&tenant.id, &invoice.id, &step),
            tenant: tenant.id.clone(),
            invoice: invoice.id.clone(),
            customer: customer.id.clone(),
            step: step.clone(),
            segment: MANUAL_SEGMENT.into(),
            channel,
            fallbacks,
            tone: manual.tone.unwrap_or(Tone::Friendly),
            template: String::new(),
            fields: Vec::new(),
            requested_at: now,
            send_at: now,
            state: NoticeState::Scheduled,
            plugin_version: None,
            experiment_arms: Vec::new(),
            created_at: now,
            message: None,
        };
        let entry = send_entry(&notice);
        let created = self.store.transact(|tx| {
            if tx.notice(&tenant.id, &invoice.id, &step)?.is_some() {
                return Ok(false);
            }
            tx.put_notice(&notice)?;
            tx.schedule(&entry)?;
            let event = EventKind::NoticeScheduled {
                notice: notice.id.clone(),
                invoice: invoice.id.clone(),
                step: step.clone(),
                send_at: now,
                moved_from: None,
            };
            tx.append_event(&tenant.id, now, event)?;
            Ok(true)
        })?;
        if !created {
            return Err(Error::StepTaken { invoice: invoice.id, step });
        }
        tracing::info!(tenant = %tenant.id, invoice = %invoice.id, step = %step, "manual send");
        self.send_all(&[(entry, step.clone())], now)?;
        self.store.notice(&tenant.id, &invoice.id, &step)?.ok_or(Error::NoSuchNotice(notice.id))
    }
}
