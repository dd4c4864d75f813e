//! Rendering notices from templates and delivering them.
//!
//! A [`TemplateSet`] holds one template per tone and channel kind (the
//! built-in set is English, in four tones). [`render`] fills one in for a
//! notice; an [`Outbox`] delivers the result as one file per notice, named
//! by the notice id, so a delivery retried after a crash never produces a
//! second message. The scheduler delivers through a [`Sink`]: the outbox
//! by default, a [`NullSink`] in benchmarks, a [`RecordingSink`] in crash
//! drills.
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

mod error;
mod message;
mod outbox;
mod sink;
mod template;
pub mod tracking;

pub use error::{Error, Result};
pub use message::Message;
pub use outbox::{Delivery, Outbox};
pub use sink::{NullSink, Recorded, RecordingSink, Sink};
pub use template::{Fields, Rendered, Template, TemplateSet};
