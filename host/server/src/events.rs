//! Engagement events under `/v1/events`, scoped to the key's tenant:
//!
//! - `POST /v1/events` `{"notice", "kind", "channel"?, "detail"?, "at"?,
//!   "fair"?, "negative"?}`: what happened to a sent notice (delivered,
//!   opened, clicked, bounced, complained, feedback, opt-out); 201 when
//!   recorded, 200 with `"recorded": false` for a report recorded before
//! - `GET /v1/events`: the tenant's engagement events, paginated

use hyper::{Method, StatusCode};
use jiff::Timestamp;
use nudge_core::{Channel, EngagementKind, Event, EventKind, NoticeId, Tenant};
use nudge_scheduler::{Engagement, engagement::MAX_DETAIL_CHARS};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    app::{App, Call, no_route},
    error::{ApiError, ApiResult},
    page::{page, parse_query},
    reply::Reply,
};

/// `POST /v1/events`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventBody {
    notice: String,
    kind: String,
    channel: Option<Channel>,
    detail: Option<String>,
    at: Option<Timestamp>,
    /// Feedback: was the reminder fair?
    fair: Option<bool>,
    /// Feedback: the opposite of `fair`, for senders that say it this way.
    negative: Option<bool>,
}

/// Serves `/v1/events` for `tenant`.
pub fn handle(app: &App, tenant: &Tenant, call: &Call) -> ApiResult<Reply> {
    match (&call.method, call.path().as_slice()) {
        (&Method::POST, ["events"]) => post(app, tenant, call),
        (&Method::GET, ["events"]) => {
            let query = parse_query(call.query.as_deref())?;
            let events: Vec<Value> = app.scheduler.engagement_events(&tenant.id)?.iter().filter_map(view).collect();
            let key = |v: &Value| v["id"].as_str().unwrap_or_default().to_string();
            Reply::json(StatusCode::OK, &page(events, key, &query)?)
        }
        (_, ["events"]) => Err(call.method_not_allowed()),
        _ => Err(no_route()),
    }
}

/// An engagement event as the API shows it; its id is its place in the log.
fn view(event: &Event) -> Option<Value> {
    let id = format!("{:020}", event.seq);
    Some(match &event.kind {
        EventKind::Engagement { customer, notice, kind, channel, negative, detail } => json!({
            "id": id, "at": event.at, "customer": customer, "notice": notice, "kind": kind,
            "channel": channel, "negative": negative, "detail": detail,
        }),
        EventKind::OptedOut { customer, channel } => json!({
            "id": id, "at": event.at, "customer": customer, "notice": null, "kind": EngagementKind::OptOut,
            "channel": channel, "negative": false, "detail": null,
        }),
        _ => return None,
    })
}

fn post(app: &App, tenant: &Tenant, call: &Call) -> ApiResult<Reply> {
    let body: EventBody = call.json()?;
    let kind: EngagementKind = body.kind.parse().map_err(|e: String| ApiError::invalid(format!("kind: {e}")))?;
    let negative = match (kind, body.fair, body.negative) {
        (EngagementKind::Feedback, Some(fair), Some(negative)) if fair == negative => {
            return Err(ApiError::invalid("fair and negative contradict each other; give one of them"));
        }
        (EngagementKind::Feedback, Some(fair), _) => !fair,
        (EngagementKind::Feedback, None, Some(negative)) => negative,
        (EngagementKind::Feedback, None, None) => {
            return Err(ApiError::invalid("fair: feedback needs \"fair\": true or false (or \"negative\")"));
        }
        (_, None, None) => false,
        (other, _, _) => {
            return Err(ApiError::invalid(format!("fair, negative: only feedback takes them, not {other}")));
        }
    };
    if let Some(detail) = &body.detail
        && detail.chars().count() > MAX_DETAIL_CHARS
    {
        return Err(ApiError::invalid(format!("detail: at most {MAX_DETAIL_CHARS} characters")));
    }
    let now = Timestamp::now();
    let at = body.at.unwrap_or(now);
    if at > now {
        return Err(ApiError::invalid(format!("at: {at} is in the future")));
    }
    // A malformed id and another tenant's id answer as one that exists nowhere.
    let notice =
        NoticeId::parse(&body.notice).ok_or_else(|| ApiError::not_found(format!("notice {:?}", body.notice)))?;
    let report = Engagement { notice, kind, channel: body.channel, negative, detail: body.detail, at };
    let recorded = app.scheduler.record_engagement(&tenant.id, &report)?;
    let status = if recorded.new { StatusCode::CREATED } else { StatusCode::OK };
    Reply::json(
        status,
        &json!({
            "recorded": recorded.new,
            "event": {
                "notice": report.notice, "customer": recorded.customer, "kind": kind,
                "channel": recorded.channel, "negative": recorded.negative, "detail": report.detail, "at": at,
            },
            "opted_out": recorded.opted_out,
            "unverified": recorded.unverified,
        }),
    )
}
