//! Predictive signals for decisions: each tenant's [`Predictor`] lives in
//! memory and, before each decision, folds in only the events appended
//! since the last one (as the analytics ledger does). A restarted host
//! folds the log once, in the same order, so it learns the same model (up
//! to transactions that committed out of sequence order).

use std::collections::HashMap;

use jiff::{Timestamp, tz::TimeZone};
use nudge_analytics::{
    InvoiceInfo,
    predict::{PredictFacts, Predictor},
};
use nudge_core::{CustomerId, Invoice, InvoiceId, Signals, TenantId, time};
use nudge_store::Store;

use crate::{Result, Scheduler, scheduler::lock};

/// Invoices and customers read from the store for the predictor.
struct StoreFacts<'a> {
    store: &'a Store,
    tenant: &'a TenantId,
}

impl PredictFacts for StoreFacts<'_> {
    fn invoice(&self, id: &InvoiceId) -> Option<InvoiceInfo> {
        let invoice = self.store.invoice(self.tenant, id).ok().flatten()?;
        Some(InvoiceInfo {
            time_zone: self.zone(&invoice.customer).unwrap_or(TimeZone::UTC),
            customer: invoice.customer,
            issued_on: invoice.issued_on,
            due_on: invoice.due_on,
            amount_minor: invoice.total.amount_minor,
        })
    }

    fn zone(&self, customer: &CustomerId) -> Option<TimeZone> {
        let customer = self.store.customer(self.tenant, customer).ok().flatten()?;
        time::zone(&customer.time_zone).ok()
    }
}

/// The predictors of the tenants decided for so far.
pub(crate) type Predictors = HashMap<TenantId, Predictor>;

impl Scheduler {
    /// The predictive signals for deciding about `invoice` at `now`, in
    /// the customer's zone `tz`, bringing the tenant's predictor up to date.
    pub(crate) fn signals(&self, invoice: &Invoice, tz: &TimeZone, now: Timestamp) -> Result<Signals> {
        let tenant = &invoice.tenant;
        let mut predictors = lock(&self.predictors);
        let predictor = predictors.entry(tenant.clone()).or_default();
        let facts = StoreFacts { store: &self.store, tenant };
        // Only events move the predictor's clock (no `advance(now)`), so its
        // state is a function of the log alone and a restarted host that
        // folds the log again learns exactly the same model.
        for event in self.store.events_from(tenant, predictor.resume_from())? {
            predictor.apply(&event, &facts);
        }
        Ok(predictor.signals(&invoice.customer, invoice.due_on, invoice.total.amount_minor, tz, now))
    }
}
