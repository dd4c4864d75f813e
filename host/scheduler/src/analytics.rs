//! The analytics report of a tenant, kept up to date incrementally: each
//! tenant's [`Ledger`] lives in memory and folds in only the events
//! appended since the last report (plus a short window behind them, for
//! transactions that committed out of order). A restarted host folds the
//! log once on the first report.

use std::collections::HashMap;

use nudge_analytics::{Facts, InvoiceInfo, Ledger, NoticeInfo, Report};
use nudge_core::{InvoiceId, TenantId, time};
use nudge_store::Store;

use crate::{Result, Scheduler, scheduler::lock};

/// Invoices and notices read from the store for the ledger.
struct StoreFacts<'a> {
    store: &'a Store,
    tenant: &'a TenantId,
}

impl Facts for StoreFacts<'_> {
    fn invoice(&self, id: &InvoiceId) -> Option<InvoiceInfo> {
        let invoice = self.store.invoice(self.tenant, id).ok().flatten()?;
        let customer = self.store.customer(self.tenant, &invoice.customer).ok().flatten();
        let time_zone = customer.and_then(|c| time::zone(&c.time_zone).ok()).unwrap_or(jiff::tz::TimeZone::UTC);
        Some(InvoiceInfo {
            customer: invoice.customer,
            issued_on: invoice.issued_on,
            due_on: invoice.due_on,
            amount_minor: invoice.total.amount_minor,
            time_zone,
        })
    }

    fn notice(&self, invoice: &InvoiceId, step: &str) -> Option<NoticeInfo> {
        let notice = self.store.notice(self.tenant, invoice, step).ok().flatten()?;
        Some(NoticeInfo {
            customer: notice.customer,
            segment: notice.segment,
            tone: notice.tone,
            arms: notice.experiment_arms,
        })
    }
}

/// The ledgers of the tenants reported on so far.
pub(crate) type Ledgers = HashMap<TenantId, Ledger>;

impl Scheduler {
    /// The analytics report of `tenant` (KPIs, slices, experiments, payment
    /// curves, incidents), bringing its ledger up to date first.
    pub fn analytics(&self, tenant: &TenantId) -> Result<Report> {
        let arm_order = self.arm_order(tenant)?;
        let mut ledgers = lock(&self.ledgers);
        let ledger = ledgers.entry(tenant.clone()).or_default();
        let facts = StoreFacts { store: &self.store, tenant };
        for event in self.store.events_from(tenant, ledger.resume_from())? {
            ledger.apply(&event, &facts);
        }
        Ok(ledger.report(&arm_order))
    }

    /// The declared arm order of each experiment: the tenant's own
    /// definitions, then those of the active plugin.
    fn arm_order(&self, tenant: &TenantId) -> Result<Vec<(String, Vec<String>)>> {
        let Some(t) = self.store.tenant(tenant)? else { return Ok(Vec::new()) };
        let mut order: Vec<(String, Vec<String>)> = t
            .settings
            .experiments
            .iter()
            .map(|e| (e.name.clone(), e.arms.iter().map(|a| a.name.clone()).collect()))
            .collect();
        let active = self.store.active_plugin_version(tenant)?.and_then(|v| self.plugin(&t, v).ok());
        if let Some(plugin) = active {
            for (name, arms) in &plugin.info().experiments {
                if !order.iter().any(|(n, _)| n == name) {
                    order.push((name.clone(), arms.clone()));
                }
            }
        }
        Ok(order)
    }
}
