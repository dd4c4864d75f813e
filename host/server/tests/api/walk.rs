//! A walk through the API as an operator and two tenants would use it,
//! with rows of the real accounts-receivable CSV.

use jiff::{ToSpan, Zoned};
use nudge_core::TenantId;
use serde_json::{Value, json};

use crate::{OPERATOR, TestServer, call, call_with, send_json};

const CSV: &str = include_str!("../../../../examples/data/accounts-receivable.csv");

/// Request bodies by id.
pub type Rows = Vec<(String, Value)>;

/// Customers and invoices of the CSV as API bodies: three customers and up
/// to two invoices each, their dates moved so that each falls due 10 days
/// from today (the gap between issue and due date is the CSV's).
pub fn csv_rows() -> (Rows, Rows) {
    let data = nudge_ingest::ar::read(CSV.as_bytes(), &TenantId::new("a").unwrap()).unwrap();
    let today = Zoned::now().date();
    let mut customers = Vec::new();
    let mut invoices = Vec::new();
    for customer in data.customers.iter().take(3) {
        customers.push((
            customer.id.to_string(),
            json!({
                "time_zone": customer.time_zone, "name": customer.name, "email": customer.email,
                "phone": customer.phone, "language": customer.language, "tier": customer.tier,
            }),
        ));
        for row in data.invoices.iter().filter(|i| i.invoice.customer == customer.id).take(2) {
            let i = &row.invoice;
            let due_on = today.checked_add(10.days()).unwrap();
            let issued_on = due_on.checked_sub(i.due_on - i.issued_on).unwrap();
            invoices.push((
                i.id.to_string(),
                json!({
                    "customer": i.customer, "amount_minor": i.total.amount_minor, "currency": i.total.currency,
                    "issued_on": issued_on.to_string(), "due_on": due_on.to_string(), "number": i.number,
                    "disputed": i.disputed, "payment_link": i.payment_link,
                }),
            ));
        }
    }
    (customers, invoices)
}

pub fn create_tenant(server: &TestServer, id: &str) -> String {
    let answer =
        send_json(server, "POST", "/v1/admin/tenants", OPERATOR, &json!({ "id": id, "name": format!("Tenant {id}") }));
    assert_eq!(answer.status, 201, "{}", answer.text);
    let key = answer.json()["api_key"]["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("nudge_"), "{key}");
    key
}

fn ids(answer: &crate::Answer) -> Vec<String> {
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json()["data"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn operator_and_two_tenants_walk_the_api() {
    let server = TestServer::start(TestServer::config());

    // Probes.
    assert_eq!(call(&server, "GET", "/healthz", None, None).status, 200);
    server.wait_ready();

    // Admin routes need the operator token.
    call(&server, "GET", "/v1/admin/tenants", None, None).assert_error(401, "unauthorized");
    call(&server, "GET", "/v1/admin/tenants", Some("not-the-token"), None).assert_error(401, "unauthorized");
    let a = create_tenant(&server, "tenant-a");
    let b = create_tenant(&server, "tenant-b");
    send_json(&server, "POST", "/v1/admin/tenants", OPERATOR, &json!({ "id": "tenant-a", "name": "again" }))
        .assert_error(409, "tenant_exists");
    let msg = send_json(&server, "POST", "/v1/admin/tenants", OPERATOR, &json!({ "id": "bad/id", "name": "x" }))
        .assert_error(422, "invalid");
    assert!(msg.contains("id"), "{msg}");
    let tenants = call(&server, "GET", "/v1/admin/tenants", Some(OPERATOR), None);
    assert_eq!(ids(&tenants).len(), 2);
    // Keys are never shown again, nor their hashes.
    let keys = call(&server, "GET", "/v1/admin/tenants/tenant-a/keys", Some(OPERATOR), None);
    assert!(!keys.text.contains(&a[20..]) && !keys.text.contains("sha256"), "{}", keys.text);
    // A tenant key is not an operator token, and the reverse.
    call(&server, "GET", "/v1/admin/tenants", Some(&a), None).assert_error(401, "unauthorized");
    call(&server, "GET", "/v1/customers", Some(OPERATOR), None).assert_error(401, "unauthorized");

    // Tenant A uploads the bundled standard policy and activates it.
    let upload = call(&server, "POST", "/v1/plugins", Some(&a), Some(nudge_bundle::STANDARD_POLICY));
    assert_eq!(upload.status, 201, "{}", upload.text);
    assert_eq!(upload.json()["version"], 1);
    assert!(upload.json()["dry_run"]["fixtures"].as_u64().unwrap() > 0);
    let plugins = call(&server, "GET", "/v1/plugins", Some(&a), None).json();
    assert_eq!(plugins["active"], Value::Null);
    assert_eq!(call(&server, "POST", "/v1/plugins/1/activate", Some(&a), None).status, 200);
    assert_eq!(call(&server, "GET", "/v1/plugins", Some(&a), None).json()["active"], 1);
    call(&server, "POST", "/v1/plugins", Some(&a), Some(b"not wasm")).assert_error(422, "plugin_rejected");
    call(&server, "POST", "/v1/plugins/rollback", Some(&a), None).assert_error(409, "nothing_to_roll_back");

    // Tenant A puts customers and invoices from the CSV.
    let (customers, invoices) = csv_rows();
    for (id, body) in &customers {
        let put = send_json(&server, "PUT", &format!("/v1/customers/{id}"), &a, body);
        assert_eq!(put.status, 201, "{}", put.text);
        assert_eq!(send_json(&server, "PUT", &format!("/v1/customers/{id}"), &a, body).status, 200);
    }
    for (id, body) in &invoices {
        let put = send_json(&server, "PUT", &format!("/v1/invoices/{id}"), &a, body);
        assert_eq!(put.status, 201, "{}", put.text);
        assert_eq!(put.json()["status"], "open");
    }
    let (customer_a, invoice_a) = (&customers[0].0, &invoices[0].0);
    let got = call(&server, "GET", &format!("/v1/customers/{customer_a}"), Some(&a), None);
    assert_eq!(got.json()["time_zone"], customers[0].1["time_zone"]);

    // Cursor pagination walks every customer once.
    let mut seen = Vec::new();
    let mut path = "/v1/customers?limit=2".to_string();
    loop {
        let page = call(&server, "GET", &path, Some(&a), None);
        seen.extend(ids(&page));
        match page.json()["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/customers?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let mut expected: Vec<String> = customers.iter().map(|(id, _)| id.clone()).collect();
    expected.sort();
    assert_eq!(seen, expected);
    call(&server, "GET", "/v1/customers?limit=0", Some(&a), None).assert_error(400, "bad_query");

    // The policy scheduled a pre-due notice for A's undisputed invoices.
    let notices = call(&server, "GET", "/v1/notices", Some(&a), None).json();
    let notices = notices["data"].as_array().unwrap();
    let undisputed = invoices.iter().filter(|(_, body)| body["disputed"] == false).count();
    assert!(undisputed > 0);
    assert_eq!(notices.len(), undisputed, "{notices:?}");
    assert!(notices.iter().all(|n| n["tenant"] == "tenant-a" && n["step"] == "pre-due"), "{notices:?}");

    // B sees none of it: A's ids answer exactly as ids that exist nowhere.
    for (path, missing) in [
        (format!("/v1/customers/{customer_a}"), "/v1/customers/nobody".to_string()),
        (format!("/v1/invoices/{invoice_a}"), "/v1/invoices/nothing".to_string()),
        ("/v1/plugins/1".to_string(), "/v1/plugins/99".to_string()),
    ] {
        let theirs = call(&server, "GET", &path, Some(&b), None);
        theirs.assert_error(404, "not_found");
        assert!(!theirs.text.contains("tenant-a"), "{}", theirs.text);
        call(&server, "GET", &missing, Some(&b), None).assert_error(404, "not_found");
    }
    call(&server, "POST", "/v1/plugins/1/activate", Some(&b), None).assert_error(404, "not_found");
    for list in ["/v1/customers", "/v1/invoices", "/v1/payments", "/v1/notices", "/v1/incidents"] {
        assert!(ids(&call(&server, "GET", list, Some(&b), None)).is_empty(), "{list}");
    }
    assert_eq!(call(&server, "GET", "/v1/plugins", Some(&b), None).json()["data"], json!([]));
    let pay = json!({ "id": "pay-b", "invoice": invoice_a, "amount_minor": 1 });
    send_json(&server, "POST", "/v1/payments", &b, &pay).assert_error(422, "unknown_invoice");
    let mut invoice = invoices[0].1.clone();
    send_json(&server, "PUT", "/v1/invoices/b-1", &b, &invoice).assert_error(422, "unknown_customer");
    // A's invoice is unchanged by B's attempts.
    assert_eq!(call(&server, "GET", &format!("/v1/invoices/{invoice_a}"), Some(&a), None).json()["status"], "open");

    // Bad input: not JSON, the wrong shape, a bad value; each says what was wrong.
    let msg =
        call(&server, "PUT", "/v1/customers/x", Some(&a), Some(b"{\"time_zone\": ")).assert_error(400, "bad_json");
    assert!(msg.contains("not valid JSON"), "{msg}");
    let msg = send_json(&server, "PUT", "/v1/customers/x", &a, &json!({ "time_zone": "UTC", "colour": "red" }))
        .assert_error(422, "invalid");
    assert!(msg.contains("colour"), "{msg}");
    let msg = send_json(&server, "PUT", "/v1/customers/x", &a, &json!({ "time_zone": "Mars/Olympus" }))
        .assert_error(422, "invalid");
    assert!(msg.contains("time_zone"), "{msg}");
    invoice["due_on"] = json!("2020-13-01");
    let msg = send_json(&server, "PUT", "/v1/invoices/x", &a, &invoice).assert_error(422, "invalid");
    assert!(msg.contains("due_on"), "{msg}");
    call(&server, "GET", "/v1/nowhere", Some(&a), None).assert_error(404, "no_route");
    call(&server, "DELETE", "/v1/customers", Some(&a), None).assert_error(405, "method_not_allowed");

    // Payments: idempotent by payment id, and by Idempotency-Key.
    let amount = invoices[0].1["amount_minor"].clone();
    let pay = json!({ "id": "pay-1", "invoice": invoice_a, "amount_minor": amount });
    let key = [("Idempotency-Key", "k-1")];
    let first = call_with(&server, "POST", "/v1/payments", Some(&a), Some(pay.to_string().as_bytes()), &key);
    assert_eq!(first.status, 201, "{}", first.text);
    assert!(!first.replayed);
    let again = call_with(&server, "POST", "/v1/payments", Some(&a), Some(pay.to_string().as_bytes()), &key);
    assert_eq!((again.status, again.replayed, &again.text), (201, true, &first.text));
    let other = json!({ "id": "pay-2", "invoice": invoice_a, "amount_minor": 1 });
    call_with(&server, "POST", "/v1/payments", Some(&a), Some(other.to_string().as_bytes()), &key)
        .assert_error(409, "idempotency_key_reused");
    let repeat = send_json(&server, "POST", "/v1/payments", &a, &pay);
    assert_eq!((repeat.status, repeat.json()["recorded"].clone()), (200, json!(false)));
    assert_eq!(call(&server, "GET", &format!("/v1/invoices/{invoice_a}"), Some(&a), None).json()["status"], "paid");
    assert_eq!(ids(&call(&server, "GET", "/v1/payments", Some(&a), None)), ["pay-1"]);
    // The same key is B's own: no clash across tenants.
    let b_pay = json!({ "id": "p", "invoice": "none", "amount_minor": 1 });
    let b_answer = call_with(&server, "POST", "/v1/payments", Some(&b), Some(b_pay.to_string().as_bytes()), &key);
    assert!(!b_answer.replayed);
    b_answer.assert_error(422, "unknown_invoice");

    // Keys: missing, malformed, rotated, revoked.
    call(&server, "GET", "/v1/customers", None, None).assert_error(401, "unauthorized");
    call(&server, "GET", "/v1/customers", Some("nudge_0000_ffff"), None).assert_error(401, "unauthorized");
    let flipped = if a.ends_with('0') { '1' } else { '0' };
    let tampered = format!("{}{flipped}", &a[..a.len() - 1]);
    call(&server, "GET", "/v1/customers", Some(&tampered), None).assert_error(401, "unauthorized");
    let rotated = call(&server, "POST", "/v1/admin/tenants/tenant-a/keys", Some(OPERATOR), None);
    assert_eq!(rotated.status, 201, "{}", rotated.text);
    let (new_key, new_id) = {
        let json = rotated.json();
        (json["api_key"]["key"].as_str().unwrap().to_string(), json["api_key"]["id"].as_str().unwrap().to_string())
    };
    assert_eq!(ids(&call(&server, "GET", "/v1/customers", Some(&new_key), None)).len(), customers.len());
    let old_id = a.split('_').nth(1).unwrap();
    // B's tenant cannot revoke A's key through its own path.
    call(&server, "DELETE", &format!("/v1/admin/tenants/tenant-b/keys/{old_id}"), Some(OPERATOR), None)
        .assert_error(404, "not_found");
    let revoked = call(&server, "DELETE", &format!("/v1/admin/tenants/tenant-a/keys/{old_id}"), Some(OPERATOR), None);
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert!(revoked.json()["api_key"]["revoked_at"].is_string());
    call(&server, "GET", "/v1/customers", Some(&a), None).assert_error(401, "unauthorized");
    assert_eq!(call(&server, "GET", "/v1/customers", Some(&new_key), None).status, 200);
    let listed = call(&server, "GET", "/v1/admin/tenants/tenant-a/keys", Some(OPERATOR), None).json();
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
    assert!(listed.to_string().contains(&new_id));

    // Metrics: plugin metering, notices by state, HTTP requests by route.
    let metrics = call(&server, "GET", "/metrics", None, None);
    assert_eq!(metrics.status, 200);
    for needle in [
        "nudge_decide_calls_total{result=\"ok\"}",
        "nudge_notices{state=\"scheduled\"}",
        "nudge_tenants 2",
        "nudge_http_requests_total{method=\"PUT\",route=\"/v1/customers/{id}\",status=\"201\"}",
    ] {
        assert!(metrics.text.contains(needle), "{needle} missing from\n{}", metrics.text);
    }
    assert!(!metrics.text.contains(customer_a.as_str()), "ids never become labels");
}
