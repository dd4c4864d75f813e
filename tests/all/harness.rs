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

/// A customer with an email address in `zone`.
pub fn customer(tenant: &TenantId, id: &str, zone: &str) -> nudge_core::Customer {
    nudge_core::Customer {
        tenant: tenant.clone(),
        id: nudge_core::CustomerId::new(id).unwrap(),
        name: format!("Customer {id}"),
        email: Some(format!("{id}@example.invalid")),
        phone: None,
        language: "en".into(),
        time_zone: zone.into(),
        tier: "standard".into(),
        preferred_channel: None,
        opted_out: Vec::new(),
        unverified: Vec::new(),
        tags: Vec::new(),
        stats: nudge_core::CustomerStats::default(),
    }
}

/// An open invoice of `customer` for `minor` GBP minor units, due on `due` (issued 30 days before).
pub fn invoice(tenant: &TenantId, id: &str, customer: &str, due: jiff::civil::Date, minor: i64) -> nudge_core::Invoice {
    nudge_core::Invoice {
        tenant: tenant.clone(),
        id: nudge_core::InvoiceId::new(id).unwrap(),
        customer: nudge_core::CustomerId::new(customer).unwrap(),
        number: id.to_uppercase(),
        total: nudge_core::Money { amount_minor: minor, currency: "GBP".into() },
        amount_remaining_minor: minor,
        issued_on: due.checked_sub(jiff::ToSpan::days(30)).unwrap(),
        due_on: due,
        status: nudge_core::InvoiceStatus::Open,
        disputed: false,
        payment_link: None,
        tags: Vec::new(),
        paid_at: None,
        next_evaluation: None,
        closed_reason: None,
    }
}

/// A scheduler over a fresh directory with tenant `acme` (no plugin: the
/// built-in default policy, overdue days 1, 7 and 14 at 10:00 local).
pub fn empty_tenant(settings: TenantSettings) -> (tempfile::TempDir, Scheduler, TenantId) {
    empty_tenant_with(settings, None)
}

/// [`empty_tenant`] delivering through `sink` (`None`: the outbox).
pub fn empty_tenant_with(
    settings: TenantSettings,
    sink: Option<std::sync::Arc<dyn nudge_delivery::Sink>>,
) -> (tempfile::TempDir, Scheduler, TenantId) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).unwrap();
    let runtime = Runtime::new(Limits::default()).unwrap();
    let mut config = SchedulerConfig::new(dir.path().join("outbox"));
    config.sink = sink;
    let scheduler = Scheduler::new(store, runtime, config);
    let tenant = TenantId::new("acme").unwrap();
    let created_at: Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
    scheduler.put_tenant(&Tenant { id: tenant.clone(), name: "Acme Ltd".into(), settings, created_at }).unwrap();
    (dir, scheduler, tenant)
}
