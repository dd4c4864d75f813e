//! `POST /v1/plugins/{version}/simulate`: a tenant's history replayed
//! through its plugin versions, as `nudge plugin simulate` does.

use nudge_core::TenantId;
use serde_json::json;

use crate::{OPERATOR, TestServer, call, call_with, send_json};

const CSV: &str = include_str!("../../../../examples/data/accounts-receivable.csv");

fn rows(n: usize) -> String {
    CSV.lines().take(n + 1).collect::<Vec<_>>().join("\n") + "\n"
}

#[test]
fn a_version_is_simulated_on_the_stored_history_or_a_csv_and_compared() {
    let server = TestServer::start(TestServer::config());
    let created = send_json(&server, "POST", "/v1/admin/tenants", OPERATOR, &json!({ "id": "acme", "name": "Acme" }));
    let key = created.json()["api_key"]["key"].as_str().unwrap().to_string();
    for policy in [nudge_bundle::STANDARD_POLICY, nudge_bundle::SEGMENTED_POLICY] {
        assert_eq!(call(&server, "POST", "/v1/plugins", Some(&key), Some(policy)).status, 201);
    }
    // Nothing to replay yet.
    call(&server, "POST", "/v1/plugins/1/simulate", Some(&key), None).assert_error(422, "no_history");
    let csv_header = [("Content-Type", "text/csv")];
    let imported = call_with(&server, "POST", "/v1/imports", Some(&key), Some(rows(150).as_bytes()), &csv_header);
    assert_eq!(imported.status, 200, "{}", imported.text);
    let tenant = TenantId::new("acme").unwrap();
    let before = serde_json::to_value(server.scheduler.store().invoices(&tenant).unwrap()).unwrap();

    // The stored history.
    let answer = call(&server, "POST", "/v1/plugins/1/simulate", Some(&key), None);
    assert_eq!(answer.status, 200, "{}", answer.text);
    let report = answer.json();
    assert_eq!(report["invoices"], 150);
    let summary = &report["simulated"]["summary"];
    assert_eq!(summary["invoices"], 150, "{summary}");
    assert!(summary["notices_sent"].as_u64().unwrap() > 0, "{summary}");
    let by_step = report["simulated"]["breakdown"]["by_step"].as_object().unwrap();
    assert!(!by_step.is_empty(), "{report}");
    assert!(report["simulated"]["breakdown"]["by_segment"].as_object().is_some_and(|s| !s.is_empty()));
    assert!(report["simulated"]["plugin"].as_str().unwrap().contains("version 1"), "{report}");
    assert_eq!((report["against_run"].clone(), report["changes"].clone()), (json!(null), json!(null)));

    // Against another version: both runs and what would change.
    let compared = call(&server, "POST", "/v1/plugins/2/simulate?against=1", Some(&key), None);
    assert_eq!(compared.status, 200, "{}", compared.text);
    let compared = compared.json();
    assert!(compared["against_run"]["plugin"].as_str().unwrap().contains("version 1"), "{compared}");
    assert!(compared["simulated"]["plugin"].as_str().unwrap().contains("version 2"), "{compared}");
    assert!(compared["changes"].is_object(), "{compared}");
    // The same version against itself changes nothing.
    let same = call(&server, "POST", "/v1/plugins/1/simulate?against=1", Some(&key), None).json();
    assert_eq!(same["simulated"]["summary"], same["against_run"]["summary"]);
    assert_eq!(same["changes"]["invoices_changed"], 0, "{same}");
    assert!(!answer_text_has_temp_paths(&same.to_string()));

    // A CSV body instead of the stored history.
    let answer =
        call_with(&server, "POST", "/v1/plugins/1/simulate", Some(&key), Some(rows(40).as_bytes()), &csv_header);
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json()["simulated"]["summary"]["invoices"], 40);

    // Bad requests say what was wrong.
    call(&server, "POST", "/v1/plugins/99/simulate", Some(&key), None).assert_error(404, "not_found");
    call(&server, "POST", "/v1/plugins/1/simulate?against=99", Some(&key), None).assert_error(404, "not_found");
    call(&server, "POST", "/v1/plugins/1/simulate?against=x", Some(&key), None).assert_error(400, "bad_query");
    call(&server, "POST", "/v1/plugins/1/simulate?colour=red", Some(&key), None).assert_error(400, "bad_query");
    call(&server, "POST", "/v1/plugins/1/simulate?against=1&colour=red", Some(&key), None)
        .assert_error(400, "bad_query");

    // The tenant's own data is untouched, and nothing was scheduled for it.
    assert_eq!(serde_json::to_value(server.scheduler.store().invoices(&tenant).unwrap()).unwrap(), before);
    assert!(server.scheduler.store().notices(&tenant).unwrap().is_empty());
}

#[test]
fn a_simulation_over_the_invoice_cap_is_refused_before_it_runs() {
    let server = TestServer::start(TestServer::config());
    let created = send_json(&server, "POST", "/v1/admin/tenants", OPERATOR, &json!({ "id": "big", "name": "Big" }));
    let key = created.json()["api_key"]["key"].as_str().unwrap().to_string();
    assert_eq!(call(&server, "POST", "/v1/plugins", Some(&key), Some(nudge_bundle::STANDARD_POLICY)).status, 201);
    let mut csv = CSV.lines().next().unwrap().to_string() + "\n";
    for i in 0..=nudge_server_cap() {
        csv.push_str(&format!(
            "391,C-{:03},4/6/2013,{i:010},1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\n",
            i % 97
        ));
    }
    let answer = call_with(
        &server,
        "POST",
        "/v1/plugins/1/simulate",
        Some(&key),
        Some(csv.as_bytes()),
        &[("Content-Type", "text/csv")],
    );
    let message = answer.assert_error(422, "too_many_invoices");
    assert!(message.contains("10000"), "{message}");
}

/// The documented cap (README, "nudge serve").
fn nudge_server_cap() -> usize {
    10_000
}

fn answer_text_has_temp_paths(text: &str) -> bool {
    text.contains("nudge-simulate-")
}
