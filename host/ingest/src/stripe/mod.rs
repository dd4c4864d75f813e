//! Stripe webhooks: signature verification, the events nudge acts on, and
//! the mapping of Stripe customers and invoices to nudge's.
//!
//! ```
//! use nudge_ingest::stripe::{self, Payload};
//! let body = br#"{"id":"evt_1","type":"charge.refunded","created":1700000000,"data":{"object":{}}}"#;
//! let now = jiff::Timestamp::from_second(1_700_000_010).unwrap();
//! let header = stripe::sign(body, "whsec_test", jiff::Timestamp::from_second(1_700_000_000).unwrap());
//! stripe::verify_signature(body, &header, &["whsec_test"], now, stripe::DEFAULT_TOLERANCE).unwrap();
//! // A type nudge does not act on is acknowledged, not refused.
//! assert_eq!(stripe::parse_event(body).unwrap().payload, Payload::Unsupported);
//! ```

mod event;
mod map;
mod signature;

pub use event::{
    Address, CustomerEvent, Event, EventError, InvoiceEvent, Payload, SUPPORTED_TYPES, StatusTransitions,
    StripeCustomer, StripeInvoice, parse_event,
};
pub use map::{
    MapError, MappedCustomer, MappedInvoice, country_zone, customer, customer_from_invoice, invoice, settlement,
};
pub use signature::{DEFAULT_TOLERANCE, SignatureError, sign, verify_signature};
