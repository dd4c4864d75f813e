//! `POST /v1/imports` (`Content-Type: text/csv`): an accounts-receivable CSV,
//! the format `nudge import` reads, imported whole or not at all.
//!
//! The body arrives under the server's body limit. Every row is checked
//! first; if any is bad the answer is 422 `rows_rejected` listing every
//! rejected row (line, column, reason) and nothing is stored. Otherwise all
//! customers, invoices and payments are written in one store transaction
//! and the answer counts them. The same file imported again changes nothing.

use hyper::{StatusCode, header::CONTENT_TYPE};
use jiff::Timestamp;
use nudge_core::Tenant;
use nudge_ingest::{ImportError, ar};
use serde_json::json;

use crate::{
    app::{App, Call},
    error::{ApiError, ApiResult},
    reply::Reply,
};

/// True when the request says its body is CSV.
pub fn is_csv(call: &Call) -> bool {
    let media = call.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    media.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv"))
}

/// The 422 answer listing every rejected row.
fn rejected(errors: &[nudge_ingest::RowError]) -> ApiResult<Reply> {
    let rows: Vec<_> =
        errors.iter().map(|e| json!({ "line": e.line, "column": e.column, "reason": e.message })).collect();
    let lines: Vec<String> = errors.iter().take(10).map(|e| e.line.to_string()).collect();
    let message = format!(
        "{} row(s) rejected (line {}{}); nothing was imported: fix them and send the file again",
        errors.len(),
        lines.join(", "),
        if errors.len() > lines.len() { ", ..." } else { "" }
    );
    Reply::json(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({ "error": { "code": "rows_rejected", "message": message, "rejected": rows } }),
    )
}

/// Reads `call`'s body as an accounts-receivable CSV for `tenant`: the
/// history, or the answer saying what was wrong with the file.
pub fn read_csv(tenant: &Tenant, call: &Call) -> Result<nudge_ingest::History, ApiResult<Reply>> {
    if !is_csv(call) {
        return Err(Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the accounts-receivable CSV with Content-Type: text/csv",
        )));
    }
    let data = match ar::read(&call.body[..], &tenant.id) {
        Ok(data) => data,
        Err(ImportError::Rows(errors)) => return Err(rejected(&errors)),
        Err(e @ ImportError::Csv(_)) => return Err(Err(ApiError::bad_request("bad_csv", e.to_string()))),
        Err(e) => return Err(Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_import", e.to_string()))),
    };
    data.into_history().map_err(|e| Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_import", e.to_string())))
}

/// Serves `POST /v1/imports` for `tenant`.
pub fn handle(app: &App, tenant: &Tenant, call: &Call) -> ApiResult<Reply> {
    let history = match read_csv(tenant, call) {
        Ok(history) => history,
        Err(answer) => return answer,
    };
    let store = app.scheduler.store();
    let mut erased = Vec::new();
    for customer in &history.customers {
        if store.is_erased(&tenant.id, &customer.id)? {
            erased.push(customer.id.to_string());
        }
    }
    if !erased.is_empty() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "customer_erased",
            format!("customer(s) {} were erased and cannot be written again; nothing was imported", erased.join(", ")),
        ));
    }
    let imported = app.scheduler.import_history(&tenant.id, &history, Timestamp::now())?;
    tracing::info!(
        tenant = %tenant.id,
        customers = imported.customers,
        invoices = imported.invoices,
        payments = imported.payments,
        "CSV imported"
    );
    Reply::json(StatusCode::OK, &imported)
}
