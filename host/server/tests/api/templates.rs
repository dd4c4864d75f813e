//! Templates over HTTP: upload with validation, list, read, preview,
//! delete, the fallback locale; tenant B never sees tenant A's.

use serde_json::json;

use crate::{OPERATOR, TestServer, call, send_json};

fn tenant(server: &TestServer, id: &str) -> String {
    let created =
        send_json(server, "POST", "/v1/admin/tenants", OPERATOR, &json!({ "id": id, "name": format!("{id} GmbH") }));
    assert_eq!(created.status, 201, "{}", created.text);
    created.json()["api_key"]["key"].as_str().unwrap().to_string()
}

#[test]
fn templates_are_validated_previewed_and_scoped_to_their_tenant() {
    let server = TestServer::start(TestServer::config());
    let (a, b) = (tenant(&server, "a"), tenant(&server, "b"));
    let path = "/v1/templates/firm/email/de";
    let body = json!({
        "subject": "Rechnung {{ invoice_number }} ist überfällig",
        "body": "Hallo {{ customer_name }},\n{{ amount }} sind seit {{ days_overdue }} Tagen offen.\n",
        "html": "<p>Hallo {{ customer_name }}</p><img src=\"{{ open_pixel_url }}\">",
    });
    let created = send_json(&server, "PUT", path, &a, &body);
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!((created.json()["revision"].clone(), created.json()["locale"].clone()), (json!(1), json!("de")));
    let replaced = send_json(&server, "PUT", "/v1/templates/firm/email/DE", &a, &body);
    assert_eq!((replaced.status, replaced.json()["revision"].clone()), (200, json!(2)), "{}", replaced.text);

    // Validation: a syntax error and an unknown variable with their lines; a subject on SMS.
    let bad = json!({ "subject": "Hi", "body": "Hallo\n{{ customer_name }\n", "html": "<p>{{ kunde }}</p>" });
    let msg = send_json(&server, "PUT", path, &a, &bad).assert_error(422, "template_invalid");
    assert!(msg.contains("body, line 2, column "), "{msg}");
    assert!(msg.contains("html, line 1, column 7: unknown variable `kunde`"), "{msg}");
    let msg = send_json(&server, "PUT", "/v1/templates/firm/sms/de", &a, &json!({ "subject": "x", "body": "y" }))
        .assert_error(422, "template_invalid");
    assert!(msg.contains("subject: a sms template has no subject"), "{msg}");
    let msg = send_json(&server, "PUT", "/v1/templates/firm/fax/de", &a, &json!({ "body": "y" }))
        .assert_error(422, "invalid");
    assert!(msg.contains("channel"), "{msg}");
    send_json(&server, "PUT", "/v1/templates/firm/sms/xx%20yy", &a, &json!({ "body": "y" }))
        .assert_error(422, "invalid");
    send_json(&server, "PUT", "/v1/templates/firm/sms/de", &a, &json!({ "body": "y", "colour": 1 }))
        .assert_error(422, "invalid");
    let too_big = json!({ "body": "x".repeat(70_000) });
    let msg =
        send_json(&server, "PUT", "/v1/templates/firm/sms/de", &a, &too_big).assert_error(422, "template_invalid");
    assert!(msg.contains("over the limit"), "{msg}");
    // Nothing invalid was stored.
    assert_eq!(call(&server, "GET", "/v1/templates/firm/sms/de", Some(&a), None).status, 404);

    let sms = json!({ "body": "{{ tenant_name }}: {{ amount }} offen. Zahlen: {{ payment_link }}" });
    assert_eq!(send_json(&server, "PUT", "/v1/templates/firm/sms/de", &a, &sms).status, 201);
    let listed = call(&server, "GET", "/v1/templates", Some(&a), None).json();
    assert_eq!(listed["fallback_locale"], "en");
    let ids: Vec<String> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{}/{}/{}",
                t["name"].as_str().unwrap(),
                t["channel"].as_str().unwrap(),
                t["locale"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(ids, ["firm/email/de", "firm/sms/de"]);
    let first = call(&server, "GET", "/v1/templates?limit=1", Some(&a), None).json();
    assert_eq!(first["data"].as_array().unwrap().len(), 1);
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    assert_eq!(cursor, "firm/email/de");
    let rest = call(&server, "GET", &format!("/v1/templates?limit=1&cursor={}", cursor), Some(&a), None);
    assert_eq!(rest.json()["data"][0]["channel"], "sms", "{}", rest.text);
    assert_eq!(rest.json()["next_cursor"], serde_json::Value::Null);
    let one = call(&server, "GET", path, Some(&a), None).json();
    assert_eq!(one["source"]["subject"], body["subject"]);

    // Preview: a stored template against the sample invoice, and a draft.
    let preview = send_json(
        &server,
        "POST",
        "/v1/templates/preview",
        &a,
        &json!({ "name": "firm", "channel": "email", "locale": "de" }),
    );
    assert_eq!(preview.status, 200, "{}", preview.text);
    let p = preview.json();
    assert_eq!(p["subject"], "Rechnung inv-3 ist überfällig");
    assert!(p["text"].as_str().unwrap().starts_with("Hallo Bo Jensen,\n$250.00 sind seit "), "{p}");
    assert_eq!(p["html"], "<p>Hallo Bo Jensen</p><img src=\"\">", "no tracker: no pixel");
    let p = send_json(
        &server,
        "POST",
        "/v1/templates/preview",
        &a,
        &json!({ "name": "firm", "channel": "sms", "locale": "de" }),
    )
    .json();
    assert_eq!(p["sms"]["segments"], 1, "{p}");
    assert_eq!(p["sms"]["encoding"], "gsm-7", "{p}");
    let draft = json!({ "channel": "sms", "source": { "body": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}" } });
    let msg = send_json(&server, "POST", "/v1/templates/preview", &a, &draft).assert_error(422, "template_failed");
    assert!(msg.contains("fuel"), "{msg}");
    send_json(&server, "POST", "/v1/templates/preview", &a, &json!({ "channel": "sms" })).assert_error(422, "invalid");
    send_json(
        &server,
        "POST",
        "/v1/templates/preview",
        &a,
        &json!({ "name": "firm", "channel": "sms", "locale": "de", "invoice": "nope" }),
    )
    .assert_error(422, "unknown_invoice");

    // Tenant B sees none of A's templates, and cannot change or preview them.
    call(&server, "GET", path, Some(&b), None).assert_error(404, "not_found");
    call(&server, "DELETE", path, Some(&b), None).assert_error(404, "not_found");
    assert_eq!(call(&server, "GET", "/v1/templates", Some(&b), None).json()["data"], json!([]));
    send_json(
        &server,
        "POST",
        "/v1/templates/preview",
        &b,
        &json!({ "name": "firm", "channel": "email", "locale": "de" }),
    )
    .assert_error(404, "not_found");
    let theirs = send_json(&server, "PUT", path, &b, &json!({ "subject": "B", "body": "B {{ amount }}" }));
    assert_eq!((theirs.status, theirs.json()["revision"].clone()), (201, json!(1)), "B's own template of the same key");
    assert_eq!(call(&server, "GET", path, Some(&a), None).json()["revision"], 2, "A's is untouched");

    // The fallback locale; then delete.
    let set = send_json(&server, "PUT", "/v1/templates/fallback-locale", &a, &json!({ "fallback_locale": "de" }));
    assert_eq!(set.json(), json!({ "fallback_locale": "de" }));
    send_json(&server, "PUT", "/v1/templates/fallback-locale", &a, &json!({ "fallback_locale": "no such" }))
        .assert_error(422, "invalid");
    assert_eq!(call(&server, "GET", "/v1/templates", Some(&a), None).json()["fallback_locale"], "de");
    assert_eq!(call(&server, "GET", "/v1/templates", Some(&b), None).json()["fallback_locale"], "en");
    assert_eq!(call(&server, "DELETE", path, Some(&a), None).status, 200);
    call(&server, "DELETE", path, Some(&a), None).assert_error(404, "not_found");
    call(&server, "GET", path, Some(&a), None).assert_error(404, "not_found");
    assert_eq!(call(&server, "GET", path, Some(&b), None).status, 200, "B's stays");
    call(&server, "POST", "/v1/templates", Some(&a), None).assert_error(405, "method_not_allowed");
}
