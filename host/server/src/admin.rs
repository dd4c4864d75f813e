//! Operator routes under `/v1/admin`: tenants and their API keys.
//!
//! - `POST /v1/admin/tenants` `{"id","name","currency"?,"default_time_zone"?}`:
//!   creates a tenant and its first API key (shown once)
//! - `GET /v1/admin/tenants`, `GET /v1/admin/tenants/{id}`
//! - `GET|POST /v1/admin/tenants/{id}/keys`: list keys, or create another (rotation)
//! - `DELETE /v1/admin/tenants/{id}/keys/{key_id}`: revoke a key

use hyper::{Method, StatusCode};
use jiff::Timestamp;
use nudge_core::{Tenant, TenantId, TenantSettings, time};
use nudge_store::ApiKeyRecord;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{
    app::{App, Call, no_route},
    auth::{self, NewKey},
    error::{ApiError, ApiResult},
    page::{page, parse_query},
    reply::Reply,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTenant {
    id: String,
    name: String,
    currency: Option<String>,
    default_time_zone: Option<String>,
}

/// An API key as listed: never the key or its hash.
#[derive(Serialize)]
struct KeyView<'a> {
    id: &'a str,
    created_at: Timestamp,
    revoked_at: Option<Timestamp>,
}

impl<'a> From<&'a ApiKeyRecord> for KeyView<'a> {
    fn from(r: &'a ApiKeyRecord) -> Self {
        Self { id: &r.id, created_at: r.created_at, revoked_at: r.revoked_at }
    }
}

fn shown_once(new: &NewKey) -> serde_json::Value {
    json!({ "id": new.record.id, "key": new.key, "created_at": new.record.created_at })
}

/// Serves an admin route; the operator token was checked.
pub fn handle(app: &App, call: &Call) -> ApiResult<Reply> {
    let store = app.scheduler.store();
    match (&call.method, call.path().as_slice()) {
        (&Method::POST, ["tenants"]) => create_tenant(app, call),
        (&Method::GET, ["tenants"]) => {
            let query = parse_query(call.query.as_deref())?;
            Reply::json(StatusCode::OK, &page(store.tenants()?, |t| t.id.to_string(), &query)?)
        }
        (&Method::GET, ["tenants", id]) => Reply::json(StatusCode::OK, &existing(app, id)?),
        (&Method::GET, ["tenants", id, "keys"]) => {
            let tenant = existing(app, id)?;
            let keys = store.api_keys(&tenant.id)?;
            Reply::json(StatusCode::OK, &json!({ "data": keys.iter().map(KeyView::from).collect::<Vec<_>>() }))
        }
        (&Method::POST, ["tenants", id, "keys"]) => {
            let tenant = existing(app, id)?;
            let new = auth::new_key(&tenant.id, Timestamp::now())?;
            store.transact(|tx| tx.put_api_key(&new.record))?;
            tracing::info!(tenant = %tenant.id, key = %new.record.id, "API key created");
            Reply::json(StatusCode::CREATED, &json!({ "api_key": shown_once(&new) }))
        }
        (&Method::DELETE, ["tenants", id, "keys", key_id]) => {
            let tenant = existing(app, id)?;
            let now = Timestamp::now();
            let revoked = store.transact(|tx| {
                let Some(mut record) = tx.api_key(key_id)?.filter(|r| r.tenant == tenant.id) else {
                    return Ok(None);
                };
                if record.revoked_at.is_none() {
                    record.revoked_at = Some(now);
                }
                tx.put_api_key(&record)?;
                Ok(Some(record))
            })?;
            let record = revoked.ok_or_else(|| ApiError::not_found(format!("API key {key_id} of tenant {id}")))?;
            tracing::info!(tenant = %tenant.id, key = %record.id, "API key revoked");
            Reply::json(StatusCode::OK, &json!({ "api_key": KeyView::from(&record) }))
        }
        (_, ["tenants"] | ["tenants", _] | ["tenants", _, "keys"] | ["tenants", _, "keys", _]) => {
            Err(call.method_not_allowed())
        }
        _ => Err(no_route()),
    }
}

fn existing(app: &App, id: &str) -> ApiResult<Tenant> {
    let tenant_id = TenantId::new(id).map_err(|_| ApiError::not_found(format!("tenant {id:?}")))?;
    app.scheduler.store().tenant(&tenant_id)?.ok_or_else(|| ApiError::not_found(format!("tenant {id}")))
}

fn create_tenant(app: &App, call: &Call) -> ApiResult<Reply> {
    let body: NewTenant = call.json()?;
    let id = TenantId::new(body.id).map_err(|e| ApiError::invalid(format!("id: {e}")))?;
    if body.name.trim().is_empty() || body.name.len() > 200 {
        return Err(ApiError::invalid("name: must be 1 to 200 bytes and not blank"));
    }
    let mut settings = TenantSettings { limits: app.scheduler.runtime().limits().plugin, ..TenantSettings::default() };
    if let Some(currency) = body.currency {
        nudge_core::Money::new(1, &currency).map_err(|e| ApiError::invalid(format!("currency: {e}")))?;
        settings.currency = currency;
    }
    if let Some(zone) = body.default_time_zone {
        time::zone(&zone).map_err(|e| ApiError::invalid(format!("default_time_zone: {e}")))?;
        settings.default_time_zone = zone;
    }
    let now = Timestamp::now();
    let tenant = Tenant { id: id.clone(), name: body.name, settings, created_at: now };
    let new = auth::new_key(&id, now)?;
    let created = app.scheduler.store().transact(|tx| {
        if tx.tenant(&id)?.is_some() {
            return Ok(false);
        }
        tx.put_tenant(&tenant)?;
        tx.put_api_key(&new.record)?;
        Ok(true)
    })?;
    if !created {
        return Err(ApiError::new(StatusCode::CONFLICT, "tenant_exists", format!("tenant {id} exists already")));
    }
    tracing::info!(tenant = %id, key = %new.record.id, "tenant created");
    Reply::json(StatusCode::CREATED, &json!({ "tenant": tenant, "api_key": shown_once(&new) }))
}
