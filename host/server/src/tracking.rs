//! Tracking links customers follow from their messages: `GET /t/{token}`,
//! and `POST /t/{token}` for one-click unsubscribe (RFC 8058). No API key:
//! the token is signed by the host (`nudge_delivery::tracking`), and names
//! the tenant, the notice and the action.
//!
//! - open pixel: records `opened`, answers a 1x1 transparent GIF, never cached
//! - click: records `clicked`, redirects (302) to the invoice's payment link
//! - unsubscribe: `GET` shows a one-button form, `POST` opts the customer
//!   out of the channel the notice went out on (so that mail scanners
//!   following links cannot unsubscribe anyone)
//! - fair yes / no: records `feedback` (negative for no), thanks the customer
//!
//! A token that does not verify, or whose notice is gone, gets the same 404
//! page, saying nothing more. Links are rate-limited per tenant in buckets
//! of their own, so customers can never use up the tenant's API requests.

use std::time::Instant;

use hyper::{Method, StatusCode};
use jiff::Timestamp;
use nudge_core::{EngagementKind, NoticeState, TenantId};
use nudge_delivery::tracking::{Action, Token};
use nudge_scheduler::{Engagement, Error as SchedulerError};

use crate::{
    app::{App, Call, rate_limited},
    error::{ApiError, ApiResult},
    reply::Reply,
};

/// A 1x1 transparent GIF.
pub const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
    0x02, 0x44, 0x01, 0x00, 0x3b,
];

const HTML: &str = "text/html; charset=utf-8";

/// A small page: a title and one paragraph (and, for unsubscribing, a form).
fn page(status: StatusCode, title: &str, text: &str, form: Option<&str>) -> Reply {
    let form = form.map_or(String::new(), |button| {
        format!("<form method=\"post\"><button type=\"submit\">{button}</button></form>")
    });
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width\"><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p>{form}</body></html>\n"
    );
    Reply::raw(status, HTML, body).with_header("cache-control", "no-store")
}

/// The one answer to every link that is not valid, whatever the reason.
fn not_found() -> Reply {
    page(StatusCode::NOT_FOUND, "Link not valid", "This link is not valid.", None)
}

/// Serves `/t/{token}`.
pub fn handle(app: &App, call: &Call) -> ApiResult<Reply> {
    let path = call.path();
    let ["t", token] = path.as_slice() else {
        return Ok(not_found());
    };
    let verified = app.tracker.verify(token).ok();
    app.tracking_limiter.take(&verified.as_ref().map(|t| t.tenant.clone()), Instant::now()).map_err(rate_limited)?;
    let Some(token) = verified else {
        return Ok(not_found());
    };
    let (post, head) = match call.method {
        Method::GET => (false, false),
        // A HEAD (link checkers, mail scanners) gets the headers and records nothing.
        Method::HEAD => (false, true),
        Method::POST if token.action == Action::Unsubscribe => (true, false),
        _ => return Err(call.method_not_allowed()),
    };
    match follow(app, &token, post, head) {
        Ok(reply) => Ok(reply),
        // A host failure is a 500 (logged); anything else says nothing.
        Err(e) if e.status.is_server_error() => Err(e),
        Err(_) => Ok(not_found()),
    }
}

fn record(app: &App, token: &Token, kind: EngagementKind, negative: bool) -> ApiResult<()> {
    let channel = match kind {
        // Opt out of the channel the notice went out on, not of every channel.
        EngagementKind::OptOut => match app.scheduler.notice_by_id(&token.tenant, &token.notice)?.map(|n| n.state) {
            Some(NoticeState::Sent { channel, .. }) => Some(channel),
            _ => return Err(SchedulerError::NoSuchNotice(token.notice.clone()).into()),
        },
        _ => None,
    };
    let report =
        Engagement { notice: token.notice.clone(), kind, channel, negative, detail: None, at: Timestamp::now() };
    app.scheduler.record_engagement(&token.tenant, &report)?;
    Ok(())
}

fn follow(app: &App, token: &Token, post: bool, head: bool) -> ApiResult<Reply> {
    let tenant_name = tenant_name(app, &token.tenant)?;
    let record = |kind, negative| if head { Ok(()) } else { record(app, token, kind, negative) };
    match token.action {
        Action::Open => {
            record(EngagementKind::Opened, false)?;
            Ok(Reply { binary: Some(PIXEL), ..Reply::raw(StatusCode::OK, "image/gif", String::new()) }
                .with_header("cache-control", "no-cache, no-store, must-revalidate, private")
                .with_header("pragma", "no-cache")
                .with_header("expires", "0"))
        }
        Action::Click => {
            let link = payment_link(app, token)?;
            let Some(link) = link else {
                return Ok(page(
                    StatusCode::NOT_FOUND,
                    "No payment link",
                    &format!(
                        "{} has no online payment link for this invoice; reply to the message to pay.",
                        tenant_name
                    ),
                    None,
                ));
            };
            record(EngagementKind::Clicked, false)?;
            Ok(Reply::raw(StatusCode::FOUND, HTML, String::new())
                .with_header("location", link)
                .with_header("cache-control", "no-store"))
        }
        Action::Unsubscribe if !post => {
            // Proves the notice is there before offering the button.
            app.scheduler.notice_by_id(&token.tenant, &token.notice)?.ok_or_else(|| ApiError::not_found("notice"))?;
            Ok(page(
                StatusCode::OK,
                "Unsubscribe",
                &format!("Stop payment reminders from {tenant_name} on this channel?"),
                Some("Unsubscribe"),
            ))
        }
        Action::Unsubscribe => {
            record(EngagementKind::OptOut, false)?;
            Ok(page(
                StatusCode::OK,
                "Unsubscribed",
                &format!("You will get no more payment reminders from {tenant_name} on this channel."),
                None,
            ))
        }
        Action::FairYes | Action::FairNo => {
            record(EngagementKind::Feedback, token.action == Action::FairNo)?;
            Ok(page(StatusCode::OK, "Thank you", &format!("Thank you, {tenant_name} has your answer."), None))
        }
    }
}

/// The tenant's name, escaped for HTML.
fn tenant_name(app: &App, tenant: &TenantId) -> ApiResult<String> {
    let record = app.scheduler.store().tenant(tenant)?.ok_or_else(|| ApiError::not_found("tenant"))?;
    Ok(escape(&record.name))
}

/// The payment link of the notice's invoice, if it is an http(s) URL.
fn payment_link(app: &App, token: &Token) -> ApiResult<Option<String>> {
    let notice =
        app.scheduler.notice_by_id(&token.tenant, &token.notice)?.ok_or_else(|| ApiError::not_found("notice"))?;
    let invoice = app.scheduler.store().invoice(&token.tenant, &notice.invoice)?;
    Ok(invoice.and_then(|i| i.payment_link).filter(|l| l.starts_with("https://") || l.starts_with("http://")))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pixel_is_a_1x1_gif_and_names_are_escaped() {
        assert!(PIXEL.starts_with(b"GIF89a") && PIXEL.ends_with(b";"));
        assert_eq!((PIXEL[6], PIXEL[8]), (1, 1), "1 by 1");
        assert_eq!(escape("<b>A&B \"Ltd\"</b>"), "&lt;b&gt;A&amp;B &quot;Ltd&quot;&lt;/b&gt;");
    }
}
