//! Responses as handlers build them, before they become hyper responses.

use http_body_util::Full;
use hyper::{Response, StatusCode, body::Bytes, header::HeaderValue};
use serde::Serialize;

use crate::error::{ApiError, ApiResult};

/// A complete response.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
    /// Seconds to wait, for 429 (`Retry-After`).
    pub retry_after: Option<u64>,
    /// True when the body is a stored response to an earlier request with
    /// the same `Idempotency-Key` (`Idempotent-Replayed: true`).
    pub replayed: bool,
    /// A binary body (the tracking pixel), sent instead of `body`.
    pub binary: Option<&'static [u8]>,
    /// More headers (`Location`, `Cache-Control`, ...).
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// A JSON response.
    pub fn json(status: StatusCode, value: &impl Serialize) -> ApiResult<Self> {
        let body = serde_json::to_string(value).map_err(|e| ApiError::internal(&e))?;
        Ok(Self::raw(status, "application/json", body))
    }

    /// A response with the body as given.
    pub fn raw(status: StatusCode, content_type: &'static str, body: String) -> Self {
        Self { status, content_type, body, retry_after: None, replayed: false, binary: None, headers: Vec::new() }
    }

    /// The same response with one more header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The error's response.
    pub fn error(err: &ApiError) -> Self {
        Self { retry_after: err.retry_after, ..Self::raw(err.status, "application/json", err.body()) }
    }

    /// The hyper response.
    pub fn into_response(self) -> Response<Full<Bytes>> {
        let body = match self.binary {
            Some(bytes) => Bytes::from_static(bytes),
            None => Bytes::from(self.body),
        };
        let mut response = Response::new(Full::new(body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(hyper::header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        if let Some(seconds) = self.retry_after {
            headers.insert(hyper::header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.replayed {
            headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
        }
        for (name, value) in self.headers {
            // Values are made by the server; one that is not a valid header is left out.
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        response
    }
}

/// Decodes `%XX` escapes (and `+` as space in queries); `None` when an
/// escape is malformed or the result is not UTF-8.
pub fn percent_decode(text: &str, plus_is_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_decoded_and_bad_ones_refused() {
        assert_eq!(percent_decode("a%2Fb+c", true).unwrap(), "a/b c");
        assert_eq!(percent_decode("a+b", false).unwrap(), "a+b");
        assert_eq!(percent_decode("a%2", false), None);
        assert_eq!(percent_decode("a%zz", false), None);
    }
}
