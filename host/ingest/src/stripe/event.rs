//! Stripe events: the envelope, the eight types nudge acts on, and the
//! fields of the invoice and customer objects it reads.
//!
//! Stripe adds fields to its objects over time, so unknown fields are
//! ignored here (unlike nudge's own formats); a field nudge needs that is
//! missing or of the wrong type is an error naming it.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// The event types nudge acts on; every other type is acknowledged and ignored.
pub const SUPPORTED_TYPES: [&str; 8] = [
    "invoice.finalized",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.voided",
    "invoice.marked_uncollectible",
    "invoice.overdue",
    "customer.created",
    "customer.updated",
];

/// A parsed Stripe event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Stripe's event id (`evt_...`): the idempotency key of its delivery.
    pub id: String,
    /// The event type as Stripe names it (`invoice.paid`).
    pub type_name: String,
    /// When Stripe created the event.
    pub created: Timestamp,
    /// True for live-mode events, false for test mode.
    pub livemode: bool,
    /// What the event carries.
    pub payload: Payload,
}

/// What an event carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// One of the six invoice events, with the invoice as it was when the event was created.
    Invoice {
        /// Which one.
        kind: InvoiceEvent,
        /// The invoice.
        invoice: Box<StripeInvoice>,
    },
    /// `customer.created` or `customer.updated`.
    Customer {
        /// Which one.
        kind: CustomerEvent,
        /// The customer.
        customer: Box<StripeCustomer>,
    },
    /// A type nudge does not act on: acknowledge it, change nothing.
    Unsupported,
}

/// The invoice events nudge acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceEvent {
    /// `invoice.finalized`: the invoice is open and can be paid.
    Finalized,
    /// `invoice.paid`.
    Paid,
    /// `invoice.payment_failed`.
    PaymentFailed,
    /// `invoice.voided`.
    Voided,
    /// `invoice.marked_uncollectible`.
    MarkedUncollectible,
    /// `invoice.overdue`.
    Overdue,
}

/// The customer events nudge acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerEvent {
    /// `customer.created`.
    Created,
    /// `customer.updated`.
    Updated,
}

/// A postal address; nudge reads only its country.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Address {
    /// ISO 3166-1 alpha-2 country code ("GB").
    #[serde(default)]
    pub country: Option<String>,
}

/// When the invoice changed status.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct StatusTransitions {
    /// When it was finalized (Unix seconds).
    #[serde(default)]
    pub finalized_at: Option<i64>,
    /// When it was paid.
    #[serde(default)]
    pub paid_at: Option<i64>,
    /// When it was voided.
    #[serde(default)]
    pub voided_at: Option<i64>,
    /// When it was marked uncollectible.
    #[serde(default)]
    pub marked_uncollectible_at: Option<i64>,
}

/// The fields of a Stripe invoice object that nudge reads.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StripeInvoice {
    /// `in_...`.
    pub id: String,
    /// The customer's id (`cus_...`), or the expanded customer object.
    #[serde(default, deserialize_with = "expandable_id")]
    pub customer: Option<String>,
    /// draft, open, paid, void or uncollectible.
    #[serde(default)]
    pub status: Option<String>,
    /// ISO 4217, lower case as Stripe sends it.
    pub currency: String,
    /// What the customer is asked to pay, in minor units.
    pub amount_due: i64,
    /// What was paid, in minor units.
    #[serde(default)]
    pub amount_paid: i64,
    /// What is still owed, in minor units.
    pub amount_remaining: i64,
    /// When it was created (Unix seconds).
    pub created: i64,
    /// When payment is due (Unix seconds); null for invoices charged automatically.
    #[serde(default)]
    pub due_date: Option<i64>,
    /// When it takes effect (Unix seconds).
    #[serde(default)]
    pub effective_at: Option<i64>,
    /// End of the billed period (Unix seconds).
    #[serde(default)]
    pub period_end: Option<i64>,
    /// The invoice number printed on it.
    #[serde(default)]
    pub number: Option<String>,
    /// The page where the customer can pay.
    #[serde(default)]
    pub hosted_invoice_url: Option<String>,
    /// The customer's email as on the invoice.
    #[serde(default)]
    pub customer_email: Option<String>,
    /// The customer's name as on the invoice.
    #[serde(default)]
    pub customer_name: Option<String>,
    /// The customer's phone as on the invoice.
    #[serde(default)]
    pub customer_phone: Option<String>,
    /// The customer's address as on the invoice.
    #[serde(default)]
    pub customer_address: Option<Address>,
    /// When the status changed.
    #[serde(default)]
    pub status_transitions: Option<StatusTransitions>,
    /// The tenant's own key-value data.
    #[serde(default, deserialize_with = "metadata")]
    pub metadata: BTreeMap<String, String>,
}

/// The fields of a Stripe customer object that nudge reads.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StripeCustomer {
    /// `cus_...`.
    pub id: String,
    /// When it was created (Unix seconds).
    #[serde(default)]
    pub created: Option<i64>,
    /// Full name or business name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone number, as the tenant typed it.
    #[serde(default)]
    pub phone: Option<String>,
    /// Postal address.
    #[serde(default)]
    pub address: Option<Address>,
    /// Languages, most preferred first ("en-GB").
    #[serde(default)]
    pub preferred_locales: Vec<String>,
    /// The tenant's own key-value data.
    #[serde(default, deserialize_with = "metadata")]
    pub metadata: BTreeMap<String, String>,
}

/// Why a webhook body is not an event nudge can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The body is not JSON.
    #[error("webhook body is not JSON: {0}")]
    NotJson(String),
    /// A field of the envelope is missing or of the wrong type.
    #[error("event field {field}: {message}")]
    Field {
        /// The field, as `data.object`.
        field: &'static str,
        /// What was wrong.
        message: String,
    },
    /// The event's object is not the kind its type carries.
    #[error("event {event} of type {type_name} carries a {found:?} object, expected {expected:?}")]
    WrongObject {
        /// The event id.
        event: String,
        /// The event type.
        type_name: String,
        /// The object kind the type carries.
        expected: &'static str,
        /// The object kind found.
        found: String,
    },
    /// The object lacks a field nudge needs, or has one of the wrong type.
    #[error("event {event} ({type_name}): data.object (a Stripe {object}): {message}")]
    Object {
        /// The event id.
        event: String,
        /// The event type.
        type_name: String,
        /// The object kind.
        object: &'static str,
        /// What serde found wrong, naming the field.
        message: String,
    },
}

/// Parses a webhook body. Types nudge does not act on parse to
/// [`Payload::Unsupported`] (acknowledge, do nothing), not to an error.
pub fn parse_event(body: &[u8]) -> Result<Event, EventError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| EventError::NotJson(e.to_string()))?;
    let field = |field: &'static str, message: &str| EventError::Field { field, message: message.to_string() };
    if !value.is_object() {
        return Err(field("(body)", "expected a JSON object"));
    }
    let text = |name: &'static str| match value.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(field(name, "must not be empty")),
        Some(_) => Err(field(name, "expected a string")),
        None => Err(field(name, "missing")),
    };
    let id = text("id")?;
    let type_name = text("type")?;
    let created = match value.get("created") {
        Some(v) => v.as_i64().ok_or_else(|| field("created", "expected Unix seconds (an integer)"))?,
        None => return Err(field("created", "missing")),
    };
    let created = Timestamp::from_second(created).map_err(|_| field("created", "out of range"))?;
    let livemode = value.get("livemode").and_then(Value::as_bool).unwrap_or(false);
    let payload = match type_name.as_str() {
        "invoice.finalized" => invoice(&value, &id, &type_name, InvoiceEvent::Finalized)?,
        "invoice.paid" => invoice(&value, &id, &type_name, InvoiceEvent::Paid)?,
        "invoice.payment_failed" => invoice(&value, &id, &type_name, InvoiceEvent::PaymentFailed)?,
        "invoice.voided" => invoice(&value, &id, &type_name, InvoiceEvent::Voided)?,
        "invoice.marked_uncollectible" => invoice(&value, &id, &type_name, InvoiceEvent::MarkedUncollectible)?,
        "invoice.overdue" => invoice(&value, &id, &type_name, InvoiceEvent::Overdue)?,
        "customer.created" => customer(&value, &id, &type_name, CustomerEvent::Created)?,
        "customer.updated" => customer(&value, &id, &type_name, CustomerEvent::Updated)?,
        _ => Payload::Unsupported,
    };
    Ok(Event { id, type_name, created, livemode, payload })
}

fn object<'v>(value: &'v Value, event: &str, type_name: &str, expected: &'static str) -> Result<&'v Value, EventError> {
    let Some(object) = value.get("data").and_then(|d| d.get("object")) else {
        return Err(EventError::Field { field: "data.object", message: "missing".into() });
    };
    if !object.is_object() {
        return Err(EventError::Field { field: "data.object", message: "expected a JSON object".into() });
    }
    match object.get("object").and_then(Value::as_str) {
        Some(found) if found == expected => Ok(object),
        found => Err(EventError::WrongObject {
            event: event.to_string(),
            type_name: type_name.to_string(),
            expected,
            found: found.unwrap_or("(none)").to_string(),
        }),
    }
}

fn invoice(value: &Value, event: &str, type_name: &str, kind: InvoiceEvent) -> Result<Payload, EventError> {
    let object = object(value, event, type_name, "invoice")?;
    let invoice = StripeInvoice::deserialize(object).map_err(|e| EventError::Object {
        event: event.to_string(),
        type_name: type_name.to_string(),
        object: "invoice",
        message: e.to_string(),
    })?;
    Ok(Payload::Invoice { kind, invoice: Box::new(invoice) })
}

fn customer(value: &Value, event: &str, type_name: &str, kind: CustomerEvent) -> Result<Payload, EventError> {
    let object = object(value, event, type_name, "customer")?;
    let customer = StripeCustomer::deserialize(object).map_err(|e| EventError::Object {
        event: event.to_string(),
        type_name: type_name.to_string(),
        object: "customer",
        message: e.to_string(),
    })?;
    Ok(Payload::Customer { kind, customer: Box::new(customer) })
}

/// An id that Stripe may send as a string or, when expanded, as an object with an `id`.
fn expandable_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Object(o)) => match o.get("id") {
            Some(Value::String(s)) => Ok(Some(s.clone())),
            _ => Err(serde::de::Error::custom("an expanded object without a string `id`")),
        },
        Some(_) => Err(serde::de::Error::custom("expected an id string or an expanded object")),
    }
}

/// Metadata values are strings in Stripe; null (or a missing map) is empty.
fn metadata<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(Option::<BTreeMap<String, String>>::deserialize(d)?.unwrap_or_default())
}
