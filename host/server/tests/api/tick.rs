//! The tick loop: a notice that falls due is sent by the running server,
//! with no request asking for it.

use std::time::{Duration, Instant};

use jiff::{Timestamp, ToSpan, tz::TimeZone};
use nudge_core::TenantId;
use serde_json::{Value, json};

use crate::{OPERATOR, TestServer, call, send_json};

const CSV: &str = include_str!("../../../../examples/data/accounts-receivable.csv");

/// A fixed-offset zone where it is 13:00 to 13:59 now, inside the default
/// send window whatever time the test runs at.
pub fn zone_at_lunchtime() -> String {
    let hour = i32::from(Timestamp::now().to_zoned(TimeZone::UTC).hour());
    let mut offset = 13 - hour;
    if offset < -12 {
        offset += 24;
    }
    match offset {
        0 => "UTC".to_string(),
        // POSIX signs are inverted: Etc/GMT-3 is UTC+3.
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    }
}

#[test]
fn a_notice_due_now_is_sent_by_the_tick_loop() {
    let server = TestServer::start(TestServer::config());
    server.wait_ready();
    let created = send_json(&server, "POST", "/v1/admin/tenants", OPERATOR, &json!({ "id": "acme", "name": "Acme" }));
    let key = created.json()["api_key"]["key"].as_str().unwrap().to_string();
    let upload = call(&server, "POST", "/v1/plugins", Some(&key), Some(nudge_bundle::STANDARD_POLICY));
    assert_eq!(upload.status, 201, "{}", upload.text);
    assert_eq!(call(&server, "POST", "/v1/plugins/1/activate", Some(&key), None).status, 200);

    // The first customer and invoice of the CSV, three days overdue today
    // in the customer's zone: the overdue-1 notice is due at once.
    let data = nudge_ingest::ar::read(CSV.as_bytes(), &TenantId::new("acme").unwrap()).unwrap();
    let row = &data.invoices.iter().find(|i| !i.invoice.disputed).unwrap().invoice;
    let zone = zone_at_lunchtime();
    let customer = json!({ "time_zone": zone, "email": format!("{}@customers.nudge.invalid", row.customer) });
    assert_eq!(send_json(&server, "PUT", &format!("/v1/customers/{}", row.customer), &key, &customer).status, 201);
    let today = Timestamp::now().to_zoned(TimeZone::get(&zone).unwrap()).date();
    let due_on = today.checked_sub(3.days()).unwrap();
    let issued_on = due_on.checked_sub(row.due_on - row.issued_on).unwrap();
    let invoice = json!({
        "customer": row.customer, "amount_minor": row.total.amount_minor, "currency": "USD",
        "issued_on": issued_on.to_string(), "due_on": due_on.to_string(),
    });
    let put = send_json(&server, "PUT", &format!("/v1/invoices/{}", row.id), &key, &invoice);
    assert_eq!(put.status, 201, "{}", put.text);

    let deadline = Instant::now() + Duration::from_secs(15);
    let notice: Value = loop {
        let notices = call(&server, "GET", "/v1/notices", Some(&key), None).json();
        let first = notices["data"][0].clone();
        if first["state"]["state"] == "sent" {
            break first;
        }
        assert!(Instant::now() < deadline, "never sent: {notices}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(notice["step"], "overdue-1");
    let tenant = TenantId::new("acme").unwrap();
    let id = nudge_core::NoticeId::derive(&tenant, &row.id, "overdue-1");
    assert_eq!(notice["id"], id.as_str());
    let files = server.scheduler.outbox().files_of(&tenant, &id).unwrap();
    assert_eq!(files.len(), 1, "one message in the outbox");
    let metrics = call(&server, "GET", "/metrics", None, None).text;
    assert!(metrics.contains("nudge_notices{state=\"sent\"} 1"), "{metrics}");
}
