//! Limits and lifecycle: body sizes, rate limits, graceful shutdown.

use std::{io::Cursor, time::Duration};

use nudge_server::ServerConfig;
use serde_json::json;

use crate::{OPERATOR, TestServer, call, send_json};

fn tenant(server: &TestServer, id: &str) -> String {
    let answer = send_json(server, "POST", "/v1/admin/tenants", OPERATOR, &json!({ "id": id, "name": id }));
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.json()["api_key"]["key"].as_str().unwrap().to_string()
}

#[test]
fn bodies_over_the_limit_get_413_declared_or_streamed() {
    let server = TestServer::start(ServerConfig { body_limit_bytes: 64 << 10, ..TestServer::config() });
    let key = tenant(&server, "acme");
    // Valid JSON just under the limit is read (and judged on its content).
    let padding = "x".repeat(60 << 10);
    let fits = json!({ "time_zone": "UTC", "name": padding });
    assert_eq!(send_json(&server, "PUT", "/v1/customers/c-1", &key, &fits).status, 201);
    // Over it, with a Content-Length.
    let big = json!({ "time_zone": "UTC", "name": "x".repeat(80 << 10) }).to_string();
    let msg =
        call(&server, "PUT", "/v1/customers/c-2", Some(&key), Some(big.as_bytes())).assert_error(413, "body_too_large");
    assert!(msg.contains("65536"), "{msg}");
    // Over it, streamed in chunks without a length.
    let response = ureq::put(&format!("{}/v1/customers/c-3", server.base))
        .set("Authorization", &format!("Bearer {key}"))
        .send(Cursor::new(big.into_bytes()));
    let response = match response {
        Err(ureq::Error::Status(_, r)) => r,
        other => panic!("expected 413, got {other:?}"),
    };
    assert_eq!(response.status(), 413);
    assert!(response.into_string().unwrap().contains("body_too_large"));
    assert_eq!(call(&server, "GET", "/v1/customers/c-2", Some(&key), None).status, 404);
}

#[test]
fn each_tenant_has_its_own_rate_limit() {
    let server =
        TestServer::start(ServerConfig { rate_limit_per_second: 1, rate_limit_burst: 3, ..TestServer::config() });
    let (a, b) = (tenant(&server, "a"), tenant(&server, "b"));
    for _ in 0..3 {
        assert_eq!(call(&server, "GET", "/v1/customers", Some(&a), None).status, 200);
    }
    let limited = call(&server, "GET", "/v1/customers", Some(&a), None);
    limited.assert_error(429, "rate_limited");
    assert_eq!(limited.retry_after.as_deref(), Some("1"));
    assert_eq!(call(&server, "GET", "/v1/customers", Some(&b), None).status, 200);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(call(&server, "GET", "/v1/customers", Some(&a), None).status, 200);
}

#[test]
fn webhook_floods_have_their_own_bucket_and_spare_the_tenants_api_budget() {
    let server = TestServer::start(ServerConfig {
        rate_limit_per_second: 1,
        rate_limit_burst: 3,
        webhook_rate_limit_per_second: 1,
        webhook_rate_limit_burst: 5,
        ..TestServer::config()
    });
    let a = tenant(&server, "a");
    // Unsigned posts at A's webhook path: refused (A has set no secrets, so
    // there is no endpoint), then limited once the webhook bucket is empty.
    let mut limited = 0;
    for _ in 0..20 {
        let answer = call(&server, "POST", "/v1/stripe/webhooks/a", None, Some(b"{}"));
        match answer.status {
            404 => assert_eq!(answer.json()["error"]["code"], "not_found", "{}", answer.text),
            429 => limited += 1,
            other => panic!("{other}: {}", answer.text),
        }
    }
    assert!(limited >= 14, "the webhook bucket (burst 5) limits the flood: {limited} limited");
    // A's API bucket is untouched: its whole burst is still there.
    for _ in 0..3 {
        assert_eq!(call(&server, "GET", "/v1/customers", Some(&a), None).status, 200);
    }
    call(&server, "GET", "/v1/customers", Some(&a), None).assert_error(429, "rate_limited");
    // Another tenant's webhook bucket is its own.
    call(&server, "POST", "/v1/stripe/webhooks/b", None, Some(b"{}")).assert_error(404, "not_found");
}

#[test]
fn admin_routes_are_off_without_an_operator_token() {
    let server = TestServer::start(ServerConfig::default());
    let answer = send_json(&server, "POST", "/v1/admin/tenants", OPERATOR, &json!({ "id": "a", "name": "a" }));
    let msg = answer.assert_error(403, "admin_disabled");
    assert!(msg.contains("NUDGE_OPERATOR_TOKEN"), "{msg}");
}

#[test]
fn shutdown_stops_the_scheduler_and_the_listener() {
    let mut server = TestServer::start(TestServer::config());
    server.wait_ready();
    let key = tenant(&server, "acme");
    // An upload (compiling a component takes a while) is in flight when
    // shutdown begins; it still gets its answer.
    let url = format!("{}/v1/plugins", server.base);
    let upload = std::thread::spawn(move || {
        let sent =
            ureq::post(&url).set("Authorization", &format!("Bearer {key}")).send_bytes(nudge_bundle::STANDARD_POLICY);
        sent.map(|response| response.status()).map_err(|e| e.to_string())
    });
    std::thread::sleep(Duration::from_millis(300));
    server.shut_down().unwrap();
    assert_eq!(upload.join().unwrap(), Ok(201));
    let refused = ureq::get(&format!("{}/healthz", server.base)).timeout(Duration::from_secs(5)).call();
    assert!(matches!(refused, Err(ureq::Error::Transport(_))), "{refused:?}");
    // The store was flushed and is still readable.
    assert_eq!(server.scheduler.store().plugins(&nudge_core::TenantId::new("acme").unwrap()).unwrap().len(), 1);
}
