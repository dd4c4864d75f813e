//! A tenant's past data imported whole: customers, invoices and their
//! payments in one store transaction, so that a failure leaves nothing half
//! imported (`nudge import`, `POST /v1/imports`).

use std::collections::HashMap;

use jiff::Timestamp;
use nudge_core::{CustomerId, EventKind, TenantId, time};
use nudge_ingest::History;
use serde::Serialize;

use crate::{
    Error, Result, Scheduler,
    records::{apply_payment, store_invoice},
};

/// What an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Imported {
    /// Customers created or updated.
    pub customers: usize,
    /// Invoices created or updated.
    pub invoices: usize,
    /// Payments recorded (a payment id seen before counts none).
    pub payments: usize,
}

impl Scheduler {
    /// Imports `history` for its tenant in one store transaction: every
    /// customer (the host's running stats kept), every invoice (without
    /// asking the policy: the history is past), every payment; all of it or,
    /// on any error, nothing. Importing the same history again changes
    /// nothing but the customers' and invoices' event log entries.
    pub fn import_history(&self, tenant: &TenantId, history: &History, at: Timestamp) -> Result<Imported> {
        if self.store.tenant(tenant)?.is_none() {
            return Err(Error::UnknownTenant(tenant.clone()));
        }
        let foreign = history.customers.iter().any(|c| &c.tenant != tenant)
            || history.invoices.iter().any(|i| &i.invoice.tenant != tenant)
            || history.payments.iter().any(|p| &p.tenant != tenant);
        if foreign {
            return Err(Error::Import(format!("it holds records of a tenant other than {tenant}")));
        }
        // Checked before the transaction: every invoice's customer, and each
        // payment's day in its customer's zone.
        let zones: HashMap<&CustomerId, &str> =
            history.customers.iter().map(|c| (&c.id, c.time_zone.as_str())).collect();
        for customer in &history.customers {
            time::zone(&customer.time_zone)?;
        }
        let mut customer_of = HashMap::with_capacity(history.invoices.len());
        for issued in &history.invoices {
            let invoice = &issued.invoice;
            if !zones.contains_key(&invoice.customer) && self.store.customer(tenant, &invoice.customer)?.is_none() {
                return Err(Error::UnknownCustomer {
                    invoice: invoice.id.clone(),
                    customer: invoice.customer.to_string(),
                });
            }
            customer_of.insert(&invoice.id, &invoice.customer);
        }
        let mut paid_on = Vec::with_capacity(history.payments.len());
        for payment in &history.payments {
            let customer = customer_of.get(&payment.invoice).ok_or_else(|| {
                Error::Import(format!(
                    "payment {} is for invoice {}, which it does not hold",
                    payment.id, payment.invoice
                ))
            })?;
            let zone = match zones.get(customer) {
                Some(zone) => zone.to_string(),
                None => self.store.customer(tenant, customer)?.map_or_else(|| "UTC".into(), |c| c.time_zone),
            };
            paid_on.push(time::local_date(payment.received_at, &time::zone(&zone)?));
        }
        let imported = self.store.transact(|tx| {
            let mut imported = Imported::default();
            for customer in &history.customers {
                let mut next = customer.clone();
                if let Some(existing) = tx.customer(tenant, &customer.id)? {
                    next.stats = existing.stats;
                }
                tx.put_customer(&next)?;
                tx.append_event(tenant, at, EventKind::CustomerUpserted { customer: customer.id.clone() })?;
                imported.customers += 1;
            }
            for issued in &history.invoices {
                store_invoice(tx, &issued.invoice, issued.issued_at, None)?;
                imported.invoices += 1;
            }
            for (payment, paid_on) in history.payments.iter().zip(&paid_on) {
                if apply_payment(tx, payment, *paid_on)? {
                    imported.payments += 1;
                }
            }
            Ok(imported)
        })?;
        Ok(imported)
    }
}
