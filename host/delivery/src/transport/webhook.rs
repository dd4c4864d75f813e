//! The generic webhook: the message as JSON, signed.
//!
//! Every request carries `Nudge-Signature: t=<unix seconds>,v1=<hex>`, where
//! the hex is HMAC-SHA256 under the webhook's secret of `"<t>.<body>"` (the
//! scheme Stripe uses, so receivers know it), and `Idempotency-Key`, the
//! same on every retry. A receiver checks the MAC with [`verify`], refuses
//! timestamps too far from its clock, and dedupes by the key.

use jiff::Timestamp;
use nudge_core::crypto::{constant_time_eq, hex, hmac_sha256, unhex};
use serde::{Deserialize, Serialize};

use super::http::{Body, Http, HttpTimeouts};
use crate::{IdempotencyKey, Outgoing, Receipt, Secret, SendError, Transport};

/// The signature header's name.
pub const SIGNATURE_HEADER: &str = "Nudge-Signature";

/// Settings of a webhook (a channel's, or escalation's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where to POST (http or https).
    pub url: String,
    /// The key of the `Nudge-Signature` HMAC.
    pub secret: Secret,
    /// Timeouts.
    #[serde(default)]
    pub timeouts: HttpTimeouts,
}

/// `t=<t>,v1=<hex HMAC-SHA256 of "t.body">`.
pub fn sign(secret: &Secret, t: i64, body: &[u8]) -> String {
    let t = t.to_string();
    let mac = hmac_sha256(secret.expose().as_bytes(), &[t.as_bytes(), b".", body]);
    format!("t={t},v1={}", hex(&mac))
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is not `t=<unix>,v1=<hex>`.
    #[error("the {SIGNATURE_HEADER} header is not t=<unix seconds>,v1=<hex>")]
    Malformed,
    /// The timestamp is further from now than the tolerance.
    #[error("the {SIGNATURE_HEADER} timestamp is {0} s from now, more than allowed")]
    Stale(i64),
    /// No `v1` matches the body under the secret.
    #[error("the {SIGNATURE_HEADER} does not match the body")]
    Mismatch,
}

/// Checks a `Nudge-Signature` header against `body`, `now` and a tolerance in seconds.
pub fn verify(
    secret: &Secret,
    header: &str,
    body: &[u8],
    now: Timestamp,
    tolerance_s: i64,
) -> Result<(), SignatureError> {
    let mut t = None;
    let mut macs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = Some(value.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            Some(("v1", value)) => macs.push(unhex(value).ok_or(SignatureError::Malformed)?),
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if macs.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let skew = now.as_second() - t;
    if skew.abs() > tolerance_s {
        return Err(SignatureError::Stale(skew));
    }
    let t = t.to_string();
    let expected = hmac_sha256(secret.expose().as_bytes(), &[t.as_bytes(), b".", body]);
    if macs.iter().any(|mac| constant_time_eq(mac, &expected)) { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// What the webhook receives.
#[derive(Debug, Serialize)]
struct Payload<'a> {
    idempotency_key: &'a str,
    notice: &'a str,
    tenant: &'a str,
    channel: &'a str,
    to: &'a str,
    from_name: &'a str,
    subject: &'a str,
    body: &'a str,
    html: Option<&'a str>,
    unsubscribe_url: Option<&'a str>,
    sent_at: Timestamp,
    headers: Vec<(&'a str, &'a str)>,
}

/// The webhook's JSON body for `message`.
pub(crate) fn payload(message: &Outgoing, key: &IdempotencyKey) -> String {
    let m = &message.message;
    let payload = Payload {
        idempotency_key: key.as_str(),
        notice: m.notice.as_str(),
        tenant: m.tenant.as_str(),
        channel: m.channel.as_str(),
        to: &m.to,
        from_name: &m.from_name,
        subject: &m.subject,
        body: &m.body,
        html: m.html.as_deref(),
        unsubscribe_url: message.unsubscribe_url.as_deref(),
        sent_at: m.sent_at,
        headers: m.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect(),
    };
    // Serializing strings, a timestamp and pairs of strings cannot fail.
    serde_json::to_string(&payload).unwrap_or_default()
}

/// POSTs signed JSON to a URL: shared by the webhook channel and escalation.
#[derive(Debug)]
pub(crate) struct SignedPoster {
    url: String,
    secret: Secret,
    http: Http,
}

impl SignedPoster {
    /// A poster for `config`.
    pub fn new(config: &WebhookConfig) -> Self {
        Self { url: config.url.clone(), secret: config.secret.clone(), http: Http::new(config.timeouts) }
    }

    /// POSTs `json`, signed now; the 2xx body, or the classified failure.
    pub fn post(&self, what: &str, json: &str, key: &IdempotencyKey) -> Result<String, SendError> {
        let signature = sign(&self.secret, Timestamp::now().as_second(), json.as_bytes());
        let result = self.http.post(&self.url, key, &[(SIGNATURE_HEADER, &signature)], Body::Json(json));
        match result {
            Ok(reply) => Ok(reply.body),
            Err(Ok(refusal)) => Err(refusal.classify(what)),
            Err(Err(error)) => Err(error),
        }
        .map_err(|e| e.scrubbed(&[&self.secret]))
    }
}

/// Sends each message as signed JSON to the tenant's URL.
#[derive(Debug)]
pub struct Webhook {
    poster: SignedPoster,
}

impl Webhook {
    /// A webhook transport for `config`.
    pub fn new(config: &WebhookConfig) -> Self {
        Self { poster: SignedPoster::new(config) }
    }
}

impl Transport for Webhook {
    fn name(&self) -> &'static str {
        "webhook"
    }

    fn send(&self, message: &Outgoing, key: &IdempotencyKey) -> Result<Receipt, SendError> {
        let body = self.poster.post("the webhook", &payload(message, key), key)?;
        let provider_id = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("id").and_then(|id| id.as_str().map(str::to_string)));
        Ok(Receipt { transport: "webhook", provider_id, duplicate: false })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_refuse_changes_and_stale_times() {
        let secret = Secret::new("whsec");
        let now = Timestamp::from_second(1_700_000_000).unwrap();
        let header = sign(&secret, now.as_second(), b"{\"a\":1}");
        assert!(header.starts_with("t=1700000000,v1=") && header.len() == "t=1700000000,v1=".len() + 64);
        assert_eq!(verify(&secret, &header, b"{\"a\":1}", now, 300), Ok(()));
        assert_eq!(verify(&secret, &header, b"{\"a\":2}", now, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify(&Secret::new("other"), &header, b"{\"a\":1}", now, 300), Err(SignatureError::Mismatch));
        let later = Timestamp::from_second(1_700_000_301).unwrap();
        assert_eq!(verify(&secret, &header, b"{\"a\":1}", later, 300), Err(SignatureError::Stale(301)));
        assert_eq!(verify(&secret, "v1=00", b"", now, 300), Err(SignatureError::Malformed));
        assert_eq!(verify(&secret, "t=1,v1=zz", b"", now, 300), Err(SignatureError::Malformed));
    }
}
