//! Opt-out, export and erasure over HTTP, scoped like every tenant route,
//! and the report.

use jiff::{ToSpan, Zoned};
use serde_json::json;

use crate::{OPERATOR, TestServer, call, send_json};

#[test]
fn customers_can_be_opted_out_exported_and_erased_by_their_tenant_only() {
    let server = TestServer::start(TestServer::config());
    let key = |id: &str| {
        let created = send_json(&server, "POST", "/v1/admin/tenants", OPERATOR, &json!({ "id": id, "name": id }));
        created.json()["api_key"]["key"].as_str().unwrap().to_string()
    };
    let (a, b) = (key("a"), key("b"));
    let customer = json!({ "time_zone": "Europe/London", "name": "Ada Lovelace",
                           "email": "ada@customers.nudge.invalid", "phone": "+447700900123" });
    assert_eq!(send_json(&server, "PUT", "/v1/customers/ada", &a, &customer).status, 201);
    let due_on = Zoned::now().date().checked_add(10.days()).unwrap();
    let invoice = json!({ "customer": "ada", "amount_minor": 5594, "currency": "USD",
                          "issued_on": Zoned::now().date().to_string(), "due_on": due_on.to_string() });
    assert_eq!(send_json(&server, "PUT", "/v1/invoices/inv-1", &a, &invoice).status, 201);

    // Another tenant cannot reach the customer through any of these routes.
    call(&server, "POST", "/v1/customers/ada/opt-out", Some(&b), Some(b"{}")).assert_error(404, "not_found");
    call(&server, "GET", "/v1/customers/ada/export", Some(&b), None).assert_error(404, "not_found");
    call(&server, "DELETE", "/v1/customers/ada", Some(&b), None).assert_error(404, "not_found");

    let opted = send_json(&server, "POST", "/v1/customers/ada/opt-out", &a, &json!({ "channel": "sms" }));
    assert_eq!(opted.json(), json!({ "opted_out": ["sms"] }));
    send_json(&server, "POST", "/v1/customers/ada/opt-out", &a, &json!({ "channel": "fax" }))
        .assert_error(422, "invalid");
    // A tenant's later PUT does not undo the customer's opt-out.
    let again = send_json(&server, "PUT", "/v1/customers/ada", &a, &customer);
    assert_eq!(again.json()["opted_out"], json!(["sms"]), "{}", again.text);

    let export = call(&server, "GET", "/v1/customers/ada/export", Some(&a), None);
    assert_eq!(export.status, 200, "{}", export.text);
    assert!(export.text.contains("Ada Lovelace") && export.text.contains("inv-1"), "{}", export.text);

    let scheduled = call(&server, "GET", "/v1/notices", Some(&a), None).json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["state"]["state"] == "scheduled")
        .count();
    assert!(scheduled > 0, "the built-in policy scheduled the pre-due notice");
    let erased = call(&server, "DELETE", "/v1/customers/ada", Some(&a), None);
    assert_eq!(erased.status, 200, "{}", erased.text);
    assert_eq!(erased.json()["notices_cancelled"], scheduled);
    let now = call(&server, "GET", "/v1/customers/ada", Some(&a), None).json();
    assert_eq!((now["name"].as_str(), now["email"].as_str()), (Some("[erased]"), None));
    send_json(&server, "PUT", "/v1/customers/ada", &a, &customer).assert_error(409, "customer_erased");
    assert!(!call(&server, "GET", "/v1/customers/ada/export", Some(&a), None).text.contains("Lovelace"));

    let report = call(&server, "GET", "/v1/report", Some(&a), None);
    assert_eq!(report.status, 200, "{}", report.text);
    assert!(report.json().is_object());
    call(&server, "POST", "/v1/report", Some(&a), None).assert_error(405, "method_not_allowed");
}
