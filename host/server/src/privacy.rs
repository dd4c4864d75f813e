//! A tenant's privacy routes and its report:
//!
//! - `POST /v1/customers/{id}/opt-out` `{"channel": "email"}`, or `{}` for every channel
//! - `GET /v1/customers/{id}/export`: everything held about the customer
//! - `DELETE /v1/customers/{id}`: erase the customer (README, "Privacy")
//! - `GET /v1/report`: the tenant's KPIs, slices and experiments (as `nudge report --json`);
//!   `?format=csv|html|text` gives the same numbers as `nudge report --csv|--html` or as text

use hyper::{Method, StatusCode};
use jiff::Timestamp;
use nudge_core::{Channel, CustomerId, Tenant};
use serde::Deserialize;
use serde_json::json;

use crate::{
    app::{App, Call, no_route},
    error::{ApiError, ApiResult},
    reply::Reply,
};

/// The metrics label of a privacy or report path, if it is one.
pub fn label(rest: &[&str]) -> Option<&'static str> {
    Some(match rest {
        ["customers", _, "opt-out"] => "/v1/customers/{id}/opt-out",
        ["customers", _, "export"] => "/v1/customers/{id}/export",
        ["report"] => "/v1/report",
        _ => return None,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OptOut {
    channel: Option<Channel>,
}

fn customer_id(id: &str) -> ApiResult<CustomerId> {
    CustomerId::new(id).map_err(|_| ApiError::not_found(format!("customer {id:?}")))
}

/// Serves a privacy or report route for `tenant`.
pub fn handle(app: &App, tenant: &Tenant, call: &Call) -> ApiResult<Reply> {
    let (scheduler, t) = (&app.scheduler, &tenant.id);
    match (&call.method, call.path().as_slice()) {
        (&Method::POST, ["customers", id, "opt-out"]) => {
            let body: OptOut = if call.body.is_empty() { OptOut { channel: None } } else { call.json()? };
            let opted_out = scheduler.opt_out(t, &customer_id(id)?, body.channel, Timestamp::now())?;
            Reply::json(StatusCode::OK, &json!({ "opted_out": opted_out }))
        }
        (&Method::GET, ["customers", id, "export"]) => {
            Reply::json(StatusCode::OK, &scheduler.export_customer(t, &customer_id(id)?)?)
        }
        (&Method::DELETE, ["customers", id]) => {
            let erasure = scheduler.erase_customer(t, &customer_id(id)?, Timestamp::now())?;
            tracing::info!(tenant = %t, "customer erased");
            Reply::json(
                StatusCode::OK,
                &json!({
                    "erased": true,
                    "notices_cancelled": erasure.notices_cancelled,
                    "notices_cleared": erasure.notices_cleared,
                    "outbox_files": erasure.outbox_files,
                }),
            )
        }
        (&Method::GET, ["report"]) => report(app, tenant, call),
        (_, ["customers", _, "opt-out" | "export"] | ["report"]) => Err(call.method_not_allowed()),
        _ => Err(no_route()),
    }
}

/// 409 when a customer was erased: nothing may write its data again.
pub fn refuse_erased(app: &App, tenant: &Tenant, id: &CustomerId) -> ApiResult<()> {
    if app.scheduler.store().is_erased(&tenant.id, id)? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "customer_erased",
            format!("customer {id} was erased; its data cannot be written again (use a new customer id)"),
        ));
    }
    Ok(())
}

/// `GET /v1/report[?format=json|csv|html|text]`.
fn report(app: &App, tenant: &Tenant, call: &Call) -> ApiResult<Reply> {
    let mut format = "json".to_string();
    for pair in call.query.as_deref().unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("format", value)) => format = value.to_string(),
            _ => {
                return Err(ApiError::bad_request(
                    "bad_query",
                    format!(
                        "unknown query parameter {:?}; the report takes format",
                        pair.split('=').next().unwrap_or("")
                    ),
                ));
            }
        }
    }
    let report = app.scheduler.analytics(&tenant.id)?;
    let name = tenant.id.as_str();
    Ok(match format.as_str() {
        "json" => return Reply::json(StatusCode::OK, &report),
        "csv" => Reply::raw(StatusCode::OK, "text/csv; charset=utf-8", nudge_analytics::render::csv(&report)),
        "html" => Reply::raw(StatusCode::OK, "text/html; charset=utf-8", nudge_analytics::render::html(&report, name)),
        "text" => Reply::raw(StatusCode::OK, "text/plain; charset=utf-8", nudge_analytics::render::text(&report, name)),
        other => {
            return Err(ApiError::bad_request(
                "bad_query",
                format!("format must be json, csv, html or text, got {:?}", other.chars().take(32).collect::<String>()),
            ));
        }
    })
}
