//! The cross-tenant walk: tenant A holds data, and tenant B's key walks
//! every tenant route of the route table aimed at A's ids. Each answer is a
//! 404/403, a refusal, or B's own (empty) data; no answer holds anything of
//! A's that B did not send itself; A's records are unchanged afterwards.
//!
//! Driven by [`nudge_server::ROUTES`]: a tenant route without a rule below
//! fails the test, so a new route is walked from the day it is added.

use nudge_core::{Incident, IncidentKind, InvoiceId, TenantId};
use nudge_server::{Access, ROUTES};
use serde_json::{Value, json};

use crate::{
    Answer, TestServer, call, call_with, send_json,
    walk::{create_tenant, csv_rows},
};

/// What B must get.
enum Expect {
    /// 404 (or 403): A's record does not exist for B.
    Hidden,
    /// 200 with an empty `data` list: B's own, empty.
    Empty,
    /// This status and error code.
    Refused(u16, &'static str),
    /// Success (200 or 201) on B's own records; A's stay as they were.
    Own,
}

/// One request of the walk for an operation.
struct Step {
    /// Path parameters in order of the pattern.
    params: Vec<String>,
    /// The body and its media type.
    body: Option<(Vec<u8>, &'static str)>,
    expect: Expect,
    /// Runs after every read: writes that create B's own records.
    late: bool,
}

/// What tenant A holds.
struct TenantA {
    customers: Vec<String>,
    invoices: Vec<String>,
    notices: Vec<String>,
    /// Names, emails, amounts, the payment id, the webhook secret...
    secrets: Vec<String>,
}

const SECRET: &str = "whsec_tenant_a_only_0123456789";

fn json_body(value: Value) -> Option<(Vec<u8>, &'static str)> {
    Some((value.to_string().into_bytes(), "application/json"))
}

/// The walk rule of each tenant operation, aimed at A's ids.
fn rule(operation: &str, a: &TenantA) -> Option<Step> {
    let (c0, c1, c2) = (a.customers[0].clone(), a.customers[1].clone(), a.customers[2].clone());
    let (i0, i1) = (a.invoices[0].clone(), a.invoices[1].clone());
    let n0 = a.notices[0].clone();
    let template = || vec!["firm".to_string(), "sms".to_string(), "en".to_string()];
    let step = |params: Vec<String>, body, expect| Step { params, body, expect, late: false };
    Some(match operation {
        "listCustomers" | "listInvoices" | "listPayments" | "listNotices" | "listIncidents" | "listEvents"
        | "listTemplates" => step(vec![], None, Expect::Empty),
        "getCustomer" | "exportCustomer" | "eraseCustomer" => step(vec![c0], None, Expect::Hidden),
        "optOutCustomer" => step(vec![c0], json_body(json!({})), Expect::Hidden),
        "getInvoice" => step(vec![i0.clone()], None, Expect::Hidden),
        "getNotice" | "cancelNotice" => step(vec![n0], None, Expect::Hidden),
        "recordEvent" => step(vec![], json_body(json!({ "notice": n0, "kind": "opened" })), Expect::Hidden),
        "sendInvoiceNotice" => step(vec![i0.clone()], json_body(json!({})), Expect::Hidden),
        "getTemplate" | "deleteTemplate" => step(template(), None, Expect::Hidden),
        "previewTemplate" => step(
            vec![],
            json_body(json!({ "name": "firm", "channel": "sms", "locale": "en", "invoice": i0 })),
            Expect::Hidden,
        ),
        "putTemplate" => Step {
            params: template(),
            body: json_body(json!({ "body": "B's own reminder: {{ amount }}" })),
            expect: Expect::Own,
            late: true,
        },
        "putFallbackLocale" => Step {
            params: vec![],
            body: json_body(json!({ "fallback_locale": "de" })),
            expect: Expect::Own,
            late: true,
        },
        "getPlugin" => step(vec!["1".into()], None, Expect::Hidden),
        "activatePlugin" => step(vec!["1".into()], None, Expect::Hidden),
        "simulatePlugin" => step(vec!["1".into()], None, Expect::Hidden),
        "rollbackPlugin" => step(vec![], None, Expect::Refused(409, "nothing_to_roll_back")),
        "uploadPlugin" => step(
            vec![],
            Some((b"not a component".to_vec(), "application/wasm")),
            Expect::Refused(422, "plugin_rejected"),
        ),
        // B's report and plugin list: B's own, empty.
        "getReport" | "listPlugins" => step(vec![], None, Expect::Own),
        "recordPayment" => step(
            vec![],
            json_body(json!({ "id": "pay-b", "invoice": i0, "amount_minor": 1 })),
            Expect::Refused(422, "unknown_invoice"),
        ),
        "putInvoice" => step(
            vec![i1.clone()],
            json_body(json!({
                "customer": c2, "amount_minor": 1, "currency": "USD", "issued_on": "2026-01-01", "due_on": "2026-02-01",
            })),
            Expect::Refused(422, "unknown_customer"),
        ),
        // Writes under A's ids make B's own records, after the reads.
        "putCustomer" => Step {
            params: vec![c1],
            body: json_body(json!({ "time_zone": "UTC", "name": "B's own", "email": "own@b.example" })),
            expect: Expect::Own,
            late: true,
        },
        "putWebhookSecrets" => Step {
            params: vec![],
            body: json_body(json!({ "secrets": ["whsec_tenant_b_0123456789"] })),
            expect: Expect::Own,
            late: true,
        },
        "importCsv" => Step {
            params: vec![],
            // A's customer id in a row of B's own file.
            body: Some((
                format!(
                    "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,Disputed,\
                     SettledDate,PaperlessBill,DaysToSettle,DaysLate\n\
                     391,{c2},4/6/2013,B-0001,1/2/2013,2/1/2013,1.23,No,1/15/2013,Paper,13,0\n"
                )
                .into_bytes(),
                "text/csv",
            )),
            expect: Expect::Own,
            late: true,
        },
        _ => return None,
    })
}

/// Everything the store holds for `tenant`, to compare before and after.
fn snapshot(server: &TestServer, tenant: &TenantId) -> Value {
    let store = server.scheduler.store();
    json!({
        "customers": store.customers(tenant).unwrap(),
        "invoices": store.invoices(tenant).unwrap(),
        "payments": store.payments(tenant).unwrap(),
        "notices": store.notices(tenant).unwrap(),
        "incidents": store.incidents(tenant).unwrap(),
        "plugins": store.plugins(tenant).unwrap(),
        "active": store.active_plugin_version(tenant).unwrap(),
        "secrets": store.webhook_secrets(tenant).unwrap().map(|s| s.secrets),
    })
}

/// Gives tenant A customers, invoices, a payment, a plugin, notices, an
/// incident and a webhook secret.
fn fill_tenant_a(server: &TestServer, key: &str) -> TenantA {
    let upload = call(server, "POST", "/v1/plugins", Some(key), Some(nudge_bundle::STANDARD_POLICY));
    assert_eq!(upload.status, 201, "{}", upload.text);
    assert_eq!(call(server, "POST", "/v1/plugins/1/activate", Some(key), None).status, 200);
    let (customers, invoices) = csv_rows();
    let mut secrets = vec![SECRET.to_string(), "tenant-a".to_string(), "Tenant tenant-a".to_string()];
    for (id, body) in &customers {
        assert_eq!(send_json(server, "PUT", &format!("/v1/customers/{id}"), key, body).status, 201);
        secrets.push(id.clone());
        for field in ["name", "email", "phone"] {
            secrets.extend(body[field].as_str().map(str::to_string));
        }
    }
    for (id, body) in &invoices {
        assert_eq!(send_json(server, "PUT", &format!("/v1/invoices/{id}"), key, body).status, 201);
        secrets.push(id.clone());
        secrets.push(format!(":{},", body["amount_minor"]));
        secrets.extend(body["number"].as_str().map(str::to_string));
    }
    let pay = json!({ "id": "pay-a-secret", "invoice": invoices[0].0, "amount_minor": 4321 });
    assert_eq!(send_json(server, "POST", "/v1/payments", key, &pay).status, 201);
    secrets.extend(["pay-a-secret".to_string(), ":4321,".to_string()]);
    let secret = json!({ "secrets": [SECRET] });
    assert_eq!(send_json(server, "PUT", "/v1/stripe/webhook-secrets", key, &secret).status, 200);
    let tenant = TenantId::new("tenant-a").unwrap();
    let incident = Incident {
        tenant: tenant.clone(),
        plugin_version: 1,
        invoice: InvoiceId::new(invoices[1].0.as_str()).unwrap(),
        at: jiff::Timestamp::now(),
        kind: IncidentKind::Trap,
        message: "incident-of-tenant-a".into(),
        fuel_used: 1,
        wall_us: 1,
        peak_memory_bytes: 0,
        output_bytes: 0,
        fallback: "default-policy".into(),
    };
    server.scheduler.store().transact(|tx| tx.record_incident(&incident)).unwrap();
    secrets.push("incident-of-tenant-a".into());
    let template = json!({ "body": "template-of-tenant-a {{ amount }}" });
    assert_eq!(send_json(server, "PUT", "/v1/templates/firm/sms/en", key, &template).status, 201);
    secrets.push("template-of-tenant-a".into());
    let store = server.scheduler.store();
    assert!(!store.notices(&tenant).unwrap().is_empty(), "A's policy scheduled notices");
    let notices: Vec<String> = store.notices(&tenant).unwrap().into_iter().map(|n| n.id.to_string()).collect();
    secrets.extend(notices.iter().cloned());
    TenantA {
        notices,
        customers: customers.into_iter().map(|(id, _)| id).collect(),
        invoices: invoices.into_iter().map(|(id, _)| id).collect(),
        secrets,
    }
}

fn check(answer: &Answer, expect: &Expect, what: &str) {
    match expect {
        Expect::Hidden => {
            assert!([403, 404].contains(&answer.status), "{what}: expected 404/403, got {}", answer.text);
            assert_ne!(answer.json()["error"]["code"], "no_route", "{what}");
        }
        Expect::Empty => {
            assert_eq!(answer.status, 200, "{what}: {}", answer.text);
            assert_eq!(answer.json()["data"], json!([]), "{what}");
        }
        Expect::Refused(status, code) => {
            answer.assert_error(*status, code);
        }
        Expect::Own => assert!([200, 201].contains(&answer.status), "{what}: {}", answer.text),
    }
}

#[test]
fn tenant_b_walks_every_tenant_route_at_a_s_ids_and_sees_nothing_of_a() {
    let server = TestServer::start(TestServer::config());
    let a_key = create_tenant(&server, "tenant-a");
    let b_key = create_tenant(&server, "tenant-b");
    let a = fill_tenant_a(&server, &a_key);
    let tenant_a = TenantId::new("tenant-a").unwrap();
    let before = snapshot(&server, &tenant_a);

    let mut steps = Vec::new();
    for route in ROUTES.iter().filter(|r| r.access == Access::Tenant) {
        let step = rule(route.operation, &a).unwrap_or_else(|| {
            panic!(
                "{} {} ({}) has no rule in the cross-tenant walk: add one to rule() in tests/api/isolation.rs",
                route.method, route.path, route.operation
            )
        });
        steps.push((route, step));
    }
    steps.sort_by_key(|(_, step)| step.late);
    for (route, step) in &steps {
        let mut path = route.path.to_string();
        let names: Vec<&str> = route.params().collect();
        assert_eq!(names.len(), step.params.len(), "{}: one value per path parameter", route.operation);
        for (name, value) in names.iter().zip(&step.params) {
            path = path.replace(&format!("{{{name}}}"), value);
        }
        let what = format!("{} {path} ({}) with B's key", route.method, route.operation);
        let (body, media) = match &step.body {
            Some((bytes, media)) => (Some(bytes.as_slice()), *media),
            None => (None, "application/json"),
        };
        let answer = call_with(&server, route.method.as_str(), &path, Some(&b_key), body, &[("Content-Type", media)]);
        check(&answer, &step.expect, &what);
        // Nothing of A's that B did not send itself.
        let sent = format!("{path} {}", String::from_utf8_lossy(body.unwrap_or_default()));
        for secret in a.secrets.iter().filter(|s| !sent.contains(s.trim_matches([':', ',']))) {
            assert!(!answer.text.contains(secret.as_str()), "{what} leaks {secret:?}: {}", answer.text);
        }
    }
    assert!(steps.len() >= 20, "{} tenant routes walked", steps.len());

    // A's records are as they were; B's writes made B's own records.
    assert_eq!(snapshot(&server, &tenant_a), before, "B's walk changed A's records");
    let b_customer = call(&server, "GET", &format!("/v1/customers/{}", a.customers[1]), Some(&b_key), None).json();
    assert_eq!((b_customer["tenant"].as_str(), b_customer["name"].as_str()), (Some("tenant-b"), Some("B's own")));
    let a_customer = call(&server, "GET", &format!("/v1/customers/{}", a.customers[1]), Some(&a_key), None).json();
    assert_eq!(a_customer["tenant"], "tenant-a");
    assert_ne!(a_customer["name"], "B's own");
}
