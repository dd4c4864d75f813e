//! A tenant's notices, one at a time:
//!
//! - `GET /v1/notices/{id}`: one notice
//! - `POST /v1/notices/{id}/cancel`: a scheduled notice is suppressed
//!   ("cancelled by tenant"); one already being sent, sent or settled is a
//!   409 `notice_not_cancellable`
//! - `POST /v1/invoices/{id}/send` `{"channel"?, "tone"?, "step"?}`: a
//!   notice due now, through the normal send path (opt-outs, quiet hours,
//!   frequency caps, which it counts towards); 201 with the notice as it
//!   stands after the attempt

use hyper::{Method, StatusCode};
use jiff::Timestamp;
use nudge_core::{Channel, InvoiceId, NoticeId, Tenant, Tone};
use nudge_scheduler::ManualSend;
use serde::Deserialize;

use crate::{
    app::{App, Call, no_route},
    error::{ApiError, ApiResult},
    reply::Reply,
};

/// The metrics label of a notice path, if it is one of these.
pub fn label(rest: &[&str]) -> Option<&'static str> {
    Some(match rest {
        ["notices", _] => "/v1/notices/{id}",
        ["notices", _, "cancel"] => "/v1/notices/{id}/cancel",
        ["invoices", _, "send"] => "/v1/invoices/{id}/send",
        _ => return None,
    })
}

/// `POST /v1/invoices/{id}/send`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SendBody {
    channel: Option<Channel>,
    tone: Option<Tone>,
    step: Option<String>,
}

fn notice_id(id: &str) -> ApiResult<NoticeId> {
    NoticeId::parse(id).ok_or_else(|| ApiError::not_found(format!("notice {id:?}")))
}

/// Serves a notice route for `tenant`.
pub fn handle(app: &App, tenant: &Tenant, call: &Call) -> ApiResult<Reply> {
    let (scheduler, t) = (&app.scheduler, &tenant.id);
    match (&call.method, call.path().as_slice()) {
        (&Method::GET, ["notices", id]) => {
            let notice = scheduler.notice_by_id(t, &notice_id(id)?)?;
            Reply::json(StatusCode::OK, &notice.ok_or_else(|| ApiError::not_found(format!("notice {id}")))?)
        }
        (&Method::POST, ["notices", id, "cancel"]) => {
            let notice = scheduler.cancel_notice(t, &notice_id(id)?, Timestamp::now())?;
            app.wake.notify_one();
            Reply::json(StatusCode::OK, &notice)
        }
        (&Method::POST, ["invoices", id, "send"]) => {
            let body: SendBody = if call.body.is_empty() { SendBody::default() } else { call.json()? };
            let invoice = InvoiceId::new(*id).ok().filter(|i| scheduler.store().invoice(t, i).ok().flatten().is_some());
            let invoice = invoice.ok_or_else(|| ApiError::not_found(format!("invoice {id}")))?;
            let manual = ManualSend { channel: body.channel, tone: body.tone, step: body.step };
            let notice = scheduler.send_now(t, &invoice, &manual, Timestamp::now())?;
            app.wake.notify_one();
            Reply::json(StatusCode::CREATED, &notice)
        }
        (_, ["notices", _] | ["notices", _, "cancel"] | ["invoices", _, "send"]) => Err(call.method_not_allowed()),
        _ => Err(no_route()),
    }
}
