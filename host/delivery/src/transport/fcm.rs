//! Push through an FCM-HTTP-v1-compatible API.
//!
//! A send is `POST {base_url}/v1/projects/{project_id}/messages:send` with
//! `Authorization: Bearer <access token>` and the JSON
//! `{"message": {"token": <device token>, "notification": {"title", "body"}, "data": {...}}}`.
//! FCM's `UNREGISTERED` and `INVALID_ARGUMENT` errors are permanent and blame
//! the device token; other 4xx are permanent; 429 (`QUOTA_EXCEEDED`) and 5xx
//! transient. Minting the OAuth access token from a service account is the
//! operator's business: the tenant configures a token.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::http::{Body, Http, HttpTimeouts, excerpt, is_transient_status};
use crate::{IdempotencyKey, Outgoing, Receipt, Secret, SendError, Transport};

/// FCM's own API.
pub const DEFAULT_BASE_URL: &str = "https://fcm.googleapis.com";

/// Settings of the FCM transport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FcmConfig {
    /// The API's base URL (default FCM's own).
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// The Firebase project id.
    pub project_id: String,
    /// The OAuth 2 bearer token.
    pub access_token: Secret,
    /// Timeouts.
    #[serde(default)]
    pub timeouts: HttpTimeouts,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_string()
}

/// Sends push notifications through FCM.
#[derive(Debug)]
pub struct Fcm {
    url: String,
    authorization: String,
    token: Secret,
    http: Http,
}

impl Fcm {
    /// A transport for `config`.
    pub fn new(config: &FcmConfig) -> Self {
        let base = config.base_url.trim_end_matches('/');
        Self {
            url: format!("{base}/v1/projects/{}/messages:send", config.project_id),
            authorization: format!("Bearer {}", config.access_token.expose()),
            token: config.access_token.clone(),
            http: Http::new(config.timeouts),
        }
    }
}

/// The error code in an FCM error body: `details[].errorCode` when present
/// (UNREGISTERED, SENDER_ID_MISMATCH, ...), else `error.status`.
fn error_code(body: &serde_json::Value) -> Option<String> {
    let error = body.get("error")?;
    let detail = error
        .get("details")
        .and_then(|d| d.as_array())
        .and_then(|details| details.iter().find_map(|d| d.get("errorCode").and_then(|c| c.as_str())));
    detail.or_else(|| error.get("status").and_then(|s| s.as_str())).map(str::to_string)
}

impl Transport for Fcm {
    fn name(&self) -> &'static str {
        "fcm"
    }

    fn send(&self, message: &Outgoing, key: &IdempotencyKey) -> Result<Receipt, SendError> {
        let m = &message.message;
        let mut data = serde_json::Map::new();
        data.insert("notice".into(), m.notice.as_str().into());
        data.insert("idempotency_key".into(), key.as_str().into());
        for (name, value) in &m.headers {
            data.insert(name.to_ascii_lowercase(), value.as_str().into());
        }
        let body = json!({
            "message": {
                "token": m.to,
                "notification": {"title": m.subject, "body": m.body},
                "data": data,
            }
        })
        .to_string();
        let headers = [("Authorization", self.authorization.as_str())];
        let result = match self.http.post(&self.url, key, &headers, Body::Json(&body)) {
            Ok(reply) => {
                let name = serde_json::from_str::<serde_json::Value>(&reply.body)
                    .ok()
                    .and_then(|v| v.get("name").and_then(|n| n.as_str().map(str::to_string)));
                Ok(Receipt { transport: "fcm", provider_id: name, duplicate: false })
            }
            Err(Ok(refusal)) => {
                let parsed: Option<serde_json::Value> = serde_json::from_str(&refusal.body).ok();
                let code = parsed.as_ref().and_then(error_code);
                let message = parsed
                    .as_ref()
                    .and_then(|v| v.pointer("/error/message").and_then(|m| m.as_str()).map(str::to_string));
                let reason = match (&code, message) {
                    (Some(code), Some(message)) => format!("FCM answered HTTP {}, {code}: {message}", refusal.status),
                    _ => format!("FCM answered HTTP {}{}", refusal.status, excerpt(&refusal.body)),
                };
                Err(match code.as_deref() {
                    Some("UNREGISTERED" | "INVALID_ARGUMENT" | "SENDER_ID_MISMATCH") => SendError::bad_contact(reason),
                    _ if is_transient_status(refusal.status) => {
                        SendError::Transient { reason, retry_after: refusal.retry_after }
                    }
                    _ => SendError::permanent(reason),
                })
            }
            Err(Err(error)) => Err(error),
        };
        result.map_err(|e| e.scrubbed(&[&self.token]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_come_from_details_first() {
        let body = json!({"error": {"code": 404, "status": "NOT_FOUND", "details": [
            {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}]}});
        assert_eq!(error_code(&body).as_deref(), Some("UNREGISTERED"));
        let body = json!({"error": {"code": 400, "status": "INVALID_ARGUMENT"}});
        assert_eq!(error_code(&body).as_deref(), Some("INVALID_ARGUMENT"));
        assert_eq!(error_code(&json!({"ok": true})), None);
    }
}
