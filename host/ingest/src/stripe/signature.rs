//! `Stripe-Signature` verification, as Stripe specifies it.
//!
//! The header is `t=<unix seconds>,v1=<hex>[,v1=<hex>...]` (other schemes,
//! such as `v0`, are ignored). Each `v1` is the lower-case hex HMAC-SHA256 of
//! `"<t>.<raw body>"` under an endpoint secret. Several `v1` values appear
//! while Stripe rolls a secret; several secrets are accepted here for the
//! same reason on our side. The signature is compared in constant time, and
//! the timestamp must lie within the tolerance of `now`, so a captured
//! request cannot be replayed later.

use std::time::Duration;

use jiff::Timestamp;
use nudge_core::crypto::{constant_time_eq, hex, hmac_sha256};

/// Stripe's default tolerance between the signed timestamp and now.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Why a webhook's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header has no `t=` element.
    #[error("Stripe-Signature header has no timestamp (expected \"t=<unix seconds>,v1=<hex>\")")]
    MissingTimestamp,
    /// The `t=` element is not a whole number of seconds.
    #[error("Stripe-Signature timestamp {0:?} is not a whole number of Unix seconds")]
    BadTimestamp(String),
    /// The header has no `v1=` element.
    #[error("Stripe-Signature header has no v1 signature (expected \"t=<unix seconds>,v1=<hex>\")")]
    MissingSignature,
    /// An element is not `key=value`.
    #[error("Stripe-Signature element {0:?} is not of the form key=value")]
    Malformed(String),
    /// No endpoint secret was configured.
    #[error("no webhook signing secret is configured; every webhook is refused")]
    NoSecret,
    /// No `v1` matches any secret.
    #[error("no v1 signature matches the payload under the configured signing secret(s)")]
    Mismatch,
    /// The signature is right but the timestamp is too far from now.
    #[error(
        "signed timestamp {signed} is {age_seconds} s from now ({now}), beyond the {tolerance_seconds} s tolerance"
    )]
    OutsideTolerance {
        /// The signed timestamp.
        signed: Timestamp,
        /// The verifier's clock.
        now: Timestamp,
        /// How far apart they are, in seconds.
        age_seconds: i64,
        /// The tolerance, in seconds.
        tolerance_seconds: u64,
    },
}

/// Verifies a webhook: `payload` is the raw request body, `header` the
/// `Stripe-Signature` value, `secrets` the endpoint secrets (`whsec_...`)
/// accepted now (more than one while rotating), `now` the verifier's clock.
///
/// A timestamp more than `tolerance` away from `now`, in either direction,
/// is refused even when its signature matches.
pub fn verify_signature(
    payload: &[u8],
    header: &str,
    secrets: &[&str],
    now: Timestamp,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for element in header.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (name, value) = element.split_once('=').ok_or_else(|| SignatureError::Malformed(cut(element)))?;
        match name.trim() {
            "t" => timestamp = Some(value.trim()),
            "v1" => signatures.push(value.trim()),
            _ => {}
        }
    }
    let t = timestamp.ok_or(SignatureError::MissingTimestamp)?;
    let signed_seconds: i64 = t.parse().map_err(|_| SignatureError::BadTimestamp(cut(t)))?;
    let signed = Timestamp::from_second(signed_seconds).map_err(|_| SignatureError::BadTimestamp(cut(t)))?;
    if signatures.is_empty() {
        return Err(SignatureError::MissingSignature);
    }
    if secrets.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    // Every secret against every signature, without stopping at the first
    // match: the time taken does not depend on which one matched.
    let mut matched = false;
    for secret in secrets {
        let expected = hex(&hmac_sha256(secret.as_bytes(), &[t.as_bytes(), b".", payload]));
        for signature in &signatures {
            matched |= constant_time_eq(expected.as_bytes(), signature.as_bytes());
        }
    }
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    let age_seconds = now.as_second() - signed_seconds;
    if age_seconds.unsigned_abs() > tolerance.as_secs() {
        return Err(SignatureError::OutsideTolerance {
            signed,
            now,
            age_seconds,
            tolerance_seconds: tolerance.as_secs(),
        });
    }
    Ok(())
}

/// The `Stripe-Signature` header Stripe would send for `payload` signed at
/// `at` under `secret`: for tests and for tools that replay webhooks.
pub fn sign(payload: &[u8], secret: &str, at: Timestamp) -> String {
    let t = at.as_second().to_string();
    format!("t={t},v1={}", hex(&hmac_sha256(secret.as_bytes(), &[t.as_bytes(), b".", payload])))
}

fn cut(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","object":"event"}"#;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn a_header_stripe_would_send_is_accepted() {
        // Computed independently:
        // printf '%s' '1700000000.{body}' | openssl dgst -sha256 -hmac whsec_test_secret
        let v1 = "0c8670ed117751cc551a20e35839447075c42800ea3cf3e8a2fbda99cd1e6edd";
        let header = format!("t=1700000000,v1={v1}");
        assert_eq!(sign(BODY, SECRET, at(1_700_000_000)), header);
        verify_signature(BODY, &header, &[SECRET], at(1_700_000_100), DEFAULT_TOLERANCE).unwrap();
        // Spaces after commas, a v0 scheme and an unknown element are tolerated.
        let header = format!("t=1700000000, v0=deadbeef, v1={v1}, x=1");
        verify_signature(BODY, &header, &[SECRET], at(1_700_000_000), DEFAULT_TOLERANCE).unwrap();
    }

    #[test]
    fn several_signatures_and_several_secrets_serve_rotation() {
        let good = sign(BODY, "whsec_new", at(1_700_000_000));
        let v1_new = good.split("v1=").nth(1).unwrap();
        let v1_old = sign(BODY, "whsec_old", at(1_700_000_000)).split("v1=").nth(1).unwrap().to_string();
        let both = format!("t=1700000000,v1={v1_old},v1={v1_new}");
        let now = at(1_700_000_000);
        verify_signature(BODY, &both, &["whsec_new"], now, DEFAULT_TOLERANCE).unwrap();
        verify_signature(BODY, &both, &["whsec_old"], now, DEFAULT_TOLERANCE).unwrap();
        verify_signature(BODY, &good, &["whsec_old", "whsec_new"], now, DEFAULT_TOLERANCE).unwrap();
        let err = verify_signature(BODY, &good, &["whsec_other"], now, DEFAULT_TOLERANCE).unwrap_err();
        assert_eq!(err, SignatureError::Mismatch);
    }

    #[test]
    fn a_changed_body_timestamp_or_signature_is_refused() {
        let header = sign(BODY, SECRET, at(1_700_000_000));
        let now = at(1_700_000_000);
        let check = |body: &[u8], header: &str| verify_signature(body, header, &[SECRET], now, DEFAULT_TOLERANCE);
        assert_eq!(check(br#"{"id":"evt_2","object":"event"}"#, &header), Err(SignatureError::Mismatch));
        assert_eq!(check(BODY, &header.replace("t=1700000000", "t=1700000001")), Err(SignatureError::Mismatch));
        let flipped = format!("{}0", &header[..header.len() - 1]);
        assert_eq!(check(BODY, &flipped), Err(SignatureError::Mismatch));
        assert_eq!(
            check(BODY, &header.to_uppercase().replace("T=", "t=").replace("V1=", "v1=")),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(check(BODY, &header[..header.len() - 2]), Err(SignatureError::Mismatch), "a truncated signature");
    }

    #[test]
    fn the_timestamp_must_lie_within_the_tolerance_either_way() {
        let header = sign(BODY, SECRET, at(1_700_000_000));
        let check = |now: i64| verify_signature(BODY, &header, &[SECRET], at(now), DEFAULT_TOLERANCE);
        check(1_700_000_300).unwrap();
        check(1_699_999_700).unwrap();
        let err = check(1_700_000_301).unwrap_err();
        assert!(matches!(err, SignatureError::OutsideTolerance { age_seconds: 301, tolerance_seconds: 300, .. }));
        assert!(err.to_string().contains("beyond the 300 s tolerance"), "{err}");
        assert!(matches!(check(1_699_999_699), Err(SignatureError::OutsideTolerance { age_seconds: -301, .. })));
        let tight = verify_signature(BODY, &header, &[SECRET], at(1_700_000_011), Duration::from_secs(10));
        assert!(matches!(tight, Err(SignatureError::OutsideTolerance { .. })));
    }

    #[test]
    fn malformed_headers_say_what_is_wrong() {
        let now = at(1_700_000_000);
        let check = |header: &str| verify_signature(BODY, header, &[SECRET], now, DEFAULT_TOLERANCE).unwrap_err();
        assert_eq!(check(""), SignatureError::MissingTimestamp);
        assert_eq!(check("v1=abc"), SignatureError::MissingTimestamp);
        assert_eq!(check("t=soon,v1=abc"), SignatureError::BadTimestamp("soon".into()));
        assert_eq!(check("t=1700000000"), SignatureError::MissingSignature);
        assert_eq!(check("t=1700000000,v0=abc"), SignatureError::MissingSignature);
        assert_eq!(check("t=1700000000,garbage"), SignatureError::Malformed("garbage".into()));
        let header = sign(BODY, SECRET, now);
        assert_eq!(verify_signature(BODY, &header, &[], now, DEFAULT_TOLERANCE), Err(SignatureError::NoSecret));
        assert!(check("t=1700000000").to_string().contains("t=<unix seconds>,v1=<hex>"));
    }
}
