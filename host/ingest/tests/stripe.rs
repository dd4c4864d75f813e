//! Stripe webhooks on Stripe's own example objects (fixtures/stripe).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::Timestamp;
use nudge_core::{InvoiceStatus, TenantId, time};
use nudge_ingest::stripe::{self, CustomerEvent, EventError, InvoiceEvent, MapError, Payload};
use serde_json::{Value, json};

const INVOICE: &str = include_str!("fixtures/stripe/invoice.json");
const CUSTOMER: &str = include_str!("fixtures/stripe/customer.json");

fn tenant() -> TenantId {
    TenantId::new("acme").unwrap()
}

/// Stripe's example object with `changes` merged in at the top level.
fn object(base: &str, changes: Value) -> Value {
    let mut object: Value = serde_json::from_str(base).unwrap();
    for (k, v) in changes.as_object().unwrap() {
        object[k] = v.clone();
    }
    object
}

fn envelope(id: &str, type_name: &str, created: i64, object: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"id": id, "object": "event", "type": type_name, "created": created,
        "livemode": false, "api_version": "2024-06-20", "data": {"object": object}}))
    .unwrap()
}

fn open_invoice() -> Value {
    object(
        INVOICE,
        json!({"status": "open", "due_date": 1_721_980_800, "number": "7FE1103-0001",
               "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test_1",
               "status_transitions": {"finalized_at": 1_721_954_054, "paid_at": null, "voided_at": null,
                                      "marked_uncollectible_at": null}}),
    )
}

#[test]
fn each_of_the_eight_types_parses_to_its_kind() {
    let invoice_kinds = [
        ("invoice.finalized", InvoiceEvent::Finalized),
        ("invoice.paid", InvoiceEvent::Paid),
        ("invoice.payment_failed", InvoiceEvent::PaymentFailed),
        ("invoice.voided", InvoiceEvent::Voided),
        ("invoice.marked_uncollectible", InvoiceEvent::MarkedUncollectible),
        ("invoice.overdue", InvoiceEvent::Overdue),
    ];
    for (type_name, expected) in invoice_kinds {
        let event = stripe::parse_event(&envelope("evt_1", type_name, 1_721_954_100, open_invoice())).unwrap();
        assert_eq!(event.type_name, type_name);
        assert_eq!(event.created, Timestamp::from_second(1_721_954_100).unwrap());
        let Payload::Invoice { kind, invoice } = event.payload else { panic!("{type_name}: not an invoice") };
        assert_eq!(kind, expected);
        assert_eq!(invoice.id, "in_1Pgc6tB7WZ01zgkWu9fdqL6I");
        assert_eq!(invoice.customer.as_deref(), Some("cus_QXg1o8vcGmoR32"));
        assert_eq!((invoice.amount_due, invoice.amount_remaining), (1000, 1000));
    }
    for (type_name, expected) in
        [("customer.created", CustomerEvent::Created), ("customer.updated", CustomerEvent::Updated)]
    {
        let customer = object(CUSTOMER, json!({}));
        let event = stripe::parse_event(&envelope("evt_2", type_name, 1_721_954_100, customer)).unwrap();
        let Payload::Customer { kind, customer } = event.payload else { panic!("{type_name}: not a customer") };
        assert_eq!(kind, expected);
        assert_eq!(customer.id, "cus_QXg1o8vcGmoR32");
    }
    assert_eq!(stripe::SUPPORTED_TYPES.len(), 8);
}

#[test]
fn unsupported_types_are_acknowledged_not_refused() {
    let charge = json!({"id": "ch_1", "object": "charge"});
    for type_name in ["charge.succeeded", "customer.deleted", "invoice.created", "invoice.upcoming"] {
        let event = stripe::parse_event(&envelope("evt_3", type_name, 1_700_000_000, charge.clone())).unwrap();
        assert_eq!(event.payload, Payload::Unsupported, "{type_name}");
    }
}

#[test]
fn malformed_events_say_what_is_wrong() {
    let err = |body: &[u8]| stripe::parse_event(body).unwrap_err();
    assert!(matches!(err(b"not json"), EventError::NotJson(_)));
    assert_eq!(err(b"[]").to_string(), "event field (body): expected a JSON object");
    let no_id = br#"{"type":"invoice.paid","created":1,"data":{"object":{}}}"#;
    assert_eq!(err(no_id).to_string(), "event field id: missing");
    let bad_created = br#"{"id":"evt_1","type":"invoice.paid","created":"yesterday","data":{"object":{}}}"#;
    assert_eq!(err(bad_created).to_string(), "event field created: expected Unix seconds (an integer)");
    let no_object = br#"{"id":"evt_1","type":"invoice.paid","created":1}"#;
    assert_eq!(err(no_object).to_string(), "event field data.object: missing");
    // A customer where an invoice belongs.
    let wrong = envelope("evt_1", "invoice.paid", 1, object(CUSTOMER, json!({})));
    let text = err(&wrong).to_string();
    assert!(text.contains("\"customer\" object, expected \"invoice\""), "{text}");
    // The invoice lacks a field nudge needs: serde names it.
    let mut missing = open_invoice();
    missing.as_object_mut().unwrap().remove("amount_remaining");
    let text = err(&envelope("evt_1", "invoice.paid", 1, missing)).to_string();
    assert!(text.contains("evt_1") && text.contains("missing field `amount_remaining`"), "{text}");
    let wrong_type = object(INVOICE, json!({"amount_due": "ten"}));
    let text = err(&envelope("evt_1", "invoice.paid", 1, wrong_type)).to_string();
    assert!(text.contains("invalid type") && text.contains("data.object"), "{text}");
}

#[test]
fn an_invoice_maps_amounts_currency_dates_status_and_link() {
    let event = stripe::parse_event(&envelope("evt_1", "invoice.finalized", 1_721_954_100, open_invoice())).unwrap();
    let Payload::Invoice { invoice, .. } = event.payload else { panic!() };
    let london = time::zone("Europe/London").unwrap();
    let mapped = stripe::invoice(&invoice, &tenant(), &london).unwrap();
    let i = mapped.invoice;
    assert_eq!(i.total.to_string(), "USD 10.00", "minor units, currency upper-cased");
    assert_eq!(i.amount_remaining_minor, 1000);
    assert_eq!(i.status, InvoiceStatus::Open);
    assert_eq!(i.number, "7FE1103-0001");
    assert_eq!(i.customer.as_str(), "cus_QXg1o8vcGmoR32");
    assert_eq!(i.payment_link.as_deref(), Some("https://invoice.stripe.com/i/acct_1/test_1"));
    // finalized_at 1721954054 = 2024-07-26T00:34:14Z, 01:34 in London.
    assert_eq!(mapped.issued_at.as_second(), 1_721_954_054);
    assert_eq!(i.issued_on.to_string(), "2024-07-26");
    // due_date 1721980800 = 2024-07-26T08:00:00Z.
    assert_eq!(i.due_on.to_string(), "2024-07-26");
    // Read in a zone west of UTC the same instants fall a day earlier.
    let la = time::zone("America/Los_Angeles").unwrap();
    let west = stripe::invoice(&invoice, &tenant(), &la).unwrap().invoice;
    assert_eq!((west.issued_on.to_string(), west.due_on.to_string()), ("2024-07-25".into(), "2024-07-26".into()));
}

#[test]
fn statuses_map_one_to_one_and_a_draft_is_refused() {
    let london = time::zone("Europe/London").unwrap();
    let map = |changes: Value| {
        let mut o = open_invoice();
        for (k, v) in changes.as_object().unwrap() {
            o[k] = v.clone();
        }
        let inv: stripe::StripeInvoice = serde_json::from_value(o).unwrap();
        stripe::invoice(&inv, &tenant(), &london)
    };
    let paid = map(json!({"status": "paid", "amount_paid": 1000, "amount_remaining": 0,
        "status_transitions": {"finalized_at": 1_721_954_054, "paid_at": 1_722_000_000}}))
    .unwrap();
    assert_eq!(paid.invoice.status, InvoiceStatus::Paid);
    assert_eq!(paid.paid_at.map(|t| t.as_second()), Some(1_722_000_000));
    assert_eq!(map(json!({"status": "void"})).unwrap().invoice.status, InvoiceStatus::Void);
    assert_eq!(map(json!({"status": "uncollectible"})).unwrap().invoice.status, InvoiceStatus::Uncollectible);
    // Stripe's fixture as published is a draft.
    let draft: stripe::StripeInvoice = serde_json::from_str(INVOICE).unwrap();
    let err = stripe::invoice(&draft, &tenant(), &london).unwrap_err().to_string();
    assert!(err.contains("field status") && err.contains("draft"), "{err}");
    let err = map(json!({"status": "weird"})).unwrap_err().to_string();
    assert!(err.contains("expected open, paid, void or uncollectible"), "{err}");
    let err = map(json!({"currency": "dollars"})).unwrap_err().to_string();
    assert!(err.contains("field currency") && err.contains("DOLLARS"), "{err}");
    let err = map(json!({"amount_remaining": 2000})).unwrap_err();
    assert!(matches!(err, MapError::Field { field: "amount_remaining", .. }), "{err}");
    let err = map(json!({"due_date": 1_600_000_000})).unwrap_err().to_string();
    assert!(err.contains("before the day the invoice was issued"), "{err}");
    // Without a due date, the end of the billed period, never before the issue day.
    let period = map(json!({"due_date": null, "period_end": 1_722_902_400})).unwrap();
    assert_eq!(period.invoice.due_on.to_string(), "2024-08-06");
    let none = map(json!({"due_date": null, "period_end": null})).unwrap();
    assert_eq!(none.invoice.due_on, none.invoice.issued_on);
    // Only an https link is a payment link.
    assert_eq!(map(json!({"hosted_invoice_url": "javascript:alert(1)"})).unwrap().invoice.payment_link, None);
}

#[test]
fn a_customer_maps_contacts_zone_language_and_says_what_it_dropped() {
    let parse =
        |changes: Value| -> stripe::StripeCustomer { serde_json::from_value(object(CUSTOMER, changes)).unwrap() };
    // Stripe's fixture: no contacts, no country, empty metadata: tenant default zone.
    let bare = stripe::customer(&parse(json!({})), &tenant(), "America/Chicago").unwrap();
    assert_eq!(bare.customer.time_zone, "America/Chicago");
    assert_eq!(bare.customer.name, "Customer cus_QXg1o8vcGmoR32");
    assert_eq!((bare.customer.email.clone(), bare.customer.phone.clone()), (None, None));
    assert!(bare.customer.reachable_channels().is_empty());
    assert!(bare.warnings.is_empty());

    let full = stripe::customer(
        &parse(json!({"name": "Ada Lovelace", "email": "ada@example.invalid", "phone": "+44 (0)7700 900-123",
                      "address": {"country": "gb"}, "preferred_locales": ["en-GB", "fr"],
                      "metadata": {"tier": "gold", "preferred_channel": "sms"}})),
        &tenant(),
        "UTC",
    );
    let full = full.unwrap();
    let c = &full.customer;
    assert_eq!(c.name, "Ada Lovelace");
    assert_eq!(c.email.as_deref(), Some("ada@example.invalid"));
    assert_eq!(c.phone.as_deref(), Some("+447700900123"));
    assert_eq!(c.time_zone, "Europe/London", "from the address country");
    assert_eq!((c.language.as_str(), c.tier.as_str()), ("en-GB", "gold"));
    assert_eq!(c.preferred_channel, Some(nudge_core::Channel::Sms));

    // Metadata wins over the country; a multi-zone country is not guessed.
    let meta = stripe::customer(
        &parse(json!({"address": {"country": "GB"}, "metadata": {"time_zone": "Asia/Tokyo"}})),
        &tenant(),
        "UTC",
    );
    assert_eq!(meta.unwrap().customer.time_zone, "Asia/Tokyo");
    let us = stripe::customer(&parse(json!({"address": {"country": "US"}})), &tenant(), "America/New_York").unwrap();
    assert_eq!(us.customer.time_zone, "America/New_York", "US spans several zones: the tenant default");

    let err = stripe::customer(&parse(json!({"metadata": {"time_zone": "Mars/Olympus"}})), &tenant(), "UTC");
    let err = err.unwrap_err().to_string();
    assert!(err.contains("metadata.time_zone") && err.contains("Mars/Olympus"), "{err}");

    let dropped = stripe::customer(
        &parse(json!({"email": "not an address", "phone": "0800 123", "metadata": {"preferred_channel": "fax"}})),
        &tenant(),
        "UTC",
    )
    .unwrap();
    assert_eq!((dropped.customer.email.clone(), dropped.customer.phone.clone()), (None, None));
    assert_eq!(dropped.warnings.len(), 3, "{:?}", dropped.warnings);
    assert!(dropped.warnings.iter().any(|w| w.contains("international form")));
    assert!(!dropped.warnings.iter().any(|w| w.contains("0800 123")), "warnings never repeat a phone number");
}

#[test]
fn every_country_zone_is_a_real_zone() {
    for country in ["GB", "de", "IN", "JP", "ZA", "SG", "AR"] {
        let zone = stripe::country_zone(country).unwrap();
        time::zone(zone).unwrap();
    }
    for multi in ["US", "CA", "AU", "BR", "RU", "MX", "ES", "XX"] {
        assert_eq!(stripe::country_zone(multi), None, "{multi}");
    }
}

#[test]
fn a_customer_known_only_from_an_invoice_takes_the_invoice_contacts() {
    let inv: stripe::StripeInvoice = serde_json::from_value(object(
        INVOICE,
        json!({"customer_email": "bob@example.invalid", "customer_name": "Bob", "customer_address": {"country": "DE"}}),
    ))
    .unwrap();
    let c = stripe::customer_from_invoice(&inv, &tenant(), "UTC").unwrap().customer;
    assert_eq!(c.id.as_str(), "cus_QXg1o8vcGmoR32");
    assert_eq!(
        (c.name.as_str(), c.email.as_deref(), c.time_zone.as_str()),
        ("Bob", Some("bob@example.invalid"), "Europe/Berlin")
    );
}

#[test]
fn a_signed_fixture_event_verifies_and_parses() {
    let body = envelope("evt_9", "invoice.paid", 1_721_954_100, open_invoice());
    let at = Timestamp::from_second(1_721_954_101).unwrap();
    let header = stripe::sign(&body, "whsec_abc", at);
    stripe::verify_signature(&body, &header, &["whsec_abc"], at, stripe::DEFAULT_TOLERANCE).unwrap();
    assert_eq!(stripe::parse_event(&body).unwrap().id, "evt_9");
}
