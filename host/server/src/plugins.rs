//! A tenant's policy plugins under `/v1/plugins`.
//!
//! - `POST /v1/plugins` (body: the component's bytes): validate and store
//!   as the next version, not active; the response is the validation report
//! - `GET /v1/plugins`: every version and which is active
//! - `GET /v1/plugins/{version}`: one version and its dry-run report
//! - `POST /v1/plugins/{version}/activate`, `POST /v1/plugins/rollback`
//! - `POST /v1/plugins/{version}/simulate`: see [`crate::simulate`]

use hyper::{Method, StatusCode};
use jiff::Timestamp;
use nudge_core::Tenant;
use serde_json::json;

use crate::{
    app::{App, Call, no_route},
    error::{ApiError, ApiResult},
    reply::Reply,
};

fn version(text: &str) -> ApiResult<u32> {
    text.parse().map_err(|_| ApiError::not_found(format!("plugin version {text:?}")))
}

/// Serves a plugin route for `tenant`.
pub fn handle(app: &App, tenant: &Tenant, call: &Call) -> ApiResult<Reply> {
    let (scheduler, t) = (&app.scheduler, &tenant.id);
    match (&call.method, call.path().as_slice()) {
        (&Method::POST, ["plugins"]) => {
            if call.body.is_empty() {
                return Err(ApiError::invalid("the request body must be the plugin component (.wasm bytes)"));
            }
            let record = scheduler.upload_plugin(t, &call.body, Timestamp::now())?;
            tracing::info!(tenant = %t, version = record.version, "plugin uploaded");
            Reply::json(StatusCode::CREATED, &record)
        }
        (&Method::GET, ["plugins"]) => {
            let active = scheduler.store().active_plugin_version(t)?;
            Reply::json(StatusCode::OK, &json!({ "active": active, "data": scheduler.store().plugins(t)? }))
        }
        (&Method::POST, ["plugins", "rollback"]) => {
            let active = scheduler.rollback_plugin(t, Timestamp::now())?;
            app.wake.notify_one();
            Reply::json(StatusCode::OK, &json!({ "active": active }))
        }
        (&Method::GET, ["plugins", v]) => {
            let record = scheduler.store().plugin(t, version(v)?)?;
            Reply::json(StatusCode::OK, &record.ok_or_else(|| ApiError::not_found(format!("plugin version {v}")))?)
        }
        (&Method::POST, ["plugins", v, "activate"]) => {
            let v = version(v)?;
            scheduler.activate_plugin(t, v, Timestamp::now())?;
            app.wake.notify_one();
            Reply::json(StatusCode::OK, &json!({ "active": v }))
        }
        (&Method::POST, ["plugins", v, "simulate"]) => crate::simulate::handle(app, tenant, v, call),
        (_, ["plugins"] | ["plugins", _] | ["plugins", _, "activate"]) => Err(call.method_not_allowed()),
        _ => Err(no_route()),
    }
}
