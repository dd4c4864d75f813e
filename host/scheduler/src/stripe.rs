//! Stripe events applied to the store: each once, and in any order.
//!
//! - **Duplicates**: the event id is claimed in the same transaction that
//!   applies it, so a redelivery, even a concurrent one, returns
//!   [`Applied::Duplicate`] and changes nothing.
//! - **Order**: an invoice only moves forward — open, then uncollectible,
//!   then paid or void (final) — so a late `invoice.finalized` never reopens
//!   a paid invoice; among events that leave the status where it is, one
//!   created before the newest already applied is stale. A customer is
//!   updated only by an event at least as new as the last one applied.
//! - **Effects**: a paid invoice records its settlement through the same
//!   path as any payment (notices still scheduled are suppressed at their
//!   send time); void and uncollectible stop reminders; an open invoice
//!   (finalized, payment failed, overdue) is evaluated again.

use jiff::Timestamp;
use nudge_core::{Customer, EventKind, Invoice, InvoiceStatus, TenantId, time};
use nudge_ingest::stripe::{self, Event, Payload, StripeCustomer, StripeInvoice};
use nudge_store::{Tx, TxResult};

use crate::{Error, Result, Scheduler, evaluate::unschedule_evaluation, records::apply_payment};

/// The source name under which Stripe event ids and watermarks are kept.
const SOURCE: &str = "stripe";

/// What applying an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The event changed the store; says what.
    Changed(String),
    /// The event was applied before; nothing changed.
    Duplicate,
    /// The event is older than what the store holds; nothing changed.
    Stale(String),
    /// The event needs nothing (an unsupported type, a draft, an erased customer).
    Ignored(String),
}

/// Order of invoice statuses: an invoice never moves to a lower rank.
fn rank(status: InvoiceStatus) -> u8 {
    match status {
        InvoiceStatus::Open => 0,
        InvoiceStatus::Uncollectible => 1,
        InvoiceStatus::Paid | InvoiceStatus::Void => 2,
    }
}

impl Scheduler {
    /// Applies a verified, parsed Stripe event for `tenant`, as of `now`.
    ///
    /// Safe to call again with the same event, concurrently or after a
    /// crash, and with events in any order (see the module docs).
    pub fn apply_stripe_event(&self, tenant: &TenantId, event: &Event, now: Timestamp) -> Result<Applied> {
        let tenant_rec = self.store.tenant(tenant)?.ok_or_else(|| Error::UnknownTenant(tenant.clone()))?;
        let default_zone = tenant_rec.settings.default_time_zone.as_str();
        match &event.payload {
            Payload::Unsupported => {
                let reason = format!("{} is not an event nudge acts on", event.type_name);
                self.claim_only(tenant, event, reason)
            }
            Payload::Invoice { invoice, .. } if invoice.status.as_deref() == Some("draft") => {
                self.claim_only(tenant, event, format!("invoice {} is a draft", invoice.id))
            }
            Payload::Customer { customer, .. } => self.apply_customer(tenant, event, customer, default_zone, now),
            Payload::Invoice { invoice, .. } => self.apply_invoice(tenant, event, invoice, default_zone, now),
        }
    }

    fn claim_only(&self, tenant: &TenantId, event: &Event, reason: String) -> Result<Applied> {
        let claimed = self.store.transact(|tx| tx.claim_external_event(tenant, SOURCE, &event.id))?;
        Ok(if claimed { Applied::Ignored(reason) } else { Applied::Duplicate })
    }

    fn apply_customer(
        &self,
        tenant: &TenantId,
        event: &Event,
        customer: &StripeCustomer,
        default_zone: &str,
        now: Timestamp,
    ) -> Result<Applied> {
        let mapped = stripe::customer(customer, tenant, default_zone)?;
        for warning in &mapped.warnings {
            tracing::warn!(%tenant, customer = %mapped.customer.id, event = %event.id, "{warning}");
        }
        let created = event.created.as_second();
        let watermark = format!("customer:{}", mapped.customer.id);
        let applied = self.store.transact(|tx| {
            if !tx.claim_external_event(tenant, SOURCE, &event.id)? {
                return Ok(Applied::Duplicate);
            }
            let id = &mapped.customer.id;
            if tx.is_erased(tenant, id)? {
                return Ok(Applied::Ignored(format!("customer {id} was erased; its data is not taken back")));
            }
            if tx.external_watermark(tenant, SOURCE, &watermark)?.is_some_and(|w| w > created) {
                return Ok(Applied::Stale(format!("customer {id} was updated by a newer event")));
            }
            let mut next = mapped.customer.clone();
            if let Some(existing) = tx.customer(tenant, id)? {
                keep_host_fields(&mut next, existing);
            }
            tx.put_customer(&next)?;
            tx.raise_external_watermark(tenant, SOURCE, &watermark, created)?;
            tx.append_event(tenant, now, EventKind::CustomerUpserted { customer: id.clone() })?;
            Ok(Applied::Changed(format!("customer {id} {}", event.type_name.trim_start_matches("customer."))))
        })?;
        Ok(applied)
    }

    fn apply_invoice(
        &self,
        tenant: &TenantId,
        event: &Event,
        stripe_invoice: &StripeInvoice,
        default_zone: &str,
        now: Timestamp,
    ) -> Result<Applied> {
        // Dates are read in the customer's zone; a customer not seen yet is
        // created from the invoice's own customer fields.
        let placeholder = stripe::customer_from_invoice(stripe_invoice, tenant, default_zone)?.customer;
        let known = self.store.customer(tenant, &placeholder.id)?;
        let zone = time::zone(known.as_ref().map_or(&placeholder.time_zone, |c| &c.time_zone))?;
        let mapped = stripe::invoice(stripe_invoice, tenant, &zone)?;
        let paid_on = mapped.paid_at.map(|at| time::local_date(at, &zone));
        let created = event.created.as_second();
        let watermark = format!("invoice:{}", mapped.invoice.id);
        let applied = self.store.transact(|tx| {
            if !tx.claim_external_event(tenant, SOURCE, &event.id)? {
                return Ok(Applied::Duplicate);
            }
            if tx.customer(tenant, &placeholder.id)?.is_none() {
                tx.put_customer(&placeholder)?;
                tx.append_event(tenant, now, EventKind::CustomerUpserted { customer: placeholder.id.clone() })?;
            }
            let existing = tx.invoice(tenant, &mapped.invoice.id)?;
            let last = tx.external_watermark(tenant, SOURCE, &watermark)?;
            if let Some(stale) = staleness(existing.as_ref(), mapped.invoice.status, last, created) {
                return Ok(Applied::Stale(stale));
            }
            let status = mapped.invoice.status;
            let mut next = mapped.invoice.clone();
            if let Some(existing) = &existing {
                next.next_evaluation = existing.next_evaluation;
                next.closed_reason = existing.closed_reason.clone();
                next.disputed = existing.disputed;
                next.tags = existing.tags.clone();
            }
            match status {
                InvoiceStatus::Paid if existing.as_ref().is_some_and(|e| e.status == InvoiceStatus::Paid) => {
                    // Already settled: refresh what Stripe says, keep the settlement.
                    next.paid_at = existing.as_ref().and_then(|e| e.paid_at);
                    tx.put_invoice(&next)?;
                }
                InvoiceStatus::Paid => settle(tx, &mut next, existing.as_ref(), paid_on, now)?,
                InvoiceStatus::Void | InvoiceStatus::Uncollectible => {
                    unschedule_evaluation(tx, &mut next)?;
                    tx.put_invoice(&next)?;
                }
                InvoiceStatus::Open => {
                    tx.put_invoice(&next)?;
                    // Run right below; scheduled here so a crash cannot lose it.
                    tx.schedule(&crate::send::intent(tenant, &next.id, now))?;
                }
            }
            tx.raise_external_watermark(tenant, SOURCE, &watermark, created)?;
            tx.append_event(tenant, now, EventKind::InvoiceUpserted { invoice: next.id.clone() })?;
            Ok(Applied::Changed(format!("invoice {} {}", next.id, status.as_str())))
        })?;
        if matches!(applied, Applied::Changed(_)) && mapped.invoice.status == InvoiceStatus::Open {
            let intent = crate::send::intent(tenant, &mapped.invoice.id, now);
            self.evaluate(tenant, &mapped.invoice.id, now, Some(&intent))?;
        }
        Ok(applied)
    }
}

/// Why an invoice event must not be applied, if it must not.
fn staleness(existing: Option<&Invoice>, status: InvoiceStatus, last: Option<i64>, created: i64) -> Option<String> {
    let existing = existing?;
    let (held, new) = (rank(existing.status), rank(status));
    if new < held || (new == held && existing.status != status) {
        return Some(format!(
            "invoice {} is already {}; a {} state cannot replace it",
            existing.id,
            existing.status.as_str(),
            status.as_str()
        ));
    }
    if new == held && last.is_some_and(|last| last > created) {
        return Some(format!("invoice {} was updated by a newer event", existing.id));
    }
    None
}

/// Settles an invoice Stripe reports paid, through the ordinary payment path.
fn settle(
    tx: &mut Tx<'_>,
    next: &mut Invoice,
    existing: Option<&Invoice>,
    paid_on: Option<jiff::civil::Date>,
    now: Timestamp,
) -> TxResult<()> {
    let received_at = next.paid_at.unwrap_or(now);
    // Reopen it as it stood (open, what was still owed), then pay that.
    let owed = existing.map_or(next.total.amount_minor, |e| e.amount_remaining_minor);
    next.status = InvoiceStatus::Open;
    next.amount_remaining_minor = owed;
    next.paid_at = None;
    tx.put_invoice(next)?;
    let payment = stripe::settlement(&next.id, &next.tenant, owed, received_at);
    let paid_on = paid_on.unwrap_or_else(|| time::local_date(received_at, &jiff::tz::TimeZone::UTC));
    apply_payment(tx, &payment, paid_on)?;
    Ok(())
}

/// Keeps what the host, not Stripe, knows about a customer.
fn keep_host_fields(next: &mut Customer, existing: Customer) {
    next.keep_unverified(&existing);
    next.stats = existing.stats;
    next.opted_out = existing.opted_out;
    next.tags = existing.tags;
    if next.preferred_channel.is_none() {
        next.preferred_channel = existing.preferred_channel;
    }
}
