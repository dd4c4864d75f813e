//! Rendering notices from templates and delivering them.
//!
//! Templates are [minijinja](https://docs.rs/minijinja) sources
//! ([`TemplateSource`]): a subject, a plain-text body and an optional HTML
//! body (autoescaped) for email, one body for SMS and push. They are
//! validated on upload ([`TemplateSource::validate`], line-numbered issues)
//! and rendered in a sandbox (fuel, recursion and size limits, no loader).
//! [`select::candidates`] gives the order in which a tenant's templates
//! are tried; [`builtin`] is the English set used when none matches.
//! [`notice_fields`] makes the values a template reads. An [`Outbox`]
//! delivers a message as one file per notice, named by the notice id, so a
//! delivery retried after a crash never produces a second message. The scheduler delivers
//! through a [`Sink`]: the outbox by default, a [`NullSink`] in benchmarks,
//! a [`RecordingSink`] in crash drills.
//!
//! Real providers sit behind one [`Transport`] trait ([`transport`]): SMTP
//! email, Twilio-compatible SMS, FCM-compatible push, a signed JSON webhook,
//! the outbox and a null sink, chosen per tenant by a [`ChannelsConfig`].
//! [`retry`] says when a failed send is tried again; [`escalation`] opens
//! support tickets.
//!
//! ```
//! use nudge_delivery::{Fields, TemplateSource, builtin, sms};
//! use nudge_core::{Channel, Tone};
//!
//! let mut fields = Fields::default();
//! for (k, v) in [("customer_name", "Ada"), ("amount", "$12.00"), ("due_date", "3 February 2012"),
//!                ("payment_link", "https://pay.example.invalid/1"), ("invoice_number", "1"),
//!                ("tenant_name", "Acme"), ("days_overdue", "1")] {
//!     fields.insert(k, v);
//! }
//! let text = builtin(Channel::Sms, Tone::Firm).render("builtin", Channel::Sms, &fields).unwrap();
//! assert!(text.body.contains("$12.00"));
//! assert_eq!(text.sms_segments().segments, 1);
//!
//! let mine = TemplateSource { body: "Hallo {{ customer_name }}, {{ amount }} ist offen.".into(), ..Default::default() };
//! mine.validate(Channel::Sms).unwrap();
//! let bad = TemplateSource { body: "Hallo\n{{ customer_nmae }}".into(), ..Default::default() };
//! let issues = bad.validate(Channel::Sms).unwrap_err();
//! assert_eq!(issues[0].line, Some(2));
//! ```

mod builtin;
mod config;
mod error;
pub mod escalation;
mod fields;
mod idempotency;
mod message;
mod outbox;
pub mod retry;
mod secret;
pub mod select;
mod sink;
pub mod sms;
mod template;
pub mod tracking;
pub mod transport;

pub use builtin::{builtin, builtin_id};
pub use config::{Channels, ChannelsConfig, ConfigError, TransportConfig};
pub use error::{Error, Result};
pub use fields::{Fields, NoticeFacts, due_date, notice_fields, remaining};
pub use idempotency::IdempotencyKey;
pub use message::{Message, Outgoing};
pub use outbox::{Delivery, Outbox};
pub use retry::{Jitter, RetryPolicy, deliver_with_retries};
pub use secret::Secret;
pub use select::TemplateKey;
pub use sink::{NullSink, Recorded, RecordingSink, Sink};
pub use template::{
    FUEL, HOST_FIELDS, HTML_ONLY_FIELD, Issue, MAX_BODY_OUTPUT_BYTES, MAX_BODY_SOURCE_BYTES, MAX_SMS_CHARS,
    MAX_SUBJECT_OUTPUT_BYTES, MAX_SUBJECT_SOURCE_BYTES, Part, RECURSION_LIMIT, Rendered, TemplateSource,
};
pub use transport::{Receipt, SendError, Transport};
