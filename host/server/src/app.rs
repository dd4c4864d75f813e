//! One request's way through the server: route, authenticate, rate-limit,
//! read the body under its limit, then run the handler on a blocking thread
//! (the scheduler and the store are synchronous).

use std::{
    convert::Infallible,
    sync::{Arc, atomic::AtomicBool},
    time::Instant,
};

use http_body_util::{BodyExt, Full};
use hyper::{
    HeaderMap, Method, Request, Response, StatusCode,
    body::{Bytes, Incoming},
    header::CONTENT_LENGTH,
};
use nudge_scheduler::Scheduler;
use tokio::sync::Notify;

use crate::{
    ServerConfig, admin, auth,
    error::{ApiError, ApiResult},
    idempotency, ops,
    ratelimit::RateLimiter,
    reply::{Reply, percent_decode},
    stripe,
    telemetry::HttpMetrics,
    tenant, tracking,
};

/// What every request shares.
pub struct App {
    /// The scheduler over the store.
    pub scheduler: Arc<Scheduler>,
    /// The server's settings.
    pub config: ServerConfig,
    /// Per-tenant token buckets.
    pub limiter: RateLimiter,
    /// Per-tenant token buckets for tracking links, apart from the API's:
    /// customers following links never use up the tenant's API requests.
    /// Links whose token does not verify share the `None` bucket.
    pub tracking_limiter: RateLimiter<Option<nudge_core::TenantId>>,
    /// Signs and checks tracking links.
    pub tracker: nudge_delivery::tracking::Tracker,
    /// Request counts.
    pub metrics: HttpMetrics,
    /// True while the scheduler's tick loop runs.
    pub ready: AtomicBool,
    /// Wakes the tick loop early (a write may have scheduled something).
    pub wake: Notify,
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Public,
    Operator,
    Tenant,
    /// Stripe's deliveries, authenticated by their signature.
    Webhook,
    /// Tracking links customers follow, authenticated by their signed token.
    Tracking,
}

/// A request as handlers see it, body read.
#[derive(Debug)]
pub struct Call {
    /// The method.
    pub method: Method,
    /// The path's segments, %-decoded, without the leading `/v1` (or `/v1/admin`).
    pub segments: Vec<String>,
    /// The raw query string.
    pub query: Option<String>,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl Call {
    /// The segments as `&str`, for matching.
    pub fn path(&self) -> Vec<&str> {
        self.segments.iter().map(String::as_str).collect()
    }

    /// The body as JSON of type `T`: 400 when it is not JSON, 422 when it is
    /// JSON of the wrong shape, both saying where.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> ApiResult<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            use serde_json::error::Category;
            match e.classify() {
                Category::Data => ApiError::invalid(format!("the request body does not fit: {e}")),
                _ => ApiError::bad_request("bad_json", format!("the request body is not valid JSON: {e}")),
            }
        })
    }

    /// 405 for a method the path does not take.
    pub fn method_not_allowed(&self) -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{} is not allowed on this route", self.method),
        )
    }
}

/// 404 for a path no route serves.
pub fn no_route() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no_route", "no route serves this path; see the README, \"nudge serve\"")
}

/// Serves one request; never fails (errors become JSON error responses).
pub async fn handle(app: Arc<App>, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let started = Instant::now();
    let method = request.method().clone();
    let (label, reply) = match route(request.uri().path()) {
        Ok((label, access, segments)) => {
            let reply = serve(&app, request, access, segments).await.unwrap_or_else(|e| Reply::error(&e));
            (label, reply)
        }
        Err(e) => ("unknown", Reply::error(&e)),
    };
    app.metrics.count(&method, label, reply.status, started.elapsed());
    Ok(reply.into_response())
}

/// The route's label (for metrics, never holding ids), who may call it, and
/// the path's segments after the prefix that decided that.
fn route(path: &str) -> ApiResult<(&'static str, Access, Vec<String>)> {
    let segments = path
        .trim_start_matches('/')
        .split('/')
        .map(|s| percent_decode(s, false))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| ApiError::bad_request("bad_path", "the path has a malformed %-escape"))?;
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let (label, access, skip) = match segs.as_slice() {
        ["healthz"] => ("/healthz", Access::Public, 0),
        ["readyz"] => ("/readyz", Access::Public, 0),
        ["metrics"] => ("/metrics", Access::Public, 0),
        ["dashboard"] => ("/dashboard", Access::Public, 0),
        ["t", _] => ("/t/{token}", Access::Tracking, 0),
        ["v1", "admin", rest @ ..] => (admin::label(rest), Access::Operator, 2),
        ["v1", "stripe", "webhooks", _] => ("/v1/stripe/webhooks/{tenant}", Access::Webhook, 1),
        ["v1", rest @ ..] => (tenant::label(rest), Access::Tenant, 1),
        _ => return Err(no_route()),
    };
    Ok((label, access, segments.into_iter().skip(skip).collect()))
}

async fn serve(app: &Arc<App>, request: Request<Incoming>, access: Access, segments: Vec<String>) -> ApiResult<Reply> {
    let (parts, body) = request.into_parts();
    let acting = match access {
        // Tracking links are limited per tenant inside their handler, once the token names it.
        Access::Public | Access::Tracking => None,
        Access::Webhook => {
            // Limited like the tenant's own requests, before any work.
            if let Some(tenant) = segments.get(2).and_then(|t| nudge_core::TenantId::new(t.as_str()).ok()) {
                app.limiter.take(&tenant, Instant::now()).map_err(rate_limited)?;
            }
            None
        }
        Access::Operator => {
            auth::operator(&parts.headers, app.config.operator_token.as_deref())?;
            None
        }
        Access::Tenant => {
            let (headers, app2) = (parts.headers.clone(), app.clone());
            let tenant = blocking(move || auth::tenant(&headers, app2.scheduler.store())).await?;
            app.limiter.take(&tenant.id, Instant::now()).map_err(rate_limited)?;
            Some(tenant)
        }
    };
    let limit = match &acting {
        Some(t) if tenant::is_upload(&parts.method, &segments) => {
            usize::try_from(t.settings.limits.max_component_bytes).unwrap_or(usize::MAX)
        }
        _ => app.config.body_limit_bytes,
    };
    let body = tokio::time::timeout(BODY_TIMEOUT, read_body(body, &parts.headers, limit)).await.map_err(|_| {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            format!("the request body did not arrive within {} s", BODY_TIMEOUT.as_secs()),
        )
    })??;
    let call = Call {
        method: parts.method,
        segments,
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body,
    };
    let app = app.clone();
    blocking(move || match (access, acting) {
        (Access::Public, _) => ops::handle(&app, &call),
        (Access::Tracking, _) => tracking::handle(&app, &call),
        (Access::Operator, _) => admin::handle(&app, &call),
        (Access::Webhook, _) => stripe::handle_webhook(&app, &call),
        (Access::Tenant, Some(acting)) => idempotency::around(&app, &acting, &call, tenant::handle),
        (Access::Tenant, None) => Err(no_route()),
    })
    .await
}

/// 429 with the seconds to wait.
pub fn rate_limited(seconds: u64) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many requests for this tenant; retry in {seconds} s"),
    );
    e.retry_after = Some(seconds);
    e
}

/// Runs `f` on the blocking pool; a panic there is a 500, not a crash.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> ApiResult<T> + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::internal(&e))?
}

/// How long a request body may take to arrive.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Bytes of an oversized body read and dropped before answering 413, so
/// that the connection closes cleanly and the client sees the answer
/// rather than a reset.
const DRAIN_BYTES: usize = 1 << 20;

/// Reads a body of at most `limit` bytes; 413 above that.
async fn read_body(mut body: Incoming, headers: &HeaderMap, limit: usize) -> ApiResult<Bytes> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the request body is over the limit of {limit} bytes for this route"),
        )
    };
    let declared = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let mut over = declared.is_some_and(|len| len > limit as u64);
    let mut data = Vec::with_capacity(declared.map_or(0, |len| len.min(limit as u64) as usize));
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| ApiError::bad_request("bad_body", format!("the request body could not be read: {e}")))?;
        if let Ok(chunk) = frame.into_data() {
            seen = seen.saturating_add(chunk.len());
            over |= seen > limit;
            if over {
                if seen > limit.saturating_add(DRAIN_BYTES) {
                    break;
                }
            } else {
                data.extend_from_slice(&chunk);
            }
        }
    }
    if over { Err(too_large()) } else { Ok(Bytes::from(data)) }
}
