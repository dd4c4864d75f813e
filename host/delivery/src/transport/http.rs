//! The HTTP client every HTTP provider shares: ureq with timeouts, no
//! redirects, and one classification of what went wrong.

use std::{io::Read, time::Duration};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{IdempotencyKey, SendError};

/// Bytes of a provider's response read at most (errors and ids are small).
const MAX_RESPONSE_BYTES: u64 = 64 * 1024;

/// Connect and read timeouts of a provider's HTTP calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpTimeouts {
    /// Milliseconds to open the connection (default 5,000).
    #[serde(default = "default_connect_ms")]
    pub connect_ms: u64,
    /// Milliseconds to wait for the response, and for each write (default 15,000).
    #[serde(default = "default_read_ms")]
    pub read_ms: u64,
}

fn default_connect_ms() -> u64 {
    5_000
}

fn default_read_ms() -> u64 {
    15_000
}

impl Default for HttpTimeouts {
    fn default() -> Self {
        Self { connect_ms: default_connect_ms(), read_ms: default_read_ms() }
    }
}

/// A request body.
pub(crate) enum Body<'a> {
    /// `application/json`.
    Json(&'a str),
    /// `application/x-www-form-urlencoded`.
    Form(&'a [(&'a str, &'a str)]),
}

/// A 2xx answer.
pub(crate) struct Reply {
    /// The body (at most [`MAX_RESPONSE_BYTES`]).
    pub body: String,
}

/// A non-2xx answer, for the provider to classify.
pub(crate) struct Refusal {
    /// The status code.
    pub status: u16,
    /// `Retry-After`, when the provider sent one we understand.
    pub retry_after: Option<Duration>,
    /// The body (at most [`MAX_RESPONSE_BYTES`]).
    pub body: String,
}

impl Refusal {
    /// The generic classification: 408, 425, 429 and 5xx are transient,
    /// every other status permanent (the contact is not blamed).
    pub fn classify(&self, what: &str) -> SendError {
        let reason = format!("{what} answered HTTP {}{}", self.status, excerpt(&self.body));
        if is_transient_status(self.status) {
            SendError::Transient { reason, retry_after: self.retry_after }
        } else {
            SendError::permanent(reason)
        }
    }
}

/// True for statuses worth retrying.
pub(crate) fn is_transient_status(status: u16) -> bool {
    matches!(status, 408 | 425 | 429) || (500..600).contains(&status)
}

/// `": <first 200 characters of body>"`, or nothing for an empty body.
pub(crate) fn excerpt(body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        return String::new();
    }
    let cut: String = body.chars().take(200).collect();
    let more = if cut.len() < body.len() { "…" } else { "" };
    format!(": {cut}{more}")
}

/// One agent per transport: pooled keep-alive connections, timeouts, no
/// redirects (a provider that redirects a POST is misconfigured).
#[derive(Debug)]
pub(crate) struct Http {
    agent: ureq::Agent,
}

impl Http {
    /// An agent with `timeouts`.
    pub fn new(timeouts: HttpTimeouts) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_millis(timeouts.connect_ms))
            .timeout_read(Duration::from_millis(timeouts.read_ms))
            .timeout_write(Duration::from_millis(timeouts.read_ms))
            .redirects(0)
            .max_idle_connections_per_host(16)
            .user_agent(concat!("nudge/", env!("CARGO_PKG_VERSION")))
            .build();
        Self { agent }
    }

    /// POSTs `body` to `url` with `Idempotency-Key: key` and `headers`.
    /// `Err(Ok(refusal))` is a non-2xx answer, `Err(Err(error))` no answer.
    pub fn post(
        &self,
        url: &str,
        key: &IdempotencyKey,
        headers: &[(&str, &str)],
        body: Body<'_>,
    ) -> Result<Reply, Result<Refusal, SendError>> {
        let mut request = self.agent.post(url).set("Idempotency-Key", key.as_str());
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let result = match body {
            Body::Json(json) => request.set("Content-Type", "application/json").send_string(json),
            Body::Form(pairs) => request.send_form(pairs),
        };
        let response = match result {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(ureq::Error::Transport(transport)) => return Err(Err(transport_error(&transport))),
        };
        let status = response.status();
        let retry_after = response.header("Retry-After").and_then(|v| parse_retry_after(v, Timestamp::now()));
        let mut body = String::new();
        // A body that is not UTF-8 or breaks off is still an answer: keep what arrived.
        let _ = response.into_reader().take(MAX_RESPONSE_BYTES).read_to_string(&mut body);
        if (200..300).contains(&status) { Ok(Reply { body }) } else { Err(Ok(Refusal { status, retry_after, body })) }
    }
}

/// A request that got no HTTP answer: a bad URL is permanent (the
/// configuration must change), anything on the way (DNS, refused or reset
/// connections, timeouts, TLS) transient.
fn transport_error(error: &ureq::Transport) -> SendError {
    use ureq::ErrorKind::*;
    let reason = format!("no answer: {error}");
    match error.kind() {
        InvalidUrl | UnknownScheme | InsecureRequestHttpsOnly | InvalidProxyUrl => SendError::permanent(reason),
        _ => SendError::transient(reason),
    }
}

/// Reads a `Retry-After` value: delay seconds, or an HTTP date (a date in
/// the past means now).
pub fn parse_retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let wait = at.duration_since(now);
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now: Timestamp = "2015-10-21T07:28:00Z".parse().unwrap();
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn statuses_are_classified() {
        for status in [408, 429, 500, 502, 503] {
            assert!(is_transient_status(status), "{status}");
        }
        for status in [400, 401, 403, 404, 410, 422] {
            assert!(!is_transient_status(status), "{status}");
        }
        let refusal = Refusal { status: 400, retry_after: None, body: "x".repeat(500) };
        let error = refusal.classify("the provider");
        assert!(!error.is_transient() && !error.blames_contact());
        assert!(error.reason().starts_with("the provider answered HTTP 400: xxx") && error.reason().len() < 300);
    }
}
