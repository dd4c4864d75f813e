//! Stripe webhooks over HTTP: signed deliveries are applied once, anything
//! unsigned, mis-signed or stale is refused, and one tenant's secret does
//! not sign for another.

use jiff::{SignedDuration, Timestamp};
use nudge_ingest::stripe::sign;
use serde_json::{Value, json};

use crate::{OPERATOR, TestServer, call, call_with, send_json};

const CUSTOMER: &str = include_str!("../../../ingest/tests/fixtures/stripe/customer.json");
const CUSTOMER_ID: &str = "cus_QXg1o8vcGmoR32";

fn customer_created(id: &str) -> Vec<u8> {
    let mut object: Value = serde_json::from_str(CUSTOMER).unwrap();
    object["name"] = json!("Ada Lovelace");
    object["email"] = json!("ada@example.invalid");
    object["address"] = json!({ "country": "FR" });
    let event = json!({ "id": id, "object": "event", "type": "customer.created", "created": 1_719_824_400,
                        "livemode": false, "data": { "object": object } });
    serde_json::to_vec(&event).unwrap()
}

fn deliver(server: &TestServer, tenant: &str, body: &[u8], signature: Option<&str>) -> crate::Answer {
    let headers: Vec<(&str, &str)> = signature.map(|s| ("Stripe-Signature", s)).into_iter().collect();
    call_with(server, "POST", &format!("/v1/stripe/webhooks/{tenant}"), None, Some(body), &headers)
}

#[test]
fn signed_stripe_events_are_applied_once_and_nothing_else_is() {
    let server = TestServer::start(TestServer::config());
    let key = |id: &str| {
        let created = send_json(&server, "POST", "/v1/admin/tenants", OPERATOR, &json!({ "id": id, "name": id }));
        created.json()["api_key"]["key"].as_str().unwrap().to_string()
    };
    let (a, b) = (key("a"), key("b"));
    let body = customer_created("evt_1");
    let now = Timestamp::now();

    // No secrets yet: no endpoint, the same answer as for no tenant at all.
    deliver(&server, "a", &body, Some(&sign(&body, "whsec_a_secret", now))).assert_error(404, "not_found");
    deliver(&server, "nobody", &body, Some(&sign(&body, "whsec_a_secret", now))).assert_error(404, "not_found");

    let set = send_json(&server, "PUT", "/v1/stripe/webhook-secrets", &a, &json!({ "secrets": ["whsec_a_secret"] }));
    assert_eq!(set.status, 200, "{}", set.text);
    assert!(!set.text.contains("whsec_"), "secrets are never echoed: {}", set.text);
    send_json(&server, "PUT", "/v1/stripe/webhook-secrets", &b, &json!({ "secrets": ["sk_live_oops"] }))
        .assert_error(422, "invalid");
    send_json(&server, "PUT", "/v1/stripe/webhook-secrets", &b, &json!({ "secrets": ["whsec_b_secret"] }));

    // Unsigned, signed with B's secret, stale, or tampered with: refused.
    deliver(&server, "a", &body, None).assert_error(400, "missing_signature");
    deliver(&server, "a", &body, Some(&sign(&body, "whsec_b_secret", now))).assert_error(400, "bad_signature");
    let old = now - SignedDuration::from_mins(10);
    deliver(&server, "a", &body, Some(&sign(&body, "whsec_a_secret", old))).assert_error(400, "bad_signature");
    let tampered = customer_created("evt_2");
    deliver(&server, "a", &tampered, Some(&sign(&body, "whsec_a_secret", now))).assert_error(400, "bad_signature");
    call(&server, "GET", &format!("/v1/customers/{CUSTOMER_ID}"), Some(&a), None).assert_error(404, "not_found");

    // Signed: applied, then a duplicate.
    let first = deliver(&server, "a", &body, Some(&sign(&body, "whsec_a_secret", now)));
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.json()["result"], "changed", "{}", first.text);
    let again = deliver(&server, "a", &body, Some(&sign(&body, "whsec_a_secret", now)));
    assert_eq!(again.json()["result"], "duplicate", "{}", again.text);
    let customer = call(&server, "GET", &format!("/v1/customers/{CUSTOMER_ID}"), Some(&a), None).json();
    assert_eq!(customer["name"], "Ada Lovelace");
    call(&server, "GET", &format!("/v1/customers/{CUSTOMER_ID}"), Some(&b), None).assert_error(404, "not_found");

    // A signed body that is not an event says so.
    let junk = b"{\"hello\": 1}";
    deliver(&server, "a", junk, Some(&sign(junk, "whsec_a_secret", now))).assert_error(400, "bad_event");
}

const INVOICE: &str = include_str!("../../../ingest/tests/fixtures/stripe/invoice.json");

/// The fixture invoice as `id`, in `status`, in an event of `type_name`.
fn invoice_event(event: &str, type_name: &str, invoice: &str, status: &str, created: i64) -> Vec<u8> {
    let mut object: Value = serde_json::from_str(INVOICE).unwrap();
    let paid = status == "paid";
    for (k, v) in json!({
        "id": invoice, "status": status, "due_date": 1_721_034_000, "collection_method": "send_invoice",
        "amount_paid": if paid { 1000 } else { 0 }, "amount_remaining": if paid { 0 } else { 1000 },
        "customer_email": "ada@example.invalid", "customer_name": "Ada Lovelace", "customer_address": {"country": "GB"},
        "status_transitions": {"finalized_at": 1_719_824_400, "paid_at": if paid { json!(created) } else { Value::Null },
                               "voided_at": null, "marked_uncollectible_at": null},
    })
    .as_object()
    .unwrap()
    {
        object[k] = v.clone();
    }
    let event = json!({ "id": event, "object": "event", "type": type_name, "created": created,
                        "livemode": false, "data": { "object": object } });
    serde_json::to_vec(&event).unwrap()
}

/// Stripe delivering the same signed `invoice.paid` twice at once (it
/// retries when an answer is slow): exactly one delivery applies it, the
/// other answers `duplicate`, and one payment is recorded. Five rounds, each
/// with both requests released together from a barrier.
#[test]
fn the_same_webhook_delivered_twice_at_once_is_applied_exactly_once() {
    let server = TestServer::start(TestServer::config());
    let created = send_json(&server, "POST", "/v1/admin/tenants", OPERATOR, &json!({ "id": "a", "name": "A" }));
    let key = created.json()["api_key"]["key"].as_str().unwrap().to_string();
    send_json(&server, "PUT", "/v1/stripe/webhook-secrets", &key, &json!({ "secrets": ["whsec_race"] }));
    for round in 0..5 {
        let invoice = format!("in_race_{round}");
        let finalized =
            invoice_event(&format!("evt_fin_{round}"), "invoice.finalized", &invoice, "open", 1_719_824_400);
        let first = deliver(&server, "a", &finalized, Some(&sign(&finalized, "whsec_race", Timestamp::now())));
        assert_eq!(first.json()["result"], "changed", "{}", first.text);

        let paid = invoice_event(&format!("evt_paid_{round}"), "invoice.paid", &invoice, "paid", 1_721_100_000);
        let signature = sign(&paid, "whsec_race", Timestamp::now());
        let barrier = std::sync::Barrier::new(2);
        let mut results: Vec<String> = std::thread::scope(|s| {
            let both: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        let answer = deliver(&server, "a", &paid, Some(&signature));
                        assert_eq!(answer.status, 200, "{}", answer.text);
                        answer.json()["result"].as_str().unwrap().to_string()
                    })
                })
                .collect();
            both.into_iter().map(|t| t.join().unwrap()).collect()
        });
        results.sort();
        assert_eq!(results, ["changed", "duplicate"], "round {round}");
        let payments = call(&server, "GET", "/v1/payments?limit=500", Some(&key), None).json();
        let for_invoice: Vec<_> =
            payments["data"].as_array().unwrap().iter().filter(|p| p["invoice"] == invoice.as_str()).collect();
        assert_eq!(for_invoice.len(), 1, "round {round}: {payments}");
    }
    let tenant = nudge_core::TenantId::new("a").unwrap();
    let recorded = server
        .scheduler
        .store()
        .events(&tenant)
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.kind, nudge_core::EventKind::PaymentRecorded { .. }))
        .count();
    assert_eq!(recorded, 5, "one payment event per invoice");
}
