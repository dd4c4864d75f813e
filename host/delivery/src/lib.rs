//! Rendering notices from templates and delivering them.
//!
//! A [`TemplateSet`] holds one template per tone and channel kind (the
//! built-in set is English, in four tones). [`render`] fills one in for a
//! notice; an [`Outbox`] delivers the result as one file per notice, named
//! by the notice id, so a delivery retried after a crash never produces a
//! second message.
//!
//! Real providers sit behind one [`Transport`] trait ([`transport`]): SMTP
//! email, Twilio-compatible SMS, FCM-compatible push, a signed JSON webhook,
//! the outbox and a null sink, chosen per tenant by a [`ChannelsConfig`].
//! [`retry`] says when a failed send is tried again; [`escalation`] opens
//! support tickets.
//!
//! ```
//! use nudge_delivery::{Fields, TemplateSet};
//! use nudge_core::{Channel, Tone};
//!
//! let templates = TemplateSet::builtin();
//! let mut fields = Fields::default();
//! for (k, v) in [("customer_name", "Ada"), ("amount", "USD 12.00"), ("due_date", "3 February 2012"),
//!                ("payment_link", "https://pay.example.invalid/1"), ("invoice_number", "1"),
//!                ("tenant_name", "Acme"), ("days_overdue", "1")] {
//!     fields.insert(k, v);
//! }
//! let text = templates.get(Channel::Sms, Tone::Firm).render(&fields).unwrap();
//! assert!(text.body.contains("USD 12.00"));
//! ```

mod config;
mod error;
pub mod escalation;
mod idempotency;
mod message;
mod outbox;
pub mod retry;
mod secret;
mod template;
pub mod tracking;
pub mod transport;

pub use config::{Channels, ChannelsConfig, ConfigError, TransportConfig};
pub use error::{Error, Result};
pub use idempotency::IdempotencyKey;
pub use message::{Message, Outgoing};
pub use outbox::{Delivery, Outbox};
pub use retry::{Jitter, RetryPolicy, deliver_with_retries};
pub use secret::Secret;
pub use template::{Fields, Rendered, Template, TemplateSet};
pub use transport::{Receipt, SendError, Transport};
