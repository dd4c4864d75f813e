//! `POST /v1/plugins/{version}/simulate[?against={other}]`: the tenant's own
//! stored history (or an accounts-receivable CSV body) replayed through one
//! of its plugin versions in a throw-away store, as `nudge plugin simulate`
//! does ([`nudge_scheduler::simulate`]): KPIs per step and segment, and with
//! `against`, what would change for customers if `version` replaced it.
//!
//! It runs the tenant's plugin under the tenant's own limits, over at most
//! [`MAX_SIMULATED_INVOICES`] invoices.

use std::collections::HashMap;

use hyper::StatusCode;
use jiff::{SignedDuration, Timestamp};
use nudge_core::{CustomerStats, InvoiceStatus, Tenant, time};
use nudge_ingest::{History, IssuedInvoice};
use nudge_scheduler::{changes, simulate};
use serde_json::json;

use crate::{
    app::{App, Call},
    error::{ApiError, ApiResult},
    imports,
    reply::{Reply, percent_decode},
};

/// The most invoices one simulation replays.
pub const MAX_SIMULATED_INVOICES: usize = 10_000;

/// Changed invoices shown as examples.
const EXAMPLES: usize = 10;

fn version(text: &str) -> ApiResult<u32> {
    text.parse().map_err(|_| ApiError::not_found(format!("plugin version {text:?}")))
}

/// The tenant's stored customers, invoices and payments as a history to
/// replay: the host's running figures cleared, each invoice open again and
/// issued at 09:00 on its issue date in its customer's zone.
fn stored_history(app: &App, tenant: &Tenant) -> ApiResult<History> {
    let store = app.scheduler.store();
    let t = &tenant.id;
    let customers: Vec<_> = store
        .customers(t)?
        .into_iter()
        .map(|c| nudge_core::Customer { stats: CustomerStats::default(), ..c })
        .collect();
    let zones: HashMap<_, _> = customers.iter().map(|c| (c.id.clone(), c.time_zone.clone())).collect();
    let stored = store.invoices(t)?;
    if stored.len() > MAX_SIMULATED_INVOICES {
        return Err(too_many(stored.len()));
    }
    let mut invoices = Vec::with_capacity(stored.len());
    let mut issued = HashMap::new();
    for invoice in stored {
        let zone = zones.get(&invoice.customer).unwrap_or(&tenant.settings.default_time_zone);
        let tz = time::zone(zone).map_err(|e| ApiError::invalid(e.to_string()))?;
        let issued_at = time::local_instant(invoice.issued_on, 9, &tz);
        issued.insert(invoice.id.clone(), issued_at);
        let invoice = nudge_core::Invoice {
            status: InvoiceStatus::Open,
            amount_remaining_minor: invoice.total.amount_minor,
            paid_at: None,
            next_evaluation: None,
            closed_reason: None,
            ..invoice
        };
        invoices.push(IssuedInvoice { invoice, issued_at });
    }
    let payments = store
        .payments(t)?
        .into_iter()
        .filter_map(|p| {
            // A payment never arrives before its invoice in a replay.
            let issued_at = *issued.get(&p.invoice)?;
            Some(nudge_core::Payment { received_at: p.received_at.max(issued_at + SignedDuration::from_mins(1)), ..p })
        })
        .collect();
    Ok(History { customers, invoices, payments })
}

fn too_many(count: usize) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "too_many_invoices",
        format!("a simulation replays at most {MAX_SIMULATED_INVOICES} invoices; this history has {count}"),
    )
}

/// The `against` query parameter, if given.
fn against(call: &Call) -> ApiResult<Option<u32>> {
    let mut against = None;
    for pair in call.query.as_deref().unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name != "against" {
            return Err(ApiError::bad_request("bad_query", format!("unknown query parameter {name:?}; use against")));
        }
        let value = percent_decode(value, true).unwrap_or_default();
        let version = value.parse().map_err(|_| {
            ApiError::bad_request("bad_query", format!("against: expected a plugin version, got {value:?}"))
        })?;
        against = Some(version);
    }
    Ok(against)
}

fn utc_day(at: Timestamp) -> String {
    at.to_zoned(jiff::tz::TimeZone::UTC).date().to_string()
}

/// Serves `POST /v1/plugins/{v}/simulate` for `tenant`.
pub fn handle(app: &App, tenant: &Tenant, v: &str, call: &Call) -> ApiResult<Reply> {
    let store = app.scheduler.store();
    let bytes_of = |v: u32| -> ApiResult<Vec<u8>> {
        store.plugin_bytes(&tenant.id, v)?.ok_or_else(|| ApiError::not_found(format!("plugin version {v}")))
    };
    let v = version(v)?;
    let plugin = bytes_of(v)?;
    let other = against(call)?;
    let other_bytes = other.map(bytes_of).transpose()?;
    let history = if call.body.is_empty() {
        stored_history(app, tenant)?
    } else {
        match imports::read_csv(tenant, call) {
            Ok(history) => history,
            Err(answer) => return answer,
        }
    };
    if history.invoices.len() > MAX_SIMULATED_INVOICES {
        return Err(too_many(history.invoices.len()));
    }
    let window = history.span().ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_history",
            "there are no invoices to replay; import some first",
        )
    })?;
    let run = |version: u32, bytes: &[u8]| {
        let dir = tempfile::Builder::new().prefix("nudge-simulate-").tempdir().map_err(|e| ApiError::internal(&e))?;
        let runtime = app.scheduler.runtime().clone();
        let (mut run, sent) = simulate::simulate(dir.path(), runtime, tenant, bytes, &history, window)?;
        // Named as the tenant knows it, not as the throw-away store numbered
        // it; and the temporary outbox is no business of the caller.
        if let Some(record) = store.plugin(&tenant.id, version)? {
            run.plugin = simulate::plugin_label(&record);
        }
        run.summary.outbox = "(simulation: nothing was sent)".into();
        Ok::<_, ApiError>((run, sent))
    };
    let (simulated, after) = run(v, &plugin)?;
    let (against_run, changes) = match other.zip(other_bytes) {
        Some((other, bytes)) => {
            let (run, before) = run(other, &bytes)?;
            (Some(run), Some(changes::compare(&before, &after, EXAMPLES)))
        }
        None => (None, None),
    };
    tracing::info!(tenant = %tenant.id, version = v, invoices = history.invoices.len(), "simulation");
    Reply::json(
        StatusCode::OK,
        &json!({
            "version": v,
            "against": other,
            "invoices": history.invoices.len(),
            "replay_from": utc_day(window.0),
            "replay_until": utc_day(window.1),
            "simulated": simulated,
            "against_run": against_run,
            "changes": changes,
        }),
    )
}
