//! WIT 0.2 and its predictive signals: a plugin built against 0.1 (a
//! hand-encoded component) still decides through the scheduler, and a 0.2
//! plugin receives the signals the host learned from the tenant's history.

use jiff::{Timestamp, civil::Date};
use nudge_core::{EventKind, InvoiceId, Payment, PaymentId, TenantSettings};
use nudge_runtime::{Limits, Runtime};

use crate::{
    encode::{canned_describe, canned_stop, policy_component, policy_module},
    harness,
};

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn date(text: &str) -> Date {
    text.parse().unwrap()
}

#[test]
fn a_hand_encoded_0_1_component_decides_through_the_scheduler() {
    let bytes = policy_component(&policy_module(canned_stop(), canned_describe(), Vec::new()));
    let runtime = Runtime::new(Limits::default()).unwrap();
    assert_eq!(runtime.load(&bytes).unwrap().wit_version(), "0.1.0");
    let reference = runtime.load(nudge_bundle::STANDARD_POLICY).unwrap();
    assert_eq!(reference.wit_version(), "0.2.0");

    let (_dir, scheduler, tenant) = harness::empty_tenant(TenantSettings::default());
    let version = scheduler.install_plugin(&tenant, &bytes, at("2024-01-01T00:00:00Z")).unwrap().version;
    scheduler.upsert_customer(&harness::customer(&tenant, "c1", "Europe/London"), at("2024-01-01T00:00:00Z")).unwrap();
    let invoice = harness::invoice(&tenant, "inv-1", "c1", date("2024-03-01"), 10_000);
    scheduler.upsert_invoice(&invoice, at("2024-02-01T09:00:00Z")).unwrap();

    // The 0.1 plugin itself decided (no fallback): its canned stop.
    let stored = scheduler.store().invoice(&tenant, &invoice.id).unwrap().unwrap();
    assert_eq!(stored.closed_reason.as_deref(), Some("stopped: canned"));
    let decided: Vec<_> = scheduler
        .store()
        .events(&tenant)
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::Decided { segment, plugin_version, fallback, .. } => Some((segment, plugin_version, fallback)),
            _ => None,
        })
        .collect();
    assert_eq!(decided, vec![("wat".to_string(), Some(version), false)]);
    assert!(scheduler.store().incidents(&tenant).unwrap().is_empty());
}

#[test]
fn a_0_2_plugin_receives_the_signals_learned_from_the_tenants_history() {
    let (_dir, scheduler, tenant) = harness::empty_tenant(TenantSettings::default());
    let echo = std::fs::read(nudge_bundle::test_guests::SIGNALS_ECHO).unwrap();
    let runtime = Runtime::new(Limits::default()).unwrap();
    assert_eq!(runtime.load(&echo).unwrap().wit_version(), "0.2.0");
    scheduler.install_plugin(&tenant, &echo, at("2024-01-01T00:00:00Z")).unwrap();
    scheduler
        .upsert_customer(&harness::customer(&tenant, "c1", "America/New_York"), at("2024-01-01T00:00:00Z"))
        .unwrap();
    scheduler
        .upsert_customer(&harness::customer(&tenant, "c2", "America/New_York"), at("2024-01-01T00:00:00Z"))
        .unwrap();
    let reason = |id: &str| {
        let invoice = scheduler.store().invoice(&tenant, &InvoiceId::new(id).unwrap()).unwrap().unwrap();
        invoice.closed_reason.unwrap()
    };

    // A tenant with no history: the model's prior, nothing known.
    let first = harness::invoice(&tenant, "inv-0", "c1", date("2024-01-31"), 10_000);
    scheduler.upsert_invoice(&first, at("2024-01-01T14:00:00Z")).unwrap();
    assert_eq!(reason("inv-0"), "stopped: signals pay=300 examples=0 invoices=0 hour=none samples=0 own=false");

    // Three invoices of c1, each paid 10 days late at 22:30 UTC (17:30 in
    // New York in February, 18:30 from March):
    // per invoice, points -3, 0 and 1 unpaid after 7 days, point 7 paid.
    for (n, due) in ["2024-02-01", "2024-03-01", "2024-04-01"].into_iter().enumerate() {
        let id = format!("inv-{}", n + 1);
        let invoice = harness::invoice(&tenant, &id, "c1", date(due), 10_000);
        scheduler.upsert_invoice(&invoice, at(&format!("{}T14:00:00Z", invoice.issued_on))).unwrap();
        let paid = date(due).checked_add(jiff::ToSpan::days(10)).unwrap();
        let payment = Payment {
            tenant: tenant.clone(),
            id: PaymentId::new(format!("pay-{id}")).unwrap(),
            invoice: invoice.id.clone(),
            amount_minor: 10_000,
            received_at: at(&format!("{paid}T22:30:00Z")),
        };
        assert!(scheduler.record_payment(&payment).unwrap());
    }
    // inv-0 (never paid) adds its six points, all closed by mid May.
    let next = harness::invoice(&tenant, "inv-9", "c1", date("2024-05-31"), 10_000);
    scheduler.upsert_invoice(&next, at("2024-05-15T14:00:00Z")).unwrap();
    let echoed = reason("inv-9");
    let pay: u16 = echoed
        .strip_prefix("stopped: signals pay=")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{echoed}"));
    assert!(pay <= 1000, "{echoed}");
    assert_ne!(pay, 300, "the model learned nothing: {echoed}");
    assert!(
        echoed.ends_with(" examples=18 invoices=3 hour=18 samples=3 own=true"),
        "expected 3 × 4 + 6 examples and the peak at 18:00 of the customer's 3 payments: {echoed}"
    );

    // Another customer of the same tenant: the tenant's model, their own
    // empty record, and too few payments tenant-wide for a shared hour.
    let other = harness::invoice(&tenant, "inv-10", "c2", date("2024-05-31"), 10_000);
    scheduler.upsert_invoice(&other, at("2024-05-15T14:00:00Z")).unwrap();
    assert!(
        reason("inv-10").ends_with(" examples=18 invoices=0 hour=none samples=0 own=false"),
        "{}",
        reason("inv-10")
    );
}

#[test]
fn a_restarted_host_learns_the_same_signals_from_the_log() {
    let (dir, scheduler, tenant) = harness::empty_tenant(TenantSettings::default());
    let echo = std::fs::read(nudge_bundle::test_guests::SIGNALS_ECHO).unwrap();
    scheduler.install_plugin(&tenant, &echo, at("2024-01-01T00:00:00Z")).unwrap();
    scheduler.upsert_customer(&harness::customer(&tenant, "c1", "Europe/Paris"), at("2024-01-01T00:00:00Z")).unwrap();
    // Six invoices paid between 2 days early and 12 days late, at 11:20 Paris time.
    for (n, late) in [-2, 3, 12, 0, 9, 5].into_iter().enumerate() {
        let due = date("2024-02-01").checked_add(jiff::ToSpan::days(20 * n as i64)).unwrap();
        let invoice = harness::invoice(&tenant, &format!("inv-{n}"), "c1", due, 5_000 + 1_000 * n as i64);
        scheduler.upsert_invoice(&invoice, at(&format!("{}T08:00:00Z", invoice.issued_on))).unwrap();
        let paid = due.checked_add(jiff::ToSpan::days(late)).unwrap();
        let payment = Payment {
            tenant: tenant.clone(),
            id: PaymentId::new(format!("pay-{n}")).unwrap(),
            invoice: invoice.id.clone(),
            amount_minor: invoice.total.amount_minor,
            received_at: at(&format!("{paid}T10:20:00Z")),
        };
        scheduler.record_payment(&payment).unwrap();
    }
    let ask = |scheduler: &nudge_scheduler::Scheduler, id: &str| {
        let invoice = harness::invoice(&tenant, id, "c1", date("2024-07-01"), 8_000);
        scheduler.upsert_invoice(&invoice, at("2024-07-03T09:00:00Z")).unwrap();
        scheduler.store().invoice(&tenant, &invoice.id).unwrap().unwrap().closed_reason.unwrap()
    };
    let live = ask(&scheduler, "inv-live");
    assert!(live.contains(" invoices=6 hour=11 samples=6 own=true"), "{live}");
    drop(scheduler);

    // A new process over the same data directory: the predictor is rebuilt
    // from the event log (which now also holds the decision above).
    let store = nudge_store::Store::open(dir.path().join("store")).unwrap();
    let runtime = Runtime::new(Limits::default()).unwrap();
    let restarted = nudge_scheduler::Scheduler::new(
        store,
        runtime,
        nudge_scheduler::SchedulerConfig::new(dir.path().join("outbox")),
    );
    assert_eq!(ask(&restarted, "inv-restarted"), live);
}
