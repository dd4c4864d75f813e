//! A tenant's message templates under `/v1/templates`.
//!
//! - `PUT /v1/templates/{name}/{channel}/{locale}`: `{"subject"?, "body",
//!   "html"?, "fields"?}`, validated (422 `template_invalid`, each issue with
//!   its part, line and column); 201 new, 200 replaced
//! - `GET /v1/templates`: a page of templates (key, revision, sources) and
//!   the tenant's fallback locale
//! - `GET`, `DELETE /v1/templates/{name}/{channel}/{locale}`
//! - `PUT /v1/templates/fallback-locale`: `{"fallback_locale": "de"}`
//! - `POST /v1/templates/preview`: `{"name", "channel", "locale"}` for a
//!   stored template, or `{"channel", "source": {...}}` for a draft, with
//!   `"invoice"?`, `"tone"?`, `"step"?`; answers subject, text, html and
//!   the SMS segments

use hyper::{Method, StatusCode};
use jiff::Timestamp;
use nudge_core::{Channel, InvoiceId, Tenant, Tone};
use nudge_delivery::{TemplateKey, TemplateSource};
use nudge_scheduler::{PreviewOf, templates::source_of};
use nudge_store::TemplateRecord;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    app::{App, Call, no_route},
    error::{ApiError, ApiResult},
    page::{page, parse_query},
    reply::Reply,
};

/// The metrics label of a template path, if it is one.
pub fn label(rest: &[&str]) -> Option<&'static str> {
    Some(match rest {
        ["templates"] => "/v1/templates",
        ["templates", "preview"] => "/v1/templates/preview",
        ["templates", "fallback-locale"] => "/v1/templates/fallback-locale",
        ["templates", _, _, _] => "/v1/templates/{name}/{channel}/{locale}",
        _ => return None,
    })
}

fn key(name: &str, channel: &str, locale: &str) -> ApiResult<TemplateKey> {
    TemplateKey::new(name, channel, locale).map_err(ApiError::invalid)
}

/// A template as the API shows it.
fn view(record: &TemplateRecord) -> Value {
    json!({
        "name": record.name, "channel": record.channel, "locale": record.locale,
        "revision": record.revision, "updated_at": record.updated_at,
        "source": source_of(record),
    })
}

/// Serves a template route for `tenant`.
pub fn handle(app: &App, tenant: &Tenant, call: &Call) -> ApiResult<Reply> {
    let (scheduler, t) = (&app.scheduler, &tenant.id);
    match (&call.method, call.path().as_slice()) {
        (&Method::GET, ["templates"]) => {
            let records = scheduler.store().templates(t)?;
            let query = parse_query(call.query.as_deref())?;
            // Keyed and ordered by `name/channel/locale`.
            let mut listed = page(records, |r| format!("{}/{}/{}", r.name, r.channel, r.locale), &query)?;
            let data: Vec<Value> = listed["data"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| serde_json::from_value::<TemplateRecord>(v.clone()).ok())
                .map(|r| view(&r))
                .collect();
            listed["data"] = Value::Array(data);
            listed["fallback_locale"] = json!(tenant.settings.fallback_locale);
            Reply::json(StatusCode::OK, &listed)
        }
        (&Method::POST, ["templates", "preview"]) => preview(app, tenant, call),
        (&Method::PUT, ["templates", "fallback-locale"]) => {
            #[derive(Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Body {
                fallback_locale: String,
            }
            let body: Body = call.json()?;
            let set = scheduler.set_fallback_locale(t, &body.fallback_locale)?;
            Reply::json(StatusCode::OK, &json!({ "fallback_locale": set }))
        }
        (&Method::PUT, ["templates", name, channel, locale]) => {
            let key = key(name, channel, locale)?;
            let source: TemplateSource = call.json()?;
            let record = scheduler.put_template(t, &key, &source, Timestamp::now())?;
            tracing::info!(tenant = %t, template = %key.id(), revision = record.revision, "template uploaded");
            let status = if record.revision == 1 { StatusCode::CREATED } else { StatusCode::OK };
            Reply::json(status, &view(&record))
        }
        (&Method::GET, ["templates", name, channel, locale]) => {
            let key = key(name, channel, locale)?;
            let record = scheduler.store().template(t, &key.name, key.channel, &key.locale)?;
            Reply::json(
                StatusCode::OK,
                &view(&record.ok_or_else(|| ApiError::not_found(format!("template {}", key.id())))?),
            )
        }
        (&Method::DELETE, ["templates", name, channel, locale]) => {
            let key = key(name, channel, locale)?;
            scheduler.delete_template(t, &key)?;
            Reply::json(StatusCode::OK, &json!({ "deleted": key.id() }))
        }
        (_, ["templates"] | ["templates", "preview" | "fallback-locale"] | ["templates", _, _, _]) => {
            Err(call.method_not_allowed())
        }
        _ => Err(no_route()),
    }
}

/// `POST /v1/templates/preview`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewBody {
    name: Option<String>,
    channel: String,
    locale: Option<String>,
    source: Option<TemplateSource>,
    invoice: Option<String>,
    tone: Option<Tone>,
    step: Option<String>,
}

fn preview(app: &App, tenant: &Tenant, call: &Call) -> ApiResult<Reply> {
    let body: PreviewBody = call.json()?;
    let of = match (body.source, body.name, body.locale) {
        (Some(source), None, None) => {
            let channel: Channel = body.channel.parse().map_err(|e| ApiError::invalid(format!("channel: {e}")))?;
            PreviewOf::Source(channel, source)
        }
        (None, Some(name), Some(locale)) => PreviewOf::Stored(key(&name, &body.channel, &locale)?),
        _ => {
            return Err(ApiError::invalid(
                "give `name`, `channel` and `locale` of a stored template, or `channel` and `source` for a draft",
            ));
        }
    };
    let invoice =
        body.invoice.map(|i| InvoiceId::new(i).map_err(|e| ApiError::invalid(format!("invoice: {e}")))).transpose()?;
    let preview = app.scheduler.preview_template(
        &tenant.id,
        &of,
        invoice.as_ref(),
        body.tone,
        body.step.as_deref(),
        Timestamp::now(),
    )?;
    Reply::json(StatusCode::OK, &preview)
}
