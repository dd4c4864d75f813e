//! Twilio, FCM, the webhook and escalation against a scripted HTTP server.

use std::time::Duration;

use base64::Engine as _;
use jiff::Timestamp;
use nudge_core::{Channel, CustomerId, InvoiceId, TenantId};
use nudge_delivery::{
    ChannelsConfig, IdempotencyKey, Jitter, Outbox, RetryPolicy, Secret, SendError, Transport, deliver_with_retries,
    escalation::{Escalation, EscalationRequest},
    transport::{Fcm, FcmConfig, HttpTimeouts, NullSink, Twilio, TwilioConfig, Webhook, WebhookConfig, verify_webhook},
};

use crate::{
    Recorder,
    http_server::{Reply, TestServer},
    message,
};

const TOKEN: &str = "twilio-auth-token-SECRET-1";
const FCM_TOKEN: &str = "ya29.fcm-bearer-SECRET-2";
const WEBHOOK_SECRET: &str = "whsec-SECRET-3";

fn policy() -> RetryPolicy {
    RetryPolicy { base_ms: 100, factor: 2.0, cap_ms: 1_000, max_attempts: 4, retry_after_cap_ms: 30_000 }
}

fn twilio(server: &TestServer) -> TwilioConfig {
    TwilioConfig {
        base_url: server.url(),
        account_sid: "AC0001".into(),
        auth_token: Secret::new(TOKEN),
        from: "+15550001111".into(),
        status_callback: Some("https://nudge.example/v1/twilio/status/acme".into()),
        timeouts: HttpTimeouts::default(),
    }
}

fn fcm(server: &TestServer) -> FcmConfig {
    FcmConfig {
        base_url: server.url(),
        project_id: "acme-app".into(),
        access_token: Secret::new(FCM_TOKEN),
        timeouts: HttpTimeouts::default(),
    }
}

fn webhook(server: &TestServer, path: &str) -> WebhookConfig {
    WebhookConfig {
        url: format!("{}{path}", server.url()),
        secret: Secret::new(WEBHOOK_SECRET),
        timeouts: HttpTimeouts::default(),
    }
}

fn form(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[test]
fn twilio_retries_429_and_500_with_one_key_then_succeeds() {
    let server = TestServer::start(Reply::new(201, r#"{"sid": "SM0123", "status": "queued"}"#));
    server.script([
        Reply::new(429, r#"{"code": 20429, "message": "Too Many Requests"}"#).header("Retry-After", "2"),
        Reply::new(500, ""),
    ]);
    let transport = Twilio::new(&twilio(&server));
    let outgoing = message(Channel::Sms, "+15557654321", "inv-1");
    let key = IdempotencyKey::for_notice(&outgoing.message.notice, Channel::Sms);
    let mut sleeper = Recorder::default();
    let done =
        deliver_with_retries(&transport, &outgoing, &key, &policy(), &mut sleeper, &mut Jitter::seeded(1)).unwrap();
    assert_eq!(done.attempts, 3);
    assert_eq!(done.receipt.provider_id.as_deref(), Some("SM0123"));
    assert_eq!(sleeper.0.len(), 2);
    assert!(sleeper.0[0] >= Duration::from_secs(2), "Retry-After honoured: {:?}", sleeper.0);
    assert!(sleeper.0[1] <= Duration::from_millis(200), "backoff ceiling of the second attempt: {:?}", sleeper.0);

    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("AC0001:{TOKEN}"));
    for request in &requests {
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/2010-04-01/Accounts/AC0001/Messages.json")
        );
        assert_eq!(request.header("Idempotency-Key"), Some(key.as_str()));
        assert_eq!(request.header("I-Twilio-Idempotency-Token"), Some(key.as_str()));
        assert_eq!(request.header("Authorization"), Some(format!("Basic {auth}").as_str()));
        assert_eq!(request.header("Content-Type"), Some("application/x-www-form-urlencoded"));
        let form = form(&request.body);
        assert_eq!(field(&form, "To"), Some("+15557654321"));
        assert_eq!(field(&form, "From"), Some("+15550001111"));
        assert_eq!(field(&form, "Body"), Some(outgoing.message.body.as_str()));
        assert_eq!(field(&form, "StatusCallback"), Some("https://nudge.example/v1/twilio/status/acme"));
    }
}

#[test]
fn twilio_invalid_number_is_permanent_blames_the_contact_and_is_not_retried() {
    let server = TestServer::start(Reply::new(
        400,
        r#"{"code": 21211, "message": "The 'To' number +1555 is not a valid phone number.", "status": 400}"#,
    ));
    let config = twilio(&server);
    let transport = Twilio::new(&config);
    let outgoing = message(Channel::Sms, "+1555", "inv-2");
    let mut sleeper = Recorder::default();
    let gave_up = deliver_with_retries(
        &transport,
        &outgoing,
        &IdempotencyKey::new("k"),
        &policy(),
        &mut sleeper,
        &mut Jitter::seeded(1),
    )
    .unwrap_err();
    assert_eq!(gave_up.attempts, 1);
    assert!(gave_up.error.blames_contact(), "{gave_up:?}");
    assert!(gave_up.error.reason().contains("21211"), "{gave_up}");
    assert!(sleeper.0.is_empty());
    assert_eq!(server.requests().len(), 1);

    // Other 4xx are permanent but not the number's fault.
    server.script([Reply::new(401, r#"{"code": 20003, "message": "Authenticate"}"#)]);
    let error = transport.send(&outgoing, &IdempotencyKey::new("k")).unwrap_err();
    assert!(matches!(error, SendError::Permanent { .. }) && !error.blames_contact(), "{error:?}");
}

#[test]
fn fcm_sends_bearer_json_and_unregistered_tokens_are_permanent() {
    let server = TestServer::start(Reply::new(200, r#"{"name": "projects/acme-app/messages/0:1500"}"#));
    server.script([Reply::new(503, r#"{"error": {"code": 503, "status": "UNAVAILABLE"}}"#)]);
    let transport = Fcm::new(&fcm(&server));
    let outgoing = message(Channel::Push, "device-token-abc", "inv-3");
    let key = IdempotencyKey::for_notice(&outgoing.message.notice, Channel::Push);
    let done =
        deliver_with_retries(&transport, &outgoing, &key, &policy(), &mut Recorder::default(), &mut Jitter::seeded(2))
            .unwrap();
    assert_eq!((done.attempts, done.receipt.provider_id.as_deref()), (2, Some("projects/acme-app/messages/0:1500")));
    let requests = server.requests();
    for request in &requests {
        assert_eq!(request.path, "/v1/projects/acme-app/messages:send");
        assert_eq!(request.header("Authorization"), Some(format!("Bearer {FCM_TOKEN}").as_str()));
        assert_eq!(request.header("Idempotency-Key"), Some(key.as_str()));
        let json: serde_json::Value = serde_json::from_str(&request.body).unwrap();
        assert_eq!(json["message"]["token"], "device-token-abc");
        assert_eq!(json["message"]["notification"]["title"], "Invoice 42 is overdue");
        assert_eq!(json["message"]["data"]["notice"], outgoing.message.notice.as_str());
        assert_eq!(json["message"]["data"]["step"], "overdue-1");
    }

    server.script([Reply::new(
        404,
        r#"{"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND",
            "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}]}}"#,
    )]);
    let error = transport.send(&outgoing, &key).unwrap_err();
    assert!(error.blames_contact() && error.reason().contains("UNREGISTERED"), "{error:?}");
    server
        .script([Reply::new(400, r#"{"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "bad token"}}"#)]);
    assert!(transport.send(&outgoing, &key).unwrap_err().blames_contact());
}

#[test]
fn webhook_is_signed_and_keeps_body_and_key_across_retries() {
    let server = TestServer::start(Reply::new(200, r#"{"id": "evt_9"}"#));
    server.script([Reply::new(500, "oops"), Reply::new(502, "")]);
    let transport = Webhook::new(&webhook(&server, "/hooks/nudge"));
    let outgoing = message(Channel::Webhook, "crm:customer-7", "inv-4")
        .with_unsubscribe_url("https://nudge.example/t/u.x")
        .with_html("<p>hi</p>");
    let key = IdempotencyKey::for_notice(&outgoing.message.notice, Channel::Webhook);
    let done =
        deliver_with_retries(&transport, &outgoing, &key, &policy(), &mut Recorder::default(), &mut Jitter::seeded(3))
            .unwrap();
    assert_eq!((done.attempts, done.receipt.provider_id.as_deref()), (3, Some("evt_9")));
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let secret = Secret::new(WEBHOOK_SECRET);
    for request in &requests {
        assert_eq!(request.path, "/hooks/nudge");
        assert_eq!(request.body, requests[0].body, "the same body on every attempt");
        assert_eq!(request.header("Idempotency-Key"), Some(key.as_str()));
        let signature = request.header("Nudge-Signature").unwrap();
        verify_webhook(&secret, signature, request.body.as_bytes(), Timestamp::now(), 300).unwrap();
        assert!(
            verify_webhook(&Secret::new("other"), signature, request.body.as_bytes(), Timestamp::now(), 300).is_err()
        );
    }
    let json: serde_json::Value = serde_json::from_str(&requests[0].body).unwrap();
    assert_eq!(json["idempotency_key"], key.as_str());
    assert_eq!(json["notice"], outgoing.message.notice.as_str());
    assert_eq!(json["channel"], "webhook");
    assert_eq!(json["to"], "crm:customer-7");
    assert_eq!(json["unsubscribe_url"], "https://nudge.example/t/u.x");
    assert_eq!(json["html"], "<p>hi</p>");
    assert_eq!(json["sent_at"], "2026-03-02T09:30:00Z");
}

#[test]
fn webhook_400_is_not_retried() {
    let server = TestServer::start(Reply::new(400, r#"{"error": "unknown customer"}"#));
    let transport = Webhook::new(&webhook(&server, "/"));
    let gave_up = deliver_with_retries(
        &transport,
        &message(Channel::Webhook, "x", "inv-5"),
        &IdempotencyKey::new("k"),
        &policy(),
        &mut Recorder::default(),
        &mut Jitter::seeded(4),
    )
    .unwrap_err();
    assert_eq!((gave_up.attempts, server.requests().len()), (1, 1));
    assert!(gave_up.error.reason().contains("HTTP 400") && gave_up.error.reason().contains("unknown customer"));
}

#[test]
fn escalation_opens_one_ticket_per_invoice_with_retries() {
    let server = TestServer::start(Reply::new(201, r#"{"ticket_id": 4711, "status": "open"}"#));
    server.script([Reply::new(429, "").header("Retry-After", "1"), Reply::new(503, "")]);
    let escalation = Escalation::new(&webhook(&server, "/tickets"));
    let tenant = TenantId::new("acme").unwrap();
    let invoice = InvoiceId::new("inv-6").unwrap();
    let request = EscalationRequest {
        tenant: tenant.clone(),
        customer: CustomerId::new("cus-1").unwrap(),
        invoice: invoice.clone(),
        notices: Vec::new(),
        reason: "three reminders unanswered".into(),
    };
    let mut sleeper = Recorder::default();
    let done = escalation.open_with_retries(&request, &policy(), &mut sleeper, &mut Jitter::seeded(6)).unwrap();
    assert_eq!((done.attempts, done.receipt.reference.as_deref()), (3, Some("4711")));
    assert!(sleeper.0[0] >= Duration::from_secs(1));
    // Escalating the same invoice again (a re-decision, a crash) carries the same key.
    escalation.open(&request).unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    let key = IdempotencyKey::for_escalation(&tenant, &invoice);
    let secret = Secret::new(WEBHOOK_SECRET);
    for request in &requests {
        assert_eq!(request.header("Idempotency-Key"), Some(key.as_str()));
        verify_webhook(
            &secret,
            request.header("Nudge-Signature").unwrap(),
            request.body.as_bytes(),
            Timestamp::now(),
            300,
        )
        .unwrap();
    }
    let json: serde_json::Value = serde_json::from_str(&requests[0].body).unwrap();
    assert_eq!(
        (json["tenant"].as_str(), json["customer"].as_str(), json["invoice"].as_str(), json["reason"].as_str()),
        (Some("acme"), Some("cus-1"), Some("inv-6"), Some("three reminders unanswered"))
    );
    assert!(json["notices"].as_array().unwrap().is_empty());

    server.script([Reply::new(422, r#"{"error": "no such queue"}"#)]);
    let gave_up = escalation.open_with_retries(&request, &policy(), &mut Recorder::default(), &mut Jitter::seeded(6));
    assert_eq!(gave_up.unwrap_err().attempts, 1);
}

#[test]
fn read_timeouts_and_refused_connections_are_transient() {
    let server = TestServer::start(Reply::new(200, "{}").delayed(Duration::from_millis(1_500)));
    let mut config = webhook(&server, "/slow");
    config.timeouts = HttpTimeouts { connect_ms: 500, read_ms: 200 };
    let error =
        Webhook::new(&config).send(&message(Channel::Webhook, "x", "a"), &IdempotencyKey::new("k")).unwrap_err();
    assert!(error.is_transient(), "{error:?}");

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    config.url = format!("http://127.0.0.1:{port}/");
    let error =
        Webhook::new(&config).send(&message(Channel::Webhook, "x", "a"), &IdempotencyKey::new("k")).unwrap_err();
    assert!(error.is_transient(), "{error:?}");
}

#[test]
fn secrets_never_appear_in_configs_or_errors() {
    // Providers that echo what they were sent, secrets included.
    let echo = |secret: &str| TestServer::start(Reply::new(400, &format!("you sent {secret}")));
    let (sms, push, hook, tickets) = (echo(TOKEN), echo(FCM_TOKEN), echo(WEBHOOK_SECRET), echo(WEBHOOK_SECRET));
    let config: ChannelsConfig = serde_json::from_value(serde_json::json!({
        "email": {"transport": "smtp", "host": "127.0.0.1", "from": "a@acme.example", "username": "u",
                  "password": "smtp-password-SECRET-4", "security": "plain", "port": 1},
        "sms": {"transport": "twilio", "base_url": sms.url(), "account_sid": "AC1", "auth_token": TOKEN, "from": "+1"},
        "push": {"transport": "fcm", "base_url": push.url(), "project_id": "p", "access_token": FCM_TOKEN},
        "webhook": {"transport": "webhook", "url": hook.url(), "secret": WEBHOOK_SECRET},
        "escalation": {"url": tickets.url(), "secret": WEBHOOK_SECRET}
    }))
    .unwrap();
    let secrets = [TOKEN, FCM_TOKEN, WEBHOOK_SECRET, "smtp-password-SECRET-4"];
    let channels = config.build(&Outbox::new("/nonexistent")).unwrap();
    let mut texts = vec![format!("{config:?}"), format!("{config:#?}"), format!("{channels:?}")];
    for channel in Channel::ALL {
        let transport = channels.get(channel).unwrap();
        let error =
            transport.send(&message(channel, "a@customer.example", "a"), &IdempotencyKey::new("k")).unwrap_err();
        texts.extend([format!("{error}"), format!("{error:?}")]);
    }
    let escalation = Escalation::new(config.escalation.as_ref().unwrap());
    let request = EscalationRequest {
        tenant: TenantId::new("acme").unwrap(),
        customer: CustomerId::new("c").unwrap(),
        invoice: InvoiceId::new("i").unwrap(),
        notices: Vec::new(),
        reason: "r".into(),
    };
    let error = escalation.open(&request).unwrap_err();
    texts.extend([format!("{error}"), format!("{error:?}"), format!("{escalation:?}")]);
    for text in &texts {
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
    }
    // The echoes were there to leak: each HTTP provider did answer with its secret.
    assert_eq!(texts.iter().filter(|t| t.contains("you sent <redacted>")).count(), 8, "{texts:#?}");
}

#[test]
fn the_outbox_and_the_null_sink_are_transports_too() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    let outgoing = message(Channel::Email, "ada@customer.example", "inv-7");
    let key = IdempotencyKey::new("k");
    let first = Transport::send(&outbox, &outgoing, &key).unwrap();
    let again = Transport::send(&outbox, &outgoing, &key).unwrap();
    assert!(!first.duplicate && again.duplicate && first.provider_id == again.provider_id);
    assert_eq!(outbox.files_of(&outgoing.message.tenant, &outgoing.message.notice).unwrap().len(), 1);
    let null = NullSink::new();
    for _ in 0..3 {
        null.send(&outgoing, &key).unwrap();
    }
    assert_eq!(null.count(), 3);
}
