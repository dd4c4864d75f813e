//! `Idempotency-Key` on POSTs: the first response to a key is kept and
//! replayed for a repeat of the same request; the same key with another
//! request is a 409.

use hyper::{Method, StatusCode};
use jiff::Timestamp;
use nudge_core::Tenant;
use nudge_store::IdempotencyRecord;
use sha2::{Digest, Sha256};

use crate::{
    app::{App, Call},
    error::{ApiError, ApiResult},
    reply::Reply,
};

/// The request header.
pub const HEADER: &str = "idempotency-key";

fn replay(record: IdempotencyRecord) -> ApiResult<Reply> {
    let status = StatusCode::from_u16(record.status).map_err(|e| ApiError::internal(&e))?;
    Ok(Reply { replayed: true, ..Reply::raw(status, "application/json", record.body) })
}

fn reused() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "idempotency_key_reused",
        "this Idempotency-Key was used before with a different request; use a new key for a new request",
    )
}

/// Runs `handler` for a tenant's request, keeping and replaying responses
/// to POSTs that carry an `Idempotency-Key`.
pub fn around(
    app: &App,
    tenant: &Tenant,
    call: &Call,
    handler: fn(&App, &Tenant, &Call) -> ApiResult<Reply>,
) -> ApiResult<Reply> {
    let Some(value) = call.headers.get(HEADER).filter(|_| call.method == Method::POST) else {
        return handler(app, tenant, call);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
        ApiError::bad_request(
            "bad_idempotency_key",
            "the Idempotency-Key header must be 1 to 255 printable ASCII characters without spaces",
        )
    })?;
    let mut hash = Sha256::new();
    hash.update(call.method.as_str());
    hash.update(b"\n");
    hash.update(call.segments.join("/"));
    hash.update(b"\n");
    hash.update(&call.body);
    let request_sha256 = hex::encode(hash.finalize());
    let store = app.scheduler.store();
    if let Some(record) = store.idempotent_response(&tenant.id, key)? {
        return if record.request_sha256 == request_sha256 { replay(record) } else { Err(reused()) };
    }
    let reply = match handler(app, tenant, call) {
        Ok(reply) => reply,
        Err(e) => Reply::error(&e),
    };
    // Server failures and rate limits are worth retrying: not kept.
    if reply.status.is_server_error() || reply.status == StatusCode::TOO_MANY_REQUESTS {
        return Ok(reply);
    }
    let record = IdempotencyRecord {
        tenant: tenant.id.clone(),
        key: key.to_string(),
        request_sha256: request_sha256.clone(),
        status: reply.status.as_u16(),
        body: reply.body.clone(),
        created_at: Timestamp::now(),
    };
    match store.keep_idempotent_response(&record)? {
        None => Ok(reply),
        // A concurrent request with the same key got there first.
        Some(first) if first.request_sha256 == request_sha256 => replay(first),
        Some(_) => Err(reused()),
    }
}
