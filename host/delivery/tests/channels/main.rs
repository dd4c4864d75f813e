//! Delivery against real servers on 127.0.0.1: an aiosmtpd SMTP server, and
//! a scripted HTTP server standing in for Twilio, FCM, webhooks and a
//! support system.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod http_server;
mod providers;
mod smtp;
mod smtp_sink;

use std::time::Duration;

use nudge_core::{Channel, InvoiceId, NoticeId, TenantId};
use nudge_delivery::{Message, Outgoing, retry::Sleeper};

/// A message of notice overdue-1 of invoice `invoice` at acme.
pub fn message(channel: Channel, to: &str, invoice: &str) -> Outgoing {
    let tenant = TenantId::new("acme").unwrap();
    Outgoing::new(Message {
        notice: NoticeId::derive(&tenant, &InvoiceId::new(invoice).unwrap(), "overdue-1"),
        tenant,
        channel,
        to: to.to_string(),
        from_name: "Acme Billing".into(),
        subject: "Invoice 42 is overdue".into(),
        body: "Hello Ada,\ninvoice 42 for USD 12.00 is one day overdue.\nPay: https://pay.example/42\n".into(),
        html: None,
        sent_at: "2026-03-02T09:30:00Z".parse().unwrap(),
        headers: vec![("Step".into(), "overdue-1".into())],
    })
}

/// Records the waits instead of sleeping.
#[derive(Debug, Default)]
pub struct Recorder(pub Vec<Duration>);

impl Sleeper for Recorder {
    fn sleep(&mut self, duration: Duration) {
        self.0.push(duration);
    }
}
