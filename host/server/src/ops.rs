//! Public routes: the operator's probes `/healthz`, `/readyz`, `/metrics`,
//! and `/dashboard`, the page that asks for a tenant key and shows that
//! tenant's report (fetched from `GET /v1/report?format=html` with the key).

use std::sync::atomic::Ordering;

use hyper::{Method, StatusCode};
use serde_json::json;

use crate::{
    app::{App, Call, no_route},
    error::{ApiError, ApiResult},
    reply::Reply,
    telemetry,
};

/// The dashboard page: static, no data in it until a key fetches the report.
const DASHBOARD: &str = include_str!("dashboard.html");

/// Serves a public route.
pub fn handle(app: &App, call: &Call) -> ApiResult<Reply> {
    if call.method != Method::GET {
        return Err(call.method_not_allowed());
    }
    match call.path().as_slice() {
        ["healthz"] => Reply::json(StatusCode::OK, &json!({ "status": "ok" })),
        ["readyz"] => {
            let store_ok = app.scheduler.next_due().is_ok();
            let running = app.ready.load(Ordering::SeqCst);
            if store_ok && running {
                Reply::json(StatusCode::OK, &json!({ "status": "ready" }))
            } else {
                let why = if store_ok { "the scheduler is not running" } else { "the store cannot be read" };
                Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", why))
            }
        }
        ["metrics"] => {
            let text = telemetry::render(&app.scheduler, &app.metrics)?;
            Ok(Reply::raw(StatusCode::OK, "text/plain; version=0.0.4; charset=utf-8", text))
        }
        ["dashboard"] => Ok(Reply::raw(StatusCode::OK, "text/html; charset=utf-8", DASHBOARD.to_string())),
        _ => Err(no_route()),
    }
}
