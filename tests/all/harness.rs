//! A tenant replaying part of the real history, for scenario tests.

use jiff::Timestamp;
use nudge_cli::demo;
use nudge_core::{Tenant, TenantId, TenantSettings};
use nudge_ingest::ar;
use nudge_runtime::{Limits, Runtime};
use nudge_scheduler::{Scheduler, SchedulerConfig, Summary, replay};
use nudge_store::Store;

/// The real example data.
pub const CSV: &[u8] = include_bytes!("../../examples/data/accounts-receivable.csv");

/// A finished replay: its directory, scheduler, tenant and the CSV it read.
pub struct Replayed {
    pub dir: tempfile::TempDir,
    pub scheduler: Scheduler,
    pub tenant: TenantId,
    pub csv: Vec<u8>,
    pub summary: Summary,
}

/// The header and the first `rows` invoices of the real data.
pub fn first_rows(rows: usize) -> Vec<u8> {
    let text = std::str::from_utf8(CSV).unwrap();
    text.split_inclusive('\n').take(rows + 1).collect::<String>().into_bytes()
}

/// Replays the first `rows` invoices for a tenant with `settings` and `plugin` installed.
pub fn replay(rows: usize, settings: TenantSettings, plugin: &[u8]) -> Replayed {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).unwrap();
    let runtime = Runtime::new(Limits::default()).unwrap();
    let scheduler = Scheduler::new(store, runtime, SchedulerConfig::new(dir.path().join("outbox")));
    let from: Timestamp = "2012-01-01T00:00:00Z".parse().unwrap();
    let tenant =
        Tenant { id: TenantId::new("scenario").unwrap(), name: "Scenario Ltd".into(), settings, created_at: from };
    scheduler.put_tenant(&tenant).unwrap();
    scheduler.install_plugin(&tenant.id, plugin, from).unwrap();
    let csv = first_rows(rows);
    let data = ar::read(csv.as_slice(), &tenant.id).unwrap();
    for customer in &data.customers {
        scheduler.upsert_customer(customer, from).unwrap();
    }
    replay::run(&scheduler, demo::feed(&data).unwrap(), "2014-01-31T23:59:59Z".parse().unwrap()).unwrap();
    let summary = scheduler.summary(&tenant.id).unwrap();
    Replayed { dir, scheduler, tenant: tenant.id, csv, summary }
}
