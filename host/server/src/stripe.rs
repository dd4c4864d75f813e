//! Stripe webhooks.
//!
//! - `PUT /v1/stripe/webhook-secrets` `{"secrets": ["whsec_..."]}` (tenant
//!   key): the endpoint secrets to accept, one or two (while rotating)
//! - `POST /v1/stripe/webhooks/{tenant}`: Stripe's deliveries, authenticated
//!   by their `Stripe-Signature` (HMAC with one of those secrets, timestamp
//!   within 5 minutes), not by an API key. Duplicate and out-of-order
//!   events are harmless (`nudge_scheduler::stripe`).

use hyper::{Method, StatusCode};
use jiff::Timestamp;
use nudge_core::{Tenant, TenantId};
use nudge_ingest::stripe::{DEFAULT_TOLERANCE, parse_event, verify_signature};
use nudge_scheduler::Applied;
use nudge_store::WebhookSecretsRecord;
use serde::Deserialize;
use serde_json::json;

use crate::{
    app::{App, Call, no_route},
    error::{ApiError, ApiResult},
    reply::Reply,
};

/// The signature header.
const SIGNATURE: &str = "stripe-signature";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Secrets {
    secrets: Vec<String>,
}

/// `PUT /v1/stripe/webhook-secrets` for `tenant`.
pub fn handle_secrets(app: &App, tenant: &Tenant, call: &Call) -> ApiResult<Reply> {
    if call.method != Method::PUT {
        return Err(call.method_not_allowed());
    }
    let body: Secrets = call.json()?;
    if !(1..=2).contains(&body.secrets.len()) {
        return Err(ApiError::invalid("secrets: give one secret, or two while rotating"));
    }
    if let Some(bad) = body.secrets.iter().position(|s| !s.starts_with("whsec_") || !(10..=256).contains(&s.len())) {
        return Err(ApiError::invalid(format!(
            "secrets[{bad}]: expected a Stripe endpoint secret, \"whsec_\" and more, at most 256 characters"
        )));
    }
    let record =
        WebhookSecretsRecord { tenant: tenant.id.clone(), secrets: body.secrets, updated_at: Timestamp::now() };
    app.scheduler.store().put_webhook_secrets(&record)?;
    tracing::info!(tenant = %tenant.id, count = record.secrets.len(), "Stripe webhook secrets set");
    Reply::json(StatusCode::OK, &json!({ "secrets": record.secrets.len(), "updated_at": record.updated_at }))
}

/// `POST /v1/stripe/webhooks/{tenant}`: `segments` are `["stripe", "webhooks", tenant]`.
pub fn handle_webhook(app: &App, call: &Call) -> ApiResult<Reply> {
    let path = call.path();
    let ["stripe", "webhooks", tenant] = path.as_slice() else {
        return Err(no_route());
    };
    if call.method != Method::POST {
        return Err(call.method_not_allowed());
    }
    // No tenant and no secrets look the same from outside.
    let no_endpoint = || ApiError::not_found("a Stripe webhook endpoint at this path");
    let tenant = TenantId::new(*tenant).map_err(|_| no_endpoint())?;
    let store = app.scheduler.store();
    let secrets = store.webhook_secrets(&tenant)?.ok_or_else(no_endpoint)?;
    let header = call.headers.get(SIGNATURE).and_then(|v| v.to_str().ok()).ok_or_else(|| {
        ApiError::bad_request("missing_signature", "a Stripe webhook needs its Stripe-Signature header")
    })?;
    let now = Timestamp::now();
    let accepted: Vec<&str> = secrets.secrets.iter().map(String::as_str).collect();
    verify_signature(&call.body, header, &accepted, now, DEFAULT_TOLERANCE)
        .map_err(|e| ApiError::bad_request("bad_signature", e.to_string()))?;
    let event = parse_event(&call.body).map_err(|e| ApiError::bad_request("bad_event", e.to_string()))?;
    let applied = app.scheduler.apply_stripe_event(&tenant, &event, now)?;
    app.wake.notify_one();
    let (result, detail) = match applied {
        Applied::Changed(what) => ("changed", what),
        Applied::Duplicate => ("duplicate", "this event was applied before".to_string()),
        Applied::Stale(why) => ("stale", why),
        Applied::Ignored(why) => ("ignored", why),
    };
    tracing::info!(tenant = %tenant, event = %event.id, result, "Stripe event");
    Reply::json(StatusCode::OK, &json!({ "event": event.id, "result": result, "detail": detail }))
}
