//! A scheduler with one tenant, and Stripe events built from Stripe's own
//! example objects (host/ingest/tests/fixtures/stripe).

use jiff::Timestamp;
use nudge_core::{Tenant, TenantId, TenantSettings};
use nudge_ingest::stripe;
use nudge_runtime::{Limits, Runtime};
use nudge_scheduler::{Scheduler, SchedulerConfig};
use nudge_store::Store;
use serde_json::{Value, json};

const INVOICE: &str = include_str!("../../host/ingest/tests/fixtures/stripe/invoice.json");
const CUSTOMER: &str = include_str!("../../host/ingest/tests/fixtures/stripe/customer.json");

/// The invoice of the fixture.
pub const INVOICE_ID: &str = "in_1Pgc6tB7WZ01zgkWu9fdqL6I";
/// The customer of the fixture.
pub const CUSTOMER_ID: &str = "cus_QXg1o8vcGmoR32";
/// When the invoice is finalized: 2024-07-01T09:00:00Z.
pub const FINALIZED: i64 = 1_719_824_400;
/// Its due date: 2024-07-15T09:00:00Z.
pub const DUE: i64 = 1_721_034_000;

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub scheduler: Scheduler,
    pub tenant: TenantId,
}

/// A scheduler with tenant `acme` (default zone Europe/London, default policy).
pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).unwrap();
    let runtime = Runtime::new(Limits::default()).unwrap();
    let scheduler = Scheduler::new(store, runtime, SchedulerConfig::new(dir.path().join("outbox")));
    let tenant = TenantId::new("acme").unwrap();
    let settings = TenantSettings { default_time_zone: "Europe/London".into(), ..TenantSettings::default() };
    let created_at = at(FINALIZED - 86_400);
    scheduler.put_tenant(&Tenant { id: tenant.clone(), name: "Acme Ltd".into(), settings, created_at }).unwrap();
    Fixture { dir, scheduler, tenant }
}

pub fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap()
}

fn merged(base: &str, changes: &Value) -> Value {
    let mut object: Value = serde_json::from_str(base).unwrap();
    for (k, v) in changes.as_object().unwrap() {
        object[k] = v.clone();
    }
    object
}

/// The fixture invoice in `status`, with `changes` on top.
pub fn invoice_object(status: &str, changes: Value) -> Value {
    let paid = status == "paid";
    let mut object = merged(
        INVOICE,
        &json!({
            "status": status, "due_date": DUE, "number": "7FE1103-0001",
            "collection_method": "send_invoice",
            "amount_paid": if paid { 1000 } else { 0 }, "amount_remaining": if paid { 0 } else { 1000 },
            "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test_1",
            "customer_email": "ada@example.invalid", "customer_name": "Ada Lovelace",
            "customer_phone": "+447700900123", "customer_address": {"country": "GB"},
            "status_transitions": {"finalized_at": FINALIZED, "paid_at": if paid { json!(DUE) } else { Value::Null },
                                   "voided_at": null, "marked_uncollectible_at": null},
        }),
    );
    for (k, v) in changes.as_object().unwrap() {
        object[k] = v.clone();
    }
    object
}

/// The fixture customer with `changes`.
pub fn customer_object(changes: Value) -> Value {
    merged(CUSTOMER, &changes)
}

/// An event as Stripe would send it, parsed.
pub fn event(id: &str, type_name: &str, created: i64, object: Value) -> stripe::Event {
    let body = json!({"id": id, "object": "event", "type": type_name, "created": created, "livemode": false,
                      "data": {"object": object}});
    stripe::parse_event(&serde_json::to_vec(&body).unwrap()).unwrap()
}

/// The invoice event of `type_name` with the status that type implies.
pub fn invoice_event(id: &str, type_name: &str, created: i64) -> stripe::Event {
    let status = match type_name {
        "invoice.paid" => "paid",
        "invoice.voided" => "void",
        "invoice.marked_uncollectible" => "uncollectible",
        _ => "open",
    };
    let mut object = invoice_object(status, json!({}));
    if status == "paid" {
        // Stripe creates invoice.paid when the payment arrives.
        object["status_transitions"]["paid_at"] = json!(created);
    }
    event(id, type_name, created, object)
}
