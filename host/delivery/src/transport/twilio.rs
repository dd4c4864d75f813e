//! SMS through a Twilio-compatible REST API, and Twilio's status callbacks.
//!
//! A send is `POST {base_url}/2010-04-01/Accounts/{account_sid}/Messages.json`
//! with the form fields `To`, `From` (or `MessagingServiceSid` when `from`
//! starts with `MG`), `Body` and, when configured, `StatusCallback`, under
//! HTTP basic auth (account SID and auth token). Twilio's error codes for
//! numbers that cannot take a text are permanent failures that blame the
//! contact; other 4xx are permanent, 429 and 5xx transient.
//!
//! Twilio then POSTs status callbacks to the `StatusCallback` URL;
//! [`StatusCallback::parse`] turns one into an engagement outcome and
//! [`signature`] computes the `X-Twilio-Signature` it must carry.

use base64::Engine as _;
use nudge_core::{EngagementKind, crypto::constant_time_eq};
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use super::http::{Body, Http, HttpTimeouts, excerpt};
use crate::{IdempotencyKey, Outgoing, Receipt, Secret, SendError, Transport};

/// Twilio's own API.
pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

/// Twilio error codes that mean the number cannot take this text: invalid
/// or unreachable numbers, landlines, and recipients who replied STOP.
const CONTACT_ERRORS: [u32; 7] = [21211, 21217, 21401, 21407, 21610, 21612, 21614];

/// Settings of the Twilio transport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioConfig {
    /// The API's base URL (default Twilio's own; a compatible provider's or a test server's).
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// The account SID (also the basic-auth user).
    pub account_sid: String,
    /// The auth token (basic-auth password; the key of callback signatures).
    pub auth_token: Secret,
    /// The sender: a phone number, or a messaging service SID (`MG…`).
    pub from: String,
    /// Where Twilio posts delivery status callbacks, if anywhere.
    #[serde(default)]
    pub status_callback: Option<String>,
    /// Timeouts.
    #[serde(default)]
    pub timeouts: HttpTimeouts,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_string()
}

/// Sends text messages through Twilio.
#[derive(Debug)]
pub struct Twilio {
    url: String,
    authorization: String,
    config: TwilioConfig,
    http: Http,
}

impl Twilio {
    /// A transport for `config`.
    pub fn new(config: &TwilioConfig) -> Self {
        let base = config.base_url.trim_end_matches('/');
        let url = format!("{base}/2010-04-01/Accounts/{}/Messages.json", config.account_sid);
        let credentials = format!("{}:{}", config.account_sid, config.auth_token.expose());
        let authorization = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials));
        Self { url, authorization, config: config.clone(), http: Http::new(config.timeouts) }
    }

    fn refused(&self, status: u16, retry_after: Option<std::time::Duration>, body: &str) -> SendError {
        #[derive(Deserialize)]
        struct TwilioError {
            code: Option<u32>,
            message: Option<String>,
        }
        let error: Option<TwilioError> = serde_json::from_str(body).ok();
        let (code, message) = error.map(|e| (e.code, e.message)).unwrap_or_default();
        let reason = match (code, message) {
            (Some(code), Some(message)) => format!("Twilio answered HTTP {status}, error {code}: {message}"),
            _ => format!("Twilio answered HTTP {status}{}", excerpt(body)),
        };
        if super::http::is_transient_status(status) {
            SendError::Transient { reason, retry_after }
        } else if code.is_some_and(|c| CONTACT_ERRORS.contains(&c)) {
            SendError::bad_contact(reason)
        } else {
            SendError::permanent(reason)
        }
    }
}

impl Transport for Twilio {
    fn name(&self) -> &'static str {
        "twilio"
    }

    fn send(&self, message: &Outgoing, key: &IdempotencyKey) -> Result<Receipt, SendError> {
        let m = &message.message;
        let sender = if self.config.from.starts_with("MG") { "MessagingServiceSid" } else { "From" };
        let mut form = vec![("To", m.to.as_str()), (sender, self.config.from.as_str()), ("Body", m.body.as_str())];
        if let Some(callback) = &self.config.status_callback {
            form.push(("StatusCallback", callback));
        }
        let headers = [("Authorization", self.authorization.as_str()), ("I-Twilio-Idempotency-Token", key.as_str())];
        let result = match self.http.post(&self.url, key, &headers, Body::Form(&form)) {
            Ok(reply) => {
                let sid = serde_json::from_str::<serde_json::Value>(&reply.body)
                    .ok()
                    .and_then(|v| v.get("sid").and_then(|s| s.as_str().map(str::to_string)));
                Ok(Receipt { transport: "twilio", provider_id: sid, duplicate: false })
            }
            Err(Ok(refusal)) => Err(self.refused(refusal.status, refusal.retry_after, &refusal.body)),
            Err(Err(error)) => Err(error),
        };
        result.map_err(|e| e.scrubbed(&[&self.config.auth_token]))
    }
}

/// A delivery status Twilio reported for a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCallback {
    /// Twilio's id of the message (the [`Receipt::provider_id`] of its send).
    pub message_sid: String,
    /// Twilio's status: queued, sent, delivered, undelivered, failed, ...
    pub status: String,
    /// Twilio's error code for undelivered and failed messages.
    pub error_code: Option<u32>,
}

/// Why a status callback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusCallbackError {
    /// A field Twilio always sends is missing.
    #[error("the status callback has no {0} field")]
    Missing(&'static str),
    /// `ErrorCode` is not a number.
    #[error("the status callback's ErrorCode {0:?} is not a number")]
    BadErrorCode(String),
    /// The `X-Twilio-Signature` does not match.
    #[error("the X-Twilio-Signature header does not match the callback")]
    BadSignature,
}

impl StatusCallback {
    /// Reads a callback's form-encoded body.
    pub fn parse(body: &str) -> Result<Self, StatusCallbackError> {
        let mut sid = None;
        let mut status = None;
        let mut error_code = None;
        for (name, value) in form_urlencoded::parse(body.as_bytes()) {
            match &*name {
                "MessageSid" | "SmsSid" if sid.is_none() => sid = Some(value.into_owned()),
                "MessageStatus" | "SmsStatus" if status.is_none() => status = Some(value.to_ascii_lowercase()),
                "ErrorCode" if !value.is_empty() => {
                    error_code =
                        Some(value.parse::<u32>().map_err(|_| StatusCallbackError::BadErrorCode(value.into_owned()))?)
                }
                _ => {}
            }
        }
        Ok(Self {
            message_sid: sid.ok_or(StatusCallbackError::Missing("MessageSid"))?,
            status: status.ok_or(StatusCallbackError::Missing("MessageStatus"))?,
            error_code,
        })
    }

    /// Verifies `signature` (the `X-Twilio-Signature` header) of a callback
    /// posted to `url` (exactly as Twilio called it, query included) with
    /// form body `body`, then reads it.
    pub fn verified(auth_token: &Secret, url: &str, body: &str, signature: &str) -> Result<Self, StatusCallbackError> {
        let params: Vec<(String, String)> =
            form_urlencoded::parse(body.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        let expected = self::signature(auth_token, url, &params);
        if !constant_time_eq(expected.as_bytes(), signature.trim().as_bytes()) {
            return Err(StatusCallbackError::BadSignature);
        }
        Self::parse(body)
    }

    /// The engagement outcome: delivered, or bounced for undelivered and
    /// failed messages; `None` while the message is still on its way.
    pub fn outcome(&self) -> Option<EngagementKind> {
        match self.status.as_str() {
            "delivered" => Some(EngagementKind::Delivered),
            "undelivered" | "failed" => Some(EngagementKind::Bounced),
            _ => None,
        }
    }
}

/// Twilio's request signature: base64 of HMAC-SHA1 under the auth token of
/// the URL followed by each POST parameter's name and value, sorted by name.
pub fn signature(auth_token: &Secret, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_string();
    for (name, value) in sorted {
        data.push_str(name);
        data.push_str(value);
    }
    base64::engine::general_purpose::STANDARD.encode(hmac_sha1(auth_token.expose().as_bytes(), data.as_bytes()))
}

/// HMAC-SHA1 (RFC 2104), which Twilio's signatures use.
fn hmac_sha1(key: &[u8], data: &[u8]) -> [u8; 20] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..20].copy_from_slice(&Sha1::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner = Sha1::new().chain_update(block.map(|b| b ^ 0x36)).chain_update(data).finalize();
    Sha1::new().chain_update(block.map(|b| b ^ 0x5c)).chain_update(inner).finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(caller: &str) -> Vec<(String, String)> {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", caller),
            ("Digits", "1234"),
            ("From", caller),
            ("To", "+18005551212"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn signatures_match_twilios_published_examples() {
        let token = Secret::new("12345");
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(signature(&token, url, &params("+14158675309")), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert_eq!(signature(&token, url, &params("+14158675310")), "GvWf1cFY/Q7PnoempGyD5oXAezc=");
    }

    #[test]
    fn status_callbacks_become_outcomes_and_are_verified() {
        let token = Secret::new("tok");
        let url = "https://nudge.example.com/v1/twilio/status/acme";
        let body = "MessageSid=SM123&MessageStatus=undelivered&ErrorCode=30003&To=%2B15551234567";
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(body.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        let good = signature(&token, url, &pairs);
        let callback = StatusCallback::verified(&token, url, body, &good).unwrap();
        assert_eq!(callback.message_sid, "SM123");
        assert_eq!(callback.error_code, Some(30003));
        assert_eq!(callback.outcome(), Some(EngagementKind::Bounced));
        let tampered = body.replace("undelivered", "delivered");
        assert_eq!(StatusCallback::verified(&token, url, &tampered, &good), Err(StatusCallbackError::BadSignature));
        assert_eq!(
            StatusCallback::verified(&Secret::new("x"), url, body, &good),
            Err(StatusCallbackError::BadSignature)
        );

        let delivered = StatusCallback::parse("MessageSid=SM1&MessageStatus=delivered").unwrap();
        assert_eq!(delivered.outcome(), Some(EngagementKind::Delivered));
        assert_eq!(StatusCallback::parse("MessageSid=SM1&MessageStatus=sent").unwrap().outcome(), None);
        assert_eq!(
            StatusCallback::parse("MessageSid=SM1&MessageStatus=failed").unwrap().outcome(),
            Some(EngagementKind::Bounced)
        );
        assert_eq!(StatusCallback::parse("MessageStatus=sent"), Err(StatusCallbackError::Missing("MessageSid")));
        assert_eq!(
            StatusCallback::parse("MessageSid=SM1&MessageStatus=failed&ErrorCode=x1"),
            Err(StatusCallbackError::BadErrorCode("x1".into()))
        );
    }
}
