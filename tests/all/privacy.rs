//! Privacy: opt-out, export of everything held, erasure that leaves no
//! trace in the store or the outbox and keeps the report's counts.

use nudge_core::{Channel, CustomerId, EventKind, NoticeState};
use nudge_scheduler::Applied;
use serde_json::json;

use crate::{
    harness,
    stripe_support::{CUSTOMER_ID, DUE, FINALIZED, Fixture, at, customer_object, event, fixture, invoice_event},
};

const EMAIL: &str = "ada@example.invalid";
const PHONE: &str = "+447700900123";
const NAME: &str = "Ada Lovelace";

/// A Stripe customer with contacts, an invoice whose reminders went out, then paid.
fn customer_with_history() -> Fixture {
    let f = fixture();
    let created = event(
        "evt_c",
        "customer.created",
        FINALIZED - 60,
        customer_object(json!({"name": NAME, "email": EMAIL, "phone": PHONE, "address": {"country": "GB"}})),
    );
    f.scheduler.apply_stripe_event(&f.tenant, &created, at(FINALIZED - 60)).unwrap();
    f.scheduler
        .apply_stripe_event(&f.tenant, &invoice_event("evt_f", "invoice.finalized", FINALIZED), at(FINALIZED))
        .unwrap();
    f.scheduler.advance_to(at(DUE + 10 * 86_400)).unwrap();
    f.scheduler
        .apply_stripe_event(
            &f.tenant,
            &invoice_event("evt_p", "invoice.paid", DUE + 12 * 86_400),
            at(DUE + 12 * 86_400),
        )
        .unwrap();
    // Past the last step: nothing is pending when the report is compared.
    f.scheduler.advance_to(at(DUE + 60 * 86_400)).unwrap();
    f
}

fn outbox_texts(f: &Fixture) -> Vec<String> {
    let dir = f.dir.path().join("outbox").join(f.tenant.as_str());
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    entries.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect()
}

#[test]
fn export_holds_the_customer_invoices_payments_notices_events_and_messages() {
    let f = customer_with_history();
    let id = CustomerId::new(CUSTOMER_ID).unwrap();
    let export = f.scheduler.export_customer(&f.tenant, &id).unwrap();
    assert_eq!(export["customer"]["email"], EMAIL);
    assert_eq!(export["customer"]["phone"], PHONE);
    assert_eq!(export["erased"], false);
    assert_eq!(export["invoices"].as_array().unwrap().len(), 1);
    assert_eq!(export["invoices"][0]["status"], "paid");
    assert_eq!(export["payments"].as_array().unwrap().len(), 1);
    let notices = export["notices"].as_array().unwrap();
    let sent = notices.iter().filter(|n| n["state"]["state"] == "sent").count();
    assert!(sent >= 2, "pre-due and overdue reminders went out: {notices:?}");
    let outbox = export["outbox"].as_array().unwrap();
    assert_eq!(outbox.len(), sent, "one message per sent notice");
    assert!(outbox.iter().all(|m| m["text"].as_str().unwrap().contains(EMAIL)));
    // Every event about this customer, its invoice or its notices, and no other.
    let types: Vec<&str> =
        export["events"].as_array().unwrap().iter().map(|e| e["kind"]["type"].as_str().unwrap()).collect();
    for expected in
        ["customer-upserted", "invoice-upserted", "decided", "notice-scheduled", "notice-sent", "payment-recorded"]
    {
        assert!(types.contains(&expected), "{expected} missing from {types:?}");
    }
    let all = f.scheduler.store().events(&f.tenant).unwrap().len();
    assert_eq!(types.len(), all, "every event of this one-customer tenant mentions the customer");
    let err = f.scheduler.export_customer(&f.tenant, &CustomerId::new("cus_nobody").unwrap()).unwrap_err();
    assert_eq!(err.to_string(), "customer cus_nobody does not exist");
}

#[test]
fn erasure_leaves_no_trace_in_the_store_or_the_outbox() {
    let f = customer_with_history();
    let id = CustomerId::new(CUSTOMER_ID).unwrap();
    let store = f.scheduler.store();
    for needle in [EMAIL, PHONE, NAME] {
        let found = store.find_bytes(needle.as_bytes()).unwrap();
        assert!(!found.is_empty(), "{needle} is held before the erasure");
    }
    assert!(outbox_texts(&f).iter().any(|t| t.contains(EMAIL) && t.contains(NAME)));
    let before = f.scheduler.summary(&f.tenant).unwrap();
    assert_eq!((before.notices_sent, before.sent_after_payment), (2, 0), "{before:?}");
    let erasure = f.scheduler.erase_customer(&f.tenant, &id, at(DUE + 70 * 86_400)).unwrap();
    assert_eq!(erasure.notices_cancelled, 0);
    assert!(erasure.outbox_files >= 2, "{erasure:?}");
    store.flush().unwrap();
    for needle in [EMAIL, PHONE, NAME, "Lovelace", "7700900123"] {
        assert_eq!(store.find_bytes(needle.as_bytes()).unwrap(), Vec::<String>::new(), "{needle} left in the store");
        for text in outbox_texts(&f) {
            assert!(!text.contains(needle), "{needle} left in the outbox:\n{text}");
        }
    }
    assert!(outbox_texts(&f).iter().all(|t| t.contains("[erased]")));
    let tombstone = store.customer(&f.tenant, &id).unwrap().unwrap();
    assert_eq!((tombstone.name.as_str(), tombstone.email.clone(), tombstone.phone.clone()), ("[erased]", None, None));
    assert_eq!((tombstone.language.as_str(), tombstone.time_zone.as_str()), ("und", "UTC"));
    assert!(tombstone.reachable_channels().is_empty());
    assert_eq!(tombstone.stats.paid_late, 1, "anonymous counts stay");
    assert_eq!(f.scheduler.summary(&f.tenant).unwrap(), before, "the report adds up as before");
    let events = store.events(&f.tenant).unwrap();
    assert!(events.iter().any(|e| matches!(&e.kind, EventKind::CustomerErased { customer } if *customer == id)));
    // A later webhook cannot bring the data back; erasing again finds nothing.
    let again =
        event("evt_c2", "customer.updated", DUE + 70 * 86_400, customer_object(json!({"name": NAME, "email": EMAIL})));
    let applied = f.scheduler.apply_stripe_event(&f.tenant, &again, at(DUE + 70 * 86_400)).unwrap();
    assert!(matches!(applied, Applied::Ignored(ref r) if r.contains("erased")), "{applied:?}");
    assert!(store.find_bytes(EMAIL.as_bytes()).unwrap().is_empty());
    let second = f.scheduler.erase_customer(&f.tenant, &id, at(DUE + 71 * 86_400)).unwrap();
    assert_eq!(second, nudge_scheduler::Erasure::default());
    assert_eq!(f.scheduler.export_customer(&f.tenant, &id).unwrap()["erased"], true);
}

#[test]
fn erasure_cancels_notices_not_yet_sent() {
    let f = fixture();
    let created =
        event("evt_c", "customer.created", FINALIZED - 60, customer_object(json!({"name": NAME, "email": EMAIL})));
    f.scheduler.apply_stripe_event(&f.tenant, &created, at(FINALIZED - 60)).unwrap();
    f.scheduler
        .apply_stripe_event(&f.tenant, &invoice_event("evt_f", "invoice.finalized", FINALIZED), at(FINALIZED))
        .unwrap();
    f.scheduler.advance_to(at(DUE - 5 * 86_400)).unwrap();
    assert!(f.scheduler.store().notices(&f.tenant).unwrap().iter().any(|n| n.state == NoticeState::Scheduled));
    let id = CustomerId::new(CUSTOMER_ID).unwrap();
    let erasure = f.scheduler.erase_customer(&f.tenant, &id, at(DUE - 5 * 86_400)).unwrap();
    assert_eq!(erasure.notices_cancelled, 1);
    assert_eq!(f.scheduler.next_due().unwrap(), None, "nothing left scheduled for the customer");
    f.scheduler.advance_to(at(DUE + 60 * 86_400)).unwrap();
    assert!(outbox_texts(&f).is_empty(), "nothing was sent after the erasure");
    let notices = f.scheduler.store().notices(&f.tenant).unwrap();
    assert!(
        notices
            .iter()
            .all(|n| matches!(&n.state, NoticeState::Suppressed { reason, .. } if reason == "customer-erased"))
    );
}

#[test]
fn opting_out_is_recorded_and_enforced_at_send_time() {
    let f = fixture();
    let created =
        event("evt_c", "customer.created", FINALIZED - 60, customer_object(json!({"name": NAME, "email": EMAIL})));
    f.scheduler.apply_stripe_event(&f.tenant, &created, at(FINALIZED - 60)).unwrap();
    f.scheduler
        .apply_stripe_event(&f.tenant, &invoice_event("evt_f", "invoice.finalized", FINALIZED), at(FINALIZED))
        .unwrap();
    f.scheduler.advance_to(at(DUE - 5 * 86_400)).unwrap();
    let scheduled: Vec<_> = f.scheduler.store().notices(&f.tenant).unwrap();
    assert!(scheduled.iter().any(|n| n.state == NoticeState::Scheduled && n.channel == Channel::Email));
    let id = CustomerId::new(CUSTOMER_ID).unwrap();
    let opted = f.scheduler.opt_out(&f.tenant, &id, Some(Channel::Email), at(DUE - 5 * 86_400)).unwrap();
    assert_eq!(opted, vec![Channel::Email]);
    f.scheduler.advance_to(at(DUE + 60 * 86_400)).unwrap();
    assert!(outbox_texts(&f).is_empty(), "no email after the opt-out");
    let notices = f.scheduler.store().notices(&f.tenant).unwrap();
    assert!(
        notices
            .iter()
            .any(|n| matches!(&n.state, NoticeState::Suppressed { reason, .. } if reason.contains("opted out")))
    );
    let events = f.scheduler.store().events(&f.tenant).unwrap();
    assert!(events.iter().any(|e| matches!(&e.kind, EventKind::OptedOut { channel: Some(Channel::Email), .. })));
    assert_eq!(f.scheduler.opt_out(&f.tenant, &id, None, at(DUE)).unwrap(), Channel::ALL.to_vec());
    let err = f.scheduler.opt_out(&f.tenant, &CustomerId::new("cus_x").unwrap(), None, at(DUE)).unwrap_err();
    assert!(err.to_string().contains("customer \"cus_x\" not found"), "{err}");
}

#[test]
fn erasing_real_customers_keeps_the_replay_report_and_leaves_no_contacts() {
    let run = harness::replay(400, nudge_core::TenantSettings::default(), nudge_bundle::STANDARD_POLICY);
    let store = run.scheduler.store();
    assert!(run.summary.notices_sent > 0 && run.summary.sent_in_quiet_hours == 0);
    let before = run.scheduler.summary(&run.tenant).unwrap();
    assert_eq!(before, run.summary);
    let mut customers = store.customers(&run.tenant).unwrap();
    customers.sort_by_key(|c| c.id.clone());
    let chosen: Vec<_> = customers.into_iter().filter(|c| c.phone.is_some()).take(3).collect();
    assert_eq!(chosen.len(), 3);
    let end = jiff::Timestamp::from_second(1_391_212_800).unwrap();
    for c in &chosen {
        f_erase(&run, &c.id, end);
    }
    assert_eq!(run.scheduler.summary(&run.tenant).unwrap(), before, "same counts after erasing three customers");
    let outbox: Vec<String> = std::fs::read_dir(run.dir.path().join("outbox").join(run.tenant.as_str()))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    for c in &chosen {
        for needle in [c.email.clone().unwrap(), c.phone.clone().unwrap(), c.name.clone()] {
            assert!(store.find_bytes(needle.as_bytes()).unwrap().is_empty(), "{needle} left in the store");
            assert!(!outbox.iter().any(|t| t.contains(&needle)), "{needle} left in the outbox");
        }
    }
}

fn f_erase(run: &harness::Replayed, id: &CustomerId, at: jiff::Timestamp) {
    run.scheduler.erase_customer(&run.tenant, id, at).unwrap();
}
