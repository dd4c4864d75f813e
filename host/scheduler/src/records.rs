//! Customers, invoices and payments arriving from tenants.

use jiff::{Timestamp, civil::Date};
use nudge_core::{Customer, EventKind, Invoice, InvoiceStatus, Payment, time};
use nudge_store::{Error as StoreError, ScheduleEntry, Tx, TxResult};

use crate::{Error, Result, Scheduler, evaluate::unschedule_evaluation};

impl Scheduler {
    /// Creates or updates a customer; the host's running stats are kept.
    pub fn upsert_customer(&self, customer: &Customer, at: Timestamp) -> Result<()> {
        time::zone(&customer.time_zone)?;
        if self.store.tenant(&customer.tenant)?.is_none() {
            return Err(Error::UnknownTenant(customer.tenant.clone()));
        }
        self.store.transact(|tx| {
            let mut next = customer.clone();
            if let Some(existing) = tx.customer(&customer.tenant, &customer.id)? {
                next.keep_unverified(&existing);
                next.stats = existing.stats;
            }
            tx.put_customer(&next)?;
            tx.append_event(&customer.tenant, at, EventKind::CustomerUpserted { customer: customer.id.clone() })?;
            Ok(())
        })?;
        Ok(())
    }

    /// Creates or updates an invoice, then asks the policy about it.
    ///
    /// The evaluation is scheduled in the same transaction as the invoice and
    /// run right away, so a crash in between cannot lose it.
    pub fn upsert_invoice(&self, invoice: &Invoice, at: Timestamp) -> Result<()> {
        let intent = crate::send::intent(&invoice.tenant, &invoice.id, at);
        self.store_invoice(invoice, at, Some(&intent))?;
        self.evaluate(&invoice.tenant, &invoice.id, at, Some(&intent))
    }

    /// Creates or updates an invoice without asking the policy (history imports).
    pub fn put_invoice(&self, invoice: &Invoice, at: Timestamp) -> Result<()> {
        self.store_invoice(invoice, at, None)
    }

    fn store_invoice(&self, invoice: &Invoice, at: Timestamp, intent: Option<&ScheduleEntry>) -> Result<()> {
        if self.store.customer(&invoice.tenant, &invoice.customer)?.is_none() {
            return Err(Error::UnknownCustomer { invoice: invoice.id.clone(), customer: invoice.customer.to_string() });
        }
        self.store.transact(|tx| {
            let mut next = invoice.clone();
            if let Some(existing) = tx.invoice(&invoice.tenant, &invoice.id)? {
                // Host-managed fields survive a tenant's update.
                next.paid_at = existing.paid_at;
                next.next_evaluation = existing.next_evaluation;
                next.closed_reason = existing.closed_reason;
                // Payments recorded so far still count against a changed total.
                let paid = existing.total.amount_minor - existing.amount_remaining_minor;
                next.amount_remaining_minor = (next.total.amount_minor - paid).max(0);
                if existing.status == InvoiceStatus::Paid || next.amount_remaining_minor == 0 {
                    next.status =
                        if next.amount_remaining_minor == 0 { InvoiceStatus::Paid } else { InvoiceStatus::Open };
                }
                if next.status != InvoiceStatus::Paid {
                    next.paid_at = None;
                }
            }
            tx.put_invoice(&next)?;
            if let Some(intent) = intent {
                tx.schedule(intent)?;
            }
            tx.append_event(&invoice.tenant, at, EventKind::InvoiceUpserted { invoice: invoice.id.clone() })?;
            Ok(())
        })?;
        Ok(())
    }

    /// Records a payment. A payment id seen before changes nothing (returns false).
    ///
    /// A payment that settles the invoice cancels its pending evaluation;
    /// any notice still scheduled is suppressed when its send time comes,
    /// because sending re-verifies the invoice.
    pub fn record_payment(&self, payment: &Payment) -> Result<bool> {
        let invoice = self
            .store
            .invoice(&payment.tenant, &payment.invoice)?
            .ok_or_else(|| Error::UnknownInvoice(payment.invoice.clone()))?;
        let customer = self.store.customer(&payment.tenant, &invoice.customer)?.ok_or_else(|| {
            Error::UnknownCustomer { invoice: invoice.id.clone(), customer: invoice.customer.to_string() }
        })?;
        let tz = time::zone(&customer.time_zone)?;
        let paid_on = time::local_date(payment.received_at, &tz);
        let recorded = self.store.transact(|tx| apply_payment(tx, payment, paid_on))?;
        Ok(recorded)
    }
}

/// Records `payment` inside a transaction (`paid_on`: its day in the
/// customer's time zone): settles the invoice when nothing remains, cancels
/// its pending evaluation and updates the customer's record. False, and
/// nothing written, when the payment id was recorded before.
pub(crate) fn apply_payment(tx: &mut Tx<'_>, payment: &Payment, paid_on: Date) -> TxResult<bool> {
    if !tx.put_payment(payment)? {
        return Ok(false);
    }
    let Some(mut invoice) = tx.invoice(&payment.tenant, &payment.invoice)? else {
        return tx.fail(StoreError::NotFound { kind: "invoice", id: payment.invoice.to_string() });
    };
    let was_open = invoice.status == InvoiceStatus::Open;
    invoice.amount_remaining_minor = (invoice.amount_remaining_minor - payment.amount_minor).max(0);
    let settled = was_open && invoice.amount_remaining_minor == 0;
    if settled {
        invoice.status = InvoiceStatus::Paid;
        invoice.paid_at = Some(payment.received_at);
        unschedule_evaluation(tx, &mut invoice)?;
    }
    if let Some(mut customer) = tx.customer(&payment.tenant, &invoice.customer)? {
        customer.stats.lifetime_paid_minor += payment.amount_minor;
        if settled {
            let days_late = (paid_on - invoice.due_on).get_days();
            if days_late > 0 {
                customer.stats.paid_late += 1;
                customer.stats.total_days_late += days_late.unsigned_abs();
            } else {
                customer.stats.paid_on_time += 1;
            }
        }
        tx.put_customer(&customer)?;
    }
    tx.put_invoice(&invoice)?;
    tx.append_event(
        &payment.tenant,
        payment.received_at,
        EventKind::PaymentRecorded { invoice: invoice.id.clone(), amount_minor: payment.amount_minor, settled },
    )?;
    Ok(true)
}
