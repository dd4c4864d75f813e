//! Tenant routes under `/v1`, each scoped to the tenant of the API key:
//! another tenant's ids simply do not exist here (404).
//!
//! - `PUT /v1/customers/{id}`, `GET /v1/customers/{id}`, `GET /v1/customers`
//! - `PUT /v1/invoices/{id}` (then the policy decides), `GET /v1/invoices/{id}`, `GET /v1/invoices`
//! - `POST /v1/payments` (idempotent by payment id), `GET /v1/payments`
//! - `GET /v1/notices`, `GET /v1/incidents`
//! - engagement events: see [`crate::events`]; one notice, cancel, manual send: see [`crate::notices`]
//! - privacy and the report: see [`crate::privacy`]; plugins: see [`crate::plugins`];
//!   templates: see [`crate::templates`]

use hyper::{Method, StatusCode};
use jiff::{Timestamp, civil::Date};
use nudge_core::{
    Channel, Customer, CustomerId, CustomerStats, Invoice, InvoiceId, InvoiceStatus, Money, Payment, PaymentId, Tenant,
    time,
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    app::{App, Call, no_route},
    error::{ApiError, ApiResult},
    events, notices,
    page::{page, parse_query},
    plugins, privacy,
    reply::Reply,
    stripe, templates,
};

/// The metrics label of a tenant path (segments after `/v1`).
pub fn label(rest: &[&str]) -> &'static str {
    match rest {
        ["customers"] => "/v1/customers",
        ["customers", _] => "/v1/customers/{id}",
        ["invoices"] => "/v1/invoices",
        ["invoices", _] => "/v1/invoices/{id}",
        ["payments"] => "/v1/payments",
        ["notices"] => "/v1/notices",
        ["incidents"] => "/v1/incidents",
        ["events"] => "/v1/events",
        ["stripe", "webhook-secrets"] => "/v1/stripe/webhook-secrets",
        other => privacy::label(other)
            .or_else(|| notices::label(other))
            .or_else(|| templates::label(other))
            .unwrap_or_else(|| plugins::label(other)),
    }
}

/// True for a plugin upload, whose body limit is the tenant's plugin size cap.
pub fn is_upload(method: &Method, segments: &[String]) -> bool {
    method == Method::POST && segments.len() == 1 && segments[0] == "plugins"
}

/// Serves a tenant route for `tenant`.
pub fn handle(app: &App, tenant: &Tenant, call: &Call) -> ApiResult<Reply> {
    let store = app.scheduler.store();
    let t = &tenant.id;
    let list = || parse_query(call.query.as_deref());
    match (&call.method, call.path().as_slice()) {
        (&Method::PUT, ["customers", id]) => put_customer(app, tenant, id, call),
        (&Method::DELETE, ["customers", _]) | (_, ["customers", _, "opt-out" | "export"] | ["report"]) => {
            privacy::handle(app, tenant, call)
        }
        (&Method::GET, ["customers", id]) => {
            let customer = CustomerId::new(*id).ok().map(|c| store.customer(t, &c)).transpose()?.flatten();
            Reply::json(StatusCode::OK, &customer.ok_or_else(|| ApiError::not_found(format!("customer {id}")))?)
        }
        (&Method::GET, ["customers"]) => {
            Reply::json(StatusCode::OK, &page(store.customers(t)?, |c| c.id.to_string(), &list()?)?)
        }
        (&Method::PUT, ["invoices", id]) => put_invoice(app, tenant, id, call),
        (&Method::GET, ["invoices", id]) => {
            let invoice = InvoiceId::new(*id).ok().map(|i| store.invoice(t, &i)).transpose()?.flatten();
            Reply::json(StatusCode::OK, &invoice.ok_or_else(|| ApiError::not_found(format!("invoice {id}")))?)
        }
        (&Method::GET, ["invoices"]) => {
            Reply::json(StatusCode::OK, &page(store.invoices(t)?, |i| i.id.to_string(), &list()?)?)
        }
        (&Method::POST, ["payments"]) => post_payment(app, tenant, call),
        (&Method::GET, ["payments"]) => {
            Reply::json(StatusCode::OK, &page(store.payments(t)?, |p| p.id.to_string(), &list()?)?)
        }
        (&Method::GET, ["notices"]) => {
            Reply::json(StatusCode::OK, &page(store.notices(t)?, |n| n.id.to_string(), &list()?)?)
        }
        (&Method::GET, ["incidents"]) => {
            // Incidents have no id: their position in the log, zero-padded so it sorts.
            let numbered: Vec<_> = store.incidents(t)?.into_iter().enumerate().collect();
            let page = page(numbered, |(n, _)| format!("{n:012}"), &list()?)?;
            let data: Vec<_> = page["data"].as_array().into_iter().flatten().map(|pair| pair[1].clone()).collect();
            Reply::json(StatusCode::OK, &json!({ "data": data, "next_cursor": page["next_cursor"] }))
        }
        (_, ["customers" | "invoices" | "payments" | "notices" | "incidents"] | ["customers" | "invoices", _]) => {
            Err(call.method_not_allowed())
        }
        (_, ["events"]) => events::handle(app, tenant, call),
        (_, ["notices", _] | ["notices", _, "cancel"] | ["invoices", _, "send"]) => notices::handle(app, tenant, call),
        (_, ["plugins", ..]) => plugins::handle(app, tenant, call),
        (_, ["templates", ..]) => templates::handle(app, tenant, call),
        (_, ["stripe", "webhook-secrets"]) => stripe::handle_secrets(app, tenant, call),
        _ => Err(no_route()),
    }
}

/// `PUT /v1/customers/{id}`: the fields of the nudge JSON history format.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerBody {
    id: Option<String>,
    time_zone: String,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    language: Option<String>,
    tier: Option<String>,
    preferred_channel: Option<Channel>,
    #[serde(default)]
    opted_out: Vec<Channel>,
    #[serde(default)]
    tags: Vec<String>,
}

fn path_id<T>(
    kind: &str,
    path: &str,
    body: Option<&str>,
    new: impl Fn(String) -> nudge_core::Result<T>,
) -> ApiResult<T> {
    if let Some(body) = body.filter(|b| *b != path) {
        return Err(ApiError::invalid(format!("id: the body says {body:?} but the path says {path:?}")));
    }
    new(path.to_string()).map_err(|e| ApiError::invalid(format!("{kind} id {path:?}: {e}")))
}

fn put_customer(app: &App, tenant: &Tenant, id: &str, call: &Call) -> ApiResult<Reply> {
    let body: CustomerBody = call.json()?;
    let id = path_id("customer", id, body.id.as_deref(), CustomerId::new)?;
    time::zone(&body.time_zone).map_err(|e| ApiError::invalid(format!("time_zone: {e}")))?;
    if let Some(email) = body.email.as_deref().filter(|e| !e.contains('@') || e.chars().any(char::is_whitespace)) {
        return Err(ApiError::invalid(format!("email: {email:?} is not an email address")));
    }
    let e164 = |p: &str| {
        p.strip_prefix('+').is_some_and(|d| (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
    };
    if let Some(phone) = body.phone.as_deref().filter(|p: &&str| !e164(p)) {
        return Err(ApiError::invalid(format!("phone: {phone:?} is not an E.164 number such as +15550100")));
    }
    privacy::refuse_erased(app, tenant, &id)?;
    let store = app.scheduler.store();
    let existing = store.customer(&tenant.id, &id)?;
    // An opt-out the customer gave stays, whatever the tenant sends.
    let mut opted_out = body.opted_out;
    for channel in existing.iter().flat_map(|c| c.opted_out.iter()) {
        if !opted_out.contains(channel) {
            opted_out.push(*channel);
        }
    }
    let customer = Customer {
        tenant: tenant.id.clone(),
        name: body.name.unwrap_or_else(|| format!("Customer {id}")),
        id: id.clone(),
        email: body.email,
        phone: body.phone,
        language: body.language.unwrap_or_else(|| "en".into()),
        time_zone: body.time_zone,
        tier: body.tier.unwrap_or_else(|| "standard".into()),
        preferred_channel: body.preferred_channel,
        opted_out,
        // Kept for an unchanged contact by `upsert_customer`.
        unverified: Vec::new(),
        tags: body.tags,
        stats: CustomerStats::default(),
    };
    app.scheduler.upsert_customer(&customer, Timestamp::now())?;
    let stored = store.customer(&tenant.id, &id)?.ok_or_else(|| ApiError::not_found(format!("customer {id}")))?;
    let status = if existing.is_some() { StatusCode::OK } else { StatusCode::CREATED };
    Reply::json(status, &stored)
}

/// `PUT /v1/invoices/{id}`: the fields of the nudge JSON history format.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InvoiceBody {
    id: Option<String>,
    customer: String,
    amount_minor: i64,
    currency: String,
    issued_on: String,
    due_on: String,
    number: Option<String>,
    #[serde(default)]
    disputed: bool,
    payment_link: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

fn date(field: &str, text: &str) -> ApiResult<Date> {
    text.parse().map_err(|e| ApiError::invalid(format!("{field}: expected a date as YYYY-MM-DD, got {text:?} ({e})")))
}

fn put_invoice(app: &App, tenant: &Tenant, id: &str, call: &Call) -> ApiResult<Reply> {
    let body: InvoiceBody = call.json()?;
    let id = path_id("invoice", id, body.id.as_deref(), InvoiceId::new)?;
    let customer = CustomerId::new(body.customer.as_str()).map_err(|e| ApiError::invalid(format!("customer: {e}")))?;
    if body.amount_minor <= 0 {
        return Err(ApiError::invalid(format!("amount_minor: must be more than 0, got {}", body.amount_minor)));
    }
    let total =
        Money::new(body.amount_minor, &body.currency).map_err(|e| ApiError::invalid(format!("currency: {e}")))?;
    let (issued_on, due_on) = (date("issued_on", &body.issued_on)?, date("due_on", &body.due_on)?);
    if due_on < issued_on {
        return Err(ApiError::invalid(format!("due_on: {due_on} is before issued_on {issued_on}")));
    }
    let store = app.scheduler.store();
    if store.customer(&tenant.id, &customer)?.is_none() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_customer",
            format!("customer: {customer} does not exist; PUT /v1/customers/{customer} first"),
        ));
    }
    let existed = store.invoice(&tenant.id, &id)?.is_some();
    let invoice = Invoice {
        tenant: tenant.id.clone(),
        number: body.number.unwrap_or_else(|| id.to_string()),
        id: id.clone(),
        customer,
        amount_remaining_minor: total.amount_minor,
        total,
        issued_on,
        due_on,
        status: InvoiceStatus::Open,
        disputed: body.disputed,
        payment_link: body.payment_link,
        tags: body.tags,
        paid_at: None,
        next_evaluation: None,
        closed_reason: None,
    };
    app.scheduler.upsert_invoice(&invoice, Timestamp::now())?;
    app.wake.notify_one();
    let stored = store.invoice(&tenant.id, &id)?.ok_or_else(|| ApiError::not_found(format!("invoice {id}")))?;
    Reply::json(if existed { StatusCode::OK } else { StatusCode::CREATED }, &stored)
}

/// `POST /v1/payments`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentBody {
    id: String,
    invoice: String,
    amount_minor: i64,
    received_at: Option<Timestamp>,
}

fn post_payment(app: &App, tenant: &Tenant, call: &Call) -> ApiResult<Reply> {
    let body: PaymentBody = call.json()?;
    let id = PaymentId::new(body.id).map_err(|e| ApiError::invalid(format!("id: {e}")))?;
    let invoice = InvoiceId::new(body.invoice).map_err(|e| ApiError::invalid(format!("invoice: {e}")))?;
    if body.amount_minor <= 0 {
        return Err(ApiError::invalid(format!("amount_minor: must be more than 0, got {}", body.amount_minor)));
    }
    let now = Timestamp::now();
    let received_at = body.received_at.unwrap_or(now);
    if received_at > now {
        return Err(ApiError::invalid(format!("received_at: {received_at} is in the future")));
    }
    if app.scheduler.store().invoice(&tenant.id, &invoice)?.is_none() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_invoice",
            format!("invoice: {invoice} does not exist"),
        ));
    }
    let payment = Payment { tenant: tenant.id.clone(), id, invoice, amount_minor: body.amount_minor, received_at };
    let recorded = app.scheduler.record_payment(&payment)?;
    let status = if recorded { StatusCode::CREATED } else { StatusCode::OK };
    Reply::json(status, &json!({ "recorded": recorded, "payment": payment }))
}
