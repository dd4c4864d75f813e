//! `POST /v1/imports`: the accounts-receivable CSV over HTTP, imported whole
//! in one transaction or not at all.

use nudge_core::TenantId;
use serde_json::json;

use crate::{OPERATOR, TestServer, call, call_with, send_json};

const CSV: &str = include_str!("../../../../examples/data/accounts-receivable.csv");

fn tenant(server: &TestServer, id: &str) -> String {
    let answer = send_json(server, "POST", "/v1/admin/tenants", OPERATOR, &json!({ "id": id, "name": id }));
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.json()["api_key"]["key"].as_str().unwrap().to_string()
}

fn import(server: &TestServer, key: &str, csv: &str) -> crate::Answer {
    call_with(server, "POST", "/v1/imports", Some(key), Some(csv.as_bytes()), &[("Content-Type", "text/csv")])
}

/// Customers, invoices and payments stored for `tenant`.
fn counts(server: &TestServer, tenant: &str) -> (usize, usize, usize) {
    let (store, t) = (server.scheduler.store(), TenantId::new(tenant).unwrap());
    (store.customers(&t).unwrap().len(), store.invoices(&t).unwrap().len(), store.payments(&t).unwrap().len())
}

#[test]
fn the_example_file_imports_whole_and_again_harmlessly() {
    let server = TestServer::start(TestServer::config());
    let key = tenant(&server, "acme");
    let rows = CSV.lines().count() - 1;
    let first = import(&server, &key, CSV);
    assert_eq!(first.status, 200, "{}", first.text);
    let report = first.json();
    assert_eq!(report["invoices"], rows, "{report}");
    assert_eq!(report["payments"], rows, "every row of the file is settled: {report}");
    let customers = report["customers"].as_u64().unwrap() as usize;
    assert!(customers > 1 && customers < rows, "{report}");
    assert_eq!(counts(&server, "acme"), (customers, rows, rows));
    // Settled history: every invoice is paid, and the policy was not asked.
    let invoices = server.scheduler.store().invoices(&TenantId::new("acme").unwrap()).unwrap();
    assert!(invoices.iter().all(|i| i.status == nudge_core::InvoiceStatus::Paid));
    assert!(server.scheduler.store().notices(&TenantId::new("acme").unwrap()).unwrap().is_empty());

    // The same file again: nothing new, nothing changed.
    let again = import(&server, &key, CSV);
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json(), json!({ "customers": customers, "invoices": rows, "payments": 0 }));
    assert_eq!(counts(&server, "acme"), (customers, rows, rows));
    let after = server.scheduler.store().invoices(&TenantId::new("acme").unwrap()).unwrap();
    assert_eq!(after, invoices);
    // Lists over HTTP see the import.
    let page = call(&server, "GET", "/v1/invoices?limit=5", Some(&key), None).json();
    assert_eq!(page["data"].as_array().unwrap().len(), 5);
}

#[test]
fn bad_rows_are_all_listed_by_line_and_nothing_is_stored() {
    let server = TestServer::start(TestServer::config());
    let key = tenant(&server, "acme");
    let mut lines: Vec<String> = CSV.lines().take(8).map(str::to_string).collect();
    // Line 3: an unknown country code; line 6: an amount that is no number.
    lines[2] = lines[2].replacen(lines[2].split(',').next().unwrap(), "999", 1);
    let mut fields: Vec<&str> = lines[5].split(',').collect();
    fields[6] = "lots";
    lines[5] = fields.join(",");
    let answer = import(&server, &key, &(lines.join("\n") + "\n"));
    let message = answer.assert_error_with_details(422, "rows_rejected");
    assert!(message.contains("nothing was imported"), "{message}");
    let rejected = answer.json()["error"]["rejected"].as_array().unwrap().clone();
    let at: Vec<(u64, String)> = rejected
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["column"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(at, [(3, "countryCode".to_string()), (6, "InvoiceAmount".to_string())], "{rejected:?}");
    assert!(rejected.iter().all(|r| !r["reason"].as_str().unwrap().is_empty()));
    assert_eq!(counts(&server, "acme"), (0, 0, 0));

    // Not CSV: said so.
    call(&server, "POST", "/v1/imports", Some(&key), Some(CSV.as_bytes())).assert_error(415, "unsupported_media_type");
    // A header without the columns: said which.
    let msg = import(&server, &key, "a,b\n1,2\n").assert_error(422, "bad_import");
    assert!(msg.contains("customerID"), "{msg}");
    assert_eq!(counts(&server, "acme"), (0, 0, 0));
}
