//! A tenant's history replayed through one policy on a virtual clock, in a
//! throw-away store: what `nudge demo`, `nudge plugin simulate` and
//! `POST /v1/plugins/{version}/simulate` share.
//!
//! The tenant is created, the policy installed (validated and dry-run like
//! an upload), the customers added, and then invoices and payments are fed
//! to the scheduler in time order by [`crate::replay`], which runs
//! everything that falls due in between exactly as the live service would.

use std::{collections::BTreeMap, path::Path};

use jiff::Timestamp;
use nudge_core::{InvoiceId, Tenant};
use nudge_ingest::History;
use nudge_runtime::Runtime;
use nudge_store::{PluginRecord, Store};
use serde::Serialize;

use crate::{
    Breakdown, Error, Result, Scheduler, SchedulerConfig, Summary,
    breakdown::SentNotice,
    replay::{self, FeedItem},
};

/// One replay: the policy, its configuration and what it did.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The policy: name, version, sha256.
    pub plugin: String,
    /// Its configuration.
    pub config: String,
    /// Overall figures.
    pub summary: Summary,
    /// Decisions and notices per step and per segment.
    pub breakdown: Breakdown,
}

/// Invoices as they were issued and payments as they arrived, for
/// [`replay::run`].
pub fn feed(history: &History) -> Vec<(Timestamp, FeedItem)> {
    let invoices = history.invoices.iter().map(|i| (i.issued_at, FeedItem::Invoice(i.invoice.clone())));
    let payments = history.payments.iter().map(|p| (p.received_at, FeedItem::Payment(p.clone())));
    invoices.chain(payments).collect()
}

/// Creates `tenant` in the scheduler's (empty) store, installs `plugin` as
/// its active version at `from`, adds the customers and replays the history
/// up to `until`. Returns the installed plugin version.
pub fn replay(
    scheduler: &Scheduler,
    tenant: &Tenant,
    plugin: &[u8],
    history: &History,
    (from, until): (Timestamp, Timestamp),
) -> Result<PluginRecord> {
    if history.invoices.is_empty() {
        return Err(Error::Import("the history has no invoices to replay".into()));
    }
    scheduler.put_tenant(tenant)?;
    let record = scheduler.install_plugin(&tenant.id, plugin, from)?;
    for customer in &history.customers {
        scheduler.upsert_customer(customer, from)?;
    }
    replay::run(scheduler, feed(history), until)?;
    scheduler.store().flush()?;
    Ok(record)
}

/// "standard 1.0.0 (version 1, sha256 a72050f5cc72)".
pub fn plugin_label(plugin: &PluginRecord) -> String {
    format!(
        "{} {} (version {}, sha256 {})",
        plugin.name,
        plugin.declared_version,
        plugin.version,
        &plugin.sha256[..12.min(plugin.sha256.len())]
    )
}

/// Replays `history` through `plugin` (configured by `tenant`'s settings)
/// in a fresh store in the empty directory `dir`, on `runtime`: the run's
/// figures and the notices it sent, by invoice, for [`crate::changes::compare`].
pub fn simulate(
    dir: &Path,
    runtime: Runtime,
    tenant: &Tenant,
    plugin: &[u8],
    history: &History,
    window: (Timestamp, Timestamp),
) -> Result<(Run, BTreeMap<InvoiceId, Vec<SentNotice>>)> {
    let store = Store::open(dir.join("store"))?;
    let scheduler = Scheduler::new(store, runtime, SchedulerConfig::new(dir.join("outbox")));
    let record = replay(&scheduler, tenant, plugin, history, window)?;
    let run = Run {
        plugin: plugin_label(&record),
        config: tenant.settings.plugin_config.clone(),
        summary: scheduler.summary(&tenant.id)?,
        breakdown: scheduler.breakdown(&tenant.id)?,
    };
    Ok((run, scheduler.sent_notices(&tenant.id)?))
}
