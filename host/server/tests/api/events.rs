//! Engagement events, one notice, cancel and manual send over HTTP, each
//! scoped to the key's tenant; tracking links in buckets of their own.

use jiff::{Timestamp, ToSpan, tz::TimeZone};
use nudge_server::ServerConfig;
use serde_json::{Value, json};

use crate::{OPERATOR, TestServer, call, call_with, send_json, tick::zone_at_lunchtime};

fn tenant(server: &TestServer, id: &str) -> String {
    let answer = send_json(server, "POST", "/v1/admin/tenants", OPERATOR, &json!({ "id": id, "name": id }));
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.json()["api_key"]["key"].as_str().unwrap().to_string()
}

/// A customer where it is lunchtime now, with an invoice due in 10 days
/// (the built-in policy's first notice is 11 days away).
fn customer_and_invoice(server: &TestServer, key: &str) {
    let zone = zone_at_lunchtime();
    let customer = json!({ "time_zone": zone, "email": "ada@customers.nudge.invalid" });
    assert_eq!(send_json(server, "PUT", "/v1/customers/ada", key, &customer).status, 201);
    let today = Timestamp::now().to_zoned(TimeZone::get(&zone).unwrap()).date();
    let invoice = json!({ "customer": "ada", "amount_minor": 5594, "currency": "USD",
                          "issued_on": today.to_string(), "due_on": today.checked_add(10.days()).unwrap().to_string(),
                          "payment_link": "https://pay.nudge.invalid/inv-1" });
    assert_eq!(send_json(server, "PUT", "/v1/invoices/inv-1", key, &invoice).status, 201);
}

fn post_event(server: &TestServer, key: &str, body: &Value) -> crate::Answer {
    send_json(server, "POST", "/v1/events", key, body)
}

#[test]
fn notices_are_sent_by_hand_cancelled_and_reported_on_by_their_tenant_only() {
    let server = TestServer::start(TestServer::config());
    let (a, b) = (tenant(&server, "tenant-a"), tenant(&server, "tenant-b"));
    customer_and_invoice(&server, &a);

    // A manual send goes out at once; a second one the same day is held by the cap.
    let sent = send_json(&server, "POST", "/v1/invoices/inv-1/send", &a, &json!({ "tone": "firm" }));
    assert_eq!(sent.status, 201, "{}", sent.text);
    let sent = sent.json();
    assert_eq!(
        (&sent["step"], &sent["tone"], &sent["state"]["state"]),
        (&json!("manual-1"), &json!("firm"), &json!("sent"))
    );
    let sent_id = sent["id"].as_str().unwrap().to_string();
    let held = call(&server, "POST", "/v1/invoices/inv-1/send", Some(&a), None);
    assert_eq!(held.status, 201, "{}", held.text);
    let held = held.json();
    assert_eq!((&held["step"], &held["state"]["state"]), (&json!("manual-2"), &json!("scheduled")));
    let held_until: Timestamp = held["send_at"].as_str().unwrap().parse().unwrap();
    assert!(held_until > Timestamp::now() + jiff::SignedDuration::from_hours(23), "held a day: {held_until}");
    let held_id = held["id"].as_str().unwrap().to_string();
    let msg = send_json(&server, "POST", "/v1/invoices/inv-1/send", &a, &json!({ "step": "manual-1" }))
        .assert_error(409, "step_taken");
    assert!(msg.contains("manual-1"), "{msg}");
    send_json(&server, "POST", "/v1/invoices/inv-1/send", &a, &json!({ "channel": "fax" }))
        .assert_error(422, "invalid");
    call(&server, "POST", "/v1/invoices/nothing/send", Some(&a), None).assert_error(404, "not_found");

    // One notice; cancelling the held one, then again, then the sent one.
    let got = call(&server, "GET", &format!("/v1/notices/{sent_id}"), Some(&a), None);
    assert_eq!((got.status, got.json()["id"].as_str()), (200, Some(sent_id.as_str())));
    let cancelled = call(&server, "POST", &format!("/v1/notices/{held_id}/cancel"), Some(&a), None);
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    let state = &cancelled.json()["state"];
    assert_eq!((&state["state"], &state["reason"]), (&json!("suppressed"), &json!("cancelled by tenant")));
    let msg = call(&server, "POST", &format!("/v1/notices/{held_id}/cancel"), Some(&a), None)
        .assert_error(409, "notice_not_cancellable");
    assert!(msg.contains("suppressed"), "{msg}");
    call(&server, "POST", &format!("/v1/notices/{sent_id}/cancel"), Some(&a), None)
        .assert_error(409, "notice_not_cancellable");
    call(&server, "GET", "/v1/notices/not-a-notice", Some(&a), None).assert_error(404, "not_found");
    call(&server, "DELETE", &format!("/v1/notices/{sent_id}"), Some(&a), None).assert_error(405, "method_not_allowed");

    // Tenant B sees none of it, and its answers are those for ids that exist nowhere.
    for (method, path) in [
        ("GET", format!("/v1/notices/{sent_id}")),
        ("POST", format!("/v1/notices/{sent_id}/cancel")),
        ("POST", "/v1/invoices/inv-1/send".to_string()),
    ] {
        let theirs = call(&server, method, &path, Some(&b), None);
        theirs.assert_error(404, "not_found");
        assert!(!theirs.text.contains("tenant-a"), "{}", theirs.text);
    }
    let theirs = post_event(&server, &b, &json!({ "notice": sent_id, "kind": "opened" }));
    theirs.assert_error(404, "not_found");
    assert!(call(&server, "GET", "/v1/events", Some(&b), None).json()["data"].as_array().unwrap().is_empty());

    // Reports: bad ones say what is wrong.
    let msg = post_event(&server, &a, &json!({ "notice": sent_id, "kind": "read" })).assert_error(422, "invalid");
    assert!(msg.contains("unknown engagement kind") && msg.contains("opt-out"), "{msg}");
    let msg = post_event(&server, &a, &json!({ "notice": sent_id, "kind": "feedback" })).assert_error(422, "invalid");
    assert!(msg.contains("fair"), "{msg}");
    post_event(&server, &a, &json!({ "notice": sent_id, "kind": "opened", "fair": true })).assert_error(422, "invalid");
    let later = (Timestamp::now() + jiff::SignedDuration::from_hours(1)).to_string();
    let msg = post_event(&server, &a, &json!({ "notice": sent_id, "kind": "opened", "at": later }))
        .assert_error(422, "invalid");
    assert!(msg.contains("future"), "{msg}");
    post_event(&server, &a, &json!({ "notice": held_id, "kind": "opened" })).assert_error(409, "notice_not_sent");
    post_event(&server, &a, &json!({ "notice": "n0000000000000000", "kind": "opened" })).assert_error(404, "not_found");

    // Recorded once; a repeat is harmless; Idempotency-Key replays.
    let opened = json!({ "notice": sent_id, "kind": "opened" });
    let first = post_event(&server, &a, &opened);
    assert_eq!((first.status, first.json()["recorded"].clone()), (201, json!(true)), "{}", first.text);
    let again = post_event(&server, &a, &opened);
    assert_eq!((again.status, again.json()["recorded"].clone()), (200, json!(false)));
    let unfair =
        json!({ "notice": sent_id, "kind": "feedback", "fair": false, "detail": "I paid last week" }).to_string();
    let key = [("Idempotency-Key", "fb-1")];
    let first = call_with(&server, "POST", "/v1/events", Some(&a), Some(unfair.as_bytes()), &key);
    assert_eq!((first.status, first.json()["event"]["negative"].clone()), (201, json!(true)), "{}", first.text);
    let replay = call_with(&server, "POST", "/v1/events", Some(&a), Some(unfair.as_bytes()), &key);
    assert_eq!((replay.status, replay.replayed, &replay.text), (201, true, &first.text));

    // A bounce marks the address unverified, shown on the customer.
    let bounced =
        post_event(&server, &a, &json!({ "notice": sent_id, "kind": "bounced", "detail": "550 no such user" }));
    assert_eq!(bounced.json()["unverified"], json!(["email"]), "{}", bounced.text);
    assert_eq!(call(&server, "GET", "/v1/customers/ada", Some(&a), None).json()["unverified"], json!(["email"]));

    // The list walks every event once, in order.
    let mut kinds = Vec::new();
    let mut path = "/v1/events?limit=2".to_string();
    loop {
        let page = call(&server, "GET", &path, Some(&a), None).json();
        kinds.extend(page["data"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/events?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(kinds, ["opened", "feedback", "bounced"]);
    call(&server, "DELETE", "/v1/events", Some(&a), None).assert_error(405, "method_not_allowed");
}

#[test]
fn tracking_links_have_their_own_rate_limit_and_bad_tokens_learn_nothing() {
    let server =
        TestServer::start(ServerConfig { rate_limit_per_second: 1, rate_limit_burst: 5, ..TestServer::config() });
    let key = tenant(&server, "acme");
    customer_and_invoice(&server, &key);
    let sent = send_json(&server, "POST", "/v1/invoices/inv-1/send", &key, &json!({}));
    let notice = nudge_core::NoticeId::parse(sent.json()["id"].as_str().unwrap()).unwrap();
    let tracker = server.scheduler.tracker().expect("the server turned tracking on");
    assert_eq!(tracker.base_url(), server.base);
    let tenant_id = nudge_core::TenantId::new("acme").unwrap();
    let fair = tracker.url(&tenant_id, &notice, nudge_delivery::tracking::Action::FairYes);
    let path = fair.strip_prefix(&server.base).unwrap().to_string();

    for _ in 0..5 {
        let answer = call(&server, "GET", &path, None, None);
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    call(&server, "GET", &path, None, None).assert_error(429, "rate_limited");
    // The tenant's own API bucket is untouched: three of its five went on
    // the customer, the invoice and the send.
    assert_eq!(call(&server, "GET", "/v1/customers", Some(&key), None).status, 200);
    assert_eq!(call(&server, "GET", "/v1/customers", Some(&key), None).status, 200);

    // Garbage and forged tokens get the same page, naming no reason (and
    // share a bucket of their own).
    let other = nudge_delivery::tracking::Tracker::new(&server.base, [7; 32]).unwrap();
    let forged = other.url(&tenant_id, &notice, nudge_delivery::tracking::Action::Click);
    let pages: Vec<crate::Answer> = ["/t/garbage".to_string(), forged.strip_prefix(&server.base).unwrap().to_string()]
        .iter()
        .map(|p| call(&server, "GET", p, None, None))
        .collect();
    for page in &pages {
        assert_eq!(page.status, 404, "{}", page.text);
        assert!(!page.text.contains("signature") && !page.text.contains("malformed"), "{}", page.text);
    }
    assert_eq!(pages[0].text, pages[1].text);
}
