//! End to end over HTTP: an operator creates a tenant, the tenant uploads
//! the standard policy and posts customers and invoices from rows of the
//! real accounts-receivable CSV; the server's own tick loop sends the
//! notices that fall due; a payment suppresses the paid invoice's next
//! notice; customers follow the tracking links in their messages; the
//! report counts all of it.
//!
//! Time: the invoices' dates are moved so that their first overdue notice
//! is due today, and the customers live in a zone where it is lunchtime
//! now (inside the send window), so the real clock sends them at once. The
//! paid invoice's next notice is days away: the test runs the scheduler at
//! that time, as the tick loop would then.

use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp, ToSpan, tz::TimeZone};
use nudge_core::{InvoiceId, NoticeId, TenantId};
use serde_json::{Value, json};

use crate::{OPERATOR, TestServer, call, send_json, tick::zone_at_lunchtime};

const CSV: &str = include_str!("../../../../examples/data/accounts-receivable.csv");

/// A customer and one invoice of the CSV, as API bodies.
struct Row {
    customer: String,
    invoice: String,
    amount_minor: i64,
    payment_link: String,
}

/// The first undisputed invoice of each of the CSV's first three
/// customers, due `days_overdue` days before today in `zone`.
fn rows(server: &TestServer, key: &str, zone: &str) -> Vec<Row> {
    let data = nudge_ingest::ar::read(CSV.as_bytes(), &TenantId::new("acme").unwrap()).unwrap();
    let today = Timestamp::now().to_zoned(TimeZone::get(zone).unwrap()).date();
    let mut out = Vec::new();
    for customer in &data.customers {
        let Some(row) = data.invoices.iter().map(|r| &r.invoice).find(|i| i.customer == customer.id && !i.disputed)
        else {
            continue;
        };
        // The first invoice three days overdue (its next notice, overdue-7,
        // comes four days from now), the others one day overdue (six days).
        let days_overdue = if out.is_empty() { 3 } else { 1 };
        let due_on = today.checked_sub(days_overdue.days()).unwrap();
        let issued_on = due_on.checked_sub(row.due_on - row.issued_on).unwrap();
        let body = json!({ "time_zone": zone, "name": customer.name, "email": customer.email,
                           "language": customer.language, "tier": customer.tier });
        let put = send_json(server, "PUT", &format!("/v1/customers/{}", customer.id), key, &body);
        assert_eq!(put.status, 201, "{}", put.text);
        let link = row.payment_link.clone().unwrap();
        let body = json!({
            "customer": row.customer, "amount_minor": row.total.amount_minor, "currency": row.total.currency,
            "issued_on": issued_on.to_string(), "due_on": due_on.to_string(), "number": row.number,
            "payment_link": link,
        });
        let put = send_json(server, "PUT", &format!("/v1/invoices/{}", row.id), key, &body);
        assert_eq!(put.status, 201, "{}", put.text);
        out.push(Row {
            customer: customer.id.to_string(),
            invoice: row.id.to_string(),
            amount_minor: row.total.amount_minor,
            payment_link: link,
        });
        if out.len() == 3 {
            break;
        }
    }
    out
}

/// The value of header `X-Nudge-<name>` in a message file.
fn header(message: &str, name: &str) -> String {
    let prefix = format!("X-Nudge-{name}: ");
    message.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("no {prefix} in\n{message}")).into()
}

/// Follows a tracking URL without following redirects.
fn follow(method: &str, url: &str) -> ureq::Response {
    let agent = ureq::AgentBuilder::new().redirects(0).timeout(Duration::from_secs(30)).build();
    match agent.request(method, url).call() {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(e) => panic!("{method} {url}: {e}"),
    }
}

#[test]
fn csv_customers_get_their_notices_a_payment_stops_the_next_and_the_report_counts_opens_and_clicks() {
    let server = TestServer::start(TestServer::config());
    server.wait_ready();
    let created = send_json(&server, "POST", "/v1/admin/tenants", OPERATOR, &json!({ "id": "acme", "name": "Acme" }));
    assert_eq!(created.status, 201, "{}", created.text);
    let key = created.json()["api_key"]["key"].as_str().unwrap().to_string();
    let upload = call(&server, "POST", "/v1/plugins", Some(&key), Some(nudge_bundle::STANDARD_POLICY));
    assert_eq!(upload.status, 201, "{}", upload.text);
    assert_eq!(call(&server, "POST", "/v1/plugins/1/activate", Some(&key), None).status, 200);

    let zone = zone_at_lunchtime();
    let rows = rows(&server, &key, &zone);
    assert_eq!(rows.len(), 3);
    let tenant = TenantId::new("acme").unwrap();
    let notice_of =
        |row: &Row, step: &str| NoticeId::derive(&tenant, &InvoiceId::new(row.invoice.as_str()).unwrap(), step);

    // The tick loop sends each invoice's overdue-1 notice.
    let deadline = Instant::now() + Duration::from_secs(20);
    let notices: Vec<Value> = loop {
        let page = call(&server, "GET", "/v1/notices?limit=500", Some(&key), None).json();
        let data = page["data"].as_array().unwrap().clone();
        if data.iter().filter(|n| n["step"] == "overdue-1" && n["state"]["state"] == "sent").count() == 3 {
            break data;
        }
        assert!(Instant::now() < deadline, "not all sent: {page}");
        std::thread::sleep(Duration::from_millis(100));
    };
    for row in &rows {
        let id = notice_of(row, "overdue-1");
        let sent = notices.iter().find(|n| n["id"] == id.as_str()).unwrap();
        assert_eq!((&sent["state"]["channel"], &sent["invoice"]), (&json!("email"), &json!(row.invoice)));
        assert_eq!(server.scheduler.outbox().files_of(&tenant, &id).unwrap().len(), 1, "one message each");
        // The policy scheduled the next step right after the send.
        let next = call(&server, "GET", &format!("/v1/notices/{}", notice_of(row, "overdue-7")), Some(&key), None);
        assert_eq!(next.json()["state"]["state"], "scheduled", "{}", next.text);
    }

    // A payment settles the first invoice; its overdue-7 notice is
    // suppressed when its time comes, not sent.
    let (paid, reader, critic) = (&rows[0], &rows[1], &rows[2]);
    let pay = json!({ "id": "pay-1", "invoice": paid.invoice, "amount_minor": paid.amount_minor });
    assert_eq!(send_json(&server, "POST", "/v1/payments", &key, &pay).status, 201);
    let next_id = notice_of(paid, "overdue-7");
    let next = call(&server, "GET", &format!("/v1/notices/{next_id}"), Some(&key), None).json();
    let send_at: Timestamp = next["send_at"].as_str().unwrap().parse().unwrap();
    assert!(send_at > Timestamp::now() + SignedDuration::from_hours(84), "four days from now: {send_at}");
    server.scheduler.run_due(send_at).unwrap();
    let next = call(&server, "GET", &format!("/v1/notices/{next_id}"), Some(&key), None).json();
    assert_eq!((&next["state"]["state"], &next["state"]["reason"]), (&json!("suppressed"), &json!("paid")), "{next}");
    assert!(server.scheduler.outbox().files_of(&tenant, &next_id).unwrap().is_empty(), "nothing went out");
    // The others' overdue-7 notices are six days away, still scheduled.
    let other = call(&server, "GET", &format!("/v1/notices/{}", notice_of(reader, "overdue-7")), Some(&key), None);
    assert_eq!(other.json()["state"]["state"], "scheduled");

    // The second customer opens the message and clicks through to pay.
    let message = std::fs::read_to_string(
        &server.scheduler.outbox().files_of(&tenant, &notice_of(reader, "overdue-1")).unwrap()[0],
    )
    .unwrap();
    let (pixel, click) = (header(&message, "Open-Pixel"), header(&message, "Click"));
    assert!(pixel.starts_with(&format!("{}/t/", server.base)), "{pixel}");
    assert!(message.contains(&click) && !message.contains(&reader.payment_link), "the body links through the tracker");
    let opened = follow("GET", &pixel);
    assert_eq!((opened.status(), opened.content_type()), (200, "image/gif"));
    assert!(opened.header("cache-control").unwrap().contains("no-store"));
    let mut gif = Vec::new();
    std::io::Read::read_to_end(&mut opened.into_reader(), &mut gif).unwrap();
    assert!(gif.starts_with(b"GIF89a"), "{gif:?}");
    let clicked = follow("GET", &click);
    assert_eq!((clicked.status(), clicked.header("location")), (302, Some(reader.payment_link.as_str())));
    // A second load of the pixel changes nothing.
    assert_eq!(follow("GET", &pixel).status(), 200);

    // The third says the reminder was not fair, and unsubscribes.
    let message = std::fs::read_to_string(
        &server.scheduler.outbox().files_of(&tenant, &notice_of(critic, "overdue-1")).unwrap()[0],
    )
    .unwrap();
    // Link checkers and mail scanners send HEAD: answered, never recorded
    // (else this would add an `opened` and a fair `feedback` below).
    assert_eq!(follow("HEAD", &header(&message, "Open-Pixel")).status(), 200);
    assert_eq!(follow("HEAD", &header(&message, "Fair-Yes")).status(), 200);
    let thanks = follow("GET", &header(&message, "Fair-No"));
    assert_eq!(thanks.status(), 200);
    assert!(thanks.into_string().unwrap().contains("Thank you"));
    let unsubscribe = header(&message, "Unsubscribe");
    let form = follow("GET", &unsubscribe);
    assert!(form.into_string().unwrap().contains("<form method=\"post\">"), "GET only asks");
    let critic_path = format!("/v1/customers/{}", critic.customer);
    assert_eq!(call(&server, "GET", &critic_path, Some(&key), None).json()["opted_out"], json!([]));
    let done = follow("POST", &unsubscribe);
    assert_eq!(done.status(), 200);
    assert_eq!(call(&server, "GET", &critic_path, Some(&key), None).json()["opted_out"], json!(["email"]));

    // A forged token says nothing.
    let flipped = if click.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{flipped}", &click[..click.len() - 1]);
    let refused = follow("GET", &forged);
    assert_eq!(refused.status(), 404);
    assert!(!refused.into_string().unwrap().contains("signature"));

    // The events list and the report count what happened.
    let events = call(&server, "GET", "/v1/events", Some(&key), None).json();
    let kinds: Vec<&str> = events["data"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["opened", "clicked", "feedback", "opt-out"], "{events}");
    let report = call(&server, "GET", "/v1/report", Some(&key), None);
    assert_eq!(report.status, 200, "{}", report.text);
    let totals = &report.json()["totals"];
    assert_eq!(totals["notices_sent"], 3, "{totals}");
    assert_eq!((&totals["open_rate"]["numerator"], &totals["open_rate"]["denominator"]), (&json!(1), &json!(3)));
    assert_eq!(totals["click_to_pay_rate"]["denominator"], 1, "one notice clicked: {totals}");
    assert_eq!(totals["invoices_paid"], 1);
    assert_eq!(totals["paid_within_7d_of_first_notice"]["numerator"], 1);
    assert_eq!(totals["negative_feedback_rate"]["numerator"], 1);
    assert_eq!(totals["opt_out_rate"]["numerator"], 1);

    // /metrics names every family the operator watches.
    let metrics = call(&server, "GET", "/metrics", None, None).text;
    for family in [
        "nudge_decide_duration_seconds",
        "nudge_decide_fuel_total",
        "nudge_incidents",
        "nudge_notices",
        "nudge_delivery_errors_total",
    ] {
        assert!(metrics.contains(&format!("# TYPE {family} ")), "{family} missing from\n{metrics}");
    }
    assert!(metrics.contains("nudge_notices{state=\"sent\"} 3"), "{metrics}");
    assert!(metrics.contains("nudge_notices{state=\"suppressed\"} 1"), "{metrics}");
    assert!(metrics.contains("nudge_delivery_errors_total{channel=\"email\"} 0"), "{metrics}");
}
