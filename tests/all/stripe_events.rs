//! Stripe events applied to the store: each type, duplicates, every
//! out-of-order pair that matters, and a concurrent double delivery.

use nudge_core::{CustomerId, EventKind, InvoiceId, InvoiceStatus, NoticeState};
use nudge_scheduler::Applied;
use serde_json::json;

use crate::stripe_support::{
    CUSTOMER_ID, DUE, FINALIZED, INVOICE_ID, at, customer_object, event, fixture, invoice_event,
};

fn invoice_id() -> InvoiceId {
    InvoiceId::new(INVOICE_ID).unwrap()
}

fn decided(f: &crate::stripe_support::Fixture) -> usize {
    f.scheduler
        .store()
        .events(&f.tenant)
        .unwrap()
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Decided { .. }))
        .count()
}

#[test]
fn finalized_creates_customer_and_invoice_and_asks_the_policy() {
    let f = fixture();
    let e = invoice_event("evt_f", "invoice.finalized", FINALIZED);
    let applied = f.scheduler.apply_stripe_event(&f.tenant, &e, at(FINALIZED)).unwrap();
    assert_eq!(applied, Applied::Changed(format!("invoice {INVOICE_ID} open")));
    let store = f.scheduler.store();
    let invoice = store.invoice(&f.tenant, &invoice_id()).unwrap().unwrap();
    assert_eq!((invoice.status, invoice.amount_remaining_minor), (InvoiceStatus::Open, 1000));
    assert_eq!(invoice.total.currency, "USD");
    assert_eq!(invoice.due_on.to_string(), "2024-07-15");
    assert_eq!(invoice.payment_link.as_deref(), Some("https://invoice.stripe.com/i/acct_1/test_1"));
    let customer = store.customer(&f.tenant, &CustomerId::new(CUSTOMER_ID).unwrap()).unwrap().unwrap();
    assert_eq!(customer.email.as_deref(), Some("ada@example.invalid"), "taken from the invoice");
    assert_eq!(customer.time_zone, "Europe/London");
    assert_eq!(decided(&f), 1, "the policy was asked");
    assert!(invoice.next_evaluation.is_some() || !store.notices(&f.tenant).unwrap().is_empty());
}

#[test]
fn paid_records_the_payment_and_suppresses_a_scheduled_notice() {
    let f = fixture();
    f.scheduler
        .apply_stripe_event(&f.tenant, &invoice_event("evt_f", "invoice.finalized", FINALIZED), at(FINALIZED))
        .unwrap();
    // Let the policy schedule its pre-due notice, then pay before it goes out.
    let notice_time = DUE - 86_400 * 3;
    f.scheduler.advance_to(at(notice_time - 86_400 * 2)).unwrap();
    let scheduled = f.scheduler.store().notices(&f.tenant).unwrap();
    assert!(scheduled.iter().any(|n| n.state == NoticeState::Scheduled), "{scheduled:?}");
    let paid = invoice_event("evt_p", "invoice.paid", DUE + 3 * 86_400);
    let applied = f.scheduler.apply_stripe_event(&f.tenant, &paid, at(notice_time - 86_400)).unwrap();
    assert_eq!(applied, Applied::Changed(format!("invoice {INVOICE_ID} paid")));
    let store = f.scheduler.store();
    let invoice = store.invoice(&f.tenant, &invoice_id()).unwrap().unwrap();
    assert_eq!((invoice.status, invoice.amount_remaining_minor), (InvoiceStatus::Paid, 0));
    assert_eq!(invoice.paid_at, Some(at(DUE + 3 * 86_400)), "paid at Stripe's paid_at");
    let payments = store.payments(&f.tenant).unwrap();
    assert_eq!(payments.len(), 1);
    assert_eq!((payments[0].id.as_str(), payments[0].amount_minor), (format!("{INVOICE_ID}-paid").as_str(), 1000));
    let customer = store.customer(&f.tenant, &CustomerId::new(CUSTOMER_ID).unwrap()).unwrap().unwrap();
    assert_eq!(customer.stats.paid_late, 1, "paid three days after the due date");
    f.scheduler.advance_to(at(DUE + 60 * 86_400)).unwrap();
    let notices = store.notices(&f.tenant).unwrap();
    assert!(notices.iter().all(|n| !matches!(n.state, NoticeState::Sent { .. })), "{notices:?}");
    assert!(notices.iter().any(|n| matches!(&n.state, NoticeState::Suppressed { reason, .. } if reason == "paid")));
}

#[test]
fn voided_and_uncollectible_stop_reminders() {
    for (type_name, status, reason) in [
        ("invoice.voided", InvoiceStatus::Void, "void"),
        ("invoice.marked_uncollectible", InvoiceStatus::Uncollectible, "uncollectible"),
    ] {
        let f = fixture();
        f.scheduler
            .apply_stripe_event(&f.tenant, &invoice_event("evt_f", "invoice.finalized", FINALIZED), at(FINALIZED))
            .unwrap();
        f.scheduler.advance_to(at(DUE - 86_400 * 6)).unwrap();
        let e = invoice_event("evt_x", type_name, DUE - 86_400 * 5);
        f.scheduler.apply_stripe_event(&f.tenant, &e, at(DUE - 86_400 * 5)).unwrap();
        let invoice = f.scheduler.store().invoice(&f.tenant, &invoice_id()).unwrap().unwrap();
        assert_eq!((invoice.status, invoice.next_evaluation), (status, None), "{type_name}");
        f.scheduler.advance_to(at(DUE + 60 * 86_400)).unwrap();
        let notices = f.scheduler.store().notices(&f.tenant).unwrap();
        assert!(!notices.is_empty(), "{type_name}: a notice had been scheduled");
        for n in notices {
            assert_eq!(n.state.as_str(), "suppressed", "{type_name}: {n:?}");
            assert!(matches!(&n.state, NoticeState::Suppressed { reason: r, .. } if r == reason));
        }
        assert_eq!(f.scheduler.next_due().unwrap(), None, "{type_name}: nothing left to do");
    }
}

#[test]
fn payment_failed_and_overdue_evaluate_again() {
    for type_name in ["invoice.payment_failed", "invoice.overdue"] {
        let f = fixture();
        f.scheduler
            .apply_stripe_event(&f.tenant, &invoice_event("evt_f", "invoice.finalized", FINALIZED), at(FINALIZED))
            .unwrap();
        let before = decided(&f);
        let e = invoice_event("evt_o", type_name, DUE + 86_400);
        let applied = f.scheduler.apply_stripe_event(&f.tenant, &e, at(DUE + 86_400)).unwrap();
        assert_eq!(applied, Applied::Changed(format!("invoice {INVOICE_ID} open")), "{type_name}");
        assert_eq!(decided(&f), before + 1, "{type_name}: the policy was asked again");
        let invoice = f.scheduler.store().invoice(&f.tenant, &invoice_id()).unwrap().unwrap();
        assert_eq!(invoice.status, InvoiceStatus::Open);
    }
}

#[test]
fn customer_events_create_and_update_keeping_host_data() {
    let f = fixture();
    let id = CustomerId::new(CUSTOMER_ID).unwrap();
    let created = event(
        "evt_c1",
        "customer.created",
        FINALIZED,
        customer_object(json!({"name": "Ada Lovelace", "email": "ada@example.invalid", "address": {"country": "FR"}})),
    );
    assert_eq!(
        f.scheduler.apply_stripe_event(&f.tenant, &created, at(FINALIZED)).unwrap(),
        Applied::Changed(format!("customer {CUSTOMER_ID} created"))
    );
    assert_eq!(f.scheduler.store().customer(&f.tenant, &id).unwrap().unwrap().time_zone, "Europe/Paris");
    f.scheduler.opt_out(&f.tenant, &id, Some(nudge_core::Channel::Sms), at(FINALIZED + 10)).unwrap();
    let updated = event(
        "evt_c2",
        "customer.updated",
        FINALIZED + 100,
        customer_object(json!({"name": "Ada King", "email": "ada.king@example.invalid", "phone": "+33612345678"})),
    );
    f.scheduler.apply_stripe_event(&f.tenant, &updated, at(FINALIZED + 100)).unwrap();
    let c = f.scheduler.store().customer(&f.tenant, &id).unwrap().unwrap();
    assert_eq!(
        (c.name.as_str(), c.email.as_deref(), c.phone.as_deref()),
        ("Ada King", Some("ada.king@example.invalid"), Some("+33612345678"))
    );
    assert_eq!(c.time_zone, "Europe/London", "no country any more: the tenant default");
    assert_eq!(c.opted_out, vec![nudge_core::Channel::Sms], "an update from Stripe keeps the opt-out");
}

#[test]
fn duplicates_change_nothing() {
    let f = fixture();
    let events = [
        invoice_event("evt_f", "invoice.finalized", FINALIZED),
        invoice_event("evt_p", "invoice.paid", DUE),
        event("evt_c", "customer.updated", DUE, customer_object(json!({"name": "Ada"}))),
        event("evt_u", "charge.succeeded", DUE, json!({"id": "ch_1", "object": "charge"})),
    ];
    for e in &events {
        let first = f.scheduler.apply_stripe_event(&f.tenant, e, at(DUE)).unwrap();
        assert!(matches!(first, Applied::Changed(_) | Applied::Ignored(_)), "{first:?}");
    }
    let log = f.scheduler.store().events(&f.tenant).unwrap().len();
    for e in &events {
        assert_eq!(f.scheduler.apply_stripe_event(&f.tenant, e, at(DUE + 50)).unwrap(), Applied::Duplicate, "{}", e.id);
    }
    assert_eq!(f.scheduler.store().events(&f.tenant).unwrap().len(), log, "no event was logged");
    assert_eq!(f.scheduler.store().payments(&f.tenant).unwrap().len(), 1);
}

/// Applies `first` then `second` and returns what the second did and the invoice status.
fn pair(first: (&str, i64), second: (&str, i64)) -> (Applied, InvoiceStatus) {
    let f = fixture();
    let a = invoice_event("evt_a", first.0, first.1);
    let b = invoice_event("evt_b", second.0, second.1);
    f.scheduler.apply_stripe_event(&f.tenant, &a, at(DUE + 90 * 86_400)).unwrap();
    let applied = f.scheduler.apply_stripe_event(&f.tenant, &b, at(DUE + 90 * 86_400)).unwrap();
    (applied, f.scheduler.store().invoice(&f.tenant, &invoice_id()).unwrap().unwrap().status)
}

#[test]
fn late_events_never_move_an_invoice_backwards() {
    use InvoiceStatus::*;
    let (t0, t1) = (FINALIZED, FINALIZED + 86_400 * 20);
    // (arrives first, arrives second but happened earlier or cannot follow) -> the status that must remain.
    let cases = [
        ("invoice.paid", "invoice.finalized", Paid),
        ("invoice.paid", "invoice.payment_failed", Paid),
        ("invoice.paid", "invoice.overdue", Paid),
        ("invoice.paid", "invoice.marked_uncollectible", Paid),
        ("invoice.voided", "invoice.finalized", Void),
        ("invoice.voided", "invoice.overdue", Void),
        ("invoice.voided", "invoice.marked_uncollectible", Void),
        ("invoice.marked_uncollectible", "invoice.finalized", Uncollectible),
        ("invoice.marked_uncollectible", "invoice.payment_failed", Uncollectible),
    ];
    for (first, second, remains) in cases {
        let (applied, status) = pair((first, t1), (second, t0));
        assert!(matches!(applied, Applied::Stale(_)), "{first} then {second}: {applied:?}");
        assert_eq!(status, remains, "{first} then {second}");
    }
    // Paid and void are both final: whichever arrived first stays.
    let (applied, status) = pair(("invoice.voided", t0), ("invoice.paid", t1));
    assert!(matches!(applied, Applied::Stale(_)) && status == Void, "{applied:?}");
    // Forward moves apply whatever the timestamps say.
    assert_eq!(pair(("invoice.finalized", t1), ("invoice.paid", t0)).1, Paid);
    assert_eq!(pair(("invoice.marked_uncollectible", t0), ("invoice.paid", t1)).1, Paid, "written off, then paid");
    assert_eq!(pair(("invoice.overdue", t0), ("invoice.voided", t1)).1, Void);
}

#[test]
fn an_older_open_event_does_not_undo_a_newer_one() {
    let f = fixture();
    let newer = event(
        "evt_new",
        "invoice.overdue",
        DUE + 86_400,
        crate::stripe_support::invoice_object("open", json!({"amount_remaining": 400, "amount_paid": 600})),
    );
    let older = invoice_event("evt_old", "invoice.finalized", FINALIZED);
    f.scheduler.apply_stripe_event(&f.tenant, &newer, at(DUE + 86_400)).unwrap();
    let applied = f.scheduler.apply_stripe_event(&f.tenant, &older, at(DUE + 86_401)).unwrap();
    assert!(matches!(&applied, Applied::Stale(r) if r.contains("newer event")), "{applied:?}");
    let invoice = f.scheduler.store().invoice(&f.tenant, &invoice_id()).unwrap().unwrap();
    assert_eq!(invoice.amount_remaining_minor, 400, "the partial payment Stripe reported stays");
    // The customer: created arriving after updated changes nothing.
    let id = CustomerId::new(CUSTOMER_ID).unwrap();
    let updated = event("evt_cu", "customer.updated", DUE, customer_object(json!({"name": "Ada King"})));
    let created = event("evt_cc", "customer.created", FINALIZED - 10, customer_object(json!({"name": "Ada Byron"})));
    f.scheduler.apply_stripe_event(&f.tenant, &updated, at(DUE)).unwrap();
    assert!(matches!(f.scheduler.apply_stripe_event(&f.tenant, &created, at(DUE)).unwrap(), Applied::Stale(_)));
    assert_eq!(f.scheduler.store().customer(&f.tenant, &id).unwrap().unwrap().name, "Ada King");
}

#[test]
fn an_invoice_before_its_customer_then_the_customer_event_still_applies() {
    let f = fixture();
    f.scheduler.apply_stripe_event(&f.tenant, &invoice_event("evt_p", "invoice.paid", DUE), at(DUE)).unwrap();
    let created = event("evt_c", "customer.created", FINALIZED - 100, customer_object(json!({"name": "Ada Byron"})));
    let applied = f.scheduler.apply_stripe_event(&f.tenant, &created, at(DUE + 1)).unwrap();
    assert!(matches!(applied, Applied::Changed(_)), "{applied:?}");
    let c = f.scheduler.store().customer(&f.tenant, &CustomerId::new(CUSTOMER_ID).unwrap()).unwrap().unwrap();
    assert_eq!(c.name, "Ada Byron");
    assert_eq!(c.stats.paid_on_time, 1, "the payment recorded earlier (on the due date) still counts");
}

#[test]
fn drafts_and_unknown_tenants_are_handled_clearly() {
    let f = fixture();
    let draft =
        event("evt_d", "invoice.finalized", FINALIZED, crate::stripe_support::invoice_object("draft", json!({})));
    assert!(matches!(f.scheduler.apply_stripe_event(&f.tenant, &draft, at(FINALIZED)).unwrap(), Applied::Ignored(_)));
    assert!(f.scheduler.store().invoices(&f.tenant).unwrap().is_empty());
    let bad = event(
        "evt_b",
        "invoice.finalized",
        FINALIZED,
        crate::stripe_support::invoice_object("open", json!({"currency": "dollars"})),
    );
    let err = f.scheduler.apply_stripe_event(&f.tenant, &bad, at(FINALIZED)).unwrap_err().to_string();
    assert!(err.contains("field currency"), "{err}");
    assert!(
        !f.scheduler.store().external_event_processed(&f.tenant, "stripe", "evt_b").unwrap(),
        "a refused event can be retried"
    );
    let other = nudge_core::TenantId::new("nobody").unwrap();
    let err = f.scheduler.apply_stripe_event(&other, &draft, at(FINALIZED)).unwrap_err().to_string();
    assert!(err.contains("tenant nobody does not exist"), "{err}");
}

#[test]
fn a_concurrent_double_delivery_applies_once() {
    for type_name in ["invoice.paid", "invoice.finalized"] {
        let f = fixture();
        let e = invoice_event("evt_same", type_name, DUE);
        let results: Vec<Applied> = std::thread::scope(|s| {
            let handles: Vec<_> =
                (0..2).map(|_| s.spawn(|| f.scheduler.apply_stripe_event(&f.tenant, &e, at(DUE)).unwrap())).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(results.iter().filter(|a| matches!(a, Applied::Changed(_))).count(), 1, "{type_name}: {results:?}");
        assert_eq!(results.iter().filter(|a| **a == Applied::Duplicate).count(), 1, "{type_name}: {results:?}");
        let events = f.scheduler.store().events(&f.tenant).unwrap();
        let upserts = events.iter().filter(|e| matches!(e.kind, EventKind::InvoiceUpserted { .. })).count();
        assert_eq!(upserts, 1, "{type_name}");
        assert_eq!(decided(&f), usize::from(type_name == "invoice.finalized"), "{type_name}: evaluated once at most");
        let payments = f.scheduler.store().payments(&f.tenant).unwrap().len();
        assert_eq!(payments, usize::from(type_name == "invoice.paid"), "{type_name}");
    }
}
