//! Sustained delivery throughput: messages per second into a real SMTP
//! server (aiosmtpd, tests/smtp/sink.py) through the lettre transport, and
//! into a local webhook sink (a Rust HTTP server) through the signed
//! webhook transport, from 1 and 4 sending threads; the null sink as the
//! floor of the host's own cost.
//!
//! ```text
//! cargo bench -p nudge-delivery --bench delivery            # 5 s per case
//! NUDGE_BENCH_SECONDS=10 cargo bench -p nudge-delivery --bench delivery
//! ```
//!
//! Needs NUDGE_TEST_PYTHON (see tests/smtp/setup.sh), or makes the venv itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/channels/http_server.rs"]
mod http_server;
#[path = "../tests/channels/smtp_sink.rs"]
mod smtp_sink;

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use nudge_core::{Channel, InvoiceId, NoticeId, TenantId};
use nudge_delivery::{
    IdempotencyKey, Message, Outgoing, Secret, Transport,
    transport::{HttpTimeouts, NullSink, Smtp, SmtpConfig, SmtpSecurity, Webhook, WebhookConfig},
};

fn message(channel: Channel, n: u64) -> (Outgoing, IdempotencyKey) {
    let tenant = TenantId::new("bench").unwrap();
    let notice = NoticeId::derive(&tenant, &InvoiceId::new(format!("inv-{n}")).unwrap(), "overdue-1");
    let key = IdempotencyKey::for_notice(&notice, channel);
    let outgoing = Outgoing::new(Message {
        notice,
        tenant,
        channel,
        to: "ada@customer.example".into(),
        from_name: "Bench Billing".into(),
        subject: format!("Invoice {n} is overdue"),
        body: format!("Hello Ada,\ninvoice {n} for USD 120.00 is 3 days overdue.\nPay: https://pay.example/{n}\n"),
        html: None,
        sent_at: jiff::Timestamp::now(),
        headers: vec![("Step".into(), "overdue-1".into()), ("Tone".into(), "firm".into())],
    })
    .with_html(format!("<p>Hello Ada,</p><p>invoice {n} for <b>USD 120.00</b> is 3 days overdue.</p>"))
    .with_unsubscribe_url(format!("https://nudge.example/t/u.{n}"));
    (outgoing, key)
}

/// Sends for `seconds` from `threads` threads; returns (messages, elapsed).
fn run(transport: &dyn Transport, channel: Channel, threads: u64, seconds: f64) -> (u64, Duration) {
    let next = AtomicU64::new(0);
    let deadline = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while start.elapsed() < deadline {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let (outgoing, key) = message(channel, n);
                    if let Err(error) = transport.send(&outgoing, &key) {
                        panic!("send {n} failed: {error}");
                    }
                }
            });
        }
    });
    (next.load(Ordering::Relaxed), start.elapsed())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn report(case: &str, threads: u64, (sent, elapsed): (u64, Duration), received: u64) {
    assert_eq!(sent, received, "{case}: every message sent must have arrived");
    let rate = sent as f64 / elapsed.as_secs_f64();
    println!("{case:<28} {threads:>7} {sent:>9} {:>8.2} {rate:>10.0}   {}", elapsed.as_secs_f64(), loadavg());
}

fn main() {
    let seconds: f64 = std::env::var("NUDGE_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5.0);
    println!("load average before: {}", loadavg());
    println!("{:<28} {:>7} {:>9} {:>8} {:>10}   load average", "case", "threads", "messages", "seconds", "msgs/s");

    // lettre pools up to 10 SMTP connections per transport.
    for threads in [1, 4, 10] {
        let sink = smtp_sink::SmtpSink::start(&[]);
        let smtp = Smtp::new(&SmtpConfig {
            host: "127.0.0.1".into(),
            port: Some(sink.port),
            security: SmtpSecurity::Plain,
            username: None,
            password: None,
            from: "billing@bench.example".into(),
            hello_name: None,
            timeout_ms: 10_000,
            root_certificate_pem: None,
            max_connections: 10,
        })
        .unwrap();
        let result = run(&smtp, Channel::Email, threads, seconds);
        report("smtp -> aiosmtpd", threads, result, sink.count() as u64);
    }

    for threads in [1, 4] {
        let server = http_server::TestServer::start(http_server::Reply::new(200, r#"{"id": "ok"}"#));
        server.count_only();
        let webhook = Webhook::new(&WebhookConfig {
            url: format!("{}/hooks/nudge", server.url()),
            secret: Secret::new("whsec-bench"),
            timeouts: HttpTimeouts::default(),
        });
        let result = run(&webhook, Channel::Webhook, threads, seconds);
        report("webhook -> rust http sink", threads, result, server.count());
    }

    let null = NullSink::new();
    let result = run(&null, Channel::Email, 1, seconds.min(2.0));
    report("null sink (host cost)", 1, result, null.count());
}
